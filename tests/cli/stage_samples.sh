# The sample stages (samples/stages/*.c) are stage source as a proposer's
# would be: each compiles, warning-free, in a closed world (gcc's
# freestanding headers standing in for the one src/stage/ builds), includes
# nothing but codecbench/stage.h and those headers, and its object defines
# its kind's functions and needs nothing but the memory functions stage.h
# allows.  Checked with the compiler's own dependency list and binutils.
. "$CB_SRCDIR/tests/tap.sh"
cc=${CC:-cc}
command -v readelf >/dev/null 2>&1 && command -v nm >/dev/null 2>&1 ||
    skip_all "binutils (readelf, nm) are not installed"
# gcc and clang both answer -print-file-name=include with their own
# freestanding headers' folder.
fs=$($cc -print-file-name=include)
[ -d "$fs" ] || skip_all "$cc has no freestanding include folder ($fs)"
inc=$CB_SRCDIR/include
flags="-std=c11 -O2 -fPIC -shared -nostdinc -nostdlib -ffreestanding -fwrapv -mgeneral-regs-only -Wall -Wextra -Werror"
for s in intra:intra transform:transform loop_filter:loop_filter intra_smooth:intra; do
    name=${s%%:*}
    kind=${s#*:}
    src=$CB_SRCDIR/samples/stages/$name.c
    obj=$tap_tmp/$name.so
    # shellcheck disable=SC2086
    if out=$($cc $flags -I "$inc" -isystem "$fs" -o "$obj" "$src" 2>&1); then
        pass "$name.c compiles in the closed world with -Werror"
    else
        fail "$name.c compiles in the closed world with -Werror" "$out"
        continue
    fi
    # Every file the preprocessor opened: the source, stage.h, and the
    # freestanding headers.
    deps=$($cc -std=c11 -nostdinc -ffreestanding -I "$inc" -isystem "$fs" -M "$src" |
        tr -d '\\' | tr ' ' '\n' | sed '/^$/d; /:$/d')
    other=$(printf '%s\n' "$deps" | while read -r f; do
        case $(realpath "$f") in
            "$(realpath "$src")" | "$(realpath "$inc")/codecbench/stage.h" | "$(realpath "$fs")"/*) ;;
            *) echo "$f" ;;
        esac
    done)
    ok '[ -z "$other" ] && printf "%s\n" "$deps" | grep -q "codecbench/stage.h$"' \
        "$name.c includes only codecbench/stage.h and freestanding headers${other:+ (also: $other)}"
    dyn=$(readelf -d "$obj")
    ok '! printf "%s\n" "$dyn" | grep -Eq "\((NEEDED|INIT|FINI|INIT_ARRAY|FINI_ARRAY|PREINIT_ARRAY|TEXTREL)\)"' \
        "$name.c: no needed library, initialiser or text relocation"
    undef=$(nm -D --undefined-only "$obj" | awk '{print $NF}' | grep -Ev '^(memcpy|memmove|memset|memcmp)$' || true)
    ok '[ -z "$undef" ]' "$name.c needs nothing but memcpy, memmove, memset, memcmp${undef:+ (needs: $undef)}"
    case $kind in
        intra) want="cb_stage_intra" ;;
        loop_filter) want="cb_stage_loop_filter" ;;
        transform) want="cb_stage_transform_fwd cb_stage_transform_inv" ;;
    esac
    for f in $want; do
        ok 'nm -D --defined-only "$obj" | grep -Eq "^[0-9a-f]+ T $f\$"' "$name.c defines $f"
    done
    # Nothing else is exported (helpers are static), and no writable data:
    # a stage keeps no state between calls.
    extra=$(nm -D --defined-only "$obj" | awk '{print $3}' | grep -Ev "^($(echo "$want" | tr ' ' '|'))\$" || true)
    ok '[ -z "$extra" ]' "$name.c exports only its kind's functions${extra:+ (also: $extra)}"
    # (_DYNAMIC and the GOT are the linker's, not the stage's.)
    data=$(nm "$obj" | grep -E "^[0-9a-f]+ [bBdD] " | awk '{print $3}' |
        grep -Ev '^(_DYNAMIC|_GLOBAL_OFFSET_TABLE_)$' || true)
    ok '[ -z "$data" ]' "$name.c has no writable data${data:+ (has: $data)}"
done
done_testing

# Each public header compiles on its own, and twice (include guards).
. "$CB_SRCDIR/tests/tap.sh"
for h in "$CB_SRCDIR"/include/codecbench/*.h; do
    name=codecbench/$(basename "$h")
    src="$tap_tmp/h.c"
    printf '#include "%s"\n#include "%s"\nint main(void) { return 0; }\n' "$name" "$name" > "$src"
    # shellcheck disable=SC2086
    if out=$($CC $CB_HEADER_CFLAGS -Werror -fsyntax-only "$src" 2>&1); then
        pass "$name compiles on its own"
    else
        fail "$name compiles on its own" "$out"
    fi
done
done_testing

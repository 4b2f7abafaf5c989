# codecbench stage-host, the real binary: its hello (the sandbox's state as
# the host read it back before loading its filter), refusals of broken
# requests and command lines.  The protocol end to end, with hostile stages,
# is tests/unit/test_stage_sandbox (its own binary as the host).
. "$CB_SRCDIR/tests/tap.sh"
cb=$CB_BIN
[ "${CB_SANITIZERS:-no}" = yes ] && skip_all "a sanitizer build: seccomp and the sanitizers' runtime do not mix"
[ -n "${CC:-}" ] || skip_all "no C compiler (CC)"

src="$CB_SRCDIR/samples/stages/intra.c"
so="$tap_tmp/intra.so"
$CC -shared -fPIC -O1 -I"$CB_SRCDIR/include" -o "$so" "$src" || skip_all "cannot compile $src"
hash=$(sha256sum "$src" | cut -c1-64)
# The host may write only to pipes (RLIMIT_FSIZE is 0): its stdout and
# stderr go through cat.
host() {
    rm -f "$tap_tmp/rc"
    { { OPENBLAS_NUM_THREADS=1 "$cb" stage-host "$@"; echo $? >"$tap_tmp/rc"; } 2>&1 >&3 | cat >"$tap_tmp/err"; } 3>&1 |
        cat >"$tap_tmp/out"
    cat "$tap_tmp/rc"
}

# The hello: u32 type 0x101, u32 length 40, u32 ABI 1, i32 uid, i32 gid,
# i32 no_new_privs, u64 effective, permitted and bounding capabilities.
ok '[ "$(host encode "$so" intra "$hash" 10 1024 8 </dev/null)" = 0 ] && [ ! -s "$tap_tmp/err" ]' \
   "an encoding host with the built-in intra stage starts and ends at the end of its input"
hello=$("$PYTHON3" -c 'import struct,sys
b=open(sys.argv[1],"rb").read()
print(len(b), *struct.unpack("<IIIiiiQQQ", b[:48]))' "$tap_tmp/out")
diag "hello: $hello"
if [ "$(id -u)" = 0 ]; then
    ok '[ "$hello" = "48 257 40 1 65534 65534 1 0 0 0" ]' \
       "hello: ABI 1, uid and gid nobody, no_new_privs, no capabilities, empty bounding set"
else
    ok 'set -- $hello; [ "$1 $2 $3 $4 $7 $8 $9" = "48 257 40 1 1 0 0" ]' \
       "hello (not root): ABI 1, no_new_privs, no capabilities"
fi
ok '[ "$(host decode "$so" intra "$hash" 10 1024 8 </dev/null)" = 0 ]' "a decoding host starts"

# Broken requests: the host says why on stderr and exits 1.
ok '[ "$(printf "\001\000\000" | host encode "$so" intra "$hash" 10 1024 8)" = 1 ] && grep -q "ended in the middle of a message" "$tap_tmp/err"' \
   "a request cut short: exit 1 with the reason"
ok '[ "$(printf "\005\000\000\000\000\000\000\000" | host encode "$so" intra "$hash" 10 1024 8)" = 1 ] && grep -q "request type 5 is not one an encoding host serves" "$tap_tmp/err"' \
   "a decoder's request to an encoding host: refused"
ok '[ "$(printf "\001\000\000\000\377\377\377\377" | host encode "$so" intra "$hash" 10 1024 8)" = 1 ] && grep -q "request type 1 with 4294967295 bytes" "$tap_tmp/err"' \
   "a length beyond the cap: refused before reading it"
ok '[ "$(printf "\004\000\000\000\377\377\377\177" | host decode "$so" intra "$hash" 10 1024 8)" = 1 ] && grep -q "request type 4 with 2147483647 bytes (allowed: 64)" "$tap_tmp/err"' \
   "a stream header longer than 64 bytes: refused"

# A regular file as stdout: the first write of the hello exceeds the file
# size limit of 0 bytes (SIGXFSZ, 128 + 25), so the limit took effect.
ok 'OPENBLAS_NUM_THREADS=1 "$cb" stage-host encode "$so" intra "$hash" 10 1024 8 </dev/null >"$tap_tmp/file" 2>/dev/null; [ $? = 153 ] && [ ! -s "$tap_tmp/file" ]' \
   "stdout a regular file: killed by SIGXFSZ at its first byte"

# OpenBLAS's threads (without OPENBLAS_NUM_THREADS=1): capabilities are per
# thread, so the sandbox refuses to be entered by one of several.
ok 'n=$(nproc); [ "$n" -lt 2 ] || { env -u OPENBLAS_NUM_THREADS OPENBLAS_NUM_THREADS= "$cb" stage-host encode "$so" intra "$hash" 10 1024 8 </dev/null 2>"$tap_tmp/err2" | cat >/dev/null; grep -q "threads; it must be entered by the only one" "$tap_tmp/err2"; }' \
   "a host with several threads refuses to enter the sandbox"

# Command lines.
ok '[ "$(host)" = 1 ] && grep -q "usage: stage-host encode|decode" "$tap_tmp/err"' "no arguments: usage, exit 1"
ok '[ "$(host encode "$so" intra 00 10 1024 8 </dev/null)" = 1 ] && grep -q "64 lower-case hex digits" "$tap_tmp/err"' "a bad hash: exit 1"
ok '[ "$(host encode "$so" blur "$hash" 10 1024 8 </dev/null)" = 1 ]' "an unknown kind: exit 1"
ok '[ "$(host encode "$so" intra "$hash" 0 1024 8 </dev/null)" = 1 ] && grep -q "limits must be whole numbers" "$tap_tmp/err"' "a CPU limit of 0: exit 1"
ok '[ "$(host encode "$tap_tmp/none.so" intra "$hash" 10 1024 8 </dev/null)" = 1 ] && grep -q "cannot load $tap_tmp/none.so" "$tap_tmp/err"' "a missing object: exit 1, named"
ok '[ "$(host encode "$so" loop_filter "$hash" 10 1024 8 </dev/null)" = 1 ] && grep -q "does not define cb_stage_loop_filter" "$tap_tmp/err"' "an object without the kind's function: exit 1, named"
ok '[ "$(host --help)" = 0 ] && grep -q "^Usage: codecbench stage-host" "$tap_tmp/out"' "stage-host --help"
ok 'grep -q "^\.SS stage\\\\-host" "$CB_SRCDIR/man/codecbench.1"' "the man page documents stage-host"
done_testing

# Style rules a compiler does not check (STYLE.md): no unbounded string
# functions anywhere, and no printing from library code (only the front
# ends print).
. "$CB_SRCDIR/tests/tap.sh"
cd "$CB_SRCDIR" || exit 1
banned=$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|gets)\s*\(' \
    $(find src tests bench -name '*.c' -o -name '*.h') 2>/dev/null)
ok '[ -z "$banned" ]' "no sprintf, strcpy, strcat, atoi or gets"
[ -z "$banned" ] || diag "$banned"
libs=$(find src -name '*.c' ! -path 'src/cli/*' ! -path 'src/tui/*')
printing=$(grep -nE '(^|[^a-z_])(printf|puts|perror|putchar|exit|abort)\s*\(|\b(stdout|stderr)\b' $libs 2>/dev/null)
ok '[ -z "$printing" ]' "library code neither prints nor exits"
[ -z "$printing" ] || diag "$printing"
done_testing

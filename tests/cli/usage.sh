# Command-line usage: help, version, exit codes for wrong usage.
. "$CB_SRCDIR/tests/tap.sh"
cb=$CB_BIN

run() { "$cb" "$@" >"$tap_tmp/out" 2>"$tap_tmp/err"; echo $?; }

ok '[ "$(run --help)" = 0 ] && grep -q "^Usage: codecbench \[--store DIR\]" "$tap_tmp/out" && grep -q "^       codecbench COMMAND" "$tap_tmp/out"' "--help prints usage, exit 0"
ok '[ "$(run --version)" = 0 ] && grep -q "^codecbench [0-9]" "$tap_tmp/out" && grep -q "libavcodec" "$tap_tmp/out"' "--version names codecbench and FFmpeg versions"
ok '[ "$(run </dev/null)" = 2 ] && grep -q "needs a terminal" "$tap_tmp/err" && grep -q Usage "$tap_tmp/err"' "no command and no terminal: usage on stderr, exit 2"
ok 'env HOME="$tap_tmp/home" XDG_DATA_HOME= CODECBENCH_STORE= "$cb" </dev/null >/dev/null 2>&1; [ ! -e "$tap_tmp/home/.local/share/codecbench" ]' "no command and no terminal: no store is made"
ok '[ "$(run --store "$tap_tmp/s" </dev/null)" = 2 ] && [ ! -e "$tap_tmp/s" ]' "dashboard options without a terminal: exit 2, no store made"
ok '[ "$(run dashboard --help)" = 0 ] && grep -q "^Usage: codecbench \[dashboard\]" "$tap_tmp/out"' "dashboard --help"
ok '[ "$(run frobnicate)" = 2 ] && grep -q "not a command" "$tap_tmp/err"' "unknown command: exit 2"
for c in probe metrics bdrate demo recipe encode decode; do
    ok '[ "$(run '$c' --help)" = 0 ] && grep -q "^Usage: codecbench '$c'" "$tap_tmp/out"' "$c --help"
    ok '[ "$(run '$c' --version)" = 0 ] && grep -q "^codecbench" "$tap_tmp/out"' "$c --version"
done
ok '[ "$(run probe)" = 2 ] && grep -q "needs one FILE" "$tap_tmp/err"' "probe without FILE: exit 2"
ok '[ "$(run probe --bogus x)" = 2 ] && grep -q "unknown option" "$tap_tmp/err"' "unknown option: exit 2"
ok '[ "$(run metrics a)" = 2 ]' "metrics with one file: exit 2"
ok '[ "$(run metrics a b --frames -3)" = 2 ] && grep -q "whole number" "$tap_tmp/err"' "metrics --frames -3: exit 2"
ok '[ "$(run metrics a b --start x)" = 2 ]' "metrics --start x: exit 2"
ok '[ "$(run bdrate a)" = 2 ]' "bdrate with one file: exit 2"
ok '[ "$(run demo a b)" = 2 ]' "demo with two folders: exit 2"
ok '[ "$(run demo "$tap_tmp")" = 1 ] && grep -q "has no sources" "$tap_tmp/err"' "demo on an empty folder: exit 1 with the reason"
ok 'man -l "$CB_SRCDIR/man/codecbench.1" >/dev/null 2>&1 || ! command -v man >/dev/null' "man page renders"
for c in probe metrics bdrate demo recipe encode decode; do
    ok 'grep -q "^\.SS $c" "$CB_SRCDIR/man/codecbench.1"' "man page documents $c"
done
done_testing

# codecbench: a small TAP producer for shell tests (sourced).
#   plan N            announce N cases (or call done_testing at the end)
#   ok COND NAME      pass when the command COND succeeds ("ok 'test -f x' name")
#   pass NAME / fail NAME [DIAG] / skip NAME REASON
#   need_ffmpeg / need_clips  skip the whole script (as one skipped case) when absent
# Counts are kept so that a script that dies early is seen as failing.
PYTHON3=${PYTHON3:-python3}
tap_n=0
tap_failed=0
tap_planned=

plan() { tap_planned=$1; echo "1..$1"; }
pass() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
fail() {
    tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $1"
    if [ $# -gt 1 ]; then printf '%s\n' "$2" | sed 's/^/# /'; fi
}
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
ok() {
    if eval "$1"; then pass "$2"; else fail "$2" "command: $1"; fi
}
done_testing() {
    if [ -z "$tap_planned" ]; then echo "1..$tap_n"; fi
    exit 0
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

need_ffmpeg() {
    if [ -z "${FFMPEG:-}" ] || ! [ -x "$FFMPEG" ]; then skip_all "the ffmpeg command-line tool is not installed"; fi
}
need_clips() {
    if ! [ -f "$CB_CLIPS/foreman_like.y4m" ] && ! ls "$CB_CLIPS"/*.y4m >/dev/null 2>&1; then
        skip_all "no test clips (samples/make-clips needs the ffmpeg command-line tool)"
    fi
}

# A private scratch folder, removed at exit.
tap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/cbtest.XXXXXX")
trap 'rm -rf "$tap_tmp"' EXIT

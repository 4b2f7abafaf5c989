# The local proposer searches for real: from samples/recipes/default.json
# (the anchor, on 10 frames of the CIF texture clip), with a fixed seed and
# a budget of at most 4 rounds of 4 proposals, each round queued, run and
# measured by the runner, it finds a recipe whose measured BD-rate against
# its starting point is below -0.5 %.  Every run is a real encode, decode
# and measurement; the BD-rate is the store's (PCHIP, PSNR-Y).
. "$CB_SRCDIR/tests/tap.sh"
need_clips
cb=$CB_BIN
t=$tap_tmp
export XDG_CONFIG_HOME="$t/xdg" XDG_DATA_HOME="$t/data"
for v in $(env | sed -n 's/^\(CODECBENCH_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export CODECBENCH_RUNNER_IDLE_EXIT=1
command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed to read the JSON"
S=$t/store
clip=$CB_CLIPS/texture.y4m
[ -f "$clip" ] || skip_all "no texture.y4m among the test clips"
cleanup() {
    p=$("$cb" runner --status --store "$S" 2>/dev/null)
    case $p in ''|none|*[!0-9]*) ;; *) kill "$p" 2>/dev/null ;; esac
    rm -rf "$tap_tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

status() { "$cb" show "$1" --json --store "$S" | "$PYTHON3" -c "import json,sys; print(json.load(sys.stdin)['status'])"; }
wait_end() {
    i=0
    while [ $i -lt 3000 ]; do
        case $(status "$1") in queued|running|verifying) sleep 0.2; i=$((i + 1)) ;; *) return 0 ;; esac
    done
    return 1
}
# The lowest BD-rate of the experiment's done runs, and its run id.
best() {
    "$cb" list --json --store "$S" --experiment search --status done --sort bd_rate |
        "$PYTHON3" -c "
import json, sys
runs = [r for r in json.load(sys.stdin)['runs'] if r.get('bd_rate_pct') is not None]
r = min(runs, key=lambda r: r['bd_rate_pct'])
print('%.4f %d' % (r['bd_rate_pct'], r['id']))"
}

ok '[ "$("$cb" run "$CB_SRCDIR/samples/recipes/default.json" "$clip" --frames 10 --experiment search --store "$S" >/dev/null 2>"$t/err"; echo $?)" = 0 ]' \
   "the starting point (default.json) ran"
ok '"$cb" anchor search "$CB_SRCDIR/samples/recipes/default.json" --store "$S" >/dev/null' "it is the anchor"
found=0 rounds=0
for round in 1 2 3 4; do
    rounds=$round
    "$cb" propose --experiment search --count 4 --seed 2026 --json --store "$S" >"$t/round$round.json" 2>"$t/err" || {
        diag "round $round: $(cat "$t/err")"; break; }
    for id in $("$PYTHON3" -c "import json; print(' '.join(str(r) for p in json.load(open('$t/round$round.json'))['proposals'] for r in p['runs']))"); do
        wait_end "$id" || diag "run $id did not end"
    done
    set -- $(best)
    diag "round $round: best BD-rate $1 % (run $2)"
    if "$PYTHON3" -c "import sys; sys.exit(0 if float('$1') < -0.5 else 1)"; then
        found=1 winner=$2
        break
    fi
done
ok '[ "$found" = 1 ]' "a recipe better than its starting point by more than 0.5 % BD-rate, in $rounds round(s)"
if [ "$found" = 1 ]; then
    ok '[ "$("$cb" show "$winner" --json --store "$S" | "$PYTHON3" -c "import json,sys; d=json.load(sys.stdin); print(d[\"origin\"], d[\"parent\"] > 0)")" = "proposer True" ]' \
       "the winner (run $winner) was proposed, with its parent recorded"
    ok '"$cb" lineage "$winner" --store "$S" | grep -q "default"' "its lineage goes back to the starting point"
else
    skip "the winner's origin" "no winner"
    skip "the winner's lineage" "no winner"
fi
done_testing

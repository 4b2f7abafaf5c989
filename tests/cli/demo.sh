# The demo experiment end to end: sources, recipes, runner, workers,
# verification, BD-rate against the x264 anchor; a second demo keeps the runs.
. "$CB_SRCDIR/tests/tap.sh"
need_ffmpeg
if ! "$FFMPEG" -hide_banner -encoders 2>/dev/null | grep -q libx264; then
    skip_all "this FFmpeg has no libx264 (the demo's anchor)"
fi
export CODECBENCH_RUNNER_IDLE_EXIT=1
DEMO_FRAMES=4 "$CB_SRCDIR/samples/make-clips" --demo "$tap_tmp/clips" 2>/dev/null
rm -f "$tap_tmp"/clips/noise.* "$tap_tmp"/clips/texture.*   # two sources are enough here
demo() {
    "$CB_BIN" demo --store "$tap_tmp/store" --recipes "$CB_SRCDIR/samples/recipes" \
        --frames 3 "$tap_tmp/clips"
}
demo >"$tap_tmp/out" 2>"$tap_tmp/err"
ok '[ $? = 0 ]' "demo exits 0"
diag "$(cat "$tap_tmp/out" "$tap_tmp/err")"
n=$(ls "$tap_tmp"/clips/*.y4m | wc -l)
ok '[ "$(grep -c "^  run " "$tap_tmp/out")" = $((n * 4)) ]' "a line for each run (4 recipes x $n sources)"
ok 'grep -q "^BD-rate against x264-medium" "$tap_tmp/out"' "a BD-rate table against the anchor"
for r in x264-veryfast fast default; do
    ok 'grep -qE "^  $r +.*(-?[0-9]+\.[0-9]{2} %|-)\$" "$tap_tmp/out"' "a row for $r"
done
ok 'grep -qE "^  x264-veryfast +.*[0-9]+\.[0-9]{2} %" "$tap_tmp/out"' "x264-veryfast has a measured BD-rate"
ok '! grep -qi placeholder "$tap_tmp/out"' "no placeholder values"
demo >"$tap_tmp/out2" 2>&1
ok '[ $? = 0 ] && grep -q "runs done earlier are kept; 0 queued" "$tap_tmp/out2"' "a second demo keeps the runs done"
"$CB_BIN" runner --store "$tap_tmp/store" --status >"$tap_tmp/st"
p=$(cat "$tap_tmp/st"); [ "$p" = none ] || kill "$p" 2>/dev/null

# --detach queues and returns; a demo meanwhile waits for those runs instead
# of queueing them twice.
"$CB_BIN" demo --store "$tap_tmp/store2" --recipes "$CB_SRCDIR/samples/recipes" \
    --frames 3 --detach "$tap_tmp/clips" >"$tap_tmp/d1" 2>&1
ok '[ $? = 0 ] && grep -q "^$((n * 4)) runs queued" "$tap_tmp/d1"' "demo --detach queues the runs and returns"
"$CB_BIN" demo --store "$tap_tmp/store2" --recipes "$CB_SRCDIR/samples/recipes" \
    --frames 3 "$tap_tmp/clips" >"$tap_tmp/d2" 2>&1
ok '[ $? = 0 ] && [ "$("$CB_BIN" list --store "$tap_tmp/store2" --json | "$PYTHON3" -c "import json,sys; print(len(json.load(sys.stdin)[\"runs\"]))")" = $((n * 4)) ]' "a demo after --detach queues no run twice"
diag "$(cat "$tap_tmp/d1" "$tap_tmp/d2")"
done_testing

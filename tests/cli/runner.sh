# The runner end to end: real worker and verification processes on short
# clips, limits, crashes, cancels, kills of the front end and of the runner,
# and many runs at once into one store.
. "$CB_SRCDIR/tests/tap.sh"
need_ffmpeg
need_clips

S="$tap_tmp/store"
export CODECBENCH_STORE="$S"
# Runners started by the front ends below exit one second after their
# last run, so none outlives the test.
export CODECBENCH_RUNNER_IDLE_EXIT=1
cleanup() {
    p=$("$CB_BIN" runner --status 2>/dev/null)
    case $p in ''|none) ;; *) kill "$p" 2>/dev/null ;; esac
    rm -rf "$tap_tmp"
}
trap cleanup EXIT

# A run's field from 'show --json' (status, reason, pid, ...).
field() {  # field RUN NAME
    "$CB_BIN" show "$1" --json 2>/dev/null | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
r = d.get("run", d)
v = r.get(sys.argv[1])
print("" if v is None else v)' "$2"
}
# Waits (up to $3 s, default 120) until run $1 has status $2.
wait_status() {
    i=0; lim=$((${3:-120} * 5))
    while [ $i -lt $lim ]; do
        [ "$(field "$1" status)" = "$2" ] && return 0
        sleep 0.2; i=$((i + 1))
    done
    diag "run $1: status $(field "$1" status), wanted $2; reason: $(field "$1" reason)"
    return 1
}
# Waits until run $1 has a final status; prints it.
wait_final() {
    i=0; lim=$((${2:-300} * 5))
    while [ $i -lt $lim ]; do
        st=$(field "$1" status)
        case $st in done|failed|cancelled|interrupted) echo "$st"; return 0 ;; esac
        sleep 0.2; i=$((i + 1))
    done
    echo timeout
}
# Waits until the worker of run $1 has written a progress event.
wait_progress() {
    d="$S/runs/$(printf %06d "$1")"
    i=0
    while [ $i -lt 600 ]; do
        grep -q '"progress"' "$d/events.jsonl" 2>/dev/null && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

# Waits until no runner serves the store (they exit 1 s after their last run).
wait_no_runner() {
    i=0
    while [ "$("$CB_BIN" runner --status)" != none ] && [ $i -lt 300 ]; do
        sleep 0.1; i=$((i + 1))
    done
}

# A tiny clip (fast runs) and a slow recipe on a CIF clip (runs to kill).
"$FFMPEG" -v error -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 6 -pix_fmt yuv420p \
    "$tap_tmp/tiny.y4m"
cat > "$tap_tmp/tiny.json" <<'EOF'
{ "name": "tiny", "codec": "engine",
  "settings": { "preset": "fast", "transform": "dct", "restoration": false, "qps": [30, 40] } }
EOF
cat > "$tap_tmp/slow.json" <<'EOF'
{ "name": "slow", "codec": "engine",
  "settings": { "preset": "slow", "search": "full", "qps": [22, 27, 32, 37, 42] } }
EOF
CIF="$CB_CLIPS/natural.y4m"
[ -f "$CIF" ] || CIF="$CB_CLIPS/motion.y4m"

# ---- a real run, end to end ------------------------------------------------
"$CB_BIN" run "$tap_tmp/tiny.json" "$tap_tmp/tiny.y4m" --json >"$tap_tmp/run1.json" 2>"$tap_tmp/run1.err"
ok '[ $? = 0 ]' "run: an engine run ends done (exit 0)"
ok 'grep -q "run 1 queued" "$tap_tmp/run1.err"' "run: says which run it queued"
ok '[ "$(field 1 status)" = done ]' "run: the store has it done"
ok '"$PYTHON3" - "$tap_tmp/run1.json" <<EOF
import json, math, sys
d = json.load(open(sys.argv[1]))
pts = d["rate_points"]
assert len(pts) == 2, pts
for p in pts:
    assert p["frames"] == 6
    assert p["payload_bytes"] > 0 and math.isfinite(p["kbps"]) and p["kbps"] > 0
    assert 15 < p["psnr_mean"]["y"] < 100
assert pts[0]["payload_bytes"] > pts[1]["payload_bytes"]  # QP 30 costs more than QP 40
EOF' "run --json: two verified rate points with real figures"
d1="$S/runs/000001"
ok '[ -s "$d1/result.json" ] && [ -s "$d1/events.jsonl" ] && [ -f "$d1/qp30.cbv" ]' \
    "the run directory holds the result, the events and the bitstreams"
ok '"$CB_BIN" logs 1 | grep -q "point 1 (30) encoded"' "logs: the events as text"

# x264 baseline, when the installed FFmpeg has it.
if "$FFMPEG" -hide_banner -encoders 2>/dev/null | grep -q libx264; then
    "$CB_BIN" run "$CB_SRCDIR/samples/recipes/x264-veryfast.json" "$tap_tmp/tiny.y4m" \
        >/dev/null 2>"$tap_tmp/x264.err"
    ok '[ $? = 0 ] && [ "$(field 2 status)" = done ] && [ "$(field 2 codec)" = libx264 ]' \
        "run: an x264 baseline run ends done"
else
    skip "run: an x264 baseline run ends done" "this FFmpeg has no libx264"
fi

# ---- bad inputs: clear errors, nothing queued --------------------------------
n_before=$("$CB_BIN" list --json | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("runs", d)))')
echo '{"name":"bad","codec":"engine","settings":{"block_size":12}}' >"$tap_tmp/bad.json"
"$CB_BIN" run "$tap_tmp/bad.json" "$tap_tmp/tiny.y4m" 2>"$tap_tmp/bad.err"
ok '[ $? = 1 ] && grep -q "block_size" "$tap_tmp/bad.err"' "an invalid recipe: exit 1, the field named"
"$CB_BIN" run "$tap_tmp/tiny.json" "$tap_tmp/nope.y4m" 2>"$tap_tmp/bad2.err"
ok '[ $? = 1 ] && grep -q "nope.y4m" "$tap_tmp/bad2.err"' "a missing input: exit 1, the file named"
n_after=$("$CB_BIN" list --json | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("runs", d)))')
ok '[ "$n_before" = "$n_after" ]' "nothing was queued for them"

# ---- SIGKILL of a worker mid-run fails the run with the reason ----------------
id=$("$CB_BIN" run "$tap_tmp/slow.json" "$CIF" --frames 10 --detach 2>/dev/null)
wait_status "$id" running 60 && wait_progress "$id"
kill -KILL "$(field "$id" pid)" 2>/dev/null
ok '[ "$(wait_final "$id")" = failed ]' "a worker killed by SIGKILL fails its run"
ok 'field "$id" reason | grep -q "SIGKILL"' "the reason names the signal"
ok '! ls "$S/runs/$(printf %06d "$id")"/*.part 2>/dev/null' "the stream it was writing is removed"

# ---- cancel -------------------------------------------------------------------
id=$("$CB_BIN" run "$tap_tmp/slow.json" "$CIF" --frames 10 --detach 2>/dev/null)
wait_status "$id" running 60 && wait_progress "$id"
"$CB_BIN" cancel "$id" >/dev/null
ok '[ "$(wait_final "$id")" = cancelled ]' "cancel: a running run ends cancelled"
ok '"$CB_BIN" cancel "$id" >/dev/null 2>&1; [ $? = 1 ]' "cancel: a run that has ended is refused"

# ---- killing the front end's whole process group lets the run complete --------
setsid sh -c 'exec "$0" run "$1" "$2" >/dev/null 2>&1' "$CB_BIN" "$tap_tmp/tiny.json" "$CIF" &
fe=$!
sleep 0.5
id=$("$CB_BIN" list --json --sort id --desc --limit 1 | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("runs", d)[0]["id"])')
wait_status "$id" running 60
kill -KILL -- "-$fe" 2>/dev/null
ok '[ "$(wait_final "$id")" = done ]' "SIGKILL of the front end's process group: the run still completes"

# ---- the runner killed mid-run: the run is found and marked interrupted -------
id=$("$CB_BIN" run "$tap_tmp/slow.json" "$CIF" --frames 10 --detach 2>/dev/null)
wait_status "$id" running 60 && wait_progress "$id"
wpid=$(field "$id" pid)
kill -KILL "$("$CB_BIN" runner --status)"
i=0; while kill -0 "$wpid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ok '! kill -0 "$wpid" 2>/dev/null' "the worker does not outlive its runner"
ok '[ "$(field "$id" status)" = running ]' "the store still says running until a runner looks"
"$CB_BIN" runner --idle-exit 0 2>"$tap_tmp/runner.err"
ok '[ "$(field "$id" status)" = interrupted ]' "the next runner marks the run interrupted"
"$CB_BIN" rerun "$id" --set qps=[30,40] --set preset=fast --set search=hex >/dev/null 2>&1
ok '[ $? = 0 ]' "rerun: the interrupted run runs again, changed, and ends done"
new=$("$CB_BIN" list --json --sort id --desc --limit 1 | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("runs", d)[0]["id"])')
ok '[ "$(field "$new" parent)" = "$id" ] && [ "$(field "$new" origin)" = rerun ]' "rerun: lineage records the parent"

# ---- the wall-clock limit -------------------------------------------------------
wait_no_runner
"$CB_BIN" runner --wall-limit 1 --idle-exit 1 2>/dev/null &
rpid=$!
sleep 0.3
id=$("$CB_BIN" run "$tap_tmp/slow.json" "$CIF" --frames 10 --detach 2>/dev/null)
ok '[ "$(wait_final "$id")" = failed ] && field "$id" reason | grep -q "wall-clock limit of 1 s"' \
    "a worker over the wall-clock limit fails its run, naming the limit"
wait "$rpid"

# ---- the memory limit (RLIMIT_DATA) ---------------------------------------------
# A worker holds its clip's frames in memory: 60 frames of 1280x720 are 79 MiB,
# more than a 64 MiB limit lets it have (the binary itself needs about 30).
wait_no_runner
"$FFMPEG" -v error -f lavfi -i testsrc2=size=1280x720:rate=25 -frames:v 60 -pix_fmt yuv420p \
    "$tap_tmp/big.y4m"
"$CB_BIN" runner --memory-limit 64 --idle-exit 1 2>"$tap_tmp/mem.err" &
rpid=$!
sleep 0.3
id=$("$CB_BIN" run "$tap_tmp/tiny.json" "$tap_tmp/big.y4m" --detach 2>/dev/null)
st=$(wait_final "$id")
wait "$rpid"
if grep -q "AddressSanitizer build" "$tap_tmp/mem.err"; then
    skip "a worker over the memory limit fails its run, naming the limit" \
        "an AddressSanitizer build runs its workers without RLIMIT_DATA"
else
    ok '[ "$st" = failed ] && field "$id" reason | grep -q "memory limit 64 MiB"' \
        "a worker over the memory limit fails its run, naming the limit"
fi
rm -f "$tap_tmp/big.y4m"

# ---- a missing clip fails its run and loses no other ----------------------------
wait_no_runner
cp "$tap_tmp/tiny.y4m" "$tap_tmp/gone.y4m"
a=$(CODECBENCH_WORKERS=1 "$CB_BIN" run "$tap_tmp/slow.json" "$CIF" --frames 3 --detach 2>/dev/null)
b=$(CODECBENCH_WORKERS=1 "$CB_BIN" run "$tap_tmp/tiny.json" "$tap_tmp/gone.y4m" --detach 2>/dev/null)
rm -f "$tap_tmp/gone.y4m"
ok '[ "$(wait_final "$b")" = failed ] && field "$b" reason | grep -q "gone.y4m"' \
    "an input gone before its worker starts: the run fails naming it"
ok '[ "$(wait_final "$a")" = done ]' "the run beside it is done"

# ---- 8 workers, 40 runs, one store: nothing lost ---------------------------------
wait_no_runner
i=0
while [ $i -lt 40 ]; do
    CODECBENCH_WORKERS=8 "$CB_BIN" run "$tap_tmp/tiny.json" "$tap_tmp/tiny.y4m" \
        --experiment many --frames 2 --detach >"$tap_tmp/many.$i" 2>/dev/null &
    i=$((i + 1))
    [ $((i % 8)) = 0 ] && wait
done
wait
ids=$(cat "$tap_tmp"/many.* | sort -n | uniq | wc -l)
ok '[ "$ids" = 40 ]' "40 runs queued at once by 8 front ends get 40 distinct ids"
j=0
while [ $j -lt 900 ]; do
    left=$("$CB_BIN" list --experiment many --json | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin); runs = d.get("runs", d)
print(sum(1 for r in runs if r["status"] in ("queued", "running", "verifying")))')
    [ "$left" = 0 ] && break
    sleep 0.3; j=$((j + 1))
done
ok '[ "$("$CB_BIN" list --experiment many --status done --json | "$PYTHON3" -c "import json,sys; d=json.load(sys.stdin); print(len(d.get(\"runs\", d)))")" = 40 ]' \
    "all 40 runs are done and imported"
ok '[ "$(ls "$S"/runs/*/result.json | wc -l)" -ge 40 ]' "each has its result.json"

done_testing

# codecbench evolve on a real small store: an engine anchor (samples/recipes/
# default.json, 4 CIF frames) on two clips; bad input; 2 generations of 2
# with the local proposer, run by the runner (lineage, parents from the
# front, the front recomputed here from the runs' own numbers); --stop; a
# runner killed in the middle of a generation and the evolve resumed; the
# token budget ending an LLM evolve against tests/llm/server.py (usage
# recorded, the reason, the key never written anywhere).
. "$CB_SRCDIR/tests/tap.sh"
need_clips
command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed (JSON checks, the test server)"
cb=$CB_BIN
t=$tap_tmp
export XDG_CONFIG_HOME="$t/xdg" XDG_DATA_HOME="$t/data"
for v in $(env | sed -n 's/^\(CODECBENCH_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export CODECBENCH_RUNNER_IDLE_EXIT=1
S=$t/store
c1=$CB_CLIPS/motion.y4m
c2=$CB_CLIPS/natural.y4m
[ -f "$c1" ] && [ -f "$c2" ] || skip_all "no motion.y4m and natural.y4m among the test clips"
recipe=$CB_SRCDIR/samples/recipes/default.json
srv=
runner_pid() {
    p=$("$cb" runner --status --store "$S" 2>/dev/null)
    case $p in ''|none|*[!0-9]*) echo "" ;; *) echo "$p" ;; esac
}
cleanup() {
    [ -n "$srv" ] && { kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; }
    p=$(runner_pid)
    [ -n "$p" ] && kill "$p" 2>/dev/null
    rm -rf "$tap_tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The LLM test server is up for the whole script: the runner started by an
# evolve takes the environment of the command that started it.
"$PYTHON3" "$CB_SRCDIR/tests/llm/server.py" --log "$t/requests.jsonl" >"$t/port" 2>"$t/server.err" &
srv=$!
for i in $(seq 1 100); do [ -s "$t/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$t/port")
secret=sk-test-EVOLVE-SECRET-91
export CODECBENCH_LLM_BASE_URL="http://127.0.0.1:$port/v1" CODECBENCH_LLM_KEY_ENV=CB_TEST_EVOLVE_KEY CB_TEST_EVOLVE_KEY=$secret
export CODECBENCH_LLM_RETRIES=0 CODECBENCH_LLM_CONNECT_TIMEOUT=5 CODECBENCH_LLM_MODEL=ok

run() { "$cb" "$@" >"$t/out" 2>"$t/err"; echo $?; }
status_json() { "$cb" evolve --status --json --experiment "$1" --store "$S" >"$t/st.json" 2>"$t/st.err"; }
st() { status_json "$1" && "$PYTHON3" -c "import json; d=json.load(open('$t/st.json')); print($2)"; }
# Waits until the evolve of $1 is no longer running (at most 5 minutes).
wait_evolve() {
    i=0
    while [ $i -lt 1500 ]; do
        s=$(st "$1" "d['status']" 2>/dev/null)
        [ -n "$s" ] && [ "$s" != running ] && return 0
        sleep 0.2; i=$((i + 1))
    done
    diag "evolve $1 still '$s'"; return 1
}
wait_idle() {
    i=0
    while [ -n "$(runner_pid)" ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
    [ -z "$(runner_pid)" ]
}
# The experiment's anchor run on both clips.
setup() {
    for c in "$c1" "$c2"; do
        "$cb" run "$recipe" "$c" --frames 4 --experiment "$1" --store "$S" >/dev/null 2>"$t/err" || return 1
    done
    "$cb" anchor "$1" "$recipe" --store "$S" >/dev/null 2>&1
}

# Bad input.
ok '[ "$(run evolve --generations 2 --experiment nope --store "$S")" = 1 ] && grep -q "no codecbench store" "$t/err"' \
   "no store yet: exit 1, says so"
ok 'setup e' "the anchor ran on two clips (experiment e)"
ok '[ "$(run evolve --generations 2 --experiment nope --store "$S")" = 1 ] && grep -q "no experiment .nope." "$t/err" && grep -q "experiments: e" "$t/err"' \
   "no such experiment: exit 1, the experiments named"
"$cb" run "$recipe" "$c1" --frames 4 --experiment noanchor --store "$S" >/dev/null 2>&1
ok '[ "$(run evolve --generations 2 --experiment noanchor --store "$S")" = 1 ] && grep -q "no anchor" "$t/err" && [ ! -e "$S/evolve/noanchor.json" ]' \
   "no anchor: exit 1, nothing recorded"
ok '[ "$(run evolve --generations 0 --experiment e --store "$S")" = 2 ] && grep -q "generations" "$t/err"' "--generations 0: exit 2"
ok '[ "$(run evolve --experiment e --store "$S")" = 2 ]' "no --generations: exit 2"
ok '[ "$(run evolve --generations 2 --per-generation 33 --experiment e --store "$S")" = 2 ]' "--per-generation 33: exit 2"
ok '[ "$(run evolve --generations 1001 --experiment e --store "$S")" = 2 ]' "--generations 1001: exit 2"
ok '[ "$(run evolve --generations 2 --proposer bogus --experiment e --store "$S")" = 2 ]' "--proposer bogus: exit 2"
ok '[ "$(run evolve --status --experiment e --store "$S")" = 1 ] && grep -q "no evolve for experiment .e." "$t/err"' \
   "--status with no evolve: exit 1"
ok '[ "$(run evolve --help)" = 0 ] && grep -q "^Usage: codecbench evolve" "$t/out"' "--help"

# A real evolve: 2 generations of 2, local proposer, in the foreground.
ok '[ "$(run evolve --generations 2 --per-generation 2 --seed 11 --experiment e --store "$S")" = 0 ]' \
   "evolve 2 x 2 ran to its end in the foreground: exit 0"
cp "$t/out" "$t/fg.out"
ok 'grep -q "^generation 1/2: 2 proposals" "$t/fg.out" && grep -q "^measured generation 2/2" "$t/fg.out" && grep -q "^front after generation 1: [1-9]" "$t/fg.out" && grep -q "^front after generation 2: [1-9]" "$t/fg.out" && grep -q "^evolve done: 2 generations done" "$t/fg.out"' \
   "the foreground printed each generation, the measures, the front and the end"
ok '[ "$(st e "d[\"status\"], d[\"reason\"], len(d[\"gens\"]), [len(g[\"proposals\"]) for g in d[\"gens\"]]")" = "done 2 generations done 2 [2, 2]" ]' \
   "--status --json: done, 2 generations of 2 proposals"
cp "$t/st.json" "$t/e.json"
"$cb" list --json --experiment e --store "$S" >"$t/runs.json"
# Lineage, parents from the front, and the front itself, from the runs' own numbers.
cat >"$t/check.py" <<'EOF'
import json, math, sys
st = json.load(open(sys.argv[1]))
runs = {r["id"]: r for r in json.load(open(sys.argv[2]))["runs"]}
what = sys.argv[3]
def front(ids):
    # recipes measured on every clip: mean BD-rate over the clips, mean fps
    clips = {runs[i]["clip_id"] for i in ids if runs[i]["status"] == "done"}
    by = {}
    for i in ids:
        r = runs[i]
        if r["status"] == "done" and r["bd_rate_pct"] is not None:
            by.setdefault(r["recipe"]["hash"], []).append(r)
    pts = {}
    for h, rs in by.items():
        if {r["clip_id"] for r in rs} != clips:
            continue
        pts[h] = (sum(r["bd_rate_pct"] for r in rs) / len(rs), sum(r["encode_fps"] for r in rs) / len(rs))
    keep = {}
    for h, (b, f) in pts.items():
        if not any((b2 <= b and f2 >= f and (b2 < b or f2 > f)) for h2, (b2, f2) in pts.items() if h2 != h):
            keep[h] = (b, f)
    return keep
gens = st["gens"]
if what == "lineage":
    for g in gens:
        for p in g["proposals"]:
            assert len(p["runs"]) == 2, p
            for i in p["runs"]:
                r = runs[i]
                assert r["origin"] == "proposer", r
                par = runs[r["parent"]]
                assert par["clip_id"] == r["clip_id"], (i, r["parent"])
                assert r["status"] == "done", r
    print("ok")
elif what == "parents":
    # the parents of generation 2 are on the front after generation 1
    first2 = min(i for p in gens[1]["proposals"] for i in p["runs"])
    f1 = front([i for i in runs if i < first2])
    for p in gens[1]["proposals"]:
        for i in p["runs"]:
            assert runs[runs[i]["parent"]]["recipe"]["hash"] in f1, (i, f1)
    print("ok")
elif what == "front":
    f = front(list(runs))
    got = {p["recipe"]: (p["bd_rate"], p["fps"]) for p in st["front"]}
    assert set(got) == set(f), (got, f)
    for h in f:
        assert abs(got[h][0] - f[h][0]) < 1e-6 and abs(got[h][1] - f[h][1]) < 1e-4, (h, got[h], f[h])
    bds = [p["bd_rate"] for p in st["front"]]
    assert bds == sorted(bds)
    print("ok %d" % len(f))
EOF
ok '[ "$("$PYTHON3" "$t/check.py" "$t/e.json" "$t/runs.json" lineage)" = ok ]' \
   "every proposal ran on both clips, origin proposer, its parent a run on the same clip"
ok '[ "$("$PYTHON3" "$t/check.py" "$t/e.json" "$t/runs.json" parents)" = ok ]' \
   "generation 2's parents are on the front measured after generation 1"
ok '"$PYTHON3" "$t/check.py" "$t/e.json" "$t/runs.json" front | grep -q "^ok [1-9]"' \
   "the front equals the Pareto front recomputed from the runs' BD-rates (mean over clips) and fps"
ok '[ "$(run evolve --status --experiment e --store "$S")" = 0 ] && grep -q "^evolve e: done, 2 of 2 generations" "$t/out" && grep -q "^reason: 2 generations done" "$t/out"' \
   "--status says it is done and why"
ok '[ "$(run evolve --stop --experiment e --store "$S")" = 1 ] && grep -q "not running" "$t/err"' "--stop of an ended evolve: exit 1"

# --stop: an evolve of 3 generations stopped in its first.
ok 'setup s' "the anchor ran (experiment s)"
ok '[ "$(run evolve --generations 3 --per-generation 2 --seed 5 --detach --experiment s --store "$S")" = 0 ]' "--detach returns at once"
i=0
while [ $i -lt 300 ] && [ "$(st s "len(d['gens'])" 2>/dev/null)" != 1 ]; do sleep 0.1; i=$((i + 1)); done
ok '[ "$(run evolve --stop --experiment s --store "$S")" = 0 ] && grep -q "stopped after 1 generation" "$t/out"' "--stop: exit 0"
ok '[ "$(st s "d[\"status\"], d[\"reason\"]")" = "stopped stopped by request" ]' "the state says stopped by request"
ok '[ "$(st s "len(d[\"gens\"][0][\"proposals\"])")" = 2 ]' "its first generation is kept, 2 proposals"
"$cb" list --json --experiment s --status queued --store "$S" >"$t/q.json"
ok '[ "$("$PYTHON3" -c "import json; print(json.load(open(\"$t/q.json\"))[\"count\"])")" = 0 ]' "none of its runs is left queued"
ok 'wait_idle' "the runner went idle"
ok '[ "$(st s "d[\"status\"], len(d[\"gens\"])")" = "stopped 1" ]' "no generation was added after the stop"

# A runner killed in the middle of a generation: the evolve resumes.
ok 'setup k' "the anchor ran (experiment k)"
ok '[ "$(run evolve --generations 2 --per-generation 2 --seed 3 --detach --experiment k --store "$S")" = 0 ]' "evolve k detached"
i=0
while [ $i -lt 600 ]; do
    n=$("$cb" list --json --experiment k --status running --store "$S" | "$PYTHON3" -c "import json,sys; print(json.load(sys.stdin)['count'])")
    [ "$n" != 0 ] && break
    sleep 0.05; i=$((i + 1))
done
rp=$(runner_pid)
ok '[ -n "$rp" ] && kill -9 "$rp"' "the runner killed (SIGKILL) while a run of the evolve ran"
sleep 0.5
ok '[ "$(st k "d[\"status\"]")" = running ]' "the state still says running (and --status started a runner)"
ok 'wait_evolve k' "the evolve ended"
"$cb" list --json --experiment k --store "$S" >"$t/kruns.json"
ok '[ "$(st k "d[\"status\"], len(d[\"gens\"])")" = "done 2" ]' "it resumed and did its 2 generations"
cp "$t/st.json" "$t/k.json"
ok '[ "$("$PYTHON3" "$t/check.py" "$t/k.json" "$t/kruns.json" lineage)" = ok ]' "every run of it is done (interrupted ones queued again)"
grep -q "queued again (interrupted)" "$S/runner.log" && diag "an interrupted run was queued again" || diag "the kill came between runs"

# The token budget, with the LLM proposer against the test server (each
# request costs 42 + 17 tokens): a budget of 50 allows one round.
case $port in ''|*[!0-9]*) skip "the LLM evolve" "the test server did not start"; done_testing ;; esac
ok 'wait_idle' "no runner is up (the next is started with the LLM's environment)"
ok 'setup l' "the anchor ran (experiment l)"
ok '[ "$(run evolve --generations 3 --per-generation 2 --budget 50 --proposer llm --experiment l --store "$S")" = 1 ]' \
   "an LLM evolve with a budget of 50 tokens ends stopped: exit 1"
ok 'grep -q "evolve stopped: the token budget is reached: 59 tokens used in 1 requests, the budget is 50" "$t/out"' \
   "it says why"
gen1=$(st l "d[\"status\"], len(d[\"gens\"]), d[\"gens\"][0][\"tokens\"], \",\".join(sorted(p[\"name\"] for p in d[\"gens\"][0][\"proposals\"]))")
diag "LLM evolve: $gen1"
# the model proposes dct and qp-down; one may be refused as already run on these clips
ok 'case $gen1 in "stopped 1 59 dct,qp-down"|"stopped 1 59 dct"|"stopped 1 59 qp-down") true ;; *) false ;; esac' \
   "one generation: the model's proposals, its 59 tokens recorded in the state"
ok '[ "$(grep -c chat/completions "$t/requests.jsonl")" = 1 ]' "one request was sent"
ok '[ "$("$PYTHON3" -c "import json; print(sum(json.loads(l)[\"headers\"].get(\"authorization\") == \"Bearer $secret\" for l in open(\"$t/requests.jsonl\")))")" = 1 ]' "the key reached the server from the runner's environment"
ok '! grep -rq "$secret" "$S" "$t/out" "$t/err" "$t/fg.out"' "the key is nowhere in the store, its logs or the output"

# A round process that crashes: the LLM's reply stalls, the round is killed
# with SIGKILL (a sanitizer build would catch SIGSEGV and exit instead); the
# runner records it and the evolve stops with the reason.
ok 'setup c' "the anchor ran (experiment c)"
# the runner that ran the anchor must be gone: the next one is started by
# the evolve below, with its environment (the stalling model)
ok 'wait_idle' "the runner is idle again"
ok '[ "$(CODECBENCH_LLM_MODEL=stall run evolve --generations 2 --per-generation 1 --proposer llm --detach --experiment c --store "$S")" = 0 ]' \
   "an LLM evolve whose reply stalls, detached"
i=0 rpid=
while [ $i -lt 300 ] && [ -z "$rpid" ]; do
    rpid=$(sed -n 's/.*evolve c: round started (pid \([0-9]*\)).*/\1/p' "$S/runner.log" | tail -n 1)
    sleep 0.1; i=$((i + 1))
done
sleep 0.5
ok '[ -n "$rpid" ] && kill -KILL "$rpid"' "its round process (pid $rpid) killed with SIGKILL"
ok 'wait_evolve c' "the evolve ended"
ok '[ "$(st c "d[\"status\"], d[\"rounds_failed\"], len(d[\"gens\"])")" = "stopped 1 0" ] && st c "d[\"reason\"]" | grep -q "^the round process killed by SIGKILL"' \
   "stopped: the round process killed by SIGKILL, recorded"
ok 'grep -q "evolve c: the round process killed by SIGKILL" "$S/runner.log" && [ -n "$(runner_pid)" -o -n "$(grep "runner .*: exiting" "$S/runner.log")" ]' \
   "the runner logged it and carried on"

# A hostile state file: refused with the reason, the runner skips it.
printf '{"format":1,"experiment":"c","status":"running","generations":1e99}' >"$S/evolve/c.json"
ok '[ "$(run evolve --status --experiment c --store "$S")" = 1 ] && grep -q "evolve/c.json: " "$t/err"' \
   "--status of a corrupt state: exit 1 naming the file"
ok '[ "$(run evolve --generations 1 --experiment c --detach --store "$S")" = 0 ] && [ "$(st c "d[\"status\"]")" = running ]' \
   "a new evolve replaces a corrupt state"
ok '[ "$(run evolve --stop --experiment c --store "$S")" = 0 ]' "and stops"

# Ctrl-C in the foreground leaves the evolve running in the runner (the
# stalling model keeps its round busy meanwhile).
ok 'wait_idle' "the runner is idle again"
CODECBENCH_LLM_MODEL=stall "$cb" evolve --generations 1 --per-generation 1 --proposer llm \
    --experiment c --store "$S" >"$t/out" 2>"$t/err" &
fg=$!
i=0
while [ $i -lt 600 ] && ! grep -q "driven by the runner" "$t/out"; do sleep 0.1; i=$((i + 1)); done
sleep 1
kill -INT $fg
wait $fg
rc=$?
ok '[ "$rc" = 0 ] && grep -q "the evolve goes on in the runner" "$t/err"' "Ctrl-C: exit 0, says the evolve goes on"
ok '[ "$(st c "d[\"status\"]")" = running ] && [ -n "$(runner_pid)" ]' "it is still running, in the runner"
ok '[ "$(run evolve --stop --experiment c --store "$S")" = 0 ] && [ "$(st c "d[\"status\"], d[\"reason\"]")" = "stopped stopped by request" ]' \
   "--stop ends it"
done_testing

# codecbench propose on a real small store (an engine run of 5 CIF frames as
# the anchor): the errors (no such experiment, no done runs, no anchor), the
# local proposer (deterministic for a seed, its runs queued with parent and
# origin, run to the end, not proposed again), and the LLM proposer against
# tests/llm/server.py: a good reply queued, an invalid recipe refused, a
# reply without JSON, terminal escapes, a refused key, the budget; nothing
# lost from the store on a failure; the key never printed.
. "$CB_SRCDIR/tests/tap.sh"
need_clips
command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed (JSON checks, the test server)"
cb=$CB_BIN
t=$tap_tmp
export XDG_CONFIG_HOME="$t/xdg" XDG_DATA_HOME="$t/data"
for v in $(env | sed -n 's/^\(CODECBENCH_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export CODECBENCH_RUNNER_IDLE_EXIT=1
S=$t/store
clip=$CB_CLIPS/natural.y4m
[ -f "$clip" ] || skip_all "no natural.y4m among the test clips"
srv=
cleanup() {
    [ -n "$srv" ] && { kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; }
    p=$("$cb" runner --status --store "$S" 2>/dev/null)
    case $p in ''|none|*[!0-9]*) ;; *) kill "$p" 2>/dev/null ;; esac
    rm -rf "$tap_tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

run() { "$cb" "$@" >"$t/out" 2>"$t/err"; echo $?; }
field() { "$cb" show "$1" --json --store "$S" | "$PYTHON3" -c "import json,sys; print(json.load(sys.stdin)$2)"; }
nruns() { "$cb" list --json --store "$S" | "$PYTHON3" -c "import json,sys; d=json.load(sys.stdin); print(d['count'])"; }
jq_out() { "$PYTHON3" -c "import json,sys; d=json.load(open('$t/out')); print($1)"; }
wait_done() {
    i=0
    while [ $i -lt 1500 ]; do
        s=$(field "$1" "['status']" 2>/dev/null)
        case $s in done) return 0 ;; failed|cancelled|interrupted) diag "run $1 $s: $(field "$1" "['reason']")"; return 1 ;; esac
        sleep 0.2; i=$((i + 1))
    done
    diag "run $1 still $s"; return 1
}

sed 's/"name": *"[^"]*"/"name": "anchor"/' "$CB_SRCDIR/samples/recipes/fast.json" > "$t/anchor.json"
ok '[ "$(run run "$t/anchor.json" "$clip" --frames 5 --experiment exp --store "$S")" = 0 ]' "the anchor's run is done"
A=$(sed -n 's/^run \([0-9]*\) queued$/\1/p' "$t/err")
ok '[ -n "$A" ]' "its id ($A)"

# Errors, before the anchor is set and with no done runs.
ok '[ "$(run propose --experiment exp --store "$S")" = 1 ] && grep -q "no anchor" "$t/err" && grep -q "codecbench anchor" "$t/err"' \
   "no anchor: exit 1, says how to set one"
ok '[ "$(run anchor exp "$t/anchor.json" --store "$S")" = 0 ]' "anchor set"
ok '[ "$(run propose --experiment nope --store "$S")" = 1 ] && grep -q "no experiment .nope." "$t/err" && grep -q "experiments: exp" "$t/err"' \
   "no such experiment: exit 1, the experiments named"
ok '[ "$(run anchor empty "$t/anchor.json" --store "$S")" = 0 ] && [ "$(run propose --experiment empty --store "$S")" = 1 ] && grep -q "no done runs" "$t/err"' \
   "no done runs: exit 1"
ok '[ "$(run propose --proposer bogus --store "$S")" = 2 ] && grep -q "local or llm" "$t/err"' "--proposer bogus: exit 2"
ok '[ "$(run propose --count 33 --store "$S")" = 2 ]' "--count 33: exit 2"
ok '[ "$(run propose --help)" = 0 ] && grep -q "^Usage: codecbench propose" "$t/out"' "--help"

# The local proposer: the same seed, the same round; nothing queued on a dry run.
before=$(nruns)
ok '[ "$(run propose --experiment exp --count 3 --seed 5 --dry-run --json --store "$S")" = 0 ]' "local dry run: exit 0"
cp "$t/out" "$t/dry1.json"
ok '[ "$(jq_out "len(d[\"proposals\"])")" = 3 ] && [ "$(jq_out "d[\"dry_run\"] and d[\"seed\"] == 5 and d[\"proposer\"] == \"local\"")" = True ]' \
   "local dry run: 3 proposals, seed 5"
ok '[ "$(jq_out "all(p[\"parent\"] == $A and p[\"runs\"] == [] and p[\"changes\"] and \"run $A\" in p[\"rationale\"] for p in d[\"proposals\"])")" = True ]' \
   "each derives from the anchor's run, says so, and changes something"
ok '[ "$(run propose --experiment exp --count 3 --seed 5 --dry-run --json --store "$S")" = 0 ] && cmp -s "$t/out" "$t/dry1.json"' \
   "the same seed and history: the same round"
ok '[ "$(nruns)" = "$before" ]' "a dry run queues nothing"
"$PYTHON3" -c "
import json
d = json.load(open('$t/dry1.json'))
for i, p in enumerate(d['proposals']):
    json.dump(p['recipe'], open('$t/p%d.json' % i, 'w'))
"
ok '[ "$(run recipe check "$t/p0.json" "$t/p1.json" "$t/p2.json")" = 0 ]' "every proposed recipe passes recipe check"

# A queued local round: runs with parent and origin, run to the end.
ok '[ "$(run propose --experiment exp --count 2 --seed 5 --store "$S")" = 0 ]' "local round: exit 0"
ok 'grep -q "2 proposals accepted" "$t/out" && grep -q "queued as run" "$t/out" && grep -q "^   changes: " "$t/out"' \
   "local round: printed with changes and run ids"
ids=$(sed -n 's/.*queued as run \([0-9]*\).*/\1/p' "$t/out")
ok '[ "$(echo $ids | wc -w)" = 2 ]' "two runs queued ($(echo $ids))"
for id in $ids; do
    ok '[ "$(field $id "[\"origin\"]")" = proposer ] && [ "$(field $id "[\"parent\"]")" = "$A" ]' "run $id: origin proposer, parent $A"
done
ok '"$cb" lineage "$A" --store "$S" >"$t/lin" && for id in $ids; do grep -q "$id" "$t/lin" || exit 1; done' "lineage of the anchor lists them"
for id in $ids; do
    ok 'wait_done $id' "run $id ran to the end"
done
ok '[ "$(run propose --experiment exp --count 3 --seed 5 --dry-run --json --store "$S")" = 0 ]' "the next round: exit 0"
ok '"$PYTHON3" -c "
import json
old = [json.dumps(p[\"recipe\"][\"settings\"], sort_keys=True) for p in json.load(open(\"$t/dry1.json\"))[\"proposals\"][:2]]
new = [json.dumps(p[\"recipe\"][\"settings\"], sort_keys=True) for p in json.load(open(\"$t/out\"))[\"proposals\"]]
assert not set(old) & set(new), (old, new)
"' "the next round proposes none of the settings that ran"

# The LLM proposer against the test server.
"$PYTHON3" "$CB_SRCDIR/tests/llm/server.py" --log "$t/requests.jsonl" >"$t/port" 2>"$t/server.err" &
srv=$!
for i in $(seq 1 100); do [ -s "$t/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$t/port")
case $port in ''|*[!0-9]*) fail "the test server did not start"; done_testing; exit 0 ;; esac
secret=sk-test-SECRET-77
export CODECBENCH_LLM_BASE_URL="http://127.0.0.1:$port/v1" CODECBENCH_LLM_KEY_ENV=CB_TEST_PROPOSE_KEY CB_TEST_PROPOSE_KEY=$secret
export CODECBENCH_LLM_RETRIES=0 CODECBENCH_LLM_CONNECT_TIMEOUT=5
nokey() { ! grep -q SECRET "$t/out" "$t/err"; }
last() { tail -n 1 "$t/requests.jsonl" | "$PYTHON3" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
nprops() { ls "$S/proposals" 2>/dev/null | wc -l; }

before=$(nruns); pbefore=$(nprops)
ok '[ "$(CODECBENCH_LLM_MODEL=nojson run propose --proposer llm --experiment exp --store "$S")" = 1 ] && grep -q "llm proposer: the model.s reply: .*no JSON object" "$t/err"' \
   "nojson: exit 1, a clear error"
ok '[ "$(nruns)" = "$before" ] && [ "$(nprops)" = "$pbefore" ] && [ "$(field $A "[\"status\"]")" = done ]' "nojson: nothing queued, nothing lost"
ok '[ "$(CODECBENCH_LLM_MODEL=invalid-recipe run propose --proposer llm --experiment exp --store "$S")" = 1 ] && grep -q "block_size: 12 is not one of 8, 16" "$t/out" && grep -q "no proposal was accepted" "$t/err"' \
   "invalid-recipe: refused with the reason"
ok '[ "$(nruns)" = "$before" ]' "invalid-recipe: nothing queued"
ok '[ "$(CODECBENCH_LLM_MODEL=escapes run propose --proposer llm --experiment exp --dry-run --store "$S")" = 0 ] && grep -q "2 proposals accepted" "$t/out"' \
   "escapes: the JSON found after the escaped prose, both accepted"
ok '! LC_ALL=C grep -q "$(printf "\033")" "$t/out" "$t/err" && ! LC_ALL=C grep -q "$(printf "\007")" "$t/out" "$t/err" && ! LC_ALL=C grep -q "$(printf "\302\233")" "$t/out" "$t/err"' \
   "escapes: no ESC, BEL or CSI reaches the output"
# On a terminal the reply streams to stderr as it comes, sanitised (script(1)
# gives the command a pseudo-terminal); a retry says so.
if command -v script >/dev/null 2>&1; then
    ok 'CODECBENCH_LLM_MODEL=escapes script -qec "$cb propose --proposer llm --experiment exp --dry-run --store $S" "$t/tty" >/dev/null 2>&1 && [ "$(grep -c "the anchor is far from the knee" "$t/tty")" = 2 ]' \
       "a terminal: the reply streamed, then the proposals"
    ok '! LC_ALL=C grep -q "$(printf "\033")" "$t/tty" && ! LC_ALL=C grep -q "$(printf "\007")" "$t/tty" && ! LC_ALL=C grep -q "$(printf "\302\233")" "$t/tty" && grep -q "clear^\[\[2Jclip" "$t/tty"' \
       "a terminal: the streamed escapes shown as text, none sent"
    ok 'CODECBENCH_LLM_RETRIES=1 CODECBENCH_LLM_MODEL=500-once/tty script -qec "$cb propose --proposer llm --experiment exp --dry-run --store $S" "$t/tty" >/dev/null 2>&1 && grep -q "^\[retry 2 in [0-9]* ms: HTTP 500" "$t/tty"' \
       "a terminal: a retry said"
else
    skip "streaming on a terminal" "script(1) is not installed"
fi
ok '[ "$(CODECBENCH_LLM_MODEL=401 run propose --proposer llm --experiment exp --store "$S")" = 1 ] && grep -q "HTTP 401: the key in CB_TEST_PROPOSE_KEY was refused" "$t/err" && nokey' \
   "401: the key's variable named, its value not"
ok '[ "$(CODECBENCH_LLM_MODEL=ok run propose --proposer llm --experiment exp --count 2 --json --store "$S")" = 0 ]' "ok: exit 0"
ok '[ "$(jq_out "[p[\"name\"] for p in d[\"proposals\"]]")" = "['"'"'qp-down'"'"', '"'"'dct'"'"']" ] && [ "$(jq_out "d[\"usage\"][\"prompt_tokens\"]")" = 42 ]' \
   "ok: both proposals accepted, usage reported"
llm_ids=$(jq_out "' '.join(str(r) for p in d['proposals'] for r in p['runs'])")
for id in $llm_ids; do
    ok '[ "$(field $id "[\"origin\"]")" = proposer ] && [ "$(field $id "[\"parent\"]")" -gt 0 ]' "run $id: origin proposer, a parent"
    "$cb" cancel "$id" --store "$S" >/dev/null 2>&1
done
ok '[ "$(nprops)" -ge "$((pbefore + 2))" ]' "ok: the proposals recorded"
ok '[ "$(last "d[\"body\"][\"response_format\"][\"json_schema\"][\"name\"]")" = proposals ]' "ok: the proposals schema sent as response_format"
ok '[ "$(last "\"block_size\" in d[\"body\"][\"messages\"][0][\"content\"]")" = True ] && [ "$(last "\"Anchor: \\\"anchor\\\"\" in d[\"body\"][\"messages\"][1][\"content\"]")" = True ]' \
   "ok: the schema in the system prompt, the anchor in the user prompt"
ok '[ "$(last "d[\"headers\"][\"authorization\"]")" = "Bearer $secret" ] && nokey' "ok: the key sent, never printed"
# Every request so far cost tokens (42 + 17 each): a budget of 100 is spent.
ok '[ "$(CODECBENCH_LLM_BUDGET=100 CODECBENCH_LLM_MODEL=ok run propose --proposer llm --experiment exp --store "$S")" = 1 ] && grep -q "llm.budget reached" "$t/err"' \
   "the budget reached: exit 1, no request"
nreq=$(wc -l < "$t/requests.jsonl")
ok '[ "$(CODECBENCH_LLM_BUDGET=100 CODECBENCH_LLM_MODEL=ok run propose --proposer llm --experiment exp --store "$S")" = 1 ] && [ "$(wc -l < "$t/requests.jsonl")" = "$nreq" ]' \
   "the budget reached: nothing sent"
ok 'grep -q "^\.SS propose" "$CB_SRCDIR/man/codecbench.1" && grep -q "codecbench propose" "$CB_SRCDIR/README.md"' "man page and README document propose"
done_testing

# codecbench propose --stage on a real small store (an engine run of 3 CIF
# frames as the anchor) against tests/llm/server.py: the local proposer
# refused, a whole-file stage reply (name from sha256sum, changes counted by
# diff(1)), the prompt and schema sent (stage.h and the parent's source in
# them), an edit that applies with its whitespace changed, an edit that
# fails, an ambiguous one (its count from the source), escapes in the
# rationale, the share of failed edits per model (hand-worked) in --stats
# and after reindex, a real queue (origin, parent, the stage in the run's
# recipe.json) and the same code refused as a duplicate afterwards.
. "$CB_SRCDIR/tests/tap.sh"
need_clips
command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed (JSON checks, the test server)"
command -v diff >/dev/null 2>&1 || skip_all "diff(1) is needed (the reference line counts)"
command -v sha256sum >/dev/null 2>&1 || skip_all "sha256sum is needed (the reference stage hash)"
cb=$CB_BIN
t=$tap_tmp
export XDG_CONFIG_HOME="$t/xdg" XDG_DATA_HOME="$t/data"
for v in $(env | sed -n 's/^\(CODECBENCH_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export CODECBENCH_RUNNER_IDLE_EXIT=1
S=$t/store
clip=$CB_CLIPS/natural.y4m
[ -f "$clip" ] || skip_all "no natural.y4m among the test clips"
builtin=$CB_SRCDIR/samples/stages/intra.c
[ -f "$builtin" ] || skip_all "no samples/stages/intra.c (the built-in intra stage)"
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
jq_out() { "$PYTHON3" -c "import json,sys; d=json.load(open('$t/out')); print($1)"; }
field() { "$cb" show "$1" --json --store "$S" | "$PYTHON3" -c "import json,sys; print(json.load(sys.stdin)$2)"; }
nruns() { "$cb" list --json --store "$S" | "$PYTHON3" -c "import json,sys; d=json.load(sys.stdin); print(d['count'])"; }

sed 's/"name": *"[^"]*"/"name": "anchor"/' "$CB_SRCDIR/samples/recipes/fast.json" > "$t/anchor.json"
ok '[ "$(run run "$t/anchor.json" "$clip" --frames 3 --experiment exp --store "$S")" = 0 ]' "the anchor's run is done"
A=$(sed -n 's/^run \([0-9]*\) queued$/\1/p' "$t/err")
ok '[ -n "$A" ] && [ "$(run anchor exp "$t/anchor.json" --store "$S")" = 0 ]' "anchor set (run $A)"

# The local proposer writes no code; a kind that does not exist.
ok '[ "$(run propose --stage intra --experiment exp --store "$S")" = 2 ] && grep -q "writes no code" "$t/err"' \
   "--stage with the local proposer: exit 2, says why"
ok '[ "$(run propose --stage chroma --proposer llm --experiment exp --store "$S")" = 2 ] && grep -q "intra, loop_filter or transform" "$t/err"' \
   "--stage chroma: exit 2, the kinds named"
ok '[ "$(run propose --help)" = 0 ] && grep -q -- "--stage KIND" "$t/out" && grep -q -- "--stats" "$t/out" && grep -q "writes no code" "$t/out"' \
   "--help documents --stage and --stats"

"$PYTHON3" "$CB_SRCDIR/tests/llm/server.py" --log "$t/requests.jsonl" >"$t/port" 2>"$t/server.err" &
srv=$!
for i in $(seq 1 100); do [ -s "$t/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$t/port")
case $port in ''|*[!0-9]*) fail "the test server did not start"; done_testing; exit 0 ;; esac
export CODECBENCH_LLM_BASE_URL="http://127.0.0.1:$port/v1" CODECBENCH_LLM_KEY_ENV=CB_TEST_STAGE_KEY CB_TEST_STAGE_KEY=sk-test
export CODECBENCH_LLM_RETRIES=0 CODECBENCH_LLM_CONNECT_TIMEOUT=5
last() { tail -n 1 "$t/requests.jsonl" | "$PYTHON3" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The server's constants, for the expected values.
"$PYTHON3" -c "
import sys
sys.path.insert(0, '$CB_SRCDIR/tests/llm')
import server
open('$t/code.c', 'w').write(server.STAGE_CODE)
" || fail "the test server's module does not import"

# A whole stage file.
before=$(nruns)
ok '[ "$(CODECBENCH_LLM_MODEL=stage-code run propose --proposer llm --stage intra --count 2 --experiment exp --dry-run --json --store "$S")" = 0 ]' \
   "stage-code: exit 0"
ok '[ "$(jq_out "len(d[\"proposals\"])")" = 1 ] && [ "$(jq_out "d[\"proposals\"][0][\"recipe\"][\"stage\"][\"kind\"]")" = intra ]' \
   "stage-code: one intra stage proposed"
jq_out "d['proposals'][0]['recipe']['stage']['code']" | head -c -1 > "$t/got.c"
ok 'cmp -s "$t/got.c" "$t/code.c"' "stage-code: the code as the model wrote it"
hash8=$(sha256sum "$t/code.c" | cut -c1-8)
ok '[ "$(jq_out "d[\"proposals\"][0][\"name\"]")" = "stage-intra-$hash8" ]' "stage-code: named after sha256sum of the code ($hash8)"
plus=$(diff -U0 "$builtin" "$t/code.c" | grep -c '^+[^+]\|^+$')
minus=$(diff -U0 "$builtin" "$t/code.c" | grep -c '^-[^-]\|^-$')
ok '[ "$(jq_out "d[\"proposals\"][0][\"changes\"]")" = "stage intra: +$plus -$minus lines" ]' \
   "stage-code: changes as diff(1) counts them (+$plus -$minus)"
ok '[ "$(jq_out "d[\"proposals\"][0][\"parent\"]")" = "$A" ] && [ "$(nruns)" = "$before" ]' "stage-code: the anchor is the parent; a dry run queues nothing"
ok '[ "$(last "d[\"body\"][\"response_format\"][\"json_schema\"][\"name\"]")" = stage_proposals ]' "the stage schema sent as response_format"
ok '[ "$(last "open(\"$CB_SRCDIR/include/codecbench/stage.h\").read() in d[\"body\"][\"messages\"][0][\"content\"]")" = True ]' \
   "the system prompt holds stage.h whole"
ok '[ "$(last "open(\"$builtin\").read() in d[\"body\"][\"messages\"][1][\"content\"]")" = True ]' \
   "the user prompt holds the parent's (built-in) source whole"
ok '[ "$(CODECBENCH_LLM_MODEL=stage-code run propose --proposer llm --stage intra --experiment exp --dry-run --store "$S")" = 0 ] && grep -q "^   stage intra ([0-9]* bytes):" "$t/out" && grep -q "^   | int cb_stage_intra(const CbStageIntra \*a)" "$t/out"' \
   "text output: the stage's source shown"

# An edit that applies though its whitespace differs.
ok '[ "$(CODECBENCH_LLM_MODEL=stage-edit run propose --proposer llm --stage intra --experiment exp --dry-run --json --store "$S")" = 0 ]' \
   "stage-edit: exit 0"
ok '"$PYTHON3" -c "
import json, sys
sys.path.insert(0, \"$CB_SRCDIR/tests/llm\")
import server
src = open(\"$builtin\").read()
e = server.unique_edit(src)
assert e[\"search\"] not in src, \"the search text must differ from the source\"
line = e[\"replace\"].split(chr(10))[0]
want = src.replace(line, e[\"replace\"], 1)
got = json.load(open(\"$t/out\"))[\"proposals\"][0][\"recipe\"][\"stage\"][\"code\"]
assert got == want, (len(got), len(want))
"' "stage-edit: the source is the parent's with the edit applied"
ok '[ "$(jq_out "d[\"proposals\"][0][\"changes\"]")" = "stage intra: +1 -0 lines" ]' "stage-edit: one line added"

# Edits that fail.
ok '[ "$(CODECBENCH_LLM_MODEL=stage-edit-fail run propose --proposer llm --stage intra --experiment exp --dry-run --store "$S")" = 1 ] && grep -q "proposal 1: edit 1: the search text was not found" "$t/out"' \
   "stage-edit-fail: refused, the reason said"
n_close=$("$PYTHON3" -c "print(open('$builtin').read().count('}'))")
ok '[ "$(CODECBENCH_LLM_MODEL=stage-edit-ambiguous run propose --proposer llm --stage intra --experiment exp --dry-run --store "$S")" = 1 ] && grep -q "proposal 1: edit 1: the search text matches $n_close places" "$t/out"' \
   "stage-edit-ambiguous: refused, $n_close places counted"

# Escapes in the rationale never reach the terminal.
ok '[ "$(CODECBENCH_LLM_MODEL=stage-escapes run propose --proposer llm --stage intra --experiment exp --dry-run --store "$S")" = 0 ] && grep -q "smoother.*prediction" "$t/out"' \
   "stage-escapes: accepted, the rationale shown"
ok '! LC_ALL=C grep -q "$(printf "\033")" "$t/out" "$t/err" && ! LC_ALL=C grep -q "$(printf "\007")" "$t/out" "$t/err" && ! LC_ALL=C grep -q "$(printf "\302\233")" "$t/out" "$t/err"' \
   "stage-escapes: no ESC, BEL or CSI in the output"

# The share of failed edits per model.  stage-mixed: 3 edits a round (one
# applies, two fail); two rounds: 4 of 6 (67 %).  stage-edit: 0 of 1;
# stage-edit-fail: 1 of 1; stage-edit-ambiguous: 1 of 1.
ok '[ "$(CODECBENCH_LLM_MODEL=stage-mixed run propose --proposer llm --stage intra --count 4 --experiment exp --dry-run --json --store "$S")" = 0 ] && [ "$(jq_out "len(d[\"proposals\"]), len(d[\"refused\"])")" = "2 2" ]' \
   "stage-mixed: 2 accepted, 2 refused"
ok '[ "$(CODECBENCH_LLM_MODEL=stage-mixed run propose --proposer llm --stage intra --count 4 --experiment exp --dry-run --store "$S")" = 0 ]' \
   "stage-mixed: a second round"
cat > "$t/stats.want" <<'EOF'
experiment exp: 4 models
edits failed to apply: 1 of 1 (100 %) for stage-edit-ambiguous
edits failed to apply: 1 of 1 (100 %) for stage-edit-fail
edits failed to apply: 0 of 1 (0 %) for stage-edit
edits failed to apply: 4 of 6 (67 %) for stage-mixed
EOF
# the models sorted as the store's ORDER BY sorts them (bytes): compare as sets of lines
ok '[ "$(run propose --stats --experiment exp --store "$S")" = 0 ] && [ "$(sort "$t/out")" = "$(sort "$t/stats.want")" ]' \
   "--stats: the hand-worked counts"
ok '[ "$(run propose --stats --experiment exp --json --store "$S")" = 0 ] && [ "$(jq_out "[(m[\"model\"], m[\"edits_tried\"], m[\"edits_failed\"]) for m in d[\"models\"] if m[\"model\"] == \"stage-mixed\"]")" = "[('"'"'stage-mixed'"'"', 6, 4)]" ]' \
   "--stats --json: stage-mixed 4 of 6"
ok '[ "$(run propose --stats --count 2 --store "$S")" = 2 ]' "--stats with --count: exit 2"
ok '[ "$(run reindex --store "$S")" = 0 ] && [ "$(run propose --stats --experiment exp --store "$S")" = 0 ] && [ "$(sort "$t/out")" = "$(sort "$t/stats.want")" ]' \
   "reindex keeps the counts"

# A real queue: origin, parent, the stage in the run's recipe; then the same
# code is a duplicate.
ok '[ "$(CODECBENCH_LLM_MODEL=stage-code run propose --proposer llm --stage intra --experiment exp --json --store "$S")" = 0 ]' \
   "stage-code queued: exit 0"
sid=$(jq_out "d['proposals'][0]['runs'][0]")
ok '[ -n "$sid" ] && [ "$(field "$sid" "[\"origin\"]")" = proposer ] && [ "$(field "$sid" "[\"parent\"]")" = "$A" ]' \
   "run $sid: origin proposer, parent $A"
"$cb" cancel "$sid" --store "$S" >/dev/null 2>&1
rdir=$S/runs/$(printf %06d "$sid")
ok '"$PYTHON3" -c "
import json
r = json.load(open(\"$rdir/recipe.json\"))
assert r[\"stage\"][\"kind\"] == \"intra\"
assert r[\"stage\"][\"code\"] == open(\"$t/code.c\").read()
assert r[\"settings\"][\"preset\"] == \"fast\"
"' "run $sid: recipe.json holds the anchor's settings and the stage"
# (the runner may have finished the run before the cancel: then it is the
# parent, and the same code is refused as the parent's own)
ok '[ "$(CODECBENCH_LLM_MODEL=stage-code run propose --proposer llm --stage intra --experiment exp --store "$S")" = 1 ] && grep -q "a duplicate\|the code is the parent.s, unchanged" "$t/out" && [ "$(nruns)" = 2 ]' \
   "the same code again: refused, nothing queued"
# evolve --stage: refused with the local proposer; one generation of the
# LLM's intra stages, its state keeping the kind, its edits counted.  The
# round process gets the runner's environment: the runner of the queue
# above (another model) is let go first (it exits when idle).
ok '[ "$(run evolve --stage intra --generations 1 --experiment exp --store "$S")" = 2 ] && grep -q "writes no code" "$t/err"' \
   "evolve --stage with the local proposer: exit 2"
for i in $(seq 1 300); do
    case $("$cb" runner --status --store "$S" 2>/dev/null) in ''|none) break ;; esac
    sleep 0.1
done
ok '[ "$(CODECBENCH_LLM_MODEL=stage-edit/evolve run evolve --proposer llm --stage intra --generations 1 --per-generation 1 --experiment exp --store "$S")" = 0 ]' \
   "evolve --stage intra: one generation to the end"
ok '[ "$(run evolve --status --json --experiment exp --store "$S")" = 0 ] && [ "$(jq_out "d[\"stage\"], d[\"gens\"][0][\"proposals\"][0][\"name\"].startswith(\"stage-intra-\"), d[\"gens\"][0][\"proposals\"][0][\"changes\"]")" = "intra True stage intra: +1 -0 lines" ]' \
   "evolve --status: the kind kept, the generation's stage proposal"
ok '[ "$(run propose --stats --experiment exp --store "$S")" = 0 ] && grep -q "^edits failed to apply: 0 of 1 (0 %) for stage-edit/evolve$" "$t/out"' \
   "the evolve round's edits counted for its model"
ok 'grep -q "^\.SS propose .*stage .*KIND" "$CB_SRCDIR/man/codecbench.1" && grep -q -- "--stage" "$CB_SRCDIR/README.md" && grep -q "edits failed to apply" "$CB_SRCDIR/man/codecbench.1"' \
   "man page and README document --stage and --stats"
done_testing

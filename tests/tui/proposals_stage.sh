# The proposal pane's stage mode (issue 8), in tmux: c switches what the
# LLM writes (recipes, intra, loop_filter, transform stages, recipes), the
# header says it; asking the local proposer for stages is an error that
# says what to press; an intra round from tests/llm/server.py (model
# stage-mixed: an edit that applies, one not found, one ambiguous, a whole
# file) lists the two accepted stage proposals with their line counts and
# the two refused with their reasons, and the header's second line gives
# the model's share of failed edits (2 of 3, hand-worked), as `propose
# --stats` does from the store; A then starts an evolve of intra stages.
. "$CB_SRCDIR/tests/tui/lib.sh"
need_tmux
need_ffmpeg
need_clips
command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed (the LLM test server)"

if ! make_store "$TUI_STORE"; then
    fail "a store of three real runs"
    done_testing
fi
"$CB_BIN" anchor default "$tap_tmp/recipes/charlie.json" --store "$TUI_STORE" >/dev/null 2>&1
pass "a store of three real runs, charlie the anchor"

"$PYTHON3" "$CB_SRCDIR/tests/llm/server.py" --log "$tap_tmp/requests.jsonl" >"$tap_tmp/port" \
    2>"$tap_tmp/server.err" &
server=$!
trap 'kill $server 2>/dev/null; tui_cleanup' EXIT
for i in $(seq 1 100); do [ -s "$tap_tmp/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$tap_tmp/port")
case $port in ''|*[!0-9]*) fail "the test server did not start"; done_testing; exit 0 ;; esac

# The local proposer first (the default): stages are refused with the way out.
tui_start --size 140x45 --env "CODECBENCH_LLM_BASE_URL=http://127.0.0.1:$port/v1" \
    --env CODECBENCH_LLM_MODEL=stage-mixed --env CODECBENCH_LLM_RETRIES=0
expect charlie "the dashboard lists the runs" 15
cursor_to alpha >/dev/null
keys L
expect "Enter accepts" "L opens the pane with the local proposer's round" 15
keys c
expect "intra stages" "c: the header says intra stages" 5
keys L
expect "writes no code" "the local proposer asked for stages: an error saying why" 10
ok 'screen | grep -q "p switches to the LLM"' "and what to press"
keys c c c
expect "the LLM proposes recipes" "c three more times: back to recipes" 5
ok '! screen | grep -q "K 4  intra stages"' "the header no longer names a stage kind"

# The LLM writing intra stages.
keys p c
expect "intra stages" "p and c: the LLM, intra stages" 5
nreq=$(cat "$tap_tmp/requests.jsonl" 2>/dev/null | wc -l)
keys L
expect "2 proposals (Enter accepts" "the stage round lists the two accepted proposals" 30
ok 'screen | grep -qE "stage intra: \+1 -0 lines"' "the edited stage: one line added"
ok 'screen | grep -qE "stage intra: \+[0-9]+ -[0-9]+ lines"' "the whole file: its line counts"
ok 'screen | grep -q "edit 1: the search text was not found"' "the edit not found: refused with the reason"
ok 'screen | grep -qE "edit 1: the search text matches [0-9]+ places"' "the ambiguous edit: refused with the count"
ok 'screen | grep -q "^ edits failed to apply: 2 of 3 (67 %) for stage-mixed"' \
   "the header: 2 of the 3 edits failed to apply (hand-worked)"
ok '[ "$(tail -n 1 "$tap_tmp/requests.jsonl" | "$PYTHON3" -c "import json,sys; d=json.load(sys.stdin); print(d[\"body\"][\"response_format\"][\"json_schema\"][\"name\"], \"codecbench/stage.h\" in d[\"body\"][\"messages\"][0][\"content\"])")" = "stage_proposals True" ]' \
   "the request: the stage schema, stage.h in the system prompt"
ok '[ "$(wc -l < "$tap_tmp/requests.jsonl")" = "$((nreq + 1))" ]' "one request sent"
ok '"$CB_BIN" propose --stats --experiment default --store "$TUI_STORE" 2>/dev/null | grep -q "^edits failed to apply: 2 of 3 (67 %) for stage-mixed$"' \
   "the store has the same counts (propose --stats)"
# A: an evolve of intra stages (the state says so), then stopped (its
# round may add to the counts above).
evo() {
    "$CB_BIN" evolve --status --json --experiment default --store "$TUI_STORE" 2>/dev/null |
        "$PYTHON3" -c "import json, sys; d = json.load(sys.stdin); print(d.get('status', ''), d.get('stage', 'none'))" 2>/dev/null
}
keys A
expect "generations of K proposals" "A asks how many generations" 5
keys BSpace BSpace 1 Enter
expect "auto-evolve: running" "A starts the evolve" 15
ok '[ "$(evo)" = "running intra" ]' "the evolve writes intra stages (its state)"
keys A
expect "stopped by request" "A again stops it" 15
tui_stop
done_testing

# The proposal pane and the lineage view end to end, in tmux (issue 7): the
# local proposer's proposals listed with their rationale and fields
# changed, Enter queues one (in the runs view, parent and origin in the
# store), x rejects one (recorded, gone from the list); an LLM's reply
# streamed from tests/llm/server.py (model ok), hostile bytes in a reply
# (model escapes: title and screen intact), a reply without JSON (an
# error, the pane still usable), a key handled while a stream is stalled,
# the lineage view showing the accepted run under its parent with its
# BD-rate against it, and A starting and stopping the experiment's evolve.
. "$CB_SRCDIR/tests/tui/lib.sh"
need_tmux
need_ffmpeg
need_clips

if ! make_store "$TUI_STORE"; then
    fail "a store of three real runs"
    done_testing
fi
"$CB_BIN" anchor default "$tap_tmp/recipes/charlie.json" --store "$TUI_STORE" >/dev/null 2>&1
pass "a store of three real runs, charlie the anchor"

# ---- the local proposer ------------------------------------------------------------------------
tui_start --size 140x45
expect charlie "the dashboard lists the runs" 15
cursor_to alpha >/dev/null
keys L
expect "Enter accepts" "L opens the proposal pane with the local proposer's round" 15
ok 'screen | grep -q "^ experiment default  proposer local  K 4"' "the header names the experiment, the proposer and K"
ok 'screen | grep -qE "^ 1\. .*parent run [12]"' "the first proposal names its parent run"
ok 'screen | grep -qE "a step from run [12]"' "its rationale is shown"
ok 'screen | grep -qE "^    [a-z_]+: [^ ]+ -> [^ ]+"' "the fields it changes are shown (field: old -> new)"
first=$(screen | sed -n 's/^ 1\. \([^ ]*\)  parent run \([0-9]*\).*/\1 \2/p' | head -n 1)
name1=${first% *} parent1=${first#* }
second=$(screen | sed -n 's/^ 2\. \([^ ]*\)  parent run.*/\1/p' | head -n 1)
keys Enter
expect "queued $name1 as run 4" "Enter queues the proposal under the cursor as run 4" 10
ok '[ "$(run_field 4 parent)" = "$parent1" ]' "run 4's parent in the store is the run shown ($parent1)"
ok '[ "$(run_field 4 origin)" = proposer ]' "run 4's origin is proposer"
ok 'screen | grep -E "^ 1\. " | grep -q "queued as run 4"' "the proposal says it was queued"
keys j
keys x
expect "rejected $second" "x rejects the proposal under the cursor" 10
ok '! screen | grep -qE "^ [0-9]+\. $second "' "the rejected proposal is gone from the list"
ok '"$CB_BIN" propose --dry-run --json --proposer local --store "$TUI_STORE" 2>/dev/null | "$PYTHON3" -c "
import json, sys
d = json.load(sys.stdin)
sys.exit(1 if any(p[\"name\"] == \"$second\" for p in d[\"proposals\"]) else 0)"' \
   "the rejected recipe is not proposed again"
keys Escape
expect "$name1" "the queued run is in the runs view" 10

# ---- the lineage view ---------------------------------------------------------------------------
if TUI_STORE=$TUI_STORE wait_status 4 done 300; then
    pass "the accepted proposal ran (run 4 done)"
else
    fail "the accepted proposal ran (run 4 done)"
fi
cursor_to "$name1" >/dev/null
keys T
expect "fields changed" "T opens the lineage view" 10
wait_for "#4 " 10 >/dev/null
pl=$(line_of "#$parent1 ") cl=$(line_of "#4 ")
ok '[ "$pl" -ge 0 ] && [ "$cl" -gt "$pl" ]' "run 4 comes after its parent run $parent1 (lines $pl, $cl)"
ok 'screen | grep -F "#4 " | grep -qE "(├─|└─) #4 "' "run 4 hangs from the tree with line-drawing characters"
ok 'screen | grep -F "#4 " | grep -qE "[-+][0-9]+\.[0-9]+%"' "run 4 shows its BD-rate against its parent"
ok 'screen | grep -F "#4 " | grep -qE "[a-z_]+: [^ ]+ -> "' "and the fields it changed"
ok 'screen | grep -F "#$parent1 " | grep -q root' "the parent is a root"
keys Escape
tui_stop

# ---- auto-evolve (A) --------------------------------------------------------------------------------
evo_status() {
    "$CB_BIN" evolve --status --json --experiment default --store "$TUI_STORE" 2>/dev/null |
        "$PYTHON3" -c "import json, sys; print(json.load(sys.stdin).get('status', ''))" 2>/dev/null
}
tui_start --size 140x45
expect charlie "the dashboard lists the runs" 15
keys L
expect "auto-evolve: off" "the pane says the experiment has no evolve" 15
keys A
expect "generations of K proposals" "A asks how many generations" 5
keys BSpace BSpace 1 Enter
expect "auto-evolve: running" "A starts the evolve (codecbench evolve --detach)" 15
ok '[ "$(evo_status)" = running ]' "the store's evolve state is running"
keys A
expect "stopped by request" "A again stops it" 15
ok '[ "$(evo_status)" = stopped ]' "the store's evolve state is stopped"
tui_stop

# ---- the LLM proposer, against the test server ----------------------------------------------------
if ! command -v "$PYTHON3" >/dev/null 2>&1; then
    skip "the LLM proposer in the pane" "python3 is not installed: no LLM test server"
    done_testing
    exit 0
fi
"$PYTHON3" "$CB_SRCDIR/tests/llm/server.py" --log "$tap_tmp/requests.jsonl" >"$tap_tmp/port" \
    2>"$tap_tmp/server.err" &
server=$!
trap 'kill $server 2>/dev/null; tui_cleanup' EXIT
for i in $(seq 1 100); do [ -s "$tap_tmp/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$tap_tmp/port")
case $port in ''|*[!0-9]*) fail "the test server did not start"; done_testing; exit 0 ;; esac

llm_start() {
    tui_start --size 140x45 --env "CODECBENCH_LLM_BASE_URL=http://127.0.0.1:$port/v1" \
        --env "CODECBENCH_LLM_MODEL=$1" --env "CODECBENCH_LLM_RETRIES=${2:-0}" \
        --env CODECBENCH_PROPOSER=llm
    wait_for charlie 15 >/dev/null
    cursor_to alpha >/dev/null
}

llm_start ok
title0=$(pane_var pane_title)
keys L
expect "2 proposals (Enter accepts" "the LLM's proposals are listed (model ok)" 20
ok 'screen | grep -q "^    Lower QPs by one step"' "with their rationale"
ok 'screen | grep -q "proposer llm"' "the header names the LLM proposer"
ok 'screen | grep -qF "\"transform\": \"dct\""' "the reply is shown (its last lines)"
ok 'screen | grep -qE "tokens used [1-9][0-9]* in 1 request"' "the tokens used are shown"
replied() { screen | sed -n 's/^ reply (\([0-9]*\) bytes.*/\1/p' | head -n 1; }
okbytes=$(replied)
keys P
expect 'Experiment "default"' "P shows the request sent" 5
tui_stop

llm_start cut-once/tui 1
keys L
expect "2 proposals (Enter accepts" "after a stream cut mid-reply the retried request gives the proposals" 30
ok 'screen | grep -q "retry 2 in [0-9]* ms"' "the retry is said"
ok '[ -n "$okbytes" ] && [ "$(replied)" = "$okbytes" ]' \
   "the text streamed before the cut was dropped (the reply shown is one reply: $(replied) bytes, $okbytes before)"
tui_stop

llm_start escapes
keys L
expect "2 proposals (Enter accepts" "a reply with terminal escapes still gives its proposals" 20
ok '[ "$(pane_var pane_title)" = "$title0" ]' "the OSC in the reply did not change the title"
ok 'screen | head -n 1 | grep -q "codecbench | Proposals"' "the screen was not cleared (title bar intact)"
ok 'screen | grep -F "clear" | grep -qF "^["' "the ESC of the reply is shown as ^["
tui_stop

llm_start nojson
keys L
expect "no JSON object" "a reply without JSON is shown as an error" 20
keys p
keys L
expect "Enter accepts" "the pane still works (p, then L: the local proposer's round)" 15
tui_stop

llm_start 401
keys L
expect "HTTP 401" "an endpoint refusing the request is shown as an error" 20
tui_stop

# the ok round above used tokens: a budget of 1 is spent
tui_start --size 140x45 --env "CODECBENCH_LLM_BASE_URL=http://127.0.0.1:$port/v1" \
    --env CODECBENCH_LLM_MODEL=ok --env CODECBENCH_LLM_BUDGET=1 --env CODECBENCH_PROPOSER=llm
wait_for charlie 15 >/dev/null
nreq=$(wc -l < "$tap_tmp/requests.jsonl")
keys L
expect "llm.budget reached" "a spent budget is shown as an error" 15
ok '[ "$(wc -l < "$tap_tmp/requests.jsonl")" = "$nreq" ]' "and no request is sent"
tui_stop

llm_start stall
keys L
expect "reply (streaming" "a stalled stream is open" 20
expect '"proposals"' "the text streamed before the stall is shown" 5
keys +
expect "5 proposals per round" "a key is handled while the stream is stalled" 5
keys q
expect "dashboard exited" "q quits while the stream is stalled" 5

done_testing

# The proposal pane's stage mode (issue 8), in tmux: c switches what the
# LLM writes (recipes, intra, loop_filter, transform stages, recipes), the
# header says it; asking the local proposer for stages is an error that
# says what to press; an intra round from tests/llm/server.py (model
# stage-mixed: an edit that applies, one not found, one ambiguous, a whole
# file) lists the two accepted stage proposals with their line counts and
# the two refused with their reasons, and the header's second line gives
# the model's share of failed edits (2 of 3, hand-worked), as `propose
# --stats` does from the store; S on a stage proposal opens its code in the
# stage view before it is queued (numbered lines, d its diff against the
# built-in intra since the parent run has no stage, y the parent run's
# stage, Esc back to the pane with the same proposal selected), S on
# another shows its own code, and nothing is queued by reading; A then
# starts an evolve of intra stages.  Last, a model whose code holds escape
# sequences in a comment: S shows them as ^[ and ^G, the screen and the
# terminal's title intact.  Viewing runs no stage code: no stage host is
# needed, so the sanitizer build runs this too.
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

# S: a proposal's stage before it is queued.  The edit (proposal 1) adds
# "    (void)0;" to the parent's source: the built-in intra, its parent run
# having no stage.
nruns() { "$CB_BIN" list --json --store "$TUI_STORE" 2>/dev/null |
    "$PYTHON3" -c "import json, sys; d = json.load(sys.stdin); print(len(d.get('runs', d) if isinstance(d, dict) else d))" 2>/dev/null; }
# The status line shows the view's key hint once the last message (6 s)
# has gone.
status_has() {
    i=0
    while [ $i -lt 150 ]; do
        screen | tail -n 1 | grep -qF -- "$1" && return 0
        tick; i=$((i + 1))
    done
    diag "the status line: $(screen | tail -n 1)"
    return 1
}
runs_before=$(nruns)
builtin="$CB_SRCDIR/samples/stages/intra.c"
edit_lines=$(($(wc -l < "$builtin") + 1))
include_at=$(grep -n '^#include "codecbench/stage.h"' "$builtin" | head -n 1 | cut -d: -f1)
ok 'cursor_line | grep -q "^ *1\. stage-intra-"' "the cursor is on proposal 1 (the edit)"
sel1=$(cursor_line | sed 's/[[:space:]]*$//')
keys S
expect "proposal 1 (not queued): intra stage, $edit_lines lines" \
    "S opens the stage view on proposal 1's code, not queued (the built-in's lines + 1)" 10
ok 'screen | grep -qE "^ +$include_at #include \"codecbench/stage.h\""' "its lines are numbered (the #include is the built-in's line $include_at)"
ok 'screen | sed -n 1p | grep -q "Stage"' "the title bar names the stage view"
ok 'status_has "d diff"' "the status line has the stage view's keys"
keys / C-u
type_text "(void)0"
keys Enter
expect "    (void)0;" "/ finds the line the edit added (tests/llm/server.py's replace text)" 5
ok 'screen | grep -qE "^ +[0-9]+ +\(void\)0;"' "numbered like the others"
keys d
expect "proposal 1 (not queued): intra +1 -0 in 1 hunk against the built-in intra (parent run" \
    "d: the diff against the built-in intra, one line added (the parent run has no intra stage)" 10
ok 'screen | grep -qF -- "--- built-in intra (parent run"' "its --- line names the base"
ok 'screen | grep -qF "+++ proposal 1 (not queued)"' "its +++ line names the proposal"
ok 'screen | grep -qE "^\+ +\(void\)0;"' "the added line: +    (void)0;"
ok 'screen | grep -qE "^@@ -[0-9]+,[0-9]+ \+[0-9]+,[0-9]+ @@"' "a hunk header"
keys y
expect "the parent of proposal 1 (not queued)" "y goes to the parent run's stage" 10
ok 'screen | grep -qE "run [0-9]+ has no stage: its recipe carries none"' "which has none (an engine run without a stage)"
keys Escape
expect "2 proposals (Enter accepts" "Esc: back to the pane, its round kept" 10
ok '[ "$(cursor_line | sed "s/[[:space:]]*\$//")" = "$sel1" ]' "the same proposal selected"
ok 'status_has "S stage"' "the pane's key hint names S (from the bindings)"
keys j
wait_quiet
ok 'cursor_line | grep -q "^ *2\. stage-intra-"' "j: proposal 2 (the whole file)"
sel2=$(cursor_line | sed 's/[[:space:]]*$//')
keys S
code_lines=$("$PYTHON3" -c 'import sys; sys.path.insert(0, sys.argv[1]); import server; print(server.STAGE_CODE.count(chr(10)))' "$CB_SRCDIR/tests/llm")
expect "proposal 2 (not queued): intra stage, $code_lines lines" \
    "S on proposal 2: its own code ($code_lines lines, tests/llm/server.py's STAGE_CODE)" 10
ok 'screen | grep -qE "^ +3 /\* Every mode predicts the rounded mean of the n samples above and the n to"' \
    "a line of the server's STAGE_CODE, numbered 3"
keys d
expect "proposal 2 (not queued): intra +" "d: its diff against the built-in intra" 10
# (C-u clears the prompt: it opens with the last pattern)
keys / C-u
type_text "Every mode"
keys Enter
expect "+/* Every mode predicts the rounded mean" "the diff adds the server's lines (/ finds one)" 10
ok 'screen | grep -qE "^-"' "and removes the built-in's"
keys Escape
expect "2 proposals (Enter accepts" "Esc: back to the pane" 10
ok '[ "$(cursor_line | sed "s/[[:space:]]*\$//")" = "$sel2" ]' "proposal 2 still selected"
ok '[ -n "$runs_before" ] && [ "$(nruns)" = "$runs_before" ]' "nothing was queued by reading the stages (codecbench list: $runs_before runs)"
ok '! screen | grep -q "queued as run"' "no proposal says it was queued"

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

# Hostile code: escape sequences in a comment of the proposed stage.
tui_start --size 140x45 --env "CODECBENCH_LLM_BASE_URL=http://127.0.0.1:$port/v1" \
    --env CODECBENCH_LLM_MODEL=stage-code-escapes --env CODECBENCH_LLM_RETRIES=0
expect charlie "the dashboard again, model stage-code-escapes" 15
cursor_to alpha >/dev/null
keys L
expect "Enter accepts" "L: the pane (the local proposer's round)" 15
keys p c L
expect "1 proposal (Enter accepts" "the LLM's intra round: one proposal" 30
runs_before=$(nruns)
keys S
expect "proposal 1 (not queued): intra stage" "S opens its code" 10
ok 'screen | grep -qE "^ +2 /\* tuned: \^\[\[2J\^\[\]0;owned\^G done \*/"' \
    "the escape sequences in its comment show as ^[ and ^G (line 2)"
ok '[ "$(pane_var pane_title)" != owned ]' "the terminal's title was not set by the code"
ok 'screen | sed -n 1p | grep -q "Stage"' "the title bar is intact"
ok 'screen | grep -qE "^ +1 #include"' "the lines above it are intact (no clear screen)"
ok 'status_has "d diff"' "the status line is intact (its key hint)"
keys d
expect "+/* tuned: ^[[2J^[]0;owned^G done */" "the diff shows the added comment sanitised too" 10
keys Escape
expect "1 proposal (Enter accepts" "Esc: back to the pane" 10
ok '[ -n "$runs_before" ] && [ "$(nruns)" = "$runs_before" ]' "nothing was queued"
tui_stop
done_testing

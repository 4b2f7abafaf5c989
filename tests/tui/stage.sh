# A run's stage in the dashboard, in tmux (issue 8): real stage runs (a
# plain parent, a child with samples/stages/intra_smooth.c, a grandchild
# whose code adds a comment holding escape sequences and a line); the run
# view's stage section (kind, hash, the judging steps, the step a failed run
# stopped at); S opens the source with line numbers; the escapes show as
# ^[ and ^G, the title bar, the status line and the terminal's title stay
# intact; d toggles the diff against the parent's stage, coloured, its
# counts in the header; / searches; the lineage view shows the code change
# ("intra +2 -0") beside the BD-rate, and S there opens the stage; under
# NO_COLOR the diff stays readable by its +/- column.  Stage runs need the
# sandbox, which a sanitizer build cannot run: skipped there.
. "$CB_SRCDIR/tests/tui/lib.sh"
need_tmux
need_ffmpeg
if [ "${CB_SANITIZERS:-no}" = yes ]; then
    skip_all "stage runs need stage hosts under seccomp, which a sanitizer build cannot run"
fi
# Host limits: one answer is one CIF frame (about 0.1 s here); generous for slow machines.
export CODECBENCH_STAGE_TIMEOUT=60
export CODECBENCH_STAGE_CPU_LIMIT=30

SAMPLES="$CB_SRCDIR/samples/stages"
CLIP="$tap_tmp/cif.y4m"
"$FFMPEG" -v error -f lavfi -i testsrc2=size=352x288:rate=25 -frames:v 4 -pix_fmt yuv420p "$CLIP"
cat > "$tap_tmp/plain.json" <<'EOF'
{ "name": "plain", "codec": "engine",
  "settings": { "preset": "fast", "transform": "dct", "restoration": false, "gop": 4,
                "qps": [22, 27, 32, 37] } }
EOF
"$PYTHON3" - "$SAMPLES/intra_smooth.c" "$tap_tmp/smooth2.c" <<'EOF'
import sys
src = open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")
# An escape sequence that would clear the screen and one that would set the
# terminal's title, in a comment: hostile text the view must neutralise.
src.insert(src.index('#include "codecbench/stage.h"') + 1, "/* tuned: \x1b[2J\x1b]0;owned\x07 done */")
src.append("/* the end */")
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(src) + "\n")
EOF
sed 's/"plain"/"smooth"/' "$tap_tmp/plain.json" > "$tap_tmp/smooth-base.json"
sed 's/"plain"/"smooth2"/' "$tap_tmp/plain.json" > "$tap_tmp/smooth2-base.json"
"$CB_BIN" stage embed "$tap_tmp/smooth-base.json" "$SAMPLES/intra_smooth.c" > "$tap_tmp/smooth.json"
"$CB_BIN" stage embed "$tap_tmp/smooth2-base.json" "$tap_tmp/smooth2.c" > "$tap_tmp/smooth2.json"
queue() { "$CB_BIN" run "$@" "$CLIP" --frames 4 --detach 2>>"$tap_tmp/queue.err"; }
P=$(queue "$tap_tmp/plain.json")
G=$(queue "$tap_tmp/smooth.json" --parent "$P")
# A stage that does not compile (its error on line 7): a run failed at the build.
sed 's/"plain"/"broken"/' "$tap_tmp/plain.json" > "$tap_tmp/broken-base.json"
"$CB_BIN" stage embed "$tap_tmp/broken-base.json" "$CB_SRCDIR/tests/stage/runs/broken.c" \
    --kind intra > "$tap_tmp/broken.json"
B=$(queue "$tap_tmp/broken.json")
# The grandchild last: the runs view lists it last (G reaches it without colour).
H=$(queue "$tap_tmp/smooth2.json" --parent "$G")
made=1
for id in $P $G; do wait_status "$id" done 600 || made=0; done
wait_status "$B" failed 600 || made=0
# The grandchild's code changes only a comment: its frames equal its
# parent's, so it is rejected as a no-op (a failed stage run to look at).
wait_status "$H" failed 600 || made=0
if [ "$made" = 1 ]; then
    pass "four real runs: plain $P, smooth $G (done), smooth2 $H, broken $B (failed)"
else
    fail "four real runs: plain $P, smooth $G (done), smooth2 $H, broken $B (failed)" "$(cat "$tap_tmp/queue.err")"
    done_testing
fi
hashG=$(sha256sum < "$SAMPLES/intra_smooth.c" | cut -c1-16)
hashH=$(sha256sum < "$tap_tmp/smooth2.c" | cut -c1-16)
linesH=$(wc -l < "$tap_tmp/smooth2.c")

# ---- the run view's stage section -----------------------------------------------------
tui_start --size 120x40
expect smooth2 "the dashboard lists the runs" 15
cursor_to smooth2 >/dev/null
keys Enter
expect "Stage (S to read it)" "the run view of a stage run has a stage section" 10
ok 'screen | grep -qE "^kind +intra "' "its kind: intra"
ok 'screen | grep -qE "^source +sha256 $hashH, $linesH lines"' "its hash (sha256sum's first 16 digits) and lines"
ok 'screen | grep -qE "^judging +build passed, round_trip passed"' "its judging steps from the run's events"
ok 'screen | grep -qE "^failed at +[a-z_]+"' "the step the failed run stopped at"

# ---- the source --------------------------------------------------------------------------
keys S
expect "run $H: intra stage, $linesH lines" "S opens the stage source" 10
ok 'screen | grep -qE "^ +1 /\*"' "lines are numbered"
ok 'screen | grep -qF "/* tuned: ^[[2J^[]0;owned^G done */"' "escape sequences in a comment show as ^[ and ^G"
ok '[ "$(pane_var pane_title)" != owned ]' "the terminal's title was not set by the source"
ok 'screen | sed -n 1p | grep -q "Stage"' "the title bar is intact"
ok 'screen | tail -n 1 | grep -q "diff"' "the status line is intact (its key hint)"
keys G
expect "/* the end */" "G shows the last line" 5
keys g
expect "run $H: intra stage" "g goes back to the top" 5
keys /
type_text "the end */"
keys Enter
wait_quiet
ok 'screen | grep -qF "/* the end */"' "/ finds a line below the screen and shows it"

# ---- the diff against the parent's stage -----------------------------------------------------
keys d
expect "--- parent run $G (intra)" "d shows the diff against the parent run's stage" 10
ok 'screen | grep -qF "+++ run $H"' "the diff names this run"
ok 'screen | grep -qF "intra +2 -0 in 2 hunks against the parent run $G (intra)"' "its counts in the header"
ok 'screen | grep -qE "^@@ -[0-9]+,[0-9]+ \+[0-9]+,[0-9]+ @@"' "hunk headers"
ok 'screen | grep -qF "+/* tuned: ^[[2J^[]0;owned^G done */"' "the added line, sanitised"
# Colour: the added line is drawn in a colour, a context line is not.
added=$(screen -e | grep -F "+/* tuned:" | head -n 1)
context=$(screen -e | grep -E "^ #include" | head -n 1)
ok 'printf "%s" "$added" | grep -q "$(printf "\033")\[[0-9;]*3[0-9]" && ! printf "%s" "$context" | grep -q "$(printf "\033")\[[0-9;]*3[0-9]"' \
    "added lines are coloured, context lines are not"
keys d
expect "run $H: intra stage, $linesH lines" "d again shows the source" 10
keys y
expect "run $G: intra stage" "y shows the parent run's stage" 10
keys d
expect "--- built-in intra (parent run $P has no intra stage)" "its diff is against the built-in intra (the parent has no stage)" 10
tui_stop

# ---- lineage ---------------------------------------------------------------------------------------
tui_start --size 140x40
expect smooth2 "the dashboard again" 15
cursor_to broken >/dev/null
keys Enter
expect "Stage (S to read it)" "the run view of a stage run that did not compile" 10
ok 'screen | grep -qE "^failed at +build"' "it failed at the build"
ok 'screen | grep -qE "^build +stage.c:7:[0-9]+: error: .not_declared_anywhere. undeclared"' \
    "the build's first error line (stage-build.txt), at stage.c:7"
keys Escape
wait_quiet
cursor_to smooth2 >/dev/null
keys T
expect "code and fields changed" "T opens the lineage view" 10
wait_quiet
ok 'screen | grep -F "#$H " | grep -qF "intra +2 -0"' "the grandchild's code change against its parent: intra +2 -0"
ok 'screen | grep -F "#$G " | grep -qE "intra \+[0-9]+ -[0-9]+ vs built-in"' "the child's against the built-in intra"
ok 'screen | grep -F "#$G " | grep -qE "[-+][0-9]+\.[0-9]+%"' "beside its BD-rate against its parent"
cursor_to "#$G " >/dev/null
keys S
expect "run $G: intra stage" "S in the lineage opens the stage of the run under the cursor" 10
tui_stop

# ---- NO_COLOR ------------------------------------------------------------------------------------------
tui_start --size 120x40 --env NO_COLOR=1
expect smooth2 "the dashboard without colour" 15
wait_quiet
keys G Enter  # the last run: smooth2 (the cursor colour is off without colour)
expect "Stage (S to read it)" "the stage section" 10
keys S
expect "run $H: intra stage" "the source" 10
keys d
expect "+/* tuned: ^[[2J^[]0;owned^G done */" "NO_COLOR: the diff is readable by its +/- column" 10
ok '! screen -e | grep -F "+/* tuned:" | grep -q "$(printf "\033")\[[0-9;]*3[0-9]"' "NO_COLOR: no foreground colour on the added line"
tui_stop
done_testing

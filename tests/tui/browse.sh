# The dashboard end to end, browsing a real store in tmux: the runs list,
# the cursor, the run detail with its rate points, sorting, filtering (and
# a bad query), help, charts, logs, a resize below the minimum and back,
# quitting (and SIGTERM, Ctrl-C, SIGHUP) with the terminal restored, and
# Ctrl-Z suspending and resuming.
. "$CB_SRCDIR/tests/tui/lib.sh"
need_tmux
need_ffmpeg
need_clips

names="alpha bravo charlie"
if ! make_store "$TUI_STORE"; then
    fail "a store of three real runs"
    done_testing
fi
pass "a store of three real runs (alpha, bravo, charlie) done"

# ---- the runs list ------------------------------------------------------------
tui_start --size 120x40
expect alpha "the runs view lists the runs (alpha)" 15
ok 'screen | grep -qF bravo && screen | grep -qF charlie' "every run of the store is listed"
ok '[ "$(pane_var alternate_on)" = 1 ]' "the dashboard draws on the alternate screen"
ok '[ "$(line_of "cbtest: shell before")" = -1 ]' "the shell's screen is hidden while the dashboard runs"

# ---- the cursor -----------------------------------------------------------------
wait_quiet
c0=$(cursor_name $names)
ok '[ -n "$c0" ]' "the cursor is on a run at start (found: '$c0')"
keys j
i=0
while [ $i -lt 30 ] && [ "$(cursor_name $names)" = "$c0" ]; do tick; i=$((i + 1)); done
c1=$(cursor_name $names)
ok '[ -n "$c1" ] && [ "$c1" != "$c0" ]' "j moves the cursor to the next run ($c0 -> $c1)"
keys k
i=0
while [ $i -lt 30 ] && [ "$(cursor_name $names)" = "$c1" ]; do tick; i=$((i + 1)); done
ok '[ -n "$c0" ] && [ "$(cursor_name $names)" = "$c0" ]' "k moves it back ($c1 -> $(cursor_name $names))"

# ---- the run detail: Enter shows the run's rate points -----------------------
# The kbps of every rate point of the run under the cursor, as the store
# has them (one decimal, or rounded, as a table may print them).
case $c0 in alpha) cid=1 ;; bravo) cid=2 ;; *) cid=3 ;; esac
"$CB_BIN" show "$cid" --json --store "$TUI_STORE" | "$PYTHON3" -c '
import json, sys
for p in json.load(sys.stdin)["rate_points"]:
    print("%.1f %.0f" % (p["kbps"], p["kbps"]))' > "$tap_tmp/kbps"
keys Enter
wait_for "$(head -1 "$tap_tmp/kbps" | cut -d' ' -f2 | cut -c1-2)" 5 >/dev/null
wait_quiet
all_points() {
    s=$(screen)
    while read -r one round; do
        case $s in *"$one"*|*" $round "*|*" $round") ;; *) diag "kbps $one ($round) not shown"; return 1 ;; esac
    done < "$tap_tmp/kbps"
    return 0
}
ok '[ -s "$tap_tmp/kbps" ] && all_points' "Enter opens the detail of $c0 (run $cid) with the kbps of its 4 rate points"
ok '[ -n "$c0" ] && screen | grep -qF "$c0"' "the detail names the run's recipe ($c0)"
keys Escape
expect charlie "Esc goes back to the runs list"
wait_gone "$(head -1 "$tap_tmp/kbps" | cut -d' ' -f1)" 5 >/dev/null

# ---- sorting ----------------------------------------------------------------------
wait_quiet
o0=$(name_order $names)
keys S
i=0
while [ $i -lt 30 ] && [ "$(name_order $names)" = "$o0" ]; do tick; i=$((i + 1)); done
o1=$(name_order $names)
rev=$(echo "$o0" | awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "\n") }')
ok '[ "$(echo "$o0" | wc -w)" = 3 ] && [ "$o1" = "$rev" ]' "S reverses the order ($o0 -> $o1)"
keys S
i=0
while [ $i -lt 30 ] && [ "$(name_order $names)" = "$o1" ]; do tick; i=$((i + 1)); done
ok '[ "$(echo "$o0" | wc -w)" = 3 ] && [ "$(name_order $names)" = "$o0" ]' "S again restores it"
# s sorts by the next column (the header marks it): every figure of these
# runs (kbps, PSNR, SSIM, speed) orders them bravo < alpha < charlie,
# unlike their ids and names, so some press of s reorders them.
hdr0=$(screen | sed -n 2,4p)
i=0
while [ $i -lt 30 ] && [ "$(name_order $names)" = "$o0" ] && ! tui_exited; do
    keys s; wait_quiet 150; i=$((i + 1))
done
o2=$(name_order $names)
ok '[ "$o2" = "bravo alpha charlie" ] || [ "$o2" = "charlie alpha bravo" ]' \
   "s sorts by another column: the figures order the runs ($o0 -> $o2)"
ok '[ "$(screen | sed -n 2,4p)" != "$hdr0" ]' "the header shows the new sort column"

# ---- filtering ------------------------------------------------------------------
clear_prompt() { i=0; while [ $i -lt 60 ]; do keys BSpace; i=$((i + 1)); done; }
keys /
wait_quiet 200
clear_prompt
type_text 'codec:engine status:done'
keys Enter
wait_gone charlie 5 >/dev/null
ok 'screen | grep -qF alpha && screen | grep -qF bravo && ! screen | grep -qF charlie' \
   "/ codec:engine status:done shows alpha and bravo, not charlie"
keys /
wait_quiet 200
clear_prompt
type_text 'bd<x'
keys Enter
wait_quiet
ok 'screen -e | tail -1 | grep -q "$(printf "\033\\[41m")"' "a bad query (bd<x) shows an error on the status line"
diag "status line: $(screen | tail -1)"
ok 'screen | grep -qF alpha && screen | grep -qF bravo && ! screen | grep -qF charlie' \
   "after a bad query the previous filter stays in force"
keys Escape
keys /
wait_quiet 200
clear_prompt
keys Enter
expect charlie "an empty filter shows every run again"

# ---- help, charts, logs -------------------------------------------------------------
keys '?'
wait_for rerun 5 >/dev/null
ok 'screen | grep -qF rerun && screen | grep -qF compare && screen | grep -qF quit && screen | grep -qF filter' \
   "? lists the bindings (rerun, compare, filter, quit)"
keys Escape
expect charlie "Esc closes the help"
cursor_to alpha >/dev/null
keys g
wait_for kbps 5 >/dev/null
ok 'screen | grep -qF kbps && screen | grep -qF alpha' "g opens the chart of alpha (kbps axis, legend)"
ok 'screen | LC_ALL=C grep -q "$(printf "\\342[\\240-\\243]")"' "the chart is drawn in braille cells"
keys Escape
expect charlie "back from the chart"
# alpha's log: the worker's events in words name the stream of its first
# rate point.
stream=$("$CB_BIN" show 1 --json --store "$TUI_STORE" 2>/dev/null | "$PYTHON3" -c '
import json, sys
print(json.load(sys.stdin)["rate_points"][0]["stream_file"])' 2>/dev/null)
cursor_to alpha >/dev/null
keys l
if [ -n "$stream" ]; then
    expect "$stream" "l opens alpha's log (its first stream, $stream, named)" 5
else
    fail "l opens alpha's log" "run 1 has no rate points in the store"
fi
keys Escape
expect charlie "back from the log"

# ---- resize ------------------------------------------------------------------------
resize 60 15
expect "too small" "60x15 shows the 'too small' note"
ok '[ "$(screen | wc -l)" -le 15 ] && ! screen | grep -qF charlie' "nothing of the table is drawn at 60x15"
resize 120 40
expect charlie "back to 120x40 the table returns"
ok '! screen | grep -qF "too small"' "the note is gone"
resize 80 24
expect charlie "80x24 (the minimum) shows the table"
ok '[ "$(screen | "$PYTHON3" -c "import sys; print(max(len(l.rstrip(chr(10))) for l in sys.stdin.buffer.read().decode().splitlines(True)))")" -le 80 ]' \
   "nothing drawn beyond 80 columns"
resize 120 40
wait_quiet

# ---- quit: the terminal restored -------------------------------------------------
keys q
expect "dashboard exited with status 0" "q quits with status 0"
ok '[ "$(pane_var alternate_on)" = 0 ]' "the alternate screen is left"
ok '[ "$(pane_var cursor_flag)" = 1 ]' "the cursor is visible again"
ok 'screen | grep -qF "cbtest: shell before the dashboard" && ! screen | grep -qF charlie' \
   "the shell's screen is back as it was, without the dashboard's"

# ---- SIGTERM: the terminal restored too ----------------------------------------------
tui_start --size 100x30
wait_for charlie 15 >/dev/null
dpid=$(tui_pid)
if [ -n "$dpid" ]; then
    kill -TERM "$dpid"
    expect "dashboard exited with status 143" "SIGTERM ends the dashboard with status 128 + 15"
    ok '[ "$(pane_var alternate_on)" = 0 ] && [ "$(pane_var cursor_flag)" = 1 ]' \
       "after SIGTERM the alternate screen is left and the cursor visible"
else
    fail "SIGTERM ends the dashboard" "no dashboard process under the pane"
    fail "after SIGTERM the alternate screen is left and the cursor visible"
fi

# ---- Ctrl-Z suspends and the shell's fg resumes; Ctrl-C and SIGHUP restore ----------
tui_start --size 100x30
wait_for charlie 15 >/dev/null
keys C-z
expect "cbtest: dashboard stopped" "Ctrl-Z suspends the dashboard"
ok '[ "$(pane_var alternate_on)" = 0 ] && [ "$(pane_var cursor_flag)" = 1 ] && ! screen | grep -qF charlie' \
   "while suspended the terminal is the shell's (normal screen, cursor visible)"
keys Enter
expect charlie "resumed (fg), the dashboard draws the runs again"
ok '[ "$(pane_var alternate_on)" = 1 ]' "and is back on the alternate screen"
keys j
wait_quiet
ok '[ -n "$(cursor_name $names)" ]' "and takes keys again"
keys C-c
expect "dashboard exited with status 130" "Ctrl-C ends the dashboard with status 128 + 2"
ok '[ "$(pane_var alternate_on)" = 0 ] && [ "$(pane_var cursor_flag)" = 1 ]' \
   "after Ctrl-C the alternate screen is left and the cursor visible"
tui_start --size 100x30
wait_for charlie 15 >/dev/null
dpid=$(tui_pid)
if [ -n "$dpid" ]; then
    kill -HUP "$dpid"
    expect "dashboard exited with status 129" "SIGHUP ends the dashboard with status 128 + 1"
    ok '[ "$(pane_var alternate_on)" = 0 ] && [ "$(pane_var cursor_flag)" = 1 ]' \
       "after SIGHUP the alternate screen is left and the cursor visible"
else
    fail "SIGHUP ends the dashboard" "no dashboard process under the pane"
    fail "after SIGHUP the alternate screen is left and the cursor visible"
fi

done_testing

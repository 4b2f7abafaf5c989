# The dashboard's frame preview end to end in tmux (issue 6): inside tmux
# the half-block fallback engages (coloured half-block cells in the pane,
# "blocks" on the status line, the note about tmux and sixel); the header
# follows the frame as it steps, its PSNR-Y is the store's per-frame row;
# w goes to the frame of lowest PSNR-Y that `codecbench show --json` lists;
# zoom shows its region and the arrows pan it; the overlay toggles on an
# engine run; a late terminal reply is not taken for keys; closing leaves
# no half-block cell (the runs view intact); a resize keeps the layout;
# CODECBENCH_GRAPHICS=none and LANG=C give the text summary.
. "$CB_SRCDIR/tests/tui/lib.sh"
need_tmux
need_ffmpeg
need_clips

if ! make_store "$TUI_STORE"; then
    fail "a store of three real runs"
    done_testing
fi
pass "a store of three real runs (alpha, bravo, charlie) done"

HALF=$(printf '\342\226\200') # U+2580 UPPER HALF BLOCK

# The per-frame PSNR-Y of run $1 at its first rate point, "n psnr" a line.
frame_psnr() {
    "$CB_BIN" show "$1" --frames --json --store "$TUI_STORE" | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
for row in d["rate_points"][0]["frame_rows"]:
    print(row["n"], "%.2f" % row["psnr"]["y"])'
}
# Screen lines holding a half-block cell drawn with a colour (SGR 38;5 or 38;2).
half_lines() { screen -e | grep -F "$HALF" | grep -cE "$(printf '\033')\\[[0-9;]*38;[25];"; }
header() { screen | sed -n 3p; }

frame_psnr 1 > "$tap_tmp/psnr1"
ok '[ "$(wc -l < "$tap_tmp/psnr1")" -eq 5 ]' "show --json lists the 5 frames of run 1"

# ---- inside tmux: half blocks -------------------------------------------------
log="$tap_tmp/dash.log"
tui_start --size 120x40 --env TMUX=/tmp/tmux-fake,1,0 --env "CODECBENCH_LOG=$log"
expect charlie "the dashboard lists the runs" 15
cursor_to alpha
keys v
expect "frame 0/5" "v opens the preview at frame 0 of alpha" 20
wait_for "$HALF" 30 >/dev/null
wait_quiet 500
ok '[ "$(half_lines)" -ge 15 ]' "half-block cells with colours fill the pane ($(half_lines) lines)"
ok 'screen | tail -n 1 | grep -qF "[blocks]"' "the status line says blocks"
ok 'screen | grep -qF "tmux shows no sixel"' "a note says tmux shows no sixel"
ok 'screen | sed -n 1p | grep -qF "codecbench | Preview"' "the title line stays (the image made nothing scroll)"
ok 'grep -q "image: half blocks [0-9]* bytes" "$log"' "the payload size is in the debug log"
want=$(awk '$1 == 0 { print $2 }' "$tap_tmp/psnr1")
ok 'header | grep -qF "PSNR-Y $want dB"' "the header's PSNR-Y of frame 0 is the store's ($want dB)"

# ---- stepping --------------------------------------------------------------------------
keys Right
expect "frame 1/5" "Right steps to frame 1" 10
want=$(awk '$1 == 1 { print $2 }' "$tap_tmp/psnr1")
ok 'header | grep -qF "PSNR-Y $want dB"' "the header's PSNR-Y follows the frame ($want dB)"
keys .
expect "frame 2/5" ". steps to frame 2" 10
keys ,
expect "frame 1/5" ", steps back to frame 1" 10
keys G
expect "frame 4/5" "G goes to the last frame" 10
keys Right
expect "already the last frame" "stepping past the last frame says so" 5

# ---- the worst frame ---------------------------------------------------------------------
worst=$(sort -k2,2g "$tap_tmp/psnr1" | head -n 1 | awk '{ print $1 }')
keys g
expect "frame 0/5" "g goes to the first frame" 10
keys w
expect "frame $worst/5" "w goes to frame $worst, the lowest PSNR-Y of show --json" 10

# ---- a late terminal reply is not keys ------------------------------------------------
# ESC alone goes back, ? opens the help: the reply must do neither.
keys Escape '[?62;4c'
wait_quiet 400
ok 'header | grep -qF "frame $worst/5" && ! screen | grep -qF "codecbench | Help"' \
   "a late DA1 reply (ESC [ ? 62 ; 4 c) is dropped, not taken as keys"

# ---- zoom and pan ------------------------------------------------------------------------
keys z
expect "zoom 1:1 x " "z zooms to 1:1 and names the region" 10
r1=$(header | sed -n 's/.*zoom 1:1 x \([0-9]*-[0-9]*\) y.*/\1/p')
keys Right
wait_quiet 300
r2=$(header | sed -n 's/.*zoom 1:1 x \([0-9]*-[0-9]*\) y.*/\1/p')
ok '[ -n "$r1" ] && [ -n "$r2" ] && [ "$r1" != "$r2" ] && header | grep -qF "frame $worst/5"' \
   "Right pans the zoomed region ($r1 -> $r2), the frame stays"
keys z
expect "zoom 2:1" "z again: 2:1" 10
keys z z
expect "zoom fit" "z back to the whole frame" 10

# ---- overlay on an engine run -----------------------------------------------------------
wait_quiet 400
# the image's lines (the caption under them names the overlay's colours)
plain=$(screen -e | sed -n '4,37p' | cksum)
keys o
expect "|  overlay" "o turns the overlay on (engine run)" 10
expect "blocks: intra red" "the caption gives the overlay's colours" 5
wait_quiet 400
ok '[ "$(screen -e | sed -n 4,37p | cksum)" != "$plain" ]' "the blocks and vectors are drawn over the frames (the cells change)"
keys o
wait_gone "|  overlay" 5
ok '! header | grep -qF "overlay"' "o turns it off"
wait_quiet 400
ok '[ "$(screen -e | sed -n 4,37p | cksum)" = "$plain" ]' "without the overlay the cells are as before"

# ---- the modes -----------------------------------------------------------------------
keys m
expect "|error| of luma" "m shows the error as a heat map with its legend" 10
keys f
expect "|  source  |" "f shows the source alone" 10
keys f
expect "|  reconstruction  |" "f again: the reconstruction" 10
keys m
expect "source | reconstruction" "m goes back to side by side" 10

# ---- the graphics key: among what this terminal shows (tmux: no sixel) -------------
keys i
expect "[text]" "i switches to the text summary" 10
keys i
expect "[blocks]" "i again: back to half blocks (sixel is not offered inside tmux)" 10
wait_for "$HALF" 20 >/dev/null
ok '[ "$(half_lines)" -ge 15 ]' "the half blocks are drawn again"

# ---- resize while previewing -------------------------------------------------------------
resize 100 30
wait_quiet 600
# (the status line shows the hint again once the message of w has timed out)
ok 'wait_for "[blocks]" 10 && header | grep -qF "frame $worst/5" && screen | tail -n 1 | grep -qF "[blocks]"' \
   "after a resize to 100x30 the header and status line are in place"
ok 'screen | sed -n 1p | grep -qF "codecbench | Preview"' "the title line stays after the resize"
n=$(half_lines)
ok '[ "$n" -ge 8 ] && [ "$n" -le 25 ]' "the image fits the smaller pane ($n lines of half blocks)"
ok '! screen | tail -n 1 | grep -qF "$HALF"' "no half block on the status line"

# ---- closing ---------------------------------------------------------------------------------
keys q
expect "codecbench | runs" "q goes back to the runs" 10
wait_quiet 500
ok '! screen | grep -qF "$HALF"' "no half-block cell remains after closing"
ok 'screen | grep -qF alpha && screen | grep -qF bravo && screen | grep -qF charlie' \
   "the runs view is intact"

# ---- not done / not an engine run ---------------------------------------------------------
cursor_to charlie
keys v
expect "frame 0/5" "v previews the x264 run" 20
keys o
expect "no overlay" "the overlay is refused for a non-engine stream" 10
keys q
expect "codecbench | runs" "q goes back to the runs again" 10

# ---- the per-frame chart's frame cursor opens its frame -------------------------------
cursor_to alpha
keys g
expect "codecbench | Charts" "g opens the chart" 10
keys m
expect "PSNR-Y per frame" "m: the per-frame chart" 10
keys Right Right
expect "frame 2: " "Right Right moves the frame cursor to frame 2 (its figures shown)" 10
want=$(awk '$1 == 2 { print $2 }' "$tap_tmp/psnr1")
ok 'screen | grep -F "frame 2: " | grep -qF "PSNR-Y $want dB"' "the cursor's PSNR-Y is the store's ($want dB)"
# a click (xterm's SGR mouse report, press and release) near the right end
# of the plots (the pane is 100 columns wide since the resize) puts the
# cursor on the last frame
type_text "$(printf '\033[<0;90;10M\033[<0;90;10m')"
expect "frame 4: " "a click on the plot moves the frame cursor to the nearest frame (4)" 10
keys Left Left
expect "frame 2: " "Left Left: back to frame 2" 10
keys v
expect "frame 2/5" "v previews the cursor's frame" 20
keys q
expect "codecbench | Charts" "q goes back to the chart" 10
keys Escape
expect "codecbench | runs" "Esc back to the runs" 10

# ---- two runs of the same clip from the compare view ---------------------------------
cursor_to alpha
keys Space
wait_quiet
cursor_to bravo
keys Space
wait_quiet
keys c
expect "codecbench | Compare" "c compares alpha and bravo" 10
keys v
expect "#1 alpha  vs  #2 bravo" "v in compare previews both runs" 20
expect "left: #1's reconstruction  right: #2's" "their reconstructions side by side" 20
p1=$(awk '$1 == 0 { print $2 }' "$tap_tmp/psnr1")
p2=$(frame_psnr 2 | awk '$1 == 0 { print $2 }')
ok 'header | grep -qF "PSNR-Y $p1 | $p2 dB"' "the header gives both runs' PSNR-Y of the frame ($p1 | $p2)"
keys m
expect "|#1 - #2| of luma" "m: their difference" 10
keys q
expect "codecbench | Compare" "q goes back to the compare view" 10
tui_stop

# ---- truecolor half blocks where COLORTERM says so --------------------------------------
tui_start --size 120x40 --env COLORTERM=truecolor
expect charlie "the dashboard starts with COLORTERM=truecolor" 15
cursor_to alpha
keys v
wait_for "$HALF" 30 >/dev/null
wait_quiet 300
n=$(screen -e | grep -F "$HALF" | grep -c "$(printf '\033')\[[0-9;]*38;2;")
ok '[ "$n" -ge 15 ]' "COLORTERM=truecolor: the half blocks are in 24-bit colour ($n lines)"
tui_stop

# ---- text: CODECBENCH_GRAPHICS=none, and LANG=C --------------------------------------------
tui_start --size 120x40 --env CODECBENCH_GRAPHICS=none
expect charlie "the dashboard starts with CODECBENCH_GRAPHICS=none" 15
cursor_to alpha
keys v
expect "dB" "the text summary is drawn" 20
sleep 1
want=$(awk '$1 == 0 { print $2 }' "$tap_tmp/psnr1")
# the summary's PSNR-Y (below the header), measured again from the frames,
# against the store's row of frame 0 (rounding: 0.006 dB)
got=$(screen | sed -n '4,$p' | grep -o 'PSNR[- ]Y:\{0,1\} [0-9.]*' | head -n 1 | grep -o '[0-9.]*$')
ok '[ -n "$got" ] && "$PYTHON3" -c "import sys; sys.exit(abs($got - $want) > 0.006)"' \
   "the text summary's PSNR-Y of frame 0 ($got) is the store's ($want)"
ok 'screen | tail -n 1 | grep -qF "[text]" && ! screen | grep -qF "$HALF"' \
   "status line says text, no half blocks"
tui_stop

# ---- sixel asked for explicitly inside tmux: through tmux's passthrough -----------------
log2="$tap_tmp/dash2.log"
tui_start --size 120x40 --env TMUX=/tmp/tmux-fake,1,0 --env CODECBENCH_GRAPHICS=sixel \
    --env "CODECBENCH_LOG=$log2"
expect charlie "the dashboard starts with CODECBENCH_GRAPHICS=sixel inside tmux" 15
cursor_to alpha
keys v
expect "[sixel via tmux]" "the status line says sixel goes through tmux" 20
i=0
while ! grep -q "image: sixel [0-9]* bytes.*through tmux" "$log2" 2>/dev/null && [ $i -lt 100 ]; do
    tick; i=$((i + 1))
done
ok 'grep -q "image: sixel [0-9]* bytes.*through tmux" "$log2"' "the sixel image is sent through tmux's passthrough"
# tmux (passthrough off by default) drops it: the screen is untouched
ok 'screen | sed -n 1p | grep -qF "codecbench | Preview" && ! screen | grep -qF "$HALF"' \
   "the screen stays intact"
tui_stop

# ---- the frame server's failure is shown as an error -------------------------------------
# bravo's first stream goes missing: its frames cannot be decoded
stream=$("$CB_BIN" show 2 --json --store "$TUI_STORE" | "$PYTHON3" -c '
import json, sys
print(json.load(sys.stdin)["rate_points"][0]["stream_file"])')
mv "$TUI_STORE/runs/000002/$stream" "$tap_tmp/saved-stream"
tui_start --size 120x40
expect charlie "the dashboard starts (bravo's stream missing)" 15
cursor_to bravo
keys v
expect "Frame 0: " "the preview says frame 0 could not be shown" 20
ok 'screen | grep -F "Frame 0: " | grep -qF "$stream"' "the reason names the missing stream ($stream)"
keys q
tui_stop
mv "$tap_tmp/saved-stream" "$TUI_STORE/runs/000002/$stream"

tui_start --size 120x40 --lang C
expect charlie "the dashboard starts with LANG=C" 15
cursor_to alpha
keys v
expect "half blocks need a UTF-8 locale" "LANG=C gives the text summary with the reason" 20
ok 'screen | tail -n 1 | grep -qF "[text]"' "status line says text"
tui_stop

done_testing

# A real screenshot: `codecbench preview --format sixel` inside xterm
# emulating a VT340 (sixel graphics, 256 colour registers) under Xvfb,
# captured with xwd, converted to PNG by the ffmpeg CLI, and the image's
# region compared with the same preview written as PNG.  Skipped (not
# passed) where Xvfb, xterm or xwd are missing.
. "$CB_SRCDIR/tests/tap.sh"
need_ffmpeg
need_clips
for t in Xvfb xterm xwd; do
    command -v $t >/dev/null 2>&1 || skip_all "no $t (packages xvfb, xterm, x11-apps)"
done

S="$tap_tmp/store"
export CODECBENCH_STORE="$S"
export CODECBENCH_RUNNER_IDLE_EXIT=1
unset CODECBENCH_GRAPHICS CODECBENCH_LOG TMUX
XPID=; TPID=
cleanup() {
    [ -n "$TPID" ] && kill "$TPID" 2>/dev/null
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null
    p=$("$CB_BIN" runner --status 2>/dev/null)
    case $p in ''|none) ;; *) kill "$p" 2>/dev/null ;; esac
    rm -rf "$tap_tmp"
}
trap cleanup EXIT

CLIP="$CB_CLIPS/natural.y4m"
[ -f "$CLIP" ] || skip_all "no natural.y4m among the test clips"
cat >"$tap_tmp/engine.json" <<'EOF'
{ "name": "tiny-engine", "codec": "engine",
  "settings": { "preset": "fast", "transform": "dct", "restoration": false, "qps": [27, 37] } }
EOF
"$CB_BIN" run "$tap_tmp/engine.json" "$CLIP" --frames 4 >/dev/null 2>&1
ok '[ "$("$CB_BIN" show 1 --json | "$PYTHON3" -c "import json,sys; print(json.load(sys.stdin)[\"status\"])")" = done ]' \
    "an engine run of 4 CIF frames is done"

# The expected picture: side by side at 1:1, 352 + 4 + 352 = 708 x 288.
IW=708; IH=288
"$CB_BIN" preview 1 --frame 2 --format png -o "$tap_tmp/want.png" 2>"$tap_tmp/err"
"$FFMPEG" -nostdin -loglevel error -y -i "$tap_tmp/want.png" -f rawvideo -pix_fmt rgb24 \
    "$tap_tmp/want.rgb"
ok '[ "$(wc -c <"$tap_tmp/want.rgb")" = $((IW * IH * 3)) ]' "the expected picture, as PNG (${IW}x$IH)"

# The terminal: a fixed 6x13 font, 130 columns, no inner border and no
# window border (-b 0 -bw 0: the text area starts at the screen's 0,0), at the
# screen's top left (Xvfb has no window manager to move it).  The caption
# line wraps at 130 columns; the image starts on the row after it, at x 0.
CW=6; CH=13; COLS=130; ROWS=40
d=$((90 + $$ % 100))
while [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ]; do d=$((d + 1)); done
Xvfb ":$d" -screen 0 1024x600x24 -nolisten tcp >"$tap_tmp/xvfb.log" 2>&1 &
XPID=$!
i=0
while ! [ -e "/tmp/.X11-unix/X$d" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
if ! [ -e "/tmp/.X11-unix/X$d" ]; then
    skip "sixel in xterm under Xvfb matches the PNG" "Xvfb did not start: $(tail -1 "$tap_tmp/xvfb.log")"
    done_testing
fi
export DISPLAY=":$d"
printf '#!/bin/sh\n"%s" preview 1 --frame 2 --format sixel --width %d 2>"%s"\necho $? >"%s"\nexec sleep 600\n' \
    "$CB_BIN" $IW "$tap_tmp/xterm.err" "$tap_tmp/done" >"$tap_tmp/show.sh"
chmod +x "$tap_tmp/show.sh"
xterm -ti vt340 -xrm 'XTerm*numColorRegisters: 256' -xrm 'XTerm*decTerminalID: vt340' \
    -fn 6x13 -geometry ${COLS}x$ROWS+0+0 -b 0 -bw 0 -bg black -fg white +sb \
    -e "$tap_tmp/show.sh" >"$tap_tmp/xterm.log" 2>&1 &
TPID=$!
i=0
while ! [ -s "$tap_tmp/done" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
ok '[ "$(cat "$tap_tmp/done" 2>/dev/null)" = 0 ]' "preview --format sixel ran in xterm (exit 0)"

# The caption's length gives the rows it takes, so the image's top.
L=$("$CB_BIN" preview 1 --frame 2 --format sixel --width $IW 2>/dev/null | head -1 | wc -m)
L=$((L - 1))
Y0=$(( (L + COLS - 1) / COLS * CH ))
diag "caption of $L characters: the image starts at y $Y0"

# Threshold: the sixel encoding alone loses 33-38 dB on natural CIF
# pictures (preview.sh measures it through libsixel's decoder); xterm
# draws the 256 palette colours exactly on a 24-bit screen, so the capture
# adds nothing: 30 dB, the issue's own bound for sixel output.  A picture
# one text row off, or missing, measures under 20 dB.  xterm draws the
# image when it gets to it: the capture is retried (up to a minute) until
# it matches, and the last figure is reported.
measure() {
    xwd -root -silent >"$tap_tmp/screen.xwd" 2>/dev/null &&
        "$FFMPEG" -nostdin -loglevel error -y -f xwd_pipe -i "$tap_tmp/screen.xwd" \
            -f rawvideo -pix_fmt rgb24 "$tap_tmp/screen.rgb" &&
        "$PYTHON3" - "$tap_tmp/screen.rgb" 1024 "$tap_tmp/want.rgb" $IW $IH "$1" <<'EOF'
import math, sys
scr = open(sys.argv[1], "rb").read(); sw = int(sys.argv[2])
want = open(sys.argv[3], "rb").read(); w, h, y0 = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
se = 0
for y in range(h):
    a = scr[((y0 + y) * sw) * 3:((y0 + y) * sw + w) * 3]
    b = want[y * w * 3:(y + 1) * w * 3]
    se += sum((p - q) ** 2 for p, q in zip(a, b))
mse = se / (w * h * 3)
print("%.2f" % (100.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)))
EOF
}
db=0
i=0
while [ $i -lt 30 ]; do
    db=$(measure $Y0) || db=0
    "$PYTHON3" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 30 else 1)" "$db" && break
    sleep 2; i=$((i + 1))
done
diag "screenshot vs PNG at y $Y0: $db dB"
ok '"$PYTHON3" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 30 else 1)" "$db"' \
    "the sixel image in xterm matches the PNG at its place (>= 30 dB)"
off=$(measure $((Y0 + CH))) || off=0
diag "one text row lower: $off dB"
ok '"$PYTHON3" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 25 else 1)" "$off"' \
    "one text row off it does not match (< 25 dB): the placement is the one computed"
"$FFMPEG" -nostdin -loglevel error -y -f xwd_pipe -i "$tap_tmp/screen.xwd" -pix_fmt rgb24 \
    "$tap_tmp/screen.png" 2>/dev/null
[ -n "${CB_KEEP_SCREENSHOT:-}" ] && cp "$tap_tmp/screen.png" "$tap_tmp/want.png" "$CB_KEEP_SCREENSHOT"
done_testing

# codecbench preview on real runs (an x264 baseline and an engine run of 8
# CIF frames of natural footage), against independent references: the
# ffmpeg CLI's own rgb24 conversion of the source frame and its own decode
# of the stored x264 stream, `codecbench show --json`'s per-frame PSNR,
# libsixel's decoder (sixel2png) for the sixel output; and the errors.
. "$CB_SRCDIR/tests/tap.sh"
need_ffmpeg
need_clips

S="$tap_tmp/store"
export CODECBENCH_STORE="$S"
export CODECBENCH_RUNNER_IDLE_EXIT=1
unset CODECBENCH_GRAPHICS CODECBENCH_LOG
cleanup() {
    p=$("$CB_BIN" runner --status 2>/dev/null)
    case $p in ''|none) ;; *) kill "$p" 2>/dev/null ;; esac
    rm -rf "$tap_tmp"
}
trap cleanup EXIT

CLIP="$CB_CLIPS/natural.y4m"
[ -f "$CLIP" ] || skip_all "no natural.y4m among the test clips"
W=352; H=288; N=5
FFPROBE="$(dirname "$FFMPEG")/ffprobe"
[ -x "$FFPROBE" ] || skip_all "no ffprobe next to $FFMPEG"

run() { "$CB_BIN" "$@" >"$tap_tmp/out" 2>"$tap_tmp/err"; echo $?; }

# Frame $N of a video as raw rgb24 through the ffmpeg CLI (its own decoder
# and swscale's default conversion): the reference pictures.
ff_rgb() {  # ff_rgb INPUT OUT.rgb [input options...]
    in=$1; out=$2; shift 2
    "$FFMPEG" -nostdin -loglevel error -y "$@" -i "$in" -vf "select=eq(n\\,$N)" -frames:v 1 \
        -f rawvideo -pix_fmt rgb24 "$out"
}
# A PNG as raw rgb24 (ffmpeg's PNG decoder is lossless) and its size.
png_rgb() {  # png_rgb IN.png OUT.rgb
    "$FFMPEG" -nostdin -loglevel error -y -i "$1" -f rawvideo -pix_fmt rgb24 "$2" &&
        "$FFPROBE" -v error -select_streams v:0 -show_entries stream=width,height \
            -of csv=s=x:p=0 "$1" >"$2.size"
}
# Compares a region of an rgb24 picture with a reference picture.
#   cmp_region IMG.rgb IMG_W X0 Y0 REF.rgb REF_W REF_H MAXDIFF MEANDIFF [ZOOM RX RY]
# With ZOOM, image pixel (X0 + i, Y0 + j) must equal reference pixel
# (RX + i / ZOOM, RY + j / ZOOM) exactly replicated (within the tolerance).
cmp_region() {
    "$PYTHON3" - "$@" <<'EOF'
import sys
a = sys.argv[1:]
img = open(a[0], "rb").read(); iw, x0, y0 = int(a[1]), int(a[2]), int(a[3])
ref = open(a[4], "rb").read(); rw, rh = int(a[5]), int(a[6])
maxd, meand = int(a[7]), float(a[8])
z, rx, ry = (int(a[9]), int(a[10]), int(a[11])) if len(a) > 9 else (1, 0, 0)
ow, oh = (rw - rx) * z, (rh - ry) * z
if len(a) > 9:
    ow, oh = int(a[12]), int(a[13])
worst = total = n = 0
for j in range(oh):
    for i in range(ow):
        p = ((y0 + j) * iw + x0 + i) * 3
        q = ((ry + j // z) * rw + rx + i // z) * 3
        for c in range(3):
            d = abs(img[p + c] - ref[q + c]); total += d; n += 1
            worst = max(worst, d)
print("# worst %d, mean %.3f over %d samples" % (worst, total / n, n))
sys.exit(0 if worst <= maxd and total / n <= meand else 1)
EOF
}
# PSNR (dB) of two same-size rgb24 files.
psnr_rgb() {
    "$PYTHON3" - "$1" "$2" <<'EOF'
import math, sys
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
assert len(a) == len(b) and a, (len(a), len(b))
mse = sum((x - y) ** 2 for x, y in zip(a, b)) / len(a)
print("%.2f" % (100.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)))
EOF
}

# ---- the runs ----------------------------------------------------------------
cat >"$tap_tmp/engine.json" <<'EOF'
{ "name": "tiny-engine", "codec": "engine",
  "settings": { "preset": "fast", "transform": "dct", "restoration": false, "qps": [27, 37] } }
EOF
if "$FFMPEG" -hide_banner -encoders 2>/dev/null | grep -q libx264; then
    "$CB_BIN" run "$CB_SRCDIR/samples/recipes/x264-veryfast.json" "$CLIP" --frames 8 \
        >/dev/null 2>"$tap_tmp/x264.err"
    X264=1
else
    X264=
fi
"$CB_BIN" run "$tap_tmp/engine.json" "$CLIP" --frames 8 >/dev/null 2>"$tap_tmp/engine.err"
ENG=$("$CB_BIN" list --json | "$PYTHON3" -c '
import json, sys
for r in json.load(sys.stdin)["runs"]:
    if r.get("codec") == "engine" and r.get("status") == "done": print(r["id"])')
X=$("$CB_BIN" list --json | "$PYTHON3" -c '
import json, sys
for r in json.load(sys.stdin)["runs"]:
    if r.get("codec") == "libx264" and r.get("status") == "done": print(r["id"])')
ok '[ -n "$ENG" ]' "an engine run of 8 CIF frames is done"
ff_rgb "$CLIP" "$tap_tmp/src.rgb"

# ---- PNG against ffmpeg --------------------------------------------------------
if [ -n "$X264" ] && [ -n "$X" ]; then
    XDIR="$S/runs/$(printf %06d "$X")"
    # The middle of x264-veryfast's points 22 27 32 37 is 27.
    ok '[ "$(run preview "$X" --frame $N --format png -o "$tap_tmp/side.png")" = 0 ] &&
        png_rgb "$tap_tmp/side.png" "$tap_tmp/side.rgb" &&
        [ "$(cat "$tap_tmp/side.rgb.size")" = "$((2 * W + 4))x$H" ]' \
        "png, side: the frames at 1:1 with the 4-pixel gap ($((2 * W + 4))x$H)"
    # Tolerance: the same as the unit test against swscale's yuv2rgb (its
    # 8-bit tables and SIMD paths round differently: worst 3-4, mean < 1.5).
    ok 'cmp_region "$tap_tmp/side.rgb" $((2 * W + 4)) 0 0 "$tap_tmp/src.rgb" $W $H 4 1.5' \
        "png, side: the left half is ffmpeg's rgb24 conversion of source frame $N"
    ff_rgb "$XDIR/qp27.h264" "$tap_tmp/x264.rgb"
    ok 'cmp_region "$tap_tmp/side.rgb" $((2 * W + 4)) $((W + 4)) 0 "$tap_tmp/x264.rgb" $W $H 4 1.5' \
        "png, side: the right half is ffmpeg's own decode of the stored x264 stream"
    ok '"$PYTHON3" - "$tap_tmp/side.rgb" $W <<EOF
import sys
img = open(sys.argv[1], "rb").read(); w = int(sys.argv[2])
row = (2 * w + 4) * 3
assert all(img[y * row + x * 3 + c] == 64 for y in range(0, 288, 7) for x in range(w, w + 4) for c in range(3))
EOF' "png, side: the gap is grey 64"
    # Zoom 2 at 100,100: the 352x288 half shows 176x144 frame pixels from
    # (100 - 88, 100 - 72) = (12, 28), each pixel 2x2.
    ok '[ "$(run preview "$X" --frame $N --format png --zoom 2 --at 100,100 -o "$tap_tmp/zoom.png")" = 0 ] &&
        png_rgb "$tap_tmp/zoom.png" "$tap_tmp/zoom.rgb" &&
        cmp_region "$tap_tmp/zoom.rgb" $((2 * W + 4)) 0 0 "$tap_tmp/src.rgb" $W $H 4 1.5 2 12 28 $W $H &&
        cmp_region "$tap_tmp/zoom.rgb" $((2 * W + 4)) 0 0 "$tap_tmp/side.rgb" $((2 * W + 4)) $H 0 0 2 12 28 $W $H' \
        "png, zoom 2 at 100,100: region (12,28) 176x144, each pixel exactly 2x2"
    # Text: the caption's and the summary's PSNR-Y equal show --json's.
    want=$("$CB_BIN" show "$X" --frames --json | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
p = [p for p in d["rate_points"] if p["rate"] == 27][0]
print("%.3f" % p["frame_rows"]['$N']["psnr"]["y"])')
    ok '[ "$(run preview "$X" --frame $N --format text)" = 0 ] && [ -n "$want" ] &&
        grep -q "PSNR-Y $want dB;" "$tap_tmp/out" &&
        grep -q "reconstruction vs source: PSNR-Y $want dB" "$tap_tmp/out"' \
        "text: PSNR-Y of frame $N is show --json's ($want dB), in the caption and the summary"
    ok 'grep -q "^run $X x264-veryfast (libx264) on natural.y4m: frame $N of 8" "$tap_tmp/out" &&
        tr "\n" " " <"$tap_tmp/out" | grep -q "QP 27 (the middle of 22 27 32 37), PSNR-Y" &&
        ! LC_ALL=C grep -q "[^ -~]" "$tap_tmp/out" &&
        [ "$(awk "length > 80" "$tap_tmp/out" | wc -l)" = 0 ]' \
        "text: the caption names run, recipe, clip, frame, rate point; ASCII, 80 columns"
    ok '[ "$(run preview "$X" --frame $N --format text --qp 37)" = 0 ] && tr "\n" " " <"$tap_tmp/out" | grep -q "QP 37 (of"' \
        "text: --qp picks the rate point"
    # Sixel: DCS ... ST, under the issue's cap, and back through libsixel's
    # own decoder to the PNG within 30 dB (the fast palette of 256 colours
    # without diffusion loses about 33-38 dB on natural pictures).
    if command -v sixel2png >/dev/null 2>&1; then
        ok '[ "$(run preview "$X" --frame $N --format sixel --width $((2 * W + 4)))" = 0 ] &&
            sed -n 2p "$tap_tmp/out" | head -c 2 | od -An -c | grep -q "033   P" &&
            tail -c 3 "$tap_tmp/out" | od -An -c | grep -q "033   \\\\  \\\\n" &&
            [ "$(wc -c <"$tap_tmp/out")" -le 409600 ]' \
            "sixel: the caption, then DCS ... ST, at most 400 KB"
        sed 1d "$tap_tmp/out" >"$tap_tmp/img.six"
        ok 'sixel2png -i "$tap_tmp/img.six" -o "$tap_tmp/six.png" && png_rgb "$tap_tmp/six.png" "$tap_tmp/six.rgb" &&
            [ "$(cat "$tap_tmp/six.rgb.size")" = "$((2 * W + 4))x$H" ] &&
            db=$(psnr_rgb "$tap_tmp/six.rgb" "$tap_tmp/side.rgb") && diag "sixel vs png: $db dB" &&
            "$PYTHON3" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 30 else 1)" "$db"' \
            "sixel: libsixel's decoder gives the PNG's picture within 30 dB"
    else
        skip "sixel: the caption, then DCS ... ST, at most 400 KB" "no sixel2png (libsixel-bin)"
        skip "sixel: libsixel's decoder gives the PNG's picture within 30 dB" "no sixel2png (libsixel-bin)"
    fi
else
    for t in "png, side: size" "png, side: left half" "png, side: right half" "png, side: gap" \
        "png, zoom 2" "text: PSNR-Y" "text: caption" "text: --qp" "sixel: DCS" "sixel: decoder"; do
        skip "$t" "this FFmpeg has no libx264"
    done
fi

# ---- the engine run: diff, overlay, flip, blocks -----------------------------
ok '[ "$(run preview "$ENG" --frame $N --mode diff -o "$tap_tmp/diff.png")" = 0 ] &&
    png_rgb "$tap_tmp/diff.png" "$tap_tmp/diff.rgb" &&
    [ "$(cat "$tap_tmp/diff.rgb.size")" = "${W}x$((H + 12))" ] &&
    "$PYTHON3" - "$tap_tmp/diff.rgb" $W $H <<EOF
import sys
img = open(sys.argv[1], "rb").read(); w, h = int(sys.argv[2]), int(sys.argv[3])
px = lambda x, y: tuple(img[(y * w + x) * 3:(y * w + x) * 3 + 3])
for y in range(h, h + 4): assert all(px(x, y) == (0, 0, 0) for x in range(w))
for y in range(h + 4, h + 12): assert px(0, y) == (0, 0, 0) and px(w - 1, y) == (255, 255, 255)
EOF' "png, diff: the heat map at 1:1 and its 12-row colour bar, black to white"
ok '[ "$(run preview "$ENG" --frame $N --mode recon --overlay -o "$tap_tmp/ov.png")" = 0 ] &&
    [ "$(run preview "$ENG" --frame $N --mode recon -o "$tap_tmp/plain.png")" = 0 ] &&
    png_rgb "$tap_tmp/ov.png" "$tap_tmp/ov.rgb" && png_rgb "$tap_tmp/plain.png" "$tap_tmp/plain.rgb" &&
    "$PYTHON3" - "$tap_tmp/ov.rgb" "$tap_tmp/plain.rgb" <<EOF
import sys
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
kinds = {(255, 64, 64): 0, (64, 160, 255): 0, (64, 224, 64): 0}
changed = 0
for i in range(0, len(a), 3):
    p = tuple(a[i:i + 3])
    if p != tuple(b[i:i + 3]):
        changed += 1
        if p in kinds: kinds[p] += 1
        else: assert p == (255, 255, 0), p  # vectors
# Frame 5 of a GOP is a P frame: some inter or skip blocks; every changed
# pixel is an overlay colour.
assert kinds[(64, 160, 255)] + kinds[(64, 224, 64)] > 0, kinds
print("# overlay pixels", changed, kinds)
EOF' "png, overlay: only block-kind and vector colours added, inter or skip blocks present"
ok '[ "$(run preview "$ENG" --frame $N --mode flip -o "$tap_tmp/flip.png")" = 0 ] &&
    [ "$("$FFPROBE" -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,codec_name -of csv=p=0 "$tap_tmp/flip.png")" = "apng,2" ]' \
    "png, flip: an animated PNG of two pictures"
ok '[ "$(run preview "$ENG" --frame $N --mode flip --format text)" = 0 ] &&
    [ "$(run preview "$ENG" --frame $N --mode flip --format blocks --width 100)" = 0 ] &&
    [ "$(grep -c "^run $ENG " "$tap_tmp/out")" = 2 ] &&
    grep -q "the source$" "$tap_tmp/out" && grep -q "the reconstruction$" "$tap_tmp/out"' \
    "flip to a pipe: both pictures one after the other, each with its caption"
# Half blocks, 100 cells wide: a 100 x round(288 * 100 / 352) = 82 picture,
# 41 lines of 100 cells.
ok '[ "$(run preview "$ENG" --frame $N --mode recon --format blocks --width 100)" = 0 ] &&
    [ "$(sed 1d "$tap_tmp/out" | wc -l)" = 41 ] &&
    [ "$(sed -n 2p "$tap_tmp/out" | grep -o "▀" | wc -l)" = 100 ]' \
    "blocks: 41 lines of 100 half-block cells for a 100x82 picture"
ok '[ "$(run preview "$ENG" --frame $N --format text --overlay)" = 0 ] &&
    grep -q "blocks (share of area): intra [0-9.]* %, inter [0-9.]* %, skip [0-9.]* %" "$tap_tmp/out"' \
    "text, engine run: the block kinds' shares"
ok '[ "$(run preview "$ENG" --frame 0 --format text -v)" = 0 ] &&
    grep -q "debug: preview: frame 0 from the frame server" "$tap_tmp/err"' \
    "-v: debug lines on stderr"
ok '[ "$(run preview "$ENG" --frame 0 --format sixel -v)" = 0 ] &&
    grep -q "debug: preview: sixel payload [0-9]* bytes, encoded in" "$tap_tmp/err"' \
    "-v: the sixel payload's bytes and time"

# ---- flip on a terminal (tmux: no sixel there, so half blocks) ---------------
if command -v tmux >/dev/null 2>&1; then
    TS="pcli-preview-$$"
    tmux -L "$TS" -f /dev/null new-session -d -x 120 -y 40 \
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 CODECBENCH_STORE='$S' '$CB_BIN' preview $ENG --frame $N --mode flip --width 60; echo EXIT=\$?; sleep 120"
    seen=
    i=0
    while [ $i -lt 300 ] && [ "$seen" != "sr" ]; do
        row=$(tmux -L "$TS" capture-pane -p 2>/dev/null | head -3 | tr -d "\n")
        case $row in *"the source"*) case $seen in *s*) ;; *) seen="s$seen" ;; esac ;; esac
        case $row in *"the reconstruction"*) case $seen in *r*) ;; *) seen="${seen}r" ;; esac ;; esac
        [ "$seen" = rs ] && seen=sr
        sleep 0.1; i=$((i + 1))
    done
    ok '[ "$seen" = sr ]' "flip on a terminal: the source and the reconstruction alternate in place"
    ok '[ "$(tmux -L "$TS" capture-pane -p | grep -c "^run $ENG ")" = 1 ]' \
        "flip on a terminal: one caption on the screen, redrawn in place"
    tmux -L "$TS" send-keys q
    i=0
    while [ $i -lt 300 ] && ! tmux -L "$TS" capture-pane -p | grep -q "^EXIT="; do sleep 0.1; i=$((i + 1)); done
    ok 'tmux -L "$TS" capture-pane -p | grep -q "^EXIT=0"' "flip on a terminal: q ends it (exit 0)"
    tmux -L "$TS" kill-server 2>/dev/null
else
    skip "flip on a terminal: alternate" "no tmux"
    skip "flip on a terminal: one caption" "no tmux"
    skip "flip on a terminal: q ends it" "no tmux"
fi

# ---- errors ------------------------------------------------------------------
ok '[ "$(run preview 99 --frame 0)" = 1 ] && grep -q "no run 99" "$tap_tmp/err"' "unknown run: exit 1"
# A slow run (full search on 8 CIF frames takes seconds): queued or
# running when asked right after it was queued; cancelled afterwards.
cat >"$tap_tmp/slow.json" <<'EOF'
{ "name": "slow", "codec": "engine",
  "settings": { "preset": "slow", "search": "full", "qps": [22, 27, 32, 37, 42] } }
EOF
BAD=$("$CB_BIN" run "$tap_tmp/slow.json" "$CLIP" --frames 8 --detach 2>/dev/null)
ok '[ -n "$BAD" ] && [ "$(run preview "$BAD" --frame 0)" = 1 ] &&
    grep -q "run $BAD is \(queued\|running\), not done" "$tap_tmp/err"' \
    "a run that is not done: exit 1"
"$CB_BIN" cancel "$BAD" >/dev/null 2>&1
ok '[ "$(run preview "$ENG" --frame 8)" = 1 ] && grep -q "frame 8 is outside its frames 0..7" "$tap_tmp/err"' \
    "frame out of range: exit 1"
ok '[ "$(run preview "$ENG" --frame 0 --qp 30)" = 1 ] && grep -q "no rate point 30 (it has 27 37)" "$tap_tmp/err"' \
    "unknown rate point: exit 1, naming the run's points"
ok '[ "$(run preview "$ENG")" = 2 ] && grep -q "frame N is required" "$tap_tmp/err"' "no --frame: exit 2"
ok '[ "$(run preview "$ENG" --frame x)" = 2 ]' "--frame x: exit 2"
ok '[ "$(run preview "$ENG" --frame 0 --mode blur)" = 2 ] && grep -q "mode is side, diff, flip" "$tap_tmp/err"' \
    "bad --mode: exit 2"
ok '[ "$(run preview "$ENG" --frame 0 --format kitty)" = 2 ] && grep -q "format is sixel" "$tap_tmp/err"' \
    "bad --format: exit 2"
ok '[ "$(run preview "$ENG" --frame 0 --zoom 3)" = 2 ] && grep -q "zoom is 1, 2 or 4" "$tap_tmp/err"' \
    "bad --zoom: exit 2"
ok '[ "$(run preview "$ENG" --frame 0 --zoom 2 --at 10)" = 2 ] && grep -q "at needs X,Y" "$tap_tmp/err"' \
    "bad --at: exit 2"
ok '[ "$(run preview "$ENG" --frame 0 --at 10,10)" = 2 ] && grep -q "give --zoom" "$tap_tmp/err"' \
    "--at without --zoom: exit 2"
ok '[ "$(run preview "$ENG" --frame 0 --zoom 2 --at 400,10)" = 1 ] && grep -q "outside the 352x288 frame" "$tap_tmp/err"' \
    "--at outside the frame: exit 1"
ok '[ "$(run preview "$ENG" --frame 0 --format png)" = 2 ] && grep -q "name it with -o FILE" "$tap_tmp/err"' \
    "png without -o: exit 2"
ok '[ "$(run preview "$ENG" --frame 0 -o "$tap_tmp/no/such/dir/x.png")" = 1 ] &&
    grep -q "$tap_tmp/no/such/dir/x.png" "$tap_tmp/err" && ! [ -e "$tap_tmp/no" ]' \
    "unwritable -o: exit 1, naming the file"
ok '[ "$(run preview --help)" = 0 ] && grep -q "^Usage: codecbench preview RUN --frame N" "$tap_tmp/out" &&
    grep -q "^\.SS preview" "$CB_SRCDIR/man/codecbench.1" && grep -q "codecbench preview RUN" "$CB_SRCDIR/README.md"' \
    "--help, the man page and README document preview"
done_testing

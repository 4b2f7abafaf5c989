# The frame server (`codecbench frames`) through the frame client
# (tests/tools/frames_dump): served frames checked against independent
# decodes (`codecbench decode` for engine streams, the ffmpeg CLI for x264
# streams and for the source), the block map's grid, damaged streams giving
# per-frame errors while the frames before the damage still come, and runs
# the server cannot serve giving a failed hello with the reason.
. "$CB_SRCDIR/tests/tap.sh"
need_clips
cb=$CB_BIN
dump=$CB_BUILDDIR/tests/tools/frames_dump
t=$tap_tmp
src=$CB_CLIPS/natural.y4m   # 352x288 (CIF)
W=352
H=288

make_run() {
    mkdir -p "$1"
    printf '{"format":1,"id":1,"experiment":"test","input":"%s","first_frame":%s,"frames":%s,"parent":0,"origin":"user","created":1764100000}\n' \
        "$2" "$3" "$4" > "$1/run.json"
    printf '%s\n' "$5" > "$1/recipe.json"
}

# frame_of FILE.y4m N OUT: frame N's planes of a 4:2:0 y4m, packed.
frame_of() {
    "$PYTHON3" - "$1" "$2" "$3" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
hdr = d[:d.index(b'\n')].split()
w = int([x for x in hdr if x.startswith(b'W')][0][1:]); h = int([x for x in hdr if x.startswith(b'H')][0][1:])
fb = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
p = d.index(b'\n') + 1
for i in range(int(sys.argv[2]) + 1):
    p = d.index(b'\n', p) + 1
    if i == int(sys.argv[2]):
        open(sys.argv[3], 'wb').write(d[p:p + fb])
    p += fb
EOF
}

# An engine run: 12 frames from frame 2 of the clip, I frames every 5.
recipe=$("$PYTHON3" -c "
import json
r = json.load(open('$CB_SRCDIR/samples/recipes/fast.json'))
r['settings']['qps'] = [30, 40]
r['settings']['gop'] = 5
print(json.dumps(r))")
e=$t/engine
make_run "$e" "$src" 2 12 "$recipe"
"$cb" worker "$e" > /dev/null 2> "$t/err"
ok '[ $? = 0 ] && [ -s "$e/qp30.cbv" ]' "an engine run to serve ($(head -c 200 "$t/err"))"

# Forward, mid-GOP, backwards across a GOP, the same frame again, the end.
"$dump" "$cb" "$e" 30 "$t/e" 0 7 3 8 8 11 1 > "$t/e.out" 2> "$t/err"
ok '[ $? = 0 ] && head -n 1 "$t/e.out" | grep -qx "hello 352 288 12 1"' "hello: the clip's size, 12 frames, an engine stream ($(head -c 300 "$t/e.out"))"
ok '[ $(grep -c "^frame" "$t/e.out") = 7 ]' "every frame asked for is served"
"$cb" decode "$e/qp30.cbv" "$t/e.y4m" > /dev/null 2>&1
same=1
for n in 0 7 3 8 11 1; do
    frame_of "$t/e.y4m" $n "$t/ref.yuv"
    cmp -s "$t/ref.yuv" "$t/e-rec-$n.yuv" || { same=0; diag "frame $n differs from codecbench decode"; }
done
ok '[ $same = 1 ]' "reconstructions equal codecbench decode's output (frames 0 7 3 8 11 1)"
if [ -n "${FFMPEG:-}" ] && [ -x "$FFMPEG" ]; then
    same=1
    for n in 0 7 11; do
        "$FFMPEG" -v error -i "$src" -vf "select=eq(n\,$((n + 2)))" -frames:v 1 -f rawvideo \
            -pix_fmt yuv420p -y "$t/ref.yuv"
        cmp -s "$t/ref.yuv" "$t/e-src-$n.yuv" || { same=0; diag "source frame $n differs"; }
    done
    ok '[ $same = 1 ]' "source frames equal ffmpeg's read of the clip at first_frame + N"
else
    skip "source frames against ffmpeg" "the ffmpeg command-line tool is not installed"
fi
ok 'grep -q "^frame 0 I [0-9]* 44x36 1584 0 0$" "$t/e.out" && grep -q "^frame 7 P [0-9]* 44x36 " "$t/e.out"' "engine pairs carry a 44x36 block map; the I frame's 1584 blocks are all intra"
ok '"$PYTHON3" - "$t/e-blk-7.txt" <<EOF
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1])]
assert len(rows) == 44 * 36
assert set((r[0], r[1]) for r in rows) == set((c, r) for r in range(36) for c in range(44))
assert all(r[3] == 16 for r in rows), "fast.json has no 8x8 split"
assert all(r[6] == 0 and r[7] == 0 for r in rows if r[2] == 0), "intra blocks carry no vector"
assert all(r[4] == 0 for r in rows if r[2] != 0), "only intra blocks have a mode"
assert any(r[2] != 0 for r in rows), "a P frame has inter or skip blocks"
EOF' "the block map of a P frame: every cell once, 16x16 blocks, vectors only on inter and skip blocks"

# An odd size (175x143: chroma 88x72, a 22x18 block grid).
o=$t/odd
make_run "$o" "$CB_CLIPS/odd_175x143.y4m" 0 4 "$recipe"
"$cb" worker "$o" > /dev/null 2> "$t/err"
"$dump" "$cb" "$o" 40 "$t/o" 3 1 > "$t/o.out" 2> "$t/err"
"$cb" decode "$o/qp40.cbv" "$t/o.y4m" > /dev/null 2>&1
same=1
for n in 3 1; do
    frame_of "$t/o.y4m" $n "$t/ref.yuv"
    cmp -s "$t/ref.yuv" "$t/o-rec-$n.yuv" || same=0
    frame_of "$CB_CLIPS/odd_175x143.y4m" $n "$t/ref.yuv"
    cmp -s "$t/ref.yuv" "$t/o-src-$n.yuv" || same=0
done
ok 'head -n 1 "$t/o.out" | grep -qx "hello 175 143 4 1" && grep -q "^frame 3 P [0-9]* 22x18 " "$t/o.out" && [ $same = 1 ]' "an odd size: source and reconstruction as codecbench decode and the clip have them, a 22x18 grid ($(head -c 200 "$t/o.out"))"

# The x264 baseline: the reconstruction against the ffmpeg CLI's decode of
# the stored stream (B frames: presentation order).
if [ -z "${FFMPEG:-}" ] || ! [ -x "$FFMPEG" ] || ! "$FFMPEG" -hide_banner -encoders 2>/dev/null | grep -q libx264; then
    skip "x264 run served" "no ffmpeg CLI with libx264"
else
    x264=$("$PYTHON3" -c "
import json
r = json.load(open('$CB_SRCDIR/samples/recipes/x264-veryfast.json'))
r['settings']['points'] = [27, 37]
print(json.dumps(r))")
    b=$t/x264
    make_run "$b" "$src" 0 10 "$x264"
    "$cb" worker "$b" > /dev/null 2> "$t/err"
    "$dump" "$cb" "$b" 27 "$t/x" 0 6 2 9 5 > "$t/x.out" 2> "$t/err"
    ok 'head -n 1 "$t/x.out" | grep -qx "hello 352 288 10 0" && [ $(grep -c "^frame [0-9]* [IPB] [0-9]* 0x0 0 0 0$" "$t/x.out") = 5 ]' "x264: hello and five frames, typed, no block map ($(head -c 300 "$t/x.out"))"
    "$FFMPEG" -v error -i "$b/qp27.h264" -f rawvideo -pix_fmt yuv420p -y "$t/x.yuv"
    same=1
    for n in 0 6 2 9 5; do
        "$PYTHON3" -c "
import sys
fb = $W * $H * 3 // 2
d = open('$t/x.yuv', 'rb').read()[$n * fb:($n + 1) * fb]
sys.exit(0 if len(d) == fb and d == open('$t/x-rec-$n.yuv', 'rb').read() else 1)" ||
            { same=0; diag "x264 frame $n differs from ffmpeg's decode"; }
    done
    ok '[ $same = 1 ]' "x264 reconstructions equal the ffmpeg CLI's decode (frames 0 6 2 9 5)"
fi

# A damaged stream: packet 7 corrupted in its middle, the file cut inside
# packet 10.  Frames 0..6 still come; 7 and the rest of its GOP (8, 9) fail
# with reasons naming the stream; 10 and 11 lie past the cut.
d=$t/damaged
cp -r "$e" "$d"
"$PYTHON3" - "$d/qp30.cbv" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
pos, offs = 64, []
while pos < len(b):
    n = int.from_bytes(b[pos:pos + 4], 'big'); offs.append((pos + 4, n)); pos += 4 + n
o, n = offs[7]
for i in range(o + 2, o + n):
    b[i] ^= 0x5a
o, n = offs[10]
open(p, 'wb').write(bytes(b[:o + n // 2]))
EOF
"$dump" "$cb" "$d" 30 "$t/d" 6 7 8 10 3 > "$t/d.out" 2> "$t/err"
ok 'grep -q "^frame 6 " "$t/d.out" && grep -q "^frame 3 " "$t/d.out"' "damaged stream: frames before the damage still come ($(head -c 400 "$t/d.out"))"
ok 'grep -q "^error 7 -4 .*qp30.cbv: frame 7: " "$t/d.out" && grep -q "^error 8 -4 .*frame 8 needs frame 7" "$t/d.out"' "the corrupt frame and the frame that needs it give error replies naming them"
ok 'grep -q "^error 10 -4 .*frame 10 lies past the end of the stream.s readable packets: .*packet 10: truncated" "$t/d.out"' "a frame past the cut: the reason names the damage"
frame_of "$t/e.y4m" 3 "$t/ref.yuv"
ok 'cmp -s "$t/ref.yuv" "$t/d-rec-3.yuv"' "after the errors, frame 3 still decodes right"

# Runs the server cannot serve: a failed hello with the reason.
"$dump" "$cb" "$e" 31 "$t/f" 0 > "$t/f.out" 2>&1
ok 'grep -q "^failed -2 .*rate 31 is not one of the run.s points (30, 40)" "$t/f.out"' "a rate that is not a point: failed hello naming the points ($(cat "$t/f.out"))"
"$dump" "$cb" "$t/nowhere" 30 "$t/f" 0 > "$t/f.out" 2>&1
ok 'grep -q "^failed -10 .*nowhere/run.json: No such file" "$t/f.out"' "a missing run directory: failed hello naming it ($(cat "$t/f.out"))"
rm "$d/qp40.cbv"
"$dump" "$cb" "$d" 40 "$t/f" 0 > "$t/f.out" 2>&1
ok 'grep -q "^failed -3 .*qp40.cbv" "$t/f.out"' "a missing stream: failed hello naming it ($(cat "$t/f.out"))"

# The command itself.
"$cb" frames "$e" > /dev/null 2>&1
ok '[ $? = 2 ]' "frames without --rate: usage error"
"$cb" frames --rate x "$e" > /dev/null 2>&1
ok '[ $? = 2 ]' "frames --rate x: usage error"
"$cb" frames --help | grep -q "Usage: codecbench frames RUN_DIR --rate R"
ok '[ $? = 0 ]' "frames --help"
printf '0\n1\n2\n' | { "$cb" frames "$e" --rate 30 2> "$t/err"; echo $? > "$t/rc"; } | head -c 36 > /dev/null
ok '[ "$(cat "$t/rc")" = 0 ] && [ ! -s "$t/err" ]' "a client that goes away mid-reply: the server ends quietly ($(cat "$t/rc") $(head -c 200 "$t/err"))"
done_testing

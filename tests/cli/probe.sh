# codecbench probe on real files of several codecs, containers and formats.
. "$CB_SRCDIR/tests/tap.sh"
need_clips
cb=$CB_BIN
c=$CB_CLIPS
py() { "$PYTHON3" -c "import json,sys; d=json.load(open('$tap_tmp/p.json')); sys.exit(0 if ($1) else 1)"; }
probe_json() { "$cb" probe --json "$@" > "$tap_tmp/p.json" 2>"$tap_tmp/err"; }

probe_json "$c/motion.x264.qp22.mp4"
ok 'py "d[\"codec\"]==\"h264\" and d[\"width\"]==352 and d[\"height\"]==288 and d[\"frames_stated\"]==30 and d[\"conversion\"] is None"' "mp4/h264: codec, size, 30 frames stated, no conversion"
ok 'py "d[\"fps\"]==[30,1] and not d[\"variable_frame_rate\"]"' "mp4/h264: 30 fps, constant"

probe_json --decode "$c/noise.vp9.crf40.webm"
ok 'py "d[\"codec\"] in (\"vp9\",\"libvpx-vp9\") and d[\"decoded\"][\"frames\"]==30"' "webm/vp9: 30 frames decoded"
ok 'py "d[\"decoded\"][\"stream_bytes\"] > 0 and d[\"decoded\"][\"stream_bytes\"] <= d[\"file_bytes\"]"' "webm/vp9: packet bytes counted, not more than the file"

for f in motion.theora.q5.ogv texture.mpeg4.q4.avi texture.x264.crf30.mkv; do
    probe_json --decode "$c/$f"
    ok 'py "d[\"decoded\"][\"frames\"]==30"' "$f: 30 frames decoded"
done

probe_json "$c/fmt_422p10.mkv"
ok 'py "d[\"pix_fmt\"]==\"yuv422p10le\" and d[\"bit_depth\"]==10 and \"yuv420p\" in d[\"conversion\"]"' "4:2:2 10-bit: conversion reported"
probe_json "$c/fmt_rgb.mkv"
ok 'py "d[\"conversion\"] is not None and d[\"pix_fmt\"]==\"bgr0\""' "RGB: conversion reported"
probe_json "$c/fmt_444.mkv"
ok 'py "d[\"conversion\"].startswith(\"yuv444p\")"' "4:4:4: conversion reported"
"$cb" probe "$c/fmt_444.mkv" > "$tap_tmp/p.txt"
ok 'grep -q "^frames as: *yuv444p -> yuv420p" "$tap_tmp/p.txt"' "text output shows the conversion"

probe_json --decode "$c/odd_175x143.y4m"
ok 'py "d[\"width\"]==175 and d[\"height\"]==143 and d[\"decoded\"][\"frames\"]==10"' "odd size 175x143 kept"
"$cb" probe "$c/odd_175x143.y4m" > "$tap_tmp/p.txt"
ok 'grep -q "chroma 88x72" "$tap_tmp/p.txt"' "odd size: chroma planes rounded up (88x72)"

probe_json --decode "$c/vfr.mkv"
ok 'py "d[\"decoded\"][\"frames\"]==30"' "variable frame rate: no frame dropped or duplicated"

# The identity comes from decoded frames, not the file: a lossless re-encode
# of motion.y4m in another codec and container has the same identity, and a
# lossy one does not.
if [ -n "${FFMPEG:-}" ]; then
    "$FFMPEG" -nostdin -loglevel error -i "$c/motion.y4m" -c:v ffv1 "$tap_tmp/lossless.mkv"
    a=$("$cb" probe --decode --json "$c/motion.y4m" | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["decoded"]["identity"])')
    b=$("$cb" probe --decode --json "$tap_tmp/lossless.mkv" | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["decoded"]["identity"])')
    l=$("$cb" probe --decode --json "$c/motion.x264.qp22.mp4" | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["decoded"]["identity"])')
    ok '[ ${#a} = 64 ] && [ "$a" = "$b" ]' "identity of y4m and its lossless ffv1/mkv copy agree"
    ok '[ "$a" != "$l" ]' "identity of a lossy encode differs"
else
    skip "identity across containers" "no ffmpeg CLI"
    skip "identity of a lossy encode" "no ffmpeg CLI"
fi
done_testing

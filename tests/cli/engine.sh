# The engine through the CLI: encode, decode, statistics, damaged streams.
. "$CB_SRCDIR/tests/tap.sh"
need_clips
cb=$CB_BIN
c=$CB_CLIPS
t=$tap_tmp
r=$CB_SRCDIR/samples/recipes

"$cb" encode --recipe "$r/default.json" --qp 30 --frames 10 "$c/motion.y4m" "$t/m.cbv" > "$t/enc.txt" 2> "$t/err"
ok '[ $? = 0 ] && [ -s "$t/m.cbv" ]' "encode with the default recipe"
ok 'grep -q "^encoded 10 frames with recipe .default. at QP 30" "$t/enc.txt"' "encode says what it did"
ok 'grep -q "Measured on frames decoded from the written stream" "$t/enc.txt"' "encode measures decoded frames"
"$cb" decode "$t/m.cbv" "$t/m.y4m" > "$t/out" 2> "$t/err"
ok '[ $? = 0 ] && [ -s "$t/m.y4m" ]' "decode writes y4m"
# The PSNR encode printed equals the one measured independently on the
# decoded y4m by `metrics` (both print 3 decimals).
psnr_enc=$(sed -n 's/^PSNR: *Y \([0-9.]*\).*/\1/p' "$t/enc.txt")
"$cb" metrics --summary --shortest "$c/motion.y4m" "$t/m.y4m" > "$t/met.txt" 2>/dev/null
psnr_met=$(sed -n 's/^PSNR, mean of frames *\([0-9.]*\).*/\1/p' "$t/met.txt")
ok '[ -n "$psnr_enc" ] && [ "$psnr_enc" = "$psnr_met" ]' "encode's PSNR-Y ($psnr_enc) = metrics on the decoded file ($psnr_met)"
# The stream is bytes of a real size: the summary's byte count is the file's.
bytes=$(sed -n 's/^stream: *\([0-9]*\) bytes.*/\1/p' "$t/enc.txt")
ok '[ "$bytes" = "$(wc -c < "$t/m.cbv")" ]' "encode counts every byte of the stream ($bytes)"
"$cb" encode --recipe "$r/x264-medium.json" --frames 2 "$c/motion.y4m" "$t/x.cbv" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "x264-medium.json: a baseline recipe" "$t/err" && [ ! -e "$t/x.cbv" ]' "encode refuses a baseline recipe"

for rec in "$r"/*.json; do
    name=$(basename "$rec" .json)
    # Baseline recipes ("codec": "ffmpeg") run FFmpeg's encoders, not the engine.
    grep -q '"codec": *"ffmpeg"' "$rec" && continue
    "$cb" encode --recipe "$rec" --frames 4 "$c/natural.y4m" "$t/$name.cbv" > "$t/out" 2> "$t/err"
    ok '[ $? = 0 ] && "$cb" decode "$t/$name.cbv" > /dev/null' "sample recipe $name encodes and decodes"
done

"$cb" decode --stats "$t/m.cbv" > "$t/stats.txt"
ok 'grep -q "^bits by syntax element" "$t/stats.txt" && grep -q "^  coef_luma" "$t/stats.txt"' "decode --stats: bits per syntax element"
ok 'grep -q "^coding blocks:" "$t/stats.txt" && grep -q "^most frequent vectors" "$t/stats.txt"' "decode --stats: blocks and motion"
"$cb" decode --json "$t/m.cbv" > "$t/stats.json"
ok '"$PYTHON3" -c "import json; d=json.load(open(\"$t/stats.json\")); assert d[\"frames\"][\"I\"] + d[\"frames\"][\"P\"] == 10"' "decode --json: 10 frames"

# Damage: a flipped byte in a frame, a cut file, a forged length, not a stream.
cp "$t/m.cbv" "$t/flip.cbv"
size=$(wc -c < "$t/m.cbv")
printf '\377' | dd of="$t/flip.cbv" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
"$cb" decode "$t/flip.cbv" > /dev/null 2> "$t/err"
rc=$?
ok '[ $rc = 1 ] && grep -q "flip.cbv: frame [0-9]*" "$t/err"' "a flipped byte: exit 1 naming the frame ($(head -c 120 "$t/err"))"
head -c $((size - 7)) "$t/m.cbv" > "$t/cut.cbv"
"$cb" decode "$t/cut.cbv" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "cut.cbv: packet [0-9]*: truncated" "$t/err"' "a cut file: exit 1, truncated"
{ head -c 64 "$t/m.cbv"; printf '\177\377\377\377'; } > "$t/forged.cbv"
"$cb" decode "$t/forged.cbv" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "claims 2147483647 bytes" "$t/err"' "a forged packet length is refused before any allocation"
"$cb" decode "$c/bad_text.mp4" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "bad_text.mp4" "$t/err"' "a text file is not a stream"
head -c 200 /dev/zero > "$t/zero.cbv"
"$cb" decode "$t/zero.cbv" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "not a codecbench stream" "$t/err"' "zeros are not a stream"

# Bad recipes and options.
printf '{"name": "x", "codec": "engine", "settings": {"block_size": 12}}' > "$t/bad.json"
"$cb" encode --recipe "$t/bad.json" "$c/motion.y4m" "$t/x.cbv" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "settings.block_size: 12 is not one of 8, 16" "$t/err" && [ ! -e "$t/x.cbv" ]' "an invalid recipe names the field; no stream written"
"$cb" encode --recipe "$t/none.json" "$c/motion.y4m" "$t/x.cbv" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "none.json: No such file" "$t/err"' "a missing recipe"
"$cb" encode --frames 3 "$c/motion.y4m" "$t/nor.cbv" > "$t/out" 2> "$t/err"
ok '[ $? = 0 ] && grep -q "recipe .default. at QP 32" "$t/out"' "without --recipe: the built-in defaults, the middle QP"
"$cb" encode --recipe "$r/default.json" --qp 60 "$c/motion.y4m" "$t/x.cbv" > /dev/null 2> "$t/err"
ok '[ $? = 2 ]' "--qp 60: usage error"
"$cb" encode --recipe "$r/default.json" "$c/bad_text.mp4" "$t/x.cbv" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && [ ! -e "$t/x.cbv" ]' "a bad input leaves no stream behind"
done_testing

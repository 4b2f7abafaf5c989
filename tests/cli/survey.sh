# survey measures a folder of sample clips and their encodes end to end.
. "$CB_SRCDIR/tests/tap.sh"
need_ffmpeg
DEMO_FRAMES=8 "$CB_SRCDIR/samples/make-clips" --demo "$tap_tmp/demo" 2>/dev/null
"$CB_BIN" survey "$tap_tmp/demo" > "$tap_tmp/out" 2> "$tap_tmp/err"
ok '[ $? = 0 ]' "demo exits 0"
ok '[ "$(grep -cE "^  (x264|mpeg4) " "$tap_tmp/out")" -ge 30 ]' "a row for every encode of three or more sources"
ok 'grep -qE "^  BD-rate of mpeg4 +vs x264 \(PSNR-Y\): +[-+][0-9]+\.[0-9]+ %" "$tap_tmp/out"' "a BD-rate per clip"
ok 'grep -qE "^  mpeg4 +[-+][0-9]+\.[0-9]+ %" "$tap_tmp/out"' "a mean BD-rate over clips"
ok '! grep -qi placeholder "$tap_tmp/out"' "no placeholder values"
done_testing

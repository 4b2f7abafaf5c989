# Golden stream: tests/data/golden.cbv (96x64, 6 frames, made with
# tests/data/golden.json from lavfi testsrc2: two GOPs with KLT bases, two slices,
# P frames, 8x8 splits and the restoration filter) must decode to the same
# frames on every machine: the decoder is integer.  The MD5 is of the y4m
# that `codecbench decode` writes.  A change to the bitstream regenerates
# this file and its MD5 (and, once streams are kept anywhere, bumps the
# stream version).
. "$CB_SRCDIR/tests/tap.sh"
want=9a46707c058cfe017bc25e19a694b9f4
"$CB_BIN" decode "$CB_SRCDIR/tests/data/golden.cbv" "$tap_tmp/g.y4m" > /dev/null 2> "$tap_tmp/err"
ok '[ $? = 0 ]' "golden.cbv decodes"
got=$(md5sum < "$tap_tmp/g.y4m" | cut -d' ' -f1)
ok '[ "$got" = "$want" ]' "golden.cbv decodes to MD5 $want (got $got)"
"$CB_BIN" decode --json "$CB_SRCDIR/tests/data/golden.cbv" > "$tap_tmp/s.json"
ok '"$PYTHON3" -c "import json; d=json.load(open(\"$tap_tmp/s.json\")); assert d[\"frames\"]==dict(I=2, P=4) and d[\"klt_bases_sent\"] >= 1 and d[\"restoration_frames\"][0] + d[\"restoration_frames\"][1] >= 1 and d[\"blocks\"][\"size8\"] > 0 and d[\"blocks\"][\"inter\"] > 0"' "golden.cbv exercises KLT, restoration, 8x8 splits and inter blocks"
done_testing

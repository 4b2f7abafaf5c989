# The worker and verification end to end: a run directory made by hand, the
# figures of result.json checked against independent references (FFmpeg's
# psnr filter on `codecbench decode` output, kbps from file sizes), and every
# failure (tampered stream, corrupt digests, missing clip, invalid recipe,
# full disk) giving a clear error.
. "$CB_SRCDIR/tests/tap.sh"
need_clips
cb=$CB_BIN
t=$tap_tmp
src=$CB_CLIPS/natural.y4m   # 352x288 (CIF), 20 fps

# make_run DIR INPUT FIRST FRAMES RECIPE_JSON: run.json and recipe.json as the
# store writes them.
make_run() {
    mkdir -p "$1"
    printf '{"format":1,"id":1,"experiment":"test","input":"%s","first_frame":%s,"frames":%s,"parent":0,"origin":"user","created":1764100000}\n' \
        "$2" "$3" "$4" > "$1/run.json"
    printf '%s\n' "$5" > "$1/recipe.json"
}
# The fast sample recipe with two QPs.
recipe=$("$PYTHON3" -c "
import json, sys
r = json.load(open('$CB_SRCDIR/samples/recipes/fast.json'))
r['settings']['qps'] = [27, 37]
print(json.dumps(r))")

r=$t/run
make_run "$r" "$src" 3 10 "$recipe"
CODECBENCH_CONCURRENCY=3 "$cb" worker "$r" > "$t/out" 2> "$t/err"
rc=$?
ok '[ $rc = 0 ] && [ -s "$r/qp27.cbv" ] && [ -s "$r/qp37.cbv" ] && [ ! -s "$t/out" ]' "worker: exit 0, one stream per rate point, nothing on stdout ($(head -c 200 "$t/err"))"
ok '[ -s "$r/worker.json" ] && [ -s "$r/digests.json" ] && ! ls "$r"/*.tmp 2>/dev/null' "worker.json and digests.json written, no temporary file left"
ok '"$PYTHON3" - "$r/events.jsonl" <<EOF
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
names = [e["event"] for e in ev]
assert names[0] == "start" and ev[0]["points"] == 2 and ev[0]["frames"] == 10, ev[0]
assert names[1] == "clip" and ev[1]["width"] == 352 and len(ev[1]["clip_id"]) == 64, ev[1]
assert names[-1] == "done", names
pts = [e for e in ev if e["event"] == "point"]
assert [p["rate"] for p in pts] == [27, 37] and all(p["bytes"] > 0 and p["kbps"] > 0 for p in pts)
prog = [e for e in ev if e["event"] == "progress"]
assert prog and prog[-1]["frame"] == 10 and prog[-1]["frames"] == 10
assert all(isinstance(e["t"], float) and e["t"] > 1.6e9 for e in ev)
EOF' "events.jsonl: start, clip, progress, point and done lines, each one JSON object"
ok '"$PYTHON3" - "$r/worker.json" "$r/digests.json" <<EOF
import json, sys
w = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
assert w["concurrency"] == 3 and all(p["concurrency"] == 3 for p in w["points"])
assert w["frames"] == 10 and w["first_frame"] == 3 and w["codec"] == "engine"
assert w["machine"]["cores"] >= 1 and w["machine"]["cpu"] and w["codecbench_version"]
assert all(p["encode_cpu_s"] > 0 and p["peak_rss_kib"] > 1000 for p in w["points"])
assert [len(p["frames"]) for p in d["points"]] == [10, 10]
assert all(len(h) == 64 for p in d["points"] for h in p["frames"])
EOF' "worker.json records concurrency, machine, timings; digests.json a full SHA-256 per frame"

"$cb" verify "$r" > "$t/out" 2> "$t/err"
rc=$?
ok '[ $rc = 0 ] && [ -s "$r/result.json" ] && ! ls "$r"/*.tmp 2>/dev/null' "verify: exit 0, result.json written atomically ($(head -c 200 "$t/err"))"
ok 'tail -n 2 "$r/events.jsonl" | grep -q "\"event\":\"verify\"" && tail -n 1 "$r/events.jsonl" | grep -q "\"event\":\"verified\""' "verify appends verify and verified events"

# kbps by hand: a .cbv file is a 64-byte sequence header, then per frame a
# 4-byte length and the packet; the payload is the header plus the packets,
# i.e. the file's size minus 4 bytes per frame.  10 frames at 20 fps last
# 0.5 s, so kbps = payload * 8 / 0.5 / 1000.
for q in 27 37; do
    size=$(wc -c < "$r/qp$q.cbv")
    payload=$((size - 4 * 10))
    ok '"$PYTHON3" -c "
import json, sys
p = [p for p in json.load(open(\"$r/result.json\"))[\"points\"] if p[\"rate\"] == $q][0]
assert p[\"payload_bytes\"] == $payload and p[\"container_bytes\"] == $size, p
assert abs(p[\"kbps\"] - $payload * 8 / 0.5 / 1000) < 1e-9, p[\"kbps\"]
assert sum(r[0] for r in p[\"rows\"]) == $payload * 8
assert [r[1] for r in p[\"rows\"]][0] == \"I\"
"' "QP $q: payload $payload bytes = file size - 4 x 10, kbps = payload x 8 / 0.5 s / 1000, frame bits sum to it"
done

# PSNR against FFmpeg's psnr filter on the engine's decoded output, per
# frame within 0.01 dB (both print to 2 decimals or more; the filter is the
# reference the metrics module is tested against).
if [ -n "${FFMPEG:-}" ] && [ -x "$FFMPEG" ]; then
    for q in 27 37; do
        "$cb" decode "$r/qp$q.cbv" "$t/dec$q.y4m" > /dev/null 2>&1
        "$FFMPEG" -v error -i "$t/dec$q.y4m" -i "$src" -lavfi \
            "[1:v]trim=start_frame=3:end_frame=13,setpts=PTS-STARTPTS[ref];[0:v]setpts=PTS-STARTPTS[dec];[dec][ref]psnr=stats_file=$t/psnr$q.log" \
            -f null - 2> "$t/ff.err"
        ok '"$PYTHON3" - "$r/result.json" "$t/psnr$q.log" $q <<EOF
import json, sys
p = [p for p in json.load(open(sys.argv[1]))["points"] if p["rate"] == int(sys.argv[3])][0]
ff = []
for line in open(sys.argv[2]):
    kv = dict(f.split(":") for f in line.split())
    ff.append([float(kv["psnr_y"]), float(kv["psnr_u"]), float(kv["psnr_v"])])
assert len(ff) == 10 == len(p["rows"]), (len(ff), len(p["rows"]))
for n, (row, ref) in enumerate(zip(p["rows"], ff)):
    for c in range(3):
        assert abs(row[2 + c] - ref[c]) <= 0.01, (n, c, row[2 + c], ref[c])
EOF' "QP $q: per-frame PSNR Y/U/V equal FFmpeg's psnr filter on the decoded stream within 0.01 dB"
    done
else
    skip "PSNR against FFmpeg's psnr filter" "the ffmpeg command-line tool is not installed"
fi

# Verification again gives the same figures (only the times differ).
cp "$r/result.json" "$t/first.json"
"$cb" verify "$r" > /dev/null 2>&1
ok '"$PYTHON3" -c "
import json
a, b = json.load(open(\"$t/first.json\")), json.load(open(\"$r/result.json\"))
for p, q in zip(a[\"points\"], b[\"points\"]):
    assert p[\"rows\"] == q[\"rows\"] and p[\"psnr_global\"] == q[\"psnr_global\"]
"' "a second verification gives the same per-frame figures"

# A flipped byte in a stored stream fails verification, naming the point.
cp -r "$r" "$t/flip"
size=$(wc -c < "$t/flip/qp37.cbv")
printf '\125' | dd of="$t/flip/qp37.cbv" bs=1 seek=$((size * 2 / 3)) conv=notrunc 2>/dev/null
cmp -s "$r/qp37.cbv" "$t/flip/qp37.cbv" || flipped=1
rm -f "$t/flip/result.json"
"$cb" verify "$t/flip" > /dev/null 2> "$t/err"
rc=$?
ok '[ "$flipped" = 1 ] && [ $rc = 1 ] && grep -q "qp37.cbv" "$t/err" && [ ! -e "$t/flip/result.json" ]' "a flipped byte in qp37.cbv: verify fails naming it, no result.json ($(head -c 200 "$t/err"))"
ok 'tail -n 1 "$t/flip/events.jsonl" | grep -q "\"event\":\"error\",\"stage\":\"verify\""' "the failure is appended as an error event"

# Corrupt digests.json: not JSON, and one digest altered.
cp -r "$r" "$t/dig"
printf '{"format":1,"points":[' > "$t/dig/digests.json"
"$cb" verify "$t/dig" > /dev/null 2> "$t/err"
rc=$?
ok '[ $rc = 1 ] && grep -q "digests.json: not valid JSON" "$t/err"' "a truncated digests.json fails ($(head -c 160 "$t/err"))"
cp "$r/digests.json" "$t/dig/digests.json"
"$PYTHON3" -c "
import json
d = json.load(open('$t/dig/digests.json'))
h = d['points'][0]['frames'][4]
d['points'][0]['frames'][4] = ('0' if h[0] != '0' else '1') + h[1:]
json.dump(d, open('$t/dig/digests.json', 'w'))"
"$cb" verify "$t/dig" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "qp27.cbv (point QP 27): frame 4 decodes differently" "$t/err"' "an altered digest fails naming the point and the frame"

# worker.json and recipe.json are claims to check, not to trust.
cp -r "$r" "$t/claim"
"$PYTHON3" -c "
import json
w = json.load(open('$t/claim/worker.json'))
w['points'][1]['stream'] = '../../etc/passwd'
json.dump(w, open('$t/claim/worker.json', 'w'))"
"$cb" verify "$t/claim" > /dev/null 2> "$t/err"
rc=$?
ok '[ $rc = 1 ] && grep -q "stream .\.\./\.\./etc/passwd. is not .qp37.cbv." "$t/err"' "a stream name in worker.json is never used as a path ($(head -c 160 "$t/err"))"
cp "$r/worker.json" "$t/claim/worker.json"
"$PYTHON3" -c "
import json
w = json.load(open('$t/claim/worker.json'))
w['points'][0]['payload_bytes'] -= 100
json.dump(w, open('$t/claim/worker.json', 'w'))"
"$cb" verify "$t/claim" > /dev/null 2> "$t/err"
rc=$?
ok '[ $rc = 1 ] && grep -q "qp27.cbv: [0-9]* payload / [0-9]* file bytes, the worker wrote" "$t/err"' "byte counts that differ from the worker's fail ($(head -c 160 "$t/err"))"
cp "$r/worker.json" "$t/claim/worker.json"
"$PYTHON3" -c "
import json
d = json.load(open('$t/claim/recipe.json'))
d['settings']['gop'] = 7
json.dump(d, open('$t/claim/recipe.json', 'w'))"
"$cb" verify "$t/claim" > /dev/null 2> "$t/err"
rc=$?
ok '[ $rc = 1 ] && grep -q "the recipe changed after the encode" "$t/err"' "a recipe changed after the encode fails"

# The input is a different clip now: the identity check catches it.
cp -r "$r" "$t/other"
sed -i "s|$src|$CB_CLIPS/motion.y4m|" "$t/other/run.json"
"$cb" verify "$t/other" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "are not those the worker encoded" "$t/err"' "a source that changed fails verification"

# A missing input clip.
make_run "$t/miss" "$t/no-such-clip.y4m" 0 10 "$recipe"
"$cb" worker "$t/miss" > /dev/null 2> "$t/err"
rc=$?
ok '[ $rc = 1 ] && grep -q "no-such-clip.y4m: No such file" "$t/err" && grep -q "\"event\":\"error\"" "$t/miss/events.jsonl"' "a missing input: exit 1 naming it, an error event ($(head -c 160 "$t/err"))"

# More frames than the clip has.
make_run "$t/short" "$src" 0 100000 "$recipe"
"$cb" worker "$t/short" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "natural.y4m has [0-9]* frames from frame 0; the run asks for 100000" "$t/err"' "a range past the clip's end is refused"

# An invalid recipe names the field.
make_run "$t/bad" "$src" 0 10 '{"name": "x", "codec": "engine", "settings": {"block_size": 12}}'
"$cb" worker "$t/bad" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "recipe.json: settings.block_size: 12 is not one of 8, 16" "$t/err" && ! ls "$t/bad"/*.cbv 2>/dev/null' "an invalid recipe: exit 1 naming the field, no stream"

# run.json hostile values.
make_run "$t/rel" "relative/clip.y4m" 0 10 "$recipe"
"$cb" worker "$t/rel" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "run.json: input: .relative/clip.y4m. is not an absolute path" "$t/err"' "a relative input path is refused"
"$cb" worker "$t/none" > /dev/null 2> "$t/err"
ok '[ $? = 1 ] && grep -q "run directory .*none: No such file" "$t/err"' "a missing run directory"
"$cb" worker > /dev/null 2>&1
ok '[ $? = 2 ]' "worker without RUN_DIR: usage error"

# The x264 baseline path: an Annex B stream, decoded back by libavcodec.
if [ -n "${FFMPEG:-}" ] && [ -x "$FFMPEG" ] && ! "$FFMPEG" -hide_banner -encoders 2>/dev/null | grep -q libx264; then
    skip "x264 baseline" "this FFmpeg has no libx264"
else
    x264=$("$PYTHON3" -c "
import json
r = json.load(open('$CB_SRCDIR/samples/recipes/x264-veryfast.json'))
r['settings']['points'] = [27, 37]
print(json.dumps(r))")
    b=$t/x264
    make_run "$b" "$src" 3 10 "$x264"
    "$cb" worker "$b" > /dev/null 2> "$t/err"
    rc=$?
    if [ $rc != 0 ] && grep -q "libx264" "$t/err" && grep -qi "not\|lacks\|no " "$t/err"; then
        skip "x264 baseline" "$(head -c 120 "$t/err")"
    else
        ok '[ $rc = 0 ] && [ -s "$b/qp27.h264" ] && [ -s "$b/qp37.h264" ]' "x264 baseline: the worker writes qp27.h264 and qp37.h264 ($(head -c 160 "$t/err"))"
        "$cb" verify "$b" > /dev/null 2> "$t/err"
        rc=$?
        ok '[ $rc = 0 ] && [ -s "$b/result.json" ]' "x264 baseline: verified ($(head -c 160 "$t/err"))"
        # Annex B carries its SPS/PPS in band: the payload is the whole file;
        # 10 frames at 20 fps are 0.5 s.
        size=$(wc -c < "$b/qp27.h264")
        ok '"$PYTHON3" -c "
import json
d = json.load(open(\"$b/result.json\"))
assert d[\"codec\"] == \"libx264\" and \"x264\" in d[\"encoder_version\"], d[\"encoder_version\"]
p = d[\"points\"][0]
assert p[\"stream\"] == \"qp27.h264\" and p[\"payload_bytes\"] == $size == p[\"container_bytes\"]
assert abs(p[\"kbps\"] - $size * 8 / 0.5 / 1000) < 1e-9
assert sum(r[0] for r in p[\"rows\"]) == $size * 8
"' "x264 baseline: payload = the file's $size bytes, kbps from it, frame bits sum to it"
        if [ -n "${FFMPEG:-}" ] && [ -x "$FFMPEG" ]; then
            "$FFMPEG" -v error -i "$b/qp27.h264" -i "$src" -lavfi \
                "[1:v]trim=start_frame=3:end_frame=13,setpts=PTS-STARTPTS[ref];[0:v]setpts=PTS-STARTPTS[dec];[dec][ref]psnr=stats_file=$t/x264psnr.log" \
                -f null - 2> "$t/ff.err"
            ffprobe=$(dirname "$FFMPEG")/ffprobe
            [ -x "$ffprobe" ] && "$ffprobe" -v error -select_streams v -show_entries frame=pict_type -of csv=p=0 "$b/qp27.h264" > "$t/types.txt"
            ok '"$PYTHON3" - "$b/result.json" "$t/x264psnr.log" "$t/types.txt" <<EOF
import json, os, sys
p = json.load(open(sys.argv[1]))["points"][0]
ff = [dict(f.split(":") for f in l.split()) for l in open(sys.argv[2])]
assert len(ff) == 10 == len(p["rows"])
for row, kv in zip(p["rows"], ff):
    for c, k in enumerate(["psnr_y", "psnr_u", "psnr_v"]):
        assert abs(row[2 + c] - float(kv[k])) <= 0.01, (row, kv)
if os.path.getsize(sys.argv[3]):
    types = [l.strip().strip(",") for l in open(sys.argv[3]) if l.strip()]
    assert types == [r[1] for r in p["rows"]], (types, [r[1] for r in p["rows"]])
EOF' "x264 baseline: per-frame PSNR equals FFmpeg's psnr filter within 0.01 dB; frame types equal ffprobe's"
        fi
    fi
fi

# A full disk: the run directory on a small tmpfs that fills up.
mkdir -p "$t/full"
if mount -t tmpfs -o size=200k tmpfs "$t/full" 2> "$t/mount.err"; then
    make_run "$t/full/run" "$src" 0 10 "$recipe"
    # Leave about 8 KiB free: the run files fit, the first stream does not.
    dd if=/dev/zero of="$t/full/filler" bs=4k count=47 2>/dev/null
    "$cb" worker "$t/full/run" > /dev/null 2> "$t/err"
    rc=$?
    ok '[ $rc = 1 ] && grep -q "qp27.cbv.part: No space left on device" "$t/err" && [ ! -e "$t/full/run/qp27.cbv" ] && [ ! -e "$t/full/run/qp27.cbv.part" ]' "a full disk: exit 1 naming the stream and the reason, no partial stream ($(head -c 160 "$t/err"))"
    umount "$t/full"
else
    skip "a full disk" "cannot mount a tmpfs here: $(head -c 100 "$t/mount.err")"
fi
done_testing

# Stage runs end to end (issue 8): real runs through `codecbench run` and
# the runner on an 8-frame CIF clip, each recipe carrying C code for one
# engine stage.  A correct stage gives a verified run whose metrics equal
# FFmpeg's psnr filter on the frames `codecbench decode --stage` gives; the
# built-in intra stage under its stage-less parent is rejected as a no-op;
# a non-deterministic stage and a cheating transform end as decoder
# mismatches; non-compiling, file-including, asm and constructor stages are
# refused at the build; crashing, looping and endlessly recursing stages
# fail with their reasons while a plain run queued alongside finishes; a
# stage.so changed after the build is refused by verification; and no run
# directory but the run's own is touched.  Sandboxes and sanitizers do not
# mix (ASan reserves terabytes, seccomp denies its calls): skipped there.
. "$CB_SRCDIR/tests/tap.sh"
if [ "${CB_SANITIZERS:-no}" = yes ]; then
    skip_all "stage hosts run under seccomp and resource limits, which a sanitizer build cannot"
fi
need_ffmpeg

S="$tap_tmp/store"
export CODECBENCH_STORE="$S"
export CODECBENCH_RUNNER_IDLE_EXIT=1
# Host limits for every run of this test, low so that the endless loop ends
# soon, generous for the real stages: one answer of a host is one CIF frame
# (about 0.1 s here), a host's CPU a point of 8 frames (under 2 s); 60 s and
# 15 s leave slow CI machines a factor of ten.
export CODECBENCH_STAGE_TIMEOUT=60
export CODECBENCH_STAGE_CPU_LIMIT=15
cleanup() {
    p=$("$CB_BIN" runner --status 2>/dev/null)
    case $p in ''|none) ;; *) kill "$p" 2>/dev/null ;; esac
    rm -rf "$tap_tmp"
}
trap cleanup EXIT

field() {  # field RUN NAME: a run's field from 'show --json'
    "$CB_BIN" show "$1" --json 2>/dev/null | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
v = d.get(sys.argv[1])
print("" if v is None else v)' "$2"
}
wait_final() {  # wait_final RUN [SECONDS]: prints the final status
    i=0; lim=$((${2:-600} * 5))
    while [ $i -lt $lim ]; do
        st=$(field "$1" status)
        case $st in done|failed|cancelled|interrupted) echo "$st"; return 0 ;; esac
        sleep 0.2; i=$((i + 1))
    done
    echo timeout
}
rundir() { echo "$S/runs/$(printf %06d "$1")"; }
queue() {  # queue RECIPE [OPTIONS]: queues a run on the clip, prints its id
    r=$1; shift
    "$CB_BIN" run "$r" "$CLIP" --detach "$@" 2>/dev/null
}
run_wait() {  # run_wait RECIPE [OPTIONS]: queues, waits until final, prints its id
    id=$(queue "$@")
    [ -n "$id" ] && wait_final "$id" >/dev/null
    echo "$id"
}
# The recipe of the plain run with a stage of KIND from FILE (JSON-escaped
# by Python's json module, an independent encoder).
stage_recipe() {  # stage_recipe NAME KIND FILE > OUT.json
    "$PYTHON3" - "$1" "$2" "$3" <<'EOF'
import json, sys
name, kind, path = sys.argv[1:4]
code = open(path, encoding="utf-8").read()
print(json.dumps({"name": name, "codec": "engine",
                  "settings": {"preset": "fast", "transform": "dct", "restoration": False,
                               "gop": 8, "qps": [30, 38]},
                  "stage": {"kind": kind, "code": code}}))
EOF
}
reason_has() {  # reason_has RUN TEXT
    r=$(field "$1" reason)
    case $r in *"$2"*) return 0 ;; esac
    diag "run $1: reason: $r"
    return 1
}
# Every file of the run directories other than $1's, with its SHA-256.
snapshot_others() {  # snapshot_others RUN_ID...
    (cd "$S/runs" && for d in *; do
        skip_it=0
        for id in "$@"; do [ "$d" = "$(printf %06d "$id")" ] && skip_it=1; done
        [ $skip_it = 1 ] || find "$d" -type f -exec sha256sum {} + 
    done) | sort
}

CLIP="$tap_tmp/cif.y4m"
"$FFMPEG" -v error -f lavfi -i testsrc2=size=352x288:rate=25 -frames:v 8 -pix_fmt yuv420p "$CLIP"
cat > "$tap_tmp/plain.json" <<'EOF'
{ "name": "plain", "codec": "engine",
  "settings": { "preset": "fast", "transform": "dct", "restoration": false, "gop": 8,
                "qps": [30, 38] } }
EOF
SAMPLES="$CB_SRCDIR/samples/stages"
RUNS="$CB_SRCDIR/tests/stage/runs"

# ---- the parent: the same recipe without a stage ----------------------------
t0=$(date +%s.%N)
P=$(run_wait "$tap_tmp/plain.json")
t1=$(date +%s.%N)
ok '[ "$(field "$P" status)" = done ]' "the plain parent run $P is done"

# ---- a correct stage: a different intra predictor -----------------------------
stage_recipe smooth intra "$SAMPLES/intra_smooth.c" > "$tap_tmp/smooth.json"
t2=$(date +%s.%N)
G=$(run_wait "$tap_tmp/smooth.json" --parent "$P")
t3=$(date +%s.%N)
D=$(rundir $G)
ok '[ "$(field "$G" status)" = done ]' "intra_smooth.c: the run is done and verified"
diag "CIF 8 frames, 2 points: plain run $("$PYTHON3" -c "print(round($t1 - $t0, 2))") s, the same with a stage $("$PYTHON3" -c "print(round($t3 - $t2, 2))") s (queue to verified)"
for step in build round_trip short_clip points; do
    ok "grep -q '\"event\":\"stage\",\"step\":\"$step\",\"ok\":true' '$D/events.jsonl'" \
        "event: stage step $step ok"
done
ok '[ -s "$D/stage.so" ] && [ -f "$D/stage-build.txt" ] && cmp -s "$D/stage.c" "$SAMPLES/intra_smooth.c"' \
    "the run directory holds stage.c (the recipe's code byte for byte), stage.so and stage-build.txt"
ok '"$PYTHON3" -c "
import json, sys
w = json.load(open(sys.argv[1]))
assert w[\"stage\"][\"kind\"] == \"intra\", w[\"stage\"]
assert w[\"stage\"][\"hash\"] == sys.argv[2], (w[\"stage\"][\"hash\"], sys.argv[2])
assert w[\"stage\"][\"object_sha256\"] == sys.argv[3]
" "$D/worker.json" "$(sha256sum < "$D/stage.c" | cut -c1-64)" "$(sha256sum < "$D/stage.so" | cut -c1-64)"' \
    "worker.json's stage: kind intra, hash = sha256sum stage.c, object_sha256 = sha256sum stage.so"
ok 'readelf -d "$D/stage.so" >/dev/null && ! readelf -d "$D/stage.so" | grep -q "(NEEDED)"' "stage.so needs no library (readelf -d)"
ok '! cmp -s "$D/qp30.cbv" "$(rundir $P)/qp30.cbv"' "the stage's stream differs from the parent's"
# Without the stage, a stage stream is the engine's clear error.
"$CB_BIN" decode "$D/qp30.cbv" "$tap_tmp/nostage.y4m" >/dev/null 2>"$tap_tmp/nostage.err"
ok '[ $? -ne 0 ] && grep -q "which is not loaded" "$tap_tmp/nostage.err"' \
    "decode without --stage: 'the stream needs its intra stage ..., which is not loaded'"
# With it: frames that FFmpeg's psnr filter measures as show reports them.
for q in 30 38; do
    if "$CB_BIN" decode "$D/qp$q.cbv" "$tap_tmp/dec$q.y4m" --stage "$D" 2>"$tap_tmp/dec$q.err"; then
        pass "QP $q: decode --stage RUN_DIR"
    else
        fail "QP $q: decode --stage RUN_DIR" "$(cat "$tap_tmp/dec$q.err")"
    fi
    "$FFMPEG" -v error -i "$tap_tmp/dec$q.y4m" -i "$CLIP" \
        -lavfi "[0:v][1:v]psnr=stats_file=$tap_tmp/psnr$q.log" -f null - 2>/dev/null
    "$CB_BIN" show "$G" --json > "$tap_tmp/show.json" 2>/dev/null
    ok '"$PYTHON3" - "$tap_tmp/show.json" "$tap_tmp/psnr$q.log" $q <<EOF
import json, sys
show = json.load(open(sys.argv[1]))
pt = [p for p in show["rate_points"] if p["rate"] == int(sys.argv[3])][0]
ff = []
for line in open(sys.argv[2]):
    kv = dict(x.split(":", 1) for x in line.split() if ":" in x)
    ff.append([float(kv["psnr_y"]), float(kv["psnr_u"]), float(kv["psnr_v"])])
assert len(ff) == 8, len(ff)
# FFmpeg prints two decimals per frame: the means agree within 0.01 dB.
for k, c in enumerate("yuv"):
    mean = sum(f[k] for f in ff) / len(ff)
    assert abs(mean - pt["psnr_mean"][c]) <= 0.01, (c, mean, pt["psnr_mean"][c])
assert 20 < pt["psnr_mean"]["y"] < 60, pt["psnr_mean"]
EOF' "QP $q: PSNR Y/U/V of show --json equal FFmpeg's psnr filter on decode --stage's frames within 0.01 dB"
done
# A source that is not the stream's stage is refused.
ok '! "$CB_BIN" decode "$D/qp30.cbv" --stage "$D/stage.so" --stage-source "$SAMPLES/intra.c" 2>"$tap_tmp/wrongsrc.err" && grep -q "not the stream.s stage" "$tap_tmp/wrongsrc.err"' \
    "decode --stage-source of another stage is refused"

# The frame server (previews) serves the stage run through a decoding host:
# frames forward, backwards and again, equal to decode --stage's.
dump=$CB_BUILDDIR/tests/tools/frames_dump
if [ -x "$dump" ]; then
    "$dump" "$CB_BIN" "$D" 30 "$tap_tmp/fs" 0 7 3 3 > "$tap_tmp/fs.out" 2> "$tap_tmp/fs.err"
    ok '[ $? = 0 ] && head -n 1 "$tap_tmp/fs.out" | grep -qx "hello 352 288 8 0"' \
        "frame server: hello for the stage run (8 frames, no block map: engine 0)"
    same=1
    for n in 0 7 3; do
        "$PYTHON3" - "$tap_tmp/dec30.y4m" $n "$tap_tmp/ref.yuv" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
fb = 352 * 288 * 3 // 2
p = d.index(b'\n') + 1
for i in range(int(sys.argv[2]) + 1):
    p = d.index(b'\n', p) + 1
    if i == int(sys.argv[2]):
        open(sys.argv[3], 'wb').write(d[p:p + fb])
    p += fb
EOF
        cmp -s "$tap_tmp/ref.yuv" "$tap_tmp/fs-rec-$n.yuv" || { same=0; diag "frame $n differs"; }
    done
    ok '[ $same = 1 ]' "frame server: frames 0, 7, 3 equal decode --stage's"
else
    skip "frame server on a stage run" "tests/tools/frames_dump is not built"
fi

# An altered digest: verification's decoding host tells the frame.
cp "$D/digests.json" "$tap_tmp/digests.orig"
"$PYTHON3" - "$D/digests.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["points"][0]["frames"]
f[3] = ("0" if f[3][0] != "0" else "1") + f[3][1:]
json.dump(d, open(sys.argv[1], "w"))
EOF
"$CB_BIN" verify "$D" >/dev/null 2>"$tap_tmp/digest.err"
ok '[ $? -ne 0 ] && grep -q "qp30.cbv (point QP 30): decoder mismatch: frame 3 decodes differently from the encoder.s reconstruction" "$tap_tmp/digest.err"' \
    "verify: an altered digest is 'decoder mismatch: frame 3 decodes differently from the encoder's reconstruction'"
cp "$tap_tmp/digests.orig" "$D/digests.json"

# ---- a stage.so changed after the build -----------------------------------------
cp "$D/stage.so" "$tap_tmp/stage.so.orig"
printf '\0' >> "$D/stage.so"
"$CB_BIN" verify "$D" >/dev/null 2>"$tap_tmp/tamper.err"
ok '[ $? -ne 0 ] && grep -q "stage.so changed after the build" "$tap_tmp/tamper.err"' \
    "verify refuses a stage.so changed after the build"
ok '! "$CB_BIN" decode "$D/qp30.cbv" --stage "$D" 2>/dev/null' "decode --stage refuses the changed object"
cp "$tap_tmp/stage.so.orig" "$D/stage.so"
ok '"$CB_BIN" verify "$D" >/dev/null 2>&1' "the original object verifies again"

# ---- the engine's own intra stage under its stage-less parent: a no-op ----------
stage_recipe same intra "$SAMPLES/intra.c" > "$tap_tmp/same.json"
before=$(snapshot_others)
N=$(run_wait "$tap_tmp/same.json" --parent "$P")
ok '[ "$(field "$N" status)" = failed ] && reason_has $N "no-op: every reconstruction equals parent run $P'"'"'s, frame for frame"' \
    "intra.c under its stage-less parent: 'no-op: every reconstruction equals parent run $P's, frame for frame'"
ok '[ "$before" = "$(snapshot_others $N)" ]' "no other run directory was touched"
# The worker by hand finds the parent beside the run directory however the
# directory is written: with a trailing slash, or as a bare name.
H="$S/runs/900000"
mkdir "$H" && cp "$(rundir $N)/run.json" "$(rundir $N)/recipe.json" "$H/"
"$CB_BIN" worker "$H/" >/dev/null 2>"$tap_tmp/hand1.err"
ok '[ $? -ne 0 ] && grep -q "no-op: every reconstruction equals parent run $P" "$tap_tmp/hand1.err"' \
    "worker RUN_DIR/ by hand: the no-op rejection finds the parent"
rm -rf "$H" && mkdir "$H" && cp "$(rundir $N)/run.json" "$(rundir $N)/recipe.json" "$H/"
(cd "$S/runs" && "$CB_BIN" worker 900000) >/dev/null 2>"$tap_tmp/hand2.err"
ok '[ $? -ne 0 ] && grep -q "no-op: every reconstruction equals parent run $P" "$tap_tmp/hand2.err"' \
    "worker NAME by hand (a bare name): the no-op rejection finds the parent"
rm -rf "$H"
# The same stage under a parent whose frames differ (the smooth stage's run)
# is judged on its own: done, and bit-exact with the stage-less run.
N2=$(run_wait "$tap_tmp/same.json" --parent "$G")
ok '[ "$(field "$N2" status)" = done ]' "intra.c under a parent with other frames: done"
# Lineage says what each run changed: the line counts of the code against
# the parent's stage (or the built-in source), counted here by diff(1).
adds=$(diff "$SAMPLES/intra.c" "$SAMPLES/intra_smooth.c" | grep -c '^>')
dels=$(diff "$SAMPLES/intra.c" "$SAMPLES/intra_smooth.c" | grep -c '^<')
"$CB_BIN" lineage "$P" --store "$S" >"$tap_tmp/lineage.txt" 2>&1
ok 'grep -q "run $G .*stage intra: +$adds -$dels lines" "$tap_tmp/lineage.txt"' \
    "lineage: run $G changed the intra stage by +$adds -$dels lines against the built-in (diff(1)'s counts)"
ok 'grep -q "run $N .*stage intra: the built-in source" "$tap_tmp/lineage.txt"' \
    "lineage: run $N's stage is the built-in source"
ok 'grep -q "run $N2 .*stage intra: +$dels -$adds lines" "$tap_tmp/lineage.txt"' \
    "lineage: run $N2 changed its parent's stage by +$dels -$adds lines"
ok '"$CB_BIN" lineage "$G" --store "$S" --json | "$PYTHON3" -c "
import json, sys
d = json.load(sys.stdin)
assert d[\"run\"][\"change\"] == \"stage intra: +$adds -$dels lines\", d[\"run\"]
assert \"change\" not in d[\"ancestors\"][0], d[\"ancestors\"][0]
"' "lineage --json: the same change, none for the root"
ok '"$PYTHON3" -c "
import json, sys
a = json.load(open(sys.argv[1]))[\"points\"]; b = json.load(open(sys.argv[2]))[\"points\"]
assert [p[\"frames\"] for p in a] == [p[\"frames\"] for p in b]
" "$(rundir $N2)/digests.json" "$(rundir $P)/digests.json"' \
    "intra.c: every frame digest equals the stage-less run's (the sample is bit-exact)"

# ---- stages that fail their ladder, each with its reason ------------------------
# name kind file expected-words
check_fails() {
    stage_recipe "$1" "$2" "$3" > "$tap_tmp/$1.json"
    before=$(snapshot_others)
    id=$(run_wait "$tap_tmp/$1.json")
    ok '[ "$(field "$id" status)" = failed ] && reason_has $id "$4"' "$1: fails with '$4'"
    ok '[ "$before" = "$(snapshot_others $id)" ]' "$1: no other run directory was touched"
}
check_fails nondet intra "$RUNS/nondet.c" \
    "stage round_trip: decoder mismatch: frame 0 decodes differently from the encoder's reconstruction"
check_fails broken intra "$RUNS/broken.c" "stage build: "
ok 'grep -q "stage.c:7" "$(rundir $id)/stage-build.txt"' "broken: stage-build.txt locates the error at stage.c:7"
ok '! [ -e "$(rundir $id)/stage.so" ]' "broken: no stage.so"
check_fails passwd intra "$RUNS/passwd.c" "/etc/passwd"
ok 'reason_has $id "stage build: "' "passwd: refused at the build"
check_fails asm intra "$RUNS/asm.c" "asm"
ok 'reason_has $id "stage build: "' "asm: refused at the build"
check_fails ctor intra "$RUNS/ctor.c" "constructor"
ok 'reason_has $id "stage build: "' "ctor: refused at the build"
check_fails cheat transform "$RUNS/cheat.c" "decoder mismatch: frame 0 decodes differently"
ok '! [ -e "$(rundir $id)/result.json" ]' "cheat: no result, no score"

# ---- crashing, looping, recursing stages beside a plain run -------------------
for s in crash loop recurse; do
    stage_recipe "$s" intra "$RUNS/$s.c" > "$tap_tmp/$s.json"
done
before=$(snapshot_others)
C=$(queue "$tap_tmp/crash.json"); L=$(queue "$tap_tmp/loop.json")
R=$(queue "$tap_tmp/recurse.json"); Q=$(queue "$tap_tmp/plain.json")
for id in $C $L $R $Q; do wait_final $id >/dev/null; done
ok '[ "$before" = "$(snapshot_others $C $L $R $Q)" ]' "crash, loop, recurse: no other run directory was touched"
ok '[ "$(field "$Q" status)" = done ]' "the plain run queued alongside is done"
ok '[ "$(field "$C" status)" = failed ] && reason_has $C "stage round_trip: the stage crashed (SIG"' "crash: fails at the round trip"
diag "crash: $(field "$C" reason)"
ok '[ "$(field "$L" status)" = failed ] && reason_has $L "stage round_trip: the stage ran out of CPU time (limit 15 s)"' "loop: fails at the round trip (CPU limit 15 s, answer limit 60 s)"
diag "loop: $(field "$L" reason)"
ok '[ "$(field "$R" status)" = failed ] && reason_has $R "stage round_trip: the stage crashed (SIGSEGV)"' "recurse: fails at the round trip"
diag "recurse: $(field "$R" reason)"
# The wall-clock limit per answer: the same loop with a CPU limit it
# cannot reach in time.  The runner passes the limits it was started with,
# so a new one is started (the last exits a second after its last run).
i=0
while [ "$("$CB_BIN" runner --status)" != none ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
# The limits come from a config file this time (the runner turns the
# settings into the environment it gives workers).
mkdir -p "$tap_tmp/cfg/codecbench"
printf 'set stage.timeout = 3\nset stage.cpu_limit = 600\n' > "$tap_tmp/cfg/codecbench/config"
T=$(unset CODECBENCH_STAGE_TIMEOUT CODECBENCH_STAGE_CPU_LIMIT
    export XDG_CONFIG_HOME="$tap_tmp/cfg"; queue "$tap_tmp/loop.json")
wait_final "$T" >/dev/null
ok '[ "$(field "$T" status)" = failed ] && reason_has $T "stage round_trip: the stage did not answer within 3 s"' \
    "loop with stage.timeout 3 s and stage.cpu_limit 600 s (config file): fails at the round trip on the timeout"
diag "loop (timeout): $(field "$T" reason)"
ok '"$CB_BIN" list >/dev/null 2>&1 && "$CB_BIN" show "$G" >/dev/null 2>&1 && "$CB_BIN" show "$Q" >/dev/null 2>&1' \
    "the store is intact: list and show work"
ok '"$CB_BIN" verify "$(rundir $G)" >/dev/null 2>&1' "the correct stage's run still verifies"
ok '! grep -rlE "dlfcn\.h|dlopen *\(" "$CB_SRCDIR/src/worker/" && nm -u "$CB_BUILDDIR/src/worker/libcbworker.a" >/dev/null && ! nm -u "$CB_BUILDDIR/src/worker/libcbworker.a" | grep -qw dlopen' \
    "the worker's library never loads code: no dlfcn.h or dlopen call in src/worker/, no dlopen symbol (nm)"
done_testing

# codecbench stage check|show|embed (issue 8).
#
# embed: the recipe a run would read, checked with Python's json module (an
# independent parser): the stage's code byte for byte, the kind inferred
# from the functions the file defines; refusals named.  check: the sample
# stages pass; the engine's own stages written as stage source
# (samples/stages/intra.c, transform.c, loop_filter.c) code the frame to the
# same bytes and PSNR as the built-in stages in this process; the PSNR
# printed is FFmpeg's psnr filter between the frames --dump writes (the
# picture coded and the decoding host's picture); --input/--frame code the
# clip's frame that FFmpeg extracts; hostile stages fail with their step and
# reason.  show: real stage runs made by the test, their source byte for
# byte and their diff against the parent's stage (or the built-in one) as
# the diff program prints it.  Stage hosts run under seccomp and resource
# limits, which a sanitizer build cannot: those cases skip there.
. "$CB_SRCDIR/tests/tap.sh"
need_ffmpeg

S="$tap_tmp/store"
export CODECBENCH_STORE="$S"
export CODECBENCH_RUNNER_IDLE_EXIT=1
# One answer of a host is one CIF frame (about 0.1 s here): 60 s per answer
# and 30 CPU seconds leave slow CI machines a factor of ten and more.
export CODECBENCH_STAGE_TIMEOUT=60
export CODECBENCH_STAGE_CPU_LIMIT=30
cleanup() {
    p=$("$CB_BIN" runner --status 2>/dev/null)
    case $p in ''|none|*[!0-9]*) ;; *) kill "$p" 2>/dev/null ;; esac
    rm -rf "$tap_tmp"
}
trap cleanup EXIT

SAMPLES="$CB_SRCDIR/samples/stages"
RUNS="$CB_SRCDIR/tests/stage/runs"
sandbox=yes
[ "${CB_SANITIZERS:-no}" = yes ] && sandbox=no
NOSANDBOX="a sanitizer build cannot run stage hosts (seccomp, resource limits)"

cat > "$tap_tmp/plain.json" <<'EOF'
{ "name": "plain", "codec": "engine",
  "settings": { "preset": "fast", "transform": "dct", "restoration": false, "gop": 4,
                "qps": [30, 38] } }
EOF

# ---- usage and kind inference (no stage code runs) -----------------------------------
"$CB_BIN" stage >/dev/null 2>&1
ok '[ $? = 2 ]' "stage without a subcommand: exit 2"
"$CB_BIN" stage frob >/dev/null 2>&1
ok '[ $? = 2 ]' "stage frob: exit 2"
cat > "$tap_tmp/two.c" <<'EOF'
#include "codecbench/stage.h"
int cb_stage_intra(const CbStageIntra *a) { (void)a; return 0; }
int cb_stage_loop_filter(const CbStageFilter *a)
{
    (void)a;
    return 0;
}
EOF
"$CB_BIN" stage check "$tap_tmp/two.c" >/dev/null 2>"$tap_tmp/two.err"
ok '[ $? = 2 ] && grep -q "more than one kind (intra and loop_filter)" "$tap_tmp/two.err"' \
    "a file defining two kinds: usage error naming them"
# Prototypes, a comment and a string that mention the names define nothing.
cat > "$tap_tmp/none.c" <<'EOF'
#include "codecbench/stage.h"
/* int cb_stage_intra(const CbStageIntra *a) { return 0; } */
int cb_stage_loop_filter(const CbStageFilter *a);
static const char *s = "cb_stage_transform_fwd(x) {";
EOF
"$CB_BIN" stage check "$tap_tmp/none.c" >/dev/null 2>"$tap_tmp/none.err"
ok '[ $? = 2 ] && grep -q "defines none of" "$tap_tmp/none.err"' \
    "a file defining no stage function (only a prototype, a comment, a string): usage error"
"$CB_BIN" stage check "$tap_tmp/two.c" --kind chroma >/dev/null 2>"$tap_tmp/kind.err"
ok '[ $? = 2 ] && grep -q "kind" "$tap_tmp/kind.err"' "--kind chroma: usage error"
"$CB_BIN" stage check "$SAMPLES/intra.c" --frame 2 >/dev/null 2>&1
ok '[ $? = 2 ]' "--frame without --input: usage error"
"$CB_BIN" stage check "$SAMPLES/intra.c" --qp 52 >/dev/null 2>&1
ok '[ $? = 2 ]' "--qp 52: usage error"

# ---- embed --------------------------------------------------------------------------
"$CB_BIN" stage embed "$tap_tmp/plain.json" "$SAMPLES/intra_smooth.c" > "$tap_tmp/smooth.json" 2>"$tap_tmp/embed.err"
ok '[ $? = 0 ] && "$PYTHON3" - "$tap_tmp/smooth.json" "$SAMPLES/intra_smooth.c" <<EOF
import json, sys
r = json.load(open(sys.argv[1]))
code = open(sys.argv[2], "rb").read().decode("utf-8")
assert r["stage"] == {"kind": "intra", "code": code}, r["stage"]["kind"]
assert r["name"] == "plain" and r["settings"]["qps"] == [30, 38]
EOF' "embed: the recipe with stage {kind: intra (inferred), code: the file byte for byte}"
ok '"$CB_BIN" recipe check "$tap_tmp/smooth.json" >/dev/null' "embed: the output is a valid recipe (recipe check)"
"$CB_BIN" stage embed "$tap_tmp/plain.json" "$SAMPLES/transform.c" -o "$tap_tmp/xf.json" >"$tap_tmp/xf.out" 2>&1
ok '[ $? = 0 ] && [ ! -s "$tap_tmp/xf.out" ] && "$PYTHON3" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert r[\"stage\"][\"kind\"] == \"transform\"
assert r[\"stage\"][\"code\"] == open(sys.argv[2], encoding=\"utf-8\").read()
" "$tap_tmp/xf.json" "$SAMPLES/transform.c"' "embed -o OUT: written to OUT (kind transform inferred), nothing on stdout"
# Embedding again replaces the stage.
"$CB_BIN" stage embed "$tap_tmp/smooth.json" "$SAMPLES/loop_filter.c" --kind loop_filter > "$tap_tmp/lf.json"
ok '"$PYTHON3" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert r[\"stage\"][\"kind\"] == \"loop_filter\"
assert r[\"stage\"][\"code\"] == open(sys.argv[2], encoding=\"utf-8\").read()
" "$tap_tmp/lf.json" "$SAMPLES/loop_filter.c"' "embed into a recipe with a stage replaces it"
sed 's/"transform": "dct"/"transform": "klt"/' "$tap_tmp/plain.json" > "$tap_tmp/klt.json"
"$CB_BIN" stage embed "$tap_tmp/klt.json" "$SAMPLES/transform.c" >/dev/null 2>"$tap_tmp/klt.err"
ok '[ $? = 1 ] && grep -q "dct" "$tap_tmp/klt.err"' "embed: a transform stage in a KLT recipe is refused as a run would refuse it"
cat > "$tap_tmp/x264.json" <<'EOF'
{"name": "x264", "codec": "ffmpeg", "settings": {"encoder": "libx264", "points": [22, 27]}}
EOF
"$CB_BIN" stage embed "$tap_tmp/x264.json" "$SAMPLES/intra.c" >/dev/null 2>"$tap_tmp/x264.err"
ok '[ $? = 1 ] && [ -s "$tap_tmp/x264.err" ]' "embed: a stage in a baseline recipe is refused"

# ---- check ----------------------------------------------------------------------------
# json_field FILE EXPR: a Python expression over the document d.
jf() { "$PYTHON3" -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"; }
if [ $sandbox = yes ]; then
    for s in intra transform loop_filter intra_smooth; do
        "$CB_BIN" stage check "$SAMPLES/$s.c" --json > "$tap_tmp/$s.check.json" 2>"$tap_tmp/$s.check.err"
        rc=$?
        ok '[ $rc = 0 ] && [ "$(jf "$tap_tmp/$s.check.json" "d[\"passed\"]")" = True ]' \
            "check $s.c: passed, exit 0"
    done
    # The engine's own stages as stage source are bit-exact with the built-in ones.
    for s in intra transform loop_filter; do
        ok '[ "$(jf "$tap_tmp/$s.check.json" "(d[\"stage\"][\"bytes\"], d[\"stage\"][\"psnr_y\"], d[\"stage\"][\"psnr_u\"], d[\"stage\"][\"psnr_v\"]) == (d[\"builtin\"][\"bytes\"], d[\"builtin\"][\"psnr_y\"], d[\"builtin\"][\"psnr_u\"], d[\"builtin\"][\"psnr_v\"])")" = True ]' \
            "check $s.c: the same bytes and PSNR as the built-in stages coded in-process"
    done
    ok '[ "$(jf "$tap_tmp/intra_smooth.check.json" "d[\"stage\"][\"bytes\"] != d[\"builtin\"][\"bytes\"]")" = True ]' \
        "check intra_smooth.c: another predictor, another packet than the built-in one"
    ok '[ "$(jf "$tap_tmp/intra_smooth.check.json" "d[\"hash\"]")" = "$(sha256sum < "$SAMPLES/intra_smooth.c" | cut -c1-64)" ]' \
        "check: the hash printed is sha256sum of the file"

    # PSNR against FFmpeg's psnr filter on the frames --dump writes (its
    # summary has six decimals: equal within 1e-5 dB after rounding).
    ffpsnr() {  # ffpsnr REF DIST: "y u v" of FFmpeg's psnr filter
        "$FFMPEG" -hide_banner -i "$1" -i "$2" -lavfi psnr -f null - 2>&1 |
            sed -n 's/.*PSNR y:\([0-9.]*\) u:\([0-9.]*\) v:\([0-9.]*\).*/\1 \2 \3/p'
    }
    psnr_matches() {  # psnr_matches CHECK.json DIR
        set -- "$1" "$(ffpsnr "$2/source.y4m" "$2/stage.y4m")"
        [ -n "$2" ] || return 1
        "$PYTHON3" - "$1" $2 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ff = [float(x) for x in sys.argv[2:5]]
ours = [d["stage"]["psnr_y"], d["stage"]["psnr_u"], d["stage"]["psnr_v"]]
assert all(abs(a - b) <= 1e-5 + 5e-7 for a, b in zip(ours, ff)), (ours, ff)
assert 20 < ours[0] < 60, ours
EOF
    }
    "$CB_BIN" stage check "$SAMPLES/intra_smooth.c" --dump "$tap_tmp/dump" --json > "$tap_tmp/dump.json" 2>/dev/null
    ok 'psnr_matches "$tap_tmp/dump.json" "$tap_tmp/dump"' \
        "check (test picture): PSNR-Y/U/V printed = FFmpeg's psnr filter on source.y4m and stage.y4m"
    ok '[ "$(ffpsnr "$tap_tmp/dump/source.y4m" "$tap_tmp/dump/builtin.y4m" | cut -d" " -f1)" = "$(jf "$tap_tmp/dump.json" "\"%.6f\" % d[\"builtin\"][\"psnr_y\"]")" ]' \
        "check: the built-in row's PSNR-Y = FFmpeg's on builtin.y4m"
    ok '[ "$(jf "$tap_tmp/dump.json" "(d[\"picture\"][\"width\"], d[\"picture\"][\"height\"])")" = "(352, 288)" ] && "$FFMPEG" -v error -i "$tap_tmp/dump/source.y4m" -f null - ' \
        "check: the test picture is 352x288 and FFmpeg reads it"
    CLIP="$tap_tmp/cif.y4m"
    "$FFMPEG" -v error -f lavfi -i testsrc2=size=352x288:rate=25 -frames:v 4 -pix_fmt yuv420p "$CLIP"
    "$CB_BIN" stage check "$SAMPLES/intra_smooth.c" --input "$CLIP" --frame 2 --qp 27 \
        --dump "$tap_tmp/dump2" --json > "$tap_tmp/dump2.json" 2>/dev/null
    ok '[ $? = 0 ] && psnr_matches "$tap_tmp/dump2.json" "$tap_tmp/dump2"' \
        "check --input CLIP --frame 2 --qp 27: passed, PSNR = FFmpeg's psnr filter"
    a=$("$FFMPEG" -v error -i "$CLIP" -vf "select=eq(n\,2)" -frames:v 1 -f rawvideo -pix_fmt yuv420p - | sha256sum)
    b=$("$FFMPEG" -v error -i "$tap_tmp/dump2/source.y4m" -f rawvideo -pix_fmt yuv420p - | sha256sum)
    ok '[ "$a" = "$b" ] && [ "$(jf "$tap_tmp/dump2.json" "d[\"qp\"]")" = 27 ]' \
        "check --frame 2: the frame coded is the clip's frame 2 as FFmpeg decodes it"

    # The text report.
    "$CB_BIN" stage check "$SAMPLES/intra_smooth.c" > "$tap_tmp/text.out" 2>&1
    ok '[ $? = 0 ] && grep -q "^compare  passed" "$tap_tmp/text.out" && grep -q "^  stage " "$tap_tmp/text.out" && grep -q "^  built-in " "$tap_tmp/text.out" && tail -1 "$tap_tmp/text.out" | grep -qx passed' \
        "check (text): each step passed, the stage and built-in rows, 'passed'"

    # Failures: exit 1 with the step and the reason.
    cat > "$tap_tmp/broken.c" <<'EOF'
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    (void)a;
    return no_such_variable;
}
EOF
    "$CB_BIN" stage check "$tap_tmp/broken.c" > "$tap_tmp/broken.out" 2>&1
    ok '[ $? = 1 ] && grep -q "^build    FAILED: the stage does not compile: stage.c:6" "$tap_tmp/broken.out"' \
        "check: a non-compiling file exits 1 at build with stage.c:6"
    "$CB_BIN" stage check "$RUNS/asm.c" > "$tap_tmp/asm.out" 2>&1
    ok '[ $? = 1 ] && grep -q "^build    FAILED: stage.c:[0-9]*: .*asm.* is not allowed" "$tap_tmp/asm.out"' \
        "check: a file with asm is refused at build"
    "$CB_BIN" stage check "$RUNS/passwd.c" > "$tap_tmp/passwd.out" 2>&1
    ok '[ $? = 1 ] && grep -q "/etc/passwd, which is outside the stage world" "$tap_tmp/passwd.out" && ! grep -q "root:" "$tap_tmp/passwd.out"' \
        "check: #include \"/etc/passwd\" is refused, and none of it is printed"
    "$CB_BIN" stage check "$RUNS/crash.c" > "$tap_tmp/crash.out" 2>&1
    ok '[ $? = 1 ] && grep -q "^encode   FAILED: .*crash" "$tap_tmp/crash.out"' \
        "check: a crashing stage fails at encode"
    # An endless loop: ended by the host's wall-clock limit (stage.timeout,
    # here 3 s from the environment; the loop never answers, so no machine
    # is too slow for it).
    CODECBENCH_STAGE_TIMEOUT=3 "$CB_BIN" stage check "$RUNS/loop.c" > "$tap_tmp/loop.out" 2>&1
    ok '[ $? = 1 ] && grep -q "^encode   FAILED: the stage did not answer within 3 s" "$tap_tmp/loop.out"' \
        "check: a looping stage is stopped by stage.timeout (CODECBENCH_STAGE_TIMEOUT=3)"
    "$CB_BIN" stage check "$RUNS/nondet.c" --json > "$tap_tmp/nondet.json" 2>/dev/null
    ok '[ $? = 1 ] && [ "$(jf "$tap_tmp/nondet.json" "(d[\"passed\"], d[\"failed_step\"])")" = "(False, '"'"'compare'"'"')" ] && jf "$tap_tmp/nondet.json" "d[\"reason\"]" | grep -q "^decoder mismatch"' \
        "check: a non-deterministic stage is a decoder mismatch (JSON: passed false, failed_step compare)"
else
    for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21; do
        skip "stage check case $n" "$NOSANDBOX"
    done
fi

# ---- show on real runs -------------------------------------------------------------------
field() {  # field RUN NAME: a run's field from 'show --json'
    "$CB_BIN" show "$1" --json 2>/dev/null | "$PYTHON3" -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("" if v is None else v)' "$2"
}
wait_final() {  # wait_final RUN: until done or failed (600 s at most: a CI machine's worst)
    i=0
    while [ $i -lt 3000 ]; do
        case $(field "$1" status) in done|failed|cancelled|interrupted) return 0 ;; esac
        sleep 0.2; i=$((i + 1))
    done
    return 1
}
if [ $sandbox = yes ]; then
    CLIP="$tap_tmp/cif.y4m"
    [ -f "$CLIP" ] || "$FFMPEG" -v error -f lavfi -i testsrc2=size=352x288:rate=25 -frames:v 4 -pix_fmt yuv420p "$CLIP"
    P=$("$CB_BIN" run "$tap_tmp/plain.json" "$CLIP" --frames 4 --detach 2>/dev/null)
    wait_final "$P"
    G=$("$CB_BIN" run "$tap_tmp/smooth.json" "$CLIP" --frames 4 --parent "$P" --detach 2>/dev/null)
    # The child of the stage run: a comment changed (with an escape
    # sequence in it), a line added.
    "$PYTHON3" - "$SAMPLES/intra_smooth.c" "$tap_tmp/smooth2.c" <<'EOF'
import sys
src = open(sys.argv[1], encoding="utf-8").read().split("\n")
src.insert(src.index('#include "codecbench/stage.h"') + 1, "/* tuned: \x1b[2J\x1b]0;owned\x07 a comment with escapes */")
src.append("/* the end */")
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(src))
EOF
    "$CB_BIN" stage embed "$tap_tmp/plain.json" "$tap_tmp/smooth2.c" > "$tap_tmp/smooth2.json"
    wait_final "$G"
    H=$("$CB_BIN" run "$tap_tmp/smooth2.json" "$CLIP" --frames 4 --parent "$G" --detach 2>/dev/null)
    Q=$("$CB_BIN" run "$tap_tmp/xf.json" "$CLIP" --frames 4 --detach 2>/dev/null)
    wait_final "$H"
    wait_final "$Q"
    diag "runs: plain $P ($(field $P status)), smooth $G ($(field $G status)), smooth2 $H ($(field $H status)), transform $Q ($(field $Q status))"

    "$CB_BIN" stage show "$P" >/dev/null 2>"$tap_tmp/p.err"
    ok '[ $? = 1 ] && grep -q "run $P has no stage" "$tap_tmp/p.err"' "show: a run without a stage says so, exit 1"
    "$CB_BIN" stage show "$G" > "$tap_tmp/g.c"
    ok '[ $? = 0 ] && cmp -s "$tap_tmp/g.c" "$SAMPLES/intra_smooth.c"' "show RUN: the stage source byte for byte"
    "$CB_BIN" stage show "$H" > "$tap_tmp/h.c"
    ok 'cmp -s "$tap_tmp/h.c" "$tap_tmp/smooth2.c"' "show RUN into a file: the exact bytes, escapes included"
    # The diff program's own output is the reference (minus its two header lines).
    "$CB_BIN" stage show "$G" --diff > "$tap_tmp/g.diff"
    diff -U3 "$SAMPLES/intra.c" "$SAMPLES/intra_smooth.c" | tail -n +3 > "$tap_tmp/g.ref"
    ok '[ "$(sed -n 1p "$tap_tmp/g.diff")" = "--- built-in intra (parent run $P has no intra stage)" ] && [ "$(sed -n 2p "$tap_tmp/g.diff")" = "+++ run $G" ] && tail -n +3 "$tap_tmp/g.diff" | cmp -s - "$tap_tmp/g.ref" && [ -s "$tap_tmp/g.ref" ]' \
        "show --diff (parent without a stage): against the built-in intra, as diff -U3 prints it"
    "$CB_BIN" stage show "$H" --diff > "$tap_tmp/h.diff"
    diff -U3 "$SAMPLES/intra_smooth.c" "$tap_tmp/smooth2.c" | tail -n +3 > "$tap_tmp/h.ref"
    ok '[ "$(sed -n 1p "$tap_tmp/h.diff")" = "--- parent run $G (intra)" ] && [ "$(sed -n 2p "$tap_tmp/h.diff")" = "+++ run $H" ] && tail -n +3 "$tap_tmp/h.diff" | cmp -s - "$tap_tmp/h.ref" && grep -q "No newline at end of file" "$tap_tmp/h.ref"' \
        "show --diff (parent with a stage): against the parent's, as diff -U3 prints it"
    "$CB_BIN" stage show "$Q" --diff > "$tap_tmp/q.diff" 2>"$tap_tmp/q.err"
    ok '[ $? = 0 ] && [ "$(cat "$tap_tmp/q.diff")" = "$(printf -- "--- built-in transform (run %s has no parent)\n+++ run %s" "$Q" "$Q")" ] && grep -q "the same as" "$tap_tmp/q.err"' \
        "show --diff of the built-in transform without a parent: headers only, 'the same' on stderr"
    "$CB_BIN" stage show 999999 >/dev/null 2>&1
    ok '[ $? = 1 ]' "show of a run not in the store: exit 1"
else
    for n in 1 2 3 4 5 6 7; do skip "stage show case $n" "$NOSANDBOX"; done
fi
done_testing

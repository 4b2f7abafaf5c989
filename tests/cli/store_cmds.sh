# The store's commands (list, show, compare, export, tag, note, lineage,
# anchor, rm, gc, reindex, experiments) on a store of hand-made results
# built by tests/store_fixture (its header comment lists the runs and why
# the expected numbers are what they are).  Real runs end to end are tested
# with the runner.
. "$CB_SRCDIR/tests/tap.sh"
cb=$CB_BIN
t=$tap_tmp
st=$t/store
fixture=$CB_BUILDDIR/tests/store_fixture
ESC=$(printf '\033')

run() { "$cb" "$@" >"$t/out" 2>"$t/err" </dev/null; echo $?; }
py() { "$PYTHON3" -c "import json,sys; d=json.load(open('$t/out')); $1"; }
no_esc() { ! grep -q "$ESC" "$1"; }

: > "$t/clipA.y4m"
# The second input's name holds an escape sequence: it must never reach the
# terminal as one.
inb="$t/clip${ESC}[31mB.y4m"
: > "$inb"
"$fixture" "$st" "$t/clipA.y4m" "$inb" 2>"$t/err"
rc=$?
ok '[ $rc = 0 ]' "the fixture builds a store of six runs ($(head -c 200 "$t/err"))"

# list: rows, filters, sort order.
ok '[ "$(run list --store "$st")" = 0 ] && [ "$(grep -cE "^ *[0-9]+ +(fx|other) " "$t/out")" = 6 ]' "list: six runs"
ok 'grep -q "^ *ID  EXPERIMENT" "$t/out" && grep -q "PCHIP" "$t/out" && grep -q "(6Y+U+V)/8" "$t/out"' "list: header and provenance footer"
ok 'grep -qE "^ *2 +fx +test +engine +done .* 172\.8\.\.800\.0 +31\.000\.\.40\.000 +-20\.00% " "$t/out"' "list: run 2's kbps range, PSNR-Y range, BD-rate -20.00%"
ids() { sed -n 's/^ *\([0-9][0-9]*\) .*/\1/p' "$t/out" | tr '\n' ' '; }
run list --store "$st" --sort id --desc >/dev/null
ok '[ "$(ids)" = "6 5 4 3 2 1 " ]' "list --sort id --desc: 6 5 4 3 2 1 ($(ids))"
run list --store "$st" --sort bd_rate --limit 2 >/dev/null
ok '[ "$(ids)" = "2 3 " ]' "list --sort bd_rate --limit 2: the two best, best first ($(ids))"
run list --store "$st" --sort bd_rate --reverse --experiment fx --status done >/dev/null
# The anchor runs (1 and 5) are at 0 % against themselves; ties go by id.
ok '[ "$(ids)" = "5 1 3 2 " ]' "list --sort bd_rate --reverse: 0 0 -10 -20 % ($(ids))"
run list --store "$st" --experiment other >/dev/null
ok '[ "$(ids)" = "6 " ]' "list --experiment other"
run list --store "$st" --status failed >/dev/null
ok '[ "$(ids)" = "4 " ]' "list --status failed"
run list --store "$st" --tag best >/dev/null
ok '[ "$(ids)" = "2 " ]' "list --tag best"
run list --store "$st" --codec libx264 >/dev/null
ok 'grep -q "^no runs in .* match the filters" "$t/out"' "list --codec libx264: no runs match"
ok '[ "$(run list --store "$st" --sort nosuch)" = 2 ] && grep -q "bd_rate" "$t/err" && grep -q "recipe_name" "$t/err"' "list --sort nosuch: usage error naming the allowed columns"
ok '[ "$(run list --store "$st" --status nosuch)" = 2 ] && grep -q "interrupted" "$t/err"' "list --status nosuch: usage error naming the statuses"
ok '[ "$(run list --store "$t/nostore")" = 1 ] && grep -q "nostore" "$t/err"' "list of a missing store: exit 1 naming it"
ok '[ "$(CODECBENCH_STORE="$st" run list)" = 0 ] && [ "$(grep -cE "^ *[0-9]+ +(fx|other) " "$t/out")" = 6 ]' "list finds the store through CODECBENCH_STORE"
run list --store "$st" --json >/dev/null
ok 'py "r={x[\"id\"]: x for x in d[\"runs\"]}; assert d[\"count\"] == 6 and len(r) == 6; assert abs(r[2][\"bd_rate_pct\"] + 20) < 1e-9 and r[2][\"anchor_run\"] == 1; assert r[2][\"tags\"] == [\"best\"]; assert r[3][\"parent\"] == 2 and r[3][\"origin\"] == \"rerun\"; assert r[4][\"status\"] == \"failed\"; assert r[6][\"status\"] == \"queued\" and r[6][\"kbps\"][\"min\"] is None; assert \"bd\" in d[\"provenance\"]"' "list --json: fields and values"

# show
ok '[ "$(run show 2 --store "$st")" = 0 ]' "show 2: exit 0"
ok 'grep -q "^run 2: test (engine) on clipA.y4m" "$t/out" && grep -q "^settings *transform = dct" "$t/out" && ! grep -q "block_size" "$t/out"' "show: the recipe's non-default fields only"
ok 'grep -q "^tags *best" "$t/out" && grep -q "^frames *0\.\.3 (4 frames)" "$t/out" && grep -q "^size *352x288" "$t/out"' "show: tags, frames and size"
ok 'grep -qE "^ +22 +16000 +800\.0 +0\.3157 +40\.000 +42\.000 +43\.000 +40\.625 +0\.93000 +qp22\.cbv" "$t/out"' "show: the QP 22 row (16000 bytes, 800.0 kbps, PSNR-YUV 40.625)"
ok 'grep -q "BD vs anchor run 1: BD-rate -20.00 %, BD-PSNR +" "$t/out"' "show: BD-rate -20.00 % against run 1"
ok 'grep -q "hand-made numbers" "$t/out" && grep -q "anchor run 1\." "$t/out"' "show: provenance of the run and of the numbers"
ok '[ "$(run show 2 --frames --store "$st")" = 0 ] && grep -q "frames at rate 37 (qp37.cbv)" "$t/out" && [ "$(grep -cE "^ +[0-3] +[IP] +[0-9]+ " "$t/out")" = 16 ]' "show --frames: 4 frames of each of 4 points"
run show 3 --json --store "$st" >/dev/null
ok 'py "assert d[\"id\"] == 3 and len(d[\"rate_points\"]) == 4; p=d[\"rate_points\"][0]; assert p[\"payload_bytes\"] == 18000 and abs(p[\"kbps\"] - 900) < 1e-9; assert d[\"recipe_non_default\"] == {\"transform\": \"dct\", \"deblock\": False}; assert d[\"provenance\"][\"run\"][\"machine\"] == \"fixture\""' "show --json: rate points, non-default fields, provenance"
ok '[ "$(run show 99 --store "$st")" = 1 ] && grep -q "no run 99" "$t/err"' "show 99: exit 1, no run 99"
ok '[ "$(run show x1 --store "$st")" = 2 ]' "show x1: usage error"
ok '[ "$(run show 4 --store "$st")" = 0 ] && no_esc "$t/out" && grep -q "SIGKILL ^\[\[2J" "$t/out" && grep -q "tried ^\[\[31mred" "$t/out"' "show: a reason and a note with escape sequences are shown sanitised"

# compare
ok '[ "$(run compare 1 2 3 --store "$st")" = 0 ]' "compare 1 2 3: exit 0"
ok 'grep -qE "^BD-rate vs anchor +- +-20\.00% +-10\.00%" "$t/out"' "compare: BD-rate -20.00% and -10.00% against run 1"
ok 'grep -qE "^  kbps +1000\.0 +800\.0 \(-20\.0%\) +900\.0 \(-10\.0%\)" "$t/out"' "compare: side by side with deltas"
ok 'grep -qE "^  transform +klt +dct +dct" "$t/out" && grep -qE "^  deblock +true +true +false" "$t/out" && ! grep -qE "^  (gop|qps) " "$t/out"' "compare: only the recipe fields that differ"
ok 'grep -qE "^  run 2 +\+25\.00% +- +\+12\.50%" "$t/out"' "compare: the BD-rate matrix (row run 2: run 1 +25.00%, run 3 +12.50%)"
ok 'grep -q "^how each run was made:" "$t/out" && grep -qE "^ +3  codecbench test fixture  codecbench engine \(fixture\)  fixture$" "$t/out"' "compare: how each run was made (versions, machine)"
run compare 2 1 --anchor 1 --json --store "$st" >/dev/null
ok 'py "m={(c[\"anchor\"], c[\"test\"]): c for c in d[\"bd_matrix\"]}; assert d[\"anchor_run\"] == 1 and [r[\"id\"] for r in d[\"runs\"]] == [1, 2]; assert abs(m[(1,2)][\"bd_rate_pct\"] + 20) < 1e-9 and abs(m[(2,1)][\"bd_rate_pct\"] - 25) < 1e-9; assert list(d[\"recipe_differences\"]) == [\"transform\"]; assert d[\"provenance\"][\"anchor_run\"] == 1; assert d[\"runs\"][1][\"made_by\"][\"machine\"] == \"fixture\""' "compare --json: matrix, differences, provenance"
ok '[ "$(run compare 1 5 --store "$st")" = 1 ] && grep -q "run 1 is on clip aaaa0000aaaa" "$t/err" && grep -q "run 5 is on clip bbbb0000bbbb" "$t/err"' "compare across clips: refused naming both runs and clips"
ok 'no_esc "$t/err"' "compare across clips: the file name's escape sequence is sanitised"
ok '[ "$(run compare 1 4 --store "$st")" = 1 ] && grep -q "run 4 is failed, not done" "$t/err"' "compare with a failed run: refused"
ok '[ "$(run compare 1 --store "$st")" = 2 ]' "compare of one run: usage error"

# export
ok '[ "$(run export --store "$st")" = 0 ] && [ "$(wc -l < "$t/out")" = 17 ]' "export: a header and 16 rows (4 done runs x 4 points)"
ok 'head -1 "$t/out" | grep -q "^run,experiment,recipe,recipe_hash,codec,clip_id,input,.*,rate,payload_bytes,.*,ssim," && grep -q "^2,fx,test,.*,22,16000,16016,800[,.]" "$t/out"' "export: CSV columns and run 2's first row"
ok 'head -1 "$t/out" | grep -q ",anchor_run,codecbench_version,encoder_version,machine$" && grep -q "^3,.*,1,\"codecbench test fixture\",\"codecbench engine (fixture)\",fixture$" "$t/out"' "export: each row says how its run was made (quoted where it has spaces)"
ok 'no_esc "$t/out"' "export: no escape byte in CSV"
ok '[ "$(run export --frames --csv --store "$st")" = 0 ] && [ "$(wc -l < "$t/out")" = 65 ] && grep -q "^5,fx,anchor,.*,37,3,P,8640," "$t/out"' "export --frames: one row per frame (64)"
run export --json --experiment fx --tag best --store "$st" >/dev/null
ok 'py "assert d[\"runs\"] == 1 and len(d[\"rows\"]) == 4 and all(r[\"run\"] == 2 for r in d[\"rows\"]); assert abs(d[\"rows\"][3][\"kbps\"] - 172.8) < 1e-9; assert \"provenance\" in d"' "export --json with filters"

# tag and note
ok '[ "$(run tag 3 foo bar --store "$st")" = 0 ] && grep -q "^run 3 tags: bar,foo" "$t/out"' "tag: adds, prints the tags"
run list --store "$st" --tag foo >/dev/null
ok '[ "$(ids)" = "3 " ]' "list --tag foo finds the tagged run"
ok '[ "$(run tag 3 foo --remove --store "$st")" = 0 ] && grep -q "^run 3 tags: bar$" "$t/out"' "tag --remove"
ok '[ "$(run tag 3 "bad tag" --store "$st")" = 1 ]' "tag: an invalid tag is refused"
ok '[ "$(run note 3 "QP 37 looks blocky" --store "$st")" = 0 ] && [ "$(run note 3 --store "$st")" = 0 ] && grep -q "  QP 37 looks blocky$" "$t/out"' "note: add, then list"
ok '[ "$(run note 4 --store "$st")" = 0 ] && no_esc "$t/out" && grep -q "\^\[\[31mred" "$t/out"' "note: an escape sequence is listed sanitised"
run note 3 --json --store "$st" >/dev/null
ok 'py "assert d[\"run\"] == 3 and d[\"notes\"][0][\"text\"] == \"QP 37 looks blocky\""' "note --json"

# lineage: 2 -> 3 -> 4
ok '[ "$(run lineage 3 --store "$st")" = 0 ]' "lineage 3: exit 0"
ok 'sed -n 1p "$t/out" | grep -q "^run 2  test (engine)  done  origin user" && sed -n 2p "$t/out" | grep -q "^\`-- run 3  test2 (engine)  done  origin rerun  BD-rate -10.00%  deblock: true -> false  <-$" && sed -n 3p "$t/out" | grep -q "^    \`-- run 4  test (engine)  failed  origin proposer  deblock: false -> true$"' "lineage: parent, the run, its child as a tree, each with what it changed (test2 turns deblocking off, test has it on)"
run lineage 2 --json --store "$st" >/dev/null
ok 'py "assert d[\"ancestors\"] == [] and [x[\"id\"] for x in d[\"descendants\"]] == [3, 4]"' "lineage --json: descendants breadth first"
ok 'py "assert \"change\" not in d[\"run\"] and [x[\"change\"] for x in d[\"descendants\"]] == [\"deblock: true -> false\", \"deblock: false -> true\"]"' "lineage --json: each descendant's change, none for the root"

# experiments and anchor
ok '[ "$(run experiments --store "$st")" = 0 ] && grep -qE "^fx +anchor \([0-9a-f]{12}\) +5 +4 +2" "$t/out" && grep -qE "^  fx +test +1 +-20\.00% +\+" "$t/out"' "experiments: runs, done, clips; mean BD-rate of recipe test"
run experiments --json --store "$st" >/dev/null
ok 'py "e={x[\"name\"]: x for x in d[\"experiments\"]}; r={x[\"recipe\"]: x for x in e[\"fx\"][\"recipes\"]}; assert e[\"fx\"][\"anchor\"][\"name\"] == \"anchor\" and abs(r[\"test\"][\"bd_rate_pct\"] + 20) < 1e-9 and e[\"other\"][\"runs\"] == 1"' "experiments --json"
ok '[ "$(run anchor fx --store "$st")" = 0 ] && grep -q "^experiment fx: anchor recipe anchor (sha256 [0-9a-f]*)" "$t/out"' "anchor fx: shows the anchor"
ok '[ "$(run anchor nosuch --store "$st")" = 1 ] && grep -q "no experiment .nosuch." "$t/err"' "anchor of an unknown experiment: exit 1"
printf '{"name": "x", "codec": "engine", "settings": {"block_size": 12}}' > "$t/bad.json"
printf '{"name": "test", "codec": "engine", "settings": {"transform": "dct", "qps": [22, 27, 32, 37]}}' > "$t/test.json"
ok '[ "$(run anchor fx "$t/bad.json" --store "$st")" = 1 ] && grep -q "settings.block_size: 12 is not one of 8, 16" "$t/err"' "anchor with an invalid recipe: refused naming the field"

ok '[ "$(run anchor new "$t/test.json" --store "$t/fresh")" = 0 ] && [ -f "$t/fresh/store.db" ] && [ "$(run anchor new --store "$t/fresh")" = 0 ] && grep -q "anchor recipe test" "$t/out"' "anchor before any run makes the store"

# reindex keeps everything list shows.
run list --store "$st" >/dev/null; cp "$t/out" "$t/before"
run list --json --store "$st" >/dev/null; cp "$t/out" "$t/before.json"
# A run directory that cannot be read is named in a warning and skipped.
mkdir -p "$st/runs/000099" && printf 'not json' > "$st/runs/000099/run.json"
ok '[ "$(run reindex --store "$st")" = 0 ] && grep -q "^indexed 6 runs" "$t/out"' "reindex: 6 runs indexed"
ok 'grep -q "^codecbench: warning: .*000099" "$t/err" && [ -d "$st/runs/000099" ]' "reindex: an unreadable run directory is named in a warning and kept ($(head -c 160 "$t/err"))"
run list --store "$st" >/dev/null
# The one queued run has no worker and no result: it never started, so
# reindex keeps it queued for a runner to take (store.h); every line is as
# it was.
ok 'cmp -s "$t/before" "$t/out"' "reindex, then list: identical"
cp "$t/out" "$t/after"
run list --json --store "$st" >/dev/null
ok '"$PYTHON3" -c "import json; a=json.load(open(\"$t/before.json\"))[\"runs\"]; b=json.load(open(\"$t/out\"))[\"runs\"]; assert len(a) == len(b) == 6; assert a == b, [(x, y) for x, y in zip(a, b) if x != y]"' "reindex, then list --json: every run identical field by field"
cp "$t/after" "$t/out"
ok 'grep -qE "^ *6 +other +anchor +engine +queued " "$t/out" && [ ! -e "$st/runs/000006/status.json" ]' "reindex: the queued run that never started stays queued, without a status.json"
ok '[ "$(run note 3 --store "$st")" = 0 ] && grep -q "QP 37 looks blocky" "$t/out"' "reindex keeps notes"

# A new anchor recomputes the BD figures: against "test" (0.8 x), run 1
# needs 1 / 0.8 = 1.25 x the rate.
ok '[ "$(run anchor fx "$t/test.json" --store "$st")" = 0 ] && grep -q "anchor recipe test" "$t/out"' "anchor fx test.json"
run list --json --store "$st" >/dev/null
ok 'py "r={x[\"id\"]: x for x in d[\"runs\"]}; assert abs(r[1][\"bd_rate_pct\"] - 25) < 1e-9 and r[1][\"anchor_run\"] == 2"' "after the new anchor, run 1's BD-rate is +25.00%"

# rm and gc
ok '[ "$(run rm 5 --store "$st")" = 1 ] && grep -q "without --yes" "$t/err" && [ "$(run show 5 --store "$st")" = 0 ]' "rm without --yes and no terminal: refused, the run stays"
ok '[ "$(run rm 5 --yes --store "$st")" = 0 ] && grep -q "^run 5 deleted" "$t/out" && [ "$(run show 5 --store "$st")" = 1 ]' "rm --yes: the run is gone"
ok '[ "$(run gc --store "$st")" = 0 ] && grep -qE "^freed [1-9][0-9]* bytes" "$t/out"' "gc frees the deleted run's bytes ($(cat "$t/out"))"
ok '[ "$(run gc --store "$st")" = 0 ] && grep -q "^freed 0 bytes" "$t/out"' "gc again frees nothing"
if "$PYTHON3" -c 'import pty' 2>/dev/null; then
    # On a terminal rm asks; "n" keeps the run.
    "$PYTHON3" - "$cb" "$st" > "$t/pty" 2>&1 <<'PYEOF'
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "rm", "6", "--store", sys.argv[2]])
out = b""
while b"[y/N]" not in out:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.write(fd, b"n\n")
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
PYEOF
    ok 'grep -q "delete run 6 (anchor on clipA.y4m)? \[y/N\]" "$t/pty" && grep -q "run 6 kept" "$t/pty" && [ "$(run show 6 --store "$st")" = 0 ]' "rm on a terminal asks; n keeps the run"
else
    skip "rm on a terminal asks" "python3 has no pty module"
fi

# A recipe name the recipe parser accepts but a terminal must not get raw:
# U+202E (right-to-left override, UTF-8 e2 80 ae) and U+009B (the 8-bit
# CSI, c2 9b).
hs=$t/hostile
"$fixture" --hostile "$hs" "$t/clipA.y4m" 2>"$t/err"
rc=$?
ok '[ $rc = 0 ]' "the fixture builds a store with a hostile recipe name ($(head -c 200 "$t/err"))"
raw_free() { ! LC_ALL=C grep -q "$(printf '\342\200\256')" "$1" && ! LC_ALL=C grep -q "$(printf '\302\233')" "$1"; }
for c in "list" "show 1" "show 1 --frames" "export" "lineage 1" "experiments" "anchor hostile"; do
    ok '[ "$(run '"$c"' --store "$hs")" = 0 ] && raw_free "$t/out" && grep -q "evil<U+202E><U+009B>31mname" "$t/out"' "$c: the hostile recipe name is shown sanitised"
done

# Help and documentation of every command.
for c in list show compare export tag note lineage anchor rm gc reindex experiments; do
    ok '[ "$(run '$c' --help)" = 0 ] && grep -q "^Usage: codecbench '$c'" "$t/out" && grep -q -- "--store DIR" "$t/out"' "$c --help"
    ok 'grep -q "^\.SS $c" "$CB_SRCDIR/man/codecbench.1" && grep -qE "\`codecbench $c[ \`]" "$CB_SRCDIR/README.md"' "$c is in the man page and README"
done
done_testing

"""`codecbench recipe`: every samples/recipes/*.json validates against the
JSON Schema that `codecbench recipe schema` prints (with python3-jsonschema,
an independent validator; skipped without it), and the schema and the C
validator agree on a set of invalid recipes.  `recipe check` prints the
SHA-256 (checked with Python's hashlib) of the canonical form, and fails
with the file and the JSON path on a bad recipe."""
import glob
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import CB_BIN, done, ok, skip, tmpdir  # noqa: E402

SRC = os.environ.get("CB_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
samples = sorted(glob.glob(os.path.join(SRC, "samples", "recipes", "*.json")))
d = tmpdir()


def run(*args):
    return subprocess.run([CB_BIN, "recipe", *args], capture_output=True, text=True)


ok(len(samples) >= 4, "samples/recipes has the sample recipes", samples)

schemas = {}
for strict in (False, True):
    p = run("schema", *(["--strict"] if strict else []))
    label = "schema --strict" if strict else "schema"
    ok(p.returncode == 0, f"recipe {label}: exit 0", p.stderr)
    try:
        schemas[strict] = json.loads(p.stdout)
        ok(True, f"recipe {label}: JSON")
    except ValueError as e:
        ok(False, f"recipe {label}: JSON", e)

# `recipe check`: hash = SHA-256 of the canonical line, computed here.
for path in samples:
    name = os.path.basename(path)
    p = run("check", path)
    lines = p.stdout.splitlines()
    good = p.returncode == 0 and len(lines) == 2 and lines[0].endswith("  " + path)
    ok(good, f"recipe check {name}: exit 0, hash and canonical form", p.stdout + p.stderr)
    if good:
        want = hashlib.sha256(lines[1].encode("ascii")).hexdigest()
        ok(lines[0].split()[0] == want, f"recipe check {name}: hash is SHA-256 of the canonical form",
           f"{lines[0]} vs {want}")
        canon = json.loads(lines[1])
        with open(path) as f:
            orig = json.load(f)
        ok(canon["name"] == orig["name"] and "note" not in canon
           and all(canon["settings"][k] == v for k, v in orig.get("settings", {}).items()),
           f"recipe check {name}: canonical form keeps every value and drops the note", lines[1])

bad = os.path.join(d, "bad.json")
with open(bad, "w") as f:
    json.dump({"name": "b", "codec": "engine", "settings": {"block_size": 12}}, f)
p = run("check", samples[0], bad)
ok(p.returncode == 1 and "bad.json: settings.block_size: 12 is not one of 8, 16" in p.stderr
   and p.stdout.count("\n") == 2,
   "recipe check: a bad file fails (exit 1) naming file, path and allowed values; the good one still prints",
   p.stdout + p.stderr)
p = run("check", os.path.join(d, "missing.json"))
ok(p.returncode == 1 and "missing.json" in p.stderr, "recipe check: a missing file fails naming it", p.stderr)
for args, what in ((["check"], "check without FILE"), ([], "no subcommand"), (["frob"], "unknown subcommand"),
                   (["schema", "--bogus"], "unknown option"), (["schema", "x"], "schema with a FILE")):
    p = run(*args)
    ok(p.returncode == 2 and "Usage: codecbench recipe" in p.stderr, f"recipe {what}: exit 2", p.stderr)

# The man page documents every setting of the table (the schema lists them).
if False in schemas:
    with open(os.path.join(SRC, "man", "codecbench.1")) as f:
        man = f.read().splitlines()
    defs = schemas[False]["$defs"]
    for kind in ("engine_settings", "ffmpeg_settings"):
        props = defs[kind]["properties"]
        undocumented = [k for k in props if f".B {k}" not in man]
        ok(not undocumented, f"the man page documents every setting of {kind}", undocumented)

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    jsonschema = None

if jsonschema is None or not schemas:
    skip("samples validate against the schema", "python3-jsonschema is not installed")
else:
    for strict, schema in schemas.items():
        label = "strict schema" if strict else "schema"
        try:
            Draft202012Validator.check_schema(schema)
            ok(True, f"{label} is a valid draft 2020-12 schema")
        except jsonschema.SchemaError as e:
            ok(False, f"{label} is a valid draft 2020-12 schema", e)
    v = Draft202012Validator(schemas[False])
    for path in samples:
        with open(path) as f:
            doc = json.load(f)
        errs = [e.message for e in v.iter_errors(doc)]
        ok(not errs, f"{os.path.basename(path)} validates against the schema", "\n".join(errs))
        # The strict schema wants every property: the canonical form plus a note.
        canon = json.loads(run("check", path).stdout.splitlines()[1])
        canon["note"] = ""
        errs = [e.message for e in Draft202012Validator(schemas[True]).iter_errors(canon)]
        ok(not errs, f"{os.path.basename(path)} (canonical, with a note) validates against the strict schema",
           "\n".join(errs))
    # Invalid recipes: the schema and `recipe check` both refuse each.
    base = {"name": "x", "codec": "engine"}
    cases = [
        ("block_size 12", {"settings": {"block_size": 12}}),
        ("gop 0", {"settings": {"gop": 0}}),
        ("search_range 257", {"settings": {"search_range": 257}}),
        ("transform wht", {"settings": {"transform": "wht"}}),
        ("deblock 1", {"settings": {"deblock": 1}}),
        ("qps empty", {"settings": {"qps": []}}),
        ("qps 52", {"settings": {"qps": [52]}}),
        ("qps repeated", {"settings": {"qps": [30, 30]}}),
        ("qps 17 values", {"settings": {"qps": list(range(17))}}),
        ("unknown setting", {"settings": {"speed": 1}}),
        ("unknown top key", {"rate": 1}),
        ("codec ffmpeg without settings", {"codec": "ffmpeg"}),
        ("codec x264", {"codec": "x264"}),
    ]
    fb = {"name": "x", "codec": "ffmpeg"}
    bcases = [
        ("baseline without encoder", {"points": [22]}),
        ("baseline without points", {"encoder": "libx264"}),
        ("baseline encoder libxvid", {"encoder": "libxvid", "points": [22]}),
        ("baseline x264 qp 70", {"encoder": "libx264", "points": [70]}),
        ("baseline x264 crf 52", {"encoder": "libx264", "points": [52], "rate_control": "crf"}),
        ("baseline x265 qp 52", {"encoder": "libx265", "points": [52]}),
        ("baseline svtav1 qp 0", {"encoder": "libsvtav1", "points": [0]}),
        ("baseline mpeg4 qp 32", {"encoder": "mpeg4", "points": [32]}),
        ("baseline mpeg4 crf", {"encoder": "mpeg4", "points": [5], "rate_control": "crf"}),
        ("baseline points repeated", {"encoder": "libx264", "points": [22, 22]}),
        ("baseline x264 preset warp", {"encoder": "libx264", "points": [22], "preset": "warp"}),
        ("baseline vp9 preset medium", {"encoder": "libvpx-vp9", "points": [22], "preset": "medium"}),
        ("baseline svtav1 preset 14", {"encoder": "libsvtav1", "points": [22], "preset": "14"}),
        ("baseline x265 tune film", {"encoder": "libx265", "points": [22], "tune": "film"}),
        ("baseline svtav1 tune psnr", {"encoder": "libsvtav1", "points": [22], "tune": "psnr"}),
        ("baseline aom bframes 2", {"encoder": "libaom-av1", "points": [22], "bframes": 2}),
        ("baseline gop 601", {"encoder": "libx264", "points": [22], "gop": 601}),
        ("baseline option key with a space", {"encoder": "libx264", "points": [22], "options": {"a b": "1"}}),
        ("baseline option value with a quote", {"encoder": "libx264", "points": [22], "options": {"ref": "1'"}}),
        ("baseline engine key", {"encoder": "libx264", "points": [22], "block_size": 16}),
    ]
    cases += [(what, dict(settings=patch)) for what, patch in bcases]
    cases += [
        ("engine with baseline settings", {"settings": {"encoder": "libx264", "points": [22]}}),
        ("empty name", {"name": ""}),
        ("threads as string", {"settings": {"threads": "2"}}),
    ]
    for what, patch in cases:
        doc = dict(fb if what.startswith("baseline") else base)
        for k, val in patch.items():
            doc[k] = val
        path = os.path.join(d, "case.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        schema_says = not v.is_valid(doc)
        p = run("check", path)
        ok(schema_says and p.returncode == 1, f"{what}: refused by the schema and by recipe check",
           f"schema refuses: {schema_says}; check: {p.returncode} {p.stderr}")
    # Valid baselines: accepted by both.
    for what, st in (("x264 crf 51 with options", {"encoder": "libx264", "points": [51], "rate_control": "crf",
                                                    "options": {"x264-params": "ref=1:me=dia"}}),
                     ("svtav1 preset 13", {"encoder": "libsvtav1", "points": [1, 63], "preset": "13"}),
                     ("mpeg4 with B frames", {"encoder": "mpeg4", "points": [2, 31], "bframes": 2})):
        doc = dict(fb, settings=st)
        path = os.path.join(d, "case.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        errs = [e.message for e in v.iter_errors(doc)]
        p = run("check", path)
        ok(not errs and p.returncode == 0, f"baseline {what}: accepted by the schema and by recipe check",
           f"{errs} {p.stderr}")
    missing = dict(base)
    del missing["name"]
    ok(not v.is_valid(missing), "a recipe without a name is refused by the schema")
done()

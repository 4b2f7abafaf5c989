"""BD-rate and BD-PSNR of codecbench against an independent PCHIP: scipy's
PchipInterpolator (Fritsch-Carlson, as MATLAB's pchip and the JVET CTC sheet),
integrated exactly with its integrate(), on seeded random RD curves."""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import CB_BIN, done, ok, skip_all, tmpdir  # noqa: E402

try:
    import numpy as np
    from scipy.interpolate import PchipInterpolator
except ImportError:
    skip_all("python3-scipy is not installed")


def ref_bd(anchor, test):
    def curve(pts, x_of, y_of):
        pts = sorted(pts, key=x_of)
        return PchipInterpolator([x_of(p) for p in pts], [y_of(p) for p in pts])

    def overlap(xs_a, xs_t):
        return max(min(xs_a), min(xs_t)), min(max(xs_a), max(xs_t))

    psnr = lambda p: p[1]
    lrate = lambda p: np.log10(p[0])
    lo, hi = overlap([p[1] for p in anchor], [p[1] for p in test])
    ia = curve(anchor, psnr, lrate).integrate(lo, hi)
    it = curve(test, psnr, lrate).integrate(lo, hi)
    bd_rate = (10 ** ((it - ia) / (hi - lo)) - 1) * 100
    lo, hi = overlap([np.log10(p[0]) for p in anchor], [np.log10(p[0]) for p in test])
    ia = curve(anchor, lrate, psnr).integrate(lo, hi)
    it = curve(test, lrate, psnr).integrate(lo, hi)
    return bd_rate, (it - ia) / (hi - lo)


def random_curve(rng, n):
    # Rates spread over ~1.5 decades; PSNR rising with diminishing returns
    # plus jitter, so the curve is monotonic but not a line.
    rates = sorted(rng.uniform(200, 8000) for _ in range(n))
    while len(set(rates)) < n:
        rates = sorted(rng.uniform(200, 8000) for _ in range(n))
    base = rng.uniform(28, 33)
    slope = rng.uniform(2.5, 5.0)
    psnr, last = [], None
    for r in rates:
        v = base + slope * np.log2(r / 200.0) + rng.uniform(-0.4, 0.4)
        if last is not None and v <= last + 0.05:
            v = last + rng.uniform(0.05, 0.5)
        psnr.append(v)
        last = v
    pts = list(zip(rates, psnr))
    rng.shuffle(pts)  # any order is allowed
    return pts


rng = random.Random(20261125)
d = tmpdir()
cases = 0
while cases < 25:
    a = random_curve(rng, rng.randint(4, 8))
    t = random_curve(rng, rng.randint(4, 8))
    ref = ref_bd(a, t)
    lo = max(min(p[1] for p in a), min(p[1] for p in t))
    hi = min(max(p[1] for p in a), max(p[1] for p in t))
    if hi - lo < 1.0:
        continue  # overlap too small to make a fair case
    for name, pts in (("a.csv", a), ("t.csv", t)):
        with open(os.path.join(d, name), "w") as f:
            f.write("".join(f"{r!r},{p!r}\n" for r, p in pts))
    out = subprocess.run([CB_BIN, "bdrate", "--json", os.path.join(d, "a.csv"),
                          os.path.join(d, "t.csv")], capture_output=True, text=True)
    if not ok(out.returncode == 0, f"case {cases}: bdrate exits 0", out.stderr):
        cases += 1
        continue
    got = json.loads(out.stdout)
    ok(abs(got["bd_rate_pct"] - ref[0]) <= 1e-6 * max(1.0, abs(ref[0])),
       f"case {cases}: BD-rate {got['bd_rate_pct']:.6f} % = scipy {ref[0]:.6f} %")
    ok(abs(got["bd_psnr_db"] - ref[1]) <= 1e-6 * max(1.0, abs(ref[1])),
       f"case {cases}: BD-PSNR {got['bd_psnr_db']:.6f} dB = scipy {ref[1]:.6f} dB")
    cases += 1
done()

/* codecbench metrics: Bjontegaard delta rate and delta PSNR.
 *
 * Each curve is sorted by rate and checked; BD-rate interpolates
 * log10(kbps) as a function of PSNR, BD-PSNR interpolates PSNR as a function
 * of log10(kbps), both with PCHIP, and integrates the difference of the two
 * interpolants exactly over the range both curves cover.
 */
#include <math.h>
#include <stdlib.h>

#include "metrics/pchip.h"
#include "codecbench/metrics.h"

/* ---- PCHIP --------------------------------------------------------------- */

static double sign(double v)
{
    return (v > 0) - (v < 0);
}

/* End slope from the first two intervals (h0, m0 at the end), the
 * three-point formula with the shape-preserving corrections of
 * scipy's PchipInterpolator._edge_case (and MATLAB's pchip):
 * a slope of the wrong sign becomes 0; where the data change direction, a
 * slope steeper than 3 m0 is cut to 3 m0. */
static double edge_slope(double h0, double h1, double m0, double m1)
{
    double d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
    if (sign(d) != sign(m0))
        return 0.0;
    if (sign(m0) != sign(m1) && fabs(d) > 3.0 * fabs(m0))
        return 3.0 * m0;
    return d;
}

void cb_pchip_slopes(const double *x, const double *y, size_t n, double *d)
{
    double h[CB_BD_MAX_POINTS], m[CB_BD_MAX_POINTS];
    for (size_t k = 0; k + 1 < n; k++) {
        h[k] = x[k + 1] - x[k];
        m[k] = (y[k + 1] - y[k]) / h[k];
    }
    /* Interior: Fritsch-Carlson weighted harmonic mean of the neighbouring
     * secants, 0 at a local extremum or flat secant; the arithmetic follows
     * scipy (1 / ((w1 / m0 + w2 / m1) / (w1 + w2))). */
    for (size_t k = 1; k + 1 < n; k++) {
        double m0 = m[k - 1], m1 = m[k];
        if (sign(m0) != sign(m1) || m0 == 0.0 || m1 == 0.0) {
            d[k] = 0.0;
        } else {
            double w1 = 2.0 * h[k] + h[k - 1];
            double w2 = h[k] + 2.0 * h[k - 1];
            d[k] = 1.0 / ((w1 / m0 + w2 / m1) / (w1 + w2));
        }
    }
    d[0] = edge_slope(h[0], h[1], m[0], m[1]);
    d[n - 1] = edge_slope(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
}

/* Integral from the left end of an interval of width h to s * h into it
 * (0 <= s <= 1), of the cubic with end values y0, y1 and slopes d0, d1:
 * the Hermite basis 2s^3-3s^2+1, s^3-2s^2+s, -2s^3+3s^2, s^3-s^2
 * integrates to s^4/2-s^3+s, s^4/4-2s^3/3+s^2/2, -s^4/2+s^3, s^4/4-s^3/3. */
static double hermite_integral(double h, double y0, double y1, double d0, double d1, double s)
{
    double s2 = s * s, s3 = s2 * s, s4 = s3 * s;
    double i00 = s4 / 2.0 - s3 + s;
    double i10 = s4 / 4.0 - 2.0 * s3 / 3.0 + s2 / 2.0;
    double i01 = -s4 / 2.0 + s3;
    double i11 = s4 / 4.0 - s3 / 3.0;
    return h * (y0 * i00 + h * d0 * i10 + y1 * i01 + h * d1 * i11);
}

double cb_pchip_integral(const double *x, const double *y, const double *d, size_t n,
                         double lo, double hi)
{
    double sum = 0.0;
    for (size_t k = 0; k + 1 < n; k++) {
        double a = lo > x[k] ? lo : x[k];
        double b = hi < x[k + 1] ? hi : x[k + 1];
        if (!(b > a))
            continue;
        double h = x[k + 1] - x[k];
        double sa = (a - x[k]) / h, sb = (b - x[k]) / h;
        sum += hermite_integral(h, y[k], y[k + 1], d[k], d[k + 1], sb) -
               hermite_integral(h, y[k], y[k + 1], d[k], d[k + 1], sa);
    }
    return sum;
}

/* ---- Curves -------------------------------------------------------------- */

typedef struct Curve {
    size_t n;
    double psnr[CB_BD_MAX_POINTS];     /* rising */
    double log_rate[CB_BD_MAX_POINTS]; /* log10(kbps), rising */
    double kbps[CB_BD_MAX_POINTS];     /* rising */
} Curve;

static int cmp_rate(const void *pa, const void *pb)
{
    const CbRdPoint *a = pa, *b = pb;
    return (a->kbps > b->kbps) - (a->kbps < b->kbps);
}

static int load_curve(Curve *c, const char *what, const CbRdPoint *pts, size_t n, CbError *err)
{
    if (!pts && n > 0)
        return cb_error_set(err, CB_EINVAL, "%s curve: no points given", what);
    if (n < CB_BD_MIN_POINTS)
        return cb_error_set(err, CB_EINVAL, "%s curve has %zu points; at least %d are needed",
                            what, n, CB_BD_MIN_POINTS);
    if (n > CB_BD_MAX_POINTS)
        return cb_error_set(err, CB_EINVAL, "%s curve has %zu points; at most %d are allowed",
                            what, n, CB_BD_MAX_POINTS);
    CbRdPoint sorted[CB_BD_MAX_POINTS];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pts[i].kbps) || !(pts[i].kbps > 0))
            return cb_error_set(err, CB_EINVAL,
                                "%s curve, point %zu: rate %g kbps is not a positive number",
                                what, i + 1, pts[i].kbps);
        if (!isfinite(pts[i].psnr) || !(pts[i].psnr > 0))
            return cb_error_set(err, CB_EINVAL,
                                "%s curve, point %zu: PSNR %g dB is not a positive number",
                                what, i + 1, pts[i].psnr);
        sorted[i] = pts[i];
    }
    qsort(sorted, n, sizeof sorted[0], cmp_rate);
    for (size_t i = 0; i + 1 < n; i++) {
        const CbRdPoint *p = &sorted[i], *q = &sorted[i + 1];
        if (p->kbps == q->kbps)
            return cb_error_set(err, CB_EINVAL, "%s curve has two points at %.1f kbps", what,
                                p->kbps);
        if (!(q->psnr > p->psnr))
            return cb_error_set(err, CB_EINVAL,
                                "%s curve is not monotonic: PSNR %s from %.2f dB at %.1f kbps "
                                "to %.2f dB at %.1f kbps",
                                what, q->psnr < p->psnr ? "falls" : "stays level", p->psnr,
                                p->kbps, q->psnr, q->kbps);
    }
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        c->psnr[i] = sorted[i].psnr;
        c->kbps[i] = sorted[i].kbps;
        c->log_rate[i] = log10(sorted[i].kbps);
    }
    return CB_OK;
}

/* Mean over [lo, hi] of curve t minus curve a, both given as y over x. */
static double mean_difference(const double *xa, const double *ya, const double *xt,
                              const double *yt, size_t na, size_t nt, double lo, double hi)
{
    double da[CB_BD_MAX_POINTS], dt[CB_BD_MAX_POINTS];
    cb_pchip_slopes(xa, ya, na, da);
    cb_pchip_slopes(xt, yt, nt, dt);
    double ia = cb_pchip_integral(xa, ya, da, na, lo, hi);
    double it = cb_pchip_integral(xt, yt, dt, nt, lo, hi);
    return (it - ia) / (hi - lo);
}

int cb_bd_compute(const CbRdPoint *anchor, size_t n_anchor, const CbRdPoint *test,
                  size_t n_test, CbBdResult *out, CbError *err)
{
    cb_error_clear(err);
    if (!out)
        return cb_error_set(err, CB_EINVAL, "no result given");
    Curve a, t;
    int ret = load_curve(&a, "anchor", anchor, n_anchor, err);
    if (ret < 0)
        return ret;
    ret = load_curve(&t, "test", test, n_test, err);
    if (ret < 0)
        return ret;
    size_t na = a.n, nt = t.n;

    double psnr_lo = fmax(a.psnr[0], t.psnr[0]);
    double psnr_hi = fmin(a.psnr[na - 1], t.psnr[nt - 1]);
    if (!(psnr_hi > psnr_lo))
        return cb_error_set(err, CB_ERANGE,
                            "the curves do not overlap in PSNR: anchor %.2f..%.2f dB, "
                            "test %.2f..%.2f dB",
                            a.psnr[0], a.psnr[na - 1], t.psnr[0], t.psnr[nt - 1]);
    double lr_lo = fmax(a.log_rate[0], t.log_rate[0]);
    double lr_hi = fmin(a.log_rate[na - 1], t.log_rate[nt - 1]);
    if (!(lr_hi > lr_lo))
        return cb_error_set(err, CB_ERANGE,
                            "the curves do not overlap in rate: anchor %.1f..%.1f kbps, "
                            "test %.1f..%.1f kbps",
                            a.kbps[0], a.kbps[na - 1], t.kbps[0], t.kbps[nt - 1]);

    double rate_diff = mean_difference(a.psnr, a.log_rate, t.psnr, t.log_rate, na, nt,
                                       psnr_lo, psnr_hi);
    double psnr_diff = mean_difference(a.log_rate, a.psnr, t.log_rate, t.psnr, na, nt, lr_lo,
                                       lr_hi);
    double shorter = fmin(a.psnr[na - 1] - a.psnr[0], t.psnr[nt - 1] - t.psnr[0]);

    double bd_rate_pct = (pow(10.0, rate_diff) - 1.0) * 100.0;
    /* Only absurd inputs get here (PSNRs a few ulps apart, rates 300 decades
     * apart): their secants or deltas overflow. */
    if (!isfinite(bd_rate_pct) || !isfinite(psnr_diff))
        return cb_error_set(err, CB_EINVAL,
                            "the curves are too extreme for finite deltas (check the data)");

    out->bd_rate_pct = bd_rate_pct;
    out->bd_psnr_db = psnr_diff;
    out->psnr_lo = psnr_lo;
    out->psnr_hi = psnr_hi;
    out->kbps_lo = fmax(a.kbps[0], t.kbps[0]);
    out->kbps_hi = fmin(a.kbps[na - 1], t.kbps[nt - 1]);
    out->overlap_fraction = fmin(1.0, (psnr_hi - psnr_lo) / shorter);
    out->small_overlap = out->overlap_fraction < CB_BD_SMALL_OVERLAP;
    return CB_OK;
}

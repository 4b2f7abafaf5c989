/* Unit tests of metrics/ Bjontegaard deltas: PCHIP slopes and integrals,
 * BD-rate and BD-PSNR on hand-derivable curves, and curve validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "codecbench/metrics.h"
#include "test_metrics_common.h"
#include "metrics/pchip.h"

/* ---- PCHIP --------------------------------------------------------------- */

static void test_pchip_slopes_hand_worked(void **state)
{
    (void)state;
    double d[4];

    /* x = 0,1,3, y = 0,1,5: h = 1, 2; secants m = 1, 2.
     * Interior (Fritsch-Carlson): w1 = 2 h1 + h0 = 5, w2 = h1 + 2 h0 = 4,
     *   d1 = (w1 + w2) / (w1 / m0 + w2 / m1) = 9 / (5 + 2) = 9/7.
     * Ends (three-point): d0 = ((2 h0 + h1) m0 - h0 m1) / (h0 + h1) = (4 - 2) / 3 = 2/3;
     *   d2 = ((2 h1 + h0) m1 - h1 m0) / (h1 + h0) = (10 - 2) / 3 = 8/3. */
    const double x1[] = {0, 1, 3}, y1[] = {0, 1, 5};
    cb_pchip_slopes(x1, y1, 3, d);
    assert_near(d[0], 2.0 / 3.0, 1e-15);
    assert_near(d[1], 9.0 / 7.0, 1e-15);
    assert_near(d[2], 8.0 / 3.0, 1e-15);

    /* x = 0,1,2, y = 0,1,5: m = 1, 4.  d0 = (3 * 1 - 4) / 2 = -0.5 has the
     * wrong sign: 0.  d1 = 6 / (3 / 1 + 3 / 4) = 1.6.  d2 = (3 * 4 - 1) / 2 = 5.5. */
    const double x2[] = {0, 1, 2}, y2[] = {0, 1, 5};
    cb_pchip_slopes(x2, y2, 3, d);
    assert_true(d[0] == 0.0);
    assert_near(d[1], 1.6, 1e-15);
    assert_near(d[2], 5.5, 1e-15);

    /* x = 0,3,4, y = 0,3,-2: h = 3, 1; m = 1, -5 (a maximum).
     * d1 = 0 (the secants change sign).
     * d0 = ((6 + 1) * 1 - 3 * (-5)) / 4 = 5.5 > 3 |m0| where the data turn:
     *   cut to 3 m0 = 3.
     * d2 = ((2 + 3) * (-5) - 1 * 1) / 4 = -6.5, not beyond 3 |m| = 15: kept. */
    const double x3[] = {0, 3, 4}, y3[] = {0, 3, -2};
    cb_pchip_slopes(x3, y3, 3, d);
    assert_near(d[0], 3.0, 1e-15);
    assert_true(d[1] == 0.0);
    assert_near(d[2], -6.5, 1e-15);

    /* A flat secant: x = 0..3, y = 0,1,1,2 -> m = 1, 0, 1: d1 = d2 = 0,
     * d0 = (3 * 1 - 0) / 2 = 1.5 and d3 = 1.5. */
    const double x4[] = {0, 1, 2, 3}, y4[] = {0, 1, 1, 2};
    cb_pchip_slopes(x4, y4, 4, d);
    assert_near(d[0], 1.5, 1e-15);
    assert_true(d[1] == 0.0 && d[2] == 0.0);
    assert_near(d[3], 1.5, 1e-15);
}

static void test_pchip_integral_hand_worked(void **state)
{
    (void)state;
    /* The curve x = 0..3, y = 0,1,1,2, slopes 1.5, 0, 0, 1.5 (above).  Over a
     * whole interval of width h the Hermite cubic integrates to
     * h (y0 + y1) / 2 + h^2 (d0 - d1) / 12:
     *   [0,1]: 0.5 + 1.5/12 = 0.625;  [1,2]: 1;  [2,3]: 1.5 - 1.5/12 = 1.375;
     * total 3.  Over [0, 0.5], with s = 0.5 in the integrated basis
     * (s^4/2 - s^3 + s, s^4/4 - 2s^3/3 + s^2/2, -s^4/2 + s^3, s^4/4 - s^3/3):
     *   y0 * 13/32 + d0 * 11/192 + y1 * 3/32 + d1 * (-5/192)
     *   = 1.5 * 11/192 + 3/32 = 0.0859375 + 0.09375 = 0.1796875. */
    const double x[] = {0, 1, 2, 3}, y[] = {0, 1, 1, 2}, d[] = {1.5, 0, 0, 1.5};
    assert_near(cb_pchip_integral(x, y, d, 4, 0, 3), 3.0, 1e-14);
    assert_near(cb_pchip_integral(x, y, d, 4, 0, 1), 0.625, 1e-15);
    assert_near(cb_pchip_integral(x, y, d, 4, 0, 0.5), 0.1796875, 1e-15);
    /* [0.5, 2.5]: the curve is symmetric, y(3 - x) = 2 - y(x), so
     * [2.5, 3] gives 0.5 * 2 - 0.1796875 = 0.8203125 and the middle
     * 3 - 0.1796875 - 0.8203125 = 2. */
    assert_near(cb_pchip_integral(x, y, d, 4, 0.5, 2.5), 2.0, 1e-14);
    assert_true(cb_pchip_integral(x, y, d, 4, 1.5, 1.5) == 0.0);
}

/* ---- BD-rate and BD-PSNR ------------------------------------------------- */

/* A curve that is not a straight line in any domain. */
static const CbRdPoint curve_a[] = {
    {1000.0, 34.0}, {1800.0, 36.5}, {3100.0, 38.6}, {5600.0, 40.4}, {9000.0, 41.5},
};
enum { N_A = sizeof curve_a / sizeof curve_a[0] };

static void test_bd_rate_scaled_rates(void **state)
{
    (void)state;
    /* Every rate times 0.9 at the same PSNR: log10(rate) moves by log10(0.9)
     * everywhere, the secants and so the PCHIP slopes are unchanged, so the
     * two interpolants differ by log10(0.9) at every PSNR, whatever the
     * interpolation; BD-rate = (10^log10(0.9) - 1) * 100 = -10 %. */
    CbRdPoint t[N_A];
    for (int i = 0; i < N_A; i++) {
        t[i].kbps = curve_a[i].kbps * 0.9;
        t[i].psnr = curve_a[i].psnr;
    }
    CbBdResult r;
    CbError err;
    assert_int_equal(cb_bd_compute(curve_a, N_A, t, N_A, &r, &err), 0);
    assert_int_equal(err.code, 0);
    assert_near(r.bd_rate_pct, -10.0, 1e-9);
    assert_true(r.bd_psnr_db > 0.0); /* the same quality for fewer bits */
    assert_near(r.psnr_lo, 34.0, 0.0);
    assert_near(r.psnr_hi, 41.5, 0.0);
    assert_near(r.kbps_lo, 1000.0, 0.0);
    assert_near(r.kbps_hi, 8100.0, 1e-9);
    assert_near(r.overlap_fraction, 1.0, 0.0);
    assert_int_equal(r.small_overlap, 0);
}

static void test_bd_psnr_shifted(void **state)
{
    (void)state;
    /* PSNR + 0.5 dB at the same rates: the PSNR(log rate) interpolants differ
     * by 0.5 everywhere, BD-PSNR = +0.5 dB; the test saves bits. */
    CbRdPoint t[N_A];
    for (int i = 0; i < N_A; i++) {
        t[i].kbps = curve_a[i].kbps;
        t[i].psnr = curve_a[i].psnr + 0.5;
    }
    CbBdResult r;
    assert_int_equal(cb_bd_compute(curve_a, N_A, t, N_A, &r, NULL), 0);
    assert_near(r.bd_psnr_db, 0.5, 1e-12);
    assert_true(r.bd_rate_pct < 0.0);
    /* Swapping anchor and test flips the sign of BD-PSNR. */
    assert_int_equal(cb_bd_compute(t, N_A, curve_a, N_A, &r, NULL), 0);
    assert_near(r.bd_psnr_db, -0.5, 1e-12);
}

/* Points of log10(rate) = l0 + slope * (P - 30) at the given PSNRs. */
static void line_curve(CbRdPoint *c, const double *psnr, int n, double l0, double slope)
{
    for (int i = 0; i < n; i++) {
        c[i].psnr = psnr[i];
        c[i].kbps = pow(10.0, l0 + slope * (psnr[i] - 30.0));
    }
}

static void test_bd_crossing_lines(void **state)
{
    (void)state;
    /* Two straight lines in (PSNR, log10 rate), which PCHIP reproduces
     * exactly (equal secants give slopes equal to them):
     *   anchor: L = 2   + 0.10 (P - 30) at P = 30, 32, 34, 36 (100..398 kbps)
     *   test:   L = 1.9 + 0.15 (P - 30) at P = 31, 33, 35, 37 (112..891 kbps)
     * They cross at P = 32 (the test is cheaper below, dearer above).
     * BD-rate over the PSNR overlap [31, 36] (partial intervals on both ends):
     *   L_t - L_a = -0.1 + 0.05 (P - 30), linear, so its mean is its value at
     *   the middle P = 33.5: -0.1 + 0.175 = 0.075;
     *   BD-rate = (10^0.075 - 1) * 100 = 18.85022274370185 %.
     * BD-PSNR over the rate overlap L in [2.05, 2.6]:
     *   P_a = 30 + 10 (L - 2), P_t = 30 + (L - 1.9) / 0.15, the difference is
     *   linear with mean at L = 2.325: 0.425 / 0.15 - 3.25 = 17/6 - 13/4 = -5/12.
     * Overlap fraction: 5 dB of the shorter range, 6 dB: 5/6. */
    const double pa[] = {30, 32, 34, 36}, pt[] = {31, 33, 35, 37};
    CbRdPoint a[4], t[4];
    line_curve(a, pa, 4, 2.0, 0.10);
    line_curve(t, pt, 4, 1.9, 0.15);
    CbBdResult r;
    assert_int_equal(cb_bd_compute(a, 4, t, 4, &r, NULL), 0);
    assert_near(r.bd_rate_pct, 18.85022274370185, 1e-9);
    assert_near(r.bd_psnr_db, -5.0 / 12.0, 1e-9);
    assert_near(r.psnr_lo, 31.0, 0.0);
    assert_near(r.psnr_hi, 36.0, 0.0);
    assert_near(r.kbps_lo, pow(10.0, 2.05), 1e-9);
    assert_near(r.kbps_hi, pow(10.0, 2.6), 1e-9);
    assert_near(r.overlap_fraction, 5.0 / 6.0, 1e-12);
    assert_int_equal(r.small_overlap, 0);

    /* Unsorted input: the same numbers to the last bit. */
    CbRdPoint a2[4] = {a[2], a[0], a[3], a[1]}, t2[4] = {t[3], t[1], t[0], t[2]};
    CbBdResult r2;
    assert_int_equal(cb_bd_compute(a2, 4, t2, 4, &r2, NULL), 0);
    assert_true(r.bd_rate_pct == r2.bd_rate_pct && r.bd_psnr_db == r2.bd_psnr_db);
    assert_true(r.psnr_lo == r2.psnr_lo && r.psnr_hi == r2.psnr_hi);
    assert_true(r.kbps_lo == r2.kbps_lo && r.kbps_hi == r2.kbps_hi);
    assert_true(r.overlap_fraction == r2.overlap_fraction);
}

static void test_bd_small_overlap(void **state)
{
    (void)state;
    /* Anchor as above; test 5 dB better at the same rates:
     *   test L = 2 + 0.1 (P - 35) at P = 35..41.
     * PSNR overlap [35, 36]: 1 dB of 6, fraction 1/6 < 0.5 -> small overlap.
     * BD-rate: L_t - L_a = -0.5 everywhere: (10^-0.5 - 1) * 100 = -68.377 %.
     * BD-PSNR: +5 dB at every rate (same rates, full rate overlap). */
    const double pa[] = {30, 32, 34, 36}, pt[] = {35, 37, 39, 41};
    CbRdPoint a[4], t[4];
    line_curve(a, pa, 4, 2.0, 0.1);
    line_curve(t, pt, 4, 1.5, 0.1);
    CbBdResult r;
    assert_int_equal(cb_bd_compute(a, 4, t, 4, &r, NULL), 0);
    assert_near(r.overlap_fraction, 1.0 / 6.0, 1e-12);
    assert_int_equal(r.small_overlap, 1);
    assert_near(r.bd_rate_pct, (pow(10.0, -0.5) - 1.0) * 100.0, 1e-9);
    assert_near(r.bd_psnr_db, 5.0, 1e-9);
}

static void test_bd_errors(void **state)
{
    (void)state;
    CbBdResult r;
    CbError err;
    CbRdPoint good[4] = {{500, 33.0}, {800, 36.2}, {1000, 37.0}, {1500, 38.0}};
    CbRdPoint bad[4];

    assert_int_equal(cb_bd_compute(good, 3, good, 4, &r, &err), CB_EINVAL);
    assert_string_equal(err.text, "anchor curve has 3 points; at least 4 are needed");

    memcpy(bad, good, sizeof bad);
    bad[2].psnr = 35.9;
    assert_int_equal(cb_bd_compute(good, 4, bad, 4, &r, &err), CB_EINVAL);
    assert_int_equal(err.code, CB_EINVAL);
    assert_string_equal(err.text, "test curve is not monotonic: PSNR falls from 36.20 dB at "
                                  "800.0 kbps to 35.90 dB at 1000.0 kbps");
    bad[2].psnr = 36.2;
    assert_int_equal(cb_bd_compute(good, 4, bad, 4, &r, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "test curve is not monotonic: PSNR stays level"));

    memcpy(bad, good, sizeof bad);
    bad[3].kbps = 800;
    assert_int_equal(cb_bd_compute(bad, 4, good, 4, &r, &err), CB_EINVAL);
    assert_string_equal(err.text, "anchor curve has two points at 800.0 kbps");

    memcpy(bad, good, sizeof bad);
    bad[1].kbps = NAN;
    assert_int_equal(cb_bd_compute(good, 4, bad, 4, &r, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "test curve, point 2: rate"));
    bad[1].kbps = -800;
    assert_int_equal(cb_bd_compute(good, 4, bad, 4, &r, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "test curve, point 2: rate -800 kbps is not a positive"));
    bad[1].kbps = 0;
    assert_int_equal(cb_bd_compute(good, 4, bad, 4, &r, &err), CB_EINVAL);
    bad[1].kbps = INFINITY;
    assert_int_equal(cb_bd_compute(good, 4, bad, 4, &r, &err), CB_EINVAL);
    memcpy(bad, good, sizeof bad);
    bad[0].psnr = NAN;
    assert_int_equal(cb_bd_compute(bad, 4, good, 4, &r, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "anchor curve, point 1: PSNR"));

    CbRdPoint many[CB_BD_MAX_POINTS + 1];
    for (int i = 0; i <= CB_BD_MAX_POINTS; i++)
        many[i] = (CbRdPoint){500.0 + 20.0 * i, 30.0 + 0.1 * i};
    assert_int_equal(cb_bd_compute(good, 4, many, CB_BD_MAX_POINTS, &r, &err), 0);
    assert_int_equal(cb_bd_compute(good, 4, many, CB_BD_MAX_POINTS + 1, &r, &err), CB_EINVAL);
    assert_string_equal(err.text, "test curve has 65 points; at most 64 are allowed");

    /* No PSNR overlap: test entirely above. */
    CbRdPoint high[4] = {{500, 40.0}, {800, 41.0}, {1000, 42.0}, {1500, 43.0}};
    assert_int_equal(cb_bd_compute(good, 4, high, 4, &r, &err), CB_ERANGE);
    assert_non_null(strstr(err.text, "do not overlap in PSNR"));
    /* Touching at one PSNR only is no overlap either. */
    CbRdPoint touch[4] = {{500, 38.0}, {800, 41.0}, {1000, 42.0}, {1500, 43.0}};
    assert_int_equal(cb_bd_compute(good, 4, touch, 4, &r, &err), CB_ERANGE);
    /* PSNR overlaps but rate does not. */
    CbRdPoint dear[4] = {{5000, 33.0}, {8000, 36.2}, {10000, 37.0}, {15000, 38.0}};
    assert_int_equal(cb_bd_compute(good, 4, dear, 4, &r, &err), CB_ERANGE);
    assert_string_equal(err.text, "the curves do not overlap in rate: anchor 500.0..1500.0 kbps, "
                                  "test 5000.0..15000.0 kbps");
    assert_int_equal(cb_bd_compute(good, 4, good, 4, NULL, &err), CB_EINVAL);

    /* PSNRs a few denormals apart: the secants overflow to inf; refused
     * rather than returned as NaN. */
    CbRdPoint tiny[4] = {{100, 1e-320}, {200, 2e-320}, {400, 3e-320}, {800, 4e-320}};
    CbRdPoint tiny2[4] = {{90, 1e-320}, {180, 2e-320}, {360, 3e-320}, {720, 4e-320}};
    r.bd_rate_pct = 123.0;
    assert_int_equal(cb_bd_compute(tiny, 4, tiny2, 4, &r, &err), CB_EINVAL);
    assert_string_equal(err.text, "the curves are too extreme for finite deltas (check the data)");
    assert_true(r.bd_rate_pct == 123.0); /* untouched on error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pchip_slopes_hand_worked),
        cmocka_unit_test(test_pchip_integral_hand_worked),
        cmocka_unit_test(test_bd_rate_scaled_rates),
        cmocka_unit_test(test_bd_psnr_shifted),
        cmocka_unit_test(test_bd_crossing_lines),
        cmocka_unit_test(test_bd_small_overlap),
        cmocka_unit_test(test_bd_errors),
    };
    return cmocka_run_group_tests_name("metrics_bd", tests, NULL, NULL);
}

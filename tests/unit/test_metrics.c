/* Unit tests of metrics/: PSNR, SSIM, frames, sequences and the kernels
 * (every kernel version this machine runs against the C reference). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "codecbench/frame.h"
#include "codecbench/metrics.h"
#include "test_metrics_common.h"
#include "metrics/dsp.h"

/* 10 log10(255^2) = 10 log10(65025): the PSNR of MSE 1. */
#define PSNR_MSE1 48.1308036086791

/* Seeded xorshift so that failures reproduce. */
static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rnd() >> 24);
}

/* ---- PSNR ---------------------------------------------------------------- */

static void test_psnr_hand_worked(void **state)
{
    (void)state;
    CbMetricsDsp dsp;
    cb_metrics_dsp_init(&dsp, 0);
    uint8_t a[16], b[16];
    memset(a, 100, sizeof a);
    memcpy(b, a, sizeof b);
    /* 4 of the 16 pixels differ by 2: SSE = 4 * 2^2 = 16, MSE = 16 / 16 = 1,
     * PSNR = 10 log10(255^2 / 1) = 10 log10(65025) = 48.1308036... dB. */
    b[0] = 102;
    b[5] = 98;
    b[10] = 102;
    b[15] = 98;
    uint64_t sse = cb_plane_sse(&dsp, a, 4, b, 4, 4, 4);
    assert_int_equal(sse, 16);
    assert_near(cb_psnr_from_mse((double)sse / 16.0), PSNR_MSE1, 1e-12);
    /* MSE 100 is 20 dB below MSE 1. */
    assert_near(cb_psnr_from_mse(100.0), PSNR_MSE1 - 20.0, 1e-12);
}

static void test_psnr_identical_and_cap(void **state)
{
    (void)state;
    CbMetricsDsp dsp;
    cb_metrics_dsp_init(&dsp, cb_metrics_cpu_flags());
    uint8_t a[64];
    fill_random(a, sizeof a);
    assert_int_equal(cb_plane_sse(&dsp, a, 8, a, 8, 8, 8), 0);
    assert_true(cb_psnr_from_mse(0.0) == CB_PSNR_CAP_DB);
    /* 255^2 / 1e-6 gives 108 dB: capped. */
    assert_true(cb_psnr_from_mse(1e-6) == CB_PSNR_CAP_DB);
    /* Just below the cap: MSE = 65025e-10 gives 100 dB; twice that is 97 dB. */
    double p = cb_psnr_from_mse(2 * 65025e-10);
    assert_true(p < CB_PSNR_CAP_DB);
    assert_near(p, 100.0 - 10.0 * log10(2.0), 1e-9);
}

/* Builds a frame of constant planes. */
static void const_frame(CbFrame *f, int w, int h, uint8_t y, uint8_t u, uint8_t v)
{
    assert_int_equal(cb_frame_alloc(f, w, h), 0);
    uint8_t val[3] = {y, u, v};
    for (int p = 0; p < 3; p++)
        for (int r = 0; r < cb_plane_height(h, p); r++)
            memset(f->data[p] + r * f->stride[p], val[p], (size_t)cb_plane_width(w, p));
}

static void test_frame_psnr_yuv(void **state)
{
    (void)state;
    CbFrame ref, dist;
    const_frame(&ref, 4, 4, 100, 100, 100);
    const_frame(&dist, 4, 4, 100, 100, 100);
    /* Y 4x4: four pixels off by 2 -> MSE 1 -> P = 48.1308 dB.
     * U 2x2: one pixel off by 2 -> SSE 4, MSE 1 -> P.
     * V 2x2: one pixel off by 20 -> SSE 400, MSE 100 -> P - 20.
     * PSNR-YUV = (6P + P + P - 20) / 8 = P - 2.5 = 45.6308036 dB. */
    dist.data[0][0] = 102;
    dist.data[0][dist.stride[0] + 1] = 98;
    dist.data[0][2 * dist.stride[0] + 2] = 102;
    dist.data[0][3 * dist.stride[0] + 3] = 98;
    dist.data[1][0] = 102;
    dist.data[2][dist.stride[2] + 1] = 120;
    CbMetricsCtx *ctx = NULL;
    assert_int_equal(cb_metrics_ctx_new(&ctx, 4, 4, cb_metrics_cpu_flags()), 0);
    CbFrameMetrics fm;
    assert_int_equal(cb_metrics_frame(ctx, &ref, &dist, &fm), 0);
    assert_int_equal(fm.sse[0], 16);
    assert_int_equal(fm.sse[1], 4);
    assert_int_equal(fm.sse[2], 400);
    assert_near(fm.mse[2], 100.0, 0.0);
    assert_near(fm.psnr[0], PSNR_MSE1, 1e-12);
    assert_near(fm.psnr[1], PSNR_MSE1, 1e-12);
    assert_near(fm.psnr[2], PSNR_MSE1 - 20.0, 1e-12);
    assert_near(fm.psnr_yuv, PSNR_MSE1 - 2.5, 1e-12);
    /* Frames of another size are refused. */
    CbFrame other;
    const_frame(&other, 6, 4, 0, 0, 0);
    assert_int_equal(cb_metrics_frame(ctx, &ref, &other, &fm), CB_EMISMATCH);
    assert_int_equal(cb_metrics_frame(ctx, &other, &ref, &fm), CB_EMISMATCH);
    cb_frame_free(&other);
    cb_metrics_ctx_free(&ctx);
    assert_null(ctx);
    cb_metrics_ctx_free(&ctx);
    assert_int_equal(cb_metrics_ctx_new(&ctx, 0, 4, 0), CB_EINVAL);
    assert_int_equal(cb_metrics_ctx_new(&ctx, 4, CB_FRAME_MAX_DIM + 1, 0), CB_EINVAL);
    assert_null(ctx);
    cb_frame_free(&ref);
    cb_frame_free(&dist);
}

static void test_sequence_mean_vs_global(void **state)
{
    (void)state;
    CbSeqAccum acc;
    CbSeqMetrics sm;
    cb_seq_accum_init(&acc);
    cb_seq_accum_result(&acc, &sm);
    assert_int_equal(sm.frames, 0);
    assert_true(sm.psnr_mean[0] == 0.0 && sm.psnr_global[0] == 0.0);

    /* Frame 0: MSE 1 in every plane (PSNR P); frame 1: MSE 100 (P - 20).
     * Mean of PSNR: P - 10 = 38.1308 dB.
     * Global: mean MSE (1 + 100) / 2 = 50.5, PSNR 10 log10(65025 / 50.5)
     * = P - 10 log10(50.5) = 31.0978898 dB, well below the mean: one bad
     * frame weighs more in the global figure. */
    CbFrameMetrics f0, f1;
    memset(&f0, 0, sizeof f0);
    memset(&f1, 0, sizeof f1);
    for (int p = 0; p < 3; p++) {
        f0.mse[p] = 1.0;
        f0.psnr[p] = cb_psnr_from_mse(1.0);
        f0.ssim[p] = 0.9;
        f1.mse[p] = 100.0;
        f1.psnr[p] = cb_psnr_from_mse(100.0);
        f1.ssim[p] = 0.7;
    }
    f0.ssim_all = 0.9;
    f1.ssim_all = 0.7;
    cb_seq_accum_add(&acc, &f0);
    cb_seq_accum_add(&acc, &f1);
    cb_seq_accum_result(&acc, &sm);
    assert_int_equal(sm.frames, 2);
    for (int p = 0; p < 3; p++) {
        assert_near(sm.psnr_mean[p], PSNR_MSE1 - 10.0, 1e-12);
        assert_near(sm.psnr_global[p], 31.09788982749249, 1e-12);
        assert_near(sm.ssim_mean[p], 0.8, 1e-15);
    }
    assert_near(sm.psnr_yuv_mean, PSNR_MSE1 - 10.0, 1e-12);
    assert_near(sm.psnr_yuv_global, 31.09788982749249, 1e-12);
    assert_near(sm.ssim_all_mean, 0.8, 1e-15);
    assert_near(sm.psnr_y_min, PSNR_MSE1 - 20.0, 1e-12);
    assert_int_equal(sm.psnr_y_min_frame, 1);
    /* A tie does not move the worst frame. */
    cb_seq_accum_add(&acc, &f1);
    cb_seq_accum_result(&acc, &sm);
    assert_int_equal(sm.psnr_y_min_frame, 1);
}

/* ---- SSIM ---------------------------------------------------------------- */

/* FFmpeg's ssim_end1 written out again here, independent of dsp.c. */
static float window_ssim(int s1, int s2, int ss, int s12)
{
    const int c1 = 416, c2 = 235963; /* (.01*255)^2*64 and (.03*255)^2*64*63, rounded */
    int vars = ss * 64 - s1 * s1 - s2 * s2;
    int covar = s12 * 64 - s1 * s2;
    return (float)(2 * s1 * s2 + c1) * (float)(2 * covar + c2) /
           ((float)(s1 * s1 + s2 * s2 + c1) * (float)(vars + c2));
}

/* Straightforward SSIM of a plane: every 8x8 window at multiples of 4
 * summed directly from the pixels, rows of windows summed first (as FFmpeg
 * sums one line of windows, then adds it to the plane's total). */
static double naive_ssim(const uint8_t *a, ptrdiff_t sa, const uint8_t *b, ptrdiff_t sb, int w,
                         int h)
{
    int bw = w / 4, bh = h / 4;
    double total = 0.0;
    for (int by = 0; by + 1 < bh; by++) {
        double row = 0.0;
        for (int bx = 0; bx + 1 < bw; bx++) {
            int s1 = 0, s2 = 0, ss = 0, s12 = 0;
            for (int y = 4 * by; y < 4 * by + 8; y++) {
                for (int x = 4 * bx; x < 4 * bx + 8; x++) {
                    int va = a[y * sa + x], vb = b[y * sb + x];
                    s1 += va;
                    s2 += vb;
                    ss += va * va + vb * vb;
                    s12 += va * vb;
                }
            }
            row += window_ssim(s1, s2, ss, s12);
        }
        total += row;
    }
    return total / ((bh - 1) * (bw - 1));
}

static void test_ssim_identical_is_one(void **state)
{
    (void)state;
    CbMetricsDsp dsp;
    cb_metrics_dsp_init(&dsp, cb_metrics_cpu_flags());
    int w = 37, h = 23;
    uint8_t *a = malloc((size_t)w * h);
    void *scratch = malloc(cb_ssim_scratch_size(w));
    assert_non_null(a);
    assert_non_null(scratch);
    fill_random(a, (size_t)w * h);
    /* Identical windows: 2 covar = vars, so numerator and denominator are the
     * same float products and every window is exactly 1. */
    assert_true(cb_plane_ssim(&dsp, a, w, a, w, w, h, scratch) == 1.0);
    /* Small planes take the whole-plane fallback: also exactly 1. */
    assert_true(cb_plane_ssim(&dsp, a, w, a, w, 5, 7, scratch) == 1.0);
    assert_true(cb_plane_ssim(&dsp, a, w, a, w, 1, 1, scratch) == 1.0);
    free(a);
    free(scratch);
}

static void test_ssim_constant_planes(void **state)
{
    (void)state;
    CbMetricsDsp dsp;
    cb_metrics_dsp_init(&dsp, 0);
    uint8_t a[16 * 16], b[16 * 16];
    memset(a, 100, sizeof a);
    memset(b, 110, sizeof b);
    void *scratch = malloc(cb_ssim_scratch_size(16));
    assert_non_null(scratch);
    /* One 8x8 window of constant a = 100 and b = 110:
     *   s1 = 64*100 = 6400, s2 = 64*110 = 7040,
     *   ss = 64*(100^2 + 110^2) = 1414400, s12 = 64*100*110 = 704000;
     *   vars = 64 ss - s1^2 - s2^2 = 0, covar = 64 s12 - s1 s2 = 0;
     *   SSIM = (2 s1 s2 + C1)(2 covar + C2) / ((s1^2 + s2^2 + C1)(vars + C2))
     *        = (90112000 + 416) / (90521600 + 416) = 90112416 / 90522016
     *        = 0.99547513...
     * Computed in float as FFmpeg does, so equal within float rounding
     * (relative 2^-24 per operation, four operations): tolerance 1e-6. */
    const double expect = 90112416.0 / 90522016.0;
    assert_near(cb_plane_ssim(&dsp, a, 16, b, 16, 8, 8, scratch), expect, 1e-6);
    /* 16x16: 3x3 equal windows, the same value. */
    assert_near(cb_plane_ssim(&dsp, a, 16, b, 16, 16, 16, scratch), expect, 1e-6);
    /* Partial blocks are ignored: 11x10 has 2x2 whole blocks, one window. */
    b[16 * 9 + 10] = 0;
    assert_near(cb_plane_ssim(&dsp, a, 16, b, 16, 11, 10, scratch), expect, 1e-6);

    /* Fallback, 4x4 plane as one window of N = 16 pixels:
     *   C1 N = 6.5025 * 16 = 104.04, variance terms 0 (so C2 cancels),
     *   SSIM = (2 * 1600 * 1760 + 104.04) / (1600^2 + 1760^2 + 104.04)
     *        = 5632104.04 / 5657704.04 = 0.99547520 (double arithmetic). */
    assert_near(cb_plane_ssim(&dsp, a, 16, b, 16, 4, 4, NULL),
                        5632104.04 / 5657704.04, 1e-12);
    /* 1x1: N = 1, the luminance term (2ab + C1) / (a^2 + b^2 + C1). */
    assert_near(cb_plane_ssim(&dsp, a, 16, b, 16, 1, 1, NULL),
                        (22000 + 6.5025) / (22100 + 6.5025), 1e-12);
    free(scratch);
}

static void test_ssim_matches_naive_and_all_versions(void **state)
{
    (void)state;
    static const int sizes[][2] = {{8, 8}, {9, 8}, {16, 16}, {33, 17}, {67, 41}, {128, 9},
                                   {161, 35}, {320, 180}};
    unsigned avail = cb_metrics_cpu_flags();
    const unsigned versions[] = {0, CB_CPU_SSE2, CB_CPU_SSE2 | CB_CPU_AVX2};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        ptrdiff_t stride = w + 3;
        uint8_t *a = malloc((size_t)stride * h), *b = malloc((size_t)stride * h);
        void *scratch = malloc(cb_ssim_scratch_size(w));
        assert_true(a && b && scratch);
        fill_random(a, (size_t)stride * h);
        /* b: a plus noise, so that SSIM is neither 1 nor near 0. */
        for (ptrdiff_t i = 0; i < stride * h; i++) {
            int v = a[i] + (int)(rnd() % 41) - 20;
            b[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        double expect = naive_ssim(a, stride, b, stride, w, h);
        assert_true(expect > 0.1 && expect < 0.999);
        for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
            if ((versions[v] & avail) != versions[v])
                continue;
            CbMetricsDsp dsp;
            cb_metrics_dsp_init(&dsp, versions[v]);
            double got = cb_plane_ssim(&dsp, a, stride, b, stride, w, h, scratch);
            /* Same integer sums, same float formula, same order: equal. */
            assert_true(got == expect);
        }
        free(a);
        free(b);
        free(scratch);
    }
}

static void test_frame_ssim_all(void **state)
{
    (void)state;
    CbFrame ref, dist;
    const_frame(&ref, 32, 32, 80, 100, 100);
    const_frame(&dist, 32, 32, 80, 110, 100);
    CbMetricsCtx *ctx = NULL;
    assert_int_equal(cb_metrics_ctx_new(&ctx, 32, 32, cb_metrics_cpu_flags()), 0);
    CbFrameMetrics fm;
    assert_int_equal(cb_metrics_frame(ctx, &ref, &dist, &fm), 0);
    /* Y and V identical: 1; U constant 100 vs 110: 90112416 / 90522016.
     * "All" weighs by pixels: Y 1024, U 256, V 256 of 1536, i.e. 2/3, 1/6,
     * 1/6 (FFmpeg's float weights: within 1e-7). */
    double u = 90112416.0 / 90522016.0;
    assert_true(fm.ssim[0] == 1.0);
    assert_near(fm.ssim[1], u, 1e-6);
    assert_true(fm.ssim[2] == 1.0);
    assert_near(fm.ssim_all, 2.0 / 3.0 + u / 6.0 + 1.0 / 6.0, 1e-6);
    assert_true(fm.ssim_all < 1.0);
    cb_metrics_ctx_free(&ctx);
    cb_frame_free(&ref);
    cb_frame_free(&dist);
}

/* ---- Kernels against the C reference ------------------------------------- */

/* Widths 1..130 (odd ones, and all remainders modulo 16 and 32) and a few
 * long rows, at every misalignment 0..3.  Buffers are allocated to the exact
 * size read, so that AddressSanitizer sees an overread. */
static void test_kernels_match_reference(void **state)
{
    (void)state;
    unsigned avail = cb_metrics_cpu_flags();
    const unsigned versions[] = {CB_CPU_SSE2, CB_CPU_SSE2 | CB_CPU_AVX2};
    CbMetricsDsp ref;
    cb_metrics_dsp_init(&ref, 0);
    int tested = 0;
    for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
        if ((versions[v] & avail) != versions[v])
            continue;
        CbMetricsDsp dsp;
        cb_metrics_dsp_init(&dsp, versions[v]);
        assert_ptr_not_equal(dsp.sse_line, ref.sse_line);
        assert_ptr_not_equal(dsp.ssim_4x4_line, ref.ssim_4x4_line);
        tested++;
        static const int extra[] = {255, 256, 257, 1279, 1280, 1283, 4099};
        for (int k = 0; k < 130 + (int)(sizeof extra / sizeof extra[0]); k++) {
            int w = k < 130 ? k + 1 : extra[k - 130];
            for (int off = 0; off < 4; off++) {
                uint8_t *a = malloc((size_t)(w + off)), *b = malloc((size_t)(w + off));
                assert_true(a && b);
                fill_random(a, (size_t)(w + off));
                fill_random(b, (size_t)(w + off));
                assert_int_equal(dsp.sse_line(a + off, b + off, w),
                                 ref.sse_line(a + off, b + off, w));
                free(a);
                free(b);

                int n = w / 4;
                if (n == 0)
                    continue;
                ptrdiff_t sa = w + off + 5, sb = w + 2 * off + 1;
                size_t la = (size_t)(3 * sa + 4 * n + off), lb = (size_t)(3 * sb + 4 * n + off);
                a = malloc(la);
                b = malloc(lb);
                int32_t(*s_ref)[4] = malloc((size_t)(n + 1) * sizeof *s_ref);
                int32_t(*s_dsp)[4] = malloc((size_t)(n + 1) * sizeof *s_dsp);
                int32_t(*s_row0)[4] = malloc((size_t)(n + 1) * sizeof *s_dsp);
                assert_true(a && b && s_ref && s_dsp && s_row0);
                fill_random(a, la);
                fill_random(b, lb);
                ref.ssim_4x4_line(a + off, sa, b + off, sb, s_ref, n);
                dsp.ssim_4x4_line(a + off, sa, b + off, sb, s_dsp, n);
                assert_memory_equal(s_ref, s_dsp, (size_t)n * sizeof *s_ref);
                /* The end line over this row and a shifted one. */
                if (n >= 2) {
                    dsp.ssim_4x4_line(a, sa, b, sb, s_row0, n);
                    double e_ref = ref.ssim_end_line((const int32_t(*)[4])s_row0,
                                                     (const int32_t(*)[4])s_ref, n - 1);
                    double e_dsp = dsp.ssim_end_line((const int32_t(*)[4])s_row0,
                                                     (const int32_t(*)[4])s_dsp, n - 1);
                    assert_memory_equal(&e_ref, &e_dsp, sizeof e_ref);
                }
                free(a);
                free(b);
                free(s_ref);
                free(s_dsp);
                free(s_row0);
            }
        }
    }
    if (!tested)
        skip();
}

/* Extreme samples, and a row long enough to flush the 32-bit lanes. */
static void test_kernels_extremes(void **state)
{
    (void)state;
    unsigned avail = cb_metrics_cpu_flags();
    const unsigned versions[] = {0, CB_CPU_SSE2, CB_CPU_SSE2 | CB_CPU_AVX2};
    enum { W = 70001 }; /* over 4096 vectors of 16 pixels */
    uint8_t *a = malloc(4 * (size_t)W), *b = malloc(4 * (size_t)W);
    int32_t(*sums)[4] = malloc((W / 4) * sizeof *sums);
    assert_true(a && b && sums);
    memset(a, 255, 4 * (size_t)W);
    memset(b, 0, 4 * (size_t)W);
    for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
        if ((versions[v] & avail) != versions[v])
            continue;
        CbMetricsDsp dsp;
        cb_metrics_dsp_init(&dsp, versions[v]);
        assert_int_equal(dsp.sse_line(a, b, W), (uint64_t)W * 65025u);
        dsp.ssim_4x4_line(a, W, a, W, sums, W / 4);
        for (int i = 0; i < W / 4; i++) {
            assert_int_equal(sums[i][0], 16 * 255);
            assert_int_equal(sums[i][1], 16 * 255);
            assert_int_equal(sums[i][2], 32 * 65025);
            assert_int_equal(sums[i][3], 16 * 65025);
        }
        /* Identical windows of 255: exactly 1, no int overflow on the way. */
        double e = dsp.ssim_end_line((const int32_t(*)[4])sums, (const int32_t(*)[4])sums, 1);
        assert_true(e == 1.0);
    }
    free(a);
    free(b);
    free(sums);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psnr_hand_worked),
        cmocka_unit_test(test_psnr_identical_and_cap),
        cmocka_unit_test(test_frame_psnr_yuv),
        cmocka_unit_test(test_sequence_mean_vs_global),
        cmocka_unit_test(test_ssim_identical_is_one),
        cmocka_unit_test(test_ssim_constant_planes),
        cmocka_unit_test(test_ssim_matches_naive_and_all_versions),
        cmocka_unit_test(test_frame_ssim_all),
        cmocka_unit_test(test_kernels_match_reference),
        cmocka_unit_test(test_kernels_extremes),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}

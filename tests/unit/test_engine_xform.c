/* Unit tests of engine/transform, engine/quant and engine/klt: HEVC's DCT
 * matrices, the transform kernels against their reference and against a
 * floating-point DCT, quantisation round trips, hostile decoder-path input,
 * basis checks, and KLT training on separable AR(1) residuals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include <cblas.h>
#include <lapacke.h>

#include "codecbench/error.h"
#include "engine/dsp_x86.h"
#include "engine/klt.h"
#include "engine/quant.h"
#include "engine/transform.h"

static const int SIZES[CB_XFORM_SIZES] = {4, 8, 16};

/* ---- seeded randomness (splitmix64; Box-Muller) ------------------------- */

typedef struct Rng {
    uint64_t s;
    int has_spare;
    double spare;
} Rng;

static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform integer in lo..hi. */
static int64_t rng_range(Rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Uniform in (0, 1]. */
static double rng_unit(Rng *r)
{
    return ((rng_next(r) >> 11) + 1) * 0x1p-53;
}

static double rng_gauss(Rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    const double two_pi = 6.28318530717958647692;
    double mag = sqrt(-2.0 * log(rng_unit(r))), ang = two_pi * rng_unit(r);
    r->spare = mag * sin(ang);
    r->has_spare = 1;
    return mag * cos(ang);
}

/* ---- HEVC's DCT matrices ------------------------------------------------ */

/* ITU-T H.265 clause 8.6.4.2: the 8-point matrix (rows 0, 4, ..., 28 of the
 * 32-point transMatrix, first 8 columns), copied from the standard. */
static const int16_t HEVC_DCT8[8][8] = {
    {64, 64, 64, 64, 64, 64, 64, 64},     {89, 75, 50, 18, -18, -50, -75, -89},
    {83, 36, -36, -83, -83, -36, 36, 83}, {75, -18, -89, -50, 50, 89, 18, -75},
    {64, -64, -64, 64, 64, -64, -64, 64}, {50, -89, 18, 75, -75, -18, 89, -50},
    {36, -83, 83, -36, -36, 83, -83, 36}, {18, -50, 75, -89, 89, -75, 50, -18},
};

/* Two rows of the 16-point matrix from the standard (rows 1 and 3). */
static const int16_t HEVC_DCT16_ROW1[16] = {90, 87,  80,  70,  57,  43,  25,  9,
                                            -9, -25, -43, -57, -70, -80, -87, -90};
static const int16_t HEVC_DCT16_ROW3[16] = {87, 57, 9,  -43, -80, -90, -70, -25,
                                            25, 70, 90, 80,  43,  -9,  -57, -87};

/* Largest deviation of a basis from orthogonality, in units of the nominal
 * squared norm 4096 n: *norm_dev for |norm^2 - 4096 n|, *dot_dev for |dot|. */
static void basis_deviation(const CbBasis *b, double *norm_dev, double *dot_dev)
{
    const int n = b->n;
    const double nominal = 4096.0 * n;
    *norm_dev = *dot_dev = 0.0;
    for (int k = 0; k < n; k++) {
        for (int l = k; l < n; l++) {
            long long dot = 0;
            for (int i = 0; i < n; i++)
                dot += (long long)b->m[k * n + i] * b->m[l * n + i];
            if (k == l)
                *norm_dev = fmax(*norm_dev, fabs((double)dot - nominal) / nominal);
            else
                *dot_dev = fmax(*dot_dev, fabs((double)dot) / nominal);
        }
    }
}

static void test_dct_matrices(void **state)
{
    (void)state;
    CbBasis b;
    cb_basis_dct(&b, 4);
    assert_int_equal(b.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(b.m[i], 64);
    const int16_t row1[4] = {83, 36, -36, -83};
    assert_memory_equal(b.m + 4, row1, sizeof row1);

    cb_basis_dct(&b, 8);
    assert_memory_equal(b.m, HEVC_DCT8, sizeof HEVC_DCT8);

    cb_basis_dct(&b, 16);
    assert_memory_equal(b.m + 1 * 16, HEVC_DCT16_ROW1, sizeof HEVC_DCT16_ROW1);
    assert_memory_equal(b.m + 3 * 16, HEVC_DCT16_ROW3, sizeof HEVC_DCT16_ROW3);

    /* HEVC's matrices are not exactly orthogonal (their entries were tuned by
     * hand for near-orthogonality and near-equal norms).  Measured here: the
     * largest |norm^2 - 4096 n| is 0.085 % of 4096 n (every size: 4-point
     * row 1 has 16370 for 16384) and the largest |dot| 0.00 %, 0.15 % and
     * 0.29 % of 4096 n at sizes 4, 8, 16.  The test's bound, 0.5 %, is the
     * "known deviation"; cb_basis_check's tolerance (1.95 %) is wider because
     * it must also accept rounded KLT bases. */
    for (int s = 0; s < CB_XFORM_SIZES; s++) {
        double norm_dev, dot_dev;
        cb_basis_dct(&b, SIZES[s]);
        basis_deviation(&b, &norm_dev, &dot_dev);
        print_message("# DCT %2d: max norm deviation %.4f %%, max |dot| %.4f %% of 4096 n\n",
                      SIZES[s], 100 * norm_dev, 100 * dot_dev);
        assert_true(norm_dev < 0.005);
        assert_true(dot_dev < 0.005);
        assert_int_equal(cb_basis_check(&b, NULL), CB_OK);
        /* Row k is HEVC's scale times the orthonormal DCT-II row, within the
         * standard's rounding and tuning (at most 1.5 in entries up to 90). */
        const double pi = 3.14159265358979323846;
        for (int k = 0; k < b.n; k++)
            for (int i = 0; i < b.n; i++) {
                double ref = 64.0 * sqrt((double)b.n) * sqrt((k ? 2.0 : 1.0) / b.n) *
                             cos((2 * i + 1) * k * pi / (2.0 * b.n));
                assert_true(fabs(b.m[k * b.n + i] - ref) <= 1.5);
            }
    }
}

/* ---- kernels ------------------------------------------------------------ */

static void random_residual(Rng *r, int n, int16_t *res, ptrdiff_t stride, int lo, int hi)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            res[i * stride + j] = (int16_t)rng_range(r, lo, hi);
}

/* Every kernel of the best table equals the C reference on random input
 * with the DCT (test_simd_matches_reference below covers other bases, each
 * instruction set and hostile strides). */
static void test_dsp_matches_reference(void **state)
{
    (void)state;
    CbXformDsp ref, best;
    cb_xform_dsp_init_c(&ref);
    cb_xform_dsp_init(&best);
    Rng rng = {1, 0, 0};
    for (int s = 0; s < CB_XFORM_SIZES; s++) {
        const int n = SIZES[s];
        CbBasis b;
        cb_basis_dct(&b, n);
        assert_int_equal(cb_xform_size_index(n), s);
        for (int iter = 0; iter < 200; iter++) {
            int16_t res[16 * 20], out_ref[16 * 20], out_best[16 * 20];
            int32_t c_ref[256], c_best[256], hostile[256];
            const ptrdiff_t stride = 20;
            random_residual(&rng, n, res, stride, -255, 255);
            ref.fwd[s](b.m, b.m, res, stride, c_ref);
            best.fwd[s](b.m, b.m, res, stride, c_best);
            assert_memory_equal(c_ref, c_best, sizeof(int32_t) * n * n);
            for (int i = 0; i < n * n; i++)
                hostile[i] = (int32_t)(uint32_t)rng_next(&rng);
            memset(out_ref, 0, sizeof out_ref);
            memset(out_best, 0, sizeof out_best);
            ref.inv[s](b.m, b.m, hostile, out_ref, stride);
            best.inv[s](b.m, b.m, hostile, out_best, stride);
            assert_memory_equal(out_ref, out_best, sizeof out_ref);
            /* The public wrappers call the same reference. */
            int32_t c_pub[256];
            cb_transform_fwd(&b, &b, res, stride, c_pub);
            assert_memory_equal(c_ref, c_pub, sizeof(int32_t) * n * n);
        }
    }
}

/* ---- SIMD versions against the reference ---------------------------------- */

/* Kinds of bases the kernels must handle exactly. */
enum {
    BASIS_DCT,        /* HEVC's */
    BASIS_RANDOM,     /* a random orthonormal basis, rounded: a checked KLT */
    BASIS_PERMUTATION, /* a signed permutation times 64 sqrt(n): the largest entries a check passes */
    BASIS_ANY,        /* any entries in +-CB_BASIS_ENTRY_MAX (unchecked; still no overflow) */
    BASIS_KINDS
};

/* Random orthonormal rows by Gram-Schmidt on Gaussian vectors, scaled by
 * 64 sqrt(n) and rounded; retried until cb_basis_check passes (rounding can
 * push a row of a small basis just past the tolerances). */
static void random_checked_basis(Rng *r, int n, CbBasis *b)
{
    for (;;) {
        double q[16][16];
        for (int k = 0; k < n; k++) {
            for (;;) {
                for (int i = 0; i < n; i++)
                    q[k][i] = rng_gauss(r);
                for (int l = 0; l < k; l++) {
                    double d = 0;
                    for (int i = 0; i < n; i++)
                        d += q[k][i] * q[l][i];
                    for (int i = 0; i < n; i++)
                        q[k][i] -= d * q[l][i];
                }
                double norm = 0;
                for (int i = 0; i < n; i++)
                    norm += q[k][i] * q[k][i];
                if (norm > 1e-6) {
                    for (int i = 0; i < n; i++)
                        q[k][i] /= sqrt(norm);
                    break;
                }
            }
        }
        b->n = n;
        memset(b->m, 0, sizeof b->m);
        for (int k = 0; k < n; k++)
            for (int i = 0; i < n; i++)
                b->m[k * n + i] = (int16_t)lround(64.0 * sqrt((double)n) * q[k][i]);
        if (cb_basis_check(b, NULL) == CB_OK)
            return;
    }
}

static void make_basis(Rng *r, int n, int kind, CbBasis *b)
{
    switch (kind) {
    case BASIS_DCT: cb_basis_dct(b, n); break;
    case BASIS_RANDOM: random_checked_basis(r, n, b); break;
    case BASIS_PERMUTATION: {
        /* 64 sqrt(n): 128, 181, 256 (181^2 = 32761 is within the norm
         * tolerance of 32768). */
        const int16_t scale = (int16_t)(n == 4 ? 128 : n == 8 ? 181 : 256);
        int perm[16];
        for (int i = 0; i < n; i++)
            perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            const int j = (int)rng_range(r, 0, i), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        b->n = n;
        memset(b->m, 0, sizeof b->m);
        for (int k = 0; k < n; k++)
            b->m[k * n + perm[k]] = (int16_t)(rng_next(r) & 1 ? scale : -scale);
        assert_int_equal(cb_basis_check(b, NULL), CB_OK);
        break;
    }
    default:
        b->n = n;
        memset(b->m, 0, sizeof b->m);
        for (int i = 0; i < n * n; i++)
            b->m[i] = (int16_t)(rng_next(r) % 5 == 0 ? (rng_next(r) & 1 ? 256 : -256)
                                                      : rng_range(r, -256, 256));
        break;
    }
}

/* Residuals: the documented -255..255, any int16, or only the extremes. */
static int16_t random_res_value(Rng *r, int kind)
{
    static const int16_t EXTREMES[] = {INT16_MIN, INT16_MIN + 1, -256, -255, 0,
                                       255,       256,           INT16_MAX - 1, INT16_MAX};
    switch (kind) {
    case 0: return (int16_t)rng_range(r, -255, 255);
    case 1: return (int16_t)rng_range(r, INT16_MIN, INT16_MAX);
    default: return EXTREMES[rng_range(r, 0, (int64_t)(sizeof EXTREMES / sizeof EXTREMES[0]) - 1)];
    }
}

/* Coefficients: any int32, values around the int16 clip, small ones. */
static int32_t random_coef_value(Rng *r, int kind)
{
    switch (kind) {
    case 0: return (int32_t)(uint32_t)rng_next(r);
    case 1: return (int32_t)rng_range(r, INT16_MIN - 3, INT16_MAX + 3);
    case 2: return (int32_t)rng_range(r, -40000, 40000) * (rng_next(r) & 1 ? 1 : 50000);
    case 3: {
        static const int32_t EXTREMES[] = {INT32_MIN, INT32_MIN + 1, -32769, -32768, -32767, 0,
                                           32766,     32767,         32768,  INT32_MAX};
        return EXTREMES[rng_range(r, 0, (int64_t)(sizeof EXTREMES / sizeof EXTREMES[0]) - 1)];
    }
    default: return (int32_t)rng_range(r, -600, 600);
    }
}

/* The tables to test: the C reference overridden by each instruction-set
 * subset this CPU runs, and the table cb_xform_dsp_init() gives. */
static int simd_tables(CbXformDsp *t, const char **names)
{
    static const unsigned ISAS[] = {CB_ENGINE_ISA_SSE2, CB_ENGINE_ISA_SSE2 | CB_ENGINE_ISA_AVX2};
    static const char *const ISA_NAMES[] = {"sse2", "avx2"};
    const unsigned have = cb_engine_cpu_isa();
    int k = 0;
    for (size_t i = 0; i < sizeof ISAS / sizeof ISAS[0]; i++) {
        if ((ISAS[i] & have) != ISAS[i])
            continue;
        cb_xform_dsp_init_c(&t[k]);
        cb_xform_dsp_init_x86(&t[k], ISAS[i]);
        names[k++] = ISA_NAMES[i];
    }
    cb_xform_dsp_init(&t[k]);
    names[k++] = "best";
    return k;
}

/* Every SIMD kernel equals the reference on seeded random input: all sizes,
 * all kinds of bases (different vertical and horizontal ones), residuals
 * beyond the documented range, hostile coefficients, odd strides and
 * pointers not aligned to 16 bytes; nothing outside the block is written. */
static void test_simd_matches_reference(void **state)
{
    (void)state;
    CbXformDsp ref, tables[4];
    const char *names[4];
    cb_xform_dsp_init_c(&ref);
    const int n_tables = simd_tables(tables, names);
    Rng rng = {20240601, 0, 0};
    enum { GUARD = 3, BUF = 40 * 16 + 2 * GUARD };
    for (int s = 0; s < CB_XFORM_SIZES; s++) {
        const int n = SIZES[s];
        for (int iter = 0; iter < 1500; iter++) {
            CbBasis v, h;
            make_basis(&rng, n, (int)rng_range(&rng, 0, BASIS_KINDS - 1), &v);
            make_basis(&rng, n, iter % 7 == 0 ? BASIS_DCT : (int)rng_range(&rng, 0, BASIS_KINDS - 1),
                       &h);
            /* Stride n..40 elements; the block starts 0..GUARD elements into
             * the buffer (2-byte alignment only, for odd offsets). */
            const ptrdiff_t stride = (ptrdiff_t)rng_range(&rng, n, 40);
            const int off = (int)rng_range(&rng, 0, GUARD);
            const int res_kind = (int)rng_range(&rng, 0, 2), coef_kind = (int)rng_range(&rng, 0, 4);
            int16_t res[BUF];
            int32_t coef_in[256 + GUARD];
            for (int i = 0; i < BUF; i++)
                res[i] = random_res_value(&rng, res_kind);
            for (int i = 0; i < 256 + GUARD; i++)
                coef_in[i] = random_coef_value(&rng, coef_kind);
            int32_t c_ref[256 + GUARD];
            int16_t out_ref[BUF];
            memset(c_ref, 0x5a, sizeof c_ref);
            memset(out_ref, 0x5a, sizeof out_ref);
            ref.fwd[s](v.m, h.m, res + off, stride, c_ref + off);
            ref.inv[s](v.m, h.m, coef_in + off, out_ref + off, stride);
            for (int t = 0; t < n_tables; t++) {
                int32_t c_simd[256 + GUARD];
                int16_t out_simd[BUF];
                memset(c_simd, 0x5a, sizeof c_simd);
                memset(out_simd, 0x5a, sizeof out_simd);
                tables[t].fwd[s](v.m, h.m, res + off, stride, c_simd + off);
                tables[t].inv[s](v.m, h.m, coef_in + off, out_simd + off, stride);
                if (memcmp(c_ref, c_simd, sizeof c_ref) || memcmp(out_ref, out_simd, sizeof out_ref))
                    fail_msg("%s n=%d iter %d: SIMD transform differs from the reference", names[t],
                             n, iter);
            }
        }
    }
}

/* The forward transform is the orthonormal 2-D DCT times 2^(7 - log2 n)
 * (HEVC's transform shift), up to HEVC's matrix approximation and rounding;
 * and, exactly, V R H^T / 2^(2 log2 n + 5) of its own integer matrices up to
 * its two roundings: 1/2 at the end, plus 1/2 from the first stage carried
 * through the second (times l1(row of V) / 2^(log2 n + 6) <= 64 n / 64 n: no
 * HEVC row has an l1 norm above the DC row's 64 n),
 * so |error| <= 1. */
static void test_fwd_matches_float_dct(void **state)
{
    (void)state;
    const double pi = 3.14159265358979323846;
    Rng rng = {2, 0, 0};
    for (int s = 0; s < CB_XFORM_SIZES; s++) {
        const int n = SIZES[s];
        CbBasis b;
        cb_basis_dct(&b, n);
        double d[16][16];
        for (int k = 0; k < n; k++)
            for (int i = 0; i < n; i++)
                d[k][i] = sqrt((k ? 2.0 : 1.0) / n) * cos((2 * i + 1) * k * pi / (2.0 * n));
        const double gain = ldexp(1.0, 7 - (s + 2));
        const double int_scale = ldexp(1.0, -(2 * (s + 2) + 5));
        double max_err = 0.0, max_int_err = 0.0;
        for (int iter = 0; iter < 100; iter++) {
            int16_t res[256];
            int32_t coef[256];
            random_residual(&rng, n, res, n, -255, 255);
            cb_transform_fwd(&b, &b, res, n, coef);
            for (int k = 0; k < n; k++)
                for (int l = 0; l < n; l++) {
                    double c = 0.0, ci = 0.0;
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++) {
                            c += d[k][i] * res[i * n + j] * d[l][j];
                            ci += (double)b.m[k * n + i] * res[i * n + j] * b.m[l * n + j];
                        }
                    max_err = fmax(max_err, fabs(coef[k * n + l] - gain * c));
                    max_int_err = fmax(max_int_err, fabs(coef[k * n + l] - int_scale * ci));
                }
        }
        assert_true(max_int_err <= 1.0);
        print_message("# fwd DCT %2d: max |error| %.2f vs float DCT, %.3f vs its integer matrices "
                      "(coefficients up to %.0f)\n",
                      n, max_err, max_int_err, 255.0 * n * gain);
        /* Against the exact DCT, HEVC's matrix approximation dominates: its
         * 4-point entry 36 stands for 34.64 (4 %), measured errors reach 1 %
         * of the largest coefficient 255 n 2^(7 - log2 n) = 32640; 2 % of it
         * is the stated bound. */
        assert_true(max_err < 0.02 * 32640);
    }
}

/* ---- quantisation ------------------------------------------------------- */

static void test_quant_basics(void **state)
{
    (void)state;
    int32_t coef[16], back[16];
    int16_t level[16];
    /* Saturation at +-CB_LEVEL_MAX, sign symmetry, nonzero count. */
    for (int i = 0; i < 16; i++)
        coef[i] = 0;
    coef[0] = INT32_MAX;
    coef[1] = INT32_MIN;
    coef[2] = 1000;
    coef[3] = -1000;
    assert_int_equal(cb_quant_block(coef, 4, 0, 128, level), 4);
    assert_int_equal(level[0], CB_LEVEL_MAX);
    assert_int_equal(level[1], -CB_LEVEL_MAX);
    assert_int_equal(level[2], -level[3]);
    assert_true(level[2] > 0);
    for (int i = 4; i < 16; i++)
        assert_int_equal(level[i], 0);

    /* Step: at QP 4 the step is 1 in orthonormal units, i.e. 2^(7 - 2) = 32
     * in size-4 coefficients; 48 is 1.5 steps: level 2 with plain rounding
     * (offset 1/2), level 1 with the intra dead zone (1/3), and 40 (1.25
     * steps) gives 1 and 1. */
    memset(coef, 0, sizeof coef);
    coef[0] = 48;
    coef[1] = 40;
    coef[2] = 10; /* 0.31 steps: zero with 1/3, zero with 1/2 */
    assert_int_equal(cb_quant_block(coef, 4, 4, CB_DEADZONE_MAX_Q8, level), 2);
    assert_int_equal(level[0], 2);
    assert_int_equal(level[1], 1);
    assert_int_equal(cb_quant_block(coef, 4, 4, CB_DEADZONE_INTRA_Q8, level), 2);
    assert_int_equal(level[0], 1);
    assert_int_equal(level[1], 1);
    assert_int_equal(level[2], 0);
    /* Dequantising level 1 at QP 4 gives one step back: 32. */
    cb_dequant_block(level, 4, 4, back);
    assert_int_equal(back[0], 32);

    /* The step doubles every 6 QP (exactly, once the rounding shift is
     * negligible: level 100 at QP 10 vs 16, size 8). */
    int16_t l100[64];
    int32_t a[64], b[64];
    for (int i = 0; i < 64; i++)
        l100[i] = 100;
    for (int qp = 0; qp + 6 <= 51; qp++) {
        cb_dequant_block(l100, 8, qp, a);
        cb_dequant_block(l100, 8, qp + 6, b);
        if (b[0] < INT16_MAX)
            assert_true(abs(b[0] - 2 * a[0]) <= 1);
    }
}

/* The decoder path is defined for any levels: clipped to +-CB_LEVEL_MAX,
 * results clipped to int16 (UBSan checks the arithmetic). */
static void test_dequant_hostile(void **state)
{
    (void)state;
    int16_t level[256];
    int32_t coef[256], coef2[256];
    for (int s = 0; s < CB_XFORM_SIZES; s++) {
        const int n = SIZES[s];
        for (int i = 0; i < n * n; i++)
            level[i] = (int16_t)(i % 2 ? INT16_MIN : INT16_MAX);
        for (int qp = 0; qp <= 51; qp++) {
            cb_dequant_block(level, n, qp, coef);
            for (int i = 0; i < n * n; i++) {
                assert_true(coef[i] >= INT16_MIN && coef[i] <= INT16_MAX);
                assert_true(i % 2 ? coef[i] < 0 : coef[i] > 0);
            }
        }
        /* -32768 is treated as -CB_LEVEL_MAX. */
        level[0] = INT16_MIN;
        cb_dequant_block(level, n, 0, coef);
        level[0] = -CB_LEVEL_MAX;
        cb_dequant_block(level, n, 0, coef2);
        assert_int_equal(coef[0], coef2[0]);
    }
}

/* Inverse transforms of hostile coefficients are defined and clipped like
 * HEVC: INT32_MAX behaves as 32767, INT32_MIN as -32768. */
static void test_inverse_hostile(void **state)
{
    (void)state;
    Rng rng = {3, 0, 0};
    for (int s = 0; s < CB_XFORM_SIZES; s++) {
        const int n = SIZES[s];
        CbBasis dct, ident;
        cb_basis_dct(&dct, n);
        /* A checked basis with the largest entries allowed at size 16 (256):
         * the scaled identity, a worst case for intermediate ranges. */
        ident.n = n;
        memset(ident.m, 0, sizeof ident.m);
        for (int i = 0; i < n; i++)
            ident.m[i * n + i] = (int16_t)lround(64.0 * sqrt((double)n));
        assert_int_equal(cb_basis_check(&ident, NULL), CB_OK);
        const CbBasis *bases[2] = {&dct, &ident};
        for (int bi = 0; bi < 2; bi++) {
            const CbBasis *b = bases[bi];
            int32_t big[256], clipped[256];
            int16_t out1[256], out2[256];
            const int32_t extremes[2] = {INT32_MAX, INT32_MIN};
            for (int e = 0; e < 2; e++) {
                for (int i = 0; i < n * n; i++) {
                    big[i] = (i * 7) % 3 ? extremes[e] : extremes[1 - e];
                    clipped[i] = big[i] > 0 ? INT16_MAX : INT16_MIN;
                }
                cb_transform_inv(b, b, big, out1, n);
                cb_transform_inv(b, b, clipped, out2, n);
                assert_memory_equal(out1, out2, sizeof(int16_t) * n * n);
            }
            for (int iter = 0; iter < 1000; iter++) {
                for (int i = 0; i < n * n; i++)
                    big[i] = (int32_t)(uint32_t)rng_next(&rng);
                cb_transform_inv(b, b, big, out1, n);
            }
            /* The forward transform is defined for any int16 residual too. */
            int16_t res[256];
            for (int i = 0; i < n * n; i++)
                res[i] = (int16_t)(i % 3 ? INT16_MIN : INT16_MAX);
            cb_transform_fwd(b, b, res, n, big);
        }
    }
}

/* fwd -> quant -> dequant -> inv of a block; returns the squared error and
 * sets *max_abs. */
static double round_trip(const CbBasis *v, const CbBasis *h, const int16_t *res, int qp,
                         int deadzone_q8, int *max_abs)
{
    const int n = v->n;
    int32_t coef[256];
    int16_t level[256], rec[256];
    cb_transform_fwd(v, h, res, n, coef);
    cb_quant_block(coef, n, qp, deadzone_q8, level);
    cb_dequant_block(level, n, qp, coef);
    cb_transform_inv(v, h, coef, rec, n);
    double sse = 0.0;
    *max_abs = 0;
    for (int i = 0; i < n * n; i++) {
        int d = abs(rec[i] - res[i]);
        sse += (double)d * d;
        if (d > *max_abs)
            *max_abs = d;
    }
    return sse;
}

/* Stated bounds, per size 4, 8, 16, on |reconstruction - residual| at QP
 * 0..4 with plain rounding (offset 1/2), for white residuals uniform in
 * -255..255 (the worst case for this).  Two sources: the quantisation step,
 * at most 1 in orthonormal units at QP 4 (error about sqrt(1/12) per sample),
 * and HEVC's matrices not being exactly orthogonal: V^T V / (4096 n) differs
 * from I by up to 0.29 % per entry at size 16, which alone (in exact
 * arithmetic, no quantisation) gives errors up to 0.39, 1.40 and 3.40 on
 * such residuals (measured offline over 100 blocks), MSE 0.03, 0.14, 0.77.
 * Measured here: 1, 2 and 4; the bounds add one for margin.  Smooth (real)
 * residuals do much better. */
static const int ROUND_TRIP_MAX_ABS[CB_XFORM_SIZES] = {2, 3, 5};

static void test_round_trip(void **state)
{
    (void)state;
    Rng rng = {4, 0, 0};
    enum { BLOCKS = 300 };
    for (int s = 0; s < CB_XFORM_SIZES; s++) {
        const int n = SIZES[s];
        CbBasis b;
        cb_basis_dct(&b, n);
        int16_t *res = malloc(sizeof *res * BLOCKS * 256);
        assert_non_null(res);
        for (int k = 0; k < BLOCKS; k++)
            random_residual(&rng, n, res + k * 256, n, -255, 255);
        int worst_low = 0;
        double mse[52];
        for (int qp = 0; qp <= 51; qp++) {
            double sse = 0.0;
            int worst = 0;
            for (int k = 0; k < BLOCKS; k++) {
                int m;
                sse += round_trip(&b, &b, res + k * 256, qp, CB_DEADZONE_MAX_Q8, &m);
                if (m > worst)
                    worst = m;
            }
            mse[qp] = sse / (BLOCKS * n * n);
            if (qp <= 4) {
                assert_true(worst <= ROUND_TRIP_MAX_ABS[s]);
                if (worst > worst_low)
                    worst_low = worst;
            }
        }
        print_message("# round trip %2d: QP 0..4 max |error| %d; MSE at QP 0 %.3f, 4 %.3f, "
                      "22 %.1f, 37 %.1f, 51 %.1f\n",
                      n, worst_low, mse[0], mse[4], mse[22], mse[37], mse[51]);
        /* Error grows with QP: strictly over every step of 3 QP (the step
         * grows by 41 %), and never falls by more than noise between
         * neighbours (1 % of the larger, measured below 0.5 %). */
        for (int qp = 0; qp + 3 <= 51; qp++)
            assert_true(mse[qp + 3] > mse[qp]);
        for (int qp = 0; qp < 51; qp++)
            assert_true(mse[qp + 1] > 0.99 * mse[qp]);
        free(res);
    }
}

/* ---- basis checks ------------------------------------------------------- */

static void test_basis_check(void **state)
{
    (void)state;
    CbError err;
    for (int s = 0; s < CB_XFORM_SIZES; s++) {
        const int n = SIZES[s];
        CbBasis b, bad;
        cb_basis_dct(&b, n);
        assert_int_equal(cb_basis_check(&b, &err), CB_OK);

        /* A row scaled by 1.1 (norm^2 * 1.21): rejected. */
        bad = b;
        for (int i = 0; i < n; i++)
            bad.m[2 * n + i] = (int16_t)lround(bad.m[2 * n + i] * 1.1);
        cb_error_clear(&err);
        assert_int_equal(cb_basis_check(&bad, &err), CB_EFORMAT);
        assert_int_equal(err.code, CB_EFORMAT);
        assert_non_null(strstr(err.text, "row 2"));

        /* A row with its sign swapped is still orthonormal: accepted. */
        bad = b;
        for (int i = 0; i < n; i++)
            bad.m[1 * n + i] = (int16_t)-bad.m[1 * n + i];
        assert_int_equal(cb_basis_check(&bad, &err), CB_OK);

        /* Rows 1 and 2 replaced by (r1 + r2) / sqrt 2 and r2: norms right,
         * but dot = norm^2 / sqrt 2: rejected. */
        bad = b;
        for (int i = 0; i < n; i++)
            bad.m[1 * n + i] = (int16_t)lround((b.m[1 * n + i] + b.m[2 * n + i]) / sqrt(2.0));
        cb_error_clear(&err);
        assert_int_equal(cb_basis_check(&bad, &err), CB_EFORMAT);
        assert_non_null(strstr(err.text, "not orthogonal"));

        /* A slight rotation of two rows by 0.5 degrees stays within the
         * tolerances (as rounded KLT bases do). */
        bad = b;
        const double t = 0.5 * 3.14159265358979323846 / 180.0;
        for (int i = 0; i < n; i++) {
            double r1 = b.m[1 * n + i], r2 = b.m[2 * n + i];
            bad.m[1 * n + i] = (int16_t)lround(cos(t) * r1 - sin(t) * r2);
            bad.m[2 * n + i] = (int16_t)lround(sin(t) * r1 + cos(t) * r2);
        }
        assert_int_equal(cb_basis_check(&bad, NULL), CB_OK);

        /* Entries out of range, whatever the rest: rejected. */
        bad = b;
        bad.m[0] = 300;
        assert_int_equal(cb_basis_check(&bad, NULL), CB_EFORMAT);
        bad.m[0] = INT16_MIN;
        assert_int_equal(cb_basis_check(&bad, NULL), CB_EFORMAT);
    }
    /* Sizes other than 4, 8, 16 (hostile n): rejected before any indexing. */
    CbBasis odd;
    memset(&odd, 0, sizeof odd);
    const int ns[4] = {0, 5, 32, -8};
    for (int i = 0; i < 4; i++) {
        odd.n = ns[i];
        assert_int_equal(cb_basis_check(&odd, NULL), CB_EFORMAT);
    }
}

/* ---- KLT ---------------------------------------------------------------- */

static void ar1_cov(int n, double rho, double *c)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            c[i * n + j] = pow(rho, abs(i - j));
}

/* One separable AR(1) block: unit Gaussian noise filtered by the stationary
 * causal AR(1) recursion down each column (rho_v) and then along each row
 * (rho_h), so E[x_ij x_kl] = rho_v^|i-k| rho_h^|j-l|; times amp, rounded,
 * clipped to -255..255 (amp 20 puts the clip at 12.7 sigma: never). */
static void ar1_block(Rng *r, int n, double rho_v, double rho_h, double amp, int16_t *out)
{
    double x[16][16];
    const double gv = sqrt(1 - rho_v * rho_v), gh = sqrt(1 - rho_h * rho_h);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            x[i][j] = i == 0 ? rng_gauss(r) : rho_v * x[i - 1][j] + gv * rng_gauss(r);
    for (int i = 0; i < n; i++)
        for (int j = 1; j < n; j++)
            x[i][j] = rho_h * x[i][j - 1] + gh * x[i][j];
    for (int i = 0; i < n * n; i++) {
        double v = lround(amp * x[i / n][i % n]);
        out[i] = (int16_t)(v < -255 ? -255 : v > 255 ? 255 : v);
    }
}

/* Coding gain of the exact KLT: 10 log10(AM / GM) of the eigenvalues. */
static double theory_gain(const double *cov, int n)
{
    double a[256], w[16];
    memcpy(a, cov, sizeof(double) * n * n);
    assert_int_equal(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', n, a, n, w), 0);
    double am = 0.0, lg = 0.0;
    for (int i = 0; i < n; i++) {
        am += w[i] / n;
        lg += log(w[i]) / n;
    }
    return 10.0 * log10(am) - 10.0 * lg / log(10.0);
}

#define RHO_V 0.95
#define RHO_H 0.8

typedef struct KltData {
    int n, count;
    int16_t *blocks; /* count blocks of n * n */
} KltData;

static KltData make_data(int n, int count, uint64_t seed)
{
    KltData d = {n, count, malloc(sizeof(int16_t) * (size_t)count * n * n)};
    assert_non_null(d.blocks);
    Rng rng = {seed, 0, 0};
    for (int k = 0; k < count; k++)
        ar1_block(&rng, n, RHO_V, RHO_H, 20.0, d.blocks + (size_t)k * n * n);
    return d;
}

/* Trains on d's blocks in order (reverse: last first). */
static void train(const KltData *d, int reverse, CbBasis *v, CbBasis *h)
{
    CbKltTrainer *t = NULL;
    CbError err;
    assert_int_equal(cb_klt_trainer_new(&t, d->n), CB_OK);
    for (int k = 0; k < d->count; k++) {
        int idx = reverse ? d->count - 1 - k : k;
        cb_klt_trainer_add(t, d->blocks + (size_t)idx * d->n * d->n, d->n);
    }
    assert_int_equal(cb_klt_trainer_count(t), d->count);
    cb_error_clear(&err);
    int rc = cb_klt_trainer_solve(t, v, h, &err);
    if (rc != CB_OK)
        print_message("# solve: %s\n", err.text);
    assert_int_equal(rc, CB_OK);
    cb_klt_trainer_free(&t);
    assert_null(t);
}

/* Learned gains within 1 % of the exact KLT's and above the DCT's. */
static void test_klt_ar1_gain(void **state)
{
    (void)state;
    const int ns[2] = {8, 16};
    /* 12 000 blocks of 8x8 and 6 000 of 16x16: 96 000 sample vectors per
     * matrix, the estimate the gains below were measured with. */
    const int counts[2] = {12000, 6000};
    for (int s = 0; s < 2; s++) {
        const int n = ns[s];
        KltData d = make_data(n, counts[s], 100 + (uint64_t)n);
        CbBasis v, h, dct;
        train(&d, 0, &v, &h);
        assert_int_equal(cb_basis_check(&v, NULL), CB_OK);
        assert_int_equal(cb_basis_check(&h, NULL), CB_OK);
        cb_basis_dct(&dct, n);
        double cov[256];
        const double rhos[2] = {RHO_V, RHO_H};
        const CbBasis *learned[2] = {&v, &h};
        const char *names[2] = {"vertical", "horizontal"};
        for (int dir = 0; dir < 2; dir++) {
            ar1_cov(n, rhos[dir], cov);
            double g_theory = theory_gain(cov, n);
            double g_klt = cb_basis_coding_gain(learned[dir], cov, n);
            double g_dct = cb_basis_coding_gain(&dct, cov, n);
            print_message("# KLT %2d %-10s rho %.2f: gain learned %.4f dB, theory %.4f dB, "
                          "DCT %.4f dB\n",
                          n, names[dir], rhos[dir], g_klt, g_theory, g_dct);
            assert_true(fabs(g_klt - g_theory) <= 0.01 * g_theory);
            assert_true(g_klt > g_dct);
        }
        /* Like the DCT, row 0 of a KLT of positively correlated data has
         * one sign throughout, made positive by the sign rule. */
        for (int i = 0; i < n; i++) {
            assert_true(v.m[i] > 0);
            assert_true(h.m[i] > 0);
        }
        free(d.blocks);
    }
}

/* Same data, same bases: twice, in reverse order, across a solve in the
 * middle (which flushes a partial batch), and with 1 or 2 OpenBLAS threads. */
static void test_klt_deterministic(void **state)
{
    (void)state;
    const int ns[3] = {4, 8, 16};
    const int saved_threads = openblas_get_num_threads();
    for (int s = 0; s < 3; s++) {
        const int n = ns[s];
        /* A count that is not a multiple of any batch size. */
        KltData d = make_data(n, 1237, 7 + (uint64_t)n);
        CbBasis v1, h1, v2, h2, v3, h3, v4, h4;
        train(&d, 0, &v1, &h1);
        train(&d, 0, &v2, &h2);
        assert_memory_equal(&v1, &v2, sizeof v1);
        assert_memory_equal(&h1, &h2, sizeof h1);
        train(&d, 1, &v3, &h3);
        assert_memory_equal(&v1, &v3, sizeof v1);
        assert_memory_equal(&h1, &h3, sizeof h1);

        CbKltTrainer *t = NULL;
        assert_int_equal(cb_klt_trainer_new(&t, n), CB_OK);
        for (int k = 0; k < d.count; k++) {
            cb_klt_trainer_add(t, d.blocks + (size_t)k * n * n, n);
            if (k == 500)
                assert_int_equal(cb_klt_trainer_solve(t, &v4, &h4, NULL), CB_OK);
        }
        assert_int_equal(cb_klt_trainer_solve(t, &v4, &h4, NULL), CB_OK);
        assert_memory_equal(&v1, &v4, sizeof v1);
        assert_memory_equal(&h1, &h4, sizeof h1);
        cb_klt_trainer_free(&t);

        /* This test program may set OpenBLAS's (process-global) thread count;
         * the library never does. */
        for (int threads = 1; threads <= 2; threads++) {
            openblas_set_num_threads(threads);
            train(&d, 0, &v4, &h4);
            assert_memory_equal(&v1, &v4, sizeof v1);
            assert_memory_equal(&h1, &h4, sizeof h1);
        }
        openblas_set_num_threads(saved_threads);

        /* The learned basis round-trips like the DCT (same bound at QP 0..4). */
        for (int k = 0; k < 50; k++)
            for (int qp = 0; qp <= 4; qp++) {
                int m;
                round_trip(&v1, &h1, d.blocks + (size_t)k * n * n, qp, CB_DEADZONE_MAX_Q8, &m);
                assert_true(m <= ROUND_TRIP_MAX_ABS[cb_xform_size_index(n)]);
            }
        free(d.blocks);
    }
}

static void test_klt_errors(void **state)
{
    (void)state;
    CbKltTrainer *t = (CbKltTrainer *)&t;
    CbError err;
    CbBasis v, h;
    assert_int_equal(cb_klt_trainer_new(&t, 5), CB_EINVAL);
    assert_null(t);
    assert_int_equal(cb_klt_trainer_new(&t, 32), CB_EINVAL);
    cb_klt_trainer_free(&t); /* NULL is fine */
    cb_klt_trainer_free(NULL);

    /* Too few blocks: CB_KLT_MIN_BLOCKS(8) = 32. */
    assert_int_equal(cb_klt_trainer_new(&t, 8), CB_OK);
    KltData d = make_data(8, 32, 99);
    for (int k = 0; k < 31; k++)
        cb_klt_trainer_add(t, d.blocks + k * 64, 8);
    cb_error_clear(&err);
    assert_int_equal(cb_klt_trainer_solve(t, &v, &h, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "31 blocks"));
    cb_klt_trainer_add(t, d.blocks + 31 * 64, 8);
    assert_int_equal(cb_klt_trainer_solve(t, &v, &h, &err), CB_OK);
    cb_klt_trainer_free(&t);
    free(d.blocks);

    /* All-zero residuals carry no basis. */
    int16_t zero[16 * 16] = {0};
    assert_int_equal(cb_klt_trainer_new(&t, 16), CB_OK);
    for (int k = 0; k < 100; k++)
        cb_klt_trainer_add(t, zero, 16);
    assert_int_equal(cb_klt_trainer_solve(t, &v, &h, &err), CB_EINVAL);
    cb_klt_trainer_free(&t);

    /* Full-range int16 residuals are summed exactly too (no overflow, no
     * UBSan report) and give a valid basis. */
    Rng rng = {5, 0, 0};
    int16_t blk[16 * 16];
    assert_int_equal(cb_klt_trainer_new(&t, 16), CB_OK);
    for (int k = 0; k < 2000; k++) {
        for (int i = 0; i < 256; i++)
            blk[i] = (int16_t)(uint16_t)rng_next(&rng);
        cb_klt_trainer_add(t, blk, 16);
    }
    assert_int_equal(cb_klt_trainer_solve(t, &v, &h, &err), CB_OK);
    assert_int_equal(cb_basis_check(&v, NULL), CB_OK);
    cb_klt_trainer_free(&t);
}

/* Coding gain: the identity has none on a diagonal covariance; the KLT of
 * a 2-level covariance is its eigen-gain. */
static void test_coding_gain(void **state)
{
    (void)state;
    CbBasis id;
    id.n = 4;
    memset(id.m, 0, sizeof id.m);
    for (int i = 0; i < 4; i++)
        id.m[i * 4 + i] = 128;
    double diag[16] = {0};
    for (int i = 0; i < 4; i++)
        diag[i * 4 + i] = 1.0 + i;
    /* Variances 1, 2, 3, 4: AM 2.5, GM 24^(1/4). */
    double expect = 10.0 * log10(2.5 / pow(24.0, 0.25));
    assert_true(fabs(cb_basis_coding_gain(&id, diag, 4) - expect) < 1e-12);
    assert_true(isnan(cb_basis_coding_gain(&id, diag, 8)));
    diag[0] = 0.0;
    assert_true(isinf(cb_basis_coding_gain(&id, diag, 4)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dct_matrices),
        cmocka_unit_test(test_dsp_matches_reference),
        cmocka_unit_test(test_simd_matches_reference),
        cmocka_unit_test(test_fwd_matches_float_dct),
        cmocka_unit_test(test_quant_basics),
        cmocka_unit_test(test_dequant_hostile),
        cmocka_unit_test(test_inverse_hostile),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_basis_check),
        cmocka_unit_test(test_klt_ar1_gain),
        cmocka_unit_test(test_klt_deterministic),
        cmocka_unit_test(test_klt_errors),
        cmocka_unit_test(test_coding_gain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

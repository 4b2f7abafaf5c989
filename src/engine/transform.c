/* Integer 2-D transforms: HEVC's DCT matrices, basis checks, and the C
 * reference kernels (one template instantiated per size). */
#include "engine/transform.h"

#include "engine/dsp_x86.h"

#include <assert.h>
#include <inttypes.h>

/* HEVC's DCT coefficients: DCT_COEF[m] is 64 * sqrt(2) * cos(m * pi / 64),
 * rounded and hand-tuned by the standard, m = 1..31; m = 0 is the DC value 64
 * (64 * sqrt(2) * cos(0) / sqrt(2)).  They are the distinct magnitudes of
 * the 32-point transMatrix of ITU-T H.265 clause 8.6.4.2 (e.g. its row 1 is
 * 90 90 88 85 82 78 73 67 61 54 46 38 31 22 13 4, the odd m).  Range 4..90. */
static const int16_t DCT_COEF[32] = {
    64, 90, 90, 90, 89, 88, 87, 85, 83, 82, 80, 78, 75, 73, 70, 67,
    64, 61, 57, 54, 50, 46, 43, 38, 36, 31, 25, 22, 18, 13, 9,  4,
};

int cb_xform_size_index(int n)
{
    switch (n) {
    case 4: return 0;
    case 8: return 1;
    case 16: return 2;
    default: return -1;
    }
}

/* Entry (k, j) of H.265's 32-point matrix: the sign and magnitude of
 * cos((2j + 1) k pi / 64), with the angle a = (2j + 1) k reduced modulo 128
 * (a full period) and folded onto 0..32: a and 128 - a have the same cosine,
 * 64 - a the opposite one.  a never equals 32 for k < 32 (it would need k to
 * be a multiple of 32). */
static int16_t dct32_entry(int k, int j)
{
    int a = ((2 * j + 1) * k) % 128;
    if (a > 64)
        a = 128 - a;
    assert(a != 32);
    return a < 32 ? DCT_COEF[a] : (int16_t)-DCT_COEF[64 - a];
}

void cb_basis_dct(CbBasis *b, int n)
{
    assert(cb_xform_size_index(n) >= 0);
    /* H.265 8.6.4.2 uses the 32-point matrix for every size: the n-point
     * transform takes its rows k * 32 / n and its first n columns. */
    b->n = n;
    for (int k = 0; k < n; k++)
        for (int j = 0; j < n; j++)
            b->m[k * n + j] = dct32_entry(k * (32 / n), j);
    for (int i = n * n; i < 16 * 16; i++)
        b->m[i] = 0;
}

int cb_basis_check(const CbBasis *b, CbError *err)
{
    int n = b->n;
    if (cb_xform_size_index(n) < 0)
        return cb_error_set(err, CB_EFORMAT, "transform basis: size %d is not 4, 8 or 16", n);
    for (int i = 0; i < n * n; i++)
        if (b->m[i] < -CB_BASIS_ENTRY_MAX || b->m[i] > CB_BASIS_ENTRY_MAX)
            return cb_error_set(err, CB_EFORMAT,
                                "transform basis %dx%d: row %d column %d is %d, outside -%d..%d", n,
                                n, i / n, i % n, b->m[i], CB_BASIS_ENTRY_MAX, CB_BASIS_ENTRY_MAX);
    /* Nominal squared norm (64 sqrt(n))^2 = 4096 n; sums of at most 16
     * products of entries <= 256 stay below 2^21, int64 is ample. */
    const int64_t nominal = 4096 * (int64_t)n;
    const int64_t norm_tol = nominal * CB_BASIS_NORM_TOL_Q10 / 1024;
    const int64_t dot_tol = nominal * CB_BASIS_DOT_TOL_Q10 / 1024;
    for (int k = 0; k < n; k++) {
        for (int l = k; l < n; l++) {
            int64_t dot = 0;
            for (int i = 0; i < n; i++)
                dot += (int64_t)b->m[k * n + i] * b->m[l * n + i];
            if (l == k && (dot < nominal - norm_tol || dot > nominal + norm_tol))
                return cb_error_set(err, CB_EFORMAT,
                                    "transform basis %dx%d: row %d has squared norm %" PRId64
                                    ", not within %" PRId64 " of %" PRId64,
                                    n, n, k, dot, norm_tol, nominal);
            if (l != k && (dot < -dot_tol || dot > dot_tol))
                return cb_error_set(err, CB_EFORMAT,
                                    "transform basis %dx%d: rows %d and %d are not orthogonal "
                                    "(dot product %" PRId64 ", bound %" PRId64 ")",
                                    n, n, k, l, dot, dot_tol);
        }
    }
    return CB_OK;
}

/* ---- C reference kernels ------------------------------------------------ */

static inline int32_t clip_int16(int32_t x)
{
    return x < INT16_MIN ? INT16_MIN : x > INT16_MAX ? INT16_MAX : x;
}

/* Sums below are at most n = 16 products of a basis entry (|.| <= 256) and
 * an int16 value, |sum| <= 2^27, so int32 holds them and the rounding offset. */

static inline void fwd_ref(int n, int log2n, const int16_t *v, const int16_t *h, const int16_t *res,
                           ptrdiff_t stride, int32_t *coef)
{
    /* H.265 / HM for 8-bit video: first stage shift log2(n) - 1 + (8 - 8),
     * second stage log2(n) + 6. */
    const int shift1 = log2n - 1, shift2 = log2n + 6;
    int32_t tmp[CB_XFORM_MAX * CB_XFORM_MAX];
    /* Rows: tmp = R * H^T, clipped to int16 as HEVC's 16-bit intermediate
     * (a no-op for 8-bit residuals and the DCT; it keeps any input defined). */
    for (int i = 0; i < n; i++) {
        const int16_t *r = res + i * stride;
        for (int l = 0; l < n; l++) {
            int32_t s = 0;
            for (int j = 0; j < n; j++)
                s += r[j] * h[l * n + j];
            tmp[i * n + l] = clip_int16((s + (1 << (shift1 - 1))) >> shift1);
        }
    }
    /* Columns: coef = V * tmp. */
    for (int k = 0; k < n; k++) {
        for (int l = 0; l < n; l++) {
            int32_t s = 0;
            for (int i = 0; i < n; i++)
                s += v[k * n + i] * tmp[i * n + l];
            coef[k * n + l] = (s + (1 << (shift2 - 1))) >> shift2;
        }
    }
}

static inline void inv_ref(int n, const int16_t *v, const int16_t *h, const int32_t *coef,
                           int16_t *res, ptrdiff_t stride)
{
    /* H.265 8.6.4.2 for 8-bit video: shift 7 after the first (vertical)
     * stage, bdShift = 20 - BitDepth = 12 after the second. */
    enum { SHIFT1 = 7, SHIFT2 = 12 };
    int32_t c[CB_XFORM_MAX * CB_XFORM_MAX], tmp[CB_XFORM_MAX * CB_XFORM_MAX];
    /* Hostile coefficients: clip to HEVC's coeffMin..coeffMax (int16). */
    for (int i = 0; i < n * n; i++)
        c[i] = coef[i] < INT16_MIN ? INT16_MIN : coef[i] > INT16_MAX ? INT16_MAX : coef[i];
    /* Columns: tmp = V^T * C, clipped to int16 as H.265 does. */
    for (int i = 0; i < n; i++) {
        for (int l = 0; l < n; l++) {
            int32_t s = 0;
            for (int k = 0; k < n; k++)
                s += v[k * n + i] * c[k * n + l];
            tmp[i * n + l] = clip_int16((s + (1 << (SHIFT1 - 1))) >> SHIFT1);
        }
    }
    /* Rows: R = tmp * H; the result is clipped to int16 too (it can reach
     * 2^15 by one only with hostile coefficients). */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            int32_t s = 0;
            for (int l = 0; l < n; l++)
                s += tmp[i * n + l] * h[l * n + j];
            res[i * stride + j] = (int16_t)clip_int16((s + (1 << (SHIFT2 - 1))) >> SHIFT2);
        }
    }
}

/* One instance per size, so the compiler sees n as a constant (a template,
 * not pasted copies). */
#define CB_XFORM_KERNELS(N, LOG2N)                                                                 \
    static void fwd_c_##N(const int16_t *v, const int16_t *h, const int16_t *res,                  \
                          ptrdiff_t stride, int32_t *coef)                                         \
    {                                                                                              \
        fwd_ref(N, LOG2N, v, h, res, stride, coef);                                                \
    }                                                                                              \
    static void inv_c_##N(const int16_t *v, const int16_t *h, const int32_t *coef, int16_t *res,   \
                          ptrdiff_t stride)                                                        \
    {                                                                                              \
        inv_ref(N, v, h, coef, res, stride);                                                       \
    }

CB_XFORM_KERNELS(4, 2)
CB_XFORM_KERNELS(8, 3)
CB_XFORM_KERNELS(16, 4)

static const CbXformDsp C_REFERENCE = {
    .fwd = {fwd_c_4, fwd_c_8, fwd_c_16},
    .inv = {inv_c_4, inv_c_8, inv_c_16},
};

void cb_xform_dsp_init_c(CbXformDsp *dsp)
{
    *dsp = C_REFERENCE;
}

void cb_xform_dsp_init(CbXformDsp *dsp)
{
    /* C reference first; the SIMD versions this CPU runs override entries
     * (dsp_x86.h; the unit test holds each to C_REFERENCE). */
    cb_xform_dsp_init_c(dsp);
    cb_xform_dsp_init_x86(dsp, cb_engine_cpu_isa());
}

void cb_transform_fwd(const CbBasis *v, const CbBasis *h, const int16_t *res, ptrdiff_t stride,
                      int32_t *coef)
{
    int idx = cb_xform_size_index(v->n);
    assert(idx >= 0 && h->n == v->n);
    C_REFERENCE.fwd[idx](v->m, h->m, res, stride, coef);
}

void cb_transform_inv(const CbBasis *v, const CbBasis *h, const int32_t *coef, int16_t *res,
                      ptrdiff_t stride)
{
    int idx = cb_xform_size_index(v->n);
    assert(idx >= 0 && h->n == v->n);
    C_REFERENCE.inv[idx](v->m, h->m, coef, res, stride);
}

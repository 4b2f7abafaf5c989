/* codecbench stage: the engine's built-in residual transform pair (kind
 * "transform"): HEVC's integer DCT.
 *
 * This is src/engine/transform.c (the C reference its SIMD kernels equal)
 * written against the stage ABI (include/codecbench/stage.h), bit-exact
 * with it: a stream coded with this stage equals the engine's own, byte for
 * byte, after the header's stage fields.  It is the starting point of a
 * transform stage a proposer writes (a DST for small intra blocks as H.265
 * has for 4x4 luma, mode-dependent transforms, other bases), keeping the
 * rules of stage.h: integers only, deterministic, no state between calls,
 * return 0.  The forward transform runs in the encoder only; the inverse is
 * on the decoder's path and must invert it well, or quality drops.
 *
 * Scaling (ITU-T H.265 clause 8.6.4.2 and HM, 8-bit video): the n-point
 * matrix is rows k * 32 / n of HEVC's 32-point matrix, first n columns, and
 * row k is about 64 sqrt(n) times the k-th orthonormal basis vector.
 *   forward: rows first, shift log2(n) - 1, clipped to int16; then columns,
 *            shift log2(n) + 6: the orthonormal transform times
 *            2^(7 - log2 n), what the engine's quantiser expects.
 *   inverse: coefficients clipped to int16; columns first, shift 7, clipped
 *            to int16; then rows, shift 12 (20 - bit depth), clipped to int16.
 * Rounding adds 1 << (shift - 1) and shifts right arithmetically.  Sums are
 * at most 16 products of |entry| <= 90 and an int16 value: below 2^27.
 */
#include "codecbench/stage.h"

/* HEVC's DCT coefficients: DCT_COEF[m] is 64 sqrt(2) cos(m pi / 64),
 * rounded and tuned by the standard, m = 1..31; m = 0 is the DC value 64.
 * They are the distinct magnitudes of H.265's 32-point transMatrix (its
 * row 1 is 90 90 88 85 82 78 73 67 61 54 46 38 31 22 13 4). */
static const int16_t DCT_COEF[32] = {
    64, 90, 90, 90, 89, 88, 87, 85, 83, 82, 80, 78, 75, 73, 70, 67,
    64, 61, 57, 54, 50, 46, 43, 38, 36, 31, 25, 22, 18, 13, 9,  4,
};

#define N_MAX 16

static int log2_of(int n)
{
    return n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : -1;
}

/* Entry (k, j) of the 32-point matrix: the sign and magnitude of
 * cos((2j + 1) k pi / 64), the angle reduced modulo 128 (a period) and
 * folded onto 0..64 (a and 128 - a have the same cosine, 64 - a the
 * opposite one).  a is never 32 for k < 32. */
static int dct32_entry(int k, int j)
{
    int a = ((2 * j + 1) * k) % 128;
    if (a > 64)
        a = 128 - a;
    return a < 32 ? DCT_COEF[a] : -DCT_COEF[64 - a];
}

/* The n-point matrix, m[k * n + j]. */
static void dct_matrix(int n, int32_t *m)
{
    for (int k = 0; k < n; k++)
        for (int j = 0; j < n; j++)
            m[k * n + j] = dct32_entry(k * (32 / n), j);
}

static int32_t clip16(int32_t x)
{
    return x < -32768 ? -32768 : x > 32767 ? 32767 : x;
}

int cb_stage_transform_fwd(const CbStageXform *a)
{
    const int n = a->n, lg = log2_of(n);
    if (lg < 0)
        return 1;
    int32_t m[N_MAX * N_MAX], tmp[N_MAX * N_MAX];
    dct_matrix(n, m);
    const int shift1 = lg - 1, shift2 = lg + 6;
    /* Rows (horizontal frequencies): tmp = R * M^T. */
    for (int i = 0; i < n; i++) {
        const int16_t *r = a->res + i * a->stride;
        for (int l = 0; l < n; l++) {
            int32_t s = 0;
            for (int j = 0; j < n; j++)
                s += r[j] * m[l * n + j];
            tmp[i * n + l] = clip16((s + (1 << (shift1 - 1))) >> shift1);
        }
    }
    /* Columns (vertical frequencies): coef = M * tmp. */
    for (int k = 0; k < n; k++)
        for (int l = 0; l < n; l++) {
            int32_t s = 0;
            for (int i = 0; i < n; i++)
                s += m[k * n + i] * tmp[i * n + l];
            a->coef[k * n + l] = (s + (1 << (shift2 - 1))) >> shift2;
        }
    return 0;
}

int cb_stage_transform_inv(const CbStageXform *a)
{
    enum { SHIFT1 = 7, SHIFT2 = 12 };
    const int n = a->n;
    if (log2_of(n) < 0)
        return 1;
    int32_t m[N_MAX * N_MAX], c[N_MAX * N_MAX], tmp[N_MAX * N_MAX];
    dct_matrix(n, m);
    for (int i = 0; i < n * n; i++)
        c[i] = clip16(a->coef[i]);
    /* Columns: tmp = M^T * C, clipped to int16 as H.265 does. */
    for (int i = 0; i < n; i++)
        for (int l = 0; l < n; l++) {
            int32_t s = 0;
            for (int k = 0; k < n; k++)
                s += m[k * n + i] * c[k * n + l];
            tmp[i * n + l] = clip16((s + (1 << (SHIFT1 - 1))) >> SHIFT1);
        }
    /* Rows: R = tmp * M, clipped to int16. */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int32_t s = 0;
            for (int l = 0; l < n; l++)
                s += tmp[i * n + l] * m[l * n + j];
            a->res[i * a->stride + j] = (int16_t)clip16((s + (1 << (SHIFT2 - 1))) >> SHIFT2);
        }
    return 0;
}

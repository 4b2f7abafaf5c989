/* codecbench engine: SSE2 and AVX2 versions of the transform kernels.
 *
 * Both stages of both directions are the same matrix product Y = A * B of
 * n x n int16 matrices, kept a product (any checked basis, not only the DCT):
 * pmaddwd multiplies a broadcast pair (A[a][2p], A[a][2p+1]) with the
 * interleaved rows 2p and 2p + 1 of B, giving A[a][2p] B[2p][b] +
 * A[a][2p+1] B[2p+1][b] for four (SSE2) or eight (AVX2) columns b at once,
 * and the n / 2 pairs are summed in int32.
 *
 * Exactness: every operand pair has one int16 value (residual, clipped
 * coefficient or clipped intermediate) and one basis entry within
 * +-CB_BASIS_ENTRY_MAX = 256, so a pmaddwd lane is at most 2 * 2^15 * 2^8 =
 * 2^24 and the sum of n <= 16 products at most 2^27 (transform.h): the same
 * int32 sums as the reference, in another order, which integer addition does
 * not see.  The rounding is the reference's (add 1 << (shift - 1), arithmetic
 * shift), its clips to int16 are packssdw (signed saturation, exactly
 * clip_int16), including the inverse's clip of the input coefficients.
 *
 * Layouts: A is read in pairs from memory (row a at A + a * as, pair p at
 * + p * ps); B is given as its "pair vectors" bv[p][q]: the int32 lanes of
 * vector q hold (B[2p][b], B[2p+1][b]) for b = 4q .. 4q + 3.  The forward
 * transform's first stage needs B = H^T, whose pair vectors are a 4x4 int32
 * transpose of H (the pair (H[b][2p], H[b][2p+1]) is int32 number p of row b);
 * the inverse's first stage needs A = V^T, whose pairs are the interleaved
 * rows of V, stored once per call.
 *
 * Loads never pass the n x n block (n = 4 uses 64-bit loads).  AVX2 serves
 * n = 8 and 16 (n = 4 has one four-lane output per row: SSE2's width).
 */
#include "codecbench/cpu.h"
#include "engine/dsp_x86.h"

unsigned cb_engine_cpu_isa(void)
{
    return cb_cpu_flags();
}

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

/* Pair vectors: n / 2 pairs, n / 4 vectors of four columns. */
typedef __m128i PairVecs[CB_XFORM_MAX / 2][CB_XFORM_MAX / 4];

/* The first min(n, 8) int16 of a row. */
static inline __m128i load_row8(const int16_t *p, int n)
{
    return n == 4 ? _mm_loadl_epi64((const __m128i *)p) : _mm_loadu_si128((const __m128i *)p);
}

/* Pair vectors of B from its rows (row c at b + c * bs). */
static inline void pairs_of_rows(int n, const int16_t *b, ptrdiff_t bs, PairVecs bv)
{
    for (int p = 0; p < n / 2; p++)
        for (int x = 0; x < n; x += 8) {
            const __m128i r0 = load_row8(b + 2 * p * bs + x, n);
            const __m128i r1 = load_row8(b + (2 * p + 1) * bs + x, n);
            bv[p][x / 4] = _mm_unpacklo_epi16(r0, r1);
            if (n > 4)
                bv[p][x / 4 + 1] = _mm_unpackhi_epi16(r0, r1);
        }
}

/* Pair vectors of B = M^T for the n x n row-major M: lane t of bv[p][q] is
 * int32 number p of row 4q + t of M, a 4x4 int32 transpose per block. */
static inline void pairs_of_transpose(int n, const int16_t *m, PairVecs bv)
{
    const int chunks = n == 4 ? 1 : n / 8; /* four pairs (8 int16) per chunk */
    for (int q = 0; q < n / 4; q++)
        for (int c = 0; c < chunks; c++) {
            __m128i r[4];
            for (int t = 0; t < 4; t++)
                r[t] = load_row8(m + (4 * q + t) * n + 8 * c, n);
            const __m128i t0 = _mm_unpacklo_epi32(r[0], r[1]), t1 = _mm_unpacklo_epi32(r[2], r[3]);
            const __m128i t2 = _mm_unpackhi_epi32(r[0], r[1]), t3 = _mm_unpackhi_epi32(r[2], r[3]);
            const __m128i o[4] = {_mm_unpacklo_epi64(t0, t1), _mm_unpackhi_epi64(t0, t1),
                                  _mm_unpacklo_epi64(t2, t3), _mm_unpackhi_epi64(t2, t3)};
            for (int t = 0; t < 4 && 4 * c + t < n / 2; t++)
                bv[4 * c + t][q] = o[t];
        }
}

/* The pairs of A = V^T: (V[2p][i], V[2p+1][i]) stored at vt + 2 (p n + i),
 * so that row i of A is at vt + 2 i with pair step 2 n. */
static inline void pairs_of_columns(int n, const int16_t *v, int16_t *vt)
{
    for (int p = 0; p < n / 2; p++)
        for (int x = 0; x < n; x += 8) {
            const __m128i r0 = load_row8(v + 2 * p * n + x, n);
            const __m128i r1 = load_row8(v + (2 * p + 1) * n + x, n);
            _mm_storeu_si128((__m128i *)(vt + 2 * (p * n + x)), _mm_unpacklo_epi16(r0, r1));
            if (n > 4)
                _mm_storeu_si128((__m128i *)(vt + 2 * (p * n + x + 4)), _mm_unpackhi_epi16(r0, r1));
        }
}

/* The inverse's input clip to int16 (coeffMin..coeffMax): n * n is a
 * multiple of 8. */
static inline void clip_coefs(int n, const int32_t *coef, int16_t *c16)
{
    for (int i = 0; i < n * n; i += 8)
        _mm_storeu_si128((__m128i *)(c16 + i),
                         _mm_packs_epi32(_mm_loadu_si128((const __m128i *)(coef + i)),
                                         _mm_loadu_si128((const __m128i *)(coef + i + 4))));
}

static inline int32_t load_pair(const int16_t *p)
{
    int32_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

/* ---- SSE2 ---------------------------------------------------------------- */

/* acc[q] = (sum over pairs of row a of A times bv + round) >> shift. */
static inline void product_row_sse2(int n, const int16_t *arow, ptrdiff_t ps, PairVecs bv,
                                    int shift, __m128i acc[CB_XFORM_MAX / 4])
{
    for (int q = 0; q < n / 4; q++)
        acc[q] = _mm_setzero_si128();
    for (int p = 0; p < n / 2; p++) {
        const __m128i a = _mm_set1_epi32(load_pair(arow + p * ps));
        for (int q = 0; q < n / 4; q++)
            acc[q] = _mm_add_epi32(acc[q], _mm_madd_epi16(a, bv[p][q]));
    }
    const __m128i rnd = _mm_set1_epi32(1 << (shift - 1)), cnt = _mm_cvtsi32_si128(shift);
    for (int q = 0; q < n / 4; q++)
        acc[q] = _mm_sra_epi32(_mm_add_epi32(acc[q], rnd), cnt);
}

/* Y = A * B rounded by shift, clipped to int16, row a at y + a * ys. */
static inline void product16_sse2(int n, const int16_t *a, ptrdiff_t as, ptrdiff_t ps, PairVecs bv,
                                  int shift, int16_t *y, ptrdiff_t ys)
{
    for (int r = 0; r < n; r++) {
        __m128i acc[CB_XFORM_MAX / 4];
        product_row_sse2(n, a + r * as, ps, bv, shift, acc);
        if (n == 4)
            _mm_storel_epi64((__m128i *)(y + r * ys), _mm_packs_epi32(acc[0], acc[0]));
        else
            for (int q = 0; q < n / 4; q += 2)
                _mm_storeu_si128((__m128i *)(y + r * ys + 4 * q),
                                 _mm_packs_epi32(acc[q], acc[q + 1]));
    }
}

/* The same with int32 output, not clipped (the forward transform's end). */
static inline void product32_sse2(int n, const int16_t *a, ptrdiff_t as, PairVecs bv, int shift,
                                  int32_t *y)
{
    for (int r = 0; r < n; r++) {
        __m128i acc[CB_XFORM_MAX / 4];
        product_row_sse2(n, a + r * as, 2, bv, shift, acc);
        for (int q = 0; q < n / 4; q++)
            _mm_storeu_si128((__m128i *)(y + r * n + 4 * q), acc[q]);
    }
}

static inline void fwd_sse2(int n, int log2n, const int16_t *v, const int16_t *h,
                            const int16_t *res, ptrdiff_t stride, int32_t *coef)
{
    PairVecs bv;
    int16_t tmp[CB_XFORM_MAX * CB_XFORM_MAX];
    /* Rows: tmp = R * H^T, shift log2(n) - 1, clipped to int16. */
    pairs_of_transpose(n, h, bv);
    product16_sse2(n, res, stride, 2, bv, log2n - 1, tmp, n);
    /* Columns: coef = V * tmp, shift log2(n) + 6. */
    pairs_of_rows(n, tmp, n, bv);
    product32_sse2(n, v, n, bv, log2n + 6, coef);
}

static inline void inv_sse2(int n, const int16_t *v, const int16_t *h, const int32_t *coef,
                            int16_t *res, ptrdiff_t stride)
{
    PairVecs bv;
    int16_t c16[CB_XFORM_MAX * CB_XFORM_MAX], vt[CB_XFORM_MAX * CB_XFORM_MAX];
    int16_t tmp[CB_XFORM_MAX * CB_XFORM_MAX];
    clip_coefs(n, coef, c16);
    /* Columns: tmp = V^T * C, shift 7, clipped; then rows: R = tmp * H,
     * shift 12, clipped (transform.h). */
    pairs_of_columns(n, v, vt);
    pairs_of_rows(n, c16, n, bv);
    product16_sse2(n, vt, 2, 2 * n, bv, 7, tmp, n);
    pairs_of_rows(n, h, n, bv);
    product16_sse2(n, tmp, n, 2, bv, 12, res, stride);
}

/* ---- AVX2 (n = 8, 16) ---------------------------------------------------- */

#define AVX2 __attribute__((target("avx2")))

/* Pair vectors of eight columns: the SSE2 ones of columns 8q..8q+3 and
 * 8q+4..8q+7 side by side, so that results come out in column order. */
typedef __m256i PairVecs256[CB_XFORM_MAX / 2][CB_XFORM_MAX / 8];

AVX2 static inline void widen_pairs(int n, PairVecs bv, PairVecs256 bw)
{
    for (int p = 0; p < n / 2; p++)
        for (int q = 0; q < n / 8; q++)
            bw[p][q] = _mm256_inserti128_si256(_mm256_castsi128_si256(bv[p][2 * q]),
                                               bv[p][2 * q + 1], 1);
}

AVX2 static inline void product_row_avx2(int n, const int16_t *arow, ptrdiff_t ps, PairVecs256 bw,
                                         int shift, __m256i acc[CB_XFORM_MAX / 8])
{
    for (int q = 0; q < n / 8; q++)
        acc[q] = _mm256_setzero_si256();
    for (int p = 0; p < n / 2; p++) {
        const __m256i a = _mm256_set1_epi32(load_pair(arow + p * ps));
        for (int q = 0; q < n / 8; q++)
            acc[q] = _mm256_add_epi32(acc[q], _mm256_madd_epi16(a, bw[p][q]));
    }
    const __m256i rnd = _mm256_set1_epi32(1 << (shift - 1));
    const __m128i cnt = _mm_cvtsi32_si128(shift);
    for (int q = 0; q < n / 8; q++)
        acc[q] = _mm256_sra_epi32(_mm256_add_epi32(acc[q], rnd), cnt);
}

AVX2 static inline void product16_avx2(int n, const int16_t *a, ptrdiff_t as, ptrdiff_t ps,
                                       PairVecs bv, int shift, int16_t *y, ptrdiff_t ys)
{
    PairVecs256 bw;
    widen_pairs(n, bv, bw);
    for (int r = 0; r < n; r++) {
        __m256i acc[CB_XFORM_MAX / 8];
        product_row_avx2(n, a + r * as, ps, bw, shift, acc);
        if (n == 8) {
            _mm_storeu_si128((__m128i *)(y + r * ys),
                             _mm_packs_epi32(_mm256_castsi256_si128(acc[0]),
                                             _mm256_extracti128_si256(acc[0], 1)));
        } else {
            /* packssdw works per 128-bit lane: columns 0-3 8-11 | 4-7 12-15,
             * put back in order by a 64-bit permutation. */
            _mm256_storeu_si256((__m256i *)(y + r * ys),
                                _mm256_permute4x64_epi64(_mm256_packs_epi32(acc[0], acc[1]),
                                                         _MM_SHUFFLE(3, 1, 2, 0)));
        }
    }
}

AVX2 static inline void product32_avx2(int n, const int16_t *a, ptrdiff_t as, PairVecs bv,
                                       int shift, int32_t *y)
{
    PairVecs256 bw;
    widen_pairs(n, bv, bw);
    for (int r = 0; r < n; r++) {
        __m256i acc[CB_XFORM_MAX / 8];
        product_row_avx2(n, a + r * as, 2, bw, shift, acc);
        for (int q = 0; q < n / 8; q++)
            _mm256_storeu_si256((__m256i *)(y + r * n + 8 * q), acc[q]);
    }
}

AVX2 static inline void fwd_avx2(int n, int log2n, const int16_t *v, const int16_t *h,
                                 const int16_t *res, ptrdiff_t stride, int32_t *coef)
{
    PairVecs bv;
    int16_t tmp[CB_XFORM_MAX * CB_XFORM_MAX];
    pairs_of_transpose(n, h, bv);
    product16_avx2(n, res, stride, 2, bv, log2n - 1, tmp, n);
    pairs_of_rows(n, tmp, n, bv);
    product32_avx2(n, v, n, bv, log2n + 6, coef);
}

AVX2 static inline void inv_avx2(int n, const int16_t *v, const int16_t *h, const int32_t *coef,
                                 int16_t *res, ptrdiff_t stride)
{
    PairVecs bv;
    int16_t c16[CB_XFORM_MAX * CB_XFORM_MAX], vt[CB_XFORM_MAX * CB_XFORM_MAX];
    int16_t tmp[CB_XFORM_MAX * CB_XFORM_MAX];
    clip_coefs(n, coef, c16);
    pairs_of_columns(n, v, vt);
    pairs_of_rows(n, c16, n, bv);
    product16_avx2(n, vt, 2, 2 * n, bv, 7, tmp, n);
    pairs_of_rows(n, h, n, bv);
    product16_avx2(n, tmp, n, 2, bv, 12, res, stride);
}

/* One instance per size and instruction set (n a constant in each). */
#define XFORM_X86_KERNELS(ISA, ATTR, N, LOG2N)                                                     \
    ATTR static void fwd_##ISA##_##N(const int16_t *v, const int16_t *h, const int16_t *res,       \
                                     ptrdiff_t stride, int32_t *coef)                              \
    {                                                                                              \
        fwd_##ISA(N, LOG2N, v, h, res, stride, coef);                                              \
    }                                                                                              \
    ATTR static void inv_##ISA##_##N(const int16_t *v, const int16_t *h, const int32_t *coef,      \
                                     int16_t *res, ptrdiff_t stride)                               \
    {                                                                                              \
        inv_##ISA(N, v, h, coef, res, stride);                                                     \
    }

XFORM_X86_KERNELS(sse2, , 4, 2)
XFORM_X86_KERNELS(sse2, , 8, 3)
XFORM_X86_KERNELS(sse2, , 16, 4)
XFORM_X86_KERNELS(avx2, AVX2, 8, 3)
XFORM_X86_KERNELS(avx2, AVX2, 16, 4)

void cb_xform_dsp_init_x86(CbXformDsp *dsp, unsigned isa)
{
    if (isa & CB_ENGINE_ISA_SSE2) {
        dsp->fwd[0] = fwd_sse2_4;
        dsp->fwd[1] = fwd_sse2_8;
        dsp->fwd[2] = fwd_sse2_16;
        dsp->inv[0] = inv_sse2_4;
        dsp->inv[1] = inv_sse2_8;
        dsp->inv[2] = inv_sse2_16;
    }
    if (isa & CB_ENGINE_ISA_AVX2) {
        dsp->fwd[1] = fwd_avx2_8;
        dsp->fwd[2] = fwd_avx2_16;
        dsp->inv[1] = inv_avx2_8;
        dsp->inv[2] = inv_avx2_16;
    }
}

#else /* not x86-64: the C reference only */

void cb_xform_dsp_init_x86(CbXformDsp *dsp, unsigned isa)
{
    (void)dsp;
    (void)isa;
}

#endif

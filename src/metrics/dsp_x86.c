/* codecbench metrics: SSE2 and AVX2 versions of the kernels.
 *
 * The integer sums (sse_line, ssim_4x4_line) equal the C reference exactly
 * because integer addition is associative.  The AVX2 ssim_end_line does the
 * reference's arithmetic lane by lane and adds the windows in the
 * reference's order, so its double result is bit-identical (SSE2 has no
 * 32-bit multiply: it keeps the C version).  AVX2 functions carry
 * target("avx2") so that this file builds without -mavx2;
 * they run only when cb_metrics_cpu_flags() saw AVX2 at run time.  Loads are
 * unaligned and never pass the w (or 4n) pixels asked for: the tails are done
 * by the C reference.
 */
#include "metrics/dsp.h"

#if defined(__x86_64__)

#include <immintrin.h>

/* ---- SSE2 ---------------------------------------------------------------- */

/* Per vector step each int32 lane gains four squared differences (two
 * madd results of two each), at most 4 * 255^2 = 260100; flushing the lanes
 * to 64 bits every 4096 steps keeps them below 4096 * 260100 = 1.07e9 < 2^31
 * for any row length. */
#define SSE_FLUSH_VECTORS 4096

static uint64_t hsum_epi32_to_u64(__m128i v)
{
    /* Lanes are non-negative sums of squares. */
    __m128i lo = _mm_unpacklo_epi32(v, _mm_setzero_si128());
    __m128i hi = _mm_unpackhi_epi32(v, _mm_setzero_si128());
    __m128i s = _mm_add_epi64(lo, hi);
    s = _mm_add_epi64(s, _mm_unpackhi_epi64(s, s));
    return (uint64_t)_mm_cvtsi128_si64(s);
}

static uint64_t sse_line_sse2(const uint8_t *a, const uint8_t *b, int w)
{
    const __m128i zero = _mm_setzero_si128();
    uint64_t total = 0;
    int x = 0;
    while (x + 16 <= w) {
        __m128i acc = zero;
        for (int k = 0; k < SSE_FLUSH_VECTORS && x + 16 <= w; k++, x += 16) {
            __m128i va = _mm_loadu_si128((const __m128i *)(a + x));
            __m128i vb = _mm_loadu_si128((const __m128i *)(b + x));
            __m128i dlo = _mm_sub_epi16(_mm_unpacklo_epi8(va, zero), _mm_unpacklo_epi8(vb, zero));
            __m128i dhi = _mm_sub_epi16(_mm_unpackhi_epi8(va, zero), _mm_unpackhi_epi8(vb, zero));
            acc = _mm_add_epi32(acc, _mm_madd_epi16(dlo, dlo));
            acc = _mm_add_epi32(acc, _mm_madd_epi16(dhi, dhi));
        }
        total += hsum_epi32_to_u64(acc);
    }
    return total + cb_metrics_sse_line_c(a + x, b + x, w - x);
}

/* Pairs of adjacent int32 lanes of lo (pixels 0..7) and hi (pixels 8..15)
 * added into the sums of four 4-pixel blocks: {lo0+lo1, lo2+lo3, hi0+hi1,
 * hi2+hi3}.  The float shuffles only move bits. */
static __m128i pair_sums_sse2(__m128i lo, __m128i hi)
{
    __m128 flo = _mm_castsi128_ps(lo), fhi = _mm_castsi128_ps(hi);
    __m128i even = _mm_castps_si128(_mm_shuffle_ps(flo, fhi, _MM_SHUFFLE(2, 0, 2, 0)));
    __m128i odd = _mm_castps_si128(_mm_shuffle_ps(flo, fhi, _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm_add_epi32(even, odd);
}

/* Four blocks (16 pixels by 4 rows) per step. */
static void ssim_4x4_line_sse2(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                               ptrdiff_t stride_b, int32_t (*sums)[4], int n)
{
    const __m128i zero = _mm_setzero_si128();
    const __m128i ones = _mm_set1_epi16(1);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128i sa_lo = zero, sa_hi = zero, sb_lo = zero, sb_hi = zero;
        __m128i ss_lo = zero, ss_hi = zero, sab_lo = zero, sab_hi = zero;
        for (int y = 0; y < 4; y++) {
            __m128i va = _mm_loadu_si128((const __m128i *)(a + y * stride_a + 4 * i));
            __m128i vb = _mm_loadu_si128((const __m128i *)(b + y * stride_b + 4 * i));
            __m128i alo = _mm_unpacklo_epi8(va, zero), ahi = _mm_unpackhi_epi8(va, zero);
            __m128i blo = _mm_unpacklo_epi8(vb, zero), bhi = _mm_unpackhi_epi8(vb, zero);
            /* 16-bit pixel sums over 4 rows stay <= 1020. */
            sa_lo = _mm_add_epi16(sa_lo, alo);
            sa_hi = _mm_add_epi16(sa_hi, ahi);
            sb_lo = _mm_add_epi16(sb_lo, blo);
            sb_hi = _mm_add_epi16(sb_hi, bhi);
            ss_lo = _mm_add_epi32(ss_lo, _mm_add_epi32(_mm_madd_epi16(alo, alo), _mm_madd_epi16(blo, blo)));
            ss_hi = _mm_add_epi32(ss_hi, _mm_add_epi32(_mm_madd_epi16(ahi, ahi), _mm_madd_epi16(bhi, bhi)));
            sab_lo = _mm_add_epi32(sab_lo, _mm_madd_epi16(alo, blo));
            sab_hi = _mm_add_epi32(sab_hi, _mm_madd_epi16(ahi, bhi));
        }
        __m128i s1 = pair_sums_sse2(_mm_madd_epi16(sa_lo, ones), _mm_madd_epi16(sa_hi, ones));
        __m128i s2 = pair_sums_sse2(_mm_madd_epi16(sb_lo, ones), _mm_madd_epi16(sb_hi, ones));
        __m128i ss = pair_sums_sse2(ss_lo, ss_hi);
        __m128i s12 = pair_sums_sse2(sab_lo, sab_hi);
        /* Transpose {s1, s2, ss, s12} x 4 blocks into 4 blocks x {s1, s2, ss, s12}. */
        __m128i t0 = _mm_unpacklo_epi32(s1, s2), t1 = _mm_unpacklo_epi32(ss, s12);
        __m128i t2 = _mm_unpackhi_epi32(s1, s2), t3 = _mm_unpackhi_epi32(ss, s12);
        _mm_storeu_si128((__m128i *)sums[i + 0], _mm_unpacklo_epi64(t0, t1));
        _mm_storeu_si128((__m128i *)sums[i + 1], _mm_unpackhi_epi64(t0, t1));
        _mm_storeu_si128((__m128i *)sums[i + 2], _mm_unpacklo_epi64(t2, t3));
        _mm_storeu_si128((__m128i *)sums[i + 3], _mm_unpackhi_epi64(t2, t3));
    }
    cb_metrics_ssim_4x4_line_c(a + 4 * i, stride_a, b + 4 * i, stride_b, sums + i, n - i);
}

/* ---- AVX2 ---------------------------------------------------------------- */

#define AVX2 __attribute__((target("avx2")))

AVX2 static uint64_t sse_line_avx2(const uint8_t *a, const uint8_t *b, int w)
{
    const __m256i zero = _mm256_setzero_si256();
    uint64_t total = 0;
    int x = 0;
    while (x + 32 <= w) {
        __m256i acc = zero;
        for (int k = 0; k < SSE_FLUSH_VECTORS && x + 32 <= w; k++, x += 32) {
            __m256i va = _mm256_loadu_si256((const __m256i *)(a + x));
            __m256i vb = _mm256_loadu_si256((const __m256i *)(b + x));
            __m256i dlo = _mm256_sub_epi16(_mm256_unpacklo_epi8(va, zero), _mm256_unpacklo_epi8(vb, zero));
            __m256i dhi = _mm256_sub_epi16(_mm256_unpackhi_epi8(va, zero), _mm256_unpackhi_epi8(vb, zero));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(dlo, dlo));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(dhi, dhi));
        }
        __m128i acc128 = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        total += hsum_epi32_to_u64(acc128);
    }
    return total + sse_line_sse2(a + x, b + x, w - x);
}

/* As pair_sums_sse2 within each 128-bit lane: with lo/hi from unpacklo/hi of
 * 32 pixels, lane 0 gives blocks 0..3 and lane 1 blocks 4..7. */
AVX2 static __m256i pair_sums_avx2(__m256i lo, __m256i hi)
{
    __m256 flo = _mm256_castsi256_ps(lo), fhi = _mm256_castsi256_ps(hi);
    __m256i even = _mm256_castps_si256(_mm256_shuffle_ps(flo, fhi, _MM_SHUFFLE(2, 0, 2, 0)));
    __m256i odd = _mm256_castps_si256(_mm256_shuffle_ps(flo, fhi, _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm256_add_epi32(even, odd);
}

/* Eight blocks (32 pixels by 4 rows) per step. */
AVX2 static void ssim_4x4_line_avx2(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                                    ptrdiff_t stride_b, int32_t (*sums)[4], int n)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i sa_lo = zero, sa_hi = zero, sb_lo = zero, sb_hi = zero;
        __m256i ss_lo = zero, ss_hi = zero, sab_lo = zero, sab_hi = zero;
        for (int y = 0; y < 4; y++) {
            __m256i va = _mm256_loadu_si256((const __m256i *)(a + y * stride_a + 4 * i));
            __m256i vb = _mm256_loadu_si256((const __m256i *)(b + y * stride_b + 4 * i));
            __m256i alo = _mm256_unpacklo_epi8(va, zero), ahi = _mm256_unpackhi_epi8(va, zero);
            __m256i blo = _mm256_unpacklo_epi8(vb, zero), bhi = _mm256_unpackhi_epi8(vb, zero);
            sa_lo = _mm256_add_epi16(sa_lo, alo);
            sa_hi = _mm256_add_epi16(sa_hi, ahi);
            sb_lo = _mm256_add_epi16(sb_lo, blo);
            sb_hi = _mm256_add_epi16(sb_hi, bhi);
            ss_lo = _mm256_add_epi32(ss_lo, _mm256_add_epi32(_mm256_madd_epi16(alo, alo), _mm256_madd_epi16(blo, blo)));
            ss_hi = _mm256_add_epi32(ss_hi, _mm256_add_epi32(_mm256_madd_epi16(ahi, ahi), _mm256_madd_epi16(bhi, bhi)));
            sab_lo = _mm256_add_epi32(sab_lo, _mm256_madd_epi16(alo, blo));
            sab_hi = _mm256_add_epi32(sab_hi, _mm256_madd_epi16(ahi, bhi));
        }
        __m256i s1 = pair_sums_avx2(_mm256_madd_epi16(sa_lo, ones), _mm256_madd_epi16(sa_hi, ones));
        __m256i s2 = pair_sums_avx2(_mm256_madd_epi16(sb_lo, ones), _mm256_madd_epi16(sb_hi, ones));
        __m256i ss = pair_sums_avx2(ss_lo, ss_hi);
        __m256i s12 = pair_sums_avx2(sab_lo, sab_hi);
        /* Per-lane transpose: r_k holds block k in lane 0 and block k+4 in lane 1. */
        __m256i t0 = _mm256_unpacklo_epi32(s1, s2), t1 = _mm256_unpacklo_epi32(ss, s12);
        __m256i t2 = _mm256_unpackhi_epi32(s1, s2), t3 = _mm256_unpackhi_epi32(ss, s12);
        __m256i r0 = _mm256_unpacklo_epi64(t0, t1), r1 = _mm256_unpackhi_epi64(t0, t1);
        __m256i r2 = _mm256_unpacklo_epi64(t2, t3), r3 = _mm256_unpackhi_epi64(t2, t3);
        _mm256_storeu_si256((__m256i *)sums[i + 0], _mm256_permute2x128_si256(r0, r1, 0x20));
        _mm256_storeu_si256((__m256i *)sums[i + 2], _mm256_permute2x128_si256(r2, r3, 0x20));
        _mm256_storeu_si256((__m256i *)sums[i + 4], _mm256_permute2x128_si256(r0, r1, 0x31));
        _mm256_storeu_si256((__m256i *)sums[i + 6], _mm256_permute2x128_si256(r2, r3, 0x31));
    }
    ssim_4x4_line_sse2(a + 4 * i, stride_a, b + 4 * i, stride_b, sums + i, n - i);
}

/* Eight windows per step.  The integer terms are the C reference's, exact in
 * int32 (see cb_metrics_ssim_end1 for the bounds); int -> float conversion,
 * float products and the division are single IEEE operations whether done in
 * one lane or eight, so each window's float equals the reference's bit for
 * bit.  The windows are then added to the double sum one by one in order.
 *
 * Layout: r_k holds the sums of windows 2k and 2k+1 (one per 128-bit lane,
 * {s1, s2, ss, s12}); the per-lane transpose gives vectors of s1, s2, ss and
 * s12 over windows {0, 2, 4, 6 | 1, 3, 5, 7}. */
AVX2 static __m256i window_pair_avx2(const int32_t (*sum0)[4], const int32_t (*sum1)[4], int i)
{
    __m256i a = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)sum0[i]),
                                 _mm256_loadu_si256((const __m256i *)sum1[i]));
    __m256i b = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)sum0[i + 1]),
                                 _mm256_loadu_si256((const __m256i *)sum1[i + 1]));
    return _mm256_add_epi32(a, b);
}

AVX2 static double ssim_end_line_avx2(const int32_t (*sum0)[4], const int32_t (*sum1)[4], int n)
{
    const __m256i c1 = _mm256_set1_epi32(CB_SSIM_C1_8x8), c2 = _mm256_set1_epi32(CB_SSIM_C2_8x8);
    double ssim = 0.0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i r0 = window_pair_avx2(sum0, sum1, i + 0);
        __m256i r1 = window_pair_avx2(sum0, sum1, i + 2);
        __m256i r2 = window_pair_avx2(sum0, sum1, i + 4);
        __m256i r3 = window_pair_avx2(sum0, sum1, i + 6);
        __m256i t0 = _mm256_unpacklo_epi32(r0, r1), t1 = _mm256_unpacklo_epi32(r2, r3);
        __m256i t2 = _mm256_unpackhi_epi32(r0, r1), t3 = _mm256_unpackhi_epi32(r2, r3);
        __m256i s1 = _mm256_unpacklo_epi64(t0, t1), s2 = _mm256_unpackhi_epi64(t0, t1);
        __m256i ss = _mm256_unpacklo_epi64(t2, t3), s12 = _mm256_unpackhi_epi64(t2, t3);

        __m256i s1s1 = _mm256_mullo_epi32(s1, s1), s2s2 = _mm256_mullo_epi32(s2, s2);
        __m256i s1s2 = _mm256_mullo_epi32(s1, s2);
        __m256i vars = _mm256_sub_epi32(_mm256_sub_epi32(_mm256_slli_epi32(ss, 6), s1s1), s2s2);
        __m256i covar = _mm256_sub_epi32(_mm256_slli_epi32(s12, 6), s1s2);
        __m256 num1 = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_slli_epi32(s1s2, 1), c1));
        __m256 num2 = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_slli_epi32(covar, 1), c2));
        __m256 den1 = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_add_epi32(s1s1, s2s2), c1));
        __m256 den2 = _mm256_cvtepi32_ps(_mm256_add_epi32(vars, c2));
        __m256 v = _mm256_div_ps(_mm256_mul_ps(num1, num2), _mm256_mul_ps(den1, den2));

        float f[8];
        _mm256_storeu_ps(f, v);
        /* f holds windows 0, 2, 4, 6, 1, 3, 5, 7. */
        ssim += f[0];
        ssim += f[4];
        ssim += f[1];
        ssim += f[5];
        ssim += f[2];
        ssim += f[6];
        ssim += f[3];
        ssim += f[7];
    }
    for (; i < n; i++) {
        int s[4];
        for (int k = 0; k < 4; k++)
            s[k] = sum0[i][k] + sum0[i + 1][k] + sum1[i][k] + sum1[i + 1][k];
        ssim += cb_metrics_ssim_end1(s[0], s[1], s[2], s[3]);
    }
    return ssim;
}

void cb_metrics_dsp_init_x86(CbMetricsDsp *dsp, unsigned cpu_flags)
{
    if (cpu_flags & CB_CPU_SSE2) {
        dsp->sse_line = sse_line_sse2;
        dsp->ssim_4x4_line = ssim_4x4_line_sse2;
    }
    if (cpu_flags & CB_CPU_AVX2) {
        dsp->sse_line = sse_line_avx2;
        dsp->ssim_4x4_line = ssim_4x4_line_avx2;
        dsp->ssim_end_line = ssim_end_line_avx2;
    }
}

#else /* not x86_64: the C reference only */

void cb_metrics_dsp_init_x86(CbMetricsDsp *dsp, unsigned cpu_flags)
{
    (void)dsp;
    (void)cpu_flags;
}

#endif

/* codecbench engine: SSE2 and AVX2 versions of the SATD kernel.
 *
 * The 4x4 Hadamard transform of a difference block is computed columns
 * first, then (after a 4x4 transpose) rows, two blocks side by side per
 * 128-bit vector: H D H^T is the same integer matrix in either order, and
 * its entries stay within 16 * 255 (int16).  The reference halves each 4x4
 * block's sum (rounding down); every entry of H D H^T has the parity of the
 * sum of D (the entries of H are odd), so the 16 magnitudes of a block add up
 * to an even number and halving the total once is the same.  Widths are
 * multiples of 4 (me.h); a 4-column chunk loads 4 bytes per row and leaves
 * the second block zero, which adds nothing.
 */
#include "engine/dsp_x86.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

static inline __m128i load_px(const uint8_t *p, int cw)
{
    __m128i x;
    if (cw == 4) {
        int32_t v;
        memcpy(&v, p, sizeof v);
        x = _mm_cvtsi32_si128(v);
    } else {
        x = _mm_loadl_epi64((const __m128i *)p);
    }
    return _mm_unpacklo_epi8(x, _mm_setzero_si128());
}

/* 4-point Hadamard butterflies across four vectors (in place). */
#define HADAMARD4(ADD, SUB, d)                                                                      \
    do {                                                                                           \
        const __typeof__(d[0]) s01_ = ADD(d[0], d[1]), t01_ = SUB(d[0], d[1]);                     \
        const __typeof__(d[0]) s23_ = ADD(d[2], d[3]), t23_ = SUB(d[2], d[3]);                     \
        d[0] = ADD(s01_, s23_);                                                                    \
        d[1] = SUB(s01_, s23_);                                                                    \
        d[2] = ADD(t01_, t23_);                                                                    \
        d[3] = SUB(t01_, t23_);                                                                    \
    } while (0)

/* Sum of |H D H^T| over the two 4x4 blocks of cw (4 or 8) columns and 4
 * rows, in four int32 lanes. */
static inline __m128i satd_8x4_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs,
                                    int cw)
{
    __m128i d[4];
    for (int j = 0; j < 4; j++)
        d[j] = _mm_sub_epi16(load_px(a + j * as, cw), load_px(b + j * bs, cw));
    HADAMARD4(_mm_add_epi16, _mm_sub_epi16, d);
    /* Transpose each 4x4 block: c[i] = column i of block A | of block B. */
    const __m128i u0 = _mm_unpacklo_epi16(d[0], d[1]), u1 = _mm_unpacklo_epi16(d[2], d[3]);
    const __m128i u2 = _mm_unpackhi_epi16(d[0], d[1]), u3 = _mm_unpackhi_epi16(d[2], d[3]);
    const __m128i xa = _mm_unpacklo_epi32(u0, u1), ya = _mm_unpackhi_epi32(u0, u1);
    const __m128i xb = _mm_unpacklo_epi32(u2, u3), yb = _mm_unpackhi_epi32(u2, u3);
    __m128i c[4] = {_mm_unpacklo_epi64(xa, xb), _mm_unpackhi_epi64(xa, xb),
                    _mm_unpacklo_epi64(ya, yb), _mm_unpackhi_epi64(ya, yb)};
    HADAMARD4(_mm_add_epi16, _mm_sub_epi16, c);
    /* |x| = max(x, -x): no lane is -32768.  Four magnitudes per lane stay
     * below 4 * 4080. */
    __m128i sum = _mm_setzero_si128();
    for (int i = 0; i < 4; i++)
        sum = _mm_add_epi16(sum, _mm_max_epi16(c[i], _mm_sub_epi16(_mm_setzero_si128(), c[i])));
    return _mm_madd_epi16(sum, _mm_set1_epi16(1));
}

static inline uint32_t hsum_epi32(__m128i v)
{
    v = _mm_add_epi32(v, _mm_srli_si128(v, 8));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 4));
    return (uint32_t)_mm_cvtsi128_si32(v);
}

static uint32_t satd_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w,
                          int h)
{
    if (w % 4 || h % 4)
        return cb_satd_c(a, as, b, bs, w, h);
    /* At most 16 x 16 samples: each 4x4 sum is below 16 * 4080, the total
     * far below 2^31. */
    __m128i acc = _mm_setzero_si128();
    for (int j = 0; j < h; j += 4)
        for (int x = 0; x < w;) {
            const int cw = w - x >= 8 ? 8 : 4;
            acc = _mm_add_epi32(acc, satd_8x4_sse2(a + j * as + x, as, b + j * bs + x, bs, cw));
            x += cw;
        }
    return hsum_epi32(acc) >> 1;
}

#define AVX2 __attribute__((target("avx2")))

/* The same as satd_8x4_sse2 on 16 columns: each 128-bit lane is two blocks
 * and the unpacks work per lane. */
AVX2 static inline __m256i satd_16x4_avx2(const uint8_t *a, ptrdiff_t as, const uint8_t *b,
                                          ptrdiff_t bs)
{
    __m256i d[4];
    for (int j = 0; j < 4; j++)
        d[j] = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(a + j * as))),
                                _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(b + j * bs))));
    HADAMARD4(_mm256_add_epi16, _mm256_sub_epi16, d);
    const __m256i u0 = _mm256_unpacklo_epi16(d[0], d[1]), u1 = _mm256_unpacklo_epi16(d[2], d[3]);
    const __m256i u2 = _mm256_unpackhi_epi16(d[0], d[1]), u3 = _mm256_unpackhi_epi16(d[2], d[3]);
    const __m256i xa = _mm256_unpacklo_epi32(u0, u1), ya = _mm256_unpackhi_epi32(u0, u1);
    const __m256i xb = _mm256_unpacklo_epi32(u2, u3), yb = _mm256_unpackhi_epi32(u2, u3);
    __m256i c[4] = {_mm256_unpacklo_epi64(xa, xb), _mm256_unpackhi_epi64(xa, xb),
                    _mm256_unpacklo_epi64(ya, yb), _mm256_unpackhi_epi64(ya, yb)};
    HADAMARD4(_mm256_add_epi16, _mm256_sub_epi16, c);
    __m256i sum = _mm256_setzero_si256();
    for (int i = 0; i < 4; i++)
        sum = _mm256_add_epi16(sum, _mm256_abs_epi16(c[i]));
    return _mm256_madd_epi16(sum, _mm256_set1_epi16(1));
}

AVX2 static uint32_t satd_avx2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs,
                               int w, int h)
{
    if (w != 16 || h % 4)
        return satd_sse2(a, as, b, bs, w, h);
    __m256i acc = _mm256_setzero_si256();
    for (int j = 0; j < h; j += 4)
        acc = _mm256_add_epi32(acc, satd_16x4_avx2(a + j * as, as, b + j * bs, bs));
    const __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    return hsum_epi32(s) >> 1;
}

void cb_me_dsp_init_x86(CbMeDsp *dsp, unsigned isa)
{
    if (isa & CB_ENGINE_ISA_SSE2)
        dsp->satd = satd_sse2;
    if (isa & CB_ENGINE_ISA_AVX2)
        dsp->satd = satd_avx2;
}

#else /* not x86-64: the C versions only */

void cb_me_dsp_init_x86(CbMeDsp *dsp, unsigned isa)
{
    (void)dsp;
    (void)isa;
}

#endif

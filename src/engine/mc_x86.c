/* codecbench engine: SSE2 and AVX2 versions of the interpolation kernels.
 *
 * They compute the reference's separable filter (mc.h) exactly:
 *  - a one-dimensional pass sums taps * 8-bit samples with pmullw/paddw in
 *    16 bits: each product is at most 58 * 255 in magnitude and every partial
 *    sum lies within the pass's range [-24 * 255, 88 * 255] (mc.c), so no
 *    lane wraps and the result is the reference's int16 intermediate;
 *  - the vertical pass of the 2-D case multiplies pairs of intermediate rows
 *    with pairs of taps (pmaddwd) and sums in int32 like the reference, then
 *    floor((v + 2048) / 4096) is an arithmetic shift, and packssdw then
 *    packuswb clip to 0..255 (a negative v + 2048 shifts to a negative value,
 *    which packuswb makes 0, as the reference's early return does);
 *  - a zero fraction in one direction makes the other pass's value s the
 *    whole result, floor((64 s + 2048) / 4096) = (s + 32) >> 6, and two zero
 *    fractions a copy: the same shortcuts as mc.c's C version, equal to the
 *    reference by the identity filter rows.
 * Columns go in chunks of 8 and 4 (widths that are multiples of 4; other
 * widths use the C reference), AVX2 takes widths of 16 in one vector.  Loads
 * read exactly the columns and rows the reference reads: -(taps/2 - 1) to
 * w - 1 + taps/2.
 */
#include "engine/dsp_x86.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

/* Rows of the 2-D intermediate (h + taps - 1) and its stride. */
#define TMP_ROWS   (CB_MC_MAX_BLOCK + CB_MC_LUMA_TAPS - 1)
#define TMP_STRIDE CB_MC_MAX_BLOCK

/* The 2-D rounding (mc.c): a factor 64 per direction. */
#define SHIFT_2D 12
#define SHIFT_1D 6

/* ---- SSE2, chunks of cw = 4 or 8 columns ---------------------------------- */

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

static inline void store_px(uint8_t *p, __m128i v16, int cw)
{
    const __m128i b = _mm_packus_epi16(v16, v16);
    if (cw == 4) {
        const int32_t v = _mm_cvtsi128_si32(b);
        memcpy(p, &v, sizeof v);
    } else {
        _mm_storel_epi64((__m128i *)p, b);
    }
}

/* sum_k f[k] p[k * step] for cw samples, in int16 (exact, see above). */
static inline __m128i filt_sse2(const uint8_t *p, ptrdiff_t step, const __m128i *f, int taps,
                                int cw)
{
    __m128i acc = _mm_mullo_epi16(load_px(p, cw), f[0]);
    for (int k = 1; k < taps; k++)
        acc = _mm_add_epi16(acc, _mm_mullo_epi16(load_px(p + k * step, cw), f[k]));
    return acc;
}

static inline __m128i round_1d_sse2(__m128i s)
{
    return _mm_srai_epi16(_mm_add_epi16(s, _mm_set1_epi16(1 << (SHIFT_1D - 1))), SHIFT_1D);
}

static inline __m128i round_2d_sse2(__m128i v)
{
    return _mm_srai_epi32(_mm_add_epi32(v, _mm_set1_epi32(1 << (SHIFT_2D - 1))), SHIFT_2D);
}

/* Taps broadcast to int16 lanes, and as pairs (f[2m], f[2m+1]) for pmaddwd. */
static inline void taps_sse2(const int8_t *f, int taps, __m128i *f16, __m128i *pairs)
{
    for (int k = 0; k < taps; k++)
        f16[k] = _mm_set1_epi16(f[k]);
    for (int m = 0; m < taps / 2; m++)
        pairs[m] = _mm_set1_epi32((int32_t)(uint16_t)f[2 * m] |
                                  (int32_t)((uint32_t)(uint16_t)f[2 * m + 1] << 16));
}

/* Vertical pass of the 2-D case over cw columns of the intermediate rows
 * from t (stride TMP_STRIDE): rounded, clipped to 0..255. */
static inline void vert_2d_sse2(uint8_t *dst, const int16_t *t, const __m128i *pairs, int taps,
                                int cw)
{
    __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
    for (int m = 0; m < taps / 2; m++) {
        const int16_t *r = t + 2 * m * TMP_STRIDE;
        const __m128i r0 = cw == 4 ? _mm_loadl_epi64((const __m128i *)r)
                                   : _mm_loadu_si128((const __m128i *)r);
        const __m128i r1 = cw == 4 ? _mm_loadl_epi64((const __m128i *)(r + TMP_STRIDE))
                                   : _mm_loadu_si128((const __m128i *)(r + TMP_STRIDE));
        lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(r0, r1), pairs[m]));
        if (cw == 8)
            hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(r0, r1), pairs[m]));
    }
    store_px(dst, _mm_packs_epi32(round_2d_sse2(lo), round_2d_sse2(hi)), cw);
}

static inline void put_sse2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                            int h, const int8_t *fh, const int8_t *fv, int fx, int fy, int taps)
{
    const int before = taps / 2 - 1;
    __m128i h16[CB_MC_LUMA_TAPS], hpairs[CB_MC_LUMA_TAPS / 2];
    __m128i v16[CB_MC_LUMA_TAPS], vpairs[CB_MC_LUMA_TAPS / 2];
    taps_sse2(fh, taps, h16, hpairs);
    taps_sse2(fv, taps, v16, vpairs);
    if (!fx && !fy) {
        for (int j = 0; j < h; j++)
            memcpy(dst + j * ds, src + j * ss, (size_t)w);
    } else if (!fy) {
        for (int j = 0; j < h; j++)
            for (int x = 0; x < w;) {
                const int cw = w - x >= 8 ? 8 : 4;
                const __m128i s = filt_sse2(src + j * ss + x - before, 1, h16, taps, cw);
                store_px(dst + j * ds + x, round_1d_sse2(s), cw);
                x += cw;
            }
    } else if (!fx) {
        for (int j = 0; j < h; j++)
            for (int x = 0; x < w;) {
                const int cw = w - x >= 8 ? 8 : 4;
                const __m128i s = filt_sse2(src + (j - before) * ss + x, ss, v16, taps, cw);
                store_px(dst + j * ds + x, round_1d_sse2(s), cw);
                x += cw;
            }
    } else {
        int16_t tmp[TMP_ROWS * TMP_STRIDE];
        for (int j = 0; j < h + taps - 1; j++)
            for (int x = 0; x < w;) {
                const int cw = w - x >= 8 ? 8 : 4;
                const __m128i s = filt_sse2(src + (j - before) * ss + x - before, 1, h16, taps, cw);
                if (cw == 4)
                    _mm_storel_epi64((__m128i *)(tmp + j * TMP_STRIDE + x), s);
                else
                    _mm_storeu_si128((__m128i *)(tmp + j * TMP_STRIDE + x), s);
                x += cw;
            }
        for (int j = 0; j < h; j++)
            for (int x = 0; x < w;) {
                const int cw = w - x >= 8 ? 8 : 4;
                vert_2d_sse2(dst + j * ds + x, tmp + j * TMP_STRIDE + x, vpairs, taps, cw);
                x += cw;
            }
    }
}

static void put_luma_sse2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                          int h, int fx, int fy)
{
    if (w % 4)
        cb_mc_put_luma_ref(dst, ds, src, ss, w, h, fx, fy);
    else
        put_sse2(dst, ds, src, ss, w, h, cb_mc_luma_filter[fx], cb_mc_luma_filter[fy], fx, fy,
                 CB_MC_LUMA_TAPS);
}

static void put_chroma_sse2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                            int h, int fx, int fy)
{
    if (w % 4)
        cb_mc_put_chroma_ref(dst, ds, src, ss, w, h, fx, fy);
    else
        put_sse2(dst, ds, src, ss, w, h, cb_mc_chroma_filter[fx], cb_mc_chroma_filter[fy], fx, fy,
                 CB_MC_CHROMA_TAPS);
}

/* ---- AVX2, width 16 -------------------------------------------------------- */

#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256i load_px16(const uint8_t *p)
{
    return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* 16 int16 lanes in order to 16 bytes, clipped to 0..255. */
AVX2 static inline void store_px16(uint8_t *p, __m256i v16)
{
    _mm_storeu_si128((__m128i *)p,
                     _mm_packus_epi16(_mm256_castsi256_si128(v16), _mm256_extracti128_si256(v16, 1)));
}

AVX2 static inline __m256i filt_avx2(const uint8_t *p, ptrdiff_t step, const __m256i *f, int taps)
{
    __m256i acc = _mm256_mullo_epi16(load_px16(p), f[0]);
    for (int k = 1; k < taps; k++)
        acc = _mm256_add_epi16(acc, _mm256_mullo_epi16(load_px16(p + k * step), f[k]));
    return acc;
}

AVX2 static inline __m256i round_1d_avx2(__m256i s)
{
    return _mm256_srai_epi16(_mm256_add_epi16(s, _mm256_set1_epi16(1 << (SHIFT_1D - 1))), SHIFT_1D);
}

AVX2 static inline __m256i round_2d_avx2(__m256i v)
{
    return _mm256_srai_epi32(_mm256_add_epi32(v, _mm256_set1_epi32(1 << (SHIFT_2D - 1))),
                             SHIFT_2D);
}

AVX2 static inline void put16_avx2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                                   int h, const int8_t *fh, const int8_t *fv, int fx, int fy,
                                   int taps)
{
    const int before = taps / 2 - 1;
    __m256i h16[CB_MC_LUMA_TAPS], v16[CB_MC_LUMA_TAPS], vpairs[CB_MC_LUMA_TAPS / 2];
    for (int k = 0; k < taps; k++) {
        h16[k] = _mm256_set1_epi16(fh[k]);
        v16[k] = _mm256_set1_epi16(fv[k]);
    }
    for (int m = 0; m < taps / 2; m++)
        vpairs[m] = _mm256_set1_epi32((int32_t)(uint16_t)fv[2 * m] |
                                      (int32_t)((uint32_t)(uint16_t)fv[2 * m + 1] << 16));
    if (!fx && !fy) {
        for (int j = 0; j < h; j++)
            memcpy(dst + j * ds, src + j * ss, CB_MC_MAX_BLOCK);
    } else if (!fy) {
        for (int j = 0; j < h; j++)
            store_px16(dst + j * ds, round_1d_avx2(filt_avx2(src + j * ss - before, 1, h16, taps)));
    } else if (!fx) {
        for (int j = 0; j < h; j++)
            store_px16(dst + j * ds,
                       round_1d_avx2(filt_avx2(src + (j - before) * ss, ss, v16, taps)));
    } else {
        __m256i tmp[TMP_ROWS];
        for (int j = 0; j < h + taps - 1; j++)
            tmp[j] = filt_avx2(src + (j - before) * ss - before, 1, h16, taps);
        for (int j = 0; j < h; j++) {
            /* In-lane interleaving: lo holds columns 0-3 | 8-11, hi 4-7 |
             * 12-15; packssdw puts them back in order. */
            __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
            for (int m = 0; m < taps / 2; m++) {
                const __m256i r0 = tmp[j + 2 * m], r1 = tmp[j + 2 * m + 1];
                lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(r0, r1), vpairs[m]));
                hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(r0, r1), vpairs[m]));
            }
            store_px16(dst + j * ds, _mm256_packs_epi32(round_2d_avx2(lo), round_2d_avx2(hi)));
        }
    }
}

AVX2 static void put_luma_avx2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                               int h, int fx, int fy)
{
    if (w == 16)
        put16_avx2(dst, ds, src, ss, h, cb_mc_luma_filter[fx], cb_mc_luma_filter[fy], fx, fy,
                   CB_MC_LUMA_TAPS);
    else
        put_luma_sse2(dst, ds, src, ss, w, h, fx, fy);
}

AVX2 static void put_chroma_avx2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                                 int w, int h, int fx, int fy)
{
    if (w == 16)
        put16_avx2(dst, ds, src, ss, h, cb_mc_chroma_filter[fx], cb_mc_chroma_filter[fy], fx, fy,
                   CB_MC_CHROMA_TAPS);
    else
        put_chroma_sse2(dst, ds, src, ss, w, h, fx, fy);
}

void cb_mc_dsp_init_x86(CbMcDsp *dsp, unsigned isa)
{
    if (isa & CB_ENGINE_ISA_SSE2) {
        dsp->put_luma = put_luma_sse2;
        dsp->put_chroma = put_chroma_sse2;
    }
    if (isa & CB_ENGINE_ISA_AVX2) {
        dsp->put_luma = put_luma_avx2;
        dsp->put_chroma = put_chroma_avx2;
    }
}

#else /* not x86-64: the C versions only */

void cb_mc_dsp_init_x86(CbMcDsp *dsp, unsigned isa)
{
    (void)dsp;
    (void)isa;
}

#endif

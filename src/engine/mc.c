/* codecbench engine: motion compensation (see mc.h for the arithmetic). */
#include "engine/mc.h"

#include "engine/dsp_x86.h"

#include <assert.h>
#include <string.h>

/* H.265 8.5.3.3.3.1, fL[p] for p = 0..3 quarter samples (p = 0 added as the
 * identity so that integer positions take the same path). */
const int8_t cb_mc_luma_filter[4][CB_MC_LUMA_TAPS] = {
    {0, 0, 0, 64, 0, 0, 0, 0},
    {-1, 4, -10, 58, 17, -5, 1, 0},
    {-1, 4, -11, 40, 40, -11, 4, -1},
    {0, 1, -5, 17, 58, -10, 4, -1},
};

/* H.265 8.5.3.3.3.2, fC[p] for p = 0..7 eighth samples (p = 0 the identity). */
const int8_t cb_mc_chroma_filter[8][CB_MC_CHROMA_TAPS] = {
    {0, 64, 0, 0},    {-2, 58, 10, -2}, {-4, 54, 16, -2}, {-6, 46, 28, -4},
    {-4, 36, 36, -4}, {-4, 28, 46, -6}, {-2, 16, 54, -4}, {-2, 10, 58, -2},
};

/* The rounding of the 2-D sum (taps sum to 64 in each direction, so the sum
 * carries a factor 64 * 64 = 4096 = 1 << 12): floor((v + 2048) / 4096)
 * clipped to 0..255.  A negative v + 2048 clips to 0 before any shift, so no
 * negative value is ever shifted (implementation-defined in C11). */
#define SHIFT_2D 12
#define ROUND_2D (1 << (SHIFT_2D - 1))
/* The same for a one-dimensional sum (factor 64 = 1 << 6). */
#define SHIFT_1D 6
#define ROUND_1D (1 << (SHIFT_1D - 1))

static inline uint8_t clip_shift(int v, int shift)
{
    if (v < 0)
        return 0;
    v >>= shift;
    return (uint8_t)(v > 255 ? 255 : v);
}

/* Intermediate rows of the separable filter: h + taps - 1 rows of w
 * samples.  One horizontal pass value of 8-bit samples lies in
 * [-24 * 255, 88 * 255] = [-6120, 22440] (the negative and positive taps of
 * the half-sample luma filter; chroma stays within [-2550, 18870]), so it
 * fits int16_t exactly, as H.265's 16-bit intermediate. */
#define TMP_ROWS (CB_MC_MAX_BLOCK + CB_MC_LUMA_TAPS - 1)

/* The reference: always both passes, with identity rows for zero fractions. */
static inline void put_generic(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                               int h, const int8_t *fh, const int8_t *fv, int taps)
{
    int16_t tmp[TMP_ROWS * CB_MC_MAX_BLOCK];
    const int before = taps / 2 - 1;
    src -= before * ss;
    for (int j = 0; j < h + taps - 1; j++, src += ss)
        for (int i = 0; i < w; i++) {
            int sum = 0;
            for (int k = 0; k < taps; k++)
                sum += fh[k] * src[i + k - before];
            tmp[j * CB_MC_MAX_BLOCK + i] = (int16_t)sum;
        }
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            int sum = 0;
            for (int k = 0; k < taps; k++)
                sum += fv[k] * tmp[(j + k) * CB_MC_MAX_BLOCK + i];
            dst[j * ds + i] = clip_shift(sum + ROUND_2D, SHIFT_2D);
        }
}

void cb_mc_put_luma_ref(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w, int h,
                        int fx, int fy)
{
    put_generic(dst, ds, src, ss, w, h, cb_mc_luma_filter[fx], cb_mc_luma_filter[fy],
                CB_MC_LUMA_TAPS);
}

void cb_mc_put_chroma_ref(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                          int h, int fx, int fy)
{
    put_generic(dst, ds, src, ss, w, h, cb_mc_chroma_filter[fx], cb_mc_chroma_filter[fy],
                CB_MC_CHROMA_TAPS);
}

/* The faster C version: a copy for integer positions, one pass when only one
 * fraction is non-zero (identity rows contribute exactly 64 times the
 * sample, so (64 s + 2048) >> 12 = (s + 32) >> 6 for the one-pass sum s),
 * and both passes only over the taps that matter otherwise.  Inlined with a
 * constant tap count for each plane type. */
static inline void put_fast(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                            int h, const int8_t *fh, const int8_t *fv, int fx, int fy, int taps)
{
    const int before = taps / 2 - 1;
    if (!fx && !fy) {
        for (int j = 0; j < h; j++)
            memcpy(dst + j * ds, src + j * ss, (size_t)w);
    } else if (!fy) {
        for (int j = 0; j < h; j++, src += ss, dst += ds)
            for (int i = 0; i < w; i++) {
                int sum = 0;
                for (int k = 0; k < taps; k++)
                    sum += fh[k] * src[i + k - before];
                dst[i] = clip_shift(sum + ROUND_1D, SHIFT_1D);
            }
    } else if (!fx) {
        for (int j = 0; j < h; j++, src += ss, dst += ds)
            for (int i = 0; i < w; i++) {
                int sum = 0;
                for (int k = 0; k < taps; k++)
                    sum += fv[k] * src[i + (k - before) * ss];
                dst[i] = clip_shift(sum + ROUND_1D, SHIFT_1D);
            }
    } else {
        put_generic(dst, ds, src, ss, w, h, fh, fv, taps);
    }
}

static void put_luma_fast(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                          int h, int fx, int fy)
{
    put_fast(dst, ds, src, ss, w, h, cb_mc_luma_filter[fx], cb_mc_luma_filter[fy], fx, fy,
             CB_MC_LUMA_TAPS);
}

static void put_chroma_fast(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                            int h, int fx, int fy)
{
    put_fast(dst, ds, src, ss, w, h, cb_mc_chroma_filter[fx], cb_mc_chroma_filter[fy], fx, fy,
             CB_MC_CHROMA_TAPS);
}

void cb_mc_dsp_init(CbMcDsp *dsp, unsigned flags)
{
    dsp->put_luma = cb_mc_put_luma_ref;
    dsp->put_chroma = cb_mc_put_chroma_ref;
    if (flags & CB_PRED_DSP_REFERENCE)
        return;
    dsp->put_luma = put_luma_fast;
    dsp->put_chroma = put_chroma_fast;
    /* SIMD versions where the CPU has them (mc_x86.c). */
    cb_mc_dsp_init_x86(dsp, cb_engine_cpu_isa());
}

static inline long long clampll(long long v, long long lo, long long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Splits a vector component into an integer part (floor) and a fraction in
 * 0..den-1 without shifting a negative value. */
static inline void split_mv(int mv, int den, long long *ipart, int *frac)
{
    int f = mv % den;
    if (f < 0)
        f += den;
    *frac = f;
    *ipart = ((long long)mv - f) / den;
}

/* Side of the edge-extended copy: a block plus the filter's margins. */
#define EMU_SIDE (CB_MC_MAX_BLOCK + CB_MC_LUMA_TAPS - 1)

void cb_mc_block(const CbMcDsp *dsp, const uint8_t *ref, ptrdiff_t ref_stride, int pw, int ph,
                 int x, int y, int bw, int bh, int mvx, int mvy, int chroma, uint8_t *dst,
                 ptrdiff_t dst_stride)
{
    assert(pw >= 1 && ph >= 1);
    assert(bw >= 1 && bw <= CB_MC_MAX_BLOCK && bh >= 1 && bh <= CB_MC_MAX_BLOCK);
    const int taps = chroma ? CB_MC_CHROMA_TAPS : CB_MC_LUMA_TAPS;
    const int den = chroma ? 8 : 4;
    const int before = taps / 2 - 1, after = taps / 2;
    long long ix, iy;
    int fx, fy;
    split_mv(mvx, den, &ix, &fx);
    split_mv(mvy, den, &iy, &fy);
    /* Integer position of the top-left output sample.  Beyond these limits
     * every sample the block reads clamps to the same edge column (row), so
     * clamping the position changes nothing and keeps it small. */
    ix = clampll(ix + x, -(long long)(bw + after), (long long)pw - 1 + before);
    iy = clampll(iy + y, -(long long)(bh + after), (long long)ph - 1 + before);

    const uint8_t *src;
    ptrdiff_t ss;
    uint8_t emu[EMU_SIDE * EMU_SIDE];
    if (ix - before >= 0 && ix + bw - 1 + after < pw && iy - before >= 0 &&
        iy + bh - 1 + after < ph) {
        src = ref + (ptrdiff_t)iy * ref_stride + (ptrdiff_t)ix;
        ss = ref_stride;
    } else {
        /* Edge emulation: copy the area the filter reads with clamped
         * coordinates (H.265 8.5.3.3.3.1's Clip3(0, pic_width - 1, ..)). */
        const int ew = bw + taps - 1, eh = bh + taps - 1;
        for (int j = 0; j < eh; j++) {
            const ptrdiff_t sy = (ptrdiff_t)clampll(iy - before + j, 0, ph - 1);
            const uint8_t *row = ref + sy * ref_stride;
            for (int i = 0; i < ew; i++)
                emu[j * EMU_SIDE + i] = row[clampll(ix - before + i, 0, pw - 1)];
        }
        src = emu + before * EMU_SIDE + before;
        ss = EMU_SIDE;
    }
    (chroma ? dsp->put_chroma : dsp->put_luma)(dst, dst_stride, src, ss, bw, bh, fx, fy);
}

/* codecbench engine: motion compensation with sub-pel interpolation
 * (decoder path, integer only, identical in encoder and decoder).
 *
 * Luma vectors are in quarter samples; chroma (4:2:0) uses the same vector,
 * which is in eighth samples of the half-resolution chroma plane.  The
 * interpolation is H.265's for 8-bit samples: the 8-tap luma filters fL of
 * 8.5.3.3.3.1 and the 4-tap chroma filters fC of 8.5.3.3.3.2 (the same
 * values as the HM reference software's m_lumaFilter / m_chromaFilter),
 * separable, horizontal first, the
 * intermediate kept exact in 16 bits (shift1 = BitDepth - 8 = 0), then the
 * vertical pass and the default weighted prediction's rounding (8.5.3.3.4.2).
 * For 8-bit samples that cascade, ((v >> 6) + 32) >> 6 with v the 2-D sum,
 * equals floor((v + 2048) / 4096) exactly (floor(floor(a / b) / c) =
 * floor(a / (b c))), which is how the result is defined here:
 *
 *   pred = clip255(floor((sum_j fv[j] sum_i fh[i] ref[..] + 2048) / 4096))
 *
 * with fh = fv = {.., 64, ..} (the identity) for a zero fraction, which gives
 * H.265's integer-position and one-dimensional cases exactly too.
 * Reference samples outside the picture are the nearest edge sample
 * (coordinates clamped), so every vector is defined.
 */
#ifndef CODECBENCH_ENGINE_MC_H
#define CODECBENCH_ENGINE_MC_H

#include <stddef.h>
#include <stdint.h>

/** Largest block width or height of cb_mc_block(). */
#define CB_MC_MAX_BLOCK 16

/** Taps of the luma and chroma filters. */
#define CB_MC_LUMA_TAPS   8
#define CB_MC_CHROMA_TAPS 4

/** H.265 8.5.3.3.3.1, fL: luma filter per quarter-sample fraction 0..3 (row 0 is
 * the identity); tap k applies to the sample at offset k - 3.  Taps sum to
 * 64. */
extern const int8_t cb_mc_luma_filter[4][CB_MC_LUMA_TAPS];
/** H.265 8.5.3.3.3.2, fC: chroma filter per eighth-sample fraction 0..7 (row 0 is
 * the identity); tap k applies to the sample at offset k - 1.  Taps sum to
 * 64. */
extern const int8_t cb_mc_chroma_filter[8][CB_MC_CHROMA_TAPS];

/** One interpolation kernel: w x h samples (1..CB_MC_MAX_BLOCK each) into
 * dst from src, which points at the integer position of the top-left output
 * sample; fx, fy are the fractions (0..3 luma, 0..7 chroma).  The kernel may
 * read src rows and columns from -(taps/2 - 1) to (w or h) - 1 + taps/2. */
typedef void (*CbMcPutFn)(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src,
                          ptrdiff_t src_stride, int w, int h, int fx, int fy);

/** The kernels, filled by cb_mc_dsp_init(): the C reference first, replaced
 * by faster versions the flags allow; every version gives exactly the
 * reference's output. */
typedef struct CbMcDsp {
    CbMcPutFn put_luma;   /**< 8-tap, quarter-sample fractions */
    CbMcPutFn put_chroma; /**< 4-tap, eighth-sample fractions */
} CbMcDsp;

/** Flags of the engine's kernel tables (cb_mc_dsp_init(), cb_me_dsp_init()). */
enum {
    CB_PRED_DSP_REFERENCE = 1u << 0, /**< keep the C reference only (for tests) */
};

void cb_mc_dsp_init(CbMcDsp *dsp, unsigned flags);

/** The C reference kernels (the generic separable 2-D filter). */
void cb_mc_put_luma_ref(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src,
                        ptrdiff_t src_stride, int w, int h, int fx, int fy);
void cb_mc_put_chroma_ref(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src,
                          ptrdiff_t src_stride, int w, int h, int fx, int fy);

/** Predicts the bw x bh block (1..CB_MC_MAX_BLOCK each) at (x, y) of a
 * pw x ph plane (1..CB_FRAME_MAX_DIM each) into dst from the reference
 * plane ref (row stride ref_stride), displaced by (mvx, mvy): in quarter
 * samples when chroma is 0 (luma), in eighth samples when chroma is 1 (the
 * luma vector applied to a 4:2:0 chroma plane; x, y, pw, ph are then chroma
 * coordinates).  Sample (i, j) of the block predicts from position
 * (x + i + mvx / 4, y + j + mvy / 4) (/ 8 for chroma) of ref.
 *
 * Defined for every int x, y, mvx, mvy: reference coordinates are clamped to
 * the plane, only samples inside it are read, and no arithmetic overflows. */
void cb_mc_block(const CbMcDsp *dsp, const uint8_t *ref, ptrdiff_t ref_stride, int pw, int ph,
                 int x, int y, int bw, int bh, int mvx, int mvy, int chroma, uint8_t *dst,
                 ptrdiff_t dst_stride);

#endif

/* codecbench engine: motion estimation (encoder only).
 *
 * Integer arithmetic throughout, so the search is deterministic; it is not
 * part of the decoder's path and may change without changing the format.
 */
#ifndef CODECBENCH_ENGINE_ME_H
#define CODECBENCH_ENGINE_ME_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/engine.h"
#include "engine/mc.h"

/** A luma motion vector in quarter samples. */
typedef struct CbMv {
    int16_t x, y;
} CbMv;

/** Largest luma search range in full samples (engine.h: search_range). */
#define CB_ME_MAX_RANGE 256
/** Largest magnitude of a vector component cb_me_search() returns, in
 * quarter samples: integer stage within +-8190 samples, plus at most 3/4
 * sample of sub-sample refinement, fits int16_t. */
#define CB_ME_MAX_MV (4 * 8190 + 3)

/** Block distortion kernels: w x h blocks, w and h 1..16 for sad, multiples
 * of 4 up to 16 for satd. */
typedef uint32_t (*CbMeCostFn)(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs,
                               int w, int h);

/** The kernels of the search, filled by cb_me_dsp_init(): the C reference
 * first, replaced by faster versions the flags allow (CB_PRED_DSP_* of
 * mc.h); every version gives exactly the reference's result. */
typedef struct CbMeDsp {
    CbMcDsp mc;      /**< interpolation of the sub-sample stage */
    CbMeCostFn sad;  /**< sum of absolute differences */
    CbMeCostFn satd; /**< sum of absolute 4x4 Hadamard-transformed differences, halved */
} CbMeDsp;

void cb_me_dsp_init(CbMeDsp *dsp, unsigned flags);

/** The C references.  cb_satd_c() sums, over the 4x4 blocks, the absolute
 * values of H D H^T (H the 4x4 Hadamard matrix of +-1, D the difference
 * block) divided by 2 (rounded down per 4x4 block), as x264's
 * pixel_satd_4x4 does, so that it is on the scale of SAD. */
uint32_t cb_sad_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w, int h);
uint32_t cb_satd_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w, int h);

typedef struct CbMeParams {
    int range;             /**< integer search range in full samples, 0..CB_ME_MAX_RANGE */
    CbSearchMethod method; /**< full, small diamond, or hexagon then square refinement */
    CbSubpel subpel;       /**< stop at full, half or quarter samples */
    int lambda_q8;         /**< rate weight, 8 fractional bits, 0..(1 << 24) */
} CbMeParams;

/** Approximate bits of one vector-difference component d (quarter samples):
 * 2 floor(log2(|d| + 1)) + 1, the length of an Exp-Golomb code of |d|. */
int cb_me_mv_bits(int d);

/** Finds the vector of the bw x bh luma block (bw, bh multiples of 4 up to
 * 16) at (x, y) of cur (stride cs) in ref (stride rs), both pw x ph; the
 * block lies inside the picture.  A vector v predicts sample (i, j) from
 * position (x + i + v.x / 4, y + j + v.y / 4) of ref (cb_mc_block()).
 *
 * The search evaluates pred and the n_cands candidates (rounded to full
 * samples; the caller passes median, neighbours, zero, co-located), then
 * searches around the best of them: every vector within range (full), or a
 * pattern (small diamond, or hexagon then the 8 neighbours) walked while it
 * improves and kept within range of that centre.  Then, as subpel allows,
 * the 8 half-sample and then the 8 quarter-sample neighbours of the best.
 *
 * Cost = distortion + lambda * (cb_me_mv_bits(v.x - pred.x) +
 * cb_me_mv_bits(v.y - pred.y)), distortion SAD in the integer stage and
 * SATD in the sub-sample stage; ties keep the vector found first.  Integer
 * vectors also stay within 8190 samples and within bw + 4 (bh + 4) samples
 * outside the picture, beyond which every prediction is the same edge.
 *
 * Returns the best vector; *cost (if cost is not NULL) gets its cost, in
 * the metric of the last stage run (SAD when subpel is CB_SUBPEL_FULL,
 * SATD otherwise). */
CbMv cb_me_search(const CbMeDsp *dsp, const CbMeParams *p, const uint8_t *cur, ptrdiff_t cs,
                  const uint8_t *ref, ptrdiff_t rs, int pw, int ph, int x, int y, int bw, int bh,
                  const CbMv *cands, int n_cands, CbMv pred, uint32_t *cost);

#endif

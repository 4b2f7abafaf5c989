/* codecbench engine: the learned restoration filter (Wiener-like, after
 * VVC's adaptive loop filter).
 *
 * A point-symmetric 2-D FIR filter run on the deblocked reconstruction of a
 * plane, fitted per frame and plane by the encoder (ridge-regularised least
 * squares against the source) and switched on or off per square region by
 * rate-distortion cost.  The split:
 *   decoder path (integer, shared):  cb_restore_apply, cb_restore_check,
 *                                    cb_restore_derive_centre, cb_restore_regions
 *   encoder only (float + LAPACK):   cb_restore_fit, cb_restore_decide,
 *                                    cb_restore_coef_bits
 *
 * Bitstream semantics (normative for codecbench streams):
 *  - Shapes (offsets dy, dx; each coded coefficient k weights the sample at
 *    (+dy, +dx) and its mirror (-dy, -dx)); coefficient order as in VVC:
 *
 *      luma, 7x7 diamond (|dx|+|dy| <= 3),      chroma, 5x5 diamond (<= 2),
 *      13 taps, c12 the centre:                  7 taps, c6 the centre:
 *                   c0                                   c0
 *              c1   c2   c3                         c1   c2   c3
 *         c4   c5   c6   c7   c8               c4   c5   c6   c5   c4
 *    c9  c10  c11  c12  c11  c10   c9               c3   c2   c1
 *         c8   c7   c6   c5   c4                         c0
 *              c3   c2   c1
 *                   c0
 *
 *  - Fixed point with CB_RESTORE_SHIFT = 7 fractional bits (1.0 = 128).  Only
 *    the non-centre coefficients are coded, each in CB_RESTORE_COEF_MIN..
 *    CB_RESTORE_COEF_MAX (the parser checks); the centre is derived so that
 *    the taps sum to 128 (DC gain exactly 1, as in VVC):
 *        centre = 128 - 2 * sum(c[0 .. ntaps-2]).
 *  - Output sample = clip(0, 255, (sum_i c_i * n_i + 64) >> 7) with >> a
 *    floor division, which equals r + floor((sum_k c_k (a_k + b_k - 2r) + 64)
 *    / 128) for the centre sample r and the pair a_k, b_k of tap k.
 *  - Samples outside the plane are clamped (the nearest edge sample is
 *    repeated), the same padding motion compensation uses.
 *  - All samples read are those of the deblocked plane `src` (not of already
 *    restored neighbours), so regions do not interact and the order of
 *    processing is free.
 *  - Regions: squares of region_size samples of the plane (luma 32, 64 or
 *    128 from CbEngineSettings.restoration_region; chroma half of that), in
 *    raster order; the last column and row may be narrower.  A region whose
 *    flag is 0 is copied unchanged.
 */
#ifndef CB_ENGINE_RESTORE_H
#define CB_ENGINE_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"

/** Taps of the luma (7x7 diamond) and chroma (5x5 diamond) shapes,
 * counting the centre; the coded ones are one fewer. */
#define CB_RESTORE_LUMA_TAPS 13
#define CB_RESTORE_CHROMA_TAPS 7
/** Fractional bits of the coefficients, and the value of 1.0. */
#define CB_RESTORE_SHIFT 7
#define CB_RESTORE_ONE (1 << CB_RESTORE_SHIFT)
/** Range of every coded (non-centre) coefficient: that of VVC's ALF luma
 * coefficients, -2^7..2^7-1 (H.266 7.4.3.18), i.e. -1.0..0.992.  The
 * derived centre then lies in 128 - 2*12*127 .. 128 + 2*12*128 =
 * -2920..3200 (luma).  Any value in range is safe: the decoder's sums stay
 * far inside int32 (|sum| <= 12 * 128 * 510). */
#define CB_RESTORE_COEF_MIN (-128)
#define CB_RESTORE_COEF_MAX 127
/** Region sizes in luma samples the stream may signal. */
#define CB_RESTORE_REGION_LUMA_MIN 32
#define CB_RESTORE_REGION_LUMA_MAX 128

typedef struct CbRestoreFilter {
    int enabled; /**< frame-level flag: 0 means every region is copied */
    int ntaps;   /**< CB_RESTORE_LUMA_TAPS or CB_RESTORE_CHROMA_TAPS */
    /** coef[0 .. ntaps-2]: coded, CB_RESTORE_COEF_MIN..CB_RESTORE_COEF_MAX;
     * coef[ntaps-1]: the centre, always 128 - 2 * sum of the others
     * (cb_restore_derive_centre() sets it; cb_restore_check() verifies it). */
    int16_t coef[CB_RESTORE_LUMA_TAPS];
} CbRestoreFilter;

/** Sets *f to the enabled identity filter (centre 128, others 0) for the
 * luma (chroma == 0) or chroma shape. */
void cb_restore_identity(CbRestoreFilter *f, int chroma);

/** Sets f->coef[f->ntaps - 1] from the coded coefficients.  For the parser
 * after reading them; f->ntaps must be valid and the coded coefficients in
 * range (check with cb_restore_check() afterwards). */
void cb_restore_derive_centre(CbRestoreFilter *f);

/** 0 if f is a valid filter for the plane kind (ntaps matches, coded
 * coefficients in range, centre derived), else CB_EINVAL. */
int cb_restore_check(const CbRestoreFilter *f, int chroma);

/** Number of regions of region_size (>= 1) covering pw x ph (>= 1), and
 * the grid in *nx, *ny (either may be NULL); 0 for bad arguments. */
size_t cb_restore_regions(int pw, int ph, int region_size, int *nx, int *ny);

/** Decoder path: filters plane src (deblocked, pw x ph, 1..CB_FRAME_MAX_DIM
 * each) into dst on the regions whose flag is nonzero and copies the other
 * regions; when f->enabled is 0 the whole plane is copied.  region_on:
 * borrowed, cb_restore_regions() flags in raster order, or NULL for all on.
 * src and dst must not overlap.  Integer only; output clipped to 0..255.
 * Returns 0, or CB_EINVAL (dst untouched) for NULL pointers, bad sizes, a
 * region_size outside 1..CB_FRAME_MAX_DIM or an invalid filter
 * (cb_restore_check()). */
int cb_restore_apply(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int pw, int ph,
                     int chroma, const CbRestoreFilter *f, const uint8_t *region_on,
                     int region_size);

/** What a fit measured (encoder side; for decisions, logs and tests). */
typedef struct CbRestoreFitStats {
    /** Solution of the ridge system before quantisation, as multiples of
     * 1.0, in the order of CbRestoreFilter.coef (centre last, derived). */
    double coef_float[CB_RESTORE_LUMA_TAPS];
    double lambda;       /**< ridge term added to the diagonal (per-sample units) */
    int64_t samples;     /**< samples fitted over */
    double sse_rec;      /**< SSE of rec against orig over those samples */
    double sse_float;    /**< SSE the float filter would give, from the quadratic model (unrounded, unclipped) */
    double sse_quant;    /**< SSE of the quantised filter, measured by cb_restore_apply's arithmetic */
} CbRestoreFitStats;

/** Encoder: fits the filter minimising the SSE of restored rec against orig
 * (both pw x ph) over the samples of the regions flagged in region_on
 * (NULL: all samples; region_size as for cb_restore_apply), quantises it and
 * measures the quantised filter.
 *
 * Method: for every sample the features x_k = a_k + b_k - 2r (tap pairs
 * summed, centre folded in by the sum-to-one constraint) and the target
 * s - r are accumulated into E[x x^T] and E[x (s - r)] with cblas_dsyrk /
 * cblas_dgemv over batches of samples; the normal equations with ridge
 * lambda = 1e-3 * trace / n + 1e-3 on the diagonal are solved by
 * LAPACKE_dposv (Cholesky).  The ridge pulls weakly determined coefficients
 * to 0, i.e. towards the identity filter.  Coefficients are rounded,
 * clamped to the coded range and refined by +-1 steps on the quadratic
 * model.
 *
 * On success *f is an enabled, valid filter (cb_restore_check() passes) and
 * *stats (may be NULL) is filled.  Returns 0; CB_EINVAL for bad arguments,
 * no sample to fit, or a system that is singular even with the ridge (only
 * with non-finite input to LAPACK); CB_ENOMEM; CB_EEXTERNAL if LAPACK
 * rejects its arguments.  err (may be NULL) gets the reason. */
int cb_restore_fit(const uint8_t *orig, ptrdiff_t os, const uint8_t *rec, ptrdiff_t rs, int pw,
                   int ph, int chroma, const uint8_t *region_on, int region_size,
                   CbRestoreFilter *f, CbRestoreFitStats *stats, CbError *err);

/** Rate-distortion inputs of the region decision. */
typedef struct CbRestoreRd {
    double lambda;        /**< Lagrangian multiplier, SSE per bit, >= 0 */
    double flag_on_bits;  /**< estimated cost of a region flag 1, >= 0 */
    double flag_off_bits; /**< estimated cost of a region flag 0, >= 0 */
    double filter_bits;   /**< coefficient bits, paid once per frame if any region is on, >= 0 */
} CbRestoreRd;

/** Encoder: decides the region flags of one plane.  filt is rec restored on
 * every region (cb_restore_apply with region_on NULL).  A region is on when
 *     SSE(filt) + lambda * flag_on_bits < SSE(rec) + lambda * flag_off_bits.
 * Then the frame: if no region is on, or the regions' total cost plus
 * lambda * filter_bits is not below the SSE of rec with no flags sent at
 * all, every flag is cleared (the filter is off for the frame: set
 * CbRestoreFilter.enabled from the result).  region_on: owned by the caller,
 * cb_restore_regions() entries, all written.  *delta_cost (may be NULL):
 * cost with the decided flags minus cost with the filter off (0 when off).
 * Returns the number of regions on (>= 0) or CB_EINVAL for bad arguments. */
int cb_restore_decide(const uint8_t *orig, ptrdiff_t os, const uint8_t *rec, ptrdiff_t rs,
                      const uint8_t *filt, ptrdiff_t fs, int pw, int ph, int region_size,
                      const CbRestoreRd *rd, uint8_t *region_on, double *delta_cost);

/** Encoder: an estimate of the bits of f's coded coefficients, as signed
 * Exp-Golomb order 0 codes (what an entropy coder should beat). */
double cb_restore_coef_bits(const CbRestoreFilter *f);

#endif

/* codecbench: objective quality metrics and Bjontegaard deltas.
 *
 * Pure functions over planes; no I/O.
 *
 * PSNR: per plane, 10 log10(255^2 / MSE).  Identical planes (MSE 0) give
 * CB_PSNR_CAP_DB, never inf or NaN; every PSNR is capped there.  The cap
 * is reached early: one pixel off by one in a plane of N pixels gives
 * 10 log10(65025 N) dB, below 100 only for N < 153788 (480x320); a 1080p
 * plane with one such pixel reads 111 dB, so it is reported as 100.
 * PSNR-YUV is (6 PSNR-Y + PSNR-U + PSNR-V) / 8 (the JVET convention); note
 * that FFmpeg's psnr filter "average" weights planes by pixel count instead.
 * For a sequence both forms are given: the mean of per-frame PSNR, and the
 * PSNR of the mean MSE ("global").
 *
 * SSIM: computed as FFmpeg's ssim filter (and x264) compute it: 4x4 block
 * sums combined into overlapping 8x8 windows stepped by 4 pixels, no
 * Gaussian weighting, C1 = (0.01*255)^2 and C2 = (0.03*255)^2; the frame
 * value "all" weights the planes' SSIM by pixel count, as FFmpeg does.
 *
 * BD-rate / BD-PSNR: piecewise cubic Hermite interpolation (PCHIP, the
 * Fritsch-Carlson slopes of MATLAB's pchip and the JVET CTC spreadsheet) in
 * the log10-rate domain over the overlapping range, integrated exactly.
 */
#ifndef CODECBENCH_METRICS_H
#define CODECBENCH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/cpu.h"
#include "codecbench/error.h"
#include "codecbench/frame.h"

/** PSNR reported for identical planes, and the cap of every PSNR value. */
#define CB_PSNR_CAP_DB 100.0

/* ---- Kernels ------------------------------------------------------------- */

/** CPU features the kernels may use (cpu.h); tests pass 0 to get the C
 * reference.  The same as cb_cpu_flags(). */
unsigned cb_metrics_cpu_flags(void);

/** The metric kernels, filled by cb_metrics_dsp_init(): the C reference
 * first, replaced by faster versions the flags allow.  Every faster version
 * gives exactly the reference's result. */
typedef struct CbMetricsDsp {
    /** Sum of squared differences of w pixels. */
    uint64_t (*sse_line)(const uint8_t *a, const uint8_t *b, int w);
    /** For n 4x4 blocks side by side: sums[i] = {sum a, sum b, sum a^2 + b^2, sum a*b}. */
    void (*ssim_4x4_line)(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                          ptrdiff_t stride_b, int32_t (*sums)[4], int n);
    /** Sum over n 8x8 windows of their SSIM, window i made of blocks i, i+1 of
     * both rows of sums. */
    double (*ssim_end_line)(const int32_t (*sum0)[4], const int32_t (*sum1)[4], int n);
} CbMetricsDsp;

void cb_metrics_dsp_init(CbMetricsDsp *dsp, unsigned cpu_flags);

/* ---- Planes -------------------------------------------------------------- */

/** Sum of squared errors of two w x h planes. */
uint64_t cb_plane_sse(const CbMetricsDsp *dsp, const uint8_t *a, ptrdiff_t stride_a,
                      const uint8_t *b, ptrdiff_t stride_b, int w, int h);

/** PSNR in dB of a mean squared error of 8-bit samples, capped at CB_PSNR_CAP_DB. */
double cb_psnr_from_mse(double mse);

/** SSIM of two w x h planes; scratch must hold cb_ssim_scratch_size(w) bytes.
 * Only whole 4x4 blocks count (as in FFmpeg).  Planes under 8 pixels wide
 * or high have no window: their SSIM is the same formula over the whole
 * plane taken as one window of N = w * h pixels (constants C1 N and
 * C2 N (N - 1), N - 1 taken as 1 for a single pixel, computed in double),
 * 1.0 when identical, never NaN; scratch may then be NULL.  Windows are
 * computed in float and summed in double, as FFmpeg 5.1 does, so results
 * equal its ssim filter's to the last printed digit. */
double cb_plane_ssim(const CbMetricsDsp *dsp, const uint8_t *a, ptrdiff_t stride_a,
                     const uint8_t *b, ptrdiff_t stride_b, int w, int h, void *scratch);
size_t cb_ssim_scratch_size(int w);

/* ---- Frames and sequences ------------------------------------------------ */

typedef struct CbFrameMetrics {
    uint64_t sse[3];    /**< Y, U, V */
    double mse[3];
    double psnr[3];     /**< dB, capped */
    double psnr_yuv;    /**< (6Y + U + V) / 8 */
    double ssim[3];
    double ssim_all;    /**< planes weighted by pixel count (FFmpeg's "All") */
} CbFrameMetrics;

typedef struct CbMetricsCtx CbMetricsCtx;

/** A context for frames of one size: kernels and scratch memory. */
int cb_metrics_ctx_new(CbMetricsCtx **out, int width, int height, unsigned cpu_flags);
void cb_metrics_ctx_free(CbMetricsCtx **ctx);

/** Measures dist against ref; both must have the context's size (CB_EMISMATCH). */
int cb_metrics_frame(CbMetricsCtx *ctx, const CbFrame *ref, const CbFrame *dist,
                     CbFrameMetrics *out);

typedef struct CbSeqMetrics {
    int64_t frames;
    double psnr_mean[3];       /**< mean over frames of per-frame PSNR */
    double psnr_yuv_mean;      /**< (6Y + U + V) / 8 of psnr_mean */
    double psnr_global[3];     /**< PSNR of the mean MSE over frames */
    double psnr_yuv_global;    /**< (6Y + U + V) / 8 of psnr_global */
    double ssim_mean[3];       /**< mean over frames of per-frame SSIM */
    double ssim_all_mean;      /**< mean over frames of per-frame "all" SSIM */
    double psnr_y_min;         /**< worst frame's PSNR-Y */
    int64_t psnr_y_min_frame;  /**< its index among the frames added, from 0 */
} CbSeqMetrics;

/** Accumulates frames' metrics into sequence figures.  Sums (PSNR, SSIM and
 * MSE) are kept in long double, so order and count barely matter. */
typedef struct CbSeqAccum {
    int64_t frames;
    long double psnr_sum[3];
    long double ssim_sum[3];
    long double ssim_all_sum;
    long double mse_sum[3];
    double psnr_y_min;
    int64_t psnr_y_min_frame;
} CbSeqAccum;

void cb_seq_accum_init(CbSeqAccum *acc);
void cb_seq_accum_add(CbSeqAccum *acc, const CbFrameMetrics *fm);
/** Sequence figures; with no frames, out->frames is 0 and values are 0. */
void cb_seq_accum_result(const CbSeqAccum *acc, CbSeqMetrics *out);

/* ---- Bjontegaard deltas -------------------------------------------------- */

typedef struct CbRdPoint {
    double kbps;   /**< > 0 */
    double psnr;   /**< dB */
} CbRdPoint;

/** Fewest points a curve needs. */
#define CB_BD_MIN_POINTS 4
/** Most points a curve may have. */
#define CB_BD_MAX_POINTS 64
/** Below this fraction of the shorter curve's PSNR range, the overlap is
 * called small and a warning is raised (the numbers are still computed). */
#define CB_BD_SMALL_OVERLAP 0.5

typedef struct CbBdResult {
    double bd_rate_pct;      /**< mean rate difference of test vs anchor at equal PSNR, in % (negative: test saves bits) */
    double bd_psnr_db;       /**< mean PSNR difference at equal rate, in dB (positive: test is better) */
    double psnr_lo, psnr_hi; /**< overlapping PSNR range (dB) over which BD-rate was integrated */
    double kbps_lo, kbps_hi; /**< overlapping rate range over which BD-PSNR was integrated */
    double overlap_fraction; /**< PSNR overlap / the shorter curve's PSNR range, 0..1 */
    int small_overlap;       /**< overlap_fraction < CB_BD_SMALL_OVERLAP */
} CbBdResult;

/** Computes BD-rate and BD-PSNR of test against anchor.  Points may come in
 * any order.  Errors (err names which curve and why): CB_EINVAL for fewer
 * than CB_BD_MIN_POINTS or more than CB_BD_MAX_POINTS points, a
 * non-positive or non-finite rate or PSNR, equal rates, a curve whose PSNR
 * does not rise strictly with rate, or curves so extreme that the deltas
 * overflow; CB_ERANGE when the curves do not overlap in PSNR or in rate
 * (touching at one value is no overlap).  out is written only on success. */
int cb_bd_compute(const CbRdPoint *anchor, size_t n_anchor, const CbRdPoint *test,
                  size_t n_test, CbBdResult *out, CbError *err);

/** Parses a rate-distortion curve from CSV text: one "kbps,psnr" pair per
 * line, in any order; blank lines and lines starting with '#' are skipped,
 * and a first line that does not start with a number is taken as a header.
 * On success *points is a new array (free()) of *n points.  name (e.g. the
 * file name) prefixes error texts, which give the line number. */
int cb_rd_parse_csv(const char *text, size_t len, const char *name, CbRdPoint **points,
                    size_t *n, CbError *err);

#endif

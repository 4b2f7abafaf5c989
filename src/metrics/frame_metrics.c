/* codecbench metrics: per-frame figures and their sequence accumulation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/dsp.h"

struct CbMetricsCtx {
    int width, height;
    CbMetricsDsp dsp;
    void *scratch; /* cb_ssim_scratch_size(width) bytes, owned */
};

int cb_metrics_ctx_new(CbMetricsCtx **out, int width, int height, unsigned cpu_flags)
{
    if (!out)
        return CB_EINVAL;
    *out = NULL;
    if (width < 1 || height < 1 || width > CB_FRAME_MAX_DIM || height > CB_FRAME_MAX_DIM)
        return CB_EINVAL;
    CbMetricsCtx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return CB_ENOMEM;
    ctx->scratch = malloc(cb_ssim_scratch_size(width));
    if (!ctx->scratch) {
        free(ctx);
        return CB_ENOMEM;
    }
    ctx->width = width;
    ctx->height = height;
    cb_metrics_dsp_init(&ctx->dsp, cpu_flags);
    *out = ctx;
    return CB_OK;
}

void cb_metrics_ctx_free(CbMetricsCtx **ctx)
{
    if (!ctx || !*ctx)
        return;
    free((*ctx)->scratch);
    free(*ctx);
    *ctx = NULL;
}

static double psnr_yuv(const double psnr[3])
{
    return (6.0 * psnr[0] + psnr[1] + psnr[2]) / 8.0;
}

int cb_metrics_frame(CbMetricsCtx *ctx, const CbFrame *ref, const CbFrame *dist,
                     CbFrameMetrics *out)
{
    if (!ctx || !ref || !dist || !out)
        return CB_EINVAL;
    if (ref->width != ctx->width || ref->height != ctx->height ||
        dist->width != ctx->width || dist->height != ctx->height)
        return CB_EMISMATCH;
    for (int p = 0; p < 3; p++)
        if (!ref->data[p] || !dist->data[p])
            return CB_EINVAL;

    int64_t total = 0;
    for (int p = 0; p < 3; p++)
        total += (int64_t)cb_plane_width(ctx->width, p) * cb_plane_height(ctx->height, p);

    memset(out, 0, sizeof *out);
    for (int p = 0; p < 3; p++) {
        int w = cb_plane_width(ctx->width, p), h = cb_plane_height(ctx->height, p);
        out->sse[p] = cb_plane_sse(&ctx->dsp, ref->data[p], ref->stride[p], dist->data[p],
                                   dist->stride[p], w, h);
        out->mse[p] = (double)out->sse[p] / ((double)w * h);
        out->psnr[p] = cb_psnr_from_mse(out->mse[p]);
        out->ssim[p] = cb_plane_ssim(&ctx->dsp, ref->data[p], ref->stride[p], dist->data[p],
                                     dist->stride[p], w, h, ctx->scratch);
        /* FFmpeg keeps the plane weights as float (SSIMContext.coefs), and so
         * do we, so that "all" matches its output to the last bit. */
        float coef = (float)((double)w * h / (double)total);
        out->ssim_all += coef * out->ssim[p];
    }
    out->psnr_yuv = psnr_yuv(out->psnr);
    return CB_OK;
}

void cb_seq_accum_init(CbSeqAccum *acc)
{
    memset(acc, 0, sizeof *acc);
    acc->psnr_y_min = CB_PSNR_CAP_DB;
    acc->psnr_y_min_frame = -1;
}

void cb_seq_accum_add(CbSeqAccum *acc, const CbFrameMetrics *fm)
{
    for (int p = 0; p < 3; p++) {
        acc->psnr_sum[p] += fm->psnr[p];
        acc->ssim_sum[p] += fm->ssim[p];
        acc->mse_sum[p] += fm->mse[p];
    }
    acc->ssim_all_sum += fm->ssim_all;
    /* The first of equally bad frames is kept. */
    if (acc->psnr_y_min_frame < 0 || fm->psnr[0] < acc->psnr_y_min) {
        acc->psnr_y_min = fm->psnr[0];
        acc->psnr_y_min_frame = acc->frames;
    }
    acc->frames++;
}

void cb_seq_accum_result(const CbSeqAccum *acc, CbSeqMetrics *out)
{
    memset(out, 0, sizeof *out);
    if (acc->frames <= 0)
        return;
    long double n = (long double)acc->frames;
    out->frames = acc->frames;
    for (int p = 0; p < 3; p++) {
        out->psnr_mean[p] = (double)(acc->psnr_sum[p] / n);
        out->psnr_global[p] = cb_psnr_from_mse((double)(acc->mse_sum[p] / n));
        out->ssim_mean[p] = (double)(acc->ssim_sum[p] / n);
    }
    out->psnr_yuv_mean = psnr_yuv(out->psnr_mean);
    out->psnr_yuv_global = psnr_yuv(out->psnr_global);
    out->ssim_all_mean = (double)(acc->ssim_all_sum / n);
    out->psnr_y_min = acc->psnr_y_min;
    out->psnr_y_min_frame = acc->psnr_y_min_frame;
}

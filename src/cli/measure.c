/* codecbench: measuring a distorted video against its reference. */
#include "cli/measure.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "codecbench/frame.h"
#include "codecbench/media.h"

static void note_conversion(char *dst, size_t size, const CbMediaInfo *info)
{
    snprintf(dst, size, "%s", info->conversion ? info->conversion : "");
}

int measure_videos(const char *ref_path, const char *dist_path, const MeasureOptions *opts,
                   MeasureResult *out, CbError *err)
{
    CbMediaReader *ref = NULL, *dist = NULL;
    CbMetricsCtx *ctx = NULL;
    CbFrame fr = {0}, fd = {0};
    CbSeqAccum acc;
    CbMediaOptions mopts = {.logger = cli_logger()};
    int rc, complete = 0;

    memset(out, 0, sizeof *out);
    cb_seq_accum_init(&acc);
    if ((rc = cb_media_open(&ref, ref_path, &mopts, err)) < 0)
        goto fail;
    if ((rc = cb_media_open(&dist, dist_path, &mopts, err)) < 0)
        goto fail;
    const CbMediaInfo *ri = cb_media_info(ref), *di = cb_media_info(dist);
    if (ri->width != di->width || ri->height != di->height) {
        rc = cb_error_set(err, CB_EMISMATCH,
                          "%s is %dx%d but %s is %dx%d: a metric compares frames of one size",
                          ref_path, ri->width, ri->height, dist_path, di->width, di->height);
        goto fail;
    }
    out->width = ri->width;
    out->height = ri->height;
    out->fps_num = ri->fps_num;
    out->fps_den = ri->fps_den;
    note_conversion(out->ref_conversion, sizeof out->ref_conversion, ri);
    note_conversion(out->dist_conversion, sizeof out->dist_conversion, di);
    if (opts->start > 0) {
        if ((rc = cb_media_seek(ref, opts->start, err)) < 0 ||
            (rc = cb_media_seek(dist, opts->start, err)) < 0)
            goto fail;
    }
    if ((rc = cb_metrics_ctx_new(&ctx, ri->width, ri->height, cb_metrics_cpu_flags())) < 0) {
        cb_error_set(err, rc, "cannot set up metrics for %dx%d: %s", ri->width, ri->height,
                     cb_strerror(rc));
        goto fail;
    }
    for (int64_t n = 0; opts->max_frames < 0 || n < opts->max_frames; n++) {
        int gr = cb_media_read(ref, &fr, err);
        if (gr < 0) {
            rc = gr;
            goto fail;
        }
        int gd = cb_media_read(dist, &fd, err);
        if (gd < 0) {
            rc = gd;
            goto fail;
        }
        if (!gr || !gd) {
            if (gr == gd) {
                complete = 1;
                break;
            }
            if (!opts->shortest) {
                rc = cb_error_set(err, CB_EMISMATCH,
                                  "%s has more frames than %s (%lld measured); "
                                  "use --shortest to measure the common frames",
                                  gr ? ref_path : dist_path, gr ? dist_path : ref_path,
                                  (long long)n);
                goto fail;
            }
            out->ref_frames_left = gr;
            out->dist_frames_left = gd;
            break;
        }
        CbFrameMetrics fm;
        if ((rc = cb_metrics_frame(ctx, &fr, &fd, &fm)) < 0) {
            cb_error_set(err, rc, "frame %lld: %s", (long long)(opts->start + n),
                         cb_strerror(rc));
            goto fail;
        }
        cb_seq_accum_add(&acc, &fm);
        if (opts->on_frame)
            opts->on_frame(opts->opaque, opts->start + n, &fm);
    }
    cb_seq_accum_result(&acc, &out->seq);
    /* Re-read: stream_bytes grew while reading. */
    di = cb_media_info(dist);
    out->dist_stream_bytes = di->stream_bytes;
    out->dist_file_bytes = di->container_bytes;
    out->dist_kbps = -1;
    /* A rate only for a whole stream: read from its first frame to its end. */
    if (complete && opts->start == 0 && out->fps_num > 0 && out->fps_den > 0 &&
        out->seq.frames > 0) {
        double seconds = (double)out->seq.frames * out->fps_den / out->fps_num;
        out->dist_kbps = (double)out->dist_stream_bytes * 8.0 / seconds / 1000.0;
    }
    rc = CB_OK;
fail:
    cb_frame_free(&fr);
    cb_frame_free(&fd);
    cb_metrics_ctx_free(&ctx);
    cb_media_close(&ref);
    cb_media_close(&dist);
    return rc;
}

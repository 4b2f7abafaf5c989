/* codecbench: JSON documents the CLI prints. */
#include "cli/jsonout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "codecbench/sanitize.h"

json_t *cli_json_str(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char *clean = cb_sanitize_dup(s, 0);
    j = json_string(clean ? clean : "");
    free(clean);
    return j;
}

json_t *cli_json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *cli_json_conventions(void)
{
    return json_pack("{s:s, s:s, s:s, s:f, s:s, s:s}",
                     "psnr_yuv", "(6*Y + U + V) / 8 of per-plane PSNR (JVET)",
                     "psnr_sequence", "psnr_mean: mean of per-frame PSNR; psnr_global: PSNR of the mean MSE",
                     "psnr_identical", "capped", "psnr_cap_db", CB_PSNR_CAP_DB,
                     "ssim", "as FFmpeg's ssim filter: 8x8 windows stepped by 4 px, C1=(0.01*255)^2, C2=(0.03*255)^2; all = planes weighted by pixel count",
                     "bitrate", "bytes of the video stream's packets x 8 / (frames / frame rate of REF)");
}

static json_t *planes(const double v[3])
{
    return json_pack("{s:o, s:o, s:o}", "y", cli_json_num(v[0]), "u", cli_json_num(v[1]), "v",
                     cli_json_num(v[2]));
}

json_t *cli_json_frame_metrics(int64_t n, const CbFrameMetrics *fm)
{
    json_t *psnr = planes(fm->psnr);
    json_object_set_new(psnr, "yuv", cli_json_num(fm->psnr_yuv));
    json_t *ssim = planes(fm->ssim);
    json_object_set_new(ssim, "all", cli_json_num(fm->ssim_all));
    return json_pack("{s:I, s:o, s:o, s:o}", "n", (json_int_t)n, "psnr", psnr, "mse",
                     planes(fm->mse), "ssim", ssim);
}

json_t *cli_json_seq_metrics(const CbSeqMetrics *s)
{
    json_t *pm = planes(s->psnr_mean);
    json_object_set_new(pm, "yuv", cli_json_num(s->psnr_yuv_mean));
    json_t *pg = planes(s->psnr_global);
    json_object_set_new(pg, "yuv", cli_json_num(s->psnr_yuv_global));
    json_t *sm = planes(s->ssim_mean);
    json_object_set_new(sm, "all", cli_json_num(s->ssim_all_mean));
    return json_pack("{s:I, s:o, s:o, s:o, s:{s:I, s:o}}", "frames", (json_int_t)s->frames,
                     "psnr_mean", pm, "psnr_global", pg, "ssim_mean", sm, "worst_frame", "n",
                     (json_int_t)s->psnr_y_min_frame, "psnr_y", cli_json_num(s->psnr_y_min));
}

json_t *cli_json_measurement(const char *ref, const char *dist, const MeasureResult *r,
                             json_t *frames)
{
    json_t *stream = json_pack("{s:I, s:o}", "bytes", (json_int_t)r->dist_stream_bytes,
                               "kbps", r->dist_kbps >= 0 ? json_real(r->dist_kbps) : json_null());
    json_object_set_new(stream, "file_bytes",
                        r->dist_file_bytes >= 0 ? json_integer(r->dist_file_bytes) : json_null());
    json_t *doc = json_pack("{s:o, s:o, s:i, s:i, s:o, s:o, s:o}", "ref", cli_json_str(ref),
                            "dist", cli_json_str(dist), "width", r->width, "height", r->height,
                            "sequence", cli_json_seq_metrics(&r->seq), "dist_stream", stream,
                            "conventions", cli_json_conventions());
    if (r->fps_num > 0 && r->fps_den > 0)
        json_object_set_new(doc, "fps", json_pack("[i, i]", r->fps_num, r->fps_den));
    if (r->ref_conversion[0])
        json_object_set_new(doc, "ref_conversion", cli_json_str(r->ref_conversion));
    if (r->dist_conversion[0])
        json_object_set_new(doc, "dist_conversion", cli_json_str(r->dist_conversion));
    if (frames)
        json_object_set_new(doc, "frames", frames);
    return doc;
}

int cli_json_print(const json_t *doc)
{
    if (!doc) {
        cli_error("cannot build the JSON document (out of memory)");
        return CB_EXIT_FAIL;
    }
    if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10)) < 0) {
        cli_error("cannot write JSON to standard output");
        return CB_EXIT_FAIL;
    }
    fputc('\n', stdout);
    if (fflush(stdout) != 0) {
        cli_error("cannot write to standard output");
        return CB_EXIT_FAIL;
    }
    return CB_EXIT_OK;
}

/* codecbench: JSON documents the CLI prints (built with jansson). */
#ifndef CODECBENCH_CLI_JSONOUT_H
#define CODECBENCH_CLI_JSONOUT_H

#include <jansson.h>
#include <stdint.h>

#include "cli/measure.h"
#include "codecbench/metrics.h"

/* How the numbers are computed: printed under every metrics table. */
#define CLI_METRICS_CONVENTIONS                                                              \
    "PSNR per plane, capped at 100 dB (identical planes); PSNR-YUV = (6Y+U+V)/8 (JVET);\n" \
    "sequence PSNR both as the mean of per-frame PSNR and as the PSNR of the mean MSE;\n"  \
    "SSIM as FFmpeg's ssim filter computes it (8x8 windows stepped by 4, planes\n"          \
    "weighted by pixel count in All); kbps from the bytes of the video packets.\n"

/* New reference: a JSON string of s, or, when s is not valid UTF-8, of its
 * sanitised form. */
json_t *cli_json_str(const char *s);
/* New reference: a JSON number, or null when v is not finite. */
json_t *cli_json_num(double v);
/* New reference: {"conventions": ...} describing CLI_METRICS_CONVENTIONS. */
json_t *cli_json_conventions(void);
/* New reference: one frame's metrics. */
json_t *cli_json_frame_metrics(int64_t n, const CbFrameMetrics *fm);
/* New reference: sequence figures. */
json_t *cli_json_seq_metrics(const CbSeqMetrics *s);
/* New reference: the whole `metrics` document; steals frames (may be NULL). */
json_t *cli_json_measurement(const char *ref, const char *dist, const MeasureResult *r,
                             json_t *frames);
/* Prints doc (indented, ASCII only: safe on any terminal) and a newline on
 * stdout; returns an exit code. */
int cli_json_print(const json_t *doc);

#endif

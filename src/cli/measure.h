/* codecbench: measuring a distorted video against its reference, frame by
 * frame, on decoded frames.  Shared by `metrics` and `demo`. */
#ifndef CODECBENCH_CLI_MEASURE_H
#define CODECBENCH_CLI_MEASURE_H

#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/metrics.h"

typedef struct MeasureOptions {
    int64_t start;      /* first frame of both, from 0 */
    int64_t max_frames; /* < 0: all */
    int shortest;       /* stop at the shorter input instead of failing */
    /* Called for each frame measured (may be NULL). */
    void (*on_frame)(void *opaque, int64_t n, const CbFrameMetrics *fm);
    void *opaque;
} MeasureOptions;

typedef struct MeasureResult {
    CbSeqMetrics seq;
    int width, height;
    int fps_num, fps_den;      /* the reference's frame rate */
    int64_t dist_stream_bytes; /* payload bytes of the distorted video's packets read */
    int64_t dist_file_bytes;   /* size of the distorted file, -1 if unknown */
    double dist_kbps;          /* dist_stream_bytes * 8 / (frames / fps) / 1000 when the whole of
                                  both files was measured; else -1 */
    int64_t ref_frames_left;   /* with shortest: 1 when REF had more frames, else 0 */
    int64_t dist_frames_left;  /* with shortest: 1 when DIST had more frames, else 0 */
    char ref_conversion[160];  /* conversions FFmpeg applied, "" when none */
    char dist_conversion[160];
} MeasureResult;

/* Measures dist against ref.  Errors name the file and the reason: sizes
 * that differ (CB_EMISMATCH), frame counts that differ (CB_EMISMATCH unless
 * opts->shortest), unreadable or corrupt input. */
int measure_videos(const char *ref, const char *dist, const MeasureOptions *opts,
                   MeasureResult *out, CbError *err);

#endif

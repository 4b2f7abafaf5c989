/* codecbench: the result of a run, as verification writes it to
 * RUN_DIR/result.json and as the runner imports it into the store.
 *
 * result.json is written once, atomically (temporary name, fsync, rename),
 * by `codecbench verify RUN_DIR`, a process that reads only the stored
 * bitstreams, the source clip and the worker's per-frame digests.  Every
 * number in it was measured on frames decoded from the stored bitstream.
 *
 * Reading it back (cb_result_read) treats the file as hostile: it checks the
 * structure, that every value is finite and in range, that each rate point
 * has exactly `frames` per-frame rows, and that the sequence figures
 * recompute from the per-frame rows (within 1e-6 relative: they are printed
 * with 17 significant digits, so the only difference is summation order).
 *
 * The file (compact JSON, ASCII):
 *   {"format":1, "codec", "recipe_hash", "clip_id", "input", "first_frame", "frames",
 *    "width", "height", "fps_num", "fps_den", "codecbench_version", "ffmpeg_versions",
 *    "encoder_version", "machine", "provenance", "verify_wall_s",
 *    "points":[{"rate", "stream", "payload_bytes", "container_bytes", "frames", "kbps",
 *      "bpp", "psnr_mean":[Y,U,V], "psnr_yuv_mean", "psnr_global":[Y,U,V],
 *      "psnr_yuv_global", "ssim_mean", "encode_cpu_s", "encode_wall_s", "encode_fps",
 *      "decode_cpu_s", "decode_wall_s", "decode_fps", "concurrency", "peak_rss_kib",
 *      "rows_columns":["bits","type","psnr_y","psnr_u","psnr_v","mse_y","mse_u","mse_v","ssim"],
 *      "rows":[[bits, "I", psnr_y, ..., ssim], ...]}, ...]}
 * Keys are the struct fields' names (stream_file is "stream", rate_value
 * "rate"); one row per frame, in rows_columns' order.  cb_result_check also
 * requires that each row's PSNR is that of its MSE, that the rows' bits sum
 * to payload_bytes * 8, and that kbps, bpp and the fps figures recompute.
 */
#ifndef CODECBENCH_RESULT_H
#define CODECBENCH_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"

/** The version of result.json's layout this build writes and reads. */
#define CB_RESULT_FORMAT 1
/** Most rate points a run may have. */
#define CB_RESULT_MAX_POINTS 16
/** Most frames per rate point accepted when reading. */
#define CB_RESULT_MAX_FRAMES 1000000
/** Largest result.json accepted, bytes. */
#define CB_RESULT_MAX_BYTES (256 * 1024 * 1024)

/** One frame of one rate point, in presentation order. */
typedef struct CbFrameRow {
    int64_t bits;      /**< bits of the frame's packet(s) in the stream, in-band headers included */
    char type;         /**< 'I', 'P' or 'B' as the decoder reported it; '?' when it reported none */
    double psnr[3];    /**< Y, U, V in dB (100 dB cap for identical planes) */
    double mse[3];     /**< Y, U, V mean squared error; psnr[i] is cb_psnr_from_mse(mse[i]), and the
                            global PSNR is that of the mean of mse over frames */
    double ssim;       /**< SSIM of the frame, planes weighted by pixel count (FFmpeg's "All") */
} CbFrameRow;

/** One rate point: a QP (engine, or FFmpeg at fixed QP) or a CRF. */
typedef struct CbPointResult {
    int rate_value;            /**< the QP or CRF */
    char *stream_file;         /**< owned; the bitstream's name inside the run directory, e.g. "qp27.cbv" */
    int64_t payload_bytes;     /**< bytes of the coded stream with its in-band headers (what kbps counts) */
    int64_t container_bytes;   /**< bytes of the stored file (payload plus container framing) */
    int64_t frames;            /**< frames decoded; equal to the run's frames */
    double kbps;               /**< payload_bytes * 8 / (frames / fps) / 1000 */
    double bpp;                /**< payload_bytes * 8 / (frames * width * height) */
    double psnr_mean[3];       /**< mean over frames of per-frame PSNR, Y U V */
    double psnr_yuv_mean;      /**< (6Y + U + V) / 8 of psnr_mean */
    double psnr_global[3];     /**< PSNR of the mean MSE over frames */
    double psnr_yuv_global;    /**< (6Y + U + V) / 8 of psnr_global */
    double ssim_mean;          /**< mean over frames of the frames' SSIM */
    double encode_cpu_s;       /**< user + system CPU seconds of the encoder (worker) */
    double encode_wall_s;      /**< wall-clock seconds of the encoder */
    double encode_fps;         /**< frames / encode_wall_s */
    double decode_cpu_s;       /**< CPU seconds of the decoder (verification) */
    double decode_wall_s;
    double decode_fps;
    int concurrency;           /**< workers running on the machine when the point was encoded (the runner's figure), >= 1 */
    int64_t peak_rss_kib;      /**< peak resident memory of the worker process so far, KiB */
    CbFrameRow *rows;          /**< owned; `frames` rows */
} CbPointResult;

typedef struct CbRunResult {
    int format;                /**< CB_RESULT_FORMAT */
    char *codec;               /**< owned; "engine" or the FFmpeg encoder ("libx264", ...) */
    char *recipe_hash;         /**< owned; hex SHA-256 of the canonical recipe */
    char *clip_id;             /**< owned; hex clip identity of the frames encoded (cb_clip_identity) */
    char *input;               /**< owned; the input path as given */
    int64_t first_frame;       /**< first frame of the input encoded, from 0 */
    int64_t frames;            /**< frames encoded */
    int width, height;
    int fps_num, fps_den;      /**< the rate kbps is computed at (the input's; 25/1 when it states none) */
    char *codecbench_version;  /**< owned */
    char *ffmpeg_versions;     /**< owned; cb_media_ffmpeg_versions() */
    char *encoder_version;     /**< owned; "codecbench engine <version>" or the library's ("x264 core 164 ...") */
    char *machine;             /**< owned; host name, CPU model, cores */
    char *provenance;          /**< owned; how the numbers were computed, one paragraph */
    double verify_wall_s;      /**< wall seconds of the verification process */
    size_t n_points;           /**< 1..CB_RESULT_MAX_POINTS */
    CbPointResult *points;     /**< owned; in the recipe's order */
} CbRunResult;

/** Reads and checks path (a result.json).  On success fills *out (release
 * with cb_result_free) and returns 0.  Errors name the file, the JSON path
 * and the reason: CB_EIO, CB_EFORMAT (not JSON, wrong structure, a value
 * that is not finite or out of range, row counts that differ from frames,
 * sequence figures that do not recompute from the rows), CB_ENOTSUP (a
 * newer format), CB_ELIMIT, CB_ENOMEM.  *out is empty on failure. */
int cb_result_read(const char *path, CbRunResult *out, CbError *err);

/** Checks r as cb_result_read does (finite values, counts, recomputation). */
int cb_result_check(const CbRunResult *r, CbError *err);

/** Writes r to path atomically: path.tmp, fsync, rename, fsync of the
 * directory.  Errors: CB_EIO (with strerror; the temporary file is removed),
 * CB_ENOMEM, CB_EINVAL (r fails cb_result_check). */
int cb_result_write(const char *path, const CbRunResult *r, CbError *err);

/** Frees what r owns and zeroes it; r may be NULL or empty. */
void cb_result_free(CbRunResult *r);

#endif

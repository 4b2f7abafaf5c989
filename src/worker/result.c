/* codecbench: result.json, written by verification, read by the runner. */
#include "codecbench/result.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/frame.h"
#include "codecbench/metrics.h"
#include "worker/runfiles.h"

/* The columns of a per-frame row, in the order result.json stores them. */
static const char *const row_columns[] = {"bits",  "type",  "psnr_y", "psnr_u", "psnr_v",
                                          "mse_y", "mse_u", "mse_v",  "ssim"};
#define ROW_COLUMNS 9

/* Longest string member accepted (versions, machine, provenance, paths). */
#define STR_MAX 8192

/* ---- Checking -------------------------------------------------------------- */

/* a and b agree to 1e-6 relative (1e-9 absolute near zero): the figures are
 * stored with 17 significant digits, so only summation order differs. */
static int close_enough(double a, double b)
{
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= 1e-9 || d <= 1e-6 * m;
}

static int is_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* A file name inside the run directory: no '/', not "." or "..", printable. */
static int is_stream_name(const char *s)
{
    if (!s || !s[0] || s[0] == '.' || strlen(s) > 255)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p == '/' || *p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static int finite_in(double v, double lo, double hi) { return isfinite(v) && v >= lo && v <= hi; }

#define BAD(...) cb_error_set(err, CB_EFORMAT, __VA_ARGS__)

static int check_point(const CbRunResult *r, size_t i, CbError *err)
{
    const CbPointResult *p = &r->points[i];
    static const char *const plane[3] = {"y", "u", "v"};
    if (!is_stream_name(p->stream_file))
        return BAD("points[%zu].stream: not a file name inside the run directory", i);
    for (size_t k = 0; k < i; k++) {
        if (r->points[k].rate_value == p->rate_value)
            return BAD("points[%zu].rate: %d is also points[%zu]'s", i, p->rate_value, k);
        if (strcmp(r->points[k].stream_file, p->stream_file) == 0)
            return BAD("points[%zu].stream: also points[%zu]'s", i, k);
    }
    if (p->rate_value < 0 || p->rate_value > 255)
        return BAD("points[%zu].rate: %d is out of range 0..255", i, p->rate_value);
    if (p->frames != r->frames)
        return BAD("points[%zu]: %lld frames decoded, the run has %lld", i, (long long)p->frames,
                   (long long)r->frames);
    if (!p->rows)
        return BAD("points[%zu]: no per-frame rows", i);
    if (p->payload_bytes <= 0 || p->container_bytes < p->payload_bytes)
        return BAD("points[%zu]: payload_bytes %lld, container_bytes %lld (need 0 < payload <= "
                   "container)",
                   i, (long long)p->payload_bytes, (long long)p->container_bytes);
    if (p->concurrency < 1 || p->peak_rss_kib < 0)
        return BAD("points[%zu]: concurrency %d or peak_rss_kib %lld out of range", i,
                   p->concurrency, (long long)p->peak_rss_kib);
    const double times[] = {p->encode_cpu_s, p->encode_wall_s, p->encode_fps,
                            p->decode_cpu_s, p->decode_wall_s, p->decode_fps};
    static const char *const time_names[] = {"encode_cpu_s", "encode_wall_s", "encode_fps",
                                             "decode_cpu_s", "decode_wall_s", "decode_fps"};
    for (int k = 0; k < 6; k++)
        if (!finite_in(times[k], 0, 1e12))
            return BAD("points[%zu].%s: %g is not a finite value >= 0", i, time_names[k],
                       times[k]);

    long double psnr_sum[3] = {0}, mse_sum[3] = {0}, ssim_sum = 0;
    int64_t bits = 0;
    for (int64_t f = 0; f < p->frames; f++) {
        const CbFrameRow *row = &p->rows[f];
        if (row->bits < 0 || row->bits > INT64_MAX / 2 - bits)
            return BAD("points[%zu].rows[%lld]: bits %lld out of range", i, (long long)f,
                       (long long)row->bits);
        if (!strchr("IPB?", row->type) || row->type == '\0')
            return BAD("points[%zu].rows[%lld]: frame type '%c' is not I, P, B or ?", i,
                       (long long)f, row->type >= 0x20 && row->type < 0x7f ? row->type : '?');
        for (int c = 0; c < 3; c++) {
            if (!finite_in(row->psnr[c], 0, CB_PSNR_CAP_DB))
                return BAD("points[%zu].rows[%lld]: psnr_%s %g is not in 0..%g dB", i,
                           (long long)f, plane[c], row->psnr[c], CB_PSNR_CAP_DB);
            if (!finite_in(row->mse[c], 0, 65025.0))
                return BAD("points[%zu].rows[%lld]: mse_%s %g is not in 0..65025", i,
                           (long long)f, plane[c], row->mse[c]);
            if (!close_enough(row->psnr[c], cb_psnr_from_mse(row->mse[c])))
                return BAD("points[%zu].rows[%lld]: psnr_%s %.17g is not the PSNR of mse_%s "
                           "%.17g",
                           i, (long long)f, plane[c], row->psnr[c], plane[c], row->mse[c]);
            psnr_sum[c] += row->psnr[c];
            mse_sum[c] += row->mse[c];
        }
        if (!finite_in(row->ssim, -1, 1))
            return BAD("points[%zu].rows[%lld]: ssim %g is not in -1..1", i, (long long)f,
                       row->ssim);
        ssim_sum += row->ssim;
        bits += row->bits;
    }
    if (bits != p->payload_bytes * 8)
        return BAD("points[%zu]: the frames' bits sum to %lld, the payload is %lld bits", i,
                   (long long)bits, (long long)p->payload_bytes * 8);

    double n = (double)p->frames;
    for (int c = 0; c < 3; c++) {
        double mean = (double)(psnr_sum[c] / n);
        double global = cb_psnr_from_mse((double)(mse_sum[c] / n));
        if (!finite_in(p->psnr_mean[c], 0, CB_PSNR_CAP_DB) || !close_enough(p->psnr_mean[c], mean))
            return BAD("points[%zu].psnr_mean[%d]: %.17g does not recompute from the rows (%.17g)",
                       i, c, p->psnr_mean[c], mean);
        if (!finite_in(p->psnr_global[c], 0, CB_PSNR_CAP_DB) ||
            !close_enough(p->psnr_global[c], global))
            return BAD("points[%zu].psnr_global[%d]: %.17g does not recompute from the rows "
                       "(%.17g)",
                       i, c, p->psnr_global[c], global);
    }
    double yuv_mean = (6 * p->psnr_mean[0] + p->psnr_mean[1] + p->psnr_mean[2]) / 8;
    double yuv_global = (6 * p->psnr_global[0] + p->psnr_global[1] + p->psnr_global[2]) / 8;
    if (!close_enough(p->psnr_yuv_mean, yuv_mean))
        return BAD("points[%zu].psnr_yuv_mean: %.17g is not (6Y+U+V)/8 = %.17g", i,
                   p->psnr_yuv_mean, yuv_mean);
    if (!close_enough(p->psnr_yuv_global, yuv_global))
        return BAD("points[%zu].psnr_yuv_global: %.17g is not (6Y+U+V)/8 = %.17g", i,
                   p->psnr_yuv_global, yuv_global);
    double ssim_mean = (double)(ssim_sum / n);
    if (!finite_in(p->ssim_mean, -1, 1) || !close_enough(p->ssim_mean, ssim_mean))
        return BAD("points[%zu].ssim_mean: %.17g does not recompute from the rows (%.17g)", i,
                   p->ssim_mean, ssim_mean);
    double seconds = n * r->fps_den / r->fps_num;
    double kbps = (double)p->payload_bytes * 8 / seconds / 1000;
    double bpp = (double)p->payload_bytes * 8 / (n * r->width * r->height);
    if (!isfinite(p->kbps) || !close_enough(p->kbps, kbps))
        return BAD("points[%zu].kbps: %.17g is not payload_bytes * 8 / seconds / 1000 = %.17g", i,
                   p->kbps, kbps);
    if (!isfinite(p->bpp) || !close_enough(p->bpp, bpp))
        return BAD("points[%zu].bpp: %.17g is not payload bits per pixel = %.17g", i, p->bpp, bpp);
    double efps = p->encode_wall_s > 0 ? n / p->encode_wall_s : 0;
    double dfps = p->decode_wall_s > 0 ? n / p->decode_wall_s : 0;
    if (!close_enough(p->encode_fps, efps) || !close_enough(p->decode_fps, dfps))
        return BAD("points[%zu]: encode_fps %g / decode_fps %g are not frames / wall seconds "
                   "(%g / %g)",
                   i, p->encode_fps, p->decode_fps, efps, dfps);
    return CB_OK;
}

int cb_result_check(const CbRunResult *r, CbError *err)
{
    if (!r)
        return cb_error_set(err, CB_EINVAL, "no result");
    if (r->format != CB_RESULT_FORMAT)
        return BAD("format: %d, this build writes %d", r->format, CB_RESULT_FORMAT);
    const char *const strs[] = {r->codec,           r->input,           r->codecbench_version,
                                r->ffmpeg_versions, r->encoder_version, r->machine,
                                r->provenance};
    static const char *const str_names[] = {"codec",           "input",
                                            "codecbench_version", "ffmpeg_versions",
                                            "encoder_version", "machine",
                                            "provenance"};
    for (int k = 0; k < 7; k++)
        if (!strs[k] || !strs[k][0])
            return BAD("%s: missing or empty", str_names[k]);
    if (!is_hex64(r->recipe_hash))
        return BAD("recipe_hash: not 64 lower-case hex digits");
    if (!is_hex64(r->clip_id))
        return BAD("clip_id: not 64 lower-case hex digits");
    if (r->first_frame < 0 || r->frames < 1 || r->frames > CB_RESULT_MAX_FRAMES)
        return BAD("first_frame %lld / frames %lld out of range (frames 1..%d)",
                   (long long)r->first_frame, (long long)r->frames, CB_RESULT_MAX_FRAMES);
    if (r->width < 1 || r->width > CB_FRAME_MAX_DIM || r->height < 1 ||
        r->height > CB_FRAME_MAX_DIM)
        return BAD("size %dx%d out of range 1..%d", r->width, r->height, CB_FRAME_MAX_DIM);
    if (r->fps_num < 1 || r->fps_den < 1)
        return BAD("frame rate %d/%d: both must be positive", r->fps_num, r->fps_den);
    if (!finite_in(r->verify_wall_s, 0, 1e12))
        return BAD("verify_wall_s: %g is not a finite value >= 0", r->verify_wall_s);
    if (r->n_points < 1 || r->n_points > CB_RESULT_MAX_POINTS || !r->points)
        return BAD("points: %zu rate points (1..%d)", r->n_points, CB_RESULT_MAX_POINTS);
    for (size_t i = 0; i < r->n_points; i++) {
        int rc = check_point(r, i, err);
        if (rc < 0)
            return rc;
    }
    return CB_OK;
}

/* ---- Writing --------------------------------------------------------------- */

static json_t *reals3(const double v[3])
{
    return json_pack("[fff]", v[0], v[1], v[2]);
}

static json_t *point_json(const CbPointResult *p)
{
    json_t *rows = json_array(), *cols = json_array();
    if (!rows || !cols)
        goto fail;
    for (int c = 0; c < ROW_COLUMNS; c++)
        if (json_array_append_new(cols, json_string(row_columns[c])))
            goto fail;
    for (int64_t f = 0; f < p->frames; f++) {
        const CbFrameRow *w = &p->rows[f];
        char type[2] = {w->type, '\0'};
        json_t *row = json_pack("[Isfffffff]", (json_int_t)w->bits, type, w->psnr[0], w->psnr[1],
                                w->psnr[2], w->mse[0], w->mse[1], w->mse[2], w->ssim);
        if (!row || json_array_append_new(rows, row))
            goto fail;
    }
    json_t *o = json_pack(
        "{si ss sI sI sI sf sf so sf so sf sf sf sf sf sf sf sf si sI so so}", "rate",
        p->rate_value, "stream", p->stream_file, "payload_bytes", (json_int_t)p->payload_bytes,
        "container_bytes", (json_int_t)p->container_bytes, "frames", (json_int_t)p->frames,
        "kbps", p->kbps, "bpp", p->bpp, "psnr_mean", reals3(p->psnr_mean), "psnr_yuv_mean",
        p->psnr_yuv_mean, "psnr_global", reals3(p->psnr_global), "psnr_yuv_global",
        p->psnr_yuv_global, "ssim_mean", p->ssim_mean, "encode_cpu_s", p->encode_cpu_s,
        "encode_wall_s", p->encode_wall_s, "encode_fps", p->encode_fps, "decode_cpu_s",
        p->decode_cpu_s, "decode_wall_s", p->decode_wall_s, "decode_fps", p->decode_fps,
        "concurrency", p->concurrency, "peak_rss_kib", (json_int_t)p->peak_rss_kib,
        "rows_columns", cols, "rows", rows);
    return o; /* json_pack's "o" stole cols and rows, on failure too */
fail:
    json_decref(rows);
    json_decref(cols);
    return NULL;
}

int cb_result_write(const char *path, const CbRunResult *r, CbError *err)
{
    int rc = cb_result_check(r, err);
    if (rc < 0) {
        cb_error_prefix(err, "%s: refusing to write an invalid result", path);
        if (err)
            err->code = CB_EINVAL;
        return CB_EINVAL;
    }
    json_t *points = json_array();
    json_t *doc = NULL;
    if (!points)
        goto nomem;
    for (size_t i = 0; i < r->n_points; i++) {
        json_t *p = point_json(&r->points[i]);
        if (!p || json_array_append_new(points, p))
            goto nomem;
    }
    doc = json_pack("{si ss ss ss ss sI sI si si si si ss ss ss ss ss sf so}", "format",
                    r->format, "codec", r->codec, "recipe_hash", r->recipe_hash, "clip_id",
                    r->clip_id, "input", r->input, "first_frame", (json_int_t)r->first_frame,
                    "frames", (json_int_t)r->frames, "width", r->width, "height", r->height,
                    "fps_num", r->fps_num, "fps_den", r->fps_den, "codecbench_version",
                    r->codecbench_version, "ffmpeg_versions", r->ffmpeg_versions,
                    "encoder_version", r->encoder_version, "machine", r->machine, "provenance",
                    r->provenance, "verify_wall_s", r->verify_wall_s, "points", points);
    points = NULL; /* stolen by "o" */
    if (!doc)
        return cb_error_set(err, CB_EINVAL, "%s: a string of the result is not valid UTF-8 "
                                            "(or out of memory)",
                            path);
    rc = rf_write_json(path, doc, JSON_COMPACT, err);
    json_decref(doc);
    return rc;
nomem:
    json_decref(points);
    return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
}

/* ---- Reading --------------------------------------------------------------- */

typedef struct Rd {
    const char *file;
    CbError *err;
} Rd;

static int rd_bad(Rd *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rd_bad(Rd *rd, const char *fmt, ...)
{
    char text[CB_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return cb_error_set(rd->err, CB_EFORMAT, "%s: %s", rd->file, text);
}

static const json_t *member(Rd *rd, const json_t *o, const char *where, const char *key,
                            int (*is)(const json_t *), const char *what)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        rd_bad(rd, "%s%s: missing", where, key);
        return NULL;
    }
    if (!is(v)) {
        rd_bad(rd, "%s%s: not %s", where, key, what);
        return NULL;
    }
    return v;
}

static int is_int(const json_t *v) { return json_is_integer(v); }
static int is_num(const json_t *v) { return json_is_number(v); }
static int is_str(const json_t *v) { return json_is_string(v); }
static int is_arr(const json_t *v) { return json_is_array(v); }

static int get_i64(Rd *rd, const json_t *o, const char *where, const char *key, int64_t *out)
{
    const json_t *v = member(rd, o, where, key, is_int, "an integer");
    if (!v)
        return CB_EFORMAT;
    *out = json_integer_value(v);
    return CB_OK;
}

static int get_int(Rd *rd, const json_t *o, const char *where, const char *key, int *out)
{
    int64_t v;
    if (get_i64(rd, o, where, key, &v) < 0)
        return CB_EFORMAT;
    if (v < -2147483647 || v > 2147483647)
        return rd_bad(rd, "%s%s: %lld is out of range", where, key, (long long)v);
    *out = (int)v;
    return CB_OK;
}

static int get_num(Rd *rd, const json_t *o, const char *where, const char *key, double *out)
{
    const json_t *v = member(rd, o, where, key, is_num, "a number");
    if (!v)
        return CB_EFORMAT;
    *out = json_number_value(v);
    if (!isfinite(*out))
        return rd_bad(rd, "%s%s: not finite", where, key);
    return CB_OK;
}

static int get_str(Rd *rd, const json_t *o, const char *where, const char *key, char **out)
{
    const json_t *v = member(rd, o, where, key, is_str, "a string");
    if (!v)
        return CB_EFORMAT;
    size_t n = json_string_length(v);
    if (n > STR_MAX || strlen(json_string_value(v)) != n)
        return rd_bad(rd, "%s%s: longer than %d bytes or holds a NUL", where, key, STR_MAX);
    if (!(*out = strdup(json_string_value(v))))
        return cb_error_set(rd->err, CB_ENOMEM, "%s: out of memory", rd->file);
    return CB_OK;
}

static int get_reals3(Rd *rd, const json_t *o, const char *where, const char *key, double v[3])
{
    const json_t *a = member(rd, o, where, key, is_arr, "an array");
    if (!a)
        return CB_EFORMAT;
    if (json_array_size(a) != 3)
        return rd_bad(rd, "%s%s: needs 3 numbers (Y, U, V)", where, key);
    for (size_t i = 0; i < 3; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_number(x) || !isfinite(json_number_value(x)))
            return rd_bad(rd, "%s%s[%zu]: not a finite number", where, key, i);
        v[i] = json_number_value(x);
    }
    return CB_OK;
}

static int read_rows(Rd *rd, const json_t *o, const char *where, CbPointResult *p)
{
    const json_t *cols = member(rd, o, where, "rows_columns", is_arr, "an array");
    if (!cols)
        return CB_EFORMAT;
    if (json_array_size(cols) != ROW_COLUMNS)
        return rd_bad(rd, "%srows_columns: not the %d columns of this format", where, ROW_COLUMNS);
    for (size_t c = 0; c < ROW_COLUMNS; c++) {
        const char *s = json_string_value(json_array_get(cols, c));
        if (!s || strcmp(s, row_columns[c]) != 0)
            return rd_bad(rd, "%srows_columns[%zu]: not \"%s\"", where, c, row_columns[c]);
    }
    const json_t *rows = member(rd, o, where, "rows", is_arr, "an array");
    if (!rows)
        return CB_EFORMAT;
    size_t n = json_array_size(rows);
    if ((int64_t)n != p->frames)
        return rd_bad(rd, "%srows: %zu rows, frames is %lld", where, n, (long long)p->frames);
    p->rows = calloc(n ? n : 1, sizeof *p->rows);
    if (!p->rows)
        return cb_error_set(rd->err, CB_ENOMEM, "%s: out of memory", rd->file);
    for (size_t f = 0; f < n; f++) {
        const json_t *row = json_array_get(rows, f);
        if (!json_is_array(row) || json_array_size(row) != ROW_COLUMNS)
            return rd_bad(rd, "%srows[%zu]: not an array of %d values", where, f, ROW_COLUMNS);
        CbFrameRow *w = &p->rows[f];
        const json_t *b = json_array_get(row, 0), *t = json_array_get(row, 1);
        if (!json_is_integer(b))
            return rd_bad(rd, "%srows[%zu][0] (bits): not an integer", where, f);
        w->bits = json_integer_value(b);
        const char *ts = json_string_value(t);
        if (!ts || strlen(ts) != 1 || !strchr("IPB?", ts[0]))
            return rd_bad(rd, "%srows[%zu][1] (type): not \"I\", \"P\", \"B\" or \"?\"", where, f);
        w->type = ts[0];
        double v[7];
        for (size_t c = 2; c < ROW_COLUMNS; c++) {
            const json_t *x = json_array_get(row, c);
            if (!json_is_number(x) || !isfinite(json_number_value(x)))
                return rd_bad(rd, "%srows[%zu][%zu] (%s): not a finite number", where, f, c,
                              row_columns[c]);
            v[c - 2] = json_number_value(x);
        }
        memcpy(w->psnr, v, sizeof w->psnr);
        memcpy(w->mse, v + 3, sizeof w->mse);
        w->ssim = v[6];
    }
    return CB_OK;
}

static int read_point(Rd *rd, const json_t *o, size_t i, CbPointResult *p)
{
    char where[48];
    snprintf(where, sizeof where, "points[%zu].", i);
    if (!json_is_object(o))
        return rd_bad(rd, "points[%zu]: not an object", i);
    if (get_int(rd, o, where, "rate", &p->rate_value) < 0 ||
        get_str(rd, o, where, "stream", &p->stream_file) < 0 ||
        get_i64(rd, o, where, "payload_bytes", &p->payload_bytes) < 0 ||
        get_i64(rd, o, where, "container_bytes", &p->container_bytes) < 0 ||
        get_i64(rd, o, where, "frames", &p->frames) < 0 ||
        get_num(rd, o, where, "kbps", &p->kbps) < 0 || get_num(rd, o, where, "bpp", &p->bpp) < 0 ||
        get_reals3(rd, o, where, "psnr_mean", p->psnr_mean) < 0 ||
        get_num(rd, o, where, "psnr_yuv_mean", &p->psnr_yuv_mean) < 0 ||
        get_reals3(rd, o, where, "psnr_global", p->psnr_global) < 0 ||
        get_num(rd, o, where, "psnr_yuv_global", &p->psnr_yuv_global) < 0 ||
        get_num(rd, o, where, "ssim_mean", &p->ssim_mean) < 0 ||
        get_num(rd, o, where, "encode_cpu_s", &p->encode_cpu_s) < 0 ||
        get_num(rd, o, where, "encode_wall_s", &p->encode_wall_s) < 0 ||
        get_num(rd, o, where, "encode_fps", &p->encode_fps) < 0 ||
        get_num(rd, o, where, "decode_cpu_s", &p->decode_cpu_s) < 0 ||
        get_num(rd, o, where, "decode_wall_s", &p->decode_wall_s) < 0 ||
        get_num(rd, o, where, "decode_fps", &p->decode_fps) < 0 ||
        get_int(rd, o, where, "concurrency", &p->concurrency) < 0 ||
        get_i64(rd, o, where, "peak_rss_kib", &p->peak_rss_kib) < 0)
        return rd->err ? rd->err->code : CB_EFORMAT;
    if (p->frames < 1 || p->frames > CB_RESULT_MAX_FRAMES)
        return rd_bad(rd, "%sframes: %lld is out of range 1..%d", where, (long long)p->frames,
                      CB_RESULT_MAX_FRAMES);
    return read_rows(rd, o, where, p);
}

int cb_result_read(const char *path, CbRunResult *out, CbError *err)
{
    memset(out, 0, sizeof *out);
    Rd rd = {.file = path, .err = err};
    json_t *j = NULL;
    int rc = cb_json_read_object(path, CB_RESULT_MAX_BYTES, &j, err);
    if (rc < 0)
        return rc;
    int64_t format;
    if (get_i64(&rd, j, "", "format", &format) < 0) {
        rc = CB_EFORMAT;
        goto fail;
    }
    if (format > CB_RESULT_FORMAT) {
        rc = cb_error_set(err, CB_ENOTSUP, "%s: format %lld is newer than this build reads (%d)",
                          path, (long long)format, CB_RESULT_FORMAT);
        goto fail;
    }
    if (format < 1) {
        rc = rd_bad(&rd, "format: %lld is not a format", (long long)format);
        goto fail;
    }
    out->format = (int)format;
    if (get_str(&rd, j, "", "codec", &out->codec) < 0 ||
        get_str(&rd, j, "", "recipe_hash", &out->recipe_hash) < 0 ||
        get_str(&rd, j, "", "clip_id", &out->clip_id) < 0 ||
        get_str(&rd, j, "", "input", &out->input) < 0 ||
        get_i64(&rd, j, "", "first_frame", &out->first_frame) < 0 ||
        get_i64(&rd, j, "", "frames", &out->frames) < 0 ||
        get_int(&rd, j, "", "width", &out->width) < 0 ||
        get_int(&rd, j, "", "height", &out->height) < 0 ||
        get_int(&rd, j, "", "fps_num", &out->fps_num) < 0 ||
        get_int(&rd, j, "", "fps_den", &out->fps_den) < 0 ||
        get_str(&rd, j, "", "codecbench_version", &out->codecbench_version) < 0 ||
        get_str(&rd, j, "", "ffmpeg_versions", &out->ffmpeg_versions) < 0 ||
        get_str(&rd, j, "", "encoder_version", &out->encoder_version) < 0 ||
        get_str(&rd, j, "", "machine", &out->machine) < 0 ||
        get_str(&rd, j, "", "provenance", &out->provenance) < 0 ||
        get_num(&rd, j, "", "verify_wall_s", &out->verify_wall_s) < 0) {
        rc = err ? err->code : CB_EFORMAT;
        goto fail;
    }
    if (out->frames < 1 || out->frames > CB_RESULT_MAX_FRAMES) {
        rc = rd_bad(&rd, "frames: %lld is out of range 1..%d", (long long)out->frames,
                    CB_RESULT_MAX_FRAMES);
        goto fail;
    }
    const json_t *pts = member(&rd, j, "", "points", is_arr, "an array");
    if (!pts) {
        rc = CB_EFORMAT;
        goto fail;
    }
    size_t n = json_array_size(pts);
    if (n < 1 || n > CB_RESULT_MAX_POINTS) {
        rc = rd_bad(&rd, "points: %zu rate points (1..%d)", n, CB_RESULT_MAX_POINTS);
        goto fail;
    }
    out->points = calloc(n, sizeof *out->points);
    if (!out->points) {
        rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    out->n_points = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = read_point(&rd, json_array_get(pts, i), i, &out->points[i])) < 0)
            goto fail;
    if ((rc = cb_result_check(out, err)) < 0) {
        cb_error_prefix(err, "%s", path);
        goto fail;
    }
    json_decref(j);
    return CB_OK;
fail:
    json_decref(j);
    cb_result_free(out);
    return rc;
}

void cb_result_free(CbRunResult *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->points && i < r->n_points; i++) {
        free(r->points[i].stream_file);
        free(r->points[i].rows);
    }
    free(r->points);
    free(r->codec);
    free(r->recipe_hash);
    free(r->clip_id);
    free(r->input);
    free(r->codecbench_version);
    free(r->ffmpeg_versions);
    free(r->encoder_version);
    free(r->machine);
    free(r->provenance);
    memset(r, 0, sizeof *r);
}

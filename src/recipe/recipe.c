/* codecbench: recipes: JSON <-> engine settings, canonical form, hash,
 * JSON Schema.  Everything about the engine's fields comes from its table
 * (cb_engine_fields); nothing here names a setting. */
#include "codecbench/recipe.h"

#include <jansson.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The codecs a recipe may name: the engine, or an FFmpeg encoder (a
 * baseline); the index is the CbCodecKind. */
static const char *const codec_names[] = {"engine", "ffmpeg", NULL};
static const char *const top_keys[] = {"name", "codec", "settings", "stage", "note", NULL};
static const char *const stage_keys[] = {"kind", "code", NULL};

/* Bytes of data (keys, strings) quoted in an error message; the rest is cut. */
#define QUOTE_MAX 64

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value of unknown type";
}

/* "a, b, c" from a NULL-terminated list, into buf (cut when too long). */
static const char *join(const char *const *names, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] && len < size; i++) {
        int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    return buf;
}

static int in_list(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

/* Sets key to a new value in o; a NULL value (no memory) marks o as failed
 * by dropping it.  Returns o, or NULL once anything failed. */
static json_t *put(json_t *o, const char *key, json_t *value)
{
    if (!o || !value) {
        json_decref(o);
        json_decref(value);
        return NULL;
    }
    /* json_object_set_new releases value when it fails. */
    if (json_object_set_new(o, key, value) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *names_array(const char *const *names)
{
    json_t *a = json_array();
    for (int i = 0; a && names[i]; i++)
        if (json_array_append_new(a, json_string(names[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Fails on nesting deeper than CB_RECIPE_MAX_DEPTH before jansson sees the
 * text, so that a bracket bomb costs a linear scan and no allocation.
 * Brackets inside strings do not count; malformed text is left to jansson. */
static int check_depth(const char *text, size_t len, CbError *err)
{
    int depth = 0, in_string = 0, escaped = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > CB_RECIPE_MAX_DEPTH)
                return cb_error_set(err, CB_ELIMIT,
                                    "byte %zu: nesting deeper than %d levels (a recipe needs 3)", i,
                                    CB_RECIPE_MAX_DEPTH);
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return CB_OK;
}

static void store_int(CbEngineSettings *s, size_t offset, int v)
{
    memcpy((char *)s + offset, &v, sizeof v);
}

static int load_int(const CbEngineSettings *s, size_t offset)
{
    int v;
    memcpy(&v, (const char *)s + offset, sizeof v);
    return v;
}

/* One integer of row f (INT, CHOICE, or an INT_LIST element); err's text
 * does not name the field. */
static int read_int(const CbField *f, const json_t *v, int *out, CbError *err)
{
    if (!json_is_integer(v)) {
        if (f->type == CB_FIELD_CHOICE) {
            char allowed[160];
            cb_engine_field_allowed(f, allowed, sizeof allowed);
            return cb_error_set(err, CB_EINVAL, "expected one of %s (an integer), got %s", allowed,
                                type_name(v));
        }
        return cb_error_set(err, CB_EINVAL, "expected an integer %d..%d, got %s", f->min, f->max,
                            type_name(v));
    }
    json_int_t x = json_integer_value(v);
    int rc = cb_engine_field_check_value(f, (long long)x, err);
    if (rc < 0)
        return rc;
    /* Every allowed value of the table is an int. */
    *out = (int)x;
    return CB_OK;
}

/* An INT_LIST; err's text starts with the whole path ("settings.qps[2]"). */
static int read_list(const CbField *f, const json_t *v, CbEngineSettings *s, CbError *err)
{
    char allowed[160];
    cb_engine_field_allowed(f, allowed, sizeof allowed);
    if (!json_is_array(v))
        return cb_error_set(err, CB_EINVAL, "settings.%s: expected an array of %s, got %s", f->name,
                            allowed, type_name(v));
    size_t n = json_array_size(v);
    if (n < 1 || n > (size_t)f->max_items)
        return cb_error_set(err, CB_EINVAL, "settings.%s: %zu values; allowed: %s", f->name, n,
                            allowed);
    int *dst = (int *)(void *)((char *)s + f->offset);
    for (size_t i = 0; i < n; i++) {
        int x;
        if (read_int(f, json_array_get(v, i), &x, err) < 0) {
            /* err may be NULL: cb_error_prefix then returns CB_OK. */
            cb_error_prefix(err, "settings.%s[%zu]", f->name, i);
            return CB_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (dst[j] == x)
                return cb_error_set(
                    err, CB_EINVAL,
                    "settings.%s[%zu]: %d is listed twice (also at [%zu]); allowed: %s", f->name, i,
                    x, j, allowed);
        dst[i] = x;
    }
    store_int(s, f->count_offset, (int)n);
    return CB_OK;
}

/* A scalar field; err's text does not name the field. */
static int read_field(const CbField *f, const json_t *v, CbEngineSettings *s, CbError *err)
{
    char allowed[160];
    int x;
    switch (f->type) {
    case CB_FIELD_INT:
    case CB_FIELD_CHOICE:
        if (read_int(f, v, &x, err) < 0)
            return CB_EINVAL;
        store_int(s, f->offset, x);
        return CB_OK;
    case CB_FIELD_BOOL:
        if (!json_is_boolean(v))
            return cb_error_set(err, CB_EINVAL, "expected true or false, got %s", type_name(v));
        store_int(s, f->offset, json_is_true(v));
        return CB_OK;
    case CB_FIELD_ENUM:
        cb_engine_field_allowed(f, allowed, sizeof allowed);
        if (!json_is_string(v))
            return cb_error_set(err, CB_EINVAL, "expected one of %s (a string), got %s", allowed,
                                type_name(v));
        if ((x = in_list(f->names, json_string_value(v))) < 0)
            return cb_error_set(err, CB_EINVAL, "\"%.*s\" is not one of %s", QUOTE_MAX,
                                json_string_value(v), allowed);
        store_int(s, f->offset, x);
        return CB_OK;
    case CB_FIELD_INT_LIST: break; /* read_list, which names the elements */
    }
    return cb_error_set(err, CB_EINVAL, "unknown field type %d", (int)f->type);
}

static int read_settings(const json_t *obj, CbEngineSettings *s, CbError *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return cb_error_set(err, CB_EINVAL, "settings: expected an object, got %s", type_name(obj));
    json_object_foreach((json_t *)obj, key, v)
    {
        const CbField *f = cb_engine_field_find(key);
        if (!f) {
            size_t n_fields;
            const CbField *fields = cb_engine_fields(&n_fields);
            char names[512];
            size_t len = 0;
            names[0] = '\0';
            for (size_t i = 0; i < n_fields && len < sizeof names; i++) {
                int n = snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                 fields[i].name);
                if (n < 0)
                    break;
                len += (size_t)n;
            }
            return cb_error_set(err, CB_EINVAL, "settings.%.*s: unknown key; allowed: %s",
                                QUOTE_MAX, key, names);
        }
        if (f->type == CB_FIELD_INT_LIST) {
            if (read_list(f, v, s, err) < 0)
                return CB_EINVAL;
        } else if (read_field(f, v, s, err) < 0) {
            cb_error_prefix(err, "settings.%s", f->name);
            return CB_EINVAL;
        }
    }
    /* A safety net: what the reader accepted, the engine must accept. */
    if (cb_engine_settings_check(s, err) < 0) {
        cb_error_prefix(err, "settings");
        return CB_EINVAL;
    }
    return CB_OK;
}

/* ---- baseline recipes ("codec": "ffmpeg") -------------------------------- */

/* What each FFmpeg encoder accepts, as its libavcodec wrapper and library
 * define it (FFmpeg 5.1; `ffmpeg -h encoder=NAME`):
 * - x264 and x265: named presets and tunes (x264 --fullhelp, x265 --help);
 *   QP 0..69 for x264 (QP_MAX_SPEC of 8-bit H.264 is 51, x264 accepts up
 *   to 69 = 51 + 18 for its own scale), 0..51 for x265; CRF 0..51 both;
 * - libvpx-vp9 and libaom-av1: the "preset" is their cpu-used speed, 0
 *   (slowest) .. 8 (FFmpeg's range for libaom; libvpx's negative values are
 *   the same speeds), tune psnr or ssim; quantiser 0..63 on both scales;
 * - libsvtav1: numeric presets 0..13 (SVT-AV1 1.x), no tune through
 *   FFmpeg; QP and CRF 1..63 (0 is not a valid SVT-AV1 quantiser);
 * - mpeg4: no preset or tune; qscale 1..31 (MPEG-4 part 2's quantiser); no
 *   CRF mode.
 * B frames: x264, x265, mpeg4 take 0..16 (-1: the encoder's default); the
 * VP9 and AV1 encoders have none (their hidden alt-ref frames are not B
 * frames), so only -1. */
static const char *const baseline_keys[] = {"encoder", "preset",  "tune",    "rate_control",
                                            "points",  "gop",     "bframes", "options", NULL};
static const char *const rc_names[] = {"qp", "crf", NULL};
static const char *const x26x_presets[] = {"ultrafast", "superfast", "veryfast", "faster",
                                           "fast",      "medium",    "slow",     "slower",
                                           "veryslow",  "placebo",   NULL};
static const char *const x264_tunes[] = {"film", "animation",  "grain",       "stillimage",
                                         "psnr", "ssim",       "fastdecode", "zerolatency",
                                         NULL};
static const char *const x265_tunes[] = {"psnr",       "ssim",      "grain", "zerolatency",
                                         "fastdecode", "animation", NULL};
static const char *const metric_tunes[] = {"psnr", "ssim", NULL};

typedef struct BaselineRow {
    const char *encoder;
    const char *const *presets; /* named presets; NULL: numeric or none */
    int preset_min, preset_max; /* numeric presets ("0".."8"); max < 0: none */
    const char *preset_doc;
    const char *const *tunes;   /* NULL: no tune */
    int qp_min, qp_max;
    int crf_min, crf_max;       /* crf_max < 0: no CRF mode */
    int bframes;                /* 1: B frames 0..CB_BASELINE_MAX_BFRAMES; 0: none (-1 only) */
} BaselineRow;

#define CB_BASELINE_MAX_BFRAMES 16
#define CB_BASELINE_MAX_GOP 600

static const BaselineRow baseline_rows[] = {
    {"libx264", x26x_presets, 0, -1, "x264's preset", x264_tunes, 0, 69, 0, 51, 1},
    {"libx265", x26x_presets, 0, -1, "x265's preset", x265_tunes, 0, 51, 0, 51, 1},
    {"libvpx-vp9", NULL, 0, 8, "libvpx's cpu-used speed", metric_tunes, 0, 63, 0, 63, 0},
    {"libaom-av1", NULL, 0, 8, "libaom's cpu-used speed", metric_tunes, 0, 63, 0, 63, 0},
    {"libsvtav1", NULL, 0, 13, "SVT-AV1's preset", NULL, 1, 63, 1, 63, 0},
    {"mpeg4", NULL, 0, -1, "none", NULL, 1, 31, 0, -1, 1},
};
#define N_BASELINE_ROWS (sizeof baseline_rows / sizeof baseline_rows[0])

/* Options codecbench sets itself from the recipe's fields, or fixes. */
static const char *const reserved_options[] = {
    "threads", "thread_type", "qp",   "crf",  "preset", "tune", "cpu-used",      "g",
    "bf",      "b",           "qmin", "qmax", "q",      "qscale", "global_quality", "flags",
    "pix_fmt", "s",           "r",    "time_base", "framerate", "keyint_min",  NULL};

static const BaselineRow *baseline_row(const char *encoder)
{
    for (size_t i = 0; i < N_BASELINE_ROWS; i++)
        if (!strcmp(baseline_rows[i].encoder, encoder))
            return &baseline_rows[i];
    return NULL;
}

static const char *encoder_list(char *buf, size_t size)
{
    const char *names[N_BASELINE_ROWS + 1];
    for (size_t i = 0; i < N_BASELINE_ROWS; i++)
        names[i] = baseline_rows[i].encoder;
    names[N_BASELINE_ROWS] = NULL;
    return join(names, buf, size);
}

/* The allowed presets of row as text: "ultrafast, ..., placebo" or
 * "\"0\"..\"8\"" or "none"; always with "" (the encoder's default). */
static const char *preset_allowed(const BaselineRow *row, char *buf, size_t size)
{
    char list[200];
    if (row->presets)
        snprintf(buf, size, "\"\" (default) or %s", join(row->presets, list, sizeof list));
    else if (row->preset_max >= 0)
        snprintf(buf, size, "\"\" (default) or \"%d\"..\"%d\" (%s)", row->preset_min,
                 row->preset_max, row->preset_doc);
    else
        snprintf(buf, size, "\"\" only (%s has no presets)", row->encoder);
    return buf;
}

static const char *tune_allowed(const BaselineRow *row, char *buf, size_t size)
{
    char list[200];
    if (row->tunes)
        snprintf(buf, size, "\"\" (none) or %s", join(row->tunes, list, sizeof list));
    else
        snprintf(buf, size, "\"\" only (%s has no tune)", row->encoder);
    return buf;
}

/* A decimal "0".."99" without sign or leading zeros, in min..max. */
static int numeric_preset(const char *s, int min, int max)
{
    size_t n = strlen(s);
    if (n < 1 || n > 2 || (n == 2 && s[0] == '0'))
        return 0;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v >= min && v <= max;
}

static int option_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '-';
}

/* Values may also hold '=' (x265-params and svtav1-params are
 * "key=value:key=value"). */
static int option_value_char(char c)
{
    return option_key_char(c) || c == '=';
}

/* The first byte of s not allowed by ok, or -1. */
static long bad_char(const char *s, int (*ok)(char))
{
    for (size_t i = 0; s[i]; i++)
        if (!ok(s[i]))
            return (long)i;
    return -1;
}

static int point_range(const BaselineRow *row, CbRateControl rc, int *min, int *max)
{
    if (rc == CB_RC_CRF) {
        *min = row->crf_min;
        *max = row->crf_max;
        return row->crf_max >= 0;
    }
    *min = row->qp_min;
    *max = row->qp_max;
    return 1;
}

int cb_recipe_baseline_check(const CbBaselineSettings *s, CbError *err)
{
    char allowed[400];
    if (!s)
        return cb_error_set(err, CB_EINVAL, "settings: none");
    if (!memchr(s->encoder, '\0', sizeof s->encoder) || !memchr(s->preset, '\0', sizeof s->preset) ||
        !memchr(s->tune, '\0', sizeof s->tune))
        return cb_error_set(err, CB_EINVAL, "settings: a text field is not terminated");
    const BaselineRow *row = baseline_row(s->encoder);
    if (!row)
        return cb_error_set(err, CB_EINVAL, "settings.encoder: \"%.*s\" is not one of %s",
                            QUOTE_MAX, s->encoder, encoder_list(allowed, sizeof allowed));
    if (s->preset[0] &&
        !(row->presets ? in_list(row->presets, s->preset) >= 0
                       : row->preset_max >= 0 &&
                             numeric_preset(s->preset, row->preset_min, row->preset_max)))
        return cb_error_set(err, CB_EINVAL, "settings.preset: \"%s\" is not a preset of %s; allowed: %s",
                            s->preset, row->encoder, preset_allowed(row, allowed, sizeof allowed));
    if (s->tune[0] && !(row->tunes && in_list(row->tunes, s->tune) >= 0))
        return cb_error_set(err, CB_EINVAL, "settings.tune: \"%s\" is not a tune of %s; allowed: %s",
                            s->tune, row->encoder, tune_allowed(row, allowed, sizeof allowed));
    if (s->rate_control != CB_RC_QP && s->rate_control != CB_RC_CRF)
        return cb_error_set(err, CB_EINVAL, "settings.rate_control: %d is not one of qp, crf",
                            (int)s->rate_control);
    int min, max;
    if (!point_range(row, s->rate_control, &min, &max))
        return cb_error_set(err, CB_EINVAL,
                            "settings.rate_control: %s has no CRF mode; allowed: qp", row->encoder);
    const char *rc_name = rc_names[s->rate_control];
    if (s->n_points < 1 || s->n_points > CB_BASELINE_MAX_POINTS)
        return cb_error_set(err, CB_EINVAL, "settings.points: %d values; allowed: 1..%d %s values %d..%d",
                            s->n_points, CB_BASELINE_MAX_POINTS, rc_name, min, max);
    for (int i = 0; i < s->n_points; i++) {
        if (s->points[i] < min || s->points[i] > max)
            return cb_error_set(err, CB_EINVAL,
                                "settings.points[%d]: %d is outside %s's %s range %d..%d", i,
                                s->points[i], row->encoder, rc_name, min, max);
        for (int j = 0; j < i; j++)
            if (s->points[j] == s->points[i])
                return cb_error_set(err, CB_EINVAL,
                                    "settings.points[%d]: %d is listed twice (also at [%d]); allowed: "
                                    "distinct %s values %d..%d",
                                    i, s->points[i], j, rc_name, min, max);
    }
    if (s->gop < 0 || s->gop > CB_BASELINE_MAX_GOP)
        return cb_error_set(err, CB_EINVAL,
                            "settings.gop: %d; allowed: 0 (the encoder's default) or 1..%d", s->gop,
                            CB_BASELINE_MAX_GOP);
    if (row->bframes ? (s->bframes < -1 || s->bframes > CB_BASELINE_MAX_BFRAMES) : s->bframes != -1) {
        if (row->bframes)
            return cb_error_set(err, CB_EINVAL,
                                "settings.bframes: %d; allowed: -1 (the encoder's default) or 0..%d",
                                s->bframes, CB_BASELINE_MAX_BFRAMES);
        return cb_error_set(err, CB_EINVAL,
                            "settings.bframes: %d; allowed: -1 only (%s has no B frames)",
                            s->bframes, row->encoder);
    }
    if (s->n_options < 0 || s->n_options > CB_BASELINE_MAX_OPTIONS)
        return cb_error_set(err, CB_EINVAL, "settings.options: %d entries; allowed: 0..%d",
                            s->n_options, CB_BASELINE_MAX_OPTIONS);
    for (int i = 0; i < s->n_options; i++) {
        const char *k = s->option_key[i], *v = s->option_value[i];
        if (!memchr(k, '\0', CB_BASELINE_NAME_MAX) || !memchr(v, '\0', CB_BASELINE_VALUE_MAX))
            return cb_error_set(err, CB_EINVAL, "settings.options: entry %d is not terminated", i);
        long at;
        if (!k[0] || (at = bad_char(k, option_key_char)) >= 0)
            return cb_error_set(err, CB_EINVAL,
                                "settings.options: key \"%.*s\": %s; allowed: 1..%d of A-Z a-z 0-9 _ . : -",
                                QUOTE_MAX, k, k[0] ? "a character not allowed" : "empty",
                                CB_BASELINE_NAME_MAX - 1);
        if (in_list(reserved_options, k) >= 0)
            return cb_error_set(err, CB_EINVAL,
                                "settings.options.%s: set by codecbench from the recipe (encoder, "
                                "preset, tune, rate_control, points, gop, bframes; threads = 1); "
                                "not allowed as an option",
                                k);
        if (i > 0 && strcmp(s->option_key[i - 1], k) >= 0)
            return cb_error_set(err, CB_EINVAL,
                                "settings.options.%s: keys must be distinct and sorted", k);
        if (!v[0] || (at = bad_char(v, option_value_char)) >= 0)
            return cb_error_set(err, CB_EINVAL,
                                "settings.options.%s: value \"%.*s\": %s; allowed: 1..%d of A-Z a-z "
                                "0-9 _ . : - =",
                                k, QUOTE_MAX, v, v[0] ? "a character not allowed" : "empty",
                                CB_BASELINE_VALUE_MAX - 1);
    }
    return CB_OK;
}

/* A string setting into a fixed buffer; err names the field. */
static int read_fixed(const json_t *v, const char *key, char *dst, size_t size, CbError *err)
{
    if (!json_is_string(v))
        return cb_error_set(err, CB_EINVAL, "settings.%s: expected a string, got %s", key,
                            type_name(v));
    size_t n = json_string_length(v);
    if (n >= size || strlen(json_string_value(v)) != n)
        return cb_error_set(err, CB_EINVAL, "settings.%s: %zu bytes; allowed: at most %zu, no NUL",
                            key, n, size - 1);
    memcpy(dst, json_string_value(v), n + 1);
    return CB_OK;
}

static int read_small_int(const json_t *v, const char *key, int min, int max, int *out, CbError *err)
{
    if (!json_is_integer(v))
        return cb_error_set(err, CB_EINVAL, "settings.%s: expected an integer %d..%d, got %s", key,
                            min, max, type_name(v));
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return cb_error_set(err, CB_EINVAL, "settings.%s: %lld; allowed: %d..%d", key,
                            (long long)x, min, max);
    *out = (int)x;
    return CB_OK;
}

static int cmp_option(const void *a, const void *b)
{
    return strcmp(((const char *const *)a)[0], ((const char *const *)b)[0]);
}

static int read_options(const json_t *o, CbBaselineSettings *s, CbError *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(o))
        return cb_error_set(err, CB_EINVAL,
                            "settings.options: expected an object of strings, got %s", type_name(o));
    if (json_object_size(o) > CB_BASELINE_MAX_OPTIONS)
        return cb_error_set(err, CB_EINVAL, "settings.options: %zu entries; allowed: 0..%d",
                            json_object_size(o), CB_BASELINE_MAX_OPTIONS);
    /* Sorted by key: the canonical order, whatever the text's. */
    const char *pairs[CB_BASELINE_MAX_OPTIONS][2];
    int n = 0;
    json_object_foreach((json_t *)o, key, v)
    {
        if (strlen(key) >= CB_BASELINE_NAME_MAX)
            return cb_error_set(err, CB_EINVAL,
                                "settings.options: key \"%.*s\": %zu bytes; allowed: 1..%d",
                                QUOTE_MAX, key, strlen(key), CB_BASELINE_NAME_MAX - 1);
        if (!json_is_string(v))
            return cb_error_set(err, CB_EINVAL, "settings.options.%.*s: expected a string, got %s",
                                QUOTE_MAX, key, type_name(v));
        if (json_string_length(v) >= CB_BASELINE_VALUE_MAX ||
            strlen(json_string_value(v)) != json_string_length(v))
            return cb_error_set(err, CB_EINVAL,
                                "settings.options.%.*s: %zu bytes; allowed: 1..%d, no NUL",
                                QUOTE_MAX, key, json_string_length(v), CB_BASELINE_VALUE_MAX - 1);
        pairs[n][0] = key;
        pairs[n][1] = json_string_value(v);
        n++;
    }
    qsort(pairs, (size_t)n, sizeof pairs[0], cmp_option);
    for (int i = 0; i < n; i++) {
        snprintf(s->option_key[i], sizeof s->option_key[i], "%s", pairs[i][0]);
        snprintf(s->option_value[i], sizeof s->option_value[i], "%s", pairs[i][1]);
    }
    s->n_options = n;
    return CB_OK;
}

static int read_baseline(const json_t *obj, CbBaselineSettings *s, CbError *err)
{
    char allowed[200];
    const char *key;
    json_t *v;
    memset(s, 0, sizeof *s);
    s->rate_control = CB_RC_QP;
    s->bframes = -1;
    if (!obj)
        return cb_error_set(err, CB_EINVAL,
                            "settings: missing; an ffmpeg recipe needs settings.encoder and "
                            "settings.points");
    if (!json_is_object(obj))
        return cb_error_set(err, CB_EINVAL, "settings: expected an object, got %s", type_name(obj));
    json_object_foreach((json_t *)obj, key, v)
    {
        if (in_list(baseline_keys, key) < 0)
            return cb_error_set(err, CB_EINVAL, "settings.%.*s: unknown key; allowed: %s",
                                QUOTE_MAX, key, join(baseline_keys, allowed, sizeof allowed));
    }
    const json_t *enc = json_object_get(obj, "encoder");
    if (!enc)
        return cb_error_set(err, CB_EINVAL, "settings.encoder: missing; allowed: %s",
                            encoder_list(allowed, sizeof allowed));
    if (!json_is_string(enc))
        return cb_error_set(err, CB_EINVAL, "settings.encoder: expected a string (%s), got %s",
                            encoder_list(allowed, sizeof allowed), type_name(enc));
    if (!baseline_row(json_string_value(enc)))
        return cb_error_set(err, CB_EINVAL, "settings.encoder: \"%.*s\" is not one of %s",
                            QUOTE_MAX, json_string_value(enc), encoder_list(allowed, sizeof allowed));
    snprintf(s->encoder, sizeof s->encoder, "%s", json_string_value(enc));
    int rc;
    if ((v = json_object_get(obj, "preset")) &&
        (rc = read_fixed(v, "preset", s->preset, sizeof s->preset, err)) < 0)
        return rc;
    if ((v = json_object_get(obj, "tune")) &&
        (rc = read_fixed(v, "tune", s->tune, sizeof s->tune, err)) < 0)
        return rc;
    if ((v = json_object_get(obj, "rate_control"))) {
        if (!json_is_string(v))
            return cb_error_set(err, CB_EINVAL,
                                "settings.rate_control: expected a string (qp, crf), got %s",
                                type_name(v));
        int i = in_list(rc_names, json_string_value(v));
        if (i < 0)
            return cb_error_set(err, CB_EINVAL, "settings.rate_control: \"%.*s\" is not one of qp, crf",
                                QUOTE_MAX, json_string_value(v));
        s->rate_control = (CbRateControl)i;
    }
    if (!(v = json_object_get(obj, "points")))
        return cb_error_set(err, CB_EINVAL,
                            "settings.points: missing; allowed: an array of 1..%d distinct QPs or CRFs",
                            CB_BASELINE_MAX_POINTS);
    if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > CB_BASELINE_MAX_POINTS)
        return cb_error_set(err, CB_EINVAL,
                            "settings.points: %s; allowed: an array of 1..%d distinct QPs or CRFs",
                            json_is_array(v) ? "wrong number of values" : type_name(v),
                            CB_BASELINE_MAX_POINTS);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *p = json_array_get(v, i);
        if (!json_is_integer(p) || json_integer_value(p) < INT_MIN ||
            json_integer_value(p) > INT_MAX)
            return cb_error_set(err, CB_EINVAL, "settings.points[%zu]: expected an integer, got %s",
                                i, json_is_integer(p) ? "one out of range" : type_name(p));
        s->points[i] = (int)json_integer_value(p);
    }
    s->n_points = (int)json_array_size(v);
    if ((v = json_object_get(obj, "gop")) &&
        (rc = read_small_int(v, "gop", 0, CB_BASELINE_MAX_GOP, &s->gop, err)) < 0)
        return rc;
    if ((v = json_object_get(obj, "bframes")) &&
        (rc = read_small_int(v, "bframes", -1, CB_BASELINE_MAX_BFRAMES, &s->bframes, err)) < 0)
        return rc;
    if ((v = json_object_get(obj, "options")) && (rc = read_options(v, s, err)) < 0)
        return rc;
    return cb_recipe_baseline_check(s, err);
}

/* The baseline's settings as JSON in canonical order (new reference). */
static json_t *baseline_json(const CbBaselineSettings *s)
{
    json_t *pts = json_array(), *opts = json_object(), *o = json_object();
    for (int i = 0; pts && i < s->n_points; i++)
        if (json_array_append_new(pts, json_integer(s->points[i])) < 0) {
            json_decref(pts);
            pts = NULL;
        }
    for (int i = 0; opts && i < s->n_options; i++)
        if (json_object_set_new(opts, s->option_key[i], json_string(s->option_value[i])) < 0) {
            json_decref(opts);
            opts = NULL;
        }
    o = put(o, "encoder", json_string(s->encoder));
    o = put(o, "preset", json_string(s->preset));
    o = put(o, "tune", json_string(s->tune));
    o = put(o, "rate_control", json_string(rc_names[s->rate_control]));
    o = put(o, "points", pts);
    o = put(o, "gop", json_integer(s->gop));
    o = put(o, "bframes", json_integer(s->bframes));
    return put(o, "options", opts);
}

/* A string member: required or not, with a byte limit; *out gets a copy. */
static int read_string(const json_t *root, const char *key, int required, size_t min_bytes,
                       size_t max_bytes, int no_controls, char **out, CbError *err)
{
    const json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v) {
        if (required)
            return cb_error_set(err, CB_EINVAL, "%s: missing (a string is required)", key);
        return CB_OK;
    }
    if (!json_is_string(v))
        return cb_error_set(err, CB_EINVAL, "%s: expected a string, got %s", key, type_name(v));
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n < min_bytes || n > max_bytes)
        return cb_error_set(err, CB_EINVAL, "%s: %zu bytes; allowed: %zu..%zu", key, n, min_bytes,
                            max_bytes);
    if (no_controls)
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return cb_error_set(err, CB_EINVAL,
                                    "%s: control character at byte %zu; allowed: printable text",
                                    key, i);
    if (!(*out = strdup(s)))
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", key);
    return CB_OK;
}

/* Bytes of a valid UTF-8 sequence starting at s[i] (n bytes in all), or 0:
 * RFC 3629 (no overlong forms, no surrogates, nothing above U+10FFFF).
 * jansson already refuses invalid UTF-8 in its input; this keeps the
 * member's promise on its own. */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t n)
{
    unsigned c = s[i];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n - i < len)
        return 0;
    unsigned cp = c & (0x7fu >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[i + k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i + k] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* The optional "stage" member: {"kind": "intra" | "loop_filter" |
 * "transform", "code": "..."}; engine recipes only.  err names the path. */
static int read_stage(const json_t *v, CbRecipe *r, CbError *err)
{
    char allowed[64];
    const char *key;
    json_t *m;
    if (r->codec != CB_CODEC_ENGINE)
        return cb_error_set(err, CB_EINVAL,
                            "stage: only an engine recipe (\"codec\": \"engine\") may carry a stage");
    if (!json_is_object(v))
        return cb_error_set(err, CB_EINVAL,
                            "stage: expected an object {\"kind\", \"code\"}, got %s", type_name(v));
    json_object_foreach((json_t *)v, key, m)
    {
        if (in_list(stage_keys, key) < 0)
            return cb_error_set(err, CB_EINVAL, "stage.%.*s: unknown key; allowed: %s", QUOTE_MAX,
                                key, join(stage_keys, allowed, sizeof allowed));
    }
    const json_t *kind = json_object_get(v, "kind");
    if (!kind)
        return cb_error_set(err, CB_EINVAL,
                            "stage.kind: missing; allowed: intra, loop_filter, transform");
    if (!json_is_string(kind))
        return cb_error_set(err, CB_EINVAL,
                            "stage.kind: expected a string (intra, loop_filter, transform), got %s",
                            type_name(kind));
    if (strlen(json_string_value(kind)) != json_string_length(kind))
        return cb_error_set(err, CB_EINVAL,
                            "stage.kind: a NUL byte; allowed: intra, loop_filter, transform");
    CbStageKind k = CB_STAGE_NONE;
    if (cb_stage_kind_parse(json_string_value(kind), &k, err) < 0) {
        cb_error_prefix(err, "stage.kind");
        return CB_EINVAL;
    }
    const json_t *code = json_object_get(v, "code");
    if (!code)
        return cb_error_set(err, CB_EINVAL, "stage.code: missing (C source of 1..%d bytes)",
                            CB_RECIPE_STAGE_MAX);
    if (!json_is_string(code))
        return cb_error_set(err, CB_EINVAL, "stage.code: expected a string (C source), got %s",
                            type_name(code));
    size_t n = json_string_length(code);
    const char *text = json_string_value(code);
    if (n < 1)
        return cb_error_set(err, CB_EINVAL, "stage.code: empty; allowed: 1..%d bytes of C source",
                            CB_RECIPE_STAGE_MAX);
    if (n > CB_RECIPE_STAGE_MAX)
        return cb_error_set(err, CB_EINVAL, "stage.code: %zu bytes, at most %d", n,
                            CB_RECIPE_STAGE_MAX);
    const char *nul = memchr(text, '\0', n);
    if (nul)
        return cb_error_set(err, CB_EINVAL, "stage.code: a NUL byte at byte %zu; allowed: text",
                            (size_t)(nul - text));
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq((const unsigned char *)text, i, n);
        if (!len)
            return cb_error_set(err, CB_EINVAL, "stage.code: invalid UTF-8 at byte %zu", i);
        i += len;
    }
    if (k == CB_STAGE_TRANSFORM && r->engine.transform != CB_TRANSFORM_DCT)
        return cb_error_set(err, CB_EINVAL,
                            "stage: a transform stage replaces the DCT: the recipe needs "
                            "settings.transform \"dct\"");
    if (!(r->stage_code = malloc(n + 1)))
        return cb_error_set(err, CB_ENOMEM, "stage.code: out of memory");
    memcpy(r->stage_code, text, n + 1);
    r->stage_kind = k;
    return CB_OK;
}

static int read_recipe(const json_t *root, CbRecipe *r, CbError *err)
{
    char allowed[64];
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        return cb_error_set(err, CB_EINVAL, "expected a JSON object at the top level, got %s",
                            type_name(root));
    json_object_foreach((json_t *)root, key, v)
    {
        if (in_list(top_keys, key) < 0)
            return cb_error_set(err, CB_EINVAL, "%.*s: unknown key; allowed: %s", QUOTE_MAX, key,
                                join(top_keys, allowed, sizeof allowed));
    }
    const json_t *codec = json_object_get(root, "codec");
    join(codec_names, allowed, sizeof allowed);
    if (!codec)
        return cb_error_set(err, CB_EINVAL, "codec: missing; allowed: %s", allowed);
    if (!json_is_string(codec))
        return cb_error_set(err, CB_EINVAL, "codec: expected a string (%s), got %s", allowed,
                            type_name(codec));
    if (in_list(codec_names, json_string_value(codec)) < 0)
        return cb_error_set(err, CB_EINVAL, "codec: \"%.*s\" is not one of %s", QUOTE_MAX,
                            json_string_value(codec), allowed);
    int rc = read_string(root, "name", 1, 1, CB_RECIPE_NAME_MAX, 1, &r->name, err);
    if (rc < 0)
        return rc;
    if ((rc = read_string(root, "note", 0, 0, CB_RECIPE_NOTE_MAX, 0, &r->note, err)) < 0)
        return rc;
    const json_t *settings = json_object_get(root, "settings");
    r->codec = (CbCodecKind)in_list(codec_names, json_string_value(codec));
    if (r->codec == CB_CODEC_FFMPEG) {
        if (json_object_get(root, "stage"))
            return read_stage(json_object_get(root, "stage"), r, err);
        return read_baseline(settings, &r->baseline, err);
    }
    cb_engine_settings_default(&r->engine);
    if (settings && (rc = read_settings(settings, &r->engine, err)) < 0)
        return rc;
    const json_t *stage = json_object_get(root, "stage");
    if (stage && (rc = read_stage(stage, r, err)) < 0)
        return rc;
    return CB_OK;
}

int cb_recipe_parse(const char *text, size_t len, const char *source_name, CbRecipe *out,
                    CbError *err)
{
    json_t *root = NULL;
    const char *src = source_name ? source_name : "recipe";
    int rc;
    if (!out)
        return cb_error_set(err, CB_EINVAL, "%s: no recipe to fill", src);
    memset(out, 0, sizeof *out);
    if (!text) {
        rc = cb_error_set(err, CB_EINVAL, "no text");
        goto fail;
    }
    if (len > CB_RECIPE_MAX_BYTES) {
        rc = cb_error_set(err, CB_ELIMIT, "%zu bytes; a recipe may have at most %d", len,
                          CB_RECIPE_MAX_BYTES);
        goto fail;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        rc = cb_error_set(err, CB_EFORMAT, "byte %zu: a NUL byte (not JSON text)",
                          (size_t)(nul - text));
        goto fail;
    }
    if ((rc = check_depth(text, len, err)) < 0)
        goto fail;
    json_error_t jerr;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = cb_error_set(
            err, json_error_code(&jerr) == json_error_out_of_memory ? CB_ENOMEM : CB_EFORMAT,
            "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if ((rc = read_recipe(root, out, err)) < 0)
        goto fail;
    json_decref(root);
    return CB_OK;
fail:
    json_decref(root);
    cb_recipe_free(out);
    cb_error_prefix(err, "%s", src);
    return rc;
}

void cb_recipe_free(CbRecipe *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->note);
    free(r->stage_code);
    memset(r, 0, sizeof *r);
}

/* The JSON value of field f in s (new reference), or NULL without memory. */
static json_t *field_value(const CbField *f, const CbEngineSettings *s)
{
    int v = load_int(s, f->offset);
    switch (f->type) {
    case CB_FIELD_INT:
    case CB_FIELD_CHOICE: return json_integer(v);
    case CB_FIELD_BOOL: return json_boolean(v);
    case CB_FIELD_ENUM: return json_string(f->names[v]);
    case CB_FIELD_INT_LIST: {
        const int *a = (const int *)(const void *)((const char *)s + f->offset);
        int n = load_int(s, f->count_offset);
        json_t *arr = json_array();
        for (int i = 0; arr && i < n; i++)
            if (json_array_append_new(arr, json_integer(a[i])) < 0) {
                json_decref(arr);
                return NULL;
            }
        return arr;
    }
    }
    return NULL;
}

/* The settings of s as a JSON object in table order (new reference). */
static json_t *settings_json(const CbEngineSettings *s)
{
    size_t n;
    const CbField *fields = cb_engine_fields(&n);
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++) {
        if (json_object_set_new(o, fields[i].name, field_value(&fields[i], s)) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* 1 when r's stage member is absent, or present and as read_stage leaves it. */
static int stage_valid(const CbRecipe *r)
{
    if (r->stage_kind == CB_STAGE_NONE)
        return r->stage_code == NULL;
    if (!r->stage_code || r->codec != CB_CODEC_ENGINE || !cb_stage_kind_name((int)r->stage_kind))
        return 0;
    size_t n = strlen(r->stage_code);
    if (n < 1 || n > CB_RECIPE_STAGE_MAX)
        return 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq((const unsigned char *)r->stage_code, i, n);
        if (!len)
            return 0;
        i += len;
    }
    return r->stage_kind != CB_STAGE_TRANSFORM || r->engine.transform == CB_TRANSFORM_DCT;
}

/* 1 when r is a valid recipe of either codec. */
static int recipe_valid(const CbRecipe *r)
{
    if (!r || !r->name || !stage_valid(r))
        return 0;
    if (r->codec == CB_CODEC_FFMPEG)
        return cb_recipe_baseline_check(&r->baseline, NULL) == 0;
    return r->codec == CB_CODEC_ENGINE && cb_engine_settings_check(&r->engine, NULL) == 0;
}

int cb_recipe_points(const CbRecipe *r, int *points)
{
    if (!recipe_valid(r) || !points)
        return 0;
    const int *src = r->codec == CB_CODEC_FFMPEG ? r->baseline.points : r->engine.qps;
    int n = r->codec == CB_CODEC_FFMPEG ? r->baseline.n_points : r->engine.n_qps;
    memcpy(points, src, (size_t)n * sizeof *points);
    return n;
}

char *cb_recipe_canonical(const CbRecipe *r)
{
    if (!recipe_valid(r))
        return NULL;
    json_t *o = json_object();
    char *text = NULL;
    if (!o || json_object_set_new(o, "name", json_string(r->name)) < 0 ||
        json_object_set_new(o, "codec", json_string(codec_names[r->codec])) < 0 ||
        json_object_set_new(o, "settings", r->codec == CB_CODEC_FFMPEG
                                               ? baseline_json(&r->baseline)
                                               : settings_json(&r->engine)) < 0)
        goto out;
    if (r->stage_kind != CB_STAGE_NONE) {
        json_t *st = json_object();
        st = put(st, "kind", json_string(cb_stage_kind_name((int)r->stage_kind)));
        st = put(st, "code", json_string(r->stage_code));
        if (!st || json_object_set_new(o, "stage", st) < 0)
            goto out;
    }
    /* Objects keep insertion order (jansson >= 2.8), so keys come out in
     * table order; JSON_COMPACT leaves no spaces; JSON_ENSURE_ASCII makes
     * the text ASCII (\uXXXX escapes), safe to show and to hash. */
    text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
out:
    json_decref(o);
    return text;
}

void cb_recipe_sha256_hex(const void *data, size_t len, char hex[CB_RECIPE_HASH_HEX])
{
    static const char digits[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * SHA256_DIGEST_SIZE] = '\0';
}

int cb_recipe_hash(const CbRecipe *r, char hex[CB_RECIPE_HASH_HEX])
{
    if (!recipe_valid(r))
        return CB_EINVAL;
    char *text = cb_recipe_canonical(r);
    if (!text)
        return CB_ENOMEM;
    cb_recipe_sha256_hex(text, strlen(text), hex);
    free(text);
    return CB_OK;
}

/* ---- JSON Schema --------------------------------------------------------- */

/* description, plus "Default: <json>." and any extra in strict mode. */
static json_t *describe(const char *doc, const json_t *def, const char *extra, int strict)
{
    if (!strict || (!def && !extra))
        return json_string(doc);
    char *d = def ? json_dumps(def, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (def && !d)
        return NULL;
    size_t n = strlen(doc) + (d ? strlen(d) : 0) + (extra ? strlen(extra) : 0) + 32;
    char *text = malloc(n);
    json_t *s = NULL;
    if (text) {
        snprintf(text, n, "%s.%s%s%s%s%s", doc, extra ? " " : "", extra ? extra : "",
                 d ? " Default: " : "", d ? d : "", d ? "." : "");
        s = json_string(text);
    }
    free(text);
    free(d);
    return s;
}

static json_t *field_schema(const CbField *f, const CbEngineSettings *defaults, int strict)
{
    json_t *def = field_value(f, defaults);
    json_t *p = json_object();
    if (!def) {
        json_decref(p);
        return NULL;
    }
    switch (f->type) {
    case CB_FIELD_INT:
        p = put(p, "type", json_string("integer"));
        p = put(p, "minimum", json_integer(f->min));
        p = put(p, "maximum", json_integer(f->max));
        break;
    case CB_FIELD_BOOL: p = put(p, "type", json_string("boolean")); break;
    case CB_FIELD_ENUM:
        p = put(p, "type", json_string("string"));
        p = put(p, "enum", names_array(f->names));
        break;
    case CB_FIELD_CHOICE: {
        json_t *a = json_array();
        for (int i = 0; a && i < f->n_choices; i++)
            if (json_array_append_new(a, json_integer(f->choices[i])) < 0) {
                json_decref(a);
                a = NULL;
            }
        p = put(p, "type", json_string("integer"));
        p = put(p, "enum", a);
        break;
    }
    case CB_FIELD_INT_LIST: {
        json_t *items = json_object();
        items = put(items, "type", json_string("integer"));
        items = put(items, "minimum", json_integer(f->min));
        items = put(items, "maximum", json_integer(f->max));
        p = put(p, "type", json_string("array"));
        p = put(p, "items", items);
        p = put(p, "minItems", json_integer(1));
        p = put(p, "maxItems", json_integer(f->max_items));
        if (!strict)
            p = put(p, "uniqueItems", json_true());
        break;
    }
    }
    p = put(
        p, "description",
        describe(f->doc, def, f->type == CB_FIELD_INT_LIST ? "Values must differ." : NULL, strict));
    if (!strict)
        p = put(p, "default", json_incref(def));
    json_decref(def);
    return p;
}

/* A string property with byte limits (non-strict only: JSON Schema counts
 * characters, not bytes, so the limits are a loose upper bound there too). */
static json_t *string_schema(const char *doc, size_t min_len, size_t max_len, int printable,
                             int strict)
{
    json_t *p = json_object();
    p = put(p, "type", json_string("string"));
    if (!strict) {
        if (min_len > 0)
            p = put(p, "minLength", json_integer((json_int_t)min_len));
        p = put(p, "maxLength", json_integer((json_int_t)max_len));
        if (printable)
            p = put(p, "pattern", json_string("^[^\\x00-\\x1f\\x7f]*$"));
    }
    return put(p, "description", json_string(doc));
}

static json_t *all_keys(const json_t *properties)
{
    json_t *req = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)properties, key, v)
    {
        if (!req || json_array_append_new(req, json_string(key)) < 0) {
            json_decref(req);
            return NULL;
        }
    }
    return req;
}

/* {"const": value} (OpenAI's strict subset has no "const"; non-strict only). */
static json_t *const_of(const char *value)
{
    return put(json_object(), "const", json_string(value));
}

/* {"type": "string", "enum": names (with "" first when empty_ok)}. */
static json_t *string_enum(const char *const *names, int empty_ok)
{
    json_t *a = json_array();
    if (a && empty_ok && json_array_append_new(a, json_string("")) < 0) {
        json_decref(a);
        a = NULL;
    }
    for (int i = 0; a && names && names[i]; i++)
        if (json_array_append_new(a, json_string(names[i])) < 0) {
            json_decref(a);
            a = NULL;
        }
    return put(put(json_object(), "type", json_string("string")), "enum", a);
}

/* The preset names of row (numeric ones as "0".."N") into names[], with
 * storage in buf; NULL-terminated.  Returns names. */
static const char **preset_names(const BaselineRow *row, const char **names, char (*buf)[4])
{
    int n = 0;
    if (row->presets)
        for (; row->presets[n]; n++)
            names[n] = row->presets[n];
    else
        for (int v = row->preset_min; v <= row->preset_max; v++, n++) {
            snprintf(buf[n], 4, "%d", v);
            names[n] = buf[n];
        }
    names[n] = NULL;
    return names;
}

static void add_unique(const char **all, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(all[i], name))
            return;
    all[(*n)++] = name;
}

static json_t *int_schema(int min, int max, const char *doc)
{
    json_t *p = json_object();
    p = put(p, "type", json_string("integer"));
    p = put(p, "minimum", json_integer(min));
    p = put(p, "maximum", json_integer(max));
    return put(p, "description", json_string(doc));
}

/* Per encoder (non-strict): its presets, tunes, point ranges, B frames, as
 * if/then pairs on "encoder" (and "rate_control" for the ranges). */
static json_t *baseline_conditions(void)
{
    json_t *all = json_array();
    for (size_t i = 0; all && i < N_BASELINE_ROWS; i++) {
        const BaselineRow *row = &baseline_rows[i];
        const char *names[32];
        char buf[32][4];
        json_t *props = json_object();
        props = put(props, "preset", string_enum(preset_names(row, names, buf), 1));
        props = put(props, "tune", string_enum(row->tunes, 1));
        if (!row->bframes)
            props = put(props, "bframes", put(json_object(), "const", json_integer(-1)));
        if (row->crf_max < 0)
            props = put(props, "rate_control", const_of("qp"));
        json_t *then = put(json_object(), "properties", props);
        /* Point ranges: CRF when rate_control says so, QP otherwise. */
        json_t *crf_if = put(json_object(), "properties",
                             put(json_object(), "rate_control", const_of("crf")));
        crf_if = put(crf_if, "required", names_array((const char *const[]){"rate_control", NULL}));
        json_t *qp_items = put(put(json_object(), "minimum", json_integer(row->qp_min)), "maximum",
                               json_integer(row->qp_max));
        json_t *pts_qp = put(json_object(), "properties",
                             put(json_object(), "points", put(json_object(), "items", qp_items)));
        json_t *rc_cond = json_object();
        if (row->crf_max >= 0) {
            json_t *crf_items = put(put(json_object(), "minimum", json_integer(row->crf_min)),
                                    "maximum", json_integer(row->crf_max));
            json_t *pts_crf = put(json_object(), "properties",
                                  put(json_object(), "points", put(json_object(), "items", crf_items)));
            rc_cond = put(rc_cond, "if", crf_if);
            rc_cond = put(rc_cond, "then", pts_crf);
            rc_cond = put(rc_cond, "else", pts_qp);
        } else {
            json_decref(crf_if);
            json_decref(rc_cond);
            rc_cond = pts_qp;
        }
        json_t *allof = json_array();
        if (!allof || !rc_cond || json_array_append_new(allof, rc_cond) < 0) {
            json_decref(allof);
            allof = NULL;
        }
        then = put(then, "allOf", allof);
        json_t *cond = json_object();
        cond = put(cond, "if",
                   put(json_object(), "properties", put(json_object(), "encoder", const_of(row->encoder))));
        cond = put(cond, "then", then);
        if (!cond || json_array_append_new(all, cond) < 0) {
            json_decref(all);
            all = NULL;
        }
    }
    return all;
}

/* Allowed values of every encoder, for descriptions: "libx264: ...; ...". */
static json_t *per_encoder_doc(const char *lead, int what)
{
    char text[2048], part[400];
    size_t len = 0;
    int n = snprintf(text, sizeof text, "%s", lead);
    len = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < N_BASELINE_ROWS && len < sizeof text; i++) {
        const BaselineRow *row = &baseline_rows[i];
        if (what == 0)
            preset_allowed(row, part, sizeof part);
        else if (what == 1)
            tune_allowed(row, part, sizeof part);
        else if (row->crf_max >= 0)
            snprintf(part, sizeof part, "qp %d..%d, crf %d..%d", row->qp_min, row->qp_max,
                     row->crf_min, row->crf_max);
        else
            snprintf(part, sizeof part, "qp %d..%d (no crf)", row->qp_min, row->qp_max);
        n = snprintf(text + len, sizeof text - len, "%s%s: %s", i ? "; " : " ", row->encoder, part);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    if (len < sizeof text - 1)
        text[len++] = '.', text[len] = '\0';
    return json_string(text);
}

static json_t *baseline_schema(int strict)
{
    /* Every preset and tune name of any encoder (strict: one enum). */
    const char *all_presets[64], *all_tunes[32], *names[32];
    char buf[32][4], nums[64][4];
    int np = 0, nt = 0;
    for (size_t i = 0; i < N_BASELINE_ROWS; i++) {
        const BaselineRow *row = &baseline_rows[i];
        preset_names(row, names, buf);
        for (int k = 0; names[k]; k++) {
            /* buf is reused per row: numeric names are kept in nums. */
            if (!row->presets) {
                snprintf(nums[np], sizeof nums[np], "%s", names[k]);
                add_unique(all_presets, &np, nums[np]);
            } else {
                add_unique(all_presets, &np, names[k]);
            }
        }
        for (int k = 0; row->tunes && row->tunes[k]; k++)
            add_unique(all_tunes, &nt, row->tunes[k]);
    }
    all_presets[np] = NULL;
    all_tunes[nt] = NULL;
    const char *encs[N_BASELINE_ROWS + 1];
    for (size_t i = 0; i < N_BASELINE_ROWS; i++)
        encs[i] = baseline_rows[i].encoder;
    encs[N_BASELINE_ROWS] = NULL;
    int qmax = 0;
    for (size_t i = 0; i < N_BASELINE_ROWS; i++)
        qmax = baseline_rows[i].qp_max > qmax ? baseline_rows[i].qp_max : qmax;

    json_t *p = json_object();
    json_t *enc = string_enum(encs, 0);
    enc = put(enc, "description",
              json_string("the FFmpeg (libavcodec) encoder; run single-threaded, its stream stored "
                          "as Annex B (.h264, .hevc), IVF (.ivf) or MPEG-4 part 2 video (.m4v)"));
    p = put(p, "encoder", enc);
    json_t *preset = strict ? string_enum(all_presets, 1) : put(json_object(), "type", json_string("string"));
    preset = put(preset, "description",
                 per_encoder_doc("the encoder's preset (speed against efficiency); \"\": its default."
                                 " Allowed per encoder:", 0));
    p = put(p, "preset", preset);
    json_t *tune = strict ? string_enum(all_tunes, 1) : put(json_object(), "type", json_string("string"));
    tune = put(tune, "description",
               per_encoder_doc("the encoder's tune; \"\": none (tune psnr for PSNR comparisons). "
                               "Allowed per encoder:", 1));
    p = put(p, "tune", tune);
    json_t *rc = string_enum(rc_names, 0);
    rc = put(rc, "description",
             json_string(strict ? "what points are: fixed QPs (qp) or constant rate factors (crf)"
                                : "what points are: fixed QPs (qp) or constant rate factors (crf)"));
    p = put(p, "rate_control", rc);
    json_t *items = put(put(put(json_object(), "type", json_string("integer")), "minimum",
                            json_integer(0)),
                        "maximum", json_integer(qmax));
    json_t *pts = json_object();
    pts = put(pts, "type", json_string("array"));
    pts = put(pts, "items", items);
    pts = put(pts, "minItems", json_integer(1));
    pts = put(pts, "maxItems", json_integer(CB_BASELINE_MAX_POINTS));
    if (!strict)
        pts = put(pts, "uniqueItems", json_true());
    pts = put(pts, "description",
              per_encoder_doc("the rate points, distinct QPs or CRFs run in this order. Ranges per "
                              "encoder:", 2));
    p = put(p, "points", pts);
    p = put(p, "gop", int_schema(0, CB_BASELINE_MAX_GOP,
                                 "keyframe interval in frames; 0: the encoder's default"));
    p = put(p, "bframes",
            int_schema(-1, CB_BASELINE_MAX_BFRAMES,
                       "B frames between references; -1: the encoder's default. libx264, libx265 "
                       "and mpeg4 only; the VP9 and AV1 encoders take -1 only"));
    json_t *opts = json_object();
    opts = put(opts, "type", json_string("object"));
    if (strict) {
        opts = put(opts, "properties", json_object());
        opts = put(opts, "required", json_array());
        opts = put(opts, "additionalProperties", json_false());
        opts = put(opts, "description",
                   json_string("extra AVOptions of the encoder; this form has no free-form maps: "
                               "always {}"));
    } else {
        json_t *keys = json_object();
        keys = put(keys, "pattern", json_string("^[A-Za-z0-9_.:-]+$"));
        keys = put(keys, "maxLength", json_integer(CB_BASELINE_NAME_MAX - 1));
        json_t *vals = json_object();
        vals = put(vals, "type", json_string("string"));
        vals = put(vals, "pattern", json_string("^[A-Za-z0-9_.:=-]+$"));
        vals = put(vals, "maxLength", json_integer(CB_BASELINE_VALUE_MAX - 1));
        opts = put(opts, "propertyNames", keys);
        opts = put(opts, "additionalProperties", vals);
        opts = put(opts, "maxProperties", json_integer(CB_BASELINE_MAX_OPTIONS));
        opts = put(opts, "description",
                   json_string("extra AVOptions of the encoder as strings (e.g. {\"aq-mode\": "
                               "\"0\"}, or x265-params / svtav1-params \"key=value:...\"); those "
                               "the recipe's fields set (qp, crf, preset, tune, g, bf, threads...) "
                               "are refused"));
        opts = put(opts, "default", json_object());
    }
    p = put(p, "options", opts);
    if (!strict) {
        json_object_set_new(json_object_get(p, "preset"), "default", json_string(""));
        json_object_set_new(json_object_get(p, "tune"), "default", json_string(""));
        json_object_set_new(json_object_get(p, "rate_control"), "default", json_string("qp"));
        json_object_set_new(json_object_get(p, "gop"), "default", json_integer(0));
        json_object_set_new(json_object_get(p, "bframes"), "default", json_integer(-1));
    }

    json_t *s = json_object();
    s = put(s, "type", json_string("object"));
    s = put(s, "description",
            json_string(strict ? "settings of an FFmpeg baseline (\"codec\": \"ffmpeg\")"
                               : "settings of an FFmpeg baseline (\"codec\": \"ffmpeg\"); encoder "
                                 "and points are required, the others take their default"));
    s = put(s, "properties", json_incref(p));
    if (strict)
        s = put(s, "required", all_keys(p));
    else
        s = put(s, "required", names_array((const char *const[]){"encoder", "points", NULL}));
    s = put(s, "additionalProperties", json_false());
    if (!strict)
        s = put(s, "allOf", baseline_conditions());
    json_decref(p);
    return s;
}

/* The optional "stage" member (non-strict schema only). */
static json_t *stage_schema(void)
{
    json_t *kind = json_object();
    kind = put(kind, "type", json_string("string"));
    kind = put(kind, "enum", names_array((const char *const[]){"intra", "loop_filter", "transform",
                                                                NULL}));
    kind = put(kind, "description",
               json_string("the stage the code replaces (include/codecbench/stage.h): intra "
                           "(cb_stage_intra), loop_filter (cb_stage_loop_filter) or transform "
                           "(cb_stage_transform_fwd and _inv; needs settings.transform \"dct\")"));
    json_t *code = json_object();
    code = put(code, "type", json_string("string"));
    code = put(code, "minLength", json_integer(1));
    code = put(code, "maxLength", json_integer(CB_RECIPE_STAGE_MAX));
    code = put(code, "description",
               json_string("C11 source of the stage against stage.h ABI 1 (at most 32768 bytes "
                           "of UTF-8, no NUL); compiled in a closed world and run only in a "
                           "sandboxed host; its SHA-256 is the stream header's stage hash"));
    json_t *props = json_object();
    props = put(props, "kind", kind);
    props = put(props, "code", code);
    json_t *st = json_object();
    st = put(st, "type", json_string("object"));
    st = put(st, "description",
             json_string("engine recipes only: C source replacing one stage of the engine's "
                         "decoder path; part of the canonical form and hash"));
    st = put(st, "properties", props);
    st = put(st, "required", names_array((const char *const[]){"kind", "code", NULL}));
    return put(st, "additionalProperties", json_false());
}

/* {"if": {"properties": {"codec": {"const": codec}}, "required": ["codec"]},
 *  "then": {"properties": {"settings": {"$ref": ref}}}}: settings follow codec. */
static json_t *codec_condition(const char *codec, const char *ref, int settings_required)
{
    json_t *cif = put(json_object(), "properties", put(json_object(), "codec", const_of(codec)));
    cif = put(cif, "required", names_array((const char *const[]){"codec", NULL}));
    json_t *then = put(json_object(), "properties",
                       put(json_object(), "settings", put(json_object(), "$ref", json_string(ref))));
    if (settings_required) {
        then = put(then, "required", names_array((const char *const[]){"settings", NULL}));
        /* Only the engine runs stage code. */
        then = put(then, "not",
                   put(json_object(), "required", names_array((const char *const[]){"stage", NULL})));
    }
    return put(put(json_object(), "if", cif), "then", then);
}

char *cb_recipe_schema(int strict)
{
    CbEngineSettings defaults;
    size_t n;
    const CbField *fields = cb_engine_fields(&n);
    cb_engine_settings_default(&defaults);

    json_t *sprops = json_object();
    for (size_t i = 0; sprops && i < n; i++)
        sprops = put(sprops, fields[i].name, field_schema(&fields[i], &defaults, strict));
    json_t *settings = json_object();
    settings = put(settings, "type", json_string("object"));
    settings = put(
        settings, "description",
        json_string(strict ? "settings of the codecbench engine (\"codec\": \"engine\")"
                           : "settings of the codecbench engine (\"codec\": \"engine\"); a missing "
                             "one takes its default"));
    settings = put(settings, "properties", json_incref(sprops));
    if (strict)
        settings = put(settings, "required", all_keys(sprops));
    settings = put(settings, "additionalProperties", json_false());
    json_decref(sprops);

    json_t *defs = json_object();
    defs = put(defs, "engine_settings", settings);
    defs = put(defs, "ffmpeg_settings", baseline_schema(strict));

    json_t *codec = json_object();
    codec = put(codec, "type", json_string("string"));
    codec = put(codec, "enum", names_array(codec_names));
    codec = put(codec, "description",
                json_string("the codec that runs: the codecbench engine (settings: engine_settings) "
                            "or an FFmpeg encoder as a baseline (settings: ffmpeg_settings)"));

    json_t *branches = json_array();
    if (branches &&
        (json_array_append_new(branches, put(json_object(), "$ref",
                                             json_string("#/$defs/engine_settings"))) < 0 ||
         json_array_append_new(branches, put(json_object(), "$ref",
                                             json_string("#/$defs/ffmpeg_settings"))) < 0)) {
        json_decref(branches);
        branches = NULL;
    }
    json_t *sett = json_object();
    sett = put(sett, "description",
               json_string("the codec's settings: engine_settings when codec is \"engine\", "
                           "ffmpeg_settings when it is \"ffmpeg\""));
    sett = put(sett, "anyOf", branches);

    json_t *props = json_object();
    props = put(props, "name",
                string_schema("a short name for the recipe, shown in tables and charts", 1,
                              CB_RECIPE_NAME_MAX, 1, strict));
    props = put(props, "codec", codec);
    props = put(props, "settings", sett);
    /* Recipe proposals (strict) do not carry code: a stage comes from a
     * stage proposal, whose code is checked by the stage build. */
    if (!strict)
        props = put(props, "stage", stage_schema());
    props = put(props, "note",
                string_schema("free text about the recipe; not part of its canonical form or hash",
                              0, CB_RECIPE_NOTE_MAX, 0, strict));

    json_t *root = json_object();
    if (!strict)
        root = put(root, "$schema", json_string("https://json-schema.org/draft/2020-12/schema"));
    root = put(root, "title", json_string("codecbench recipe"));
    root = put(root, "description",
               json_string("What a run encodes: a codec (the codecbench engine, or an FFmpeg "
                           "encoder as a baseline), its settings and the rate points (the "
                           "engine's qps, a baseline's points)."));
    root = put(root, "type", json_string("object"));
    root = put(root, "properties", json_incref(props));
    if (strict) {
        root = put(root, "required", all_keys(props));
    } else {
        root = put(root, "required", names_array((const char *const[]){"name", "codec", NULL}));
    }
    root = put(root, "additionalProperties", json_false());
    if (!strict) {
        json_t *conds = json_array();
        if (conds &&
            (json_array_append_new(conds, codec_condition("engine", "#/$defs/engine_settings", 0)) < 0 ||
             json_array_append_new(conds, codec_condition("ffmpeg", "#/$defs/ffmpeg_settings", 1)) < 0)) {
            json_decref(conds);
            conds = NULL;
        }
        root = put(root, "allOf", conds);
    }
    root = put(root, "$defs", defs);
    json_decref(props);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    return text;
}

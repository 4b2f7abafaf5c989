/* codecbench: the files of a run directory (see runfiles.h). */
#include "worker/runfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/fsutil.h"
#include "codecbench/jsonfile.h"
#include "codecbench/worker.h"

int rf_write_json(const char *path, const json_t *j, size_t flags, CbError *err)
{
    return cb_json_write_file(path, j, flags | JSON_REAL_PRECISION(17) | JSON_ENSURE_ASCII, err);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
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
    if (n < len)
        return 0;
    unsigned v = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return len;
}

json_t *rf_json_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    char *out = malloc((n < max ? n : max) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(u + i, n - i);
        size_t take = l ? l : 1;
        if (o + take > max)
            break;
        if (l)
            memcpy(out + o, s + i, l);
        else
            out[o] = '?';
        o += take;
        i += take;
    }
    out[o] = '\0';
    json_t *j = json_stringn(out, o);
    free(out);
    return j;
}

int rf_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
               const char *file, CbError *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return cb_error_set(err, CB_EFORMAT, "%s: %s: missing", file, key);
    if (!json_is_integer(v))
        return cb_error_set(err, CB_EFORMAT, "%s: %s: not an integer", file, key);
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return cb_error_set(err, CB_EINVAL, "%s: %s: %lld is out of range %lld..%lld", file, key,
                            (long long)x, (long long)min, (long long)max);
    *out = x;
    return CB_OK;
}

int rf_get_real(const json_t *obj, const char *key, double min, double max, double *out,
                const char *file, CbError *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return cb_error_set(err, CB_EFORMAT, "%s: %s: missing", file, key);
    if (!json_is_number(v))
        return cb_error_set(err, CB_EFORMAT, "%s: %s: not a number", file, key);
    double x = json_number_value(v);
    if (!isfinite(x) || x < min || x > max)
        return cb_error_set(err, CB_EINVAL, "%s: %s: %g is out of range %g..%g", file, key, x,
                            min, max);
    *out = x;
    return CB_OK;
}

int rf_get_str(const json_t *obj, const char *key, size_t max_len, const char **out,
               const char *file, CbError *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return cb_error_set(err, CB_EFORMAT, "%s: %s: missing", file, key);
    if (!json_is_string(v))
        return cb_error_set(err, CB_EFORMAT, "%s: %s: not a string", file, key);
    size_t n = json_string_length(v);
    if (n > max_len)
        return cb_error_set(err, CB_ELIMIT, "%s: %s: %zu bytes, more than %zu", file, key, n,
                            max_len);
    if (strlen(json_string_value(v)) != n)
        return cb_error_set(err, CB_EFORMAT, "%s: %s: holds a NUL character", file, key);
    *out = json_string_value(v);
    return CB_OK;
}

/* ---- run.json -------------------------------------------------------------- */

int rf_run_read(const char *run_dir, RfRun *out, CbError *err)
{
    memset(out, 0, sizeof *out);
    char *path = cb_path_join(run_dir, "run.json");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    json_t *j = NULL;
    const char *s;
    int64_t v;
    int rc = cb_json_read_object(path, CB_WORKER_JSON_MAX, &j, err);
    if (rc < 0)
        goto fail;
    if ((rc = rf_get_int(j, "format", 1, INT64_MAX, &v, path, err)) < 0)
        goto fail;
    if (v > CB_WORKER_FORMAT) {
        rc = cb_error_set(err, CB_ENOTSUP, "%s: format %lld is newer than this build's (%d)",
                          path, (long long)v, CB_WORKER_FORMAT);
        goto fail;
    }
    if ((rc = rf_get_int(j, "id", 0, INT64_MAX, &out->id, path, err)) < 0 ||
        (rc = rf_get_str(j, "input", PATH_MAX, &s, path, err)) < 0)
        goto fail;
    if (s[0] != '/') {
        rc = cb_error_set(err, CB_EINVAL, "%s: input: '%s' is not an absolute path", path, s);
        goto fail;
    }
    if (!(out->input = strdup(s))) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = rf_get_str(j, "experiment", 4096, &s, path, err)) < 0)
        goto fail;
    if (!(out->experiment = strdup(s))) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = rf_get_int(j, "first_frame", 0, INT32_MAX, &out->first_frame, path, err)) < 0 ||
        (rc = rf_get_int(j, "frames", -1, INT32_MAX, &out->frames, path, err)) < 0)
        goto fail;
    if (out->frames == 0) {
        rc = cb_error_set(err, CB_EINVAL, "%s: frames: 0; a run encodes at least one frame "
                                          "(-1: to the end)",
                          path);
        goto fail;
    }
    json_decref(j);
    free(path);
    return CB_OK;
fail:
    json_decref(j);
    free(path);
    rf_run_free(out);
    return rc;
}

void rf_run_free(RfRun *r)
{
    if (!r)
        return;
    free(r->experiment);
    free(r->input);
    memset(r, 0, sizeof *r);
}

int rf_recipe_read(const char *run_dir, CbRecipe *out, char hash[CB_RECIPE_HASH_HEX],
                   CbError *err)
{
    memset(out, 0, sizeof *out);
    char *path = cb_path_join(run_dir, "recipe.json");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    char *text = NULL;
    size_t len;
    int rc = cb_file_read(path, CB_RECIPE_MAX_BYTES, &text, &len, err);
    if (rc == CB_OK)
        rc = cb_recipe_parse(text, len, path, out, err);
    if (rc == CB_OK && (rc = cb_recipe_hash(out, hash)) < 0) {
        cb_error_set(err, rc, "%s: cannot hash the recipe: %s", path, cb_strerror(rc));
        cb_recipe_free(out);
    }
    free(text);
    free(path);
    return rc;
}

/* ---- events.jsonl ---------------------------------------------------------- */

int rf_events_open(RfEvents *ev, const char *run_dir, const CbLogger *logger, CbError *err)
{
    ev->fd = -1;
    ev->logger = logger;
    char *path = cb_path_join(run_dir, "events.jsonl");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    ev->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    int rc = CB_OK;
    if (ev->fd < 0)
        rc = cb_error_set(err, errno == ENOENT ? CB_ENOENT : CB_EIO, "%s: %s", path,
                          strerror(errno));
    free(path);
    return rc;
}

int rf_events_start(RfEvents *ev, CbLogger *log, const char *run_dir, const CbLogger *logger,
                    CbError *err)
{
    struct stat st;
    if (!run_dir || stat(run_dir, &st) != 0) {
        int e = run_dir ? errno : 0;
        return cb_error_set(err, e == ENOENT ? CB_ENOENT : CB_EIO, "run directory %s: %s",
                            run_dir ? run_dir : "(none)", run_dir ? strerror(e) : "not given");
    }
    if (!S_ISDIR(st.st_mode))
        return cb_error_set(err, CB_EINVAL, "run directory %s: not a directory", run_dir);
    int rc = rf_events_open(ev, run_dir, logger, err);
    if (rc == CB_OK)
        *log = rf_events_logger(ev, CB_LOG_INFO);
    return rc;
}

void rf_event_error(RfEvents *ev, const char *stage, int rc, const CbError *err)
{
    rf_event(ev, "error",
             json_pack("{ss so}", "stage", stage, "text",
                       rf_json_text(err ? err->text : cb_strerror(rc), 2048)));
}

void rf_events_close(RfEvents *ev)
{
    if (ev->fd >= 0)
        close(ev->fd);
    ev->fd = -1;
}

int rf_event(RfEvents *ev, const char *name, json_t *fields)
{
    int rc = CB_OK;
    char *line = NULL;
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "t", json_real(floor(rf_unix_time() * 1000.0) / 1000.0)) ||
        json_object_set_new(o, "event", json_string(name)) ||
        (fields && json_object_update(o, fields))) {
        rc = CB_ENOMEM;
        goto out;
    }
    line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
    if (!line) {
        rc = CB_ENOMEM;
        goto out;
    }
    size_t n = strlen(line);
    if (n + 1 > CB_WORKER_EVENT_MAX) {
        rc = CB_ELIMIT;
        goto out;
    }
    line[n] = '\n';
    if (ev->fd < 0) {
        rc = CB_EIO;
        goto out;
    }
    /* One write() on an O_APPEND descriptor: the line lands whole, after
     * whatever another writer appended. */
    ssize_t w;
    do
        w = write(ev->fd, line, n + 1);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)(n + 1))
        rc = CB_EIO;
out:
    free(line);
    json_decref(o);
    json_decref(fields);
    return rc;
}

static void vlog(RfEvents *ev, CbLogLevel level, const char *fmt, va_list ap)
{
    char text[CB_ERROR_TEXT_MAX];
    if (vsnprintf(text, sizeof text, fmt, ap) < 0)
        return;
    if (ev->logger && ev->logger->fn && level <= ev->logger->max_level)
        ev->logger->fn(ev->logger->opaque, level, text);
    json_t *f = json_object();
    if (!f)
        return;
    if (json_object_set_new(f, "level", json_string(cb_log_level_name(level))) ||
        json_object_set_new(f, "text", rf_json_text(text, CB_WORKER_EVENT_MAX / 2))) {
        json_decref(f);
        return;
    }
    rf_event(ev, "log", f);
}

void rf_log(RfEvents *ev, CbLogLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(ev, level, fmt, ap);
    va_end(ap);
}

static void events_log_fn(void *opaque, CbLogLevel level, const char *msg)
{
    rf_log(opaque, level, "%s", msg);
}

CbLogger rf_events_logger(RfEvents *ev, CbLogLevel max_level)
{
    CbLogger l = {.fn = events_log_fn, .opaque = ev, .max_level = max_level};
    return l;
}

/* ---- clocks and the machine ------------------------------------------------ */

static double clock_s(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double rf_cpu_seconds(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }
double rf_wall_seconds(void) { return clock_s(CLOCK_MONOTONIC); }
double rf_unix_time(void) { return clock_s(CLOCK_REALTIME); }

/* The "model name" of /proc/cpuinfo's first processor, or "unknown". */
static json_t *cpu_model(void)
{
    char *text = NULL;
    size_t len;
    json_t *j = NULL;
    if (cb_file_read("/proc/cpuinfo", 4 << 20, &text, &len, NULL) == CB_OK) {
        for (char *line = text; line && *line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (strncmp(line, "model name", 10) == 0) {
                char *colon = strchr(line, ':');
                if (colon) {
                    colon++;
                    while (*colon == ' ' || *colon == '\t')
                        colon++;
                    j = rf_json_text(colon, 200);
                    break;
                }
            }
            line = nl ? nl + 1 : NULL;
        }
    }
    free(text);
    return j ? j : json_string("unknown");
}

json_t *rf_machine(void)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    json_t *m = json_object();
    if (!m || json_object_set_new(m, "hostname", rf_json_text(host, 255)) ||
        json_object_set_new(m, "cpu", cpu_model()) ||
        json_object_set_new(m, "cores", json_integer(cores > 0 ? cores : 1))) {
        json_decref(m);
        return NULL;
    }
    return m;
}

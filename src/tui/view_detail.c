/* codecbench dashboard: one run (CB_VIEW_RUN): its header (status and
 * reason, experiment, recipe, input, frames, lineage, tags, times), the
 * rate points, how the numbers were made, why it ended when it failed (the
 * error events and the last lines of its log), its notes and its recipe.
 *
 * The text is built once per run, status change and store reload into a
 * document of logical lines, sanitised then; the lines are wrapped to the
 * width when the width changes; a draw only copies the visible rows.  A
 * running run's progress line is updated from its events on the timer. */
#include "tui/actions.h"
#include "tui/keyhint.h"
#include "tui/textwrap.h"
#include "tui/runtable.h"
#include "tui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/buf.h"
#include "codecbench/fsutil.h"
#include "codecbench/recipe.h"
#include "codecbench/result.h"
#include "codecbench/sandbox.h"
#include "codecbench/sanitize.h"

/* Bytes read from the end of events.jsonl and log.txt of a failed run. */
#define TAIL_EVENTS_BYTES (256 * 1024)
#define TAIL_LOG_BYTES (64 * 1024)
/* Error events and log lines shown (the last ones). */
#define SHOW_ERRORS 20
#define SHOW_LOG_LINES 30
/* Width of the label column of the header. */
#define LABEL_W 12

typedef struct Line {
    char *text;       /* owned, sanitised */
    CbColorArea area;
    int bold;
    int nowrap;       /* table rows: cut at the edge, never wrapped */
    int indent;       /* columns of indent for the wrapped continuation rows */
} Line;

typedef struct Row {
    size_t line;      /* index into doc */
    size_t off, len;  /* bytes of the line's text on this row */
    int indent;       /* columns before the text */
} Row;

typedef struct Detail {
    int64_t id;        /* the run shown; 0: none */
    int follow;        /* opened without a run: shows app->cursor_run */
    int built;         /* doc is for id */
    Line *doc;
    size_t n_doc, cap_doc;
    size_t progress_line; /* the doc line of a running run's progress, or SIZE_MAX */
    int progress_stale;

    Row *rows;
    size_t n_rows, cap_rows;
    int wrap_w;        /* the width rows were made for; 0: to be made */
    size_t top;        /* first row shown */
    int page;          /* rows of the last draw, for page moves */

    /* the slow parts, kept while the run's id and status stay */
    int64_t cache_id;
    int cache_status;
    CbRunResult res;
    int have_res;
    char *res_error;   /* why the result could not be read, or NULL */
    char **errors;     /* error events of a failed run */
    size_t n_errors;
    char **log;        /* last lines of log.txt */
    size_t n_log;
    int have_log;      /* log.txt exists (a worker was started) */
    /* a stage run's stage (issue 8): from the recipe, stage-build.txt and the
     * "stage" events of events.jsonl */
    CbStageKind stage_kind;  /* CB_STAGE_NONE: the run has no stage */
    char stage_hash[65];
    size_t stage_bytes, stage_lines;
    char *stage_diag;        /* the build's first diagnostics line, or NULL */
    char *stage_steps;       /* "build passed, round_trip passed, ..." or NULL */
    char *stage_failed;      /* the step it failed at, or NULL */

    unsigned sanitize; /* CB_SANITIZE_ASCII on non-UTF-8 locales */
    char hint[160];
    char *scratch;
    size_t scratch_cap;
} Detail;

/* ---- the document ------------------------------------------------------------ */

static void doc_clear(Detail *d)
{
    for (size_t i = 0; i < d->n_doc; i++)
        free(d->doc[i].text);
    d->n_doc = 0;
    d->n_rows = 0;
    d->wrap_w = 0;
    d->progress_line = SIZE_MAX;
}

/* Adds a line (text sanitised here); returns its index, SIZE_MAX when out of memory (the
 * line is then left out: the view shows what it could). */
static size_t add(Detail *d, CbColorArea area, int bold, int nowrap, int indent,
                  const char *text)
{
    if (d->n_doc == d->cap_doc) {
        size_t cap = d->cap_doc ? d->cap_doc * 2 : 64;
        Line *g = realloc(d->doc, cap * sizeof *g);
        if (!g)
            return SIZE_MAX;
        d->doc = g;
        d->cap_doc = cap;
    }
    char *s = cb_sanitize_dup(text ? text : "", d->sanitize);
    if (!s)
        return SIZE_MAX;
    d->doc[d->n_doc] = (Line){.text = s, .area = area, .bold = bold, .nowrap = nowrap,
                              .indent = indent};
    return d->n_doc++;
}

static size_t addf(Detail *d, CbColorArea area, int bold, int nowrap, int indent,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static size_t addf(Detail *d, CbColorArea area, int bold, int nowrap, int indent,
                   const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        buf[0] = '\0';
    return add(d, area, bold, nowrap, indent, buf);
}

/* "label       value" with the value's continuation rows under the value. */
static void field(Detail *d, const char *label, CbColorArea area, const char *value)
{
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "%-*s%s", LABEL_W, label, value ? value : "-");
    if (n < 0)
        buf[0] = '\0';
    add(d, area, 0, 0, LABEL_W, buf);
}

static void fieldf(Detail *d, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fieldf(Detail *d, const char *label, const char *fmt, ...)
{
    char buf[1536];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        buf[0] = '\0';
    field(d, label, CB_AREA_DEFAULT, buf);
}

static void heading(Detail *d, const char *text)
{
    add(d, CB_AREA_DEFAULT, 0, 1, 0, "");
    add(d, CB_AREA_HEADER, 1, 1, 0, text);
}

/* A paragraph of a section: two columns in, continuation rows too. */
static void body(Detail *d, CbColorArea area, const char *text)
{
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "  %s", text ? text : "");
    if (n < 0)
        buf[0] = '\0';
    add(d, area, 0, 0, 2, buf);
}

/* A number for a table cell: "-" when not finite, short for huge values. */
static const char *num(char *buf, size_t cap, double v, int decimals)
{
    if (!isfinite(v))
        snprintf(buf, cap, "-");
    else if (fabs(v) >= 1e9)
        snprintf(buf, cap, "%.3g", v);
    else
        snprintf(buf, cap, "%.*f", decimals, v);
    return buf;
}

static void fmt_time(double t, char *buf, size_t cap)
{
    if (!isfinite(t) || t <= 0 || t > 1e11) {
        snprintf(buf, cap, "-");
        return;
    }
    time_t s = (time_t)t;
    struct tm tm;
    if (!localtime_r(&s, &tm) || strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, cap, "-");
}

/* ---- the slow parts: result, error events, log tail ----------------------------- */

static void free_strings(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

static void cache_clear(Detail *d)
{
    if (d->have_res)
        cb_result_free(&d->res);
    d->have_res = 0;
    free(d->res_error);
    d->res_error = NULL;
    free_strings(&d->errors, &d->n_errors);
    free_strings(&d->log, &d->n_log);
    d->have_log = 0;
    d->stage_kind = CB_STAGE_NONE;
    free(d->stage_diag);
    free(d->stage_steps);
    free(d->stage_failed);
    d->stage_diag = d->stage_steps = d->stage_failed = NULL;
    d->cache_id = 0;
    d->cache_status = -1;
}

/* Appends a copy of s (len bytes) to a list that keeps its last keep entries. */
static void keep_last(char ***v, size_t *n, size_t keep, const char *s, size_t len)
{
    char *c = strndup(s, len);
    if (!c)
        return;
    if (*n == keep) {
        free((*v)[0]);
        memmove(*v, *v + 1, (keep - 1) * sizeof **v);
        (*v)[keep - 1] = c;
        return;
    }
    if (!*v && !(*v = calloc(keep, sizeof **v))) {
        free(c);
        return;
    }
    (*v)[(*n)++] = c;
}

/* The last max bytes of dir/name (a new string, *len bytes), starting at a line's start;
 * NULL when the file cannot be read (not there: the run never started). */
static char *read_tail(const char *dir, const char *name, size_t max, size_t *len)
{
    char *path = cb_path_join(dir, name), *buf = NULL;
    int fd = path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    struct stat st;
    *len = 0;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        goto out;
    off_t start = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
    buf = malloc(max + 1);
    if (!buf)
        goto out;
    size_t got = 0;
    while (got < max) {
        ssize_t r = pread(fd, buf + got, max - got, start + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    size_t skip = 0;
    if (start > 0) { /* a cut first line is dropped */
        char *nl = memchr(buf, '\n', got);
        skip = nl ? (size_t)(nl - buf) + 1 : got;
    }
    memmove(buf, buf + skip, got - skip + 1);
    *len = got - skip;
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return buf;
}

static void load_failure(Detail *d, TuiApp *app, int64_t id)
{
    char *dir = cb_store_run_dir(app->store, id);
    if (!dir)
        return;
    size_t len = 0;
    char *ev = read_tail(dir, "events.jsonl", TAIL_EVENTS_BYTES, &len);
    for (char *p = ev; p && p < ev + len;) {
        char *nl = memchr(p, '\n', (size_t)(ev + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(ev + len - p);
        json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
        const char *e = json_string_value(json_object_get(o, "event"));
        const char *lvl = json_string_value(json_object_get(o, "level"));
        const char *text = json_string_value(json_object_get(o, "text"));
        if (e && text && (strcmp(e, "error") == 0 || (strcmp(e, "log") == 0 && lvl &&
                                                      strcmp(lvl, "error") == 0))) {
            const char *stage = json_string_value(json_object_get(o, "stage"));
            char buf[1024];
            int k = snprintf(buf, sizeof buf, "%s: %s", stage ? stage : lvl ? "log" : "error",
                             text);
            if (k > 0)
                keep_last(&d->errors, &d->n_errors, SHOW_ERRORS, buf,
                          (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
        }
        json_decref(o);
        p += n + 1;
    }
    free(ev);
    char *lg = read_tail(dir, "log.txt", TAIL_LOG_BYTES, &len);
    d->have_log = lg != NULL;
    for (char *p = lg; p && p < lg + len;) {
        char *nl = memchr(p, '\n', (size_t)(lg + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(lg + len - p);
        keep_last(&d->log, &d->n_log, SHOW_LOG_LINES, p, n);
        p += n + 1;
    }
    free(lg);
    free(dir);
}

/* Bytes of stage-build.txt read (the build keeps at most CB_STAGE_DIAG_MAX). */
#define STAGE_DIAG_READ (CB_STAGE_DIAG_MAX + 1024)

/* A stage run's stage: kind and hash from the recipe, the build's first
 * diagnostics line (stage-build.txt), the ladder's steps so far (the
 * worker's {"event": "stage", "step", "ok"} events) and the step it failed
 * at (the failed event, else the reason's "stage STEP: " prefix). */
static void load_stage(Detail *d, TuiApp *app, const CbRunInfo *r)
{
    const char *json = tui_recipe_json(app, r->recipe_hash);
    CbRecipe rec;
    CbError err;
    memset(&rec, 0, sizeof rec);
    cb_error_clear(&err);
    if (!json || cb_recipe_parse(json, strlen(json), "recipe", &rec, &err) < 0)
        return;
    if (rec.stage_kind == CB_STAGE_NONE || !rec.stage_code) {
        cb_recipe_free(&rec);
        return;
    }
    d->stage_kind = rec.stage_kind;
    d->stage_bytes = strlen(rec.stage_code);
    d->stage_lines = 0;
    for (const char *p = rec.stage_code; *p; p++)
        d->stage_lines += *p == '\n' || (p[1] == '\0' && *p != '\n');
    cb_stage_hash_hex(rec.stage_code, d->stage_bytes, d->stage_hash);
    cb_recipe_free(&rec);

    char *dir = cb_store_run_dir(app->store, r->id);
    if (!dir)
        return;
    size_t len = 0;
    /* The first error line of the build's diagnostics, else their first line
     * ("stage.c: In function ..." says less than the error under it). */
    char *diag = read_tail(dir, "stage-build.txt", STAGE_DIAG_READ, &len);
    const char *first = NULL, *error = NULL;
    size_t first_n = 0, error_n = 0;
    for (char *p = diag; p && p < diag + len && !error;) {
        char *nl = memchr(p, '\n', (size_t)(diag + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(diag + len - p);
        if (n > 0 && !first)
            first = p, first_n = n;
        char save = p[n];
        p[n] = '\0';
        if (strstr(p, "error:"))
            error = p, error_n = n;
        p[n] = save;
        p += n + 1;
    }
    if (error || first)
        d->stage_diag = strndup(error ? error : first, error ? error_n : first_n);
    free(diag);
    CbBuf steps;
    cb_buf_init(&steps, 1024);
    char *ev = read_tail(dir, "events.jsonl", TAIL_EVENTS_BYTES, &len);
    for (char *p = ev; p && p < ev + len;) {
        char *nl = memchr(p, '\n', (size_t)(ev + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(ev + len - p);
        json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
        const char *e = json_string_value(json_object_get(o, "event"));
        const char *step = json_string_value(json_object_get(o, "step"));
        json_t *ok = json_object_get(o, "ok");
        if (e && step && json_is_boolean(ok) && strcmp(e, "stage") == 0 && strlen(step) < 64) {
            cb_buf_printf(&steps, "%s%s %s", steps.len ? ", " : "", step,
                          json_is_true(ok) ? "passed" : "FAILED");
            if (!json_is_true(ok) && !d->stage_failed)
                d->stage_failed = strdup(step);
        }
        json_decref(o);
        p += n + 1;
    }
    free(ev);
    if (steps.len)
        d->stage_steps = cb_buf_steal(&steps);
    cb_buf_free(&steps);
    free(dir);
    /* When the events say nothing (cut, or an older worker): the reason's
     * "stage STEP: ", which may follow "...last log lines: codecbench: "; or
     * the no-op rejection after every step passed. */
    if (!d->stage_failed && r->status == CB_RUN_FAILED && r->reason) {
        for (const char *s = strstr(r->reason, "stage "); s && !d->stage_failed;
             s = strstr(s + 6, "stage ")) {
            size_t n = strspn(s + 6, "abcdefghijklmnopqrstuvwxyz_");
            if (n > 0 && n < 64 && !strncmp(s + 6 + n, ": ", 2))
                d->stage_failed = strndup(s + 6, n);
        }
        if (!d->stage_failed && strstr(r->reason, "no-op:"))
            d->stage_failed = strdup("the no-op check (its frames equal its parent's)");
    }
}

/* Reads what is slow to read, once per run and status. */
static void load_cache(Detail *d, TuiApp *app, const CbRunInfo *r)
{
    if (d->cache_id == r->id && d->cache_status == (int)r->status)
        return;
    cache_clear(d);
    d->cache_id = r->id;
    d->cache_status = (int)r->status;
    if (r->status == CB_RUN_DONE) {
        CbError err;
        cb_error_clear(&err);
        if (cb_store_get_result(app->store, r->id, 0, &d->res, &err) == 0)
            d->have_res = 1;
        else
            d->res_error = strdup(err.text);
    } else if (r->status == CB_RUN_FAILED || r->status == CB_RUN_CANCELLED ||
               r->status == CB_RUN_INTERRUPTED) {
        load_failure(d, app, r->id);
    }
    load_stage(d, app, r);
}

/* ---- building the document ----------------------------------------------------- */

static void progress_text(const TuiApp *app, const CbRunInfo *r, char *buf, size_t cap)
{
    const TuiProgress *p = tui_progress(app, r->id);
    if (!p) {
        snprintf(buf, cap, "%-*s%s", LABEL_W, "progress",
                 r->status == CB_RUN_QUEUED ? "waiting for a worker" : "no event seen yet");
    } else if (isfinite(p->fraction)) {
        snprintf(buf, cap, "%-*s%3.0f%%  point %d of %d  %s", LABEL_W, "progress",
                 100.0 * p->fraction, p->point < p->points ? p->point + 1 : p->points, p->points,
                 p->text);
    } else {
        snprintf(buf, cap, "%-*s%s", LABEL_W, "progress", p->text);
    }
}

static void build_header(Detail *d, TuiApp *app, const CbRunInfo *r)
{
    char a[64], b[64], c[64];
    addf(d, CB_AREA_DEFAULT, 1, 0, 0, "run %lld  %s (%s) on %s", (long long)r->id,
         r->recipe_name ? r->recipe_name : "?", r->codec ? r->codec : "?", tui_basename(r->input));
    char st[1200];
    snprintf(st, sizeof st, "%s%s%s%s", cb_run_status_name(r->status),
             r->reason ? ": " : "", r->reason ? r->reason : "",
             r->cancel_requested && r->status < CB_RUN_DONE ? " (cancel requested)" : "");
    field(d, "status", tui_status_area(r->status), st);
    if (r->status == CB_RUN_QUEUED || r->status == CB_RUN_RUNNING ||
        r->status == CB_RUN_VERIFYING) {
        char pbuf[400];
        progress_text(app, r, pbuf, sizeof pbuf);
        d->progress_line = add(d, CB_AREA_RUNNING, 0, 0, LABEL_W, pbuf);
    }
    field(d, "experiment", CB_AREA_DEFAULT, r->experiment);
    fieldf(d, "recipe", "%s  sha256 %.16s", r->recipe_name ? r->recipe_name : "?",
           r->recipe_hash ? r->recipe_hash : "?");
    field(d, "codec", CB_AREA_DEFAULT, r->codec);
    field(d, "input", CB_AREA_DEFAULT, r->input);
    if (r->frames > 0)
        fieldf(d, "frames", "%lld..%lld (%lld frames)", (long long)r->first_frame,
               (long long)(r->first_frame + r->frames - 1), (long long)r->frames);
    else
        fieldf(d, "frames", "from %lld to the end", (long long)r->first_frame);
    if (r->width > 0)
        fieldf(d, "size", "%dx%d", r->width, r->height);
    field(d, "clip", CB_AREA_DEFAULT, r->clip_id ? r->clip_id : "- (known once measured)");
    if (r->parent > 0) {
        const CbRunInfo *p = tui_run(app, r->parent);
        fieldf(d, "parent", "run %lld%s%s%s, origin %s", (long long)r->parent,
               p ? " (" : " (deleted)", p && p->recipe_name ? p->recipe_name : "",
               p ? ")" : "", r->origin ? r->origin : "?");
    } else {
        fieldf(d, "parent", "none, origin %s", r->origin ? r->origin : "?");
    }
    field(d, "tags", CB_AREA_DEFAULT, r->tags && *r->tags ? r->tags : "-");
    fmt_time(r->created, a, sizeof a);
    fmt_time(r->started, b, sizeof b);
    fmt_time(r->finished, c, sizeof c);
    field(d, "created", CB_AREA_DEFAULT, a);
    field(d, "started", CB_AREA_DEFAULT, b);
    if (isfinite(r->finished) && isfinite(r->started)) {
        char dur[32];
        tui_runtable_format_duration(r->finished - r->started, dur, sizeof dur);
        fieldf(d, "finished", "%s (%s after the start)", c, dur);
    } else {
        field(d, "finished", CB_AREA_DEFAULT, c);
    }
    if (r->pid > 0)
        fieldf(d, "process", "pid %lld", (long long)r->pid);
    if (r->status == CB_RUN_DONE) {
        if (r->anchor_run == r->id) {
            field(d, "BD", CB_AREA_DEFAULT, "this run is its experiment's anchor on this clip");
        } else if (r->anchor_run > 0 && isfinite(r->bd_rate)) {
            char bd[200], ps[48] = "";
            if (isfinite(r->bd_psnr))
                snprintf(ps, sizeof ps, ", BD-PSNR %+.3f dB", r->bd_psnr);
            snprintf(bd, sizeof bd, "BD-rate %+.2f %%%s vs anchor run %lld", r->bd_rate, ps,
                     (long long)r->anchor_run);
            field(d, "BD", r->bd_rate < 0 ? CB_AREA_GOOD : r->bd_rate > 0 ? CB_AREA_BAD
                                                                          : CB_AREA_DEFAULT,
                  bd);
        } else if (r->anchor_run > 0) {
            fieldf(d, "BD", "vs anchor run %lld: not computable (mark both and compare to see "
                   "why)", (long long)r->anchor_run);
        } else {
            field(d, "BD", CB_AREA_DEFAULT, "no anchor run on this clip (set one with anchor)");
        }
    }
}

/* A stage run's stage: what it replaces, its hash, how its judging went. */
static void build_stage(Detail *d, TuiApp *app)
{
    char keys[64];
    const CbRequest req = CB_REQ_STAGE;
    const char *const word = "to read it";
    if (tui_key_hint(app->cfg, CB_VIEW_RUN, &req, &word, 1, keys, sizeof keys) == 0)
        keys[0] = '\0';
    char head[128];
    snprintf(head, sizeof head, "Stage%s%s%s", keys[0] ? " (" : "", keys, keys[0] ? ")" : "");
    heading(d, head);
    fieldf(d, "kind", "%s (C code in place of the engine's built-in %s)",
           cb_stage_kind_name((int)d->stage_kind), cb_stage_kind_name((int)d->stage_kind));
    fieldf(d, "source", "sha256 %.16s, %zu lines, %zu bytes", d->stage_hash, d->stage_lines,
           d->stage_bytes);
    if (d->stage_steps)
        field(d, "judging", CB_AREA_DEFAULT, d->stage_steps);
    if (d->stage_failed)
        field(d, "failed at", CB_AREA_FAILED, d->stage_failed);
    if (d->stage_diag)
        field(d, "build", CB_AREA_WARN, d->stage_diag);
}

static void build_points(Detail *d)
{
    const CbRunResult *res = &d->res;
    char v[8][32];
    heading(d, "Rate points (PSNR: mean of per-frame values, dB)");
    addf(d, CB_AREA_HEADER, 0, 1, 0, "%5s %10s %8s %8s %8s %9s %8s", "RATE", "KBPS", "PSNR-Y",
         "PSNR-U", "PSNR-V", "PSNR-YUV", "SSIM");
    for (size_t i = 0; i < res->n_points; i++) {
        const CbPointResult *p = &res->points[i];
        addf(d, CB_AREA_DEFAULT, 0, 1, 0, "%5d %10s %8s %8s %8s %9s %8s", p->rate_value,
             num(v[0], 32, p->kbps, 1), num(v[1], 32, p->psnr_mean[0], 3),
             num(v[2], 32, p->psnr_mean[1], 3), num(v[3], 32, p->psnr_mean[2], 3),
             num(v[4], 32, p->psnr_yuv_mean, 3), num(v[5], 32, p->ssim_mean, 5));
    }
    add(d, CB_AREA_DEFAULT, 0, 1, 0, "");
    addf(d, CB_AREA_HEADER, 0, 1, 0, "%5s %12s %9s %9s %9s %5s  %s", "RATE", "BYTES", "ENC-FPS",
         "DEC-FPS", "PEAK-MIB", "CONC", "STREAM");
    for (size_t i = 0; i < res->n_points; i++) {
        const CbPointResult *p = &res->points[i];
        addf(d, CB_AREA_DEFAULT, 0, 1, 0, "%5d %12lld %9s %9s %9s %5d  %s", p->rate_value,
             (long long)p->payload_bytes, num(v[0], 32, p->encode_fps, 2),
             num(v[1], 32, p->decode_fps, 2), num(v[2], 32, (double)p->peak_rss_kib / 1024.0, 1),
             p->concurrency, p->stream_file ? p->stream_file : "?");
    }
}

static void build_provenance(Detail *d)
{
    const CbRunResult *res = &d->res;
    const char *q = "?";
    heading(d, "How the numbers were made");
    addf(d, CB_AREA_DEFAULT, 0, 0, 4, "  codecbench %s with %s; FFmpeg %s",
         res->codecbench_version ? res->codecbench_version : q,
         res->encoder_version ? res->encoder_version : q,
         res->ffmpeg_versions ? res->ffmpeg_versions : q);
    addf(d, CB_AREA_DEFAULT, 0, 0, 4, "  on %s; verified in %.2f s at %d/%d fps",
         res->machine ? res->machine : q, isfinite(res->verify_wall_s) ? res->verify_wall_s : NAN,
         res->fps_num, res->fps_den);
    if (res->provenance && *res->provenance)
        body(d, CB_AREA_DEFAULT, res->provenance);
}

/* The reason is in the header's status; here what the run left behind. */
static void build_failure(Detail *d)
{
    heading(d, "What the run left behind");
    if (d->n_errors) {
        add(d, CB_AREA_HEADER, 0, 1, 0, "Error events (events.jsonl)");
        for (size_t i = 0; i < d->n_errors; i++)
            body(d, CB_AREA_LOG_ERROR, d->errors[i]);
        add(d, CB_AREA_DEFAULT, 0, 1, 0, "");
    }
    if (d->n_log == 1) {
        add(d, CB_AREA_HEADER, 0, 1, 0, "The last line of log.txt");
    } else if (d->n_log) {
        addf(d, CB_AREA_HEADER, 0, 1, 0, "The last %zu lines of log.txt", d->n_log);
    } else {
        body(d, CB_AREA_DEFAULT, d->have_log ? "log.txt is empty"
                                             : "no log.txt: no worker was started");
        return;
    }
    for (size_t i = 0; i < d->n_log; i++)
        body(d, CB_AREA_DEFAULT, d->log[i]);
}

static void build_notes(Detail *d, TuiApp *app, int64_t id)
{
    CbNote *notes = NULL;
    size_t n = 0;
    CbError err;
    cb_error_clear(&err);
    if (cb_store_notes(app->store, id, &notes, &n, &err) < 0) {
        heading(d, "Notes");
        body(d, CB_AREA_STATUS_ERROR, err.text);
        return;
    }
    if (n) {
        heading(d, "Notes");
        for (size_t i = 0; i < n; i++) {
            char when[64];
            fmt_time(notes[i].created, when, sizeof when);
            addf(d, CB_AREA_DEFAULT, 0, 0, 23, "  %-19s  %s", when,
                 notes[i].text ? notes[i].text : "");
        }
    }
    cb_notes_free(&notes, n);
}

/* Objects one key a line, indented; arrays and scalars on the key's line
 * ("qps": [22, 27, 32, 37]), as people write recipes. */
static int pretty_json(CbBuf *b, const json_t *o, int depth)
{
    const char *key;
    json_t *v;
    size_t i = 0, n = json_object_size(o);
    int rc = cb_buf_puts(b, "{\n");
    json_object_foreach((json_t *)o, key, v) {
        json_t *k = json_string(key);
        char *ks = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
        json_decref(k);
        if (!ks)
            return CB_ENOMEM;
        rc = rc < 0 ? rc : cb_buf_printf(b, "%*s%s: ", 2 * (depth + 1), "", ks);
        free(ks);
        if (rc == CB_OK && json_is_object(v) && json_object_size(v) > 0 && depth < 8) {
            rc = pretty_json(b, v, depth + 1);
        } else if (rc == CB_OK) {
            char *vs = json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
            rc = vs ? cb_buf_puts(b, vs) : CB_ENOMEM;
            free(vs);
        }
        if (rc == CB_OK)
            rc = cb_buf_puts(b, ++i < n ? ",\n" : "\n");
        if (rc < 0)
            return rc;
    }
    return cb_buf_printf(b, "%*s}", 2 * depth, "");
}

static void build_recipe(Detail *d, TuiApp *app, int64_t id)
{
    char *text = NULL, *pretty = NULL;
    CbError err;
    cb_error_clear(&err);
    heading(d, "Recipe (recipe.json)");
    if (cb_store_get_recipe(app->store, id, &text, &err) < 0) {
        body(d, CB_AREA_STATUS_ERROR, err.text);
        return;
    }
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    /* A stage's code is one long JSON string: shown by the stage view (S)
     * with its lines, here only said. */
    json_t *stage = json_object_get(doc, "stage");
    const char *code = json_string_value(json_object_get(stage, "code"));
    if (code) {
        size_t lines = 0;
        for (const char *p = code; *p; p++)
            lines += *p == '\n' || (p[1] == '\0' && *p != '\n');
        char say[96];
        snprintf(say, sizeof say, "<%zu lines of C: the stage view shows them>", lines);
        json_object_set_new(stage, "code", json_string(say));
    }
    if (json_is_object(doc)) {
        CbBuf b;
        cb_buf_init(&b, 4 * (size_t)CB_RECIPE_MAX_BYTES);
        if (pretty_json(&b, doc, 0) == CB_OK)
            pretty = cb_buf_steal(&b);
        cb_buf_free(&b);
    }
    json_decref(doc);
    const char *src = pretty ? pretty : text;
    for (const char *p = src; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, n);
        if (line) {
            size_t ind = strspn(line, " ");
            add(d, CB_AREA_DEFAULT, 0, 0, (int)(ind + 2 < 40 ? ind + 2 : 40), line);
            free(line);
        }
        p += n + (nl ? 1 : 0);
    }
    free(pretty);
    free(text);
}

static void build(Detail *d, TuiApp *app)
{
    doc_clear(d);
    d->built = 1;
    d->progress_stale = 0;
    if (d->id <= 0) {
        add(d, CB_AREA_DEFAULT, 0, 0, 0,
            "No run selected: open one from the list of runs (Enter on its line).");
        return;
    }
    const CbRunInfo *r = tui_run(app, d->id);
    if (!r) {
        addf(d, CB_AREA_WARN, 0, 0, 0, "Run %lld is not in the store (deleted, or not shown "
             "in this experiment).", (long long)d->id);
        cache_clear(d);
        return;
    }
    load_cache(d, app, r);
    build_header(d, app, r);
    if (d->stage_kind != CB_STAGE_NONE)
        build_stage(d, app);
    if (d->have_res) {
        build_points(d);
        build_provenance(d);
    } else if (r->status == CB_RUN_DONE) {
        heading(d, "Rate points");
        body(d, CB_AREA_STATUS_ERROR, d->res_error ? d->res_error : "the result could not be read");
    }
    if (r->status == CB_RUN_FAILED || r->status == CB_RUN_CANCELLED ||
        r->status == CB_RUN_INTERRUPTED)
        build_failure(d);
    build_notes(d, app, r->id);
    build_recipe(d, app, r->id);
}

/* ---- wrapping -------------------------------------------------------------------- */

static int add_row(Detail *d, size_t line, size_t off, size_t len, int indent)
{
    if (d->n_rows == d->cap_rows) {
        size_t cap = d->cap_rows ? d->cap_rows * 2 : 128;
        Row *g = realloc(d->rows, cap * sizeof *g);
        if (!g)
            return CB_ENOMEM;
        d->rows = g;
        d->cap_rows = cap;
    }
    d->rows[d->n_rows++] = (Row){.line = line, .off = off, .len = len, .indent = indent};
    return CB_OK;
}

typedef struct WrapCtx {
    Detail *d;
    size_t line;
} WrapCtx;

static int wrap_row(void *opaque, size_t off, size_t n, int indent)
{
    WrapCtx *w = opaque;
    return add_row(w->d, w->line, off, n, indent);
}

static void wrap(Detail *d, int width)
{
    d->n_rows = 0;
    d->wrap_w = width;
    if (width < 1)
        return;
    for (size_t i = 0; i < d->n_doc; i++) {
        const Line *l = &d->doc[i];
        size_t n = strlen(l->text);
        if (l->nowrap) {
            if (add_row(d, i, 0, n, 0) < 0)
                return;
            continue;
        }
        WrapCtx w = {.d = d, .line = i};
        if (tui_wrap(l->text, n, width, l->indent, wrap_row, &w) < 0)
            return;
    }
}

/* ---- the view --------------------------------------------------------------------- */

static int create(TuiApp *app, void **self)
{
    Detail *d = calloc(1, sizeof *d);
    if (!d)
        return CB_ENOMEM;
    d->progress_line = SIZE_MAX;
    d->cache_status = -1;
    d->sanitize = app->utf8 ? 0 : CB_SANITIZE_ASCII;
    static const CbRequest reqs[] = {CB_REQ_RERUN, CB_REQ_EDIT, CB_REQ_CANCEL, CB_REQ_DELETE,
                                     CB_REQ_LOGS, CB_REQ_CHART, CB_REQ_ANCHOR, CB_REQ_TAG,
                                     CB_REQ_NOTE, CB_REQ_STAGE};
    static const char *const words[] = {"rerun", "edit", "cancel", "delete", "logs", "chart",
                                        "anchor", "tag", "note", "stage"};
    tui_key_hint(app->cfg, CB_VIEW_RUN, reqs, words, sizeof reqs / sizeof reqs[0], d->hint,
                 sizeof d->hint);
    *self = d;
    return CB_OK;
}

static void destroy(void *self)
{
    Detail *d = self;
    if (!d)
        return;
    doc_clear(d);
    free(d->doc);
    free(d->rows);
    cache_clear(d);
    free(d->scratch);
    free(d);
}

static void show_run(Detail *d, TuiApp *app, int64_t id)
{
    if (id != d->id)
        d->top = 0;
    d->id = id;
    build(d, app);
    tui_dirty(app);
}

static void clamp_top(Detail *d, int h)
{
    size_t max = d->n_rows > (size_t)(h > 0 ? h : 1) ? d->n_rows - (size_t)h : 0;
    if (d->top > max)
        d->top = max;
}

static void draw(void *self, TuiApp *app, TuiRect area)
{
    Detail *d = self;
    tui_clear_rect(app, area);
    if (area.w <= 0 || area.h <= 0)
        return;
    if (d->follow && app->cursor_run != d->id)
        show_run(d, app, app->cursor_run);
    if (!d->built)
        build(d, app);
    /* the last column is kept for the scroll marks */
    int ww = area.w > 20 ? area.w - 1 : area.w;
    if (d->wrap_w != ww)
        wrap(d, ww);
    d->page = area.h;
    clamp_top(d, area.h);
    for (int y = 0; y < area.h && d->top + (size_t)y < d->n_rows; y++) {
        const Row *r = &d->rows[d->top + (size_t)y];
        const Line *l = &d->doc[r->line];
        if (r->len + 1 > d->scratch_cap) {
            char *g = realloc(d->scratch, r->len + 1);
            if (!g)
                return;
            d->scratch = g;
            d->scratch_cap = r->len + 1;
        }
        memcpy(d->scratch, l->text + r->off, r->len);
        d->scratch[r->len] = '\0';
        attr_t at = tui_attr(app, l->area) | (l->bold ? A_BOLD : 0);
        int x = r->indent < area.w ? r->indent : 0;
        tui_text(app, area.y + y, area.x + x, ww - x, at, d->scratch);
    }
    /* more below / above: a mark in the last column */
    if (d->n_rows > (size_t)area.h) {
        attr_t at = tui_attr(app, CB_AREA_BORDER);
        if (d->top > 0)
            tui_glyph(app, area.y, area.x + area.w - 1, at, "▲", '^');
        if (d->top + (size_t)area.h < d->n_rows)
            tui_glyph(app, area.y + area.h - 1, area.x + area.w - 1, at, "▼", 'v');
    }
}

static void scroll_by(Detail *d, TuiApp *app, long delta)
{
    size_t old = d->top;
    if (delta < 0)
        d->top = (size_t)-delta > d->top ? 0 : d->top - (size_t)-delta;
    else
        d->top += (size_t)delta;
    clamp_top(d, d->page > 0 ? d->page : 1);
    if (d->top != old)
        tui_dirty(app);
}

static int key(void *self, TuiApp *app, CbRequest req, int k)
{
    Detail *d = self;
    (void)k;
    long page = d->page > 1 ? d->page - 1 : 1;
    int64_t id = d->id;
    const CbRunInfo *r = id > 0 ? tui_run(app, id) : NULL;
    switch (req) {
    case CB_REQ_MOVE_UP: scroll_by(d, app, -1); return 1;
    case CB_REQ_MOVE_DOWN: scroll_by(d, app, 1); return 1;
    case CB_REQ_MOVE_PAGE_UP: scroll_by(d, app, -page); return 1;
    case CB_REQ_MOVE_PAGE_DOWN: scroll_by(d, app, page); return 1;
    case CB_REQ_MOVE_HOME: scroll_by(d, app, -(long)d->n_rows); return 1;
    case CB_REQ_MOVE_END: scroll_by(d, app, (long)d->n_rows); return 1;
    default: break;
    }
    if (req == CB_REQ_RERUN || req == CB_REQ_EDIT || req == CB_REQ_CANCEL ||
        req == CB_REQ_DELETE || req == CB_REQ_ANCHOR || req == CB_REQ_TAG ||
        req == CB_REQ_NOTE || req == CB_REQ_LOGS || req == CB_REQ_CHART ||
        req == CB_REQ_PREVIEW) {
        if (!r) {
            tui_message(app, 1, "no run shown");
            return 1;
        }
    }
    switch (req) {
    case CB_REQ_RERUN: tui_action_rerun(app, &id, 1); return 1;
    case CB_REQ_EDIT: tui_action_edit(app, id); return 1;
    case CB_REQ_CANCEL: tui_action_cancel(app, &id, 1); return 1;
    case CB_REQ_DELETE: tui_action_delete(app, &id, 1); return 1;
    case CB_REQ_ANCHOR: tui_action_anchor(app, id); return 1;
    case CB_REQ_TAG: tui_action_tag(app, &id, 1); return 1;
    case CB_REQ_NOTE: tui_action_note(app, id); return 1;
    case CB_REQ_LOGS: tui_open_view(app, &tui_view_logs, id); return 1;
    case CB_REQ_CHART: tui_open_view(app, &tui_view_chart, id); return 1;
    case CB_REQ_PREVIEW: tui_open_preview(app, id, 0, 0, 0); return 1;
    case CB_REQ_STAGE:
        if (r && d->stage_kind != CB_STAGE_NONE && d->cache_id == id)
            tui_open_view(app, &tui_view_stage, id);
        else
            tui_message(app, 0, "run %lld has no stage", (long long)id);
        return 1;
    case CB_REQ_PARENT:
        if (r && r->parent > 0 && tui_run(app, r->parent)) {
            d->follow = 0;
            show_run(d, app, r->parent);
            tui_message(app, 0, "run %lld: the parent of run %lld", (long long)r->parent,
                        (long long)id);
        } else {
            tui_message(app, 0, "run %lld has no parent in the store", (long long)id);
        }
        return 1;
    default: return 0;
    }
}

static void event(void *self, TuiApp *app, const TuiEvent *ev)
{
    Detail *d = self;
    switch (ev->type) {
    case TUI_EV_SHOW:
        d->follow = ev->run_id <= 0;
        show_run(d, app, ev->run_id > 0 ? ev->run_id : app->cursor_run);
        break;
    case TUI_EV_RELOAD:
        /* app->runs were replaced: rebuilt from them at the next draw (the view may be
         * hidden; nothing here points into them) */
        d->built = 0;
        tui_dirty(app);
        break;
    case TUI_EV_RUN_EVENT:
        if (ev->run_id == d->id && d->progress_line != SIZE_MAX)
            d->progress_stale = 1;
        break;
    case TUI_EV_TICK:
        if (d->progress_stale && d->progress_line < d->n_doc) {
            const CbRunInfo *r = tui_run(app, d->id);
            char buf[400];
            d->progress_stale = 0;
            if (!r)
                break;
            progress_text(app, r, buf, sizeof buf);
            char *s = cb_sanitize_dup(buf, d->sanitize);
            if (s) {
                free(d->doc[d->progress_line].text);
                d->doc[d->progress_line].text = s;
                d->wrap_w = 0;
                tui_dirty(app);
            }
        }
        break;
    case TUI_EV_MOUSE:
        if (ev->button == 4)
            scroll_by(d, app, -3);
        else if (ev->button == 5)
            scroll_by(d, app, 3);
        break;
    }
}

static const char *hint(void *self, TuiApp *app)
{
    (void)app;
    Detail *d = self;
    return d->hint[0] ? d->hint : NULL;
}

const TuiViewOps tui_view_detail = {
    .id = CB_VIEW_RUN,
    .title = "Run",
    .create = create,
    .destroy = destroy,
    .draw = draw,
    .key = key,
    .event = event,
    .hint = hint,
};

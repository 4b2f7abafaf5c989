/* Following a run: events.jsonl through CbFollow (inotify plus a timer),
 * the run's status from the store. */
#include "cli/runwait.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codecbench/runner.h"
#include "codecbench/sanitize.h"

/* How often the store is asked for the run's status, and the events file
 * read when inotify says nothing (network file systems), in ms. */
#define FOLLOW_TICK_MS 250

static const char *str_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int has_num(json_t *o, const char *k, double *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return isfinite(*out);
}

/* Appends printf-style text to buf (bounded; the text is cut when full). */
static void add(char *buf, size_t n, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t n, size_t *used, const char *fmt, ...)
{
    if (*used >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *used, n - *used, fmt, ap);
    va_end(ap);
    if (w > 0)
        *used += (size_t)w < n - *used ? (size_t)w : n - *used - 1;
}

/* The rest of an event's fields, compactly, for events we do not know. */
static void add_fields(char *buf, size_t n, size_t *used, json_t *o)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (!strcmp(k, "t") || !strcmp(k, "event"))
            continue;
        char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (txt)
            add(buf, n, used, " %s=%s", k, txt);
        free(txt);
    }
}

int cli_event_text(const char *line, size_t len, char *out, size_t n)
{
    char buf[2048];
    size_t used = 0;
    int rc = 0;
    json_error_t jerr;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        add(buf, sizeof(buf), &used, "(not an event) %.*s", (int)(len < 400 ? len : 400), line);
        goto out;
    }
    double t;
    if (has_num(o, "t", &t) && t >= 0 && t < 1e11) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (localtime_r(&tt, &tm))
            add(buf, sizeof(buf), &used, "%02d:%02d:%02d ", tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    const char *ev = str_field(o, "event");
    double a, b, c, d;
    if (!ev) {
        add(buf, sizeof(buf), &used, "(event without a name)");
        add_fields(buf, sizeof(buf), &used, o);
    } else if (!strcmp(ev, "progress")) {
        rc = -1;
        add(buf, sizeof(buf), &used, "encoding");
        if (has_num(o, "point", &a))
            add(buf, sizeof(buf), &used, " point %.0f", a + 1);
        if (has_num(o, "rate", &b))
            add(buf, sizeof(buf), &used, " (%.0f)", b);
        if (has_num(o, "frame", &c) && has_num(o, "frames", &d))
            add(buf, sizeof(buf), &used, ": frame %.0f/%.0f", c, d);
    } else if (!strcmp(ev, "log") || !strcmp(ev, "error")) {
        const char *level = !strcmp(ev, "error") ? "error" : str_field(o, "level");
        const char *text = str_field(o, "text");
        add(buf, sizeof(buf), &used, "%s%s%s", level ? level : "", level ? ": " : "",
            text ? text : "");
    } else if (!strcmp(ev, "point")) {
        add(buf, sizeof(buf), &used, "point");
        if (has_num(o, "point", &a))
            add(buf, sizeof(buf), &used, " %.0f", a + 1);
        if (has_num(o, "rate", &b))
            add(buf, sizeof(buf), &used, " (%.0f)", b);
        add(buf, sizeof(buf), &used, " encoded:");
        if (has_num(o, "bytes", &a))
            add(buf, sizeof(buf), &used, " %.0f bytes", a);
        if (has_num(o, "kbps", &a))
            add(buf, sizeof(buf), &used, ", %.1f kbps", a);
        if (has_num(o, "encode_fps", &a))
            add(buf, sizeof(buf), &used, ", %.1f fps", a);
    } else {
        add(buf, sizeof(buf), &used, "%s", ev);
        add_fields(buf, sizeof(buf), &used, o);
    }
out:
    json_decref(o);
    buf[used < sizeof(buf) ? used : sizeof(buf) - 1] = '\0';
    char *clean = cb_sanitize_dup(buf, 0);
    snprintf(out, n, "%s", clean ? clean : "(out of memory)");
    free(clean);
    return rc;
}

typedef struct FollowCtx {
    FILE *out;
    int tty;
    int status_shown; /* a progress line is on screen */
} FollowCtx;

static void clear_status(FollowCtx *c)
{
    if (c->status_shown) {
        fputs("\r\033[K", c->out); /* CR, then EL (ECMA-48 8.3.41): erase the status line */
        c->status_shown = 0;
    }
}

static void on_line(void *opaque, const char *line, size_t len)
{
    FollowCtx *c = opaque;
    char text[1024];
    int rc = cli_event_text(line, len, text, sizeof(text));
    if (rc < 0) {
        if (c->tty) {
            clear_status(c);
            fprintf(c->out, "%.*s", 200, text);
            c->status_shown = 1;
            fflush(c->out);
        }
        return;
    }
    clear_status(c);
    fprintf(c->out, "%s\n", text);
    fflush(c->out);
}

static int is_final(CbRunStatus st)
{
    return st == CB_RUN_DONE || st == CB_RUN_FAILED || st == CB_RUN_CANCELLED ||
           st == CB_RUN_INTERRUPTED;
}

int cli_follow_run(CbStore *s, int64_t id, FILE *out, CbRunStatus *final, CbError *err)
{
    char *dir = cb_store_run_dir(s, id);
    size_t n = dir ? strlen(dir) + 16 : 0;
    char *path = dir ? malloc(n) : NULL;
    if (!path) {
        free(dir);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    snprintf(path, n, "%s/events.jsonl", dir);
    free(dir);
    CbFollow *f = NULL;
    int rc = cb_follow_open(&f, path, err);
    free(path);
    if (rc < 0)
        return rc;
    FollowCtx ctx = { .out = out, .tty = isatty(fileno(out)) };
    for (;;) {
        if ((rc = cb_follow_read(f, on_line, &ctx, err)) < 0)
            break;
        CbRunInfo info = { 0 };
        if ((rc = cb_store_get_run(s, id, &info, err)) < 0)
            break;
        CbRunStatus st = info.status;
        cb_run_info_free(&info);
        if (is_final(st)) {
            /* The last lines may have landed just before the status. */
            rc = cb_follow_read(f, on_line, &ctx, err);
            *final = st;
            break;
        }
        if (st == CB_RUN_QUEUED && cb_runner_pid(cb_store_dir(s)) == 0 &&
            (rc = cb_runner_ensure(cb_store_dir(s), NULL, NULL, err)) < 0)
            break;
        struct pollfd p = { .fd = cb_follow_fd(f), .events = POLLIN };
        poll(&p, p.fd >= 0 ? 1 : 0, FOLLOW_TICK_MS);
    }
    clear_status(&ctx);
    cb_follow_close(&f);
    return rc;
}

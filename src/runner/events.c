/* One line of a run's events.jsonl as one line of text for people.  The
 * line is untrusted (a worker may be anything, the file may be damaged):
 * it is parsed with jansson, only known fields of known types are used, and
 * the text is sanitised before it is returned. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecbench/runner.h"
#include "codecbench/sanitize.h"

/* Bytes of one formatted event before sanitising. */
#define EVENT_TEXT_MAX 2048
/* Hex digits of a clip identity shown (enough to tell clips apart). */
#define CLIP_ID_SHOWN 12

typedef struct Out {
    char buf[EVENT_TEXT_MAX];
    size_t used;
} Out;

static void add(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(Out *o, const char *fmt, ...)
{
    if (o->used >= sizeof(o->buf) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->buf + o->used, sizeof(o->buf) - o->used, fmt, ap);
    va_end(ap);
    if (w > 0)
        o->used += (size_t)w < sizeof(o->buf) - o->used ? (size_t)w : sizeof(o->buf) - o->used - 1;
}

static const char *str(json_t *e, const char *k)
{
    json_t *v = json_object_get(e, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int num(json_t *e, const char *k, double *out)
{
    json_t *v = json_object_get(e, k);
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return isfinite(*out) && fabs(*out) < 1e15;
}

/* The fields of an event we have no words for, compactly ("event" too
 * when it is not a name). */
static void add_fields(Out *o, json_t *e, int with_event)
{
    const char *k;
    json_t *v;
    json_object_foreach(e, k, v) {
        if (!strcmp(k, "t") || (!with_event && !strcmp(k, "event")))
            continue;
        char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (txt)
            add(o, " %s=%s", k, txt);
        free(txt);
    }
}

/* " point 2 (QP 27)": points count from 1 for people. */
static void add_point(Out *o, json_t *e)
{
    double p, r;
    if (num(e, "point", &p))
        add(o, " %.0f", p + 1);
    if (num(e, "rate", &r))
        add(o, " (%.0f)", r);
}

static int format(Out *o, json_t *e)
{
    double a, b, c;
    const char *ev = str(e, "event"), *s;
    if (num(e, "t", &a) && a >= 0 && a < 1e11) {
        time_t tt = (time_t)a;
        struct tm tm;
        if (localtime_r(&tt, &tm))
            add(o, "%02d:%02d:%02d ", tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    if (!ev) {
        add(o, "(an event without a name)");
        add_fields(o, e, 1);
    } else if (!strcmp(ev, "progress")) {
        add(o, "encoding point");
        add_point(o, e);
        if (num(e, "frame", &a) && num(e, "frames", &b) && b > 0)
            add(o, ": frame %.0f of %.0f", a, b);
        return 1;
    } else if (!strcmp(ev, "start")) {
        add(o, "worker started");
        if (num(e, "points", &a))
            add(o, ": %.0f rate point%s", a, a == 1 ? "" : "s");
        if (num(e, "frames", &b))
            b > 0 ? add(o, ", %.0f frames", b) : add(o, ", every frame");
    } else if (!strcmp(ev, "clip")) {
        add(o, "clip");
        if (num(e, "width", &a) && num(e, "height", &b))
            add(o, " %.0fx%.0f", a, b);
        if (num(e, "fps", &c))
            add(o, " at %.3g fps", c);
        if (num(e, "frames", &a))
            add(o, ", %.0f frames", a);
        if ((s = str(e, "clip_id")))
            add(o, ", identity %.*s", CLIP_ID_SHOWN, s);
    } else if (!strcmp(ev, "point")) {
        add(o, "point");
        add_point(o, e);
        add(o, " encoded:");
        if (num(e, "bytes", &a))
            add(o, " %.0f bytes", a);
        if (num(e, "kbps", &a))
            add(o, ", %.1f kbps", a);
        if (num(e, "encode_fps", &a))
            add(o, ", %.1f fps", a);
        if ((s = str(e, "stream")))
            add(o, " -> %s", s);
    } else if (!strcmp(ev, "log")) {
        const char *level = str(e, "level");
        if (level && strcmp(level, "info"))
            add(o, "%s: ", level);
        add(o, "%s", (s = str(e, "text")) ? s : "");
    } else if (!strcmp(ev, "error")) {
        const char *stage = str(e, "stage");
        add(o, "error%s%s: %s", stage ? " in " : "", stage ? stage : "",
            (s = str(e, "text")) ? s : "(no text)");
    } else if (!strcmp(ev, "done")) {
        add(o, "worker done");
    } else if (!strcmp(ev, "verify")) {
        add(o, "verification started (a new process decodes the stored bitstreams)");
    } else if (!strcmp(ev, "verified")) {
        add(o, "verified");
        if (num(e, "points", &a))
            add(o, ": %.0f rate point%s measured on decoded frames", a, a == 1 ? "" : "s");
    } else {
        add(o, "%s", ev);
        add_fields(o, e, 0);
    }
    return 0;
}

int cb_event_text(const char *line, size_t len, char *text, size_t n)
{
    Out o = { .used = 0 };
    int rc = 0;
    json_error_t jerr;
    json_t *e = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (json_is_object(e))
        rc = format(&o, e);
    else
        add(&o, "(not an event) %.*s", (int)(len < 400 ? len : 400), line);
    json_decref(e);
    o.buf[o.used] = '\0';
    if (n == 0)
        return rc;
    char *clean = cb_sanitize_dup(o.buf, 0);
    if (snprintf(text, n, "%s", clean ? clean : "(out of memory)") < 0)
        text[0] = '\0';
    free(clean);
    return rc;
}

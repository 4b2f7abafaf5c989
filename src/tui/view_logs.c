/* codecbench dashboard: the logs view.
 *
 * One run's log (the run it was opened for, else the runs view's cursor
 * run), or, toggled with all-runs, every running run's log interleaved,
 * each line prefixed with its run id.  The text is the run's log.txt (the
 * worker's and verification's own output) and its events.jsonl in words
 * (TuiLogRun, logbuf.c), kept in a bounded TuiLogBuf.
 *
 * Following: one inotify descriptor watches the followed run directories
 * and the timer reads too (inotify misses writes on some network file
 * systems).  Reads are bounded per loop turn (READ_BUDGET bytes and
 * READ_SLICE_S of work); when more is waiting, a byte on a self-pipe
 * brings the loop back at once, after the keys of this turn.  Under a flood
 * of writes (inotify wakes the loop for each) the view reads at most every
 * PUMP_INTERVAL_S, so the screen is redrawn at most that often and input is
 * never starved.  A view that is not on top (its draw was not called after
 * it asked for one) stops reading until it is shown again, and then skips
 * ahead when it fell more than TUI_LOG_TAIL_MAX behind.
 *
 * The cursor is a line number of the buffer: numbers stay valid while
 * lines arrive and old ones are dropped.  Follow mode keeps the cursor on
 * the last line; moving up, searching and error jumps switch it off,
 * move-end and follow switch it on.
 */
#include "tui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/sanitize.h"
#include "tui/logbuf.h"

/* Bytes read per loop turn, over every followed run. */
#define READ_BUDGET ((size_t)1 << 20)
/* Bytes read per run before moving on to the next (round robin). */
#define READ_PER_RUN ((size_t)256 << 10)
/* Work per loop turn, seconds (about a third of a 60 Hz frame). */
#define READ_SLICE_S 0.005
/* Least time between reads woken by inotify, seconds (about 30 redraws a
 * second at most); the timer and the backlog pipe read regardless. */
#define PUMP_INTERVAL_S 0.033
/* A redraw asked for and not done after this long, seconds, means the view
 * is not on top (the app defers redraws caused by data by a frame, 16.7 ms). */
#define HIDDEN_AFTER_S 0.25
/* Columns moved by scroll-left / scroll-right at least. */
#define HSCROLL_MIN 8
/* Lines moved by the mouse wheel. */
#define WHEEL_LINES 3
/* Bytes of a typed search pattern (sanitised). */
#define PATTERN_MAX 256

typedef struct Source {
    TuiLogRun *run;
    int finished; /* the run has ended: flush its partial lines when caught up, then stop */
    int flushed;
} Source;

typedef struct LogsView {
    TuiApp *app;          /* borrowed: outlives its views */
    TuiLogBuf *buf;
    int all;              /* every running run's log */
    int64_t run_id;       /* the run shown (one-run mode) */
    Source *src;
    size_t n_src, cap_src;
    size_t rr;            /* the source read first next time */
    int ino;              /* inotify over the followed run directories, or -1 */
    int kick[2];          /* self-pipe: a backlog waits; -1 when not available */
    int kicked;
    double last_pump;
    int awaiting_draw;    /* asked for a redraw after new lines; cleared by draw */
    double dirty_at;      /* when */
    int hidden;           /* not on top: not reading */

    uint64_t cursor;      /* line number under the cursor */
    uint64_t top;         /* first line shown */
    int follow;
    int hscroll;          /* columns scrolled right */
    int rows, cols;       /* of the text area at the last draw */
    int text_y;           /* its first screen row */
    char pattern[PATTERN_MAX];
    char last_error[CB_ERROR_TEXT_MAX];
    char hint[256];
    char seg[TUI_LOGBUF_LINE_MAX + 64];
} LogsView;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int is_live(CbRunStatus st)
{
    return st == CB_RUN_QUEUED || st == CB_RUN_RUNNING || st == CB_RUN_VERIFYING;
}

/* ---- sources ------------------------------------------------------------------ */

static void drop_sources(LogsView *v)
{
    for (size_t i = 0; i < v->n_src; i++)
        tui_logrun_close(&v->src[i].run);
    v->n_src = 0;
    v->rr = 0;
}

static int has_source(const LogsView *v, int64_t id)
{
    for (size_t i = 0; i < v->n_src; i++)
        if (tui_logrun_id(v->src[i].run) == id)
            return 1;
    return 0;
}

static int add_source(LogsView *v, TuiApp *app, int64_t id)
{
    CbError err = {0};
    if (v->n_src == v->cap_src) {
        size_t cap = v->cap_src ? v->cap_src * 2 : 8;
        Source *s = realloc(v->src, cap * sizeof(*s));
        if (!s) {
            tui_message(app, 1, "logs: out of memory");
            return CB_ENOMEM;
        }
        v->src = s;
        v->cap_src = cap;
    }
    char *dir = cb_store_run_dir(app->store, id);
    if (!dir) {
        tui_message(app, 1, "logs: out of memory");
        return CB_ENOMEM;
    }
    Source *s = &v->src[v->n_src];
    memset(s, 0, sizeof(*s));
    int rc = tui_logrun_open(&s->run, dir, id, v->ino, &err);
    free(dir);
    if (rc < 0) {
        tui_error(app, &err);
        return rc;
    }
    v->n_src++;
    return 0;
}

/* Brings the followed runs in line with the store: in all-runs mode every
 * running run (new ones join, ended ones are read to their end and let go);
 * in one-run mode the run, flushed once it has ended. */
static void sync_sources(LogsView *v, TuiApp *app)
{
    if (v->all)
        for (size_t i = 0; i < app->n_runs; i++) {
            CbRunStatus st = app->runs[i].status;
            if ((st == CB_RUN_RUNNING || st == CB_RUN_VERIFYING) &&
                !has_source(v, app->runs[i].id))
                add_source(v, app, app->runs[i].id);
        }
    for (size_t i = 0; i < v->n_src; i++) {
        const CbRunInfo *r = tui_run(app, tui_logrun_id(v->src[i].run));
        v->src[i].finished = !r || !is_live(r->status);
    }
}

/* ---- reading -------------------------------------------------------------------- */

static void kick(LogsView *v)
{
    if (v->kick[1] < 0 || v->kicked)
        return;
    char c = 1;
    if (write(v->kick[1], &c, 1) == 1)
        v->kicked = 1;
}

/* Keeps cursor and top on kept lines after lines arrived or were dropped. */
static void clamp(LogsView *v)
{
    uint64_t first = tui_logbuf_first(v->buf), end = tui_logbuf_end(v->buf);
    uint64_t last = end > first ? end - 1 : first;
    if (v->follow || v->cursor > last)
        v->cursor = last;
    if (v->cursor < first)
        v->cursor = first;
    if (v->top < first)
        v->top = first;
    if (v->top > v->cursor)
        v->top = v->cursor;
}

/* Reads what the followed runs appended, within this turn's budget. */
static void pump(LogsView *v, TuiApp *app)
{
    if (v->awaiting_draw && now_s() - v->dirty_at > HIDDEN_AFTER_S) {
        /* The redraw asked for after a read did not happen: another view is on top (or
         * the terminal is too small).  Read again when drawn. */
        v->hidden = 1;
    }
    if (v->hidden || !v->buf)
        return;
    double t0 = now_s();
    v->last_pump = t0;
    uint64_t end0 = tui_logbuf_end(v->buf), first0 = tui_logbuf_first(v->buf);
    size_t budget = READ_BUDGET;
    int more = 0;
    for (size_t k = 0; k < v->n_src; k++) {
        size_t i = (v->rr + k) % v->n_src;
        Source *s = &v->src[i];
        size_t used = 0;
        CbError err = {0};
        size_t give = budget < READ_PER_RUN ? budget : READ_PER_RUN;
        int rc = give ? tui_logrun_read(s->run, v->buf, give, &used, &err) : 1;
        budget -= used < budget ? used : budget;
        if (rc < 0) {
            if (strcmp(err.text, v->last_error)) {
                snprintf(v->last_error, sizeof(v->last_error), "%s", err.text);
                tui_error(app, &err);
            }
        } else if (rc == 1) {
            more = 1;
        } else if (s->finished && !s->flushed) {
            tui_logrun_flush(s->run, v->buf);
            s->flushed = 1;
        }
        if (now_s() - t0 > READ_SLICE_S && k + 1 < v->n_src) {
            more = 1; /* the others first next time */
            v->rr = i;
            break;
        }
    }
    if (v->n_src)
        v->rr = (v->rr + 1) % v->n_src;
    /* In all-runs mode, runs that ended and were read to their end are let go. */
    if (v->all) {
        size_t k = 0;
        for (size_t i = 0; i < v->n_src; i++) {
            if (v->src[i].finished && v->src[i].flushed)
                tui_logrun_close(&v->src[i].run);
            else
                v->src[k++] = v->src[i];
        }
        if (k != v->n_src)
            tui_dirty(app); /* the header counts them */
        v->n_src = k;
        if (v->rr >= k)
            v->rr = 0;
    }
    if (tui_logbuf_end(v->buf) != end0 || tui_logbuf_first(v->buf) != first0) {
        clamp(v);
        tui_dirty(app);
        if (!v->awaiting_draw)
            v->dirty_at = now_s();
        v->awaiting_draw = 1;
    }
    if (more)
        kick(v);
}

static void on_inotify(void *ctx, TuiApp *app, int fd, short revents)
{
    LogsView *v = ctx;
    (void)revents;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    /* too soon after the last read: the timer or the next write reads it */
    if (now_s() - v->last_pump >= PUMP_INTERVAL_S)
        pump(v, app);
}

static void on_kick(void *ctx, TuiApp *app, int fd, short revents)
{
    LogsView *v = ctx;
    (void)revents;
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    v->kicked = 0;
    pump(v, app);
}

/* Starts over: the buffer emptied, the runs of the mode followed. */
static void restart(LogsView *v, TuiApp *app)
{
    drop_sources(v);
    tui_logbuf_clear(v->buf);
    v->cursor = v->top = 0;
    v->follow = 1;
    v->hscroll = 0;
    v->last_error[0] = '\0';
    if (!v->all && v->run_id > 0)
        add_source(v, app, v->run_id);
    sync_sources(v, app);
    v->hidden = 0;
    v->awaiting_draw = 0;
    pump(v, app);
    tui_dirty(app);
}

/* ---- create / destroy ---------------------------------------------------------- */

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

static void logs_destroy(void *self);

static int logs_create(TuiApp *app, void **self)
{
    CbError err = {0};
    LogsView *v = calloc(1, sizeof(*v));
    if (!v)
        return CB_ENOMEM;
    v->app = app;
    v->ino = -1;
    v->kick[0] = v->kick[1] = -1;
    v->follow = 1;
    int rc = tui_logbuf_new(&v->buf, TUI_LOGBUF_MAX_LINES, TUI_LOGBUF_MAX_BYTES, &err);
    if (rc < 0)
        goto fail;
    /* Without inotify or the pipe the timer still reads (more slowly). */
    v->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (pipe(v->kick) == 0) {
        set_nonblock(v->kick[0]);
        set_nonblock(v->kick[1]);
    } else {
        v->kick[0] = v->kick[1] = -1;
    }
    if (v->ino >= 0 && tui_watch_fd(app, v->ino, POLLIN, on_inotify, v) < 0) {
        close(v->ino);
        v->ino = -1;
    }
    if (v->kick[0] >= 0 && tui_watch_fd(app, v->kick[0], POLLIN, on_kick, v) < 0) {
        close(v->kick[0]);
        close(v->kick[1]);
        v->kick[0] = v->kick[1] = -1;
    }
    *self = v;
    return 0;
fail:
    logs_destroy(v);
    return rc;
}

static void logs_destroy(void *self)
{
    LogsView *v = self;
    if (!v)
        return;
    drop_sources(v);
    free(v->src);
    if (v->ino >= 0) {
        tui_unwatch_fd(v->app, v->ino);
        close(v->ino);
    }
    if (v->kick[0] >= 0) {
        tui_unwatch_fd(v->app, v->kick[0]);
        close(v->kick[0]);
    }
    if (v->kick[1] >= 0)
        close(v->kick[1]);
    tui_logbuf_free(&v->buf);
    free(v);
}

/* ---- drawing ---------------------------------------------------------------------- */

/* Bytes of the UTF-8 character at s (sanitised text: valid UTF-8). */
static size_t char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if (!s[i])
            return i;
    return n;
}

/* Columns of the character at s (n bytes) as tui_text draws it. */
static int char_cols(const TuiApp *app, const char *s, size_t n)
{
    if (n == 1 || !app->utf8)
        return 1;
    char one[8];
    memcpy(one, s, n);
    one[n] = '\0';
    int w = tui_width(one);
    return w > 0 ? w : 1;
}

/* Draws text[from, to) at x in at most width columns; returns the columns drawn. */
static int draw_part(LogsView *v, TuiApp *app, int y, int x, int width, attr_t a,
                     const char *text, size_t from, size_t to)
{
    if (width <= 0 || to <= from)
        return 0;
    size_t n = to - from < sizeof(v->seg) - 1 ? to - from : sizeof(v->seg) - 1;
    memcpy(v->seg, text + from, n);
    v->seg[n] = '\0';
    return tui_text(app, y, x, width, a, v->seg);
}

static attr_t level_attr(const TuiApp *app, TuiLogLevel lv)
{
    switch (lv) {
    case TUI_LOG_ERROR:
        return tui_attr(app, CB_AREA_LOG_ERROR);
    case TUI_LOG_WARN:
        return tui_attr(app, CB_AREA_LOG_WARN);
    case TUI_LOG_DEBUG:
        return tui_attr(app, CB_AREA_LOG_DEBUG);
    default:
        return tui_attr(app, CB_AREA_DEFAULT);
    }
}

/* Digits of the largest run id (the width of the all-runs prefix). */
static int id_width(const TuiApp *app)
{
    int64_t max = app->n_runs ? app->runs[app->n_runs - 1].id : 1;
    int w = 1;
    while (max >= 10 && w < 19)
        max /= 10, w++;
    return w;
}

/* One log line in a row of width columns at (y, x): the run id in all-runs
 * mode, then the text from the horizontal scroll on, matches of the search
 * highlighted. */
static void draw_line(LogsView *v, TuiApp *app, int y, int x, int width, const TuiLogLine *l,
                      int is_cursor, int idw)
{
    attr_t base = is_cursor ? tui_attr(app, CB_AREA_CURSOR) : level_attr(app, l->level);
    tui_fill(app, y, x, width, base);
    int col = 0;
    if (v->all && width > idw + 3) {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)l->run_id);
        attr_t ia = is_cursor ? base : tui_attr(app, CB_AREA_BORDER);
        tui_text_right(app, y, x, idw, ia, id);
        tui_glyph(app, y, x + idw + 1, ia, "\xe2\x94\x82", '|');
        col = idw + 3;
    }
    /* skip hscroll columns; a wide character cut by the edge shows as a space */
    size_t at = 0;
    int skipped = 0;
    while (at < l->len && skipped < v->hscroll) {
        size_t n = char_len(l->text + at);
        skipped += char_cols(app, l->text + at, n);
        at += n;
    }
    if (skipped > v->hscroll)
        col += skipped - v->hscroll;
    size_t plen = strlen(v->pattern);
    attr_t ma = tui_attr(app, CB_AREA_SEARCH_MATCH);
    size_t pos = at;
    long m = plen ? tui_log_find(l->text, l->len, at > plen ? at - plen + 1 : 0, v->pattern, plen)
                  : -1;
    while (pos < l->len && col < width) {
        if (m >= 0 && (size_t)m + plen <= pos) {
            m = tui_log_find(l->text, l->len, pos, v->pattern, plen);
            continue;
        }
        if (m < 0 || (size_t)m > pos) {
            size_t to = m < 0 ? l->len : (size_t)m;
            col += draw_part(v, app, y, x + col, width - col, base, l->text, pos, to);
            pos = to;
        } else {
            size_t to = (size_t)m + plen;
            col += draw_part(v, app, y, x + col, width - col, ma, l->text, pos, to);
            pos = to;
            m = tui_log_find(l->text, l->len, pos, v->pattern, plen);
        }
    }
}

static void draw_header(LogsView *v, TuiApp *app, TuiRect a)
{
    attr_t h = tui_attr(app, CB_AREA_HEADER);
    tui_fill(app, a.y, a.x, a.w, h);
    char right[96];
    uint64_t first = tui_logbuf_first(v->buf), end = tui_logbuf_end(v->buf);
    char col[32] = "";
    if (v->hscroll)
        snprintf(col, sizeof(col), "  col %d", v->hscroll + 1);
    if (end > first)
        snprintf(right, sizeof(right), " %sline %llu/%llu%s ", v->follow ? "following  " : "",
                 (unsigned long long)(v->cursor + 1), (unsigned long long)end, col);
    else
        snprintf(right, sizeof(right), " %s", v->follow ? "following " : "");
    int rw = tui_width(right);
    if (rw > a.w / 2)
        rw = 0;
    int lw = a.w - rw;
    if (v->all) {
        tui_textf(app, a.y, a.x, lw, h, " Every running run's log (%zu followed)", v->n_src);
    } else if (v->run_id <= 0) {
        tui_text(app, a.y, a.x, lw, h, " No run chosen");
    } else {
        const CbRunInfo *r = tui_run(app, v->run_id);
        if (r)
            tui_textf(app, a.y, a.x, lw, h, " Log of run %lld  %s  %s  (%s)",
                      (long long)r->id, r->recipe_name ? r->recipe_name : "",
                      cb_run_status_name(r->status), r->codec ? r->codec : "");
        else
            tui_textf(app, a.y, a.x, lw, h, " Log of run %lld (no longer in the store)",
                      (long long)v->run_id);
    }
    if (rw)
        tui_text_right(app, a.y, a.x + lw, rw, h, right);
}

/* What the empty body says. */
static void draw_empty(LogsView *v, TuiApp *app, TuiRect a)
{
    attr_t d = tui_attr(app, CB_AREA_DEFAULT);
    const char *text;
    char buf[160];
    if (v->all) {
        text = v->run_id > 0 ? "No run is running now; their logs appear here when one starts. "
                               "a: back to the run's log."
                             : "No run is running now; their logs appear here when one starts.";
    } else if (v->run_id <= 0) {
        text = "No run chosen: open a run's log from the list of runs (l).";
    } else {
        const CbRunInfo *r = tui_run(app, v->run_id);
        if (r && r->status == CB_RUN_QUEUED)
            text = "Queued: the log starts when a worker takes the run.";
        else if (r && is_live(r->status))
            text = "No log lines yet.";
        else {
            snprintf(buf, sizeof(buf), "Run %lld left no log (log.txt and events.jsonl are empty "
                                       "or missing).",
                     (long long)v->run_id);
            text = buf;
        }
    }
    tui_text(app, a.y, a.x + 1, a.w - 1, d, text);
}

static void logs_draw(void *self, TuiApp *app, TuiRect area)
{
    LogsView *v = self;
    tui_clear_rect(app, area);
    v->awaiting_draw = 0;
    if (v->hidden) {
        /* shown again: read on */
        v->hidden = 0;
        kick(v);
    }
    if (area.h <= 0 || area.w <= 0)
        return;
    TuiRect text = area;
    if (area.h >= 2) {
        draw_header(v, app, (TuiRect){area.y, area.x, 1, area.w});
        text.y++;
        text.h--;
    }
    v->rows = text.h;
    v->cols = text.w;
    v->text_y = text.y;
    if (text.h <= 0)
        return;
    clamp(v);
    uint64_t first = tui_logbuf_first(v->buf), end = tui_logbuf_end(v->buf);
    if (end == first) {
        draw_empty(v, app, text);
        return;
    }
    /* keep the cursor in view; following puts the last line at the bottom */
    if (v->cursor >= v->top + (uint64_t)text.h)
        v->top = v->cursor - (uint64_t)text.h + 1;
    if (v->cursor < v->top)
        v->top = v->cursor;
    if (v->top < first)
        v->top = first;
    int idw = id_width(app);
    for (int r = 0; r < text.h; r++) {
        uint64_t n = v->top + (uint64_t)r;
        TuiLogLine l;
        if (n >= end || tui_logbuf_get(v->buf, n, &l) < 0)
            break;
        draw_line(v, app, text.y + r, text.x, text.w, &l, n == v->cursor && !v->follow, idw);
    }
}

/* ---- keys -------------------------------------------------------------------------- */

static void move_to(LogsView *v, int64_t n)
{
    uint64_t first = tui_logbuf_first(v->buf), end = tui_logbuf_end(v->buf);
    if (end == first)
        return;
    if (n < (int64_t)first)
        n = (int64_t)first;
    if (n >= (int64_t)end)
        n = (int64_t)end - 1;
    v->cursor = (uint64_t)n;
}

/* Scrolls horizontally so that column offset off of line n is in view. */
static void show_column(LogsView *v, TuiApp *app, uint64_t n, long off)
{
    TuiLogLine l;
    if (off < 0 || tui_logbuf_get(v->buf, n, &l) < 0)
        return;
    int col = 0;
    for (size_t at = 0; at < (size_t)off && at < l.len;) {
        size_t k = char_len(l.text + at);
        col += char_cols(app, l.text + at, k);
        at += k;
    }
    int width = v->cols - (v->all ? id_width(app) + 3 : 0);
    if (width < 8)
        width = 8;
    if (col < v->hscroll || col >= v->hscroll + width - (int)strlen(v->pattern))
        v->hscroll = col > width / 3 ? col - width / 3 : 0;
}

static void search(LogsView *v, TuiApp *app, int backward, int fresh)
{
    if (!v->pattern[0]) {
        tui_message(app, 0, "no search yet: / to search");
        return;
    }
    int wrapped = 0;
    size_t plen = strlen(v->pattern);
    TuiLogLine l;
    int64_t n = -1;
    if (fresh && v->follow) {
        /* at the end of a live log the latest match is the one wanted */
        backward = 1;
        n = tui_logbuf_search(v->buf, tui_logbuf_end(v->buf), 1, v->pattern, &wrapped);
    } else if (fresh && tui_logbuf_get(v->buf, v->cursor, &l) == 0 &&
               tui_log_find(l.text, l.len, 0, v->pattern, plen) >= 0) {
        n = (int64_t)v->cursor; /* a new search may match the cursor line itself */
    } else {
        n = tui_logbuf_search(v->buf, v->cursor, backward, v->pattern, &wrapped);
    }
    if (n < 0) {
        tui_message(app, 1, "not found: %s", v->pattern);
        return;
    }
    v->follow = 0;
    v->cursor = (uint64_t)n;
    if (tui_logbuf_get(v->buf, v->cursor, &l) == 0)
        show_column(v, app, v->cursor, tui_log_find(l.text, l.len, 0, v->pattern, plen));
    if (wrapped)
        tui_message(app, 0, backward ? "search wrapped to the end" : "search wrapped to the top");
    tui_dirty(app);
}

static void search_done(void *ctx, TuiApp *app, const char *text)
{
    LogsView *v = ctx;
    if (!text)
        return;
    /* lines are kept sanitised: compare the pattern in the same form */
    char *clean = cb_sanitize_dup(text, 0);
    if (!clean) {
        tui_message(app, 1, "search: out of memory");
        return;
    }
    snprintf(v->pattern, sizeof(v->pattern), "%s", clean);
    free(clean);
    if (!v->pattern[0]) {
        tui_dirty(app);
        return;
    }
    search(v, app, 0, 1);
}

static void jump_error(LogsView *v, TuiApp *app, int backward)
{
    int64_t n = tui_logbuf_next_level(v->buf, v->cursor, backward, TUI_LOG_ERROR);
    if (n < 0) {
        tui_message(app, 0, "%s", tui_logbuf_errors(v->buf) == 0
                                      ? "no error line in this log"
                                      : backward ? "no error line above" : "no error line below");
        return;
    }
    v->follow = 0;
    v->cursor = (uint64_t)n;
    v->hscroll = 0;
    tui_dirty(app);
}

static void set_mode(LogsView *v, TuiApp *app, int all, int64_t run_id)
{
    v->all = all;
    if (run_id > 0)
        v->run_id = run_id;
    restart(v, app);
}

static int logs_key(void *self, TuiApp *app, CbRequest req, int key)
{
    LogsView *v = self;
    (void)key;
    int page = v->rows > 1 ? v->rows - 1 : 1;
    int64_t cur = (int64_t)v->cursor;
    switch (req) {
    case CB_REQ_MOVE_UP:
        v->follow = 0;
        move_to(v, cur - 1);
        break;
    case CB_REQ_MOVE_DOWN:
        move_to(v, cur + 1);
        break;
    case CB_REQ_MOVE_PAGE_UP:
        v->follow = 0;
        move_to(v, cur - page);
        v->top = v->top > (uint64_t)page ? v->top - (uint64_t)page : 0;
        break;
    case CB_REQ_MOVE_PAGE_DOWN:
        move_to(v, cur + page);
        v->top += (uint64_t)page;
        if (v->top > v->cursor)
            v->top = v->cursor;
        break;
    case CB_REQ_MOVE_HOME:
        v->follow = 0;
        move_to(v, 0);
        v->hscroll = 0;
        break;
    case CB_REQ_MOVE_END:
        v->follow = 1;
        clamp(v);
        break;
    case CB_REQ_FOLLOW:
        v->follow = !v->follow;
        clamp(v);
        tui_message(app, 0, v->follow ? "following the end of the log" : "stopped following");
        break;
    case CB_REQ_SCROLL_LEFT:
    case CB_REQ_SCROLL_RIGHT: {
        int step = v->cols / 4 > HSCROLL_MIN ? v->cols / 4 : HSCROLL_MIN;
        v->hscroll += req == CB_REQ_SCROLL_RIGHT ? step : -step;
        if (v->hscroll < 0)
            v->hscroll = 0;
        if (v->hscroll > TUI_LOGBUF_LINE_MAX)
            v->hscroll = TUI_LOGBUF_LINE_MAX;
        break;
    }
    case CB_REQ_SEARCH:
        if (tui_prompt(app, "search: ", v->pattern, search_done, v) < 0)
            tui_message(app, 1, "another question is open");
        break;
    case CB_REQ_SEARCH_NEXT:
    case CB_REQ_SEARCH_PREV:
        search(v, app, req == CB_REQ_SEARCH_PREV, 0);
        break;
    case CB_REQ_NEXT_ERROR:
    case CB_REQ_PREV_ERROR:
        jump_error(v, app, req == CB_REQ_PREV_ERROR);
        break;
    case CB_REQ_ALL_RUNS:
        if (!v->all)
            set_mode(v, app, 1, 0);
        else if (v->run_id > 0)
            set_mode(v, app, 0, 0);
        else
            tui_message(app, 0, "no run chosen: open a run's log from the list of runs");
        break;
    case CB_REQ_SELECT: {
        /* in all-runs mode: the log of the run of the cursor line alone */
        TuiLogLine l;
        if (!v->all || tui_logbuf_get(v->buf, v->cursor, &l) < 0)
            return 0;
        set_mode(v, app, 0, l.run_id);
        break;
    }
    default:
        return 0;
    }
    tui_dirty(app);
    return 1;
}

/* ---- events -------------------------------------------------------------------------- */

static void logs_event(void *self, TuiApp *app, const TuiEvent *ev)
{
    LogsView *v = self;
    switch (ev->type) {
    case TUI_EV_SHOW: {
        int64_t id = ev->run_id > 0 ? ev->run_id : v->run_id > 0 ? v->run_id : app->cursor_run;
        v->hidden = 0;
        v->awaiting_draw = 0;
        if (ev->run_id > 0 && (v->all || id != v->run_id))
            set_mode(v, app, 0, id); /* opened for a run: that run's log */
        else if (!v->all && v->run_id <= 0 && id > 0)
            set_mode(v, app, 0, id);
        else if (!v->all && v->run_id <= 0)
            restart(v, app);
        else
            pump(v, app);
        break;
    }
    case TUI_EV_RELOAD:
        sync_sources(v, app);
        tui_dirty(app); /* the header shows the run's status */
        break;
    case TUI_EV_TICK:
        if (v->n_src)
            pump(v, app);
        break;
    case TUI_EV_MOUSE:
        if (ev->button == 4 || ev->button == 5) {
            if (ev->button == 4)
                v->follow = 0;
            int64_t d = ev->button == 4 ? -WHEEL_LINES : WHEEL_LINES;
            move_to(v, (int64_t)v->cursor + d);
            tui_dirty(app);
        } else if (ev->button == 1) {
            /* the text starts one row below the view's top (the header) */
            int row = ev->y - v->text_y;
            if (row >= 0 && row < v->rows) {
                v->follow = 0;
                move_to(v, (int64_t)(v->top + (uint64_t)row));
                tui_dirty(app);
            }
        }
        break;
    case TUI_EV_RUN_EVENT:
        break;
    }
}

static const char *logs_hint(void *self, TuiApp *app)
{
    LogsView *v = self;
    (void)app;
    size_t n = tui_logbuf_count(v->buf), errs = tui_logbuf_errors(v->buf);
    uint64_t dropped = tui_logbuf_first(v->buf);
    char drop[48] = "";
    if (dropped)
        snprintf(drop, sizeof(drop), " (%llu dropped)", (unsigned long long)dropped);
    snprintf(v->hint, sizeof(v->hint), "%zu line%s%s, %zu error%s%s  f follow  / search  e error  a %s",
             n, n == 1 ? "" : "s", drop, errs, errs == 1 ? "" : "s",
             v->follow ? ", following" : "", v->all ? "one run" : "all runs");
    return v->hint;
}

const TuiViewOps tui_view_logs = {
    .id = CB_VIEW_LOGS,
    .title = "Logs",
    .create = logs_create,
    .destroy = logs_destroy,
    .draw = logs_draw,
    .key = logs_key,
    .event = logs_event,
    .hint = logs_hint,
};

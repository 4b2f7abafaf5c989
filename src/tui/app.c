/* codecbench dashboard: the application: one poll() loop over the
 * keyboard, a self-pipe for signals, the descriptors views watch, the
 * running runs' events.jsonl files, and a timer; the stack of views; the
 * title bar, the status line and the modal prompt drawn there.
 *
 * Each turn of the loop: wait (at most until the next tick), read every
 * key waiting and give each to the prompt or the top view, run the
 * callbacks of ready descriptors, read the followed files, re-read the
 * store when another process committed (PRAGMA data_version, checked every
 * poll_interval_ms), then redraw once if anything asked for it.  Nothing
 * here waits for anything but poll(), except the user's editor.
 */
#include "tui/app_int.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "codecbench/fsutil.h"
#include "codecbench/runner.h"
#include "tui/termimg.h"

#define TICK_MS 250
#define MESSAGE_S 6.0
#define MIN_ROWS 24
#define MIN_COLS 80
/* Redraws caused by data (events, logs, the store, a streamed reply) come at
 * most once a 60 Hz frame, so what arrives is on screen within one frame; a
 * key redraws at once. */
#define DATA_FRAME_S (1.0 / 60.0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- signals: a self-pipe --------------------------------------------------------- */

static volatile sig_atomic_t got_signal;
static int signal_fd = -1;

static void on_signal(int sig)
{
    int saved = errno;
    got_signal = sig;
    if (signal_fd >= 0) {
        char c = (char)sig;
        ssize_t r = write(signal_fd, &c, 1);
        (void)r;
    }
    errno = saved;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void restore_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

/* ---- views ----------------------------------------------------------------------------- */

static TuiOpenView *top(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    return p->depth ? &p->views[p->stack[p->depth - 1]] : NULL;
}

static void send_event(TuiApp *app, TuiOpenView *v, const TuiEvent *ev)
{
    if (v->ops->event)
        v->ops->event(v->self, app, ev);
}

static void broadcast(TuiApp *app, const TuiEvent *ev)
{
    struct TuiAppPrivate *p = app->priv;
    for (size_t i = 0; i < p->n_views; i++)
        send_event(app, &p->views[i], ev);
}

static void open_view(TuiApp *app, const TuiViewOps *ops, const TuiEvent *show)
{
    struct TuiAppPrivate *p = app->priv;
    size_t idx = p->n_views;
    for (size_t i = 0; i < p->n_views; i++)
        if (p->views[i].ops == ops)
            idx = i;
    if (idx == p->n_views) {
        if (p->n_views == TUI_MAX_VIEWS) {
            tui_message(app, 1, "too many views open");
            return;
        }
        void *self = NULL;
        int rc = ops->create(app, &self);
        if (rc < 0) {
            tui_message(app, 1, "%s: could not open the view (%s)", ops->title, cb_strerror(rc));
            return;
        }
        p->views[idx].ops = ops;
        p->views[idx].self = self;
        p->n_views++;
    }
    /* Raise: remove it from the stack if it is there, then push it. */
    size_t k = 0;
    for (size_t i = 0; i < p->depth; i++)
        if (p->stack[i] != idx)
            p->stack[k++] = p->stack[i];
    p->depth = k;
    p->stack[p->depth++] = idx;
    TuiEvent ev = *show;
    ev.type = TUI_EV_SHOW;
    send_event(app, &p->views[idx], &ev);
    tui_dirty(app);
}

void tui_open_view(TuiApp *app, const TuiViewOps *ops, int64_t run_id)
{
    TuiEvent ev = {.type = TUI_EV_SHOW, .run_id = run_id};
    open_view(app, ops, &ev);
}

void tui_open_view_with(TuiApp *app, const TuiViewOps *ops, const TuiEvent *show)
{
    open_view(app, ops, show);
}

void tui_close_view(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    if (p->depth > 1) {
        p->depth--;
        TuiEvent ev = {.type = TUI_EV_SHOW, .run_id = 0};
        send_event(app, top(app), &ev);
    }
    tui_dirty(app);
}

/* The view under the top one (the help screen describes it), or NULL. */
const TuiViewOps *tui_app_view_below(const TuiApp *app)
{
    const struct TuiAppPrivate *p = app->priv;
    return p->depth >= 2 ? p->views[p->stack[p->depth - 2]].ops : NULL;
}

/* ---- messages ----------------------------------------------------------------------------- */

void tui_dirty(TuiApp *app)
{
    app->priv->dirty = 1;
}

void tui_reload(TuiApp *app)
{
    app->priv->reload = 1;
}

void tui_message(TuiApp *app, int is_error, const char *fmt, ...)
{
    struct TuiAppPrivate *p = app->priv;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
    if (k < 0)
        p->message[0] = '\0';
    p->message_error = is_error;
    p->message_until = is_error ? INFINITY : now_s() + MESSAGE_S;
    tui_dirty(app);
}

void tui_error(TuiApp *app, const CbError *err)
{
    tui_message(app, 1, "%s", err && err->text[0] ? err->text : "failed");
}

/* ---- the debug log ($CODECBENCH_LOG) ------------------------------------------------------ */

static void log_open(TuiApp *app)
{
    const char *path = getenv("CODECBENCH_LOG");
    app->priv->log_fd = -1;
    if (path && *path)
        app->priv->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

void tui_log(TuiApp *app, const char *fmt, ...)
{
    if (!app || !app->priv || app->priv->log_fd < 0)
        return;
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int k = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ dashboard %ld: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, (long)getpid());
    if (k < 0 || (size_t)k >= sizeof line)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + k, sizeof line - (size_t)k - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t len = (size_t)k + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* cut */
    line[len++] = '\n';
    ssize_t w = write(app->priv->log_fd, line, len);
    (void)w; /* a debug log that cannot be written is not worth an error on the screen */
}

/* ---- prompts ----------------------------------------------------------------------------- */

int tui_prompt(TuiApp *app, const char *label, const char *initial,
               void (*done)(void *ctx, TuiApp *app, const char *text), void *ctx)
{
    struct TuiAppPrivate *p = app->priv;
    if (p->prompt_kind)
        return CB_EBUSY;
    p->prompt_kind = 1;
    snprintf(p->prompt_label, sizeof p->prompt_label, "%s", label ? label : "");
    int k = snprintf(p->prompt_text, sizeof p->prompt_text, "%s", initial ? initial : "");
    p->prompt_len = k < 0 ? 0 : (size_t)k >= sizeof p->prompt_text ? sizeof p->prompt_text - 1 : (size_t)k;
    p->prompt_text[p->prompt_len] = '\0';
    p->prompt_cursor = p->prompt_len;
    p->prompt_done = done;
    p->confirm_yes = NULL;
    p->prompt_ctx = ctx;
    tui_dirty(app);
    return CB_OK;
}

int tui_confirm(TuiApp *app, const char *question, void (*yes)(void *ctx, TuiApp *app), void *ctx)
{
    struct TuiAppPrivate *p = app->priv;
    if (p->prompt_kind)
        return CB_EBUSY;
    p->prompt_kind = 2;
    snprintf(p->prompt_label, sizeof p->prompt_label, "%s", question ? question : "");
    p->prompt_text[0] = '\0';
    p->prompt_len = p->prompt_cursor = 0;
    p->prompt_done = NULL;
    p->confirm_yes = yes;
    p->prompt_ctx = ctx;
    tui_dirty(app);
    return CB_OK;
}

/* Byte length of the UTF-8 character before position i of s. */
static size_t prev_char(const char *s, size_t i)
{
    size_t j = i;
    while (j > 0) {
        j--;
        if (((unsigned char)s[j] & 0xC0) != 0x80)
            break;
    }
    return i - j;
}

static size_t next_char(const char *s, size_t len, size_t i)
{
    size_t j = i + 1;
    while (j < len && ((unsigned char)s[j] & 0xC0) == 0x80)
        j++;
    return j - i;
}

static void prompt_finish(TuiApp *app, int accepted)
{
    struct TuiAppPrivate *p = app->priv;
    int kind = p->prompt_kind;
    void (*done)(void *, TuiApp *, const char *) = p->prompt_done;
    void (*yes)(void *, TuiApp *) = p->confirm_yes;
    void *ctx = p->prompt_ctx;
    char text[sizeof p->prompt_text];
    memcpy(text, p->prompt_text, sizeof text);
    p->prompt_kind = 0;
    p->prompt_done = NULL;
    p->confirm_yes = NULL;
    tui_dirty(app);
    /* The callbacks may open another prompt: the state is cleared first. */
    if (kind == 1 && done)
        done(ctx, app, accepted ? text : NULL);
    else if (kind == 2 && accepted && yes)
        yes(ctx, app);
    else if (kind == 2)
        tui_message(app, 0, "Not done.");
}

static void prompt_key(TuiApp *app, int key)
{
    struct TuiAppPrivate *p = app->priv;
    tui_dirty(app);
    if (p->prompt_kind == 2) {
        prompt_finish(app, key == 'y' || key == 'Y');
        return;
    }
    char *t = p->prompt_text;
    switch (key) {
    case 13:
        prompt_finish(app, 1);
        return;
    case 27:
    case 7: /* ^G */
        prompt_finish(app, 0);
        return;
    case 127:
        if (p->prompt_cursor > 0) {
            size_t k = prev_char(t, p->prompt_cursor);
            memmove(t + p->prompt_cursor - k, t + p->prompt_cursor, p->prompt_len - p->prompt_cursor + 1);
            p->prompt_cursor -= k;
            p->prompt_len -= k;
        }
        return;
    case CB_KEY_DELETE:
    case 4: /* ^D */
        if (p->prompt_cursor < p->prompt_len) {
            size_t k = next_char(t, p->prompt_len, p->prompt_cursor);
            memmove(t + p->prompt_cursor, t + p->prompt_cursor + k, p->prompt_len - p->prompt_cursor - k + 1);
            p->prompt_len -= k;
        }
        return;
    case CB_KEY_LEFT:
    case 2: /* ^B */
        if (p->prompt_cursor > 0)
            p->prompt_cursor -= prev_char(t, p->prompt_cursor);
        return;
    case CB_KEY_RIGHT:
    case 6: /* ^F */
        if (p->prompt_cursor < p->prompt_len)
            p->prompt_cursor += next_char(t, p->prompt_len, p->prompt_cursor);
        return;
    case CB_KEY_HOME:
    case 1: /* ^A */
        p->prompt_cursor = 0;
        return;
    case CB_KEY_END:
    case 5: /* ^E */
        p->prompt_cursor = p->prompt_len;
        return;
    case 21: /* ^U: clear */
        p->prompt_len = p->prompt_cursor = 0;
        t[0] = '\0';
        return;
    case 23: { /* ^W: the word before the cursor */
        size_t i = p->prompt_cursor;
        while (i > 0 && t[i - 1] == ' ')
            i--;
        while (i > 0 && t[i - 1] != ' ')
            i--;
        memmove(t + i, t + p->prompt_cursor, p->prompt_len - p->prompt_cursor + 1);
        p->prompt_len -= p->prompt_cursor - i;
        p->prompt_cursor = i;
        return;
    }
    default:
        break;
    }
    if (key < 32 || key > 0x10FFFF || (key >= 0x7f && key < 0xa0))
        return; /* other control keys: nothing to insert */
    char u[4];
    size_t k;
    if (key < 0x80) {
        u[0] = (char)key;
        k = 1;
    } else if (key < 0x800) {
        u[0] = (char)(0xC0 | key >> 6);
        u[1] = (char)(0x80 | (key & 0x3F));
        k = 2;
    } else if (key < 0x10000) {
        if (key >= 0xD800 && key < 0xE000)
            return;
        u[0] = (char)(0xE0 | key >> 12);
        u[1] = (char)(0x80 | ((key >> 6) & 0x3F));
        u[2] = (char)(0x80 | (key & 0x3F));
        k = 3;
    } else {
        u[0] = (char)(0xF0 | key >> 18);
        u[1] = (char)(0x80 | ((key >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((key >> 6) & 0x3F));
        u[3] = (char)(0x80 | (key & 0x3F));
        k = 4;
    }
    if (p->prompt_len + k >= sizeof p->prompt_text)
        return;
    memmove(t + p->prompt_cursor + k, t + p->prompt_cursor, p->prompt_len - p->prompt_cursor + 1);
    memcpy(t + p->prompt_cursor, u, k);
    p->prompt_cursor += k;
    p->prompt_len += k;
}

/* ---- the editor (foreground) ------------------------------------------------------------- */

int tui_run_foreground(TuiApp *app, char *const argv[], CbError *err)
{
    def_prog_mode();
    endwin();
    fflush(stdout);
    /* The child has the terminal; ^C there is the child's business. */
    struct sigaction ign, old_int, old_quit;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    int rc;
    pid_t pid = fork();
    if (pid < 0) {
        rc = cb_error_set(err, CB_EEXTERNAL, "could not start %s: %s", argv[0], strerror(errno));
    } else if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        fprintf(stderr, "codecbench: could not run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    } else {
        int status = 0;
        pid_t w;
        while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
            ;
        if (w < 0)
            rc = cb_error_set(err, CB_EEXTERNAL, "waiting for %s: %s", argv[0], strerror(errno));
        else if (WIFEXITED(status))
            rc = WEXITSTATUS(status);
        else
            rc = cb_error_set(err, CB_EEXTERNAL, "%s was killed by signal %d", argv[0],
                              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    reset_prog_mode();
    clearok(curscr, TRUE);
    app->priv->repaint = 1;
    getmaxyx(stdscr, app->rows, app->cols);
    tui_dirty(app);
    return rc;
}

/* ---- descriptors --------------------------------------------------------------------------- */

int tui_watch_fd(TuiApp *app, int fd, short events, TuiFdFn fn, void *ctx)
{
    struct TuiAppPrivate *p = app->priv;
    for (size_t i = 0; i < p->n_watch; i++)
        if (p->watch[i].fd == fd) {
            p->watch[i] = (TuiWatch){fd, events, fn, ctx};
            return CB_OK;
        }
    if (p->n_watch == TUI_MAX_WATCH)
        return CB_ELIMIT;
    p->watch[p->n_watch++] = (TuiWatch){fd, events, fn, ctx};
    return CB_OK;
}

void tui_unwatch_fd(TuiApp *app, int fd)
{
    struct TuiAppPrivate *p = app->priv;
    for (size_t i = 0; i < p->n_watch; i++)
        if (p->watch[i].fd == fd) {
            p->watch[i] = p->watch[--p->n_watch];
            return;
        }
}

int tui_timer(TuiApp *app, int ms, TuiTimerFn fn, void *ctx)
{
    struct TuiAppPrivate *p = app->priv;
    size_t i = 0;
    while (i < p->n_timers && p->timers[i].ctx != ctx)
        i++;
    if (ms < 0) {
        if (i < p->n_timers)
            p->timers[i] = p->timers[--p->n_timers];
        return CB_OK;
    }
    if (i == p->n_timers) {
        if (p->n_timers == TUI_MAX_TIMERS)
            return CB_ELIMIT;
        p->n_timers++;
    }
    p->timers[i] = (TuiTimer){now_s() + ms / 1000.0, fn, ctx};
    return CB_OK;
}

/* Runs the timers that are due, each once (taken off the list before the calls: a
 * callback may set its timer again, for a later turn). */
static void run_timers(TuiApp *app, double t)
{
    struct TuiAppPrivate *p = app->priv;
    TuiTimer due[TUI_MAX_TIMERS];
    size_t n = 0;
    for (size_t i = 0; i < p->n_timers;) {
        if (p->timers[i].due <= t) {
            due[n++] = p->timers[i];
            p->timers[i] = p->timers[--p->n_timers];
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < n; i++)
        due[i].fn(due[i].ctx, app);
}

/* ---- following running runs ----------------------------------------------------------------- */

typedef struct FollowCtx {
    TuiApp *app;
    int64_t run_id;
} FollowCtx;

static void on_event_line(void *opaque, const char *line, size_t len)
{
    FollowCtx *c = opaque;
    tui_progress_update(c->app, c->run_id, line, len);
    TuiEvent ev = {.type = TUI_EV_RUN_EVENT, .run_id = c->run_id, .line = line, .len = len};
    broadcast(c->app, &ev);
    tui_dirty(c->app);
}

static void read_followed(TuiApp *app, size_t i)
{
    struct TuiAppPrivate *p = app->priv;
    FollowCtx c = {app, p->followed[i].run_id};
    CbError err = {0};
    if (cb_follow_read(p->followed[i].follow, on_event_line, &c, &err) < 0)
        tui_message(app, 1, "run %lld: %s", (long long)c.run_id, err.text);
}

static void unfollow(TuiApp *app, size_t i)
{
    struct TuiAppPrivate *p = app->priv;
    read_followed(app, i); /* what it wrote last */
    cb_follow_close(&p->followed[i].follow);
    p->followed[i] = p->followed[--p->n_followed];
}

/* Follows the events.jsonl of every running run and stops following the
 * others (after the store was read). */
static void update_followed(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    for (size_t i = 0; i < p->n_followed;) {
        const CbRunInfo *r = tui_run(app, p->followed[i].run_id);
        if (!r || (r->status != CB_RUN_RUNNING && r->status != CB_RUN_VERIFYING))
            unfollow(app, i);
        else
            i++;
    }
    for (size_t k = 0; k < app->n_runs; k++) {
        const CbRunInfo *r = &app->runs[k];
        if (r->status != CB_RUN_RUNNING && r->status != CB_RUN_VERIFYING)
            continue;
        int have = 0;
        for (size_t i = 0; i < p->n_followed && !have; i++)
            have = p->followed[i].run_id == r->id;
        if (have || p->n_followed >= 256)
            continue;
        char *dir = cb_store_run_dir(app->store, r->id);
        char *path = dir ? cb_path_join(dir, "events.jsonl") : NULL;
        free(dir);
        if (!path)
            continue;
        CbFollow *f = NULL;
        CbError err = {0};
        int rc = cb_follow_open(&f, path, &err);
        free(path);
        if (rc < 0)
            continue;
        if (p->n_followed == p->cap_followed) {
            size_t cap = p->cap_followed ? p->cap_followed * 2 : 8;
            TuiFollowed *g = realloc(p->followed, cap * sizeof *g);
            if (!g) {
                cb_follow_close(&f);
                continue;
            }
            p->followed = g;
            p->cap_followed = cap;
        }
        p->followed[p->n_followed++] = (TuiFollowed){r->id, f};
        read_followed(app, p->n_followed - 1);
    }
}

/* ---- the store ------------------------------------------------------------------------------- */

static void load(TuiApp *app)
{
    CbError err = {0};
    if (tui_data_load(app, &err) < 0) {
        tui_error(app, &err);
        return;
    }
    update_followed(app);
    TuiEvent ev = {.type = TUI_EV_RELOAD};
    broadcast(app, &ev);
    tui_dirty(app);
}

static void check_store(TuiApp *app, double t)
{
    struct TuiAppPrivate *p = app->priv;
    long long ms = 250;
    cb_config_get_int(app->cfg, "poll_interval_ms", &ms);
    if (!p->reload && t - p->last_store_check < (double)ms / 1000.0)
        return;
    p->last_store_check = t;
    int64_t v = 0;
    CbError err = {0};
    if (cb_store_data_version(app->store, &v, &err) < 0) {
        tui_error(app, &err);
        return;
    }
    if (v != p->data_version || p->reload) {
        p->data_version = v;
        p->reload = 0;
        load(app);
    }
}

int tui_ensure_runner(TuiApp *app, CbError *err)
{
    if (!app->priv->ensure_runner)
        return CB_OK;
    return app->priv->ensure_runner(app->store, err);
}

/* ---- drawing -------------------------------------------------------------------------------- */

static void draw_title(TuiApp *app)
{
    attr_t a = tui_attr(app, CB_AREA_TITLE);
    tui_fill(app, 0, 0, app->cols, a);
    TuiOpenView *v = top(app);
    size_t run = 0, queued = 0;
    for (size_t i = 0; i < app->n_runs; i++) {
        CbRunStatus s = app->runs[i].status;
        run += s == CB_RUN_RUNNING || s == CB_RUN_VERIFYING;
        queued += s == CB_RUN_QUEUED;
    }
    char right[128];
    snprintf(right, sizeof right, "%zu runs  %zu running  %zu queued  %zu marked ", app->n_runs, run,
             queued, app->priv->n_marks);
    int rw = tui_width(right);
    int x = tui_textf(app, 0, 0, app->cols - rw - 1, a, " codecbench | %s | ", v ? v->ops->title : "");
    tui_text(app, 0, x, app->cols - rw - 1 - x, a, app->store_dir);
    if (rw < app->cols)
        tui_text(app, 0, app->cols - rw, rw, a, right);
}

static void draw_status(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    int y = app->rows - 1;
    if (p->prompt_kind) {
        attr_t a = tui_attr(app, CB_AREA_STATUS);
        tui_fill(app, y, 0, app->cols, A_NORMAL);
        int x = tui_text(app, y, 0, app->cols, a, p->prompt_label);
        if (p->prompt_kind == 2) {
            x += tui_text(app, y, x, app->cols - x, a, " [y/N] ");
            return;
        }
        x += tui_text(app, y, x, app->cols - x, A_NORMAL, " ");
        /* The text, scrolled so that the cursor stays visible. */
        int room = app->cols - x - 1;
        char before[sizeof p->prompt_text];
        memcpy(before, p->prompt_text, p->prompt_cursor);
        before[p->prompt_cursor] = '\0';
        size_t start = 0;
        while (room > 0 && tui_width(before + start) > room - 1)
            start += next_char(before, p->prompt_cursor, start);
        tui_text(app, y, x, app->cols - x, A_NORMAL, p->prompt_text + start);
        int cx = x + tui_width(before + start);
        if (cx < app->cols)
            move(y, cx);
        return;
    }
    double t = now_s();
    if (p->message[0] && t < p->message_until) {
        attr_t a = tui_attr(app, p->message_error ? CB_AREA_STATUS_ERROR : CB_AREA_STATUS);
        tui_fill(app, y, 0, app->cols, a);
        tui_text(app, y, 1, app->cols - 1, a, p->message);
        return;
    }
    p->message[0] = '\0';
    attr_t a = tui_attr(app, CB_AREA_STATUS);
    tui_fill(app, y, 0, app->cols, a);
    TuiOpenView *v = top(app);
    const char *hint = v && v->ops->hint ? v->ops->hint(v->self, app) : NULL;
    char left[512];
    snprintf(left, sizeof left, " %s", hint ? hint : "");
    /* "q quit" only where q quits (the preview binds q to back) */
    const char *help =
        cb_config_key_request(app->cfg, v ? v->ops->id : CB_VIEW_RUNS, 'q') == CB_REQ_QUIT
            ? "  ? help  q quit "
            : "  ? help ";
    int hw = tui_width(help);
    tui_text(app, y, 0, app->cols - hw, a, left);
    if (hw < app->cols)
        tui_text(app, y, app->cols - hw, hw, a, help);
}

static void draw_too_small(TuiApp *app)
{
    erase();
    char line1[96], line2[96];
    snprintf(line1, sizeof line1, "The terminal is %dx%d: too small.", app->cols, app->rows);
    snprintf(line2, sizeof line2, "The dashboard needs %dx%d. Enlarge it, or press q to quit.",
             MIN_COLS, MIN_ROWS);
    int y = app->rows / 2 - 1;
    if (y < 0)
        y = 0;
    tui_text(app, y, 0, app->cols, A_BOLD, line1);
    if (y + 1 < app->rows)
        tui_text(app, y + 1, 0, app->cols, A_NORMAL, line2);
}

/* ---- images ------------------------------------------------------------------------------ */

/* Images are copied into a buffer of at most this many bytes (a 4K frame in
 * sixel at full fidelity stays under it). */
#define IMAGE_MAX (16u << 20)

int tui_image(TuiApp *app, TuiRect area, TuiImageKind kind, const void *bytes, size_t len)
{
    struct TuiAppPrivate *p = app->priv;
    if (!bytes || !len || area.h <= 0 || area.w <= 0 || area.y < 1 || area.x < 0 ||
        area.y + area.h > app->rows - 1 || area.x + area.w > app->cols)
        return CB_EINVAL;
    if (!p->img.max)
        cb_buf_init(&p->img, IMAGE_MAX);
    cb_buf_reset(&p->img);
    p->img_has = 0;
    int rc = cb_buf_append(&p->img, bytes, len);
    if (rc < 0)
        return rc;
    p->img_has = 1;
    p->img_rect = area;
    p->img_kind = kind;
    return CB_OK;
}

static int same_rect(TuiRect a, TuiRect b)
{
    return a.y == b.y && a.x == b.x && a.h == b.h && a.w == b.w;
}

/* Whether curses is about to write into r: its cells in stdscr differ from
 * what curses believes is on the terminal (curscr).  Reading moves the
 * windows' cursors: both are put back (curscr's is curses' idea of the
 * terminal's cursor, stdscr's the prompt's). */
static int curses_writes(TuiRect r)
{
    int sy, sx, cy, cx;
    getyx(stdscr, sy, sx);
    getyx(curscr, cy, cx);
    int differ = 0;
    cchar_t a, b;
    for (int y = r.y; y < r.y + r.h && !differ; y++)
        for (int x = r.x; x < r.x + r.w && !differ; x++) {
            wchar_t wa[CCHARW_MAX + 1], wb[CCHARW_MAX + 1];
            attr_t aa, ab;
            short pa, pb;
            differ = mvwin_wch(stdscr, y, x, &a) == ERR || mvwin_wch(curscr, y, x, &b) == ERR ||
                     getcchar(&a, wa, &aa, &pa, NULL) == ERR ||
                     getcchar(&b, wb, &ab, &pb, NULL) == ERR || wcscmp(wa, wb) != 0 || aa != ab ||
                     pa != pb;
        }
    wmove(curscr, cy, cx);
    wmove(stdscr, sy, sx);
    return differ;
}

/* Before doupdate: makes curses rewrite the area of the image on the screen
 * when it goes away or changes (no stale pixels); says whether the image of
 * this draw must be written after the update. */
static int images_prepare(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    int changed = p->img_has != p->shown_has ||
                  (p->img_has && (!same_rect(p->img_rect, p->shown_rect) ||
                                  p->img_kind != p->shown_kind || p->img.len != p->shown.len ||
                                  memcmp(p->img.data, p->shown.data, p->img.len) != 0));
    if (p->shown_has && (changed || p->repaint)) {
        /* the old image's rows are thrown away and rewritten by curses */
        TuiRect r = p->shown_rect;
        if (r.y < app->rows) {
            int h = r.y + r.h > app->rows ? app->rows - r.y : r.h;
            wredrawln(stdscr, r.y, h);
        }
    }
    int write_it =
        p->img_has && (changed || p->repaint || is_cleared(curscr) || curses_writes(p->img_rect));
    p->repaint = 0;
    return write_it;
}

/* CSI ? 2026 h / l: synchronised output (the terminal shows the frame at
 * once at the end; terminals without it ignore the private mode, as
 * ECMA-48 says of unknown modes).  DECSC / DECRC (ESC 7 / ESC 8, VT100)
 * save and restore the cursor and attributes around the image, so curses'
 * idea of the terminal stays true. */
#define SYNC_BEGIN "\x1b[?2026h"
#define SYNC_END "\x1b[?2026l"
#define DECSC "\x1b\x37"
#define DECRC "\x1b\x38"

/* doupdate, then the image (when it must be written) after curses' own
 * output, the whole in synchronised output. */
static void update_screen(TuiApp *app, int write_it, int wipe)
{
    struct TuiAppPrivate *p = app->priv;
    if (!write_it && !wipe) {
        doupdate();
        return;
    }
    fflush(stdout);
    tui_term_write(SYNC_BEGIN, sizeof SYNC_BEGIN - 1);
    doupdate(); /* curses flushes its own buffer before it returns */
    if (write_it) {
        CbBuf out;
        cb_buf_init(&out, IMAGE_MAX * 2 + 4096);
        int rc = cb_buf_append(&out, DECSC, sizeof DECSC - 1);
        if (rc == CB_OK && p->img_kind == TUI_IMAGE_SIXEL && tui_graphics_passthrough(app)) {
            /* the CUP goes to tmux, the image through it to the outer terminal */
            rc = tui_image_place(&out, p->img_rect.y, p->img_rect.x, NULL, 0, 0, 0);
            if (rc == CB_OK)
                rc = tui_tmux_wrap(&out, p->img.data, p->img.len);
        } else if (rc == CB_OK) {
            rc = tui_image_place(&out, p->img_rect.y, p->img_rect.x, p->img.data, p->img.len,
                                 p->img_kind == TUI_IMAGE_LINES, p->img_rect.h);
        }
        if (rc == CB_OK)
            rc = cb_buf_append(&out, DECRC, sizeof DECRC - 1);
        if (rc == CB_OK)
            rc = tui_term_write(out.data, out.len);
        tui_log(app, "image: %s %zu bytes at %d,%d (%dx%d cells)%s%s",
                p->img_kind == TUI_IMAGE_SIXEL ? "sixel" : "half blocks", p->img.len, p->img_rect.y,
                p->img_rect.x, p->img_rect.w, p->img_rect.h,
                tui_graphics_passthrough(app) ? " through tmux" : "",
                rc < 0 ? ": not written" : "");
        cb_buf_free(&out);
    }
    tui_term_write(SYNC_END, sizeof SYNC_END - 1);
}

/* After the update: the image of this draw is the one on the screen. */
static void images_done(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    CbBuf t = p->shown;
    p->shown = p->img;
    p->img = t;
    p->shown_has = p->img_has;
    p->shown_rect = p->img_rect;
    p->shown_kind = p->img_kind;
    p->img_has = 0;
    cb_buf_reset(&p->img);
}

static void draw(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    p->dirty = 0;
    p->img_has = 0;
    curs_set(0);
    if (app->rows < MIN_ROWS || app->cols < MIN_COLS) {
        draw_too_small(app);
        wnoutrefresh(stdscr);
        int wipe = p->shown_has;
        images_prepare(app);
        update_screen(app, 0, wipe);
        images_done(app);
        return;
    }
    erase();
    draw_title(app);
    TuiOpenView *v = top(app);
    if (v) {
        TuiRect body = {1, 0, app->rows - 2, app->cols};
        v->ops->draw(v->self, app, body);
    }
    draw_status(app);
    if (p->prompt_kind == 1)
        curs_set(1);
    wnoutrefresh(stdscr);
    int wipe = p->shown_has;
    int write_it = images_prepare(app);
    wipe = wipe && (!p->img_has || write_it);
    update_screen(app, write_it, wipe);
    images_done(app);
}

/* ---- keys ---------------------------------------------------------------------------------- */

static void global_request(TuiApp *app, CbRequest req)
{
    struct TuiAppPrivate *p = app->priv;
    switch (req) {
    case CB_REQ_QUIT:
        p->quit = 1;
        break;
    case CB_REQ_HELP:
        if (top(app) && top(app)->ops == &tui_view_help)
            tui_close_view(app);
        else
            tui_open_view(app, &tui_view_help, app->cursor_run);
        break;
    case CB_REQ_BACK:
        tui_close_view(app);
        break;
    case CB_REQ_REFRESH:
        clearok(curscr, TRUE);
        p->repaint = 1;
        tui_reload(app);
        tui_dirty(app);
        break;
    case CB_REQ_VIEW_RUNS:
    case CB_REQ_VIEW_EXPERIMENTS:
        while (p->depth > 1)
            tui_close_view(app);
        if (req == CB_REQ_VIEW_EXPERIMENTS && top(app))
            top(app)->ops->key(top(app)->self, app, req, 0);
        break;
    case CB_REQ_PROPOSE:
        tui_open_view(app, &tui_view_proposals, app->cursor_run);
        break;
    case CB_REQ_LINEAGE:
        tui_open_view(app, &tui_view_lineage, app->cursor_run);
        break;
    case CB_REQ_NEXT_VIEW:
    case CB_REQ_PREV_VIEW:
        if (p->depth > 1) {
            /* Rotate the stack: the next view comes to the top. */
            size_t t = req == CB_REQ_NEXT_VIEW ? p->stack[0] : p->stack[p->depth - 1];
            if (req == CB_REQ_NEXT_VIEW) {
                memmove(p->stack, p->stack + 1, (p->depth - 1) * sizeof *p->stack);
                p->stack[p->depth - 1] = t;
            } else {
                memmove(p->stack + 1, p->stack, (p->depth - 1) * sizeof *p->stack);
                p->stack[0] = t;
            }
            TuiEvent ev = {.type = TUI_EV_SHOW};
            send_event(app, top(app), &ev);
            tui_dirty(app);
        }
        break;
    default:
        break;
    }
}

static void handle_key(TuiApp *app, int key)
{
    struct TuiAppPrivate *p = app->priv;
    p->urgent = 1;
    if (p->prompt_kind) {
        prompt_key(app, key);
        return;
    }
    if (p->message_error) {
        /* An error stays until the next key. */
        p->message_error = 0;
        p->message_until = 0;
        tui_dirty(app);
    }
    TuiOpenView *v = top(app);
    if (app->rows < MIN_ROWS || app->cols < MIN_COLS) {
        if (cb_config_key_request(app->cfg, v ? v->ops->id : CB_VIEW_RUNS, key) == CB_REQ_QUIT)
            p->quit = 1;
        return;
    }
    CbRequest req = cb_config_key_request(app->cfg, v ? v->ops->id : CB_VIEW_RUNS, key);
    if (v && v->ops->key(v->self, app, req, key))
        return;
    if (req != CB_REQ_NONE)
        global_request(app, req);
}

static void handle_mouse(TuiApp *app, const MEVENT *m)
{
    TuiOpenView *v = top(app);
    if (!v || m->y < 1 || m->y >= app->rows - 1)
        return;
    int button = 0;
    if (m->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
        button = 1;
    else if (m->bstate & BUTTON3_CLICKED)
        button = 3;
    else if (m->bstate & BUTTON4_PRESSED)
        button = 4;
#ifdef BUTTON5_PRESSED
    else if (m->bstate & BUTTON5_PRESSED)
        button = 5;
#endif
    if (!button)
        return;
    app->priv->urgent = 1;
    TuiEvent ev = {.type = TUI_EV_MOUSE, .y = m->y, .x = m->x, .button = button};
    send_event(app, v, &ev);
    tui_dirty(app);
}

static void read_keys(TuiApp *app)
{
    int key;
    MEVENT m;
    /* Every key waiting, each handled in order; a burst (a paste, a held
     * key) is bounded so that the screen still updates. */
    for (int n = 0; n < 512 && !app->priv->quit && tui_term_key(app, &key, &m); n++) {
        if (key == -1) {
            getmaxyx(stdscr, app->rows, app->cols);
            tui_term_resized(app);
            app->priv->repaint = 1;
            app->priv->urgent = 1;
            tui_dirty(app);
        } else if (key == -2) {
            handle_mouse(app, &m);
        } else {
            handle_key(app, key);
        }
    }
}

/* ---- the loop -------------------------------------------------------------------------------- */

static int loop(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    double next_tick = now_s() + TICK_MS / 1000.0;
    while (!p->quit) {
        if (got_signal) {
            int sig = got_signal;
            if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
                p->quit = 1;
                break;
            }
            got_signal = 0;
        }
        double t = now_s();
        int frame_wait = -1;
        if (p->dirty && (p->urgent || t - p->last_draw >= DATA_FRAME_S)) {
            draw(app);
            p->urgent = 0;
            p->last_draw = now_s();
        } else if (p->dirty) {
            frame_wait = (int)((p->last_draw + DATA_FRAME_S - t) * 1000.0) + 1;
        }
        struct pollfd fds[2 + TUI_MAX_WATCH + 256];
        size_t nf = 0;
        fds[nf++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        fds[nf++] = (struct pollfd){.fd = p->sigpipe[0], .events = POLLIN};
        size_t watch_base = nf;
        size_t n_watch = p->n_watch;
        TuiWatch watch[TUI_MAX_WATCH];
        memcpy(watch, p->watch, n_watch * sizeof *watch);
        for (size_t i = 0; i < n_watch; i++)
            fds[nf++] = (struct pollfd){.fd = watch[i].fd, .events = watch[i].events};
        size_t follow_base = nf;
        size_t n_follow = p->n_followed < 256 ? p->n_followed : 256;
        for (size_t i = 0; i < n_follow; i++)
            fds[nf++] = (struct pollfd){.fd = cb_follow_fd(p->followed[i].follow), .events = POLLIN};
        t = now_s();
        int timeout = (int)((next_tick - t) * 1000.0);
        if (timeout < 0)
            timeout = 0;
        if (frame_wait >= 0 && frame_wait < timeout)
            timeout = frame_wait;
        if (p->message[0] && !p->message_error && p->message_until > t) {
            int mt = (int)((p->message_until - t) * 1000.0) + 1;
            timeout = mt < timeout ? mt : timeout;
        }
        for (size_t i = 0; i < p->n_timers; i++) {
            double d = (p->timers[i].due - t) * 1000.0;
            int tt = d <= 0 ? 0 : (int)d + 1;
            timeout = tt < timeout ? tt : timeout;
        }
        int r = poll(fds, (nfds_t)nf, timeout);
        if (r < 0 && errno != EINTR)
            return CB_EIO;
        if (r > 0 && (fds[1].revents & POLLIN)) {
            char buf[64];
            while (read(p->sigpipe[0], buf, sizeof buf) > 0)
                ;
        }
        /* Keys first: input within a frame whatever else is going on.  A
         * resize (SIGWINCH) interrupts poll and curses reports it as a key;
         * one that came while the loop was busy elsewhere (drawing, writing
         * an image) interrupted nothing, so the keys are read on a timeout
         * too (one call that returns at once). */
        read_keys(app);
        if (r > 0) {
            for (size_t i = 0; i < n_watch; i++)
                if (fds[watch_base + i].revents)
                    watch[i].fn(watch[i].ctx, app, watch[i].fd, fds[watch_base + i].revents);
            for (size_t i = 0; i < n_follow && i < p->n_followed; i++)
                if (fds[follow_base + i].revents)
                    read_followed(app, i);
        }
        t = now_s();
        run_timers(app, t);
        if (t >= next_tick) {
            next_tick = t + TICK_MS / 1000.0;
            for (size_t i = 0; i < p->n_followed; i++)
                read_followed(app, i);
            TuiEvent ev = {.type = TUI_EV_TICK};
            broadcast(app, &ev);
        }
        if (p->message[0] && !p->message_error && t >= p->message_until)
            tui_dirty(app);
        check_store(app, t);
    }
    return CB_OK;
}

static size_t count_active(const TuiApp *app)
{
    size_t n = 0;
    for (size_t i = 0; i < app->n_runs; i++) {
        CbRunStatus s = app->runs[i].status;
        n += s == CB_RUN_RUNNING || s == CB_RUN_VERIFYING || s == CB_RUN_QUEUED;
    }
    return n;
}

int tui_stop_signal(void)
{
    return got_signal == SIGINT || got_signal == SIGTERM || got_signal == SIGHUP ? (int)got_signal : 0;
}

int tui_main(const TuiOptions *o, CbError *err)
{
    setlocale(LC_ALL, "");
    TuiApp app_s;
    memset(&app_s, 0, sizeof app_s);
    TuiApp *app = &app_s;
    struct TuiAppPrivate priv;
    memset(&priv, 0, sizeof priv);
    priv.sigpipe[0] = priv.sigpipe[1] = -1;
    app->priv = &priv;
    log_open(app);
    app->store = o->store;
    app->cfg = o->cfg;
    app->store_dir = o->store_dir;
    app->exe = o->exe;
    priv.experiment = o->experiment;
    priv.ensure_runner = o->ensure_runner;

    int rc = CB_OK;
    if (pipe(priv.sigpipe) < 0) {
        rc = cb_error_set(err, CB_EIO, "could not make a pipe: %s", strerror(errno));
        goto out;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(priv.sigpipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(priv.sigpipe[i], F_SETFL, O_NONBLOCK);
    }
    signal_fd = priv.sigpipe[1];
    got_signal = 0;
    rc = tui_data_load(app, err);
    if (rc < 0)
        goto out;
    cb_store_data_version(app->store, &priv.data_version, NULL);
    /* the terminal's graphics are asked before curses takes it over */
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
        rc = tui_term_detect(app, err);
        if (rc < 0)
            goto out;
    }
    rc = tui_term_start(app, err);
    if (rc < 0)
        goto out;
    install_signals();
    update_followed(app);
    tui_open_view(app, &tui_view_runs, 0);
    if (priv.n_views == 0) {
        rc = cb_error_set(err, CB_ENOMEM, "could not open the list of runs");
        goto stop;
    }
    {
        TuiEvent ev = {.type = TUI_EV_RELOAD};
        broadcast(app, &ev);
    }
    draw(app);
    rc = loop(app);
    if (rc < 0)
        cb_error_set(err, rc, "waiting for input: %s", strerror(errno));
stop:
    tui_term_stop(app);
    restore_signals();
    if (got_signal && got_signal != SIGWINCH)
        fprintf(stderr, "codecbench: stopped by %s\n", strsignal(got_signal));
    if (rc == CB_OK) {
        size_t active = count_active(app);
        if (active)
            printf("%zu run%s still queued or running: the runner goes on without the dashboard "
                   "('codecbench list --status running', or 'codecbench' again to watch).\n",
                   active, active == 1 ? " is" : "s are");
    }
out:
    for (size_t i = 0; i < priv.n_views; i++)
        if (priv.views[i].ops->destroy)
            priv.views[i].ops->destroy(priv.views[i].self);
    while (priv.n_followed)
        cb_follow_close(&priv.followed[--priv.n_followed].follow);
    free(priv.followed);
    free(priv.marks);
    free(priv.progress);
    cb_buf_free(&priv.img);
    cb_buf_free(&priv.shown);
    if (priv.log_fd >= 0)
        close(priv.log_fd);
    tui_data_free(app);
    signal_fd = -1;
    if (priv.sigpipe[0] >= 0)
        close(priv.sigpipe[0]);
    if (priv.sigpipe[1] >= 0)
        close(priv.sigpipe[1]);
    return rc;
}

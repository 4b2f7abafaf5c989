/* codecbench dashboard: what every view shares.
 *
 * The dashboard is one process, one thread, one poll() loop (app.c): stdin,
 * the descriptors views register (followed files, later curl's sockets), a
 * self-pipe for signals and a timer.  Nothing in it blocks; heavy work runs
 * in other processes (the runner and its workers, the editor).
 *
 * Views are modules behind TuiViewOps (draw, handle a key, handle an event),
 * one file each (view_runs.c, view_detail.c, view_chart.c, view_logs.c,
 * view_compare.c, view_help.c).  The app keeps a stack of open views; the
 * top one is drawn in the body between the title bar (line 0) and the
 * status line (last line), and receives keys.  Every view receives events.
 *
 * The app owns the data views share: the runs as last read from the store
 * (TuiApp.runs, reloaded when another process commits to the store, see
 * tui_reload), the rate points of done runs, the recipes, the marks, the
 * live progress of running runs.  Views borrow them and must not keep
 * pointers into them across a TUI_EV_RELOAD event.
 *
 * Text from data (recipe names, reasons, log lines, tags, paths) is drawn
 * only through tui_text()/tui_textf(), which sanitise it: no byte from data
 * can drive the terminal.
 */
#ifndef CODECBENCH_TUI_H
#define CODECBENCH_TUI_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "codecbench/config.h"
#include "codecbench/error.h"
#include "codecbench/preview.h"
#include "codecbench/store.h"

typedef struct TuiApp TuiApp;

typedef struct TuiRect {
    int y, x, h, w; /**< screen coordinates of the top-left cell and the size in cells */
} TuiRect;

/* ---- events ------------------------------------------------------------- */

typedef enum TuiEventType {
    TUI_EV_RELOAD,    /**< app->runs (and points, recipes) were re-read from the store */
    TUI_EV_RUN_EVENT, /**< a line of a running run's events.jsonl: run_id, line, len */
    TUI_EV_TICK,      /**< the timer, about every 250 ms */
    TUI_EV_MOUSE,     /**< a click in this view's area: y, x (screen), button (1..3), or
                           wheel (button 4 up, 5 down) */
    TUI_EV_SHOW,      /**< the view became the top one; run_id is the run it was opened
                           for (0: none) */
} TuiEventType;

typedef struct TuiEvent {
    TuiEventType type;
    int64_t run_id;
    const char *line; /**< TUI_EV_RUN_EVENT: the raw line (untrusted, NUL-terminated) */
    size_t len;
    int y, x, button;
    /* TUI_EV_SHOW from tui_open_view_with() (0 otherwise): a second run (the preview of two
     * runs), a frame and a rate point (index) to show */
    int64_t other_run;
    int frame, point;
    /* TUI_EV_SHOW from tui_open_stage_text() (NULL otherwise): the stage view's stage that
     * is no run's, borrowed for the event (the view copies it) */
    const struct TuiStageText *stage_text;
} TuiEvent;

/* ---- views ---------------------------------------------------------------- */

typedef struct TuiViewOps {
    CbView id;          /**< CB_VIEW_*: which bindings apply (the view's, then "global") */
    const char *title;  /**< shown in the title bar */
    /** Makes the view's state (*self); 0 or a negative CB_E* code. */
    int (*create)(TuiApp *app, void **self);
    void (*destroy)(void *self);
    /** Draws the view into area (clears what it does not draw).  Called only when the
     * screen is dirty (tui_dirty). */
    void (*draw)(void *self, TuiApp *app, TuiRect area);
    /** A key: req is what the configuration binds key to in this view (or
     * globally), CB_REQ_NONE when unbound.  Returns 1 when the view handled it,
     * 0 to let the app apply its global meaning (quit, help, back, next-view,
     * refresh, view-runs). */
    int (*key)(void *self, TuiApp *app, CbRequest req, int key);
    /** Any event; may be NULL. */
    void (*event)(void *self, TuiApp *app, const TuiEvent *ev);
    /** A short hint of the view's main keys for the status line ("r rerun  e edit"),
     * or NULL; may be NULL. */
    const char *(*hint)(void *self, TuiApp *app);
} TuiViewOps;

/* The views (one file each). */
extern const TuiViewOps tui_view_runs;
extern const TuiViewOps tui_view_detail;
extern const TuiViewOps tui_view_chart;
extern const TuiViewOps tui_view_logs;
extern const TuiViewOps tui_view_compare;
extern const TuiViewOps tui_view_help;
extern const TuiViewOps tui_view_preview;
extern const TuiViewOps tui_view_proposals;
extern const TuiViewOps tui_view_lineage;
extern const TuiViewOps tui_view_stage;

/* ---- live progress of running runs (from their events.jsonl) ---------------- */

typedef struct TuiProgress {
    int64_t run_id;
    int point, points;   /**< the rate point being coded (0-based) and how many */
    int64_t frame, frames; /**< frames coded in that point, of frames */
    double fraction;     /**< 0..1 over the whole run (points and frames), NAN unknown */
    char text[160];      /**< the last event in words (cb_event_text), sanitised */
} TuiProgress;

/* ---- the shared state --------------------------------------------------------- */




struct TuiApp {
    CbStore *store;          /**< borrowed from the caller of tui_main */
    const CbConfig *cfg;     /**< borrowed */
    const char *store_dir;   /**< borrowed */
    const char *exe;         /**< the codecbench binary (for the runner), borrowed */

    CbRunInfo *runs;         /**< every run, by id ascending; n_runs of them */
    size_t n_runs;
    CbPointSummary *points;  /**< every rate point of done runs, by (run_id, idx) */
    size_t n_points;
    CbRecipeText *recipes;   /**< each distinct recipe once (hash, canonical JSON) */
    size_t n_recipes;
    CbExperimentInfo *experiments;
    size_t n_experiments;

    int utf8;                /**< the locale's codeset is UTF-8: Unicode glyphs allowed */
    int colors;              /**< 0 (monochrome / NO_COLOR), 8, 256, or 1 << 24 (direct colour) */
    int rows, cols;          /**< the screen's size */
    int64_t cursor_run;      /**< the run the runs view's cursor is on (0: none); other views
                                  open on it */
    struct TuiAppPrivate *priv;
};

/* Data access. */
/** The run with this id in app->runs, or NULL (binary search). */
const CbRunInfo *tui_run(const TuiApp *app, int64_t id);
/** The rate points of run id: *n of them starting at the returned row (NULL, *n = 0: none). */
const CbPointSummary *tui_run_points(const TuiApp *app, int64_t id, size_t *n);
/** The canonical recipe JSON of a recipe hash, or NULL. */
const char *tui_recipe_json(const TuiApp *app, const char *hash);
/** What a run's rate values are called, from its recipe: "CRF" for a baseline in crf
 * mode, "q" for mpeg4's qscale, else "QP" (the engine, baselines at QP); static. */
const char *tui_rate_word(const TuiApp *app, const CbRunInfo *run);
/** The colour area of a run status (queued, running, done, failed). */
CbColorArea tui_status_area(CbRunStatus st);
/** The file name of a path (its last component), "?" for NULL; borrowed from path. */
const char *tui_basename(const char *path);
/** Progress of a running run, or NULL when none has been seen. */
const TuiProgress *tui_progress(const TuiApp *app, int64_t id);

/* Marks (kept across reloads; deleted runs drop out). */
int tui_is_marked(const TuiApp *app, int64_t id);
void tui_mark(TuiApp *app, int64_t id, int on);
void tui_clear_marks(TuiApp *app);
/** The marked run ids in id order; *n of them (borrowed until the next mark change). */
const int64_t *tui_marked(const TuiApp *app, size_t *n);

/* Views. */
/** Opens a view on top of the stack (or raises it when already open) for run_id (0: none);
 * it receives TUI_EV_SHOW. */
void tui_open_view(TuiApp *app, const TuiViewOps *view, int64_t run_id);
/** tui_open_view() with the caller's TUI_EV_SHOW event (its type is set to TUI_EV_SHOW):
 * views opened with more than a run (the preview: other_run, frame, point). */
void tui_open_view_with(TuiApp *app, const TuiViewOps *view, const TuiEvent *show);
/** Opens the preview of run's frame at rate point index point (and with other != 0, the
 * same frame of that run beside it); a message instead when run is not done. */
void tui_open_preview(TuiApp *app, int64_t run, int64_t other, int point, int frame);
/** Opens the stage view on a stage that is no run's (a proposal's, read before it is
 * queued): title names it in the view ("proposal 2 (not queued)"), kind and code are the
 * stage, parent (0: none) the run it derives from: the diff compares code with that run's
 * stage of the same kind, else with cb_stage_builtin_source(kind), and the parent request
 * goes to that run's stage.  Everything is copied; code is hostile text, shown sanitised.
 * A message instead when kind is no stage kind or code is empty. */
void tui_open_stage_text(TuiApp *app, const char *title, CbStageKind kind, const char *code,
                         int64_t parent);
/** Closes the top view (the runs view at the bottom never closes). */
void tui_close_view(TuiApp *app);

/* Screen and messages. */
/** Asks for a redraw at the end of this loop turn. */
void tui_dirty(TuiApp *app);
/** Asks for the store to be re-read at the end of this loop turn (after the app's own
 * writes: other processes' commits are noticed by themselves). */
void tui_reload(TuiApp *app);
/** A message on the status line (sanitised; replaces the previous one; shown for a few
 * seconds).  is_error colours it and keeps it until the next key. */
void tui_message(TuiApp *app, int is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Reports a CbError on the status line as an error. */
void tui_error(TuiApp *app, const CbError *err);

/* Modal input, handled by the app's loop (never blocking it). */
/** A one-line text prompt on the status line: label, initial text.  On Enter, done(ctx,
 * app, text) is called with the typed text (UTF-8); on Esc, done(ctx, app, NULL).
 * Returns 0, or CB_EBUSY when another prompt is open. */
int tui_prompt(TuiApp *app, const char *label, const char *initial,
               void (*done)(void *ctx, TuiApp *app, const char *text), void *ctx);
/** A yes/no question; yes(ctx, app) runs only on 'y'.  Returns 0 or CB_EBUSY. */
int tui_confirm(TuiApp *app, const char *question, void (*yes)(void *ctx, TuiApp *app),
                void *ctx);
/** Leaves curses, runs argv (the user's $EDITOR) in the foreground of the terminal and
 * waits for it, restores curses and redraws.  Returns the program's exit status (0..255),
 * or a negative CB_E* code (with err) when it could not be run or was killed. */
int tui_run_foreground(TuiApp *app, char *const argv[], CbError *err);
/** Makes sure a runner is serving the store (after queueing). */
int tui_ensure_runner(TuiApp *app, CbError *err);

/* Descriptors for poll(). */
typedef void (*TuiFdFn)(void *ctx, TuiApp *app, int fd, short revents);
/** Adds fd to the loop's poll set for events (POLLIN...): fn is called when they occur.
 * 0, CB_ENOMEM or CB_ELIMIT (too many descriptors). */
int tui_watch_fd(TuiApp *app, int fd, short events, TuiFdFn fn, void *ctx);
void tui_unwatch_fd(TuiApp *app, int fd);

/* Timers (the LLM client's: its timeouts and retries are due at times of its own, which
 * the loop's poll timeout honours, not only the 250 ms tick). */
typedef void (*TuiTimerFn)(void *ctx, TuiApp *app);
/** Runs fn(ctx, app) once, ms milliseconds from now (0: at the next turn of the loop).
 * One timer per ctx: setting it again moves it; ms < 0 cancels ctx's timer.  0, or
 * CB_ELIMIT (too many timers). */
int tui_timer(TuiApp *app, int ms, TuiTimerFn fn, void *ctx);

/* ---- drawing (term.c) -------------------------------------------------------- */

/** The curses attributes (colour pair and attributes) of a colour area under the theme. */
attr_t tui_attr(const TuiApp *app, CbColorArea area);
/** Draws text from data at (y, x) in at most width columns, sanitised (ASCII on non-UTF-8
 * locales), cut with an ellipsis when too wide, with attrs.  Returns the columns drawn. */
int tui_text(TuiApp *app, int y, int x, int width, attr_t attrs, const char *text);
/** printf-style tui_text. */
int tui_textf(TuiApp *app, int y, int x, int width, attr_t attrs, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/** Right-aligns text in width columns (numbers in tables). */
int tui_text_right(TuiApp *app, int y, int x, int width, attr_t attrs, const char *text);
/** Fills width columns at (y, x) with spaces in attrs. */
void tui_fill(TuiApp *app, int y, int x, int width, attr_t attrs);
/** Clears a rectangle. */
void tui_clear_rect(TuiApp *app, TuiRect r);
/** Draws one glyph given as UTF-8 ("⣿", "│") or its ASCII fallback when the locale is
 * not UTF-8. */
void tui_glyph(TuiApp *app, int y, int x, attr_t attrs, const char *utf8, char ascii);
/** Display columns of a sanitised UTF-8 string (wcwidth). */
int tui_width(const char *utf8);

/* ---- images (app.c, term.c; issue 6) ------------------------------------------------
 * A view shows an image by handing the app its bytes at every draw (tui_image); the
 * app writes them raw after curses has updated the screen, inside synchronised output
 * (CSI ? 2026 h ... l), at the area's top-left cell, with the cursor and attributes
 * saved and restored around them (curses' idea of the terminal stays true).  The image
 * is written again only when it changed or curses wrote over its area (a message, a
 * resize, another view); when it goes away, curses rewrites its area (wredrawln), so
 * no stale pixels remain. */

/** What the terminal was found to show before curses started (cb_term_detect), with
 * CODECBENCH_GRAPHICS and the config's preview setting applied. */
const CbTermCaps *tui_term_caps(const TuiApp *app);
/** The graphics mode in force: the detected or configured one, or the override set with
 * tui_set_graphics(); blocks only on a UTF-8 locale. */
CbGraphics tui_graphics(const TuiApp *app);
/** Whether mode can be shown here (text always; blocks on UTF-8 locales; sixel when the
 * terminal said so or the user asked for it). */
int tui_graphics_usable(const TuiApp *app, CbGraphics mode);
/** Overrides the graphics mode (a key); CB_EINVAL when it is not usable here. */
int tui_set_graphics(TuiApp *app, CbGraphics mode);
/** Sixel goes through tmux's passthrough: inside tmux with sixel asked for explicitly. */
int tui_graphics_passthrough(const TuiApp *app);

typedef enum TuiImageKind {
    TUI_IMAGE_SIXEL = 0, /**< one sixel sequence, written at the area's top-left */
    TUI_IMAGE_LINES = 1, /**< lines ending in "\n" (half blocks), each at its row */
} TuiImageKind;
/** Hands the app an image for this draw (call it from a view's draw; the last call of a
 * draw wins): area is the cells it covers (inside the body), bytes are copied (at most
 * 16 MiB).  0, CB_EINVAL, CB_ELIMIT, CB_ENOMEM. */
int tui_image(TuiApp *app, TuiRect area, TuiImageKind kind, const void *bytes, size_t len);

/** A debug line to the dashboard's log ($CODECBENCH_LOG names the file; nothing without
 * it): payload sizes, timings.  Never shown on the screen. */
void tui_log(TuiApp *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** The main loop: draws the runs view and runs until the user quits.  Returns 0, or a
 * negative CB_E* code with err (the terminal is restored either way). */
typedef struct TuiOptions {
    CbStore *store;
    const CbConfig *cfg;
    const char *store_dir;
    const char *exe;          /**< NULL: /proc/self/exe */
    const char *experiment;   /**< show only this experiment (NULL: all) */
    /** Starts the store's runner with the configured options when none is up (after
     * queueing); NULL: never started from the dashboard. */
    int (*ensure_runner)(CbStore *s, CbError *err);
} TuiOptions;
int tui_main(const TuiOptions *o, CbError *err);
/** The signal (SIGINT, SIGTERM, SIGHUP) that ended the last tui_main, or 0. */
int tui_stop_signal(void);

#endif

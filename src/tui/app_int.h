/* codecbench dashboard: the app's private state (app.c, data.c, term.c). */
#ifndef CODECBENCH_TUI_APP_INT_H
#define CODECBENCH_TUI_APP_INT_H

#include "tui/tui.h"

#include <poll.h>

#include "codecbench/buf.h"

#define TUI_MAX_VIEWS 16
#define TUI_MAX_WATCH 64

typedef struct TuiOpenView {
    const TuiViewOps *ops;
    void *self;
} TuiOpenView;

typedef struct TuiWatch {
    int fd;
    short events;
    TuiFdFn fn;
    void *ctx;
} TuiWatch;

#define TUI_MAX_TIMERS 8

typedef struct TuiTimer {
    double due; /* now_s() time */
    TuiTimerFn fn;
    void *ctx;
} TuiTimer;

typedef struct TuiFollowed {
    int64_t run_id;
    struct CbFollow *follow;
} TuiFollowed;

struct TuiAppPrivate {
    /* marks, sorted ascending */
    int64_t *marks;
    size_t n_marks, cap_marks;
    /* progress of running runs, by run id ascending */
    TuiProgress *progress;
    size_t n_progress, cap_progress;

    /* views: all that were ever opened stay alive; stack holds indexes */
    TuiOpenView views[TUI_MAX_VIEWS];
    size_t n_views;
    size_t stack[TUI_MAX_VIEWS];
    size_t depth;

    TuiWatch watch[TUI_MAX_WATCH];
    size_t n_watch;

    TuiTimer timers[TUI_MAX_TIMERS];
    size_t n_timers;

    TuiFollowed *followed;
    size_t n_followed, cap_followed;

    int dirty, reload, quit;
    int urgent;        /* a key, click or resize asked for the redraw: no frame wait */
    double last_draw;
    int64_t data_version;
    double last_store_check;

    char message[512];
    int message_error;
    double message_until;

    /* the modal prompt / question */
    int prompt_kind; /* 0 none, 1 text, 2 yes/no */
    char prompt_label[512];
    char prompt_text[1024];
    size_t prompt_len, prompt_cursor;
    void (*prompt_done)(void *ctx, TuiApp *app, const char *text);
    void (*confirm_yes)(void *ctx, TuiApp *app);
    void *prompt_ctx;

    /* colours: the pair of each area, built from the theme */
    attr_t area_attr[CB_AREA_COUNT];
    int color_pairs;
    int sigpipe[2];
    const char *experiment;
    int (*ensure_runner)(CbStore *s, CbError *err);

    /* graphics (issue 6): what the terminal showed before curses started */
    CbTermCaps caps;
    CbGraphics graphics; /* the mode in force */
    int sixel_asked;     /* sixel came from the user (CODECBENCH_GRAPHICS, the config) */
    /* the image of the draw being made, and the one on the screen */
    int img_has, shown_has;
    TuiRect img_rect, shown_rect;
    TuiImageKind img_kind, shown_kind;
    CbBuf img, shown;
    int repaint; /* the terminal is repainted whole (resize, refresh): images again */
    int log_fd;  /* $CODECBENCH_LOG, or -1 */
    /* keys read ahead while telling a terminal's late reply from keys */
    int ahead[64];
    size_t n_ahead, ahead_at;
};

/* data.c */
void tui_data_free(TuiApp *app);
int tui_data_load(TuiApp *app, CbError *err);
void tui_progress_update(TuiApp *app, int64_t run_id, const char *line, size_t len);
void tui_progress_forget(TuiApp *app, int64_t run_id);

/* term.c */
int tui_term_start(TuiApp *app, CbError *err);
void tui_term_stop(TuiApp *app);
void tui_term_colors(TuiApp *app);
int tui_term_key(TuiApp *app, int *key, MEVENT *mouse);
/** Asks the terminal what it can show (before tui_term_start): fills priv->caps and
 * priv->graphics from cb_term_detect, CODECBENCH_GRAPHICS and the preview setting. */
int tui_term_detect(TuiApp *app, CbError *err);
/** After a resize: the terminal's size (and cell size, where it came from TIOCGWINSZ). */
void tui_term_resized(TuiApp *app);
/** Writes all of len bytes to the terminal (standard output); 0 or CB_EIO. */
int tui_term_write(const void *p, size_t len);

/* app.c */
/** The view under the top one (the help screen describes it), or NULL. */
const TuiViewOps *tui_app_view_below(const TuiApp *app);

#endif

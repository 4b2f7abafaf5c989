/* codecbench: the configuration: settings, key bindings and colours.
 *
 * One parser reads config text wherever it comes from: the built-in
 * defaults (src/config/defaults.conf, compiled in), the user's file
 * ($XDG_CONFIG_HOME/codecbench/config, else $HOME/.config/codecbench/config),
 * files it sources, and theme files (themes/NAME.theme).  A line is one of
 *
 *   # a comment                    (also after a value: "set workers = 2  # x")
 *   set NAME = VALUE               a setting from the table below; VALUE may be
 *                                  "double quoted" (\" and \\ escape)
 *   bind VIEW KEY REQUEST          a key of a view does a request ("none" unbinds)
 *   color AREA FG BG [ATTR...]     the colours of a screen area
 *   source FILE                    reads another file (relative to this one's folder)
 *
 * Errors name the file, the line and the reason:
 *   "config:12: workers: 0 is outside 1..256".
 *
 * Precedence, highest first: a command-line flag (cb_config_set), the
 * environment (cb_config_apply_env: CODECBENCH_ + the setting's name in
 * upper case with '.' as '_', e.g. CODECBENCH_WALL_LIMIT,
 * CODECBENCH_LLM_MODEL), the config file, the built-in defaults.  A value
 * set from a lower-precedence source never replaces one from a higher one,
 * whatever the order of the calls.  Every value, binding and colour
 * remembers where it came from ("default", "file PATH:LINE",
 * "env CODECBENCH_X", "flag --x", "theme NAME, PATH:LINE" or
 * "theme NAME, built-in:LINE").  Paths from a file must be absolute (or
 * start with ~/); relative ones from the environment or a flag are made
 * absolute against the current folder.
 *
 * Colours: `set theme = NAME` loads NAME.theme (color lines only) from
 * $XDG_CONFIG_HOME/codecbench/themes, else the installed themes folder
 * (cb_config_themes_dir()), else the built-in themes "default" and "mono".
 * A `color` line of the config wins over the theme's colour for that area,
 * whatever the order of the lines.
 *
 * Requests, views and colour areas are X-macro lists so that the dashboard,
 * its help screen and `codecbench config` share one definition.
 *
 * Ownership: a CbConfig is made by cb_config_new() and freed with
 * cb_config_free(); strings returned by getters are borrowed from it and
 * live until the next call that changes the same value, or the free.
 */
#ifndef CODECBENCH_CONFIG_H
#define CODECBENCH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"

/* ---- requests: what a key does ------------------------------------------ */

/* X(ENUM, "name", "help text") in the order the help screen shows them. */
#define CB_CONFIG_REQUESTS(X) \
    X(QUIT, "quit", "Quit codecbench") \
    X(HELP, "help", "Show the keys of this view and what they do") \
    X(BACK, "back", "Close this view and return to the previous one") \
    X(REFRESH, "refresh", "Reload from the store and redraw the screen") \
    X(NEXT_VIEW, "next-view", "Switch to the next view") \
    X(PREV_VIEW, "prev-view", "Switch to the previous view") \
    X(VIEW_RUNS, "view-runs", "Show the runs") \
    X(VIEW_EXPERIMENTS, "view-experiments", "Show the experiments") \
    X(MOVE_UP, "move-up", "Move the cursor up one line") \
    X(MOVE_DOWN, "move-down", "Move the cursor down one line") \
    X(MOVE_PAGE_UP, "move-page-up", "Move the cursor up one page") \
    X(MOVE_PAGE_DOWN, "move-page-down", "Move the cursor down one page") \
    X(MOVE_HOME, "move-home", "Move the cursor to the first line") \
    X(MOVE_END, "move-end", "Move the cursor to the last line") \
    X(SELECT, "select", "Open the item under the cursor") \
    X(TOGGLE_MARK, "toggle-mark", "Mark or unmark the item under the cursor") \
    X(CLEAR_MARKS, "clear-marks", "Unmark every item") \
    X(RERUN, "rerun", "Queue the run again (the marked runs, or the one under the cursor)") \
    X(CANCEL, "cancel", "Cancel the queued or running run") \
    X(DELETE, "delete", "Delete the run (asks first)") \
    X(TAG, "tag", "Add or remove a tag") \
    X(NOTE, "note", "Add a note") \
    X(COMPARE, "compare", "Compare the marked runs side by side") \
    X(ANCHOR, "anchor", "Make this run's recipe the experiment's anchor") \
    X(LOGS, "logs", "Show the run's log") \
    X(FOLLOW, "follow", "Follow the end of the log as it grows, or stop following") \
    X(CHART, "chart", "Show the rate-distortion chart") \
    X(PREVIEW, "preview", "Show a decoded frame of the run") \
    X(LINEAGE, "lineage", "Show the run's ancestors and descendants") \
    X(STAGE, "stage", "Show the stage source (C code of an engine stage) of the run or the proposal") \
    X(TOGGLE_DIFF, "toggle-diff", "Switch between the stage source and its diff against the parent's") \
    X(PROPOSE, "propose", "Ask the proposer for the next recipes to try") \
    X(FILTER, "filter", "Filter the list (experiment, status, codec, tag)") \
    X(SORT, "sort", "Sort by the next column") \
    X(SORT_REVERSE, "sort-reverse", "Reverse the sort order") \
    X(SEARCH, "search", "Search forward") \
    X(SEARCH_NEXT, "search-next", "Go to the next match") \
    X(SEARCH_PREV, "search-prev", "Go to the previous match") \
    X(EXPORT, "export", "Export the shown rows as CSV") \
    X(EDIT, "edit", "Edit the run's recipe in $EDITOR and queue the edited run") \
    X(NEW_RUN, "new-run", "Queue a new run from a recipe file and a clip") \
    X(NEXT_PANE, "next-pane", "Move to the next pane of this view") \
    X(COLUMNS, "columns", "Choose the columns shown") \
    X(DIFF_FIELDS, "diff-fields", "Show only the recipe fields that differ between the runs") \
    X(NEXT_POINT, "next-point", "Show the figures of the next rate point") \
    X(PREV_POINT, "prev-point", "Show the figures of the previous rate point") \
    X(CHART_MODE, "chart-mode", "Switch the chart: rate-distortion, per frame, Pareto") \
    X(NEXT_ERROR, "next-error", "Go to the next error line") \
    X(PREV_ERROR, "prev-error", "Go to the previous error line") \
    X(ALL_RUNS, "all-runs", "Switch between this run's log and every run's") \
    X(SCROLL_LEFT, "scroll-left", "Scroll the view left") \
    X(SCROLL_RIGHT, "scroll-right", "Scroll the view right") \
    X(PARENT, "parent", "Open the run's parent run") \
    X(NEXT_FRAME, "next-frame", "Show the next frame (the frame cursor of the per-frame chart)") \
    X(PREV_FRAME, "prev-frame", "Show the previous frame") \
    X(WORST_FRAME, "worst-frame", "Go to the frame with the lowest PSNR-Y") \
    X(PREVIEW_MODE, "preview-mode", "Switch the preview: side by side, error heat map") \
    X(FLIP, "flip", "Show the source or the reconstruction alone, in turn") \
    X(ZOOM, "zoom", "Zoom: whole frame, 1:1, 2:1, 4:1 (arrows then move the region)") \
    X(OVERLAY, "overlay", "Draw the coding blocks and motion vectors (engine runs)") \
    X(GRAPHICS, "graphics", "Switch how images are drawn: sixel, half blocks, text") \
    X(ACCEPT, "accept", "Accept the proposal: queue it as runs with its parent") \
    X(REJECT, "reject", "Reject the proposal (recorded, so it is not proposed again)") \
    X(PROPOSER, "proposer", "Switch the proposer: the local search or the LLM") \
    X(MORE, "more", "Ask for one proposal more") \
    X(FEWER, "fewer", "Ask for one proposal fewer") \
    X(SHOW_PROMPT, "show-prompt", "Show or hide the request sent to the LLM") \
    X(AUTO_EVOLVE, "auto-evolve", "Start or stop the experiment's evolve loop (codecbench evolve)") \
    X(STAGE_MODE, "stage-mode", "Switch what the LLM writes: recipes, or intra, loop_filter or transform stage code")

typedef enum CbRequest {
    CB_REQ_NONE = 0, /**< no request: the key is unbound (or bound to "none") */
#define CB_X_(e, n, h) CB_REQ_##e,
    CB_CONFIG_REQUESTS(CB_X_)
#undef CB_X_
    CB_REQ_COUNT
} CbRequest;

/* ---- views ----------------------------------------------------------------- */

/* X(ENUM, "name", "what it shows"); "global" bindings apply in every view. */
#define CB_CONFIG_VIEWS(X) \
    X(GLOBAL, "global", "every view (a view's own binding wins)") \
    X(RUNS, "runs", "the list of runs") \
    X(EXPERIMENTS, "experiments", "the list of experiments") \
    X(RUN, "run", "one run: recipe, rate points, lineage") \
    X(COMPARE, "compare", "runs side by side") \
    X(LOGS, "logs", "a run's log") \
    X(CHART, "chart", "rate-distortion curves") \
    X(PREVIEW, "preview", "a decoded frame") \
    X(LINEAGE, "lineage", "a run's ancestors and descendants") \
    X(STAGE, "stage", "a run's or a proposal's stage source and its diff against the parent's") \
    X(PROPOSALS, "proposals", "the proposer's suggestions") \
    X(HELP, "help", "the keys and what they do")

typedef enum CbView {
#define CB_X_(e, n, h) CB_VIEW_##e,
    CB_CONFIG_VIEWS(CB_X_)
#undef CB_X_
    CB_VIEW_COUNT
} CbView;

/* ---- colour areas ------------------------------------------------------- */

/* X(ENUM, "name", "what it colours"); an area without a colour takes the
 * "default" area's. */
#define CB_CONFIG_AREAS(X) \
    X(DEFAULT, "default", "everything not listed below") \
    X(TITLE, "title", "the title bar") \
    X(STATUS, "status", "the status line") \
    X(STATUS_ERROR, "status-error", "an error on the status line") \
    X(HEADER, "header", "column headers") \
    X(BORDER, "border", "lines between panes") \
    X(CURSOR, "cursor", "the line under the cursor") \
    X(SELECTED, "selected", "the open item in a list") \
    X(MARKED, "marked", "marked items") \
    X(HELP_KEY, "help-key", "key names on the help screen") \
    X(SEARCH_MATCH, "search-match", "text matching the search") \
    X(GOOD, "good", "a better figure (negative BD-rate, higher PSNR)") \
    X(BAD, "bad", "a worse figure") \
    X(WARN, "warn", "warnings") \
    X(QUEUED, "queued", "queued runs") \
    X(RUNNING, "running", "running runs") \
    X(DONE, "done", "finished runs") \
    X(FAILED, "failed", "failed, cancelled or interrupted runs") \
    X(LOG_ERROR, "log-error", "error lines of a log") \
    X(LOG_WARN, "log-warn", "warning lines of a log") \
    X(LOG_DEBUG, "log-debug", "debug lines of a log") \
    X(GRAPH_AXIS, "graph-axis", "chart axes and labels") \
    X(GRAPH_ANCHOR, "graph-anchor", "the anchor's curve") \
    X(GRAPH_TEST1, "graph-test1", "the first curve compared with the anchor") \
    X(GRAPH_TEST2, "graph-test2", "the second curve") \
    X(GRAPH_TEST3, "graph-test3", "the third curve") \
    X(GRAPH_TEST4, "graph-test4", "the fourth curve") \
    X(GRAPH_TEST5, "graph-test5", "the fifth curve") \
    X(GRAPH_TEST6, "graph-test6", "the sixth curve")

typedef enum CbColorArea {
#define CB_X_(e, n, h) CB_AREA_##e,
    CB_CONFIG_AREAS(CB_X_)
#undef CB_X_
    CB_AREA_COUNT
} CbColorArea;

/* Attributes: X(ENUM, "name"). */
#define CB_CONFIG_ATTRS(X) \
    X(BOLD, "bold") \
    X(UNDERLINE, "underline") \
    X(REVERSE, "reverse") \
    X(DIM, "dim") \
    X(BLINK, "blink") \
    X(STANDOUT, "standout") \
    X(ITALIC, "italic")

enum {
#define CB_X_(e, n) CB_ATTR_BIT_##e,
    CB_CONFIG_ATTRS(CB_X_)
#undef CB_X_
    CB_ATTR_COUNT
};
#define CB_ATTR_BOLD (1u << CB_ATTR_BIT_BOLD)
#define CB_ATTR_UNDERLINE (1u << CB_ATTR_BIT_UNDERLINE)
#define CB_ATTR_REVERSE (1u << CB_ATTR_BIT_REVERSE)
#define CB_ATTR_DIM (1u << CB_ATTR_BIT_DIM)
#define CB_ATTR_BLINK (1u << CB_ATTR_BIT_BLINK)
#define CB_ATTR_STANDOUT (1u << CB_ATTR_BIT_STANDOUT)
#define CB_ATTR_ITALIC (1u << CB_ATTR_BIT_ITALIC)

/** The terminal's own colour ("default"). */
#define CB_COLOR_DEFAULT (-1)

typedef struct CbColor {
    int fg, bg;         /**< CB_COLOR_DEFAULT, or 0..255 (0..7: black red green
                             yellow blue magenta cyan white) */
    unsigned attrs;     /**< CB_ATTR_* bits */
    const char *source; /**< borrowed: where it came from */
} CbColor;

/* ---- keys --------------------------------------------------------------- */

/* A key is an int: a Unicode code point for characters (1..26 are ^A..^Z,
 * 9 <Tab>, 13 <Enter>, 27 <Esc>, 32 <Space>, 127 <Backspace>), or one of
 * the CB_KEY_* values above Unicode for keys without a character.  The
 * dashboard maps curses' KEY_* codes onto these. */
enum {
    CB_KEY_UP = 0x110000,
    CB_KEY_DOWN,
    CB_KEY_LEFT,
    CB_KEY_RIGHT,
    CB_KEY_HOME,
    CB_KEY_END,
    CB_KEY_PAGE_UP,
    CB_KEY_PAGE_DOWN,
    CB_KEY_INSERT,
    CB_KEY_DELETE,
    CB_KEY_BACK_TAB,
    CB_KEY_F1,               /**< F1..F24 are CB_KEY_F1 + 0..23 */
    CB_KEY_LAST = CB_KEY_F1 + 23,
};
#define CB_KEY_F(n) (CB_KEY_F1 + (n) - 1)

/** Bytes a key name needs, NUL included. */
#define CB_KEY_NAME_MAX 16

/** Parses a key name: a character ("r", "R", "é"), "^R" (control), "<Enter>",
 * "<Up>", "F5" or "<F5>" (names in <> are case-insensitive; "<Hash>" is '#',
 * which otherwise starts a comment).  0, or CB_EINVAL with err naming it. */
int cb_config_key_parse(const char *name, int *key, CbError *err);
/** Writes key's canonical name into out (CB_KEY_NAME_MAX bytes); parsing it
 * gives key back.  CB_EINVAL (out "") for a value that is not a key. */
int cb_config_key_name(int key, char out[CB_KEY_NAME_MAX]);

/* ---- names ----------------------------------------------------------------- */

/** Names and help texts: static storage; NULL for a value out of range. */
const char *cb_config_request_name(CbRequest req);  /**< "none" for CB_REQ_NONE */
const char *cb_config_request_help(CbRequest req);
const char *cb_config_view_name(CbView view);
const char *cb_config_view_help(CbView view);
const char *cb_config_area_name(CbColorArea area);
const char *cb_config_area_help(CbColorArea area);
/** Name to value; -1 when the name is unknown ("none" gives CB_REQ_NONE). */
int cb_config_request_from_name(const char *name);
int cb_config_view_from_name(const char *name);
int cb_config_area_from_name(const char *name);

/* ---- the settings table ----------------------------------------------------- */

typedef enum CbSettingType {
    CB_SETTING_INT,    /**< a whole number in [min, max] */
    CB_SETTING_STRING, /**< free text (no control characters) */
    CB_SETTING_PATH,   /**< a path; a leading "~/" is $HOME */
    CB_SETTING_NAME,   /**< [A-Za-z0-9_.-], 1..64 bytes, no leading '.' or '-' */
    CB_SETTING_ENVVAR, /**< the name of an environment variable, [A-Z_][A-Z0-9_]* */
    CB_SETTING_URL,    /**< http:// or https:// */
    CB_SETTING_ENUM,   /**< one of choices */
    CB_SETTING_REAL,   /**< a decimal number with up to 3 decimals; min and max in thousandths;
                            with auto_means also "auto" (read as -1) */
} CbSettingType;

typedef struct CbSettingInfo {
    const char *name;        /**< "workers", "llm.model" */
    CbSettingType type;
    long long min, max;      /**< CB_SETTING_INT */
    const char *choices;     /**< CB_SETTING_ENUM: "local|llm" */
    const char *unit;        /**< "seconds", "MiB", or "" */
    const char *auto_means;  /**< INT settings accepting "auto": what it means; else NULL */
    const char *help;        /**< one sentence */
} CbSettingInfo;

/** The settings in table order: count, and the i-th (static; NULL past the end). */
size_t cb_config_setting_count(void);
const CbSettingInfo *cb_config_setting_info(size_t i);
/** Index of a setting by name, or -1. */
int cb_config_setting_find(const char *name);
/** Writes "CODECBENCH_" + name in upper case, '.' as '_' into out; CB_ELIMIT if
 * it does not fit. */
int cb_config_env_name(const char *name, char *out, size_t size);

/* ---- a configuration ---------------------------------------------------- */

typedef struct CbConfig CbConfig;

/** A new configuration holding the built-in defaults (and the built-in
 * default theme).  CB_ENOMEM; CB_EFORMAT only if the compiled-in defaults do
 * not parse (a build error, reported with their line).  *out is NULL on
 * failure. */
int cb_config_new(CbConfig **out, CbError *err);
/** Frees cfg and clears the pointer; NULL and *cfg == NULL are allowed. */
void cb_config_free(CbConfig **cfg);

/** Parses config text (source lines are refused here: no file to be relative
 * to) as if it were the file `name`.  On error, err names name:LINE and the
 * reason, and lines before the failing one may have been applied: a front
 * end discards the configuration. */
int cb_config_parse(CbConfig *cfg, const char *text, size_t len, const char *name,
                    CbError *err);
/** Reads a config file (at most CB_CONFIG_MAX_BYTES, lines of at most
 * CB_CONFIG_MAX_LINE bytes, source nesting at most 8).  A missing file is
 * not an error when missing_ok is set (returns 1: nothing read); a folder, an
 * unreadable file or bad content is (CB_EIO, CB_ELIMIT, CB_EFORMAT,
 * CB_EINVAL).  0 when read. */
int cb_config_load_file(CbConfig *cfg, const char *path, int missing_ok, CbError *err);
#define CB_CONFIG_MAX_BYTES (1 << 20)
#define CB_CONFIG_MAX_LINE 4096

/** Applies every CODECBENCH_<SETTING> variable that is set; a bad value is
 * an error naming the variable ("env CODECBENCH_WORKERS: 0 is outside
 * 1..256").  An empty variable counts as unset. */
int cb_config_apply_env(CbConfig *cfg, CbError *err);
/** Sets a setting from a command-line flag; flag is the option as the user
 * typed it ("--workers"), NULL for "--" + name.  Errors name the flag. */
int cb_config_set(CbConfig *cfg, const char *name, const char *value, const char *flag,
                  CbError *err);

/** The value of an INT setting: 0, CB_ENOENT (no such setting), CB_EINVAL
 * (not an INT setting). */
int cb_config_get_int(const CbConfig *cfg, const char *name, long long *out);
/** The value of a REAL setting: 0, CB_ENOENT, CB_EINVAL (not a REAL
 * setting); "auto" reads as -1. */
int cb_config_get_real(const CbConfig *cfg, const char *name, double *out);
/** The value of any setting as config text (an INT in decimal, or "auto");
 * NULL for an unknown name.  Borrowed. */
const char *cb_config_get_string(const CbConfig *cfg, const char *name);
/** Where the setting's value came from; NULL for an unknown name.  Borrowed. */
const char *cb_config_get_source(const CbConfig *cfg, const char *name);
/** Whether an INT setting holds "auto" (its value is then the computed one). */
int cb_config_is_auto(const CbConfig *cfg, const char *name);

/** The request key does in view: the view's binding, else the global one,
 * else CB_REQ_NONE (a view's binding to "none" hides the global one). */
CbRequest cb_config_key_request(const CbConfig *cfg, CbView view, int key);

typedef struct CbBinding {
    CbView view;
    int key;
    CbRequest req;       /**< CB_REQ_NONE: unbound by "none" */
    const char *source;  /**< borrowed */
} CbBinding;
/** The bindings, in the order they were first made (a later binding of the
 * same view and key replaces the earlier in place). */
size_t cb_config_binding_count(const CbConfig *cfg);
const CbBinding *cb_config_binding(const CbConfig *cfg, size_t i);

/** The colour of area: the config's own `color` line, else the theme's,
 * else the "default" area's, else the terminal's defaults.  Never fails for
 * a valid area (an invalid one gives the terminal's defaults). */
CbColor cb_config_color(const CbConfig *cfg, CbColorArea area);
/** The name of the theme whose colours are loaded; borrowed. */
const char *cb_config_theme_name(const CbConfig *cfg);
/** Parses a colour name ("red", "default", "0".."255"): 0 or CB_EINVAL. */
int cb_config_color_parse(const char *name, int *color);
/** Name of a colour value ("red", "default", "208"): static storage or buf. */
const char *cb_config_color_name(int color, char buf[8]);
/** Name of an attribute bit index (CB_ATTR_BIT_*): static, NULL past the end. */
const char *cb_config_attr_name(int bit);

/** The configuration as config text, one line per setting, binding and
 * colour, each followed by its source as a comment; parsing it gives the
 * same values.  New string (free()), NULL on allocation failure. */
char *cb_config_format(const CbConfig *cfg);

/* ---- places ------------------------------------------------------------------- */

/** $XDG_CONFIG_HOME/codecbench/config, else $HOME/.config/codecbench/config
 * (a relative XDG_CONFIG_HOME is ignored, as the XDG spec says).  New
 * string (free()); NULL when neither variable gives a path, or out of memory. */
char *cb_config_user_path(void);
/** The folder of user themes: $XDG_CONFIG_HOME/codecbench/themes, else
 * $HOME/.config/codecbench/themes.  New string or NULL, as above. */
char *cb_config_user_themes_dir(void);
/** $XDG_DATA_HOME/codecbench, else $HOME/.local/share/codecbench: where the
 * store lives by default (the "store" setting's default).  New string or
 * NULL, as above. */
char *cb_config_data_dir(void);
/** The installed themes folder (PKGDATADIR/themes); static storage. */
const char *cb_config_themes_dir(void);

#endif

/* codecbench dashboard: the table model of the runs view (no curses).
 *
 * Built from the runs, rate points and recipes the app read from the store
 * (tui_runtable_load, once per reload): every cell's text and number is
 * formatted then, the recipes are flattened into dotted fields (once per
 * distinct recipe: a recipe hash names its content, so a flattening is kept
 * across reloads), and the table keeps its own copies: nothing points into
 * the caller's arrays after the call.
 *
 * Rows are the run ids that pass the experiment choice and the filter query
 * (query.h), in the sort order: any column, numbers numerically, text
 * ASCII case-insensitively, missing values (NaN, "-") last in either
 * direction, ties by id ascending (so every order is total and stable).
 * The cursor stays on the same run id across reloads, sorting and
 * filtering; when its run is gone it stays at the same position.
 *
 * Columns have stable ids: the built-in ones (TUI_RT_COL_*), then one per
 * recipe field ever seen this session (TUI_RT_COL_FIELDS + n).  The shown
 * columns are a list the user chooses ("columns" spec); the word "fields"
 * in it stands for the recipe fields, all of them, or with the diff toggle
 * only those that differ among the rows shown.
 *
 * Ownership: a TuiRunTable is made by tui_runtable_new and freed with
 * tui_runtable_free; strings it returns are borrowed until the next call
 * that changes it.
 */
#ifndef CODECBENCH_TUI_RUNTABLE_H
#define CODECBENCH_TUI_RUNTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/store.h"

enum {
    TUI_RT_COL_ID,
    TUI_RT_COL_STATUS,
    TUI_RT_COL_EXPERIMENT,
    TUI_RT_COL_RECIPE,
    TUI_RT_COL_CODEC,
    TUI_RT_COL_CLIP,
    TUI_RT_COL_FRAMES,
    TUI_RT_COL_KBPS,     /**< at the chosen rate point */
    TUI_RT_COL_PSNR,     /**< PSNR-Y (mean of frames) at the chosen rate point */
    TUI_RT_COL_SSIM,     /**< at the chosen rate point */
    TUI_RT_COL_BD,       /**< BD-rate against the anchor, % */
    TUI_RT_COL_BDPSNR,   /**< BD-PSNR against the anchor, dB */
    TUI_RT_COL_FPS,      /**< encode frames per second, mean over points */
    TUI_RT_COL_DURATION, /**< finished - started (running: so far), seconds */
    TUI_RT_COL_TAGS,
    TUI_RT_COL_CREATED,
    TUI_RT_COL_FIELDS, /**< the first recipe field column */
};

/** Longest cell text kept (bytes); longer values are cut. */
#define TUI_RT_CELL_MAX 256

typedef struct TuiRtColumn {
    const char *name;  /**< as queries and the columns spec name it ("bd", "transform") */
    const char *path;  /**< recipe fields: the dotted JSON path ("settings.transform"); else name */
    const char *title; /**< the header ("BD-RATE", "kbps@2"); recipe fields: name */
    int numeric;       /**< sorts numerically and is right-aligned */
    int width;         /**< widest cell (and title) in columns, capped */
    int present;       /**< recipe fields: some loaded recipe has it */
} TuiRtColumn;

/** One run as the table keeps it (for what the view computes at draw time:
 * live progress, running time). */
typedef struct TuiRtRun {
    int64_t id;
    CbRunStatus status;
    double started, finished; /**< Unix seconds, NAN when not yet */
    int n_points;
    int cancel_requested; /**< a cancel was asked and the runner has not acted yet */
} TuiRtRun;

/** What tui_runtable_load reads (borrowed for the call). */
typedef struct TuiRtInput {
    const CbRunInfo *runs; /**< by id ascending */
    size_t n_runs;
    const CbPointSummary *points; /**< by (run_id, idx) */
    size_t n_points;
    const CbRecipeText *recipes; /**< by hash */
    size_t n_recipes;
    double now; /**< Unix seconds: running durations */
} TuiRtInput;

typedef struct TuiRunTable TuiRunTable;

int tui_runtable_new(TuiRunTable **out, CbError *err);
void tui_runtable_free(TuiRunTable **rt);

/** Replaces the table's data (formats every cell, flattens new recipes),
 * then filters and sorts again keeping the cursor's run.  When the current
 * query no longer parses against the new columns (a field changed kind),
 * the filter is cleared and tui_runtable_notice says why.  On failure
 * (CB_ENOMEM) the table is empty. */
int tui_runtable_load(TuiRunTable *rt, const TuiRtInput *in, CbError *err);
/** A message about the last load for the status line, or NULL; cleared when read. */
const char *tui_runtable_notice(TuiRunTable *rt);

/** Filters by a query (query.h); on error (err says why) the previous query stays. */
int tui_runtable_set_query(TuiRunTable *rt, const char *text, CbError *err);
/** The text of the query in force ("" for none); borrowed. */
const char *tui_runtable_query(const TuiRunTable *rt);
/** Shows only the runs of experiment name (NULL: all); the name is copied. */
int tui_runtable_set_experiment(TuiRunTable *rt, const char *name);
const char *tui_runtable_experiment(const TuiRunTable *rt);

/** Sorts by column col (an id), descending when desc. */
int tui_runtable_set_sort(TuiRunTable *rt, int col, int desc);
/** The sort column; *desc gets the direction. */
int tui_runtable_sort(const TuiRunTable *rt, int *desc);

/** The rate point whose kbps / PSNR / SSIM are shown (0-based, clamped to
 * 0 .. tui_runtable_max_points - 1). */
void tui_runtable_set_point(TuiRunTable *rt, int idx);
int tui_runtable_point(const TuiRunTable *rt);
/** The most rate points any loaded run has. */
int tui_runtable_max_points(const TuiRunTable *rt);

/** Shows only the recipe fields that differ among the rows (on), or all of them. */
void tui_runtable_set_diff(TuiRunTable *rt, int on);
int tui_runtable_diff(const TuiRunTable *rt);

/** Chooses the columns: names separated by spaces or commas, in order
 * ("id status recipe bd fields"); "fields" is the recipe fields; "default"
 * the default set.  Words all starting with '+' or '-' add or remove
 * columns from the current choice instead.  CB_EINVAL names an unknown
 * column (and lists the names). */
int tui_runtable_set_columns(TuiRunTable *rt, const char *spec, CbError *err);
/** The current choice as a spec (for a prompt's initial text); borrowed. */
const char *tui_runtable_columns_spec(TuiRunTable *rt);
/** Every column name, space-separated (for help texts); borrowed. */
const char *tui_runtable_column_names(TuiRunTable *rt);

/** The columns known (ids 0 .. n-1). */
size_t tui_runtable_n_columns(const TuiRunTable *rt);
const TuiRtColumn *tui_runtable_column(const TuiRunTable *rt, int col);
/** A column id by name (or recipe path), -1 when none. */
int tui_runtable_find_column(const TuiRunTable *rt, const char *name);
/** The shown columns, in order (ids); *cols is borrowed. */
size_t tui_runtable_visible(const TuiRunTable *rt, const int **cols);

/** Runs loaded, and rows shown. */
size_t tui_runtable_total(const TuiRunTable *rt);
size_t tui_runtable_n_rows(const TuiRunTable *rt);
const TuiRtRun *tui_runtable_row(const TuiRunTable *rt, size_t row);
/** The text of a cell ("-" when missing, never NULL), and its number (NAN
 * when missing or text). */
const char *tui_runtable_cell(const TuiRunTable *rt, size_t row, int col);
double tui_runtable_number(const TuiRunTable *rt, size_t row, int col);
/** The row of run id, or -1 when it is not shown. */
long tui_runtable_find(const TuiRunTable *rt, int64_t id);

/** The cursor: a row (0 when there are none) and its run id (0: none). */
size_t tui_runtable_cursor(const TuiRunTable *rt);
int64_t tui_runtable_cursor_id(const TuiRunTable *rt);
/** Moves the cursor to row (clamped). */
void tui_runtable_set_cursor(TuiRunTable *rt, long row);
/** Moves the cursor to run id's row; -1 when it is not shown (cursor unchanged). */
int tui_runtable_set_cursor_id(TuiRunTable *rt, int64_t id);

/** Formats a duration in seconds as "42.0s", "3m05s", "2h07m", "3d04h" into
 * out ("-" for NaN or negative). */
void tui_runtable_format_duration(double seconds, char *out, size_t size);

#endif

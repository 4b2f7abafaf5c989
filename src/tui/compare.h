/* codecbench dashboard: the compare view's model (compare.c), no curses:
 * the recipes of runs flattened to dotted fields with the differing ones
 * flagged, and the BD-rate / BD-PSNR matrix of every run against every
 * other, computed once when the runs or the store change, never per draw.
 *
 * BD figures are those of the metrics module (cb_bd_compute: PCHIP in the
 * log-rate domain over the PSNR-Y overlap, mean-of-frames PSNR-Y), on the
 * runs' rate points as the store lists them; runs of different clips (clip
 * identity: the hash of the decoded frames) do not compare and get no
 * figure. */
#ifndef CODECBENCH_TUI_COMPARE_H
#define CODECBENCH_TUI_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/store.h"

/** Most runs compared at once (a matrix of n * n cells). */
#define TUI_CMP_MAX_RUNS 64
/** Most recipe fields kept (a recipe has about 40). */
#define TUI_CMP_MAX_FIELDS 512
/** Bytes of a cell's "why not" text. */
#define TUI_CMP_WHY_MAX 160

/** One run to compare; everything borrowed for the call of tui_compare_build. */
typedef struct TuiCmpInput {
    int64_t id;
    const char *clip_id;          /**< its clip identity; NULL: not measured (not done) */
    const char *recipe_json;      /**< its recipe (JSON object text); NULL: unknown.  A valid
                                       recipe is compared in its canonical form (every field,
                                       defaults included, no note); other JSON as it is */
    const CbPointSummary *points; /**< its rate points (may be NULL) */
    size_t n_points;
} TuiCmpInput;

/** One dotted recipe field ("settings.qps") across the runs. */
typedef struct TuiCmpField {
    char *path;     /**< owned */
    char **values;  /**< n_runs owned texts (strings as they are, other values as compact
                         JSON); NULL where the run's recipe has no such field or is unknown */
    int differs;    /**< two runs whose recipes are known disagree (a missing field counts) */
} TuiCmpField;

typedef enum TuiBdState {
    TUI_BD_OK = 0,     /**< bd_rate_pct / bd_psnr_db are set */
    TUI_BD_SELF,       /**< a run against itself */
    TUI_BD_NO_DATA,    /**< one of the two is not measured (no clip or no rate points) */
    TUI_BD_OTHER_CLIP, /**< the two are on different clips: they do not compare */
    TUI_BD_FAILED,     /**< cb_bd_compute refused (why says so: too few points, no overlap) */
} TuiBdState;

typedef struct TuiCmpBd {
    TuiBdState state;
    double bd_rate_pct;  /**< test against anchor, %: negative saves bits; NAN unless OK */
    double bd_psnr_db;   /**< dB: positive is better; NAN unless OK */
    int small_overlap;   /**< OK, but the PSNR overlap is small (CB_BD_SMALL_OVERLAP) */
    char why[TUI_CMP_WHY_MAX]; /**< FAILED: the reason (from data: sanitise to show) */
} TuiCmpBd;

typedef struct TuiCompare {
    size_t n_runs;
    TuiCmpField *fields; /**< in the order of first appearance (recipe order) */
    size_t n_fields;
    size_t n_differ;     /**< fields with differs set */
    TuiCmpBd *bd;        /**< n_runs * n_runs cells: bd[anchor * n_runs + test] */
} TuiCompare;

/** Builds c (empty or zeroed before; freed with tui_compare_free) for n runs
 * (at most TUI_CMP_MAX_RUNS: CB_ELIMIT).  A recipe that is not a JSON object
 * counts as unknown.  Returns 0, CB_ENOMEM or CB_ELIMIT (with err); c is
 * empty on failure. */
int tui_compare_build(TuiCompare *c, const TuiCmpInput *runs, size_t n, CbError *err);
void tui_compare_free(TuiCompare *c);
/** The cell of test against anchor (indexes into the runs); NULL when out of range. */
const TuiCmpBd *tui_compare_bd(const TuiCompare *c, size_t anchor, size_t test);

/** Whether v is better than ref: 1 better, -1 worse, 0 equal or not comparable (NAN).
 * lower_is_better for rates (kbps, BD-rate); higher is better otherwise. */
int tui_compare_better(double v, double ref, int lower_is_better);

/** The point of a run at rate value rate (QP / CRF), or NULL. */
const CbPointSummary *tui_compare_point_at(const CbPointSummary *points, size_t n, int rate);

#endif

/* codecbench dashboard: the lineage view's model (lineage.c), no curses:
 * the runs of an experiment (or of one run's family) as a tree by parent,
 * laid out once per reload in depth-first order (children by id), with the
 * BD-rate each run gained against its parent; and the "fields changed"
 * text of a recipe against its parent's, split for colouring.
 *
 * Sizes: built in O(n log n) for n runs, without recursion (an evolve
 * chain may be thousands of generations deep); a row's tree prefix is
 * found by walking up its ancestors, so drawing costs the depth shown, not
 * the tree. */
#ifndef CODECBENCH_TUI_LINEAGE_H
#define CODECBENCH_TUI_LINEAGE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/store.h"

/** How a row's BD-rate against its parent was found. */
typedef enum TuiLinBd {
    TUI_LIN_BD_NONE = 0, /**< no figure (a root, not measured, other clips) */
    TUI_LIN_BD_DIRECT,   /**< cb_bd_compute of the run's curve against its parent's */
    TUI_LIN_BD_ANCHOR,   /**< the difference of their BD-rates against the anchor */
} TuiLinBd;

typedef struct TuiLinRow {
    int64_t run_id;
    size_t run; /**< index into the runs the tree was built from */
    size_t up;  /**< the parent's row, or SIZE_MAX for a root */
    int depth;  /**< 0 for roots */
    int last;   /**< the last child of its parent (or the last root) */
    size_t n_children;
    TuiLinBd bd_kind;
    double bd_gain; /**< BD-rate of the run against its parent, %: negative saves bits */
    char *diff;     /**< fields changed against the parent; NULL: not computed yet
                         (the view fills it lazily, tui_lineage_diff) */
    char *code;     /**< the stage code changed against the parent's; NULL: not computed
                         yet (the view fills it lazily, tui_lineage_code_change) */
} TuiLinRow;

typedef struct TuiLineage {
    TuiLinRow *rows; /**< depth-first: a parent, then its children's subtrees by id */
    size_t n_rows;
    int max_depth;
} TuiLineage;

/** Builds t (zeroed or freed before) from runs (by id ascending, n of them)
 * and points (every rate point, by (run_id, idx)): the runs of experiment
 * (NULL: all); with family > 0 only that run's ancestors and descendants
 * (and itself).  A run whose parent is not among them is a root.  Returns 0,
 * CB_ENOMEM (t empty). */
int tui_lineage_build(TuiLineage *t, const CbRunInfo *runs, size_t n, const CbPointSummary *points,
                      size_t n_points, const char *experiment, int64_t family, CbError *err);
void tui_lineage_free(TuiLineage *t);
/** The row of run id, or SIZE_MAX. */
size_t tui_lineage_find(const TuiLineage *t, int64_t id);

/** The tree drawing before row's text, one cell pair per level 1..depth:
 * kinds[l] for l in 0..depth-1 is TUI_LIN_SPACE ("  "), TUI_LIN_VERT ("│ "),
 * TUI_LIN_TEE ("├─") or TUI_LIN_CORNER ("└─").  At most max levels are
 * written (the deepest ones: kinds[0] is then level depth-max); returns how
 * many were written. */
enum { TUI_LIN_SPACE = 0, TUI_LIN_VERT, TUI_LIN_TEE, TUI_LIN_CORNER };
int tui_lineage_prefix(const TuiLineage *t, size_t row, unsigned char *kinds, int max);

/** The fields of recipe child_json that differ from parent_json, as
 * cb_propose_diff says them ("transform: klt -> dct; deblock: true ->
 * false"); "" when they are the same settings or parent_json is NULL;
 * "(recipe not readable)" when one does not parse.  New string, NULL when out
 * of memory. */
char *tui_lineage_diff(const char *parent_json, const char *child_json);

/** The stage code of recipe child_json against its parent's, in lines
 * ("intra +12 -3"): against the parent's stage of the same kind, else the
 * built-in source of the kind ("intra +40 -2 vs built-in"); a parent's
 * stage the child drops is "loop_filter removed"; parts joined by "; ".
 * "" when neither has a stage or the code is the same; "(recipe not
 * readable)" when one does not parse.  New string, NULL when out of memory. */
char *tui_lineage_code_change(const char *parent_json, const char *child_json);

/** One "field: old -> new" part of a diff text: spans into the text (not
 * NUL-terminated).  A part without " -> " has only field set (the whole
 * part) and old_len = new_len = 0 with old = new = NULL. */
typedef struct TuiDiffPart {
    const char *field, *old, *new_;
    size_t field_len, old_len, new_len;
} TuiDiffPart;
/** Reads the next part of a diff text at *s (parts separated by "; "),
 * moving *s past it.  Returns 1 with *part, or 0 at the end. */
int tui_diff_next(const char **s, TuiDiffPart *part);

#endif

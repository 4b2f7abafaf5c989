/* codecbench dashboard: the stage view's model (stagedoc.c), no curses: a
 * run's stage source, or its unified diff against the parent's, as display
 * lines.  A stage's source is hostile text: every line is sanitised here
 * (an escape shows as "^[", other controls in caret notation, bad UTF-8 as
 * "<XX>"), with tabs expanded to stops of 8 columns, so what the view
 * draws cannot drive the terminal. */
#ifndef CODECBENCH_TUI_STAGEDOC_H
#define CODECBENCH_TUI_STAGEDOC_H

#include <stddef.h>

#include "codecbench/error.h"
#include "codecbench/linediff.h"

/** Columns of a tab stop in a shown source. */
#define TUI_STAGEDOC_TAB 8
/** Lines of context around a change in the diff (diff -u's). */
#define TUI_STAGEDOC_CONTEXT 3

typedef enum TuiStageLineKind {
    TUI_SL_CODE = 0, /**< a source line (number set) */
    TUI_SL_HEADER,   /**< "--- from" / "+++ to" */
    TUI_SL_HUNK,     /**< "@@ -l,s +l,s @@" */
    TUI_SL_CONTEXT,  /**< " unchanged" */
    TUI_SL_ADD,      /**< "+added" */
    TUI_SL_DEL,      /**< "-removed" */
    TUI_SL_NOTE,     /**< "\ No newline at end of file" */
} TuiStageLineKind;

typedef struct TuiStageLine {
    char *text; /**< owned, sanitised, tabs expanded, no newline */
    TuiStageLineKind kind;
    int number; /**< TUI_SL_CODE: the line's number from 1; else 0 */
} TuiStageLine;

typedef struct TuiStageDoc {
    TuiStageLine *lines; /**< owned */
    size_t n;
    CbLineDiffStat stat; /**< a diff's counts (zero for a source) */
} TuiStageDoc;

/** The lines of code (any bytes; a last line without newline is a line).
 * sanitize: cb_sanitize flags (CB_SANITIZE_ASCII on non-UTF-8 terminals).
 * d is emptied first.  0, or CB_ENOMEM / CB_ELIMIT with err. */
int tui_stagedoc_source(TuiStageDoc *d, const char *code, unsigned sanitize, CbError *err);

/** The unified diff of base against code (cb_line_diff, TUI_STAGEDOC_CONTEXT
 * lines of context) after the header lines "--- from" and "+++ to"; only
 * the header when they are equal.  0, or cb_line_diff's errors. */
int tui_stagedoc_diff(TuiStageDoc *d, const char *base, const char *code, const char *from,
                      const char *to, unsigned sanitize, CbError *err);

/** Frees what d owns and empties it (d may be empty). */
void tui_stagedoc_free(TuiStageDoc *d);

/** The next line after `from` (before it when backward), wrapping around,
 * whose text contains pattern (bytes, case-sensitive; compare a sanitised
 * pattern); from itself is tried last.  Returns the line, or -1; *wrapped
 * (may be NULL) says the search passed the end (the start). */
long tui_stagedoc_find(const TuiStageDoc *d, size_t from, int backward, const char *pattern,
                       int *wrapped);

#endif

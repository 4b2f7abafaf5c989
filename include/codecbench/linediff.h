/* codecbench: line diffs of texts (stage sources against their parent's),
 * src/util/linediff.c.
 *
 * Myers' O(ND) algorithm over lines (a line is the bytes up to and with its
 * '\n'; a last line without one is a line too), in unified format as
 * `diff -u` prints it without the two file header lines: hunks
 * "@@ -l,s +l,s @@" with `context` lines of context, lines prefixed ' ',
 * '-' or '+', "\ No newline at end of file" where diff says it.  Bounded:
 * texts of at most CB_LINEDIFF_MAX_LINES lines each, and at most
 * CB_LINEDIFF_MAX_EDITS differing lines (beyond: CB_ELIMIT).
 */
#ifndef CODECBENCH_LINEDIFF_H
#define CODECBENCH_LINEDIFF_H

#include <stddef.h>

#include "codecbench/buf.h"
#include "codecbench/error.h"

#define CB_LINEDIFF_MAX_LINES 100000
#define CB_LINEDIFF_MAX_EDITS 20000

typedef struct CbLineDiffStat {
    int added;    /**< lines only in b */
    int removed;  /**< lines only in a */
    int hunks;
} CbLineDiffStat;

/** Diffs a (alen bytes) against b (blen bytes); any bytes (a NUL is an
 * ordinary byte).  out (may be NULL: counts only) gets the unified text
 * appended ("" when the texts are equal); st (may be NULL) the counts.
 * Returns 0, CB_ELIMIT, or CB_ENOMEM (out's cap reached counts as
 * CB_ELIMIT). */
int cb_line_diff(const char *a, size_t alen, const char *b, size_t blen, int context, CbBuf *out,
                 CbLineDiffStat *st, CbError *err);

#endif

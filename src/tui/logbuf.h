/* codecbench dashboard: the log view's model (no curses).
 *
 * TuiLogBuf is a bounded store of log lines: at most max_lines lines and
 * max_bytes bytes of text; when either is reached the oldest lines are
 * dropped and counted.  Each line is sanitised once, when added (an ESC
 * becomes "^[", so a log line holding escape sequences is shown
 * harmlessly), cut at TUI_LOGBUF_LINE_MAX bytes with a marker, and tagged
 * with its run id and a level.  Adding is amortised O(1) with no allocation
 * per line: the text goes into fixed-size blocks of a byte arena reused as
 * a ring, the lines into a ring of offsets.
 *
 * Lines are numbered from 0 in the order they were added, for the life of
 * the buffer (until tui_logbuf_clear): the oldest line kept is number
 * tui_logbuf_first() (which is also how many were dropped), the newest is
 * tui_logbuf_end() - 1.  A view keeps line numbers, not pointers: numbers
 * stay valid while lines are added and simply fall off the front.
 *
 * TuiLogRun follows one run's files into a TuiLogBuf: log.txt (the
 * worker's and verification's own output) and events.jsonl (shown in words
 * with cb_event_text; progress events are left out).  It reads in bounded
 * chunks (the caller gives a byte budget per call), starts at the last
 * TUI_LOG_TAIL_MAX bytes of a big file, skips ahead the same way when it
 * falls further behind than that, reopens a file that was truncated or
 * replaced, and shows a warning or error that appears in both files
 * (the worker's logger writes to both) only once.
 */
#ifndef CODECBENCH_TUI_LOGBUF_H
#define CODECBENCH_TUI_LOGBUF_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"

/** Default caps of a dashboard log buffer. */
#define TUI_LOGBUF_MAX_LINES 200000
#define TUI_LOGBUF_MAX_BYTES ((size_t)64 << 20)
/** Bytes of sanitised text kept of one line; the rest is cut and a marker
 * (" [line cut: N bytes]") says how long the line was. */
#define TUI_LOGBUF_LINE_MAX 8192
/** Bytes of one raw line read from a file; longer lines keep their first
 * TUI_LOG_RAW_MAX bytes (then cut as above). */
#define TUI_LOG_RAW_MAX 65536
/** Bytes read at most from the end of a file when it is opened or when the
 * reader has fallen this far behind; what lies before is skipped with a
 * line saying how much. */
#define TUI_LOG_TAIL_MAX ((int64_t)16 << 20)

typedef enum TuiLogLevel {
    TUI_LOG_AUTO = -1, /**< tui_logbuf_add: classify the text (tui_logbuf_classify) */
    TUI_LOG_INFO = 0,
    TUI_LOG_DEBUG,
    TUI_LOG_WARN,
    TUI_LOG_ERROR,
} TuiLogLevel;

typedef struct TuiLogLine {
    const char *text;  /**< sanitised, NUL-terminated; borrowed until the next add or clear */
    size_t len;        /**< bytes of text */
    int64_t run_id;
    TuiLogLevel level;
} TuiLogLine;

typedef struct TuiLogBuf TuiLogBuf;

/** A new empty buffer holding at most max_lines lines (>= 16) and about max_bytes bytes of
 * text (>= 1 MiB).  0, CB_EINVAL or CB_ENOMEM (err says which). */
int tui_logbuf_new(TuiLogBuf **out, size_t max_lines, size_t max_bytes, CbError *err);
/** Frees the buffer (NULL allowed) and clears the pointer. */
void tui_logbuf_free(TuiLogBuf **b);
/** Drops every line and restarts the numbering at 0 (keeps the memory). */
void tui_logbuf_clear(TuiLogBuf *b);

/** Adds one line: len raw bytes (untrusted, need not be NUL-terminated, no newline) of
 * run run_id, at level (TUI_LOG_AUTO: classified from the text).  A carriage return
 * keeps only what follows the last one (what a terminal would show).  total_len, when
 * larger than len, is the length the line had before a reader kept only len bytes of
 * it (for the cut marker); pass 0 otherwise.  0 or CB_ENOMEM. */
int tui_logbuf_add(TuiLogBuf *b, int64_t run_id, TuiLogLevel level, const char *raw, size_t len,
                   size_t total_len);

/** The number of the oldest line kept: how many lines were dropped. */
uint64_t tui_logbuf_first(const TuiLogBuf *b);
/** One past the number of the newest line (tui_logbuf_first when empty). */
uint64_t tui_logbuf_end(const TuiLogBuf *b);
/** Lines kept (end - first). */
size_t tui_logbuf_count(const TuiLogBuf *b);
/** Bytes of text kept (the arena in use, not counting per-line bookkeeping). */
size_t tui_logbuf_bytes(const TuiLogBuf *b);
/** Error and warning lines among those kept. */
size_t tui_logbuf_errors(const TuiLogBuf *b);
size_t tui_logbuf_warnings(const TuiLogBuf *b);
/** Line n: 0, or CB_ERANGE when n was dropped or is not yet added. */
int tui_logbuf_get(const TuiLogBuf *b, uint64_t n, TuiLogLine *line);

/** Searches for needle (case-insensitive for ASCII letters; compare it in sanitised form)
 * in the lines after from (backward: before from), wrapping around the ends, from itself
 * last.  Returns the line number, or -1 when no line holds it (or needle is empty).
 * *wrapped (may be NULL) is set when the match lies past an end. */
int64_t tui_logbuf_search(const TuiLogBuf *b, uint64_t from, int backward, const char *needle,
                          int *wrapped);
/** The next line after from (backward: before from) whose level is at least level, without
 * wrapping; -1 when there is none. */
int64_t tui_logbuf_next_level(const TuiLogBuf *b, uint64_t from, int backward,
                              TuiLogLevel level);
/** Where needle occurs in hay (hay_len bytes) at or after offset start, case-insensitive
 * for ASCII letters: its offset, or -1. */
long tui_log_find(const char *hay, size_t hay_len, size_t start, const char *needle,
                  size_t needle_len);
/** The level of a line of program output by its prefixes ("error:", "[warning]",
 * "codecbench: warning: ", "debug:", ...) and words ("error", "failed", "fatal",
 * "warning", ...).  A line "codecbench: TEXT" without a level is an error (how the
 * command line reports errors). */
TuiLogLevel tui_logbuf_classify(const char *text, size_t len);

/* ---- following a run's files ------------------------------------------------ */

typedef struct TuiLogRun TuiLogRun;

/** Starts following run run_id whose directory is run_dir (copied; the files may not
 * exist yet).  ino: an inotify descriptor the caller polls (the run directory is added to
 * it), or -1 (the caller then reads on a timer only).  0 or CB_ENOMEM. */
int tui_logrun_open(TuiLogRun **out, const char *run_dir, int64_t run_id, int ino,
                    CbError *err);
/** Stops following (removes the inotify watch) and frees; NULL allowed. */
void tui_logrun_close(TuiLogRun **r);
int64_t tui_logrun_id(const TuiLogRun *r);
/** Reads what was appended to the files since the last call, at most about budget bytes,
 * into b.  *used (may be NULL) gets the bytes read.  Returns 1 when more is waiting (call
 * again soon), 0 when caught up, CB_EIO when a file cannot be read (err says which; the
 * next call tries again). */
int tui_logrun_read(TuiLogRun *r, TuiLogBuf *b, size_t budget, size_t *used, CbError *err);
/** Adds a partial last line (one without its newline) of each file: call once the run has
 * finished and tui_logrun_read is caught up. */
int tui_logrun_flush(TuiLogRun *r, TuiLogBuf *b);

#endif

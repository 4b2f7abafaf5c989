/* codecbench: a growable byte buffer with a hard size cap.
 *
 * Everything filled from outside (files, log lines, replies) goes through a
 * CbBuf whose cap bounds the memory that data can make us spend.  The data
 * is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef CODECBENCH_BUF_H
#define CODECBENCH_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "codecbench/error.h"

typedef struct CbBuf {
    char *data;   /**< owned; NULL until the first append */
    size_t len;   /**< bytes held, not counting the terminating NUL */
    size_t cap;   /**< bytes allocated */
    size_t max;   /**< hard cap on len */
} CbBuf;

/** Prepares an empty buffer that may hold up to max bytes. */
void cb_buf_init(CbBuf *b, size_t max);
/** Frees the buffer's memory and leaves it empty (NULL is allowed). */
void cb_buf_free(CbBuf *b);
/** Empties the buffer, keeping its memory. */
void cb_buf_reset(CbBuf *b);
/** Appends n bytes; CB_ELIMIT past the cap (nothing appended), CB_ENOMEM. */
int cb_buf_append(CbBuf *b, const void *p, size_t n);
/** Appends a NUL-terminated string. */
int cb_buf_puts(CbBuf *b, const char *s);
/** Appends printf-style text. */
int cb_buf_printf(CbBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cb_buf_vprintf(CbBuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/** Returns the buffer's data (owned by the caller, to free()) and leaves b
 * empty; an empty buffer gives an allocated "". NULL on allocation failure. */
char *cb_buf_steal(CbBuf *b);

/** Reads a whole file into b (appending), failing with CB_ELIMIT if it is
 * larger than b's cap, CB_EIO (details in err) if it cannot be read. */
int cb_buf_read_file(CbBuf *b, const char *path, CbError *err);

#endif

/* codecbench: error codes and error details.
 *
 * Every fallible call returns an int: 0 (CB_OK) or a negative CB_E* code.
 * Calls that can say more also take an optional CbError, which receives the
 * code and one line of text naming the thing and the reason.  Library code
 * never prints; front ends print the text.
 */
#ifndef CODECBENCH_ERROR_H
#define CODECBENCH_ERROR_H

#include <stddef.h>

enum {
    CB_OK = 0,
    CB_ENOMEM = -1,    /**< an allocation failed */
    CB_EINVAL = -2,    /**< an argument or a value out of its allowed range */
    CB_EIO = -3,       /**< a system call on a file failed */
    CB_EFORMAT = -4,   /**< data that is corrupt, truncated or not what it claims */
    CB_ENOTSUP = -5,   /**< valid data this build cannot handle */
    CB_ELIMIT = -6,    /**< a size or count beyond a stated bound */
    CB_EMISMATCH = -7, /**< two inputs that must agree do not (size, frame count) */
    CB_ERANGE = -8,    /**< a position outside the data (seek past the end) */
    CB_EEXTERNAL = -9, /**< a library below us failed (FFmpeg, LAPACK) */
    CB_ENOENT = -10,   /**< no such run, experiment or file */
    CB_EBUSY = -11,    /**< held by another process (a lock, a running run) */
    CB_ETIMEOUT = -12, /**< a peer (child process, server, terminal) did not answer in time */
    CB_ESTAGE = -13,   /**< stage code (stage.h) failed: returned nonzero, crashed, was refused or denied */
};

/** Text of an error code; static storage, never NULL. */
const char *cb_strerror(int code);

/** Bytes of text an error carries; longer text is cut, ending in "...". */
#define CB_ERROR_TEXT_MAX 1024

typedef struct CbError {
    int code;                      /**< 0 when no error was set */
    char text[CB_ERROR_TEXT_MAX];  /**< one line, NUL-terminated; may hold bytes from data: sanitise before display */
} CbError;

/** Clears err (NULL is allowed). */
void cb_error_clear(CbError *err);

/** Sets err (NULL is allowed) to code and printf-style text; returns code,
 * so that `return cb_error_set(err, CB_EINVAL, "...")` reads naturally. */
int cb_error_set(CbError *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Prefixes err's text with printf-style text and ": " (keeps the code);
 * returns err's code, or CB_OK when err is NULL. */
int cb_error_prefix(CbError *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

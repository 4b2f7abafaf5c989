/* codecbench: the logger callback through which library code reports.
 *
 * Library code never prints.  A front end passes a CbLogger; a NULL logger
 * drops messages.  Messages may carry bytes from data (file names, library
 * error strings): the front end sanitises them before display.
 */
#ifndef CODECBENCH_LOG_H
#define CODECBENCH_LOG_H

typedef enum CbLogLevel {
    CB_LOG_ERROR = 0,
    CB_LOG_WARN = 1,
    CB_LOG_INFO = 2,
    CB_LOG_DEBUG = 3,
} CbLogLevel;

/** Receives one message (no trailing newline); msg is borrowed for the call. */
typedef void (*CbLogFn)(void *opaque, CbLogLevel level, const char *msg);

typedef struct CbLogger {
    CbLogFn fn;          /**< NULL drops every message */
    void *opaque;        /**< passed to fn */
    CbLogLevel max_level; /**< messages above this level are dropped */
} CbLogger;

/** Formats and sends a message; logger may be NULL. */
void cb_log(const CbLogger *logger, CbLogLevel level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Lower-case name of a level ("error", "warning", ...). */
const char *cb_log_level_name(CbLogLevel level);

#endif

/* codecbench: the logger callback. */
#include "codecbench/log.h"

#include <stdarg.h>
#include <stdio.h>

void cb_log(const CbLogger *logger, CbLogLevel level, const char *fmt, ...)
{
    if (!logger || !logger->fn || level > logger->max_level)
        return;
    /* One log line; longer messages are cut, which the sanitiser later shows. */
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    logger->fn(logger->opaque, level, msg);
}

const char *cb_log_level_name(CbLogLevel level)
{
    switch (level) {
    case CB_LOG_ERROR: return "error";
    case CB_LOG_WARN: return "warning";
    case CB_LOG_INFO: return "info";
    case CB_LOG_DEBUG: return "debug";
    }
    return "log";
}

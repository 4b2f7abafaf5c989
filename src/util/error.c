/* codecbench: error codes and error details. */
#include "codecbench/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cb_strerror(int code)
{
    switch (code) {
    case CB_OK: return "success";
    case CB_ENOMEM: return "out of memory";
    case CB_EINVAL: return "invalid argument";
    case CB_EIO: return "input/output error";
    case CB_EFORMAT: return "invalid or corrupt data";
    case CB_ENOTSUP: return "not supported";
    case CB_ELIMIT: return "limit exceeded";
    case CB_EMISMATCH: return "inputs do not match";
    case CB_ERANGE: return "out of range";
    case CB_EEXTERNAL: return "library error";
    case CB_ENOENT: return "not found";
    case CB_EBUSY: return "busy";
    case CB_ETIMEOUT: return "timed out";
    case CB_ESTAGE: return "stage code failed";
    }
    return "unknown error";
}

void cb_error_clear(CbError *err)
{
    if (!err)
        return;
    err->code = CB_OK;
    err->text[0] = '\0';
}

/* Marks a cut message so that a reader knows text is missing. */
static void mark_truncated(char *text, size_t size, int wanted)
{
    if (wanted >= 0 && (size_t)wanted < size)
        return;
    memcpy(text + size - 4, "...", 4);
}

int cb_error_set(CbError *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(err->text, sizeof err->text, "%s", cb_strerror(code));
    else
        mark_truncated(err->text, sizeof err->text, n);
    return code;
}

int cb_error_prefix(CbError *err, const char *fmt, ...)
{
    if (!err)
        return CB_OK;
    char old[CB_ERROR_TEXT_MAX];
    memcpy(old, err->text, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof err->text) {
        int m = snprintf(err->text + n, sizeof err->text - (size_t)n, ": %s", old);
        mark_truncated(err->text, sizeof err->text, m < 0 ? m : n + m);
    } else {
        mark_truncated(err->text, sizeof err->text, n);
    }
    return err->code;
}

/* codecbench: a growable byte buffer with a hard size cap. */
#include "codecbench/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cb_buf_init(CbBuf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void cb_buf_free(CbBuf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void cb_buf_reset(CbBuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. */
static int reserve(CbBuf *b, size_t n)
{
    if (n > b->max - b->len)
        return CB_ELIMIT;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return CB_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return CB_ENOMEM;
    b->data = p;
    b->cap = cap;
    return CB_OK;
}

int cb_buf_append(CbBuf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return CB_OK;
}

int cb_buf_puts(CbBuf *b, const char *s)
{
    return cb_buf_append(b, s, strlen(s));
}

int cb_buf_vprintf(CbBuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return CB_EINVAL;
    int rc = reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return CB_OK;
}

int cb_buf_printf(CbBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cb_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *cb_buf_steal(CbBuf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

int cb_buf_read_file(CbBuf *b, const char *path, CbError *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    int rc = CB_OK;
    char chunk[65536];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n) {
            rc = cb_buf_append(b, chunk, n);
            if (rc == CB_ELIMIT) {
                cb_error_set(err, rc, "%s: larger than %zu bytes", path, b->max);
                break;
            }
            if (rc < 0) {
                cb_error_set(err, rc, "%s: %s", path, cb_strerror(rc));
                break;
            }
        }
        if (n < sizeof chunk) {
            if (ferror(f))
                rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == CB_OK && !b->data)
        rc = cb_buf_append(b, "", 0);
    return rc;
}

/* codecbench: the server-sent events parser (see llm.h). */
#include <string.h>

#include "codecbench/llm.h"

void cb_sse_init(CbSse *p, size_t max)
{
    memset(p, 0, sizeof *p);
    if (!max)
        max = CB_SSE_MAX_DEFAULT;
    cb_buf_init(&p->line, max);
    cb_buf_init(&p->data, max);
    cb_buf_init(&p->type, 256);
    cb_buf_init(&p->id, 1024);
    p->retry_ms = -1;
}

void cb_sse_free(CbSse *p)
{
    cb_buf_free(&p->line);
    cb_buf_free(&p->data);
    cb_buf_free(&p->type);
    cb_buf_free(&p->id);
}

int cb_sse_pending(const CbSse *p)
{
    return p->data.len > 0 || p->line.len > 0;
}

static int dispatch(CbSse *p, CbSseHandler h, void *ud)
{
    int rc = 0;
    if (p->data.len) {
        /* The data buffer holds each line followed by LF: drop the last. */
        p->data.len--;
        p->data.data[p->data.len] = '\0';
        CbSseEvent ev = {
            .type = p->type.len ? p->type.data : "message",
            .data = p->data.data,
            .len = p->data.len,
            .id = p->id.len ? p->id.data : "",
        };
        p->events++;
        rc = h ? h(ud, &ev) : 0;
    }
    cb_buf_reset(&p->data);
    cb_buf_reset(&p->type);
    return rc;
}

static int field(CbSse *p, CbError *err)
{
    const char *s = p->line.data ? p->line.data : "";
    size_t n = p->line.len;
    const char *colon = memchr(s, ':', n);
    size_t nlen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = (size_t)(s + n - v);
    if (colon && vlen && *v == ' ') {
        v++;
        vlen--;
    }
    if (nlen == 4 && !memcmp(s, "data", 4)) {
        if (cb_buf_append(&p->data, v, vlen) < 0 || cb_buf_append(&p->data, "\n", 1) < 0)
            return cb_error_set(err, CB_ELIMIT, "server-sent event data longer than %zu bytes",
                                p->data.max);
    } else if (nlen == 5 && !memcmp(s, "event", 5)) {
        cb_buf_reset(&p->type);
        if (cb_buf_append(&p->type, v, vlen) < 0)
            return cb_error_set(err, CB_ELIMIT, "server-sent event type longer than %zu bytes",
                                p->type.max);
    } else if (nlen == 2 && !memcmp(s, "id", 2)) {
        if (!memchr(v, '\0', vlen)) { /* the standard ignores ids holding NUL */
            cb_buf_reset(&p->id);
            if (cb_buf_append(&p->id, v, vlen) < 0)
                return cb_error_set(err, CB_ELIMIT, "server-sent event id longer than %zu bytes",
                                    p->id.max);
        }
    } else if (nlen == 5 && !memcmp(s, "retry", 5)) {
        long ms = 0;
        size_t i;
        for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' && ms < 100000000; i++)
            ms = ms * 10 + (v[i] - '0');
        if (vlen && i == vlen)
            p->retry_ms = ms;
    }
    return 0;
}

/* One complete line (without its end). */
static int line_done(CbSse *p, CbSseHandler h, void *ud, CbError *err)
{
    int rc = 0;
    if (p->line.len == 0)
        rc = dispatch(p, h, ud);
    else if (p->line.data[0] == ':')
        p->comments++;
    else
        rc = field(p, err);
    cb_buf_reset(&p->line);
    return rc;
}

int cb_sse_feed(CbSse *p, const char *bytes, size_t n, CbSseHandler h, void *ud, CbError *err)
{
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    size_t i = 0;
    /* The BOM check spans reads: hold back up to two bytes of it. */
    while (!p->started && i < n) {
        if ((unsigned char)bytes[i] == bom[p->bom]) {
            i++;
            if (++p->bom == 3)
                p->started = 1;
            continue;
        }
        p->started = 1;
        if (p->bom && cb_buf_append(&p->line, bom, p->bom) < 0)
            return cb_error_set(err, CB_ENOMEM, "server-sent events: out of memory");
    }
    while (i < n) {
        char c = bytes[i];
        if (p->after_cr && c == '\n') { /* the LF of a CRLF split or not across reads */
            p->after_cr = 0;
            i++;
            continue;
        }
        p->after_cr = 0;
        if (c == '\r' || c == '\n') {
            p->after_cr = c == '\r';
            i++;
            int rc = line_done(p, h, ud, err);
            if (rc)
                return rc;
            continue;
        }
        /* Take the run of ordinary bytes at once. */
        size_t j = i;
        while (j < n && bytes[j] != '\r' && bytes[j] != '\n')
            j++;
        int rc = cb_buf_append(&p->line, bytes + i, j - i);
        if (rc == CB_ELIMIT)
            return cb_error_set(err, CB_ELIMIT, "server-sent event line longer than %zu bytes",
                                p->line.max);
        if (rc < 0)
            return cb_error_set(err, rc, "server-sent events: out of memory");
        i = j;
    }
    return 0;
}

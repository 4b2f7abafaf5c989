/* libFuzzer target: a chat server's event stream.  The bytes are parsed
 * whole and again split at a point taken from the input; both must give the
 * same events (a read boundary never changes what a stream means), and each
 * event's data goes through the JSON extraction a plain reply would. */
#include <assert.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codecbench/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Trace {
    CbBuf text;
} Trace;

static int record(void *ud, const CbSseEvent *ev)
{
    Trace *t = ud;
    assert(ev->type && ev->id && ev->data && ev->data[ev->len] == '\0');
    if (cb_buf_printf(&t->text, "%zu:%s|%s|", ev->len, ev->type, ev->id) < 0 ||
        cb_buf_append(&t->text, ev->data, ev->len) < 0)
        return 1;
    json_t *j = NULL;
    CbError err = {0};
    size_t off = 0, len = 0;
    if (cb_llm_extract_json(ev->data, ev->len, 0, &j, &off, &len, &err) == 0) {
        assert(json_is_object(j) && off + len <= ev->len && ev->data[off] == '{' &&
               ev->data[off + len - 1] == '}');
        json_decref(j);
    } else {
        assert(j == NULL && err.code == CB_EFORMAT);
    }
    return 0;
}

static int parse(const uint8_t *data, size_t size, size_t cut, Trace *t, int *pending)
{
    CbSse p;
    CbError err = {0};
    cb_sse_init(&p, 4096);
    cb_buf_init(&t->text, 1 << 22);
    int rc = cb_sse_feed(&p, (const char *)data, cut, record, t, &err);
    if (rc == 0)
        rc = cb_sse_feed(&p, (const char *)data + cut, size - cut, record, t, &err);
    *pending = cb_sse_pending(&p);
    cb_sse_free(&p);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t cut = ((size_t)data[0] << 8 | data[1]) % (size - 1);
    data += 2;
    size -= 2;
    Trace a, b;
    int pa, pb;
    int ra = parse(data, size, 0, &a, &pa);
    int rb = parse(data, size, cut, &b, &pb);
    if (ra == 0 && rb == 0) {
        assert(a.text.len == b.text.len);
        assert(a.text.len == 0 || memcmp(a.text.data, b.text.data, a.text.len) == 0);
        assert(pa == pb);
    }
    /* A cap is hit at the same byte however the stream is cut. */
    assert((ra == CB_ELIMIT) == (rb == CB_ELIMIT));
    cb_buf_free(&a.text);
    cb_buf_free(&b.text);
    return 0;
}

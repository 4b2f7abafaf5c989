/* codecbench engine: byte-aligned big-endian fields.  See bits.h. */
#include "engine/bits.h"

#include <stdlib.h>
#include <string.h>

#include "codecbench/error.h"

/* First allocation of a writer. */
#define BW_INITIAL_CAP 64

void cb_bw_init(CbBitWriter *w, size_t max)
{
    w->buf = NULL;
    w->len = 0;
    w->cap = 0;
    w->max = max;
    w->error = 0;
}

void cb_bw_free(CbBitWriter *w)
{
    if (!w)
        return;
    free(w->buf);
    w->buf = NULL;
    w->len = 0;
    w->cap = 0;
}

/* Makes room for n more bytes; 0 or sets the error. */
static int reserve(CbBitWriter *w, size_t n)
{
    if (w->error)
        return -1;
    if (n > w->max - w->len) {
        w->error = CB_ELIMIT;
        return -1;
    }
    if (n <= w->cap - w->len)
        return 0;
    size_t cap = w->cap ? w->cap : BW_INITIAL_CAP;
    while (cap - w->len < n)
        cap = cap <= SIZE_MAX / 2 ? cap * 2 : SIZE_MAX;
    if (cap > w->max)
        cap = w->max; /* still >= len + n, checked above */
    uint8_t *nb = realloc(w->buf, cap);
    if (!nb) {
        w->error = CB_ENOMEM;
        return -1;
    }
    w->buf = nb;
    w->cap = cap;
    return 0;
}

static void put_be(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void write_be(CbBitWriter *w, uint32_t v, int n)
{
    if (reserve(w, (size_t)n) != 0)
        return;
    put_be(w->buf + w->len, v, n);
    w->len += (size_t)n;
}

void cb_bw_u8(CbBitWriter *w, uint32_t v) { write_be(w, v, 1); }
void cb_bw_u16(CbBitWriter *w, uint32_t v) { write_be(w, v, 2); }
void cb_bw_u32(CbBitWriter *w, uint32_t v) { write_be(w, v, 4); }

void cb_bw_bytes(CbBitWriter *w, const void *p, size_t n)
{
    if (n == 0 || reserve(w, n) != 0)
        return;
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void cb_bw_put_u32_at(CbBitWriter *w, size_t pos, uint32_t v)
{
    if (w->error)
        return;
    if (w->len < 4 || pos > w->len - 4) {
        w->error = CB_EINVAL;
        return;
    }
    put_be(w->buf + pos, v, 4);
}

void cb_br_init(CbBitReader *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->error = 0;
}

size_t cb_br_left(const CbBitReader *r)
{
    return r->len - r->pos;
}

static uint32_t read_be(CbBitReader *r, int n)
{
    if (r->error || cb_br_left(r) < (size_t)n) {
        r->error = CB_EFORMAT;
        return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | r->buf[r->pos + (size_t)i];
    r->pos += (size_t)n;
    return v;
}

uint32_t cb_br_u8(CbBitReader *r) { return read_be(r, 1); }
uint32_t cb_br_u16(CbBitReader *r) { return read_be(r, 2); }
uint32_t cb_br_u32(CbBitReader *r) { return read_be(r, 4); }

const uint8_t *cb_br_bytes(CbBitReader *r, size_t n)
{
    /* A pointer for zero bytes when buf is NULL (NULL + 0 is not valid C). */
    static const uint8_t empty[1] = {0};
    if (r->error || cb_br_left(r) < n) {
        r->error = CB_EFORMAT;
        return NULL;
    }
    if (n == 0)
        return r->buf ? r->buf + r->pos : empty;
    const uint8_t *p = r->buf + r->pos;
    r->pos += n;
    return p;
}

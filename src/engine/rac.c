/* codecbench engine: adaptive binary range coder.  See rac.h for the design
 * and the stream layout. */
#include "engine/rac.h"

#include <assert.h>
#include <stdlib.h>

#include "codecbench/error.h"

/* Renormalise when range drops below 2^24, so that between calls
 * range >= 2^24 and (range >> 15) >= 2^9: every bound is then >= 2^9 * 1 and
 * <= (range >> 15) * 32767 < range, so both sub-intervals are non-empty. */
#define TOP (1u << 24)
/* First allocation of the encoder's output. */
#define ENC_INITIAL_CAP 256

/* ---- Contexts ------------------------------------------------------------ */

void cb_rac_ctx_init(CbRacCtx *ctx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ctx[i].fast = CB_RAC_PROB_HALF;
        ctx[i].slow = CB_RAC_PROB_HALF;
    }
}

uint32_t cb_rac_ctx_prob(const CbRacCtx *ctx, CbAdapt adapt)
{
    switch (adapt) {
    case CB_ADAPT_FAST: return ctx->fast;
    case CB_ADAPT_SLOW: return ctx->slow;
    case CB_ADAPT_DUAL:
    default:
        /* Both in [1, 32767], so the floor of the mean is too. */
        return ((uint32_t)ctx->fast + ctx->slow) >> 1;
    }
}

static uint16_t adapt_one(uint16_t p, int bit, int shift)
{
    /* See CbRacCtx: floor shifts of non-negative values, p stays in
     * [1, 32767]. */
    if (bit)
        return (uint16_t)(p + ((CB_RAC_PROB_ONE - p) >> shift));
    return (uint16_t)(p - (p >> shift));
}

static void ctx_update(CbRacCtx *ctx, int bit)
{
    ctx->fast = adapt_one(ctx->fast, bit, CB_RAC_SHIFT_FAST);
    ctx->slow = adapt_one(ctx->slow, bit, CB_RAC_SHIFT_SLOW);
}

/* ---- Encoder ------------------------------------------------------------- */

void cb_rac_enc_init(CbRacEnc *e, CbAdapt adapt, size_t max_bytes)
{
    e->buf = NULL;
    e->len = 0;
    e->cap = 0;
    e->max = max_bytes;
    e->low = 0;
    e->range = UINT32_MAX;
    e->cache = 0;
    e->cache_size = 1;
    e->skip_first = 1;
    e->finished = 0;
    e->adapt = adapt;
    e->error = 0;
}

static void put_byte(CbRacEnc *e, uint8_t b)
{
    if (e->skip_first) {
        /* The initial interval [0, 2^32 - 1) lies below 2^32 and intervals
         * only shrink, so the byte above the first window (LZMA's leading
         * byte) is always 0: the decoder assumes it. */
        assert(b == 0);
        e->skip_first = 0;
        return;
    }
    if (e->error)
        return;
    if (e->len >= e->max) {
        e->error = CB_ELIMIT;
        return;
    }
    if (e->len == e->cap) {
        size_t cap = e->cap ? e->cap : ENC_INITIAL_CAP;
        if (e->cap)
            cap = e->cap <= SIZE_MAX / 2 ? e->cap * 2 : SIZE_MAX;
        if (cap > e->max)
            cap = e->max;
        uint8_t *nb = realloc(e->buf, cap);
        if (!nb) {
            e->error = CB_ENOMEM;
            return;
        }
        e->buf = nb;
        e->cap = cap;
    }
    e->buf[e->len++] = b;
}

/* LZMA's rc_shift_low: moves the top byte of the 32-bit window out.  A byte
 * can still change by a carry until a later byte is known not to be 0xFF, so
 * the last byte waits in cache followed by cache_size - 1 pending 0xFFs. */
static void shift_low(CbRacEnc *e)
{
    if ((uint32_t)e->low < 0xFF000000u || (e->low >> 32) != 0) {
        uint8_t carry = (uint8_t)(e->low >> 32);
        uint8_t b = e->cache;
        do {
            put_byte(e, (uint8_t)(b + carry));
            b = 0xFF;
        } while (--e->cache_size != 0);
        e->cache = (uint8_t)(e->low >> 24);
    }
    e->cache_size++;
    e->low = (e->low & 0x00FFFFFFu) << 8;
}

static void enc_normalize(CbRacEnc *e)
{
    while (e->range < TOP) {
        e->range <<= 8;
        shift_low(e);
    }
}

static void enc_bin(CbRacEnc *e, uint32_t p1, int bit)
{
    uint32_t bound = (e->range >> CB_RAC_PROB_BITS) * p1;
    if (bit) {
        e->range = bound;
    } else {
        e->low += bound;
        e->range -= bound;
    }
    enc_normalize(e);
}

void cb_rac_encode(CbRacEnc *e, CbRacCtx *ctx, int bit)
{
    assert(!e->finished);
    bit = bit != 0;
    enc_bin(e, cb_rac_ctx_prob(ctx, e->adapt), bit);
    ctx_update(ctx, bit);
}

void cb_rac_encode_bypass(CbRacEnc *e, int bit)
{
    assert(!e->finished);
    /* Halving loses at most one unit of range; bit 1 takes the upper half
     * (as LZMA's direct bits). */
    e->range >>= 1;
    if (bit)
        e->low += e->range;
    enc_normalize(e);
}

void cb_rac_encode_bits(CbRacEnc *e, uint32_t v, int n)
{
    if (n < 0 || n > CB_RAC_BITS_MAX) {
        if (!e->error)
            e->error = CB_EINVAL;
        return;
    }
    for (int i = n - 1; i >= 0; i--)
        cb_rac_encode_bypass(e, (int)((v >> i) & 1u));
}

/* Exp-Golomb-k groups: group q holds the 2^(k+q) values from
 * base(q) = 2^k (2^q - 1).  Returns the group of v (0..32 for k <= 31 and
 * v < 2^32) and its base. */
static int egk_group(uint32_t v, int k, uint64_t *base)
{
    uint64_t b = 0;
    int q = 0;
    while ((uint64_t)v >= b + ((uint64_t)1 << (k + q))) {
        b += (uint64_t)1 << (k + q);
        q++;
    }
    *base = b;
    return q;
}

void cb_rac_encode_egk(CbRacEnc *e, CbRacCtx *ctx, int n_ctx, uint32_t v, int k, uint32_t max)
{
    if (n_ctx < 1 || k < 0 || k > CB_RAC_EGK_K_MAX || v > max) {
        if (!e->error)
            e->error = CB_EINVAL;
        return;
    }
    uint64_t base, base_max;
    int q = egk_group(v, k, &base);
    int q_max = egk_group(max, k, &base_max);
    for (int i = 0; i < q; i++)
        cb_rac_encode(e, &ctx[i < n_ctx ? i : n_ctx - 1], 1);
    if (q < q_max)
        cb_rac_encode(e, &ctx[q < n_ctx ? q : n_ctx - 1], 0);
    /* k + q <= 32 (base(q) <= v < 2^32 gives 2^(k+q-1) < 2^32), coded as up
     * to two pieces of at most 16 bits. */
    int nbits = k + q;
    uint32_t suffix = (uint32_t)((uint64_t)v - base);
    if (nbits > 16) {
        cb_rac_encode_bits(e, (uint32_t)((uint64_t)suffix >> 16), nbits - 16);
        cb_rac_encode_bits(e, suffix & 0xFFFFu, 16);
    } else {
        cb_rac_encode_bits(e, suffix, nbits);
    }
}

int cb_rac_enc_finish(CbRacEnc *e)
{
    if (e->finished)
        return e->error;
    cb_rac_encode_bits(e, CB_RAC_MARKER, 8);
    /* Four shifts move the 32 bits of low into the pending bytes, the fifth
     * writes them out (low is 0 by then, so nothing stays pending but a 0
     * cache byte the decoder never needs). */
    for (int i = 0; i < 5; i++)
        shift_low(e);
    e->finished = 1;
    return e->error;
}

void cb_rac_enc_free(CbRacEnc *e)
{
    if (!e)
        return;
    free(e->buf);
    e->buf = NULL;
    e->len = 0;
    e->cap = 0;
}

/* ---- Costs --------------------------------------------------------------- */

/* round(65536 * log2(1 + i / 64)), i = 0..64: log2 of the mantissa in 1/65536
 * bit, interpolated linearly (error below 5e-5 bit). */
static const uint32_t log2_mant_q16[65] = {
    0, 1466, 2909, 4331, 5732, 7112, 8473, 9814,
    11136, 12440, 13727, 14996, 16248, 17484, 18704, 19909,
    21098, 22272, 23433, 24579, 25711, 26830, 27936, 29029,
    30109, 31178, 32234, 33279, 34312, 35334, 36346, 37346,
    38336, 39316, 40286, 41246, 42196, 43137, 44068, 44990,
    45904, 46809, 47705, 48593, 49472, 50344, 51207, 52063,
    52911, 53751, 54584, 55410, 56229, 57040, 57845, 58643,
    59434, 60219, 60997, 61769, 62534, 63294, 64047, 64794,
    65536,
};

uint32_t cb_rac_cost_prob(uint32_t p1, int bit)
{
    uint32_t p = bit ? p1 : CB_RAC_PROB_ONE - p1;
    if (p < 1)
        p = 1;
    if (p > CB_RAC_PROB_ONE - 1)
        p = CB_RAC_PROB_ONE - 1;
    /* p = 2^msb (1 + f), f in [0, 1): -log2(p / 2^15) = 15 - msb - log2(1 + f). */
    int msb = 0;
    while ((p >> (msb + 1)) != 0)
        msb++;
    uint32_t f_q14 = (p << (14 - msb)) - (1u << 14); /* f in 1/16384, 0..16383 */
    uint32_t i = f_q14 >> 8, frac = f_q14 & 255u;
    uint32_t l_q16 = log2_mant_q16[i]
                     + (((log2_mant_q16[i + 1] - log2_mant_q16[i]) * frac + 128) >> 8);
    return (uint32_t)(15 - msb) * CB_RAC_COST_ONE_BIT - ((l_q16 + 128) >> 8);
}

uint32_t cb_rac_cost(const CbRacCtx *ctx, CbAdapt adapt, int bit)
{
    return cb_rac_cost_prob(cb_rac_ctx_prob(ctx, adapt), bit);
}

/* ---- Decoder ------------------------------------------------------------- */

static uint32_t next_byte(CbRacDec *d)
{
    if (d->pos < d->len)
        return d->buf[d->pos++];
    /* Past the end: zeros, and the stream is known bad. */
    if (!d->error)
        d->error = CB_EFORMAT;
    return 0;
}

void cb_rac_dec_init(CbRacDec *d, CbAdapt adapt, const uint8_t *buf, size_t len)
{
    d->buf = buf;
    d->len = buf ? len : 0;
    d->pos = 0;
    d->range = UINT32_MAX;
    d->code = 0;
    d->adapt = adapt;
    d->error = 0;
    for (int i = 0; i < 4; i++)
        d->code = (d->code << 8) | next_byte(d);
}

static void dec_normalize(CbRacDec *d)
{
    /* At most two rounds: range >= 2^9 after any bin. */
    while (d->range < TOP) {
        d->range <<= 8;
        d->code = (d->code << 8) | next_byte(d);
    }
}

static int dec_bin(CbRacDec *d, uint32_t p1)
{
    uint32_t bound = (d->range >> CB_RAC_PROB_BITS) * p1;
    int bit;
    if (d->code < bound) {
        d->range = bound;
        bit = 1;
    } else {
        /* Hostile bytes can make code >= range; unsigned arithmetic keeps
         * that defined, and cb_rac_dec_finish() rejects the stream. */
        d->code -= bound;
        d->range -= bound;
        bit = 0;
    }
    dec_normalize(d);
    return bit;
}

int cb_rac_decode(CbRacDec *d, CbRacCtx *ctx)
{
    int bit = dec_bin(d, cb_rac_ctx_prob(ctx, d->adapt));
    ctx_update(ctx, bit);
    return bit;
}

int cb_rac_decode_bypass(CbRacDec *d)
{
    int bit = 0;
    d->range >>= 1;
    if (d->code >= d->range) {
        d->code -= d->range;
        bit = 1;
    }
    dec_normalize(d);
    return bit;
}

uint32_t cb_rac_decode_bits(CbRacDec *d, int n)
{
    if (n < 0 || n > CB_RAC_BITS_MAX) {
        if (!d->error)
            d->error = CB_EINVAL;
        return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 1) | (uint32_t)cb_rac_decode_bypass(d);
    return v;
}

uint32_t cb_rac_decode_egk(CbRacDec *d, CbRacCtx *ctx, int n_ctx, int k, uint32_t max)
{
    if (n_ctx < 1 || k < 0 || k > CB_RAC_EGK_K_MAX) {
        if (!d->error)
            d->error = CB_EINVAL;
        return 0;
    }
    uint64_t base_max;
    int q_max = egk_group(max, k, &base_max); /* <= 32: bounds the prefix */
    int q = 0;
    while (q < q_max && cb_rac_decode(d, &ctx[q < n_ctx ? q : n_ctx - 1]))
        q++;
    uint64_t base = 0;
    for (int i = 0; i < q; i++)
        base += (uint64_t)1 << (k + i);
    int nbits = k + q; /* <= 32 as in the encoder, since q <= q_max */
    uint64_t suffix;
    if (nbits > 16) {
        suffix = (uint64_t)cb_rac_decode_bits(d, nbits - 16) << 16;
        suffix |= cb_rac_decode_bits(d, 16);
    } else {
        suffix = cb_rac_decode_bits(d, nbits);
    }
    uint64_t v = base + suffix;
    if (v > max) {
        if (!d->error)
            d->error = CB_EFORMAT;
        return 0;
    }
    return (uint32_t)v;
}

int cb_rac_dec_finish(CbRacDec *d)
{
    uint32_t marker = cb_rac_decode_bits(d, 8);
    if (d->error)
        return d->error;
    /* The encoder flushed low itself, so after the last bin the stream value
     * equals low: code is 0, and the flush's last byte was the last read. */
    if (marker != CB_RAC_MARKER || d->code != 0 || d->pos != d->len)
        d->error = CB_EFORMAT;
    return d->error;
}

/* codecbench engine: the coder behind every syntax element. */
#include "engine/syntax.h"

static void account(CbCoder *c, uint32_t q8)
{
    if (c->cat_bits_q8)
        c->cat_bits_q8[c->cat] += q8;
}

int cb_sx_bit(CbCoder *c, CbRacCtx *ctx, int bit)
{
    switch (c->mode) {
    case CB_CODER_ENCODE:
        cb_rac_encode(c->enc, ctx, bit);
        return bit;
    case CB_CODER_DECODE: {
        CbRacCtx before = *ctx;
        bit = cb_rac_decode(c->dec, ctx);
        if (c->cat_bits_q8)
            account(c, cb_rac_cost(&before, c->adapt, bit));
        return bit;
    }
    case CB_CODER_COST:
        c->cost_q8 += cb_rac_cost(ctx, c->adapt, bit);
        return bit;
    }
    return 0;
}

int cb_sx_bypass(CbCoder *c, int bit)
{
    switch (c->mode) {
    case CB_CODER_ENCODE:
        cb_rac_encode_bypass(c->enc, bit);
        return bit;
    case CB_CODER_DECODE:
        account(c, 256);
        return cb_rac_decode_bypass(c->dec);
    case CB_CODER_COST:
        c->cost_q8 += 256;
        return bit;
    }
    return 0;
}

uint32_t cb_sx_bits(CbCoder *c, uint32_t v, int n)
{
    uint32_t r = 0;
    for (int i = n - 1; i >= 0; i--)
        r = (r << 1) | (uint32_t)cb_sx_bypass(c, (int)((v >> i) & 1));
    return r;
}

/* Exp-Golomb-k written here over cb_sx_bit/cb_sx_bypass (rather than the
 * range coder's own) so that costs and statistics see every bin.  The
 * prefix is unary in contexts ctx[0..n_ctx-1] (the last reused); its length
 * is bounded by max, so a hostile stream cannot make decoding loop. */
uint32_t cb_sx_egk(CbCoder *c, CbRacCtx *ctx, int n_ctx, uint32_t v, int k, uint32_t max)
{
    if (c->mode != CB_CODER_DECODE && v > max)
        v = max; /* callers guarantee v <= max; never code what cannot decode */
    /* Prefix p: v lies in [base(p), base(p+1)) where base(p) = 2^k (2^p - 1). */
    int max_prefix = 0;
    while (max_prefix < 31 && (((uint64_t)1 << (k + max_prefix + 1)) - ((uint64_t)1 << k)) <= max)
        max_prefix++;
    int p = 0;
    if (c->mode != CB_CODER_DECODE) {
        while (((((uint64_t)1 << (k + p + 1)) - ((uint64_t)1 << k))) <= v)
            p++;
    }
    int got = 0;
    for (int i = 0; i < max_prefix; i++) {
        int more = cb_sx_bit(c, &ctx[i < n_ctx ? i : n_ctx - 1], i < p);
        if (!more)
            break;
        got++;
    }
    if (c->mode == CB_CODER_DECODE)
        p = got;
    uint64_t base = ((uint64_t)1 << (k + p)) - ((uint64_t)1 << k);
    uint32_t suffix = cb_sx_bits(c, (uint32_t)(v - base), k + p);
    uint64_t r = base + suffix;
    if (r > max) {
        c->error = 1;
        return 0;
    }
    return (uint32_t)r;
}

int32_t cb_sx_sgk(CbCoder *c, CbRacCtx *ctx, int n_ctx, int32_t v, int k, uint32_t max)
{
    uint32_t mag = cb_sx_egk(c, ctx, n_ctx, (uint32_t)(v < 0 ? -(int64_t)v : v), k, max);
    if (mag == 0)
        return 0;
    int neg = cb_sx_bypass(c, v < 0);
    return neg ? -(int32_t)mag : (int32_t)mag;
}

int cb_sx_failed(const CbCoder *c)
{
    return c->error || (c->mode == CB_CODER_DECODE && c->dec->error);
}

/* codecbench engine: adaptive binary range coder (encoder and decoder).
 *
 * A carry-propagating range coder in the style of LZMA's rc: 32-bit range,
 * low kept in 64 bits with a cache byte and a count of pending 0xFF bytes for
 * the carry, renormalised a byte at a time whenever range < 2^24.  Context
 * bins split the range as bound = (range >> 15) * p, p = P(bit = 1) in 15-bit
 * fixed point; bit 1 takes [low, low + bound), bit 0 the rest.  Everything
 * here is integer and shared by encoder and decoder, so a stream decodes the
 * same on every machine.
 *
 * Stream layout: the coder's bytes, preceded by nothing (the always-zero
 * first byte of LZMA's rc is not written) and ended by an 8-bit bypass
 * marker (CB_RAC_MARKER) and a 4-byte flush of low.  The decoder reads
 * exactly every byte of a valid stream, its code register is 0 after the
 * marker, and cb_rac_dec_finish() checks all three.
 *
 * Ownership: CbRacEnc owns its output (buf) until cb_rac_enc_free();
 * CbRacDec borrows the caller's bytes, which must outlive it.  Contexts are
 * caller-owned arrays.
 */
#ifndef CB_ENGINE_RAC_H
#define CB_ENGINE_RAC_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/engine.h"

/* Probabilities are P(bit = 1) in 15-bit fixed point: 1..32767 of 32768. */
#define CB_RAC_PROB_BITS 15
#define CB_RAC_PROB_ONE (1u << CB_RAC_PROB_BITS)
#define CB_RAC_PROB_HALF (CB_RAC_PROB_ONE / 2)
/* Adaptation shifts: the fast estimator averages over about 2^4 = 16 recent
 * bins, the slow one over about 2^7 = 128 (the pair VVC's CABAC uses for its
 * two-rate estimators, here at fixed rates). */
#define CB_RAC_SHIFT_FAST 4
#define CB_RAC_SHIFT_SLOW 7
/* The byte that ends every stream (coded as 8 bypass bins): 1010 0101, an
 * arbitrary pattern with both bit values in both nibbles. */
#define CB_RAC_MARKER 0xA5u
/* Bounds of cb_rac_encode_bits / cb_rac_decode_bits. */
#define CB_RAC_BITS_MAX 24
/* Largest Exp-Golomb parameter k: with k = 31 a 32-bit max needs at most one
 * prefix bin, larger k would need suffixes beyond 32 bits. */
#define CB_RAC_EGK_K_MAX 31
/* Costs are in 1/256 bit; coding with p = 1/32768 costs 15 bits = 3840. */
#define CB_RAC_COST_ONE_BIT 256u

/** Probability state of one context: two estimators of P(bit = 1) in 15-bit
 * fixed point (1..32767), one adapting fast (shift 4), one slow (shift 7).
 * After each bin both are updated, whatever the CbAdapt mode:
 *   bit 1: p += (32768 - p) >> shift
 *   bit 0: p -= p >> shift
 * (shifts of non-negative values only, so rounding is floor, exactly the same
 * everywhere).  These keep p in [1, 32767] without a clamp: bit 1 adds less
 * than 32768 - p, bit 0 removes at most half of p. */
typedef struct CbRacCtx {
    uint16_t fast, slow;
} CbRacCtx;

/** Sets n contexts to P = 1/2. */
void cb_rac_ctx_init(CbRacCtx *ctx, size_t n);

/** The probability of a 1 that mode uses: fast, slow, or (fast + slow) >> 1
 * for CB_ADAPT_DUAL; always in [1, 32767]. */
uint32_t cb_rac_ctx_prob(const CbRacCtx *ctx, CbAdapt adapt);

/** Encoder state.  buf/len are the output (owned; valid after
 * cb_rac_enc_finish() until cb_rac_enc_free()); error is 0 or the first
 * CB_ELIMIT / CB_ENOMEM / CB_EINVAL met (sticky: later bytes are dropped). */
typedef struct CbRacEnc {
    uint8_t *buf;
    size_t len, cap, max;
    uint64_t low;        /* < 2^33: 32 bits of window plus a carry bit */
    uint32_t range;      /* >= 2^24 between calls */
    uint8_t cache;       /* the last byte not yet written (may take a carry) */
    uint64_t cache_size; /* bytes pending: the cache and the 0xFF bytes after it */
    int skip_first;      /* the first byte out is always 0 and is not written */
    int finished;
    CbAdapt adapt;
    int error;
} CbRacEnc;

/** Prepares an encoder whose output may hold at most max_bytes bytes. */
void cb_rac_enc_init(CbRacEnc *e, CbAdapt adapt, size_t max_bytes);
/** Codes bit (0 or nonzero) with ctx and adapts ctx. */
void cb_rac_encode(CbRacEnc *e, CbRacCtx *ctx, int bit);
/** Codes bit with P = 1/2, no context. */
void cb_rac_encode_bypass(CbRacEnc *e, int bit);
/** Codes the n low bits of v (0 <= n <= 24) as bypass bins, MSB first;
 * other n set CB_EINVAL. */
void cb_rac_encode_bits(CbRacEnc *e, uint32_t v, int n);
/** Exp-Golomb-k binarisation of v in 0..max (0 <= k <= 31, n_ctx >= 1):
 * the unary prefix (one 1 per group passed, then a 0) coded with
 * ctx[min(i, n_ctx - 1)] for prefix bin i, the 0 left out when the prefix
 * already has the length max's prefix has; then k + prefix suffix bits in
 * bypass bins.  v > max or bad k / n_ctx set CB_EINVAL. */
void cb_rac_encode_egk(CbRacEnc *e, CbRacCtx *ctx, int n_ctx, uint32_t v, int k, uint32_t max);
/** Codes the end marker and flushes.  Returns 0, or the sticky error:
 * CB_ELIMIT when the output would pass max_bytes, CB_ENOMEM, CB_EINVAL for
 * a bad argument to an encode call.  Afterwards e->buf / e->len hold the
 * bytes (owned by e; e->buf is NULL when len is 0).  Calling it again
 * returns the same result; encoding after it is not allowed. */
int cb_rac_enc_finish(CbRacEnc *e);
/** Frees the output (NULL is allowed) and leaves e empty. */
void cb_rac_enc_free(CbRacEnc *e);

/** Encoder-side cost of coding bit with ctx under adapt (no state change),
 * in 1/256 bit (0..3840), within 1/512 bit of -log2 of the probability used;
 * for rate-distortion decisions. */
uint32_t cb_rac_cost(const CbRacCtx *ctx, CbAdapt adapt, int bit);
/** The same from a probability of a 1 in 15-bit fixed point (1..32767). */
uint32_t cb_rac_cost_prob(uint32_t p1, int bit);

/** Decoder state over borrowed bytes.  error is 0, or CB_EFORMAT once a
 * read went past len or a decoded value broke its bound, or CB_EINVAL for a
 * bad argument; it is sticky, and decoding goes on (on zero bytes) with
 * bounded work so callers may check it once per block. */
typedef struct CbRacDec {
    const uint8_t *buf;
    size_t len, pos;
    uint32_t range; /* >= 2^24 between calls */
    uint32_t code;  /* stream value minus low in the 32-bit window; < range for a valid stream */
    CbAdapt adapt;
    int error;
} CbRacDec;

/** Starts decoding buf[0..len) (buf may be NULL when len is 0); reads the
 * first 4 bytes. */
void cb_rac_dec_init(CbRacDec *d, CbAdapt adapt, const uint8_t *buf, size_t len);
/** Decodes a bin with ctx and adapts ctx; returns 0 or 1. */
int cb_rac_decode(CbRacDec *d, CbRacCtx *ctx);
/** Decodes a bypass bin; returns 0 or 1. */
int cb_rac_decode_bypass(CbRacDec *d);
/** Decodes n (0..24) bypass bins, MSB first. */
uint32_t cb_rac_decode_bits(CbRacDec *d, int n);
/** Decodes an Exp-Golomb-k value coded as by cb_rac_encode_egk with the same
 * n_ctx, k and max: at most 33 prefix bins and 32 suffix bins.  Returns v,
 * or sets d->error (CB_EFORMAT) and returns 0 when the value would exceed
 * max; never returns more than max. */
uint32_t cb_rac_decode_egk(CbRacDec *d, CbRacCtx *ctx, int n_ctx, int k, uint32_t max);
/** After the last symbol: decodes the end marker and returns CB_OK if the
 * stream was consumed consistently (no error so far, marker matched, code
 * register 0 and every byte read, none past the end), else CB_EFORMAT (or
 * the earlier CB_EINVAL), which it also leaves in d->error. */
int cb_rac_dec_finish(CbRacDec *d);

#endif

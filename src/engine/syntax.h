/* codecbench engine: one definition of the bitstream syntax for the
 * encoder, the decoder and the encoder's rate estimates.
 *
 * Every syntax element is coded through a CbCoder, which either encodes the
 * value it is given, decodes a value (ignoring the one given), or adds the
 * value's estimated cost without changing any state.  Each syntax function
 * is therefore written once, and encoder and decoder cannot drift apart.
 */
#ifndef CODECBENCH_ENGINE_SYNTAX_H
#define CODECBENCH_ENGINE_SYNTAX_H

#include <stdint.h>

#include "codecbench/engine.h"
#include "engine/rac.h"

typedef enum CbCoderMode { CB_CODER_ENCODE, CB_CODER_DECODE, CB_CODER_COST } CbCoderMode;

/* Statistics categories of `decode --stats`: bits spent per kind of element. */
typedef enum CbSyntaxCat {
    CB_CAT_PARTITION, CB_CAT_SKIP, CB_CAT_MODE, CB_CAT_MV, CB_CAT_CBF,
    CB_CAT_COEF_LUMA, CB_CAT_COEF_CHROMA, CB_CAT_KLT, CB_CAT_RESTORE,
    CB_CAT_COUNT
} CbSyntaxCat;

typedef struct CbCoder {
    CbCoderMode mode;
    CbAdapt adapt;
    CbRacEnc *enc;          /* CB_CODER_ENCODE */
    CbRacDec *dec;          /* CB_CODER_DECODE */
    uint64_t cost_q8;       /* CB_CODER_COST: estimated bits x 256 */
    int error;              /* sticky: a decoded value out of its bounds */
    CbSyntaxCat cat;        /* category the next elements count in */
    uint64_t *cat_bits_q8;  /* optional: bits x 256 per category (decoder stats) */
} CbCoder;

/* A context-coded bin. */
int cb_sx_bit(CbCoder *c, CbRacCtx *ctx, int bit);
/* An equiprobable bin. */
int cb_sx_bypass(CbCoder *c, int bit);
/* n bypass bits of v, most significant first; n <= 24. */
uint32_t cb_sx_bits(CbCoder *c, uint32_t v, int n);
/* v in 0..max, Exp-Golomb-k with context-coded prefix (see rac.h). */
uint32_t cb_sx_egk(CbCoder *c, CbRacCtx *ctx, int n_ctx, uint32_t v, int k, uint32_t max);
/* A signed value |v| <= max: magnitude by egk, then a sign bypass bin. */
int32_t cb_sx_sgk(CbCoder *c, CbRacCtx *ctx, int n_ctx, int32_t v, int k, uint32_t max);
/* Whether the coder has failed (decoder read past the end or a value out of bounds). */
int cb_sx_failed(const CbCoder *c);

#endif

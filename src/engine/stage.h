/* codecbench engine: calling an external stage (include/codecbench/stage.h)
 * from the decoder's path, shared by the encoder and the decoder.
 *
 * A CbEngineStage is one calling context: the stage's functions (copied from
 * the caller's CbStageOps), a scratch buffer of CB_STAGE_SCRATCH_BYTES that
 * the engine owns, and a sticky failure.  The encoder has one per slice
 * (slices are coded on threads and the stage may be called concurrently:
 * each thread gets its own scratch), the decoder one.  The frame state
 * points at its slice's context, or at NULL when the stream has no stage:
 * the built-in stages then run exactly as before, behind one branch on that
 * pointer per block (never inside a kernel's loop).
 *
 * What a stage returns is hostile: a nonzero value marks the context failed
 * (the first failure and where it happened are kept), later calls in the
 * same frame are not made (their outputs are zero), and the encoder or the
 * decoder fails the frame with CB_ESTAGE and that text.  What it writes is
 * hostile too: outputs are zeroed before each call (so a stage that reads
 * its output before writing it still sees the same bytes in the encoder and
 * the decoder), every output value is valid to the engine (prediction
 * samples are any uint8_t, coefficients any int32_t, quantised with int64
 * products, residuals any int16_t, added to the prediction and clipped).
 */
#ifndef CODECBENCH_ENGINE_STAGE_H
#define CODECBENCH_ENGINE_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/engine.h"
#include "codecbench/stage.h"

/* Longest failure text kept: "the transform stage returned -2147483648
 * (inverse, luma 16x16 block at 8192,8192)" is about 80 bytes. */
#define CB_STAGE_WHAT_MAX 160

typedef struct CbEngineStage {
    CbStageKind kind;                             /* never CB_STAGE_NONE */
    int (*intra)(const CbStageIntra *a);          /* kind INTRA */
    int (*loop_filter)(const CbStageFilter *a);   /* kind LOOP_FILTER */
    int (*fwd)(const CbStageXform *a);            /* kind TRANSFORM, encoder only */
    int (*inv)(const CbStageXform *a);            /* kind TRANSFORM */
    void *scratch;            /* CB_STAGE_SCRATCH_BYTES, owned */
    uint8_t *copy;            /* LOOP_FILTER: room for the largest plane (src of the call), owned */
    size_t copy_bytes;
    int failed;               /* sticky within a frame: cb_engine_stage_reset clears it */
    char what[CB_STAGE_WHAT_MAX]; /* the first failure: "the intra stage returned 7 (...)" */
} CbEngineStage;

/* Checks ops for kind, functions and hash (decoder: the inverse transform
 * is enough).  CB_EINVAL with the reason, naming the caller in what. */
int cb_engine_stage_check(const CbStageOps *ops, int decoder, const char *what, CbError *err);

/* Fills c from ops (checked) and allocates its scratch, and when the kind
 * is LOOP_FILTER and copy_bytes > 0 the plane copy.  CB_ENOMEM. */
int cb_engine_stage_init(CbEngineStage *c, const CbStageOps *ops, size_t copy_bytes);
/* Frees what c owns; c may be zeroed or already freed. */
void cb_engine_stage_free(CbEngineStage *c);
/* Clears the failure: called at the start of every frame. */
void cb_engine_stage_reset(CbEngineStage *c);

/* The calls themselves (c non-NULL, of the right kind).  x, y are in the
 * plane's samples (they only name the block in a failure). */
void cb_engine_stage_intra(CbEngineStage *c, const uint8_t *top, const uint8_t *left, int corner,
                         int plane, int x, int y, int n, int mode, uint8_t *dst,
                         ptrdiff_t stride);
void cb_engine_stage_xform(CbEngineStage *c, int inverse, int plane, int x, int y, int n,
                         int intra_mode, int16_t *res, ptrdiff_t stride, int32_t *coef);
/* Filters every plane of frame (padded size pw x ph) in place: each plane
 * is copied to c->copy, which the stage gets as src, and dst is the plane
 * itself.  Stops at the first failure. */
void cb_engine_stage_loop_filter(CbEngineStage *c, CbFrame *frame, int pw, int ph, int qp,
                               int frame_type);

/* The first 16 hex digits of a hash (and a NUL) for messages. */
void cb_engine_stage_hash16(const uint8_t hash[32], char out[17]);

#endif

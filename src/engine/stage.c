/* codecbench engine: calling external stages (see engine/stage.h), and the
 * names of stage kinds. */
#include "engine/stage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The names stream headers and recipes use, indexed by CbStageKind. */
static const char *const KIND_NAMES[CB_STAGE_KINDS] = {"none", "intra", "loop_filter",
                                                       "transform"};

const char *cb_stage_kind_name(int kind)
{
    return kind >= 0 && kind < CB_STAGE_KINDS ? KIND_NAMES[kind] : NULL;
}

int cb_stage_kind_parse(const char *s, CbStageKind *kind, CbError *err)
{
    if (!s || !kind)
        return cb_error_set(err, CB_EINVAL, "stage kind: none given");
    for (int k = CB_STAGE_INTRA; k < CB_STAGE_KINDS; k++)
        if (!strcmp(s, KIND_NAMES[k])) {
            *kind = (CbStageKind)k;
            return CB_OK;
        }
    /* The name came from outside: quote a bounded prefix only. */
    return cb_error_set(err, CB_EINVAL,
                        "stage kind \"%.32s\"%s is not one of intra, loop_filter, transform", s,
                        strlen(s) > 32 ? "..." : "");
}

void cb_engine_stage_hash16(const uint8_t hash[32], char out[17])
{
    static const char HEX[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = HEX[hash[i] >> 4];
        out[2 * i + 1] = HEX[hash[i] & 15];
    }
    out[16] = '\0';
}

int cb_engine_stage_check(const CbStageOps *ops, int decoder, const char *what, CbError *err)
{
    if (!ops)
        return cb_error_set(err, CB_EINVAL, "%s: no stage given", what);
    const char *name = cb_stage_kind_name(ops->kind);
    if (!name || ops->kind == CB_STAGE_NONE)
        return cb_error_set(err, CB_EINVAL, "%s: stage kind %d is not intra, loop_filter or "
                                            "transform",
                            what, (int)ops->kind);
    const char *missing = NULL;
    switch (ops->kind) {
    case CB_STAGE_INTRA:
        if (!ops->intra)
            missing = "cb_stage_intra";
        break;
    case CB_STAGE_LOOP_FILTER:
        if (!ops->loop_filter)
            missing = "cb_stage_loop_filter";
        break;
    default:
        if (!decoder && !ops->transform_fwd)
            missing = "cb_stage_transform_fwd";
        else if (!ops->transform_inv)
            missing = "cb_stage_transform_inv";
        break;
    }
    if (missing)
        return cb_error_set(err, CB_EINVAL, "%s: the %s stage has no %s", what, name, missing);
    static const uint8_t zero[32];
    if (!memcmp(ops->hash, zero, sizeof zero))
        return cb_error_set(err, CB_EINVAL, "%s: the %s stage's hash is all zero", what, name);
    return CB_OK;
}

int cb_engine_stage_init(CbEngineStage *c, const CbStageOps *ops, size_t copy_bytes)
{
    memset(c, 0, sizeof *c);
    c->kind = ops->kind;
    /* Only the kind's functions are kept: a context of one kind never
     * calls another kind's function, even one the caller filled in. */
    if (ops->kind == CB_STAGE_INTRA)
        c->intra = ops->intra;
    else if (ops->kind == CB_STAGE_LOOP_FILTER)
        c->loop_filter = ops->loop_filter;
    else if (ops->kind == CB_STAGE_TRANSFORM) {
        c->fwd = ops->transform_fwd;
        c->inv = ops->transform_inv;
    }
    /* 64-byte alignment: a stage may use the scratch for any type. */
    c->scratch = aligned_alloc(64, CB_STAGE_SCRATCH_BYTES);
    if (!c->scratch)
        return CB_ENOMEM;
    memset(c->scratch, 0, CB_STAGE_SCRATCH_BYTES);
    if (ops->kind == CB_STAGE_LOOP_FILTER && copy_bytes > 0) {
        if (!(c->copy = malloc(copy_bytes))) {
            cb_engine_stage_free(c);
            return CB_ENOMEM;
        }
        c->copy_bytes = copy_bytes;
    }
    return CB_OK;
}

void cb_engine_stage_free(CbEngineStage *c)
{
    if (!c)
        return;
    free(c->scratch);
    free(c->copy);
    c->scratch = NULL;
    c->copy = NULL;
    c->copy_bytes = 0;
}

void cb_engine_stage_reset(CbEngineStage *c)
{
    c->failed = 0;
    c->what[0] = '\0';
}

static const char *plane_name(int plane)
{
    return plane == 0 ? "luma" : plane == 1 ? "Cb" : "Cr";
}

/* Records the first failure of a frame; later ones are dropped (the first
 * is the cause: after it no stage call is made). */
static void fail(CbEngineStage *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(CbEngineStage *c, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->what, sizeof c->what, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(c->what, sizeof c->what, "the %s stage failed", cb_stage_kind_name(c->kind));
}

void cb_engine_stage_intra(CbEngineStage *c, const uint8_t *top, const uint8_t *left, int corner,
                           int plane, int x, int y, int n, int mode, uint8_t *dst,
                           ptrdiff_t stride)
{
    for (int j = 0; j < n; j++)
        memset(dst + j * stride, 0, (size_t)n);
    if (c->failed)
        return;
    CbStageIntra a = {.n = n, .mode = mode, .plane = plane, .top = top, .left = left,
                      .corner = corner, .dst = dst, .stride = stride, .scratch = c->scratch};
    int rc = c->intra(&a);
    if (rc != 0)
        fail(c, "the intra stage returned %d (%s %dx%d block at %d,%d, mode %d)", rc,
             plane_name(plane), n, n, x, y, mode);
}

void cb_engine_stage_xform(CbEngineStage *c, int inverse, int plane, int x, int y, int n,
                           int intra_mode, int16_t *res, ptrdiff_t stride, int32_t *coef)
{
    if (inverse) {
        for (int j = 0; j < n; j++)
            memset(res + j * stride, 0, sizeof *res * (size_t)n);
        /* stage.h promises int16 coefficients (HEVC's coeffMin..coeffMax):
         * the dequantiser gives them, and this keeps the promise for any
         * caller. */
        for (int i = 0; i < n * n; i++)
            coef[i] = coef[i] < INT16_MIN ? INT16_MIN : coef[i] > INT16_MAX ? INT16_MAX : coef[i];
    } else {
        memset(coef, 0, sizeof *coef * (size_t)n * (size_t)n);
    }
    if (c->failed)
        return;
    CbStageXform a = {.n = n, .plane = plane, .intra_mode = intra_mode, .res = res,
                      .stride = stride, .coef = coef, .scratch = c->scratch};
    int rc = inverse ? c->inv(&a) : c->fwd(&a);
    if (rc != 0)
        fail(c, "the transform stage returned %d (%s, %s %dx%d block at %d,%d)", rc,
             inverse ? "inverse" : "forward", plane_name(plane), n, n, x, y);
}

void cb_engine_stage_loop_filter(CbEngineStage *c, CbFrame *frame, int pw, int ph, int qp,
                                 int frame_type)
{
    for (int p = 0; p < 3 && !c->failed; p++) {
        int w = cb_plane_width(pw, p), h = cb_plane_height(ph, p);
        ptrdiff_t stride = frame->stride[p];
        size_t bytes = (size_t)stride * (size_t)h;
        /* The copy was sized for the largest plane of this geometry. */
        if (bytes > c->copy_bytes) {
            fail(c, "the loop_filter stage's plane buffer is too small (%zu bytes, %zu needed)",
                 c->copy_bytes, bytes);
            return;
        }
        memcpy(c->copy, frame->data[p], bytes);
        CbStageFilter a = {.plane = p, .width = w, .height = h, .src = c->copy,
                           .dst = frame->data[p], .stride = stride, .qp = qp,
                           .frame_type = frame_type, .scratch = c->scratch};
        int rc = c->loop_filter(&a);
        if (rc != 0)
            fail(c, "the loop_filter stage returned %d (%s plane, %dx%d)", rc, plane_name(p), w,
                 h);
    }
}

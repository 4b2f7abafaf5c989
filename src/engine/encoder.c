/* codecbench engine: the encoder.
 *
 * Frames are coded a GOP at a time.  With the KLT transform the GOP is coded
 * twice: first with the DCT while the luma residuals of the chosen blocks
 * are collected, then with the KLT bases learned from them; the pass with
 * the lower rate-distortion cost is kept (so a KLT that does not pay for its
 * parameter set is not used).  Decisions are rate-distortion optimised:
 * J = SSE + lambda * bits, with bits estimated from the live contexts by the
 * same syntax code the decoder runs.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/engine.h"
#include "engine/codec.h"
#include "engine/klt.h"
#include "engine/quant.h"
#include "engine/stream.h"

typedef struct OutFrame {
    uint8_t *data;
    size_t size, cap;
    int type, qp;
    int64_t index;
    size_t klt_bytes;
    CbFrame recon;  /* padded copy */
    double cost;    /* J of the frame */
} OutFrame;

typedef struct Decision {
    CbBlockSyntax b;
    double cost;
} Decision;

/* One slice being coded: its own copy of the frame state (slice rows, block
 * ids), its contexts and its arithmetic coder. */
typedef struct Slice {
    struct CbEncoder *e;
    int index;
    CbFrameState fs;
    CbContexts *ctx;
    CbRacEnc re;
    CbCoder c;
    const CbFrame *src;
    double lambda;
    int rc;
    /* Scratch of the mode decisions, here rather than on the stack (1.5 KB
     * each) or allocated per block: a slice codes one CTU at a time. */
    CbBlockSyntax cand;  /* the candidate being evaluated */
    Decision dec[5];     /* a CTU: the 16x16 block, then its four 8x8 blocks */
} Slice;


struct CbEncoder {
    CbEngineSettings set;
    CbSeqHeader seq;
    CbTables tab;
    CbContexts ctx[CB_MAX_SLICES];   /* per slice, carried over within a GOP */
    Slice slices[CB_MAX_SLICES];
    CbUnit *prev_units;              /* the previous frame's, for motion candidates */
    pthread_mutex_t train_lock;      /* KLT trainers are shared by the slices */
    uint8_t header[CB_STREAM_HEADER_BYTES];
    int width, height, qp_i, qp_p;
    CbFrame *src;          /* the GOP's source frames, padded */
    int gop_cap, n_src;
    int64_t next_index;
    CbFrame buf[3];
    int ref;
    CbFrameState fs;
    CbRestoreSyntax rest[2];
    CbKltSet klt[CB_KLT_SETS];
    CbKltTrainer *trainer[CB_KLT_SETS]; /* non-NULL while collecting */
    OutFrame *pass[2];
    int chosen, q_len, q_pos;
    CbFrame filt;          /* restoration scratch */
    int flushed;
    int failed;            /* a GOP failed to code: the encoder cannot go on (its code) */
    /* The external stage, when cb_encoder_set_stage gave one: a calling
     * context per slice (slices code on threads, each with its own
     * scratch), stage[0] also the loop filter's.  NULL: built-in stages. */
    CbEngineStage *stage;
    int n_stage;
};


/* ---- Helpers ------------------------------------------------------------- */

/* Lambda of mode decisions for SSE distortion (H.264 reference software,
 * JM: 0.85 x 2^((QP - 12) / 3)); ranges 0.04 (QP 0) to 9.5e3 (QP 51). */
static double lambda_for(int qp)
{
    return 0.85 * pow(2.0, (qp - 12) / 3.0);
}

static uint64_t sse_block(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w,
                          int h)
{
    uint64_t s = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int d = a[y * as + x] - b[y * bs + x];
            s += (uint64_t)(d * d);
        }
    return s;
}

/* Copies src into the padded frame dst, replicating the last column and row. */
static void pad_copy(CbFrame *dst, const CbFrame *src)
{
    for (int p = 0; p < 3; p++) {
        int w = cb_plane_width(src->width, p), h = cb_plane_height(src->height, p);
        int pw = cb_plane_width(dst->width, p), ph = cb_plane_height(dst->height, p);
        for (int y = 0; y < ph; y++) {
            const uint8_t *s = src->data[p] + (y < h ? y : h - 1) * src->stride[p];
            uint8_t *d = dst->data[p] + y * dst->stride[p];
            memcpy(d, s, (size_t)w);
            memset(d + w, s[w - 1], (size_t)(pw - w));
        }
    }
}

/* ---- Residual coding of one plane of a block ------------------------------ */

/* Transforms, quantises and reconstructs src - pred (n x n): levels into
 * level, the reconstruction into rec; returns whether any level is nonzero. */
static int code_residual(const CbFrameState *fs, const CbBasis *v, const CbBasis *h, int n,
                         int plane, int px, int py, int intra_mode, const uint8_t *src,
                         ptrdiff_t ss, const uint8_t *pred, ptrdiff_t ps, int16_t *level,
                         uint8_t *rec, ptrdiff_t rs)
{
    int intra = intra_mode >= 0;
    int16_t res[256];
    int32_t coef[256];
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            res[y * n + x] = (int16_t)(src[y * ss + x] - pred[y * ps + x]);
    cb_fwd_block(fs, v, h, plane, px, py, intra_mode, res, n, coef);
    int nz = cb_quant_block(coef, n, fs->qp, intra ? CB_DEADZONE_INTRA_Q8 : CB_DEADZONE_INTER_Q8,
                            level);
    if (!nz) {
        for (int y = 0; y < n; y++)
            memcpy(rec + y * rs, pred + y * ps, (size_t)n);
        return 0;
    }
    cb_dequant_block(level, n, fs->qp, coef);
    cb_inv_block(fs, v, h, plane, px, py, intra_mode, coef, res, n);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            int val = pred[y * ps + x] + res[y * n + x];
            rec[y * rs + x] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val);
        }
    return 1;
}

/* Scratch planes of one candidate: prediction and reconstruction. */
typedef struct Cand {
    uint8_t pred[3][256], rec[3][256];
} Cand;

static const ptrdiff_t cand_stride[3] = {16, 16, 16};

/* Distortion and rate of candidate b (prediction already in c->pred):
 * codes the residual of each plane, measures SSE, estimates bits. */
static double eval_candidate(Slice *sl, const CbFrame *src, int x, int y, int n,
                             CbBlockSyntax *b, Cand *c, double lambda)
{
    CbEncoder *e = sl->e;
    CbFrameState *fs = &sl->fs;
    uint64_t sse = 0;
    for (int p = 0; p < 3; p++) {
        int s = p ? 1 : 0, bn = n >> s;
        const uint8_t *sp = src->data[p] + (y >> s) * src->stride[p] + (x >> s);
        if (b->skip) {
            b->cbf[p] = 0;
            sse += sse_block(sp, src->stride[p], c->pred[p], 16, bn, bn);
            continue;
        }
        const CbBasis *v, *h;
        if (p == 0)
            cb_luma_bases(fs, n, b->intra, &v, &h);
        else
            v = h = &fs->tab->dct[cb_size_index(bn)];
        b->cbf[p] = code_residual(fs, v, h, bn, p, x >> s, y >> s, b->intra ? b->mode : -1, sp,
                                  src->stride[p], c->pred[p], 16, b->level[p], c->rec[p], 16);
        sse += sse_block(sp, src->stride[p], c->rec[p], 16, bn, bn);
    }
    CbCoder cost = {.mode = CB_CODER_COST, .adapt = e->seq.adapt};
    cb_code_block(&cost, sl->ctx, fs, x, y, n, b);
    return (double)sse + lambda * (double)cost.cost_q8 / 256.0;
}

/* ---- Mode decision ------------------------------------------------------- */

/* Whether src - prediction (in c->pred) quantises to all-zero levels in the
 * three planes, at the inter dead zone. */
static int residual_vanishes(const CbFrameState *fs, const CbFrame *src, int x, int y, int n,
                             const Cand *c)
{
    for (int p = 0; p < 3; p++) {
        int s = p ? 1 : 0, bn = n >> s;
        const uint8_t *sp = src->data[p] + (y >> s) * src->stride[p] + (x >> s);
        const CbBasis *v, *h;
        if (p == 0)
            cb_luma_bases(fs, n, 0, &v, &h);
        else
            v = h = &fs->tab->dct[cb_size_index(bn)];
        int16_t res[256], level[256];
        int32_t coef[256];
        for (int j = 0; j < bn; j++)
            for (int i = 0; i < bn; i++)
                res[j * bn + i] = (int16_t)(sp[j * src->stride[p] + i] - c->pred[p][j * 16 + i]);
        cb_fwd_block(fs, v, h, p, x >> s, y >> s, -1, res, bn, coef);
        if (cb_quant_block(coef, bn, fs->qp, CB_DEADZONE_INTER_Q8, level))
            return 0;
    }
    return 1;
}

static void try_candidate(Slice *sl, const CbFrame *src, int x, int y, int n, double lambda,
                          CbBlockSyntax *b, Decision *best, Cand *c)
{
    double j = eval_candidate(sl, src, x, y, n, b, c, lambda);
    if (j < best->cost) {
        best->cost = j;
        best->b = *b;
    }
}

static void decide_block(Slice *sl, const CbFrame *src, int x, int y, int n, double lambda,
                         Decision *best)
{
    CbEncoder *e = sl->e;
    CbFrameState *fs = &sl->fs;
    Cand c;
    uint8_t *pd[3] = {c.pred[0], c.pred[1], c.pred[2]};
    CbBlockSyntax *b = &sl->cand;
    best->cost = INFINITY;
    int sh = cb_mv_shift(&e->seq);
    uint32_t inter_satd = UINT32_MAX; /* SATD of the searched vector's prediction */
    if (fs->type == CB_FRAME_P) {
        /* Skip: a candidate vector, no residual. */
        int tried[CB_MERGE_CANDIDATES][2], ntried = 0;
        for (int m = 0; m < CB_MERGE_CANDIDATES; m++) {
            memset(b, 0, offsetof(CbBlockSyntax, level));
            b->skip = 1;
            b->merge = m;
            int mvx, mvy, dup = 0;
            cb_block_mv(fs, x, y, n, b, &mvx, &mvy);
            for (int k = 0; k < ntried; k++)
                dup |= tried[k][0] == mvx && tried[k][1] == mvy;
            if (dup || !cb_mv_valid(fs, x, y, n, mvx, mvy))
                continue;
            tried[ntried][0] = mvx;
            tried[ntried][1] = mvy;
            ntried++;
            cb_predict_block(fs, x, y, n, b, mvx, mvy, pd, cand_stride);
            try_candidate(sl, src, x, y, n, lambda, b, best, &c);
        }
        /* Early skip (fast preset): when the residual at the best skip's
         * vector quantises to nothing in every plane, coding the block as
         * inter could only add bits: take the skip, search no further. */
        if (e->set.preset == CB_PRESET_FAST && best->cost < INFINITY) {
            int mvx, mvy;
            cb_block_mv(fs, x, y, n, &best->b, &mvx, &mvy);
            cb_predict_block(fs, x, y, n, &best->b, mvx, mvy, pd, cand_stride);
            if (residual_vanishes(fs, src, x, y, n, &c))
                return;
        }
        /* Inter: a motion search from the predictor and the neighbours. */
        int px, py;
        cb_mv_pred(fs, x, y, n, &px, &py);
        px &= ~((1 << sh) - 1);
        py &= ~((1 << sh) - 1);
        CbMv cands[6] = {{(int16_t)px, (int16_t)py}, {0, 0}};
        int nc = 2;
        const CbUnit *l = x > 0 ? &fs->units[(y >> 2) * fs->uw + ((x - 1) >> 2)] : NULL;
        const CbUnit *t =
            y > fs->slice_y0 ? &fs->units[((y - 1) >> 2) * fs->uw + (x >> 2)] : NULL;
        if (l && l->coded_frame && !l->intra)
            cands[nc++] = (CbMv){(int16_t)l->mvx, (int16_t)l->mvy};
        if (t && t->coded_frame && !t->intra)
            cands[nc++] = (CbMv){(int16_t)t->mvx, (int16_t)t->mvy};
        /* The previous frame's vectors here and below-right: motion goes
         * on, and these come from blocks this frame has not coded yet. */
        const CbUnit *co = &e->prev_units[(y >> 2) * fs->uw + (x >> 2)];
        int bx = (x + n) >> 2 < fs->uw ? (x + n) >> 2 : fs->uw - 1;
        int by = (y + n) >> 2 < fs->uh ? (y + n) >> 2 : fs->uh - 1;
        const CbUnit *br = &e->prev_units[by * fs->uw + bx];
        if (co->coded_frame && !co->intra)
            cands[nc++] = (CbMv){(int16_t)co->mvx, (int16_t)co->mvy};
        if (br->coded_frame && !br->intra)
            cands[nc++] = (CbMv){(int16_t)br->mvx, (int16_t)br->mvy};
        CbMeParams mp = {e->set.search_range, e->set.search, e->set.subpel,
                         (int)(sqrt(lambda) * 256.0)};
        uint32_t mcost;
        CbMv mv = cb_me_search(&fs->tab->me, &mp, src->data[0], src->stride[0], fs->ref->data[0],
                               fs->ref->stride[0], fs->pw, fs->ph, x, y, n, n, cands, nc,
                               cands[0], &mcost);
        memset(b, 0, offsetof(CbBlockSyntax, level));
        b->mvdx = (mv.x - px) / (1 << sh);
        b->mvdy = (mv.y - py) / (1 << sh);
        int mvx, mvy;
        cb_block_mv(fs, x, y, n, b, &mvx, &mvy);
        if (cb_mv_valid(fs, x, y, n, mvx, mvy)) {
            cb_predict_block(fs, x, y, n, b, mvx, mvy, pd, cand_stride);
            inter_satd = fs->tab->me.satd(src->data[0] + y * src->stride[0] + x, src->stride[0],
                                          c.pred[0], 16, n, n);
            try_candidate(sl, src, x, y, n, lambda, b, best, &c);
        }
    }
    /* Intra: rank the modes by SATD of the luma prediction, then decide
     * between the best few by their full rate-distortion cost. */
    int modes[8], m = cb_mode_list(fs, modes);
    uint32_t satd[8];
    const uint8_t *sp = src->data[0] + y * src->stride[0] + x;
    CbIntraRefs refs; /* luma references, built once for every mode */
    cb_intra_luma_refs(fs, x, y, n, &refs);
    for (int i = 0; i < m; i++) {
        cb_pred_intra(fs, &refs, 0, x, y, n, modes[i], c.pred[0], 16);
        satd[i] = fs->tab->me.satd(sp, src->stride[0], c.pred[0], 16, n, n);
    }
    int order[8];
    for (int i = 0; i < m; i++)
        order[i] = i;
    for (int i = 1; i < m; i++)
        for (int k = i; k > 0 && satd[order[k]] < satd[order[k - 1]]; k--) {
            int tmp = order[k];
            order[k] = order[k - 1];
            order[k - 1] = tmp;
        }
    int tries = e->set.preset == CB_PRESET_FAST ? 1 : e->set.preset == CB_PRESET_MEDIUM ? 2 : m;
    /* Fast preset: no intra candidate in a P frame whose best intra mode
     * predicts worse (SATD) than the motion search's vector did. */
    if (e->set.preset == CB_PRESET_FAST && fs->type == CB_FRAME_P && inter_satd < UINT32_MAX &&
        satd[order[0]] >= inter_satd)
        tries = 0;
    for (int i = 0; i < tries && i < m; i++) {
        memset(b, 0, offsetof(CbBlockSyntax, level));
        b->intra = 1;
        b->mode = modes[order[i]];
        cb_predict_block(fs, x, y, n, b, 0, 0, pd, cand_stride);
        try_candidate(sl, src, x, y, n, lambda, b, best, &c);
    }
}

/* ---- Coding tree units ----------------------------------------------------- */

typedef struct CtuSave {
    uint8_t pix[3][16 * 16];
    CbUnit units[4][4];
    int32_t next_block;
} CtuSave;

static void ctu_save(const CbFrameState *fs, int x, int y, CtuSave *s)
{
    for (int p = 0; p < 3; p++) {
        int sh = p ? 1 : 0, n = CB_CTU >> sh;
        for (int j = 0; j < n; j++)
            memcpy(s->pix[p] + j * 16,
                   fs->rec->data[p] + ((y >> sh) + j) * fs->rec->stride[p] + (x >> sh), (size_t)n);
    }
    for (int j = 0; j < 4; j++)
        memcpy(s->units[j], &fs->units[((y >> 2) + j) * fs->uw + (x >> 2)], sizeof s->units[j]);
    s->next_block = fs->next_block;
}

static void ctu_restore(CbFrameState *fs, int x, int y, const CtuSave *s)
{
    for (int p = 0; p < 3; p++) {
        int sh = p ? 1 : 0, n = CB_CTU >> sh;
        for (int j = 0; j < n; j++)
            memcpy(fs->rec->data[p] + ((y >> sh) + j) * fs->rec->stride[p] + (x >> sh),
                   s->pix[p] + j * 16, (size_t)n);
    }
    for (int j = 0; j < 4; j++)
        memcpy(&fs->units[((y >> 2) + j) * fs->uw + (x >> 2)], s->units[j], sizeof s->units[j]);
    fs->next_block = s->next_block;
}

/* Records the luma residual of the chosen block for KLT training. */
static void collect_residual(Slice *sl, const CbFrame *src, int x, int y, int n,
                             const CbBlockSyntax *b)
{
    CbEncoder *e = sl->e;
    if (b->skip || !e->trainer[0])
        return;
    CbFrameState *fs = &sl->fs;
    uint8_t pred[3][256];
    uint8_t *pd[3] = {pred[0], pred[1], pred[2]};
    int mvx = 0, mvy = 0;
    if (!b->intra)
        cb_block_mv(fs, x, y, n, b, &mvx, &mvy);
    cb_predict_block(fs, x, y, n, b, mvx, mvy, pd, cand_stride);
    int16_t res[256];
    const uint8_t *sp = src->data[0] + y * src->stride[0] + x;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            res[j * n + i] = (int16_t)(sp[j * src->stride[0] + i] - pred[0][j * 16 + i]);
    int set = n == 16 ? (b->intra ? CB_KLT_INTRA16 : CB_KLT_INTER16)
                      : (b->intra ? CB_KLT_INTRA8 : CB_KLT_INTER8);
    /* The trainers' sums are exact integers: the order the slices add in
     * changes nothing. */
    pthread_mutex_lock(&e->train_lock);
    cb_klt_trainer_add(e->trainer[set], res, n);
    pthread_mutex_unlock(&e->train_lock);
}

static void commit_block(Slice *sl, CbCoder *c, const CbFrame *src, int x, int y, int n,
                         CbBlockSyntax *b)
{
    collect_residual(sl, src, x, y, n, b);
    cb_code_block(c, sl->ctx, &sl->fs, x, y, n, b);
    cb_recon_block(&sl->fs, x, y, n, b);
}

static int encode_ctu(Slice *sl, CbCoder *c, const CbFrame *src, int x, int y, double lambda)
{
    CbEncoder *e = sl->e;
    CbFrameState *fs = &sl->fs;
    Decision *d = sl->dec;
    if (e->seq.block_size == 16 && e->seq.partition) {
        CtuSave save;
        ctu_save(fs, x, y, &save);
        int nb = cb_split_ctx(fs, x, y);
        CbCoder cost = {.mode = CB_CODER_COST, .adapt = e->seq.adapt};
        decide_block(sl, src, x, y, 16, lambda, &d[0]);
        cb_sx_bit(&cost, &sl->ctx->split[nb], 0);
        double j16 = d[0].cost + lambda * (double)cost.cost_q8 / 256.0;
        cost.cost_q8 = 0;
        cb_sx_bit(&cost, &sl->ctx->split[nb], 1);
        double j8 = lambda * (double)cost.cost_q8 / 256.0;
        for (int k = 0; k < 4 && j8 < j16; k++) {
            int bx = x + (k & 1) * 8, by = y + (k >> 1) * 8;
            decide_block(sl, src, bx, by, 8, lambda, &d[1 + k]);
            j8 += d[1 + k].cost;
            cb_recon_block(fs, bx, by, 8, &d[1 + k].b);
        }
        ctu_restore(fs, x, y, &save);
        int split = j8 < j16;
        c->cat = CB_CAT_PARTITION;
        cb_sx_bit(c, &sl->ctx->split[nb], split);
        if (split)
            for (int k = 0; k < 4; k++)
                commit_block(sl, c, src, x + (k & 1) * 8, y + (k >> 1) * 8, 8, &d[1 + k].b);
        else
            commit_block(sl, c, src, x, y, 16, &d[0].b);
        cb_mark_split(fs, x, y, split);
    } else {
        int n = e->seq.block_size;
        for (int j = 0; j < CB_CTU; j += n)
            for (int i = 0; i < CB_CTU; i += n) {
                decide_block(sl, src, x + i, y + j, n, lambda, &d[0]);
                commit_block(sl, c, src, x + i, y + j, n, &d[0].b);
            }
        cb_mark_split(fs, x, y, n == 8);
    }
    return CB_OK;
}

/* ---- Frames ---------------------------------------------------------------- */

static int out_reserve(OutFrame *o, size_t n)
{
    if (n <= o->cap)
        return CB_OK;
    uint8_t *p = realloc(o->data, n);
    if (!p)
        return CB_ENOMEM;
    o->data = p;
    o->cap = n;
    return CB_OK;
}

/* Restoration of the deblocked frame fs->rec into e->filt: fits, decides and
 * codes both plane groups; returns whether any filter is on. */
static int encode_restoration(Slice *sl, CbCoder *c, const CbFrame *src, double lambda);

/* Codes the CTU rows of one slice. */
static void encode_slice(Slice *sl)
{
    CbFrameState *fs = &sl->fs;
    sl->rc = CB_OK;
    for (int y = fs->slice_y0; y < fs->slice_y1 && sl->rc == CB_OK; y += CB_CTU)
        for (int x = 0; x < fs->pw && sl->rc == CB_OK; x += CB_CTU) {
            sl->rc = encode_ctu(sl, &sl->c, sl->src, x, y, sl->lambda);
            if (sl->rc == CB_OK && fs->stage && fs->stage->failed)
                sl->rc = CB_ESTAGE;
        }
}

typedef struct Worker {
    Slice *slices;
    int n, first, step;
} Worker;

/* A thread codes slices first, first + step, ...: which thread codes a
 * slice changes nothing in its bytes. */
static void *worker_main(void *arg)
{
    Worker *w = arg;
    for (int i = w->first; i < w->n; i += w->step)
        encode_slice(&w->slices[i]);
    return NULL;
}

static int run_slices(CbEncoder *e, Slice *sl, int n)
{
    int threads = e->set.threads < n ? e->set.threads : n;
    pthread_t tid[CB_MAX_SLICES];
    Worker w[CB_MAX_SLICES];
    int started = 0;
    for (int t = 1; t < threads; t++) {
        w[t] = (Worker){sl, n, t, threads};
        if (pthread_create(&tid[t], NULL, worker_main, &w[t]) != 0)
            break;
        started = t;
    }
    /* This thread takes its share, and the share of any thread that could
     * not start. */
    w[0] = (Worker){sl, n, 0, threads};
    worker_main(&w[0]);
    for (int t = started + 1; t < threads; t++) {
        Worker rest = {sl, n, t, threads};
        worker_main(&rest);
    }
    for (int t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    for (int i = 0; i < n; i++)
        if (sl[i].rc < 0)
            return sl[i].rc;
    return CB_OK;
}

static int encode_frame(CbEncoder *e, const CbFrame *src, int type, int use_klt, OutFrame *o,
                        CbError *err)
{
    CbFrameState *fs = &e->fs;
    int qp = type == CB_FRAME_I ? e->qp_i : e->qp_p;
    double lambda = lambda_for(qp);
    int rec = (e->ref + 1) % 3, out = (e->ref + 2) % 3;
    if (e->ref < 0 || type == CB_FRAME_I)
        rec = 0, out = 1;
    fs->type = type;
    fs->qp = qp;
    fs->rec = &e->buf[rec];
    fs->ref = type == CB_FRAME_P ? &e->buf[e->ref] : NULL;
    fs->klt = use_klt ? e->klt : NULL;
    cb_frame_state_reset_units(fs);

    int ns = e->seq.slices, rc = CB_OK;
    Slice *sl = e->slices;
    for (int i = 0; i < ns; i++) {
        sl[i] = (Slice){.e = e, .index = i, .fs = *fs, .ctx = &e->ctx[i], .src = src,
                        .lambda = lambda};
        cb_slice_rows(fs->ph, ns, i, &sl[i].fs.slice_y0, &sl[i].fs.slice_y1);
        sl[i].fs.next_block = i << 20;
        sl[i].fs.stage = e->stage ? &e->stage[i] : NULL;
        if (e->stage)
            cb_engine_stage_reset(&e->stage[i]);
        /* Contexts carry over from frame to frame within a GOP. */
        if (type == CB_FRAME_I)
            cb_contexts_init(sl[i].ctx);
        cb_rac_enc_init(&sl[i].re, e->seq.adapt, CB_ENGINE_PACKET_MAX - 2);
        sl[i].c = (CbCoder){.mode = CB_CODER_ENCODE, .adapt = e->seq.adapt, .enc = &sl[i].re};
    }
    /* The KLT parameter set opens slice 0's segment. */
    size_t klt_bytes = 0;
    if (type == CB_FRAME_I && e->seq.transform == CB_TRANSFORM_KLT) {
        CbKltSet none[CB_KLT_SETS];
        memset(none, 0, sizeof none);
        cb_code_klt_sets(&sl[0].c, sl[0].ctx, &e->tab, use_klt ? e->klt : none, err);
        klt_bytes = sl[0].re.len;
    }
    if ((rc = run_slices(e, sl, ns)) < 0) {
        /* A stage failure is named by the first slice that had one. */
        for (int i = 0; rc == CB_ESTAGE && i < ns; i++)
            if (e->stage && e->stage[i].failed) {
                cb_error_set(err, rc, "%s in frame %lld", e->stage[i].what, (long long)o->index);
                goto out;
            }
        cb_error_set(err, rc, "encoding frame %lld: %s", (long long)o->index, cb_strerror(rc));
        goto out;
    }
    cb_loop_deblock(fs);
    /* The loop filter stage runs on the main thread, in slice 0's context
     * (reset with it above); restoration is fitted on its output. */
    cb_loop_stage(fs);
    if (fs->stage && fs->stage->failed) {
        rc = cb_error_set(err, CB_ESTAGE, "%s in frame %lld", fs->stage->what,
                          (long long)o->index);
        goto out;
    }
    int final = rec;
    /* The restoration syntax closes the last slice's segment. */
    if (e->seq.restoration && encode_restoration(&sl[ns - 1], &sl[ns - 1].c, src, lambda)) {
        cb_restore_frame(&e->buf[rec], &e->buf[out], fs->pw, fs->ph, e->rest,
                         e->seq.restoration_region);
        final = out;
    }
    size_t total = 2;
    for (int i = 0; i < ns; i++) {
        if ((rc = cb_rac_enc_finish(&sl[i].re)) < 0) {
            cb_error_set(err, rc, "frame %lld: the coded frame is larger than %u bytes",
                         (long long)o->index, CB_ENGINE_PACKET_MAX);
            goto out;
        }
        total += sl[i].re.len + (i < ns - 1 ? 4 : 0);
    }
    if (total > CB_ENGINE_PACKET_MAX) {
        rc = cb_error_set(err, CB_ELIMIT, "frame %lld: the coded frame is larger than %u bytes",
                          (long long)o->index, CB_ENGINE_PACKET_MAX);
        goto out;
    }
    if ((rc = out_reserve(o, total)) < 0) {
        cb_error_set(err, rc, "out of memory");
        goto out;
    }
    /* Packet: type, QP, then each slice's segment, all but the last after
     * a u32 length. */
    o->data[0] = (uint8_t)type;
    o->data[1] = (uint8_t)qp;
    size_t pos = 2;
    for (int i = 0; i < ns; i++) {
        size_t len = sl[i].re.len;
        if (i < ns - 1) {
            o->data[pos] = (uint8_t)(len >> 24);
            o->data[pos + 1] = (uint8_t)(len >> 16);
            o->data[pos + 2] = (uint8_t)(len >> 8);
            o->data[pos + 3] = (uint8_t)len;
            pos += 4;
        }
        memcpy(o->data + pos, sl[i].re.buf, len);
        pos += len;
    }
    o->size = total;
    o->type = type;
    o->qp = qp;
    o->klt_bytes = klt_bytes;
    if (!o->recon.buf && (rc = cb_frame_alloc(&o->recon, fs->pw, fs->ph)) < 0) {
        cb_error_set(err, rc, "out of memory");
        goto out;
    }
    cb_frame_copy(&o->recon, &e->buf[final]);
    uint64_t sse = 0;
    for (int p = 0; p < 3; p++)
        sse += sse_block(src->data[p], src->stride[p], e->buf[final].data[p],
                         e->buf[final].stride[p], cb_plane_width(e->width, p),
                         cb_plane_height(e->height, p));
    o->cost = (double)sse + lambda * 8.0 * (double)o->size;
    e->ref = final;
    memcpy(e->prev_units, fs->units, sizeof *fs->units * (size_t)fs->uw * (size_t)fs->uh);
    rc = CB_OK;
out:
    for (int i = 0; i < ns; i++)
        cb_rac_enc_free(&sl[i].re);
    return rc;
}

/* Codes the buffered GOP into e->pass[k]; returns the summed cost in *j. */
static int encode_pass(CbEncoder *e, int k, int use_klt, double *j, CbError *err)
{
    *j = 0;
    e->ref = -1;
    for (int i = 0; i < e->n_src; i++) {
        OutFrame *o = &e->pass[k][i];
        o->index = e->next_index + i;
        int rc = encode_frame(e, &e->src[i], i == 0 ? CB_FRAME_I : CB_FRAME_P, use_klt, o, err);
        if (rc < 0)
            return rc;
        *j += o->cost;
    }
    return CB_OK;
}

static int encode_gop(CbEncoder *e, CbError *err)
{
    double j0, j1;
    int rc;
    e->chosen = 0;
    if (e->seq.transform != CB_TRANSFORM_KLT)
        return encode_pass(e, 0, 0, &j0, err);
    for (int s = 0; s < CB_KLT_SETS; s++) {
        int n = (s == CB_KLT_INTRA16 || s == CB_KLT_INTER16) ? 16 : 8;
        if ((rc = cb_klt_trainer_new(&e->trainer[s], n)) < 0)
            goto out;
    }
    if ((rc = encode_pass(e, 0, 0, &j0, err)) < 0)
        goto out;
    int any = 0;
    for (int s = 0; s < CB_KLT_SETS; s++) {
        CbError terr;
        e->klt[s].present = cb_klt_trainer_count(e->trainer[s]) >= CB_KLT_MIN_BLOCKS(16) &&
                            cb_klt_trainer_solve(e->trainer[s], &e->klt[s].v, &e->klt[s].h,
                                                 &terr) == CB_OK;
        any |= e->klt[s].present;
    }
    for (int s = 0; s < CB_KLT_SETS; s++)
        cb_klt_trainer_free(&e->trainer[s]);
    if (any) {
        if ((rc = encode_pass(e, 1, 1, &j1, err)) < 0)
            goto out;
        e->chosen = j1 < j0;
    }
    rc = CB_OK;
out:
    for (int s = 0; s < CB_KLT_SETS; s++)
        cb_klt_trainer_free(&e->trainer[s]);
    if (rc < 0 && err && !err->code)
        cb_error_set(err, rc, "KLT training: %s", cb_strerror(rc));
    return rc;
}

/* ---- API -------------------------------------------------------------------- */

int cb_encoder_new(CbEncoder **out, const CbEngineSettings *s, int qp, int width, int height,
                   int fps_num, int fps_den, CbError *err)
{
    *out = NULL;
    int rc = cb_engine_settings_check(s, err);
    if (rc < 0)
        return rc;
    if (qp < CB_QP_MIN || qp > CB_QP_MAX)
        return cb_error_set(err, CB_EINVAL, "qp %d is outside %d..%d", qp, CB_QP_MIN, CB_QP_MAX);
    if (width < 1 || height < 1 || width > CB_FRAME_MAX_DIM || height > CB_FRAME_MAX_DIM)
        return cb_error_set(err, CB_ELIMIT, "picture %dx%d outside 1x1..%dx%d", width, height,
                            CB_FRAME_MAX_DIM, CB_FRAME_MAX_DIM);
    if (fps_num <= 0 || fps_den <= 0)
        return cb_error_set(err, CB_EINVAL, "frame rate %d/%d", fps_num, fps_den);
    CbEncoder *e = calloc(1, sizeof *e);
    if (!e)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    pthread_mutex_init(&e->train_lock, NULL);
    e->set = *s;
    e->width = width;
    e->height = height;
    e->qp_i = qp;
    e->qp_p = qp + s->p_qp_offset > CB_QP_MAX ? CB_QP_MAX : qp + s->p_qp_offset;
    e->seq = (CbSeqHeader){width, height, fps_num, fps_den, s->block_size, s->partition,
                           s->transform, s->intra_modes, s->subpel, s->deblock, s->restoration,
                           s->restoration_region, s->adaptation, 0, {0}, CB_STAGE_NONE};
    int ctu_rows = (height + CB_CTU - 1) / CB_CTU;
    e->seq.slices = s->slices < ctu_rows ? s->slices : ctu_rows;
    cb_seq_header_write(&e->seq, e->header);
    cb_tables_init(&e->tab);
    e->ref = -1;
    e->fs.seq = &e->seq;
    e->fs.tab = &e->tab;
    e->gop_cap = s->gop;
    rc = cb_codec_geometry_alloc(&e->fs, e->rest, width, height, s->restoration_region);
    e->prev_units =
        rc == CB_OK ? calloc((size_t)e->fs.uw * (size_t)e->fs.uh, sizeof *e->prev_units) : NULL;
    e->src = e->prev_units ? calloc((size_t)e->gop_cap, sizeof *e->src) : NULL;
    e->pass[0] = e->src ? calloc((size_t)e->gop_cap, sizeof(OutFrame)) : NULL;
    e->pass[1] = e->pass[0] ? calloc((size_t)e->gop_cap, sizeof(OutFrame)) : NULL;
    if (!e->pass[1])
        rc = CB_ENOMEM;
    for (int i = 0; rc == CB_OK && i < 3; i++)
        rc = cb_frame_alloc(&e->buf[i], e->fs.pw, e->fs.ph);
    if (rc == CB_OK)
        rc = cb_frame_alloc(&e->filt, e->fs.pw, e->fs.ph);
    if (rc < 0) {
        cb_encoder_free(&e);
        return cb_error_set(err, rc, "encoder for %dx%d: %s", width, height, cb_strerror(rc));
    }
    *out = e;
    return CB_OK;
}

const uint8_t *cb_encoder_header(const CbEncoder *e)
{
    return e->header;
}

static void free_stages(CbEngineStage **st, int n)
{
    for (int i = 0; *st && i < n; i++)
        cb_engine_stage_free(&(*st)[i]);
    free(*st);
    *st = NULL;
}

int cb_encoder_set_stage(CbEncoder *e, const CbStageOps *ops, CbError *err)
{
    if (!e)
        return cb_error_set(err, CB_EINVAL, "cb_encoder_set_stage: no encoder");
    if (e->next_index > 0 || e->n_src > 0 || e->flushed || e->failed)
        return cb_error_set(err, CB_EINVAL,
                            "cb_encoder_set_stage: the encoder has been sent frames already");
    int rc = cb_engine_stage_check(ops, 0, "cb_encoder_set_stage", err);
    if (rc < 0)
        return rc;
    if (ops->kind == CB_STAGE_TRANSFORM && e->set.transform == CB_TRANSFORM_KLT)
        return cb_error_set(err, CB_EINVAL, "a transform stage replaces the DCT: it needs "
                                            "\"transform\": \"dct\", not \"klt\"");
    int ns = e->seq.slices;
    CbEngineStage *st = calloc((size_t)ns, sizeof *st);
    if (!st)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    /* The loop filter's plane copy: the largest plane, luma, with the
     * reconstruction's stride (src and dst share it). */
    size_t copy = (size_t)e->buf[0].stride[0] * (size_t)e->fs.ph;
    for (int i = 0; i < ns; i++)
        if ((rc = cb_engine_stage_init(&st[i], ops, i == 0 ? copy : 0)) < 0) {
            free_stages(&st, ns);
            return cb_error_set(err, rc, "stage contexts: %s", cb_strerror(rc));
        }
    /* Only now, with nothing left to fail: a second call replaces the
     * first stage, and a failed one left the encoder as it was. */
    free_stages(&e->stage, e->n_stage);
    e->stage = st;
    e->n_stage = ns;
    e->fs.stage = &st[0];
    e->seq.stage_kind = ops->kind;
    memcpy(e->seq.stage_hash, ops->hash, sizeof e->seq.stage_hash);
    cb_seq_header_write(&e->seq, e->header);
    return CB_OK;
}

int cb_encoder_send(CbEncoder *e, const CbFrame *frame, CbError *err)
{
    /* A failed GOP leaves its frames buffered: nothing can follow it. */
    if (e->failed)
        return cb_error_set(err, e->failed, "cb_encoder_send: an earlier frame failed (%s)",
                            cb_strerror(e->failed));
    if (e->q_pos < e->q_len)
        return cb_error_set(err, CB_EINVAL, "cb_encoder_send: receive the coded frames first");
    if (e->flushed)
        return cb_error_set(err, CB_EINVAL, "cb_encoder_send: the stream has ended");
    if (frame) {
        if (frame->width != e->width || frame->height != e->height)
            return cb_error_set(err, CB_EMISMATCH, "frame of %dx%d sent to a %dx%d encoder",
                                frame->width, frame->height, e->width, e->height);
        CbFrame *dst = &e->src[e->n_src];
        int rc;
        if (!dst->buf && (rc = cb_frame_alloc(dst, e->fs.pw, e->fs.ph)) < 0)
            return cb_error_set(err, rc, "out of memory");
        pad_copy(dst, frame);
        e->n_src++;
        if (e->n_src < e->gop_cap)
            return CB_OK;
    } else {
        e->flushed = 1;
        if (e->n_src == 0)
            return CB_OK;
    }
    int rc = encode_gop(e, err);
    if (rc < 0) {
        e->failed = rc;
        return rc;
    }
    e->q_len = e->n_src;
    e->q_pos = 0;
    e->next_index += e->n_src;
    e->n_src = 0;
    return CB_OK;
}

int cb_encoder_receive(CbEncoder *e, CbEncodedFrame *out)
{
    if (e->q_pos >= e->q_len)
        return 0;
    OutFrame *o = &e->pass[e->chosen][e->q_pos++];
    out->data = o->data;
    out->size = o->size;
    out->type = o->type;
    out->qp = o->qp;
    out->index = o->index;
    out->klt_bytes = o->klt_bytes;
    out->recon = o->recon;
    out->recon.buf = NULL;
    out->recon.width = e->width;
    out->recon.height = e->height;
    return 1;
}

void cb_encoder_free(CbEncoder **ep)
{
    if (!ep || !*ep)
        return;
    CbEncoder *e = *ep;
    for (int i = 0; i < 3; i++)
        cb_frame_free(&e->buf[i]);
    cb_frame_free(&e->filt);
    if (e->src)
        for (int i = 0; i < e->gop_cap; i++)
            cb_frame_free(&e->src[i]);
    for (int k = 0; k < 2; k++)
        if (e->pass[k])
            for (int i = 0; i < e->gop_cap; i++) {
                free(e->pass[k][i].data);
                cb_frame_free(&e->pass[k][i].recon);
            }
    free(e->src);
    free(e->pass[0]);
    free(e->pass[1]);
    for (int s = 0; s < CB_KLT_SETS; s++)
        cb_klt_trainer_free(&e->trainer[s]);
    free(e->fs.units);
    free(e->fs.dunits);
    free(e->prev_units);
    free(e->rest[0].region_on);
    free(e->rest[1].region_on);
    free_stages(&e->stage, e->n_stage);
    pthread_mutex_destroy(&e->train_lock);
    free(e);
    *ep = NULL;
}

/* Bits of one restoration coefficient, for the frame-level decision: the
 * coefficients are small (|c| < 32 mostly) and coded Exp-Golomb-2 with a
 * sign: about 5 bits each. */
#define RESTORE_COEF_BITS 5.0

static int encode_restoration(Slice *sl, CbCoder *c, const CbFrame *src, double lambda)
{
    CbEncoder *e = sl->e;
    CbFrameState *fs = &sl->fs;
    CbFrame *rec = fs->rec;
    int any = 0;
    for (int g = 0; g < 2; g++) {
        CbRestoreSyntax *r = &e->rest[g];
        int s = g ? 1 : 0, pw = fs->pw >> s, ph = fs->ph >> s;
        int region = e->seq.restoration_region >> s;
        CbRestoreFilter f;
        CbRestoreFitStats st;
        memset(r->region_on, 1, (size_t)r->rw * (size_t)r->rh);
        r->filter.enabled = 0;
        /* Luma is fitted on Y; the one chroma filter is fitted and switched
         * on U and applied to both chroma planes. */
        if (cb_restore_fit(src->data[g], src->stride[g], rec->data[g], rec->stride[g], pw, ph, g,
                           NULL, region, &f, &st, NULL) == CB_OK) {
            f.enabled = 1;
            cb_restore_apply(rec->data[g], rec->stride[g], e->filt.data[g], e->filt.stride[g],
                             pw, ph, g, &f, r->region_on, region);
            CbCoder cost = {.mode = CB_CODER_COST, .adapt = e->seq.adapt};
            cb_sx_bit(&cost, &sl->ctx->rest_flag[0], 1);
            double on_bits = (double)cost.cost_q8 / 256.0;
            cost.cost_q8 = 0;
            cb_sx_bit(&cost, &sl->ctx->rest_flag[0], 0);
            CbRestoreRd rd = {lambda, on_bits, (double)cost.cost_q8 / 256.0,
                              (f.ntaps - 1) * RESTORE_COEF_BITS};
            double delta = 0;
            int on = cb_restore_decide(src->data[g], src->stride[g], rec->data[g], rec->stride[g],
                                       e->filt.data[g], e->filt.stride[g], pw, ph, region, &rd,
                                       r->region_on, &delta);
            if (on > 0 && delta < 0) {
                r->filter = f;
                any = 1;
            }
        }
        cb_code_restore(c, sl->ctx, g, r);
    }
    return any;
}

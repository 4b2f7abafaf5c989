/* codecbench engine: state shared by the encoder and the decoder.
 *
 * Coding structure: the picture is padded to a multiple of 16 and cut into
 * 16x16 coding-tree units (CTUs) in raster order.  A CTU is one 16x16 coding
 * block, or four 8x8 ones (block_size 8, or a split flag when partition is
 * on).  A coding block is skipped (P frames: the predicted motion vector, no
 * residual), inter (a motion vector difference and a residual) or intra (a
 * mode and a residual).  The residual is one luma transform of the block's
 * size and one chroma transform of half that size per chroma plane.
 *
 * Everything here is on the decoder's path: integer, and the same code in
 * the encoder.
 */
#ifndef CODECBENCH_ENGINE_CODEC_H
#define CODECBENCH_ENGINE_CODEC_H

#include <stdint.h>

#include "codecbench/engine.h"
#include "codecbench/frame.h"
#include "engine/deblock.h"
#include "engine/intra.h"
#include "engine/mc.h"
#include "engine/me.h"
#include "engine/rac.h"
#include "engine/restore.h"
#include "engine/stage.h"
#include "engine/syntax.h"
#include "engine/transform.h"

#define CB_CTU 16
#define CB_MAX_SLICES 64

/* The stream's first bytes, version 1 (see stream.c for the layout). */
#define CB_STREAM_MAGIC "CBV\x1a"
#define CB_STREAM_VERSION 1
#define CB_STREAM_HEADER_BYTES 64
/* A frame packet may not exceed this (a 8192x8192 frame of raw samples is
 * 96 MiB; a coded one is far smaller). */
#define CB_PACKET_MAX_BYTES (128u << 20)
/* Motion vectors (quarter-pel) may point at most this far outside the picture. */
#define CB_MV_MARGIN_PX 64

/* What the sequence header carries: everything the decoder needs. */
typedef struct CbSeqHeader {
    int width, height;
    int fps_num, fps_den;
    int block_size, partition;
    CbTransformKind transform;
    CbIntraSet intra_set;
    CbSubpel subpel;
    int deblock, restoration, restoration_region;
    CbAdapt adapt;
    int slices;             /* 1..CB_MAX_SLICES; at most the CTU rows */
    uint8_t stage_hash[32]; /* all zero: the built-in stages */
    CbStageKind stage_kind; /* CB_STAGE_NONE: the built-in stages */
} CbSeqHeader;

enum { CB_FRAME_I = 0, CB_FRAME_P = 1 };

/* KLT sets: luma residuals by prediction kind and block size. */
enum { CB_KLT_INTRA16, CB_KLT_INTER16, CB_KLT_INTRA8, CB_KLT_INTER8, CB_KLT_SETS };

typedef struct CbKltSet {
    int present;      /* 0: this set uses the DCT */
    CbBasis v, h;
} CbKltSet;

/* Contexts of every syntax element. */
typedef struct CbContexts {
    CbRacCtx split[3], skip[3], intra[3], mpm[2], merge[2];
    CbRacCtx mvd[2][6];
    CbRacCtx cbf[3][3];                  /* plane, neighbour count */
    CbRacCtx last[3][2][8];              /* size (4, 8, 16), luma/chroma, prefix */
    CbRacCtx sig[3][2][16][3];           /* size, luma/chroma, position class, coded neighbours */
    CbRacCtx gt1[2][4][2];               /* luma/chroma, larger levels so far, a larger neighbour */
    CbRacCtx rem[2][8];                  /* luma/chroma, egk prefix */
    CbRacCtx klt_present, klt_coef[6];
    CbRacCtx rest_on[2], rest_coef[6], rest_flag[3];
} CbContexts;

/* What the codec remembers of each 4x4 luma unit of the current frame. */
typedef struct CbUnit {
    uint8_t coded_frame; /* set once the unit's block is reconstructed in this frame */
    uint8_t intra, skip, split, mode, cbf_y;
    int32_t mvx, mvy;     /* quarter-pel; up to (8192 + 2 x 64) x 4 */
    int32_t block;
} CbUnit;

/* The syntax of one coding block, filled by the encoder's decisions or by
 * the decoder from the stream. */
typedef struct CbBlockSyntax {
    int skip, intra, mode;
    int merge;            /* skip: which candidate vector (0 median, 1 left, 2 top) */
    int mvdx, mvdy;       /* in units of the stream's precision */
    int cbf[3];
    int16_t level[3][16 * 16]; /* raster order, n x n for the plane's size */
} CbBlockSyntax;

/* Static tables built once per encoder or decoder (no mutable globals). */
typedef struct CbTables {
    uint16_t scan[3][256]; /* zigzag for n = 4, 8, 16 */
    CbBasis dct[3];        /* n = 4, 8, 16 */
    CbXformDsp xf;         /* transform kernels */
    CbMcDsp mc;            /* motion compensation kernels */
    CbMeDsp me;            /* SAD / SATD kernels (the encoder's) */
} CbTables;

/* Per-frame state of the reconstruction. */
typedef struct CbFrameState {
    const CbSeqHeader *seq;
    const CbTables *tab;
    int type, qp;
    int pw, ph;               /* padded luma size (multiple of CB_CTU) */
    int uw, uh;               /* size in 4x4 units */
    CbFrame *rec;             /* reconstruction being built (padded size) */
    const CbFrame *ref;       /* previous reconstruction (P frames) */
    CbUnit *units;            /* uw x uh */
    CbDeblockUnit *dunits;    /* uw x uh, scratch of the deblocking filter */
    const CbKltSet *klt;      /* CB_KLT_SETS sets, or NULL (DCT everywhere) */
    /* Per slice: each slice codes with its own copy of the frame state. */
    int slice_y0, slice_y1;   /* luma rows of the slice; nothing above y0 is available */
    int32_t next_block;       /* block ids, unique in the frame: slice index << 20 first */
    /* The external stage's calling context of this slice (its own scratch,
     * its sticky failure), or NULL: the built-in stages (engine/stage.h). */
    CbEngineStage *stage;
} CbFrameState;

int cb_size_index(int n); /* 4 -> 0, 8 -> 1, 16 -> 2 */

/* The transforms through the kernel table (v and h have the same size). */
static inline void cb_xf_fwd(const CbTables *t, const CbBasis *v, const CbBasis *h,
                             const int16_t *res, ptrdiff_t stride, int32_t *coef)
{
    t->xf.fwd[cb_xform_size_index(v->n)](v->m, h->m, res, stride, coef);
}

static inline void cb_xf_inv(const CbTables *t, const CbBasis *v, const CbBasis *h,
                             const int32_t *coef, int16_t *res, ptrdiff_t stride)
{
    t->xf.inv[cb_xform_size_index(v->n)](v->m, h->m, coef, res, stride);
}

/* The stage hooks: each runs the external stage when the frame state has
 * one of its kind, else the built-in code (one branch per block).  x, y
 * are in the plane's samples; intra_mode is the block's intra mode, or -1
 * for an inter block. */
static inline void cb_pred_intra(const CbFrameState *fs, const CbIntraRefs *r, int plane, int x,
                                 int y, int n, int mode, uint8_t *dst, ptrdiff_t stride)
{
    if (fs->stage && fs->stage->intra)
        cb_engine_stage_intra(fs->stage, r->top, r->left, r->corner, plane, x, y, n, mode, dst,
                              stride);
    else
        cb_intra_pred(r, n, mode, dst, stride);
}

static inline void cb_fwd_block(const CbFrameState *fs, const CbBasis *v, const CbBasis *h,
                                int plane, int x, int y, int intra_mode, int16_t *res,
                                ptrdiff_t stride, int32_t *coef)
{
    if (fs->stage && fs->stage->fwd)
        cb_engine_stage_xform(fs->stage, 0, plane, x, y, v->n, intra_mode, res, stride, coef);
    else
        cb_xf_fwd(fs->tab, v, h, res, stride, coef);
}

static inline void cb_inv_block(const CbFrameState *fs, const CbBasis *v, const CbBasis *h,
                                int plane, int x, int y, int intra_mode, int32_t *coef,
                                int16_t *res, ptrdiff_t stride)
{
    if (fs->stage && fs->stage->inv)
        cb_engine_stage_xform(fs->stage, 1, plane, x, y, v->n, intra_mode, res, stride, coef);
    else
        cb_xf_inv(fs->tab, v, h, coef, res, stride);
}

void cb_tables_init(CbTables *t);
void cb_contexts_init(CbContexts *c);
void cb_frame_state_reset_units(CbFrameState *fs);
/* Luma rows [*y0, *y1) of slice i of a picture padded to ph rows. */
void cb_slice_rows(int ph, int slices, int i, int *y0, int *y1);

/* Context of a CTU's split flag: how many of its left and top neighbours split. */
int cb_split_ctx(const CbFrameState *fs, int x, int y);
/* Records a CTU's split flag in its units. */
void cb_mark_split(CbFrameState *fs, int x, int y, int split);
/* Predicted intra mode of a block at luma (x, y). */
int cb_mpm(const CbFrameState *fs, int x, int y);
/* Modes of the stream's intra set, in code order; returns how many. */
int cb_mode_list(const CbFrameState *fs, int *modes);
/* Median motion vector predictor of a block at luma (x, y) of size n. */
void cb_mv_pred(const CbFrameState *fs, int x, int y, int n, int *px, int *py);
/* Quarter-pel shift of the stream's vector precision (2 full, 1 half, 0 quarter). */
int cb_mv_shift(const CbSeqHeader *seq);
/* Whether a vector keeps the block within CB_MV_MARGIN_PX of the picture. */
int cb_mv_valid(const CbFrameState *fs, int x, int y, int n, int mvx, int mvy);

/* Codes (or decodes, or costs) one coding block's syntax.  x, y in luma
 * pixels, n = 8 or 16.  Returns 0, or CB_EFORMAT when decoding a value out of
 * bounds (a motion vector too far out, an intra mode not in the set). */
int cb_code_block(CbCoder *c, CbContexts *ctx, const CbFrameState *fs, int x, int y, int n,
                  CbBlockSyntax *b);
/* Codes the coefficients of one n x n transform block (cbf known nonzero). */
void cb_code_coefs(CbCoder *c, CbContexts *ctx, const CbTables *t, int n, int chroma,
                   int16_t *level);

/* Reconstructs one coding block from its syntax into fs->rec and records it
 * in fs->units (the decoder's path; the encoder calls it for its choice). */
void cb_recon_block(CbFrameState *fs, int x, int y, int n, const CbBlockSyntax *b);
/* Prediction only, into dst planes (n x n luma, n/2 chroma): shared by the
 * reconstruction and the encoder's decisions. */
void cb_predict_block(const CbFrameState *fs, int x, int y, int n, const CbBlockSyntax *b,
                      int mvx, int mvy, uint8_t *dst[3], const ptrdiff_t dst_stride[3]);
/* The luma intra reference samples of a block, as cb_predict_block uses them. */
void cb_intra_luma_refs(const CbFrameState *fs, int x, int y, int n, CbIntraRefs *r);
/* The vertical and horizontal bases for a luma block of size n. */
void cb_luma_bases(const CbFrameState *fs, int n, int intra, const CbBasis **v, const CbBasis **h);
/* Vectors a skipped block may take: the median predictor, the left and the
 * top neighbour's (a missing or intra neighbour gives (0, 0)). */
#define CB_MERGE_CANDIDATES 3
/* Full motion vector of a coded block (predictor plus difference, or the
 * skip's merge candidate). */
void cb_block_mv(const CbFrameState *fs, int x, int y, int n, const CbBlockSyntax *b, int *mvx,
                 int *mvy);

/* In-loop filters of a reconstructed frame: deblocking. */
void cb_loop_deblock(CbFrameState *fs);
/* Then the loop filter stage, when the frame state has one (after
 * deblocking, before restoration), on every plane of fs->rec. */
void cb_loop_stage(CbFrameState *fs);

#endif

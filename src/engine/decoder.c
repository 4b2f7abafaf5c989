/* codecbench engine: the decoder. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/engine.h"
#include "engine/codec.h"
#include "engine/stream.h"

struct CbDecoder {
    CbSeqHeader seq;
    CbStreamInfo info;
    CbTables tab;
    CbContexts ctx[CB_MAX_SLICES]; /* per slice, carried over within a GOP */
    CbFrame buf[3];          /* reconstructions, padded; see pick_buffers() */
    int ref;                 /* index of the reference frame, -1 when none */
    int have_klt;
    CbKltSet klt[CB_KLT_SETS];
    CbFrameState fs;
    CbRestoreSyntax rest[2];
    CbDecodeStats stats;
    uint64_t cat_q8[CB_CAT_COUNT];
    /* The coding blocks of the last frame decoded whole, one per 8x8 luma
     * cell (bcols x brows): the units are reset when the next packet starts,
     * so a failed decode would leave no map behind without this copy. */
    CbBlockInfo *blocks;
    int bcols, brows;
    int have_blocks;
    /* The stage the header names, once cb_decoder_set_stage gave it
     * (has_stage); started: a packet got past the stage check. */
    CbEngineStage stage;
    int has_stage, started;
};

static const char *const category_names[CB_STATS_CATEGORIES] = {
    "partition", "skip", "mode", "mv", "cbf", "coef_luma", "coef_chroma", "klt", "restoration",
};

const char *cb_decode_stats_category(int i)
{
    return i >= 0 && i < CB_STATS_CATEGORIES ? category_names[i] : "?";
}

void cb_decoder_free(CbDecoder **dp)
{
    if (!dp || !*dp)
        return;
    CbDecoder *d = *dp;
    for (int i = 0; i < 3; i++)
        cb_frame_free(&d->buf[i]);
    free(d->fs.units);
    free(d->fs.dunits);
    free(d->rest[0].region_on);
    free(d->rest[1].region_on);
    free(d->blocks);
    cb_engine_stage_free(&d->stage);
    free(d);
    *dp = NULL;
}

int cb_decoder_new(CbDecoder **out, const uint8_t *header, size_t len, CbError *err)
{
    *out = NULL;
    CbDecoder *d = calloc(1, sizeof *d);
    if (!d)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int rc = cb_seq_header_parse(header, len, &d->seq, err);
    if (rc < 0)
        goto fail;
    CbSeqHeader *s = &d->seq;
    d->info = (CbStreamInfo){s->width, s->height, s->fps_num, s->fps_den, s->block_size,
                             s->partition, s->transform, s->intra_set, s->subpel, s->deblock,
                             s->restoration, s->restoration_region, s->adapt, s->slices,
                             s->stage_kind, {0}};
    memcpy(d->info.stage_hash, s->stage_hash, sizeof d->info.stage_hash);
    cb_tables_init(&d->tab);
    d->ref = -1;
    d->fs.seq = &d->seq;
    d->fs.tab = &d->tab;
    rc = cb_codec_geometry_alloc(&d->fs, d->rest, s->width, s->height, s->restoration_region);
    for (int i = 0; rc == CB_OK && i < 3; i++)
        rc = cb_frame_alloc(&d->buf[i], d->fs.pw, d->fs.ph);
    d->bcols = (s->width + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID;
    d->brows = (s->height + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID;
    if (rc == CB_OK &&
        !(d->blocks = calloc((size_t)d->bcols * (size_t)d->brows, sizeof *d->blocks)))
        rc = CB_ENOMEM;
    if (rc < 0) {
        cb_error_set(err, rc, "decoder for %dx%d: %s", s->width, s->height, cb_strerror(rc));
        goto fail;
    }
    *out = d;
    return CB_OK;
fail:
    cb_decoder_free(&d);
    return rc;
}

const CbStreamInfo *cb_decoder_info(const CbDecoder *d)
{
    return &d->info;
}

int cb_decoder_set_stage(CbDecoder *d, const CbStageOps *ops, CbError *err)
{
    if (!d || !ops)
        return cb_error_set(err, CB_EINVAL, "cb_decoder_set_stage: no %s",
                            d ? "stage given" : "decoder");
    if (d->started)
        return cb_error_set(err, CB_EINVAL,
                            "cb_decoder_set_stage: the decoder has decoded frames already");
    const char *given = cb_stage_kind_name(ops->kind);
    char gh[17], sh[17];
    cb_engine_stage_hash16(ops->hash, gh);
    cb_engine_stage_hash16(d->seq.stage_hash, sh);
    if (!given || ops->kind == CB_STAGE_NONE)
        return cb_error_set(err, CB_EINVAL, "cb_decoder_set_stage: stage kind %d is not intra, "
                                            "loop_filter or transform",
                            (int)ops->kind);
    if (d->seq.stage_kind == CB_STAGE_NONE)
        return cb_error_set(err, CB_EMISMATCH,
                            "the stream names no stage; the stage given is %s %s", given, gh);
    if (ops->kind != d->seq.stage_kind || memcmp(ops->hash, d->seq.stage_hash, 32))
        return cb_error_set(err, CB_EMISMATCH, "the stream's stage is %s %s, the stage given is "
                                               "%s %s",
                            cb_stage_kind_name(d->seq.stage_kind), sh, given, gh);
    int rc = cb_engine_stage_check(ops, 1, "cb_decoder_set_stage", err);
    if (rc < 0)
        return rc;
    CbEngineStage st;
    /* The loop filter's plane copy: the largest plane, luma, with the
     * reconstruction's stride. */
    if ((rc = cb_engine_stage_init(&st, ops, (size_t)d->buf[0].stride[0] * (size_t)d->fs.ph)) < 0)
        return cb_error_set(err, rc, "stage context: %s", cb_strerror(rc));
    cb_engine_stage_free(&d->stage);
    d->stage = st;
    d->has_stage = 1;
    d->fs.stage = &d->stage;
    return CB_OK;
}

static void count_mv(CbDecodeStats *st, int x, int y)
{
    for (int i = 0; i < st->n_mvs; i++)
        if (st->mvs[i].x == x && st->mvs[i].y == y) {
            st->mvs[i].count++;
            return;
        }
    if (st->n_mvs < CB_STATS_MVS) {
        st->mvs[st->n_mvs].x = x;
        st->mvs[st->n_mvs].y = y;
        st->mvs[st->n_mvs].count = 1;
        st->n_mvs++;
    } else {
        st->mv_other++;
    }
}

static void note_block(CbDecoder *d, const CbFrameState *fs, int x, int y, int n,
                       const CbBlockSyntax *b)
{
    CbDecodeStats *st = &d->stats;
    if (n == 16)
        st->blocks16++;
    else
        st->blocks8++;
    if (b->intra) {
        st->blocks[0]++;
        if (b->mode >= 0 && b->mode < 6)
            st->intra_modes[b->mode]++;
        return;
    }
    st->blocks[b->skip ? 2 : 1]++;
    const CbUnit *u = &fs->units[(y >> 2) * fs->uw + (x >> 2)];
    st->mv_abs_sum += abs(u->mvx) + abs(u->mvy);
    count_mv(st, u->mvx, u->mvy);
}

/* Copies the units of the frame just decoded into d->blocks: each 8x8 cell
 * takes its top-left 4x4 unit, which a block of 8 or 16 covers whole (block
 * boundaries fall on the 8x8 grid).  The cells lie inside the padded
 * picture, whose units every CTU wrote. */
static void snapshot_blocks(CbDecoder *d)
{
    const CbFrameState *fs = &d->fs;
    for (int r = 0; r < d->brows; r++)
        for (int c = 0; c < d->bcols; c++) {
            const CbUnit *u = &fs->units[(size_t)(2 * r) * (size_t)fs->uw + (size_t)(2 * c)];
            CbBlockInfo *o = &d->blocks[(size_t)r * (size_t)d->bcols + (size_t)c];
            o->kind = u->intra ? CB_BLOCK_INTRA : u->skip ? CB_BLOCK_SKIP : CB_BLOCK_INTER;
            o->size = u->split ? 8 : 16;
            o->mode = u->intra ? u->mode : 0;
            o->cbf = u->cbf_y ? 1 : 0;
            o->mvx = u->intra ? 0 : u->mvx;
            o->mvy = u->intra ? 0 : u->mvy;
        }
    d->have_blocks = 1;
}

int cb_decoder_blocks(const CbDecoder *d, CbBlockInfo *out, int cols, int rows, CbError *err)
{
    if (!d || !out)
        return cb_error_set(err, CB_EINVAL, "block map: no decoder or no output");
    if (cols != d->bcols || rows != d->brows)
        return cb_error_set(err, CB_EINVAL, "block map of %dx%d cells asked, the %dx%d stream "
                                            "has %dx%d",
                            cols, rows, d->seq.width, d->seq.height, d->bcols, d->brows);
    if (!d->have_blocks)
        return cb_error_set(err, CB_EINVAL, "block map: no frame decoded yet");
    memcpy(out, d->blocks, sizeof *out * (size_t)cols * (size_t)rows);
    return CB_OK;
}

/* Decodes the coding blocks of one CTU. */
static int decode_ctu(CbDecoder *d, CbFrameState *fs, CbContexts *ctx, CbCoder *c, int x, int y,
                      CbBlockSyntax *b)
{
    int split;
    if (d->seq.block_size == 16 && d->seq.partition) {
        c->cat = CB_CAT_PARTITION;
        int nb = cb_split_ctx(fs, x, y);
        split = cb_sx_bit(c, &ctx->split[nb], 0);
    } else {
        split = d->seq.block_size == 8;
    }
    int n = split ? 8 : 16;
    for (int j = 0; j < CB_CTU; j += n)
        for (int i = 0; i < CB_CTU; i += n) {
            memset(b, 0, offsetof(CbBlockSyntax, level));
            if (cb_code_block(c, ctx, fs, x + i, y + j, n, b) < 0)
                return CB_EFORMAT;
            cb_recon_block(fs, x + i, y + j, n, b);
            note_block(d, fs, x + i, y + j, n, b);
        }
    cb_mark_split(fs, x, y, split);
    return CB_OK;
}

int cb_decoder_decode(CbDecoder *d, const uint8_t *pkt, size_t len, CbFrame *frame, CbError *err)
{
    if (len < 2 || len > CB_ENGINE_PACKET_MAX)
        return cb_error_set(err, CB_EFORMAT, "frame packet of %zu bytes", len);
    int type = pkt[0], qp = pkt[1];
    if (type != CB_FRAME_I && type != CB_FRAME_P)
        return cb_error_set(err, CB_EFORMAT, "frame type %d", type);
    if (qp > CB_QP_MAX)
        return cb_error_set(err, CB_EFORMAT, "frame QP %d (0..%d)", qp, CB_QP_MAX);
    if (type == CB_FRAME_P && d->ref < 0)
        return cb_error_set(err, CB_EFORMAT, "P frame with no I frame before it");
    if (d->seq.stage_kind != CB_STAGE_NONE && !d->has_stage) {
        char hex[17];
        cb_engine_stage_hash16(d->seq.stage_hash, hex);
        return cb_error_set(err, CB_ENOTSUP, "the stream needs its %s stage %s, which is not "
                                             "loaded",
                            cb_stage_kind_name(d->seq.stage_kind), hex);
    }
    d->started = 1;
    if (d->has_stage)
        cb_engine_stage_reset(&d->stage);

    int rec = (d->ref + 1) % 3, out = (d->ref + 2) % 3;
    if (d->ref < 0)
        rec = 0, out = 1;
    CbFrameState *fs = &d->fs;
    fs->type = type;
    fs->qp = qp;
    fs->rec = &d->buf[rec];
    fs->ref = d->ref >= 0 ? &d->buf[d->ref] : NULL;
    cb_frame_state_reset_units(fs);

    /* The packet: each slice's segment, all but the last after a u32
     * length; the KLT parameter set opens slice 0's segment and the
     * restoration syntax closes the last one's. */
    int ns = d->seq.slices;
    const uint8_t *seg[CB_MAX_SLICES];
    size_t seg_len[CB_MAX_SLICES];
    size_t pos = 2;
    for (int i = 0; i < ns; i++) {
        if (i < ns - 1) {
            if (len - pos < 4)
                return cb_error_set(err, CB_EFORMAT, "slice %d: truncated length field", i);
            uint32_t l = (uint32_t)pkt[pos] << 24 | (uint32_t)pkt[pos + 1] << 16 |
                         (uint32_t)pkt[pos + 2] << 8 | pkt[pos + 3];
            pos += 4;
            if (l > len - pos)
                return cb_error_set(err, CB_EFORMAT, "slice %d: %u bytes announced, %zu left", i,
                                    l, len - pos);
            seg[i] = pkt + pos;
            seg_len[i] = l;
            pos += l;
        } else {
            seg[i] = pkt + pos;
            seg_len[i] = len - pos;
        }
    }
    d->ref = -1; /* until this frame decodes whole: a broken frame is no reference */
    CbRacDec rd;
    CbCoder c;
    int rc = CB_OK;
    CbBlockSyntax *b = malloc(sizeof *b);
    if (!b)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; i < ns && rc == CB_OK; i++) {
        /* Contexts carry over from frame to frame within a GOP (the
         * encoder's rule): a P frame continues from its predecessor's. */
        if (type == CB_FRAME_I)
            cb_contexts_init(&d->ctx[i]);
        cb_rac_dec_init(&rd, d->seq.adapt, seg[i], seg_len[i]);
        c = (CbCoder){.mode = CB_CODER_DECODE, .adapt = d->seq.adapt, .dec = &rd,
                      .cat_bits_q8 = d->cat_q8};
        if (i == 0 && type == CB_FRAME_I && d->seq.transform == CB_TRANSFORM_KLT) {
            if ((rc = cb_code_klt_sets(&c, &d->ctx[0], &d->tab, d->klt, err)) < 0)
                break;
            d->have_klt = 1;
        }
        fs->klt = d->seq.transform == CB_TRANSFORM_KLT && d->have_klt ? d->klt : NULL;
        CbFrameState sfs = *fs;
        cb_slice_rows(fs->ph, ns, i, &sfs.slice_y0, &sfs.slice_y1);
        sfs.next_block = i << 20;
        for (int y = sfs.slice_y0; y < sfs.slice_y1 && rc == CB_OK; y += CB_CTU)
            for (int x = 0; x < fs->pw && rc == CB_OK; x += CB_CTU) {
                if (decode_ctu(d, &sfs, &d->ctx[i], &c, x, y, b) < 0)
                    rc = cb_error_set(err, CB_EFORMAT,
                                      "frame packet corrupt or truncated at the block at %d,%d",
                                      x, y);
                else if (sfs.stage && sfs.stage->failed)
                    rc = cb_error_set(err, CB_ESTAGE, "%s", sfs.stage->what);
            }
        if (rc == CB_OK && i < ns - 1 && (cb_rac_dec_finish(&rd) < 0 || cb_sx_failed(&c)))
            rc = cb_error_set(err, CB_EFORMAT, "slice %d corrupt or truncated (its arithmetic "
                                               "coder's termination does not match)", i);
    }
    free(b);
    if (rc < 0)
        return rc;
    cb_loop_deblock(fs);
    cb_loop_stage(fs);
    if (fs->stage && fs->stage->failed)
        return cb_error_set(err, CB_ESTAGE, "%s", fs->stage->what);
    int final = rec;
    if (d->seq.restoration) {
        for (int g = 0; g < 2; g++)
            if (cb_code_restore(&c, &d->ctx[ns - 1], g, &d->rest[g]) < 0)
                return cb_error_set(err, CB_EFORMAT, "restoration syntax corrupt or truncated");
        if (d->rest[0].filter.enabled || d->rest[1].filter.enabled) {
            CbFrame *src = &d->buf[rec], *dst = &d->buf[out];
            cb_restore_frame(src, dst, fs->pw, fs->ph, d->rest, d->seq.restoration_region);
            final = out;
            d->stats.restoration_on[0] += d->rest[0].filter.enabled;
            d->stats.restoration_on[1] += d->rest[1].filter.enabled;
        }
    }
    if (cb_rac_dec_finish(&rd) < 0 || cb_sx_failed(&c))
        return cb_error_set(err, CB_EFORMAT, "frame packet corrupt or truncated (the arithmetic "
                                             "coder's termination does not match)");
    d->ref = final;
    snapshot_blocks(d);
    d->stats.frames[type]++;
    d->stats.frame_bytes[type] += len;
    d->stats.header_bytes += 2;
    if (type == CB_FRAME_I && fs->klt)
        for (int s = 0; s < CB_KLT_SETS; s++)
            d->stats.klt_sets_sent += d->klt[s].present;
    *frame = d->buf[final];
    frame->buf = NULL;
    frame->width = d->seq.width;
    frame->height = d->seq.height;
    return CB_OK;
}

static int cmp_mv(const void *a, const void *b)
{
    const CbMvCount *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    return (x->y > y->y) - (x->y < y->y);
}

const CbDecodeStats *cb_decoder_stats(CbDecoder *d)
{
    for (int i = 0; i < CB_STATS_CATEGORIES; i++)
        d->stats.category_bits[i] = (double)d->cat_q8[i] / 256.0;
    qsort(d->stats.mvs, (size_t)d->stats.n_mvs, sizeof d->stats.mvs[0], cmp_mv);
    return &d->stats;
}

/* codecbench engine: sequence header and frame-level syntax.
 *
 * Sequence header (CB_STREAM_HEADER_BYTES = 64 bytes, big-endian):
 *    0  magic "CBV\x1a"          18  block_size (8 or 16)
 *    4  version (1)              19  partition (0/1)
 *    5  header size (64)         20  transform (0 dct, 1 klt)
 *    6  width  u16 (1..8192)     21  intra mode set (0 dc, 1 basic, 2 all)
 *    8  height u16 (1..8192)     22  motion vector precision (0 full, 1 half, 2 quarter)
 *   10  frame rate num u32 (>0)  23  deblocking (0/1)
 *   14  frame rate den u32 (>0)  24  restoration (0/1)
 *                                25  log2 of restoration region (5..7)
 *                                26  adaptation (0 fast, 1 slow, 2 dual)
 *                                27  slices (1..64, at most the block rows)
 *                                28  stage kind (0 none, 1 intra, 2 loop filter,
 *                                    3 transform: stage.h's CbStageKind)
 *                                29  reserved, zero (3 bytes)
 *   32  the stage's hash, SHA-256 of its source (32 bytes; all zero with
 *       kind 0, not all zero with kinds 1..3)
 *
 * Then frame packets, each stored by the container as a u32 length and
 * that many bytes: frame type u8 (0 I, 1 P), QP u8 (0..51), then the
 * arithmetic-coded frame (KLT sets on I frames when the transform is klt,
 * the coding-tree units in raster order, restoration syntax).
 */
#include "engine/stream.h"

#include <stdlib.h>
#include <string.h>

#include "engine/quant.h"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int log2i(int v)
{
    int l = 0;
    while ((1 << l) < v)
        l++;
    return l;
}

void cb_seq_header_write(const CbSeqHeader *h, uint8_t out[CB_STREAM_HEADER_BYTES])
{
    memset(out, 0, CB_STREAM_HEADER_BYTES);
    memcpy(out, CB_STREAM_MAGIC, 4);
    out[4] = CB_STREAM_VERSION;
    out[5] = CB_STREAM_HEADER_BYTES;
    put16(out + 6, (unsigned)h->width);
    put16(out + 8, (unsigned)h->height);
    put32(out + 10, (uint32_t)h->fps_num);
    put32(out + 14, (uint32_t)h->fps_den);
    out[18] = (uint8_t)h->block_size;
    out[19] = (uint8_t)h->partition;
    out[20] = (uint8_t)h->transform;
    out[21] = (uint8_t)h->intra_set;
    out[22] = (uint8_t)h->subpel;
    out[23] = (uint8_t)h->deblock;
    out[24] = (uint8_t)h->restoration;
    out[25] = (uint8_t)log2i(h->restoration_region);
    out[26] = (uint8_t)h->adapt;
    out[27] = (uint8_t)h->slices;
    out[28] = (uint8_t)h->stage_kind;
    memcpy(out + 32, h->stage_hash, 32);
}

int cb_seq_header_parse(const uint8_t *b, size_t len, CbSeqHeader *h, CbError *err)
{
    if (len < CB_STREAM_HEADER_BYTES)
        return cb_error_set(err, CB_EFORMAT, "stream header: %zu bytes, a header has %d", len,
                            CB_STREAM_HEADER_BYTES);
    if (memcmp(b, CB_STREAM_MAGIC, 4))
        return cb_error_set(err, CB_EFORMAT, "not a codecbench stream (bad magic)");
    if (b[4] != CB_STREAM_VERSION)
        return cb_error_set(err, CB_ENOTSUP, "stream version %u; this build reads version %d",
                            b[4], CB_STREAM_VERSION);
    if (b[5] != CB_STREAM_HEADER_BYTES)
        return cb_error_set(err, CB_EFORMAT, "stream header size %u, expected %d", b[5],
                            CB_STREAM_HEADER_BYTES);
    memset(h, 0, sizeof *h);
    h->width = (int)get16(b + 6);
    h->height = (int)get16(b + 8);
    uint32_t fn = get32(b + 10), fd = get32(b + 14);
    if (h->width < 1 || h->height < 1 || h->width > CB_FRAME_MAX_DIM ||
        h->height > CB_FRAME_MAX_DIM)
        return cb_error_set(err, CB_ELIMIT, "stream header: picture %dx%d outside 1x1..%dx%d",
                            h->width, h->height, CB_FRAME_MAX_DIM, CB_FRAME_MAX_DIM);
    if (fn == 0 || fd == 0 || fn > INT32_MAX || fd > INT32_MAX)
        return cb_error_set(err, CB_EFORMAT, "stream header: frame rate %u/%u", fn, fd);
    h->fps_num = (int)fn;
    h->fps_den = (int)fd;
    struct {
        const char *name;
        unsigned v, lo, hi;
    } f[] = {
        {"block size", b[18], 8, 16},  {"partition", b[19], 0, 1}, {"transform", b[20], 0, 1},
        {"intra mode set", b[21], 0, 2}, {"vector precision", b[22], 0, 2},
        {"deblocking", b[23], 0, 1},   {"restoration", b[24], 0, 1},
        {"restoration region", b[25], 5, 7}, {"adaptation", b[26], 0, 2},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].v < f[i].lo || f[i].v > f[i].hi || (i == 0 && f[i].v != 8 && f[i].v != 16))
            return cb_error_set(err, CB_EFORMAT, "stream header: %s %u is not allowed",
                                f[i].name, f[i].v);
    int ctu_rows = (h->height + CB_CTU - 1) / CB_CTU;
    if (b[27] < 1 || b[27] > CB_MAX_SLICES || b[27] > ctu_rows)
        return cb_error_set(err, CB_EFORMAT,
                            "stream header: %u slices (1..%d, at most the %d block rows)", b[27],
                            CB_MAX_SLICES, ctu_rows);
    h->slices = b[27];
    for (int i = 29; i < 32; i++)
        if (b[i])
            return cb_error_set(err, CB_EFORMAT, "stream header: reserved byte %d is %u", i, b[i]);
    h->block_size = b[18];
    h->partition = b[19];
    h->transform = (CbTransformKind)b[20];
    h->intra_set = (CbIntraSet)b[21];
    h->subpel = (CbSubpel)b[22];
    h->deblock = b[23];
    h->restoration = b[24];
    h->restoration_region = 1 << b[25];
    h->adapt = (CbAdapt)b[26];
    memcpy(h->stage_hash, b + 32, 32);
    /* A kind this build does not know is a newer stream, not a corrupt one. */
    if (b[28] >= CB_STAGE_KINDS)
        return cb_error_set(err, CB_ENOTSUP, "stream header: stage kind %u is unknown to this build",
                            b[28]);
    h->stage_kind = (CbStageKind)b[28];
    static const uint8_t zero[32];
    int hashed = memcmp(h->stage_hash, zero, 32) != 0;
    if (h->stage_kind == CB_STAGE_NONE && hashed)
        return cb_error_set(err, CB_EFORMAT, "stream header: a stage hash without a stage kind");
    if (h->stage_kind != CB_STAGE_NONE && !hashed)
        return cb_error_set(err, CB_EFORMAT, "stream header: %s stage with an all-zero hash",
                            cb_stage_kind_name(h->stage_kind));
    return CB_OK;
}

/* KLT entries differ from the DCT's by at most this (the entries of either
 * are below 64 x 4 = 256 in magnitude for n = 16). */
#define KLT_DELTA_MAX 512

int cb_code_klt_sets(CbCoder *c, CbContexts *ctx, const CbTables *t, CbKltSet *sets, CbError *err)
{
    c->cat = CB_CAT_KLT;
    for (int s = 0; s < CB_KLT_SETS; s++) {
        CbKltSet *k = &sets[s];
        k->present = cb_sx_bit(c, &ctx->klt_present, k->present);
        if (!k->present)
            continue;
        int n = (s == CB_KLT_INTRA16 || s == CB_KLT_INTER16) ? 16 : 8;
        const CbBasis *dct = &t->dct[cb_size_index(n)];
        CbBasis *bases[2] = {&k->v, &k->h};
        for (int bi = 0; bi < 2; bi++) {
            CbBasis *b = bases[bi];
            b->n = n;
            for (int i = 0; i < n * n; i++) {
                int d = cb_sx_sgk(c, ctx->klt_coef, 6, b->m[i] - dct->m[i], 3, KLT_DELTA_MAX);
                b->m[i] = (int16_t)(dct->m[i] + d);
            }
            if (c->mode == CB_CODER_DECODE) {
                if (cb_sx_failed(c))
                    return cb_error_set(err, CB_EFORMAT, "KLT parameter set: truncated");
                if (cb_basis_check(b, err) < 0)
                    return cb_error_prefix(err, "KLT parameter set %d", s);
            }
        }
    }
    return CB_OK;
}

int cb_code_restore(CbCoder *c, CbContexts *ctx, int chroma, CbRestoreSyntax *r)
{
    c->cat = CB_CAT_RESTORE;
    CbRestoreFilter *f = &r->filter;
    f->enabled = cb_sx_bit(c, &ctx->rest_on[chroma], f->enabled);
    if (!f->enabled)
        return CB_OK;
    f->ntaps = chroma ? CB_RESTORE_CHROMA_TAPS : CB_RESTORE_LUMA_TAPS;
    uint32_t lim = (uint32_t)(CB_RESTORE_COEF_MAX > -CB_RESTORE_COEF_MIN ? CB_RESTORE_COEF_MAX
                                                                         : -CB_RESTORE_COEF_MIN);
    /* The centre is not coded: it makes the taps sum to one. */
    for (int i = 0; i < f->ntaps - 1; i++) {
        int v = cb_sx_sgk(c, ctx->rest_coef, 6, f->coef[i], 2, lim);
        if (v < CB_RESTORE_COEF_MIN || v > CB_RESTORE_COEF_MAX) {
            c->error = 1;
            return CB_EFORMAT;
        }
        f->coef[i] = (int16_t)v;
    }
    if (c->mode == CB_CODER_DECODE) {
        cb_restore_derive_centre(f);
        if (cb_restore_check(f, chroma) < 0) {
            c->error = 1;
            return CB_EFORMAT;
        }
    }
    for (int y = 0; y < r->rh; y++)
        for (int x = 0; x < r->rw; x++) {
            int nb = (x > 0 && r->region_on[y * r->rw + x - 1]) +
                     (y > 0 && r->region_on[(y - 1) * r->rw + x]);
            r->region_on[y * r->rw + x] =
                (uint8_t)cb_sx_bit(c, &ctx->rest_flag[nb], r->region_on[y * r->rw + x]);
        }
    return cb_sx_failed(c) ? CB_EFORMAT : CB_OK;
}

int cb_codec_geometry_alloc(CbFrameState *fs, CbRestoreSyntax rest[2], int width, int height,
                            int region)
{
    fs->pw = (width + CB_CTU - 1) / CB_CTU * CB_CTU;
    fs->ph = (height + CB_CTU - 1) / CB_CTU * CB_CTU;
    fs->uw = fs->pw / 4;
    fs->uh = fs->ph / 4;
    size_t n = (size_t)fs->uw * (size_t)fs->uh;
    fs->units = calloc(n, sizeof *fs->units);
    fs->dunits = calloc(n, sizeof *fs->dunits);
    for (int g = 0; g < 2; g++) {
        rest[g].rw = (fs->pw + region - 1) / region;
        rest[g].rh = (fs->ph + region - 1) / region;
        rest[g].region_on = calloc((size_t)rest[g].rw * (size_t)rest[g].rh, 1);
        if (!rest[g].region_on)
            return CB_ENOMEM;
    }
    return fs->units && fs->dunits ? CB_OK : CB_ENOMEM;
}

void cb_restore_frame(const CbFrame *src, CbFrame *dst, int pw, int ph,
                      const CbRestoreSyntax rest[2], int region)
{
    for (int p = 0; p < 3; p++) {
        int s = p ? 1 : 0, g = p ? 1 : 0;
        if (rest[g].filter.enabled) {
            cb_restore_apply(src->data[p], src->stride[p], dst->data[p], dst->stride[p], pw >> s,
                             ph >> s, g, &rest[g].filter, rest[g].region_on, region >> s);
        } else {
            for (int y = 0; y < ph >> s; y++)
                memcpy(dst->data[p] + y * dst->stride[p], src->data[p] + y * src->stride[p],
                       (size_t)(pw >> s));
        }
    }
}

/* codecbench engine: the syntax and reconstruction of coding blocks, shared
 * by the encoder and the decoder. */
#include <stdlib.h>
#include <string.h>

#include "engine/codec.h"
#include "engine/quant.h"

int cb_size_index(int n)
{
    return n == 4 ? 0 : n == 8 ? 1 : 2;
}

/* Zigzag scan of an n x n block: anti-diagonals, alternating direction, as
 * JPEG and H.264 order them. */
static void zigzag(uint16_t *scan, int n)
{
    int idx = 0;
    for (int s = 0; s <= 2 * (n - 1); s++) {
        int lo = s - (n - 1) > 0 ? s - (n - 1) : 0, hi = s < n - 1 ? s : n - 1;
        for (int k = hi; k >= lo; k--) {
            int y = (s & 1) ? s - k : k, x = s - y;
            scan[idx++] = (uint16_t)(y * n + x);
        }
    }
}

void cb_tables_init(CbTables *t)
{
    for (int si = 0; si < 3; si++) {
        zigzag(t->scan[si], 4 << si);
        cb_basis_dct(&t->dct[si], 4 << si);
    }
    cb_xform_dsp_init(&t->xf);
    cb_mc_dsp_init(&t->mc, 0);
    cb_me_dsp_init(&t->me, 0);
}

void cb_contexts_init(CbContexts *c)
{
    /* Every context starts at P = 1/2: the struct is an array of contexts. */
    cb_rac_ctx_init((CbRacCtx *)c, sizeof *c / sizeof(CbRacCtx));
}

void cb_frame_state_reset_units(CbFrameState *fs)
{
    memset(fs->units, 0, sizeof *fs->units * (size_t)fs->uw * (size_t)fs->uh);
    fs->next_block = 0;
    fs->slice_y0 = 0;
    fs->slice_y1 = fs->ph;
}

void cb_slice_rows(int ph, int slices, int i, int *y0, int *y1)
{
    /* Equal shares of the CTU rows; the first slices take the remainder. */
    int rows = ph / CB_CTU, base = rows / slices, extra = rows % slices;
    *y0 = (i * base + (i < extra ? i : extra)) * CB_CTU;
    *y1 = *y0 + (base + (i < extra)) * CB_CTU;
}

static const CbUnit *unit_at(const CbFrameState *fs, int x, int y)
{
    if (x < 0 || y < fs->slice_y0 || x >= fs->pw || y >= fs->slice_y1)
        return NULL;
    const CbUnit *u = &fs->units[(y >> 2) * fs->uw + (x >> 2)];
    return u->coded_frame ? u : NULL;
}

int cb_split_ctx(const CbFrameState *fs, int x, int y)
{
    const CbUnit *l = unit_at(fs, x - 1, y), *t = unit_at(fs, x, y - 1);
    return (l && l->split) + (t && t->split);
}

void cb_mark_split(CbFrameState *fs, int x, int y, int split)
{
    for (int j = y >> 2; j < (y + CB_CTU) >> 2; j++)
        for (int i = x >> 2; i < (x + CB_CTU) >> 2; i++)
            fs->units[j * fs->uw + i].split = (uint8_t)split;
}

int cb_mode_list(const CbFrameState *fs, int *modes)
{
    return cb_intra_modes(fs->seq->intra_set, modes);
}

int cb_mpm(const CbFrameState *fs, int x, int y)
{
    const CbUnit *l = unit_at(fs, x - 1, y), *t = unit_at(fs, x, y - 1);
    if (l && l->intra)
        return l->mode;
    if (t && t->intra)
        return t->mode;
    return CB_INTRA_MODE_DC;
}

static int median3(int a, int b, int c)
{
    int mx = a > b ? a : b, mn = a < b ? a : b;
    return c > mx ? mx : c < mn ? mn : c;
}

void cb_mv_pred(const CbFrameState *fs, int x, int y, int n, int *px, int *py)
{
    /* H.264's median of left, top and top-right (top-left when top-right is
     * not yet coded); a missing or intra neighbour counts as (0, 0). */
    const CbUnit *a = unit_at(fs, x - 1, y), *b = unit_at(fs, x, y - 1);
    const CbUnit *c = unit_at(fs, x + n, y - 1);
    if (!c)
        c = unit_at(fs, x - 1, y - 1);
    int ax = a && !a->intra ? a->mvx : 0, ay = a && !a->intra ? a->mvy : 0;
    int bx = b && !b->intra ? b->mvx : 0, by = b && !b->intra ? b->mvy : 0;
    int cx = c && !c->intra ? c->mvx : 0, cy = c && !c->intra ? c->mvy : 0;
    *px = median3(ax, bx, cx);
    *py = median3(ay, by, cy);
}

int cb_mv_shift(const CbSeqHeader *seq)
{
    return seq->subpel == CB_SUBPEL_FULL ? 2 : seq->subpel == CB_SUBPEL_HALF ? 1 : 0;
}

int cb_mv_valid(const CbFrameState *fs, int x, int y, int n, int mvx, int mvy)
{
    int64_t m = (int64_t)CB_MV_MARGIN_PX * 4;
    int64_t l = (int64_t)x * 4 + mvx, t = (int64_t)y * 4 + mvy;
    return l >= -m && t >= -m && l + (int64_t)n * 4 <= (int64_t)fs->pw * 4 + m &&
           t + (int64_t)n * 4 <= (int64_t)fs->ph * 4 + m;
}

void cb_block_mv(const CbFrameState *fs, int x, int y, int n, const CbBlockSyntax *b, int *mvx,
                 int *mvy)
{
    int px, py;
    cb_mv_pred(fs, x, y, n, &px, &py);
    int sh = cb_mv_shift(fs->seq);
    /* The predictor is rounded to the stream's precision so that every
     * vector stays on its grid. */
    px &= ~((1 << sh) - 1);
    py &= ~((1 << sh) - 1);
    if (b->skip) {
        const CbUnit *u = b->merge == 1 ? unit_at(fs, x - 1, y)
                        : b->merge == 2 ? unit_at(fs, x, y - 1) : NULL;
        if (b->merge == 0) {
            *mvx = px;
            *mvy = py;
        } else if (u && !u->intra) {
            /* Neighbours' vectors are on the grid already. */
            *mvx = u->mvx;
            *mvy = u->mvy;
        } else {
            *mvx = *mvy = 0;
        }
    } else {
        *mvx = px + b->mvdx * (1 << sh);
        *mvy = py + b->mvdy * (1 << sh);
    }
}

/* Largest motion-vector difference in stream units: more than any vector
 * that passes cb_mv_valid can need (8192 + 2 x 64 pixels, x4). */
#define MVD_MAX (1u << 16)

void cb_code_coefs(CbCoder *c, CbContexts *ctx, const CbTables *t, int n, int chroma,
                   int16_t *level)
{
    int si = cb_size_index(n), N = n * n;
    const uint16_t *scan = t->scan[si];
    int last = 0;
    if (c->mode != CB_CODER_DECODE) {
        for (int i = N - 1; i >= 0; i--)
            if (level[scan[i]]) {
                last = i;
                break;
            }
    } else {
        memset(level, 0, sizeof *level * (size_t)N);
    }
    last = (int)cb_sx_egk(c, ctx->last[si][chroma], 8, (uint32_t)last, si, (uint32_t)(N - 1));
    int ngt1 = 0;
    for (int i = last; i >= 0; i--) {
        int pos = scan[i];
        int v = level[pos];
        /* The right and lower neighbours lie on the next anti-diagonal,
         * later in the scan, so both sides know them already. */
        int px = pos % n, py = pos / n;
        int nb = (px + 1 < n && level[pos + 1] != 0) + (py + 1 < n && level[pos + n] != 0);
        int sig = i == last ? 1 : cb_sx_bit(c, &ctx->sig[si][chroma][i * 16 / N][nb], v != 0);
        if (!sig)
            continue;
        int mag = v < 0 ? -v : v;
        int big = (px + 1 < n && abs(level[pos + 1]) > 1) || (py + 1 < n && abs(level[pos + n]) > 1);
        int g = cb_sx_bit(c, &ctx->gt1[chroma][ngt1 < 3 ? ngt1 : 3][big], mag > 1);
        if (g) {
            ngt1++;
            mag = 2 + (int)cb_sx_egk(c, ctx->rem[chroma], 8, (uint32_t)(mag - 2), 0,
                                     CB_LEVEL_MAX - 2);
        } else {
            mag = 1;
        }
        int neg = cb_sx_bypass(c, v < 0);
        level[pos] = (int16_t)(neg ? -mag : mag);
    }
}

static int bits_for(int count)
{
    int b = 0;
    while ((1 << b) < count)
        b++;
    return b;
}

int cb_code_block(CbCoder *c, CbContexts *ctx, const CbFrameState *fs, int x, int y, int n,
                  CbBlockSyntax *b)
{
    const CbUnit *l = unit_at(fs, x - 1, y), *t = unit_at(fs, x, y - 1);
    int decoding = c->mode == CB_CODER_DECODE;
    if (fs->type == CB_FRAME_P) {
        c->cat = CB_CAT_SKIP;
        int nb = (l && l->skip) + (t && t->skip);
        b->skip = cb_sx_bit(c, &ctx->skip[nb], b->skip);
    } else {
        b->skip = 0;
    }
    if (b->skip) {
        int more = cb_sx_bit(c, &ctx->merge[0], b->merge > 0);
        b->merge = more ? 1 + cb_sx_bit(c, &ctx->merge[1], b->merge > 1) : 0;
        b->intra = 0;
        b->mvdx = b->mvdy = 0;
        b->cbf[0] = b->cbf[1] = b->cbf[2] = 0;
    } else {
        c->cat = CB_CAT_MODE;
        if (fs->type == CB_FRAME_P) {
            int nb = (l && l->intra) + (t && t->intra);
            b->intra = cb_sx_bit(c, &ctx->intra[nb], b->intra);
        } else {
            b->intra = 1;
        }
        if (b->intra) {
            int modes[8], m = cb_mode_list(fs, modes);
            int mpm = cb_mpm(fs, x, y);
            if (m > 1) {
                int is_mpm = cb_sx_bit(c, &ctx->mpm[0], !decoding && b->mode == mpm);
                if (is_mpm) {
                    b->mode = mpm;
                } else {
                    /* The index among the other modes, in list order. */
                    int others[8], k = 0, idx = 0;
                    for (int i = 0; i < m; i++)
                        if (modes[i] != mpm)
                            others[k++] = modes[i];
                    if (!decoding)
                        for (int i = 0; i < k; i++)
                            if (others[i] == b->mode)
                                idx = i;
                    idx = (int)cb_sx_bits(c, (uint32_t)idx, bits_for(k));
                    if (idx >= k) {
                        c->error = 1;
                        return CB_EFORMAT;
                    }
                    b->mode = others[idx];
                }
            } else {
                b->mode = modes[0];
            }
        } else {
            c->cat = CB_CAT_MV;
            b->mvdx = cb_sx_sgk(c, ctx->mvd[0], 6, b->mvdx, 0, MVD_MAX);
            b->mvdy = cb_sx_sgk(c, ctx->mvd[1], 6, b->mvdy, 0, MVD_MAX);
        }
        c->cat = CB_CAT_CBF;
        int nb = (l && l->cbf_y) + (t && t->cbf_y);
        b->cbf[0] = cb_sx_bit(c, &ctx->cbf[0][nb], b->cbf[0]);
        b->cbf[1] = cb_sx_bit(c, &ctx->cbf[1][0], b->cbf[1]);
        b->cbf[2] = cb_sx_bit(c, &ctx->cbf[2][0], b->cbf[2]);
        for (int p = 0; p < 3; p++) {
            if (!b->cbf[p])
                continue;
            c->cat = p ? CB_CAT_COEF_CHROMA : CB_CAT_COEF_LUMA;
            cb_code_coefs(c, ctx, fs->tab, p ? n / 2 : n, p != 0, b->level[p]);
        }
    }
    if (!b->intra) {
        int mvx, mvy;
        cb_block_mv(fs, x, y, n, b, &mvx, &mvy);
        if (!cb_mv_valid(fs, x, y, n, mvx, mvy)) {
            c->error = 1;
            return CB_EFORMAT;
        }
    }
    return cb_sx_failed(c) ? CB_EFORMAT : CB_OK;
}

void cb_luma_bases(const CbFrameState *fs, int n, int intra, const CbBasis **v, const CbBasis **h)
{
    int si = cb_size_index(n);
    if (fs->klt && n >= 8) {
        int set = n == 16 ? (intra ? CB_KLT_INTRA16 : CB_KLT_INTER16)
                          : (intra ? CB_KLT_INTRA8 : CB_KLT_INTER8);
        if (fs->klt[set].present) {
            *v = &fs->klt[set].v;
            *h = &fs->klt[set].h;
            return;
        }
    }
    *v = *h = &fs->tab->dct[si];
}

/* Availability of intra reference samples for a block at luma (x, y). */
static unsigned intra_avail(const CbFrameState *fs, int x, int y, int n)
{
    unsigned a = 0;
    if (y > fs->slice_y0)
        a |= CB_AVAIL_TOP;
    if (x > 0)
        a |= CB_AVAIL_LEFT;
    if (x > 0 && y > fs->slice_y0)
        a |= CB_AVAIL_TOP_LEFT;
    if (unit_at(fs, x + n, y - 1))
        a |= CB_AVAIL_TOP_RIGHT;
    if (unit_at(fs, x - 1, y + n))
        a |= CB_AVAIL_BOTTOM_LEFT;
    return a;
}

void cb_intra_luma_refs(const CbFrameState *fs, int x, int y, int n, CbIntraRefs *r)
{
    cb_intra_refs(fs->rec->data[0], fs->rec->stride[0], fs->pw, fs->ph, x, y, n,
                  intra_avail(fs, x, y, n), r);
}

void cb_predict_block(const CbFrameState *fs, int x, int y, int n, const CbBlockSyntax *b,
                      int mvx, int mvy, uint8_t *dst[3], const ptrdiff_t dst_stride[3])
{
    for (int p = 0; p < 3; p++) {
        int s = p ? 1 : 0, bn = n >> s, px = x >> s, py = y >> s;
        int pw = fs->pw >> s, ph = fs->ph >> s;
        if (b->intra) {
            CbIntraRefs r;
            cb_intra_refs(fs->rec->data[p], fs->rec->stride[p], pw, ph, px, py, bn,
                          intra_avail(fs, x, y, n), &r);
            cb_pred_intra(fs, &r, p, px, py, bn, b->mode, dst[p], dst_stride[p]);
        } else {
            cb_mc_block(&fs->tab->mc, fs->ref->data[p], fs->ref->stride[p], pw, ph, px, py, bn, bn, mvx, mvy,
                        p != 0, dst[p], dst_stride[p]);
        }
    }
}

void cb_recon_block(CbFrameState *fs, int x, int y, int n, const CbBlockSyntax *b)
{
    int mvx = 0, mvy = 0;
    if (!b->intra)
        cb_block_mv(fs, x, y, n, b, &mvx, &mvy);
    uint8_t *dst[3];
    for (int p = 0; p < 3; p++) {
        int s = p ? 1 : 0;
        dst[p] = fs->rec->data[p] + (y >> s) * fs->rec->stride[p] + (x >> s);
    }
    cb_predict_block(fs, x, y, n, b, mvx, mvy, dst, fs->rec->stride);
    for (int p = 0; p < 3; p++) {
        if (!b->cbf[p])
            continue;
        int bn = p ? n / 2 : n;
        const CbBasis *v, *h;
        if (p == 0)
            cb_luma_bases(fs, n, b->intra, &v, &h);
        else
            v = h = &fs->tab->dct[cb_size_index(bn)];
        int32_t coef[256];
        int16_t res[256];
        cb_dequant_block(b->level[p], bn, fs->qp, coef);
        cb_inv_block(fs, v, h, p, x >> (p ? 1 : 0), y >> (p ? 1 : 0), b->intra ? b->mode : -1,
                     coef, res, bn);
        for (int j = 0; j < bn; j++)
            for (int i = 0; i < bn; i++) {
                int val = dst[p][j * fs->rec->stride[p] + i] + res[j * bn + i];
                dst[p][j * fs->rec->stride[p] + i] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val);
            }
    }
    int32_t id = fs->next_block++;
    for (int j = y >> 2; j < (y + n) >> 2; j++)
        for (int i = x >> 2; i < (x + n) >> 2; i++) {
            CbUnit *u = &fs->units[j * fs->uw + i];
            u->coded_frame = 1;
            u->intra = (uint8_t)b->intra;
            u->skip = (uint8_t)b->skip;
            u->mode = (uint8_t)(b->intra ? b->mode : 0);
            u->mvx = mvx;
            u->mvy = mvy;
            u->cbf_y = (uint8_t)b->cbf[0];
            u->block = id;
        }
}

void cb_loop_deblock(CbFrameState *fs)
{
    if (!fs->seq->deblock)
        return;
    size_t n = (size_t)fs->uw * (size_t)fs->uh;
    CbDeblockUnit *du = fs->dunits;
    for (size_t i = 0; i < n; i++) {
        const CbUnit *u = &fs->units[i];
        /* Vectors are clamped to int16 for the filter, which only asks
         * whether neighbours differ by a pixel or more. */
        int mx = u->mvx < -32768 ? -32768 : u->mvx > 32767 ? 32767 : u->mvx;
        int my = u->mvy < -32768 ? -32768 : u->mvy > 32767 ? 32767 : u->mvy;
        du[i] = (CbDeblockUnit){u->intra, u->cbf_y, (int16_t)mx, (int16_t)my, u->block};
    }
    cb_deblock_frame(fs->rec, du, fs->uw, fs->uh, fs->qp);
}

void cb_loop_stage(CbFrameState *fs)
{
    if (fs->stage && fs->stage->loop_filter)
        cb_engine_stage_loop_filter(fs->stage, fs->rec, fs->pw, fs->ph, fs->qp, fs->type);
}

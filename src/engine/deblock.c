/* codecbench engine: the in-loop deblocking filter (decoder path).
 * The semantics are stated in deblock.h; this file follows H.265 clause
 * 8.7.2.5 for the per-segment decisions and filters. */
#include "engine/deblock.h"

#include <stddef.h>

#include "codecbench/error.h"

/* beta' by Q = 0..51 and tc' by Q = 0..53: ITU-T H.265, clause 8.7.2.5.3,
 * table "Derivation of threshold variables beta' and tc' from input Q"
 * (Table 8-10 in the 04/2013 edition).  8-bit video uses them unscaled. */
static const uint8_t beta_table[52] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  6,  7,
    8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 22, 24, 26, 28, 30, 32,
    34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64,
};
static const uint8_t tc_table[54] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0,  1,  1,  1,  1,  1,  1,  1,  1, 1,
    2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 8,  9, 10, 11, 13, 14, 16, 18, 20, 22, 24,
};
/* QpC by qPi = 0..57 for 4:2:0: ITU-T H.265 clause 8.6.1, table
 * "Specification of QpC as a function of qPi" (qPi < 30: QpC = qPi;
 * qPi > 43: QpC = qPi - 6).  Only 0..51 is reachable here. */
static const uint8_t qpc_table[52] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
    18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 29, 30, 31, 32, 33, 33,
    34, 34, 35, 35, 36, 36, 37, 37, 38, 39, 40, 41, 42, 43, 44, 45,
};

static int clip3(int lo, int hi, int v) { return v < lo ? lo : v > hi ? hi : v; }
static uint8_t clip1(int v) { return (uint8_t)clip3(0, 255, v); }
static int iabs(int v) { return v < 0 ? -v : v; }
/* Arithmetic (floor) right shift: C leaves >> of a negative value
 * implementation-defined; ~v is non-negative when v is negative. */
static int asr(int v, int s) { return v >= 0 ? v >> s : ~(~v >> s); }

int cb_deblock_bs(const CbDeblockUnit *p, const CbDeblockUnit *q)
{
    if (p->intra || q->intra)
        return 2;
    if (p->coded || q->coded)
        return 1;
    /* int16 operands: the differences fit in int. */
    if (iabs((int)p->mvx - (int)q->mvx) >= CB_DEBLOCK_MV_THRESH ||
        iabs((int)p->mvy - (int)q->mvy) >= CB_DEBLOCK_MV_THRESH)
        return 1;
    return 0;
}

/* Sample i on the P side (i = 0 next to the edge) and on the Q side of the
 * line starting at q0 = pix; xs steps across the edge. */
#define P(i) pix[-((i) + 1) * xs]
#define Q(i) pix[(i) * xs]

/* HEVC strong-filter decision for one line (8.7.2.5.6): dpq is 2 * the
 * line's second-difference sum. */
static int strong_line(const uint8_t *pix, ptrdiff_t xs, int dpq, int beta, int tc)
{
    return dpq < (beta >> 2) && iabs(P(3) - P(0)) + iabs(Q(0) - Q(3)) < (beta >> 3) &&
           iabs(P(0) - Q(0)) < ((5 * tc + 1) >> 1);
}

/* One luma segment of n (1..4) lines, each line crossing the edge; pix0 is
 * q0 of the first line, ys steps along the edge.  Decisions use the first
 * and last line (HEVC: lines 0 and 3). */
static void luma_segment(uint8_t *pix0, ptrdiff_t xs, ptrdiff_t ys, int n, int bs, int qp)
{
    int beta = beta_table[clip3(0, 51, qp)];
    int tc = tc_table[clip3(0, 53, qp + 2 * (bs - 1))];
    if (!beta || !tc)
        return;
    const uint8_t *l0 = pix0, *l3 = pix0 + (ptrdiff_t)(n - 1) * ys;
    int dp0, dq0, dp3, dq3, strong0, strong3;
    {
        const uint8_t *pix = l0;
        dp0 = iabs(P(2) - 2 * P(1) + P(0));
        dq0 = iabs(Q(2) - 2 * Q(1) + Q(0));
        strong0 = strong_line(pix, xs, 2 * (dp0 + dq0), beta, tc);
    }
    {
        const uint8_t *pix = l3;
        dp3 = iabs(P(2) - 2 * P(1) + P(0));
        dq3 = iabs(Q(2) - 2 * Q(1) + Q(0));
        strong3 = strong_line(pix, xs, 2 * (dp3 + dq3), beta, tc);
    }
    int d = dp0 + dq0 + dp3 + dq3;
    if (d >= beta)
        return; /* texture across the edge: a real edge, leave it */
    int strong = strong0 && strong3;
    int side = (beta + (beta >> 1)) >> 3;
    int dep = dp0 + dp3 < side, deq = dq0 + dq3 < side;
    for (int l = 0; l < n; l++) {
        uint8_t *pix = pix0 + (ptrdiff_t)l * ys;
        int p0 = P(0), p1 = P(1), p2 = P(2), p3 = P(3);
        int q0 = Q(0), q1 = Q(1), q2 = Q(2), q3 = Q(3);
        if (strong) {
            int t2 = 2 * tc;
            P(0) = (uint8_t)clip3(p0 - t2, p0 + t2, (p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1 + 4) >> 3);
            P(1) = (uint8_t)clip3(p1 - t2, p1 + t2, (p2 + p1 + p0 + q0 + 2) >> 2);
            P(2) = (uint8_t)clip3(p2 - t2, p2 + t2, (2 * p3 + 3 * p2 + p1 + p0 + q0 + 4) >> 3);
            Q(0) = (uint8_t)clip3(q0 - t2, q0 + t2, (p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2 + 4) >> 3);
            Q(1) = (uint8_t)clip3(q1 - t2, q1 + t2, (p0 + q0 + q1 + q2 + 2) >> 2);
            Q(2) = (uint8_t)clip3(q2 - t2, q2 + t2, (p0 + q0 + q1 + 3 * q2 + 2 * q3 + 4) >> 3);
            /* Each weighted mean is in 0..255, so clipping it to a window
             * around the old sample also gives 0..255: a bound is only
             * taken when it lies between the mean and the old sample. */
        } else {
            int delta = asr(9 * (q0 - p0) - 3 * (q1 - p1) + 8, 4);
            if (iabs(delta) >= tc * 10)
                continue; /* a natural edge on this line */
            delta = clip3(-tc, tc, delta);
            P(0) = clip1(p0 + delta);
            Q(0) = clip1(q0 - delta);
            int tc2 = tc >> 1;
            if (dep)
                P(1) = clip1(p1 + clip3(-tc2, tc2, asr(((p2 + p0 + 1) >> 1) - p1 + delta, 1)));
            if (deq)
                Q(1) = clip1(q1 + clip3(-tc2, tc2, asr(((q2 + q0 + 1) >> 1) - q1 - delta, 1)));
        }
    }
}

/* n (1..2) chroma lines of a bS 2 edge (8.7.2.5.5). */
static void chroma_segment(uint8_t *pix0, ptrdiff_t xs, ptrdiff_t ys, int n, int qp)
{
    int tc = tc_table[clip3(0, 53, qpc_table[clip3(0, 51, qp)] + 2)];
    if (!tc)
        return;
    for (int l = 0; l < n; l++) {
        uint8_t *pix = pix0 + (ptrdiff_t)l * ys;
        int p0 = P(0), p1 = P(1), q0 = Q(0), q1 = Q(1);
        int delta = clip3(-tc, tc, asr(((q0 - p0) * 4) + p1 - q1 + 4, 3));
        P(0) = clip1(p0 + delta);
        Q(0) = clip1(q0 - delta);
    }
}

#undef P
#undef Q

typedef struct Grid {
    const CbDeblockUnit *units;
    int uw;
} Grid;

static const CbDeblockUnit *unit_at(const Grid *g, int ux, int uy)
{
    return &g->units[(size_t)uy * (size_t)g->uw + (size_t)ux];
}

/* bS across the edge between units a and b, 0 inside one block. */
static int edge_bs(const Grid *g, int ax, int ay, int bx, int by)
{
    const CbDeblockUnit *a = unit_at(g, ax, ay), *b = unit_at(g, bx, by);
    if (a->block == b->block)
        return 0;
    return cb_deblock_bs(a, b);
}

static int imin(int a, int b) { return a < b ? a : b; }

static void deblock_luma(uint8_t *pl, ptrdiff_t st, int w, int h, const Grid *g, int qp)
{
    /* Vertical edges: the Q side needs 4 columns inside the picture. */
    for (int x = CB_DEBLOCK_GRID; x + 4 <= w; x += CB_DEBLOCK_GRID)
        for (int uy = 0; uy * CB_DEBLOCK_UNIT < h; uy++) {
            int ux = x / CB_DEBLOCK_UNIT;
            int bs = edge_bs(g, ux - 1, uy, ux, uy);
            if (bs) {
                int y0 = uy * CB_DEBLOCK_UNIT;
                luma_segment(pl + (ptrdiff_t)y0 * st + x, 1, st, imin(4, h - y0), bs, qp);
            }
        }
    /* Then horizontal edges, on the vertically filtered samples. */
    for (int y = CB_DEBLOCK_GRID; y + 4 <= h; y += CB_DEBLOCK_GRID)
        for (int ux = 0; ux * CB_DEBLOCK_UNIT < w; ux++) {
            int uy = y / CB_DEBLOCK_UNIT;
            int bs = edge_bs(g, ux, uy - 1, ux, uy);
            if (bs) {
                int x0 = ux * CB_DEBLOCK_UNIT;
                luma_segment(pl + (ptrdiff_t)y * st + x0, st, 1, imin(4, w - x0), bs, qp);
            }
        }
}

/* One chroma plane of cw x ch: luma edge x maps to chroma x / 2, a luma
 * unit (4 luma lines) covers 2 chroma lines. */
static void deblock_chroma(uint8_t *pl, ptrdiff_t st, int cw, int ch, const Grid *g, int qp)
{
    for (int x = CB_DEBLOCK_GRID; x / 2 + 2 <= cw; x += CB_DEBLOCK_GRID)
        for (int uy = 0; uy * 2 < ch; uy++) {
            int ux = x / CB_DEBLOCK_UNIT;
            if (edge_bs(g, ux - 1, uy, ux, uy) == 2) {
                int cy = uy * 2;
                chroma_segment(pl + (ptrdiff_t)cy * st + x / 2, 1, st, imin(2, ch - cy), qp);
            }
        }
    for (int y = CB_DEBLOCK_GRID; y / 2 + 2 <= ch; y += CB_DEBLOCK_GRID)
        for (int ux = 0; ux * 2 < cw; ux++) {
            int uy = y / CB_DEBLOCK_UNIT;
            if (edge_bs(g, ux, uy - 1, ux, uy) == 2) {
                int cx = ux * 2;
                chroma_segment(pl + (ptrdiff_t)(y / 2) * st + cx, st, 1, imin(2, cw - cx), qp);
            }
        }
}

int cb_deblock_frame(CbFrame *f, const CbDeblockUnit *units, int units_w, int units_h, int qp)
{
    if (!f || !units || f->width < 1 || f->height < 1 || f->width > CB_FRAME_MAX_DIM ||
        f->height > CB_FRAME_MAX_DIM || !f->data[0] || !f->data[1] || !f->data[2])
        return CB_EINVAL;
    if (qp < CB_DEBLOCK_QP_MIN || qp > CB_DEBLOCK_QP_MAX)
        return CB_EINVAL;
    int need_w = (f->width + CB_DEBLOCK_UNIT - 1) / CB_DEBLOCK_UNIT;
    int need_h = (f->height + CB_DEBLOCK_UNIT - 1) / CB_DEBLOCK_UNIT;
    if (units_w < need_w || units_h < need_h)
        return CB_EINVAL;
    Grid g = {units, units_w};
    deblock_luma(f->data[0], f->stride[0], f->width, f->height, &g, qp);
    for (int p = 1; p < 3; p++)
        deblock_chroma(f->data[p], f->stride[p], cb_plane_width(f->width, p),
                       cb_plane_height(f->height, p), &g, qp);
    return CB_OK;
}

/* codecbench engine: motion estimation (see me.h). */
#include "engine/me.h"

#include "engine/dsp_x86.h"

#include <assert.h>
#include <stdlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- Distortion kernels -------------------------------------------------- */

uint32_t cb_sad_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w, int h)
{
    uint32_t sum = 0;
    for (int j = 0; j < h; j++, a += as, b += bs)
        for (int i = 0; i < w; i++)
            sum += (uint32_t)abs(a[i] - b[i]);
    return sum;
}

/* One 4x4 block: rows then columns of the 4-point Hadamard transform
 * (butterflies, unnormalised), sum of magnitudes, halved.  Values stay
 * within 16 * 255 in magnitude. */
static uint32_t satd_4x4(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    int d[4][4];
    for (int j = 0; j < 4; j++) {
        const int d0 = a[j * as + 0] - b[j * bs + 0], d1 = a[j * as + 1] - b[j * bs + 1];
        const int d2 = a[j * as + 2] - b[j * bs + 2], d3 = a[j * as + 3] - b[j * bs + 3];
        const int s01 = d0 + d1, t01 = d0 - d1, s23 = d2 + d3, t23 = d2 - d3;
        d[j][0] = s01 + s23;
        d[j][1] = s01 - s23;
        d[j][2] = t01 + t23;
        d[j][3] = t01 - t23;
    }
    int sum = 0;
    for (int i = 0; i < 4; i++) {
        const int s01 = d[0][i] + d[1][i], t01 = d[0][i] - d[1][i];
        const int s23 = d[2][i] + d[3][i], t23 = d[2][i] - d[3][i];
        sum += abs(s01 + s23) + abs(s01 - s23) + abs(t01 + t23) + abs(t01 - t23);
    }
    return (uint32_t)sum >> 1;
}

uint32_t cb_satd_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w, int h)
{
    assert(w % 4 == 0 && h % 4 == 0);
    uint32_t sum = 0;
    for (int j = 0; j < h; j += 4)
        for (int i = 0; i < w; i += 4)
            sum += satd_4x4(a + j * as + i, as, b + j * bs + i, bs);
    return sum;
}

#if defined(__SSE2__)
/* SSE2 SAD for widths 8 and 16 (psadbw); other widths use the reference. */
static uint32_t sad_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w,
                         int h)
{
    __m128i acc = _mm_setzero_si128();
    if (w == 16) {
        for (int j = 0; j < h; j++, a += as, b += bs)
            acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadu_si128((const __m128i *)a),
                                                  _mm_loadu_si128((const __m128i *)b)));
    } else if (w == 8) {
        for (int j = 0; j < h; j++, a += as, b += bs)
            acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadl_epi64((const __m128i *)a),
                                                  _mm_loadl_epi64((const __m128i *)b)));
    } else {
        return cb_sad_c(a, as, b, bs, w, h);
    }
    /* Two 64-bit lanes, each at most 8 * 255 * 16. */
    return (uint32_t)_mm_cvtsi128_si32(acc) + (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(acc, 8));
}
#endif

void cb_me_dsp_init(CbMeDsp *dsp, unsigned flags)
{
    cb_mc_dsp_init(&dsp->mc, flags);
    dsp->sad = cb_sad_c;
    dsp->satd = cb_satd_c;
    if (flags & CB_PRED_DSP_REFERENCE)
        return;
#if defined(__SSE2__)
    dsp->sad = sad_sse2;
#endif
    /* SATD in SSE2 / AVX2 where the CPU has them (me_x86.c). */
    cb_me_dsp_init_x86(dsp, cb_engine_cpu_isa());
}

/* ---- Search -------------------------------------------------------------- */

/* Integer vectors stay within this many samples (so that 4 v + 3 fits
 * int16_t; CB_ME_MAX_MV). */
#define MAX_INT_MV 8190

int cb_me_mv_bits(int d)
{
    /* |d| + 1 in unsigned so that INT_MIN is harmless. */
    unsigned u = (d < 0 ? 0u - (unsigned)d : (unsigned)d) + 1u;
    int lg = 0;
    while (u >>= 1)
        lg++;
    return 2 * lg + 1;
}

typedef struct Search {
    const CbMeDsp *dsp;
    const uint8_t *cur, *ref;
    ptrdiff_t cs, rs;
    int pw, ph, x, y, bw, bh;
    CbMv pred;
    int lambda_q8;
    int lo_x, hi_x, lo_y, hi_y; /* allowed integer vectors, full samples */
} Search;

static uint32_t mv_cost(const Search *s, int qx, int qy)
{
    const int64_t bits = cb_me_mv_bits(qx - s->pred.x) + cb_me_mv_bits(qy - s->pred.y);
    /* lambda_q8 <= 1 << 24 and bits <= 66, so this stays far below 2^32. */
    return (uint32_t)((s->lambda_q8 * bits + 128) >> 8);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* SAD cost of the integer vector (vx, vy) in full samples; UINT32_MAX
 * outside the allowed window. */
static uint32_t int_cost(const Search *s, int vx, int vy)
{
    if (vx < s->lo_x || vx > s->hi_x || vy < s->lo_y || vy > s->hi_y)
        return UINT32_MAX;
    const uint8_t *c = s->cur + s->y * s->cs + s->x;
    const int rx = s->x + vx, ry = s->y + vy;
    uint32_t d;
    if (rx >= 0 && ry >= 0 && rx + s->bw <= s->pw && ry + s->bh <= s->ph) {
        d = s->dsp->sad(c, s->cs, s->ref + ry * s->rs + rx, s->rs, s->bw, s->bh);
    } else {
        uint8_t pred[CB_MC_MAX_BLOCK * CB_MC_MAX_BLOCK];
        cb_mc_block(&s->dsp->mc, s->ref, s->rs, s->pw, s->ph, s->x, s->y, s->bw, s->bh, 4 * vx,
                    4 * vy, 0, pred, CB_MC_MAX_BLOCK);
        d = s->dsp->sad(c, s->cs, pred, CB_MC_MAX_BLOCK, s->bw, s->bh);
    }
    return d + mv_cost(s, 4 * vx, 4 * vy);
}

/* SATD cost of the quarter-sample vector (qx, qy). */
static uint32_t sub_cost(const Search *s, int qx, int qy)
{
    uint8_t pred[CB_MC_MAX_BLOCK * CB_MC_MAX_BLOCK];
    cb_mc_block(&s->dsp->mc, s->ref, s->rs, s->pw, s->ph, s->x, s->y, s->bw, s->bh, qx, qy, 0, pred,
                CB_MC_MAX_BLOCK);
    const uint8_t *c = s->cur + s->y * s->cs + s->x;
    return s->dsp->satd(c, s->cs, pred, CB_MC_MAX_BLOCK, s->bw, s->bh) + mv_cost(s, qx, qy);
}

/* Round a quarter-sample component to full samples (to nearest, halves
 * towards +infinity), without shifting negative values. */
static int qpel_to_full(int q)
{
    int r = (q + 2) % 4;
    if (r < 0)
        r += 4;
    return (q + 2 - r) / 4;
}

typedef struct Best {
    int x, y;
    uint32_t cost;
} Best;

static void try_int(const Search *s, Best *b, int vx, int vy)
{
    const uint32_t c = int_cost(s, vx, vy);
    if (c < b->cost) {
        b->x = vx;
        b->y = vy;
        b->cost = c;
    }
}

/* Walks a pattern of n offsets from the best vector while one improves on
 * it; every move lowers the cost, so at most `limit` moves are needed to
 * leave any window; limit bounds the work in all cases. */
static void walk(const Search *s, Best *b, const int (*pat)[2], int n, int limit)
{
    for (int it = 0; it < limit; it++) {
        const int cx = b->x, cy = b->y;
        for (int k = 0; k < n; k++)
            try_int(s, b, cx + pat[k][0], cy + pat[k][1]);
        if (b->x == cx && b->y == cy)
            break;
    }
}

/* Small diamond, large hexagon (x264's hex search) and the 8-neighbour
 * square refinement, as (dx, dy) in full samples. */
static const int DIAMOND[4][2] = {{0, -1}, {-1, 0}, {1, 0}, {0, 1}};
static const int HEXAGON[6][2] = {{-2, 0}, {-1, -2}, {1, -2}, {2, 0}, {1, 2}, {-1, 2}};
static const int SQUARE[8][2] = {{-1, -1}, {0, -1}, {1, -1}, {-1, 0},
                                 {1, 0},   {-1, 1}, {0, 1},  {1, 1}};

CbMv cb_me_search(const CbMeDsp *dsp, const CbMeParams *p, const uint8_t *cur, ptrdiff_t cs,
                  const uint8_t *ref, ptrdiff_t rs, int pw, int ph, int x, int y, int bw, int bh,
                  const CbMv *cands, int n_cands, CbMv pred, uint32_t *cost)
{
    assert(bw >= 4 && bw <= CB_MC_MAX_BLOCK && bw % 4 == 0);
    assert(bh >= 4 && bh <= CB_MC_MAX_BLOCK && bh % 4 == 0);
    assert(x >= 0 && y >= 0 && x + bw <= pw && y + bh <= ph);
    assert(n_cands >= 0 && (n_cands == 0 || cands));
    const int range = clampi(p->range, 0, CB_ME_MAX_RANGE);
    Search s = {.dsp = dsp,
                .cur = cur,
                .ref = ref,
                .cs = cs,
                .rs = rs,
                .pw = pw,
                .ph = ph,
                .x = x,
                .y = y,
                .bw = bw,
                .bh = bh,
                .pred = pred,
                .lambda_q8 = clampi(p->lambda_q8, 0, 1 << 24)};
    /* Beyond bw + 4 samples outside the picture (4 = the 8-tap filter's
     * reach) every prediction is the replicated edge. */
    s.lo_x = -clampi(x + bw + 4, 0, MAX_INT_MV);
    s.hi_x = clampi(pw - x + 4, 0, MAX_INT_MV);
    s.lo_y = -clampi(y + bh + 4, 0, MAX_INT_MV);
    s.hi_y = clampi(ph - y + 4, 0, MAX_INT_MV);

    /* Predictors: pred first, then the caller's candidates. */
    Best b = {0, 0, UINT32_MAX};
    for (int k = -1; k < n_cands; k++) {
        const CbMv c = k < 0 ? pred : cands[k];
        try_int(&s, &b, clampi(qpel_to_full(c.x), s.lo_x, s.hi_x),
                clampi(qpel_to_full(c.y), s.lo_y, s.hi_y));
    }

    /* The window: range around the best predictor. */
    const int cx = b.x, cy = b.y;
    s.lo_x = clampi(cx - range, s.lo_x, s.hi_x);
    s.hi_x = clampi(cx + range, s.lo_x, s.hi_x);
    s.lo_y = clampi(cy - range, s.lo_y, s.hi_y);
    s.hi_y = clampi(cy + range, s.lo_y, s.hi_y);
    /* Each move of a pattern lowers the cost and moves at least one sample,
     * so 4 * range + 2 moves suffice to cross the window. */
    const int limit = 4 * range + 2;

    switch (p->method) {
    case CB_SEARCH_FULL:
        for (int vy = s.lo_y; vy <= s.hi_y; vy++)
            for (int vx = s.lo_x; vx <= s.hi_x; vx++)
                try_int(&s, &b, vx, vy);
        break;
    case CB_SEARCH_HEX:
        walk(&s, &b, HEXAGON, 6, limit);
        walk(&s, &b, SQUARE, 8, 1);
        break;
    case CB_SEARCH_DIAMOND:
    default: walk(&s, &b, DIAMOND, 4, limit); break;
    }

    int qx = 4 * b.x, qy = 4 * b.y;
    uint32_t best = b.cost;
    if (p->subpel != CB_SUBPEL_FULL) {
        best = sub_cost(&s, qx, qy);
        /* Half samples (step 2), then quarter samples (step 1). */
        for (int step = 2; step >= (p->subpel == CB_SUBPEL_QUARTER ? 1 : 2); step--) {
            const int ox = qx, oy = qy;
            for (int k = 0; k < 8; k++) {
                const int tx = ox + step * SQUARE[k][0], ty = oy + step * SQUARE[k][1];
                const uint32_t c = sub_cost(&s, tx, ty);
                if (c < best) {
                    best = c;
                    qx = tx;
                    qy = ty;
                }
            }
        }
    }
    if (cost)
        *cost = best;
    return (CbMv){(int16_t)qx, (int16_t)qy};
}

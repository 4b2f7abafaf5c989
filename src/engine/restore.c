/* codecbench engine: the learned restoration filter.  Semantics in
 * restore.h.  The decoder path (shapes, apply) is integer; the fit and the
 * decisions below it use double, BLAS and LAPACK. */
#include "engine/restore.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/frame.h"

/* ---- Shapes (decoder path) ---------------------------------------------- */

typedef struct Shape {
    int ncoded;         /* coded taps: ntaps - 1 */
    int radius;         /* samples read on each side, both directions */
    int8_t dy[12], dx[12]; /* one sample of each symmetric pair, VVC order */
} Shape;

/* Offsets of c0..c11 (luma) and c0..c5 (chroma) as drawn in restore.h; the
 * partner of each is the point reflection (-dy, -dx). */
static const Shape luma_shape = {
    12, 3,
    {-3, -2, -2, -2, -1, -1, -1, -1, -1, 0, 0, 0},
    {0, -1, 0, 1, -2, -1, 0, 1, 2, -3, -2, -1},
};
static const Shape chroma_shape = {
    6, 2,
    {-2, -1, -1, -1, 0, 0},
    {0, -1, 0, 1, -2, -1},
};

static const Shape *shape_of(int chroma) { return chroma ? &chroma_shape : &luma_shape; }
static int ntaps_of(int chroma) { return chroma ? CB_RESTORE_CHROMA_TAPS : CB_RESTORE_LUMA_TAPS; }

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
/* Floor division by 2^s: >> of a negative int is implementation-defined. */
static int asr(int v, int s) { return v >= 0 ? v >> s : ~(~v >> s); }

void cb_restore_identity(CbRestoreFilter *f, int chroma)
{
    memset(f, 0, sizeof *f);
    f->enabled = 1;
    f->ntaps = ntaps_of(chroma);
    f->coef[f->ntaps - 1] = CB_RESTORE_ONE;
}

/* The derived centre in int: for coded values in range it is within
 * -2920..3200 (see restore.h), so it fits int16 too. */
static int centre_of(const CbRestoreFilter *f)
{
    int sum = 0;
    for (int k = 0; k < f->ntaps - 1; k++)
        sum += f->coef[k];
    return CB_RESTORE_ONE - 2 * sum;
}

void cb_restore_derive_centre(CbRestoreFilter *f)
{
    f->coef[f->ntaps - 1] = (int16_t)centre_of(f);
}

int cb_restore_check(const CbRestoreFilter *f, int chroma)
{
    if (!f || f->ntaps != ntaps_of(chroma))
        return CB_EINVAL;
    for (int k = 0; k < f->ntaps - 1; k++)
        if (f->coef[k] < CB_RESTORE_COEF_MIN || f->coef[k] > CB_RESTORE_COEF_MAX)
            return CB_EINVAL;
    return f->coef[f->ntaps - 1] == centre_of(f) ? CB_OK : CB_EINVAL;
}

size_t cb_restore_regions(int pw, int ph, int region_size, int *nx, int *ny)
{
    if (pw < 1 || ph < 1 || region_size < 1)
        return 0;
    int x = (int)(((long)pw + region_size - 1) / region_size);
    int y = (int)(((long)ph + region_size - 1) / region_size);
    if (nx)
        *nx = x;
    if (ny)
        *ny = y;
    return (size_t)x * (size_t)y;
}

/* Rows y - radius .. y + radius of the plane, clamped to the picture. */
static void row_pointers(const uint8_t *src, ptrdiff_t ss, int ph, int y, int radius,
                         const uint8_t **rows)
{
    for (int d = -radius; d <= radius; d++)
        rows[d + radius] = src + (ptrdiff_t)clampi(y + d, 0, ph - 1) * ss;
}

/* Filters samples x0..x1-1 of row y (rows from row_pointers) into out[x0..].
 * The inner loop is free of clamping where every tap lies inside the row. */
static void filter_span(const uint8_t *const *rows, int pw, int x0, int x1, const Shape *sh,
                        const int16_t *c, uint8_t *out)
{
    const int r = sh->radius;
    const uint8_t *mid = rows[r];
    for (int x = x0; x < x1; x++) {
        int centre = mid[x], acc = 0;
        if (x >= r && x + r < pw) {
            for (int k = 0; k < sh->ncoded; k++) {
                int a = rows[r + sh->dy[k]][x + sh->dx[k]];
                int b = rows[r - sh->dy[k]][x - sh->dx[k]];
                acc += c[k] * (a + b - 2 * centre);
            }
        } else {
            for (int k = 0; k < sh->ncoded; k++) {
                int a = rows[r + sh->dy[k]][clampi(x + sh->dx[k], 0, pw - 1)];
                int b = rows[r - sh->dy[k]][clampi(x - sh->dx[k], 0, pw - 1)];
                acc += c[k] * (a + b - 2 * centre);
            }
        }
        /* |acc| <= 12 * 128 * 510 for valid filters: no overflow. */
        out[x] = (uint8_t)clampi(centre + asr(acc + CB_RESTORE_ONE / 2, CB_RESTORE_SHIFT), 0, 255);
    }
}

static int plane_ok(int pw, int ph)
{
    return pw >= 1 && ph >= 1 && pw <= CB_FRAME_MAX_DIM && ph <= CB_FRAME_MAX_DIM;
}

int cb_restore_apply(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int pw, int ph,
                     int chroma, const CbRestoreFilter *f, const uint8_t *region_on,
                     int region_size)
{
    if (!src || !dst || !plane_ok(pw, ph) || ss < pw || ds < pw || region_size < 1 ||
        region_size > CB_FRAME_MAX_DIM || cb_restore_check(f, chroma) != CB_OK)
        return CB_EINVAL;
    const Shape *sh = shape_of(chroma);
    int nx = 0;
    cb_restore_regions(pw, ph, region_size, &nx, NULL);
    const uint8_t *rows[7];
    for (int y = 0; y < ph; y++) {
        const uint8_t *srow = src + (ptrdiff_t)y * ss;
        uint8_t *drow = dst + (ptrdiff_t)y * ds;
        if (!f->enabled) {
            memcpy(drow, srow, (size_t)pw);
            continue;
        }
        row_pointers(src, ss, ph, y, sh->radius, rows);
        const uint8_t *flags = region_on ? region_on + (size_t)(y / region_size) * (size_t)nx : NULL;
        for (int rx = 0; rx < nx; rx++) {
            int x0 = rx * region_size, x1 = x0 + region_size < pw ? x0 + region_size : pw;
            if (!flags || flags[rx])
                filter_span(rows, pw, x0, x1, sh, f->coef, drow);
            else
                memcpy(drow + x0, srow + x0, (size_t)(x1 - x0));
        }
    }
    return CB_OK;
}

/* ---- Fitting (encoder) --------------------------------------------------- */

/* Samples per BLAS batch.  The autocorrelation update A += X^T X is a
 * rank-k update; cblas_dsyrk does it on one triangle only (half the flops
 * of the n x n outer products) in cache-blocked, vectorised form, where a
 * per-sample loop would do n(n+1)/2 scalar multiply-adds with a dependency
 * on A for each sample.  1024 x 12 doubles (96 KiB) keeps the batch in L2
 * and makes the per-call overhead negligible. */
#define FIT_BATCH 1024
/* Ridge, in per-sample units (features are sample differences, so A/N is in
 * pixel^2): a relative term, 1e-3 of the mean diagonal, which biases
 * well-determined coefficients by about 0.1% only, plus an absolute floor of
 * 1e-3 pixel^2 that keeps A + lambda I positive definite when every
 * feature vanishes (flat or linear-ramp planes). */
#define FIT_RIDGE_REL 1e-3
#define FIT_RIDGE_ABS 1e-3
/* Passes of the +-1 refinement of the quantised coefficients (each pass
 * tries every coefficient; it stops early once nothing improves). */
#define FIT_REFINE_PASSES 8

typedef struct Accum {
    int n;             /* features */
    double A[12 * 12]; /* row-major, upper triangle valid */
    double b[12];
    double tt;         /* sum of target^2 = SSE of rec */
    int64_t count;
    double *X, *t;     /* batch: FIT_BATCH x n features, FIT_BATCH targets */
    int fill;
} Accum;

static void accum_flush(Accum *ac)
{
    if (!ac->fill)
        return;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, ac->n, ac->fill, 1.0, ac->X, ac->n, 1.0,
                ac->A, ac->n);
    cblas_dgemv(CblasRowMajor, CblasTrans, ac->fill, ac->n, 1.0, ac->X, ac->n, ac->t, 1, 1.0,
                ac->b, 1);
    for (int i = 0; i < ac->fill; i++)
        ac->tt += ac->t[i] * ac->t[i];
    ac->count += ac->fill;
    ac->fill = 0;
}

/* Features of sample (x, y): a_k + b_k - 2r with the clamped padding of
 * cb_restore_apply, so the model matches the decoder exactly. */
static void features(const uint8_t *const *rows, int pw, int x, const Shape *sh, double *out)
{
    const int r = sh->radius;
    int centre = rows[r][x];
    for (int k = 0; k < sh->ncoded; k++) {
        int a = rows[r + sh->dy[k]][clampi(x + sh->dx[k], 0, pw - 1)];
        int b = rows[r - sh->dy[k]][clampi(x - sh->dx[k], 0, pw - 1)];
        out[k] = (double)(a + b - 2 * centre);
    }
}

static int region_flag(const uint8_t *region_on, int nx, int region_size, int x, int y)
{
    return !region_on || region_on[(size_t)(y / region_size) * (size_t)nx + (size_t)(x / region_size)];
}

/* Model SSE per sample minus E[t^2] for coefficients c (multiples of 1.0)
 * given the per-sample moments: c^T A c - 2 c.b.  Unrounded, unclipped. */
static double quad_cost(const double *A, const double *b, int n, const double *c)
{
    double cost = 0;
    for (int i = 0; i < n; i++) {
        double row = 0;
        for (int j = 0; j < n; j++)
            row += A[i * n + j] * c[j];
        cost += c[i] * (row - 2 * b[i]);
    }
    return cost;
}

/* The same for integer coefficients q in units of 1/128. */
static double model_cost(const double *A, const double *b, int n, const int *q)
{
    double c[12];
    for (int i = 0; i < n; i++)
        c[i] = q[i] / (double)CB_RESTORE_ONE;
    return quad_cost(A, b, n, c);
}

int cb_restore_fit(const uint8_t *orig, ptrdiff_t os, const uint8_t *rec, ptrdiff_t rs, int pw,
                   int ph, int chroma, const uint8_t *region_on, int region_size,
                   CbRestoreFilter *f, CbRestoreFitStats *stats, CbError *err)
{
    if (!orig || !rec || !f || !plane_ok(pw, ph) || os < pw || rs < pw ||
        (region_on && (region_size < 1 || region_size > CB_FRAME_MAX_DIM)))
        return cb_error_set(err, CB_EINVAL, "restoration fit: bad arguments (plane %dx%d)", pw, ph);
    const Shape *sh = shape_of(chroma);
    const int n = sh->ncoded;
    int ret = CB_OK, nx = 0;
    uint8_t *line = NULL;
    Accum *ac = calloc(1, sizeof *ac);
    if (!ac)
        return cb_error_set(err, CB_ENOMEM, "restoration fit: out of memory");
    ac->n = n;
    ac->X = malloc(sizeof(double) * FIT_BATCH * (size_t)n);
    ac->t = malloc(sizeof(double) * FIT_BATCH);
    line = malloc((size_t)pw);
    if (!ac->X || !ac->t || !line) {
        ret = cb_error_set(err, CB_ENOMEM, "restoration fit: out of memory");
        goto fail;
    }
    if (region_on)
        cb_restore_regions(pw, ph, region_size, &nx, NULL);

    /* Accumulate the moments. */
    const uint8_t *rows[7];
    for (int y = 0; y < ph; y++) {
        row_pointers(rec, rs, ph, y, sh->radius, rows);
        const uint8_t *orow = orig + (ptrdiff_t)y * os;
        for (int x = 0; x < pw; x++) {
            if (!region_flag(region_on, nx, region_size, x, y))
                continue;
            features(rows, pw, x, sh, ac->X + (size_t)ac->fill * (size_t)n);
            ac->t[ac->fill] = (double)(orow[x] - rows[sh->radius][x]);
            if (++ac->fill == FIT_BATCH)
                accum_flush(ac);
        }
    }
    accum_flush(ac);
    if (ac->count == 0) {
        ret = cb_error_set(err, CB_EINVAL, "restoration fit: no region to fit over");
        goto fail;
    }

    /* Per-sample moments, full symmetric A (dsyrk filled the upper part). */
    double A[144], b[12], M[144], c[12];
    const double inv = 1.0 / (double)ac->count;
    double trace = 0;
    for (int i = 0; i < n; i++) {
        for (int j = i; j < n; j++)
            A[i * n + j] = A[j * n + i] = ac->A[i * n + j] * inv;
        b[i] = ac->b[i] * inv;
        trace += A[i * n + i];
    }
    const double lambda = FIT_RIDGE_REL * trace / n + FIT_RIDGE_ABS;
    memcpy(M, A, sizeof(double) * (size_t)(n * n));
    for (int i = 0; i < n; i++) {
        M[i * n + i] += lambda;
        c[i] = b[i];
    }
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', n, 1, M, n, c, 1);
    if (info < 0) {
        ret = cb_error_set(err, CB_EEXTERNAL, "restoration fit: LAPACKE_dposv argument %d rejected",
                           (int)-info);
        goto fail;
    }
    if (info > 0) {
        ret = cb_error_set(err, CB_EINVAL,
                           "restoration fit: normal equations singular even with ridge %g "
                           "(leading minor %d)", lambda, (int)info);
        goto fail;
    }
    for (int i = 0; i < n; i++)
        if (!isfinite(c[i])) {
            ret = cb_error_set(err, CB_EINVAL, "restoration fit: non-finite solution");
            goto fail;
        }

    /* Quantise: round, clamp to the coded range, then +-1 coordinate steps
     * while the quadratic model improves (rounding each coefficient alone
     * ignores their correlation; the centre moves with every step). */
    int q[12];
    for (int i = 0; i < n; i++)
        q[i] = clampi((int)lround(fmax(-1e6, fmin(1e6, c[i] * CB_RESTORE_ONE))),
                      CB_RESTORE_COEF_MIN, CB_RESTORE_COEF_MAX);
    double best = model_cost(A, b, n, q);
    for (int pass = 0; pass < FIT_REFINE_PASSES; pass++) {
        int improved = 0;
        for (int i = 0; i < n; i++)
            for (int step = -1; step <= 1; step += 2) {
                int old = q[i];
                if (old + step < CB_RESTORE_COEF_MIN || old + step > CB_RESTORE_COEF_MAX)
                    continue;
                q[i] = old + step;
                double cost = model_cost(A, b, n, q);
                if (cost < best) {
                    best = cost;
                    improved = 1;
                } else {
                    q[i] = old;
                }
            }
        if (!improved)
            break;
    }
    memset(f, 0, sizeof *f);
    f->enabled = 1;
    f->ntaps = n + 1;
    for (int i = 0; i < n; i++)
        f->coef[i] = (int16_t)q[i];
    cb_restore_derive_centre(f);

    if (stats) {
        memset(stats, 0, sizeof *stats);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            stats->coef_float[i] = c[i];
            sum += c[i];
        }
        stats->coef_float[n] = 1.0 - 2.0 * sum;
        stats->lambda = lambda;
        stats->samples = ac->count;
        stats->sse_rec = ac->tt;
        /* Evaluated with the unregularised A. */
        stats->sse_float = ac->tt + quad_cost(A, b, n, c) * (double)ac->count;
        /* Re-evaluate the quantised filter with the decoder's arithmetic. */
        double sse = 0;
        for (int y = 0; y < ph; y++) {
            row_pointers(rec, rs, ph, y, sh->radius, rows);
            filter_span(rows, pw, 0, pw, sh, f->coef, line);
            const uint8_t *orow = orig + (ptrdiff_t)y * os;
            for (int x = 0; x < pw; x++)
                if (region_flag(region_on, nx, region_size, x, y)) {
                    int e = orow[x] - line[x];
                    sse += (double)(e * e);
                }
        }
        stats->sse_quant = sse;
    }

fail:
    free(line);
    free(ac->X);
    free(ac->t);
    free(ac);
    return ret;
}

/* ---- Decisions (encoder) ------------------------------------------------- */

int cb_restore_decide(const uint8_t *orig, ptrdiff_t os, const uint8_t *rec, ptrdiff_t rs,
                      const uint8_t *filt, ptrdiff_t fs, int pw, int ph, int region_size,
                      const CbRestoreRd *rd, uint8_t *region_on, double *delta_cost)
{
    if (delta_cost)
        *delta_cost = 0;
    if (!orig || !rec || !filt || !rd || !region_on || !plane_ok(pw, ph) || os < pw || rs < pw ||
        fs < pw || region_size < 1 || region_size > CB_FRAME_MAX_DIM ||
        !(rd->lambda >= 0) || !(rd->flag_on_bits >= 0) || !(rd->flag_off_bits >= 0) ||
        !(rd->filter_bits >= 0) || !isfinite(rd->lambda) || !isfinite(rd->flag_on_bits) ||
        !isfinite(rd->flag_off_bits) || !isfinite(rd->filter_bits))
        return CB_EINVAL;
    int nx = 0, ny = 0;
    cb_restore_regions(pw, ph, region_size, &nx, &ny);
    double cost_on = rd->lambda * rd->filter_bits, cost_off = 0;
    int n_on = 0;
    for (int ry = 0; ry < ny; ry++)
        for (int rx = 0; rx < nx; rx++) {
            int x0 = rx * region_size, y0 = ry * region_size;
            int x1 = x0 + region_size < pw ? x0 + region_size : pw;
            int y1 = y0 + region_size < ph ? y0 + region_size : ph;
            int64_t sse_u = 0, sse_f = 0;
            for (int y = y0; y < y1; y++) {
                const uint8_t *o = orig + (ptrdiff_t)y * os, *r = rec + (ptrdiff_t)y * rs,
                              *g = filt + (ptrdiff_t)y * fs;
                for (int x = x0; x < x1; x++) {
                    int eu = o[x] - r[x], ef = o[x] - g[x];
                    sse_u += eu * eu;
                    sse_f += ef * ef;
                }
            }
            double j_on = (double)sse_f + rd->lambda * rd->flag_on_bits;
            double j_off = (double)sse_u + rd->lambda * rd->flag_off_bits;
            int on = j_on < j_off;
            region_on[(size_t)ry * (size_t)nx + (size_t)rx] = (uint8_t)on;
            n_on += on;
            cost_on += on ? j_on : j_off;
            cost_off += (double)sse_u;
        }
    if (n_on == 0 || !(cost_on < cost_off)) {
        memset(region_on, 0, (size_t)nx * (size_t)ny);
        return 0;
    }
    if (delta_cost)
        *delta_cost = cost_on - cost_off;
    return n_on;
}

double cb_restore_coef_bits(const CbRestoreFilter *f)
{
    double bits = 0;
    if (!f || f->ntaps < 1 || f->ntaps > CB_RESTORE_LUMA_TAPS)
        return 0;
    for (int k = 0; k < f->ntaps - 1; k++) {
        unsigned m = (unsigned)(f->coef[k] < 0 ? -f->coef[k] : f->coef[k]);
        int len = 0;
        while ((m + 1) >> (len + 1))
            len++;
        bits += 2 * len + 1 + (m != 0); /* Exp-Golomb of |c|, then a sign bit */
    }
    return bits;
}

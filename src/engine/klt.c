/* KLT training: exact second-moment sums over residual blocks (BLAS dsyrk
 * over batches), eigenvectors by LAPACKE_dsyev, sign and order rules,
 * quantisation to HEVC-scaled int16 bases. */
#include "engine/klt.h"

#include "codecbench/engine.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

/* Sample vectors per dsyrk call (the K of an n x K times K x n product):
 * large enough that the call is one efficient blocked kernel rather than
 * many tiny ones, small enough that the two batch matrices stay in cache
 * (2 x 16 x 1024 doubles = 256 KiB at n = 16).  Exactness needs
 * BATCH_VECTORS * 2^30 (the largest product of two int16) < 2^53: 2^40. */
enum { BATCH_VECTORS = 1024 };

struct CbKltTrainer {
    int n;
    int batch_cap; /* blocks per batch: BATCH_VECTORS / n */
    int batch;     /* blocks in the current batch */
    int64_t count; /* blocks accumulated, batch included */
    /* Batch matrices, n x BATCH_VECTORS row-major, one sample vector per
     * column: av holds the blocks' columns (for the vertical basis), ah
     * their rows (for the horizontal one). */
    double *av, *ah;
    double prod[CB_XFORM_MAX * CB_XFORM_MAX]; /* one dsyrk result */
    /* Exact sums over all flushed batches, upper triangle (i <= j) of the
     * row-major n x n matrices: sum R R^T and sum R^T R.  |entry| <=
     * CB_KLT_MAX_BLOCKS * 16 * 2^30 = 2^62 (see klt.h). */
    int64_t sum_v[CB_XFORM_MAX * CB_XFORM_MAX];
    int64_t sum_h[CB_XFORM_MAX * CB_XFORM_MAX];
};

int cb_klt_trainer_new(CbKltTrainer **t, int n)
{
    *t = NULL;
    if (cb_xform_size_index(n) < 0)
        return CB_EINVAL;
    CbKltTrainer *k = calloc(1, sizeof *k);
    if (!k)
        return CB_ENOMEM;
    k->n = n;
    k->batch_cap = BATCH_VECTORS / n;
    k->av = malloc(sizeof *k->av * (size_t)n * BATCH_VECTORS);
    k->ah = malloc(sizeof *k->ah * (size_t)n * BATCH_VECTORS);
    if (!k->av || !k->ah) {
        cb_klt_trainer_free(&k);
        return CB_ENOMEM;
    }
    *t = k;
    return CB_OK;
}

void cb_klt_trainer_free(CbKltTrainer **t)
{
    if (!t || !*t)
        return;
    free((*t)->av);
    free((*t)->ah);
    free(*t);
    *t = NULL;
}

int64_t cb_klt_trainer_count(const CbKltTrainer *t)
{
    return t->count;
}

/* Adds prod's upper triangle (a dsyrk result) to sum.  Every entry is an
 * integer below 2^40 in magnitude: each product of two int16 is an integer
 * < 2^30, there are at most BATCH_VECTORS = 2^10 of them, and doubles
 * represent every integer below 2^53 exactly, so whatever order (and however
 * many threads) OpenBLAS sums them in, with or without FMA, every partial sum
 * and the result are exact.  The conversion to int64 is therefore exact, and
 * the int64 sums do not depend on the order of blocks or batches. */
static void add_exact(int n, const double *prod, int64_t *sum)
{
    for (int i = 0; i < n; i++) {
        for (int j = i; j < n; j++) {
            double p = prod[i * n + j];
            assert(p == floor(p) && fabs(p) < 0x1p53);
            sum[i * n + j] += (int64_t)p;
        }
    }
}

static void flush(CbKltTrainer *t)
{
    if (t->batch == 0)
        return;
    const int n = t->n, k = t->batch * n;
    /* Sum over the batch's sample vectors x of x x^T, i.e. A A^T for the
     * n x k matrix A (k up to 1024).  Why BLAS: this is where training spends
     * its time (n^2 k / 2 multiply-adds per matrix, two matrices), and one
     * blocked, vectorised level-3 call per batch beats k scalar rank-1
     * updates.  Why it stays deterministic although OpenBLAS sums in its own
     * order, which may change with its thread count: every partial sum is an
     * exact integer (see add_exact), so the order cannot change the result.
     * So the library leaves openblas_set_num_threads (a process global) alone,
     * and needs no hand-ordered accumulation. */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, k, 1.0, t->av, BATCH_VECTORS, 0.0,
                t->prod, n);
    add_exact(n, t->prod, t->sum_v);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, k, 1.0, t->ah, BATCH_VECTORS, 0.0,
                t->prod, n);
    add_exact(n, t->prod, t->sum_h);
    t->batch = 0;
}

void cb_klt_trainer_add(CbKltTrainer *t, const int16_t *res, ptrdiff_t stride)
{
    if (t->count >= CB_KLT_MAX_BLOCKS)
        return;
    const int n = t->n;
    const int col0 = t->batch * n;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double x = res[i * stride + j];
            t->av[(size_t)i * BATCH_VECTORS + (size_t)(col0 + j)] = x; /* column j, entry i */
            t->ah[(size_t)j * BATCH_VECTORS + (size_t)(col0 + i)] = x; /* row i, entry j */
        }
    }
    t->count++;
    if (++t->batch == t->batch_cap)
        flush(t);
}

/* Entry i of the k-th orthonormal DCT-II vector of size n. */
static double dct_unit(int n, int k, int i)
{
    const double pi = 3.14159265358979323846;
    return sqrt((k == 0 ? 1.0 : 2.0) / n) * cos((2 * i + 1) * k * pi / (2.0 * n));
}

/* Below this |dot product| with DCT row k the sign falls back to the largest
 * entry (see klt.h): a unit vector's dot with a unit vector that small means
 * the two are within 3 degrees of orthogonal. */
#define SIGN_DOT_MIN 0.05
#define SIGN_TIE_EPS 1e-9

/* Eigenvectors of the symmetric n x n matrix a (row-major, overwritten),
 * ordered, signed, scaled and rounded into b. */
static int eigen_basis(int n, double *a, CbBasis *b, const char *which, CbError *err)
{
    double w[CB_XFORM_MAX];
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', n, a, n, w);
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return cb_error_set(err, CB_ENOMEM, "KLT %s basis: LAPACKE_dsyev is out of memory", which);
    if (info != 0)
        return cb_error_set(err, CB_EEXTERNAL, "KLT %s basis: LAPACKE_dsyev failed (info %d)",
                            which, (int)info);
    /* HEVC's row scale 64 sqrt(n): 128, 181.02 or 256. */
    const double scale = 64.0 * sqrt((double)n);
    b->n = n;
    memset(b->m, 0, sizeof b->m);
    for (int k = 0; k < n; k++) {
        /* dsyev sorts ascending; eigenvector of w[c] is column c of a. */
        const int c = n - 1 - k;
        double e[CB_XFORM_MAX], dot = 0.0;
        for (int i = 0; i < n; i++) {
            e[i] = a[i * n + c];
            dot += e[i] * dct_unit(n, k, i);
        }
        double sign;
        if (fabs(dot) >= SIGN_DOT_MIN) {
            sign = dot > 0 ? 1.0 : -1.0;
        } else {
            int best = 0;
            for (int i = 1; i < n; i++)
                if (fabs(e[i]) > fabs(e[best]) + SIGN_TIE_EPS)
                    best = i;
            sign = e[best] > 0 ? 1.0 : -1.0;
        }
        for (int i = 0; i < n; i++) {
            /* |e[i]| <= 1, so |scaled| <= 256 = CB_BASIS_ENTRY_MAX; lround
             * rounds halves away from zero, symmetric in the sign. */
            b->m[k * n + i] = (int16_t)lround(sign * e[i] * scale);
        }
    }
    int rc = cb_basis_check(b, err);
    if (rc < 0) {
        /* Cannot happen for an orthonormal set (klt.h and transform.h show
         * the rounding stays within tolerance): LAPACK returned garbage. */
        cb_error_prefix(err, "KLT %s basis from LAPACK", which);
        if (err)
            err->code = CB_EEXTERNAL;
        return CB_EEXTERNAL;
    }
    return CB_OK;
}

/* The second-moment matrix per sample vector, full and symmetric. */
static double fill_matrix(int n, const int64_t *sum, double samples, double *a)
{
    double trace = 0.0;
    for (int i = 0; i < n; i++) {
        for (int j = i; j < n; j++) {
            a[i * n + j] = a[j * n + i] = (double)sum[i * n + j] / samples;
        }
        trace += a[i * n + i];
    }
    return trace;
}

int cb_klt_trainer_solve(CbKltTrainer *t, CbBasis *v, CbBasis *h, CbError *err)
{
    const int n = t->n;
    if (t->count < CB_KLT_MIN_BLOCKS(n))
        return cb_error_set(err, CB_EINVAL,
                            "KLT %dx%d: %lld blocks added, at least %lld are needed", n, n,
                            (long long)t->count, (long long)CB_KLT_MIN_BLOCKS(n));
    flush(t);
    const double samples = (double)t->count * n;
    double a[CB_XFORM_MAX * CB_XFORM_MAX];
    CbBasis bv, bh;
    if (fill_matrix(n, t->sum_v, samples, a) <= 0.0)
        return cb_error_set(err, CB_EINVAL, "KLT %dx%d: every residual added is zero", n, n);
    int rc = eigen_basis(n, a, &bv, "vertical", err);
    if (rc < 0)
        return rc;
    fill_matrix(n, t->sum_h, samples, a);
    rc = eigen_basis(n, a, &bh, "horizontal", err);
    if (rc < 0)
        return rc;
    *v = bv;
    *h = bh;
    return CB_OK;
}

double cb_basis_coding_gain(const CbBasis *b, const double *cov, int n)
{
    if (b->n != n || cb_xform_size_index(n) < 0)
        return NAN;
    double am = 0.0, log_gm = 0.0;
    int nonpositive = 0;
    for (int k = 0; k < n; k++) {
        const int16_t *r = b->m + k * n;
        double norm2 = 0.0, var = 0.0;
        for (int i = 0; i < n; i++)
            norm2 += (double)r[i] * r[i];
        for (int i = 0; i < n; i++) {
            double ci = 0.0;
            for (int j = 0; j < n; j++)
                ci += cov[i * n + j] * r[j];
            var += r[i] * ci;
        }
        if (norm2 > 0.0)
            var /= norm2;
        else
            var = 0.0;
        am += var;
        if (var > 0.0)
            log_gm += log(var);
        else
            nonpositive = 1;
    }
    am /= n;
    if (!(am > 0.0))
        return NAN;
    if (nonpositive)
        return INFINITY;
    return 10.0 * log10(am) - 10.0 * (log_gm / n) / log(10.0);
}

void cb_engine_set_blas_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}

/* Learning separable KLT bases from residual blocks (encoder side: floating
 * point, BLAS and LAPACKE; the result is quantised to int16 and sent in the
 * stream, so only the encoder's choice of basis may vary between machines).
 *
 * A trainer accumulates n x n residual blocks of one size.  The vertical
 * basis comes from the column second-moment matrix sum_blocks R R^T (the
 * blocks' columns as vectors), the horizontal one from sum_blocks R^T R (rows
 * as vectors).  Residuals are not mean-centred: the transform codes the mean
 * too, so E[r r^T] is the matrix whose eigenvectors compact the energy.
 *
 * Determinism: the sums are exact integers (see klt.c), so the bases do not
 * depend on the order in which blocks are added, nor on the number of
 * threads OpenBLAS uses; nothing global (such as openblas_set_num_threads) is
 * touched.
 */
#ifndef CB_ENGINE_KLT_H
#define CB_ENGINE_KLT_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "engine/transform.h"

/** Fewest blocks solve accepts: 4 * n, i.e. 4 n^2 sample vectors of
 * dimension n for each of the two n x n matrices. */
#define CB_KLT_MIN_BLOCKS(n) (4 * (int64_t)(n))

/** Most blocks a trainer accumulates (2^28, some 33 000 frames of 1080p in
 * 16x16 blocks): the exact int64 sums are proven not to overflow up to it
 * (2^28 blocks * 16 vectors * 2^30 per product = 2^62).  Blocks beyond it
 * are ignored and not counted. */
#define CB_KLT_MAX_BLOCKS ((int64_t)1 << 28)

typedef struct CbKltTrainer CbKltTrainer;

/** New trainer for n x n blocks (n: 4, 8 or 16), owned by the caller (free
 * with cb_klt_trainer_free).  CB_EINVAL for another n, CB_ENOMEM. */
int cb_klt_trainer_new(CbKltTrainer **t, int n);

/** Adds one n x n residual block: n rows stride elements apart.  Any int16
 * values are accepted (residuals of 8-bit video are in -255..255). */
void cb_klt_trainer_add(CbKltTrainer *t, const int16_t *res, ptrdiff_t stride);

/** Blocks accumulated so far. */
int64_t cb_klt_trainer_count(const CbKltTrainer *t);

/** Solves for the vertical (v) and horizontal (h) bases:
 *  - eigenvectors of the two n x n matrices by LAPACKE_dsyev, sorted by
 *    eigenvalue, largest first (LAPACK's ascending order reversed, so equal
 *    eigenvalues come out in a fixed order too);
 *  - sign rule: each eigenvector e_k is turned so that its dot product with
 *    the k-th orthonormal DCT-II vector is positive, so a KLT close to the DCT
 *    gets the DCT's signs (every DCT row starts positive).  When that dot
 *    product is below 0.05 in magnitude (e_k almost orthogonal to DCT row k,
 *    so its sign would be decided by noise), the entry of largest magnitude
 *    is made positive instead (the first such entry if several tie within
 *    1e-9);
 *  - scaled to HEVC's norm (64 sqrt(n)), rounded to nearest (halves away
 *    from zero) to int16, then checked with cb_basis_check.
 * The trainer keeps its data: more blocks may be added and solve called
 * again.  Errors: CB_EINVAL when fewer than CB_KLT_MIN_BLOCKS(n) blocks were
 * added or all residuals were zero; CB_ENOMEM; CB_EEXTERNAL when LAPACK
 * fails.  v and h are written only on success. */
int cb_klt_trainer_solve(CbKltTrainer *t, CbBasis *v, CbBasis *h, CbError *err);

/** Frees t (NULL allowed) and sets *t to NULL. */
void cb_klt_trainer_free(CbKltTrainer **t);

/** Coding gain in dB of a basis on an n x n covariance (row-major): each row
 * of b is normalised to unit length, its variance is w^T C w, and the gain is
 * 10 log10(arithmetic mean / geometric mean) of the n variances.  INFINITY
 * when a variance is zero or negative while their mean is positive, NAN when
 * all are zero or b->n != n. */
double cb_basis_coding_gain(const CbBasis *b, const double *cov, int n);

#endif

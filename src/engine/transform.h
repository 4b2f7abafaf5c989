/* Integer 2-D separable transforms of the engine: HEVC's DCT and learned KLT
 * bases (decoder path: integer only, the same code in encoder and decoder).
 *
 * Sizes 4, 8 and 16.  A basis is an n x n int16 matrix whose row k is the
 * k-th basis function, scaled like HEVC's core transform: row k is about
 * 64 * sqrt(n) times the k-th orthonormal basis vector, so each row's squared
 * norm is about 4096 * n (HEVC's 4-point row 1, {83, 36, -36, -83}, has
 * 16370 against 16384).
 *
 * Arithmetic (8-bit video, as H.265 clause 8.6.4.2 and HM):
 *   forward: rows (horizontal) first, shift log2(n) - 1, result clipped to
 *            int16; then columns (vertical), shift log2(n) + 6.  Output is the
 *            orthonormal transform times 2^(7 - log2(n)) (HEVC's "transform
 *            shift" 15 - bitdepth - log2(n)); with residuals in -255..255,
 *            |coef| <= 32640 for the DCT (the DC of a flat block of 255), a
 *            checked KLT basis a little more (its norm tolerance).
 *   inverse: coefficients clipped to int16 (HEVC's coeffMin/coeffMax), columns
 *            first with shift 7 and clipping to int16, then rows with shift 12
 *            (20 - bitdepth), result clipped to int16.
 * Rounding is HEVC's: add 1 << (shift - 1), then an arithmetic right shift
 * (GCC and Clang define >> of negative values as arithmetic).
 *
 * Overflow: every product is |basis entry| <= 256 times an int16 value, n <= 16
 * of them are summed, so |sum| <= 16 * 256 * 32768 = 2^27: int32 suffices for
 * any coefficients and any residual, as long as the basis passed
 * cb_basis_check (entries in [-256, 256]).  Bases from a stream must pass it
 * before use.
 */
#ifndef CB_ENGINE_TRANSFORM_H
#define CB_ENGINE_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"

/** Transform sizes: 4, 8 or 16 (log2 2..4). */
#define CB_XFORM_MIN   4
#define CB_XFORM_MAX   16
#define CB_XFORM_SIZES 3

/** Largest |entry| of a basis: 64 * sqrt(16) = 256 is the value a unit
 * vector's entry of 1 takes at size 16; the overflow bound above rests on it. */
#define CB_BASIS_ENTRY_MAX 256

/** Tolerances of cb_basis_check, in 1/1024 of a row's nominal squared norm
 * 4096 * n.  A rounded orthonormal basis meets both by construction: rounding
 * each entry by at most 1/2 changes a squared norm by at most
 * 2 * 64 sqrt(n) * sqrt(n)/2 + n/4 = 64n + n/4, and a dot product by as much,
 * i.e. 1.57 % of 4096 n; HEVC's own matrices deviate by less than 0.5 % (see
 * the unit test).  2 % (20/1024 = 1.95 %) leaves room for both. */
#define CB_BASIS_NORM_TOL_Q10 20
#define CB_BASIS_DOT_TOL_Q10  20

typedef struct CbBasis {
    int n;              /**< 4, 8 or 16 */
    int16_t m[16 * 16]; /**< row-major, row stride n: m[k * n + i] = k-th basis function at i */
} CbBasis;

/** Fills b with HEVC's integer DCT-II matrix of size n (4, 8 or 16): the
 * n-point matrix of ITU-T H.265 clause 8.6.4.2 is rows 0, 32/n, 2*32/n, ... of
 * its 32-point transMatrix, first n columns. */
void cb_basis_dct(CbBasis *b, int n);

/** Checks a basis that came from a stream (hostile): n is 4, 8 or 16, every
 * entry in [-256, 256], every row's squared norm within 20/1024 (1.95 %) of
 * 4096 * n, and every pair of rows near-orthogonal, |dot| <= 20/1024 of
 * 4096 * n (an angle within 1.1 degrees of 90).  CB_OK, or CB_EFORMAT with a
 * message naming the row(s).  err may be NULL. */
int cb_basis_check(const CbBasis *b, CbError *err);

/** Forward 2-D transform of one n x n residual block: coef = V * R * H^T with
 * HEVC's intermediate shifts (see above); v is the vertical basis (applied to
 * columns), h the horizontal one (applied to rows); both of size n (n is taken
 * from them and must agree).  res: n rows at stride elements apart, values
 * meant to be in -255..255 (any int16 is defined); coef: n * n, row-major,
 * coef[k * n + l] with k the vertical and l the horizontal frequency. */
void cb_transform_fwd(const CbBasis *v, const CbBasis *h, const int16_t *res, ptrdiff_t stride,
                      int32_t *coef);

/** Inverse 2-D transform: res = V^T * coef * H with HEVC's shifts (7, then 12)
 * and clipping, exact integer; defined for any coefficients.  Bases must have
 * passed cb_basis_check. */
void cb_transform_inv(const CbBasis *v, const CbBasis *h, const int32_t *coef, int16_t *res,
                      ptrdiff_t stride);

/** Kernels, one per size (index log2(n) - 2), taking the two bases' matrices.
 * Callers on hot paths keep a CbXformDsp filled once by cb_xform_dsp_init and
 * call through it; faster versions must equal the C reference bit for bit (the
 * unit test compares every entry with the reference on random input). */
typedef void (*CbXformFwdFn)(const int16_t *v, const int16_t *h, const int16_t *res,
                             ptrdiff_t stride, int32_t *coef);
typedef void (*CbXformInvFn)(const int16_t *v, const int16_t *h, const int32_t *coef, int16_t *res,
                             ptrdiff_t stride);

typedef struct CbXformDsp {
    CbXformFwdFn fwd[CB_XFORM_SIZES];
    CbXformInvFn inv[CB_XFORM_SIZES];
} CbXformDsp;

/** The C reference kernels only. */
void cb_xform_dsp_init_c(CbXformDsp *dsp);

/** The fastest kernels this build has for this CPU: SSE2 or AVX2 versions
 * (chosen at run time) where they exist, each bit-exact with the C reference. */
void cb_xform_dsp_init(CbXformDsp *dsp);

/** log2(n) - 2 for n in {4, 8, 16}: the index into CbXformDsp; -1 otherwise. */
int cb_xform_size_index(int n);

#endif

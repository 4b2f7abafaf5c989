/* codecbench engine: intra prediction (decoder path, integer only).
 *
 * Square blocks of n x n samples, n in {4, 8, 16}, of any 8-bit plane (luma
 * or chroma).  A block is predicted from 4n + 1 reference samples of the
 * reconstruction: the row above (2n, above-right included), the column to
 * the left (2n, below-left included) and the top-left corner.  The modes
 * follow H.265 section 8.4.4.2 without its reference smoothing (8.4.4.2.3)
 * and without the DC / vertical / horizontal boundary filters.
 */
#ifndef CODECBENCH_ENGINE_INTRA_H
#define CODECBENCH_ENGINE_INTRA_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/engine.h"

/** Intra modes; the numbers are what the bitstream codes (0..5). */
enum {
    CB_INTRA_MODE_DC = 0,      /**< mean of top and left (H.265 8.4.4.2.5 INTRA_DC) */
    CB_INTRA_MODE_V = 1,       /**< copy of the top row (H.265 angular mode 26) */
    CB_INTRA_MODE_H = 2,       /**< copy of the left column (H.265 angular mode 10) */
    CB_INTRA_MODE_PLANAR = 3,  /**< H.265 8.4.4.2.5 INTRA_PLANAR */
    CB_INTRA_MODE_DIAG_DL = 4, /**< down-left 45 degrees from the top row (H.265 mode 34) */
    CB_INTRA_MODE_DIAG_DR = 5, /**< down-right 45 degrees (H.265 mode 18) */
    CB_INTRA_N_MODES = 6
};

/** Largest block side. */
#define CB_INTRA_MAX_N 16

/** Availability flags of cb_intra_refs(): which neighbouring areas are
 * already reconstructed in coding order.  Only the caller knows the block
 * order, so it says; samples outside the picture are unavailable whatever
 * the flags say. */
enum {
    CB_AVAIL_TOP = 1u << 0,         /**< (x .. x+n-1, y-1) */
    CB_AVAIL_TOP_RIGHT = 1u << 1,   /**< (x+n .. x+2n-1, y-1) */
    CB_AVAIL_LEFT = 1u << 2,        /**< (x-1, y .. y+n-1) */
    CB_AVAIL_BOTTOM_LEFT = 1u << 3, /**< (x-1, y+n .. y+2n-1) */
    CB_AVAIL_TOP_LEFT = 1u << 4,    /**< (x-1, y-1) */
    CB_AVAIL_ALL = 0x1fu
};

/** Reference samples of one block: top[i] is (x+i, y-1), left[j] is
 * (x-1, y+j), for i, j in 0..2n-1; corner is (x-1, y-1).  After
 * cb_intra_refs() every entry 0..2n-1 is defined (substituted if needed). */
typedef struct CbIntraRefs {
    uint8_t top[2 * CB_INTRA_MAX_N + 1];
    uint8_t left[2 * CB_INTRA_MAX_N + 1];
    uint8_t corner;
} CbIntraRefs;

/** Writes the modes of a set into modes[] (room for CB_INTRA_N_MODES) in
 * increasing order and returns their count: DC -> {DC}; BASIC -> {DC, V, H,
 * PLANAR}; ALL -> all six.  An unknown set gives {DC} (count 1). */
int cb_intra_modes(CbIntraSet set, int *modes);

/** Builds the reference samples of the n x n block at (x, y) of a plane of
 * pw x ph samples (row stride `stride`) from its reconstruction.
 *
 * A sample is available when it lies inside [0, pw) x [0, ph) and its area's
 * flag is set in avail.  Unavailable samples are substituted as in H.265
 * 8.4.4.2.2: scanning from the bottom of the left column (x-1, y+2n-1) up to
 * the corner and then along the top row to (x+2n-1, y-1), the first sample
 * takes the first available one in that order and every later unavailable
 * sample copies its predecessor; when none is available all are 128
 * (1 << (bitDepth - 1)).
 *
 * The codec works on planes padded to a multiple of 16 and passes the padded
 * size, so blocks do not cross the edge; a block that does (x + n > pw) is
 * still handled: its columns beyond the edge are unavailable like any other.
 * Only samples inside the plane are read, for any x, y.  n is 4, 8 or 16. */
void cb_intra_refs(const uint8_t *plane, ptrdiff_t stride, int pw, int ph, int x, int y, int n,
                   unsigned avail, CbIntraRefs *r);

/** Predicts the n x n block (n in {4, 8, 16}) with mode (0..CB_INTRA_N_MODES-1)
 * into dst.  Every output lies between the least and the greatest reference
 * sample it is computed from. */
void cb_intra_pred(const CbIntraRefs *r, int n, int mode, uint8_t *dst, ptrdiff_t stride);

#endif

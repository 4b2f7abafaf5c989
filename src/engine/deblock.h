/* codecbench engine: the in-loop deblocking filter (decoder path).
 *
 * An HEVC-style deblocking filter (ITU-T H.265, clause 8.7.2 "Deblocking
 * filter process") over the edges of the 8x8 luma block grid, driven by a
 * boundary strength per 4-sample edge segment and by the QP.  It is pure
 * integer, deterministic and reads and writes only inside the picture, so
 * the encoder's reconstruction and the decoder's output are bit-identical.
 *
 * Bitstream semantics (normative for codecbench streams):
 *  - Edges: a luma edge lies at every x (vertical edge) or y (horizontal
 *    edge) that is a positive multiple of 8 and where the block index of the
 *    4x4 units on its two sides differs.  The edge is cut into segments of
 *    4 luma lines (one 4x4 unit pair each); each segment has its own bS.
 *  - bS = 2 if either side is intra; else 1 if either side is coded or the
 *    two motion vectors differ by >= 4 quarter-pel in x or in y; else 0.
 *  - Luma: the HEVC luma decisions and the strong / normal filters
 *    (8.7.2.5.3, 8.7.2.5.6, 8.7.2.5.7) with beta = beta'(Q = qp) and
 *    tc = tc'(Q = qp + 2 * (bS - 1)) from the H.265 table "Derivation of
 *    threshold variables beta' and tc' from input Q" (8-bit: no scaling);
 *    slice offsets are 0.  A segment is filtered only when at least 4
 *    samples on each side lie inside the picture.
 *  - Chroma (both planes): the edge at luma position x maps to chroma
 *    position x / 2 (a 4-sample chroma grid, so 8x8 luma blocks get chroma
 *    deblocking too, unlike HEVC's 8-sample chroma grid); a chroma line uses
 *    the bS of the luma unit pair covering it.  As in HEVC only bS == 2
 *    edges are filtered, with the HEVC chroma filter (8.7.2.5.5) and
 *    tc = tc'(QpC + 2), QpC mapped from qp by the H.265 4:2:0 table
 *    ("Specification of QpC as a function of qPi").  It modifies one sample
 *    on each side and needs 2 inside the picture.
 *  - Order: in each plane, every vertical edge of the picture first (on the
 *    input samples), then every horizontal edge (on the output of the
 *    vertical pass), as in HEVC.  Within one direction the edges do not
 *    interact (luma reads 4 and writes at most 3 samples on each side of
 *    edges 8 apart; chroma reads 2 and writes 1 on edges 4 apart), so the
 *    order of edges within a pass does not change the result.
 */
#ifndef CB_ENGINE_DEBLOCK_H
#define CB_ENGINE_DEBLOCK_H

#include <stdint.h>

#include "codecbench/frame.h"

/** QP range accepted (that of the engine, CB_QP_MIN..CB_QP_MAX). */
#define CB_DEBLOCK_QP_MIN 0
#define CB_DEBLOCK_QP_MAX 51
/** Luma edge grid in pixels, and the luma size of one CbDeblockUnit. */
#define CB_DEBLOCK_GRID 8
#define CB_DEBLOCK_UNIT 4
/** Motion-vector difference (quarter-pel, either component) from which an
 * inter edge gets bS 1: one integer sample, as in HEVC. */
#define CB_DEBLOCK_MV_THRESH 4

/** Per 4x4 luma unit information the codec supplies, in raster order.
 * Every value is allowed: intra and coded are tested for nonzero, the
 * motion vector difference is taken in int, block is only compared. */
typedef struct CbDeblockUnit {
    uint8_t intra;    /**< nonzero: the unit is intra coded */
    uint8_t coded;    /**< nonzero: the unit's transform block has nonzero coefficients */
    int16_t mvx, mvy; /**< motion vector in quarter-pel (ignored when intra) */
    int32_t block;    /**< index of the coding block the unit belongs to */
} CbDeblockUnit;

/** Boundary strength of the edge between units p and q (0, 1 or 2), by the
 * rule above.  Exposed so the encoder's decisions and the tests use the very
 * same rule. */
int cb_deblock_bs(const CbDeblockUnit *p, const CbDeblockUnit *q);

/** Deblocks the three planes of f in place.
 *
 * units: borrowed, units_w x units_h entries in raster order covering the
 * (possibly padded) coded picture: units_w >= ceil(f->width / 4) and
 * units_h >= ceil(f->height / 4); unit (ux, uy) describes luma pixels
 * [4ux, 4ux+4) x [4uy, 4uy+4).  qp: CB_DEBLOCK_QP_MIN..CB_DEBLOCK_QP_MAX.
 *
 * Returns 0, or CB_EINVAL (frame untouched) for a NULL pointer, a frame
 * size outside 1..CB_FRAME_MAX_DIM, too few units or a qp out of range. */
int cb_deblock_frame(CbFrame *f, const CbDeblockUnit *units, int units_w, int units_h, int qp);

#endif

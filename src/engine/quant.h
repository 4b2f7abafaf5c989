/* Dead-zone scalar quantisation of transform coefficients, QP on a log scale
 * (H.264/HEVC: the step doubles every 6 QP).
 *
 * Coefficients are those of cb_transform_fwd for size n, i.e. the orthonormal
 * transform scaled by 2^(7 - log2(n)) (HEVC's transform shift
 * 15 - bitdepth - log2(n) for 8-bit video).  With flat scaling lists this is
 * HEVC's quantiser exactly:
 *   level = sign(c) * min(CB_LEVEL_MAX, (|c| * quantScale[qp % 6] + offset) >> qbits),
 *   qbits = 14 + qp / 6 + (7 - log2(n)),  offset = deadzone_q8 << (qbits - 8),
 * and HEVC's scaling process (H.265 clause 8.6.3, m = 16):
 *   coef = clip_int16((level * 16 * levelScale[qp % 6] << (qp / 6) + (1 << (bdShift - 1)))
 *                     >> bdShift),  bdShift = 8 + log2(n) + 10 - 15 = log2(n) + 3.
 * The step is about 2^((qp - 4) / 6) in orthonormal units (1 at QP 4).
 */
#ifndef CB_ENGINE_QUANT_H
#define CB_ENGINE_QUANT_H

#include <stdint.h>

/** Levels are bounded: the quantiser saturates at +-CB_LEVEL_MAX and the
 * decoder rejects larger magnitudes (cb_dequant_block clips them as well,
 * so even unchecked levels are defined). */
#define CB_LEVEL_MAX 32767

/** Dead-zone rounding offsets in 1/256 (HM's choices: 171/512 for intra,
 * 85/512 for inter, i.e. about 1/3 and 1/6); 128 is plain rounding, the
 * largest allowed. */
#define CB_DEADZONE_INTRA_Q8 85
#define CB_DEADZONE_INTER_Q8 43
#define CB_DEADZONE_MAX_Q8   128

/** Quantises the n x n coefficients (n: 4, 8 or 16; any int32 values) at qp
 * (0..51) with rounding offset deadzone_q8 / 256 (0..128).  level gets n * n
 * values in -CB_LEVEL_MAX..CB_LEVEL_MAX; returns how many are nonzero.
 * Encoder side: the arguments are asserted, not checked. */
int cb_quant_block(const int32_t *coef, int n, int qp, int deadzone_q8, int16_t *level);

/** Dequantises (decoder path, exact integer): any level values are defined
 * (clipped to +-CB_LEVEL_MAX first), results are clipped to HEVC's
 * coeffMin..coeffMax (int16 range).  n must be 4, 8 or 16 and qp 0..51: the
 * stream reader validates both (asserted; qp is also clamped so that a release
 * build never indexes outside the tables). */
void cb_dequant_block(const int16_t *level, int n, int qp, int32_t *coef);

#endif

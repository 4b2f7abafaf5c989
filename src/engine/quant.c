/* Dead-zone scalar quantisation and HEVC's dequantisation (flat scaling). */
#include "engine/quant.h"

#include <assert.h>

#include "engine/transform.h"

/* Forward scale per qp % 6: about 2^14 / step, with step 2^((qp % 6 - 4) / 6)
 * (HM's g_quantScales, as in H.264's JM quantiser).  Range 14564..26214. */
static const int32_t QUANT_SCALE[6] = {26214, 23302, 20560, 18396, 16384, 14564};

/* Inverse scale per qp % 6: about 2^6 * step (ITU-T H.265 clause 8.6.3,
 * levelScale[] = {40, 45, 51, 57, 64, 72}); QUANT_SCALE[i] * LEVEL_SCALE[i]
 * is about 2^20.  Range 40..72. */
static const int32_t LEVEL_SCALE[6] = {40, 45, 51, 57, 64, 72};

static int log2_size(int n)
{
    int idx = cb_xform_size_index(n);
    assert(idx >= 0);
    return idx + 2;
}

int cb_quant_block(const int32_t *coef, int n, int qp, int deadzone_q8, int16_t *level)
{
    assert(qp >= 0 && qp <= 51);
    assert(deadzone_q8 >= 0 && deadzone_q8 <= CB_DEADZONE_MAX_Q8);
    const int log2n = log2_size(n);
    /* qbits = 14 + qp / 6 + transform shift (7 - log2 n): 17..25. */
    const int qbits = 14 + qp / 6 + (7 - log2n);
    const int64_t scale = QUANT_SCALE[qp % 6];
    const int64_t offset = (int64_t)deadzone_q8 << (qbits - 8);
    int nonzero = 0;
    for (int i = 0; i < n * n; i++) {
        /* |coef| <= 2^31 and scale < 2^15: the product fits int64. */
        int64_t a = coef[i] < 0 ? -(int64_t)coef[i] : coef[i];
        int64_t q = (a * scale + offset) >> qbits;
        if (q > CB_LEVEL_MAX)
            q = CB_LEVEL_MAX;
        level[i] = (int16_t)(coef[i] < 0 ? -q : q);
        nonzero += q != 0;
    }
    return nonzero;
}

void cb_dequant_block(const int16_t *level, int n, int qp, int32_t *coef)
{
    assert(qp >= 0 && qp <= 51);
    if (qp < 0)
        qp = 0;
    if (qp > 51)
        qp = 51;
    const int log2n = log2_size(n);
    /* H.265 8.6.3 with BitDepth 8 and log2TransformRange 15: bdShift =
     * 8 + log2(n) + 10 - 15, 5..7; the flat scaling factor m is 16. */
    const int bd_shift = log2n + 3;
    const int64_t scale = (int64_t)16 * LEVEL_SCALE[qp % 6] << (qp / 6);
    for (int i = 0; i < n * n; i++) {
        int64_t l = level[i];
        if (l < -CB_LEVEL_MAX)
            l = -CB_LEVEL_MAX;
        /* |l| <= 2^15, scale <= 16 * 72 * 2^8 < 2^19: the product fits int64
         * (it would not fit int32, which is why HM clips levels instead). */
        int64_t d = (l * scale + ((int64_t)1 << (bd_shift - 1))) >> bd_shift;
        coef[i] = (int32_t)(d < INT16_MIN ? INT16_MIN : d > INT16_MAX ? INT16_MAX : d);
    }
}

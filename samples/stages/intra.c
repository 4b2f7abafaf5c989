/* codecbench stage: the engine's built-in intra predictor (kind "intra").
 *
 * This is src/engine/intra.c's cb_intra_pred written against the stage ABI
 * (include/codecbench/stage.h), bit-exact with it: a stream coded with this
 * stage equals the engine's own, byte for byte, after the header's stage
 * fields.  It is the starting point of an intra stage a proposer writes:
 * change what a mode predicts, keep the rules of stage.h (integers only,
 * deterministic, no state between calls, write all n x n samples of dst,
 * return 0).
 *
 * The modes follow H.265 section 8.4.4.2 without its reference smoothing
 * (8.4.4.2.3) and without the DC / vertical / horizontal boundary filters
 * (samples/stages/intra_smooth.c adds both).  The engine has already
 * substituted unavailable reference samples (H.265 8.4.4.2.2): every
 * top[0..2n-1], left[0..2n-1] and the corner are defined.
 */
#include "codecbench/stage.h"

/* The stream's intra modes (stage.h): 0 DC, 1 vertical, 2 horizontal,
 * 3 planar, 4 diagonal down-left, 5 diagonal down-right. */
enum { MODE_DC, MODE_V, MODE_H, MODE_PLANAR, MODE_DIAG_DL, MODE_DIAG_DR, MODES };

static int log2_of(int n)
{
    return n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : -1;
}

/* H.265 8.4.4.2.5 INTRA_DC without the edge filter: the rounded mean of the
 * n top and n left samples. */
static void pred_dc(const CbStageIntra *a, int lg)
{
    const int n = a->n;
    int sum = n;
    for (int i = 0; i < n; i++)
        sum += a->top[i] + a->left[i];
    const uint8_t dc = (uint8_t)(sum >> (lg + 1));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            a->dst[j * a->stride + i] = dc;
}

/* H.265 8.4.4.2.5 INTRA_PLANAR: the mean of a horizontal interpolation
 * between left[y] and top[n] and a vertical one between top[x] and left[n];
 * the weights sum to 2n, so the result stays within the references. */
static void pred_planar(const CbStageIntra *a, int lg)
{
    const int n = a->n, tr = a->top[n], bl = a->left[n];
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            a->dst[j * a->stride + i] =
                (uint8_t)(((n - 1 - i) * a->left[j] + (i + 1) * tr + (n - 1 - j) * a->top[i] +
                           (j + 1) * bl + n) >>
                          (lg + 1));
}

int cb_stage_intra(const CbStageIntra *a)
{
    const int n = a->n, lg = log2_of(n);
    /* The engine passes only these; anything else is a caller's error. */
    if (lg < 0 || a->mode < 0 || a->mode >= MODES)
        return 1;
    uint8_t *dst = a->dst;
    const ptrdiff_t stride = a->stride;
    switch (a->mode) {
    case MODE_V:
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * stride + i] = a->top[i];
        break;
    case MODE_H:
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * stride + i] = a->left[j];
        break;
    case MODE_PLANAR:
        pred_planar(a, lg);
        break;
    case MODE_DIAG_DL:
        /* H.265 8.4.4.2.6, predModeIntra 34 (intraPredAngle 32): iIdx = y + 1,
         * iFact = 0, so pred[y][x] = top[x + y + 1]; the largest index is
         * 2n - 1, the last above-right sample. */
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * stride + i] = a->top[i + j + 1];
        break;
    case MODE_DIAG_DR:
        /* H.265 8.4.4.2.6, predModeIntra 18 (intraPredAngle -32): top[x - y - 1]
         * above the diagonal, the corner on it, left[y - x - 1] below it. */
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * stride + i] = i > j    ? a->top[i - j - 1]
                                      : i == j ? (uint8_t)a->corner
                                               : a->left[j - i - 1];
        break;
    default:
        pred_dc(a, lg);
        break;
    }
    return 0;
}

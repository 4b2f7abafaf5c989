/* A stage that is not deterministic: it counts its calls in a static
 * variable and lets the count change the prediction.  The encoder calls it
 * for every mode it tries, the decoder once per block, so the two disagree:
 * the run must end as a decoder mismatch at the one-frame round trip. */
#include "codecbench/stage.h"

static unsigned calls;

int cb_stage_intra(const CbStageIntra *a)
{
    const int n = a->n;
    int sum = n;
    for (int i = 0; i < n; i++)
        sum += a->top[i] + a->left[i];
    const int dc = sum / (2 * n);
    calls++;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            a->dst[j * a->stride + i] = (uint8_t)((dc + (int)(calls % 5u) * 7) & 255);
    return 0;
}

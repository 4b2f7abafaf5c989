/* A stage that recurses without end: each level keeps a buffer on the
 * stack and uses the result after the call (no tail call), so the stack
 * overflows. */
#include "codecbench/stage.h"

static int deeper(int depth)
{
    volatile uint8_t frame[512];
    frame[depth & 511] = (uint8_t)depth;
    return deeper(depth + 1) + frame[(depth * 7) & 511];
}

int cb_stage_intra(const CbStageIntra *a)
{
    int v = deeper(a->n);
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++)
            a->dst[j * a->stride + i] = (uint8_t)v;
    return 0;
}

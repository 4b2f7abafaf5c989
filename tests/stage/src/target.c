/* Hostile: a function attribute that turns SSE back on. */
#include "codecbench/stage.h"

__attribute__((target("sse2"))) static int half(int x)
{
    return (int)((float)x * 0.5f);
}

int cb_stage_intra(const CbStageIntra *a)
{
    return half(a->n) - a->n / 2;
}

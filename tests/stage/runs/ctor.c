/* A stage with a constructor: code that would run when the object loads,
 * before any sandbox. */
#include "codecbench/stage.h"

static int ready;

__attribute__((constructor)) static void at_load(void)
{
    ready = 1;
}

int cb_stage_intra(const CbStageIntra *a)
{
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++)
            a->dst[j * a->stride + i] = (uint8_t)(128 + ready);
    return 0;
}

/* A stage that never returns. */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    volatile unsigned spin = 0;
    while (a->n > 0)
        spin++;
    return 0;
}

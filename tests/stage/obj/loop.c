/* Never returns: the CPU limit (SIGXCPU) or the wall-clock limit ends it. */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    volatile unsigned long spin = 0;
    while (a->n > 0)
        spin++;
    return 0;
}

/* Writes through a null pointer: the host dies of SIGSEGV. */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    volatile int *p = (volatile int *)(a->n > 1000 ? (void *)a->dst : (void *)0);
    *p = 1;
    return 0;
}

/* A stage with inline assembly (a raw system call, for instance). */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    (void)a;
    __asm__ volatile("nop");
    return 0;
}

/* Hostile: a destructor runs at unload, after the stage's calls. */
#include "codecbench/stage.h"

static void __attribute__((destructor)) late(void)
{
}

int cb_stage_intra(const CbStageIntra *a)
{
    return a->n - a->n;
}

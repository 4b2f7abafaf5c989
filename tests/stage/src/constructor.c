/* Hostile: a constructor runs at load, before the sandbox (line 6). */
#include "codecbench/stage.h"

static int ran;

__attribute__((constructor)) static void early(void)
{
    ran = 1;
}

int cb_stage_intra(const CbStageIntra *a)
{
    return ran - 1 + a->n - a->n;
}

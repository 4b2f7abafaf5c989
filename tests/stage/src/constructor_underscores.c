/* Hostile: a constructor spelled __constructor__ with a priority (line 5). */
#include "codecbench/stage.h"

static int ran;
static void __attribute__((__constructor__(101), __noinline__)) early(void)
{
    ran = 1;
}

int cb_stage_intra(const CbStageIntra *a)
{
    return ran - 1 + a->n - a->n;
}

/* Hostile: code in a section of its own choosing, spelled __section__. */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a) __attribute__((__section__(".text.stage")));
int cb_stage_intra(const CbStageIntra *a)
{
    return a->n - a->n;
}

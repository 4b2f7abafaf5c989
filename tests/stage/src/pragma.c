/* Hostile: a pragma that turns SSE back on for the rest of the file
 * (line 4). */
#include "codecbench/stage.h"
#pragma GCC target("sse2")

int cb_stage_intra(const CbStageIntra *a)
{
    return a->n - a->n;
}

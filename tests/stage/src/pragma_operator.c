/* Hostile: the pragma operator, which -E turns into a #pragma line
 * (line 6). */
#include "codecbench/stage.h"

#define O(x) _Pragma(#x)
O(GCC optimize("O0"))

int cb_stage_intra(const CbStageIntra *a)
{
    return a->n - a->n;
}

/* Hostile: the pragma operator spelled by token pasting, so that no line
 * of the source holds the word; -E turns it into a #pragma line (line 7). */
#include "codecbench/stage.h"

#define P(a, b) a##b

P(_Pra, gma)("GCC optimize(\"O0\")")

int cb_stage_intra(const CbStageIntra *a)
{
    return a->n - a->n;
}

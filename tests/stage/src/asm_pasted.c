/* Hostile: asm hidden behind token pasting, so that no line of the source
 * holds the word; the preprocessed tokens do (used on line 10). */
#include "codecbench/stage.h"

#define A(x, y) x##y

int cb_stage_intra(const CbStageIntra *a)
{
    int n = a->n;
    A(as, m)("nop");
    return n - a->n;
}

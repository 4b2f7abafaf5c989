/* Hostile: inline assembly spelled asm (line 9). */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    int n = a->n;
    /* Under -std=c11 asm is not even a keyword; the scan refuses the word
     * anyway, so that no spelling of it reaches the compiler. */
    asm("nop");
    return n - a->n;
}

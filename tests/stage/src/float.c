/* Hostile: floating point on the decoder path; -mgeneral-regs-only makes
 * it a compile error. */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    float g = (float)a->corner * 1.5f;
    a->dst[0] = (uint8_t)g;
    return 0;
}

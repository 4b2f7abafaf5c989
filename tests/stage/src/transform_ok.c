/* A correct transform pair for the build tests: a scaled identity
 * (forward times 64, inverse divides back), integers only. */
#include <stdint.h>

#include "codecbench/stage.h"

int cb_stage_transform_fwd(const CbStageXform *a)
{
    for (int k = 0; k < a->n; k++)
        for (int l = 0; l < a->n; l++)
            a->coef[k * a->n + l] = (int32_t)a->res[k * a->stride + l] * 64;
    return 0;
}

int cb_stage_transform_inv(const CbStageXform *a)
{
    for (int k = 0; k < a->n; k++)
        for (int l = 0; l < a->n; l++) {
            int32_t v = a->coef[k * a->n + l];
            a->res[k * a->stride + l] = (int16_t)((v + (v >= 0 ? 32 : -32)) / 64);
        }
    return 0;
}

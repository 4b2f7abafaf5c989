/* A stage that crashes: it writes through a null pointer. */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(a->n - a->n);
    *p = 1;
    return 0;
}

/* Hostile: a function attribute that changes code generation. */
#include "codecbench/stage.h"

int __attribute__((optimize("O0"))) cb_stage_intra(const CbStageIntra *a)
{
    return a->n - a->n;
}

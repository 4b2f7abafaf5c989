/* Hostile: a pointer placed in .init_array by hand (line 5). */
#include "codecbench/stage.h"

static void early(void) {}
static void (*const run_early)(void) __attribute__((section(".init_array"))) = early;

int cb_stage_intra(const CbStageIntra *a)
{
    return a->n - a->n + (run_early != 0) - 1;
}

/* A correct loop-filter stage for the build tests: copies src (memcpy). */
#include <stddef.h>

#include "codecbench/stage.h"

int cb_stage_loop_filter(const CbStageFilter *a)
{
    for (int y = 0; y < a->height; y++)
        memcpy(a->dst + (ptrdiff_t)y * a->stride, a->src + (ptrdiff_t)y * a->stride,
               (size_t)a->width);
    return 0;
}

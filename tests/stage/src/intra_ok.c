/* A correct intra stage for the build tests: DC, vertical, horizontal and
 * a simple average for the other modes; uses the whole world (every
 * header) and memset, which the object may need. */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecbench/stage.h"

static const int8_t shift_of[17] = {0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4};

int cb_stage_intra(const CbStageIntra *a)
{
    int n = a->n;
    bool dc = a->mode == 0 || a->mode > 2;
    if (n < 4 || n > 16 || CHAR_BIT != 8)
        return 1;
    if (dc) {
        int sum = n;
        for (int i = 0; i < n; i++)
            sum += a->top[i] + a->left[i];
        int v = sum >> (shift_of[n] + 1);
        for (int y = 0; y < n; y++)
            memset(a->dst + (ptrdiff_t)y * a->stride, v, (size_t)n);
        return 0;
    }
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            a->dst[(ptrdiff_t)y * a->stride + x] = a->mode == 1 ? a->top[x] : a->left[y];
    return 0;
}

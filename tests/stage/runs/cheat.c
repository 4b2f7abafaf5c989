/* A "cheating" transform pair: the forward transform sends no coefficients
 * at all and keeps the residual in a static buffer; the inverse returns that
 * residual.  In the encoder's process the reconstruction is then nearly the
 * source (it reads source-derived data out of its own memory) at almost no
 * rate; a decoder in another process has no such memory.  Judging must end
 * it as a decoder mismatch, not a perfect score. */
#include "codecbench/stage.h"

static int16_t kept[16 * 16];

int cb_stage_transform_fwd(const CbStageXform *a)
{
    const int n = a->n;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            kept[y * n + x] = a->res[y * a->stride + x];
            a->coef[y * n + x] = 0;
        }
    return 0;
}

int cb_stage_transform_inv(const CbStageXform *a)
{
    const int n = a->n;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            a->res[y * a->stride + x] = kept[y * n + x];
    return 0;
}

/* A "cheating" transform pair: the forward transform keeps the residual in
 * a static buffer and sends one large DC coefficient (so that the block is
 * coded and the inverse is called: a block without coefficients skips it);
 * the inverse returns the kept residual.  In the encoder's process the reconstruction is then nearly the
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
    a->coef[0] = 8192;
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

/* codecbench stage: the engine's built-in loop filter stage (kind
 * "loop_filter"), which leaves the plane as it is.
 *
 * The engine calls cb_stage_loop_filter once per plane of every
 * reconstructed frame, in the encoder and the decoder alike, after its
 * deblocking filter (when the recipe has it on) and before its learned
 * restoration filter is fitted and applied.  The output is what later
 * frames predict from, so a filter that removes coding noise here helps
 * every frame after it.  The built-in one copies src to dst: a stream coded
 * with this stage equals the engine's own, byte for byte, after the
 * header's stage fields.
 *
 * This is the starting point of a loop filter stage a proposer writes
 * (a deringing or sharpening filter, one that depends on qp or the frame
 * type, ...).  Keep the rules of include/codecbench/stage.h: integers only,
 * deterministic, no state between calls, write every sample of dst
 * (width x height, rows stride bytes apart), read only src (the plane
 * before this filter, the same stride) and the scratch buffer, return 0.
 */
#include "codecbench/stage.h"

int cb_stage_loop_filter(const CbStageFilter *a)
{
    if (a->width < 1 || a->height < 1 || a->stride < a->width)
        return 1;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *s = a->src + y * a->stride;
        uint8_t *d = a->dst + y * a->stride;
        for (int x = 0; x < a->width; x++)
            d[x] = s[x];
    }
    return 0;
}

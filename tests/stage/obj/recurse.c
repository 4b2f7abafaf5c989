/* Recurses without end (not a tail call: the frame is used after the call):
 * the stack limit ends it with SIGSEGV. */
#include "codecbench/stage.h"

static int deep(volatile unsigned char *up, int depth)
{
    volatile unsigned char frame[512];
    frame[0] = up ? up[0] : 1;
    frame[511] = (unsigned char)depth;
    return deep(frame, depth + 1) + frame[511];
}

int cb_stage_intra(const CbStageIntra *a)
{
    return deep((volatile unsigned char *)a->dst, 0);
}

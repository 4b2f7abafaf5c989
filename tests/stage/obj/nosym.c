/* Defines a loop filter only: a host asked for an intra stage refuses it
 * ("does not define cb_stage_intra"). */
#include "codecbench/stage.h"

int cb_stage_loop_filter(const CbStageFilter *a)
{
    (void)a;
    return 0;
}

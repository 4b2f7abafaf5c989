/* Returns 7: the engine stops the frame with CB_ESTAGE, "the intra stage
 * returned 7 (...)". */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    (void)a;
    return 7;
}

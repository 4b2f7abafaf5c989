/* A stage that does not compile: the undeclared name is on line 7. */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    (void)a;
    return not_declared_anywhere;
}

/* A stage that tries to read a file into itself at build time. */
#include "/etc/passwd"
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    (void)a;
    return 0;
}

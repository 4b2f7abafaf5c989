/* Hostile: a call to a function the world does not declare (system); it
 * compiles (a warning) and the object check refuses the symbol. */
#include "codecbench/stage.h"

int system(const char *command);

int cb_stage_intra(const CbStageIntra *a)
{
    return system("id > /tmp/owned") + a->n - a->n;
}

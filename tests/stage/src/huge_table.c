/* Hostile: a 256 MiB constant table; the assembler's output passes the
 * compiler's file size limit (RLIMIT_FSIZE) long before the disk fills. */
#include "codecbench/stage.h"

static const unsigned char big[1 << 28] = {1};

int cb_stage_intra(const CbStageIntra *a)
{
    return big[a->n] - 1;
}

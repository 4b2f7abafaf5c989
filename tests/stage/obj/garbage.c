/* Writes bytes of its own into the host's stdout (the protocol's pipe): the
 * client must fail with a protocol error naming the host, never hang. */
#include <sys/syscall.h>
#include <unistd.h>

#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    static const char junk[] = "\x42\x42\x42\x42\xff\xff\xff\x7fHELLO FROM THE STAGE";
    (void)a;
    syscall(SYS_write, 1, junk, sizeof junk - 1);
    return 0;
}

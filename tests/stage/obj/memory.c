/* Takes memory through the raw mmap system call, 1 MiB at a time, touching
 * every page, until the kernel refuses (RLIMIT_DATA), and keeps it.  It
 * returns 1000 + the MiB it got, so the test can read from "the stage
 * returned N" that the data limit held. */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    int mib = 0;
    (void)a;
    for (;;) {
        long p = syscall(SYS_mmap, 0, 1ul << 20, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == -1 || mib >= 100000)
            break;
        for (unsigned long off = 0; off < (1ul << 20); off += 4096)
            ((volatile char *)p)[off] = 1;
        mib++;
    }
    return 1000 + mib;
}

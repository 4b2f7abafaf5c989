/* codecbench: CPU feature detection. */
#include "codecbench/cpu.h"

unsigned cb_cpu_flags(void)
{
    unsigned flags = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse2"))
        flags |= CB_CPU_SSE2;
    if (__builtin_cpu_supports("avx2"))
        flags |= CB_CPU_AVX2;
#endif
    return flags;
}

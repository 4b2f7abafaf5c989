/* codecbench: the CPU features that faster kernels may use. */
#ifndef CODECBENCH_CPU_H
#define CODECBENCH_CPU_H

/** Features, as bits; kernel tables take a mask of them (0: C reference only). */
enum {
    CB_CPU_SSE2 = 1 << 0,
    CB_CPU_AVX2 = 1 << 1,
};

/** What this machine has (0 off x86-64).  Every module's kernel tables ask
 * here, so one detection serves them all. */
unsigned cb_cpu_flags(void);

#endif

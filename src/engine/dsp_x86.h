/* codecbench engine: the x86-64 SIMD kernels of the transform, motion
 * compensation and motion estimation tables (internal to the engine and its
 * unit tests).
 *
 * Each init function overrides entries of a table that already holds the C
 * reference, with the versions the instruction sets in `isa` allow: SSE2 is
 * part of x86-64, AVX2 is detected at run time (cb_engine_cpu_isa()) and its
 * functions carry __attribute__((target("avx2"))), so that no file needs
 * -mavx2.  The tests pass each subset in turn, so every version is compared
 * with the reference, not only the fastest.  Elsewhere the init functions
 * leave the tables alone and cb_engine_cpu_isa() returns 0. */
#ifndef CB_ENGINE_DSP_X86_H
#define CB_ENGINE_DSP_X86_H

#include "codecbench/cpu.h"

#include "engine/mc.h"
#include "engine/me.h"
#include "engine/transform.h"

/** Instruction sets of the engine's SIMD kernels. */
enum {
    CB_ENGINE_ISA_SSE2 = CB_CPU_SSE2,
    CB_ENGINE_ISA_AVX2 = CB_CPU_AVX2,
};

/** The instruction sets this CPU has (0 off x86-64). */
unsigned cb_engine_cpu_isa(void);

void cb_xform_dsp_init_x86(CbXformDsp *dsp, unsigned isa);
void cb_mc_dsp_init_x86(CbMcDsp *dsp, unsigned isa);
/** The distortion kernels only (sad, satd); dsp->mc is left alone. */
void cb_me_dsp_init_x86(CbMeDsp *dsp, unsigned isa);

#endif

/* codecbench metrics: kernel internals shared by the C reference, the x86
 * versions and the tests (private to src/metrics and its tests). */
#ifndef CODECBENCH_METRICS_DSP_H
#define CODECBENCH_METRICS_DSP_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/metrics.h"

/* SSIM constants of x264 and FFmpeg's vf_ssim.c for 8-bit samples, scaled to
 * the integer sums of one 8x8 window (64 pixels):
 *   C1 = (0.01 * 255)^2 times 64           = 416.16   -> 416
 *   C2 = (0.03 * 255)^2 times 64 * 63      = 235962.72 -> 235963
 * (the +0.5 rounds to nearest, as both encoders do). */
#define CB_SSIM_C1_8x8 ((int)(.01 * .01 * 255 * 255 * 64 + .5))
#define CB_SSIM_C2_8x8 ((int)(.03 * .03 * 255 * 255 * 64 * 63 + .5))

/* The C reference kernels (dsp.c). */
uint64_t cb_metrics_sse_line_c(const uint8_t *a, const uint8_t *b, int w);
void cb_metrics_ssim_4x4_line_c(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                                ptrdiff_t stride_b, int32_t (*sums)[4], int n);
double cb_metrics_ssim_end_line_c(const int32_t (*sum0)[4], const int32_t (*sum1)[4], int n);

/* SSIM of one 8x8 window from its sums, computed in float exactly as
 * FFmpeg's ssim_end1() does (integer terms, then float products and one
 * float division); every kernel version must use it or the same arithmetic. */
float cb_metrics_ssim_end1(int s1, int s2, int ss, int s12);

/* Replaces entries of dsp with x86 versions the flags allow (dsp_x86.c);
 * does nothing on other architectures. */
void cb_metrics_dsp_init_x86(CbMetricsDsp *dsp, unsigned cpu_flags);

#endif

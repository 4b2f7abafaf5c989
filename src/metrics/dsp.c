/* codecbench metrics: the C reference kernels and the function table. */
#include "metrics/dsp.h"

uint64_t cb_metrics_sse_line_c(const uint8_t *a, const uint8_t *b, int w)
{
    uint64_t sum = 0;
    for (int x = 0; x < w; x++) {
        int d = a[x] - b[x];
        sum += (uint64_t)(d * d);
    }
    return sum;
}

/* Per 4x4 block the sums stay far inside int32: s1, s2 <= 16 * 255 = 4080,
 * ss <= 32 * 255^2 = 2080800, s12 <= 16 * 255^2. */
void cb_metrics_ssim_4x4_line_c(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                                ptrdiff_t stride_b, int32_t (*sums)[4], int n)
{
    for (int i = 0; i < n; i++) {
        int32_t s1 = 0, s2 = 0, ss = 0, s12 = 0;
        for (int y = 0; y < 4; y++) {
            const uint8_t *pa = a + y * stride_a + 4 * i;
            const uint8_t *pb = b + y * stride_b + 4 * i;
            for (int x = 0; x < 4; x++) {
                int32_t va = pa[x], vb = pb[x];
                s1 += va;
                s2 += vb;
                ss += va * va + vb * vb;
                s12 += va * vb;
            }
        }
        sums[i][0] = s1;
        sums[i][1] = s2;
        sums[i][2] = ss;
        sums[i][3] = s12;
    }
}

/* For an 8x8 window of 8-bit samples every intermediate fits in int:
 * s1, s2 <= 64 * 255 = 16320, so s1 * s1 <= 2.67e8; ss * 64 <= 5.33e8;
 * 2 * covar + C2 and vars + C2 stay below 2^31. */
float cb_metrics_ssim_end1(int s1, int s2, int ss, int s12)
{
    const int c1 = CB_SSIM_C1_8x8, c2 = CB_SSIM_C2_8x8;
    int vars = ss * 64 - s1 * s1 - s2 * s2;
    int covar = s12 * 64 - s1 * s2;
    return (float)(2 * s1 * s2 + c1) * (float)(2 * covar + c2) /
           ((float)(s1 * s1 + s2 * s2 + c1) * (float)(vars + c2));
}

/* Windows are summed in double in order, as FFmpeg 5.1's ssim_endn_8bit. */
double cb_metrics_ssim_end_line_c(const int32_t (*sum0)[4], const int32_t (*sum1)[4], int n)
{
    double ssim = 0.0;
    for (int i = 0; i < n; i++) {
        int s[4];
        for (int k = 0; k < 4; k++)
            s[k] = sum0[i][k] + sum0[i + 1][k] + sum1[i][k] + sum1[i + 1][k];
        ssim += cb_metrics_ssim_end1(s[0], s[1], s[2], s[3]);
    }
    return ssim;
}

unsigned cb_metrics_cpu_flags(void)
{
    return cb_cpu_flags();
}

void cb_metrics_dsp_init(CbMetricsDsp *dsp, unsigned cpu_flags)
{
    dsp->sse_line = cb_metrics_sse_line_c;
    dsp->ssim_4x4_line = cb_metrics_ssim_4x4_line_c;
    dsp->ssim_end_line = cb_metrics_ssim_end_line_c;
    cb_metrics_dsp_init_x86(dsp, cpu_flags);
}

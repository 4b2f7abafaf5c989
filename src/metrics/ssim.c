/* codecbench metrics: SSIM of a plane, as FFmpeg 5.1's vf_ssim.c (8-bit) and
 * x264 compute it.
 *
 * The plane is cut into whole 4x4 blocks (a partial block at the right or
 * bottom edge is ignored); each row of blocks is reduced to per-block sums;
 * every 8x8 window of 2x2 blocks (stepping 4 pixels) gives one SSIM value and
 * the plane's SSIM is their mean over ((w/4) - 1) * ((h/4) - 1) windows.
 * Two rows of block sums are kept, the older one overwritten in turn.
 */
#include <assert.h>

#include "metrics/dsp.h"

/* Entries per row of block sums: w/4 blocks plus the slack FFmpeg keeps
 * (SUM_LEN); the kernels never touch more than w/4 of them. */
static size_t sums_per_row(int w)
{
    return (size_t)(w > 0 ? w >> 2 : 0) + 3;
}

size_t cb_ssim_scratch_size(int w)
{
    return 2 * sums_per_row(w) * sizeof(int32_t[4]);
}

/* Fallback for planes under 8 pixels in width or height, which have no 8x8
 * window: the whole plane is one window of N = w * h pixels, with the
 * constants scaled as in the 8x8 formula (C1 * N, C2 * N * (N - 1), the sums
 * multiplied by N where the window formula multiplies by 64).  For N = 1 the
 * variance term is 0 / 0; it is taken as 1 (N - 1 replaced by 1), so the
 * value is the luminance term alone.  Sums are int64 and the formula double:
 * N <= 7 * CB_FRAME_MAX_DIM keeps every term exact in int64. */
static double ssim_whole_plane(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                               ptrdiff_t stride_b, int w, int h)
{
    int64_t s1 = 0, s2 = 0, ss = 0, s12 = 0;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int64_t va = a[y * stride_a + x], vb = b[y * stride_b + x];
            s1 += va;
            s2 += vb;
            ss += va * va + vb * vb;
            s12 += va * vb;
        }
    }
    int64_t n = (int64_t)w * h;
    const double c1_base = .01 * .01 * 255 * 255, c2_base = .03 * .03 * 255 * 255;
    double c1 = c1_base * (double)n;
    double c2 = c2_base * (double)n * (double)(n > 1 ? n - 1 : 1);
    double vars = (double)(ss * n - s1 * s1 - s2 * s2);
    double covar = (double)(s12 * n - s1 * s2);
    return (2.0 * (double)s1 * (double)s2 + c1) * (2.0 * covar + c2) /
           (((double)s1 * (double)s1 + (double)s2 * (double)s2 + c1) * (vars + c2));
}

double cb_plane_ssim(const CbMetricsDsp *dsp, const uint8_t *a, ptrdiff_t stride_a,
                     const uint8_t *b, ptrdiff_t stride_b, int w, int h, void *scratch)
{
    assert(dsp && a && b && w > 0 && h > 0);
    if (w < 8 || h < 8)
        return ssim_whole_plane(a, stride_a, b, stride_b, w, h);
    assert(scratch);

    const int bw = w >> 2, bh = h >> 2;
    int32_t(*sum0)[4] = scratch;
    int32_t(*sum1)[4] = sum0 + sums_per_row(w);
    double ssim = 0.0;
    int z = 0;
    for (int y = 1; y < bh; y++) {
        /* Block rows y - 1 and y must be summed; sum0 ends with row y. */
        for (; z <= y; z++) {
            int32_t(*t)[4] = sum0;
            sum0 = sum1;
            sum1 = t;
            dsp->ssim_4x4_line(a + 4 * z * stride_a, stride_a, b + 4 * z * stride_b, stride_b,
                               sum0, bw);
        }
        ssim += dsp->ssim_end_line((const int32_t(*)[4])sum0, (const int32_t(*)[4])sum1, bw - 1);
    }
    return ssim / ((bh - 1) * (bw - 1));
}

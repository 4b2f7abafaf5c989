/* codecbench metrics: sums of squared errors and PSNR. */
#include <assert.h>
#include <math.h>

#include "metrics/dsp.h"

uint64_t cb_plane_sse(const CbMetricsDsp *dsp, const uint8_t *a, ptrdiff_t stride_a,
                      const uint8_t *b, ptrdiff_t stride_b, int w, int h)
{
    assert(dsp && a && b && w > 0 && h > 0);
    uint64_t sse = 0;
    /* A row adds at most w * 255^2; the total of a plane within
     * CB_FRAME_MAX_DIM^2 pixels stays below 2^43. */
    for (int y = 0; y < h; y++)
        sse += dsp->sse_line(a + y * stride_a, b + y * stride_b, w);
    return sse;
}

double cb_psnr_from_mse(double mse)
{
    /* MSE 0 (identical planes) and anything that would pass the cap give the
     * cap; NaN is passed through so that a broken caller is seen. */
    if (isnan(mse))
        return mse;
    if (mse <= 0.0)
        return CB_PSNR_CAP_DB;
    double psnr = 10.0 * log10(255.0 * 255.0 / mse);
    return psnr < CB_PSNR_CAP_DB ? psnr : CB_PSNR_CAP_DB;
}

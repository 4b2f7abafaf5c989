/* libFuzzer target: cb_rd_parse_csv on any bytes, then cb_bd_compute on
 * what it accepts (the first half of the points as anchor, the rest as
 * test).  Every accepted curve must give finite numbers or a clean error.
 * Built and run by tests/fuzz/run. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "codecbench/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CbRdPoint *pts = NULL;
    size_t n = 0;
    CbError err;
    if (cb_rd_parse_csv((const char *)data, size, "fuzz", &pts, &n, &err) < 0) {
        if (pts || err.code >= 0)
            abort();
        return 0;
    }
    if (!pts || n == 0 || n > CB_BD_MAX_POINTS)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!isfinite(pts[i].kbps) || !isfinite(pts[i].psnr) || !(pts[i].kbps > 0))
            abort();
    CbBdResult r;
    size_t half = n / 2;
    if (cb_bd_compute(pts, half, pts + half, n - half, &r, &err) == 0) {
        if (isnan(r.bd_rate_pct) || isnan(r.bd_psnr_db) || !(r.overlap_fraction > 0) ||
            r.overlap_fraction > 1)
            abort();
    } else if (err.code >= 0 || err.text[0] == '\0') {
        abort();
    }
    free(pts);
    return 0;
}

/* codecbench engine: intra prediction (see intra.h). */
#include "engine/intra.h"

#include <assert.h>
#include <string.h>

/* Value of every reference sample when none is available: 1 << (8 - 1),
 * H.265 8.4.4.2.2 for 8-bit samples. */
#define NO_REF_VALUE 128

int cb_intra_modes(CbIntraSet set, int *modes)
{
    int n = 0;
    modes[n++] = CB_INTRA_MODE_DC;
    if (set == CB_INTRA_BASIC || set == CB_INTRA_ALL) {
        modes[n++] = CB_INTRA_MODE_V;
        modes[n++] = CB_INTRA_MODE_H;
        modes[n++] = CB_INTRA_MODE_PLANAR;
    }
    if (set == CB_INTRA_ALL) {
        modes[n++] = CB_INTRA_MODE_DIAG_DL;
        modes[n++] = CB_INTRA_MODE_DIAG_DR;
    }
    return n;
}

static int log2_block(int n)
{
    assert(n == 4 || n == 8 || n == 16);
    return n == 4 ? 2 : n == 8 ? 3 : 4;
}

void cb_intra_refs(const uint8_t *plane, ptrdiff_t stride, int pw, int ph, int x, int y, int n,
                   unsigned avail, CbIntraRefs *r)
{
    assert(n == 4 || n == 8 || n == 16);
    /* The 4n + 1 samples in H.265's substitution order: left column from the
     * bottom (index 0 is (x-1, y+2n-1)) up to (x-1, y), then the corner
     * (index 2n), then the top row from (x, y-1) to (x+2n-1, y-1). */
    uint8_t s[4 * CB_INTRA_MAX_N + 1];
    unsigned char ok[4 * CB_INTRA_MAX_N + 1];
    const int m = 2 * n;
    /* Coordinates are compared in long long so that no x, y overflows. */
    const long long lx = (long long)x - 1, ty = (long long)y - 1;

    for (int j = 0; j < m; j++) {
        const int k = m - 1 - j;
        const long long sy = (long long)y + j;
        const unsigned flag = j < n ? CB_AVAIL_LEFT : CB_AVAIL_BOTTOM_LEFT;
        ok[k] = (avail & flag) && lx >= 0 && lx < pw && sy >= 0 && sy < ph;
        s[k] = ok[k] ? plane[(ptrdiff_t)sy * stride + (ptrdiff_t)lx] : 0;
    }
    ok[m] = (avail & CB_AVAIL_TOP_LEFT) && lx >= 0 && lx < pw && ty >= 0 && ty < ph;
    s[m] = ok[m] ? plane[(ptrdiff_t)ty * stride + (ptrdiff_t)lx] : 0;
    for (int i = 0; i < m; i++) {
        const int k = m + 1 + i;
        const long long sx = (long long)x + i;
        const unsigned flag = i < n ? CB_AVAIL_TOP : CB_AVAIL_TOP_RIGHT;
        ok[k] = (avail & flag) && sx >= 0 && sx < pw && ty >= 0 && ty < ph;
        s[k] = ok[k] ? plane[(ptrdiff_t)ty * stride + (ptrdiff_t)sx] : 0;
    }

    const int total = 2 * m + 1;
    int first = 0;
    while (first < total && !ok[first])
        first++;
    if (first == total) {
        memset(s, NO_REF_VALUE, (size_t)total);
    } else {
        s[0] = s[first];
        for (int k = 1; k < total; k++)
            if (!ok[k])
                s[k] = s[k - 1];
    }

    for (int j = 0; j < m; j++)
        r->left[j] = s[m - 1 - j];
    r->corner = s[m];
    for (int i = 0; i < m; i++)
        r->top[i] = s[m + 1 + i];
}

/* H.265 8.4.4.2.5 (INTRA_DC without the edge filter): the rounded mean of
 * the n top and n left samples. */
static void pred_dc(const CbIntraRefs *r, int n, int lg, uint8_t *dst, ptrdiff_t stride)
{
    int sum = n;
    for (int i = 0; i < n; i++)
        sum += r->top[i] + r->left[i];
    const uint8_t dc = (uint8_t)(sum >> (lg + 1));
    for (int j = 0; j < n; j++)
        memset(dst + j * stride, dc, (size_t)n);
}

/* H.265 8.4.4.2.5 INTRA_PLANAR:
 * the mean of a horizontal interpolation between left[y] and top[n] and a
 * vertical one between top[x] and left[n]; weights are non-negative and sum
 * to 2n, so the result stays within the references. */
static void pred_planar(const CbIntraRefs *r, int n, int lg, uint8_t *dst, ptrdiff_t stride)
{
    const int tr = r->top[n], bl = r->left[n];
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            dst[j * stride + i] = (uint8_t)(((n - 1 - i) * r->left[j] + (i + 1) * tr +
                                             (n - 1 - j) * r->top[i] + (j + 1) * bl + n) >>
                                            (lg + 1));
}

void cb_intra_pred(const CbIntraRefs *r, int n, int mode, uint8_t *dst, ptrdiff_t stride)
{
    const int lg = log2_block(n);
    switch (mode) {
    case CB_INTRA_MODE_V:
        for (int j = 0; j < n; j++)
            memcpy(dst + j * stride, r->top, (size_t)n);
        break;
    case CB_INTRA_MODE_H:
        for (int j = 0; j < n; j++)
            memset(dst + j * stride, r->left[j], (size_t)n);
        break;
    case CB_INTRA_MODE_PLANAR: pred_planar(r, n, lg, dst, stride); break;
    case CB_INTRA_MODE_DIAG_DL:
        /* H.265 8.4.4.2.6 with predModeIntra 34, intraPredAngle 32: iIdx =
         * y + 1, iFact = 0, so pred[y][x] = ref[x + y + 2] = top[x + y + 1];
         * the largest index is 2n - 1, the last above-right sample. */
        for (int j = 0; j < n; j++)
            memcpy(dst + j * stride, r->top + j + 1, (size_t)n);
        break;
    case CB_INTRA_MODE_DIAG_DR:
        /* H.265 8.4.4.2.6 with predModeIntra 18, intraPredAngle -32: the
         * reference array is the corner, the top row and the left column
         * projected onto it (invAngle -256), iFact = 0, so pred[y][x] is
         * top[x - y - 1] for x > y, the corner on the diagonal and
         * left[y - x - 1] below it. */
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * stride + i] = i > j    ? r->top[i - j - 1]
                                      : i == j ? r->corner
                                               : r->left[j - i - 1];
        break;
    default:
        /* The parser bounds the mode; anything else predicts DC. */
        assert(mode == CB_INTRA_MODE_DC);
        pred_dc(r, n, lg, dst, stride);
        break;
    }
}

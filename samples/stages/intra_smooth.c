/* codecbench stage: an intra predictor with H.265's reference smoothing and
 * boundary filters (kind "intra").
 *
 * A different, correct predictor, written for the tests and as an example
 * of a stage that changes what the modes predict; like every sample it is a
 * starting point for proposers.  It keeps the engine's six modes (0 DC,
 * 1 vertical, 2 horizontal, 3 planar, 4 diagonal down-left, 5 diagonal
 * down-right; samples/stages/intra.c is the built-in one) and adds, for
 * luma blocks only (plane 0), as H.265 does for cIdx 0:
 *  - the [1 2 1] smoothing of the reference samples (H.265 8.4.4.2.3) for
 *    blocks of 8 and 16 with planar and the two diagonal modes, the modes
 *    H.265's filterFlag selects there (minDistVerHor above the threshold);
 *    DC, vertical and horizontal use the samples as they are;
 *  - the DC boundary filter (8.4.4.2.5): the first row and column blend
 *    the mean with their neighbouring reference;
 *  - the vertical and horizontal edge filters (8.4.4.2.6, disableIntra-
 *    BoundaryFilter 0): the first column (vertical) or row (horizontal)
 *    follows the gradient of the other reference, clipped to 0..255.
 * Everything is integer.  Chroma is predicted as the built-in does.
 */
#include "codecbench/stage.h"

enum { MODE_DC, MODE_V, MODE_H, MODE_PLANAR, MODE_DIAG_DL, MODE_DIAG_DR, MODES };

#define N_MAX 16

static int log2_of(int n)
{
    return n == 4 ? 2 : n == 8 ? 3 : n == 16 ? 4 : -1;
}

static uint8_t clip255(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* The references this predictor works on: copies, smoothed or not. */
typedef struct Refs {
    uint8_t top[2 * N_MAX], left[2 * N_MAX];
    int corner;
} Refs;

/* H.265 8.4.4.2.3 without strong smoothing (which is for 32x32 only): each
 * sample becomes (prev + 2 x itself + next + 2) >> 2 along the array that
 * runs from the bottom of the left column through the corner to the end of
 * the top row; the two ends stay as they are. */
static void smooth(const CbStageIntra *a, Refs *r)
{
    const int m = 2 * a->n;
    r->corner = (a->left[0] + 2 * a->corner + a->top[0] + 2) >> 2;
    for (int j = 0; j < m - 1; j++) {
        int up = j == 0 ? a->corner : a->left[j - 1];
        r->left[j] = (uint8_t)((up + 2 * a->left[j] + a->left[j + 1] + 2) >> 2);
    }
    r->left[m - 1] = a->left[m - 1];
    for (int i = 0; i < m - 1; i++) {
        int before = i == 0 ? a->corner : a->top[i - 1];
        r->top[i] = (uint8_t)((before + 2 * a->top[i] + a->top[i + 1] + 2) >> 2);
    }
    r->top[m - 1] = a->top[m - 1];
}

static void copy_refs(const CbStageIntra *a, Refs *r)
{
    for (int i = 0; i < 2 * a->n; i++) {
        r->top[i] = a->top[i];
        r->left[i] = a->left[i];
    }
    r->corner = a->corner;
}

int cb_stage_intra(const CbStageIntra *a)
{
    const int n = a->n, lg = log2_of(n), mode = a->mode;
    if (lg < 0 || mode < 0 || mode >= MODES || a->corner < 0 || a->corner > 255)
        return 1;
    const int luma = a->plane == 0;
    Refs r;
    if (luma && n >= 8 && (mode == MODE_PLANAR || mode == MODE_DIAG_DL || mode == MODE_DIAG_DR))
        smooth(a, &r);
    else
        copy_refs(a, &r);
    uint8_t *dst = a->dst;
    const ptrdiff_t st = a->stride;
    switch (mode) {
    case MODE_DC: {
        int sum = n;
        for (int i = 0; i < n; i++)
            sum += r.top[i] + r.left[i];
        const int dc = sum >> (lg + 1);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * st + i] = (uint8_t)dc;
        if (luma) {
            /* H.265 8.4.4.2.5, nTbS < 32. */
            dst[0] = (uint8_t)((r.left[0] + 2 * dc + r.top[0] + 2) >> 2);
            for (int i = 1; i < n; i++)
                dst[i] = (uint8_t)((r.top[i] + 3 * dc + 2) >> 2);
            for (int j = 1; j < n; j++)
                dst[j * st] = (uint8_t)((r.left[j] + 3 * dc + 2) >> 2);
        }
        break;
    }
    case MODE_V:
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * st + i] = r.top[i];
        if (luma)
            for (int j = 0; j < n; j++)
                dst[j * st] = clip255(r.top[0] + ((r.left[j] - r.corner) >> 1));
        break;
    case MODE_H:
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * st + i] = r.left[j];
        if (luma)
            for (int i = 0; i < n; i++)
                dst[i] = clip255(r.left[0] + ((r.top[i] - r.corner) >> 1));
        break;
    case MODE_PLANAR: {
        const int tr = r.top[n], bl = r.left[n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * st + i] = (uint8_t)(((n - 1 - i) * r.left[j] + (i + 1) * tr +
                                             (n - 1 - j) * r.top[i] + (j + 1) * bl + n) >>
                                            (lg + 1));
        break;
    }
    case MODE_DIAG_DL:
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * st + i] = r.top[i + j + 1];
        break;
    default: /* MODE_DIAG_DR */
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                dst[j * st + i] = i > j    ? r.top[i - j - 1]
                                  : i == j ? (uint8_t)r.corner
                                           : r.left[j - i - 1];
        break;
    }
    return 0;
}

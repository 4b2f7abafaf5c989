/* codecbench: preview images: frames to RGB, area-averaging scaler,
 * side-by-side composition and the error heat map. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/preview.h"

static int valid_dim(int w, int h)
{
    return w >= 1 && h >= 1 && w <= CB_PREVIEW_MAX_DIM && h <= CB_PREVIEW_MAX_DIM;
}

static int valid_frame(const CbFrame *f)
{
    return f && f->width >= 1 && f->height >= 1 && f->width <= CB_FRAME_MAX_DIM &&
           f->height <= CB_FRAME_MAX_DIM && f->data[0] && f->data[1] && f->data[2] &&
           f->stride[0] >= f->width && f->stride[1] >= cb_plane_width(f->width, 1) &&
           f->stride[2] >= cb_plane_width(f->width, 2);
}

static int valid_image(const CbPreviewImage *img)
{
    return img && img->rgb && valid_dim(img->width, img->height);
}

int cb_preview_image_alloc(CbPreviewImage *img, int width, int height, CbError *err)
{
    if (!img)
        return cb_error_set(err, CB_EINVAL, "preview image: no image given");
    img->width = img->height = 0;
    img->rgb = NULL;
    if (!valid_dim(width, height))
        return cb_error_set(err, CB_EINVAL, "preview image: size %dx%d outside 1..%d", width,
                            height, CB_PREVIEW_MAX_DIM);
    img->rgb = calloc((size_t)width * (size_t)height, 3);
    if (!img->rgb)
        return cb_error_set(err, CB_ENOMEM, "preview image: no memory for %dx%d", width, height);
    img->width = width;
    img->height = height;
    return 0;
}

void cb_preview_image_free(CbPreviewImage *img)
{
    if (!img)
        return;
    free(img->rgb);
    img->rgb = NULL;
    img->width = img->height = 0;
}

/* BT.601 limited range to RGB in 16.16 fixed point, the coefficients
 * FFmpeg's swscale uses by default (ITU-R BT.601: Y 16..235, C 16..240):
 * 255/219 = 1.164383, 1.596027, 0.391762, 0.812968, 2.017232. */
enum {
    K_Y = 76309,
    K_RV = 104597,
    K_GU = 25675,
    K_GV = 53279,
    K_BU = 132201,
};

static uint8_t clamp8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static void yuv_to_rgb(int y, int u, int v, uint8_t *out)
{
    int yy = (y - 16) * K_Y + 32768;
    u -= 128;
    v -= 128;
    out[0] = clamp8((yy + K_RV * v) >> 16);
    out[1] = clamp8((yy - K_GU * u - K_GV * v) >> 16);
    out[2] = clamp8((yy + K_BU * u) >> 16);
}

/* Area-averaging weights along one axis, from sn source to dn destination
 * samples.  Source sample i covers [i*dn, (i+1)*dn) and destination j covers
 * [j*sn, (j+1)*sn) in units of 1/(sn*dn); the weight is the overlap, so the
 * weights of one destination sample sum to sn. */
typedef struct Axis {
    int *first;   /* first source sample of each destination sample */
    int *count;   /* how many source samples it reads */
    int *weight;  /* dn * taps weights, taps per destination sample */
    int taps;
} Axis;

static void axis_free(Axis *a)
{
    free(a->first);
    free(a->count);
    free(a->weight);
    memset(a, 0, sizeof *a);
}

static int axis_init(Axis *a, int sn, int dn)
{
    memset(a, 0, sizeof *a);
    a->taps = sn / dn + 2;
    a->first = malloc(sizeof *a->first * (size_t)dn);
    a->count = malloc(sizeof *a->count * (size_t)dn);
    a->weight = calloc((size_t)dn * (size_t)a->taps, sizeof *a->weight);
    if (!a->first || !a->count || !a->weight)
        goto fail;
    for (int j = 0; j < dn; j++) {
        int64_t lo = (int64_t)j * sn, hi = lo + sn;
        int i0 = (int)(lo / dn), i1 = (int)((hi - 1) / dn);
        assert(i1 - i0 + 1 <= a->taps && i1 < sn);
        a->first[j] = i0;
        a->count[j] = i1 - i0 + 1;
        for (int i = i0; i <= i1; i++) {
            int64_t s = (int64_t)i * dn, e = s + dn;
            if (s < lo)
                s = lo;
            if (e > hi)
                e = hi;
            a->weight[(size_t)j * a->taps + (i - i0)] = (int)(e - s);
        }
    }
    return 0;
fail:
    axis_free(a);
    return CB_ENOMEM;
}

/* Area averaging of an sw x sh image of nch interleaved channels (rows
 * sstride bytes apart) into dw x dh (rows dstride apart): a horizontal pass
 * into a temporary, then a vertical one, each rounding to 8 bits.  Sums fit
 * in int: at most 255 * CB_PREVIEW_MAX_DIM per pass. */
static int scale_plane(const uint8_t *src, ptrdiff_t sstride, int sw, int sh, int nch,
                       uint8_t *dst, ptrdiff_t dstride, int dw, int dh)
{
    Axis ax = {0}, ay = {0};
    uint8_t *tmp = NULL;
    int rc = CB_ENOMEM;
    const size_t line = (size_t)dw * nch;

    /* The common cases directly, with the general loops' exact results: a
     * plane at its own size (chroma of a frame halved into a pane), where a
     * weight of dw and the rounding sw / 2 leave each sample as it is; and
     * exact halving (a 720p frame in a 640x360 pane), where each pass gives
     * (a + b + 1) >> 1 (weights dw, rounding dw, divisor 2 dw). */
    if (sw == dw && sh == dh) {
        for (int y = 0; y < dh; y++)
            memcpy(dst + (ptrdiff_t)y * dstride, src + (ptrdiff_t)y * sstride, line);
        return 0;
    }
    if (nch == 1 && sw == 2 * dw && sh == 2 * dh) {
        for (int y = 0; y < dh; y++) {
            const uint8_t *r0 = src + (ptrdiff_t)(2 * y) * sstride, *r1 = r0 + sstride;
            uint8_t *o = dst + (ptrdiff_t)y * dstride;
            for (int x = 0; x < dw; x++) {
                int h0 = (r0[2 * x] + r0[2 * x + 1] + 1) >> 1;
                int h1 = (r1[2 * x] + r1[2 * x + 1] + 1) >> 1;
                o[x] = (uint8_t)((h0 + h1 + 1) >> 1);
            }
        }
        return 0;
    }
    if (axis_init(&ax, sw, dw) < 0 || axis_init(&ay, sh, dh) < 0)
        goto fail;
    tmp = malloc(line * (size_t)sh);
    if (!tmp)
        goto fail;
    for (int y = 0; y < sh; y++) {
        const uint8_t *row = src + (ptrdiff_t)y * sstride;
        uint8_t *o = tmp + (size_t)y * line;
        for (int x = 0; x < dw; x++) {
            const int *w = ax.weight + (size_t)x * ax.taps;
            for (int c = 0; c < nch; c++) {
                const uint8_t *p = row + (size_t)ax.first[x] * nch + c;
                int s = sw / 2;
                for (int k = 0; k < ax.count[x]; k++, p += nch)
                    s += w[k] * *p;
                o[x * nch + c] = (uint8_t)(s / sw);
            }
        }
    }
    for (int y = 0; y < dh; y++) {
        const int *w = ay.weight + (size_t)y * ay.taps;
        const uint8_t *base = tmp + (size_t)ay.first[y] * line;
        uint8_t *o = dst + (ptrdiff_t)y * dstride;
        for (size_t c = 0; c < line; c++) {
            const uint8_t *p = base + c;
            int s = sh / 2;
            for (int k = 0; k < ay.count[y]; k++, p += line)
                s += w[k] * *p;
            o[c] = (uint8_t)(s / sh);
        }
    }
    rc = 0;
fail:
    free(tmp);
    axis_free(&ax);
    axis_free(&ay);
    return rc;
}

int cb_preview_scale(CbPreviewImage *dst, const CbPreviewImage *src, int width, int height,
                     CbError *err)
{
    int rc;

    if (!dst || !valid_image(src))
        return cb_error_set(err, CB_EINVAL, "preview scale: no source image");
    if (dst == src)
        return cb_error_set(err, CB_EINVAL, "preview scale: source and destination are one");
    rc = cb_preview_image_alloc(dst, width, height, err);
    if (rc < 0)
        return rc;
    rc = scale_plane(src->rgb, (ptrdiff_t)src->width * 3, src->width, src->height, 3, dst->rgb,
                     (ptrdiff_t)width * 3, width, height);
    if (rc < 0) {
        cb_preview_image_free(dst);
        return cb_error_set(err, rc, "preview scale: no memory for %dx%d to %dx%d", src->width,
                            src->height, width, height);
    }
    return 0;
}

int cb_preview_from_frame(CbPreviewImage *dst, const CbFrame *f, int width, int height,
                          CbError *err)
{
    uint8_t *planes = NULL;
    int rc;

    if (!dst || !valid_frame(f))
        return cb_error_set(err, CB_EINVAL, "preview: no valid frame given");
    if (width == 0 && height == 0) {
        width = f->width;
        height = f->height;
    }
    if (!valid_dim(width, height))
        return cb_error_set(err, CB_EINVAL, "preview: size %dx%d outside 1..%d", width, height,
                            CB_PREVIEW_MAX_DIM);
    rc = cb_preview_image_alloc(dst, width, height, err);
    if (rc < 0)
        return rc;
    if (width == f->width && height == f->height) {
        for (int y = 0; y < height; y++) {
            const uint8_t *py = f->data[0] + (ptrdiff_t)y * f->stride[0];
            const uint8_t *pu = f->data[1] + (ptrdiff_t)(y >> 1) * f->stride[1];
            const uint8_t *pv = f->data[2] + (ptrdiff_t)(y >> 1) * f->stride[2];
            uint8_t *o = dst->rgb + (size_t)y * width * 3;
            for (int x = 0; x < width; x++)
                yuv_to_rgb(py[x], pu[x >> 1], pv[x >> 1], o + 3 * x);
        }
        return 0;
    }
    /* Scaled: each plane is area-averaged to the target size in YUV (a third
     * of the work of scaling RGB, and chroma is read at its own resolution),
     * then converted.  This differs from converting first only where the
     * conversion clips. */
    size_t n = (size_t)width * (size_t)height;
    planes = malloc(n * 3);
    if (!planes) {
        rc = cb_error_set(err, CB_ENOMEM, "preview: no memory for %dx%d", width, height);
        goto fail;
    }
    for (int p = 0; p < 3; p++) {
        rc = scale_plane(f->data[p], f->stride[p], cb_plane_width(f->width, p),
                         cb_plane_height(f->height, p), 1, planes + n * p, width, width, height);
        if (rc < 0) {
            rc = cb_error_set(err, rc, "preview: no memory to scale %dx%d to %dx%d", f->width,
                              f->height, width, height);
            goto fail;
        }
    }
    for (size_t i = 0; i < n; i++)
        yuv_to_rgb(planes[i], planes[n + i], planes[2 * n + i], dst->rgb + 3 * i);
    rc = 0;
fail:
    if (rc < 0)
        cb_preview_image_free(dst);
    free(planes);
    return rc;
}

int cb_preview_side_by_side(CbPreviewImage *dst, const CbPreviewImage *a,
                            const CbPreviewImage *b, int gap, const uint8_t *gap_rgb,
                            CbError *err)
{
    static const uint8_t black[3] = {0, 0, 0};
    int rc;

    if (!dst || !valid_image(a) || !valid_image(b))
        return cb_error_set(err, CB_EINVAL, "preview side by side: an image is missing");
    if (gap < 0 || gap > CB_PREVIEW_MAX_DIM)
        return cb_error_set(err, CB_EINVAL, "preview side by side: gap %d outside 0..%d", gap,
                            CB_PREVIEW_MAX_DIM);
    if (!gap_rgb)
        gap_rgb = black;
    /* Each term is <= CB_PREVIEW_MAX_DIM, so the sum cannot overflow. */
    int w = a->width + gap + b->width, h = a->height > b->height ? a->height : b->height;
    rc = cb_preview_image_alloc(dst, w, h, err);
    if (rc < 0)
        return cb_error_prefix(err, "preview side by side");
    for (int y = 0; y < h; y++) {
        uint8_t *o = dst->rgb + (size_t)y * w * 3;
        for (int x = 0; x < w; x++)
            memcpy(o + 3 * x, gap_rgb, 3);
        if (y < a->height)
            memcpy(o, a->rgb + (size_t)y * a->width * 3, (size_t)a->width * 3);
        if (y < b->height)
            memcpy(o + (size_t)(a->width + gap) * 3, b->rgb + (size_t)y * b->width * 3,
                   (size_t)b->width * 3);
    }
    return 0;
}

void cb_preview_heat_rgb(int v, uint8_t rgb[3])
{
    /* Stops at 0, 64, 128, 192, 255: black, blue, red, yellow, white. */
    static const int stop[5] = {0, 64, 128, 192, 255};
    static const uint8_t col[5][3] = {
        {0, 0, 0}, {0, 0, 255}, {255, 0, 0}, {255, 255, 0}, {255, 255, 255}};
    if (v < 0)
        v = 0;
    if (v > 255)
        v = 255;
    int k = 0;
    while (k < 3 && v > stop[k + 1])
        k++;
    int span = stop[k + 1] - stop[k], t = v - stop[k];
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t)((col[k][c] * (span - t) + col[k + 1][c] * t + span / 2) / span);
}

int cb_preview_heatmap(CbPreviewImage *dst, const CbFrame *a, const CbFrame *b, int width,
                       int height, int full_scale, CbError *err)
{
    CbPreviewImage diff = {0}, scaled = {0};
    int rc;

    if (!dst || !valid_frame(a) || !valid_frame(b))
        return cb_error_set(err, CB_EINVAL, "preview heat map: no valid frames given");
    if (a->width != b->width || a->height != b->height)
        return cb_error_set(err, CB_EMISMATCH, "preview heat map: frames of %dx%d and %dx%d",
                            a->width, a->height, b->width, b->height);
    if (full_scale == 0)
        full_scale = CB_PREVIEW_HEAT_SCALE;
    if (full_scale < 1 || full_scale > 255)
        return cb_error_set(err, CB_EINVAL, "preview heat map: full scale %d outside 1..255",
                            full_scale);
    if (width == 0 && height == 0) {
        width = a->width;
        height = a->height;
    }
    if (!valid_dim(width, height))
        return cb_error_set(err, CB_EINVAL, "preview heat map: size %dx%d outside 1..%d", width,
                            height, CB_PREVIEW_MAX_DIM);
    /* The absolute difference goes into all three channels so the scaler
     * averages it; the ramp is applied after scaling (mean error per area). */
    rc = cb_preview_image_alloc(&diff, a->width, a->height, err);
    if (rc < 0)
        goto fail;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *pa = a->data[0] + (ptrdiff_t)y * a->stride[0];
        const uint8_t *pb = b->data[0] + (ptrdiff_t)y * b->stride[0];
        uint8_t *o = diff.rgb + (size_t)y * a->width * 3;
        for (int x = 0; x < a->width; x++) {
            uint8_t d = (uint8_t)(pa[x] > pb[x] ? pa[x] - pb[x] : pb[x] - pa[x]);
            o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = d;
        }
    }
    if (width != a->width || height != a->height) {
        rc = cb_preview_scale(&scaled, &diff, width, height, err);
        if (rc < 0)
            goto fail;
        cb_preview_image_free(&diff);
        diff = scaled;
    }
    {
        size_t n = (size_t)width * height;
        for (size_t i = 0; i < n; i++) {
            int d = diff.rgb[3 * i];
            int v = d >= full_scale ? 255 : (d * 255 + full_scale / 2) / full_scale;
            cb_preview_heat_rgb(v, diff.rgb + 3 * i);
        }
    }
    *dst = diff;
    return 0;
fail:
    cb_preview_image_free(&diff);
    return rc;
}

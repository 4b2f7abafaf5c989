/* codecbench: what a preview shows: the layout of a frame pair (side by
 * side, heat map with its legend, one picture), fitted or zoomed, with the
 * engine's blocks and motion vectors drawn over it; and the text summary
 * for terminals that show no images. */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/metrics.h"
#include "codecbench/preview.h"

/* Between the halves of a side-by-side preview (the contract: 4 pixels),
 * mid-dark grey so that it reads as a divider on dark and light pictures. */
#define GAP_PX 4
static const uint8_t gap_rgb[3] = {64, 64, 64};

/* The heat map's legend strip: LEGEND_GAP black rows, then LEGEND_BAR rows
 * of the ramp from 0 (left) to full scale (right).  Drawn only when the box
 * is at least LEGEND_MIN_BOX rows high, so a tiny pane keeps its picture. */
#define LEGEND_GAP 4
#define LEGEND_BAR 8
#define LEGEND_ROWS (LEGEND_GAP + LEGEND_BAR)
#define LEGEND_MIN_BOX (4 * LEGEND_ROWS)

/* Overlay colours: saturated and distinct from each other and from most
 * natural-video content (no skin tones or sky greys).  Blocks are outlined
 * all round only when at least OUTLINE_MIN image pixels wide (two lines
 * between neighbours would cover half of an 8-pixel block); smaller ones
 * get their top and left edges (a grid, so the picture stays visible).  Vectors
 * shorter than MV_MIN_PX image pixels are not drawn (a dot says nothing). */
static const uint8_t kind_rgb[3][3] = {
    {255, 64, 64},  /* CB_BLOCK_INTRA: red */
    {64, 160, 255}, /* CB_BLOCK_INTER: blue */
    {64, 224, 64},  /* CB_BLOCK_SKIP: green */
};
static const uint8_t mv_rgb[3] = {255, 255, 0};
#define OUTLINE_MIN 12
#define MV_MIN_PX 2.0

/* Worst areas listed by the summary. */
#define WORST_N 5
#define WORST_TILE 16

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }
static int iclamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static int legend_rows(const CbPreviewLayout *l)
{
    return l->mode == CB_PREVIEW_DIFF && l->box_height >= LEGEND_MIN_BOX ? LEGEND_ROWS : 0;
}

/* The box one picture gets: half the width (less the gap) side by side, the
 * height less the legend for the heat map. */
static void pane_size(const CbPreviewLayout *l, int *pw, int *ph)
{
    *pw = l->mode == CB_PREVIEW_SIDE ? (l->box_width - GAP_PX) / 2 : l->box_width;
    *ph = l->box_height - legend_rows(l);
    if (*pw < 1)
        *pw = 1;
    if (*ph < 1)
        *ph = 1;
}

void cb_preview_region(const CbPreviewLayout *l, int w, int h, int *x, int *y, int *rw, int *rh)
{
    int rx = 0, ry = 0, sw = w, sh = h;
    if (l && w > 0 && h > 0 && (l->zoom == 1 || l->zoom == 2 || l->zoom == 4)) {
        int pw, ph;
        pane_size(l, &pw, &ph);
        sw = iclamp(pw / l->zoom, 1, w);
        sh = iclamp(ph / l->zoom, 1, h);
        rx = iclamp(l->cx - sw / 2, 0, w - sw);
        ry = iclamp(l->cy - sh / 2, 0, h - sh);
    }
    if (x)
        *x = rx;
    if (y)
        *y = ry;
    if (rw)
        *rw = sw;
    if (rh)
        *rh = sh;
}

/* The size a w x h picture takes in a pw x ph pane at zoom 0: larger
 * pictures are scaled down keeping the aspect ratio (the longer side fills
 * the pane); smaller ones are shown at the largest whole magnification that
 * fits (pixels replicated exactly, never smeared by a fractional scale).
 * *k is that magnification, 0 when scaled down. */
static void fit_size(int w, int h, int pw, int ph, int *ow, int *oh, int *k)
{
    if (w <= pw && h <= ph) {
        *k = imin(pw / w, ph / h);
        *ow = w * *k;
        *oh = h * *k;
        return;
    }
    *k = 0;
    if ((int64_t)w * ph >= (int64_t)h * pw) { /* the width limits */
        *ow = pw;
        *oh = (int)(((int64_t)h * pw * 2 + w) / (2 * (int64_t)w));
    } else {
        *oh = ph;
        *ow = (int)(((int64_t)w * ph * 2 + h) / (2 * (int64_t)h));
    }
    if (*ow < 1)
        *ow = 1;
    if (*oh < 1)
        *oh = 1;
}

/* A borrowed view of f's pixels from (x, y), w x h; x and y even, so the
 * chroma samples keep their positions. */
static CbFrame crop_view(const CbFrame *f, int x, int y, int w, int h)
{
    assert(!(x & 1) && !(y & 1));
    CbFrame c = *f;
    c.width = w;
    c.height = h;
    c.data[0] = f->data[0] + (ptrdiff_t)y * f->stride[0] + x;
    for (int p = 1; p < 3; p++)
        c.data[p] = f->data[p] + (ptrdiff_t)(y / 2) * f->stride[p] + x / 2;
    c.buf = NULL;
    return c;
}

/* dst = k-times exact replication of src's rw x rh area at (dx, dy). */
static int cut_replicate(CbPreviewImage *dst, const CbPreviewImage *src, int dx, int dy, int rw,
                         int rh, int k, CbError *err)
{
    int rc = cb_preview_image_alloc(dst, rw * k, rh * k, err);
    if (rc < 0)
        return rc;
    size_t row = (size_t)dst->width * 3;
    for (int y = 0; y < rh; y++) {
        const uint8_t *s = src->rgb + ((size_t)(dy + y) * src->width + dx) * 3;
        uint8_t *o = dst->rgb + (size_t)y * k * row;
        if (k == 1) {
            memcpy(o, s, (size_t)rw * 3);
        } else {
            for (int x = 0; x < rw; x++)
                for (int r = 0; r < k; r++)
                    memcpy(o + ((size_t)x * k + r) * 3, s + (size_t)x * 3, 3);
        }
        for (int r = 1; r < k; r++)
            memcpy(o + r * row, o, row);
    }
    return 0;
}

/* One picture of a pane: frame f (heat == NULL) or the heat map of |f -
 * heat|, of the region (rx, ry, rw, rh), at exact magnification k >= 1, or
 * scaled down to ow x oh when k == 0. */
static int render(CbPreviewImage *dst, const CbFrame *f, const CbFrame *heat, int scale, int rx,
                  int ry, int rw, int rh, int k, int ow, int oh, CbError *err)
{
    CbPreviewImage native = {0};
    int rc;
    if (k == 0) {
        /* Only the whole frame is ever scaled down (zoom 0). */
        return heat ? cb_preview_heatmap(dst, f, heat, ow, oh, scale, err)
                    : cb_preview_from_frame(dst, f, ow, oh, err);
    }
    int x0 = rx & ~1, y0 = ry & ~1;
    CbFrame cf = crop_view(f, x0, y0, rw + rx - x0, rh + ry - y0);
    if (heat) {
        CbFrame ch = crop_view(heat, x0, y0, rw + rx - x0, rh + ry - y0);
        rc = cb_preview_heatmap(&native, &cf, &ch, 0, 0, scale, err);
    } else {
        rc = cb_preview_from_frame(&native, &cf, 0, 0, err);
    }
    if (rc < 0)
        goto fail;
    rc = cut_replicate(dst, &native, rx - x0, ry - y0, rw, rh, k, err);
fail:
    cb_preview_image_free(&native);
    return rc;
}

static void put_px(CbPreviewImage *img, int x, int y, const uint8_t rgb[3])
{
    if (x >= 0 && y >= 0 && x < img->width && y < img->height)
        memcpy(img->rgb + ((size_t)y * img->width + x) * 3, rgb, 3);
}

static void hline(CbPreviewImage *img, int x0, int x1, int y, const uint8_t rgb[3])
{
    if (y < 0 || y >= img->height)
        return;
    for (int x = imax(x0, 0); x <= imin(x1, img->width - 1); x++)
        put_px(img, x, y, rgb);
}

static void vline(CbPreviewImage *img, int x, int y0, int y1, const uint8_t rgb[3])
{
    if (x < 0 || x >= img->width)
        return;
    for (int y = imax(y0, 0); y <= imin(y1, img->height - 1); y++)
        put_px(img, x, y, rgb);
}

/* Bresenham; pixels outside the image are skipped.  Endpoints are bounded
 * by the caller (a vector is at most a few thousand pixels long). */
static void line(CbPreviewImage *img, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        put_px(img, x0, y0, rgb);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * e;
        if (e2 >= dy) {
            x0 += sx;
            e += dy;
        }
        if (e2 <= dx) {
            y0 += sy;
            e += dx;
        }
    }
}

/* Frame coordinate to image coordinate: image pixel of the frame pixel's
 * left/top edge. */
static int map_x(double fx, int rx, double s) { return (int)floor((fx - rx) * s); }

/* Draws p's blocks and vectors over img, which shows the region (rx, ry,
 * rw, rh) of p's frames scaled to img's size. */
static void draw_overlay(CbPreviewImage *img, const CbFramePair *p, int rx, int ry, int rw,
                         int rh)
{
    int w = p->recon.width, h = p->recon.height;
    double sx = (double)img->width / rw, sy = (double)img->height / rh;
    for (int r = 0; r < p->block_rows; r++) {
        for (int c = 0; c < p->block_cols; c++) {
            const CbBlockInfo *b = &p->blocks[(size_t)r * p->block_cols + c];
            int n = b->size == 16 && !(c & 1) && !(r & 1) ? 2 : 1;
            if (b->size == 16 && n == 1)
                continue; /* not the block's top-left cell: drawn there */
            int fx0 = c * CB_BLOCK_GRID, fy0 = r * CB_BLOCK_GRID;
            int fx1 = imin(fx0 + n * CB_BLOCK_GRID, w), fy1 = imin(fy0 + n * CB_BLOCK_GRID, h);
            if (fx1 <= rx || fy1 <= ry || fx0 >= rx + rw || fy0 >= ry + rh)
                continue;
            const uint8_t *col = kind_rgb[b->kind <= CB_BLOCK_SKIP ? b->kind : CB_BLOCK_INTRA];
            int ix0 = map_x(fx0, rx, sx), ix1 = map_x(fx1, rx, sx) - 1;
            int iy0 = map_x(fy0, ry, sy), iy1 = map_x(fy1, ry, sy) - 1;
            hline(img, ix0, ix1, iy0, col);
            vline(img, ix0, iy0, iy1, col);
            if (ix1 - ix0 + 1 >= OUTLINE_MIN && iy1 - iy0 + 1 >= OUTLINE_MIN) {
                hline(img, ix0, ix1, iy1, col);
                vline(img, ix1, iy0, iy1, col);
            }
        }
    }
    for (int r = 0; r < p->block_rows; r++) {
        for (int c = 0; c < p->block_cols; c++) {
            const CbBlockInfo *b = &p->blocks[(size_t)r * p->block_cols + c];
            if (b->kind == CB_BLOCK_INTRA || (b->size == 16 && ((c & 1) || (r & 1))))
                continue;
            int size = b->size == 16 ? 16 : 8;
            /* Vectors are quarter-pel; the decoder bounds them, but this
             * is drawing, not decoding: clamp to the frame's diagonal. */
            double mx = iclamp(b->mvx, -4 * CB_FRAME_MAX_DIM, 4 * CB_FRAME_MAX_DIM) / 4.0;
            double my = iclamp(b->mvy, -4 * CB_FRAME_MAX_DIM, 4 * CB_FRAME_MAX_DIM) / 4.0;
            if (hypot(mx * sx, my * sy) < MV_MIN_PX)
                continue;
            double fcx = c * CB_BLOCK_GRID + size / 2.0, fcy = r * CB_BLOCK_GRID + size / 2.0;
            if (fcx < rx || fcy < ry || fcx >= rx + rw || fcy >= ry + rh)
                continue;
            line(img, map_x(fcx, rx, sx), map_x(fcy, ry, sy), map_x(fcx + mx, rx, sx),
                 map_x(fcy + my, ry, sy), mv_rgb);
        }
    }
}

/* Appends the legend strip under img: black rows, then the ramp. */
static int add_legend(CbPreviewImage *img, CbError *err)
{
    CbPreviewImage out = {0};
    int rc = cb_preview_image_alloc(&out, img->width, img->height + LEGEND_ROWS, err);
    if (rc < 0)
        return rc;
    memcpy(out.rgb, img->rgb, (size_t)img->width * img->height * 3);
    uint8_t *bar = out.rgb + (size_t)(img->height + LEGEND_GAP) * img->width * 3;
    int w = img->width;
    for (int x = 0; x < w; x++) {
        int v = w > 1 ? (x * 255 + (w - 1) / 2) / (w - 1) : 255;
        cb_preview_heat_rgb(v, bar + (size_t)x * 3);
    }
    for (int y = 1; y < LEGEND_BAR; y++)
        memcpy(bar + (size_t)y * w * 3, bar, (size_t)w * 3);
    cb_preview_image_free(img);
    *img = out;
    return 0;
}

static int valid_pair(const CbFramePair *p)
{
    const CbFrame *s = &p->source, *r = &p->recon;
    if (!s->data[0] || !r->data[0] || s->width < 1 || s->height < 1 ||
        s->width != r->width || s->height != r->height)
        return 0;
    if (p->blocks && (p->block_cols != (s->width + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID ||
                      p->block_rows != (s->height + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID))
        return 0;
    return 1;
}

/* One pane: picture f (or heat map of f against heat) of pair owner's
 * frames, with owner's overlay when asked. */
static int pane(CbPreviewImage *dst, const CbFrame *f, const CbFrame *heat,
                const CbFramePair *owner, const CbPreviewLayout *l, CbError *err)
{
    int w = f->width, h = f->height, pw, ph, rx, ry, rw, rh, k, ow, oh;
    pane_size(l, &pw, &ph);
    cb_preview_region(l, w, h, &rx, &ry, &rw, &rh);
    if (l->zoom) {
        k = l->zoom;
        ow = rw * k;
        oh = rh * k;
    } else {
        fit_size(w, h, pw, ph, &ow, &oh, &k);
    }
    int rc = render(dst, f, heat, l->heat_scale, rx, ry, rw, rh, k, ow, oh, err);
    if (rc < 0)
        return rc;
    if (l->overlay && owner && owner->blocks)
        draw_overlay(dst, owner, rx, ry, rw, rh);
    if (heat && legend_rows(l)) {
        rc = add_legend(dst, err);
        if (rc < 0)
            cb_preview_image_free(dst);
    }
    return rc;
}

int cb_preview_compose(CbPreviewImage *dst, const CbFramePair *a, const CbFramePair *b,
                       const CbPreviewLayout *l, CbError *err)
{
    CbPreviewImage left = {0}, right = {0};
    int rc;
    if (!dst || !a || !l)
        return cb_error_set(err, CB_EINVAL, "preview: no frame pair or layout given");
    if (!valid_pair(a) || (b && !valid_pair(b)))
        return cb_error_set(err, CB_EINVAL, "preview: a frame pair without matching frames "
                                            "or block map");
    if (b && (b->recon.width != a->recon.width || b->recon.height != a->recon.height))
        return cb_error_set(err, CB_EMISMATCH, "preview: frames of %dx%d and %dx%d compared",
                            a->recon.width, a->recon.height, b->recon.width, b->recon.height);
    if (l->mode < CB_PREVIEW_SIDE || l->mode > CB_PREVIEW_RECON)
        return cb_error_set(err, CB_EINVAL, "preview: unknown mode %d", (int)l->mode);
    if (l->zoom != 0 && l->zoom != 1 && l->zoom != 2 && l->zoom != 4)
        return cb_error_set(err, CB_EINVAL, "preview: zoom %d is not 0, 1, 2 or 4", l->zoom);
    if (l->box_width < 1 || l->box_height < 1 || l->box_width > CB_PREVIEW_MAX_DIM ||
        l->box_height > CB_PREVIEW_MAX_DIM ||
        (l->mode == CB_PREVIEW_SIDE && l->box_width < GAP_PX + 2))
        return cb_error_set(err, CB_EINVAL, "preview: a box of %dx%d pixels is too small",
                            l->box_width, l->box_height);
    if (l->heat_scale < 0 || l->heat_scale > 255)
        return cb_error_set(err, CB_EINVAL, "preview: heat map full scale %d outside 0..255",
                            l->heat_scale);
    /* What each pane shows: the left (or only) picture and the right one. */
    const CbFrame *lf, *rf = NULL, *heat = NULL;
    const CbFramePair *lo = a, *ro = b ? b : a;
    /* The overlay goes on reconstructions and the heat map; side by side
     * the source stays clean to compare with (alone, as flip's half, it
     * carries the overlay so that flipping changes only the pixels). */
    switch (l->mode) {
    case CB_PREVIEW_SIDE:
        lf = b ? &a->recon : &a->source;
        rf = b ? &b->recon : &a->recon;
        lo = b ? a : NULL;
        break;
    case CB_PREVIEW_DIFF:
        lf = b ? &a->recon : &a->source;
        heat = b ? &b->recon : &a->recon;
        break;
    case CB_PREVIEW_SOURCE:
        lf = b ? &a->recon : &a->source;
        break;
    default:
        lf = b ? &b->recon : &a->recon;
        lo = b ? b : a;
        break;
    }
    rc = pane(&left, lf, heat, lo, l, err);
    if (rc < 0)
        goto fail;
    if (!rf) {
        *dst = left;
        return 0;
    }
    rc = pane(&right, rf, NULL, ro, l, err);
    if (rc < 0)
        goto fail;
    rc = cb_preview_side_by_side(dst, &left, &right, GAP_PX, gap_rgb, err);
fail:
    cb_preview_image_free(&left);
    cb_preview_image_free(&right);
    return rc;
}

/* ---- the text summary ---------------------------------------------------- */

/* Appends printf-style text as lines of at most cols characters: broken at
 * the last space that fits (a word longer than a line is cut), continuation
 * lines indented by two spaces. */
static int add_line(CbBuf *out, int cols, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int add_line(CbBuf *out, int cols, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof text)
        return CB_EINVAL; /* every format here is short and fixed */
    const char *s = text;
    int indent = 0, rc = 0;
    while (*s && rc == 0) {
        int room = cols - indent, len = (int)strlen(s), take = len;
        if (len > room) {
            take = room;
            for (int i = room; i > 0; i--)
                if (s[i] == ' ') {
                    take = i;
                    break;
                }
        }
        if (indent)
            rc = cb_buf_puts(out, "  ");
        if (rc == 0)
            rc = cb_buf_append(out, s, (size_t)take);
        if (rc == 0)
            rc = cb_buf_puts(out, "\n");
        s += take;
        while (*s == ' ')
            s++;
        indent = 2;
    }
    return rc;
}

typedef struct Area {
    int x, y;
    double mae;
} Area;

/* PSNR of the three planes of d against r (through src/metrics' kernels),
 * the mean and largest absolute luma error, and the worst 16x16 tiles. */
static void measure(const CbFrame *r, const CbFrame *d, double psnr[3], double *mae, int *maxe,
                    Area worst[WORST_N], int *n_worst)
{
    CbMetricsDsp dsp;
    cb_metrics_dsp_init(&dsp, cb_metrics_cpu_flags());
    for (int p = 0; p < 3; p++) {
        int w = cb_plane_width(r->width, p), h = cb_plane_height(r->height, p);
        uint64_t sse = cb_plane_sse(&dsp, r->data[p], r->stride[p], d->data[p], d->stride[p], w, h);
        psnr[p] = cb_psnr_from_mse((double)sse / ((double)w * h));
    }
    uint64_t sum = 0;
    int mx = 0;
    *n_worst = 0;
    for (int ty = 0; ty < r->height; ty += WORST_TILE) {
        for (int tx = 0; tx < r->width; tx += WORST_TILE) {
            int tw = imin(WORST_TILE, r->width - tx), th = imin(WORST_TILE, r->height - ty);
            uint64_t ts = 0;
            for (int y = ty; y < ty + th; y++) {
                const uint8_t *pa = r->data[0] + (ptrdiff_t)y * r->stride[0];
                const uint8_t *pb = d->data[0] + (ptrdiff_t)y * d->stride[0];
                for (int x = tx; x < tx + tw; x++) {
                    int e = abs(pa[x] - pb[x]);
                    ts += (uint64_t)e;
                    mx = imax(mx, e);
                }
            }
            sum += ts;
            Area a = {tx, ty, (double)ts / ((double)tw * th)};
            /* Insertion into the sorted top list; ties keep raster order. */
            int i = *n_worst < WORST_N ? (*n_worst)++ : WORST_N;
            while (i > 0 && worst[i - 1].mae < a.mae) {
                if (i < WORST_N)
                    worst[i] = worst[i - 1];
                i--;
            }
            if (i < WORST_N)
                worst[i] = a;
        }
    }
    *mae = (double)sum / ((double)r->width * r->height);
    *maxe = mx;
}

static int summarise(CbBuf *out, int cols, const char *what, const CbFrame *r, const CbFrame *d)
{
    double psnr[3], mae;
    int maxe, n_worst, rc;
    Area worst[WORST_N];
    measure(r, d, psnr, &mae, &maxe, worst, &n_worst);
    rc = add_line(out, cols, "%s: PSNR-Y %.3f dB, PSNR-U %.3f dB, PSNR-V %.3f dB", what, psnr[0],
                  psnr[1], psnr[2]);
    if (rc == 0)
        rc = add_line(out, cols, "mean |error| Y %.3f, largest %d (luma code values)", mae, maxe);
    if (rc == 0 && n_worst && worst[0].mae > 0)
        rc = add_line(out, cols, "worst %dx%d areas (x, y: mean |error| Y):", WORST_TILE,
                      WORST_TILE);
    for (int i = 0; rc == 0 && i < n_worst && worst[i].mae > 0; i++)
        rc = add_line(out, cols, "  %d, %d: %.2f", worst[i].x, worst[i].y, worst[i].mae);
    return rc;
}

static int block_shares(CbBuf *out, int cols, const char *who, const CbFramePair *p)
{
    if (!p->blocks)
        return 0;
    /* Each grid cell is 8x8 pixels (the right and bottom cells may be
     * cut by the frame's edge): shares are of the frame's area. */
    double area[3] = {0, 0, 0};
    for (int r = 0; r < p->block_rows; r++) {
        int ch = imin(CB_BLOCK_GRID, p->recon.height - r * CB_BLOCK_GRID);
        for (int c = 0; c < p->block_cols; c++) {
            int cw = imin(CB_BLOCK_GRID, p->recon.width - c * CB_BLOCK_GRID);
            int k = p->blocks[(size_t)r * p->block_cols + c].kind;
            area[k <= CB_BLOCK_SKIP ? k : CB_BLOCK_INTRA] += (double)cw * ch;
        }
    }
    double all = (double)p->recon.width * p->recon.height;
    return add_line(out, cols, "%sblocks (share of area): intra %.1f %%, inter %.1f %%, skip %.1f %%",
                    who, 100 * area[0] / all, 100 * area[1] / all, 100 * area[2] / all);
}

static int frame_line(CbBuf *out, int cols, const char *who, const CbFramePair *p)
{
    char type[8] = "?";
    if (p->type == 'I' || p->type == 'P' || p->type == 'B')
        type[0] = (char)p->type;
    if (p->packet_bytes)
        return add_line(out, cols, "%sframe %d: %s, packet %u bytes, %dx%d", who, p->index, type,
                        p->packet_bytes, p->recon.width, p->recon.height);
    return add_line(out, cols, "%sframe %d: %s, %dx%d", who, p->index, type, p->recon.width,
                    p->recon.height);
}

int cb_preview_summary(CbBuf *out, const CbFramePair *a, const CbFramePair *b, int cols,
                       CbError *err)
{
    int rc;
    if (!out || !a || cols < 20)
        return cb_error_set(err, CB_EINVAL, "preview summary: no pair, or fewer than 20 columns");
    if (!valid_pair(a) || (b && !valid_pair(b)))
        return cb_error_set(err, CB_EINVAL, "preview summary: a frame pair without matching "
                                            "frames or block map");
    if (b && (b->recon.width != a->recon.width || b->recon.height != a->recon.height))
        return cb_error_set(err, CB_EMISMATCH, "preview summary: frames of %dx%d and %dx%d",
                            a->recon.width, a->recon.height, b->recon.width, b->recon.height);
    if (cols > 400)
        cols = 400;
    size_t len0 = out->len;
    if (!b) {
        rc = frame_line(out, cols, "", a);
        if (rc == 0)
            rc = summarise(out, cols, "reconstruction vs source", &a->source, &a->recon);
        if (rc == 0)
            rc = block_shares(out, cols, "", a);
    } else {
        double pa[3], pb[3], mae;
        int maxe, nw;
        Area worst[WORST_N];
        rc = frame_line(out, cols, "A: ", a);
        if (rc == 0)
            rc = frame_line(out, cols, "B: ", b);
        measure(&a->source, &a->recon, pa, &mae, &maxe, worst, &nw);
        measure(&a->source, &b->recon, pb, &mae, &maxe, worst, &nw);
        if (rc == 0)
            rc = add_line(out, cols, "PSNR-Y vs source: A %.3f dB, B %.3f dB (B - A %+.3f dB)",
                          pa[0], pb[0], pb[0] - pa[0]);
        if (rc == 0)
            rc = summarise(out, cols, "B vs A", &a->recon, &b->recon);
        if (rc == 0)
            rc = block_shares(out, cols, "A: ", a);
        if (rc == 0)
            rc = block_shares(out, cols, "B: ", b);
    }
    if (rc < 0) {
        out->len = len0;
        if (out->data)
            out->data[len0] = '\0';
        return cb_error_set(err, rc, "preview summary: %s", rc == CB_ELIMIT
                                                                 ? "the buffer's cap was reached"
                                                                 : "out of memory");
    }
    return 0;
}

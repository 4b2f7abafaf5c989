/* Unit tests of what a preview shows (src/preview/compose.c): the zoomed
 * region clamped at the frame's edges, exact pixel replication at 2:1 and
 * 4:1, fit sizes worked by hand, the side-by-side gap, the heat map's
 * legend rows, overlay colours at known block positions of a synthetic
 * pair, and the text summary (PSNR by hand and equal to src/metrics',
 * block shares by hand, lines within the width, ASCII only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "codecbench/metrics.h"
#include "codecbench/preview.h"

static void fill_frame(CbFrame *f, int y, int u, int v)
{
    for (int p = 0; p < 3; p++)
        for (int r = 0; r < cb_plane_height(f->height, p); r++)
            memset(f->data[p] + r * f->stride[p], p == 0 ? y : p == 1 ? u : v,
                   (size_t)cb_plane_width(f->width, p));
}

/* Every sample different: luma and both chroma planes vary with x and y, so
 * an image shifted by one pixel or one chroma sample cannot match. */
static void pattern_frame(CbFrame *f)
{
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < cb_plane_height(f->height, p); y++)
            for (int x = 0; x < cb_plane_width(f->width, p); x++)
                f->data[p][y * f->stride[p] + x] =
                    (uint8_t)(p == 0 ? 16 + (x * 7 + y * 13) % 219 : 40 + (x * 11 + y * 5 + p * 30) % 176);
}

static const uint8_t *px(const CbPreviewImage *img, int x, int y)
{
    return img->rgb + ((size_t)y * img->width + x) * 3;
}

static void assert_rgb(const uint8_t *p, int r, int g, int b)
{
    assert_int_equal(p[0], r);
    assert_int_equal(p[1], g);
    assert_int_equal(p[2], b);
}

static void pair_alloc(CbFramePair *p, int w, int h)
{
    memset(p, 0, sizeof *p);
    assert_int_equal(cb_frame_alloc(&p->source, w, h), 0);
    assert_int_equal(cb_frame_alloc(&p->recon, w, h), 0);
}

static void pair_free(CbFramePair *p)
{
    cb_frame_free(&p->source);
    cb_frame_free(&p->recon);
    free(p->blocks);
    p->blocks = NULL;
}

static void test_region_clamped(void **state)
{
    (void)state;
    int x, y, w, h;
    CbPreviewLayout l = {.mode = CB_PREVIEW_SOURCE, .zoom = 2, .box_width = 100, .box_height = 60};
    /* 100x60 pixels at 2:1 show 50x30 frame pixels. */
    l.cx = 100;
    l.cy = 100;
    cb_preview_region(&l, 352, 288, &x, &y, &w, &h);
    assert_int_equal(x, 75);
    assert_int_equal(y, 85);
    assert_int_equal(w, 50);
    assert_int_equal(h, 30);
    l.cx = 0;
    l.cy = 0;
    cb_preview_region(&l, 352, 288, &x, &y, &w, &h);
    assert_int_equal(x, 0);
    assert_int_equal(y, 0);
    l.cx = 351;
    l.cy = 287;
    cb_preview_region(&l, 352, 288, &x, &y, &w, &h);
    assert_int_equal(x, 352 - 50);
    assert_int_equal(y, 288 - 30);
    /* Side by side: each half has (204 - 4) / 2 = 100 pixels. */
    l.mode = CB_PREVIEW_SIDE;
    l.box_width = 204;
    cb_preview_region(&l, 352, 288, &x, &y, &w, &h);
    assert_int_equal(w, 50);
    /* The heat map's legend takes 12 rows: (60 - 12) / 2 = 24. */
    l.mode = CB_PREVIEW_DIFF;
    cb_preview_region(&l, 352, 288, &x, &y, &w, &h);
    assert_int_equal(h, 24);
    /* A box larger than the zoomed frame: all of it. */
    l.zoom = 4;
    l.box_width = l.box_height = 4000;
    cb_preview_region(&l, 352, 288, &x, &y, &w, &h);
    assert_int_equal(x, 0);
    assert_int_equal(y, 0);
    assert_int_equal(w, 352);
    assert_int_equal(h, 288);
    /* Zoom 0: the whole frame. */
    l.zoom = 0;
    l.box_width = l.box_height = 10;
    cb_preview_region(&l, 352, 288, &x, &y, &w, &h);
    assert_int_equal(x, 0);
    assert_int_equal(w, 352);
    assert_int_equal(h, 288);
}

/* Zoom k of the region at (rx, ry) equals the full-size conversion's
 * pixels, each repeated k x k times, exactly. */
static void check_zoom(int k, int cx, int cy, int rx, int ry)
{
    CbFramePair p;
    CbPreviewImage full = {0}, img = {0};
    CbError err;
    pair_alloc(&p, 40, 30);
    pattern_frame(&p.source);
    pattern_frame(&p.recon);
    assert_int_equal(cb_preview_from_frame(&full, &p.source, 0, 0, &err), 0);
    CbPreviewLayout l = {.mode = CB_PREVIEW_SOURCE, .zoom = k, .cx = cx, .cy = cy,
                         .box_width = 16, .box_height = 12};
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    int x, y, w, h;
    cb_preview_region(&l, 40, 30, &x, &y, &w, &h);
    assert_int_equal(x, rx);
    assert_int_equal(y, ry);
    assert_int_equal(img.width, w * k);
    assert_int_equal(img.height, h * k);
    for (int iy = 0; iy < img.height; iy++)
        for (int ix = 0; ix < img.width; ix++)
            assert_memory_equal(px(&img, ix, iy), px(&full, rx + ix / k, ry + iy / k), 3);
    cb_preview_image_free(&img);
    cb_preview_image_free(&full);
    pair_free(&p);
}

static void test_zoom_replicates_exactly(void **state)
{
    (void)state;
    check_zoom(2, 20, 15, 16, 12); /* 8x6 region centred */
    check_zoom(2, 21, 16, 17, 13); /* odd origin: chroma of the right samples */
    check_zoom(4, 0, 29, 0, 27);   /* 4x3 region, clamped at the bottom left */
    check_zoom(1, 39, 0, 24, 0);   /* 16x12 region, clamped at the top right */
}

static void test_fit_sizes(void **state)
{
    (void)state;
    CbFramePair p;
    CbPreviewImage img = {0};
    CbError err;
    pair_alloc(&p, 352, 288);
    pattern_frame(&p.source);
    pattern_frame(&p.recon);
    CbPreviewLayout l = {.mode = CB_PREVIEW_SOURCE, .box_width = 300, .box_height = 300};
    /* Width-limited: 300 x round(288 * 300 / 352 = 245.45) = 245. */
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 300);
    assert_int_equal(img.height, 245);
    cb_preview_image_free(&img);
    /* Height-limited: round(352 * 100 / 288 = 122.2) = 122 x 100. */
    l.box_width = 1000;
    l.box_height = 100;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 122);
    assert_int_equal(img.height, 100);
    cb_preview_image_free(&img);
    /* Smaller than the box: the largest whole magnification, 2 (3 would
     * need 1056 x 864). */
    l.box_width = 1000;
    l.box_height = 700;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 704);
    assert_int_equal(img.height, 576);
    CbPreviewImage full = {0};
    assert_int_equal(cb_preview_from_frame(&full, &p.source, 0, 0, &err), 0);
    assert_memory_equal(px(&img, 701, 575), px(&full, 350, 287), 3);
    cb_preview_image_free(&full);
    cb_preview_image_free(&img);
    pair_free(&p);
    /* The benchmark case: 1280x720 side by side, 640x360 each. */
    pair_alloc(&p, 1280, 720);
    fill_frame(&p.source, 100, 128, 128);
    fill_frame(&p.recon, 100, 128, 128);
    l.mode = CB_PREVIEW_SIDE;
    l.box_width = 1284;
    l.box_height = 400;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 1284);
    assert_int_equal(img.height, 360);
    cb_preview_image_free(&img);
    pair_free(&p);
}

static void test_side_by_side_gap(void **state)
{
    (void)state;
    CbFramePair p;
    CbPreviewImage img = {0};
    CbError err;
    pair_alloc(&p, 8, 8);
    fill_frame(&p.source, 235, 128, 128); /* white */
    fill_frame(&p.recon, 16, 128, 128);   /* black */
    CbPreviewLayout l = {.mode = CB_PREVIEW_SIDE, .box_width = 20, .box_height = 8};
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 8 + 4 + 8);
    assert_int_equal(img.height, 8);
    for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++)
            assert_rgb(px(&img, x, y), 255, 255, 255);
        for (int x = 8; x < 12; x++)
            assert_rgb(px(&img, x, y), 64, 64, 64);
        for (int x = 12; x < 20; x++)
            assert_rgb(px(&img, x, y), 0, 0, 0);
    }
    cb_preview_image_free(&img);
    /* With a second pair: a's reconstruction | b's. */
    CbFramePair q;
    pair_alloc(&q, 8, 8);
    fill_frame(&q.recon, 235, 128, 128);
    assert_int_equal(cb_preview_compose(&img, &p, &q, &l, &err), 0);
    assert_rgb(px(&img, 0, 0), 0, 0, 0);
    assert_rgb(px(&img, 19, 7), 255, 255, 255);
    cb_preview_image_free(&img);
    pair_free(&q);
    /* Another size: refused. */
    pair_alloc(&q, 16, 8);
    assert_int_equal(cb_preview_compose(&img, &p, &q, &l, &err), CB_EMISMATCH);
    pair_free(&q);
    pair_free(&p);
}

static void test_heat_legend_rows(void **state)
{
    (void)state;
    CbFramePair p;
    CbPreviewImage img = {0};
    CbError err;
    pair_alloc(&p, 64, 32);
    fill_frame(&p.source, 100, 128, 128);
    fill_frame(&p.recon, 100, 128, 128);
    /* The left half off by 32 (the full scale: white), the right exact. */
    for (int y = 0; y < 32; y++)
        memset(p.recon.data[0] + y * p.recon.stride[0], 132, 32);
    CbPreviewLayout l = {.mode = CB_PREVIEW_DIFF, .box_width = 64, .box_height = 48};
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 64);
    assert_int_equal(img.height, 32 + 12);
    assert_rgb(px(&img, 0, 0), 255, 255, 255);
    assert_rgb(px(&img, 63, 31), 0, 0, 0);
    for (int y = 32; y < 36; y++) /* the gap rows */
        for (int x = 0; x < 64; x++)
            assert_rgb(px(&img, x, y), 0, 0, 0);
    for (int y = 36; y < 44; y++) { /* the ramp: column x is level x * 255 / 63 */
        assert_rgb(px(&img, 0, y), 0, 0, 0);
        assert_rgb(px(&img, 63, y), 255, 255, 255);
        uint8_t want[3];
        cb_preview_heat_rgb((21 * 255 + 31) / 63, want); /* 85: blue to red, 21/64 of the way */
        assert_memory_equal(px(&img, 21, y), want, 3);
        assert_rgb(want, 84, 0, 171);
    }
    cb_preview_image_free(&img);
    /* A box under 48 rows keeps all its rows for the picture. */
    l.box_height = 47;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.height, 32);
    cb_preview_image_free(&img);
    pair_free(&p);
}

static CbBlockInfo *block_at(CbFramePair *p, int c, int r)
{
    return &p->blocks[r * p->block_cols + c];
}

/* A 32x32 pair with a 4x4 block map: (0,0) intra, (1,0) inter, a 16x16
 * skip block over cells (2..3, 0..1), inter elsewhere; the block of cell
 * (0,2) moves 8 pixels right (32 quarter-pels), the one of (2,2) by a
 * quarter pixel (too small to draw). */
static void overlay_pair(CbFramePair *p)
{
    pair_alloc(p, 32, 32);
    fill_frame(&p->source, 126, 128, 128);
    fill_frame(&p->recon, 126, 128, 128); /* grey 128 */
    p->block_cols = p->block_rows = 4;
    p->blocks = calloc(16, sizeof *p->blocks);
    assert_non_null(p->blocks);
    for (int i = 0; i < 16; i++)
        p->blocks[i] = (CbBlockInfo){.kind = CB_BLOCK_INTER, .size = 8};
    block_at(p, 0, 0)->kind = CB_BLOCK_INTRA;
    for (int r = 0; r < 2; r++)
        for (int c = 2; c < 4; c++)
            *block_at(p, c, r) = (CbBlockInfo){.kind = CB_BLOCK_SKIP, .size = 16};
    block_at(p, 0, 2)->mvx = 32;
    block_at(p, 2, 2)->mvx = 1;
}

static void test_overlay_colours(void **state)
{
    (void)state;
    CbFramePair p;
    CbPreviewImage img = {0};
    CbError err;
    overlay_pair(&p);
    CbPreviewLayout l = {.mode = CB_PREVIEW_RECON, .overlay = 1, .box_width = 32,
                         .box_height = 32};
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 32);
    /* 8-pixel blocks at 1:1: their top and left edges. */
    assert_rgb(px(&img, 0, 0), 255, 64, 64);   /* intra */
    assert_rgb(px(&img, 7, 0), 255, 64, 64);
    assert_rgb(px(&img, 0, 7), 255, 64, 64);
    assert_rgb(px(&img, 7, 7), 128, 128, 128); /* its inside: the picture */
    assert_rgb(px(&img, 3, 3), 128, 128, 128);
    assert_rgb(px(&img, 8, 0), 64, 160, 255);  /* inter */
    assert_rgb(px(&img, 8, 4), 64, 160, 255);
    assert_rgb(px(&img, 15, 4), 128, 128, 128);
    assert_rgb(px(&img, 16, 0), 64, 224, 64);  /* the 16x16 skip block: all round */
    assert_rgb(px(&img, 31, 15), 64, 224, 64);
    assert_rgb(px(&img, 30, 14), 128, 128, 128);
    assert_rgb(px(&img, 24, 8), 128, 128, 128); /* no line inside a 16x16 block */
    assert_rgb(px(&img, 5, 20), 255, 255, 0);   /* the vector from (4,20) to (12,20) */
    assert_rgb(px(&img, 10, 20), 255, 255, 0);
    assert_rgb(px(&img, 4, 21), 128, 128, 128);
    assert_rgb(px(&img, 21, 20), 128, 128, 128); /* a quarter pixel: not drawn */
    cb_preview_image_free(&img);
    /* Side by side: the source (left) stays clean, the reconstruction
     * (right, from x 36) has the overlay. */
    l.mode = CB_PREVIEW_SIDE;
    l.box_width = 68;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 68);
    assert_rgb(px(&img, 0, 0), 128, 128, 128);
    assert_rgb(px(&img, 36, 0), 255, 64, 64);
    cb_preview_image_free(&img);
    l.mode = CB_PREVIEW_RECON;
    l.box_width = 32;
    /* At 2:1 the blocks scale with the picture: 8-pixel blocks are 16
     * image pixels, outlined all round. */
    l.zoom = 2;
    l.cx = 8;
    l.cy = 8;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_int_equal(img.width, 32);
    assert_rgb(px(&img, 15, 15), 255, 64, 64);
    assert_rgb(px(&img, 16, 0), 64, 160, 255);
    assert_rgb(px(&img, 8, 8), 128, 128, 128);
    cb_preview_image_free(&img);
    /* Without overlay: no colour. */
    l.overlay = 0;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
    assert_rgb(px(&img, 0, 0), 128, 128, 128);
    cb_preview_image_free(&img);
    /* A block map of the wrong size is refused. */
    p.block_cols = 3;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), CB_EINVAL);
    p.block_cols = 4;
    pair_free(&p);
}

static void test_bad_layouts(void **state)
{
    (void)state;
    CbFramePair p;
    CbPreviewImage img = {0};
    CbError err;
    pair_alloc(&p, 16, 16);
    CbPreviewLayout l = {.mode = CB_PREVIEW_SIDE, .zoom = 3, .box_width = 64, .box_height = 64};
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), CB_EINVAL);
    l.zoom = 0;
    l.box_width = 5; /* no room for two halves and the gap */
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), CB_EINVAL);
    l.box_width = 64;
    l.mode = (CbPreviewMode)9;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), CB_EINVAL);
    l.mode = CB_PREVIEW_DIFF;
    l.heat_scale = 300;
    assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), CB_EINVAL);
    assert_null(img.rgb);
    pair_free(&p);
}

static void test_summary_psnr_by_hand(void **state)
{
    (void)state;
    CbFramePair p;
    CbError err;
    CbBuf out;
    cb_buf_init(&out, 1 << 16);
    pair_alloc(&p, 4, 4);
    fill_frame(&p.source, 100, 128, 128);
    fill_frame(&p.recon, 100, 128, 128);
    p.recon.data[0][p.recon.stride[0] + 2] = 110; /* Y: one pixel off by 10 */
    p.recon.data[2][0] = 130;                     /* V: one sample off by 2 */
    p.index = 7;
    p.type = 'P';
    p.packet_bytes = 321;
    assert_int_equal(cb_preview_summary(&out, &p, NULL, 80, &err), 0);
    /* Y: MSE 100 / 16 = 6.25, 10 log10(65025 / 6.25) = 40.1720 dB; U
     * identical: the 100 dB cap; V: MSE 4 / 4 = 1, 10 log10(65025) = 48.1308. */
    assert_non_null(strstr(out.data, "frame 7: P, packet 321 bytes, 4x4\n"));
    assert_non_null(strstr(out.data, "PSNR-Y 40.172 dB, PSNR-U 100.000 dB, PSNR-V 48.131 dB"));
    assert_non_null(strstr(out.data, "mean |error| Y 0.625, largest 10 "));
    assert_non_null(strstr(out.data, "  0, 0: "));
    /* The same numbers as src/metrics' frame measurement. */
    CbMetricsCtx *ctx = NULL;
    CbFrameMetrics m;
    assert_int_equal(cb_metrics_ctx_new(&ctx, 4, 4, 0), 0);
    assert_int_equal(cb_metrics_frame(ctx, &p.source, &p.recon, &m), 0);
    cb_metrics_ctx_free(&ctx);
    char want[128];
    assert_true(snprintf(want, sizeof want, "PSNR-Y %.3f dB, PSNR-U %.3f dB, PSNR-V %.3f dB",
                         m.psnr[0], m.psnr[1], m.psnr[2]) < (int)sizeof want);
    assert_non_null(strstr(out.data, want));
    assert_true(fabs(m.psnr[0] - 10 * log10(65025 / 6.25)) < 1e-9);
    cb_buf_free(&out);
    pair_free(&p);
}

static void test_summary_blocks_and_width(void **state)
{
    (void)state;
    CbFramePair p;
    CbError err;
    CbBuf out;
    cb_buf_init(&out, 1 << 16);
    /* 12x12: cells of 64, 32, 32 and 16 pixels (of 144). */
    pair_alloc(&p, 12, 12);
    pattern_frame(&p.source);
    fill_frame(&p.recon, 128, 128, 128);
    p.block_cols = p.block_rows = 2;
    p.blocks = calloc(4, sizeof *p.blocks);
    assert_non_null(p.blocks);
    p.blocks[0].kind = CB_BLOCK_INTRA;
    p.blocks[1].kind = CB_BLOCK_INTER;
    p.blocks[2].kind = CB_BLOCK_SKIP;
    p.blocks[3].kind = CB_BLOCK_SKIP;
    assert_int_equal(cb_preview_summary(&out, &p, NULL, 200, &err), 0);
    /* 64/144 = 44.4 %, 32/144 = 22.2 %, 48/144 = 33.3 %. */
    assert_non_null(strstr(out.data, "intra 44.4 %, inter 22.2 %, skip 33.3 %"));
    for (int cols = 20; cols <= 40; cols += 20) {
        cb_buf_reset(&out);
        CbFramePair q;
        pair_alloc(&q, 12, 12);
        fill_frame(&q.recon, 60, 90, 200);
        assert_int_equal(cb_preview_summary(&out, &p, &q, cols, &err), 0);
        assert_true(out.len > 100);
        int col = 0;
        for (size_t i = 0; i < out.len; i++) {
            unsigned char c = (unsigned char)out.data[i];
            if (c == '\n') {
                col = 0;
                continue;
            }
            assert_true(c >= 32 && c < 127);
            col++;
            assert_true(col <= cols);
        }
        assert_int_equal(out.data[out.len - 1], '\n');
        pair_free(&q);
    }
    /* The cap: CB_ELIMIT, and the buffer keeps what it had. */
    CbBuf small;
    cb_buf_init(&small, 40);
    assert_int_equal(cb_buf_puts(&small, "kept"), 0);
    assert_int_equal(cb_preview_summary(&small, &p, NULL, 80, &err), CB_ELIMIT);
    assert_string_equal(small.data, "kept");
    cb_buf_free(&small);
    assert_int_equal(cb_preview_summary(&out, &p, NULL, 19, &err), CB_EINVAL);
    cb_buf_free(&out);
    pair_free(&p);
}

/* Halving (a 720p frame into a 640x360 pane) takes a direct path in the
 * area-averaging scaler; it must give the general path's result exactly.
 * Reference: the general path (cb_preview_scale on an image whose three
 * channels hold the luma) for Y, the chroma as it is (the planes are
 * already at the output size), converted by cb_preview_from_frame at 1:1
 * on a frame built to hold those triples. */
static void test_halving_exact(void **state)
{
    (void)state;
    enum { W = 24, H = 14 };
    CbFrame f = {0}, g = {0};
    CbPreviewImage ly = {0}, lys = {0}, fast = {0}, ref = {0};
    CbError err;
    assert_int_equal(cb_frame_alloc(&f, 2 * W, 2 * H), 0);
    uint32_t seed = 777;
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < cb_plane_height(2 * H, p); y++)
            for (int x = 0; x < cb_plane_width(2 * W, p); x++) {
                seed = seed * 1103515245u + 12345u;
                f.data[p][y * f.stride[p] + x] = (uint8_t)(seed >> 24);
            }
    assert_int_equal(cb_preview_image_alloc(&ly, 2 * W, 2 * H, &err), 0);
    for (int y = 0; y < 2 * H; y++)
        for (int x = 0; x < 2 * W; x++)
            memset(ly.rgb + ((size_t)y * 2 * W + x) * 3, f.data[0][y * f.stride[0] + x], 3);
    assert_int_equal(cb_preview_scale(&lys, &ly, W, H, &err), 0);
    /* g: luma Ys(x/2, y/2), chroma f's: at 1:1 its pixel (2i, 2j) is the
     * conversion of (Ys(i, j), U(i, j), V(i, j)). */
    assert_int_equal(cb_frame_alloc(&g, 2 * W, 2 * H), 0);
    for (int y = 0; y < 2 * H; y++)
        for (int x = 0; x < 2 * W; x++)
            g.data[0][y * g.stride[0] + x] = *px(&lys, x / 2, y / 2);
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < H; y++)
            memcpy(g.data[p] + y * g.stride[p], f.data[p] + y * f.stride[p], W);
    assert_int_equal(cb_preview_from_frame(&ref, &g, 0, 0, &err), 0);
    assert_int_equal(cb_preview_from_frame(&fast, &f, W, H, &err), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_memory_equal(px(&fast, x, y), px(&ref, 2 * x, 2 * y), 3);
    cb_preview_image_free(&ly);
    cb_preview_image_free(&lys);
    cb_preview_image_free(&fast);
    cb_preview_image_free(&ref);
    cb_frame_free(&f);
    cb_frame_free(&g);
}

/* A block map is the decoder's, but compose draws whatever it holds: kinds,
 * sizes and vectors of seeded random bytes (vectors up to +-2^31) are drawn
 * inside the picture at every zoom, nothing outside it (the sanitiser
 * builds check the memory). */
static void test_overlay_hostile_blocks(void **state)
{
    (void)state;
    CbFramePair p;
    CbPreviewImage img = {0};
    CbError err;
    pair_alloc(&p, 40, 24);
    pattern_frame(&p.source);
    pattern_frame(&p.recon);
    p.block_cols = 5;
    p.block_rows = 3;
    p.blocks = calloc(15, sizeof *p.blocks);
    assert_non_null(p.blocks);
    uint32_t seed = 4242;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 15; i++) {
            uint8_t *b = (uint8_t *)&p.blocks[i];
            for (size_t k = 0; k < sizeof p.blocks[i]; k++) {
                seed = seed * 1103515245u + 12345u;
                b[k] = (uint8_t)(seed >> 24);
            }
        }
        static const int zooms[] = {0, 1, 2, 4};
        for (int m = 0; m < 4; m++) {
            CbPreviewLayout l = {.mode = (CbPreviewMode)m, .zoom = zooms[round % 4],
                                 .cx = round, .cy = round / 2, .overlay = 1,
                                 .box_width = 90, .box_height = 60};
            assert_int_equal(cb_preview_compose(&img, &p, NULL, &l, &err), 0);
            assert_true(img.width >= 1 && img.width <= 90 && img.height <= 60);
            cb_preview_image_free(&img);
        }
    }
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_clamped),
        cmocka_unit_test(test_zoom_replicates_exactly),
        cmocka_unit_test(test_fit_sizes),
        cmocka_unit_test(test_side_by_side_gap),
        cmocka_unit_test(test_heat_legend_rows),
        cmocka_unit_test(test_overlay_colours),
        cmocka_unit_test(test_bad_layouts),
        cmocka_unit_test(test_summary_psnr_by_hand),
        cmocka_unit_test(test_summary_blocks_and_width),
        cmocka_unit_test(test_halving_exact),
        cmocka_unit_test(test_overlay_hostile_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

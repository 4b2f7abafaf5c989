/* Unit tests of the preview images (src/preview/): BT.601 limited-range YUV
 * to RGB against hand-worked pixels, area averaging by hand, side by side,
 * the heat map and its ramp, sixel output decoded back by libsixel's own
 * decoder (PSNR computed here) with size bounds, half blocks checked byte by
 * byte, the xterm 256-colour mapping by hand, and hostile arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>
#include <sixel.h>

#include "codecbench/preview.h"

static void fill_frame(CbFrame *f, int y, int u, int v)
{
    for (int p = 0; p < 3; p++)
        for (int r = 0; r < cb_plane_height(f->height, p); r++)
            memset(f->data[p] + r * f->stride[p], p == 0 ? y : p == 1 ? u : v,
                   (size_t)cb_plane_width(f->width, p));
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

static void test_yuv_to_rgb_by_hand(void **state)
{
    (void)state;
    CbFrame f = {0};
    CbPreviewImage img = {0};
    CbError err;
    assert_int_equal(cb_frame_alloc(&f, 4, 2), 0);
    fill_frame(&f, 16, 128, 128);
    /* Left chroma sample (x 0..1): U=100, V=150; right (x 2..3): neutral. */
    f.data[1][0] = 100;
    f.data[2][0] = 150;
    f.data[0][0] = 126;  /* (0,0) */
    f.data[0][1] = 235;  /* (1,0) */
    f.data[0][2] = 235;  /* (2,0): white */
    f.data[0][3] = 16;   /* (3,0): black */
    f.data[0][f.stride[0] + 2] = 255; /* (2,1): above white, clipped */
    f.data[0][f.stride[0] + 3] = 0;   /* (3,1): below black, clipped */
    assert_int_equal(cb_preview_from_frame(&img, &f, 0, 0, &err), 0);
    assert_int_equal(img.width, 4);
    assert_int_equal(img.height, 2);
    /* By hand, BT.601 limited range: Y'=1.164383(Y-16), R = Y' + 1.596027(V-128),
     * G = Y' - 0.391762(U-128) - 0.812968(V-128), B = Y' + 2.017232(U-128).
     * Y=126 U=100 V=150: Y'=128.082; R=128.082+35.113=163.19 -> 163;
     * G=128.082+10.969-17.885=121.17 -> 121; B=128.082-56.483=71.60 -> 72. */
    assert_rgb(px(&img, 0, 0), 163, 121, 72);
    /* Y=235 U=100 V=150: Y'=255.0; R=290.1 -> 255; G=248.1 -> 248; B=198.5 -> 198
     * (rounding 198.52 in 16.16 fixed point gives 198 or 199; FFmpeg: 198). */
    {
        const uint8_t *p = px(&img, 1, 0);
        assert_int_equal(p[0], 255);
        assert_int_equal(p[1], 248);
        assert_true(p[2] == 198 || p[2] == 199);
    }
    assert_rgb(px(&img, 2, 0), 255, 255, 255);
    assert_rgb(px(&img, 3, 0), 0, 0, 0);
    assert_rgb(px(&img, 2, 1), 255, 255, 255);
    assert_rgb(px(&img, 3, 1), 0, 0, 0);
    /* (0,1): Y=16 with the same chroma: R=35.11->35, G=10.97-17.89<0 -> 0, B<0 -> 0. */
    assert_rgb(px(&img, 0, 1), 35, 0, 0);
    cb_preview_image_free(&img);
    assert_null(img.rgb);
    cb_frame_free(&f);
}

/* An independent reference: FFmpeg's own yuv420p -> rgb24 (swscale
 * defaults) on a 32x16 frame of seeded random samples inside the legal
 * ranges.  Skipped where ffmpeg cannot run. */
static void test_yuv_to_rgb_matches_ffmpeg(void **state)
{
    (void)state;
    const char *ff = getenv("FFMPEG");
    char cmd[1024], in[] = "/tmp/cb_pimg_in_XXXXXX", out[] = "/tmp/cb_pimg_out_XXXXXX";
    int k = snprintf(cmd, sizeof cmd, "'%s' -version >/dev/null 2>&1", ff && *ff ? ff : "ffmpeg");
    assert_true(k > 0 && (size_t)k < sizeof cmd);
    if (system(cmd) != 0) {
        skip();
        return;
    }
    enum { W = 32, H = 16 };
    CbFrame f = {0};
    CbPreviewImage img = {0};
    assert_int_equal(cb_frame_alloc(&f, W, H), 0);
    uint32_t seed = 12345;
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < cb_plane_height(H, p); y++)
            for (int x = 0; x < cb_plane_width(W, p); x++) {
                seed = seed * 1103515245u + 12345u;
                int range = p ? 225 : 220; /* Y 16..235, C 16..240 */
                f.data[p][y * f.stride[p] + x] = (uint8_t)(16 + (seed >> 16) % range);
            }
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "wb");
    assert_non_null(fp);
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < cb_plane_height(H, p); y++)
            assert_int_equal(fwrite(f.data[p] + y * f.stride[p], 1,
                                    (size_t)cb_plane_width(W, p), fp),
                             (size_t)cb_plane_width(W, p));
    assert_int_equal(fclose(fp), 0);
    fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    k = snprintf(cmd, sizeof cmd,
                 "'%s' -nostdin -loglevel error -y -f rawvideo -pix_fmt yuv420p -s %dx%d -i '%s' "
                 "-f rawvideo -pix_fmt rgb24 '%s'",
                 ff && *ff ? ff : "ffmpeg", W, H, in, out);
    assert_true(k > 0 && (size_t)k < sizeof cmd);
    int rc = system(cmd);
    uint8_t ref[W * H * 3];
    fp = fopen(out, "rb");
    size_t got = fp ? fread(ref, 1, sizeof ref, fp) : 0;
    if (fp)
        fclose(fp);
    unlink(in);
    unlink(out);
    assert_int_equal(rc, 0);
    assert_int_equal(got, sizeof ref);
    assert_int_equal(cb_preview_from_frame(&img, &f, 0, 0, NULL), 0);
    /* swscale's default yuv2rgb (nearest chroma, like ours) uses 8-bit
     * lookup tables and SIMD paths that round differently per CPU: here the
     * worst is 3 and the mean 0.82; allow 4 and a mean under 1.5.  (Its
     * accurate_rnd path interpolates chroma, so it is no closer.) */
    int worst = 0;
    long total = 0;
    for (size_t i = 0; i < sizeof ref; i++) {
        int d = abs(img.rgb[i] - ref[i]);
        total += d;
        if (d > worst)
            worst = d;
    }
    print_message("# vs ffmpeg: worst %d, mean %.3f\n", worst, (double)total / sizeof ref);
    assert_true(worst <= 4);
    assert_true(total * 2 < (long)sizeof ref * 3);
    cb_preview_image_free(&img);
    cb_frame_free(&f);
}

static void test_scale_by_hand(void **state)
{
    (void)state;
    CbPreviewImage src = {0}, dst = {0};
    assert_int_equal(cb_preview_image_alloc(&src, 3, 1, NULL), 0);
    const uint8_t row[9] = {0, 0, 0, 90, 30, 3, 180, 60, 255};
    memcpy(src.rgb, row, 9);
    /* 3 -> 2: pixel 0 covers source [0, 1.5): (0*1 + 90*0.5)/1.5 = 30;
     * pixel 1 covers [1.5, 3): (90*0.5 + 180)/1.5 = 150.  Green 10 and 50;
     * blue (3*0.5)/1.5 = 1 and (1.5 + 255)/1.5 = 171. */
    assert_int_equal(cb_preview_scale(&dst, &src, 2, 1, NULL), 0);
    assert_rgb(px(&dst, 0, 0), 30, 10, 1);
    assert_rgb(px(&dst, 1, 0), 150, 50, 171);
    cb_preview_image_free(&dst);
    /* 3 -> 6 (upscale by 2): each pixel repeated. */
    assert_int_equal(cb_preview_scale(&dst, &src, 6, 2, NULL), 0);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 6; x++)
            assert_memory_equal(px(&dst, x, y), row + 3 * (x / 2), 3);
    cb_preview_image_free(&dst);
    cb_preview_image_free(&src);

    /* 4x4 -> 2x2: the mean of each 2x2 block. */
    assert_int_equal(cb_preview_image_alloc(&src, 4, 4, NULL), 0);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            memset(src.rgb + (y * 4 + x) * 3, 10 * (y * 4 + x), 3);
    assert_int_equal(cb_preview_scale(&dst, &src, 2, 2, NULL), 0);
    /* Top-left block 0,10,40,50 -> 25; top-right 20,30,60,70 -> 45;
     * bottom-left 80,90,120,130 -> 105; bottom-right 100,110,140,150 -> 125. */
    assert_rgb(px(&dst, 0, 0), 25, 25, 25);
    assert_rgb(px(&dst, 1, 0), 45, 45, 45);
    assert_rgb(px(&dst, 0, 1), 105, 105, 105);
    assert_rgb(px(&dst, 1, 1), 125, 125, 125);
    cb_preview_image_free(&dst);
    /* Scaling a frame: 1280x720 grey to 640x360 stays that grey. */
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, 1280, 720), 0);
    fill_frame(&f, 235, 128, 128);
    assert_int_equal(cb_preview_from_frame(&dst, &f, 640, 360, NULL), 0);
    assert_int_equal(dst.width, 640);
    assert_int_equal(dst.height, 360);
    assert_rgb(px(&dst, 639, 359), 255, 255, 255);
    assert_rgb(px(&dst, 0, 0), 255, 255, 255);
    cb_preview_image_free(&dst);
    cb_frame_free(&f);
    cb_preview_image_free(&src);
}

static void test_side_by_side(void **state)
{
    (void)state;
    CbPreviewImage a = {0}, b = {0}, d = {0};
    const uint8_t grey[3] = {7, 8, 9};
    assert_int_equal(cb_preview_image_alloc(&a, 2, 3, NULL), 0);
    assert_int_equal(cb_preview_image_alloc(&b, 3, 1, NULL), 0);
    memset(a.rgb, 100, 2 * 3 * 3);
    memset(b.rgb, 200, 3 * 1 * 3);
    assert_int_equal(cb_preview_side_by_side(&d, &a, &b, 2, grey, NULL), 0);
    assert_int_equal(d.width, 7);
    assert_int_equal(d.height, 3);
    assert_rgb(px(&d, 1, 2), 100, 100, 100);
    assert_rgb(px(&d, 2, 0), 7, 8, 9);
    assert_rgb(px(&d, 3, 1), 7, 8, 9);
    assert_rgb(px(&d, 4, 0), 200, 200, 200);
    assert_rgb(px(&d, 6, 0), 200, 200, 200);
    assert_rgb(px(&d, 6, 1), 7, 8, 9); /* b is shorter: padded */
    cb_preview_image_free(&d);
    assert_int_equal(cb_preview_side_by_side(&d, &a, &b, 0, NULL, NULL), 0);
    assert_int_equal(d.width, 5);
    assert_rgb(px(&d, 2, 0), 200, 200, 200);
    assert_rgb(px(&d, 2, 1), 0, 0, 0);
    cb_preview_image_free(&d);
    CbError err;
    assert_int_equal(cb_preview_side_by_side(&d, &a, &b, -1, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_preview_side_by_side(&d, &a, &b, CB_PREVIEW_MAX_DIM, NULL, &err),
                     CB_EINVAL); /* 8197 wide */
    assert_null(d.rgb);
    cb_preview_image_free(&a);
    cb_preview_image_free(&b);
}

static void test_heat_ramp_and_map(void **state)
{
    (void)state;
    uint8_t c[3];
    cb_preview_heat_rgb(0, c);
    assert_rgb(c, 0, 0, 0);
    cb_preview_heat_rgb(64, c);
    assert_rgb(c, 0, 0, 255);
    cb_preview_heat_rgb(128, c);
    assert_rgb(c, 255, 0, 0);
    cb_preview_heat_rgb(192, c);
    assert_rgb(c, 255, 255, 0);
    cb_preview_heat_rgb(255, c);
    assert_rgb(c, 255, 255, 255);
    cb_preview_heat_rgb(32, c); /* half way black -> blue: 127.5 rounds to 128 */
    assert_rgb(c, 0, 0, 128);
    cb_preview_heat_rgb(999, c);
    assert_rgb(c, 255, 255, 255);

    CbFrame a = {0}, b = {0};
    CbPreviewImage h = {0};
    assert_int_equal(cb_frame_alloc(&a, 4, 2), 0);
    assert_int_equal(cb_frame_alloc(&b, 4, 2), 0);
    fill_frame(&a, 100, 128, 128);
    fill_frame(&b, 100, 50, 50); /* chroma differences do not count */
    b.data[0][0] = 116;           /* |d| = 16: half of 32 -> v 128: red */
    b.data[0][1] = 36;            /* |d| = 64 >= 32: white */
    b.data[0][2] = 92;            /* |d| = 8: v 64: blue */
    assert_int_equal(cb_preview_heatmap(&h, &a, &b, 0, 0, 0, NULL), 0);
    assert_rgb(px(&h, 0, 0), 255, 0, 0);
    assert_rgb(px(&h, 1, 0), 255, 255, 255);
    assert_rgb(px(&h, 2, 0), 0, 0, 255);
    assert_rgb(px(&h, 3, 0), 0, 0, 0);
    assert_rgb(px(&h, 0, 1), 0, 0, 0);
    cb_preview_image_free(&h);
    /* Scaled to 2x1: mean |d| of 2x2 blocks: (16+64)/4 = 20 -> v = 20*255/32
     * = 159.4 -> 159: red -> yellow, (159-128)/64*255 = 123.5 green. */
    assert_int_equal(cb_preview_heatmap(&h, &a, &b, 2, 1, 0, NULL), 0);
    assert_int_equal(h.width, 2);
    assert_rgb(px(&h, 0, 0), 255, 124, 0);
    /* (8+0)/4 = 2 -> v = 16 (2*255/32 = 15.9): black -> blue, 16/64*255 = 63.75. */
    assert_rgb(px(&h, 1, 0), 0, 0, 64);
    cb_preview_image_free(&h);
    /* Full scale 255: d 64 -> v 64: blue. */
    assert_int_equal(cb_preview_heatmap(&h, &a, &b, 0, 0, 255, NULL), 0);
    assert_rgb(px(&h, 1, 0), 0, 0, 255);
    cb_preview_image_free(&h);

    CbFrame c3 = {0};
    CbError err;
    assert_int_equal(cb_frame_alloc(&c3, 4, 4), 0);
    assert_int_equal(cb_preview_heatmap(&h, &a, &c3, 0, 0, 0, &err), CB_EMISMATCH);
    assert_non_null(strstr(err.text, "4x2"));
    assert_int_equal(cb_preview_heatmap(&h, &a, &b, 0, 0, 256, &err), CB_EINVAL);
    assert_int_equal(cb_preview_heatmap(&h, &a, &b, 0, 0, -1, &err), CB_EINVAL);
    assert_null(h.rgb);
    cb_frame_free(&a);
    cb_frame_free(&b);
    cb_frame_free(&c3);
}

/* A test picture: a horizontal colour gradient on top, a vertical grey
 * gradient, flat patches of pure colours, and a diagonal mix. */
static void make_picture(CbPreviewImage *img, int w, int h)
{
    const int wm = w > 1 ? w - 1 : 1, hm = h > 1 ? h - 1 : 1, half = w > 1 ? w / 2 : 1;
    assert_int_equal(cb_preview_image_alloc(img, w, h, NULL), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img->rgb + ((size_t)y * w + x) * 3;
            if (y < h / 4) {
                p[0] = (uint8_t)(x * 255 / wm);
                p[1] = (uint8_t)(255 - x * 255 / wm);
                p[2] = 128;
            } else if (y < h / 2) {
                p[0] = p[1] = p[2] = (uint8_t)(y * 255 / hm);
            } else if (x < w / 2) {
                static const uint8_t flat[4][3] = {
                    {255, 0, 0}, {0, 160, 0}, {20, 40, 200}, {240, 240, 240}};
                memcpy(p, flat[(x * 4 / half) & 3], 3);
            } else {
                p[0] = (uint8_t)((x + y) & 255);
                p[1] = (uint8_t)(y * 255 / hm);
                p[2] = (uint8_t)(x * 255 / wm);
            }
        }
}

/* Decodes a sixel sequence with libsixel's decoder into RGB24 (the caller
 * frees it) and returns its size through *w, *h. */
static uint8_t *decode_sixel(const char *data, size_t len, int *w, int *h)
{
    unsigned char *idx = NULL, *pal = NULL;
    int ncolors = 0;
    SIXELSTATUS st = sixel_decode_raw((unsigned char *)data, (int)len, &idx, w, h, &pal,
                                      &ncolors, NULL);
    assert_true(SIXEL_SUCCEEDED(st));
    assert_true(ncolors >= 1 && ncolors <= 256);
    uint8_t *rgb = malloc((size_t)*w * *h * 3);
    assert_non_null(rgb);
    for (size_t i = 0; i < (size_t)*w * *h; i++) {
        if (idx[i] >= ncolors)
            fail_msg("pixel %zu of %dx%d: index %d of %d colours", i, *w, *h, idx[i], ncolors);
        memcpy(rgb + 3 * i, pal + 3 * idx[i], 3); /* libsixel 1.10: RGB triplets */
    }
    free(idx);
    free(pal);
    return rgb;
}

static double psnr(const uint8_t *a, const uint8_t *b, size_t n)
{
    double se = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        se += d * d;
    }
    if (se == 0)
        return INFINITY;
    return 10 * log10(255.0 * 255.0 * n / se);
}

static void round_trip(int w, int h, int mode, double min_psnr, size_t max_bytes)
{
    CbPreviewImage img = {0};
    CbBuf out;
    CbError err;
    size_t bytes = 0;
    int dw = 0, dh = 0;
    make_picture(&img, w, h);
    cb_buf_init(&out, 4u << 20);
    assert_int_equal(cb_buf_puts(&out, "pre"), 0);
    int rc = cb_preview_sixel(&out, &img, mode, &bytes, &err);
    if (rc != 0)
        fail_msg("sixel: %s", err.text);
    assert_int_equal(bytes, out.len - 3);
    assert_memory_equal(out.data, "pre\x1bP", 5); /* 7-bit DCS */
    assert_memory_equal(out.data + out.len - 2, "\x1b\\", 2); /* ST */
    uint8_t *dec = decode_sixel(out.data + 3, bytes, &dw, &dh);
    assert_int_equal(dw, w);
    /* Images under one band (6 rows) come back 6 rows high, the last row
     * repeated (the documented libsixel 1.10 workaround). */
    assert_int_equal(dh, h < 6 ? 6 : h);
    if (h < 6)
        assert_memory_equal(dec + (size_t)(h - 1) * w * 3, dec + (size_t)5 * w * 3,
                            (size_t)w * 3);
    double p = psnr(img.rgb, dec, (size_t)w * h * 3);
    print_message("# sixel %dx%d mode %d: %zu bytes, PSNR %.2f dB\n", w, h, mode, bytes, p);
    assert_true(p >= min_psnr);
    assert_true(bytes <= max_bytes);
    /* Flat patches come back exactly or nearly so (within one palette step). */
    if (w < 8 || h < 8)
        goto done;
    const uint8_t *src = img.rgb + ((size_t)(h * 3 / 4) * w + 2) * 3;
    const uint8_t *got = dec + ((size_t)(h * 3 / 4) * w + 2) * 3;
    for (int c = 0; c < 3; c++)
        assert_true(abs(src[c] - got[c]) <= 8);
done:
    free(dec);
    cb_buf_free(&out);
    cb_preview_image_free(&img);
}

static void test_sixel_round_trip(void **state)
{
    (void)state;
    /* The promise: >= 30 dB, and at most 2 bytes per pixel (fast) / 4
     * (fidelity) on this picture. */
    round_trip(256, 128, CB_PREVIEW_SIXEL_FAST, 30.0, 256 * 128 * 2);
    round_trip(256, 128, CB_PREVIEW_SIXEL_FIDELITY, 30.0, 256 * 128 * 4);
    /* At most 256 colours: the exact palette.  Sixel palettes are in percent,
     * so each channel may be off by up to 255/200 = 1.3: PSNR >= 45.9 dB. */
    round_trip(7, 5, CB_PREVIEW_SIXEL_FAST, 45.0, 7 * 5 * 40);
    round_trip(1, 1, CB_PREVIEW_SIXEL_FAST, 45.0, 64);
    round_trip(16, 6, CB_PREVIEW_SIXEL_FIDELITY, 45.0, 16 * 6 * 40);
}

static void test_sixel_side_by_side_budget(void **state)
{
    (void)state;
    /* The picture: two 640x360 images side by side, from 1280x720
     * frames, must stay under 400 KB in the fast mode. */
    CbFrame f = {0};
    CbPreviewImage a = {0}, b = {0}, sbs = {0};
    assert_int_equal(cb_frame_alloc(&f, 1280, 720), 0);
    /* Camera-like content: smooth gradients, a few flat objects, mild
     * texture (a hash of the position, +-4 code values). */
    for (int y = 0; y < 720; y++)
        for (int x = 0; x < 1280; x++) {
            int v = 40 + x * 120 / 1279 + y * 60 / 719;
            if ((x - 400) * (x - 400) + (y - 300) * (y - 300) < 150 * 150)
                v = 200;
            if (x > 900 && x < 1100 && y > 100 && y < 600)
                v = 60 + (y - 100) / 5;
            v += (int)((((unsigned)x * 2654435761u) ^ ((unsigned)y * 40503u)) >> 29) - 4;
            f.data[0][y * f.stride[0] + x] = (uint8_t)v;
        }
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < 360; y++)
            for (int x = 0; x < 640; x++)
                f.data[p][y * f.stride[p] + x] =
                    (uint8_t)(p == 1 ? 90 + x * 60 / 639 : 160 - y * 60 / 359);
    assert_int_equal(cb_preview_from_frame(&a, &f, 640, 360, NULL), 0);
    /* The "reconstruction": the same with 8x8 blocks of +-2 offsets. */
    for (int y = 0; y < 720; y++)
        for (int x = 0; x < 1280; x++)
            f.data[0][y * f.stride[0] + x] =
                (uint8_t)(f.data[0][y * f.stride[0] + x] + (((x >> 3) + (y >> 3)) & 1) * 2);
    assert_int_equal(cb_preview_from_frame(&b, &f, 640, 360, NULL), 0);
    assert_int_equal(cb_preview_side_by_side(&sbs, &a, &b, 0, NULL, NULL), 0);
    CbBuf out;
    size_t bytes;
    cb_buf_init(&out, 400 * 1000);
    int rc = cb_preview_sixel(&out, &sbs, CB_PREVIEW_SIXEL_FAST, &bytes, NULL);
    assert_int_equal(rc, 0);
    print_message("# sixel 1280x360: %zu bytes\n", bytes);
    assert_true(bytes < 400 * 1000);
    int dw, dh;
    uint8_t *dec = decode_sixel(out.data, out.len, &dw, &dh);
    assert_int_equal(dw, 1280);
    assert_int_equal(dh, 360);
    assert_true(psnr(sbs.rgb, dec, (size_t)dw * dh * 3) >= 30.0);
    free(dec);
    cb_buf_free(&out);
    cb_preview_image_free(&a);
    cb_preview_image_free(&b);
    cb_preview_image_free(&sbs);
    cb_frame_free(&f);
}

static void test_sixel_limits(void **state)
{
    (void)state;
    CbPreviewImage img = {0};
    CbBuf out;
    CbError err;
    size_t bytes = 99;
    make_picture(&img, 64, 64);
    cb_buf_init(&out, 100);
    assert_int_equal(cb_buf_puts(&out, "keep"), 0);
    assert_int_equal(cb_preview_sixel(&out, &img, CB_PREVIEW_SIXEL_FAST, &bytes, &err),
                     CB_ELIMIT);
    assert_int_equal(bytes, 0);
    assert_int_equal(out.len, 4);
    assert_string_equal(out.data, "keep");
    assert_int_equal(cb_preview_sixel(&out, &img, 7, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_preview_sixel(&out, NULL, 0, NULL, &err), CB_EINVAL);
    CbPreviewImage bad = {0, 5, img.rgb};
    assert_int_equal(cb_preview_sixel(&out, &bad, 0, NULL, &err), CB_EINVAL);
    cb_buf_free(&out);
    cb_preview_image_free(&img);
}

/* 4x4 of distinct colours: pixel (x, y) = (10x+1, 10y+2, 100+x+4y). */
static void make_4x4(CbPreviewImage *img, int h)
{
    assert_int_equal(cb_preview_image_alloc(img, 4, h, NULL), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < 4; x++) {
            uint8_t *p = img->rgb + (y * 4 + x) * 3;
            p[0] = (uint8_t)(10 * x + 1);
            p[1] = (uint8_t)(10 * y + 2);
            p[2] = (uint8_t)(100 + x + 4 * y);
        }
}

static void test_blocks_truecolor_exact(void **state)
{
    (void)state;
    CbPreviewImage img = {0};
    CbBuf out;
    char want[2048];
    size_t n = 0;
    make_4x4(&img, 4);
    cb_buf_init(&out, 1 << 16);
    assert_int_equal(cb_preview_blocks(&out, &img, CB_PREVIEW_TRUECOLOR, NULL), 0);
    /* Expected, built cell by cell: line r shows rows 2r (fg) and 2r+1 (bg). */
    for (int r = 0; r < 2; r++) {
        for (int x = 0; x < 4; x++) {
            int t = 2 * r, b = 2 * r + 1;
            int k = snprintf(want + n, sizeof want - n,
                             "\x1b[38;2;%d;%d;%d;48;2;%d;%d;%dm\xe2\x96\x80", 10 * x + 1,
                             10 * t + 2, 100 + x + 4 * t, 10 * x + 1, 10 * b + 2,
                             100 + x + 4 * b);
            assert_true(k > 0 && (size_t)k < sizeof want - n);
            n += (size_t)k;
        }
        memcpy(want + n, "\x1b[0m\n", 5);
        n += 5;
    }
    want[n] = '\0';
    assert_int_equal(out.len, n);
    assert_string_equal(out.data, want);
    /* Spot check one cell by hand: line 1, cell 2 = pixels (2,2) over (2,3). */
    assert_non_null(strstr(out.data, "\x1b[38;2;21;22;110;48;2;21;32;114m\xe2\x96\x80"));
    cb_buf_free(&out);
    cb_preview_image_free(&img);
}

static void test_blocks_runs_and_odd_height(void **state)
{
    (void)state;
    CbPreviewImage img = {0};
    CbBuf out;
    assert_int_equal(cb_preview_image_alloc(&img, 3, 3, NULL), 0);
    /* Rows 0-1 all one colour pair; row 2 two greys then a third. */
    for (int x = 0; x < 3; x++) {
        memset(img.rgb + x * 3, 255, 3);
        memset(img.rgb + (3 + x) * 3, 0, 3);
        memset(img.rgb + (6 + x) * 3, x < 2 ? 50 : 60, 3);
    }
    cb_buf_init(&out, 1 << 12);
    assert_int_equal(cb_preview_blocks(&out, &img, CB_PREVIEW_TRUECOLOR, NULL), 0);
    assert_string_equal(out.data,
                        "\x1b[38;2;255;255;255;48;2;0;0;0m\xe2\x96\x80\xe2\x96\x80\xe2\x96\x80"
                        "\x1b[0m\n"
                        "\x1b[38;2;50;50;50;49m\xe2\x96\x80\xe2\x96\x80"
                        "\x1b[38;2;60;60;60m\xe2\x96\x80\x1b[0m\n");
    cb_buf_reset(&out);
    assert_int_equal(cb_preview_blocks(&out, &img, CB_PREVIEW_256, NULL), 0);
    /* 256 colours: white 231, black 16; greys 50 -> 236 (232+4: 8+10*4=48), 60 -> 237 (58). */
    assert_string_equal(out.data,
                        "\x1b[38;5;231;48;5;16m\xe2\x96\x80\xe2\x96\x80\xe2\x96\x80"
                        "\x1b[0m\n"
                        "\x1b[38;5;236;49m\xe2\x96\x80\xe2\x96\x80"
                        "\x1b[38;5;237m\xe2\x96\x80\x1b[0m\n");
    /* A cap too small: CB_ELIMIT, the buffer as it was. */
    CbBuf small;
    CbError err;
    cb_buf_init(&small, 40);
    assert_int_equal(cb_buf_puts(&small, "x"), 0);
    assert_int_equal(cb_preview_blocks(&small, &img, CB_PREVIEW_TRUECOLOR, &err), CB_ELIMIT);
    assert_string_equal(small.data, "x");
    assert_int_equal(cb_preview_blocks(&small, &img, 9, &err), CB_EINVAL);
    assert_int_equal(cb_preview_blocks(&small, NULL, 0, &err), CB_EINVAL);
    cb_buf_free(&small);
    cb_buf_free(&out);
    cb_preview_image_free(&img);
}

static void test_xterm256_by_hand(void **state)
{
    (void)state;
    assert_int_equal(cb_preview_xterm256(0, 0, 0), 16);
    assert_int_equal(cb_preview_xterm256(255, 255, 255), 231);
    assert_int_equal(cb_preview_xterm256(255, 0, 0), 196);     /* 16+36*5 */
    assert_int_equal(cb_preview_xterm256(0, 255, 0), 46);      /* 16+6*5 */
    assert_int_equal(cb_preview_xterm256(95, 135, 175), 67);   /* 16+36+12+3 */
    assert_int_equal(cb_preview_xterm256(128, 128, 128), 244); /* grey 8+10*12 */
    assert_int_equal(cb_preview_xterm256(8, 8, 8), 232);
    assert_int_equal(cb_preview_xterm256(238, 238, 238), 255);
    assert_int_equal(cb_preview_xterm256(100, 0, 0), 52);      /* 95 -> level 1: 16+36 */
}

static void test_hostile_arguments(void **state)
{
    (void)state;
    CbPreviewImage img = {0}, d = {0};
    CbError err;
    CbFrame f = {0};
    assert_int_equal(cb_preview_image_alloc(&img, 0, 1, &err), CB_EINVAL);
    assert_int_equal(cb_preview_image_alloc(&img, 1, CB_PREVIEW_MAX_DIM + 1, &err), CB_EINVAL);
    assert_int_equal(cb_preview_image_alloc(&img, -5, -5, &err), CB_EINVAL);
    assert_int_equal(cb_preview_image_alloc(NULL, 1, 1, &err), CB_EINVAL);
    assert_null(img.rgb);
    assert_int_equal(cb_preview_from_frame(&d, &f, 0, 0, &err), CB_EINVAL); /* empty frame */
    assert_int_equal(cb_preview_from_frame(&d, NULL, 0, 0, &err), CB_EINVAL);
    assert_int_equal(cb_frame_alloc(&f, 2, 2), 0);
    assert_int_equal(cb_preview_from_frame(&d, &f, 10, 0, &err), CB_EINVAL);
    assert_int_equal(cb_preview_from_frame(&d, &f, 1, 99999, &err), CB_EINVAL);
    assert_int_equal(cb_preview_scale(&d, &img, 1, 1, &err), CB_EINVAL);
    /* 1x1 to the largest size and back: no overflow in the weights. */
    assert_int_equal(cb_preview_from_frame(&d, &f, 1, 1, &err), 0);
    assert_int_equal(cb_preview_scale(&img, &d, CB_PREVIEW_MAX_DIM, 2, &err), 0);
    cb_preview_image_free(&d);
    assert_int_equal(cb_preview_scale(&d, &img, 1, 1, &err), 0);
    assert_int_equal(d.width, 1);
    cb_preview_image_free(&d);
    cb_preview_image_free(&img);
    cb_preview_image_free(NULL);
    cb_frame_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yuv_to_rgb_by_hand),
        cmocka_unit_test(test_yuv_to_rgb_matches_ffmpeg),
        cmocka_unit_test(test_scale_by_hand),
        cmocka_unit_test(test_side_by_side),
        cmocka_unit_test(test_heat_ramp_and_map),
        cmocka_unit_test(test_sixel_round_trip),
        cmocka_unit_test(test_sixel_side_by_side_budget),
        cmocka_unit_test(test_sixel_limits),
        cmocka_unit_test(test_blocks_truecolor_exact),
        cmocka_unit_test(test_blocks_runs_and_odd_height),
        cmocka_unit_test(test_xterm256_by_hand),
        cmocka_unit_test(test_hostile_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* codecbench: preview images as Unicode half blocks in SGR colours. */
#include <stdint.h>
#include <string.h>

#include "codecbench/preview.h"

/* U+2580 UPPER HALF BLOCK in UTF-8. */
#define UPPER_HALF "\xe2\x96\x80"
/* ECMA-48 SGR 0: all attributes off, ending each line. */
#define SGR_RESET "\x1b[0m"

/* The xterm 6x6x6 cube's channel levels (xterm's 256colres.pl) and its grey
 * ramp 232..255 = 8 + 10*i. */
static const int cube_level[6] = {0, 95, 135, 175, 215, 255};

static int cube_index(int v)
{
    int best = 0;
    for (int i = 1; i < 6; i++) {
        int d = v - cube_level[i], db = v - cube_level[best];
        if (d * d < db * db)
            best = i;
    }
    return best;
}

int cb_preview_xterm256(uint8_t r, uint8_t g, uint8_t b)
{
    int ri = cube_index(r), gi = cube_index(g), bi = cube_index(b);
    int dr = r - cube_level[ri], dg = g - cube_level[gi], db = b - cube_level[bi];
    int cube_d = dr * dr + dg * dg + db * db;
    int mean = (r + g + b) / 3;
    int grey = (mean - 8 + 5) / 10;
    if (grey < 0)
        grey = 0;
    if (grey > 23)
        grey = 23;
    int gv = 8 + 10 * grey;
    int grey_d = (r - gv) * (r - gv) + (g - gv) * (g - gv) + (b - gv) * (b - gv);
    if (grey_d < cube_d)
        return 232 + grey;
    return 16 + 36 * ri + 6 * gi + bi;
}

static int put_colour(CbBuf *out, int colors, int fg, const uint8_t *p)
{
    if (colors == CB_PREVIEW_TRUECOLOR)
        return cb_buf_printf(out, "%d;2;%d;%d;%d", fg ? 38 : 48, p[0], p[1], p[2]);
    return cb_buf_printf(out, "%d;5;%d", fg ? 38 : 48, cb_preview_xterm256(p[0], p[1], p[2]));
}

/* Colours as compared for "changed since the previous cell": in 256-colour
 * mode two pixels mapping to one index are the same colour. */
static uint32_t key(int colors, const uint8_t *p)
{
    if (colors == CB_PREVIEW_256)
        return (uint32_t)cb_preview_xterm256(p[0], p[1], p[2]);
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

int cb_preview_blocks(CbBuf *out, const CbPreviewImage *img, int colors, CbError *err)
{
    size_t start;
    int rc = 0;

    if (!out || !img || !img->rgb || img->width < 1 || img->height < 1 ||
        img->width > CB_PREVIEW_MAX_DIM || img->height > CB_PREVIEW_MAX_DIM)
        return cb_error_set(err, CB_EINVAL, "half blocks: no valid image given");
    if (colors != CB_PREVIEW_TRUECOLOR && colors != CB_PREVIEW_256)
        return cb_error_set(err, CB_EINVAL, "half blocks: unknown colour mode %d", colors);
    start = out->len;
    for (int y = 0; y < img->height && rc == 0; y += 2) {
        const uint8_t *top = img->rgb + (size_t)y * img->width * 3;
        const uint8_t *bot = y + 1 < img->height ? top + (size_t)img->width * 3 : NULL;
        uint32_t pf = UINT32_MAX, pb = UINT32_MAX; /* no colour set yet on this line */
        for (int x = 0; x < img->width && rc == 0; x++) {
            uint32_t kf = key(colors, top + 3 * x);
            uint32_t kb = bot ? key(colors, bot + 3 * x) : UINT32_MAX - 1;
            if (kf != pf || kb != pb) {
                rc = cb_buf_puts(out, "\x1b[");
                if (rc == 0 && kf != pf)
                    rc = put_colour(out, colors, 1, top + 3 * x);
                if (rc == 0 && kf != pf && kb != pb)
                    rc = cb_buf_puts(out, ";");
                if (rc == 0 && kb != pb)
                    rc = bot ? put_colour(out, colors, 0, bot + 3 * x) : cb_buf_puts(out, "49");
                if (rc == 0)
                    rc = cb_buf_puts(out, "m");
                pf = kf;
                pb = kb;
            }
            if (rc == 0)
                rc = cb_buf_puts(out, UPPER_HALF);
        }
        if (rc == 0)
            rc = cb_buf_puts(out, SGR_RESET "\n");
    }
    if (rc < 0) {
        if (out->data) {
            out->len = start;
            out->data[start] = '\0';
        }
        return cb_error_set(err, rc, "half blocks: output of %dx%d: %s", img->width, img->height,
                            cb_strerror(rc));
    }
    return 0;
}

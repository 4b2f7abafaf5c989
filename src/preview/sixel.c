/* codecbench: preview images as sixel, through libsixel.
 *
 * One palette for the whole image (sixel_dither_initialize on all of it),
 * written through a callback into the caller's CbBuf.  The fast mode builds
 * a 256-colour palette from a sampled histogram and maps pixels without
 * error diffusion: diffusion noise breaks the runs sixel's RLE compresses,
 * so it costs bytes as well as time.  The fidelity mode spends both.
 *
 * Timing on this machine (2 cores, shared; a throwaway program timing with
 * clock_gettime(CLOCK_MONOTONIC), -O2, best of 5): a natural 1280x720 frame
 * (imageio's cockatoo) and its x264 CRF 38 reconstruction, each scaled to
 * 640x360, side by side (1280x360):
 *   fast:     sixel_encode path 33-54 ms, 44-67 ms with scaling, 266 KB;
 *   fidelity: 60-86 ms, 70-91 ms with scaling, 425 KB;
 *   testsrc2 (flat bars and gradients): fast 19-26 ms, 67 KB.
 * img2sixel on the same picture as PNG: 68-92 ms, 464 KB; chafa is not
 * installed here (the issue measured about 75 ms for chafa -f sixels).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sixel.h>

#include "codecbench/preview.h"

/* Rows of one sixel band (DEC STD 070: six vertical pixels a character). */
#define SIXEL_BAND 6

typedef struct Sink {
    CbBuf *out;
    int rc; /* sticky: the first append error */
} Sink;

static int sink_write(char *data, int size, void *priv)
{
    Sink *s = priv;
    if (s->rc == 0 && size > 0)
        s->rc = cb_buf_append(s->out, data, (size_t)size);
    return s->rc == 0 ? size : -1;
}

/* When the image has at most 256 distinct colours (flat graphics, heat-map
 * legends, tiny or zoomed pictures), they become the palette and the image
 * is sent exactly: libsixel's median cut would merge them (it gave 7 colours
 * for a 35-colour 7x5 picture).  Fills pal (RGB triplets) and returns the
 * count, or 0 as soon as a 257th colour appears; natural pictures stop after
 * a few hundred pixels. */
#define EXACT_SLOTS 1024 /* a power of two, four times the colours kept */
#define EXACT_EMPTY UINT32_MAX

static int exact_palette(const uint8_t *rgb, size_t npix, uint8_t pal[256 * 3])
{
    uint32_t slot[EXACT_SLOTS];
    int count = 0;
    for (size_t i = 0; i < EXACT_SLOTS; i++)
        slot[i] = EXACT_EMPTY;
    for (size_t i = 0; i < npix; i++, rgb += 3) {
        uint32_t key = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
        uint32_t h = (key * 2654435761u) >> 22; /* Knuth's multiplicative hash, 10 bits */
        while (slot[h] != EXACT_EMPTY && slot[h] != key)
            h = (h + 1) & (EXACT_SLOTS - 1);
        if (slot[h] == key)
            continue;
        if (count == 256)
            return 0;
        slot[h] = key;
        memcpy(pal + 3 * count, rgb, 3);
        count++;
    }
    return count;
}

int cb_preview_sixel(CbBuf *out, const CbPreviewImage *img, int mode, size_t *bytes,
                     CbError *err)
{
    sixel_output_t *output = NULL;
    sixel_dither_t *dither = NULL;
    unsigned char *pixels = NULL;
    Sink sink = {out, 0};
    size_t start;
    SIXELSTATUS st;
    int rc;

    if (bytes)
        *bytes = 0;
    if (!out || !img || !img->rgb || img->width < 1 || img->height < 1 ||
        img->width > CB_PREVIEW_MAX_DIM || img->height > CB_PREVIEW_MAX_DIM)
        return cb_error_set(err, CB_EINVAL, "sixel: no valid image given");
    if (mode != CB_PREVIEW_SIXEL_FAST && mode != CB_PREVIEW_SIXEL_FIDELITY)
        return cb_error_set(err, CB_EINVAL, "sixel: unknown mode %d", mode);
    start = out->len;
    /* libsixel diffuses errors into the pixels it is given: work on a copy.
     * libsixel 1.10 starts an image shorter than one band (6 rows) with a
     * graphics newline, moving it one band down: such images are sent 6 rows
     * high, the last row repeated. */
    const int height = img->height < SIXEL_BAND ? SIXEL_BAND : img->height;
    const size_t row = (size_t)img->width * 3, n = row * (size_t)img->height;
    pixels = malloc(row * (size_t)height);
    if (!pixels) {
        rc = cb_error_set(err, CB_ENOMEM, "sixel: no memory for %dx%d", img->width,
                          img->height);
        goto fail;
    }
    memcpy(pixels, img->rgb, n);
    for (int y = img->height; y < height; y++)
        memcpy(pixels + row * (size_t)y, img->rgb + n - row, row);

    st = sixel_output_new(&output, sink_write, &sink, NULL);
    if (SIXEL_FAILED(st)) {
        rc = cb_error_set(err, CB_EEXTERNAL, "sixel: output: %s", sixel_helper_format_error(st));
        goto fail;
    }
    /* 7-bit controls (ESC P ... ESC \): what terminals and tmux expect. */
    sixel_output_set_8bit_availability(output, 0);
    sixel_output_set_encode_policy(output, mode == CB_PREVIEW_SIXEL_FAST
                                               ? SIXEL_ENCODEPOLICY_FAST
                                               : SIXEL_ENCODEPOLICY_SIZE);
    uint8_t pal[256 * 3];
    int exact = exact_palette(pixels, row / 3 * (size_t)height, pal);
    if (exact == 1) {
        /* libsixel 1.10 divides by zero on a one-colour palette: add the
         * complement, which no pixel uses. */
        for (int c = 0; c < 3; c++)
            pal[3 + c] = (uint8_t)(pal[c] ^ 0xff);
        exact = 2;
    }
    st = sixel_dither_new(&dither, exact ? exact : 256, NULL);
    if (SIXEL_FAILED(st)) {
        rc = cb_error_set(err, CB_EEXTERNAL, "sixel: dither: %s", sixel_helper_format_error(st));
        goto fail;
    }
    if (exact) {
        sixel_dither_set_palette(dither, pal);
        sixel_dither_set_pixelformat(dither, SIXEL_PIXELFORMAT_RGB888);
        sixel_dither_set_diffusion_type(dither, SIXEL_DIFFUSE_NONE);
    } else {
        st = sixel_dither_initialize(dither, pixels, img->width, height,
                                     SIXEL_PIXELFORMAT_RGB888, SIXEL_LARGE_NORM,
                                     mode == CB_PREVIEW_SIXEL_FAST ? SIXEL_REP_CENTER_BOX
                                                                   : SIXEL_REP_AVERAGE_PIXELS,
                                     mode == CB_PREVIEW_SIXEL_FAST ? SIXEL_QUALITY_LOW
                                                                   : SIXEL_QUALITY_HIGH);
        if (SIXEL_FAILED(st)) {
            rc = cb_error_set(err, CB_EEXTERNAL, "sixel: palette: %s",
                              sixel_helper_format_error(st));
            goto fail;
        }
        sixel_dither_set_diffusion_type(dither, mode == CB_PREVIEW_SIXEL_FAST
                                                    ? SIXEL_DIFFUSE_NONE
                                                    : SIXEL_DIFFUSE_FS);
    }
    st = sixel_encode(pixels, img->width, height, 3, dither, output);
    if (sink.rc < 0) {
        rc = cb_error_set(err, sink.rc, "sixel: output of %dx%d: %s", img->width, img->height,
                          cb_strerror(sink.rc));
        goto fail;
    }
    if (SIXEL_FAILED(st)) {
        rc = cb_error_set(err, CB_EEXTERNAL, "sixel: encode: %s", sixel_helper_format_error(st));
        goto fail;
    }
    if (bytes)
        *bytes = out->len - start;
    rc = 0;
fail:
    if (rc < 0 && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    if (dither)
        sixel_dither_unref(dither);
    if (output)
        sixel_output_unref(output);
    free(pixels);
    return rc;
}

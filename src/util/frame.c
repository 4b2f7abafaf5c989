/* codecbench: 8-bit 4:2:0 frames. */
#include "codecbench/frame.h"

#include <stdlib.h>
#include <string.h>

#include "codecbench/error.h"

static size_t align_up(size_t v)
{
    return (v + CB_FRAME_ALIGN - 1) & ~(size_t)(CB_FRAME_ALIGN - 1);
}

int cb_frame_alloc(CbFrame *f, int width, int height)
{
    if (!f || width < 1 || height < 1 || width > CB_FRAME_MAX_DIM ||
        height > CB_FRAME_MAX_DIM)
        return CB_EINVAL;
    memset(f, 0, sizeof *f);
    size_t offset[3], total = 0;
    for (int p = 0; p < 3; p++) {
        f->stride[p] = (ptrdiff_t)align_up((size_t)cb_plane_width(width, p));
        offset[p] = total;
        total += align_up((size_t)f->stride[p] * (size_t)cb_plane_height(height, p));
    }
    /* Sizes are bounded by CB_FRAME_MAX_DIM, so total cannot overflow. */
    uint8_t *buf = aligned_alloc(CB_FRAME_ALIGN, total);
    if (!buf)
        return CB_ENOMEM;
    memset(buf, 0, total);
    f->buf = buf;
    for (int p = 0; p < 3; p++)
        f->data[p] = buf + offset[p];
    f->width = width;
    f->height = height;
    f->index = -1;
    f->pts = INT64_MIN;
    return CB_OK;
}

void cb_frame_free(CbFrame *f)
{
    if (!f)
        return;
    free(f->buf);
    memset(f, 0, sizeof *f);
}

void cb_frame_copy(CbFrame *dst, const CbFrame *src)
{
    for (int p = 0; p < 3; p++) {
        int w = cb_plane_width(src->width, p), h = cb_plane_height(src->height, p);
        for (int y = 0; y < h; y++)
            memcpy(dst->data[p] + y * dst->stride[p], src->data[p] + y * src->stride[p],
                   (size_t)w);
    }
    dst->index = src->index;
    dst->pts = src->pts;
}

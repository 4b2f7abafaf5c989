/* codecbench: writing YUV4MPEG2 (y4m) files of 4:2:0 frames.
 *
 * Format (as FFmpeg's yuv4mpegpipe muxer writes it): one header line
 * "YUV4MPEG2 W<w> H<h> F<num>:<den> Ip A1:1 C420jpeg", then per frame
 * "FRAME\n" and the Y, U, V planes without any row padding.
 */
#define _POSIX_C_SOURCE 200809L

#include "codecbench/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* stdio buffer: a few CIF frames; fewer write(2) calls for big frames. */
#define Y4M_WRITE_BUFFER_BYTES (1 << 20)

struct CbY4mWriter {
    FILE *f;
    char *path;
    int width, height;
    int64_t frames;
    CbError first_err;   /* the first failure; later calls return it */
};

static int fail_io(CbY4mWriter *w, const char *what, int errnum, CbError *err)
{
    if (!w->first_err.code)
        cb_error_set(&w->first_err, CB_EIO, "%s: %s: %s", w->path, what, strerror(errnum ? errnum : EIO));
    if (err)
        *err = w->first_err;
    return w->first_err.code;
}

int cb_y4m_open(CbY4mWriter **out, const char *path, int width, int height, int fps_num,
                int fps_den, CbError *err)
{
    if (!out || !path)
        return cb_error_set(err, CB_EINVAL, "cb_y4m_open: no %s", out ? "path" : "output pointer");
    *out = NULL;
    if (width < 1 || height < 1 || width > CB_FRAME_MAX_DIM || height > CB_FRAME_MAX_DIM)
        return cb_error_set(err, CB_EINVAL, "%s: frame size %dx%d outside 1..%d", path, width, height,
                            CB_FRAME_MAX_DIM);
    if (fps_num < 1 || fps_den < 1)
        return cb_error_set(err, CB_EINVAL, "%s: frame rate %d/%d is not positive", path, fps_num, fps_den);
    CbY4mWriter *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
    }
    w->width = width;
    w->height = height;
    w->f = fopen(path, "wb");
    if (!w->f) {
        int e = errno;
        free(w->path);
        free(w);
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(e));
    }
    /* A failing setvbuf leaves stdio's default buffer, which also works. */
    (void)setvbuf(w->f, NULL, _IOFBF, Y4M_WRITE_BUFFER_BYTES);
    if (fprintf(w->f, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 C420jpeg\n", width, height, fps_num, fps_den) < 0) {
        int ret = fail_io(w, "writing the header", errno, err);
        CbY4mWriter *tmp = w;
        cb_y4m_close(&tmp, NULL);
        return ret;
    }
    *out = w;
    return CB_OK;
}

int cb_y4m_write(CbY4mWriter *w, const CbFrame *frame, CbError *err)
{
    if (!w || !frame)
        return cb_error_set(err, CB_EINVAL, "cb_y4m_write: no %s", w ? "frame" : "writer");
    if (w->first_err.code) {
        if (err)
            *err = w->first_err;
        return w->first_err.code;
    }
    if (frame->width != w->width || frame->height != w->height || !frame->data[0])
        return cb_error_set(err, CB_EMISMATCH, "%s: frame %lld is %dx%d, the file is %dx%d", w->path,
                            (long long)w->frames, frame->width, frame->height, w->width, w->height);
    if (fwrite("FRAME\n", 1, 6, w->f) != 6)
        return fail_io(w, "writing", errno, err);
    for (int p = 0; p < 3; p++) {
        size_t pw = (size_t)cb_plane_width(w->width, p);
        int ph = cb_plane_height(w->height, p);
        for (int y = 0; y < ph; y++)
            if (fwrite(frame->data[p] + (ptrdiff_t)y * frame->stride[p], 1, pw, w->f) != pw)
                return fail_io(w, "writing", errno, err);
    }
    w->frames++;
    return CB_OK;
}

int cb_y4m_close(CbY4mWriter **wp, CbError *err)
{
    if (!wp || !*wp)
        return CB_OK;
    CbY4mWriter *w = *wp;
    *wp = NULL;
    errno = 0;
    if (fflush(w->f) != 0)
        fail_io(w, "writing", errno, NULL);
    errno = 0;
    if (fclose(w->f) != 0)
        fail_io(w, "closing", errno, NULL);
    int ret = w->first_err.code;
    if (ret && err)
        *err = w->first_err;
    free(w->path);
    free(w);
    return ret;
}

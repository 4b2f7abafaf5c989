/* codecbench: RGB pictures to PNG and animated PNG files through
 * libavcodec's png and apng encoders (and libavformat's apng muxer),
 * written atomically: a temporary name (PATH.tmp, as cb_file_write_atomic
 * names it), then rename.  The apng muxer goes back to patch its frame
 * count at the end, so it writes to that file, not to memory. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>

#include "codecbench/fsutil.h"
#include "codecbench/media.h"

static int averr(CbError *err, int code, const char *path, const char *what, int ret)
{
    char msg[AV_ERROR_MAX_STRING_SIZE] = "";
    av_strerror(ret, msg, sizeof msg);
    return cb_error_set(err, code, "%s: %s: %s", path, what, msg);
}

static int check_args(const char *path, int width, int height, CbError *err)
{
    if (!path || !*path)
        return cb_error_set(err, CB_EINVAL, "PNG: no file name given");
    if (width < 1 || height < 1 || width > CB_FRAME_MAX_DIM || height > CB_FRAME_MAX_DIM)
        return cb_error_set(err, CB_EINVAL, "%s: picture size %dx%d outside 1..%d", path, width,
                            height, CB_FRAME_MAX_DIM);
    return 0;
}

/* An encoder of codec name for width x height RGB24 at time base 1/1000. */
static int open_encoder(AVCodecContext **out, const char *name, const char *path, int width,
                        int height, CbError *err)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec)
        return cb_error_set(err, CB_ENOTSUP, "%s: this FFmpeg has no %s encoder", path, name);
    AVCodecContext *c = avcodec_alloc_context3(codec);
    if (!c)
        return cb_error_set(err, CB_ENOMEM, "%s: no memory for the %s encoder", path, name);
    c->width = width;
    c->height = height;
    c->pix_fmt = AV_PIX_FMT_RGB24;
    c->time_base = (AVRational){1, 1000};
    c->framerate = (AVRational){1, 1};
    int ret = avcodec_open2(c, codec, NULL);
    if (ret < 0) {
        avcodec_free_context(&c);
        return averr(err, CB_EEXTERNAL, path, "cannot open the encoder", ret);
    }
    *out = c;
    return 0;
}

/* Sends rgb (or NULL: the end) and hands every packet out to sink. */
static int encode(AVCodecContext *c, AVFrame *fr, AVPacket *pkt, const uint8_t *rgb, int64_t pts,
                  int (*sink)(void *opaque, AVPacket *pkt), void *opaque, const char *path,
                  CbError *err)
{
    int ret;
    if (rgb) {
        ret = av_frame_make_writable(fr);
        if (ret < 0)
            return averr(err, CB_ENOMEM, path, "frame", ret);
        size_t row = (size_t)c->width * 3;
        for (int y = 0; y < c->height; y++)
            memcpy(fr->data[0] + (ptrdiff_t)y * fr->linesize[0], rgb + y * row, row);
        fr->pts = pts;
    }
    ret = avcodec_send_frame(c, rgb ? fr : NULL);
    if (ret < 0)
        return averr(err, CB_EEXTERNAL, path, "encoding failed", ret);
    for (;;) {
        ret = avcodec_receive_packet(c, pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return averr(err, CB_EEXTERNAL, path, "encoding failed", ret);
        int rc = sink(opaque, pkt);
        av_packet_unref(pkt);
        if (rc < 0)
            return averr(err, CB_EEXTERNAL, path, "writing the picture failed", rc);
    }
}

typedef struct PngSink {
    uint8_t *data;
    size_t len;
} PngSink;

/* The png encoder gives the whole file as one packet. */
static int png_sink(void *opaque, AVPacket *pkt)
{
    PngSink *s = opaque;
    if (s->data)
        return AVERROR(EINVAL); /* one picture, one packet */
    s->data = av_memdup(pkt->data, (size_t)pkt->size);
    if (!s->data)
        return AVERROR(ENOMEM);
    s->len = (size_t)pkt->size;
    return 0;
}

static int alloc_frame(AVFrame **out, int width, int height, const char *path, CbError *err)
{
    AVFrame *fr = av_frame_alloc();
    if (!fr)
        return cb_error_set(err, CB_ENOMEM, "%s: no memory for a frame", path);
    fr->width = width;
    fr->height = height;
    fr->format = AV_PIX_FMT_RGB24;
    int ret = av_frame_get_buffer(fr, 0);
    if (ret < 0) {
        av_frame_free(&fr);
        return averr(err, CB_ENOMEM, path, "no memory for a frame", ret);
    }
    *out = fr;
    return 0;
}

int cb_media_write_png(const char *path, const uint8_t *rgb, int width, int height, CbError *err)
{
    AVCodecContext *c = NULL;
    AVFrame *fr = NULL;
    AVPacket *pkt = NULL;
    PngSink sink = {0};
    int rc = check_args(path, width, height, err);
    if (rc < 0)
        return rc;
    if (!rgb)
        return cb_error_set(err, CB_EINVAL, "%s: no picture given", path);
    rc = open_encoder(&c, "png", path, width, height, err);
    if (rc < 0)
        goto fail;
    rc = alloc_frame(&fr, width, height, path, err);
    if (rc < 0)
        goto fail;
    pkt = av_packet_alloc();
    if (!pkt) {
        rc = cb_error_set(err, CB_ENOMEM, "%s: no memory for a packet", path);
        goto fail;
    }
    rc = encode(c, fr, pkt, rgb, 0, png_sink, &sink, path, err);
    if (rc == 0)
        rc = encode(c, fr, pkt, NULL, 0, png_sink, &sink, path, err);
    if (rc < 0)
        goto fail;
    if (!sink.data) {
        rc = cb_error_set(err, CB_EEXTERNAL, "%s: the PNG encoder gave no data", path);
        goto fail;
    }
    rc = cb_file_write_atomic(path, sink.data, sink.len, err);
fail:
    av_free(sink.data);
    av_packet_free(&pkt);
    av_frame_free(&fr);
    avcodec_free_context(&c);
    return rc;
}

typedef struct ApngSink {
    AVFormatContext *oc;
    int64_t duration;
} ApngSink;

static int apng_sink(void *opaque, AVPacket *pkt)
{
    ApngSink *s = opaque;
    pkt->stream_index = 0;
    pkt->duration = s->duration;
    av_packet_rescale_ts(pkt, (AVRational){1, 1000}, s->oc->streams[0]->time_base);
    return av_write_frame(s->oc, pkt);
}

int cb_media_write_apng(const char *path, const uint8_t *const *rgb, int n, int width,
                        int height, int delay_ms, CbError *err)
{
    AVCodecContext *c = NULL;
    AVFrame *fr = NULL;
    AVPacket *pkt = NULL;
    AVFormatContext *oc = NULL;
    char *url = NULL;
    const char *tmp = NULL;
    int made = 0;
    int rc = check_args(path, width, height, err);
    if (rc < 0)
        return rc;
    if (!rgb || n < 1 || n > 1000 || delay_ms < 1 || delay_ms > 60000)
        return cb_error_set(err, CB_EINVAL, "%s: %d pictures at %d ms each: outside 1..1000 "
                                            "pictures, 1..60000 ms", path, n, delay_ms);
    for (int i = 0; i < n; i++)
        if (!rgb[i])
            return cb_error_set(err, CB_EINVAL, "%s: picture %d missing", path, i);
    rc = open_encoder(&c, "apng", path, width, height, err);
    if (rc < 0)
        goto fail;
    rc = alloc_frame(&fr, width, height, path, err);
    if (rc < 0)
        goto fail;
    pkt = av_packet_alloc();
    int ret = avformat_alloc_output_context2(&oc, NULL, "apng", NULL);
    if (!pkt || ret < 0) {
        rc = cb_error_set(err, CB_ENOMEM, "%s: no memory for the apng muxer", path);
        goto fail;
    }
    AVStream *st = avformat_new_stream(oc, NULL);
    if (!st) {
        rc = cb_error_set(err, CB_ENOMEM, "%s: no memory for the apng muxer", path);
        goto fail;
    }
    st->time_base = (AVRational){1, 1000};
    ret = avcodec_parameters_from_context(st->codecpar, c);
    if (ret >= 0)
        ret = av_opt_set_int(oc->priv_data, "plays", 0, 0); /* loop forever */
    if (ret < 0) {
        rc = averr(err, CB_EEXTERNAL, path, "cannot set up the apng muxer", ret);
        goto fail;
    }
    /* "file:" first, so that a name with a colon is not taken for another
     * protocol; tmp is the name without it. */
    size_t plen = strlen(path);
    url = malloc(plen + 10);
    if (!url) {
        rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    memcpy(url, "file:", 5);
    memcpy(url + 5, path, plen);
    memcpy(url + 5 + plen, ".tmp", 5);
    tmp = url + 5;
    unlink(tmp); /* a stale one from a crash */
    ret = avio_open(&oc->pb, url, AVIO_FLAG_WRITE);
    if (ret < 0) {
        rc = averr(err, CB_EIO, tmp, "cannot create it", ret);
        goto fail;
    }
    made = 1;
    ret = avformat_write_header(oc, NULL);
    if (ret < 0) {
        rc = averr(err, CB_EEXTERNAL, path, "cannot start the apng muxer", ret);
        goto fail;
    }
    ApngSink sink = {oc, delay_ms};
    for (int i = 0; i < n && rc == 0; i++)
        rc = encode(c, fr, pkt, rgb[i], (int64_t)i * delay_ms, apng_sink, &sink, path, err);
    if (rc == 0)
        rc = encode(c, fr, pkt, NULL, 0, apng_sink, &sink, path, err);
    if (rc < 0)
        goto fail;
    ret = av_write_trailer(oc);
    if (ret >= 0)
        ret = avio_closep(&oc->pb);
    if (ret < 0) {
        rc = averr(err, CB_EIO, tmp, "writing failed", ret);
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    made = 0;
fail:
    if (oc && oc->pb)
        avio_closep(&oc->pb);
    if (made)
        unlink(tmp);
    free(url);
    avformat_free_context(oc);
    av_packet_free(&pkt);
    av_frame_free(&fr);
    avcodec_free_context(&c);
    return rc;
}

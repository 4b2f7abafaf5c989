/* codecbench: tests of media/ (reader, seeking, clip identity, y4m writer,
 * FFmpeg log routing) against the clips samples/make-clips makes in
 * $CB_CLIPS.  A case whose clips are missing is skipped, never passed.
 *
 * References are independent of the reader where possible: y4m bytes are
 * parsed here from the file, clip identities are checked against a SHA-256
 * computed outside (Python's hashlib), frame counts come from make-clips
 * (30 frames for the sources and their encodes, 10 for fmt_* and odd_*).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "codecbench/media.h"

/* Frames make-clips puts in every source and encode, and in fmt_* files. */
#define SOURCE_FRAMES 30
#define FMT_FRAMES 10
#define CIF_W 352
#define CIF_H 288

/* ---- helpers ------------------------------------------------------------- */

/* Path of clip name in $CB_CLIPS into buf; 0 when the file exists. */
static int clip_path(char *buf, size_t size, const char *name)
{
    const char *dir = getenv("CB_CLIPS");
    if (!dir || !*dir)
        return -1;
    int n = snprintf(buf, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return -1;
    struct stat sb;
    return stat(buf, &sb) == 0 ? 0 : -1;
}

#define NEED_CLIP(buf, name)                                              \
    do {                                                                  \
        if (clip_path(buf, sizeof buf, name) != 0) {                      \
            print_message("# clip %s missing (CB_CLIPS not set or make-clips failed)\n", name); \
            skip();                                                       \
        }                                                                 \
    } while (0)

/* Directory for files the tests write; made under $CB_BUILDDIR/tests/tmp
 * or /tmp. */
static void tmp_path(char *buf, size_t size, const char *name)
{
    const char *b = getenv("CB_BUILDDIR");
    char dir[4096];
    int n = b && *b ? snprintf(dir, sizeof dir, "%s/tests/tmp", b)
                    : snprintf(dir, sizeof dir, "/tmp/cb-test-media-%ld", (long)getpid());
    assert_true(n > 0 && (size_t)n < sizeof dir);
    if (b && *b) {
        char parent[4096];
        n = snprintf(parent, sizeof parent, "%s/tests", b);
        assert_true(n > 0 && (size_t)n < sizeof parent);
        (void)mkdir(parent, 0777);
    }
    (void)mkdir(dir, 0777);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        fail_msg("cannot make the test directory %s", dir);
    n = snprintf(buf, size, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

/* Reads a whole file into memory (caller frees). */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *d = malloc((size_t)n + 1);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return d;
}

/* An independent y4m parser: header W, H, its length; frames must carry
 * the plain "FRAME\n" marker (make-clips' files do). */
typedef struct Y4m {
    uint8_t *bytes;
    size_t size;
    int w, h;
    size_t header, frame_bytes; /* frame_bytes includes "FRAME\n" */
    size_t frames;
} Y4m;

static void y4m_load(Y4m *y, const char *path)
{
    memset(y, 0, sizeof *y);
    y->bytes = slurp(path, &y->size);
    assert_true(y->size > 10 && memcmp(y->bytes, "YUV4MPEG2 ", 10) == 0);
    uint8_t *nl = memchr(y->bytes, '\n', y->size);
    assert_non_null(nl);
    y->header = (size_t)(nl - y->bytes) + 1;
    for (size_t i = 9; i < y->header; i++) {
        if (y->bytes[i - 1] != ' ')
            continue;
        if (y->bytes[i] == 'W')
            y->w = (int)strtol((const char *)y->bytes + i + 1, NULL, 10);
        if (y->bytes[i] == 'H')
            y->h = (int)strtol((const char *)y->bytes + i + 1, NULL, 10);
    }
    assert_true(y->w > 0 && y->h > 0);
    size_t cw = (size_t)(y->w + 1) / 2, ch = (size_t)(y->h + 1) / 2;
    y->frame_bytes = 6 + (size_t)y->w * (size_t)y->h + 2 * cw * ch;
    assert_int_equal((y->size - y->header) % y->frame_bytes, 0);
    y->frames = (y->size - y->header) / y->frame_bytes;
}

/* Pointer to plane p of frame k in the file. */
static const uint8_t *y4m_plane(const Y4m *y, size_t k, int p)
{
    const uint8_t *f = y->bytes + y->header + k * y->frame_bytes;
    assert_memory_equal(f, "FRAME\n", 6);
    size_t luma = (size_t)y->w * (size_t)y->h, chroma = (size_t)((y->w + 1) / 2) * (size_t)((y->h + 1) / 2);
    return f + 6 + (p == 0 ? 0 : p == 1 ? luma : luma + chroma);
}

/* Frame equals frame k of the y4m (planes p0..p1), byte for byte. */
static void assert_frame_is_y4m(const CbFrame *f, const Y4m *y, size_t k, int p0, int p1)
{
    assert_int_equal(f->width, y->w);
    assert_int_equal(f->height, y->h);
    for (int p = p0; p <= p1; p++) {
        int pw = cb_plane_width(y->w, p), ph = cb_plane_height(y->h, p);
        const uint8_t *ref = y4m_plane(y, k, p);
        for (int r = 0; r < ph; r++)
            assert_memory_equal(f->data[p] + r * f->stride[p], ref + (size_t)r * (size_t)pw, (size_t)pw);
    }
}

static double plane_mean(const CbFrame *f, int p)
{
    int pw = cb_plane_width(f->width, p), ph = cb_plane_height(f->height, p);
    double s = 0;
    for (int y = 0; y < ph; y++)
        for (int x = 0; x < pw; x++)
            s += f->data[p][y * f->stride[p] + x];
    return s / ((double)pw * ph);
}

/* Squared error of a plane of f against plane p of frame k of y. */
static double plane_mse_y4m(const CbFrame *f, const Y4m *y, size_t k, int p)
{
    int pw = cb_plane_width(f->width, p), ph = cb_plane_height(f->height, p);
    const uint8_t *ref = y4m_plane(y, k, p);
    double s = 0;
    for (int r = 0; r < ph; r++)
        for (int x = 0; x < pw; x++) {
            double d = (double)f->data[p][r * f->stride[p] + x] - ref[(size_t)r * (size_t)pw + (size_t)x];
            s += d * d;
        }
    return s / ((double)pw * ph);
}

static int frames_equal(const CbFrame *a, const CbFrame *b)
{
    if (a->width != b->width || a->height != b->height)
        return 0;
    for (int p = 0; p < 3; p++) {
        int pw = cb_plane_width(a->width, p), ph = cb_plane_height(a->height, p);
        for (int y = 0; y < ph; y++)
            if (memcmp(a->data[p] + y * a->stride[p], b->data[p] + y * b->stride[p], (size_t)pw))
                return 0;
    }
    return 1;
}

/* Reads every frame of path; returns the count, frames in *out (caller
 * frees each and the array). */
static int read_all(const char *path, CbFrame **out, int max)
{
    CbError err = {0};
    CbMediaReader *r = NULL;
    int ret = cb_media_open(&r, path, NULL, &err);
    if (ret < 0)
        fail_msg("%s: open: %s", path, err.text);
    CbFrame *frames = calloc((size_t)max, sizeof *frames);
    assert_non_null(frames);
    int n = 0;
    for (;;) {
        assert_true(n < max);
        ret = cb_media_read(r, &frames[n], &err);
        if (ret < 0)
            fail_msg("%s: read %d: %s", path, n, err.text);
        if (ret == 0)
            break;
        assert_int_equal(frames[n].index, n);
        n++;
    }
    cb_frame_free(&frames[n]);
    cb_media_close(&r);
    assert_null(r);
    *out = frames;
    return n;
}

static void free_frames(CbFrame *frames, int n)
{
    for (int i = 0; i < n; i++)
        cb_frame_free(&frames[i]);
    free(frames);
}

/* Frame k of path decoded with libavformat/libavcodec directly, none of
 * the reader's code: an independent view of the stream's own pixels. */
static AVFrame *decode_direct(const char *path, int k)
{
    AVFormatContext *fc = NULL;
    assert_int_equal(avformat_open_input(&fc, path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(fc, NULL) >= 0);
    int si = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    assert_true(si >= 0);
    const AVCodec *codec = avcodec_find_decoder(fc->streams[si]->codecpar->codec_id);
    assert_non_null(codec);
    AVCodecContext *dc = avcodec_alloc_context3(codec);
    assert_non_null(dc);
    assert_true(avcodec_parameters_to_context(dc, fc->streams[si]->codecpar) >= 0);
    assert_int_equal(avcodec_open2(dc, codec, NULL), 0);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frm = av_frame_alloc();
    assert_true(pkt && frm);
    int n = 0, eof = 0;
    for (;;) {
        int ret = avcodec_receive_frame(dc, frm);
        if (ret == 0) {
            if (n++ == k)
                break;
            av_frame_unref(frm);
            continue;
        }
        assert_true(ret == AVERROR(EAGAIN) && !eof);
        ret = av_read_frame(fc, pkt);
        if (ret < 0) {
            eof = 1;
            assert_int_equal(avcodec_send_packet(dc, NULL), 0);
            continue;
        }
        if (pkt->stream_index == si)
            assert_int_equal(avcodec_send_packet(dc, pkt), 0);
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avcodec_free_context(&dc);
    avformat_close_input(&fc);
    return frm;
}

/* Writes up to max_frames frames of src (a CIF y4m) with encoder id in
 * pixel format fmt into dst (container from its extension), a keyframe
 * every 6 frames and up to 2 B-frames (for MPEG-4 part 2: a clip where
 * seeking lands on keyframes in the middle and frames are reordered, which
 * make-clips' files, one keyframe each, do not have).  The pixels are
 * copied as they are whatever fmt says.  Returns 0, or -1 when this FFmpeg
 * lacks the encoder. */
static int encode_clip(const char *src, const char *dst, enum AVCodecID id, enum AVPixelFormat fmt,
                       int max_frames)
{
    const AVCodec *codec = avcodec_find_encoder(id);
    if (!codec)
        return -1;
    AVFormatContext *oc = NULL;
    assert_true(avformat_alloc_output_context2(&oc, NULL, NULL, dst) >= 0);
    AVStream *st = avformat_new_stream(oc, NULL);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *af = av_frame_alloc();
    assert_true(st && enc && pkt && af);
    enc->width = CIF_W;
    enc->height = CIF_H;
    enc->pix_fmt = fmt;
    if (fmt == AV_PIX_FMT_YUVJ420P)
        enc->color_range = AVCOL_RANGE_JPEG;
    enc->time_base = (AVRational){1, 30};
    enc->framerate = (AVRational){30, 1};
    enc->gop_size = 6;
    enc->max_b_frames = id == AV_CODEC_ID_MPEG4 ? 2 : 0;
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 4;
    enc->thread_count = 1;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    assert_int_equal(avcodec_open2(enc, codec, NULL), 0);
    assert_true(avcodec_parameters_from_context(st->codecpar, enc) >= 0);
    st->time_base = enc->time_base;
    assert_true(avio_open(&oc->pb, dst, AVIO_FLAG_WRITE) >= 0);
    assert_true(avformat_write_header(oc, NULL) >= 0);

    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_int_equal(cb_media_open(&r, src, NULL, &err), 0);
    CbFrame f = {0};
    int more = 1, frames = 0;
    while (more) {
        int ret = frames < max_frames ? cb_media_read(r, &f, &err) : 0;
        assert_true(ret >= 0);
        if (ret == 1) {
            frames++;
            af->format = fmt;
            af->width = CIF_W;
            af->height = CIF_H;
            assert_int_equal(av_frame_get_buffer(af, 0), 0);
            for (int p = 0; p < 3; p++)
                for (int y = 0; y < cb_plane_height(CIF_H, p); y++)
                    memcpy(af->data[p] + y * af->linesize[p], f.data[p] + y * f.stride[p],
                           (size_t)cb_plane_width(CIF_W, p));
            af->pts = f.index;
            assert_int_equal(avcodec_send_frame(enc, af), 0);
            av_frame_unref(af);
        } else {
            assert_int_equal(avcodec_send_frame(enc, NULL), 0);
            more = 0;
        }
        while ((ret = avcodec_receive_packet(enc, pkt)) == 0) {
            av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
            pkt->stream_index = st->index;
            assert_int_equal(av_interleaved_write_frame(oc, pkt), 0);
        }
        assert_true(ret == AVERROR(EAGAIN) || ret == AVERROR_EOF);
    }
    assert_int_equal(av_write_trailer(oc), 0);
    assert_int_equal(avio_closep(&oc->pb), 0);
    cb_frame_free(&f);
    cb_media_close(&r);
    av_frame_free(&af);
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    avformat_free_context(oc);
    return 0;
}

/* Collects log messages for the tests of logging. */
typedef struct Captured {
    int count[4];
    char last[4][512];
    int fallbacks;        /* debug lines saying a seek decodes from the start */
    long long decoded;    /* from the last "frames decoded after the seek" line */
} Captured;

static void capture(void *opaque, CbLogLevel level, const char *msg)
{
    Captured *c = opaque;
    if ((int)level < 0 || level > CB_LOG_DEBUG)
        return;
    c->count[level]++;
    snprintf(c->last[level], sizeof c->last[level], "%s", msg);
    if (level == CB_LOG_DEBUG && strstr(msg, "decoding from the start"))
        c->fallbacks++;
    const char *d = strstr(msg, " found by the index, ");
    if (level == CB_LOG_DEBUG && d)
        c->decoded = strtoll(d + strlen(" found by the index, "), NULL, 10);
}

/* ---- good clips ---------------------------------------------------------- */

typedef struct GoodClip {
    const char *name;
    const char *codec;
    int64_t frame_count;  /* what the container states: mp4 and avi do */
    int frames;
    int converted;
    int w, h;
    int fps_num, fps_den;
} GoodClip;

static const GoodClip good_clips[] = {
    {"motion.y4m", "rawvideo", -1, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"texture.y4m", "rawvideo", -1, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"noise.y4m", "rawvideo", -1, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"motion.x264.qp22.mp4", "h264", SOURCE_FRAMES, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"motion.x264.qp37.mp4", "h264", SOURCE_FRAMES, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"texture.mpeg4.q4.avi", "mpeg4", SOURCE_FRAMES, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"texture.mpeg4.q13.avi", "mpeg4", SOURCE_FRAMES, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"noise.vp9.crf40.webm", "vp9", -1, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"motion.theora.q5.ogv", "theora", -1, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"texture.x264.crf30.mkv", "h264", -1, SOURCE_FRAMES, 0, CIF_W, CIF_H, 30, 1},
    {"vfr.mkv", "h264", -1, SOURCE_FRAMES, 0, CIF_W, CIF_H, 0, 0},
    /* make-clips crops exactly (crop=...:exact=1) to an odd size. */
    {"odd_175x143.y4m", "rawvideo", -1, FMT_FRAMES, 0, 175, 143, 25, 1},
    {"fmt_422p10.mkv", "h264", -1, FMT_FRAMES, 1, CIF_W, CIF_H, 30, 1},
    {"fmt_444.mkv", "ffv1", -1, FMT_FRAMES, 1, CIF_W, CIF_H, 30, 1},
    {"fmt_rgb.mkv", "ffv1", -1, FMT_FRAMES, 1, CIF_W, CIF_H, 30, 1},
    {"fmt_gray.mkv", "ffv1", -1, FMT_FRAMES, 1, CIF_W, CIF_H, 30, 1},
};

static void test_good_clips(void **state)
{
    (void)state;
    char path[4096];
    size_t n = sizeof good_clips / sizeof good_clips[0];
    for (size_t i = 0; i < n; i++)
        NEED_CLIP(path, good_clips[i].name);
    for (size_t i = 0; i < n; i++) {
        const GoodClip *c = &good_clips[i];
        assert_int_equal(clip_path(path, sizeof path, c->name), 0);
        CbError err = {0};
        CbMediaReader *r = NULL;
        if (cb_media_open(&r, path, NULL, &err) != 0)
            fail_msg("%s: %s", c->name, err.text);
        const CbMediaInfo *in = cb_media_info(r);
        assert_string_equal(in->path, path);
        assert_string_equal(in->codec, c->codec);
        assert_non_null(in->container);
        assert_non_null(in->source_pix_fmt);
        assert_int_equal(in->width, c->w);
        assert_int_equal(in->height, c->h);
        if (c->converted)
            assert_non_null(in->conversion);
        else if (in->conversion)
            fail_msg("%s: unexpected conversion %s", c->name, in->conversion);
        assert_int_equal(in->source_bit_depth, strcmp(c->name, "fmt_422p10.mkv") == 0 ? 10 : 8);
        if (in->frame_count != c->frame_count)
            fail_msg("%s: frame_count %lld, expected %lld", c->name, (long long)in->frame_count,
                     (long long)c->frame_count);
        if (c->fps_num) {
            assert_int_equal(in->fps_num, c->fps_num);
            assert_int_equal(in->fps_den, c->fps_den);
        }
        assert_true(in->tb_num > 0 && in->tb_den > 0);
        assert_int_equal(in->stream_bytes, 0);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(in->container_bytes, (int64_t)sb.st_size);

        CbFrame f = {0};
        int count = 0, ret;
        int64_t prev_pts = INT64_MIN;
        while ((ret = cb_media_read(r, &f, &err)) == 1) {
            assert_int_equal(f.index, count);
            assert_int_equal(f.width, c->w);
            assert_int_equal(f.height, c->h);
            assert_true(f.pts != INT64_MIN);
            if (f.pts <= prev_pts)
                fail_msg("%s: frame %d pts %lld after %lld", c->name, count, (long long)f.pts,
                         (long long)prev_pts);
            prev_pts = f.pts;
            count++;
        }
        if (ret < 0)
            fail_msg("%s: frame %d: %s", c->name, count, err.text);
        if (count != c->frames)
            fail_msg("%s: %d frames read, %d expected", c->name, count, c->frames);
        /* At the end it stays at the end. */
        assert_int_equal(cb_media_read(r, &f, &err), 0);
        assert_true(in->stream_bytes > 0 && in->stream_bytes <= in->container_bytes);
        if (strstr(c->name, ".y4m"))  /* raw: payload is the planes exactly */
            assert_int_equal(in->stream_bytes,
                             (int64_t)count * (c->w * c->h + 2 * ((c->w + 1) / 2) * ((c->h + 1) / 2)));
        cb_frame_free(&f);
        cb_media_close(&r);
        assert_null(r);
    }
}

/* A frame passed in with another size is reallocated, not overrun. */
static void test_frame_reuse(void **state)
{
    (void)state;
    char path[4096];
    NEED_CLIP(path, "motion.y4m");
    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_int_equal(cb_media_open(&r, path, NULL, &err), 0);
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, 16, 16), 0);
    assert_int_equal(cb_media_read(r, &f, &err), 1);
    assert_int_equal(f.width, CIF_W);
    assert_int_equal(f.height, CIF_H);
    void *buf = f.buf;
    assert_int_equal(cb_media_read(r, &f, &err), 1);
    assert_ptr_equal(f.buf, buf);  /* same size: reused */
    assert_int_equal(f.index, 1);
    cb_frame_free(&f);
    cb_media_close(&r);
    cb_media_close(&r);  /* NULL is fine */
    cb_media_close(NULL);
}

/* ---- pixels against independent references ------------------------------ */

static void check_y4m_pixels(const char *name)
{
    char path[4096];
    assert_int_equal(clip_path(path, sizeof path, name), 0);
    Y4m y;
    y4m_load(&y, path);
    CbFrame *frames = NULL;
    int n = read_all(path, &frames, 64);
    assert_int_equal((size_t)n, y.frames);
    for (int k = 0; k < n; k++)
        assert_frame_is_y4m(&frames[k], &y, (size_t)k, 0, 2);
    free_frames(frames, n);
    free(y.bytes);
}

static void test_y4m_pixels(void **state)
{
    (void)state;
    char path[4096];
    NEED_CLIP(path, "motion.y4m");
    NEED_CLIP(path, "odd_175x143.y4m");
    check_y4m_pixels("motion.y4m");
    check_y4m_pixels("odd_175x143.y4m");
}

/* Odd sizes: a 175x143 file written here (make-clips' "odd" clip comes out
 * even), read back through FFmpeg: chroma is 88x72 and the last chroma
 * column and row come through. */
static void test_odd_size_roundtrip(void **state)
{
    (void)state;
    char path[4096];
    tmp_path(path, sizeof path, "odd_175x143_written.y4m");
    const int w = 175, h = 143, nframes = 3;
    CbError err = {0};
    CbY4mWriter *wr = NULL;
    assert_int_equal(cb_y4m_open(&wr, path, w, h, 25, 1, &err), 0);
    CbFrame src[3];
    memset(src, 0, sizeof src);
    uint32_t seed = 12345;  /* seeded xorshift: the same pixels every run */
    for (int k = 0; k < nframes; k++) {
        assert_int_equal(cb_frame_alloc(&src[k], w, h), 0);
        for (int p = 0; p < 3; p++)
            for (int y = 0; y < cb_plane_height(h, p); y++)
                for (int x = 0; x < cb_plane_width(w, p); x++) {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    src[k].data[p][y * src[k].stride[p] + x] = (uint8_t)(seed >> 24);
                }
        assert_int_equal(cb_y4m_write(wr, &src[k], &err), 0);
    }
    assert_int_equal(cb_y4m_close(&wr, &err), 0);
    assert_null(wr);

    /* The bytes on disk, parsed here. */
    Y4m y;
    y4m_load(&y, path);
    assert_int_equal(y.w, w);
    assert_int_equal(y.h, h);
    assert_int_equal(y.frames, (size_t)nframes);
    assert_int_equal(y.frame_bytes, 6 + 175 * 143 + 2 * 88 * 72);
    const char *hdr = "YUV4MPEG2 W175 H143 F25:1 Ip A1:1 C420jpeg\n";
    assert_int_equal(y.header, strlen(hdr));
    assert_memory_equal(y.bytes, hdr, strlen(hdr));
    for (int k = 0; k < nframes; k++)
        assert_frame_is_y4m(&src[k], &y, (size_t)k, 0, 2);

    /* Read back through FFmpeg. */
    CbFrame *frames = NULL;
    int n = read_all(path, &frames, 8);
    assert_int_equal(n, nframes);
    for (int k = 0; k < n; k++) {
        assert_int_equal(frames[k].width, 175);
        assert_int_equal(frames[k].height, 143);
        assert_int_equal(cb_plane_width(frames[k].width, 1), 88);
        assert_int_equal(cb_plane_height(frames[k].height, 2), 72);
        assert_true(frames_equal(&frames[k], &src[k]));
        /* The last chroma column explicitly, against the file's bytes. */
        for (int p = 1; p < 3; p++) {
            const uint8_t *ref = y4m_plane(&y, (size_t)k, p);
            for (int r = 0; r < 72; r++)
                assert_int_equal(frames[k].data[p][r * frames[k].stride[p] + 87], ref[r * 88 + 87]);
        }
    }
    free_frames(frames, n);
    for (int k = 0; k < nframes; k++)
        cb_frame_free(&src[k]);
    free(y.bytes);
    unlink(path);
}

/* fmt_444.mkv is texture.y4m's first 10 frames upsampled to 4:4:4 and stored
 * losslessly (ffv1): luma is never resampled, so it must equal texture.y4m
 * exactly.  Chroma is downsampled 2:1 by swscale's bicubic filter; the
 * reference is the 2x2 mean of the 4:4:4 chroma decoded here directly.  A
 * bicubic kernel (4 taps a direction, negative lobes) and a box differ
 * little on smooth chroma and by up to tens of levels on the mandelbrot's
 * sharp colour edges.  Measured with FFmpeg 5.1: mean |difference| 0.35
 * to 0.39, 96% within 2 levels, worst 11.  Limits with margin: mean under
 * 0.6, at least 93% within 2 levels, none beyond 16. */
static void test_fmt_444(void **state)
{
    (void)state;
    char path[4096], ref[4096];
    NEED_CLIP(path, "fmt_444.mkv");
    NEED_CLIP(ref, "texture.y4m");
    Y4m y;
    y4m_load(&y, ref);
    CbFrame *frames = NULL;
    int n = read_all(path, &frames, 16);
    assert_int_equal(n, FMT_FRAMES);
    for (int k = 0; k < n; k++) {
        assert_frame_is_y4m(&frames[k], &y, (size_t)k, 0, 0);
        AVFrame *full = decode_direct(path, k);
        assert_int_equal(full->format, AV_PIX_FMT_YUV444P);
        for (int p = 1; p < 3; p++) {
            int pw = cb_plane_width(CIF_W, p), ph = cb_plane_height(CIF_H, p);
            double sum = 0;
            int worst = 0, close = 0;
            for (int r = 0; r < ph; r++)
                for (int x = 0; x < pw; x++) {
                    const uint8_t *a = full->data[p] + 2 * r * full->linesize[p] + 2 * x;
                    int box = (a[0] + a[1] + a[full->linesize[p]] + a[full->linesize[p] + 1] + 2) >> 2;
                    int d = abs(frames[k].data[p][r * frames[k].stride[p] + x] - box);
                    sum += d;
                    close += d <= 2;
                    worst = d > worst ? d : worst;
                }
            double mad = sum / (pw * ph), within = (double)close / (pw * ph);
            if (mad >= 0.6 || within < 0.93 || worst > 16)
                fail_msg("fmt_444 frame %d plane %d: mean |diff| %.3f, %.1f%% within 2, worst %d", k, p, mad,
                         100 * within, worst);
        }
        av_frame_free(&full);
    }
    free_frames(frames, n);
    free(y.bytes);
}

/* The other conversions against motion.y4m, the source they were made from:
 * - gray: FFmpeg stored luma expanded to full range (the file is tagged
 *   "pc"); we convert back to limited range, so each sample is within 1
 *   level (two roundings) and chroma is neutral (128);
 * - bgr0: YUV -> RGB -> YUV through 8-bit RGB with clipping; luma mean
 *   within 1 level, PSNR of luma above 40 dB;
 * - yuv422p10le: lossy x264 at QP 20 then 10 -> 8 bits; luma PSNR above
 *   38 dB (x264 at QP 20 on testsrc2 gives about 45 dB), mean within 1. */
static double psnr_of_mse(double mse)
{
    return mse <= 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

static void test_fmt_conversions(void **state)
{
    (void)state;
    char gray[4096], rgb[4096], p10[4096], ref[4096];
    NEED_CLIP(gray, "fmt_gray.mkv");
    NEED_CLIP(rgb, "fmt_rgb.mkv");
    NEED_CLIP(p10, "fmt_422p10.mkv");
    NEED_CLIP(ref, "motion.y4m");
    Y4m y;
    y4m_load(&y, ref);
    CbFrame *frames = NULL;

    int n = read_all(gray, &frames, 16);
    assert_int_equal(n, FMT_FRAMES);
    for (int k = 0; k < n; k++) {
        const uint8_t *rp = y4m_plane(&y, (size_t)k, 0);
        for (int r = 0; r < CIF_H; r++)
            for (int x = 0; x < CIF_W; x++) {
                int d = abs(frames[k].data[0][r * frames[k].stride[0] + x] - rp[r * CIF_W + x]);
                if (d > 1)
                    fail_msg("fmt_gray frame %d (%d,%d): %d levels off", k, x, r, d);
            }
        for (int p = 1; p < 3; p++)
            for (int r = 0; r < CIF_H / 2; r++)
                for (int x = 0; x < CIF_W / 2; x++)
                    assert_int_equal(frames[k].data[p][r * frames[k].stride[p] + x], 128);
    }
    free_frames(frames, n);

    const char *lossy[2] = {rgb, p10};
    const double min_psnr[2] = {40.0, 38.0};
    for (int i = 0; i < 2; i++) {
        n = read_all(lossy[i], &frames, 16);
        assert_int_equal(n, FMT_FRAMES);
        for (int k = 0; k < n; k++) {
            double mean = plane_mean(&frames[k], 0);
            const uint8_t *rp = y4m_plane(&y, (size_t)k, 0);
            double s = 0;
            for (int j = 0; j < CIF_W * CIF_H; j++)
                s += rp[j];
            double ref_mean = s / (CIF_W * CIF_H);
            double psnr = psnr_of_mse(plane_mse_y4m(&frames[k], &y, (size_t)k, 0));
            if (fabs(mean - ref_mean) > 1.0 || psnr < min_psnr[i])
                fail_msg("%s frame %d: mean %.3f vs %.3f, PSNR %.2f dB", lossy[i], k, mean, ref_mean, psnr);
        }
        free_frames(frames, n);
    }
    free(y.bytes);
}

/* A conversion is announced once through the logger. */
static void test_conversion_warning(void **state)
{
    (void)state;
    char path[4096];
    NEED_CLIP(path, "fmt_444.mkv");
    Captured cap;
    memset(&cap, 0, sizeof cap);
    CbLogger lg = {capture, &cap, CB_LOG_DEBUG};
    CbMediaOptions opts = {.logger = &lg};
    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_int_equal(cb_media_open(&r, path, &opts, &err), 0);
    assert_string_equal(cb_media_info(r)->conversion, "yuv444p -> yuv420p (swscale, bicubic)");
    assert_string_equal(cb_media_info(r)->source_pix_fmt, "yuv444p");
    CbFrame f = {0};
    while (cb_media_read(r, &f, &err) == 1)
        ;
    assert_int_equal(err.code, 0);
    assert_int_equal(cap.count[CB_LOG_WARN], 1);
    assert_non_null(strstr(cap.last[CB_LOG_WARN], "yuv444p -> yuv420p"));
    cb_frame_free(&f);
    cb_media_close(&r);
}

/* Full range: an MJPEG clip (yuvj420p) written here.  Frames come out as
 * limited range: each luma sample is 16 + 219/255 of the JPEG's (decoded
 * here directly), within 1 level (swscale's fixed-point rounding); the
 * conversion says so and is logged once. */
static void test_full_range(void **state)
{
    (void)state;
    char src[4096], path[4096];
    NEED_CLIP(src, "motion.y4m");
    tmp_path(path, sizeof path, "full_range.mkv");
    if (encode_clip(src, path, AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P, 3) != 0) {
        print_message("# no mjpeg encoder in this FFmpeg\n");
        skip();
    }
    Captured cap;
    memset(&cap, 0, sizeof cap);
    CbLogger lg = {capture, &cap, CB_LOG_DEBUG};
    CbMediaOptions opts = {.logger = &lg};
    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_int_equal(cb_media_open(&r, path, &opts, &err), 0);
    const CbMediaInfo *in = cb_media_info(r);
    assert_string_equal(in->source_pix_fmt, "yuvj420p");
    assert_non_null(in->conversion);
    assert_string_equal(in->conversion, "yuvj420p -> yuv420p (swscale, bicubic, full range -> limited range)");
    CbFrame f = {0};
    int n = 0;
    while (cb_media_read(r, &f, &err) == 1) {
        AVFrame *jf = decode_direct(path, n);
        assert_int_equal(jf->format, AV_PIX_FMT_YUVJ420P);
        for (int y = 0; y < CIF_H; y++)
            for (int x = 0; x < CIF_W; x++) {
                int full = jf->data[0][y * jf->linesize[0] + x];
                double want = 16.0 + full * 219.0 / 255.0;
                int got = f.data[0][y * f.stride[0] + x];
                if (fabs(got - want) > 1.0)
                    fail_msg("frame %d (%d,%d): %d for full-range %d (want %.2f)", n, x, y, got, full, want);
            }
        av_frame_free(&jf);
        n++;
    }
    assert_int_equal(err.code, 0);
    assert_int_equal(n, 3);
    assert_int_equal(cap.count[CB_LOG_WARN], 1);
    assert_non_null(strstr(cap.last[CB_LOG_WARN], "full range -> limited range"));
    cb_frame_free(&f);
    cb_media_close(&r);
    unlink(path);
}

/* ---- variable frame rate ------------------------------------------------- */

/* vfr.mkv: motion.y4m's 30 frames, the first 10 at 30 fps, the rest at 10
 * fps.  Every frame is there once: frame k looks most like source frame k
 * (testsrc2 moves every frame, so a dropped or repeated frame shifts this). */
static void test_vfr(void **state)
{
    (void)state;
    char path[4096], ref[4096];
    NEED_CLIP(path, "vfr.mkv");
    NEED_CLIP(ref, "motion.y4m");
    Y4m y;
    y4m_load(&y, ref);
    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_int_equal(cb_media_open(&r, path, NULL, &err), 0);
    const CbMediaInfo *in = cb_media_info(r);
    CbFrame f = {0};
    int n = 0, ret;
    int64_t prev = INT64_MIN, min_gap = INT64_MAX, max_gap = 0;
    while ((ret = cb_media_read(r, &f, &err)) == 1) {
        assert_int_equal(f.index, n);
        if (prev != INT64_MIN) {
            int64_t gap = f.pts - prev;
            assert_true(gap > 0);
            min_gap = gap < min_gap ? gap : min_gap;
            max_gap = gap > max_gap ? gap : max_gap;
        }
        prev = f.pts;
        double best = 1e30;
        size_t best_k = 0;
        for (size_t k = (size_t)(n > 0 ? n - 1 : 0); k <= (size_t)n + 1 && k < y.frames; k++) {
            double mse = plane_mse_y4m(&f, &y, k, 0);
            if (mse < best) {
                best = mse;
                best_k = k;
            }
        }
        if (best_k != (size_t)n || psnr_of_mse(best) < 35.0)
            fail_msg("vfr frame %d looks like source frame %zu (%.2f dB)", n, best_k, psnr_of_mse(best));
        n++;
    }
    assert_int_equal(ret, 0);
    assert_int_equal(n, SOURCE_FRAMES);
    /* 1/30 s, and 1/10 s or more, in a 1 ms time base (x264 and the
     * Matroska muxer round the 10 fps part's timestamps unevenly: gaps of
     * 67 to 133 ms). */
    assert_int_equal(in->tb_num, 1);
    assert_int_equal(in->tb_den, 1000);
    assert_true(min_gap >= 33 && min_gap <= 34);
    assert_true(max_gap >= 66);
    assert_int_equal(in->variable_frame_rate, 1);
    cb_frame_free(&f);
    cb_media_close(&r);
    free(y.bytes);
}

/* ---- seeking ------------------------------------------------------------- */

static const char *const seek_clips[] = {
    "motion.x264.qp22.mp4", "texture.x264.crf30.mkv", "noise.vp9.crf40.webm",
    "motion.theora.q5.ogv", "texture.mpeg4.q4.avi",   "vfr.mkv",
    "motion.y4m",
};

static void test_seek_equals_sequential(void **state)
{
    (void)state;
    char path[4096];
    size_t nclips = sizeof seek_clips / sizeof seek_clips[0];
    for (size_t i = 0; i < nclips; i++)
        NEED_CLIP(path, seek_clips[i]);
    /* Backward, forward, near and far, the ends, and repeats. */
    const int64_t order[] = {29, 0, 15, 7, 28, 1, 20, 3, 3, 29, 12, 13, 14, 2, 25};
    for (size_t i = 0; i < nclips; i++) {
        assert_int_equal(clip_path(path, sizeof path, seek_clips[i]), 0);
        CbFrame *seq = NULL;
        int n = read_all(path, &seq, 64);
        assert_int_equal(n, SOURCE_FRAMES);
        CbError err = {0};
        CbMediaReader *r = NULL;
        assert_int_equal(cb_media_open(&r, path, NULL, &err), 0);
        CbFrame f = {0};
        for (size_t j = 0; j < sizeof order / sizeof order[0]; j++) {
            int64_t k = order[j];
            if (cb_media_seek(r, k, &err) != 0)
                fail_msg("%s: seek %lld: %s", seek_clips[i], (long long)k, err.text);
            for (int64_t m = k; m < k + 2 && m < n; m++) {  /* the frame and the next */
                if (cb_media_read(r, &f, &err) != 1)
                    fail_msg("%s: read after seek %lld: %s", seek_clips[i], (long long)k, err.text);
                if (f.index != m || f.pts != seq[m].pts || !frames_equal(&f, &seq[m]))
                    fail_msg("%s: after seek %lld, frame %lld (pts %lld) differs from sequential frame %lld (pts %lld)",
                             seek_clips[i], (long long)k, (long long)f.index, (long long)f.pts,
                             (long long)m, (long long)seq[m].pts);
            }
        }
        /* Past the end, and still usable afterwards. */
        assert_int_equal(cb_media_seek(r, SOURCE_FRAMES, &err), CB_ERANGE);
        assert_non_null(strstr(err.text, path));
        assert_int_equal(cb_media_seek(r, 1000, &err), CB_ERANGE);
        assert_int_equal(cb_media_seek(r, -1, &err), CB_ERANGE);
        assert_int_equal(cb_media_seek(r, 5, &err), 0);
        assert_int_equal(cb_media_read(r, &f, &err), 1);
        assert_true(frames_equal(&f, &seq[5]));
        /* The last frame, then the end. */
        assert_int_equal(cb_media_seek(r, SOURCE_FRAMES - 1, &err), 0);
        assert_int_equal(cb_media_read(r, &f, &err), 1);
        assert_true(frames_equal(&f, &seq[SOURCE_FRAMES - 1]));
        assert_int_equal(cb_media_read(r, &f, &err), 0);
        cb_frame_free(&f);
        cb_media_close(&r);
        free_frames(seq, n);
    }
}

/* Seeking where the index has keyframes mid-stream (every 6 frames) and
 * B-frames reorder: written here in mp4 and mkv, compared with sequential
 * reading, and the fast path must be the one taken (no fallback logged). */
static void test_seek_short_gop(void **state)
{
    (void)state;
    char src[4096];
    NEED_CLIP(src, "motion.y4m");
    const char *names[] = {"short_gop.mp4", "short_gop.mkv", "short_gop.avi"};
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        tmp_path(path, sizeof path, names[i]);
        if (encode_clip(src, path, AV_CODEC_ID_MPEG4, AV_PIX_FMT_YUV420P, SOURCE_FRAMES) != 0) {
            print_message("# no mpeg4 encoder in this FFmpeg\n");
            skip();
        }
        CbFrame *seq = NULL;
        int n = read_all(path, &seq, 64);
        assert_int_equal(n, SOURCE_FRAMES);
        Captured cap;
        memset(&cap, 0, sizeof cap);
        CbLogger lg = {capture, &cap, CB_LOG_DEBUG};
        CbMediaOptions opts = {.logger = &lg};
        CbError err = {0};
        CbMediaReader *r = NULL;
        assert_int_equal(cb_media_open(&r, path, &opts, &err), 0);
        CbFrame f = {0};
        int fast = strcmp(names[i], "short_gop.avi") != 0, index_seeks = 0;
        const int64_t order[] = {29, 6, 5, 7, 24, 13, 12, 0, 18, 1, 2, 27, 11};
        for (size_t j = 0; j < sizeof order / sizeof order[0]; j++) {
            int64_t k = order[j];
            cap.decoded = -1;
            if (cb_media_seek(r, k, &err) != 0)
                fail_msg("%s: seek %lld: %s", names[i], (long long)k, err.text);
            index_seeks += cap.decoded >= 0;
            assert_int_equal(cb_media_read(r, &f, &err), 1);
            if (f.index != k || f.pts != seq[k].pts || !frames_equal(&f, &seq[k]))
                fail_msg("%s: seek %lld gave frame %lld pts %lld, sequential pts %lld", names[i], (long long)k,
                         (long long)f.index, (long long)f.pts, (long long)seq[k].pts);
            /* With a keyframe every 6 frames the index gets within one
             * or two GOPs of the target (mp4 indexes decoding times, so a
             * keyframe can come out after a B-frame asked for and the
             * reader steps back); never from frame 0 for frame 29. */
            if (fast && cap.decoded >= 0 && (cap.decoded < 1 || cap.decoded > 12))
                fail_msg("%s: seek %lld decoded %lld frames after the index seek", names[i], (long long)k,
                         cap.decoded);
        }
        /* AVI stores no presentation times for B-frames: no fast path. */
        if (fast && cap.fallbacks != 0)
            fail_msg("%s: the fast path was not taken: %s", names[i], cap.last[CB_LOG_DEBUG]);
        if (!fast && cap.fallbacks == 0)
            fail_msg("%s: expected the slow path", names[i]);
        /* Backward seeks (7 of the list) always go through the index. */
        if (fast && index_seeks < 7)
            fail_msg("%s: only %d seeks used the index", names[i], index_seeks);
        assert_int_equal(cb_media_seek(r, SOURCE_FRAMES, &err), CB_ERANGE);
        cb_frame_free(&f);
        cb_media_close(&r);
        free_frames(seq, n);
        unlink(path);
    }
}

/* A fresh reader's first seek past the end also says CB_ERANGE. */
static void test_seek_past_end_fresh(void **state)
{
    (void)state;
    const char *names[] = {"motion.x264.qp22.mp4", "vfr.mkv", "motion.y4m"};
    char path[4096];
    for (size_t i = 0; i < 3; i++)
        NEED_CLIP(path, names[i]);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(clip_path(path, sizeof path, names[i]), 0);
        CbError err = {0};
        CbMediaReader *r = NULL;
        assert_int_equal(cb_media_open(&r, path, NULL, &err), 0);
        assert_int_equal(cb_media_seek(r, SOURCE_FRAMES, &err), CB_ERANGE);
        assert_int_equal(err.code, CB_ERANGE);
        CbFrame f = {0};
        assert_int_equal(cb_media_seek(r, 0, &err), 0);
        assert_int_equal(cb_media_read(r, &f, &err), 1);
        assert_int_equal(f.index, 0);
        cb_frame_free(&f);
        cb_media_close(&r);
    }
}

/* ---- bad inputs ---------------------------------------------------------- */

enum { AT_OPEN, AT_READ, AT_EITHER };

typedef struct BadClip {
    const char *name;
    int where;
    int code;          /* 0: any negative code (random bytes) */
    const char *says;  /* in err.text, or NULL */
} BadClip;

static const BadClip bad_clips[] = {
    {"bad_empty.mp4", AT_OPEN, CB_EFORMAT, "empty"},
    {"bad_text.mp4", AT_OPEN, CB_EFORMAT, "Invalid data"},
    {"bad_truncated.mp4", AT_OPEN, CB_EFORMAT, "Invalid data"},
    {"bad_truncated_data.mp4", AT_READ, CB_EFORMAT, "frame "},
    {"bad_lying.y4m", AT_READ, CB_EFORMAT, "truncated frame"},
    {"bad_huge.y4m", AT_OPEN, CB_ELIMIT, "picture of 100000x100000 is larger than the 8192x8192 limit"},
    /* 64 KiB from /dev/urandom, different on every machine. */
    {"bad_garbage.mkv", AT_EITHER, 0, NULL},
};

static void test_bad_inputs(void **state)
{
    (void)state;
    char path[4096];
    size_t n = sizeof bad_clips / sizeof bad_clips[0];
    for (size_t i = 0; i < n; i++)
        NEED_CLIP(path, bad_clips[i].name);
    for (size_t i = 0; i < n; i++) {
        const BadClip *c = &bad_clips[i];
        assert_int_equal(clip_path(path, sizeof path, c->name), 0);
        CbError err = {0};
        CbMediaReader *r = NULL;
        int ret = cb_media_open(&r, path, NULL, &err);
        int where = AT_OPEN;
        if (ret == 0) {
            assert_non_null(r);
            if (c->where == AT_OPEN)
                fail_msg("%s: opened", c->name);
            CbFrame f = {0};
            int frames = 0;
            while ((ret = cb_media_read(r, &f, &err)) == 1)
                frames++;
            cb_frame_free(&f);
            cb_media_close(&r);
            where = AT_READ;
            if (ret == 0)
                fail_msg("%s: %d frames read without an error", c->name, frames);
        } else {
            assert_null(r);
            if (c->where == AT_READ)
                fail_msg("%s: open failed: %s", c->name, err.text);
        }
        assert_true(ret < 0);
        assert_int_equal(err.code, ret);
        if (c->code && ret != c->code)
            fail_msg("%s: code %d (%s), expected %d", c->name, ret, err.text, c->code);
        if (!strstr(err.text, path))
            fail_msg("%s: error text does not name the file: %s", c->name, err.text);
        if (c->says && !strstr(err.text, c->says))
            fail_msg("%s: error text \"%s\" lacks \"%s\"", c->name, err.text, c->says);
        print_message("# %s: %s: %s\n", c->name, where == AT_OPEN ? "open" : "read", err.text);
    }
}

/* An mp4 cut exactly after its 12th packet: every packet read is whole, the
 * stream just stops; the index promised 30 frames, so that is an error
 * (mp4 with +faststart: the index is at the front and survives the cut). */
static void test_truncated_quietly(void **state)
{
    (void)state;
    char src[4096], cut[4096];
    NEED_CLIP(src, "motion.x264.qp22.mp4");
    tmp_path(cut, sizeof cut, "cut_after_12.mp4");
    AVFormatContext *fc = NULL;
    assert_int_equal(avformat_open_input(&fc, src, NULL, NULL), 0);
    AVPacket *pkt = av_packet_alloc();
    assert_non_null(pkt);
    int64_t end = -1;
    for (int k = 0; k < 12; k++) {
        assert_int_equal(av_read_frame(fc, pkt), 0);
        assert_true(pkt->pos > 0);
        end = pkt->pos + pkt->size > end ? pkt->pos + pkt->size : end;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&fc);
    size_t size;
    uint8_t *d = slurp(src, &size);
    assert_true(end > 0 && (size_t)end < size);
    FILE *f = fopen(cut, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, (size_t)end, f), (size_t)end);
    assert_int_equal(fclose(f), 0);
    free(d);

    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_int_equal(cb_media_open(&r, cut, NULL, &err), 0);
    assert_int_equal(cb_media_info(r)->frame_count, SOURCE_FRAMES);
    CbFrame fr = {0};
    int n = 0, ret;
    while ((ret = cb_media_read(r, &fr, &err)) == 1)
        n++;
    assert_int_equal(ret, CB_EFORMAT);
    assert_int_equal(n, 12);
    assert_non_null(strstr(err.text, cut));
    if (!strstr(err.text, "truncated: the container announces 30 frames, only 12 decoded"))
        fail_msg("error text: %s", err.text);
    /* Seeking past what is there says so too. */
    assert_true(cb_media_seek(r, 20, &err) < 0);
    cb_frame_free(&fr);
    cb_media_close(&r);
    unlink(cut);
}

/* bad_lying.y4m names the frame where the data stops fitting the header. */
static void test_lying_y4m_detail(void **state)
{
    (void)state;
    char path[4096];
    NEED_CLIP(path, "bad_lying.y4m");
    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_int_equal(cb_media_open(&r, path, NULL, &err), 0);
    assert_int_equal(cb_media_info(r)->width, 1920);
    CbFrame f = {0};
    int ret;
    while ((ret = cb_media_read(r, &f, &err)) == 1)
        ;
    assert_int_equal(ret, CB_EFORMAT);
    /* 30 CIF frames of 152070 bytes fill 1 whole 1080p frame of 3110406. */
    assert_non_null(strstr(err.text, "frame 1: truncated frame"));
    assert_non_null(strstr(err.text, "1920x1080"));
    cb_frame_free(&f);
    cb_media_close(&r);
}

static void test_missing_and_directory(void **state)
{
    (void)state;
    CbError err = {0};
    CbMediaReader *r = (CbMediaReader *)&err;  /* must be reset to NULL */
    const char *missing = "/nonexistent-codecbench-dir/clip.mp4";
    assert_int_equal(cb_media_open(&r, missing, NULL, &err), CB_EIO);
    assert_null(r);
    assert_non_null(strstr(err.text, missing));
    assert_non_null(strstr(err.text, strerror(ENOENT)));

    char dir[4096];
    tmp_path(dir, sizeof dir, "a-directory");
    (void)mkdir(dir, 0777);
    assert_int_equal(cb_media_open(&r, dir, NULL, &err), CB_EIO);
    assert_null(r);
    assert_non_null(strstr(err.text, dir));
    assert_non_null(strstr(err.text, strerror(EISDIR)));
    rmdir(dir);

    assert_int_equal(cb_media_open(&r, NULL, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_media_open(NULL, missing, NULL, &err), CB_EINVAL);
    CbFrame f = {0};
    assert_int_equal(cb_media_read(NULL, &f, &err), CB_EINVAL);
    assert_int_equal(cb_media_seek(NULL, 0, &err), CB_EINVAL);
    assert_null(cb_media_info(NULL));
}

/* A picture FFmpeg itself accepts (9000x16) but beyond CB_FRAME_MAX_DIM:
 * refused at open from the header, before any frame is decoded. */
static void test_size_limit(void **state)
{
    (void)state;
    char path[4096];
    tmp_path(path, sizeof path, "wide_9000x16.y4m");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_true(fputs("YUV4MPEG2 W9000 H16 F30:1 Ip A1:1 C420jpeg\nFRAME\n", f) >= 0);
    static const uint8_t zeros[9000 * 16 * 3 / 2];
    assert_int_equal(fwrite(zeros, 1, sizeof zeros, f), sizeof zeros);
    assert_int_equal(fclose(f), 0);
    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_int_equal(cb_media_open(&r, path, NULL, &err), CB_ELIMIT);
    assert_null(r);
    assert_non_null(strstr(err.text, path));
    assert_non_null(strstr(err.text, "picture of 9000x16 is larger than the 8192x8192 limit"));
    unlink(path);
}

/* ---- clip identity ------------------------------------------------------- */

/* Known answer: a 3x2 frame, Y 10..15, U 20 21, V 30 31; the digest of
 * 03 00 00 00 02 00 00 00 0a 0b 0c 0d 0e 0f 14 15 1e 1f by Python's hashlib.
 * Stride padding (filled with junk here) must not count. */
static void test_hasher_known_answer(void **state)
{
    (void)state;
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, 3, 2), 0);
    memset(f.buf, 0xEE, (size_t)(f.data[2] - f.data[0]) + (size_t)f.stride[2]);
    for (int i = 0; i < 6; i++)
        f.data[0][(i / 3) * f.stride[0] + i % 3] = (uint8_t)(10 + i);
    f.data[1][0] = 20;
    f.data[1][1] = 21;
    f.data[2][0] = 30;
    f.data[2][1] = 31;
    CbClipHasher *h = NULL;
    assert_int_equal(cb_clip_hasher_new(&h), 0);
    assert_int_equal(cb_clip_hasher_add(h, &f), 0);
    char hex[CB_CLIP_ID_HEX];
    assert_int_equal(cb_clip_hasher_final(h, hex), 0);
    assert_string_equal(hex, "839eacd02ea104569c29d831fe145a3c1dd01882fa7fbd73941a7f4c7fe1fb3a");
    assert_int_equal(cb_clip_hasher_add(h, &f), CB_EINVAL);  /* finished */
    cb_clip_hasher_free(&h);
    assert_null(h);
    cb_clip_hasher_free(&h);

    /* A frame of another size in the same clip is refused. */
    CbFrame g = {0};
    assert_int_equal(cb_frame_alloc(&g, 4, 2), 0);
    assert_int_equal(cb_clip_hasher_new(&h), 0);
    assert_int_equal(cb_clip_hasher_add(h, &f), 0);
    assert_int_equal(cb_clip_hasher_add(h, &g), CB_EMISMATCH);
    cb_clip_hasher_free(&h);
    /* No frames: the digest of no bytes. */
    assert_int_equal(cb_clip_hasher_new(&h), 0);
    assert_int_equal(cb_clip_hasher_final(h, hex), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cb_clip_hasher_free(&h);
    cb_frame_free(&f);
    cb_frame_free(&g);
}

static void test_clip_identity(void **state)
{
    (void)state;
    char path[4096], mp4[4096], copy[4096];
    NEED_CLIP(path, "motion.y4m");
    NEED_CLIP(mp4, "motion.x264.qp22.mp4");
    tmp_path(copy, sizeof copy, "motion_copy.y4m");
    CbError err = {0};
    char all[CB_CLIP_ID_HEX], again[CB_CLIP_ID_HEX], first10[CB_CLIP_ID_HEX], mid10[CB_CLIP_ID_HEX],
        other[CB_CLIP_ID_HEX];
    int64_t nf = -1;
    assert_int_equal(cb_clip_identity(path, 0, -1, all, &nf, &err), 0);
    assert_int_equal(nf, SOURCE_FRAMES);
    assert_int_equal(strlen(all), 64);
    assert_int_equal(strspn(all, "0123456789abcdef"), 64);
    assert_int_equal(cb_clip_identity(path, 0, SOURCE_FRAMES, again, &nf, &err), 0);
    assert_string_equal(all, again);

    /* The same frames written to another y4m by us: the same identity. */
    CbMediaReader *r = NULL;
    CbY4mWriter *w = NULL;
    assert_int_equal(cb_media_open(&r, path, NULL, &err), 0);
    assert_int_equal(cb_y4m_open(&w, copy, CIF_W, CIF_H, 30, 1, &err), 0);
    CbFrame f = {0};
    while (cb_media_read(r, &f, &err) == 1)
        assert_int_equal(cb_y4m_write(w, &f, &err), 0);
    assert_int_equal(err.code, 0);
    assert_int_equal(cb_y4m_close(&w, &err), 0);
    cb_frame_free(&f);
    cb_media_close(&r);
    assert_int_equal(cb_clip_identity(copy, 0, -1, again, &nf, &err), 0);
    assert_string_equal(all, again);
    /* ... and the files are byte-identical apart from the header line. */
    Y4m a, b;
    y4m_load(&a, path);
    y4m_load(&b, copy);
    assert_int_equal(a.size - a.header, b.size - b.header);
    assert_memory_equal(a.bytes + a.header, b.bytes + b.header, a.size - a.header);
    free(a.bytes);
    free(b.bytes);
    unlink(copy);

    /* Ranges. */
    assert_int_equal(cb_clip_identity(path, 0, 10, first10, &nf, &err), 0);
    assert_int_equal(nf, 10);
    assert_int_equal(cb_clip_identity(path, 5, 10, mid10, &nf, &err), 0);
    assert_int_equal(nf, 10);
    assert_string_not_equal(first10, mid10);
    assert_string_not_equal(first10, all);
    assert_int_equal(cb_clip_identity(path, 5, 10, again, NULL, &err), 0);
    assert_string_equal(mid10, again);
    assert_int_equal(cb_clip_identity(path, 25, 10, again, &nf, &err), CB_ERANGE);
    assert_int_equal(err.code, CB_ERANGE);
    assert_non_null(strstr(err.text, path));
    assert_int_equal(cb_clip_identity(path, 30, 1, again, NULL, &err), CB_ERANGE);
    assert_int_equal(cb_clip_identity(path, -1, 1, again, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_clip_identity(path, 25, -1, again, &nf, &err), 0);
    assert_int_equal(nf, 5);

    /* The identity is the frames' (a lossy encode differs), and a range
     * hashed through the hasher by hand gives the same as the call. */
    assert_int_equal(cb_clip_identity(mp4, 0, 10, other, &nf, &err), 0);
    assert_string_not_equal(other, first10);
    CbClipHasher *h = NULL;
    assert_int_equal(cb_clip_hasher_new(&h), 0);
    assert_int_equal(cb_media_open(&r, mp4, NULL, &err), 0);
    for (int k = 0; k < 10; k++) {
        assert_int_equal(cb_media_read(r, &f, &err), 1);
        assert_int_equal(cb_clip_hasher_add(h, &f), 0);
    }
    assert_int_equal(cb_clip_hasher_final(h, again), 0);
    assert_string_equal(again, other);
    cb_clip_hasher_free(&h);
    cb_frame_free(&f);
    cb_media_close(&r);

    assert_int_equal(cb_clip_identity("/nonexistent-codecbench/x.y4m", 0, -1, again, NULL, &err), CB_EIO);
}

/* ---- y4m writer ---------------------------------------------------------- */

static void test_y4m_writer_errors(void **state)
{
    (void)state;
    CbError err = {0};
    CbY4mWriter *w = NULL;
    assert_int_equal(cb_y4m_open(&w, "/nonexistent-codecbench/out.y4m", 16, 16, 30, 1, &err), CB_EIO);
    assert_null(w);
    assert_non_null(strstr(err.text, strerror(ENOENT)));
    char path[4096];
    tmp_path(path, sizeof path, "writer.y4m");
    assert_int_equal(cb_y4m_open(&w, path, 0, 16, 30, 1, &err), CB_EINVAL);
    assert_int_equal(cb_y4m_open(&w, path, 16, 16, 0, 1, &err), CB_EINVAL);
    assert_int_equal(cb_y4m_open(&w, path, CB_FRAME_MAX_DIM + 1, 16, 30, 1, &err), CB_EINVAL);
    assert_int_equal(cb_y4m_open(&w, path, 16, 16, 30000, 1001, &err), 0);
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, 8, 8), 0);
    assert_int_equal(cb_y4m_write(w, &f, &err), CB_EMISMATCH);
    assert_int_equal(cb_y4m_close(&w, &err), 0);
    assert_null(w);
    assert_int_equal(cb_y4m_close(&w, &err), 0);
    size_t size;
    uint8_t *d = slurp(path, &size);
    const char *hdr = "YUV4MPEG2 W16 H16 F30000:1001 Ip A1:1 C420jpeg\n";
    assert_int_equal(size, strlen(hdr));
    assert_memory_equal(d, hdr, size);
    free(d);
    unlink(path);
    cb_frame_free(&f);

    /* A full disk: /dev/full accepts the open and fails the writes; the
     * error comes back from a write or, buffered, from close. */
    struct stat sb;
    if (stat("/dev/full", &sb) != 0) {
        print_message("# /dev/full missing: the full-disk case is skipped\n");
        skip();
    }
    assert_int_equal(cb_frame_alloc(&f, 64, 64), 0);
    assert_int_equal(cb_y4m_open(&w, "/dev/full", 64, 64, 30, 1, &err), 0);
    int ret = 0;
    for (int k = 0; k < 4 && ret == 0; k++)
        ret = cb_y4m_write(w, &f, &err);
    int cret = cb_y4m_close(&w, &err);
    assert_int_equal(cret, CB_EIO);
    assert_true(ret == 0 || ret == CB_EIO);
    assert_non_null(strstr(err.text, strerror(ENOSPC)));
    cb_frame_free(&f);
}

/* ---- FFmpeg's log and versions ------------------------------------------ */

static void test_ffmpeg_log(void **state)
{
    (void)state;
    char path[4096];
    NEED_CLIP(path, "bad_text.mp4");
    Captured cap;
    memset(&cap, 0, sizeof cap);
    CbLogger lg = {capture, &cap, CB_LOG_DEBUG};
    cb_media_set_ffmpeg_log(&lg);
    CbError err = {0};
    CbMediaReader *r = NULL;
    assert_true(cb_media_open(&r, path, NULL, &err) < 0);
    assert_true(cap.count[CB_LOG_ERROR] >= 1);
    assert_non_null(strstr(cap.last[CB_LOG_ERROR], "moov atom not found"));
    assert_int_equal(cap.count[CB_LOG_INFO] + cap.count[CB_LOG_DEBUG], 0);
    assert_null(strchr(cap.last[CB_LOG_ERROR], '\n'));

    /* Quiet: nothing reaches the old logger any more. */
    cb_media_set_ffmpeg_log(NULL);
    memset(&cap, 0, sizeof cap);
    assert_true(cb_media_open(&r, path, NULL, &err) < 0);
    assert_int_equal(cap.count[CB_LOG_ERROR] + cap.count[CB_LOG_WARN], 0);
}

static void test_ffmpeg_versions(void **state)
{
    (void)state;
    const char *v = cb_media_ffmpeg_versions();
    assert_non_null(v);
    assert_ptr_equal(v, cb_media_ffmpeg_versions());
    const char *libs[] = {"libavformat ", "libavcodec ", "libavutil ", "libswscale "};
    const char *at = v;
    for (size_t i = 0; i < 4; i++) {
        const char *p = strstr(at, libs[i]);
        if (!p)
            fail_msg("versions \"%s\" lack %s", v, libs[i]);
        int a, b, c;
        assert_int_equal(sscanf(p + strlen(libs[i]), "%d.%d.%d", &a, &b, &c), 3);
        assert_true(a > 0 && b >= 0 && c >= 0);
        at = p;
    }
    assert_int_equal(strncmp(v, "libavformat ", 12), 0);
}

/* Built twice (tests/unit/media.mk): CB_TEST_WITH_CLIPS=0 runs the cases
 * that need no clips, =1 those that read $CB_CLIPS.  With no clips at all
 * (make-clips found no ffmpeg CLI) the second program skips as a whole:
 * cmocka 1.1.5 reports a skipped case as "not ok N # SKIP", which automake's
 * TAP driver counts as a failure, while "1..0 # SKIP" is a skip. */
#ifndef CB_TEST_WITH_CLIPS
#define CB_TEST_WITH_CLIPS 1
#endif

int main(void)
{
    /* FFmpeg's own chatter off unless a test routes it. */
    cb_media_set_ffmpeg_log(NULL);
    const struct CMUnitTest clip_tests[] = {
        cmocka_unit_test(test_good_clips),
        cmocka_unit_test(test_frame_reuse),
        cmocka_unit_test(test_y4m_pixels),
        cmocka_unit_test(test_fmt_444),
        cmocka_unit_test(test_fmt_conversions),
        cmocka_unit_test(test_conversion_warning),
        cmocka_unit_test(test_full_range),
        cmocka_unit_test(test_vfr),
        cmocka_unit_test(test_seek_equals_sequential),
        cmocka_unit_test(test_seek_short_gop),
        cmocka_unit_test(test_seek_past_end_fresh),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_truncated_quietly),
        cmocka_unit_test(test_lying_y4m_detail),
        cmocka_unit_test(test_clip_identity),
        cmocka_unit_test(test_ffmpeg_log),
    };
    const struct CMUnitTest plain_tests[] = {
        cmocka_unit_test(test_odd_size_roundtrip),
        cmocka_unit_test(test_missing_and_directory),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_hasher_known_answer),
        cmocka_unit_test(test_y4m_writer_errors),
        cmocka_unit_test(test_ffmpeg_versions),
    };
    if (!CB_TEST_WITH_CLIPS)
        return cmocka_run_group_tests_name("media", plain_tests, NULL, NULL);
    char path[4096];
    if (clip_path(path, sizeof path, "motion.y4m") != 0) {
        printf("1..0 # SKIP no test clips in CB_CLIPS (samples/make-clips needs the ffmpeg CLI)\n");
        return 0;
    }
    return cmocka_run_group_tests_name("media_clips", clip_tests, NULL, NULL);
}

/* codecbench: reading video through FFmpeg into 8-bit 4:2:0 frames.
 *
 * One reader holds one demuxer and one decoder for the first video stream.
 * Frames come out of next_decoded() in presentation order, numbered from 0;
 * deliver() copies or converts them into a CbFrame.  Seeking either uses the
 * container's index (when a demux-only scan shows a constant frame rate with
 * timestamps on every packet) and checks that it landed on the frame it
 * wanted, or reopens the file and decodes from the start.
 */
#define _POSIX_C_SOURCE 200809L

#include "codecbench/media.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/* swscale settings for every conversion: bicubic (FFmpeg's default kernel),
 * accurate rounding and bit-exact C paths so that a frame converts to the
 * same bytes on every CPU, full chroma resolution for RGB input and output. */
#define SWS_CB_FLAGS \
    (SWS_BICUBIC | SWS_ACCURATE_RND | SWS_BITEXACT | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP)

/* Largest number of packets the seek scan keeps timestamps of (8 bytes
 * each: 80 MB, about 46 hours at 60 fps); longer streams seek by decoding. */
#define SEEK_MAP_MAX_PACKETS 10000000

/* Forward distance (frames) up to which a seek just decodes on. */
#define SEEK_DECODE_AHEAD 48

/* The y4m frame marker "FRAME\n" (YUV4MPEG2 specification). */
#define Y4M_FRAME_MAGIC_BYTES 6
/* Longest y4m stream header we read ourselves (FFmpeg's demuxer allows 256
 * bytes of parameters; some writers add comments). */
#define Y4M_HEADER_MAX 1024

enum { MAP_UNKNOWN = 0, MAP_USABLE = 1, MAP_UNUSABLE = -1 };

struct CbMediaReader {
    CbMediaInfo info;
    char *path;
    char conversion[192];
    CbLogger logger;            /* copy of the caller's, fn NULL when none */

    AVFormatContext *fmt;
    const AVInputFormat *forced; /* CbMediaOptions.format's demuxer, or NULL: probe */
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frm;
    int stream;

    struct SwsContext *sws;
    int convert;                /* frames go through sws */
    int frame_fmt;              /* pixel format of the first frame, -1 before */
    int frame_full_range;

    int64_t next_index;         /* index next_decoded() gives the next frame */
    int64_t packet_index;       /* video packets sent to the decoder */
    int input_done;             /* the demuxer is at its end, decoder flushed */
    int pending;                /* frm holds frame pending_index, not yet delivered */
    int64_t pending_index;
    int64_t exact_frames;       /* a frame count known to be exact, or -1 */
    int64_t counted_frames;     /* frames found by decoding to the end, or -1 */

    int64_t y4m_header_bytes;   /* > 0 for y4m files */
    int64_t y4m_frame_bytes;

    int64_t prev_pts, first_gap; /* variable frame rate seen while reading */

    int map_state;              /* the seek scan, done on the first seek */
    int64_t *map_pts;           /* sorted packet timestamps, frame order */
    int64_t map_count;
    int index_positioned;       /* frame numbers come from the map (after a seek) */
    int broken;                 /* a read failed: a seek starts afresh */
};

/* ---- small helpers ------------------------------------------------------ */

static int averr_code(int averr)
{
    switch (averr) {
    case AVERROR(ENOMEM): return CB_ENOMEM;
    case AVERROR(ENOENT):
    case AVERROR(EACCES):
    case AVERROR(EPERM):
    case AVERROR(EISDIR):
    case AVERROR(EIO):
    case AVERROR(ENOTDIR):
    case AVERROR(ENAMETOOLONG):
    case AVERROR(ELOOP): return CB_EIO;
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_PATCHWELCOME: return CB_ENOTSUP;
    default: return CB_EFORMAT;
    }
}

static const char *averr_text(int averr, char buf[AV_ERROR_MAX_STRING_SIZE])
{
    if (av_strerror(averr, buf, AV_ERROR_MAX_STRING_SIZE) < 0)
        snprintf(buf, AV_ERROR_MAX_STRING_SIZE, "FFmpeg error %d", averr);
    return buf;
}

static int64_t frame_pts(const AVFrame *f)
{
    if (f->pts != AV_NOPTS_VALUE)
        return f->pts;
    if (f->best_effort_timestamp != AV_NOPTS_VALUE)
        return f->best_effort_timestamp;
    return INT64_MIN;
}

static int is_full_range_yuvj(enum AVPixelFormat *fmt)
{
    switch (*fmt) {
    case AV_PIX_FMT_YUVJ420P: *fmt = AV_PIX_FMT_YUV420P; return 1;
    case AV_PIX_FMT_YUVJ422P: *fmt = AV_PIX_FMT_YUV422P; return 1;
    case AV_PIX_FMT_YUVJ444P: *fmt = AV_PIX_FMT_YUV444P; return 1;
    case AV_PIX_FMT_YUVJ440P: *fmt = AV_PIX_FMT_YUV440P; return 1;
    case AV_PIX_FMT_YUVJ411P: *fmt = AV_PIX_FMT_YUV411P; return 1;
    default: return 0;
    }
}

/* Describes how frames of pixel format fmt and range range become
 * limited-range yuv420p; sets r->convert and r->conversion. */
static void describe_conversion(CbMediaReader *r, int fmt, int range)
{
    enum AVPixelFormat base = (enum AVPixelFormat)fmt;
    int full = is_full_range_yuvj(&base);
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(base);
    int rgb = d && (d->flags & AV_PIX_FMT_FLAG_RGB);
    if (!rgb && range == AVCOL_RANGE_JPEG)
        full = 1;
    r->frame_full_range = full;
    r->convert = base != AV_PIX_FMT_YUV420P || full;
    if (!r->convert) {
        r->info.conversion = NULL;
        return;
    }
    const char *name = av_get_pix_fmt_name((enum AVPixelFormat)fmt);
    snprintf(r->conversion, sizeof r->conversion, "%s%s -> yuv420p (swscale, bicubic%s)",
             name ? name : "unknown", full && base == (enum AVPixelFormat)fmt ? " (full range)" : "",
             full ? ", full range -> limited range" : "");
    r->info.conversion = r->conversion;
}

/* Reads the first line of a y4m file: its length with the newline and the
 * W and H it states.  Returns 0 when path is a y4m file with W and H. */
static int y4m_peek(const char *path, int64_t *header_bytes, long *w, long *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char line[Y4M_HEADER_MAX + 1];
    size_t n = fread(line, 1, Y4M_HEADER_MAX, f);
    fclose(f);
    line[n] = '\0';
    if (n < 10 || memcmp(line, "YUV4MPEG2 ", 10) != 0)
        return -1;
    char *nl = memchr(line, '\n', n);
    if (!nl)
        return -1;
    *nl = '\0';
    *header_bytes = nl - line + 1;
    *w = *h = 0;
    /* Parameters are space-separated, each a letter and a value. */
    for (char *tok = line + 9; tok; tok = strchr(tok + 1, ' ')) {
        if (tok[1] == 'W')
            *w = strtol(tok + 2, NULL, 10);
        else if (tok[1] == 'H')
            *h = strtol(tok + 2, NULL, 10);
    }
    return *w > 0 && *h > 0 ? 0 : -1;
}

static int check_size(const CbMediaReader *r, long w, long h, CbError *err)
{
    if (w > CB_FRAME_MAX_DIM || h > CB_FRAME_MAX_DIM)
        return cb_error_set(err, CB_ELIMIT, "%s: picture of %ldx%ld is larger than the %dx%d limit",
                            r->path, w, h, CB_FRAME_MAX_DIM, CB_FRAME_MAX_DIM);
    if (w < 1 || h < 1)
        return cb_error_set(err, CB_EFORMAT, "%s: the video stream has no picture size (%ldx%ld)",
                            r->path, w, h);
    return CB_OK;
}

/* mp4/mov index every sample, and mark those an edit list removes: the
 * count of the others is the exact number of frames the decoder outputs.
 * Other containers' counts (AVI's index, Matroska tags) are not relied on. */
static int64_t exact_frame_count(AVFormatContext *fmt, AVStream *st)
{
    if (strcmp(fmt->iformat->name, "mov,mp4,m4a,3gp,3g2,mj2") != 0)
        return -1;
    int n = avformat_index_get_entries_count(st);
    if (n <= 0)
        return -1;
    int64_t count = 0;
    for (int i = 0; i < n; i++) {
        const AVIndexEntry *e = avformat_index_get_entry(st, i);
        if (e && !(e->flags & AVINDEX_DISCARD_FRAME))
            count++;
    }
    return count;
}

/* ---- opening ------------------------------------------------------------ */

static void close_ffmpeg(CbMediaReader *r)
{
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    av_packet_free(&r->pkt);
    av_frame_free(&r->frm);
    r->pending = 0;
    r->input_done = 0;
    r->next_index = 0;
    r->packet_index = 0;
    r->index_positioned = 0;
    r->broken = 0;
}

/* Opens the demuxer and decoder; fills info when first is set (the first
 * open), and checks that a reopen found the same stream otherwise. */
static int open_ffmpeg(CbMediaReader *r, int first, CbError *err)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    AVDictionary **sopts = NULL;
    unsigned nb_sopts = 0;
    int ret;

    ret = avformat_open_input(&r->fmt, r->path, r->forced, NULL);
    if (ret < 0) {
        int64_t hb;
        long w, h;
        /* FFmpeg's y4m demuxer refuses huge headers with an odd errno; say
         * what is wrong. */
        if (y4m_peek(r->path, &hb, &w, &h) == 0 && (ret = check_size(r, w, h, err)) < 0)
            goto fail;
        int code = averr_code(ret);
        ret = cb_error_set(err, code, "%s: %s%s", r->path,
                           code == CB_EFORMAT ? "not a video file FFmpeg can read: " : "", averr_text(ret, eb));
        goto fail;
    }
    AVFormatContext *fmt = r->fmt;

    /* Headers may already claim a size: refuse it before any decoding. */
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVCodecParameters *p = fmt->streams[i]->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO && (p->width > CB_FRAME_MAX_DIM || p->height > CB_FRAME_MAX_DIM)) {
            ret = check_size(r, p->width, p->height, err);
            goto fail;
        }
    }
    /* find_stream_info may decode frames: the same pixel limit applies. */
    nb_sopts = fmt->nb_streams;
    if (nb_sopts) {
        sopts = calloc(nb_sopts, sizeof *sopts);
        if (!sopts) {
            ret = cb_error_set(err, CB_ENOMEM, "%s: out of memory", r->path);
            goto fail;
        }
        for (unsigned i = 0; i < nb_sopts; i++)
            if (av_dict_set_int(&sopts[i], "max_pixels", (int64_t)CB_FRAME_MAX_DIM * CB_FRAME_MAX_DIM, 0) < 0) {
                ret = cb_error_set(err, CB_ENOMEM, "%s: out of memory", r->path);
                goto fail;
            }
    }
    ret = avformat_find_stream_info(fmt, sopts);
    if (ret < 0) {
        ret = cb_error_set(err, averr_code(ret), "%s: reading stream information: %s", r->path,
                           averr_text(ret, eb));
        goto fail;
    }

    r->stream = -1;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *s = fmt->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            r->stream = (int)i;
            break;
        }
    }
    if (r->stream < 0) {
        ret = cb_error_set(err, CB_EFORMAT, "%s: no video stream (container %s)", r->path,
                           fmt->iformat->name);
        goto fail;
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        fmt->streams[i]->discard = (int)i == r->stream ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    AVStream *st = fmt->streams[r->stream];
    const AVCodecParameters *par = st->codecpar;
    if ((ret = check_size(r, par->width, par->height, err)) < 0)
        goto fail;

    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec) {
        ret = cb_error_set(err, CB_ENOTSUP, "%s: no decoder for codec %s in this FFmpeg", r->path,
                           avcodec_get_name(par->codec_id));
        goto fail;
    }
    r->dec = avcodec_alloc_context3(codec);
    r->pkt = av_packet_alloc();
    r->frm = av_frame_alloc();
    if (!r->dec || !r->pkt || !r->frm) {
        ret = cb_error_set(err, CB_ENOMEM, "%s: out of memory", r->path);
        goto fail;
    }
    if ((ret = avcodec_parameters_to_context(r->dec, par)) < 0) {
        ret = cb_error_set(err, averr_code(ret), "%s: %s", r->path, averr_text(ret, eb));
        goto fail;
    }
    r->dec->pkt_timebase = st->time_base;
    /* FFmpeg's threading (frame and slice) keeps output order and pixels;
     * 0 = one thread per core. */
    r->dec->thread_count = 0;
    av_opt_set_int(r->dec, "max_pixels", (int64_t)CB_FRAME_MAX_DIM * CB_FRAME_MAX_DIM, 0);
    if ((ret = avcodec_open2(r->dec, codec, NULL)) < 0) {
        ret = cb_error_set(err, averr_code(ret), "%s: opening the %s decoder: %s", r->path,
                           codec->name, averr_text(ret, eb));
        goto fail;
    }

    if (first) {
        CbMediaInfo *in = &r->info;
        in->path = r->path;
        in->container = fmt->iformat->name;
        in->codec = codec->name;
        const char *pf = av_get_pix_fmt_name((enum AVPixelFormat)par->format);
        in->source_pix_fmt = pf ? pf : "unknown";
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)par->format);
        in->source_bit_depth = d ? d->comp[0].depth : 0;
        in->width = par->width;
        in->height = par->height;
        AVRational avg = st->avg_frame_rate, real = st->r_frame_rate;
        AVRational fps = avg.num > 0 && avg.den > 0 ? avg : real;
        if (fps.num > 0 && fps.den > 0) {
            in->fps_num = fps.num;
            in->fps_den = fps.den;
        }
        in->variable_frame_rate = avg.num > 0 && avg.den > 0 && real.num > 0 && real.den > 0 &&
                                  av_cmp_q(avg, real) != 0;
        r->exact_frames = exact_frame_count(fmt, st);
        in->frame_count = r->exact_frames >= 0 ? r->exact_frames : st->nb_frames > 0 ? st->nb_frames : -1;
        if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
            in->duration_s = (double)st->duration * av_q2d(st->time_base);
        else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
            in->duration_s = (double)fmt->duration / AV_TIME_BASE;
        else
            in->duration_s = -1;
        in->tb_num = st->time_base.num;
        in->tb_den = st->time_base.den;
        struct stat sb;
        if (stat(r->path, &sb) == 0 && S_ISREG(sb.st_mode))
            in->container_bytes = (int64_t)sb.st_size;
        else
            in->container_bytes = -1;
        describe_conversion(r, par->format, par->color_range);
        if (r->convert)
            cb_log(&r->logger, CB_LOG_WARN, "%s: frames are converted: %s", r->path, r->conversion);

        if (strcmp(fmt->iformat->name, "yuv4mpegpipe") == 0) {
            int64_t hb;
            long w, h;
            int fb = av_image_get_buffer_size((enum AVPixelFormat)par->format, par->width, par->height, 1);
            if (y4m_peek(r->path, &hb, &w, &h) == 0 && fb > 0) {
                r->y4m_header_bytes = hb;
                r->y4m_frame_bytes = fb + Y4M_FRAME_MAGIC_BYTES;
            }
        }
    } else if (par->width != r->info.width || par->height != r->info.height ||
               strcmp(codec->name, r->info.codec) != 0) {
        ret = cb_error_set(err, CB_EFORMAT, "%s: the file changed while open", r->path);
        goto fail;
    }
    ret = CB_OK;
fail:
    for (unsigned i = 0; i < nb_sopts; i++)
        av_dict_free(&sopts[i]);
    free(sopts);
    if (ret < 0)
        close_ffmpeg(r);
    return ret;
}

int cb_media_open(CbMediaReader **out, const char *path, const CbMediaOptions *opts, CbError *err)
{
    if (!out || !path)
        return cb_error_set(err, CB_EINVAL, "cb_media_open: no %s", out ? "path" : "output pointer");
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(EISDIR));
    if (S_ISREG(sb.st_mode) && sb.st_size == 0)
        return cb_error_set(err, CB_EFORMAT, "%s: the file is empty", path);

    CbMediaReader *r = calloc(1, sizeof *r);
    if (!r)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
    r->path = strdup(path);
    if (!r->path) {
        free(r);
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
    }
    if (opts && opts->logger)
        r->logger = *opts->logger;
    if (opts && opts->format) {
        r->forced = av_find_input_format(opts->format);
        if (!r->forced) {
            int code = cb_error_set(err, CB_ENOTSUP, "%s: FFmpeg has no demuxer \"%.32s\"", path,
                                    opts->format);
            cb_media_close(&r);
            return code;
        }
    }
    r->frame_fmt = -1;
    r->exact_frames = -1;
    r->counted_frames = -1;
    r->prev_pts = INT64_MIN;
    r->first_gap = -1;
    int ret = open_ffmpeg(r, 1, err);
    if (ret < 0) {
        cb_media_close(&r);
        return ret;
    }
    *out = r;
    return CB_OK;
}

const CbMediaInfo *cb_media_info(const CbMediaReader *r)
{
    return r ? &r->info : NULL;
}

void cb_media_close(CbMediaReader **rp)
{
    if (!rp || !*rp)
        return;
    CbMediaReader *r = *rp;
    close_ffmpeg(r);
    sws_freeContext(r->sws);
    free(r->map_pts);
    free(r->path);
    free(r);
    *rp = NULL;
}

/* ---- decoding ----------------------------------------------------------- */

/* Error for a y4m file whose data is not a whole number of frames; 0 when
 * the file is whole (or not y4m). */
static int y4m_truncation(CbMediaReader *r, CbError *err)
{
    if (r->y4m_header_bytes <= 0 || r->info.container_bytes < 0)
        return CB_OK;
    int64_t data = r->info.container_bytes - r->y4m_header_bytes;
    int64_t whole = data / r->y4m_frame_bytes, rest = data % r->y4m_frame_bytes;
    if (rest == 0)
        return CB_OK;
    return cb_error_set(err, CB_EFORMAT,
                        "%s: frame %lld: truncated frame: the file ends %lld bytes into it, a frame "
                        "is %lld bytes (does the header's %dx%d %s match the data?)",
                        r->path, (long long)whole, (long long)rest, (long long)r->y4m_frame_bytes,
                        r->info.width, r->info.height, r->info.source_pix_fmt);
}

/* Notes the gaps between timestamps: unequal gaps (beyond one tick of
 * rounding) mean a variable frame rate even where the container's two rates
 * agree (Matroska states only one). */
static void observe_pts(CbMediaReader *r, int64_t pts)
{
    if (pts == INT64_MIN) {
        r->prev_pts = INT64_MIN;
        return;
    }
    if (r->prev_pts != INT64_MIN) {
        int64_t gap = pts - r->prev_pts;
        if (r->first_gap < 0)
            r->first_gap = gap;
        else if (gap - r->first_gap > 1 || r->first_gap - gap > 1)
            r->info.variable_frame_rate = 1;
    }
    r->prev_pts = pts;
}

/* Decodes the next frame into r->frm: 1 with a frame (its index is
 * r->pending_index), 0 at the end, or a negative code. */
static int next_decoded(CbMediaReader *r, CbError *err)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    if (!r->dec)
        return cb_error_set(err, CB_EINVAL, "%s: the reader failed earlier", r->path);
    if (r->pending) {
        r->pending = 0;
        return 1;
    }
    for (;;) {
        int ret = avcodec_receive_frame(r->dec, r->frm);
        if (ret == 0) {
            if (r->frm->flags & AV_FRAME_FLAG_CORRUPT || r->frm->decode_error_flags) {
                av_frame_unref(r->frm);
                return cb_error_set(err, CB_EFORMAT, "%s: frame %lld: decoded with errors (concealed by the decoder)",
                                    r->path, (long long)r->next_index);
            }
            r->pending_index = r->next_index++;
            return 1;
        }
        if (ret == AVERROR_EOF) {
            int64_t n = r->next_index;
            if (r->exact_frames >= 0 && n < r->exact_frames)
                return cb_error_set(err, CB_EFORMAT,
                                    "%s: truncated: the container announces %lld frames, only %lld decoded",
                                    r->path, (long long)r->exact_frames, (long long)n);
            if ((ret = y4m_truncation(r, err)) < 0)
                return ret;
            r->counted_frames = n;
            return 0;
        }
        if (ret != AVERROR(EAGAIN))
            return cb_error_set(err, averr_code(ret), "%s: frame %lld: %s", r->path,
                                (long long)r->next_index, averr_text(ret, eb));
        if (r->input_done)  /* the decoder wants input after the flush */
            return cb_error_set(err, CB_EEXTERNAL, "%s: frame %lld: the decoder did not finish",
                                r->path, (long long)r->next_index);

        ret = av_read_frame(r->fmt, r->pkt);
        if (ret == AVERROR_EOF) {
            r->input_done = 1;
            ret = avcodec_send_packet(r->dec, NULL);
            if (ret < 0 && ret != AVERROR_EOF)
                return cb_error_set(err, averr_code(ret), "%s: frame %lld: %s", r->path,
                                    (long long)r->next_index, averr_text(ret, eb));
            continue;
        }
        if (ret < 0) {
            int t = y4m_truncation(r, err);
            if (t < 0)
                return t;
            return cb_error_set(err, averr_code(ret), "%s: frame %lld: reading packet %lld: %s", r->path,
                                (long long)r->next_index, (long long)r->packet_index,
                                averr_text(ret, eb));
        }
        if (r->pkt->stream_index != r->stream) {
            av_packet_unref(r->pkt);
            continue;
        }
        r->info.stream_bytes += r->pkt->size;
        int64_t pkt_no = r->packet_index++;
        if (r->pkt->flags & AV_PKT_FLAG_CORRUPT) {
            av_packet_unref(r->pkt);
            return cb_error_set(err, CB_EFORMAT, "%s: frame %lld: packet %lld is corrupt or cut short",
                                r->path, (long long)r->next_index, (long long)pkt_no);
        }
        ret = avcodec_send_packet(r->dec, r->pkt);
        av_packet_unref(r->pkt);
        if (ret < 0)
            return cb_error_set(err, averr_code(ret), "%s: frame %lld: %s", r->path,
                                (long long)r->next_index, averr_text(ret, eb));
    }
}

static int make_sws(CbMediaReader *r, CbError *err)
{
    enum AVPixelFormat src = (enum AVPixelFormat)r->frame_fmt;
    is_full_range_yuvj(&src);
    sws_freeContext(r->sws);
    /* The ranges are options set before init: swscale picks its unscaled
     * fast paths (a plain copy for yuv420p in and out) at init, and only
     * a range known then is honoured by them. */
    struct SwsContext *c = r->sws = sws_alloc_context();
    if (!c)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", r->path);
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src);
    int rgb = d && (d->flags & AV_PIX_FMT_FLAG_RGB);
    if (av_opt_set_int(c, "srcw", r->info.width, 0) < 0 || av_opt_set_int(c, "srch", r->info.height, 0) < 0 ||
        av_opt_set_int(c, "dstw", r->info.width, 0) < 0 || av_opt_set_int(c, "dsth", r->info.height, 0) < 0 ||
        av_opt_set_pixel_fmt(c, "src_format", src, 0) < 0 ||
        av_opt_set_pixel_fmt(c, "dst_format", AV_PIX_FMT_YUV420P, 0) < 0 ||
        av_opt_set_int(c, "sws_flags", SWS_CB_FLAGS, 0) < 0 ||
        av_opt_set_int(c, "src_range", rgb || r->frame_full_range, 0) < 0 ||
        av_opt_set_int(c, "dst_range", 0, 0) < 0 || sws_init_context(c, NULL, NULL) < 0)
        return cb_error_set(err, CB_ENOTSUP, "%s: swscale cannot convert %s", r->path, r->conversion);
    if (!rgb) {
        /* YUV or gray in: the same matrix on both sides, only the range changes. */
        int cs = r->frm->colorspace;
        const int *coef = sws_getCoefficients(cs == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : cs);
        if (sws_setColorspaceDetails(c, coef, r->frame_full_range, coef, 0, 0, 1 << 16, 1 << 16) < 0)
            return cb_error_set(err, CB_ENOTSUP, "%s: swscale cannot convert %s", r->path, r->conversion);
    }
    return CB_OK;
}

/* Copies or converts r->frm into out. */
static int deliver(CbMediaReader *r, CbFrame *out, CbError *err)
{
    const AVFrame *f = r->frm;
    int w = r->info.width, h = r->info.height;
    int ret;
    if (f->width != w || f->height != h)
        return cb_error_set(err, CB_ENOTSUP,
                            "%s: frame %lld: the picture size changes from %dx%d to %dx%d (not supported)",
                            r->path, (long long)r->pending_index, w, h, f->width, f->height);
    if (r->frame_fmt < 0) {
        const char *before = r->convert ? r->conversion : NULL;
        char old[sizeof r->conversion];
        snprintf(old, sizeof old, "%s", before ? before : "");
        describe_conversion(r, f->format, f->color_range);
        r->frame_fmt = f->format;
        if (r->convert && strcmp(old, r->conversion) != 0)
            cb_log(&r->logger, CB_LOG_WARN, "%s: frames are converted: %s", r->path, r->conversion);
        if (r->convert && (ret = make_sws(r, err)) < 0)
            return ret;
    } else if (f->format != r->frame_fmt) {
        const char *a = av_get_pix_fmt_name((enum AVPixelFormat)r->frame_fmt);
        const char *b = av_get_pix_fmt_name((enum AVPixelFormat)f->format);
        return cb_error_set(err, CB_ENOTSUP, "%s: frame %lld: the pixel format changes from %s to %s (not supported)",
                            r->path, (long long)r->pending_index, a ? a : "?", b ? b : "?");
    }

    if (out->data[0] && (out->width != w || out->height != h)) {
        if (out->buf)
            cb_frame_free(out);
        else
            memset(out, 0, sizeof *out);
    }
    if (!out->data[0] && (ret = cb_frame_alloc(out, w, h)) < 0)
        return cb_error_set(err, ret, "%s: frame %lld: cannot allocate a %dx%d frame", r->path,
                            (long long)r->pending_index, w, h);

    if (r->convert) {
        uint8_t *dst[4] = {out->data[0], out->data[1], out->data[2], NULL};
        int dst_stride[4] = {(int)out->stride[0], (int)out->stride[1], (int)out->stride[2], 0};
        ret = sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, h, dst, dst_stride);
        if (ret != h)
            return cb_error_set(err, CB_EEXTERNAL, "%s: frame %lld: swscale failed (%s)", r->path,
                                (long long)r->pending_index, r->conversion);
    } else {
        for (int p = 0; p < 3; p++) {
            int pw = cb_plane_width(w, p), ph = cb_plane_height(h, p);
            for (int y = 0; y < ph; y++)
                memcpy(out->data[p] + (ptrdiff_t)y * out->stride[p],
                       f->data[p] + (ptrdiff_t)y * f->linesize[p], (size_t)pw);
        }
    }
    out->index = r->pending_index;
    out->pts = frame_pts(f);
    /* libavcodec's picture type ('I', 'P', 'B'; S, SI, SP and none become 0). */
    char type = av_get_picture_type_char(f->pict_type);
    out->type = type == 'I' || type == 'P' || type == 'B' ? type : 0;
    return CB_OK;
}

int cb_media_read(CbMediaReader *r, CbFrame *frame, CbError *err)
{
    if (!r || !frame)
        return cb_error_set(err, CB_EINVAL, "cb_media_read: no %s", r ? "frame" : "reader");
    int ret = next_decoded(r, err);
    if (ret < 0)
        r->broken = 1;
    if (ret <= 0)
        return ret;
    int64_t pts = frame_pts(r->frm);
    /* After a seek by the index, frame numbers hold only while timestamps
     * follow the map; a disagreement would number frames wrongly. */
    if (r->index_positioned &&
        (r->pending_index >= r->map_count || pts != r->map_pts[r->pending_index])) {
        av_frame_unref(r->frm);
        r->broken = 1;
        return cb_error_set(err, CB_EFORMAT,
                            "%s: frame %lld: timestamps disagree with the container's index after a seek",
                            r->path, (long long)r->pending_index);
    }
    observe_pts(r, pts);
    ret = deliver(r, frame, err);
    av_frame_unref(r->frm);
    if (ret < 0)
        r->broken = 1;
    return ret < 0 ? ret : 1;
}

/* ---- seeking ------------------------------------------------------------ */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Demuxes the whole file once (no decoding) and keeps the sorted packet
 * timestamps: the frame order's timestamps when every packet carries one.
 * The map is usable for seeking when the frame rate is constant: every gap
 * within one tick (timestamp rounding) of the mean gap. */
static void build_seek_map(CbMediaReader *r)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    int64_t *pts = NULL, n = 0, cap = 0;
    r->map_state = MAP_UNUSABLE;
    if (!pkt || avformat_open_input(&fmt, r->path, r->forced, NULL) < 0)
        goto done;
    if ((unsigned)r->stream >= fmt->nb_streams ||
        fmt->streams[r->stream]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO)
        goto done;
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        fmt->streams[i]->discard = (int)i == r->stream ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    int ret;
    while ((ret = av_read_frame(fmt, pkt)) >= 0) {
        int mine = pkt->stream_index == r->stream, discard = pkt->flags & AV_PKT_FLAG_DISCARD;
        int64_t p = pkt->pts;
        av_packet_unref(pkt);
        if (!mine || discard)
            continue;
        if (p == AV_NOPTS_VALUE || n >= SEEK_MAP_MAX_PACKETS)
            goto done;
        if (n == cap) {
            int64_t ncap = cap ? cap * 2 : 1024;
            int64_t *np = realloc(pts, (size_t)ncap * sizeof *np);
            if (!np)
                goto done;
            pts = np;
            cap = ncap;
        }
        pts[n++] = p;
    }
    if (ret != AVERROR_EOF || n < 2)
        goto done;
    qsort(pts, (size_t)n, sizeof *pts, cmp_i64);
    int64_t span = pts[n - 1] - pts[0];
    for (int64_t i = 1; i < n; i++) {
        int64_t dev = (pts[i] - pts[i - 1]) * (n - 1) - span;  /* gap - mean, times n-1 */
        if (pts[i] == pts[i - 1] || dev > n - 1 || dev < -(n - 1))
            goto done;
    }
    r->map_pts = pts;
    r->map_count = n;
    pts = NULL;
    r->map_state = MAP_USABLE;
done:
    if (r->map_state != MAP_USABLE)
        cb_log(&r->logger, CB_LOG_DEBUG, "%s: seeking by decoding from the start (no constant frame rate with timestamps)",
               r->path);
    free(pts);
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
}

/* Decodes and drops frames until frame n is decoded and pending: 0,
 * CB_ERANGE when the stream ends first, or an error. */
static int decode_to(CbMediaReader *r, int64_t n, CbError *err)
{
    for (;;) {
        if (r->pending) {
            if (r->pending_index == n)
                return CB_OK;
            if (r->pending_index > n)
                return cb_error_set(err, CB_EINVAL, "%s: seek to %lld went past it", r->path, (long long)n);
            observe_pts(r, frame_pts(r->frm));
            av_frame_unref(r->frm);
            r->pending = 0;
        }
        int ret = next_decoded(r, err);
        if (ret < 0)
            return ret;
        if (ret == 0)
            return cb_error_set(err, CB_ERANGE, "%s: no frame %lld: the stream has %lld frames", r->path,
                                (long long)n, (long long)r->next_index);
        r->pending = 1;
    }
}

/* Back to the state of a freshly opened reader. */
static int rewind_reader(CbMediaReader *r, CbError *err)
{
    close_ffmpeg(r);
    r->prev_pts = INT64_MIN;
    return open_ffmpeg(r, 0, err);
}

/* Outcomes of the fast path: SEEK_FAILED leaves the reader somewhere
 * unknown (the caller rewinds), SEEK_NOT_TRIED leaves it untouched. */
enum { SEEK_FAILED = 0, SEEK_OK = 1, SEEK_LATE = 2, SEEK_NOT_TRIED = 3 };

/* Seeks the demuxer to timestamp from (at or before target, the timestamp
 * of frame n) and decodes up to the target.  The checks: the first frame
 * out is a keyframe (so nothing decoded from missing references is taken),
 * timestamps rise, and one frame has the target's timestamp exactly.
 * SEEK_LATE: the demuxer landed after the target (mp4 indexes decoding
 * times, so with B-frames a keyframe's slot can be before a frame it is
 * shown after): the caller retries from earlier. */
static int seek_attempt(CbMediaReader *r, int64_t n, int64_t from, int64_t target)
{
    if (av_seek_frame(r->fmt, r->stream, from, AVSEEK_FLAG_BACKWARD) < 0) {
        cb_log(&r->logger, CB_LOG_DEBUG, "%s: the container cannot seek: decoding from the start", r->path);
        return SEEK_FAILED;
    }
    avcodec_flush_buffers(r->dec);
    r->pending = 0;
    r->input_done = 0;
    r->prev_pts = INT64_MIN;
    int64_t last = INT64_MIN, counted = r->counted_frames, decoded = 0;
    r->next_index = 0;  /* unknown until the target is found */
    for (int first = 1;; first = 0) {
        CbError scratch;
        int ret = next_decoded(r, &scratch);
        r->counted_frames = counted;  /* next_index counted from the seek point */
        if (ret <= 0) {
            cb_log(&r->logger, CB_LOG_DEBUG, "%s: seeking to frame %lld by the index found no frame: decoding from the start",
                   r->path, (long long)n);
            return SEEK_FAILED;
        }
        int64_t p = frame_pts(r->frm);
        int key = r->frm->key_frame;
        if (p != INT64_MIN && p > target && first) {
            av_frame_unref(r->frm);
            return SEEK_LATE;
        }
        if (p == INT64_MIN || p <= last || p > target || (first && !key)) {
            cb_log(&r->logger, CB_LOG_DEBUG,
                   "%s: seeking to frame %lld by the index gave timestamp %lld%s (target %lld): decoding from the start",
                   r->path, (long long)n, (long long)p, first && !key ? " on a non-keyframe" : "", (long long)target);
            av_frame_unref(r->frm);
            return SEEK_FAILED;
        }
        decoded++;
        if (p == target) {
            cb_log(&r->logger, CB_LOG_DEBUG, "%s: frame %lld found by the index, %lld frames decoded after the seek",
                   r->path, (long long)n, (long long)decoded);
            r->pending = 1;
            r->pending_index = n;
            r->next_index = n + 1;
            r->index_positioned = 1;
            return SEEK_OK;
        }
        last = p;
        av_frame_unref(r->frm);
    }
}

/* The fast path: SEEK_OK when positioned (frame n pending), otherwise
 * SEEK_FAILED or SEEK_NOT_TRIED (no usable index, or n beyond it). */
static int seek_by_index(CbMediaReader *r, int64_t n)
{
    if (r->map_state == MAP_UNKNOWN)
        build_seek_map(r);
    if (r->map_state != MAP_USABLE || n >= r->map_count)
        return SEEK_NOT_TRIED;
    /* Seek to the target's timestamp, then from 4, 16, 64... frames
     * before it while the demuxer lands too late. */
    for (int64_t back = 0;; back = back ? back * 4 : 4) {
        int64_t from = back < n ? n - back : 0;
        int ret = seek_attempt(r, n, r->map_pts[from], r->map_pts[n]);
        if (ret != SEEK_LATE)
            return ret;
        if (from == 0) {
            cb_log(&r->logger, CB_LOG_DEBUG, "%s: seeking to frame %lld by the index: no keyframe before it; decoding from the start",
                   r->path, (long long)n);
            return SEEK_FAILED;
        }
    }
}

int cb_media_seek(CbMediaReader *r, int64_t n, CbError *err)
{
    if (!r)
        return cb_error_set(err, CB_EINVAL, "cb_media_seek: no reader");
    if (n < 0)
        return cb_error_set(err, CB_ERANGE, "%s: no frame %lld", r->path, (long long)n);
    if (r->counted_frames >= 0 && n >= r->counted_frames)
        return cb_error_set(err, CB_ERANGE, "%s: no frame %lld: the stream has %lld frames", r->path,
                            (long long)n, (long long)r->counted_frames);
    int ret;
    if (!r->dec || r->broken) {  /* after a failed reopen or a read error */
        if ((ret = rewind_reader(r, err)) < 0)
            return ret;
    }
    int64_t at = r->pending ? r->pending_index : r->next_index;
    if (n == at)
        return CB_OK;
    if (n > at && n - at <= SEEK_DECODE_AHEAD)
        return decode_to(r, n, err);

    ret = seek_by_index(r, n);
    if (ret == SEEK_OK)
        return CB_OK;
    /* Not tried and ahead: decoding on from here is the sequential read. */
    if (ret == SEEK_NOT_TRIED && n > at)
        return decode_to(r, n, err);
    if ((ret = rewind_reader(r, err)) < 0)
        return ret;
    return decode_to(r, n, err);
}

/* codecbench: FFmpeg's encoders as baselines (libavcodec), writing
 * elementary streams: Annex B (H.264, HEVC), IVF (VP9, AV1), MPEG-4 part 2
 * video (m4v).
 *
 * Encoders are opened without AV_CODEC_FLAG_GLOBAL_HEADER, so every one of
 * them repeats its headers in-band (SPS/PPS, VPS, VOL, AV1 sequence header
 * OBUs) at key frames: the file decodes on its own and the headers are in
 * the packets, hence in the payload bytes.  Extradata, when an encoder sets
 * it anyway, is not written (it would repeat what the first packet holds).
 *
 * How each encoder is held at one fixed quantiser (tests/unit/test_baseline.c
 * reads every frame's quantiser back from the streams with FFmpeg):
 * - libx264, libx265: their "qp" AVOption (x264 --qp, x265 --qp: rc=cqp; P
 *   frames at qp, I and B frames offset by ipratio/pbratio as both
 *   encoders do) or "crf";
 * - libvpx-vp9, libaom-av1: constant-quality mode (bit_rate 0 and "crf") and,
 *   for fixed QP, qmin = qmax = the point, so that every frame, alt-ref
 *   frames included, uses that quantiser (0..63, the encoders' scale);
 * - libsvtav1: its "qp" option with svtav1-params aq-mode=0 (no adaptive
 *   quantisation) and use-fixed-qindex-offsets=1 (its offsets all 0: without
 *   it SVT-AV1's CQP lowers the quantiser of key frames and lower temporal
 *   layers, e.g. qindex 24..108 for qp 27), so every frame is at the point,
 *   as with libaom; or "crf";
 * - mpeg4: AV_CODEC_FLAG_QSCALE with global_quality = FF_QP2LAMBDA * q
 *   (ffmpeg -q:v); B frames get libavcodec's b_quant_factor offset.
 */
#define _POSIX_C_SOURCE 200809L
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_DEFAULT */

#include "codecbench/baseline.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>

/* How an encoder's stream is stored and held at a fixed quantiser. */
typedef enum Family { FAM_X264, FAM_X265, FAM_VPX, FAM_AOM, FAM_SVT, FAM_MPEG4 } Family;

typedef struct EncoderRow {
    const char *name;      /* libavcodec's encoder name */
    Family family;
    const char *extension; /* of the stored stream */
    const char *format;    /* FFmpeg demuxer that reads it back */
    const char *fourcc;    /* IVF's, or NULL for a raw stream */
} EncoderRow;

static const EncoderRow encoders[] = {
    {"libx264", FAM_X264, ".h264", "h264", NULL},
    {"libx265", FAM_X265, ".hevc", "hevc", NULL},
    {"libvpx-vp9", FAM_VPX, ".ivf", "ivf", "VP90"},
    {"libaom-av1", FAM_AOM, ".ivf", "ivf", "AV01"},
    {"libsvtav1", FAM_SVT, ".ivf", "ivf", "AV01"},
    {"mpeg4", FAM_MPEG4, ".m4v", "m4v", NULL},
};
#define N_ENCODERS (sizeof encoders / sizeof encoders[0])

/* IVF (the format libvpx's tools write): a 32-byte file header, then per
 * frame a 12-byte header (4-byte size, 8-byte timestamp, little-endian). */
#define IVF_FILE_HEADER 32
#define IVF_FRAME_HEADER 12

static const EncoderRow *find_row(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_ENCODERS; i++)
        if (!strcmp(encoders[i].name, name))
            return &encoders[i];
    return NULL;
}

const char *cb_baseline_extension(const char *encoder)
{
    const EncoderRow *row = find_row(encoder);
    return row ? row->extension : NULL;
}

const char *cb_baseline_format(const char *encoder)
{
    const EncoderRow *row = find_row(encoder);
    return row ? row->format : NULL;
}

/* "libx264, libx265, ..." of the six that this FFmpeg has (or lacks). */
static void list_encoders(int present, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_ENCODERS && len < size; i++) {
        if ((avcodec_find_encoder_by_name(encoders[i].name) != NULL) != present)
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", encoders[i].name);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

int cb_baseline_check(const char *encoder, CbError *err)
{
    char list[160];
    if (!find_row(encoder)) {
        snprintf(list, sizeof list, "libx264, libx265, libvpx-vp9, libaom-av1, libsvtav1, mpeg4");
        return cb_error_set(err, CB_EINVAL, "encoder \"%.32s\" is not a baseline; allowed: %s",
                            encoder ? encoder : "(none)", list);
    }
    if (avcodec_find_encoder_by_name(encoder))
        return CB_OK;
    list_encoders(1, list, sizeof list);
    return cb_error_set(err, CB_ENOTSUP,
                        "encoder %s: the installed FFmpeg does not have it; it has: %s", encoder,
                        list);
}

/* ---- versions ------------------------------------------------------------ */

/* The version of the library behind each encoder, computed once.  The
 * libraries are those libavcodec itself loaded (its DT_NEEDED entries), so
 * the figures are the running ones, not those of some header:
 * libvpx, libaom and SVT-AV1 answer through their version functions, x265
 * through its exported x265_version_str, and x264, which exports no version,
 * is named by the soname of the loaded libx264 (its build number, X264_BUILD:
 * "libx264.so.164" is x264 core 164).  Looked up with dlsym(RTLD_DEFAULT):
 * no link-time dependency on the encoders. */
static char version_text[N_ENCODERS][192];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static int find_x264(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    base = base ? base + 1 : info->dlpi_name;
    if (base && !strncmp(base, "libx264.so.", 11)) {
        snprintf(data, 64, "%s", base + 11);
        return 1;
    }
    return 0;
}

static void format_version_texts(void)
{
    unsigned v = avcodec_version();
    char lavc[48];
    snprintf(lavc, sizeof lavc, "libavcodec %u.%u.%u", AV_VERSION_MAJOR(v), AV_VERSION_MINOR(v),
             AV_VERSION_MICRO(v));
    for (size_t i = 0; i < N_ENCODERS; i++) {
        char lib[128] = "";
        const char *(*fn)(void) = NULL;
        const char *sym = NULL;
        switch (encoders[i].family) {
        case FAM_X264: {
            char build[64] = "";
            dl_iterate_phdr(find_x264, build);
            if (build[0])
                snprintf(lib, sizeof lib, "x264 core %s (libx264.so.%s)", build, build);
            break;
        }
        case FAM_X265: {
            const char *const *s = (const char *const *)dlsym(RTLD_DEFAULT, "x265_version_str");
            if (s && *s)
                snprintf(lib, sizeof lib, "x265 %.100s", *s);
            break;
        }
        case FAM_VPX: sym = "vpx_codec_version_str"; break;
        case FAM_AOM: sym = "aom_codec_version_str"; break;
        case FAM_SVT: sym = "svt_av1_get_version"; break;
        case FAM_MPEG4: break;
        }
        if (sym) {
            /* POSIX: a data pointer converted to a function pointer. */
            void *p = dlsym(RTLD_DEFAULT, sym);
            memcpy(&fn, &p, sizeof fn);
            const char *s = fn ? fn() : NULL;
            if (s)
                snprintf(lib, sizeof lib, "%s %.100s",
                         encoders[i].family == FAM_VPX   ? "libvpx"
                         : encoders[i].family == FAM_AOM ? "libaom"
                                                         : "SVT-AV1",
                         s);
        }
        if (encoders[i].family == FAM_MPEG4)
            snprintf(version_text[i], sizeof version_text[i], "%s mpeg4 (libavcodec's own encoder)",
                     lavc);
        else if (lib[0])
            snprintf(version_text[i], sizeof version_text[i], "%s via %s %s", lib, lavc,
                     encoders[i].name);
        else
            snprintf(version_text[i], sizeof version_text[i],
                     "%s %s (library version not found)", lavc, encoders[i].name);
    }
}

const char *cb_baseline_version(const char *encoder)
{
    const EncoderRow *row = find_row(encoder);
    if (!row)
        return NULL;
    pthread_once(&version_once, format_version_texts);
    return version_text[row - encoders];
}

/* ---- the encoder ---------------------------------------------------------- */

struct CbBaselineEncoder {
    const EncoderRow *row;
    AVCodecContext *ctx;
    AVFrame *frm;
    AVPacket *pkt;
    FILE *file;
    char *path;
    CbLogger logger;
    int width, height;
    CbBaselineStats stats;
    int64_t bits_cap;      /* elements of stats.frame_bits */
    int rc;                /* the first error, sticky */
    CbError first;         /* its text */
};

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Records the first error of e's life (later ones return it again). */
static int fail(CbBaselineEncoder *e, CbError *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(CbBaselineEncoder *e, CbError *err, int code, const char *fmt, ...)
{
    if (e->rc < 0) {
        if (err)
            *err = e->first;
        return e->rc;
    }
    char text[sizeof e->first.text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cb_error_set(&e->first, code, "%s: %s", e->path, text);
    e->rc = code;
    if (err)
        *err = e->first;
    return code;
}

static int write_bytes(CbBaselineEncoder *e, const void *data, size_t n, CbError *err)
{
    if (n && fwrite(data, 1, n, e->file) != n)
        return fail(e, err, CB_EIO, "write: %s", strerror(errno));
    e->stats.container_bytes += (int64_t)n;
    return CB_OK;
}

static int write_ivf_header(CbBaselineEncoder *e, int fps_num, int fps_den, uint32_t frames,
                            CbError *err)
{
    uint8_t h[IVF_FILE_HEADER] = {'D', 'K', 'I', 'F'};
    /* bytes 4-5: version 0; 6-7: header size */
    h[6] = IVF_FILE_HEADER;
    memcpy(h + 8, e->row->fourcc, 4);
    h[12] = (uint8_t)e->width;
    h[13] = (uint8_t)(e->width >> 8);
    h[14] = (uint8_t)e->height;
    h[15] = (uint8_t)(e->height >> 8);
    /* The time base of the timestamps: rate (denominator) then scale. */
    put_le32(h + 16, (uint32_t)fps_num);
    put_le32(h + 20, (uint32_t)fps_den);
    put_le32(h + 24, frames);
    return write_bytes(e, h, sizeof h, err);
}

/* Writes one packet and adds its bits to its frame (by pts). */
static int write_packet(CbBaselineEncoder *e, const AVPacket *pkt, CbError *err)
{
    int64_t pts = pkt->pts;
    if (pts == AV_NOPTS_VALUE || pts < 0 || pts >= e->stats.frames)
        return fail(e, err, CB_EEXTERNAL,
                    "packet %lld from %s has timestamp %lld, not one of the %lld frames sent",
                    (long long)e->stats.packets, e->row->name, (long long)pts,
                    (long long)e->stats.frames);
    if (e->row->fourcc) {
        uint8_t h[IVF_FRAME_HEADER];
        put_le32(h, (uint32_t)pkt->size);
        put_le64(h + 4, (uint64_t)pts);
        if (write_bytes(e, h, sizeof h, err) < 0)
            return e->rc;
    }
    if (write_bytes(e, pkt->data, (size_t)pkt->size, err) < 0)
        return e->rc;
    e->stats.payload_bytes += pkt->size;
    e->stats.packets++;
    e->stats.frame_bits[pts] += (int64_t)pkt->size * 8;
    return CB_OK;
}

/* Takes every packet the encoder has ready. */
static int drain(CbBaselineEncoder *e, CbError *err)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    for (;;) {
        int ret = avcodec_receive_packet(e->ctx, e->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return CB_OK;
        if (ret < 0)
            return fail(e, err, CB_EEXTERNAL, "%s: %s", e->row->name,
                        av_make_error_string(eb, sizeof eb, ret));
        ret = write_packet(e, e->pkt, err);
        av_packet_unref(e->pkt);
        if (ret < 0)
            return ret;
    }
}

/* Sets an AVOption on the encoder's private context; an error names it. */
static int set_opt(CbBaselineEncoder *e, const char *key, const char *value, CbError *err)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    int ret = av_opt_set(e->ctx->priv_data, key, value, 0);
    if (ret < 0)
        return fail(e, err, CB_EINVAL,
                    "%s: option %s=%s: %s", e->row->name, key, value,
                    av_make_error_string(eb, sizeof eb, ret));
    return CB_OK;
}

static int set_opt_int(CbBaselineEncoder *e, const char *key, int value, CbError *err)
{
    char v[16];
    snprintf(v, sizeof v, "%d", value);
    return set_opt(e, key, v, err);
}

/* The settings of s at rate point q into e->ctx and opts (the options
 * avcodec_open2 applies; those it does not know are left in opts). */
static int configure(CbBaselineEncoder *e, const CbBaselineSettings *s, int q,
                     AVDictionary **opts, CbError *err)
{
    AVCodecContext *c = e->ctx;
    int crf = s->rate_control == CB_RC_CRF;
    /* Parameters passed in the library's own "key=value:..." option, ahead
     * of any the recipe gives in that option. */
    const char *params_key = NULL, *params = NULL;
    if (s->gop > 0)
        c->gop_size = s->gop;
    if (s->bframes >= 0)
        c->max_b_frames = s->bframes;
    switch (e->row->family) {
    case FAM_X264:
    case FAM_X265:
        if (s->preset[0] && set_opt(e, "preset", s->preset, err) < 0)
            return e->rc;
        if (s->tune[0] && set_opt(e, "tune", s->tune, err) < 0)
            return e->rc;
        if (set_opt_int(e, crf ? "crf" : "qp", q, err) < 0)
            return e->rc;
        if (e->row->family == FAM_X265) {
            /* x265 writes its banner and statistics to the process's error output itself. */
            params_key = "x265-params";
            params = "log-level=error";
        }
        break;
    case FAM_VPX:
    case FAM_AOM:
        if (s->preset[0] && set_opt(e, "cpu-used", s->preset, err) < 0)
            return e->rc;
        if (s->tune[0] && set_opt(e, "tune", s->tune, err) < 0)
            return e->rc;
        c->bit_rate = 0; /* with crf: constant quality (VPX_Q / AOM_Q) */
        if (set_opt_int(e, "crf", q, err) < 0)
            return e->rc;
        if (!crf) {
            c->qmin = q;
            c->qmax = q;
        }
        break;
    case FAM_SVT:
        if (s->preset[0] && set_opt(e, "preset", s->preset, err) < 0)
            return e->rc;
        if (set_opt_int(e, crf ? "crf" : "qp", q, err) < 0)
            return e->rc;
        if (!crf) {
            params_key = "svtav1-params";
            params = "aq-mode=0:use-fixed-qindex-offsets=1";
        }
        break;
    case FAM_MPEG4:
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * q;
        break;
    }
    for (int i = 0; i < s->n_options; i++) {
        const char *key = s->option_key[i], *value = s->option_value[i];
        char merged[2 * CB_BASELINE_VALUE_MAX];
        if (params && !strcmp(key, params_key)) {
            snprintf(merged, sizeof merged, "%s:%s", params, value);
            value = merged;
            params = NULL;
        }
        if (av_dict_set(opts, key, value, 0) < 0)
            return fail(e, err, CB_ENOMEM, "out of memory");
    }
    if (params && av_dict_set(opts, params_key, params, 0) < 0)
        return fail(e, err, CB_ENOMEM, "out of memory");
    return CB_OK;
}

int cb_baseline_open(CbBaselineEncoder **out, const CbBaselineSettings *s, int point, int width,
                     int height, int fps_num, int fps_den, const char *out_path,
                     const CbLogger *logger, CbError *err)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    AVDictionary *opts = NULL;
    CbBaselineEncoder *e = NULL;
    int rc;
    if (!out || !s || !out_path)
        return cb_error_set(err, CB_EINVAL, "cb_baseline_open: no %s",
                            !out ? "output pointer" : !s ? "settings" : "output path");
    *out = NULL;
    /* The recipe module validates settings in full (cb_recipe_baseline_check);
     * here only what would make this code misbehave, or an encoder ignore a
     * setting without a word. */
    if (!memchr(s->encoder, '\0', sizeof s->encoder) || !memchr(s->preset, '\0', sizeof s->preset) ||
        !memchr(s->tune, '\0', sizeof s->tune))
        return cb_error_set(err, CB_EINVAL, "%s: settings: a text field is not terminated", out_path);
    if ((rc = cb_baseline_check(s->encoder, err)) < 0)
        return rc;
    if (s->n_options < 0 || s->n_options > CB_BASELINE_MAX_OPTIONS)
        return cb_error_set(err, CB_EINVAL, "%s: settings.options: %d entries; allowed: 0..%d",
                            out_path, s->n_options, CB_BASELINE_MAX_OPTIONS);
    for (int i = 0; i < s->n_options; i++)
        if (!memchr(s->option_key[i], '\0', sizeof s->option_key[i]) ||
            !memchr(s->option_value[i], '\0', sizeof s->option_value[i]))
            return cb_error_set(err, CB_EINVAL, "%s: settings.options: entry %d is not terminated",
                                out_path, i);
    if (s->rate_control != CB_RC_QP && s->rate_control != CB_RC_CRF)
        return cb_error_set(err, CB_EINVAL, "%s: settings.rate_control: %d is not qp or crf",
                            out_path, (int)s->rate_control);
    if (s->rate_control == CB_RC_CRF && find_row(s->encoder)->family == FAM_MPEG4)
        return cb_error_set(err, CB_EINVAL, "%s: settings.rate_control: mpeg4 has no CRF mode",
                            out_path);
    if (width < 1 || height < 1 || width > CB_FRAME_MAX_DIM || height > CB_FRAME_MAX_DIM)
        return cb_error_set(err, CB_EINVAL, "%s: picture %dx%d; allowed: 1..%d each way",
                            out_path, width, height, CB_FRAME_MAX_DIM);
    if (fps_num < 1 || fps_den < 1)
        return cb_error_set(err, CB_EINVAL, "%s: frame rate %d/%d is not positive", out_path,
                            fps_num, fps_den);
    e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(out_path))) {
        free(e);
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", out_path);
    }
    cb_error_clear(&e->first);
    e->row = find_row(s->encoder);
    e->width = width;
    e->height = height;
    if (logger)
        e->logger = *logger;
    const AVCodec *codec = avcodec_find_encoder_by_name(s->encoder);
    e->ctx = codec ? avcodec_alloc_context3(codec) : NULL;
    e->frm = av_frame_alloc();
    e->pkt = av_packet_alloc();
    e->bits_cap = 256;
    e->stats.frame_bits = calloc((size_t)e->bits_cap, sizeof *e->stats.frame_bits);
    if (!e->ctx || !e->frm || !e->pkt || !e->stats.frame_bits) {
        rc = fail(e, err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    AVCodecContext *c = e->ctx;
    c->width = width;
    c->height = height;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){fps_den, fps_num};
    c->framerate = (AVRational){fps_num, fps_den};
    c->sample_aspect_ratio = (AVRational){1, 1};
    c->color_range = AVCOL_RANGE_MPEG;
    c->thread_count = 1; /* single-threaded: figures compare with the engine's */
    if ((rc = configure(e, s, point, &opts, err)) < 0)
        goto fail;
    int ret = avcodec_open2(c, codec, &opts);
    if (ret < 0) {
        rc = fail(e, err, CB_EINVAL,
                  "%s refuses the settings (preset \"%s\", tune \"%s\", %d options, %dx%d, %s "
                  "%d): %s",
                  s->encoder, s->preset, s->tune, s->n_options, width, height,
                  s->rate_control == CB_RC_CRF ? "crf" : "qp", point,
                  av_make_error_string(eb, sizeof eb, ret));
        goto fail;
    }
    /* Options the encoder did not consume are not its options. */
    const AVDictionaryEntry *left = av_dict_get(opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (left) {
        rc = fail(e, err, CB_EINVAL, "settings.options.%s: %s has no such option", left->key,
                  s->encoder);
        goto fail;
    }
    e->frm->format = AV_PIX_FMT_YUV420P;
    e->frm->width = width;
    e->frm->height = height;
    if ((ret = av_frame_get_buffer(e->frm, 0)) < 0) {
        rc = fail(e, err, CB_ENOMEM, "frame buffer: %s", av_make_error_string(eb, sizeof eb, ret));
        goto fail;
    }
    e->file = fopen(out_path, "wb");
    if (!e->file) {
        rc = fail(e, err, CB_EIO, "cannot create: %s", strerror(errno));
        goto fail;
    }
    if (e->row->fourcc && (rc = write_ivf_header(e, fps_num, fps_den, 0, err)) < 0)
        goto fail;
    cb_log(&e->logger, CB_LOG_DEBUG, "%s: %s at %s %d, %dx%d, %d/%d fps, gop %d, bframes %d",
           out_path, s->encoder, s->rate_control == CB_RC_CRF ? "crf" : "qp", point, width, height,
           fps_num, fps_den, c->gop_size, c->max_b_frames);
    av_dict_free(&opts);
    *out = e;
    return CB_OK;
fail:
    av_dict_free(&opts);
    if (e->file) {
        fclose(e->file);
        e->file = NULL;
        unlink(out_path);
    }
    cb_baseline_close(&e, NULL, NULL);
    return rc;
}

int cb_baseline_send(CbBaselineEncoder *e, const CbFrame *frame, CbError *err)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    if (!e || !frame)
        return cb_error_set(err, CB_EINVAL, "cb_baseline_send: no %s", e ? "frame" : "encoder");
    if (e->rc < 0)
        return fail(e, err, e->rc, "failed earlier");
    if (frame->width != e->width || frame->height != e->height)
        return cb_error_set(err, CB_EMISMATCH, "%s: frame %lld is %dx%d, the stream is %dx%d",
                            e->path, (long long)e->stats.frames, frame->width, frame->height,
                            e->width, e->height);
    if (e->stats.frames >= e->bits_cap) {
        int64_t cap = e->bits_cap * 2;
        int64_t *p = realloc(e->stats.frame_bits, (size_t)cap * sizeof *p);
        if (!p)
            return fail(e, err, CB_ENOMEM, "out of memory");
        memset(p + e->bits_cap, 0, (size_t)(cap - e->bits_cap) * sizeof *p);
        e->stats.frame_bits = p;
        e->bits_cap = cap;
    }
    int ret = av_frame_make_writable(e->frm);
    if (ret < 0)
        return fail(e, err, CB_ENOMEM, "frame buffer: %s", av_make_error_string(eb, sizeof eb, ret));
    for (int p = 0; p < 3; p++) {
        int w = cb_plane_width(e->width, p), h = cb_plane_height(e->height, p);
        for (int y = 0; y < h; y++)
            memcpy(e->frm->data[p] + (ptrdiff_t)y * e->frm->linesize[p],
                   frame->data[p] + (ptrdiff_t)y * frame->stride[p], (size_t)w);
    }
    e->frm->pts = e->stats.frames++;
    /* libavcodec's own encoders take a fixed qscale from each frame's
     * quality (as the ffmpeg CLI sets it from global_quality). */
    e->frm->quality = e->ctx->global_quality;
    ret = avcodec_send_frame(e->ctx, e->frm);
    if (ret < 0)
        return fail(e, err, CB_EEXTERNAL, "%s: frame %lld: %s", e->row->name,
                    (long long)e->frm->pts, av_make_error_string(eb, sizeof eb, ret));
    return drain(e, err);
}

int cb_baseline_close(CbBaselineEncoder **ep, CbBaselineStats *stats, CbError *err)
{
    char eb[AV_ERROR_MAX_STRING_SIZE];
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!ep || !*ep)
        return CB_OK;
    CbBaselineEncoder *e = *ep;
    if (e->file && e->rc == 0) {
        int ret = avcodec_send_frame(e->ctx, NULL);
        if (ret < 0)
            fail(e, NULL, CB_EEXTERNAL, "%s: flushing: %s", e->row->name,
                 av_make_error_string(eb, sizeof eb, ret));
        else
            drain(e, NULL);
        /* Every frame sent must have come out in some packet. */
        for (int64_t i = 0; e->rc == 0 && i < e->stats.frames; i++)
            if (e->stats.frame_bits[i] == 0)
                fail(e, NULL, CB_EEXTERNAL, "%s left frame %lld without a packet", e->row->name,
                     (long long)i);
        if (e->rc == 0 && e->row->fourcc) {
            /* The frame count at byte 24 of the IVF header. */
            uint8_t n[4];
            put_le32(n, (uint32_t)e->stats.packets);
            if (fseek(e->file, 24, SEEK_SET) != 0 || fwrite(n, 1, 4, e->file) != 4)
                fail(e, NULL, CB_EIO, "write: %s", strerror(errno));
        }
        if (e->rc == 0 && (fflush(e->file) != 0 || fsync(fileno(e->file)) != 0))
            fail(e, NULL, CB_EIO, "write: %s", strerror(errno));
    }
    if (e->file && fclose(e->file) != 0 && e->rc == 0)
        fail(e, NULL, CB_EIO, "close: %s", strerror(errno));
    int rc = e->rc;
    if (rc < 0 && err)
        *err = e->first;
    if (stats) {
        *stats = e->stats;
        e->stats.frame_bits = NULL; /* now the caller's */
    }
    if (rc == 0)
        cb_log(&e->logger, CB_LOG_DEBUG, "%s: %lld frames, %lld packets, %lld payload bytes",
               e->path, (long long)e->stats.frames, (long long)e->stats.packets,
               (long long)e->stats.payload_bytes);
    free(e->stats.frame_bits);
    av_packet_free(&e->pkt);
    av_frame_free(&e->frm);
    avcodec_free_context(&e->ctx);
    free(e->path);
    free(e);
    *ep = NULL;
    return rc;
}

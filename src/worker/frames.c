/* codecbench: the frame server (see codecbench/worker.h): decoded frames of
 * one rate point of a finished run, on request, for src/preview's client.
 *
 * It reads what verification reads (run.json, recipe.json, worker.json and
 * the stream), through the same readers, and never the store.  Engine
 * streams are indexed once (each packet's offset and frame type) and
 * decoded forward from the last frame served when the asked one follows it
 * in the same GOP, otherwise from the nearest I frame at or before it;
 * baselines and the source go through cb_media_seek(). */
#include "config.h"

#include "codecbench/worker.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "codecbench/baseline.h"
#include "codecbench/fsutil.h"
#include "codecbench/media.h"
#include "codecbench/recipe.h"
#include "codecbench/sandbox.h"
#include "codecbench/result.h"
#include "worker/cbvfile.h"
#include "worker/runfiles.h"
#include "worker/stagerun.h"

/* Longest request line: a frame index in decimal and its newline. */
#define LINE_MAX_BYTES 32
/* Engine frames decoded on the way to the one asked for are kept (up to
 * this many bytes of samples, at most KEEP_MAX frames), so that stepping
 * back within a GOP does not decode it again from its I frame. */
#define KEEP_BYTES ((size_t)64 << 20)
#define KEEP_MAX 64

/* A decoded engine frame kept, with its blocks. */
typedef struct Kept {
    int64_t index;    /* -1: free */
    uint64_t stamp;   /* last use */
    CbFrame frame;    /* owned copy */
    CbBlockInfo *blocks;
} Kept;

/* A reader of frames of one file by index: the source (offset by the run's
 * first frame) or a baseline's stream. */
typedef struct Seq {
    CbMediaReader *r;
    int64_t offset;  /* frame index of the file = offset + index served */
    int64_t next;    /* file index the next cb_media_read() returns; -1: seek first */
    CbFrame frame;   /* the last frame read */
    int64_t have;    /* file index of frame, -1 when none */
} Seq;

typedef struct Server {
    const char *run_dir;
    int rate;
    const CbLogger *logger;
    RfRun run;
    CbRecipe recipe;
    json_t *worker;
    const json_t *frame_bits; /* baselines: worker.json's per-frame bits, borrowed */
    char *stream_path;
    int engine;
    int width, height;
    int64_t frames;
    Seq src, base;
    /* Engine streams. */
    CbvReader cbv;
    CbDecoder *dec;
    CbvPacketPos *pkts;
    int64_t n_pkts;
    CbError tail_err;    /* why the index stops before `frames` packets */
    int64_t dec_pos;     /* frame the decoder holds, -1 when none */
    /* Stage runs: the stream decodes in a sandboxed decoding host (this
     * process never loads stage code); the host gives no block map, so the
     * hello says "engine": 0 and replies carry no blocks. */
    int stage;
    WkStage st;
    CbStageHost *host;
    CbBlockInfo *blocks; /* scratch for the decoder's block map */
    int bcols, brows;
    Kept *kept;
    int n_kept;
    uint64_t clock;
    /* Replies. */
    uint8_t *out;
    size_t out_cap;
    int client_gone;
} Server;

/* ---- writing ----------------------------------------------------------------- */

static int write_all(Server *s, int fd, const void *p, size_t n, CbError *err)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            if (e == EPIPE)
                s->client_gone = 1;
            errno = e;
            return cb_error_set(err, CB_EIO, "frame server: %s: %s",
                                e == EPIPE ? "the client went away" : "write", strerror(e));
        }
        b += w;
        n -= (size_t)w;
    }
    return CB_OK;
}

static size_t frame_bytes(int w, int h)
{
    return (size_t)w * (size_t)h + 2 * (size_t)cb_plane_width(w, 1) * (size_t)cb_plane_height(h, 1);
}

/* Appends f's visible rows, Y then U then V, at dst; returns the bytes. */
static size_t pack_frame(uint8_t *dst, const CbFrame *f)
{
    size_t k = 0;
    for (int p = 0; p < 3; p++) {
        int pw = cb_plane_width(f->width, p), ph = cb_plane_height(f->height, p);
        for (int y = 0; y < ph; y++) {
            memcpy(dst + k, f->data[p] + (ptrdiff_t)y * f->stride[p], (size_t)pw);
            k += (size_t)pw;
        }
    }
    return k;
}

static int send_hello(Server *s, int fd, int status, const char *msg, CbError *err)
{
    size_t len = msg ? strnlen(msg, CB_FRAMES_MSG_MAX) : 0;
    CbFramesHello h = {.magic = CB_FRAMES_MAGIC,
                       .version = CB_FRAMES_VERSION,
                       .status = status,
                       .width = status == 0 ? s->width : 0,
                       .height = status == 0 ? s->height : 0,
                       .frames = status == 0 ? (int32_t)s->frames : 0,
                       .rate = s->rate,
                       .engine = status == 0 ? s->engine && !s->stage : 0,
                       .msg_len = (uint32_t)len};
    int rc = write_all(s, fd, &h, sizeof h, err);
    if (rc == CB_OK && len)
        rc = write_all(s, fd, msg, len, err);
    return rc;
}

static int send_failure(Server *s, int fd, int index, int status, const char *msg,
                        uint32_t us, CbError *err)
{
    size_t len = strnlen(msg, CB_FRAMES_MSG_MAX);
    CbFramesReply r = {.magic = CB_FRAMES_MAGIC, .status = status, .index = index,
                       .decode_us = us, .msg_len = (uint32_t)len};
    int rc = write_all(s, fd, &r, sizeof r, err);
    if (rc == CB_OK && len)
        rc = write_all(s, fd, msg, len, err);
    return rc;
}

/* ---- frames by index ---------------------------------------------------------- */

static int seq_open(Seq *q, const char *path, const char *format, int64_t offset,
                    const CbLogger *logger, CbError *err)
{
    CbMediaOptions mo = {.logger = logger, .format = format};
    q->offset = offset;
    q->next = 0;
    q->have = -1;
    int rc = cb_media_open(&q->r, path, &mo, err);
    if (rc < 0)
        return rc;
    if (offset > 0)
        q->next = -1;
    return CB_OK;
}

/* Frame index (of the run's range) of q into *f (borrowed). */
static int seq_get(Seq *q, int64_t index, const CbFrame **f, CbError *err)
{
    int64_t want = q->offset + index;
    int rc;
    if (q->have == want) {
        *f = &q->frame;
        return CB_OK;
    }
    if (q->next != want) {
        q->have = -1;
        if ((rc = cb_media_seek(q->r, want, err)) < 0) {
            q->next = -1;
            return rc;
        }
        q->next = want;
    }
    q->have = -1;
    rc = cb_media_read(q->r, &q->frame, err);
    if (rc < 0) {
        q->next = -1;
        return rc;
    }
    if (rc == 0) {
        q->next = -1;
        return cb_error_set(err, CB_ERANGE, "%s has no frame %lld", cb_media_info(q->r)->path,
                            (long long)want);
    }
    q->next = want + 1;
    q->have = want;
    *f = &q->frame;
    return CB_OK;
}

static void seq_close(Seq *q)
{
    cb_media_close(&q->r);
    cb_frame_free(&q->frame);
}

static Kept *kept_find(Server *s, int64_t index)
{
    for (int i = 0; i < s->n_kept; i++)
        if (s->kept[i].index == index) {
            s->kept[i].stamp = ++s->clock;
            return &s->kept[i];
        }
    return NULL;
}

/* Keeps a copy of frame and s->blocks as index (replacing the least
 * recently used); NULL when out of memory (then nothing is kept). */
static Kept *kept_put(Server *s, int64_t index, const CbFrame *frame)
{
    Kept *k = NULL;
    for (int i = 0; i < s->n_kept; i++)
        if (!k || s->kept[i].index == index || (k->index != index && s->kept[i].stamp < k->stamp))
            k = &s->kept[i];
    if (!k)
        return NULL;
    if (!k->frame.buf && cb_frame_alloc(&k->frame, s->width, s->height) < 0)
        return NULL;
    size_t nb = (size_t)s->bcols * (size_t)s->brows;
    if (!k->blocks && !(k->blocks = malloc(nb * sizeof *k->blocks)))
        return NULL;
    cb_frame_copy(&k->frame, frame);
    memcpy(k->blocks, s->blocks, nb * sizeof *k->blocks);
    k->index = index;
    k->stamp = ++s->clock;
    return k;
}

/* Packet k of a stage run through the decoding host, started on first use
 * and again after a failure (a host that failed has ended). */
static int stage_decode(Server *s, int64_t k, CbFrame *frame, CbError *err)
{
    int rc = CB_OK;
    if (!s->host) {
        CbStreamInfo info;
        rc = cb_stage_host_start(&s->host, 1, s->st.object, s->st.kind, s->st.hash, &s->st.lim,
                                 err);
        if (rc == CB_OK)
            rc = cb_stage_host_decoder(s->host, s->cbv.header, sizeof s->cbv.header, &info, err);
        if (rc == CB_OK && (info.width != s->width || info.height != s->height))
            rc = cb_error_set(err, CB_EMISMATCH, "the decoding host's stream is %dx%d, the run "
                                                 "%dx%d",
                              info.width, info.height, s->width, s->height);
    }
    int type;
    if (rc == CB_OK)
        rc = cb_stage_host_decode(s->host, s->cbv.pkt, s->pkts[k].len, frame, &type, err);
    if (rc < 0)
        cb_stage_host_free(&s->host);
    return rc;
}

/* The engine's frame index: decoded, or kept from an earlier decode. */
static int engine_get(Server *s, int64_t index, const CbFrame **rec, const CbBlockInfo **blocks,
                      CbError *err)
{
    Kept *kept = kept_find(s, index);
    if (kept) {
        *rec = &kept->frame;
        *blocks = kept->blocks;
        return CB_OK;
    }
    if (index >= s->n_pkts)
        return cb_error_set(err, CB_EFORMAT, "frame %lld lies past the end of the stream's "
                                             "readable packets: %s",
                            (long long)index, s->tail_err.text);
    int64_t key = index;
    while (key >= 0 && s->pkts[key].first != 0)
        key--;
    if (key < 0)
        return cb_error_set(err, CB_EFORMAT, "%s: frame %lld: no I frame at or before it",
                            s->stream_path, (long long)index);
    int64_t start = key;
    if (s->dec_pos >= key && s->dec_pos < index)
        start = s->dec_pos + 1;
    s->dec_pos = -1;
    for (int64_t k = start; k <= index; k++) {
        CbFrame frame;
        int rc = cbv_reader_packet_at(&s->cbv, &s->pkts[k], err);
        if (rc == CB_OK && s->stage)
            rc = stage_decode(s, k, &frame, err);
        else if (rc == CB_OK)
            rc = cb_decoder_decode(s->dec, s->cbv.pkt, s->pkts[k].len, &frame, err);
        if (rc == CB_OK && !s->stage)
            rc = cb_decoder_blocks(s->dec, s->blocks, s->bcols, s->brows, err);
        if (rc < 0) {
            s->dec_pos = -1; /* a failed decode leaves the decoder needing an I frame */
            if (k == index)
                cb_error_prefix(err, "%s: frame %lld", s->stream_path, (long long)k);
            else
                cb_error_prefix(err, "%s: frame %lld needs frame %lld (I frame %lld and the "
                                     "frames after it), which does not decode",
                                s->stream_path, (long long)index, (long long)k, (long long)key);
            return rc;
        }
        s->dec_pos = k;
        kept = kept_put(s, k, &frame);
        if (k == index) {
            if (!kept)
                return cb_error_set(err, CB_ENOMEM, "frame %lld: out of memory", (long long)k);
            *rec = &kept->frame;
            *blocks = kept->blocks;
        }
    }
    return CB_OK;
}

static int serve_frame(Server *s, int fd, int64_t index, CbError *err)
{
    double t0 = rf_wall_seconds();
    CbError ferr;
    cb_error_clear(&ferr);
    const CbFrame *src = NULL, *rec = NULL;
    const CbBlockInfo *blocks = NULL;
    int type = 0;
    uint32_t packet_bytes = 0;
    int rc;
    if (index < 0 || index >= s->frames) {
        rc = cb_error_set(&ferr, CB_ERANGE, "frame %lld: the run has frames 0..%lld",
                          (long long)index, (long long)s->frames - 1);
        goto failed;
    }
    if ((rc = seq_get(&s->src, index, &src, &ferr)) < 0)
        goto failed;
    if (s->engine) {
        if ((rc = engine_get(s, index, &rec, &blocks, &ferr)) < 0)
            goto failed;
        type = s->pkts[index].first == 0 ? 'I' : 'P';
        packet_bytes = s->pkts[index].len;
    } else {
        if ((rc = seq_get(&s->base, index, &rec, &ferr)) < 0)
            goto failed;
        type = rec->type == 'I' || rec->type == 'P' || rec->type == 'B' ? rec->type : 0;
        json_int_t bits = json_integer_value(json_array_get(s->frame_bits, (size_t)index));
        if (bits > 0 && bits / 8 <= UINT32_MAX)
            packet_bytes = (uint32_t)(bits / 8);
    }
    if (rec->width != s->width || rec->height != s->height || src->width != s->width ||
        src->height != s->height) {
        rc = cb_error_set(&ferr, CB_EMISMATCH, "frame %lld: decoded %dx%d, source %dx%d, the "
                                               "run is %dx%d",
                          (long long)index, rec->width, rec->height, src->width, src->height,
                          s->width, s->height);
        goto failed;
    }
    int with_blocks = s->engine && !s->stage;
    size_t nb = with_blocks ? (size_t)s->bcols * (size_t)s->brows * sizeof(CbBlockInfo) : 0;
    CbFramesReply r = {.magic = CB_FRAMES_MAGIC,
                       .status = 0,
                       .index = (int32_t)index,
                       .type = type,
                       .packet_bytes = packet_bytes,
                       .block_cols = with_blocks ? s->bcols : 0,
                       .block_rows = with_blocks ? s->brows : 0};
    size_t k = sizeof r;
    k += pack_frame(s->out + k, src);
    k += pack_frame(s->out + k, rec);
    if (nb)
        memcpy(s->out + k, blocks, nb);
    k += nb;
    double us = (rf_wall_seconds() - t0) * 1e6;
    r.decode_us = us < UINT32_MAX ? (uint32_t)us : UINT32_MAX;
    memcpy(s->out, &r, sizeof r);
    return write_all(s, fd, s->out, k, err);
failed:
    cb_log(s->logger, CB_LOG_DEBUG, "frames: %s", ferr.text);
    double fus = (rf_wall_seconds() - t0) * 1e6;
    return send_failure(s, fd, (int)(index < INT32_MIN ? INT32_MIN
                                     : index > INT32_MAX ? INT32_MAX : index),
                        rc, ferr.text, fus < UINT32_MAX ? (uint32_t)fus : UINT32_MAX, err);
}

/* ---- starting ------------------------------------------------------------------ */

/* Finds rate in worker.json: the frame count, and the per-frame bits of
 * baselines. */
static int read_point(Server *s, CbError *err)
{
    char *wp = cb_path_join(s->run_dir, "worker.json");
    int rc;
    if (!wp)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if ((rc = cb_json_read_object(wp, CB_WORKER_JSON_MAX, &s->worker, err)) < 0)
        goto out;
    const json_t *pts = json_object_get(s->worker, "points");
    if (!json_is_array(pts)) {
        rc = cb_error_set(err, CB_EFORMAT, "%s: points: missing or not an array", wp);
        goto out;
    }
    char want[64];
    if ((rc = rf_stream_name(&s->recipe, s->rate, want, sizeof want, err)) < 0)
        goto out;
    for (size_t i = 0; i < json_array_size(pts); i++) {
        const json_t *p = json_array_get(pts, i);
        int64_t rate, frames;
        const char *stream;
        char where[64];
        snprintf(where, sizeof where, "%s: points[%zu]", "worker.json", i);
        if (!json_is_object(p)) {
            rc = cb_error_set(err, CB_EFORMAT, "%s: not an object", where);
            goto out;
        }
        if ((rc = rf_get_int(p, "rate", 0, 255, &rate, where, err)) < 0)
            goto out;
        if (rate != s->rate)
            continue;
        if ((rc = rf_get_str(p, "stream", 64, &stream, where, err)) < 0 ||
            (rc = rf_get_int(p, "frames", 1, CB_RESULT_MAX_FRAMES, &frames, where, err)) < 0)
            goto out;
        if (strcmp(stream, want) != 0) {
            rc = cb_error_set(err, CB_EFORMAT, "%s: stream '%s' is not '%s'", where, stream,
                              want);
            goto out;
        }
        s->frames = frames;
        s->frame_bits = json_object_get(p, "frame_bits");
        if (!(s->stream_path = cb_path_join(s->run_dir, want)))
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto out;
    }
    rc = cb_error_set(err, CB_ENOENT, "%s: no rate point %d (the run's worker did not encode it)",
                      wp, s->rate);
out:
    free(wp);
    return rc;
}

static int open_engine(Server *s, CbError *err)
{
    int rc = cbv_reader_open(&s->cbv, s->stream_path, err);
    if (rc < 0)
        return rc;
    if ((rc = cb_decoder_new(&s->dec, s->cbv.header, sizeof s->cbv.header, err)) < 0)
        return cb_error_prefix(err, "%s", s->stream_path);
    const CbStreamInfo *si = cb_decoder_info(s->dec);
    if (si->width != s->width || si->height != s->height)
        return cb_error_set(err, CB_EMISMATCH, "%s: %dx%d, the source is %dx%d", s->stream_path,
                            si->width, si->height, s->width, s->height);
    if ((rc = cbv_reader_index(&s->cbv, s->frames, &s->pkts, &s->n_pkts, &s->tail_err, err)) <
        0)
        return rc;
    if (s->n_pkts < s->frames && s->tail_err.code == 0)
        cb_error_set(&s->tail_err, CB_EFORMAT, "%s: %lld frames, the run has %lld",
                     s->stream_path, (long long)s->n_pkts, (long long)s->frames);
    if (s->tail_err.code != 0)
        cb_log(s->logger, CB_LOG_WARN, "frames: %s", s->tail_err.text);
    s->bcols = (s->width + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID;
    s->brows = (s->height + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID;
    s->blocks = calloc((size_t)s->bcols * (size_t)s->brows, sizeof *s->blocks);
    size_t per = frame_bytes(s->width, s->height);
    s->n_kept = KEEP_BYTES / per < 2 ? 2 : KEEP_BYTES / per > KEEP_MAX ? KEEP_MAX
                                                                      : (int)(KEEP_BYTES / per);
    s->kept = calloc((size_t)s->n_kept, sizeof *s->kept);
    if (!s->blocks || !s->kept)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; i < s->n_kept; i++)
        s->kept[i].index = -1;
    return CB_OK;
}

static int stage_object_check(Server *s, CbError *err)
{
    char *wp = cb_path_join(s->run_dir, "worker.json");
    json_t *w = NULL;
    const char *want;
    char have[65];
    int rc;
    if (!wp)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if ((rc = cb_json_read_object(wp, CB_WORKER_JSON_MAX, &w, err)) < 0)
        goto out;
    const json_t *stj = json_object_get(w, "stage");
    if (!json_is_object(stj)) {
        rc = cb_error_set(err, CB_EFORMAT, "%s: stage: missing or not an object", wp);
        goto out;
    }
    if ((rc = rf_get_str(stj, "object_sha256", 64, &want, wp, err)) < 0 ||
        (rc = wk_file_sha256(s->st.object, have, err)) < 0)
        goto out;
    if (strcmp(want, have) != 0)
        rc = cb_error_set(err, CB_EMISMATCH, "stage.so changed after the build (SHA-256 "
                                             "%.16s..., worker.json says %.16s...)",
                          have, want);
out:
    json_decref(w);
    free(wp);
    return rc;
}

static int start(Server *s, CbError *err)
{
    int rc;
    if ((rc = rf_run_read(s->run_dir, &s->run, err)) < 0)
        return rc;
    char hash[CB_RECIPE_HASH_HEX];
    if ((rc = rf_recipe_read(s->run_dir, &s->recipe, hash, err)) < 0)
        return rc;
    int pts[CB_RESULT_MAX_POINTS];
    int n = cb_recipe_points(&s->recipe, pts), found = 0;
    for (int i = 0; i < n; i++)
        found |= pts[i] == s->rate;
    if (!found) {
        char list[256] = "";
        size_t k = 0;
        for (int i = 0; i < n && k < sizeof list; i++) {
            int m = snprintf(list + k, sizeof list - k, "%s%d", i ? ", " : "", pts[i]);
            if (m < 0)
                break;
            k += (size_t)m;
        }
        return cb_error_set(err, CB_EINVAL, "%s: rate %d is not one of the run's points (%s)",
                            s->run_dir, s->rate, list);
    }
    s->engine = s->recipe.codec == CB_CODEC_ENGINE;
    if (s->engine && s->recipe.stage_kind != CB_STAGE_NONE) {
        /* The run's object, as verification checks it: unchanged since the
         * build (worker.json's object_sha256). */
        s->stage = 1;
        if ((rc = wk_stage_init(&s->st, s->run_dir, &s->recipe, NULL, err)) < 0 ||
            (rc = stage_object_check(s, err)) < 0)
            return rc;
    }
    if ((rc = read_point(s, err)) < 0)
        return rc;
    if ((rc = seq_open(&s->src, s->run.input, NULL, s->run.first_frame, s->logger, err)) < 0)
        return rc;
    const CbMediaInfo *mi = cb_media_info(s->src.r);
    s->width = mi->width;
    s->height = mi->height;
    if (s->engine) {
        if ((rc = open_engine(s, err)) < 0)
            return rc;
    } else {
        if ((rc = seq_open(&s->base, s->stream_path,
                           cb_baseline_format(s->recipe.baseline.encoder), 0, s->logger, err)) <
            0)
            return rc;
        const CbMediaInfo *bi = cb_media_info(s->base.r);
        if (bi->width != s->width || bi->height != s->height)
            return cb_error_set(err, CB_EMISMATCH, "%s: %dx%d, the source is %dx%d",
                                s->stream_path, bi->width, bi->height, s->width, s->height);
    }
    size_t nb = s->engine ? (size_t)s->bcols * (size_t)s->brows * sizeof(CbBlockInfo) : 0;
    s->out_cap = sizeof(CbFramesReply) + 2 * frame_bytes(s->width, s->height) + nb;
    if (!(s->out = malloc(s->out_cap)))
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    return CB_OK;
}

/* Parses one request line (without its newline): a decimal index. */
static int64_t parse_index(const char *line, size_t n)
{
    if (n == 0 || n > 10)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (line[i] < '0' || line[i] > '9')
            return -1;
        v = v * 10 + (line[i] - '0');
    }
    return v;
}

static int loop(Server *s, int fd_in, int fd_out, CbError *err)
{
    char buf[4096];
    char line[LINE_MAX_BYTES];
    size_t ll = 0;
    int overlong = 0;
    for (;;) {
        ssize_t n = read(fd_in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_error_set(err, CB_EIO, "frame server: read: %s", strerror(errno));
        if (n == 0)
            return CB_OK;
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            if (c != '\n') {
                if (ll < sizeof line)
                    line[ll++] = c;
                else
                    overlong = 1;
                continue;
            }
            int rc;
            int64_t index = overlong ? -1 : parse_index(line, ll);
            if (index < 0 || index > INT32_MAX)
                rc = send_failure(s, fd_out, -1, CB_EINVAL,
                                  "request: not a frame index (a decimal number and a newline)",
                                  0, err);
            else
                rc = serve_frame(s, fd_out, index, err);
            if (rc < 0)
                return rc;
            ll = 0;
            overlong = 0;
        }
    }
}

int cb_frames_serve(const char *run_dir, int rate, int fd_in, int fd_out, const CbLogger *logger,
                    CbError *err)
{
    CbError local;
    if (!err)
        err = &local;
    cb_error_clear(err);
    Server *s = calloc(1, sizeof *s);
    if (!s)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    s->run_dir = run_dir;
    s->rate = rate;
    s->logger = logger;
    s->dec_pos = -1;
    int rc;
    /* Decoding hostile bytes: no core dumps, and nothing it runs may gain
     * privileges. */
    struct rlimit rl = {0, 0};
    if (setrlimit(RLIMIT_CORE, &rl) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        rc = cb_error_set(err, CB_EIO, "frame server: cannot limit itself: %s", strerror(errno));
    else if (!run_dir || rate < 0 || rate > 255)
        rc = cb_error_set(err, CB_EINVAL, "frame server: needs a run directory and a rate 0..255");
    else
        rc = start(s, err);
    if (rc < 0) {
        CbError werr;
        send_hello(s, fd_out, rc, err->text, &werr);
        goto out;
    }
    if ((rc = send_hello(s, fd_out, 0, NULL, err)) < 0)
        goto out;
    rc = loop(s, fd_in, fd_out, err);
out:;
    int e = errno;
    free(s->out);
    free(s->blocks);
    for (int i = 0; s->kept && i < s->n_kept; i++) {
        cb_frame_free(&s->kept[i].frame);
        free(s->kept[i].blocks);
    }
    free(s->kept);
    free(s->pkts);
    cb_stage_host_free(&s->host);
    wk_stage_free(&s->st);
    cb_decoder_free(&s->dec);
    cbv_reader_close(&s->cbv);
    seq_close(&s->src);
    seq_close(&s->base);
    free(s->stream_path);
    json_decref(s->worker);
    cb_recipe_free(&s->recipe);
    rf_run_free(&s->run);
    free(s);
    errno = e;
    return rc;
}

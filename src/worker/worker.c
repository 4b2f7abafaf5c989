/* codecbench: the worker, one run headless (see codecbench/worker.h). */
#include "config.h"

#include "codecbench/worker.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/baseline.h"
#include "codecbench/engine.h"
#include "codecbench/fsutil.h"
#include "codecbench/media.h"
#include "codecbench/recipe.h"
#include "codecbench/result.h"
#include "worker/cbvfile.h"
#include "worker/runfiles.h"
#include "worker/source.h"
#include "worker/stagerun.h"

extern char **environ;

/* What one rate point produced. */
typedef struct PointOut {
    int rate;
    char *stream;                   /* file name inside the run directory */
    int64_t frames;
    int64_t payload_bytes, container_bytes;
    double cpu_s, wall_s;
    int64_t peak_rss_kib;
    char (*digest)[CB_CLIP_ID_HEX]; /* engine: per frame */
    int64_t *frame_bits;            /* baselines: per frame */
} PointOut;

typedef struct Worker {
    const char *run_dir;
    RfEvents ev;
    CbLogger log;                   /* into events.jsonl and the caller's logger */
    RfRun run;
    CbRecipe recipe;
    char recipe_hash[CB_RECIPE_HASH_HEX];
    int points[CB_RESULT_MAX_POINTS];
    int n_points;
    WkSource src;
    int concurrency;
    PointOut out[CB_RESULT_MAX_POINTS];
    char *partial;                  /* the stream being written (STREAM.part), removed on failure */
    double last_progress;
    int has_stage;                  /* the recipe carries a stage: it runs in stage hosts */
    WkStage stage;
    char object_sha256[65];         /* of stage.so as built */
} Worker;

/* ---- the environment ------------------------------------------------------- */

static int env_allowed(const char *entry)
{
    static const char *const keep[] = {"PATH=", "HOME=", "LANG=", "TZ=", "TMPDIR=",
                                       "CODECBENCH_CONCURRENCY=", "LC_",
                                       /* the stage hosts' limits (stagerun.h) */
                                       "CODECBENCH_STAGE_TIMEOUT=", "CODECBENCH_STAGE_CPU_LIMIT=",
                                       "CODECBENCH_STAGE_MEMORY_LIMIT="};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (strncmp(entry, keep[i], strlen(keep[i])) == 0)
            return 1;
    return 0;
}

int cb_worker_scrub_env(void)
{
    /* Collect the names first: unsetenv() changes environ under us. */
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    char **drop = calloc(n + 1, sizeof *drop);
    if (!drop)
        return CB_ENOMEM;
    size_t k = 0;
    int rc = CB_OK;
    for (char **e = environ; e && *e; e++) {
        if (env_allowed(*e))
            continue;
        const char *eq = strchr(*e, '=');
        drop[k] = eq ? strndup(*e, (size_t)(eq - *e)) : strdup(*e);
        if (!drop[k]) {
            rc = CB_ENOMEM;
            goto out;
        }
        k++;
    }
    for (size_t i = 0; i < k; i++)
        if (drop[i][0])
            unsetenv(drop[i]);
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0)
        rc = CB_ENOMEM;
out:
    for (size_t i = 0; i < k; i++)
        free(drop[i]);
    free(drop);
    return rc;
}

static int concurrency_from_env(Worker *w)
{
    const char *s = getenv("CODECBENCH_CONCURRENCY");
    if (!s)
        return 1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 4096) {
        rf_log(&w->ev, CB_LOG_WARN, "CODECBENCH_CONCURRENCY='%s' is not a whole number 1..4096; "
                                    "recording 1",
               s);
        return 1;
    }
    return (int)v;
}

/* ---- one rate point -------------------------------------------------------- */

static int64_t peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (int64_t)ru.ru_maxrss : 0;
}

static void progress(Worker *w, int i, int64_t done)
{
    double now = rf_wall_seconds();
    if (done % CB_WORKER_PROGRESS_FRAMES != 0 && done != w->src.frames &&
        now - w->last_progress < 1.0)
        return;
    w->last_progress = now;
    rf_event(&w->ev, "progress",
             json_pack("{si si sI sI}", "point", i, "rate", w->points[i], "frame",
                       (json_int_t)done, "frames", (json_int_t)w->src.frames));
}

/* Writes the packets the encoder has ready, with their digests. */
static int drain(Worker *w, int i, CbEncoder *enc, CbvWriter *cw, PointOut *po, CbError *err)
{
    CbEncodedFrame f;
    while (cb_encoder_receive(enc, &f) == 1) {
        if (po->frames >= w->src.frames)
            return cb_error_set(err, CB_EMISMATCH, "%s: the encoder gave more frames than the %lld "
                                                   "sent",
                                po->stream, (long long)w->src.frames);
        int rc = cbv_writer_packet(cw, f.data, f.size, err);
        if (rc < 0)
            return rc;
        if ((rc = cb_frame_digest(&f.recon, po->digest[po->frames])) < 0)
            return cb_error_set(err, rc, "%s: frame %lld: digest: %s", po->stream,
                                (long long)po->frames, cb_strerror(rc));
        po->payload_bytes += (int64_t)f.size;
        po->frames++;
        progress(w, i, po->frames);
    }
    return CB_OK;
}

static int encode_engine(Worker *w, int i, PointOut *po, const char *path, CbError *err)
{
    CbEncoder *enc = NULL;
    CbvWriter cw = {0};
    const CbFrame *f;
    int rc;
    po->digest = calloc((size_t)w->src.frames, sizeof *po->digest);
    if (!po->digest)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", po->stream);
    if ((rc = cb_encoder_new(&enc, &w->recipe.engine, po->rate, w->src.width, w->src.height,
                             w->src.fps_num, w->src.fps_den, err)) < 0) {
        cb_error_prefix(err, "%s", po->stream);
        goto out;
    }
    if ((rc = cbv_writer_open(&cw, path, cb_encoder_header(enc), CB_ENGINE_HEADER_BYTES, err)) < 0)
        goto out;
    po->payload_bytes = CB_ENGINE_HEADER_BYTES; /* the in-band sequence header */
    if ((rc = wk_source_rewind(&w->src, err)) < 0)
        goto out;
    for (int more = 1; more;) {
        rc = wk_source_next(&w->src, &f, err);
        if (rc < 0)
            goto out;
        more = rc == 1;
        /* After the last frame, NULL flushes the GOP still buffered. */
        double t0 = rf_wall_seconds(), c0 = rf_cpu_seconds();
        rc = cb_encoder_send(enc, more ? f : NULL, err);
        po->wall_s += rf_wall_seconds() - t0;
        po->cpu_s += rf_cpu_seconds() - c0;
        if (rc < 0) {
            cb_error_prefix(err, "%s: encoder", po->stream);
            goto out;
        }
        if ((rc = drain(w, i, enc, &cw, po, err)) < 0)
            goto out;
    }
    if ((rc = cbv_writer_close(&cw, err)) < 0)
        goto out;
    po->container_bytes = (int64_t)cw.bytes;
    if (po->frames != w->src.frames)
        rc = cb_error_set(err, CB_EMISMATCH, "%s: %lld frames coded of %lld sent", po->stream,
                          (long long)po->frames, (long long)w->src.frames);
out:
    if (cw.f)
        cbv_writer_close(&cw, NULL);
    cb_encoder_free(&enc);
    return rc;
}

/* A point of a stage run: the encoder runs in a stage host; the worker
 * writes what it sends back. */
typedef struct StageOut {
    Worker *w;
    int i;
    PointOut *po;
    CbvWriter *cw;
    const char *path;
} StageOut;

static int stage_out_header(void *ud, const uint8_t *hdr, CbError *err)
{
    StageOut *so = ud;
    /* The header must name the run's stage: parsed here (no stage code is
     * involved in reading a header), so a host cannot claim another. */
    CbDecoder *d = NULL;
    int rc = cb_decoder_new(&d, hdr, CB_ENGINE_HEADER_BYTES, err);
    if (rc < 0) {
        cb_error_prefix(err, "%s: the encoding host's sequence header", so->po->stream);
        return rc;
    }
    const CbStreamInfo *si = cb_decoder_info(d);
    if (si->stage_kind != so->w->stage.kind ||
        memcmp(si->stage_hash, so->w->stage.hash, sizeof si->stage_hash) != 0)
        rc = cb_error_set(err, CB_EMISMATCH, "%s: the encoding host's sequence header does not "
                                             "name the run's stage",
                          so->po->stream);
    cb_decoder_free(&d);
    if (rc < 0)
        return rc;
    if ((rc = cbv_writer_open(so->cw, so->path, hdr, CB_ENGINE_HEADER_BYTES, err)) < 0)
        return rc;
    so->po->payload_bytes = CB_ENGINE_HEADER_BYTES; /* the in-band sequence header */
    return CB_OK;
}

static int stage_out_packet(void *ud, const CbStagePacket *p, CbError *err)
{
    StageOut *so = ud;
    PointOut *po = so->po;
    if (po->frames >= so->w->src.frames)
        return cb_error_set(err, CB_EMISMATCH, "%s: the encoding host gave more frames than the "
                                               "%lld sent",
                            po->stream, (long long)so->w->src.frames);
    if (!so->cw->f)
        return cb_error_set(err, CB_EFORMAT, "%s: a packet before the sequence header", po->stream);
    if (p->size > CB_ENGINE_PACKET_MAX)
        return cb_error_set(err, CB_ELIMIT, "%s: frame %lld: the host's packet of %zu bytes (limit "
                                            "%u)",
                            po->stream, (long long)po->frames, p->size, CB_ENGINE_PACKET_MAX);
    /* The digest is the host's claim: stored as it is (64 lower-case hex
     * digits, checked), verified against an independent decode later. */
    for (int k = 0; k < 64; k++) {
        char ch = p->digest[k];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return cb_error_set(err, CB_EFORMAT, "%s: frame %lld: the host's digest is not 64 "
                                                 "hex digits",
                                po->stream, (long long)po->frames);
    }
    int rc = cbv_writer_packet(so->cw, p->data, p->size, err);
    if (rc < 0)
        return rc;
    memcpy(po->digest[po->frames], p->digest, 64);
    po->digest[po->frames][64] = '\0';
    po->payload_bytes += (int64_t)p->size;
    po->frames++;
    progress(so->w, so->i, po->frames);
    return CB_OK;
}

static int encode_stage(Worker *w, int i, PointOut *po, const char *path, CbError *err)
{
    CbvWriter cw = {0};
    int rc;
    po->digest = calloc((size_t)w->src.frames, sizeof *po->digest);
    if (!po->digest)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", po->stream);
    StageOut so = {w, i, po, &cw, path};
    WkStageSink sink = {stage_out_header, stage_out_packet, &so};
    /* CPU: the host's (it alone encodes); wall: around the host's calls. */
    rc = wk_stage_encode(&w->stage, &w->recipe.engine, &w->src, po->rate, -1, &sink, &po->cpu_s,
                         &po->wall_s, err);
    if (rc < 0) {
        cb_error_prefix(err, "%s", po->stream);
        goto out;
    }
    if ((rc = cbv_writer_close(&cw, err)) < 0)
        goto out;
    po->container_bytes = (int64_t)cw.bytes;
    if (po->frames != w->src.frames)
        rc = cb_error_set(err, CB_EMISMATCH, "%s: %lld frames coded of %lld sent", po->stream,
                          (long long)po->frames, (long long)w->src.frames);
out:
    if (cw.f)
        cbv_writer_close(&cw, NULL);
    return rc;
}

static int encode_baseline(Worker *w, int i, PointOut *po, const char *path, CbError *err)
{
    CbBaselineEncoder *be = NULL;
    CbBaselineStats st = {0};
    const CbFrame *f;
    int64_t sent = 0;
    int rc;
    CbLogger *lg = &w->log;
    double t0 = rf_wall_seconds(), c0 = rf_cpu_seconds();
    rc = cb_baseline_open(&be, &w->recipe.baseline, po->rate, w->src.width, w->src.height,
                          w->src.fps_num, w->src.fps_den, path, lg, err);
    po->wall_s += rf_wall_seconds() - t0;
    po->cpu_s += rf_cpu_seconds() - c0;
    if (rc < 0)
        goto out;
    if ((rc = wk_source_rewind(&w->src, err)) < 0)
        goto out;
    while ((rc = wk_source_next(&w->src, &f, err)) == 1) {
        t0 = rf_wall_seconds(), c0 = rf_cpu_seconds();
        rc = cb_baseline_send(be, f, err);
        po->wall_s += rf_wall_seconds() - t0;
        po->cpu_s += rf_cpu_seconds() - c0;
        if (rc < 0)
            goto out;
        progress(w, i, ++sent);
    }
    if (rc < 0)
        goto out;
    /* Flushing encodes the frames still queued (lookahead, B frames): timed. */
    t0 = rf_wall_seconds(), c0 = rf_cpu_seconds();
    rc = cb_baseline_close(&be, &st, err);
    po->wall_s += rf_wall_seconds() - t0;
    po->cpu_s += rf_cpu_seconds() - c0;
    if (rc < 0)
        goto out;
    po->frame_bits = st.frame_bits;
    st.frame_bits = NULL;
    po->frames = st.frames;
    po->payload_bytes = st.payload_bytes;
    po->container_bytes = st.container_bytes;
    if (st.frames != w->src.frames)
        rc = cb_error_set(err, CB_EMISMATCH, "%s: the encoder took %lld frames of %lld sent",
                          po->stream, (long long)st.frames, (long long)w->src.frames);
out:
    if (be)
        cb_baseline_close(&be, NULL, NULL);
    free(st.frame_bits);
    return rc;
}

static char *stream_name(const Worker *w, int rate)
{
    char buf[64];
    if (rf_stream_name(&w->recipe, rate, buf, sizeof buf, NULL) < 0)
        return NULL;
    return strdup(buf);
}

static int encode_point(Worker *w, int i, CbError *err)
{
    PointOut *po = &w->out[i];
    po->rate = w->points[i];
    if (!(po->stream = stream_name(w, po->rate)))
        return cb_error_set(err, CB_ENOMEM, "point %d: no stream name", i);
    /* Written as STREAM.part and renamed when complete: a worker killed
     * mid-point (cancel, a limit) leaves no stream that looks finished, and
     * the runner removes the .part. */
    char *final = cb_path_join(w->run_dir, po->stream);
    size_t n = final ? strlen(final) + sizeof(".part") : 0;
    if (!final || !(w->partial = malloc(n))) {
        free(final);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    snprintf(w->partial, n, "%s.part", final);
    w->last_progress = rf_wall_seconds();
    int rc = w->has_stage                       ? encode_stage(w, i, po, w->partial, err)
             : w->recipe.codec == CB_CODEC_ENGINE ? encode_engine(w, i, po, w->partial, err)
                                                  : encode_baseline(w, i, po, w->partial, err);
    if (rc == 0 && rename(w->partial, final) < 0)
        rc = cb_error_set(err, CB_EIO, "%s: %s", final, strerror(errno));
    if (rc == 0)
        rc = cb_dir_sync(w->run_dir, err);
    free(final);
    if (rc < 0)
        return rc;
    free(w->partial);
    w->partial = NULL;
    po->peak_rss_kib = peak_rss_kib();
    double seconds = (double)po->frames * w->src.fps_den / w->src.fps_num;
    double kbps = (double)po->payload_bytes * 8 / seconds / 1000;
    double fps = po->wall_s > 0 ? (double)po->frames / po->wall_s : 0;
    rf_event(&w->ev, "point",
             json_pack("{si si ss sI sf sf}", "point", i, "rate", po->rate, "stream", po->stream,
                       "bytes", (json_int_t)po->payload_bytes, "kbps", kbps, "encode_fps", fps));
    return CB_OK;
}

/* ---- the files -------------------------------------------------------------- */

static int write_digests(Worker *w, CbError *err)
{
    json_t *pts = json_array();
    json_t *doc = NULL;
    int rc = CB_ENOMEM;
    if (!pts)
        goto out;
    for (int i = 0; i < w->n_points; i++) {
        const PointOut *po = &w->out[i];
        json_t *fr = json_array();
        if (!fr)
            goto out;
        for (int64_t f = 0; po->digest && f < po->frames; f++)
            if (json_array_append_new(fr, json_string(po->digest[f]))) {
                json_decref(fr);
                goto out;
            }
        json_t *p = json_pack("{si ss so so}", "rate", po->rate, "stream", po->stream, "digest",
                              po->digest ? json_string("sha256-frame") : json_null(), "frames",
                              fr);
        if (!p || json_array_append_new(pts, p))
            goto out;
    }
    doc = json_pack("{si ss so}", "format", CB_WORKER_FORMAT, "digest",
                    "sha256-frame: SHA-256 of the frame as a one-frame clip (cb_clip_hasher: "
                    "luma width and height as 4-byte little-endian values, then the visible "
                    "rows of Y, U, V), lower-case hex, all 64 digits",
                    "points", pts);
    pts = NULL;
    if (!doc)
        goto out;
    char *path = cb_path_join(w->run_dir, "digests.json");
    if (!path)
        goto out;
    rc = rf_write_json(path, doc, JSON_INDENT(1), err);
    free(path);
    json_decref(doc);
    return rc;
out:
    json_decref(pts);
    json_decref(doc);
    return cb_error_set(err, CB_ENOMEM, "digests.json: out of memory");
}

static const char *encoder_version(const Worker *w)
{
    if (w->recipe.codec == CB_CODEC_ENGINE)
        return "codecbench engine " PACKAGE_VERSION;
    const char *v = cb_baseline_version(w->recipe.baseline.encoder);
    return v ? v : w->recipe.baseline.encoder;
}

static int write_worker_json(Worker *w, CbError *err)
{
    int base = w->recipe.codec == CB_CODEC_FFMPEG;
    const char *rc_name = base && w->recipe.baseline.rate_control == CB_RC_CRF ? "crf" : "qp";
    json_t *pts = json_array(), *doc = NULL;
    if (!pts)
        goto nomem;
    for (int i = 0; i < w->n_points; i++) {
        const PointOut *po = &w->out[i];
        json_t *bits = NULL;
        if (po->frame_bits) {
            if (!(bits = json_array()))
                goto nomem;
            for (int64_t f = 0; f < po->frames; f++)
                if (json_array_append_new(bits, json_integer(po->frame_bits[f]))) {
                    json_decref(bits);
                    goto nomem;
                }
        }
        json_t *p = json_pack(
            "{si ss ss sI sI sI sf sf sf sI si}", "rate", po->rate, "rate_control", rc_name,
            "stream", po->stream, "frames", (json_int_t)po->frames, "payload_bytes",
            (json_int_t)po->payload_bytes, "container_bytes", (json_int_t)po->container_bytes,
            "encode_cpu_s", po->cpu_s, "encode_wall_s", po->wall_s, "encode_fps",
            po->wall_s > 0 ? (double)po->frames / po->wall_s : 0.0, "peak_rss_kib",
            (json_int_t)po->peak_rss_kib, "concurrency", w->concurrency);
        if (!p || (bits && json_object_set_new(p, "frame_bits", bits)) ||
            json_array_append_new(pts, p)) {
            if (!p)
                json_decref(bits);
            json_decref(p);
            goto nomem;
        }
    }
    json_t *machine = rf_machine();
    json_t *stage = NULL;
    if (w->has_stage &&
        !(stage = json_pack("{ss ss ss}", "kind", cb_stage_kind_name((int)w->stage.kind), "hash",
                            w->stage.hash_hex, "object_sha256", w->object_sha256))) {
        json_decref(machine);
        goto nomem;
    }
    doc = json_pack("{si ss ss so sI sI ss si si si si ss ss ss so si sb so}", "format",
                    CB_WORKER_FORMAT, "codec",
                    base ? w->recipe.baseline.encoder : "engine", "recipe_hash", w->recipe_hash,
                    "input", rf_json_text(w->run.input, 4096), "first_frame",
                    (json_int_t)w->run.first_frame, "frames", (json_int_t)w->src.frames,
                    "clip_id", w->src.clip_id, "width", w->src.width, "height", w->src.height,
                    "fps_num", w->src.fps_num, "fps_den", w->src.fps_den, "encoder_version",
                    encoder_version(w), "codecbench_version", PACKAGE_VERSION, "ffmpeg_versions",
                    cb_media_ffmpeg_versions(), "machine", machine, "concurrency",
                    w->concurrency, "source_in_memory", w->src.in_memory, "points", pts);
    pts = NULL;
    if (!doc || (stage && json_object_set_new(doc, "stage", stage) < 0)) {
        if (!doc)
            json_decref(stage);
        goto nomem;
    }
    char *path = cb_path_join(w->run_dir, "worker.json");
    if (!path)
        goto nomem;
    int rc = rf_write_json(path, doc, JSON_INDENT(1), err);
    free(path);
    json_decref(doc);
    return rc;
nomem:
    json_decref(pts);
    json_decref(doc);
    return cb_error_set(err, CB_ENOMEM, "worker.json: out of memory");
}

/* ---- the stage's ladder ----------------------------------------------------- */

/* {"event":"stage","step":step,"ok":..} and, on failure, err's text as the
 * event's "text" and "stage STEP: " before the reason. */
static int stage_step(Worker *w, const char *step, int rc, CbError *err)
{
    if (rc < 0) {
        rf_event(&w->ev, "stage",
                 json_pack("{ss sb so}", "step", step, "ok", 0,
                           "text", rf_json_text(err ? err->text : cb_strerror(rc), 1024)));
        cb_error_prefix(err, "stage %s", step);
        return rc;
    }
    rf_event(&w->ev, "stage", json_pack("{ss sb}", "step", step, "ok", 1));
    return CB_OK;
}

static int stage_build(Worker *w, CbError *err)
{
    int rc = wk_stage_build(&w->stage, w->run_dir, &w->recipe, err);
    /* The object's hash, recorded in worker.json: verification refuses an
     * object changed after the build. */
    if (rc == CB_OK)
        rc = wk_file_sha256(w->stage.object, w->object_sha256, err);
    return stage_step(w, "build", rc, err);
}

/* Steps round_trip and short_clip: cheap checks before every point. */
static int stage_checks(Worker *w, CbError *err)
{
    int64_t short_frames = w->src.frames < WK_STAGE_SHORT_FRAMES ? w->src.frames
                                                                 : WK_STAGE_SHORT_FRAMES;
    int rc = wk_stage_check_clip(&w->stage, &w->recipe.engine, &w->src, w->points[0], 1, err);
    if ((rc = stage_step(w, "round_trip", rc, err)) < 0)
        return rc;
    rc = wk_stage_check_clip(&w->stage, &w->recipe.engine, &w->src, w->points[w->n_points / 2],
                             short_frames, err);
    return stage_step(w, "short_clip", rc, err);
}

/* The no-op rejection: when run.json's "parent" is an engine run on the
 * same clip range with the same points in the same order, and every frame
 * digest of every point equals the parent's (its digests.json: what its
 * verification checked), the stage changed nothing.  A parent that cannot
 * be compared (none, another clip, a baseline, unfinished, unreadable) is
 * no reason to fail: the run is judged on its own. */
static int parent_dir(const Worker *w, int64_t parent, char **out, CbError *err)
{
    /* Run directories are STORE/runs/%06lld (store.c); the parent is a
     * sibling of this run's, named by its id alone. */
    *out = NULL;
    /* The run's own name ends at its last '/' but one given by hand may
     * end in slashes: they are not part of it. */
    size_t len = strlen(w->run_dir);
    while (len > 1 && w->run_dir[len - 1] == '/')
        len--;
    const char *slash = NULL;
    for (size_t i = 0; i < len; i++)
        if (w->run_dir[i] == '/')
            slash = w->run_dir + i;
    size_t dir_len = slash ? (size_t)(slash - w->run_dir) : 0;
    char name[32];
    int n = snprintf(name, sizeof name, "%06lld", (long long)parent);
    if (n < 0 || (size_t)n >= sizeof name)
        return cb_error_set(err, CB_EINVAL, "parent %lld: no directory name", (long long)parent);
    /* dir_len bytes or ".", '/', the name and its NUL. */
    char *dir = malloc(dir_len + 1 + 1 + (size_t)n + 1);
    if (!dir)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (slash)
        memcpy(dir, w->run_dir, dir_len);
    else
        dir[dir_len++] = '.';
    dir[dir_len] = '/';
    memcpy(dir + dir_len + 1, name, (size_t)n + 1);
    *out = dir;
    return CB_OK;
}

static int noop_check(Worker *w, CbError *err)
{
    char *run_path = cb_path_join(w->run_dir, "run.json");
    char *pdir = NULL, *wpath = NULL, *dpath = NULL;
    json_t *run = NULL, *pw = NULL, *pd = NULL;
    CbRecipe pr = {0};
    char phash[CB_RECIPE_HASH_HEX];
    CbError ignore;
    int64_t parent = 0;
    int rc = CB_OK;
    if (!run_path) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cb_json_read_object(run_path, CB_WORKER_JSON_MAX, &run, err)) < 0)
        goto out;
    const json_t *pv = json_object_get(run, "parent");
    if (!pv || json_is_null(pv))
        goto out;
    if ((rc = rf_get_int(run, "parent", 0, INT64_MAX, &parent, "run.json", err)) < 0)
        goto out;
    if (parent == 0 || parent == w->run.id)
        goto out;
    if ((rc = parent_dir(w, parent, &pdir, err)) < 0)
        goto out;
    if (!(wpath = cb_path_join(pdir, "worker.json")) ||
        !(dpath = cb_path_join(pdir, "digests.json"))) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto out;
    }
    /* Only what the parent's files say, read and never written. */
    if (rf_recipe_read(pdir, &pr, phash, &ignore) < 0 || pr.codec != CB_CODEC_ENGINE ||
        cb_json_read_object(wpath, CB_WORKER_JSON_MAX, &pw, &ignore) < 0 ||
        cb_json_read_object(dpath, CB_WORKER_JSON_MAX, &pd, &ignore) < 0) {
        rf_log(&w->ev, CB_LOG_INFO, "parent run %lld is not a finished engine run: no no-op "
                                    "check",
               (long long)parent);
        goto out;
    }
    const char *clip = json_string_value(json_object_get(pw, "clip_id"));
    json_int_t first = json_integer_value(json_object_get(pw, "first_frame"));
    json_int_t frames = json_integer_value(json_object_get(pw, "frames"));
    const json_t *pts = json_object_get(pd, "points");
    if (!clip || strcmp(clip, w->src.clip_id) != 0 || first != w->run.first_frame ||
        frames != w->src.frames || !json_is_array(pts) ||
        json_array_size(pts) != (size_t)w->n_points) {
        rf_log(&w->ev, CB_LOG_INFO, "parent run %lld is on another clip or points: no no-op check",
               (long long)parent);
        goto out;
    }
    for (int i = 0; i < w->n_points; i++) {
        const json_t *p = json_array_get(pts, (size_t)i);
        const json_t *fr = json_object_get(p, "frames");
        if (json_integer_value(json_object_get(p, "rate")) != w->out[i].rate ||
            !json_is_array(fr) || json_array_size(fr) != (size_t)w->out[i].frames) {
            rf_log(&w->ev, CB_LOG_INFO, "parent run %lld has other points: no no-op check",
                   (long long)parent);
            goto out;
        }
        for (int64_t f = 0; f < w->out[i].frames; f++) {
            const char *d = json_string_value(json_array_get(fr, (size_t)f));
            if (!d || strcmp(d, w->out[i].digest[f]) != 0)
                goto out; /* a frame differs: not a no-op */
        }
    }
    rc = cb_error_set(err, CB_ESTAGE,
                      "no-op: every reconstruction equals parent run %lld's, frame for frame",
                      (long long)parent);
out:
    cb_recipe_free(&pr);
    json_decref(run);
    json_decref(pw);
    json_decref(pd);
    free(run_path);
    free(pdir);
    free(wpath);
    free(dpath);
    return rc;
}

/* ---- the run ---------------------------------------------------------------- */

static int run(Worker *w, CbError *err)
{
    int rc = rf_run_read(w->run_dir, &w->run, err);
    if (rc < 0)
        return rc;
    if ((rc = rf_recipe_read(w->run_dir, &w->recipe, w->recipe_hash, err)) < 0)
        return rc;
    if (w->recipe.codec == CB_CODEC_FFMPEG &&
        (rc = cb_baseline_check(w->recipe.baseline.encoder, err)) < 0)
        return rc;
    w->n_points = cb_recipe_points(&w->recipe, w->points);
    if (w->n_points < 1 || w->n_points > CB_RESULT_MAX_POINTS)
        return cb_error_set(err, CB_EINVAL, "recipe.json: %d rate points (1..%d)", w->n_points,
                            CB_RESULT_MAX_POINTS);
    w->concurrency = concurrency_from_env(w);
    rf_event(&w->ev, "start",
             json_pack("{si sI}", "points", w->n_points, "frames", (json_int_t)w->run.frames));
    /* A stage is judged cheap first: its build before the clip is read. */
    if (w->recipe.codec == CB_CODEC_ENGINE && w->recipe.stage_kind != CB_STAGE_NONE) {
        w->has_stage = 1;
        if ((rc = wk_stage_init(&w->stage, w->run_dir, &w->recipe, &w->ev, err)) < 0 ||
            (rc = stage_build(w, err)) < 0)
            return rc;
    }
    if ((rc = wk_source_open(&w->src, w->run.input, w->run.first_frame, w->run.frames,
                             CB_WORKER_SOURCE_MEM_MAX, &w->log, err)) < 0)
        return rc;
    if (!w->src.fps_stated)
        rf_log(&w->ev, CB_LOG_WARN, "input %s states no frame rate; rates are given at 25 fps",
               w->run.input);
    rf_event(&w->ev, "clip",
             json_pack("{ss si si sf sI}", "clip_id", w->src.clip_id, "width", w->src.width,
                       "height", w->src.height, "fps", (double)w->src.fps_num / w->src.fps_den,
                       "frames", (json_int_t)w->src.frames));
    if (w->has_stage && (rc = stage_checks(w, err)) < 0)
        return rc;
    for (int i = 0; i < w->n_points; i++)
        if ((rc = encode_point(w, i, err)) < 0)
            return w->has_stage ? stage_step(w, "points", rc, err) : rc;
    if ((rc = write_digests(w, err)) < 0 || (rc = write_worker_json(w, err)) < 0)
        return rc;
    if (w->has_stage) {
        stage_step(w, "points", CB_OK, err);
        if ((rc = noop_check(w, err)) < 0)
            return rc;
    }
    rf_event(&w->ev, "done", NULL);
    return CB_OK;
}

int cb_worker_run(const char *run_dir, const CbLogger *logger, CbError *err)
{
    Worker *w = calloc(1, sizeof *w);
    if (!w)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    w->run_dir = run_dir;
    int rc = rf_events_start(&w->ev, &w->log, run_dir, logger, err);
    if (rc < 0) {
        free(w);
        return rc;
    }
    rc = run(w, err);
    if (rc < 0) {
        if (w->partial)
            unlink(w->partial);
        rf_event_error(&w->ev, "worker", rc, err);
    }
    free(w->partial);
    for (int i = 0; i < CB_RESULT_MAX_POINTS; i++) {
        free(w->out[i].stream);
        free(w->out[i].digest);
        free(w->out[i].frame_bits);
    }
    wk_source_close(&w->src);
    wk_stage_free(&w->stage);
    cb_recipe_free(&w->recipe);
    rf_run_free(&w->run);
    rf_events_close(&w->ev);
    free(w);
    return rc;
}

/* codecbench: verification of a run, in a process of its own (see
 * codecbench/worker.h).  It trusts nothing the worker wrote except as a
 * claim to check: every figure is measured on frames decoded from the stored
 * bitstreams, and the worker's byte counts and digests must agree. */
#include "config.h"

#include "codecbench/worker.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codecbench/baseline.h"
#include "codecbench/engine.h"
#include "codecbench/fsutil.h"
#include "codecbench/media.h"
#include "codecbench/metrics.h"
#include "codecbench/recipe.h"
#include "codecbench/result.h"
#include "worker/cbvfile.h"
#include "worker/runfiles.h"
#include "worker/source.h"
#include "worker/stagerun.h"

#define PROVENANCE_MAX 4096

/* What worker.json claims about one point (strings and arrays borrowed
 * from the JSON document). */
typedef struct Claim {
    int rate;
    const char *stream;
    int64_t frames, payload_bytes, container_bytes, peak_rss_kib, concurrency;
    double cpu_s, wall_s;
    const json_t *frame_bits;  /* baselines */
    const json_t *digests;     /* engine: digests.json's frames */
} Claim;

typedef struct Verifier {
    const char *run_dir;
    RfEvents ev;
    CbLogger log;
    RfRun run;
    CbRecipe recipe;
    char recipe_hash[CB_RECIPE_HASH_HEX];
    json_t *worker, *digests;
    char *worker_path, *digests_path;
    Claim claims[CB_RESULT_MAX_POINTS];
    int n_points;
    WkSource src;
    CbMetricsCtx *mctx;
    CbRunResult res;
    int has_stage;      /* decoded by decoding hosts; measured here */
    WkStage stage;
} Verifier;

/* ---- reading what the worker wrote ----------------------------------------- */

static int read_claims(Verifier *v, CbError *err)
{
    const char *wp = v->worker_path, *dp = v->digests_path;
    int64_t x;
    const char *s;
    int rc;
    if ((rc = cb_json_read_object(wp, CB_WORKER_JSON_MAX, &v->worker, err)) < 0 ||
        (rc = cb_json_read_object(dp, CB_WORKER_JSON_MAX, &v->digests, err)) < 0)
        return rc;
    if ((rc = rf_get_int(v->worker, "format", 1, CB_WORKER_FORMAT, &x, wp, err)) < 0 ||
        (rc = rf_get_int(v->digests, "format", 1, CB_WORKER_FORMAT, &x, dp, err)) < 0)
        return rc;
    if ((rc = rf_get_str(v->worker, "recipe_hash", 64, &s, wp, err)) < 0)
        return rc;
    if (strcmp(s, v->recipe_hash) != 0)
        return cb_error_set(err, CB_EMISMATCH, "%s: recipe_hash %.16s... is not recipe.json's "
                                               "(%.16s...): the recipe changed after the encode",
                            wp, s, v->recipe_hash);
    const json_t *wpts = json_object_get(v->worker, "points");
    const json_t *dpts = json_object_get(v->digests, "points");
    if (!json_is_array(wpts))
        return cb_error_set(err, CB_EFORMAT, "%s: points: missing or not an array", wp);
    if (!json_is_array(dpts))
        return cb_error_set(err, CB_EFORMAT, "%s: points: missing or not an array", dp);
    int pts[CB_RESULT_MAX_POINTS];
    v->n_points = cb_recipe_points(&v->recipe, pts);
    if (json_array_size(wpts) != (size_t)v->n_points || json_array_size(dpts) != (size_t)v->n_points)
        return cb_error_set(err, CB_EMISMATCH, "%s / %s: %zu / %zu rate points, the recipe has %d",
                            wp, dp, json_array_size(wpts), json_array_size(dpts), v->n_points);
    for (int i = 0; i < v->n_points; i++) {
        Claim *c = &v->claims[i];
        const json_t *p = json_array_get(wpts, (size_t)i), *d = json_array_get(dpts, (size_t)i);
        char where[64];
        snprintf(where, sizeof where, "%s: points[%d]", wp, i);
        if (!json_is_object(p))
            return cb_error_set(err, CB_EFORMAT, "%s: not an object", where);
        if ((rc = rf_get_int(p, "rate", 0, 255, &x, where, err)) < 0)
            return rc;
        c->rate = (int)x;
        if (c->rate != pts[i])
            return cb_error_set(err, CB_EMISMATCH, "%s: rate %d, the recipe's point %d is %d",
                                where, c->rate, i, pts[i]);
        if ((rc = rf_get_str(p, "stream", 64, &c->stream, where, err)) < 0 ||
            (rc = rf_get_int(p, "frames", 1, CB_RESULT_MAX_FRAMES, &c->frames, where, err)) < 0 ||
            (rc = rf_get_int(p, "payload_bytes", 1, INT64_MAX, &c->payload_bytes, where, err)) <
                0 ||
            (rc = rf_get_int(p, "container_bytes", 1, INT64_MAX, &c->container_bytes, where,
                             err)) < 0 ||
            (rc = rf_get_int(p, "peak_rss_kib", 0, INT64_MAX, &c->peak_rss_kib, where, err)) < 0 ||
            (rc = rf_get_int(p, "concurrency", 1, 4096, &c->concurrency, where, err)) < 0 ||
            (rc = rf_get_real(p, "encode_cpu_s", 0, 1e9, &c->cpu_s, where, err)) < 0 ||
            (rc = rf_get_real(p, "encode_wall_s", 0, 1e9, &c->wall_s, where, err)) < 0)
            return rc;
        /* The stream's name is the one the worker derives from the rate: a
         * name from the file is never used as a path as it is. */
        char expect[64];
        if ((rc = rf_stream_name(&v->recipe, c->rate, expect, sizeof expect, err)) < 0)
            return rc;
        if (strcmp(expect, c->stream) != 0)
            return cb_error_set(err, CB_EFORMAT, "%s: stream '%s' is not '%s'", where, c->stream,
                                expect);
        snprintf(where, sizeof where, "%s: points[%d]", dp, i);
        const char *dstream;
        if (!json_is_object(d))
            return cb_error_set(err, CB_EFORMAT, "%s: not an object", where);
        if ((rc = rf_get_str(d, "stream", 64, &dstream, where, err)) < 0)
            return rc;
        if (strcmp(dstream, c->stream) != 0)
            return cb_error_set(err, CB_EMISMATCH, "%s: stream '%s', worker.json says '%s'", where,
                                dstream, c->stream);
        c->digests = json_object_get(d, "frames");
        if (!json_is_array(c->digests))
            return cb_error_set(err, CB_EFORMAT, "%s: frames: missing or not an array", where);
        if (v->recipe.codec == CB_CODEC_ENGINE &&
            json_array_size(c->digests) != (size_t)c->frames)
            return cb_error_set(err, CB_EFORMAT, "%s: %zu digests for %lld frames", where,
                                json_array_size(c->digests), (long long)c->frames);
        if (v->recipe.codec == CB_CODEC_FFMPEG) {
            c->frame_bits = json_object_get(p, "frame_bits");
            if (!json_is_array(c->frame_bits) ||
                json_array_size(c->frame_bits) != (size_t)c->frames)
                return cb_error_set(err, CB_EFORMAT, "%s: points[%d].frame_bits: not an array of "
                                                     "%lld integers",
                                    wp, i, (long long)c->frames);
        }
    }
    return CB_OK;
}

/* worker.json's "stage" of a stage run: the recipe's kind and hash, and the
 * object the worker built, unchanged since (its SHA-256).  A run without a
 * stage must not claim one. */
static int read_stage(Verifier *v, CbError *err)
{
    const char *wp = v->worker_path;
    const json_t *st = json_object_get(v->worker, "stage");
    const char *kind, *hash, *obj;
    char have[65];
    int rc;
    if (v->recipe.codec != CB_CODEC_ENGINE || v->recipe.stage_kind == CB_STAGE_NONE) {
        if (st && !json_is_null(st))
            return cb_error_set(err, CB_EMISMATCH, "%s: stage: the recipe has none", wp);
        return CB_OK;
    }
    v->has_stage = 1;
    if ((rc = wk_stage_init(&v->stage, v->run_dir, &v->recipe, &v->ev, err)) < 0)
        return rc;
    if (!json_is_object(st))
        return cb_error_set(err, CB_EFORMAT, "%s: stage: missing or not an object", wp);
    if ((rc = rf_get_str(st, "kind", 32, &kind, wp, err)) < 0 ||
        (rc = rf_get_str(st, "hash", 64, &hash, wp, err)) < 0 ||
        (rc = rf_get_str(st, "object_sha256", 64, &obj, wp, err)) < 0)
        return rc;
    if (strcmp(kind, cb_stage_kind_name((int)v->stage.kind)) != 0 ||
        strcmp(hash, v->stage.hash_hex) != 0)
        return cb_error_set(err, CB_EMISMATCH, "%s: stage %s %.16s..., the recipe's is %s "
                                               "%.16s...",
                            wp, kind, hash, cb_stage_kind_name((int)v->stage.kind),
                            v->stage.hash_hex);
    if ((rc = wk_file_sha256(v->stage.object, have, err)) < 0)
        return rc;
    if (strcmp(have, obj) != 0)
        return cb_error_set(err, CB_EMISMATCH, "stage.so changed after the build (SHA-256 "
                                               "%.16s..., worker.json says %.16s...)",
                            have, obj);
    return CB_OK;
}

/* ---- measuring one point ------------------------------------------------- */

static int measure(Verifier *v, CbPointResult *p, int64_t n, const CbFrame *dec, CbError *err)
{
    const CbFrame *src;
    int rc = wk_source_next(&v->src, &src, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return cb_error_set(err, CB_EMISMATCH, "%s: more frames than the run's %lld", p->stream_file,
                            (long long)v->src.frames);
    CbFrameMetrics fm;
    if ((rc = cb_metrics_frame(v->mctx, src, dec, &fm)) < 0)
        return cb_error_set(err, rc, "%s: frame %lld is %dx%d, the source %dx%d", p->stream_file,
                            (long long)n, dec->width, dec->height, src->width, src->height);
    CbFrameRow *row = &p->rows[n];
    for (int c = 0; c < 3; c++) {
        row->psnr[c] = fm.psnr[c];
        row->mse[c] = fm.mse[c];
    }
    row->ssim = fm.ssim_all;
    return CB_OK;
}

static int verify_engine(Verifier *v, const Claim *c, CbPointResult *p, const char *path,
                         CbError *err)
{
    CbvReader cr = {0};
    CbDecoder *dec = NULL;
    CbStageHost *host = NULL;
    CbStreamInfo host_info;
    const CbStreamInfo *si;
    int64_t n = 0;
    int rc = cbv_reader_open(&cr, path, err);
    if (rc < 0)
        goto out;
    if (v->has_stage) {
        /* A fresh decoding host per point: it gets the stream's bytes and
         * nothing else (never a source frame), and shares no memory with
         * the encoding hosts.  Its frames are measured here, in a process
         * that never loads stage code. */
        double t0 = rf_wall_seconds();
        rc = cb_stage_host_start(&host, 1, v->stage.object, v->stage.kind, v->stage.hash,
                                 &v->stage.lim, err);
        if (rc == CB_OK)
            rc = cb_stage_host_decoder(host, cr.header, sizeof cr.header, &host_info, err);
        p->decode_wall_s += rf_wall_seconds() - t0;
        if (rc < 0) {
            cb_error_prefix(err, "%s: decoding host", p->stream_file);
            goto out;
        }
        si = &host_info;
    } else {
        if ((rc = cb_decoder_new(&dec, cr.header, sizeof cr.header, err)) < 0) {
            cb_error_prefix(err, "%s", p->stream_file);
            goto out;
        }
        si = cb_decoder_info(dec);
    }
    if (si->width != v->src.width || si->height != v->src.height) {
        rc = cb_error_set(err, CB_EMISMATCH, "%s: %dx%d, the source is %dx%d", p->stream_file,
                          si->width, si->height, v->src.width, v->src.height);
        goto out;
    }
    for (;;) {
        size_t len;
        rc = cbv_reader_packet(&cr, &len, err);
        if (rc < 0) {
            cb_error_prefix(err, "point QP %d", c->rate);
            goto out;
        }
        if (rc == 0)
            break;
        if (n >= v->src.frames) {
            rc = cb_error_set(err, CB_EMISMATCH, "%s (point QP %d): more than the run's %lld "
                                                 "frames",
                              p->stream_file, c->rate, (long long)v->src.frames);
            goto out;
        }
        CbFrame frame;
        int intra;
        double t0 = rf_wall_seconds(), c0 = rf_cpu_seconds();
        if (host) {
            int type = -1;
            rc = cb_stage_host_decode(host, cr.pkt, len, &frame, &type, err);
            intra = type == 0;
            p->decode_wall_s += rf_wall_seconds() - t0;
        } else {
            int64_t intra_before = cb_decoder_stats(dec)->frames[0];
            rc = cb_decoder_decode(dec, cr.pkt, len, &frame, err);
            intra = rc == 0 && cb_decoder_stats(dec)->frames[0] > intra_before;
            p->decode_wall_s += rf_wall_seconds() - t0;
            p->decode_cpu_s += rf_cpu_seconds() - c0;
        }
        if (rc < 0) {
            cb_error_prefix(err, "%s (point QP %d): frame %lld", p->stream_file, c->rate,
                            (long long)n);
            goto out;
        }
        char hex[CB_CLIP_ID_HEX];
        if ((rc = cb_frame_digest(&frame, hex)) < 0) {
            cb_error_set(err, rc, "%s: frame %lld: digest: %s", p->stream_file, (long long)n,
                         cb_strerror(rc));
            goto out;
        }
        const char *want = json_string_value(json_array_get(c->digests, (size_t)n));
        if (host && (!want || strcmp(want, hex) != 0)) {
            /* The stage decodes its own stream differently: it kept state
             * between calls, read memory it was not given, or is not
             * deterministic. */
            rc = cb_error_set(err, CB_EMISMATCH,
                              "%s (point QP %d): decoder mismatch: frame %lld decodes differently "
                              "from the encoder's reconstruction",
                              p->stream_file, c->rate, (long long)n);
            goto out;
        }
        if (!want || strcmp(want, hex) != 0) {
            rc = cb_error_set(err, CB_EMISMATCH,
                              "%s (point QP %d): frame %lld decodes differently from the "
                              "encoder's reconstruction (digests.json): the stream or the "
                              "digests were altered, or the engine has a bug",
                              p->stream_file, c->rate, (long long)n);
            goto out;
        }
        p->rows[n].type = intra ? 'I' : 'P';
        p->rows[n].bits = (int64_t)len * 8 + (n == 0 ? CB_ENGINE_HEADER_BYTES * 8 : 0);
        if ((rc = measure(v, p, n, &frame, err)) < 0)
            goto out;
        n++;
    }
    if (n != v->src.frames) {
        rc = cb_error_set(err, CB_EMISMATCH, "%s (point QP %d): %lld frames decoded, the run has "
                                             "%lld",
                          p->stream_file, c->rate, (long long)n, (long long)v->src.frames);
        goto out;
    }
    p->frames = n;
    p->payload_bytes = (int64_t)cr.bytes - 4 * cr.packets;
    p->container_bytes = cr.size >= 0 ? cr.size : (int64_t)cr.bytes;
    rc = CB_OK;
out:
    /* Decode CPU of a stage run: the decoding host's (it alone decoded). */
    if (host)
        p->decode_cpu_s = cb_stage_host_cpu_seconds(host);
    cb_stage_host_free(&host);
    cb_decoder_free(&dec);
    cbv_reader_close(&cr);
    return rc;
}

static int verify_baseline(Verifier *v, const Claim *c, CbPointResult *p, const char *path,
                           CbError *err)
{
    CbMediaReader *r = NULL;
    CbFrame frame = {0};
    int64_t n = 0, bits = 0;
    CbMediaOptions mo = {.logger = &v->log,
                         .format = cb_baseline_format(v->recipe.baseline.encoder)};
    struct stat st;
    int rc;
    if (stat(path, &st) != 0) {
        rc = cb_error_set(err, errno == ENOENT ? CB_ENOENT : CB_EIO, "%s: %s", path,
                          strerror(errno));
        goto out;
    }
    if ((rc = cb_media_open(&r, path, &mo, err)) < 0)
        goto out;
    for (;;) {
        double t0 = rf_wall_seconds(), c0 = rf_cpu_seconds();
        rc = cb_media_read(r, &frame, err);
        p->decode_wall_s += rf_wall_seconds() - t0;
        p->decode_cpu_s += rf_cpu_seconds() - c0;
        if (rc < 0)
            goto out;
        if (rc == 0)
            break;
        if (n >= v->src.frames) {
            rc = cb_error_set(err, CB_EMISMATCH, "%s: more than the run's %lld frames",
                              p->stream_file, (long long)v->src.frames);
            goto out;
        }
        const json_t *b = json_array_get(c->frame_bits, (size_t)n);
        if (!json_is_integer(b) || json_integer_value(b) < 0) {
            rc = cb_error_set(err, CB_EFORMAT, "worker.json: %s: frame_bits[%lld]: not an integer "
                                               ">= 0",
                              p->stream_file, (long long)n);
            goto out;
        }
        p->rows[n].bits = json_integer_value(b);
        bits += p->rows[n].bits;
        p->rows[n].type = frame.type == 'I' || frame.type == 'P' || frame.type == 'B'
                              ? frame.type
                              : '?';
        if ((rc = measure(v, p, n, &frame, err)) < 0)
            goto out;
        n++;
    }
    if (n != v->src.frames) {
        rc = cb_error_set(err, CB_EMISMATCH, "%s: %lld frames decoded, the run has %lld",
                          p->stream_file, (long long)n, (long long)v->src.frames);
        goto out;
    }
    p->frames = n;
    p->payload_bytes = cb_media_info(r)->stream_bytes;
    p->container_bytes = (int64_t)st.st_size;
    if (bits != p->payload_bytes * 8) {
        rc = cb_error_set(err, CB_EMISMATCH, "%s: worker.json's frame_bits sum to %lld bits, the "
                                             "stream's payload is %lld bits",
                          p->stream_file, (long long)bits, (long long)p->payload_bytes * 8);
        goto out;
    }
    rc = CB_OK;
out:
    cb_frame_free(&frame);
    cb_media_close(&r);
    return rc;
}

static int verify_point(Verifier *v, int i, CbError *err)
{
    const Claim *c = &v->claims[i];
    CbPointResult *p = &v->res.points[i];
    p->rate_value = c->rate;
    if (!(p->stream_file = strdup(c->stream)) ||
        !(p->rows = calloc((size_t)v->src.frames, sizeof *p->rows)))
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", c->stream);
    if (c->frames != v->src.frames)
        return cb_error_set(err, CB_EMISMATCH, "worker.json: %s: %lld frames, the run has %lld",
                            c->stream, (long long)c->frames, (long long)v->src.frames);
    char *path = cb_path_join(v->run_dir, c->stream);
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int rc = wk_source_rewind(&v->src, err);
    if (rc == CB_OK)
        rc = v->recipe.codec == CB_CODEC_ENGINE ? verify_engine(v, c, p, path, err)
                                                : verify_baseline(v, c, p, path, err);
    free(path);
    if (rc < 0)
        return rc;
    /* The pass must end where the source's range ends (and, when the source
     * is read again from the file, with the same identity). */
    const CbFrame *extra;
    if ((rc = wk_source_next(&v->src, &extra, err)) != 0)
        return rc < 0 ? rc : cb_error_set(err, CB_EMISMATCH, "%s: fewer frames than the source",
                                          c->stream);
    if (p->payload_bytes != c->payload_bytes || p->container_bytes != c->container_bytes)
        return cb_error_set(err, CB_EMISMATCH, "%s: %lld payload / %lld file bytes, the worker "
                                               "wrote %lld / %lld",
                            c->stream, (long long)p->payload_bytes, (long long)p->container_bytes,
                            (long long)c->payload_bytes, (long long)c->container_bytes);

    CbSeqAccum acc;
    cb_seq_accum_init(&acc);
    for (int64_t f = 0; f < p->frames; f++) {
        CbFrameMetrics fm = {0};
        for (int k = 0; k < 3; k++) {
            fm.psnr[k] = p->rows[f].psnr[k];
            fm.mse[k] = p->rows[f].mse[k];
        }
        fm.ssim_all = p->rows[f].ssim;
        cb_seq_accum_add(&acc, &fm);
    }
    CbSeqMetrics seq;
    cb_seq_accum_result(&acc, &seq);
    double nf = (double)p->frames;
    memcpy(p->psnr_mean, seq.psnr_mean, sizeof p->psnr_mean);
    memcpy(p->psnr_global, seq.psnr_global, sizeof p->psnr_global);
    p->psnr_yuv_mean = seq.psnr_yuv_mean;
    p->psnr_yuv_global = seq.psnr_yuv_global;
    p->ssim_mean = seq.ssim_all_mean;
    p->kbps = (double)p->payload_bytes * 8 / (nf * v->res.fps_den / v->res.fps_num) / 1000;
    p->bpp = (double)p->payload_bytes * 8 / (nf * v->res.width * v->res.height);
    p->encode_cpu_s = c->cpu_s;
    p->encode_wall_s = c->wall_s;
    p->encode_fps = c->wall_s > 0 ? nf / c->wall_s : 0;
    p->decode_fps = p->decode_wall_s > 0 ? nf / p->decode_wall_s : 0;
    p->concurrency = (int)c->concurrency;
    p->peak_rss_kib = c->peak_rss_kib;
    return CB_OK;
}

/* ---- the run ---------------------------------------------------------------- */

static char *dup_member(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? strdup(s) : NULL;
}

static int fill_header(Verifier *v, CbError *err)
{
    const char *wp = v->worker_path;
    CbRunResult *r = &v->res;
    const char *s;
    int rc;
    if ((rc = rf_get_str(v->worker, "clip_id", 64, &s, wp, err)) < 0)
        return rc;
    if (strcmp(s, v->src.clip_id) != 0)
        return cb_error_set(err, CB_EMISMATCH, "input %s: its frames %lld.. are not those the "
                                               "worker encoded (clip identity %.16s..., worker.json "
                                               "says %.16s...)",
                            v->run.input, (long long)v->run.first_frame, v->src.clip_id, s);
    const char *codec = v->recipe.codec == CB_CODEC_ENGINE ? "engine" : v->recipe.baseline.encoder;
    if ((rc = rf_get_str(v->worker, "codec", 64, &s, wp, err)) < 0)
        return rc;
    if (strcmp(s, codec) != 0)
        return cb_error_set(err, CB_EMISMATCH, "%s: codec '%s', the recipe's is '%s'", wp, s,
                            codec);
    const json_t *m = json_object_get(v->worker, "machine");
    const char *host = json_string_value(json_object_get(m, "hostname"));
    const char *cpu = json_string_value(json_object_get(m, "cpu"));
    json_int_t cores = json_integer_value(json_object_get(m, "cores"));
    if (!host || !cpu || cores < 1)
        return cb_error_set(err, CB_EFORMAT, "%s: machine: needs hostname, cpu and cores", wp);
    char machine[1024];
    snprintf(machine, sizeof machine, "%s; %s; %lld cores", host, cpu, (long long)cores);
    r->format = CB_RESULT_FORMAT;
    r->first_frame = v->run.first_frame;
    r->frames = v->src.frames;
    r->width = v->src.width;
    r->height = v->src.height;
    r->fps_num = v->src.fps_num;
    r->fps_den = v->src.fps_den;
    r->codec = strdup(codec);
    r->recipe_hash = strdup(v->recipe_hash);
    r->clip_id = strdup(v->src.clip_id);
    r->input = strdup(v->run.input);
    r->codecbench_version = dup_member(v->worker, "codecbench_version");
    r->ffmpeg_versions = dup_member(v->worker, "ffmpeg_versions");
    r->encoder_version = dup_member(v->worker, "encoder_version");
    r->machine = strdup(machine);
    if (!r->codec || !r->recipe_hash || !r->clip_id || !r->input || !r->machine)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (!r->codecbench_version || !r->ffmpeg_versions || !r->encoder_version)
        return cb_error_set(err, CB_EFORMAT, "%s: codecbench_version, ffmpeg_versions and "
                                             "encoder_version must be strings",
                            wp);
    r->points = calloc((size_t)v->n_points, sizeof *r->points);
    if (!r->points)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    r->n_points = (size_t)v->n_points;
    return CB_OK;
}

static int provenance(Verifier *v, CbError *err)
{
    char text[PROVENANCE_MAX];
    char decoder[512];
    if (v->has_stage)
        snprintf(decoder, sizeof decoder, "the codecbench engine's decoder (codecbench %s) with "
                 "the run's %s stage %.16s... in a sandboxed decoding host that got only the "
                 "stream, every frame checked equal to the encoder's reconstruction (SHA-256 per "
                 "frame); the frames were measured by the verifier, which never loads stage code",
                 PACKAGE_VERSION, cb_stage_kind_name((int)v->stage.kind), v->stage.hash_hex);
    else if (v->recipe.codec == CB_CODEC_ENGINE)
        snprintf(decoder, sizeof decoder, "the codecbench engine's decoder (codecbench %s), "
                 "every frame checked equal to the encoder's reconstruction (SHA-256 per frame)",
                 PACKAGE_VERSION);
    else
        snprintf(decoder, sizeof decoder, "libavcodec through the '%s' demuxer, flushed (%s)",
                 cb_baseline_format(v->recipe.baseline.encoder), cb_media_ffmpeg_versions());
    int n = snprintf(
        text, sizeof text,
        "Measured by a separate verification process on every frame decoded from the stored "
        "bitstream by %s, against frames %lld..%lld of the input. PSNR per plane is 10 "
        "log10(255^2/MSE), capped at 100 dB; PSNR-YUV is (6Y+U+V)/8 (JVET), not FFmpeg's "
        "pixel-count weighting; psnr_mean is the mean of per-frame PSNR, psnr_global the PSNR "
        "of the mean MSE over frames. SSIM is computed as FFmpeg's ssim filter (4x4 sums in "
        "overlapping 8x8 windows, no Gaussian), planes weighted by pixel count, mean over "
        "frames. kbps = payload bytes (in-band headers included; container framing counted "
        "apart in container_bytes) * 8 / (frames / %d/%d fps, the input's rate) / 1000; bpp = "
        "payload bits / (frames * %dx%d). Per-frame bits: %s. Encode times by the worker "
        "around the encoder's calls only, decode times around the decoder's; CPU seconds are "
        "the process's (all threads).",
        decoder, (long long)v->run.first_frame,
        (long long)(v->run.first_frame + v->src.frames - 1), v->src.fps_num, v->src.fps_den,
        v->src.width, v->src.height,
        v->recipe.codec == CB_CODEC_ENGINE
            ? "packet sizes, the 64-byte sequence header counted in frame 0"
            : "the encoder's packets mapped to frames by timestamp (in-band headers in frame 0), "
              "checked to sum to the payload the decoder read");
    if (n < 0 || (size_t)n >= sizeof text)
        return cb_error_set(err, CB_ELIMIT, "provenance text too long");
    v->res.provenance = strdup(text);
    return v->res.provenance ? CB_OK : cb_error_set(err, CB_ENOMEM, "out of memory");
}

static int verify(Verifier *v, double t_start, CbError *err)
{
    int rc;
    if ((rc = rf_run_read(v->run_dir, &v->run, err)) < 0 ||
        (rc = rf_recipe_read(v->run_dir, &v->recipe, v->recipe_hash, err)) < 0)
        return rc;
    if (!(v->worker_path = cb_path_join(v->run_dir, "worker.json")) ||
        !(v->digests_path = cb_path_join(v->run_dir, "digests.json")))
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if ((rc = read_claims(v, err)) < 0 || (rc = read_stage(v, err)) < 0)
        return rc;
    if ((rc = wk_source_open(&v->src, v->run.input, v->run.first_frame, v->run.frames,
                             CB_WORKER_SOURCE_MEM_MAX, &v->log, err)) < 0)
        return rc;
    if ((rc = fill_header(v, err)) < 0 || (rc = provenance(v, err)) < 0)
        return rc;
    if ((rc = cb_metrics_ctx_new(&v->mctx, v->src.width, v->src.height, cb_metrics_cpu_flags())) <
        0)
        return cb_error_set(err, rc, "metrics: %s", cb_strerror(rc));
    for (int i = 0; i < v->n_points; i++)
        if ((rc = verify_point(v, i, err)) < 0)
            return rc;
    v->res.verify_wall_s = rf_wall_seconds() - t_start;
    char *path = cb_path_join(v->run_dir, "result.json");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    rc = cb_result_write(path, &v->res, err);
    free(path);
    return rc;
}

int cb_verify_run(const char *run_dir, const CbLogger *logger, CbError *err)
{
    double t_start = rf_wall_seconds();
    Verifier *v = calloc(1, sizeof *v);
    if (!v)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    v->run_dir = run_dir;
    int rc = rf_events_start(&v->ev, &v->log, run_dir, logger, err);
    if (rc < 0) {
        free(v);
        return rc;
    }
    rf_event(&v->ev, "verify", NULL);
    rc = verify(v, t_start, err);
    if (rc < 0)
        rf_event_error(&v->ev, "verify", rc, err);
    else
        rf_event(&v->ev, "verified", json_pack("{si}", "points", v->n_points));
    cb_result_free(&v->res);
    cb_metrics_ctx_free(&v->mctx);
    wk_source_close(&v->src);
    wk_stage_free(&v->stage);
    json_decref(v->worker);
    json_decref(v->digests);
    free(v->worker_path);
    free(v->digests_path);
    cb_recipe_free(&v->recipe);
    rf_run_free(&v->run);
    rf_events_close(&v->ev);
    free(v);
    return rc;
}

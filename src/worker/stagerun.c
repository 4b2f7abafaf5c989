/* codecbench: judging a run's stage through the sandboxed stage host (see
 * worker/stagerun.h).  The worker's and the verifier's address spaces
 * never hold stage code: there is no dlopen in src/worker/, every call of
 * the stage is made by a `codecbench stage-host` process. */
#include "worker/stagerun.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/fsutil.h"
#include "codecbench/media.h"

/* ---- limits ----------------------------------------------------------------- */

/* A whole number min..max from the environment variable var, or def (with
 * a warning when it is set but not one). */
static long long env_limit(const char *var, long long min, long long max, long long def,
                           RfEvents *ev)
{
    const char *s = getenv(var);
    if (!s || !*s)
        return def;
    char *end = (char *)s;
    long long v = 0;
    errno = 0;
    /* Digits only: strtoll alone would take leading blanks and a sign. */
    if (*s >= '0' && *s <= '9')
        v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        if (ev)
            rf_log(ev, CB_LOG_WARN, "%s='%.32s' is not a whole number %lld..%lld; using %lld", var,
                   s, min, max, def);
        return def;
    }
    return v;
}

void wk_stage_limits(CbStageLimits *lim, RfEvents *ev)
{
    memset(lim, 0, sizeof *lim);
    /* Ranges as the config settings' (src/config/settings.c): a day at most
     * per answer and of CPU, 64 MiB (the host's own needs with a CIF
     * frame) to 1 TiB of data. */
    lim->wall_s =
        (double)env_limit("CODECBENCH_STAGE_TIMEOUT", 1, 86400, WK_STAGE_TIMEOUT_DEFAULT, ev);
    lim->cpu_s = (int)env_limit("CODECBENCH_STAGE_CPU_LIMIT", 1, 86400, WK_STAGE_CPU_DEFAULT, ev);
    lim->data_mib =
        env_limit("CODECBENCH_STAGE_MEMORY_LIMIT", 64, 1048576, WK_STAGE_MEMORY_DEFAULT, ev);
    lim->stack_mib = 0; /* the host's default (8 MiB) */
}

/* ---- the stage of a run ------------------------------------------------------ */

int wk_stage_init(WkStage *st, const char *run_dir, const CbRecipe *r, RfEvents *ev, CbError *err)
{
    memset(st, 0, sizeof *st);
    if (r->stage_kind == CB_STAGE_NONE || !r->stage_code)
        return cb_error_set(err, CB_EINVAL, "recipe.json: no stage");
    st->kind = r->stage_kind;
    size_t len = strlen(r->stage_code);
    cb_stage_hash(r->stage_code, len, st->hash);
    cb_stage_hash_hex(r->stage_code, len, st->hash_hex);
    wk_stage_limits(&st->lim, ev);
    if (!(st->object = cb_path_join(run_dir, "stage.so")))
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    return CB_OK;
}

void wk_stage_free(WkStage *st)
{
    if (!st)
        return;
    free(st->object);
    st->object = NULL;
}

int wk_file_sha256(const char *path, char hex[65], CbError *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = cb_file_read(path, (size_t)64 << 20, &data, &len, err);
    if (rc < 0)
        return rc;
    cb_recipe_sha256_hex(data, len, hex);
    free(data);
    return CB_OK;
}

int wk_stage_build(const WkStage *st, const char *run_dir, const CbRecipe *r, CbError *err)
{
    char *src_path = cb_path_join(run_dir, "stage.c");
    char *diag_path = cb_path_join(run_dir, "stage-build.txt");
    char *diag = NULL;
    int rc;
    if (!src_path || !diag_path) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto out;
    }
    size_t len = strlen(r->stage_code);
    if ((rc = cb_file_write_atomic(src_path, r->stage_code, len, err)) < 0)
        goto out;
    CbStageBuildOptions opt = {0};
    CbError berr;
    cb_error_clear(&berr);
    rc = cb_stage_build(st->kind, r->stage_code, len, st->object, &opt, &diag, &berr);
    /* The diagnostics are kept whatever the outcome (warnings of a good
     * build too); failing to keep them must not hide the build's reason. */
    CbError werr;
    int wrc = cb_file_write_atomic(diag_path, diag ? diag : "", diag ? strlen(diag) : 0, &werr);
    if (rc < 0) {
        if (err)
            *err = berr;
        goto out;
    }
    if (wrc < 0) {
        if (err)
            *err = werr;
        rc = wrc;
        goto out;
    }
    rc = cb_dir_sync(run_dir, err);
out:
    free(diag);
    free(src_path);
    free(diag_path);
    return rc;
}

/* ---- encoding through a host ---------------------------------------------------- */

int wk_stage_encode(const WkStage *st, const CbEngineSettings *settings, WkSource *src, int qp,
                    int64_t frames, const WkStageSink *sink, double *cpu_s, double *wall_s,
                    CbError *err)
{
    CbStageHost *h = NULL;
    uint8_t hdr[CB_ENGINE_HEADER_BYTES];
    double wall = 0;
    int rc;
    double t0 = rf_wall_seconds();
    rc = cb_stage_host_start(&h, 0, st->object, st->kind, st->hash, &st->lim, err);
    if (rc == CB_OK)
        rc = cb_stage_host_encoder(h, settings, qp, src->width, src->height, src->fps_num,
                                   src->fps_den, hdr, err);
    wall += rf_wall_seconds() - t0;
    if (rc < 0)
        goto out;
    if (sink->header && (rc = sink->header(sink->ud, hdr, err)) < 0)
        goto out;
    if ((rc = wk_source_rewind(src, err)) < 0)
        goto out;
    for (int64_t n = 0;; n++) {
        const CbFrame *f = NULL;
        int more = frames < 0 || n < frames;
        if (more) {
            if ((rc = wk_source_next(src, &f, err)) < 0)
                goto out;
            more = rc == 1;
        }
        /* After the last frame, NULL flushes the GOP still buffered. */
        t0 = rf_wall_seconds();
        rc = cb_stage_host_encode(h, more ? f : NULL, sink->packet, sink->ud, err);
        wall += rf_wall_seconds() - t0;
        if (rc < 0)
            goto out;
        if (!more)
            break;
    }
    rc = CB_OK;
out:
    if (cpu_s)
        *cpu_s = h ? cb_stage_host_cpu_seconds(h) : 0;
    if (wall_s)
        *wall_s = wall;
    cb_stage_host_free(&h);
    return rc;
}

/* ---- the ladder's checks ------------------------------------------------------ */

/* The packets of a short encode, kept to be decoded by another host. */
typedef struct Clip {
    uint8_t header[CB_ENGINE_HEADER_BYTES];
    int64_t max, n;
    uint8_t **data;
    size_t *size;
    char (*digest)[65];
} Clip;

static int clip_header(void *ud, const uint8_t *hdr, CbError *err)
{
    (void)err;
    Clip *c = ud;
    memcpy(c->header, hdr, sizeof c->header);
    return CB_OK;
}

static int clip_packet(void *ud, const CbStagePacket *p, CbError *err)
{
    Clip *c = ud;
    if (c->n >= c->max)
        return cb_error_set(err, CB_EMISMATCH,
                            "the encoding host gave more than the %lld frames "
                            "sent",
                            (long long)c->max);
    if (p->size > CB_ENGINE_PACKET_MAX)
        return cb_error_set(err, CB_ELIMIT, "packet %lld: %zu bytes (limit %u)", (long long)c->n,
                            p->size, CB_ENGINE_PACKET_MAX);
    if (!(c->data[c->n] = malloc(p->size ? p->size : 1)))
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    memcpy(c->data[c->n], p->data, p->size);
    c->size[c->n] = p->size;
    memcpy(c->digest[c->n], p->digest, sizeof c->digest[c->n]);
    c->digest[c->n][64] = '\0';
    c->n++;
    return CB_OK;
}

int wk_stage_check_clip(const WkStage *st, const CbEngineSettings *settings, WkSource *src, int qp,
                        int64_t frames, CbError *err)
{
    Clip c = {.max = frames};
    CbStageHost *h = NULL;
    int rc;
    if (frames < 1 || frames > src->frames)
        return cb_error_set(err, CB_EINVAL, "%lld frames to check, the clip has %lld",
                            (long long)frames, (long long)src->frames);
    c.data = calloc((size_t)frames, sizeof *c.data);
    c.size = calloc((size_t)frames, sizeof *c.size);
    c.digest = calloc((size_t)frames, sizeof *c.digest);
    if (!c.data || !c.size || !c.digest) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto out;
    }
    WkStageSink sink = {clip_header, clip_packet, &c};
    if ((rc = wk_stage_encode(st, settings, src, qp, frames, &sink, NULL, NULL, err)) < 0)
        goto out;
    if (c.n != frames) {
        rc = cb_error_set(err, CB_EMISMATCH, "the encoding host gave %lld frames of %lld sent",
                          (long long)c.n, (long long)frames);
        goto out;
    }
    /* A fresh process decodes: it never saw a source frame, and shares no
     * memory with the encoding host. */
    CbStreamInfo info;
    if ((rc = cb_stage_host_start(&h, 1, st->object, st->kind, st->hash, &st->lim, err)) < 0 ||
        (rc = cb_stage_host_decoder(h, c.header, sizeof c.header, &info, err)) < 0)
        goto out;
    if (info.width != src->width || info.height != src->height) {
        rc = cb_error_set(err, CB_EMISMATCH, "the stream is %dx%d, the clip %dx%d", info.width,
                          info.height, src->width, src->height);
        goto out;
    }
    for (int64_t n = 0; n < c.n; n++) {
        CbFrame f;
        int type;
        char hex[CB_CLIP_ID_HEX];
        if ((rc = cb_stage_host_decode(h, c.data[n], c.size[n], &f, &type, err)) < 0) {
            cb_error_prefix(err, "decoding frame %lld", (long long)n);
            goto out;
        }
        if ((rc = cb_frame_digest(&f, hex)) < 0) {
            rc = cb_error_set(err, rc, "frame %lld: digest: %s", (long long)n, cb_strerror(rc));
            goto out;
        }
        if (strcmp(hex, c.digest[n]) != 0) {
            rc = cb_error_set(err, CB_EMISMATCH,
                              "decoder mismatch: frame %lld decodes differently from the "
                              "encoder's reconstruction",
                              (long long)n);
            goto out;
        }
    }
    rc = CB_OK;
out:
    cb_stage_host_free(&h);
    for (int64_t n = 0; c.data && n < c.n; n++)
        free(c.data[n]);
    free(c.data);
    free(c.size);
    free(c.digest);
    return rc;
}

/* codecbench: results in the store: importing a verified result (clip,
 * rate points, per-frame rows, summary columns, BD figures), reading it
 * back, and the experiment's anchor. */
#include "store/store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/metrics.h"
#include "codecbench/recipe.h"

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

int cb_store_result_sane(const CbRunResult *r, CbError *err)
{
    if (!r)
        return cb_error_set(err, CB_EINVAL, "result: none given");
    if (r->format != CB_RESULT_FORMAT)
        return cb_error_set(err, CB_ENOTSUP, "result: format %d, this build imports %d",
                            r->format, CB_RESULT_FORMAT);
    if (!r->codec || !r->recipe_hash || !r->clip_id || !r->input || !*r->clip_id)
        return cb_error_set(err, CB_EINVAL, "result: codec, recipe hash, clip id or input missing");
    if (r->n_points < 1 || r->n_points > CB_RESULT_MAX_POINTS || !r->points)
        return cb_error_set(err, CB_EINVAL, "result: %zu rate points (1 to %d allowed)",
                            r->n_points, CB_RESULT_MAX_POINTS);
    if (r->frames < 1 || r->frames > CB_RESULT_MAX_FRAMES || r->first_frame < 0)
        return cb_error_set(err, CB_EINVAL, "result: %lld frames from %lld", (long long)r->frames,
                            (long long)r->first_frame);
    if (r->width < 1 || r->height < 1 || r->fps_num < 1 || r->fps_den < 1)
        return cb_error_set(err, CB_EINVAL, "result: size %dx%d or frame rate %d/%d", r->width,
                            r->height, r->fps_num, r->fps_den);
    if (!isfinite(r->verify_wall_s))
        return cb_error_set(err, CB_EINVAL, "result: verify_wall_s is not finite");
    for (size_t i = 0; i < r->n_points; i++) {
        const CbPointResult *p = &r->points[i];
        double v[] = {p->kbps,          p->bpp,           p->psnr_mean[0],  p->psnr_mean[1],
                      p->psnr_mean[2],  p->psnr_yuv_mean, p->psnr_global[0], p->psnr_global[1],
                      p->psnr_global[2], p->psnr_yuv_global, p->ssim_mean,  p->encode_cpu_s,
                      p->encode_wall_s, p->encode_fps,    p->decode_cpu_s,  p->decode_wall_s,
                      p->decode_fps};
        if (!all_finite(v, sizeof v / sizeof v[0]))
            return cb_error_set(err, CB_EINVAL, "result: point %zu: a value is not finite", i);
        if (p->frames != r->frames || !p->rows)
            return cb_error_set(err, CB_EINVAL, "result: point %zu: %lld frames, the run has %lld",
                                i, (long long)p->frames, (long long)r->frames);
        if (!p->stream_file || !*p->stream_file || strchr(p->stream_file, '/'))
            return cb_error_set(err, CB_EINVAL, "result: point %zu: bad stream file name", i);
        if (p->kbps <= 0 || p->payload_bytes < 0 || p->container_bytes < 0 || p->concurrency < 1)
            return cb_error_set(err, CB_EINVAL,
                                "result: point %zu: kbps, bytes or concurrency out of range", i);
        for (int64_t k = 0; k < p->frames; k++) {
            const CbFrameRow *f = &p->rows[k];
            if (!all_finite(f->psnr, 3) || !all_finite(f->mse, 3) || !isfinite(f->ssim) ||
                f->bits < 0)
                return cb_error_set(err, CB_EINVAL,
                                    "result: point %zu, frame %lld: a value is not finite or "
                                    "negative",
                                    i, (long long)k);
            if (f->type != 'I' && f->type != 'P' && f->type != 'B' && f->type != '?')
                return cb_error_set(err, CB_EINVAL,
                                    "result: point %zu, frame %lld: frame type is not I, P, B or ?",
                                    i, (long long)k);
        }
    }
    return CB_OK;
}

static int step_done(CbStore *s, sqlite3_stmt *st, const char *what, CbError *err)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? CB_OK : cb_store_sql_error(s, s->db, what, err);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int clip_row(CbStore *s, const CbRunResult *r, int64_t *clip, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "INSERT INTO clips(identity, width, height, fps_num, fps_den, "
                              "frames, input, first_frame) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                              "?8) ON CONFLICT(identity) DO NOTHING",
                              &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, r->clip_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, r->width);
    sqlite3_bind_int(st, 3, r->height);
    sqlite3_bind_int(st, 4, r->fps_num);
    sqlite3_bind_int(st, 5, r->fps_den);
    sqlite3_bind_int64(st, 6, r->frames);
    sqlite3_bind_text(st, 7, r->input, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r->first_frame);
    rc = step_done(s, st, "adding a clip", err);
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    rc = cb_store_prepare(s, "SELECT id FROM clips WHERE identity = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, r->clip_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        *clip = sqlite3_column_int64(st, 0);
    else
        rc = cb_store_sql_error(s, s->db, "reading a clip", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_store_result_insert(CbStore *s, int64_t id, const CbRunResult *r, CbError *err)
{
    sqlite3_stmt *pst = NULL, *fst = NULL, *st = NULL;
    int64_t clip = 0;
    int rc = clip_row(s, r, &clip, err);
    if (rc < 0)
        return rc;
    /* A re-import replaces what an earlier one left. */
    rc = cb_store_prepare(s, "DELETE FROM points WHERE run_id = ?1", &st, err);
    if (rc == CB_OK) {
        sqlite3_bind_int64(st, 1, id);
        rc = step_done(s, st, "replacing rate points", err);
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == CB_OK)
        rc = cb_store_prepare(s, "DELETE FROM frames WHERE run_id = ?1", &st, err);
    if (rc == CB_OK) {
        sqlite3_bind_int64(st, 1, id);
        rc = step_done(s, st, "replacing frames", err);
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == CB_OK)
        rc = cb_store_prepare(
            s,
            "INSERT INTO points(run_id, idx, rate_value, stream_file, payload_bytes, "
            "container_bytes, frames, kbps, bpp, psnr_y, psnr_u, psnr_v, psnr_yuv, gpsnr_y, "
            "gpsnr_u, gpsnr_v, gpsnr_yuv, ssim, encode_cpu_s, encode_wall_s, encode_fps, "
            "decode_cpu_s, decode_wall_s, decode_fps, concurrency, peak_rss_kib) VALUES (?1, ?2, "
            "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
            "?21, ?22, ?23, ?24, ?25, ?26)",
            &pst, err);
    if (rc == CB_OK)
        rc = cb_store_prepare(s,
                              "INSERT INTO frames(run_id, point, n, bits, type, psnr_y, psnr_u, "
                              "psnr_v, mse_y, mse_u, mse_v, ssim) VALUES (?1, ?2, ?3, ?4, ?5, "
                              "?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                              &fst, err);
    double kmin = INFINITY, kmax = -INFINITY, pmin = INFINITY, pmax = -INFINITY, fps = 0;
    for (size_t i = 0; rc == CB_OK && i < r->n_points; i++) {
        const CbPointResult *p = &r->points[i];
        int k = 1;
        sqlite3_bind_int64(pst, k++, id);
        sqlite3_bind_int(pst, k++, (int)i);
        sqlite3_bind_int(pst, k++, p->rate_value);
        sqlite3_bind_text(pst, k++, p->stream_file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(pst, k++, p->payload_bytes);
        sqlite3_bind_int64(pst, k++, p->container_bytes);
        sqlite3_bind_int64(pst, k++, p->frames);
        const double v[] = {p->kbps,           p->bpp,           p->psnr_mean[0],
                            p->psnr_mean[1],   p->psnr_mean[2],  p->psnr_yuv_mean,
                            p->psnr_global[0], p->psnr_global[1], p->psnr_global[2],
                            p->psnr_yuv_global, p->ssim_mean,    p->encode_cpu_s,
                            p->encode_wall_s,  p->encode_fps,    p->decode_cpu_s,
                            p->decode_wall_s,  p->decode_fps};
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++)
            sqlite3_bind_double(pst, k++, v[j]);
        sqlite3_bind_int(pst, k++, p->concurrency);
        sqlite3_bind_int64(pst, k++, p->peak_rss_kib);
        rc = step_done(s, pst, "adding a rate point", err);
        for (int64_t n = 0; rc == CB_OK && n < p->frames; n++) {
            const CbFrameRow *f = &p->rows[n];
            char type[2] = {f->type, '\0'};
            sqlite3_bind_int64(fst, 1, id);
            sqlite3_bind_int(fst, 2, (int)i);
            sqlite3_bind_int64(fst, 3, n);
            sqlite3_bind_int64(fst, 4, f->bits);
            sqlite3_bind_text(fst, 5, type, 1, SQLITE_TRANSIENT);
            sqlite3_bind_double(fst, 6, f->psnr[0]);
            sqlite3_bind_double(fst, 7, f->psnr[1]);
            sqlite3_bind_double(fst, 8, f->psnr[2]);
            sqlite3_bind_double(fst, 9, f->mse[0]);
            sqlite3_bind_double(fst, 10, f->mse[1]);
            sqlite3_bind_double(fst, 11, f->mse[2]);
            sqlite3_bind_double(fst, 12, f->ssim);
            rc = step_done(s, fst, "adding a frame", err);
        }
        kmin = fmin(kmin, p->kbps);
        kmax = fmax(kmax, p->kbps);
        pmin = fmin(pmin, p->psnr_mean[0]);
        pmax = fmax(pmax, p->psnr_mean[0]);
        fps += p->encode_fps / (double)r->n_points;
    }
    if (rc == CB_OK)
        rc = cb_store_prepare(
            s,
            "UPDATE runs SET clip = ?2, width = ?3, height = ?4, fps_num = ?5, fps_den = ?6, "
            "first_frame = ?7, frames = ?8, n_points = ?9, kbps_min = ?10, kbps_max = ?11, "
            "psnr_y_min = ?12, psnr_y_max = ?13, encode_fps = ?14, codecbench_version = ?15, "
            "ffmpeg_versions = ?16, encoder_version = ?17, machine = ?18, provenance = ?19, "
            "verify_wall_s = ?20 WHERE id = ?1",
            &st, err);
    if (rc == CB_OK) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, clip);
        sqlite3_bind_int(st, 3, r->width);
        sqlite3_bind_int(st, 4, r->height);
        sqlite3_bind_int(st, 5, r->fps_num);
        sqlite3_bind_int(st, 6, r->fps_den);
        sqlite3_bind_int64(st, 7, r->first_frame);
        sqlite3_bind_int64(st, 8, r->frames);
        sqlite3_bind_int(st, 9, (int)r->n_points);
        sqlite3_bind_double(st, 10, kmin);
        sqlite3_bind_double(st, 11, kmax);
        sqlite3_bind_double(st, 12, pmin);
        sqlite3_bind_double(st, 13, pmax);
        sqlite3_bind_double(st, 14, fps);
        sqlite3_bind_text(st, 15, r->codecbench_version, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 16, r->ffmpeg_versions, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 17, r->encoder_version, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 18, r->machine, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 19, r->provenance, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 20, r->verify_wall_s);
        rc = step_done(s, st, "updating a run's summary", err);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(pst);
    sqlite3_finalize(fst);
    return rc;
}

/* ---- BD figures ---------------------------------------------------------- */

/* (kbps, mean PSNR-Y) of a run's rate points; *n = 0 when it has more than
 * CB_BD_MAX_POINTS (it cannot, CB_RESULT_MAX_POINTS is smaller). */
static int rd_points(CbStore *s, int64_t id, CbRdPoint pts[CB_BD_MAX_POINTS], size_t *n,
                     CbError *err)
{
    sqlite3_stmt *st = NULL;
    *n = 0;
    int rc = cb_store_prepare(s, "SELECT kbps, psnr_y FROM points WHERE run_id = ?1 ORDER BY idx",
                              &st, err),
        step;
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < CB_BD_MAX_POINTS) {
        pts[*n].kbps = sqlite3_column_double(st, 0);
        pts[*n].psnr = sqlite3_column_double(st, 1);
        (*n)++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = cb_store_sql_error(s, s->db, "reading rate points", err);
    sqlite3_finalize(st);
    return rc;
}

/* The BD figures of one done run against the anchor run on its clip. */
static int bd_run(CbStore *s, int64_t id, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int64_t anchor = 0;
    int rc = cb_store_prepare(
        s,
        "SELECT a.id FROM runs r JOIN experiments e ON e.id = r.experiment_id JOIN runs a ON "
        "a.experiment_id = r.experiment_id AND a.clip = r.clip AND a.recipe_hash = e.anchor_hash "
        "AND a.status = 3 WHERE r.id = ?1 ORDER BY a.finished DESC, a.id DESC LIMIT 1",
        &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        anchor = sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE)
        rc = cb_store_sql_error(s, s->db, "finding the anchor run", err);
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    double bd_rate = NAN, bd_psnr = NAN;
    if (anchor) {
        CbRdPoint a[CB_BD_MAX_POINTS], t[CB_BD_MAX_POINTS];
        size_t na, nt;
        rc = rd_points(s, anchor, a, &na, err);
        if (rc == CB_OK)
            rc = rd_points(s, id, t, &nt, err);
        if (rc < 0)
            return rc;
        CbBdResult bd;
        /* Curves BD cannot be taken on (too few points, not monotonic, no
         * overlap) leave the figures unknown; that is not an import error. */
        if (cb_bd_compute(a, na, t, nt, &bd, NULL) == CB_OK) {
            bd_rate = bd.bd_rate_pct;
            bd_psnr = bd.bd_psnr_db;
        }
    }
    rc = cb_store_prepare(s, "UPDATE runs SET bd_rate = ?2, bd_psnr = ?3, anchor_run = ?4 WHERE "
                             "id = ?1",
                          &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    cb_store_bind_real(st, 2, bd_rate);
    cb_store_bind_real(st, 3, bd_psnr);
    sqlite3_bind_int64(st, 4, anchor);
    rc = step_done(s, st, "storing BD figures", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_store_bd_refresh(CbStore *s, int64_t exp_id, const char *clip_id, CbError *err)
{
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "SELECT r.id FROM runs r LEFT JOIN clips c ON c.id = r.clip WHERE "
                              "r.experiment_id = ?1 AND r.status = 3 AND (?2 IS NULL OR "
                              "c.identity = ?2) ORDER BY r.id",
                              &st, err),
        step;
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, exp_id);
    if (clip_id)
        sqlite3_bind_text(st, 2, clip_id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *g = realloc(ids, cap * sizeof *ids);
            if (!g) {
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                goto done;
            }
            ids = g;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE) {
        rc = cb_store_sql_error(s, s->db, "reading runs", err);
        goto done;
    }
    for (size_t i = 0; i < n && rc == CB_OK; i++)
        rc = bd_run(s, ids[i], err);
done:
    sqlite3_finalize(st);
    free(ids);
    return rc;
}

/* ---- import -------------------------------------------------------------- */

int cb_store_result_fits(const CbRunResult *r, const char *run_hash, CbError *err)
{
    int rc = cb_store_result_sane(r, err);
    if (rc < 0)
        return rc;
    if (strcmp(run_hash, r->recipe_hash) != 0)
        return cb_error_set(err, CB_EMISMATCH,
                            "the result's recipe hash %.16s... is not the run's %.16s...",
                            r->recipe_hash, run_hash);
    return CB_OK;
}

int cb_store_import_result(CbStore *s, int64_t id, const CbRunResult *r, CbError *err)
{
    if (!r)
        return cb_error_set(err, CB_EINVAL, "run %lld: result: none given", (long long)id);
    int rc = cb_store_begin(s, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = cb_store_prepare(s,
                          "SELECT r.status, r.recipe_hash, r.experiment_id, "
                          "r.recipe_hash = e.anchor_hash FROM runs r JOIN experiments e ON e.id "
                          "= r.experiment_id WHERE r.id = ?1",
                          &st, err);
    if (rc < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = cb_store_step_run(s, st, id, "reading a run", err)) < 0)
        goto fail;
    CbRunStatus from = (CbRunStatus)sqlite3_column_int(st, 0);
    int64_t exp_id = sqlite3_column_int64(st, 2);
    int is_anchor = sqlite3_column_int(st, 3);
    if (from != CB_RUN_RUNNING && from != CB_RUN_VERIFYING) {
        rc = cb_error_set(err, CB_EINVAL, "run %lld is %s: only a running or verifying run can "
                                          "be imported",
                          (long long)id, cb_run_status_name(from));
        goto fail;
    }
    if ((rc = cb_store_result_fits(r, (const char *)sqlite3_column_text(st, 1), err)) < 0) {
        cb_error_prefix(err, "run %lld", (long long)id);
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = cb_store_result_insert(s, id, r, err);
    if (rc < 0)
        goto fail;
    rc = cb_store_prepare(s,
                          "UPDATE runs SET status = 3, reason = NULL, pid = 0, finished = ?2 "
                          "WHERE id = ?1",
                          &st, err);
    if (rc < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_double(st, 2, cb_store_now());
    rc = step_done(s, st, "marking a run done", err);
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0)
        goto fail;
    /* A new anchor run changes the figures of every run on its clip;
     * any other run only its own. */
    rc = is_anchor ? cb_store_bd_refresh(s, exp_id, r->clip_id, err) : bd_run(s, id, err);
    if (rc == CB_OK)
        rc = cb_store_write_status_file(s, id, err);
    if (rc < 0)
        goto fail;
    return cb_store_commit(s, err);
fail:
    sqlite3_finalize(st);
    cb_store_rollback(s);
    return rc;
}

/* ---- reading results ----------------------------------------------------- */

static int load_frames(CbStore *s, int64_t id, CbRunResult *r, CbError *err)
{
    for (size_t i = 0; i < r->n_points; i++) {
        r->points[i].rows = calloc((size_t)r->points[i].frames, sizeof(CbFrameRow));
        if (!r->points[i].rows && r->points[i].frames > 0)
            return cb_error_set(err, CB_ENOMEM, "run %lld: out of memory", (long long)id);
    }
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "SELECT point, n, bits, type, psnr_y, psnr_u, psnr_v, mse_y, mse_u, "
                              "mse_v, ssim FROM frames WHERE run_id = ?1 ORDER BY point, n",
                              &st, err),
        step;
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    size_t got = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t p = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
        if (p < 0 || (size_t)p >= r->n_points || n < 0 || n >= r->points[p].frames) {
            rc = cb_error_set(err, CB_EFORMAT, "%s: run %lld: frame row (%lld, %lld) out of range",
                              s->db_path, (long long)id, (long long)p, (long long)n);
            goto done;
        }
        CbFrameRow *f = &r->points[p].rows[n];
        const unsigned char *t = sqlite3_column_text(st, 3);
        f->bits = sqlite3_column_int64(st, 2);
        f->type = t ? (char)t[0] : '?';
        f->psnr[0] = sqlite3_column_double(st, 4);
        f->psnr[1] = sqlite3_column_double(st, 5);
        f->psnr[2] = sqlite3_column_double(st, 6);
        f->mse[0] = sqlite3_column_double(st, 7);
        f->mse[1] = sqlite3_column_double(st, 8);
        f->mse[2] = sqlite3_column_double(st, 9);
        f->ssim = sqlite3_column_double(st, 10);
        got++;
    }
    if (step != SQLITE_DONE) {
        rc = cb_store_sql_error(s, s->db, "reading frames", err);
        goto done;
    }
    size_t want = 0;
    for (size_t i = 0; i < r->n_points; i++)
        want += (size_t)r->points[i].frames;
    if (got != want)
        rc = cb_error_set(err, CB_EFORMAT, "%s: run %lld has %zu frame rows, %zu expected",
                          s->db_path, (long long)id, got, want);
done:
    sqlite3_finalize(st);
    return rc;
}

int cb_store_get_result(CbStore *s, int64_t id, int with_frames, CbRunResult *out, CbError *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    int oom = 0;
    int rc = cb_store_prepare(
        s,
        "SELECT r.status, r.codec, r.recipe_hash, c.identity, r.input, r.first_frame, r.frames, "
        "r.width, r.height, r.fps_num, r.fps_den, r.codecbench_version, r.ffmpeg_versions, "
        "r.encoder_version, r.machine, r.provenance, r.verify_wall_s, r.n_points FROM runs r "
        "LEFT JOIN clips c ON c.id = r.clip WHERE r.id = ?1",
        &st, err),
        step;
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = cb_store_step_run(s, st, id, "reading a run", err)) < 0)
        goto fail;
    CbRunStatus status = (CbRunStatus)sqlite3_column_int(st, 0);
    if (status != CB_RUN_DONE) {
        rc = cb_error_set(err, CB_ENOENT, "run %lld has no result (it is %s)", (long long)id,
                          cb_run_status_name(status));
        goto fail;
    }
    out->format = CB_RESULT_FORMAT;
    out->codec = cb_store_col_text(st, 1, &oom);
    out->recipe_hash = cb_store_col_text(st, 2, &oom);
    out->clip_id = cb_store_col_text(st, 3, &oom);
    out->input = cb_store_col_text(st, 4, &oom);
    out->first_frame = sqlite3_column_int64(st, 5);
    out->frames = sqlite3_column_int64(st, 6);
    out->width = sqlite3_column_int(st, 7);
    out->height = sqlite3_column_int(st, 8);
    out->fps_num = sqlite3_column_int(st, 9);
    out->fps_den = sqlite3_column_int(st, 10);
    out->codecbench_version = cb_store_col_text(st, 11, &oom);
    out->ffmpeg_versions = cb_store_col_text(st, 12, &oom);
    out->encoder_version = cb_store_col_text(st, 13, &oom);
    out->machine = cb_store_col_text(st, 14, &oom);
    out->provenance = cb_store_col_text(st, 15, &oom);
    out->verify_wall_s = cb_store_col_real(st, 16);
    int np = sqlite3_column_int(st, 17);
    sqlite3_finalize(st);
    st = NULL;
    if (np < 1 || np > CB_RESULT_MAX_POINTS) {
        rc = cb_error_set(err, CB_EFORMAT, "%s: run %lld: %d rate points", s->db_path,
                          (long long)id, np);
        goto fail;
    }
    out->points = calloc((size_t)np, sizeof *out->points);
    if (oom || !out->points) {
        rc = cb_error_set(err, CB_ENOMEM, "run %lld: out of memory", (long long)id);
        goto fail;
    }
    out->n_points = (size_t)np;
    rc = cb_store_prepare(
        s,
        "SELECT idx, rate_value, stream_file, payload_bytes, container_bytes, frames, kbps, bpp, "
        "psnr_y, psnr_u, psnr_v, psnr_yuv, gpsnr_y, gpsnr_u, gpsnr_v, gpsnr_yuv, ssim, "
        "encode_cpu_s, encode_wall_s, encode_fps, decode_cpu_s, decode_wall_s, decode_fps, "
        "concurrency, peak_rss_kib FROM points WHERE run_id = ?1 ORDER BY idx",
        &st, err);
    if (rc < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    size_t got = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int idx = sqlite3_column_int(st, 0);
        if (idx < 0 || idx >= np) {
            rc = cb_error_set(err, CB_EFORMAT, "%s: run %lld: rate point %d of %d", s->db_path,
                              (long long)id, idx, np);
            goto fail;
        }
        CbPointResult *p = &out->points[idx];
        p->rate_value = sqlite3_column_int(st, 1);
        p->stream_file = cb_store_col_text(st, 2, &oom);
        p->payload_bytes = sqlite3_column_int64(st, 3);
        p->container_bytes = sqlite3_column_int64(st, 4);
        p->frames = sqlite3_column_int64(st, 5);
        p->kbps = sqlite3_column_double(st, 6);
        p->bpp = sqlite3_column_double(st, 7);
        for (int k = 0; k < 3; k++) {
            p->psnr_mean[k] = sqlite3_column_double(st, 8 + k);
            p->psnr_global[k] = sqlite3_column_double(st, 12 + k);
        }
        p->psnr_yuv_mean = sqlite3_column_double(st, 11);
        p->psnr_yuv_global = sqlite3_column_double(st, 15);
        p->ssim_mean = sqlite3_column_double(st, 16);
        p->encode_cpu_s = sqlite3_column_double(st, 17);
        p->encode_wall_s = sqlite3_column_double(st, 18);
        p->encode_fps = sqlite3_column_double(st, 19);
        p->decode_cpu_s = sqlite3_column_double(st, 20);
        p->decode_wall_s = sqlite3_column_double(st, 21);
        p->decode_fps = sqlite3_column_double(st, 22);
        p->concurrency = sqlite3_column_int(st, 23);
        p->peak_rss_kib = sqlite3_column_int64(st, 24);
        if (p->frames < 0 || p->frames > CB_RESULT_MAX_FRAMES) {
            rc = cb_error_set(err, CB_EFORMAT, "%s: run %lld: %lld frames", s->db_path,
                              (long long)id, (long long)p->frames);
            goto fail;
        }
        got++;
    }
    if (step != SQLITE_DONE) {
        rc = cb_store_sql_error(s, s->db, "reading rate points", err);
        goto fail;
    }
    if (oom || got != out->n_points) {
        rc = oom ? cb_error_set(err, CB_ENOMEM, "out of memory")
                 : cb_error_set(err, CB_EFORMAT, "%s: run %lld: %zu of %zu rate points",
                                s->db_path, (long long)id, got, out->n_points);
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (with_frames) {
        rc = load_frames(s, id, out, err);
        if (rc < 0)
            goto fail;
    }
    return CB_OK;
fail:
    sqlite3_finalize(st);
    cb_result_free(out);
    return rc;
}

/* ---- anchors ------------------------------------------------------------- */

int cb_store_set_anchor(CbStore *s, const char *experiment, const char *recipe_json,
                        const char *recipe_source, CbError *err)
{
    CbRecipe recipe = {0};
    char hash[CB_RECIPE_HASH_HEX];
    char *path = NULL, *edir = NULL;
    sqlite3_stmt *st = NULL;
    int64_t exp_id = 0;
    int rc = cb_store_check_experiment_name(experiment, err);
    if (rc < 0)
        return rc;
    if (!recipe_json)
        return cb_error_set(err, CB_EINVAL, "anchor of %s: no recipe", experiment);
    rc = cb_store_writable(s, err);
    if (rc < 0)
        return rc;
    rc = cb_recipe_parse(recipe_json, strlen(recipe_json), recipe_source, &recipe, err);
    if (rc < 0)
        return rc;
    rc = cb_recipe_hash(&recipe, hash);
    if (rc < 0) {
        cb_recipe_free(&recipe);
        return cb_error_set(err, rc, "%s: cannot hash the recipe",
                            recipe_source ? recipe_source : "recipe");
    }
    rc = cb_store_begin(s, err);
    if (rc < 0)
        goto done;
    rc = cb_store_experiment_id(s, experiment, 1, &exp_id, err);
    if (rc < 0)
        goto fail;
    rc = cb_store_prepare(s,
                          "UPDATE experiments SET anchor_name = ?2, anchor_hash = ?3, "
                          "anchor_recipe = ?4 WHERE id = ?1",
                          &st, err);
    if (rc < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, exp_id);
    sqlite3_bind_text(st, 2, recipe.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, recipe_json, -1, SQLITE_STATIC);
    rc = step_done(s, st, "setting the anchor", err);
    if (rc < 0)
        goto fail;
    rc = cb_store_bd_refresh(s, exp_id, NULL, err);
    if (rc < 0)
        goto fail;
    edir = cb_path_join(s->dir, "experiments");
    CbError ignored;
    if (!edir || cb_store_mkdirs(edir, &ignored) < 0) {
        rc = edir ? cb_error_set(err, ignored.code, "%s", ignored.text)
                  : cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    size_t n = strlen(edir) + strlen(experiment) + 8;
    path = malloc(n);
    if (!path || snprintf(path, n, "%s/%s.json", edir, experiment) >= (int)n) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    rc = cb_file_write_atomic(path, recipe_json, strlen(recipe_json), err);
    if (rc < 0)
        goto fail;
    rc = cb_store_commit(s, err);
    goto done;
fail:
    cb_store_rollback(s);
done:
    sqlite3_finalize(st);
    cb_recipe_free(&recipe);
    free(path);
    free(edir);
    return rc;
}

void cb_recipe_bds_free(CbRecipeBd **rows, size_t n)
{
    if (!rows || !*rows)
        return;
    for (size_t i = 0; i < n; i++) {
        free((*rows)[i].recipe_name);
        free((*rows)[i].recipe_hash);
    }
    free(*rows);
    *rows = NULL;
}

int cb_store_experiment_bd(CbStore *s, const char *experiment, CbRecipeBd **rows, size_t *n,
                           CbError *err)
{
    *rows = NULL;
    *n = 0;
    int64_t exp_id;
    int rc = cb_store_experiment_id(s, experiment, 0, &exp_id, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = NULL;
    /* The newest done run of each recipe on each clip counts once. */
    rc = cb_store_prepare(s,
                          "SELECT recipe_hash, recipe_name, clip, bd_rate, bd_psnr FROM runs "
                          "WHERE experiment_id = ?1 AND status = 3 ORDER BY recipe_hash, clip, "
                          "finished DESC, id DESC",
                          &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, exp_id);
    CbRecipeBd *out = NULL;
    size_t count = 0, cap = 0;
    int64_t last_clip = -1;
    double sr = 0, sp = 0;
    int step, oom = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *hash = (const char *)sqlite3_column_text(st, 0);
        int64_t clip = sqlite3_column_int64(st, 2);
        if (!count || strcmp(out[count - 1].recipe_hash, hash) != 0) {
            if (count) {
                CbRecipeBd *b = &out[count - 1];
                b->bd_rate = b->clips ? sr / b->clips : NAN;
                b->bd_psnr = b->clips ? sp / b->clips : NAN;
            }
            if (count == cap) {
                cap = cap ? cap * 2 : 16;
                CbRecipeBd *g = realloc(out, cap * sizeof *out);
                if (!g) {
                    oom = 1;
                    break;
                }
                out = g;
            }
            CbRecipeBd *b = &out[count++];
            memset(b, 0, sizeof *b);
            b->recipe_hash = cb_store_col_text(st, 0, &oom);
            b->recipe_name = cb_store_col_text(st, 1, &oom);
            if (oom)
                break;
            last_clip = -1;
            sr = sp = 0;
        } else if (clip == last_clip) {
            continue;
        }
        last_clip = clip;
        if (sqlite3_column_type(st, 3) != SQLITE_NULL && sqlite3_column_type(st, 4) != SQLITE_NULL) {
            sr += sqlite3_column_double(st, 3);
            sp += sqlite3_column_double(st, 4);
            out[count - 1].clips++;
        }
    }
    if (count) {
        CbRecipeBd *b = &out[count - 1];
        b->bd_rate = b->clips ? sr / b->clips : NAN;
        b->bd_psnr = b->clips ? sp / b->clips : NAN;
    }
    if (oom)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    else if (step != SQLITE_DONE)
        rc = cb_store_sql_error(s, s->db, "reading BD figures", err);
    sqlite3_finalize(st);
    if (rc < 0) {
        cb_recipe_bds_free(&out, count);
        return rc;
    }
    *rows = out;
    *n = count;
    return CB_OK;
}

/* codecbench: runs: queueing (row and directory in one step), listing and
 * reading, and the runner's state changes. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "store/store_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/buf.h"
#include "codecbench/recipe.h"

/* ---- run directory files ------------------------------------------------- */

static json_t *json_real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static char *run_file(const CbStore *s, int64_t id, const char *name)
{
    char *dir = cb_store_run_dir(s, id);
    char *p = dir ? cb_path_join(dir, name) : NULL;
    free(dir);
    return p;
}

int cb_store_write_status_file(CbStore *s, int64_t id, CbError *err)
{
    sqlite3_stmt *st = NULL;
    json_t *j = NULL;
    char *path = NULL;
    int rc = cb_store_prepare(
        s, "SELECT status, reason, created, started, finished FROM runs WHERE id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = cb_store_sql_error(s, s->db, "reading a run", err);
        goto done;
    }
    const char *reason = (const char *)sqlite3_column_text(st, 1);
    j = json_pack("{s:i, s:s, s:o, s:o, s:o, s:o}", "format", CB_STORE_FILE_FORMAT, "status",
                  cb_run_status_name((CbRunStatus)sqlite3_column_int(st, 0)), "reason",
                  reason ? cb_store_json_text(reason) : json_null(), "created",
                  json_real_or_null(cb_store_col_real(st, 2)), "started",
                  json_real_or_null(cb_store_col_real(st, 3)), "finished",
                  json_real_or_null(cb_store_col_real(st, 4)));
    path = run_file(s, id, "status.json");
    if (!j || !path) {
        rc = cb_error_set(err, CB_ENOMEM, "status.json of run %lld: out of memory", (long long)id);
        goto done;
    }
    rc = cb_store_write_json(path, j, err);
done:
    sqlite3_finalize(st);
    json_decref(j);
    free(path);
    return rc;
}

int cb_store_write_annotations(CbStore *s, int64_t id, CbError *err)
{
    sqlite3_stmt *st = NULL;
    char *path = NULL;
    json_t *tags = json_array(), *notes = json_array(), *j = NULL;
    int rc = CB_OK, step;
    if (!tags || !notes)
        goto oom;
    rc = cb_store_prepare(s, "SELECT tag FROM tags WHERE run_id = ?1 ORDER BY tag", &st, err);
    if (rc < 0)
        goto done;
    sqlite3_bind_int64(st, 1, id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (json_array_append_new(tags, json_string((const char *)sqlite3_column_text(st, 0))))
            goto oom;
    if (step != SQLITE_DONE) {
        rc = cb_store_sql_error(s, s->db, "reading tags", err);
        goto done;
    }
    sqlite3_finalize(st);
    rc = cb_store_prepare(s, "SELECT created, text FROM notes WHERE run_id = ?1 ORDER BY id", &st,
                          err);
    if (rc < 0)
        goto done;
    sqlite3_bind_int64(st, 1, id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *n = json_pack("{s:f, s:s}", "created", sqlite3_column_double(st, 0), "text",
                              (const char *)sqlite3_column_text(st, 1));
        if (!n || json_array_append_new(notes, n))
            goto oom;
    }
    if (step != SQLITE_DONE) {
        rc = cb_store_sql_error(s, s->db, "reading notes", err);
        goto done;
    }
    j = json_pack("{s:i, s:O, s:O}", "format", CB_STORE_FILE_FORMAT, "tags", tags, "notes", notes);
    path = run_file(s, id, "annotations.json");
    if (!j || !path)
        goto oom;
    rc = cb_store_write_json(path, j, err);
    goto done;
oom:
    rc = cb_error_set(err, CB_ENOMEM, "annotations of run %lld: out of memory", (long long)id);
done:
    sqlite3_finalize(st);
    json_decref(tags);
    json_decref(notes);
    json_decref(j);
    free(path);
    return rc;
}

/* ---- queueing ------------------------------------------------------------ */

static int check_request(const CbRunRequest *req, CbError *err)
{
    if (!req || !req->recipe_json || !req->input || !*req->input)
        return cb_error_set(err, CB_EINVAL, "queue: a recipe and an input are required");
    if (req->first_frame < 0)
        return cb_error_set(err, CB_EINVAL, "queue: first frame %lld is negative",
                            (long long)req->first_frame);
    if (req->frames == 0 || req->frames < -1)
        return cb_error_set(err, CB_EINVAL, "queue: frames %lld: must be > 0, or -1 for all",
                            (long long)req->frames);
    if (req->parent < 0)
        return cb_error_set(err, CB_EINVAL, "queue: parent %lld is negative",
                            (long long)req->parent);
    const char *o = req->origin ? req->origin : "user";
    if (strcmp(o, "user") && strcmp(o, "rerun") && strcmp(o, "edit") && strcmp(o, "proposer"))
        return cb_error_set(err, CB_EINVAL,
                            "queue: origin \"%s\" is not one of user, rerun, edit, proposer", o);
    return cb_store_check_experiment_name(req->experiment ? req->experiment : "default", err);
}

/* The next run id: past every id the store ever gave (meta.last_run_id
 * survives deletes, so an id is never given twice). */
static int next_id(CbStore *s, int64_t *id, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "SELECT max(coalesce((SELECT max(id) FROM runs), 0), "
                              "coalesce((SELECT value FROM meta WHERE key = 'last_run_id'), 0))",
                              &st, err);
    if (rc < 0)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0) + 1;
    else
        rc = cb_store_sql_error(s, s->db, "allocating a run id", err);
    sqlite3_finalize(st);
    return rc;
}

static int set_last_id(CbStore *s, int64_t id, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(
        s, "INSERT OR REPLACE INTO meta(key, value) VALUES ('last_run_id', ?1)", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = cb_store_sql_error(s, s->db, "recording the run id", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_store_queue_run(CbStore *s, const CbRunRequest *req, int64_t *run_id, CbError *err)
{
    CbRecipe recipe = {0};
    char hash[CB_RECIPE_HASH_HEX];
    char *input = NULL, *dir = NULL, *path = NULL;
    sqlite3_stmt *st = NULL;
    json_t *runj = NULL;
    int rc, in_tx = 0, made_dir = 0;
    int64_t id = 0, exp_id = 0;
    const char *experiment = req && req->experiment ? req->experiment : "default";
    const char *origin = req && req->origin ? req->origin : "user";

    rc = check_request(req, err);
    if (rc < 0)
        return rc;
    rc = cb_store_writable(s, err);
    if (rc < 0)
        return rc;
    rc = cb_recipe_parse(req->recipe_json, strlen(req->recipe_json), req->recipe_source, &recipe,
                         err);
    if (rc < 0)
        return rc;
    rc = cb_recipe_hash(&recipe, hash);
    if (rc < 0) {
        rc = cb_error_set(err, rc, "%s: cannot hash the recipe",
                          req->recipe_source ? req->recipe_source : "recipe");
        goto fail;
    }
    input = realpath(req->input, NULL);
    if (!input) {
        rc = cb_error_set(err, errno == ENOMEM ? CB_ENOMEM : CB_ENOENT, "input %s: %s", req->input,
                          strerror(errno));
        goto fail;
    }
    const char *codec =
        recipe.codec == CB_CODEC_ENGINE ? "engine" : recipe.baseline.encoder;

    rc = cb_store_begin(s, err);
    if (rc < 0)
        goto fail;
    in_tx = 1;
    rc = cb_store_experiment_id(s, experiment, 1, &exp_id, err);
    if (rc < 0)
        goto fail;
    if (req->parent > 0) {
        CbRunStatus pst;
        rc = cb_store_run_status(s, req->parent, &pst, err);
        if (rc < 0) {
            cb_error_prefix(err, "parent");
            goto fail;
        }
    }
    rc = next_id(s, &id, err);
    if (rc < 0)
        goto fail;
    /* A directory may exist without a row (a copy, a run reindex could not
     * read): never reuse it, take the next id. */
    for (int tries = 0;; tries++, id++) {
        free(dir);
        dir = cb_store_run_dir(s, id);
        if (!dir) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto fail;
        }
        if (mkdir(dir, 0755) == 0)
            break;
        if (errno != EEXIST || tries >= 10000) {
            rc = cb_error_set(err, CB_EIO, "%s: %s", dir, strerror(errno));
            goto fail;
        }
    }
    made_dir = 1;
    double created = cb_store_now();
    path = cb_path_join(dir, "recipe.json");
    if (!path) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    rc = cb_file_write_atomic(path, req->recipe_json, strlen(req->recipe_json), err);
    if (rc < 0)
        goto fail;
    free(path);
    path = cb_path_join(dir, "run.json");
    runj = json_pack("{s:i, s:I, s:s, s:s, s:I, s:I, s:I, s:s, s:f}", "format",
                     CB_STORE_FILE_FORMAT, "id", (json_int_t)id, "experiment", experiment, "input",
                     input, "first_frame", (json_int_t)req->first_frame, "frames",
                     (json_int_t)req->frames, "parent", (json_int_t)req->parent, "origin", origin,
                     "created", created);
    if (!path || !runj) {
        rc = cb_error_set(err, CB_EINVAL, "%s: run.json: out of memory or an input path that is "
                                          "not UTF-8", dir);
        goto fail;
    }
    rc = cb_store_write_json(path, runj, err);
    if (rc < 0)
        goto fail;
    rc = cb_store_prepare(s,
                          "INSERT INTO runs(id, experiment_id, recipe_name, recipe_hash, codec, "
                          "recipe_json, status, input, first_frame, frames, parent, origin, "
                          "created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10, ?11, ?12)",
                          &st, err);
    if (rc < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, exp_id);
    sqlite3_bind_text(st, 3, recipe.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, codec, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, req->recipe_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, input, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, req->first_frame);
    sqlite3_bind_int64(st, 9, req->frames);
    sqlite3_bind_int64(st, 10, req->parent);
    sqlite3_bind_text(st, 11, origin, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 12, created);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = cb_store_sql_error(s, s->db, "adding a run", err);
        goto fail;
    }
    rc = set_last_id(s, id, err);
    if (rc < 0)
        goto fail;
    in_tx = 0;
    rc = cb_store_commit(s, err);
    if (rc < 0)
        goto fail;
    *run_id = id;
    goto done;
fail:
    if (in_tx)
        cb_store_rollback(s);
    if (made_dir)
        cb_store_remove_tree(dir, NULL, NULL);
done:
    sqlite3_finalize(st);
    json_decref(runj);
    cb_recipe_free(&recipe);
    free(input);
    free(dir);
    free(path);
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

/* The columns of a CbRunInfo, in the order read_info expects. */
#define RUN_COLUMNS                                                                               \
    "r.id, e.name, r.recipe_name, r.recipe_hash, r.codec, r.status, r.reason, r.input, "          \
    "c.identity, r.first_frame, r.frames, r.width, r.height, r.parent, r.origin, r.tags, "        \
    "r.created, r.started, r.finished, r.pid, r.cancel_requested, r.n_points, r.kbps_min, "       \
    "r.kbps_max, r.psnr_y_min, r.psnr_y_max, r.bd_rate, r.bd_psnr, r.anchor_run, r.encode_fps "   \
    "FROM runs r JOIN experiments e ON e.id = r.experiment_id LEFT JOIN clips c ON c.id = r.clip"

static int read_info(sqlite3_stmt *st, CbRunInfo *r)
{
    int oom = 0;
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->experiment = cb_store_col_text(st, 1, &oom);
    r->recipe_name = cb_store_col_text(st, 2, &oom);
    r->recipe_hash = cb_store_col_text(st, 3, &oom);
    r->codec = cb_store_col_text(st, 4, &oom);
    r->status = (CbRunStatus)sqlite3_column_int(st, 5);
    r->reason = cb_store_col_text(st, 6, &oom);
    r->input = cb_store_col_text(st, 7, &oom);
    r->clip_id = cb_store_col_text(st, 8, &oom);
    r->first_frame = sqlite3_column_int64(st, 9);
    r->frames = sqlite3_column_int64(st, 10);
    r->width = sqlite3_column_int(st, 11);
    r->height = sqlite3_column_int(st, 12);
    r->parent = sqlite3_column_int64(st, 13);
    r->origin = cb_store_col_text(st, 14, &oom);
    r->tags = cb_store_col_text(st, 15, &oom);
    r->created = cb_store_col_real(st, 16);
    r->started = cb_store_col_real(st, 17);
    r->finished = cb_store_col_real(st, 18);
    r->pid = sqlite3_column_int64(st, 19);
    r->cancel_requested = sqlite3_column_int(st, 20);
    r->n_points = sqlite3_column_int(st, 21);
    r->kbps_min = cb_store_col_real(st, 22);
    r->kbps_max = cb_store_col_real(st, 23);
    r->psnr_y_min = cb_store_col_real(st, 24);
    r->psnr_y_max = cb_store_col_real(st, 25);
    r->bd_rate = cb_store_col_real(st, 26);
    r->bd_psnr = cb_store_col_real(st, 27);
    r->anchor_run = sqlite3_column_int64(st, 28);
    r->encode_fps = cb_store_col_real(st, 29);
    if (oom) {
        cb_run_info_free(r);
        return CB_ENOMEM;
    }
    return CB_OK;
}

void cb_run_info_free(CbRunInfo *r)
{
    if (!r)
        return;
    free(r->experiment);
    free(r->recipe_name);
    free(r->recipe_hash);
    free(r->codec);
    free(r->reason);
    free(r->input);
    free(r->clip_id);
    free(r->origin);
    free(r->tags);
    memset(r, 0, sizeof *r);
}

void cb_run_infos_free(CbRunInfo **rows, size_t n)
{
    if (!rows || !*rows)
        return;
    for (size_t i = 0; i < n; i++)
        cb_run_info_free(&(*rows)[i]);
    free(*rows);
    *rows = NULL;
}

/* The sortable columns: CbRunInfo's names and the SQL they sort by. */
static const struct {
    const char *name, *sql;
    int nullable; /* NULLs are put last, which costs a sort key */
} sort_columns[] = {
    {"id", "r.id", 0},
    {"experiment", "e.name", 0},
    {"recipe_name", "r.recipe_name", 0},
    {"recipe_hash", "r.recipe_hash", 0},
    {"codec", "r.codec", 0},
    {"status", "r.status", 0},
    {"reason", "r.reason", 1},
    {"input", "r.input", 0},
    {"clip_id", "c.identity", 1},
    {"first_frame", "r.first_frame", 0},
    {"frames", "r.frames", 0},
    {"width", "r.width", 0},
    {"height", "r.height", 0},
    {"parent", "r.parent", 0},
    {"origin", "r.origin", 0},
    {"tags", "r.tags", 1},
    {"created", "r.created", 0},
    {"started", "r.started", 1},
    {"finished", "r.finished", 1},
    {"pid", "r.pid", 0},
    {"cancel_requested", "r.cancel_requested", 0},
    {"n_points", "r.n_points", 0},
    {"kbps_min", "r.kbps_min", 1},
    {"kbps_max", "r.kbps_max", 1},
    {"psnr_y_min", "r.psnr_y_min", 1},
    {"psnr_y_max", "r.psnr_y_max", 1},
    {"bd_rate", "r.bd_rate", 1},
    {"bd_psnr", "r.bd_psnr", 1},
    {"anchor_run", "r.anchor_run", 0},
    {"encode_fps", "r.encode_fps", 1},
};

static int sort_error(const char *name, CbError *err)
{
    CbBuf b;
    cb_buf_init(&b, 4096);
    for (size_t i = 0; i < sizeof sort_columns / sizeof sort_columns[0]; i++)
        cb_buf_printf(&b, "%s%s", i ? ", " : "", sort_columns[i].name);
    int rc = cb_error_set(err, CB_EINVAL, "sort column \"%s\" is not one of %s", name,
                          b.data ? b.data : "the run columns");
    cb_buf_free(&b);
    return rc;
}

int cb_store_list(CbStore *s, const CbRunFilter *f, CbRunInfo **rows, size_t *n, CbError *err)
{
    CbRunFilter none = {.status = -1};
    if (!f)
        f = &none;
    *rows = NULL;
    *n = 0;
    const char *sort_sql = NULL, *sort = f->sort ? f->sort : "id";
    int nullable = 0;
    for (size_t i = 0; i < sizeof sort_columns / sizeof sort_columns[0]; i++) {
        if (!strcmp(sort, sort_columns[i].name)) {
            sort_sql = sort_columns[i].sql;
            nullable = sort_columns[i].nullable;
        }
    }
    if (!sort_sql)
        return sort_error(sort, err);
    const char *dir = f->descending ? "DESC" : "ASC";
    CbBuf q;
    cb_buf_init(&q, 1 << 16);
    /* Unknown values (NULL) sort last either way; ties by id.  By id alone
     * the rows come in rowid order, with no sort at all. */
    int rc = cb_buf_puts(&q, "SELECT " RUN_COLUMNS
                             " WHERE (?1 IS NULL OR e.name = ?1) AND (?2 < 0 OR r.status = ?2) AND "
                             "(?3 IS NULL OR r.codec = ?3) AND (?4 IS NULL OR EXISTS (SELECT 1 "
                             "FROM tags t WHERE t.run_id = r.id AND t.tag = ?4)) AND (?6 IS NULL OR "
                             "c.identity = ?6) AND (?7 IS NULL OR r.recipe_hash = ?7) ORDER BY ");
    if (rc == CB_OK && nullable)
        rc = cb_buf_printf(&q, "%s IS NULL, ", sort_sql);
    if (rc == CB_OK && strcmp(sort_sql, "r.id") != 0)
        rc = cb_buf_printf(&q, "%s %s, ", sort_sql, dir);
    if (rc == CB_OK)
        rc = cb_buf_printf(&q, "r.id %s LIMIT ?5", dir);
    if (rc < 0) {
        cb_buf_free(&q);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    sqlite3_stmt *st = NULL;
    CbRunInfo *out = NULL;
    size_t count = 0, cap = 0;
    rc = cb_store_prepare(s, q.data, &st, err);
    cb_buf_free(&q);
    if (rc < 0)
        return rc;
    if (f->experiment)
        sqlite3_bind_text(st, 1, f->experiment, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, f->status);
    if (f->codec)
        sqlite3_bind_text(st, 3, f->codec, -1, SQLITE_STATIC);
    if (f->tag)
        sqlite3_bind_text(st, 4, f->tag, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : -1);
    if (f->clip_id)
        sqlite3_bind_text(st, 6, f->clip_id, -1, SQLITE_STATIC);
    if (f->recipe_hash)
        sqlite3_bind_text(st, 7, f->recipe_hash, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 64;
            CbRunInfo *grown = realloc(out, nc * sizeof *out);
            if (!grown) {
                rc = cb_error_set(err, CB_ENOMEM, "listing runs: out of memory");
                goto fail;
            }
            out = grown;
            cap = nc;
        }
        if (read_info(st, &out[count]) < 0) {
            rc = cb_error_set(err, CB_ENOMEM, "listing runs: out of memory");
            goto fail;
        }
        count++;
    }
    if (step != SQLITE_DONE) {
        rc = cb_store_sql_error(s, s->db, "listing runs", err);
        goto fail;
    }
    sqlite3_finalize(st);
    *rows = out;
    *n = count;
    return CB_OK;
fail:
    sqlite3_finalize(st);
    cb_run_infos_free(&out, count);
    return rc;
}

int cb_store_get_run(CbStore *s, int64_t id, CbRunInfo *out, CbError *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "SELECT " RUN_COLUMNS " WHERE r.id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = cb_store_step_run(s, st, id, "reading a run", err);
    if (rc == CB_OK && read_info(st, out) < 0)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    sqlite3_finalize(st);
    return rc;
}

int cb_store_get_recipe(CbStore *s, int64_t id, char **json, CbError *err)
{
    *json = NULL;
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "SELECT recipe_json FROM runs WHERE id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = cb_store_step_run(s, st, id, "reading a recipe", err);
    int oom = 0;
    if (rc == CB_OK && !(*json = cb_store_col_text(st, 0, &oom)))
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    sqlite3_finalize(st);
    return rc;
}

/* ---- the runner's side --------------------------------------------------- */

static int one_id(CbStore *s, const char *sql, int64_t *id, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, sql, &st, err);
    if (rc < 0)
        return rc;
    int step = sqlite3_step(st);
    *id = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = cb_store_sql_error(s, s->db, "reading runs", err);
    sqlite3_finalize(st);
    return rc;
}

static int id_list(CbStore *s, const char *sql, int64_t **ids, size_t *n, CbError *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int64_t *out = NULL;
    size_t count = 0, cap = 0;
    int rc = cb_store_prepare(s, sql, &st, err), step;
    if (rc < 0)
        return rc;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *g = realloc(out, cap * sizeof *out);
            if (!g) {
                free(out);
                sqlite3_finalize(st);
                return cb_error_set(err, CB_ENOMEM, "out of memory");
            }
            out = g;
        }
        out[count++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE) {
        free(out);
        rc = cb_store_sql_error(s, s->db, "reading runs", err);
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    *ids = out;
    *n = count;
    return CB_OK;
}

int cb_store_next_queued(CbStore *s, int64_t *id, CbError *err)
{
    return one_id(s, "SELECT id FROM runs WHERE status = 0 ORDER BY id LIMIT 1", id, err);
}

int cb_store_active_runs(CbStore *s, int64_t **ids, size_t *n, CbError *err)
{
    return id_list(s, "SELECT id FROM runs WHERE status IN (1, 2) ORDER BY id", ids, n, err);
}

int cb_store_cancel_requests(CbStore *s, int64_t **ids, size_t *n, CbError *err)
{
    return id_list(s,
                   "SELECT id FROM runs WHERE status IN (1, 2) AND cancel_requested != 0 "
                   "ORDER BY id",
                   ids, n, err);
}

static int is_final(CbRunStatus st)
{
    return st == CB_RUN_DONE || st == CB_RUN_FAILED || st == CB_RUN_CANCELLED ||
           st == CB_RUN_INTERRUPTED;
}

/* Which moves set_status allows: from queued to running (or straight to a
 * failure, a cancel or an interruption); running to verifying; running or
 * verifying to a final state other than done, or to itself (a new pid).
 * Done comes only from an import; nothing leaves a final state but requeue. */
static int allowed(CbRunStatus from, CbRunStatus to)
{
    if (to == CB_RUN_DONE || to == CB_RUN_QUEUED || is_final(from))
        return 0;
    switch (from) {
    case CB_RUN_QUEUED: return to != CB_RUN_VERIFYING;
    case CB_RUN_RUNNING: return 1;
    case CB_RUN_VERIFYING: return to != CB_RUN_RUNNING;
    default: return 0;
    }
}

typedef struct StatusChange {
    CbRunStatus to;
    const char *reason;
    int64_t pid;
} StatusChange;

static int change_status(CbStore *s, int64_t id, CbRunStatus from, const void *arg, CbError *err)
{
    const StatusChange *c = arg;
    if (!allowed(from, c->to))
        return cb_error_set(err, CB_EINVAL, "run %lld: cannot go from %s to %s%s", (long long)id,
                            cb_run_status_name(from), cb_run_status_name(c->to),
                            c->to == CB_RUN_DONE ? " (a run is done when its result is imported)"
                            : is_final(from)     ? " (requeue it, or rerun it)"
                                                 : "");
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(
        s,
        "UPDATE runs SET status = ?2, reason = ?3, pid = ?4, "
        "started = CASE WHEN ?2 = 1 AND started IS NULL THEN ?5 ELSE started END, "
        "finished = CASE WHEN ?6 THEN ?5 ELSE finished END WHERE id = ?1",
        &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, (int)c->to);
    if (c->reason)
        sqlite3_bind_text(st, 3, c->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, is_final(c->to) ? 0 : c->pid);
    sqlite3_bind_double(st, 5, cb_store_now());
    sqlite3_bind_int(st, 6, is_final(c->to));
    rc = cb_store_step_once(s, st, "changing a run's status", err);
    if (rc == CB_OK && is_final(c->to))
        rc = cb_store_write_status_file(s, id, err);
    return rc;
}

int cb_store_set_status(CbStore *s, int64_t id, CbRunStatus to, const char *reason, int64_t pid,
                        CbError *err)
{
    if ((int)to < 0 || to > CB_RUN_INTERRUPTED)
        return cb_error_set(err, CB_EINVAL, "run %lld: no status %d", (long long)id, (int)to);
    StatusChange c = {.to = to, .reason = reason, .pid = pid};
    return cb_store_change_run(s, id, change_status, &c, err);
}

static int requeue(CbStore *s, int64_t id, CbRunStatus from, const void *arg, CbError *err)
{
    (void)arg;
    if (from == CB_RUN_DONE || !is_final(from))
        return cb_error_set(err, CB_EINVAL, "run %lld is %s: only failed, cancelled or "
                                            "interrupted runs can be requeued%s",
                            (long long)id, cb_run_status_name(from),
                            from == CB_RUN_DONE ? " (rerun it instead)" : "");
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "UPDATE runs SET status = 0, reason = NULL, pid = 0, started = "
                              "NULL, finished = NULL, cancel_requested = 0 WHERE id = ?1",
                              &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = cb_store_step_once(s, st, "requeueing a run", err);
    if (rc < 0)
        return rc;
    char *path = run_file(s, id, "status.json");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (unlink(path) != 0 && errno != ENOENT)
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    free(path);
    return rc;
}

int cb_store_requeue(CbStore *s, int64_t id, CbError *err)
{
    return cb_store_change_run(s, id, requeue, NULL, err);
}

static int request_cancel(CbStore *s, int64_t id, CbRunStatus from, const void *arg,
                          CbError *err)
{
    (void)arg;
    if (is_final(from))
        return cb_error_set(err, CB_EINVAL, "run %lld has finished (%s): nothing to cancel",
                            (long long)id, cb_run_status_name(from));
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(
        s,
        from == CB_RUN_QUEUED
            ? "UPDATE runs SET cancel_requested = 1, status = 5, reason = 'cancelled before it "
              "started', finished = ?2 WHERE id = ?1"
            : "UPDATE runs SET cancel_requested = 1 WHERE id = ?1",
        &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if (from == CB_RUN_QUEUED)
        sqlite3_bind_double(st, 2, cb_store_now());
    rc = cb_store_step_once(s, st, "requesting a cancel", err);
    if (rc == CB_OK && from == CB_RUN_QUEUED)
        rc = cb_store_write_status_file(s, id, err);
    return rc;
}

int cb_store_request_cancel(CbStore *s, int64_t id, CbError *err)
{
    return cb_store_change_run(s, id, request_cancel, NULL, err);
}

int cb_store_counts(CbStore *s, int64_t counts[7], CbError *err)
{
    for (int i = 0; i < 7; i++)
        counts[i] = 0;
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "SELECT status, count(*) FROM runs GROUP BY status", &st, err);
    if (rc < 0)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int k = sqlite3_column_int(st, 0);
        if (k >= 0 && k < 7)
            counts[k] = sqlite3_column_int64(st, 1);
    }
    if (step != SQLITE_DONE)
        rc = cb_store_sql_error(s, s->db, "counting runs", err);
    sqlite3_finalize(st);
    return rc;
}

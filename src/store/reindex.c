/* codecbench: rebuilding store.db from the run directories.
 *
 * result.json is read with worker/'s cb_result_read (which checks it and
 * recomputes the sequence figures from the rows) and then checked as the
 * runner's import checks it (cb_store_result_fits), so a result that
 * reindex indexes is one the runner would have imported.
 */
#include "store/store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/buf.h"
#include "codecbench/recipe.h"

/* ---- the JSON files of a run directory -------------------------------------- */

/* A sticky reader: the first error is kept, later calls do nothing. */
typedef struct Rd {
    const char *path;
    CbError *err;
    int rc;
} Rd;

static const json_t *rd_get(Rd *rd, const json_t *o, const char *where, const char *key)
{
    if (rd->rc < 0)
        return NULL;
    const json_t *v = json_object_get(o, key);
    if (!v)
        rd->rc = cb_error_set(rd->err, CB_EFORMAT, "%s: %s%s: missing", rd->path, where, key);
    return v;
}

static char *rd_str(Rd *rd, const json_t *o, const char *where, const char *key)
{
    const json_t *v = rd_get(rd, o, where, key);
    if (!v)
        return NULL;
    if (!json_is_string(v)) {
        rd->rc = cb_error_set(rd->err, CB_EFORMAT, "%s: %s%s: not a string", rd->path, where, key);
        return NULL;
    }
    char *s = strdup(json_string_value(v));
    if (!s)
        rd->rc = cb_error_set(rd->err, CB_ENOMEM, "%s: out of memory", rd->path);
    return s;
}

static int64_t rd_int(Rd *rd, const json_t *o, const char *where, const char *key, int64_t lo,
                      int64_t hi)
{
    const json_t *v = rd_get(rd, o, where, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        rd->rc = cb_error_set(rd->err, CB_EFORMAT, "%s: %s%s: not an integer in %lld..%lld",
                              rd->path, where, key, (long long)lo, (long long)hi);
        return 0;
    }
    return json_integer_value(v);
}

static double rd_num(Rd *rd, const json_t *o, const char *where, const char *key)
{
    const json_t *v = rd_get(rd, o, where, key);
    if (!v)
        return 0;
    if (!json_is_number(v) || !isfinite(json_number_value(v))) {
        rd->rc = cb_error_set(rd->err, CB_EFORMAT, "%s: %s%s: not a finite number", rd->path,
                              where, key);
        return 0;
    }
    return json_number_value(v);
}

/* ---- run directories ------------------------------------------------------- */

/* What a run directory says about its run. */
typedef struct RunDir {
    int64_t id;
    char *experiment, *input, *origin, *recipe_text;
    int64_t first_frame, frames, parent;
    double created, started, finished;
    CbRunStatus status;
    char *reason;
    int has_status;  /* status.json read, with a status */
    int status_file; /* status.json exists, readable or not */
    json_t *annotations;
} RunDir;

static void rundir_free(RunDir *r)
{
    free(r->experiment);
    free(r->input);
    free(r->origin);
    free(r->recipe_text);
    free(r->reason);
    json_decref(r->annotations);
    memset(r, 0, sizeof *r);
}

static double opt_time(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) && isfinite(json_number_value(v)) ? json_number_value(v) : NAN;
}

/* Reads run.json, recipe.json, status.json and annotations.json of dir. */
static int read_rundir(const char *dir, int64_t id, RunDir *r, const CbLogger *logger,
                       CbError *err)
{
    memset(r, 0, sizeof *r);
    r->id = id;
    r->started = r->finished = NAN;
    json_t *j = NULL;
    char *path = cb_path_join(dir, "run.json");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int rc = cb_json_read_object(path, CB_STORE_JSON_MAX, &j, err);
    Rd rd = {path, err, rc};
    if (rc == CB_OK) {
        int64_t format = rd_int(&rd, j, "", "format", 1, 1000);
        if (rd.rc == CB_OK && format != CB_STORE_FILE_FORMAT)
            rd.rc = cb_error_set(err, CB_ENOTSUP, "%s: format %lld, this build reads %d", path,
                                 (long long)format, CB_STORE_FILE_FORMAT);
        if (rd_int(&rd, j, "", "id", 1, INT64_MAX) != id && rd.rc == CB_OK)
            rd.rc = cb_error_set(err, CB_EFORMAT, "%s: id is not the directory's %lld", path,
                                 (long long)id);
        r->experiment = rd_str(&rd, j, "", "experiment");
        r->input = rd_str(&rd, j, "", "input");
        r->first_frame = rd_int(&rd, j, "", "first_frame", 0, INT64_MAX / 2);
        r->frames = rd_int(&rd, j, "", "frames", -1, INT64_MAX / 2);
        r->parent = rd_int(&rd, j, "", "parent", 0, INT64_MAX);
        r->origin = rd_str(&rd, j, "", "origin");
        r->created = rd_num(&rd, j, "", "created");
        if (rd.rc == CB_OK && r->frames == 0)
            rd.rc = cb_error_set(err, CB_EFORMAT, "%s: frames: 0", path);
        if (rd.rc == CB_OK)
            rd.rc = cb_store_check_experiment_name(r->experiment, err);
    }
    json_decref(j);
    j = NULL;
    rc = rd.rc;
    free(path);
    path = NULL;
    if (rc < 0)
        goto fail;

    path = cb_path_join(dir, "recipe.json");
    CbBuf b;
    cb_buf_init(&b, CB_RECIPE_MAX_BYTES);
    rc = path ? cb_buf_read_file(&b, path, err) : cb_error_set(err, CB_ENOMEM, "out of memory");
    if (rc == CB_ELIMIT)
        rc = cb_error_set(err, CB_ELIMIT, "%s: larger than %d bytes", path, CB_RECIPE_MAX_BYTES);
    if (rc < 0) {
        cb_buf_free(&b);
        goto fail;
    }
    r->recipe_text = cb_buf_steal(&b);
    if (!r->recipe_text) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    free(path);

    /* status.json: absent while a run has not finished.  A damaged one
     * (or annotations.json) costs the run its state (or annotations), with
     * a warning, never the run itself. */
    path = cb_path_join(dir, "status.json");
    if (!path) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    CbError ferr;
    int fr = cb_json_read_object(path, CB_STORE_JSON_MAX, &j, &ferr);
    r->status_file = fr != CB_ENOENT;
    if (fr == CB_OK) {
        const json_t *st = json_object_get(j, "status");
        const json_t *reason = json_object_get(j, "reason");
        if (!json_is_string(st) || cb_run_status_parse(json_string_value(st), &r->status) < 0) {
            cb_log(logger, CB_LOG_WARN, "%s: status: not a run status; ignored", path);
        } else {
            r->has_status = 1;
            if (json_is_string(reason) && !(r->reason = strdup(json_string_value(reason)))) {
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                goto fail;
            }
            r->started = opt_time(j, "started");
            r->finished = opt_time(j, "finished");
        }
    } else if (fr == CB_ENOMEM) {
        rc = cb_error_set(err, CB_ENOMEM, "%s", ferr.text);
        goto fail;
    } else if (fr != CB_ENOENT) {
        cb_log(logger, CB_LOG_WARN, "%s; ignored", ferr.text);
    }
    json_decref(j);
    j = NULL;
    free(path);

    path = cb_path_join(dir, "annotations.json");
    if (!path) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    fr = cb_json_read_object(path, CB_STORE_ANNOTATIONS_MAX, &r->annotations, &ferr);
    if (fr == CB_ENOMEM) {
        rc = cb_error_set(err, CB_ENOMEM, "%s", ferr.text);
        goto fail;
    } else if (fr < 0 && fr != CB_ENOENT) {
        cb_log(logger, CB_LOG_WARN, "%s; tags and notes not restored", ferr.text);
    }
    free(path);
    return CB_OK;
fail:
    json_decref(j);
    free(path);
    rundir_free(r);
    return rc;
}

/* ---- building the new database --------------------------------------------- */

static int insert_run(CbStore *s, const RunDir *r, const CbRecipe *recipe, const char *hash,
                      CbError *err)
{
    int64_t exp_id;
    int rc = cb_store_experiment_id(s, r->experiment, 1, &exp_id, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = cb_store_prepare(s,
                          "INSERT INTO runs(id, experiment_id, recipe_name, recipe_hash, codec, "
                          "recipe_json, status, reason, input, first_frame, frames, parent, "
                          "origin, created, started, finished, cancel_requested) VALUES (?1, ?2, "
                          "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                          &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, exp_id);
    sqlite3_bind_text(st, 3, recipe->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5,
                      recipe->codec == CB_CODEC_ENGINE ? "engine" : recipe->baseline.encoder, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->recipe_text, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, (int)r->status);
    if (r->reason)
        sqlite3_bind_text(st, 8, r->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->input, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, r->first_frame);
    sqlite3_bind_int64(st, 11, r->frames);
    sqlite3_bind_int64(st, 12, r->parent);
    sqlite3_bind_text(st, 13, r->origin, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 14, r->created);
    cb_store_bind_real(st, 15, r->started);
    cb_store_bind_real(st, 16, r->finished);
    sqlite3_bind_int(st, 17, r->status == CB_RUN_CANCELLED);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = cb_store_sql_error(s, s->db, "adding a run", err);
    sqlite3_finalize(st);
    return rc;
}

static int insert_annotations(CbStore *s, const RunDir *r, const CbLogger *logger, CbError *err)
{
    if (!r->annotations)
        return CB_OK;
    const json_t *tags = json_object_get(r->annotations, "tags");
    const json_t *notes = json_object_get(r->annotations, "notes");
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "INSERT OR IGNORE INTO tags(run_id, tag) VALUES (?1, ?2)", &st,
                              err);
    size_t i;
    const json_t *v;
    json_array_foreach(tags, i, v)
    {
        if (rc < 0)
            break;
        CbError terr;
        if (!json_is_string(v) || cb_store_check_tag(json_string_value(v), &terr) < 0) {
            cb_log(logger, CB_LOG_WARN, "run %lld: annotations.json: tags[%zu] skipped: %s",
                   (long long)r->id, i, json_is_string(v) ? terr.text : "not a string");
            continue;
        }
        sqlite3_bind_int64(st, 1, r->id);
        sqlite3_bind_text(st, 2, json_string_value(v), -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = cb_store_sql_error(s, s->db, "adding a tag", err);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == CB_OK)
        rc = cb_store_prepare(s,
                              "UPDATE runs SET tags = (SELECT group_concat(tag, ',') FROM (SELECT "
                              "tag FROM tags WHERE run_id = ?1 ORDER BY tag)) WHERE id = ?1",
                              &st, err);
    if (rc == CB_OK) {
        sqlite3_bind_int64(st, 1, r->id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = cb_store_sql_error(s, s->db, "adding tags", err);
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == CB_OK)
        rc = cb_store_prepare(s, "INSERT INTO notes(run_id, created, text) VALUES (?1, ?2, ?3)",
                              &st, err);
    json_array_foreach(notes, i, v)
    {
        if (rc < 0)
            break;
        const json_t *text = json_object_get(v, "text");
        const json_t *created = json_object_get(v, "created");
        CbError nerr;
        if (!json_is_string(text) || !json_is_number(created) ||
            cb_store_check_note(json_string_value(text), &nerr) < 0) {
            cb_log(logger, CB_LOG_WARN, "run %lld: annotations.json: notes[%zu] skipped",
                   (long long)r->id, i);
            continue;
        }
        sqlite3_bind_int64(st, 1, r->id);
        sqlite3_bind_double(st, 2, json_number_value(created));
        sqlite3_bind_text(st, 3, json_string_value(text), -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = cb_store_sql_error(s, s->db, "adding a note", err);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whether a worker was ever started for the run in dir: the runner creates
 * log.txt before it starts one, and the worker events.jsonl.  Any doubt
 * counts as started. */
static int worker_started(const char *dir)
{
    static const char *const files[] = {"log.txt", "events.jsonl"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = cb_path_join(dir, files[i]);
        struct stat sb;
        int absent = p && lstat(p, &sb) != 0 && errno == ENOENT;
        free(p);
        if (!absent)
            return 1;
    }
    return 0;
}

/* Indexes one run directory.  Errors that concern only this directory are
 * returned as *skip with the reason in err; errors of the new database stop
 * the reindex. */
static int index_run(CbStore *s, const char *dir, int64_t id, const CbLogger *logger, int *skip,
                     CbError *err)
{
    RunDir r;
    CbRecipe recipe = {0};
    CbRunResult res = {0};
    char hash[CB_RECIPE_HASH_HEX];
    char *rpath = NULL;
    *skip = 1;
    int rc = read_rundir(dir, id, &r, logger, err);
    if (rc < 0)
        return rc;
    rc = cb_recipe_parse(r.recipe_text, strlen(r.recipe_text), "recipe.json", &recipe, err);
    if (rc == CB_OK && cb_recipe_hash(&recipe, hash) < 0)
        rc = cb_error_set(err, CB_EINVAL, "recipe.json: cannot hash the recipe");
    if (rc < 0)
        goto done;
    rpath = cb_path_join(dir, "result.json");
    if (!rpath) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    CbError rerr;
    cb_error_clear(&rerr);
    int have_result = 0;
    /* status.json is written for final states only; anything else counts
     * as not finished. */
    if (r.has_status && r.status < CB_RUN_DONE)
        r.has_status = 0;
    if (!r.has_status || r.status == CB_RUN_DONE) {
        int rr = cb_result_read(rpath, &res, &rerr);
        if (rr == CB_OK && (rr = cb_store_result_fits(&res, hash, &rerr)) < 0)
            cb_error_prefix(&rerr, "%s", rpath);
        have_result = rr == CB_OK;
        if (rr < 0 && rr != CB_ENOENT)
            cb_log(logger, CB_LOG_WARN, "run %lld: %s", (long long)id, rerr.text);
        if (have_result) {
            r.status = CB_RUN_DONE;
            if (isnan(r.finished))
                r.finished = cb_store_now();
        } else if (r.has_status) {
            /* It says done, but its result cannot be read. */
            r.status = CB_RUN_FAILED;
            free(r.reason);
            r.reason = NULL;
            CbBuf b;
            cb_buf_init(&b, 4096);
            cb_buf_printf(&b, "reindex: %s", rr == CB_ENOENT ? "result.json is missing" : rerr.text);
            r.reason = cb_buf_steal(&b);
        } else if (!r.status_file && rr == CB_ENOENT && !worker_started(dir)) {
            /* Queued and never started: it stays queued, for a runner to take. */
            r.status = CB_RUN_QUEUED;
        } else {
            /* Running or verifying when its worker went away. */
            r.status = CB_RUN_INTERRUPTED;
            r.reason = strdup("found without a result by reindex (its worker is gone)");
            if (isnan(r.finished))
                r.finished = cb_store_now();
        }
    }
    *skip = 0;
    rc = insert_run(s, &r, &recipe, hash, err);
    if (rc == CB_OK && have_result)
        rc = cb_store_result_insert(s, id, &res, err);
    if (rc == CB_OK)
        rc = insert_annotations(s, &r, logger, err);
    if (rc == CB_OK && !r.has_status && r.status != CB_RUN_QUEUED) {
        /* So that the directory says what the index now says (status.json
         * is for final states only). */
        CbError werr;
        if (cb_store_write_status_file(s, id, &werr) < 0)
            cb_log(logger, CB_LOG_WARN, "run %lld: %s", (long long)id, werr.text);
    }
done:
    cb_result_free(&res);
    cb_recipe_free(&recipe);
    rundir_free(&r);
    free(rpath);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The run ids found in DIR/sub (runs or trash); *max gets the largest. */
static int scan_ids(const char *dir, const char *sub, int64_t **ids, size_t *n, int64_t *max,
                    CbError *err)
{
    char *path = cb_path_join(dir, sub);
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        free(path);
        return e == ENOENT ? CB_OK : cb_error_set(err, CB_EIO, "%s/%s: %s", dir, sub, strerror(e));
    }
    int rc = CB_OK;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t id;
        char name[32];
        /* trash holds NNNNNN and NNNNNN.K */
        size_t len = strcspn(e->d_name, ".");
        if (len == 0 || len >= sizeof name)
            continue;
        memcpy(name, e->d_name, len);
        name[len] = '\0';
        if (!cb_store_parse_run_name(name, &id) || (ids && e->d_name[len] != '\0'))
            continue;
        if (id > *max)
            *max = id;
        if (!ids)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            int64_t *g = realloc(*ids, cap * sizeof *g);
            if (!g) {
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                break;
            }
            *ids = g;
        }
        (*ids)[(*n)++] = id;
    }
    closedir(d);
    free(path);
    if (rc == CB_OK && ids && *n)
        qsort(*ids, *n, sizeof **ids, cmp_id);
    return rc;
}

static int index_experiments(CbStore *s, const CbLogger *logger, CbError *err)
{
    char *path = cb_path_join(s->dir, "experiments");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    DIR *d = opendir(path);
    int rc = CB_OK;
    if (!d) {
        if (errno != ENOENT)
            rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    struct dirent *e;
    while (rc == CB_OK && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        char name[80];
        if (len - 5 >= sizeof name)
            continue;
        memcpy(name, e->d_name, len - 5);
        name[len - 5] = '\0';
        CbError xerr;
        CbRecipe recipe = {0};
        char hash[CB_RECIPE_HASH_HEX];
        CbBuf b;
        cb_buf_init(&b, CB_RECIPE_MAX_BYTES);
        char *file = cb_path_join(path, e->d_name);
        int xr = cb_store_check_experiment_name(name, &xerr);
        if (xr == CB_OK)
            xr = file ? cb_buf_read_file(&b, file, &xerr)
                      : cb_error_set(&xerr, CB_ENOMEM, "out of memory");
        if (xr == CB_OK)
            xr = cb_recipe_parse(b.data ? b.data : "", b.len, e->d_name, &recipe, &xerr);
        if (xr == CB_OK && cb_recipe_hash(&recipe, hash) < 0)
            xr = cb_error_set(&xerr, CB_EINVAL, "%s: cannot hash the recipe", e->d_name);
        if (xr < 0) {
            cb_log(logger, CB_LOG_WARN, "experiments/%s skipped: %s", e->d_name, xerr.text);
        } else {
            int64_t exp_id;
            sqlite3_stmt *st = NULL;
            rc = cb_store_experiment_id(s, name, 1, &exp_id, err);
            if (rc == CB_OK)
                rc = cb_store_prepare(s,
                                      "UPDATE experiments SET anchor_name = ?2, anchor_hash = ?3, "
                                      "anchor_recipe = ?4 WHERE id = ?1",
                                      &st, err);
            if (rc == CB_OK) {
                sqlite3_bind_int64(st, 1, exp_id);
                sqlite3_bind_text(st, 2, recipe.name, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, b.data, (int)b.len, SQLITE_STATIC);
                if (sqlite3_step(st) != SQLITE_DONE)
                    rc = cb_store_sql_error(s, s->db, "setting an anchor", err);
                sqlite3_finalize(st);
            }
        }
        cb_recipe_free(&recipe);
        cb_buf_free(&b);
        free(file);
    }
    closedir(d);
    free(path);
    return rc;
}

/* STORE/proposals/NNNNNN.json back into the proposals table; a proposal's
 * run that is gone is unlinked, as a delete would have done. */
static int index_proposals(CbStore *s, const CbLogger *logger, CbError *err)
{
    char *path = cb_path_join(s->dir, "proposals");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = CB_OK;
    DIR *d = opendir(path);
    if (!d) {
        if (errno != ENOENT)
            rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char name[32];
        int64_t id;
        if (len <= 5 || len - 5 >= sizeof name || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        memcpy(name, e->d_name, len - 5);
        name[len - 5] = '\0';
        if (!cb_store_parse_run_name(name, &id))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *g = realloc(ids, cap * sizeof *g);
            if (!g) {
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                break;
            }
            ids = g;
        }
        ids[n++] = id;
    }
    closedir(d);
    if (rc == CB_OK && n)
        qsort(ids, n, sizeof *ids, cmp_id);
    for (size_t i = 0; rc == CB_OK && i < n; i++) {
        char name[40];
        snprintf(name, sizeof name, "%06lld.json", (long long)ids[i]);
        char *file = cb_path_join(path, name);
        json_t *j = NULL;
        CbError perr;
        if (!file) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            break;
        }
        int pr = cb_json_read_object(file, CB_STORE_JSON_MAX, &j, &perr);
        Rd rd = {file, &perr, pr};
        char *exp = rd_str(&rd, j, "", "experiment");
        char *proposer = rd_str(&rd, j, "", "proposer");
        char *rationale = rd_str(&rd, j, "", "rationale");
        char *recipe = rd_str(&rd, j, "", "recipe");
        int64_t run = rd_int(&rd, j, "", "run", 0, INT64_MAX);
        double created = rd_num(&rd, j, "", "created");
        if (rd.rc == CB_OK && rd_int(&rd, j, "", "id", 1, INT64_MAX) != ids[i] && rd.rc == CB_OK)
            rd.rc = cb_error_set(&perr, CB_EFORMAT, "%s: id is not the file name's", file);
        if (rd.rc == CB_OK)
            rd.rc = cb_store_check_experiment_name(exp, &perr);
        if (rd.rc < 0) {
            cb_log(logger, CB_LOG_WARN, "proposal skipped: %s", perr.text);
        } else {
            int64_t exp_id;
            CbRunStatus st_run;
            CbError ignored;
            sqlite3_stmt *st = NULL;
            if (run > 0 && cb_store_run_status(s, run, &st_run, &ignored) < 0)
                run = 0;
            rc = cb_store_experiment_id(s, exp, 1, &exp_id, err);
            if (rc == CB_OK)
                rc = cb_store_prepare(s,
                                      "INSERT INTO proposals(id, experiment_id, proposer, "
                                      "rationale, recipe_json, run_id, created) VALUES (?1, ?2, "
                                      "?3, ?4, ?5, ?6, ?7)",
                                      &st, err);
            if (rc == CB_OK) {
                sqlite3_bind_int64(st, 1, ids[i]);
                sqlite3_bind_int64(st, 2, exp_id);
                sqlite3_bind_text(st, 3, proposer, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, rationale, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 5, recipe, -1, SQLITE_STATIC);
                if (run > 0)
                    sqlite3_bind_int64(st, 6, run);
                sqlite3_bind_double(st, 7, created);
                if (sqlite3_step(st) != SQLITE_DONE)
                    rc = cb_store_sql_error(s, s->db, "adding a proposal", err);
                sqlite3_finalize(st);
            }
        }
        json_decref(j);
        free(exp);
        free(proposer);
        free(rationale);
        free(recipe);
        free(file);
    }
    free(ids);
    free(path);
    return rc;
}

/* The old database, before the new one replaces it: a codecbench store is
 * checkpointed (so no stale WAL is replayed onto the new file); a corrupt
 * one is kept beside, renamed, never deleted. */
static int retire_old(const char *dir, const char *db_path, const CbLogger *logger, CbError *err)
{
    struct stat sb;
    if (stat(db_path, &sb) != 0)
        return CB_OK;
    int version;
    CbError cerr;
    int rc = CB_OK;
    char *wal = NULL, *shm = NULL;
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    if (cb_buf_printf(&b, "%s-wal", db_path) < 0 || !(wal = cb_buf_steal(&b)) ||
        cb_buf_printf(&b, "%s-shm", db_path) < 0 || !(shm = cb_buf_steal(&b))) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    if (cb_store_schema_check(db_path, &version, &cerr) == CB_OK) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
            sqlite3_busy_timeout(db, CB_STORE_BUSY_MS);
            sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        }
        sqlite3_close(db);
        unlink(wal);
        unlink(shm);
    } else {
        cb_buf_reset(&b);
        if (cb_buf_printf(&b, "%s.corrupt-%lld", db_path, (long long)cb_store_now()) < 0) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto done;
        }
        if (rename(db_path, b.data) != 0) {
            rc = cb_error_set(err, CB_EIO, "%s: %s", db_path, strerror(errno));
            goto done;
        }
        cb_log(logger, CB_LOG_WARN, "%s (%s) kept as %s", db_path, cerr.text, b.data);
        if (cb_buf_puts(&b, "-wal") == CB_OK)
            rename(wal, b.data);
        unlink(shm);
    }
    (void)dir;
done:
    free(wal);
    free(shm);
    cb_buf_free(&b);
    return rc;
}

int cb_store_reindex(const char *dir, const CbLogger *logger, int64_t *runs, CbError *err)
{
    int rc = CB_OK, lock_fd = -1;
    CbStore s = {0};
    char *lock_path = NULL, *tmp_path = NULL;
    int64_t *ids = NULL;
    size_t n_ids = 0;
    int64_t max_id = 0, indexed = 0;
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    if (!dir || !*dir)
        return cb_error_set(err, CB_EINVAL, "reindex: no store directory");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return cb_error_set(err, CB_ENOENT, "%s: not a directory", dir);
    s.dir = (char *)dir;
    s.db_path = cb_path_join(dir, "store.db");
    lock_path = cb_path_join(dir, "runner.lock");
    if (!s.db_path || !lock_path) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    /* The runner's lock, held for the whole rebuild: no runner may start. */
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", lock_path, strerror(errno));
        goto done;
    }
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK
                 ? cb_error_set(err, CB_EBUSY, "%s: a runner holds this store; stop it first",
                                dir)
                 : cb_error_set(err, CB_EIO, "%s: %s", lock_path, strerror(errno));
        goto done;
    }
    /* Someone else's file is never replaced: only a codecbench store (sound
     * or corrupt) or nothing may be in the way. */
    if (stat(s.db_path, &sb) == 0) {
        rc = cb_store_schema_header(s.db_path, err);
        int version;
        CbError cerr;
        if (rc == CB_OK && cb_store_schema_check(s.db_path, &version, &cerr) == CB_ENOTSUP)
            rc = cb_error_set(err, CB_ENOTSUP, "%s", cerr.text);
        if (rc < 0)
            goto done;
    }
    if (cb_buf_printf(&b, "%s.reindex-%ld", s.db_path, (long)getpid()) < 0 ||
        !(tmp_path = cb_buf_steal(&b))) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    unlink(tmp_path);
    if (sqlite3_open_v2(tmp_path, &s.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", tmp_path,
                          s.db ? sqlite3_errmsg(s.db) : "cannot create");
        goto done;
    }
    sqlite3_exec(s.db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    rc = cb_store_schema_create(s.db, err);
    if (rc == CB_OK)
        rc = cb_store_begin(&s, err);
    if (rc == CB_OK)
        rc = index_experiments(&s, logger, err);
    if (rc == CB_OK)
        rc = scan_ids(dir, "runs", &ids, &n_ids, &max_id, err);
    if (rc == CB_OK)
        rc = scan_ids(dir, "trash", NULL, NULL, &max_id, err);
    for (size_t i = 0; rc == CB_OK && i < n_ids; i++) {
        char *rd = cb_store_run_dir(&s, ids[i]);
        if (!rd) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            break;
        }
        CbError rerr;
        int skip = 0;
        cb_error_clear(&rerr);
        sqlite3_exec(s.db, "SAVEPOINT run", NULL, NULL, NULL);
        int r = index_run(&s, rd, ids[i], logger, &skip, &rerr);
        if (r == CB_OK) {
            sqlite3_exec(s.db, "RELEASE run", NULL, NULL, NULL);
            indexed++;
        } else if (skip || r == CB_EINVAL || r == CB_EFORMAT) {
            sqlite3_exec(s.db, "ROLLBACK TO run; RELEASE run", NULL, NULL, NULL);
            cb_log(logger, CB_LOG_WARN, "%s skipped: %s", rd, rerr.text);
        } else {
            rc = cb_error_set(err, r, "%s", rerr.text);
        }
        free(rd);
    }
    if (rc == CB_OK)
        rc = index_proposals(&s, logger, err);
    if (rc == CB_OK)
        rc = cb_store_usage_reindex(&s, logger, err);
    /* BD figures once every run is in. */
    if (rc == CB_OK) {
        sqlite3_stmt *st = NULL;
        rc = cb_store_prepare(&s, "SELECT id FROM experiments", &st, err);
        int step = SQLITE_DONE;
        while (rc == CB_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
            rc = cb_store_bd_refresh(&s, sqlite3_column_int64(st, 0), NULL, err);
        if (rc == CB_OK && step != SQLITE_DONE)
            rc = cb_store_sql_error(&s, s.db, "reading experiments", err);
        sqlite3_finalize(st);
    }
    if (rc == CB_OK) {
        sqlite3_stmt *st = NULL;
        rc = cb_store_prepare(
            &s, "INSERT OR REPLACE INTO meta(key, value) VALUES ('last_run_id', ?1)", &st, err);
        if (rc == CB_OK) {
            sqlite3_bind_int64(st, 1, max_id);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = cb_store_sql_error(&s, s.db, "recording the run id", err);
            sqlite3_finalize(st);
        }
    }
    if (rc == CB_OK)
        rc = cb_store_commit(&s, err);
    else if (s.db)
        cb_store_rollback(&s);
    if (s.db && sqlite3_close(s.db) != SQLITE_OK && rc == CB_OK)
        rc = cb_error_set(err, CB_EIO, "%s: %s", tmp_path, sqlite3_errmsg(s.db));
    s.db = NULL;
    if (rc == CB_OK)
        rc = retire_old(dir, s.db_path, logger, err);
    if (rc == CB_OK && rename(tmp_path, s.db_path) != 0)
        rc = cb_error_set(err, CB_EIO, "%s: %s", s.db_path, strerror(errno));
    if (rc == CB_OK) {
        /* The directories a new store has (an old one may lack them). */
        static const char *const subdirs[] = {"runs", "experiments"};
        for (size_t i = 0; i < 2 && rc == CB_OK; i++) {
            char *p = cb_path_join(dir, subdirs[i]);
            rc = p ? cb_store_mkdirs(p, err) : cb_error_set(err, CB_ENOMEM, "out of memory");
            free(p);
        }
    }
    if (rc == CB_OK && runs)
        *runs = indexed;
done:
    if (s.db)
        sqlite3_close(s.db);
    if (tmp_path && rc < 0) {
        unlink(tmp_path);
        cb_buf_reset(&b);
        if (cb_buf_printf(&b, "%s-wal", tmp_path) == CB_OK)
            unlink(b.data);
        cb_buf_reset(&b);
        if (cb_buf_printf(&b, "%s-shm", tmp_path) == CB_OK)
            unlink(b.data);
    }
    if (lock_fd >= 0)
        close(lock_fd);
    free(ids);
    free(s.db_path);
    free(lock_path);
    free(tmp_path);
    cb_buf_free(&b);
    return rc;
}

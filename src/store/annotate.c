/* codecbench: what researchers add to runs (tags, notes), where runs came
 * from (lineage, proposals), and the experiments. */
#include "store/store_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/recipe.h"

static int exec_id(CbStore *s, const char *sql, int64_t id, const char *text, const char *what,
                   CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, sql, &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if (text)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    return cb_store_step_once(s, st, what, err);
}

typedef struct TagChange {
    const char *tag;
    int add;
} TagChange;

static int change_tag(CbStore *s, int64_t id, CbRunStatus from, const void *arg, CbError *err)
{
    const TagChange *c = arg;
    (void)from;
    int rc = exec_id(s,
                     c->add ? "INSERT OR IGNORE INTO tags(run_id, tag) VALUES (?1, ?2)"
                            : "DELETE FROM tags WHERE run_id = ?1 AND tag = ?2",
                     id, c->tag, "changing tags", err);
    /* The row's sorted copy, which listing reads (schema version 2). */
    if (rc == CB_OK)
        rc = exec_id(s,
                     "UPDATE runs SET tags = (SELECT group_concat(tag, ',') FROM (SELECT tag "
                     "FROM tags WHERE run_id = ?1 ORDER BY tag)) WHERE id = ?1",
                     id, NULL, "changing tags", err);
    if (rc == CB_OK)
        rc = cb_store_write_annotations(s, id, err);
    return rc;
}

int cb_store_tag(CbStore *s, int64_t id, const char *tag, int add, CbError *err)
{
    int rc = cb_store_check_tag(tag, err);
    if (rc < 0)
        return rc;
    TagChange c = {.tag = tag, .add = add};
    return cb_store_change_run(s, id, change_tag, &c, err);
}

static int add_note(CbStore *s, int64_t id, CbRunStatus from, const void *arg, CbError *err)
{
    (void)from;
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "INSERT INTO notes(run_id, created, text) VALUES (?1, ?2, ?3)",
                              &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_double(st, 2, cb_store_now());
    sqlite3_bind_text(st, 3, arg, -1, SQLITE_STATIC);
    rc = cb_store_step_once(s, st, "adding a note", err);
    if (rc == CB_OK)
        rc = cb_store_write_annotations(s, id, err);
    return rc;
}

int cb_store_note(CbStore *s, int64_t id, const char *text, CbError *err)
{
    int rc = cb_store_check_note(text, err);
    if (rc < 0)
        return rc;
    return cb_store_change_run(s, id, add_note, text, err);
}

static void notes_drop(void *rows, size_t n)
{
    CbNote *r = rows;
    cb_notes_free(&r, n);
}

static void note_row(sqlite3_stmt *st, void *elem, int *oom)
{
    CbNote *note = elem;
    note->created = sqlite3_column_double(st, 0);
    note->text = cb_store_col_text(st, 1, oom);
}

int cb_store_notes(CbStore *s, int64_t id, CbNote **notes, size_t *n, CbError *err)
{
    *notes = NULL;
    *n = 0;
    CbRunStatus status;
    int rc = cb_store_run_status(s, id, &status, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = cb_store_prepare(s, "SELECT created, text FROM notes WHERE run_id = ?1 ORDER BY id", &st,
                          err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    void *out;
    rc = cb_store_collect_rows(s, st, sizeof(CbNote), 8, note_row, notes_drop, "reading notes", &out, n,
                      err);
    *notes = out;
    return rc;
}

void cb_notes_free(CbNote **notes, size_t n)
{
    if (!notes || !*notes)
        return;
    for (size_t i = 0; i < n; i++)
        free((*notes)[i].text);
    free(*notes);
    *notes = NULL;
}

/* ---- lineage ------------------------------------------------------------- */

typedef struct IdVec {
    int64_t *v;
    size_t n, cap;
} IdVec;

static int idvec_push(IdVec *a, int64_t id)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        int64_t *g = realloc(a->v, cap * sizeof *g);
        if (!g)
            return CB_ENOMEM;
        a->v = g;
        a->cap = cap;
    }
    a->v[a->n++] = id;
    return CB_OK;
}

static int idvec_has(const IdVec *a, int64_t id)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i] == id)
            return 1;
    return 0;
}

int cb_store_lineage(CbStore *s, int64_t id, int64_t **ancestors, size_t *n_anc,
                     int64_t **descendants, size_t *n_desc, CbError *err)
{
    *ancestors = *descendants = NULL;
    *n_anc = *n_desc = 0;
    IdVec anc = {0}, desc = {0};
    sqlite3_stmt *up = NULL, *down = NULL;
    CbRunStatus status;
    int rc = cb_store_run_status(s, id, &status, err);
    if (rc == CB_OK)
        rc = cb_store_prepare(s, "SELECT parent FROM runs WHERE id = ?1", &up, err);
    if (rc == CB_OK)
        rc = cb_store_prepare(s, "SELECT id FROM runs WHERE parent = ?1 ORDER BY id", &down, err);
    if (rc < 0)
        goto fail;
    /* Up: parents until none, or a parent that was deleted (its id is still
     * listed: lineage outlives deletes), or a cycle (a store edited by hand). */
    for (int64_t cur = id;;) {
        sqlite3_bind_int64(up, 1, cur);
        int step = sqlite3_step(up);
        int64_t parent = step == SQLITE_ROW ? sqlite3_column_int64(up, 0) : 0;
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = cb_store_sql_error(s, s->db, "reading lineage", err);
            goto fail;
        }
        sqlite3_reset(up);
        if (parent <= 0 || parent == id || idvec_has(&anc, parent))
            break;
        if (idvec_push(&anc, parent) < 0)
            goto oom;
        if (step == SQLITE_DONE)
            break;
        cur = parent;
    }
    /* Down: breadth first. */
    for (size_t head = 0; head <= desc.n; head++) {
        int64_t cur = head == 0 ? id : desc.v[head - 1];
        sqlite3_bind_int64(down, 1, cur);
        int step;
        while ((step = sqlite3_step(down)) == SQLITE_ROW) {
            int64_t child = sqlite3_column_int64(down, 0);
            if (child != id && !idvec_has(&desc, child) && idvec_push(&desc, child) < 0)
                goto oom;
        }
        sqlite3_reset(down);
        if (step != SQLITE_DONE) {
            rc = cb_store_sql_error(s, s->db, "reading lineage", err);
            goto fail;
        }
    }
    sqlite3_finalize(up);
    sqlite3_finalize(down);
    *ancestors = anc.v;
    *n_anc = anc.n;
    *descendants = desc.v;
    *n_desc = desc.n;
    return CB_OK;
oom:
    rc = cb_error_set(err, CB_ENOMEM, "out of memory");
fail:
    sqlite3_finalize(up);
    sqlite3_finalize(down);
    free(anc.v);
    free(desc.v);
    return rc;
}

/* ---- proposals ----------------------------------------------------------- */

/* STORE/proposals/NNNNNN.json: the proposal as recorded, so that reindex
 * keeps it (proposals have no run directory of their own). */
static int write_proposal(CbStore *s, int64_t id, const char *experiment, const char *proposer,
                          const char *rationale, const char *recipe_json, int64_t run_id,
                          double created, CbError *err)
{
    char *dir = cb_path_join(s->dir, "proposals");
    char name[32];
    snprintf(name, sizeof name, "%06lld.json", (long long)id);
    char *path = dir ? cb_path_join(dir, name) : NULL;
    json_t *j = json_pack("{s:i, s:I, s:s, s:s, s:s, s:s, s:I, s:f}", "format",
                          CB_STORE_FILE_FORMAT, "id", (json_int_t)id, "experiment", experiment,
                          "proposer", proposer, "rationale", rationale, "recipe", recipe_json,
                          "run", (json_int_t)run_id, "created", created);
    int rc;
    if (!path)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    else if (!j)
        rc = cb_error_set(err, CB_EINVAL, "proposal: a text that is not UTF-8 (or out of memory)");
    else if ((rc = cb_store_mkdirs(dir, err)) == CB_OK)
        rc = cb_store_write_json(path, j, err);
    json_decref(j);
    free(path);
    free(dir);
    return rc;
}

int cb_store_add_proposal(CbStore *s, const char *experiment, const char *proposer,
                          const char *rationale, const char *recipe_json, int64_t run_id,
                          int64_t *proposal_id, CbError *err)
{
    if (!proposer || !*proposer || !rationale || !recipe_json)
        return cb_error_set(err, CB_EINVAL, "proposal: proposer, rationale and recipe required");
    if (run_id < 0)
        return cb_error_set(err, CB_EINVAL, "proposal: run id %lld", (long long)run_id);
    int64_t exp_id;
    CbRunStatus status;
    int rc = cb_store_begin(s, err);
    if (rc < 0)
        return rc;
    rc = cb_store_experiment_id(s, experiment ? experiment : "default", 1, &exp_id, err);
    if (rc == CB_OK && run_id > 0)
        rc = cb_store_run_status(s, run_id, &status, err);
    sqlite3_stmt *st = NULL;
    if (rc == CB_OK)
        rc = cb_store_prepare(s,
                              "INSERT INTO proposals(experiment_id, proposer, rationale, "
                              "recipe_json, run_id, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                              &st, err);
    if (rc == CB_OK) {
        sqlite3_bind_int64(st, 1, exp_id);
        sqlite3_bind_text(st, 2, proposer, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, rationale, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, recipe_json, -1, SQLITE_STATIC);
        if (run_id > 0)
            sqlite3_bind_int64(st, 5, run_id);
        double created = cb_store_now();
        sqlite3_bind_double(st, 6, created);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = cb_store_sql_error(s, s->db, "adding a proposal", err);
        } else {
            int64_t id = sqlite3_last_insert_rowid(s->db);
            rc = write_proposal(s, id, experiment ? experiment : "default", proposer, rationale,
                                recipe_json, run_id, created, err);
            if (rc == CB_OK && proposal_id)
                *proposal_id = id;
        }
        sqlite3_finalize(st);
    }
    if (rc < 0) {
        cb_store_rollback(s);
        return rc;
    }
    return cb_store_commit(s, err);
}

/* ---- experiments --------------------------------------------------------- */

void cb_experiment_infos_free(CbExperimentInfo **rows, size_t n)
{
    if (!rows || !*rows)
        return;
    for (size_t i = 0; i < n; i++) {
        free((*rows)[i].name);
        free((*rows)[i].anchor_name);
        free((*rows)[i].anchor_hash);
    }
    free(*rows);
    *rows = NULL;
}

static void experiments_drop(void *rows, size_t n)
{
    CbExperimentInfo *r = rows;
    cb_experiment_infos_free(&r, n);
}

static void experiment_row(sqlite3_stmt *st, void *elem, int *oom)
{
    CbExperimentInfo *e = elem;
    e->name = cb_store_col_text(st, 0, oom);
    e->anchor_name = cb_store_col_text(st, 1, oom);
    e->anchor_hash = cb_store_col_text(st, 2, oom);
    e->runs = sqlite3_column_int64(st, 3);
    e->done = sqlite3_column_int64(st, 4);
    e->clips = sqlite3_column_int64(st, 5);
}

int cb_store_experiments(CbStore *s, CbExperimentInfo **rows, size_t *n, CbError *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(
        s,
        "SELECT e.name, e.anchor_name, e.anchor_hash, "
        "(SELECT count(*) FROM runs r WHERE r.experiment_id = e.id), "
        "(SELECT count(*) FROM runs r WHERE r.experiment_id = e.id AND r.status = 3), "
        "(SELECT count(DISTINCT r.clip) FROM runs r WHERE r.experiment_id = e.id AND r.status = "
        "3) FROM experiments e ORDER BY e.name",
        &st, err);
    if (rc < 0)
        return rc;
    void *out;
    rc = cb_store_collect_rows(s, st, sizeof(CbExperimentInfo), 8, experiment_row, experiments_drop,
                      "reading experiments", &out, n, err);
    *rows = out;
    return rc;
}

void cb_proposals_free(CbProposal **rows, size_t n)
{
    if (!rows || !*rows)
        return;
    for (size_t i = 0; i < n; i++) {
        free((*rows)[i].experiment);
        free((*rows)[i].proposer);
        free((*rows)[i].rationale);
        free((*rows)[i].recipe_json);
    }
    free(*rows);
    *rows = NULL;
}

static void proposals_drop(void *rows, size_t n)
{
    CbProposal *r = rows;
    cb_proposals_free(&r, n);
}

static void proposal_row(sqlite3_stmt *st, void *elem, int *oom)
{
    CbProposal *p = elem;
    p->id = sqlite3_column_int64(st, 0);
    p->experiment = cb_store_col_text(st, 1, oom);
    p->proposer = cb_store_col_text(st, 2, oom);
    p->rationale = cb_store_col_text(st, 3, oom);
    p->recipe_json = cb_store_col_text(st, 4, oom);
    p->run_id = sqlite3_column_int64(st, 5);
    p->created = sqlite3_column_double(st, 6);
}

int cb_store_proposals(CbStore *s, const char *experiment, CbProposal **rows, size_t *n,
                       CbError *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "SELECT p.id, e.name, p.proposer, p.rationale, p.recipe_json, "
                              "coalesce(p.run_id, 0), p.created FROM proposals p JOIN experiments "
                              "e ON e.id = p.experiment_id WHERE ?1 IS NULL OR e.name = ?1 ORDER "
                              "BY p.id",
                              &st, err);
    if (rc < 0)
        return rc;
    if (experiment)
        sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
    void *out;
    rc = cb_store_collect_rows(s, st, sizeof(CbProposal), 16, proposal_row, proposals_drop,
                      "reading proposals", &out, n, err);
    *rows = out;
    return rc;
}

/* codecbench store: the stage edits of the LLM proposer's replies, per
 * experiment and model, and how many failed to apply (schema version 4,
 * table llm_edits).  A model that keeps sending search texts that match
 * nothing, or several places, wastes its rounds: the share is shown so a
 * researcher can tell (codecbench propose --stats, the proposal pane).
 *
 * Each round with edits is a row and a line of STORE/llm-usage.jsonl
 * ({"format": 1, "record": "edits", "experiment", "model", "edits_tried",
 * "edits_failed", "created"}), written in one write while the row's
 * transaction is open, like the token usage, so that reindex restores it. */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "codecbench/log.h"

/* Most edits one record may claim: a round has at most CB_PROPOSE_MAX_K
 * proposals (32); a hand-edited file with more is not a record of ours. */
#define EDITS_RECORD_MAX 1000000

static int insert_row(CbStore *s, int64_t exp_id, double created, const char *model,
                      long long tried, long long failed, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "INSERT INTO llm_edits(experiment_id, created, model, tried, failed) "
                              "VALUES (?1, ?2, ?3, ?4, ?5)",
                              &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, exp_id);
    sqlite3_bind_double(st, 2, created);
    sqlite3_bind_text(st, 3, model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, tried);
    sqlite3_bind_int64(st, 5, failed);
    return cb_store_step_once(s, st, "recording the LLM's stage edits", err);
}

int cb_store_add_llm_edits(CbStore *s, const char *experiment, const char *model, long long tried,
                           long long failed, CbError *err)
{
    if (tried < 0 || failed < 0 || failed > tried || tried > EDITS_RECORD_MAX)
        return cb_error_set(err, CB_EINVAL, "llm edits: %lld of %lld failed is not a count", failed,
                            tried);
    if (!experiment)
        experiment = "default";
    if (!model)
        model = "";
    int rc = cb_store_writable(s, err);
    if (rc < 0)
        return rc;
    rc = cb_store_begin(s, err);
    if (rc < 0)
        return rc;
    int64_t exp_id = 0;
    double created = cb_store_now();
    rc = cb_store_experiment_id(s, experiment, 1, &exp_id, err);
    if (rc == CB_OK)
        rc = insert_row(s, exp_id, created, model, tried, failed, err);
    if (rc == CB_OK) {
        json_t *j =
            json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:f}", "format", CB_STORE_FILE_FORMAT,
                      "record", "edits", "experiment", experiment, "model", model, "edits_tried",
                      (json_int_t)tried, "edits_failed", (json_int_t)failed, "created", created);
        rc = cb_store_usage_append(s, j, err);
        json_decref(j);
    }
    if (rc < 0) {
        cb_store_rollback(s);
        return rc;
    }
    return cb_store_commit(s, err);
}

int cb_store_edits_restore(CbStore *s, json_t *j, const CbLogger *logger, const char *path,
                           size_t lineno, CbError *err)
{
    const char *kind = json_string_value(json_object_get(j, "record"));
    json_t *e = json_object_get(j, "experiment"), *m = json_object_get(j, "model");
    json_t *t = json_object_get(j, "edits_tried"), *f = json_object_get(j, "edits_failed");
    json_t *cr = json_object_get(j, "created");
    CbError ce;
    if (!kind || strcmp(kind, "edits")) {
        cb_log(logger, CB_LOG_WARN, "%s:%zu: a record this codecbench does not know, skipped", path,
               lineno);
        return CB_OK;
    }
    if (!json_is_string(e) || !json_is_string(m) || !json_is_integer(t) || !json_is_integer(f) ||
        !json_is_number(cr) || json_integer_value(t) < 0 || json_integer_value(f) < 0 ||
        json_integer_value(f) > json_integer_value(t) || json_integer_value(t) > EDITS_RECORD_MAX ||
        cb_store_check_experiment_name(json_string_value(e), &ce) < 0) {
        cb_log(logger, CB_LOG_WARN, "%s:%zu: not an edits record, skipped", path, lineno);
        return CB_OK;
    }
    int64_t exp_id = 0;
    int rc = cb_store_experiment_id(s, json_string_value(e), 1, &exp_id, err);
    if (rc == CB_OK)
        rc = insert_row(s, exp_id, json_number_value(cr), json_string_value(m),
                        json_integer_value(t), json_integer_value(f), err);
    return rc;
}

static void fill_stat(sqlite3_stmt *st, void *elem, int *oom)
{
    CbLlmEditStat *r = elem;
    r->model = cb_store_col_text(st, 0, oom);
    if (!r->model && !*oom)
        r->model = strdup("");
    if (!r->model)
        *oom = 1;
    r->tried = sqlite3_column_int64(st, 1);
    r->failed = sqlite3_column_int64(st, 2);
}

static void drop_stats(void *rows, size_t n)
{
    CbLlmEditStat *r = rows;
    cb_llm_edit_stats_free(&r, n);
}

int cb_store_llm_edits(CbStore *s, const char *experiment, CbLlmEditStat **rows, size_t *n,
                       CbError *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "SELECT d.model, sum(d.tried), sum(d.failed) FROM llm_edits d JOIN "
                              "experiments e ON e.id = d.experiment_id WHERE ?1 IS NULL OR "
                              "e.name = ?1 GROUP BY d.model ORDER BY d.model",
                              &st, err);
    if (rc < 0)
        return rc;
    if (experiment)
        sqlite3_bind_text(st, 1, experiment, -1, SQLITE_TRANSIENT);
    void *out = NULL;
    rc = cb_store_collect_rows(s, st, sizeof **rows, 4, fill_stat, drop_stats,
                               "reading the LLM's stage edits", &out, n, err);
    if (rc == CB_OK)
        *rows = out;
    return rc;
}

void cb_llm_edit_stats_free(CbLlmEditStat **rows, size_t n)
{
    if (!rows || !*rows)
        return;
    for (size_t i = 0; i < n; i++)
        free((*rows)[i].model);
    free(*rows);
    *rows = NULL;
}

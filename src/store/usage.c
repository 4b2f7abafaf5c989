/* codecbench store: the tokens the LLM proposer's requests cost, per
 * experiment (schema version 3), so that llm.budget can stop the loop. */
#include "store/store_internal.h"

#include <string.h>

int cb_store_add_llm_usage(CbStore *s, const char *experiment, const char *model,
                           long long prompt_tokens, long long completion_tokens, int estimated,
                           int attempts, CbError *err)
{
    if (prompt_tokens < 0 || completion_tokens < 0 || attempts < 0)
        return cb_error_set(err, CB_EINVAL, "llm usage: negative counts");
    int64_t exp_id;
    int rc = cb_store_begin(s, err);
    if (rc < 0)
        return rc;
    rc = cb_store_experiment_id(s, experiment ? experiment : "default", 1, &exp_id, err);
    sqlite3_stmt *st = NULL;
    if (rc == CB_OK)
        rc = cb_store_prepare(s,
                              "INSERT INTO llm_usage(experiment_id, created, model, prompt_tokens, "
                              "completion_tokens, estimated, attempts) VALUES (?1, ?2, ?3, ?4, ?5, "
                              "?6, ?7)",
                              &st, err);
    if (rc == CB_OK) {
        sqlite3_bind_int64(st, 1, exp_id);
        sqlite3_bind_double(st, 2, cb_store_now());
        sqlite3_bind_text(st, 3, model ? model : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, prompt_tokens);
        sqlite3_bind_int64(st, 5, completion_tokens);
        sqlite3_bind_int(st, 6, estimated != 0);
        sqlite3_bind_int(st, 7, attempts);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = cb_store_sql_error(s, s->db, "recording LLM usage", err);
        sqlite3_finalize(st);
    }
    if (rc < 0) {
        cb_store_rollback(s);
        return rc;
    }
    return cb_store_commit(s, err);
}

int cb_store_llm_usage(CbStore *s, const char *experiment, long long *tokens, long long *requests,
                       CbError *err)
{
    *tokens = 0;
    if (requests)
        *requests = 0;
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s,
                              "SELECT coalesce(sum(u.prompt_tokens + u.completion_tokens), 0), "
                              "count(*) FROM llm_usage u JOIN experiments e ON e.id = "
                              "u.experiment_id WHERE ?1 IS NULL OR e.name = ?1",
                              &st, err);
    if (rc < 0)
        return rc;
    if (experiment)
        sqlite3_bind_text(st, 1, experiment, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *tokens = sqlite3_column_int64(st, 0);
        if (requests)
            *requests = sqlite3_column_int64(st, 1);
    } else {
        rc = cb_store_sql_error(s, s->db, "reading LLM usage", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* codecbench store: the tokens the LLM proposer's requests cost, per
 * experiment (schema version 3), so that llm.budget can stop the loop.
 *
 * Each request is a row of llm_usage and a line of STORE/llm-usage.jsonl
 * ({"format": 1, "experiment", "model", "prompt_tokens",
 * "completion_tokens", "estimated", "attempts", "created"}), appended in one
 * write while the row's transaction is open, so that reindex brings the
 * counts back.  Lines with a "record" member are other records kept in the
 * same file (edits.c: the stage edits of the replies), restored by their
 * owner. */
#include "store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecbench/buf.h"
#include "codecbench/log.h"

#define USAGE_FILE "llm-usage.jsonl"
/* Largest usage file reindex reads (a line is about 200 bytes). */
#define USAGE_FILE_MAX ((size_t)64 << 20)

int cb_store_usage_append(CbStore *s, json_t *j, CbError *err)
{
    char *path = cb_path_join(s->dir, USAGE_FILE);
    char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
    CbBuf b;
    cb_buf_init(&b, 8192);
    int rc = CB_OK, fd = -1;
    if (!j && path) {
        rc = cb_error_set(err, CB_EINVAL, "llm usage: a name that is not UTF-8 (or out of memory)");
        goto done;
    }
    if (!path || !line) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    if (cb_buf_puts(&b, line) < 0 || cb_buf_puts(&b, "\n") < 0) {
        rc = cb_error_set(err, CB_ELIMIT, "llm usage: a line over 8 KiB (the model name?)");
        goto done;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
        goto done;
    }
    /* One write of the whole line: O_APPEND keeps lines of concurrent
     * writers whole on a local file system. */
    ssize_t w;
    do
        w = write(fd, b.data, b.len);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)b.len)
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, w < 0 ? strerror(errno) : "a short write");
    if (close(fd) != 0 && rc == CB_OK)
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
done:
    cb_buf_free(&b);
    free(line);
    free(path);
    return rc;
}

static int append_line(CbStore *s, const char *experiment, const char *model, long long prompt,
                       long long completion, int estimated, int attempts, double created,
                       CbError *err)
{
    json_t *j = json_pack("{s:i, s:s, s:s, s:I, s:I, s:b, s:i, s:f}", "format",
                          CB_STORE_FILE_FORMAT, "experiment", experiment, "model", model,
                          "prompt_tokens", (json_int_t)prompt, "completion_tokens",
                          (json_int_t)completion, "estimated", estimated != 0, "attempts",
                          attempts, "created", created);
    int rc = cb_store_usage_append(s, j, err);
    json_decref(j);
    return rc;
}

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
    double created = cb_store_now();
    if (rc == CB_OK) {
        sqlite3_bind_int64(st, 1, exp_id);
        sqlite3_bind_double(st, 2, created);
        sqlite3_bind_text(st, 3, model ? model : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, prompt_tokens);
        sqlite3_bind_int64(st, 5, completion_tokens);
        sqlite3_bind_int(st, 6, estimated != 0);
        sqlite3_bind_int(st, 7, attempts);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = cb_store_sql_error(s, s->db, "recording LLM usage", err);
        sqlite3_finalize(st);
    }
    if (rc == CB_OK)
        rc = append_line(s, experiment ? experiment : "default", model ? model : "",
                         prompt_tokens, completion_tokens, estimated, attempts, created, err);
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

int cb_store_usage_reindex(CbStore *s, const CbLogger *logger, CbError *err)
{
    char *path = cb_path_join(s->dir, USAGE_FILE);
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    CbBuf b;
    cb_buf_init(&b, USAGE_FILE_MAX);
    CbError rerr;
    int rc = cb_buf_read_file(&b, path, &rerr);
    if (rc < 0) {
        /* no file: no usage yet; an unreadable one is said, not fatal */
        if (access(path, F_OK) == 0)
            cb_log(logger, CB_LOG_WARN, "LLM usage not restored: %s", rerr.text);
        rc = CB_OK;
        goto done;
    }
    size_t lineno = 0;
    for (char *p = b.data; rc == CB_OK && p && *p;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        json_error_t je;
        json_t *j = json_loadb(p, len, 0, &je);
        json_t *e = json_object_get(j, "experiment"), *m = json_object_get(j, "model");
        json_t *pt = json_object_get(j, "prompt_tokens"), *ct = json_object_get(j, "completion_tokens");
        json_t *at = json_object_get(j, "attempts"), *cr = json_object_get(j, "created");
        CbError ce;
        if (json_is_object(j) && json_is_string(json_object_get(j, "record"))) {
            /* another kind of record kept in this file (edits.c) */
            rc = cb_store_edits_restore(s, j, logger, path, lineno, err);
        } else if (!json_is_string(e) || !json_is_string(m) || !json_is_integer(pt) ||
            !json_is_integer(ct) || !json_is_integer(at) || !json_is_number(cr) ||
            json_integer_value(pt) < 0 || json_integer_value(ct) < 0 ||
            json_integer_value(at) < 0 ||
            cb_store_check_experiment_name(json_string_value(e), &ce) < 0) {
            if (len)
                cb_log(logger, CB_LOG_WARN, "%s:%zu: not a usage record, skipped", path, lineno);
        } else {
            int64_t exp_id;
            sqlite3_stmt *st = NULL;
            rc = cb_store_experiment_id(s, json_string_value(e), 1, &exp_id, err);
            if (rc == CB_OK)
                rc = cb_store_prepare(s,
                                      "INSERT INTO llm_usage(experiment_id, created, model, "
                                      "prompt_tokens, completion_tokens, estimated, attempts) "
                                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                      &st, err);
            if (rc == CB_OK) {
                sqlite3_bind_int64(st, 1, exp_id);
                sqlite3_bind_double(st, 2, json_number_value(cr));
                sqlite3_bind_text(st, 3, json_string_value(m), -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(st, 4, json_integer_value(pt));
                sqlite3_bind_int64(st, 5, json_integer_value(ct));
                sqlite3_bind_int(st, 6, json_is_true(json_object_get(j, "estimated")));
                sqlite3_bind_int64(st, 7, json_integer_value(at));
                if (sqlite3_step(st) != SQLITE_DONE)
                    rc = cb_store_sql_error(s, s->db, "restoring LLM usage", err);
                sqlite3_finalize(st);
            }
        }
        json_decref(j);
        p = nl ? nl + 1 : NULL;
    }
done:
    cb_buf_free(&b);
    free(path);
    return rc;
}

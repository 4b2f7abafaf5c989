/* codecbench: deleting runs (to STORE/trash) and collecting the garbage. */
#include "store/store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codecbench/buf.h"

int cb_store_delete_run(CbStore *s, int64_t id, CbError *err)
{
    CbRunStatus status;
    char *dir = NULL, *clip = NULL;
    CbBuf trash;
    cb_buf_init(&trash, 1 << 16);
    sqlite3_stmt *st = NULL;
    int64_t exp_id = 0;
    int moved = 0, oom = 0;
    int rc = cb_store_begin(s, err);
    if (rc < 0)
        return rc;
    rc = cb_store_run_status(s, id, &status, err);
    if (rc < 0)
        goto fail;
    if (status == CB_RUN_RUNNING || status == CB_RUN_VERIFYING) {
        rc = cb_error_set(err, CB_EBUSY, "run %lld is %s: cancel it first", (long long)id,
                          cb_run_status_name(status));
        goto fail;
    }
    rc = cb_store_prepare(s,
                          "SELECT r.experiment_id, c.identity FROM runs r LEFT JOIN clips c ON "
                          "c.id = r.clip WHERE r.id = ?1",
                          &st, err);
    if (rc < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        exp_id = sqlite3_column_int64(st, 0);
        clip = cb_store_col_text(st, 1, &oom);
    }
    sqlite3_finalize(st);
    rc = cb_store_prepare(s, "DELETE FROM runs WHERE id = ?1", &st, err);
    if (rc < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (oom || step != SQLITE_DONE) {
        rc = oom ? cb_error_set(err, CB_ENOMEM, "out of memory")
                 : cb_store_sql_error(s, s->db, "deleting a run", err);
        goto fail;
    }
    /* The run may have been the anchor run of its clip. */
    if (status == CB_RUN_DONE && clip) {
        rc = cb_store_bd_refresh(s, exp_id, clip, err);
        if (rc < 0)
            goto fail;
    }
    dir = cb_store_run_dir(s, id);
    if (!dir || cb_buf_printf(&trash, "%s/trash", s->dir) < 0) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    rc = cb_store_mkdirs(trash.data, err);
    if (rc < 0)
        goto fail;
    size_t base = trash.len;
    for (int k = 0;; k++) {
        trash.len = base;
        trash.data[base] = '\0';
        if ((k ? cb_buf_printf(&trash, "/%06lld.%d", (long long)id, k)
               : cb_buf_printf(&trash, "/%06lld", (long long)id)) < 0) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto fail;
        }
        struct stat sb;
        if (lstat(trash.data, &sb) != 0)
            break;
    }
    if (rename(dir, trash.data) == 0) {
        moved = 1;
    } else if (errno != ENOENT) {
        rc = cb_error_set(err, CB_EIO, "%s: moving to %s: %s", dir, trash.data, strerror(errno));
        goto fail;
    }
    rc = cb_store_commit(s, err);
    if (rc < 0)
        goto fail;
    goto done;
fail:
    cb_store_rollback(s);
    if (moved)
        rename(trash.data, dir);
done:
    free(dir);
    free(clip);
    cb_buf_free(&trash);
    return rc;
}

static int run_row_exists(CbStore *s, int64_t id, int *exists, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "SELECT 1 FROM runs WHERE id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW || step == SQLITE_DONE)
        *exists = step == SQLITE_ROW;
    else
        rc = cb_store_sql_error(s, s->db, "reading runs", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_store_gc(CbStore *s, int64_t *bytes, CbError *err)
{
    int64_t freed = 0;
    char *trash = NULL, *runs = NULL;
    DIR *d = NULL;
    /* The write lock keeps queue_run out: a directory it has made but not
     * yet committed would look orphaned. */
    int rc = cb_store_begin(s, err);
    if (rc < 0)
        return rc;
    trash = cb_path_join(s->dir, "trash");
    runs = cb_path_join(s->dir, "runs");
    if (!trash || !runs) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    rc = cb_store_remove_tree(trash, &freed, err);
    if (rc < 0)
        goto done;
    d = opendir(runs);
    if (!d) {
        if (errno != ENOENT)
            rc = cb_error_set(err, CB_EIO, "%s: %s", runs, strerror(errno));
        goto done;
    }
    struct dirent *e;
    while (rc == CB_OK && (e = readdir(d))) {
        int64_t id;
        int exists = 1;
        if (!cb_store_parse_run_name(e->d_name, &id))
            continue;
        rc = run_row_exists(s, id, &exists, err);
        if (rc < 0 || exists)
            continue;
        char *p = cb_path_join(runs, e->d_name);
        rc = p ? cb_store_remove_tree(p, &freed, err)
               : cb_error_set(err, CB_ENOMEM, "out of memory");
        free(p);
    }
done:
    if (d)
        closedir(d);
    cb_store_rollback(s);
    free(trash);
    free(runs);
    if (bytes)
        *bytes = freed;
    return rc;
}

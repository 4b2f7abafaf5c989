/* codecbench: opening a store, its connection, transactions and the small
 * helpers every part of the store uses. */
#include "store/store_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/buf.h"

static const char *const status_names[] = {
    "queued", "running", "verifying", "done", "failed", "cancelled", "interrupted",
};

const char *cb_run_status_name(CbRunStatus st)
{
    if ((int)st < 0 || (size_t)st >= sizeof status_names / sizeof status_names[0])
        return "unknown";
    return status_names[st];
}

int cb_run_status_parse(const char *name, CbRunStatus *out)
{
    for (size_t i = 0; name && i < sizeof status_names / sizeof status_names[0]; i++) {
        if (!strcmp(name, status_names[i])) {
            *out = (CbRunStatus)i;
            return CB_OK;
        }
    }
    return CB_EINVAL;
}

int cb_store_sql_error(const CbStore *s, sqlite3 *db, const char *what, CbError *err)
{
    int ec = sqlite3_errcode(db);
    int code = (ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB) ? CB_EFORMAT
               : (ec == SQLITE_BUSY || ec == SQLITE_LOCKED)  ? CB_EBUSY
               : ec == SQLITE_NOMEM                          ? CB_ENOMEM
               : ec == SQLITE_READONLY                       ? CB_EINVAL
                                                             : CB_EIO;
    return cb_error_set(err, code, "%s: %s: %s", s && s->db_path ? s->db_path : "store", what,
                        sqlite3_errmsg(db));
}

int cb_store_prepare(CbStore *s, const char *sql, sqlite3_stmt **st, CbError *err)
{
    *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return cb_store_sql_error(s, s->db, "preparing a query", err);
    return CB_OK;
}

int cb_store_writable(const CbStore *s, CbError *err)
{
    if (s->readonly)
        return cb_error_set(err, CB_EINVAL, "%s: opened read-only", s->dir);
    return CB_OK;
}

int cb_store_begin(CbStore *s, CbError *err)
{
    int rc = cb_store_writable(s, err);
    if (rc < 0)
        return rc;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return cb_store_sql_error(s, s->db, "starting a write", err);
    return CB_OK;
}

int cb_store_commit(CbStore *s, CbError *err)
{
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = cb_store_sql_error(s, s->db, "committing", err);
        cb_store_rollback(s);
        return rc;
    }
    return CB_OK;
}

void cb_store_rollback(CbStore *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int cb_store_change_run(CbStore *s, int64_t id, CbRunChange change, const void *arg,
                        CbError *err)
{
    CbRunStatus from;
    int rc = cb_store_begin(s, err);
    if (rc < 0)
        return rc;
    rc = cb_store_run_status(s, id, &from, err);
    if (rc == CB_OK)
        rc = change(s, id, from, arg, err);
    if (rc < 0) {
        cb_store_rollback(s);
        return rc;
    }
    return cb_store_commit(s, err);
}

int cb_store_step_once(CbStore *s, sqlite3_stmt *st, const char *what, CbError *err)
{
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? CB_OK : cb_store_sql_error(s, s->db, what, err);
}

int cb_store_bind_real(sqlite3_stmt *st, int i, double v)
{
    return isfinite(v) ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

double cb_store_col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

char *cb_store_col_text(sqlite3_stmt *st, int i, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    char *c = strdup((const char *)t);
    if (!c)
        *oom = 1;
    return c;
}

int cb_store_experiment_id(CbStore *s, const char *name, int create, int64_t *id, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "SELECT id FROM experiments WHERE name = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
    } else if (step != SQLITE_DONE) {
        rc = cb_store_sql_error(s, s->db, "reading experiments", err);
    } else if (!create) {
        rc = cb_error_set(err, CB_ENOENT, "no experiment \"%s\" in %s", name, s->dir);
    } else {
        sqlite3_finalize(st);
        rc = cb_store_check_experiment_name(name, err);
        if (rc < 0)
            return rc;
        rc = cb_store_prepare(s, "INSERT INTO experiments(name, created) VALUES (?1, ?2)", &st,
                              err);
        if (rc < 0)
            return rc;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 2, cb_store_now());
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = cb_store_sql_error(s, s->db, "adding an experiment", err);
        else
            *id = sqlite3_last_insert_rowid(s->db);
    }
    sqlite3_finalize(st);
    return rc;
}

int cb_store_run_status(CbStore *s, int64_t id, CbRunStatus *status, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "SELECT status FROM runs WHERE id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = cb_store_step_run(s, st, id, "reading a run", err);
    if (rc == CB_OK)
        *status = (CbRunStatus)sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

int cb_store_step_run(CbStore *s, sqlite3_stmt *st, int64_t id, const char *what, CbError *err)
{
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        return CB_OK;
    if (step == SQLITE_DONE)
        return cb_error_set(err, CB_ENOENT, "no run %lld in %s", (long long)id, s->dir);
    return cb_store_sql_error(s, s->db, what, err);
}

/* ---- opening ------------------------------------------------------------- */

/* Makes DIR/store.db: built under a temporary name, then linked into place
 * (link fails if another process made one first, which is then used). */
static int create_db(const char *dir, const char *db_path, CbError *err)
{
    int rc = CB_OK;
    sqlite3 *db = NULL;
    CbBuf tmp;
    cb_buf_init(&tmp, 1 << 16);
    if (cb_buf_printf(&tmp, "%s/store.db.new-%ld", dir, (long)getpid()) < 0)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    unlink(tmp.data);
    if (sqlite3_open_v2(tmp.data, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", tmp.data,
                          db ? sqlite3_errmsg(db) : "cannot create");
        goto done;
    }
    rc = cb_store_schema_create(db, err);
    if (rc < 0)
        goto done;
    if (sqlite3_close(db) != SQLITE_OK) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", tmp.data, sqlite3_errmsg(db));
        goto done;
    }
    db = NULL;
    if (link(tmp.data, db_path) != 0 && errno != EEXIST)
        rc = cb_error_set(err, CB_EIO, "%s: %s", db_path, strerror(errno));
done:
    sqlite3_close(db);
    unlink(tmp.data);
    cb_buf_free(&tmp);
    return rc;
}

static int open_conn(CbStore *s, int readonly, sqlite3 **out, CbError *err)
{
    sqlite3 *db = NULL;
    int fl = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(s->db_path, &db, fl, NULL) != SQLITE_OK) {
        int rc = cb_error_set(err, CB_EIO, "%s: %s", s->db_path,
                              db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, CB_STORE_BUSY_MS);
    sqlite3_extended_result_codes(db, 0);
    const char *pragmas = readonly ? "PRAGMA foreign_keys = ON;"
                                   : "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
    if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        int rc = cb_store_sql_error(s, db, "setting up the connection", err);
        sqlite3_close(db);
        return rc;
    }
    if (!readonly) {
        /* A store made by an older build (or copied) may not be in WAL yet. */
        sqlite3_stmt *st = NULL;
        int wal = 0;
        if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            wal = !sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        if (!wal && sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
            int rc = cb_store_sql_error(s, db, "switching to WAL", err);
            sqlite3_close(db);
            return rc;
        }
    }
    *out = db;
    return CB_OK;
}

int cb_store_open(CbStore **out, const char *dir, int flags, CbError *err)
{
    int rc = CB_OK, version = 0;
    if (!out || !dir || !*dir)
        return cb_error_set(err, CB_EINVAL, "cb_store_open: no store directory");
    *out = NULL;
    CbStore *s = calloc(1, sizeof *s);
    if (!s)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    s->readonly = !!(flags & CB_STORE_READONLY);
    s->dir = strdup(dir);
    s->db_path = cb_path_join(dir, "store.db");
    if (!s->dir || !s->db_path) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    struct stat sb;
    if (stat(s->db_path, &sb) != 0) {
        if (errno != ENOENT) {
            rc = cb_error_set(err, CB_EIO, "%s: %s", s->db_path, strerror(errno));
            goto fail;
        }
        if (!(flags & CB_STORE_CREATE)) {
            rc = cb_error_set(err, CB_ENOENT, "%s: no codecbench store here (no store.db)", dir);
            goto fail;
        }
        rc = cb_store_mkdirs(dir, err);
        if (rc == CB_OK)
            rc = create_db(dir, s->db_path, err);
        if (rc < 0)
            goto fail;
    } else if (!S_ISREG(sb.st_mode)) {
        rc = cb_error_set(err, CB_EFORMAT, "%s: not a regular file", s->db_path);
        goto fail;
    }
    rc = cb_store_schema_check(s->db_path, &version, err);
    if (rc < 0)
        goto fail;
    if (version < CB_STORE_SCHEMA) {
        /* Migration even for a read-only open: it changes no data, and
         * every later open would need it anyway. */
        sqlite3 *mig = NULL;
        rc = open_conn(s, 0, &mig, err);
        if (rc == CB_OK)
            rc = cb_store_schema_migrate(mig, s->db_path, err);
        sqlite3_close(mig);
        if (rc < 0)
            goto fail;
    }
    rc = open_conn(s, s->readonly, &s->db, err);
    if (rc < 0)
        goto fail;
    if (!s->readonly) {
        static const char *const subdirs[] = {"runs", "experiments"};
        for (size_t i = 0; i < 2 && rc == CB_OK; i++) {
            char *p = cb_path_join(dir, subdirs[i]);
            rc = p ? cb_store_mkdirs(p, err) : cb_error_set(err, CB_ENOMEM, "out of memory");
            free(p);
        }
        if (rc < 0)
            goto fail;
    }
    *out = s;
    return CB_OK;
fail:
    cb_store_close(&s);
    return rc;
}

void cb_store_close(CbStore **ps)
{
    if (!ps || !*ps)
        return;
    CbStore *s = *ps;
    sqlite3_close(s->db);
    free(s->dir);
    free(s->db_path);
    free(s);
    *ps = NULL;
}

const char *cb_store_dir(const CbStore *s)
{
    return s ? s->dir : NULL;
}

char *cb_store_run_dir(const CbStore *s, int64_t run_id)
{
    size_t n = strlen(s->dir) + 32;
    char *p = malloc(n);
    if (!p)
        return NULL;
    int w = snprintf(p, n, "%s/runs/%06lld", s->dir, (long long)run_id);
    if (w < 0 || (size_t)w >= n) {
        free(p);
        return NULL;
    }
    return p;
}

char *cb_store_default_dir(void)
{
    const char *env = getenv("CODECBENCH_STORE");
    if (env && *env)
        return strdup(env);
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int rc;
    /* The XDG base directory spec ignores relative values. */
    if (xdg && xdg[0] == '/')
        rc = cb_buf_printf(&b, "%s/codecbench", xdg);
    else if (home && *home)
        rc = cb_buf_printf(&b, "%s/.local/share/codecbench", home);
    else
        rc = CB_EINVAL;
    if (rc < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    return cb_buf_steal(&b);
}

int cb_store_collect_rows(CbStore *s, sqlite3_stmt *st, size_t size, size_t first_cap,
                          RowFill fill, RowsDrop drop, const char *what, void **rows, size_t *n, CbError *err)
{
    char *out = NULL;
    size_t count = 0, cap = 0;
    int step, oom = 0, rc = CB_OK;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : first_cap;
            char *g = realloc(out, ncap * size);
            if (!g) {
                oom = 1;
                break;
            }
            out = g;
            cap = ncap;
        }
        void *elem = out + count * size;
        memset(elem, 0, size);
        fill(st, elem, &oom);
        count++;
        if (oom)
            break;
    }
    if (oom)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    else if (step != SQLITE_DONE)
        rc = cb_store_sql_error(s, s->db, what, err);
    sqlite3_finalize(st);
    if (rc < 0) {
        drop(out, count);
        out = NULL;
        count = 0;
    }
    *rows = out;
    *n = count;
    return rc;
}

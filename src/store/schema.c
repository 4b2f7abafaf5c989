/* codecbench: the store's schema, its ordered migrations, and the checks
 * that run, read-only, before a store is ever written.
 *
 * Version 1 is the first design.  Version 2 keeps each run's tags on its row
 * (a sorted, comma-separated copy of the tags table) so that listing ten
 * thousand runs reads one table, and adds the indexes that the anchor
 * lookup (experiment, clip, recipe hash, status) and the tag filter need.
 * A step never edits an earlier one: old stores replay the same steps.
 */
#include "store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/buf.h"

static const char schema_v1[] =
    "CREATE TABLE meta (\n"
    "  key TEXT PRIMARY KEY,\n"
    "  value\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE experiments (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL UNIQUE,\n"
    "  anchor_name TEXT,\n"
    "  anchor_hash TEXT,\n"
    "  anchor_recipe TEXT,\n"
    "  created REAL NOT NULL\n"
    ");\n"
    "CREATE TABLE clips (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  identity TEXT NOT NULL UNIQUE,\n"
    "  width INTEGER NOT NULL,\n"
    "  height INTEGER NOT NULL,\n"
    "  fps_num INTEGER NOT NULL,\n"
    "  fps_den INTEGER NOT NULL,\n"
    "  frames INTEGER NOT NULL,\n"
    "  input TEXT NOT NULL,\n"
    "  first_frame INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE runs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments(id),\n"
    "  recipe_name TEXT NOT NULL,\n"
    "  recipe_hash TEXT NOT NULL,\n"
    "  codec TEXT NOT NULL,\n"
    "  recipe_json TEXT NOT NULL,\n"
    "  status INTEGER NOT NULL,\n"
    "  reason TEXT,\n"
    "  input TEXT NOT NULL,\n"
    "  first_frame INTEGER NOT NULL,\n"
    "  frames INTEGER NOT NULL,\n"
    "  clip INTEGER REFERENCES clips(id),\n"
    "  width INTEGER NOT NULL DEFAULT 0,\n"
    "  height INTEGER NOT NULL DEFAULT 0,\n"
    "  fps_num INTEGER NOT NULL DEFAULT 0,\n"
    "  fps_den INTEGER NOT NULL DEFAULT 0,\n"
    "  parent INTEGER NOT NULL DEFAULT 0,\n" /* no foreign key: lineage outlives deletes */
    "  origin TEXT NOT NULL,\n"
    "  created REAL NOT NULL,\n"
    "  started REAL,\n"
    "  finished REAL,\n"
    "  pid INTEGER NOT NULL DEFAULT 0,\n"
    "  cancel_requested INTEGER NOT NULL DEFAULT 0,\n"
    "  n_points INTEGER NOT NULL DEFAULT 0,\n"
    "  kbps_min REAL,\n"
    "  kbps_max REAL,\n"
    "  psnr_y_min REAL,\n"
    "  psnr_y_max REAL,\n"
    "  bd_rate REAL,\n"
    "  bd_psnr REAL,\n"
    "  anchor_run INTEGER NOT NULL DEFAULT 0,\n"
    "  encode_fps REAL,\n"
    "  codecbench_version TEXT,\n"
    "  ffmpeg_versions TEXT,\n"
    "  encoder_version TEXT,\n"
    "  machine TEXT,\n"
    "  provenance TEXT,\n"
    "  verify_wall_s REAL\n"
    ");\n"
    "CREATE INDEX runs_status ON runs(status, id);\n"
    "CREATE INDEX runs_experiment ON runs(experiment_id);\n"
    "CREATE INDEX runs_parent ON runs(parent);\n"
    "CREATE TABLE points (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  idx INTEGER NOT NULL,\n"
    "  rate_value INTEGER NOT NULL,\n"
    "  stream_file TEXT NOT NULL,\n"
    "  payload_bytes INTEGER NOT NULL,\n"
    "  container_bytes INTEGER NOT NULL,\n"
    "  frames INTEGER NOT NULL,\n"
    "  kbps REAL NOT NULL,\n"
    "  bpp REAL NOT NULL,\n"
    "  psnr_y REAL NOT NULL, psnr_u REAL NOT NULL, psnr_v REAL NOT NULL,\n"
    "  psnr_yuv REAL NOT NULL,\n"
    "  gpsnr_y REAL NOT NULL, gpsnr_u REAL NOT NULL, gpsnr_v REAL NOT NULL,\n"
    "  gpsnr_yuv REAL NOT NULL,\n"
    "  ssim REAL NOT NULL,\n"
    "  encode_cpu_s REAL NOT NULL, encode_wall_s REAL NOT NULL, encode_fps REAL NOT NULL,\n"
    "  decode_cpu_s REAL NOT NULL, decode_wall_s REAL NOT NULL, decode_fps REAL NOT NULL,\n"
    "  concurrency INTEGER NOT NULL,\n"
    "  peak_rss_kib INTEGER NOT NULL,\n"
    "  PRIMARY KEY (run_id, idx)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE frames (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  point INTEGER NOT NULL,\n"
    "  n INTEGER NOT NULL,\n"
    "  bits INTEGER NOT NULL,\n"
    "  type TEXT NOT NULL,\n"
    "  psnr_y REAL NOT NULL, psnr_u REAL NOT NULL, psnr_v REAL NOT NULL,\n"
    "  mse_y REAL NOT NULL, mse_u REAL NOT NULL, mse_v REAL NOT NULL,\n"
    "  ssim REAL NOT NULL,\n"
    "  PRIMARY KEY (run_id, point, n)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE tags (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  tag TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, tag)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE notes (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  created REAL NOT NULL,\n"
    "  text TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX notes_run ON notes(run_id);\n"
    "CREATE TABLE proposals (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments(id),\n"
    "  proposer TEXT NOT NULL,\n"
    "  rationale TEXT NOT NULL,\n"
    "  recipe_json TEXT NOT NULL,\n"
    "  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,\n"
    "  created REAL NOT NULL\n"
    ");\n"
    "CREATE INDEX proposals_experiment ON proposals(experiment_id);\n"
    "CREATE INDEX proposals_run ON proposals(run_id);\n"
    "INSERT INTO meta(key, value) VALUES ('application', 'codecbench'), ('last_run_id', 0);\n";

static const char schema_v2[] =
    "ALTER TABLE runs ADD COLUMN tags TEXT;\n"
    "UPDATE runs SET tags = (SELECT group_concat(tag, ',') FROM\n"
    "  (SELECT tag FROM tags WHERE tags.run_id = runs.id ORDER BY tag));\n"
    "CREATE INDEX runs_anchor ON runs(experiment_id, clip, recipe_hash, status);\n"
    "CREATE INDEX tags_by_tag ON tags(tag, run_id);\n";

/* Version 3: the tokens each LLM request of a proposer cost, per
 * experiment, for llm.budget (issue 7). */
static const char schema_v3[] =
    "CREATE TABLE llm_usage (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments(id),\n"
    "  created REAL NOT NULL,\n"
    "  model TEXT NOT NULL,\n"
    "  prompt_tokens INTEGER NOT NULL,\n"
    "  completion_tokens INTEGER NOT NULL,\n"
    "  estimated INTEGER NOT NULL,\n"
    "  attempts INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX llm_usage_experiment ON llm_usage(experiment_id);\n";

/* Version 4: per experiment and model, the stage edits an LLM proposer's
 * replies carried and how many of them failed to apply (issue 8): one row
 * per round that had any. */
static const char schema_v4[] =
    "CREATE TABLE llm_edits (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments(id),\n"
    "  created REAL NOT NULL,\n"
    "  model TEXT NOT NULL,\n"
    "  tried INTEGER NOT NULL,\n"
    "  failed INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX llm_edits_experiment ON llm_edits(experiment_id, model);\n";

const char *cb_store_schema_step(int v)
{
    switch (v) {
    case 1: return schema_v1;
    case 2: return schema_v2;
    case 3: return schema_v3;
    case 4: return schema_v4;
    }
    return NULL;
}

static int exec(sqlite3 *db, const char *path, const char *sql, const char *what, CbError *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return CB_OK;
    int code = (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) ? CB_EFORMAT
               : rc == SQLITE_BUSY                           ? CB_EBUSY
                                                             : CB_EIO;
    cb_error_set(err, code, "%s: %s: %s", path, what, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return code;
}

static int set_version(sqlite3 *db, const char *path, int v, CbError *err)
{
    /* PRAGMA takes no bound parameters; v is one of our own constants. */
    char sql[64];
    int n = snprintf(sql, sizeof sql, "PRAGMA user_version = %d;", v);
    if (n < 0 || (size_t)n >= sizeof sql)
        return cb_error_set(err, CB_EINVAL, "schema version %d", v);
    return exec(db, path, sql, "setting the schema version", err);
}

int cb_store_schema_create(sqlite3 *db, CbError *err)
{
    const char *path = sqlite3_db_filename(db, "main");
    char sql[64];
    int n = snprintf(sql, sizeof sql, "PRAGMA application_id = %d;", CB_STORE_APP_ID);
    if (n < 0 || (size_t)n >= sizeof sql)
        return cb_error_set(err, CB_EINVAL, "application id");
    int rc = exec(db, path, sql, "setting the application id", err);
    if (rc == CB_OK)
        rc = exec(db, path, "PRAGMA journal_mode = WAL;", "switching to WAL", err);
    if (rc == CB_OK)
        rc = exec(db, path, "BEGIN IMMEDIATE;", "starting the schema", err);
    if (rc < 0)
        return rc;
    for (int v = 1; v <= CB_STORE_SCHEMA && rc == CB_OK; v++) {
        char what[48];
        snprintf(what, sizeof what, "schema step %d", v);
        rc = exec(db, path, cb_store_schema_step(v), what, err);
    }
    if (rc == CB_OK)
        rc = set_version(db, path, CB_STORE_SCHEMA, err);
    if (rc == CB_OK)
        rc = exec(db, path, "COMMIT;", "committing the schema", err);
    if (rc < 0)
        sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
    return rc;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The 100-byte header: an SQLite file with our application id.  The header
 * in the main file is enough for the id, which is written when the store is
 * made (before it has a WAL) and never changes. */
int cb_store_schema_header(const char *path, CbError *err)
{
    unsigned char h[100];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    ssize_t got = 0;
    while (got < (ssize_t)sizeof h) {
        ssize_t r = read(fd, h + got, sizeof h - (size_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += r;
    }
    close(fd);
    if (got == 0)
        return cb_error_set(err, CB_EFORMAT, "%s: an empty file, not a codecbench store", path);
    if (got < (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
        return cb_error_set(err, CB_EFORMAT,
                            "%s: not an SQLite database, so not a codecbench store", path);
    uint32_t app = be32(h + 68);
    if (app != CB_STORE_APP_ID)
        return cb_error_set(err, CB_EFORMAT,
                            "%s: an SQLite database of another application (application_id "
                            "0x%08x), not a codecbench store",
                            path, (unsigned)app);
    return CB_OK;
}

/* The URI the check opens path with.  Without a -wal file nobody has the
 * database open (SQLite keeps the WAL while a connection is open and
 * removes it at the last close), and the main file holds every committed
 * page: it is opened immutable, so that even the -wal and -shm files a
 * read-only WAL connection would create are not made beside a file that
 * may not be ours.  With a -wal file, a plain read-only connection. */
static char *check_uri(const char *path)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    int rc = cb_buf_printf(&b, "%s-wal", path);
    struct stat sb;
    int has_wal = rc == CB_OK && stat(b.data, &sb) == 0;
    cb_buf_reset(&b);
    rc = cb_buf_puts(&b, "file:");
    for (const unsigned char *p = (const unsigned char *)path; rc == CB_OK && *p; p++) {
        /* RFC 3986 unreserved characters and '/' go as they are. */
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            rc = cb_buf_append(&b, p, 1);
        else
            rc = cb_buf_printf(&b, "%%%02X", *p);
    }
    if (rc == CB_OK)
        rc = cb_buf_puts(&b, has_wal ? "?mode=ro" : "?mode=ro&immutable=1");
    if (rc < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    return cb_buf_steal(&b);
}

static int pragma_int(sqlite3 *db, const char *path, const char *sql, int *out, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        return CB_OK;
    int code = (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) ? CB_EFORMAT
               : rc == SQLITE_BUSY                           ? CB_EBUSY
                                                             : CB_EIO;
    return cb_error_set(err, code, "%s: %s%s", path,
                        code == CB_EFORMAT ? "corrupt database: " : "", sqlite3_errmsg(db));
}

int cb_store_schema_check(const char *path, int *version, CbError *err)
{
    int rc = cb_store_schema_header(path, err);
    if (rc < 0)
        return rc;
    sqlite3 *db = NULL;
    char *uri = check_uri(path);
    if (!uri)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int src = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                              NULL);
    free(uri);
    if (src != SQLITE_OK) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(src));
        goto done;
    }
    sqlite3_busy_timeout(db, CB_STORE_BUSY_MS);
    int app = 0, v = 0, tables = 0;
    /* Reading the schema parses every page of sqlite_schema: a damaged
     * header or schema shows here, before anything is written. */
    rc = pragma_int(db, path,
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                    "('meta', 'experiments', 'clips', 'runs', 'points', 'frames', 'tags', "
                    "'notes', 'proposals')",
                    &tables, err);
    if (rc == CB_OK)
        rc = pragma_int(db, path, "PRAGMA application_id", &app, err);
    if (rc == CB_OK)
        rc = pragma_int(db, path, "PRAGMA user_version", &v, err);
    if (rc < 0)
        goto done;
    if ((uint32_t)app != CB_STORE_APP_ID) {
        rc = cb_error_set(err, CB_EFORMAT, "%s: not a codecbench store (application_id 0x%08x)",
                          path, (unsigned)app);
    } else if (v > CB_STORE_SCHEMA) {
        rc = cb_error_set(err, CB_ENOTSUP,
                          "%s: store schema version %d is newer than this codecbench's (%d); "
                          "use a newer codecbench",
                          path, v, CB_STORE_SCHEMA);
    } else if (v < 1 || tables != 9) {
        rc = cb_error_set(err, CB_EFORMAT,
                          "%s: corrupt codecbench store (schema version %d, %d of 9 tables)", path,
                          v, tables);
    } else {
        /* A read of every table's first page: a damaged root page shows now. */
        static const char *const probes[] = {
            "SELECT count(*) FROM (SELECT 1 FROM meta LIMIT 1)",
            "SELECT count(*) FROM (SELECT 1 FROM experiments LIMIT 1)",
            "SELECT count(*) FROM (SELECT 1 FROM runs ORDER BY id DESC LIMIT 1)",
            "SELECT count(*) FROM (SELECT 1 FROM points LIMIT 1)",
            "SELECT count(*) FROM (SELECT 1 FROM frames LIMIT 1)",
        };
        int dummy;
        for (size_t i = 0; rc == CB_OK && i < sizeof probes / sizeof probes[0]; i++)
            rc = pragma_int(db, path, probes[i], &dummy, err);
        if (rc == CB_OK)
            *version = v;
    }
done:
    sqlite3_close(db);
    return rc;
}

int cb_store_schema_migrate(sqlite3 *db, const char *path, CbError *err)
{
    for (int v = 2; v <= CB_STORE_SCHEMA; v++) {
        int rc = exec(db, path, "BEGIN IMMEDIATE;", "starting a migration", err);
        if (rc < 0)
            return rc;
        int cur = 0;
        rc = pragma_int(db, path, "PRAGMA user_version", &cur, err);
        if (rc == CB_OK && cur == v - 1) {
            char what[48];
            snprintf(what, sizeof what, "migrating to schema version %d", v);
            rc = exec(db, path, cb_store_schema_step(v), what, err);
            if (rc == CB_OK)
                rc = set_version(db, path, v, err);
        } else if (rc == CB_OK && cur > CB_STORE_SCHEMA) {
            rc = cb_error_set(err, CB_ENOTSUP, "%s: store schema version %d is newer than %d",
                              path, cur, CB_STORE_SCHEMA);
        }
        if (rc == CB_OK)
            rc = exec(db, path, "COMMIT;", "committing a migration", err);
        if (rc < 0) {
            sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
            return rc;
        }
    }
    return CB_OK;
}

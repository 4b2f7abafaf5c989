/* codecbench: what the store's files share (not a public header).
 *
 * The store is split by what each file owns: schema.c (the schema, its
 * migrations and the checks that run before any write), rundir.c (run
 * directory files: JSON writes over codecbench/jsonfile.h, names,
 * removal), store.c (opening, transactions, one change of a run, small
 * helpers), runs.c (queueing, listing, the runner's state changes),
 * results.c (imports, results, BD figures, anchors), annotate.c (tags,
 * notes, lineage, proposals, experiments), housekeeping.c (delete, gc) and
 * reindex.c.
 */
#ifndef CB_STORE_INTERNAL_H
#define CB_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "codecbench/error.h"
#include "codecbench/fsutil.h"
#include "codecbench/jsonfile.h"
#include "codecbench/result.h"
#include "codecbench/store.h"

/* PRAGMA application_id of a codecbench store: "CbSt" in ASCII.  It sits in
 * the database header (offset 68), so a foreign SQLite file is recognised
 * without reading its schema. */
#define CB_STORE_APP_ID 0x43625374

/* Busy timeout for every connection: writers queue rather than fail. */
#define CB_STORE_BUSY_MS 5000

/* Largest JSON file of a run directory read back (run.json, status.json,
 * annotations.json, experiments/NAME.json); result.json has its own cap. */
#define CB_STORE_JSON_MAX (1024 * 1024)

/* Largest annotations.json read back: 64 MiB, thousands of 4 KiB notes. */
#define CB_STORE_ANNOTATIONS_MAX (64 * 1024 * 1024)

/* Version of run.json, status.json and annotations.json. */
#define CB_STORE_FILE_FORMAT 1

struct CbStore {
    sqlite3 *db;
    char *dir;
    char *db_path;
    int readonly;
};

/* ---- schema.c ------------------------------------------------------------ */

/* The SQL script that creates schema version v from nothing (v = 1) or that
 * migrates v - 1 to v (v >= 2); NULL for a version this build does not know.
 * Exposed for the migration tests, which build v1 stores. */
const char *cb_store_schema_step(int v);
/* The SQL that creates the current schema from nothing (the v1 script and
 * every later step, applied in order, in one transaction). */
int cb_store_schema_create(sqlite3 *db, CbError *err);
/* Reads path's 100-byte header: CB_EFORMAT unless it is an SQLite file with
 * codecbench's application_id (an empty file, another application's
 * database, not SQLite at all).  Never writes. */
int cb_store_schema_header(const char *path, CbError *err);
/* Checks path (an existing file) in a read-only connection: an SQLite file,
 * readable, with codecbench's application_id and a schema this build knows.
 * *version gets its user_version.  Never writes. */
int cb_store_schema_check(const char *path, int *version, CbError *err);
/* Migrates an open read-write connection to CB_STORE_SCHEMA, each step in
 * its own BEGIN IMMEDIATE transaction (re-checking the version inside, as
 * another process may have migrated first). */
int cb_store_schema_migrate(sqlite3 *db, const char *path, CbError *err);

/* ---- rundir.c ------------------------------------------------------------ */

/* Paths are joined with cb_path_join and files written with
 * cb_file_write_atomic (codecbench/fsutil.h); JSON files are read with
 * cb_json_read_object (codecbench/jsonfile.h). */
/* cb_json_write_file of j with a 2-space indent, keys in insertion order. */
int cb_store_write_json(const char *path, const json_t *j, CbError *err);
/* Removes a directory tree (not following symbolic links), adding the
 * sizes of the regular files removed to *bytes.  CB_EIO names what failed. */
int cb_store_remove_tree(const char *path, int64_t *bytes, CbError *err);
/* mkdir -p of dir with mode 0755; CB_EIO. */
int cb_store_mkdirs(const char *dir, CbError *err);
/* 1 when name is a run directory name (6 or more digits, no leading zero
 * beyond the padding) and *id gets its id; 0 otherwise. */
int cb_store_parse_run_name(const char *name, int64_t *id);
/* Experiment names: 1..64 bytes of [A-Za-z0-9_.-], not starting with '.'. */
int cb_store_check_experiment_name(const char *name, CbError *err);
/* Tags: 1..32 bytes of [A-Za-z0-9_.-]. */
int cb_store_check_tag(const char *tag, CbError *err);
/* Notes: 1..4096 bytes of valid UTF-8 without NUL. */
int cb_store_check_note(const char *text, CbError *err);
/* A JSON string of text, each byte that is not valid UTF-8 replaced by
 * U+FFFD (reasons may quote a crashed worker's log); NULL when out of memory. */
json_t *cb_store_json_text(const char *text);
/* Unix time now, in seconds with a fraction. */
double cb_store_now(void);

/* ---- store.c ------------------------------------------------------------- */

/* Sets err from the connection's last error: "STORE/store.db: what: msg"
 * with CB_EFORMAT for corruption, CB_EBUSY for a lock held too long, CB_EIO
 * otherwise.  Returns the code. */
int cb_store_sql_error(const CbStore *s, sqlite3 *db, const char *what, CbError *err);
/* Prepares sql on s's connection; CB_* on failure (err set). */
int cb_store_prepare(CbStore *s, const char *sql, sqlite3_stmt **st, CbError *err);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback never fails loudly). */
int cb_store_begin(CbStore *s, CbError *err);
int cb_store_commit(CbStore *s, CbError *err);
void cb_store_rollback(CbStore *s);
/* A change of run id, given the run's status (from), inside the caller's
 * transaction; 0 or a CB_E* code with err set. */
typedef int (*CbRunChange)(CbStore *s, int64_t id, CbRunStatus from, const void *arg,
                           CbError *err);
/* One change of a run in its own BEGIN IMMEDIATE transaction: reads the
 * run's status (CB_ENOENT "no run N" when absent), calls change, commits
 * when it returns 0 and rolls back otherwise. */
int cb_store_change_run(CbStore *s, int64_t id, CbRunChange change, const void *arg,
                        CbError *err);
/* Steps a prepared statement that writes (INSERT, UPDATE, DELETE) once and
 * finalizes it; what names it in errors. */
int cb_store_step_once(CbStore *s, sqlite3_stmt *st, const char *what, CbError *err);
/* Refuses writes on a read-only store. */
int cb_store_writable(const CbStore *s, CbError *err);
/* Binds a double, or NULL when it is NAN. */
int cb_store_bind_real(sqlite3_stmt *st, int i, double v);
/* A column as a double, NAN for NULL. */
double cb_store_col_real(sqlite3_stmt *st, int i);
/* A column's text as a new string; NULL for NULL.  *oom set when out of memory. */
char *cb_store_col_text(sqlite3_stmt *st, int i, int *oom);
/* The experiment id for name, created when create != 0 (inside the caller's
 * transaction); CB_ENOENT when absent and not created. */
int cb_store_experiment_id(CbStore *s, const char *name, int create, int64_t *id, CbError *err);
/* CB_ENOENT "no run N in DIR" unless the run exists; *status gets its status. */
/* Steps st, a query of run id's row: CB_OK with the row to read, CB_ENOENT
 * "no run N in DIR" when there is none, or the SQL error (what names the
 * reading). */
int cb_store_step_run(CbStore *s, sqlite3_stmt *st, int64_t id, const char *what, CbError *err);
int cb_store_run_status(CbStore *s, int64_t id, CbRunStatus *status, CbError *err);

/* ---- results.c ----------------------------------------------------------- */

/* Checks a result before import: counts, finite values, ranges, strings. */
int cb_store_result_sane(const CbRunResult *r, CbError *err);
/* What an import checks of a result read by cb_result_read (which frees
 * with cb_result_free): cb_store_result_sane, and that its recipe hash is
 * run_hash, the hash of the run's recipe.  The runner's import and reindex
 * both check through here. */
int cb_store_result_fits(const CbRunResult *r, const char *run_hash, CbError *err);
/* Inserts the clip, points and frames of r for run id and fills the run's
 * summary columns (inside the caller's transaction). */
int cb_store_result_insert(CbStore *s, int64_t id, const CbRunResult *r, CbError *err);
/* Recomputes the BD figures of every done run of experiment exp_id (clip_id
 * NULL) or of its runs on one clip (inside the caller's transaction). */
int cb_store_bd_refresh(CbStore *s, int64_t exp_id, const char *clip_id, CbError *err);

/* ---- runs.c -------------------------------------------------------------- */

/* status.json of run id from its row (inside the caller's transaction). */
int cb_store_write_status_file(CbStore *s, int64_t id, CbError *err);
/* annotations.json of run id from its rows. */
int cb_store_write_annotations(CbStore *s, int64_t id, CbError *err);

/* ---- store.c: reading lists ---------------------------------------------- */

/* Steps st to its end and finalizes it, growing an array of elements of
 * size bytes (first_cap at first, then doubling), each zeroed and filled
 * by fill.  *rows (new; NULL when empty or on failure) and *n get the array
 * and its count; on failure drop frees what was filled.  what names the
 * reading in errors. */
typedef void (*RowFill)(sqlite3_stmt *st, void *elem, int *oom);
typedef void (*RowsDrop)(void *rows, size_t n);
int cb_store_collect_rows(CbStore *s, sqlite3_stmt *st, size_t size, size_t first_cap, RowFill fill,
                          RowsDrop drop, const char *what, void **rows, size_t *n, CbError *err);

/* Restores llm_usage from STORE/llm-usage.jsonl into the store being
 * rebuilt (usage.c); a line that is not a record is reported to logger and
 * skipped. */
int cb_store_usage_reindex(CbStore *s, const CbLogger *logger, CbError *err);
/* Appends j as one line of STORE/llm-usage.jsonl in one write (usage.c);
 * j NULL (a failed json_pack) is an error. */
int cb_store_usage_append(CbStore *s, json_t *j, CbError *err);
/* Restores one line of llm-usage.jsonl with a "record" member (edits.c):
 * a record it does not know, or a bad one, is reported to logger (path:lineno)
 * and skipped. */
int cb_store_edits_restore(CbStore *s, json_t *j, const CbLogger *logger, const char *path,
                           size_t lineno, CbError *err);

#endif

/* codecbench: the store, an SQLite index over run directories.
 *
 * A store is a directory:
 *
 *   STORE/store.db            SQLite (WAL, foreign keys, user_version = schema)
 *   STORE/runner.lock         held (flock) by the one runner of this store
 *   STORE/runs/000042/        one run directory per run (6+ digit id)
 *       recipe.json           the recipe text as queued (byte for byte, note included)
 *       run.json              what to run (below)
 *       events.jsonl          the worker's progress and log lines (appended)
 *       log.txt               worker + verification stderr
 *       qp27.cbv, crf23.h264  one bitstream per rate point
 *       digests.json          the worker's per-frame digests of the encoder's reconstruction
 *       worker.json           the worker's encode timings and stream facts
 *       result.json           verification's result, written once, atomically
 *       status.json           the run's final state (status, reason, times), written by the runner
 *       annotations.json      tags and notes (so reindex keeps them)
 *   STORE/experiments/NAME.json  an experiment's anchor recipe (text as given)
 *   STORE/trash/NNNNNN          deleted runs' directories, until cb_store_gc
 *   STORE/proposals/NNNNNN.json  a proposal as recorded (cb_store_add_proposal)
 *   STORE/llm-usage.jsonl        the tokens of each LLM request, one JSON line each
 *
 * run.json (written once, when the run is queued; read by the worker):
 *
 *   {"format": 1, "id": 42, "experiment": "default",
 *    "input": "/abs/path/clip.y4m", "first_frame": 0, "frames": 60,
 *    "parent": 0, "origin": "user", "created": 1764100000.25}
 *
 * frames is -1 for "all frames from first_frame"; parent 0 is none; origin
 * is "user", "rerun", "edit" (a run's recipe edited by hand) or "proposer"; created is Unix seconds (a number that
 * may have a fraction).  The input path is absolute (realpath at queue time).
 *
 * status.json (written atomically when a run reaches a final state, removed
 * by cb_store_requeue):
 *
 *   {"format": 1, "status": "failed", "reason": "...", "created": ...,
 *    "started": ..., "finished": ...}      (reason and times may be null;
 *   bytes of a reason that are not UTF-8 are written as U+FFFD)
 *
 * annotations.json (rewritten atomically on every change):
 *
 *   {"format": 1, "tags": ["a", "b"], "notes": [{"created": ..., "text": "..."}]}
 *
 * Run ids are integers allocated inside the write transaction past every id
 * the store ever gave (deleted ids are not reused), and a directory that
 * already exists is never reused either (the next id is taken).
 *
 * The run directories are the truth; the database is an index that
 * cb_store_reindex() rebuilds from them.  Front ends and the runner talk
 * through the store: a front end queues a run (a row with status "queued"
 * and its directory) or asks to cancel one (a flag on the row); the runner
 * polls the store and does the rest.
 *
 * Concurrency: any number of processes may open a store at once; writes
 * take BEGIN IMMEDIATE with a busy timeout (5 s), so writers queue rather
 * than fail.  A CbStore is used by one thread at a time.
 *
 * Refusals: a file that is not a codecbench store (another SQLite database,
 * not SQLite at all), a store of a newer schema, or a corrupt database give
 * CB_EFORMAT / CB_ENOTSUP naming the path and the reason, and are never
 * modified (the check runs before any write, in a read-only connection).
 * Older schemas are migrated in order, each step in one transaction.
 *
 * Strings returned in structs are owned by the struct and released by its
 * _free function; strings from the database may hold bytes from outside
 * (recipe names, notes, reasons, paths): sanitise before display.
 */
#ifndef CODECBENCH_STORE_H
#define CODECBENCH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/log.h"
#include "codecbench/result.h"

/** Schema version this build writes (PRAGMA user_version).  1: the first
 * schema; 2: tags kept on the run row for listing, indexes for the anchor
 * lookup and the tag filter; 3: the LLM's token usage per request
 * (llm_usage); 4: the stage edits of the LLM's replies per model and how
 * many failed to apply (llm_edits).  Older stores are migrated when opened. */
#define CB_STORE_SCHEMA 4

typedef struct CbStore CbStore;

enum {
    CB_STORE_CREATE = 1,   /**< create the directory and database if missing */
    CB_STORE_READONLY = 2, /**< no writes (list, show, compare, export) */
};

/** Opens (and with CB_STORE_CREATE creates) the store in dir.  Errors:
 * CB_ENOENT (no store there and no CB_STORE_CREATE), CB_EFORMAT (not a
 * codecbench store, or corrupt: never modified), CB_ENOTSUP (newer schema),
 * CB_EIO, CB_ENOMEM. */
int cb_store_open(CbStore **out, const char *dir, int flags, CbError *err);
void cb_store_close(CbStore **s);
/** The store's directory as opened; borrowed. */
const char *cb_store_dir(const CbStore *s);
/** DIR/runs/NNNNNN for a run id; a new string (free()), NULL when out of memory. */
char *cb_store_run_dir(const CbStore *s, int64_t run_id);
/** The default store directory: $CODECBENCH_STORE, else
 * $XDG_DATA_HOME/codecbench (when absolute, as the XDG spec asks), else
 * $HOME/.local/share/codecbench.  New string; NULL when none of these is set
 * or out of memory. */
char *cb_store_default_dir(void);

/* ---- Runs ---------------------------------------------------------------- */

typedef enum CbRunStatus {
    CB_RUN_QUEUED = 0,      /**< waiting for a worker slot */
    CB_RUN_RUNNING = 1,     /**< a worker is encoding */
    CB_RUN_VERIFYING = 2,   /**< verification is decoding and measuring */
    CB_RUN_DONE = 3,        /**< verified and imported */
    CB_RUN_FAILED = 4,      /**< reason says why */
    CB_RUN_CANCELLED = 5,   /**< cancelled before it finished */
    CB_RUN_INTERRUPTED = 6, /**< its worker vanished without a result (reboot, runner killed) */
} CbRunStatus;

/** "queued", "running", ...; static. */
const char *cb_run_status_name(CbRunStatus st);
/** CB_EINVAL for an unknown name. */
int cb_run_status_parse(const char *name, CbRunStatus *out);

/** What to queue.  Strings are borrowed for the call. */
typedef struct CbRunRequest {
    const char *experiment;   /**< experiment name (created if new); NULL: "default" */
    const char *recipe_json;  /**< recipe text; validated with cb_recipe_parse */
    const char *recipe_source;/**< its file name for error texts, or NULL */
    const char *input;        /**< input video path; stored absolute */
    int64_t first_frame;      /**< >= 0 */
    int64_t frames;           /**< frames to encode, > 0, or -1 for all */
    int64_t parent;           /**< parent run id, 0 for none */
    const char *origin;       /**< "user", "rerun", "edit" or "proposer" */
} CbRunRequest;

/** Validates the recipe, creates the run directory (recipe.json, run.json)
 * and inserts the run as queued, in one transaction; *run_id gets the new
 * id.  A failure leaves neither a row nor a directory. */
int cb_store_queue_run(CbStore *s, const CbRunRequest *req, int64_t *run_id, CbError *err);

/** One run as listed.  Numbers not known yet are NAN (doubles) or -1. */
typedef struct CbRunInfo {
    int64_t id;
    char *experiment;
    char *recipe_name;
    char *recipe_hash;
    char *codec;              /**< "engine" or the FFmpeg encoder */
    CbRunStatus status;
    char *reason;             /**< why it failed / was cancelled / interrupted, or NULL */
    char *input;
    char *clip_id;            /**< NULL until imported */
    int64_t first_frame, frames;
    int width, height;        /**< 0 until imported */
    int64_t parent;           /**< 0: none */
    char *origin;
    char *tags;               /**< comma-separated, sorted, or NULL */
    double created, started, finished; /**< Unix seconds, NAN when not yet */
    int64_t pid;              /**< the worker's or verifier's pid while running, else 0 */
    int cancel_requested;
    int n_points;
    double kbps_min, kbps_max;        /**< over the rate points */
    double psnr_y_min, psnr_y_max;    /**< mean-of-frames PSNR-Y over the rate points */
    double bd_rate, bd_psnr;          /**< vs the experiment's anchor run on the same clip (PSNR-Y, PCHIP), NAN if none */
    int64_t anchor_run;               /**< the run bd_* were taken against, 0: none */
    double encode_fps;                /**< mean over rate points */
} CbRunInfo;

void cb_run_info_free(CbRunInfo *r);
void cb_run_infos_free(CbRunInfo **rows, size_t n);

typedef struct CbRunFilter {
    const char *experiment;   /**< NULL: any */
    int status;               /**< a CbRunStatus, or -1: any */
    const char *codec;        /**< NULL: any */
    const char *tag;          /**< NULL: any */
    const char *sort;         /**< a CbRunInfo column name ("id", "created", "bd_rate", "kbps_min",
                                   "psnr_y_max", "recipe_name", "status", "encode_fps", ...); NULL: "id" */
    int descending;
    int64_t limit;            /**< <= 0: no limit */
    const char *clip_id;      /**< runs imported on this clip identity; NULL: any */
    const char *recipe_hash;  /**< runs of this recipe (hex SHA-256); NULL: any */
} CbRunFilter;

/** Runs matching f (NULL: all), sorted.  *rows is a new array (free with
 * cb_run_infos_free).  CB_EINVAL for an unknown sort column, naming the
 * allowed ones. */
int cb_store_list(CbStore *s, const CbRunFilter *f, CbRunInfo **rows, size_t *n, CbError *err);
/** One run; CB_ENOENT "no run 42 in STORE". */
int cb_store_get_run(CbStore *s, int64_t id, CbRunInfo *out, CbError *err);
/** The recipe text a run was queued with (a new string). */
int cb_store_get_recipe(CbStore *s, int64_t id, char **json, CbError *err);
/** A done run's rate points, per-frame rows too when with_frames, as a
 * CbRunResult (release with cb_result_free).  CB_ENOENT when not done. */
int cb_store_get_result(CbStore *s, int64_t id, int with_frames, CbRunResult *out, CbError *err);

/* ---- Child runs: rerun, edit (child.c) ----------------------------------- */

/** A new run made from an existing one: the same input, frame range and
 * experiment, its parent recorded (lineage).  What `codecbench rerun` and
 * the dashboard's rerun and edit keys queue.  Filled by
 * cb_store_child_request; released by cb_child_run_free. */
typedef struct CbChildRun {
    CbRunInfo parent;        /**< the parent run as listed (owned) */
    char *parent_recipe;     /**< the parent's recipe text, recipe.json byte for byte (owned) */
    CbRunRequest req;        /**< what to queue: the parent's recipe on its input, frames and
                                  experiment, .parent = its id, .origin as asked.  Its strings
                                  borrow from this struct; a caller may point recipe_json,
                                  recipe_source or experiment at its own strings. */
} CbChildRun;

/** Prepares a child of run parent with origin ("rerun" or "edit"; NULL:
 * "rerun").  Errors: CB_ENOENT "no run 42 in STORE", CB_EIO / CB_ENOMEM
 * reading its recipe.  *out is empty on failure. */
int cb_store_child_request(CbStore *s, int64_t parent, const char *origin, CbChildRun *out,
                           CbError *err);
/** Frees what c owns and empties it; c may be NULL or empty. */
void cb_child_run_free(CbChildRun *c);

/** What an edited recipe text (len bytes, untrusted; source names it in
 * errors) changes against the parent's: CB_CHILD_SAME (byte for byte the
 * parent's recipe text), CB_CHILD_SAME_SETTINGS (valid, but the same
 * canonical recipe: only the note, key order or spacing changed, so the run
 * would repeat the parent's exactly), CB_CHILD_CHANGED (valid and runs
 * something else), or a negative cb_recipe_parse error with err naming the
 * field and the allowed values. */
enum { CB_CHILD_SAME = 0, CB_CHILD_SAME_SETTINGS = 1, CB_CHILD_CHANGED = 2 };
int cb_store_child_check(const CbChildRun *c, const char *text, size_t len, const char *source,
                         CbError *err);

/* ---- The runner's side ------------------------------------------------- */

/** The oldest queued run, *id = 0 when none. */
int cb_store_next_queued(CbStore *s, int64_t *id, CbError *err);
/** Moves a run to st with a reason (may be NULL) and the pid of its current
 * process (0: none); stamps started / finished; for final states
 * (done, failed, cancelled, interrupted) writes status.json in the run
 * directory.  Allowed: queued -> running, failed, cancelled, interrupted;
 * running -> running (a new pid), verifying or a final state; verifying ->
 * verifying or a final state.  Done is set only by cb_store_import_result.
 * Refuses (CB_EINVAL) to leave a final state except by cb_store_requeue. */
int cb_store_set_status(CbStore *s, int64_t id, CbRunStatus st, const char *reason, int64_t pid,
                        CbError *err);
/** Puts a failed, cancelled or interrupted run back in the queue (status
 * queued, reason, times, pid and cancel flag cleared, status.json removed).
 * CB_EINVAL for a done run (rerun it: a new run with it as parent) or one
 * that has not finished. */
int cb_store_requeue(CbStore *s, int64_t id, CbError *err);
/** Runs in running / verifying state: all of them, for a runner that just
 * took the lock (they belong to a runner that died). */
int cb_store_active_runs(CbStore *s, int64_t **ids, size_t *n, CbError *err);
/** Asks for a run to be cancelled: a queued run becomes cancelled at once;
 * a running one is flagged and the runner acts.  CB_EINVAL for a run that
 * has finished. */
int cb_store_request_cancel(CbStore *s, int64_t id, CbError *err);
/** Runs flagged for cancellation that are running or verifying. */
int cb_store_cancel_requests(CbStore *s, int64_t **ids, size_t *n, CbError *err);
/** Imports a checked result (cb_result_check passes) for run id in one
 * transaction: the clip (by identity), the rate points and per-frame rows,
 * the run's summary columns, status done, status.json, and the BD figures
 * of the runs this one anchors or is anchored by.  The run must be running
 * or verifying (CB_EINVAL otherwise) and r's recipe hash must be the run's
 * (CB_EMISMATCH).  The store checks r itself too (counts, finite values,
 * ranges: CB_EINVAL naming the point and frame), but does not recompute the
 * sequence figures: that is cb_result_check's job, before the import. */
int cb_store_import_result(CbStore *s, int64_t id, const CbRunResult *r, CbError *err);
/** Counts of runs by status (indexed by CbRunStatus). */
int cb_store_counts(CbStore *s, int64_t counts[7], CbError *err);

/* ---- Experiments, annotations, lineage --------------------------------- */

/** Sets an experiment's anchor recipe (validated); BD figures of its runs are
 * recomputed.  The anchor's runs are the experiment's runs whose recipe
 * hash equals the anchor's. */
int cb_store_set_anchor(CbStore *s, const char *experiment, const char *recipe_json,
                        const char *recipe_source, CbError *err);

/** An experiment.  Its clip set is the set of clips its done runs were
 * measured on (clips are known by identity only once a run is imported). */
typedef struct CbExperimentInfo {
    char *name;
    char *anchor_name;        /**< NULL: no anchor */
    char *anchor_hash;
    int64_t runs, done, clips; /**< runs, done runs, distinct clips of done runs */
} CbExperimentInfo;
void cb_experiment_infos_free(CbExperimentInfo **rows, size_t n);
int cb_store_experiments(CbStore *s, CbExperimentInfo **rows, size_t *n, CbError *err);

/** One rate point of a done run, without its frames: what tables and RD
 * charts of many runs need. */
typedef struct CbPointSummary {
    int64_t run_id;
    int idx;                  /**< the point's position in the recipe, from 0 */
    int rate_value;           /**< its QP or CRF */
    double kbps, psnr_y, psnr_yuv, ssim; /**< PSNR: mean over frames */
    double encode_fps, decode_fps;
} CbPointSummary;
/** Every rate point of every done run, ordered by (run_id, idx).  *rows is a
 * new array (free()); NULL and 0 when there is none. */
int cb_store_all_points(CbStore *s, CbPointSummary **rows, size_t *n, CbError *err);

/** A recipe as runs were queued with it. */
typedef struct CbRecipeText {
    char *hash;               /**< hex SHA-256 of the canonical recipe */
    char *name;
    char *json;               /**< the recipe text as the first of its runs was queued with it
                                   (equal recipes have one hash: canonicalise the text with
                                   recipe.h before comparing fields) */
} CbRecipeText;
void cb_recipe_texts_free(CbRecipeText **rows, size_t n);
/** Each distinct recipe of the store's runs once, ordered by hash. */
int cb_store_recipe_texts(CbStore *s, CbRecipeText **rows, size_t *n, CbError *err);

/** A number that changes whenever another connection (another process) has
 * committed to the store since the last call on this handle: a front end
 * compares it on a timer and re-reads only then.  Cheap (no table read). */
int cb_store_data_version(CbStore *s, int64_t *version, CbError *err);

/** Per recipe of an experiment: BD-rate / BD-PSNR against the anchor,
 * averaged over the clips where both have a done run. */
typedef struct CbRecipeBd {
    char *recipe_name;
    char *recipe_hash;
    int clips;                /**< clips averaged over */
    double bd_rate, bd_psnr;  /**< means, NAN when clips == 0 */
} CbRecipeBd;
void cb_recipe_bds_free(CbRecipeBd **rows, size_t n);
int cb_store_experiment_bd(CbStore *s, const char *experiment, CbRecipeBd **rows, size_t *n,
                           CbError *err);

/** Adds (add != 0) or removes a tag ([A-Za-z0-9_.-], 1..32 bytes). */
int cb_store_tag(CbStore *s, int64_t id, const char *tag, int add, CbError *err);
/** Appends a note (UTF-8, 1..4096 bytes). */
int cb_store_note(CbStore *s, int64_t id, const char *text, CbError *err);
typedef struct CbNote {
    double created;
    char *text;
} CbNote;
int cb_store_notes(CbStore *s, int64_t id, CbNote **notes, size_t *n, CbError *err);
void cb_notes_free(CbNote **notes, size_t n);

/** The chain of parents of id (nearest first) and its descendants (breadth
 * first); arrays of ids (free()). */
int cb_store_lineage(CbStore *s, int64_t id, int64_t **ancestors, size_t *n_anc,
                     int64_t **descendants, size_t *n_desc, CbError *err);

/* ---- Proposals ----------------------------------------------------------- */

/** Records a proposal (recipe text, proposer name, rationale) for an
 * experiment; *proposal_id gets its id.  run_id links the run it queued (0:
 * not queued; CB_ENOENT for a run that does not exist).  The proposal is
 * also written to STORE/proposals/NNNNNN.json ({"format": 1, "id",
 * "experiment", "proposer", "rationale", "recipe" (the text), "run",
 * "created"}) so that reindex keeps it. */
int cb_store_add_proposal(CbStore *s, const char *experiment, const char *proposer,
                          const char *rationale, const char *recipe_json, int64_t run_id,
                          int64_t *proposal_id, CbError *err);

/** A recorded proposal; strings owned (cb_proposals_free). */
typedef struct CbProposal {
    int64_t id;
    char *experiment;
    char *proposer;
    char *rationale;
    char *recipe_json;
    int64_t run_id;           /**< the run it queued; 0: none (or deleted) */
    double created;           /**< Unix seconds */
} CbProposal;
/** The proposals of an experiment (NULL: all), oldest first. */
int cb_store_proposals(CbStore *s, const char *experiment, CbProposal **rows, size_t *n,
                       CbError *err);
void cb_proposals_free(CbProposal **rows, size_t n);

/* ---- LLM usage (usage.c) -------------------------------------------------- */

/** Records the tokens one LLM request of a proposer cost in experiment
 * (created if new); estimated says the server reported none (the client's
 * bytes / 4), attempts how many HTTP requests it took.  Also appended
 * to STORE/llm-usage.jsonl, from which reindex restores the counts. */
int cb_store_add_llm_usage(CbStore *s, const char *experiment, const char *model,
                           long long prompt_tokens, long long completion_tokens, int estimated,
                           int attempts, CbError *err);
/** The tokens (prompt + completion) recorded for experiment (NULL: all),
 * and the requests; 0 and 0 for an experiment with none or no such one. */
int cb_store_llm_usage(CbStore *s, const char *experiment, long long *tokens, long long *requests,
                       CbError *err);

/* ---- Stage edits of LLM replies (edits.c) --------------------------------- */

/** Records that a round of model's stage proposals in experiment (created
 * if new) carried tried search/replace edits (one per proposal that gave
 * edits rather than a whole file) of which failed did not apply
 * (0 <= failed <= tried).  Also appended to STORE/llm-usage.jsonl as
 * {"format": 1, "record": "edits", "experiment", "model", "edits_tried",
 * "edits_failed", "created"}, from which reindex restores them. */
int cb_store_add_llm_edits(CbStore *s, const char *experiment, const char *model, long long tried,
                           long long failed, CbError *err);

/** One model's edit outcomes. */
typedef struct CbLlmEditStat {
    char *model;
    long long tried, failed;
} CbLlmEditStat;
/** The edits recorded for experiment (NULL: every experiment), summed per
 * model, by model name.  *rows (an array of *n, the caller frees with
 * cb_llm_edit_stats_free) may be empty. */
int cb_store_llm_edits(CbStore *s, const char *experiment, CbLlmEditStat **rows, size_t *n,
                       CbError *err);
void cb_llm_edit_stats_free(CbLlmEditStat **rows, size_t n);

/* ---- Housekeeping -------------------------------------------------------- */

/** Deletes a run that is not running: its rows go, its directory is renamed
 * to STORE/trash/NNNNNN (gc removes it).  CB_EBUSY for a running run. */
int cb_store_delete_run(CbStore *s, int64_t id, CbError *err);
/** Removes STORE/trash and run directories no row refers to; *bytes gets
 * what was freed. */
int cb_store_gc(CbStore *s, int64_t *bytes, CbError *err);
/** Rebuilds store.db from the run directories (and experiments/): writes
 * a new database beside the old and renames it into place.  A run without
 * a status.json, a result or any sign of a worker (no log.txt, which the
 * runner makes before it starts one, no events.jsonl) had not started and
 * stays queued, for a runner to take; other runs found unfinished without
 * a result (running or verifying when their worker went away) become
 * interrupted (and get a status.json); a run whose status.json says done
 * but whose result.json cannot be read becomes failed with the reason.
 * result.json is read with cb_result_read (result.h) and checked as
 * cb_store_import_result checks it, so reindex indexes exactly the results
 * the runner would import.
 * An old store.db that is a codecbench store is checkpointed and replaced;
 * a corrupt one is kept as store.db.corrupt-TIME; a file that is not a
 * codecbench store (CB_EFORMAT) or a newer schema (CB_ENOTSUP) is refused
 * and left alone.  *runs gets how many
 * were indexed; a run directory that cannot be read is reported to logger
 * (a warning naming it and the reason; may be NULL) and skipped, never
 * deleted.  Refuses (CB_EBUSY) while a runner holds the store's lock. */
int cb_store_reindex(const char *dir, const CbLogger *logger, int64_t *runs, CbError *err);

#endif

/* codecbench: the evolve loop's state and its Pareto front
 * (src/store/evolve.c; the loop itself: src/runner/evolve.c and
 * `codecbench evolve`, src/cli/cmd_evolve.c).
 *
 * An evolve is N generations of K proposals on one experiment: propose,
 * run, measure, repeat.  Fitness has two objectives: the BD-rate (%) of a
 * recipe against the experiment's anchor, averaged over the experiment's
 * clips (lower is better; the history's figure, cb_propose_history), and
 * its encode speed in frames per second (higher is better).  Nothing folds
 * them into one scalar: the loop keeps the Pareto front, and the local
 * proposer draws its parents from that front.
 *
 * State: one JSON file per experiment, STORE/evolve/NAME.json, written
 * atomically (cb_file_write_atomic) under an flock on STORE/evolve/NAME.lock
 * (every read-modify-write takes it: the command, `--stop`, the runner and
 * the round process).  It names runs by id, which run directories keep, so
 * `codecbench reindex` leaves it valid; it is not in the SQLite index, so no
 * migration.  Its fields:
 *
 *   {"format": 1, "experiment": "x", "proposer": "local"|"llm",
 *    "generations": N, "per_generation": K, "budget": TOKENS (0: none),
 *    "seed": S, "status": "running"|"done"|"stopped", "reason": "...",
 *    "created": unix_s, "updated": unix_s, "rounds_failed": 0,
 *    "gens": [{"runs": [ids], "tokens": T,
 *              "proposals": [{"name", "parent", "changes", "rationale", "runs": [ids]}]}],
 *    "front": [{"recipe": hash, "name", "run": id, "bd_rate": %, "fps": f}],
 *    "front_after": G, "stage": "intra" (optional: the llm proposer writes
 *    stage code of that kind, issue 8)}
 *
 * gens holds the generations proposed (queued); a generation is measured
 * when each of its runs has ended (done, failed, cancelled; an interrupted
 * run is queued again, see below).  The front is recomputed from the store
 * after each generation is measured; front_after says after how many
 * generations it was (0: the starting history).
 *
 * The loop: the runner (src/runner/evolve.c) looks at the running evolves
 * of its store on each tick.  When one has no generation yet, or its last
 * generation's runs have all ended, it starts one round process,
 * `codecbench evolve --round --experiment NAME` (the same binary, output
 * appended to STORE/evolve/NAME.log), and never waits for it in its loop.
 * The round process computes the front, then ends the evolve (status done:
 * "N generations done"; stopped: "the token budget is reached: ...", "no
 * new proposal: ...", "the proposer failed: ...") or runs one proposer round
 * (cb_proposer_* exactly as `codecbench propose` does) and records the
 * generation.  A round process that dies (a signal, a non-zero exit without
 * recording a reason) stops the evolve with the reason and its last log
 * lines; it does not take the runner down.  The runner stays up (no idle
 * exit) while an evolve of its store is running.
 *
 * Resuming: everything is in the file and the store.  A runner killed in
 * the middle of a generation leaves its runs interrupted; the next runner
 * (started by any codecbench command that needs one, e.g. `evolve
 * --status`) queues the evolve's interrupted runs again and carries on
 * from the generation the file says.  A round process killed with its
 * runner leaves nothing recorded for its round, and the round is run again
 * (runs it had queued before it was killed, if any, run as ordinary
 * proposer runs outside the evolve).  A round process that cannot be
 * started stops the evolve with the reason.
 *
 * The API key: the round process is not a worker.  Workers get a scrubbed
 * environment (no keys); the round process gets the runner's whole
 * environment, and the runner's is that of the command that started it
 * (cb_runner_ensure forks it from that command).  So the key reaches the
 * LLM proposer through environment variables only, never through a file;
 * a runner already up without the key makes the LLM round fail, and the
 * evolve stops saying so (stop the runner, start the evolve again from a
 * shell holding the key).
 *
 * `--stop` sets status stopped ("stopped by request") and cancels the
 * evolve's queued runs of its last generation; its running runs finish.
 *
 * Library code: never prints.  The file is hostile input: every field is
 * checked and bounded when it is read.
 */
#ifndef CODECBENCH_EVOLVE_H
#define CODECBENCH_EVOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"

/** Bytes of a state file read (a generation of 32 proposals on a few clips
 * is a few KiB; 1000 generations stay far below). */
#define CB_EVOLVE_FILE_MAX ((size_t)8 << 20)
/** Most generations one evolve may ask for. */
#define CB_EVOLVE_MAX_GENERATIONS 1000
/** Bytes of one text field (name, rationale, changes, reason) a state file
 * may hold; writers cut longer texts (cb_evolve_text_dup). */
#define CB_EVOLVE_TEXT_MAX 4096
/** Most runs recorded for one proposal / one generation. */
#define CB_EVOLVE_MAX_RUNS 4096

typedef enum CbEvolveStatus {
    CB_EVOLVE_RUNNING = 0,
    CB_EVOLVE_DONE = 1,
    CB_EVOLVE_STOPPED = 2,
} CbEvolveStatus;

/** "running", "done", "stopped"; static. */
const char *cb_evolve_status_name(CbEvolveStatus st);

/** One proposal of a generation.  Strings owned by the state. */
typedef struct CbEvolveProposal {
    char *name, *rationale, *changes;
    int64_t parent;
    int64_t *runs;
    size_t n_runs;
} CbEvolveProposal;

typedef struct CbEvolveGen {
    int64_t *runs; /**< every run the generation queued */
    size_t n_runs;
    CbEvolveProposal *props;
    size_t n_props;
    long long tokens; /**< the LLM's tokens for the round (0: local) */
} CbEvolveGen;

/** A point of the front: a recipe and its two objectives. */
typedef struct CbEvolvePoint {
    char *recipe; /**< recipe hash */
    char *name;
    int64_t run;    /**< a done run of it */
    double bd_rate; /**< % against the anchor, mean over the clips; lower is better */
    double fps;     /**< encode frames per second; higher is better */
} CbEvolvePoint;

typedef struct CbEvolveState {
    char *experiment;
    char *proposer;     /**< "local" or "llm" */
    int generations;    /**< asked for, 1..CB_EVOLVE_MAX_GENERATIONS */
    int per_generation; /**< K, 1..CB_PROPOSE_MAX_K (32) */
    long long budget;   /**< tokens, 0: none */
    uint64_t seed;
    CbEvolveStatus status;
    char *reason; /**< why it ended (NULL while running) */
    double created, updated;
    int rounds_failed; /**< round processes that died (kept for --status) */
    CbEvolveGen *gens;
    size_t n_gens;
    CbEvolvePoint *front; /**< sorted by bd_rate, then fps descending */
    size_t n_front;
    int front_after; /**< generations measured when the front was computed */
    /** What the LLM proposer is asked for: 0 recipes, else stage code of that
     * CbStageKind (stage.h; the file's optional "stage": "intra" |
     * "loop_filter" | "transform", absent for recipes). */
    int stage;
} CbEvolveState;

/** A new copy of s (NULL: NULL) cut to fewer than CB_EVOLVE_TEXT_MAX bytes
 * at a UTF-8 character boundary, so that a state holding it reads back.
 * NULL also when out of memory. */
char *cb_evolve_text_dup(const char *s);

/** Frees what st owns and zeroes it; st may be NULL. */
void cb_evolve_state_free(CbEvolveState *st);

/** Parses a state document (text, len bytes, untrusted; what names it in
 * errors).  CB_EFORMAT "WHAT: FIELD: why" for anything out of shape or range
 * (unknown fields are ignored), CB_ENOMEM. */
int cb_evolve_state_parse(const char *text, size_t len, const char *what, CbEvolveState *out,
                          CbError *err);
/** The document of st as new compact JSON text (NULL when out of memory). */
char *cb_evolve_state_dump(const CbEvolveState *st);

/** STORE/evolve/NAME.json as a new string (NULL: out of memory). */
char *cb_evolve_path(const char *store_dir, const char *experiment);

/** Takes the flock of experiment's state (STORE/evolve/NAME.lock, the
 * directory made when missing), blocking.  *fd gets it; 0 or CB_EIO. */
int cb_evolve_lock(const char *store_dir, const char *experiment, int *fd, CbError *err);
/** Releases it (fd < 0: nothing). */
void cb_evolve_unlock(int *fd);

/** Reads experiment's state.  CB_ENOENT "no evolve for experiment NAME in
 * STORE" when there is none; parse errors as cb_evolve_state_parse. */
int cb_evolve_read(const char *store_dir, const char *experiment, CbEvolveState *out, CbError *err);
/** Writes st (atomically); sets st->updated to now. */
int cb_evolve_write(const char *store_dir, CbEvolveState *st, CbError *err);

/** The experiments with a state file, sorted (new array of new strings,
 * free with cb_evolve_names_free).  A store without evolve/ has none. */
int cb_evolve_names(const char *store_dir, char ***names, size_t *n, CbError *err);
void cb_evolve_names_free(char **names, size_t n);

/** The Pareto front of pts[0..n): keep[i] is set to 1 for a point no other
 * point dominates, else 0.  a dominates b when a.bd_rate <= b.bd_rate and
 * a.fps >= b.fps, one of them strictly.  Points with a NaN or infinite
 * BD-rate or fps are never on it (nor do they dominate); equal points are
 * all kept.  Returns how many are kept. */
size_t cb_evolve_pareto(const CbEvolvePoint *pts, size_t n, unsigned char *keep);

#endif

/* codecbench: the runner, one supervisor per store.
 *
 * The runner alone starts workers, applies their limits, cancels them and
 * imports their results.  Front ends (CLI, dashboard) never start a worker:
 * they queue a run in the store (cb_store_queue_run), make sure a runner is
 * up (cb_runner_ensure) and follow the run's events.jsonl (CbFollow).
 *
 * How front ends talk to it: through the store.  A queued run is a row with
 * status "queued"; a cancel request is a flag on the row.  The runner polls
 * the store every poll_ms (default 200 ms): cheap indexed queries, and no
 * socket that could be left behind or spoken to by another user.
 *
 * Life: `codecbench runner` takes STORE/runner.lock (flock, exclusive, its
 * pid written in it); a second runner finds it taken and exits quietly.
 * cb_runner_ensure() starts one in its own session (double fork, setsid,
 * stdin /dev/null, output to STORE/runner.log), so closing the terminal or
 * the SSH session that queued a run stops nothing.  The runner exits when
 * it has had nothing queued or running for idle_exit_s.  Runs that a
 * previous runner left running or verifying (it was killed, the machine
 * rebooted) are marked interrupted when a runner takes the lock.
 *
 * A run: the worker (`codecbench worker RUN_DIR`) in its own process group,
 * stdin /dev/null, stdout and stderr appended to RUN_DIR/log.txt, an
 * environment built from an allow-list (no API keys), RLIMIT_DATA set to
 * the memory limit (RLIMIT_AS would count OpenBLAS's and the sanitizers'
 * reservations), PR_SET_PDEATHSIG so it does not outlive its runner; then,
 * when the worker exits 0, verification (`codecbench verify RUN_DIR`), the
 * same way; then result.json is read back and checked (cb_result_read) and
 * imported.  Any other end fails the run with the reason: the signal's name,
 * the limit exceeded, the exit status, and the last lines of log.txt.
 */
#ifndef CODECBENCH_RUNNER_H
#define CODECBENCH_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/log.h"

typedef struct CbRunnerOptions {
    const char *store_dir;    /**< the store (must exist) */
    const char *exe;          /**< the codecbench binary the workers run; NULL: /proc/self/exe */
    int workers;              /**< runs at once, >= 1 */
    double wall_limit_s;      /**< per process (worker, verification); 0: none */
    int64_t memory_limit_mib; /**< RLIMIT_DATA per process; 0: none */
    double cancel_grace_s;    /**< SIGTERM, then SIGKILL after this */
    double idle_exit_s;       /**< exit after this long with nothing to do */
    int poll_ms;              /**< store polling interval, 10..10000 */
    const CbLogger *logger;   /**< the runner's own log (STORE/runner.log when detached); may be NULL */
} CbRunnerOptions;

/** Defaults: workers = online cores, wall 3600 s, memory 4096 MiB, grace
 * 5 s, idle exit 10 s, poll 200 ms. */
void cb_runner_options_default(CbRunnerOptions *o);

/** Runs the supervisor until idle, or until SIGTERM / SIGINT (then running
 * processes get SIGTERM, the grace period and SIGKILL, and their runs are
 * marked interrupted).  Returns 0, or CB_EBUSY when another runner holds
 * the lock (not an error for callers that only want one to be up), or an
 * error opening the store. */
int cb_runner_main(const CbRunnerOptions *o, CbError *err);

/** Pid of the runner holding store_dir's lock, or 0 when none. */
int64_t cb_runner_pid(const char *store_dir);

/** Starts a detached runner for store_dir unless one holds the lock.  exe:
 * the codecbench binary (NULL: /proc/self/exe); extra_args: NULL-terminated
 * options passed on (e.g. "--workers", "2"), may be NULL.  Returns 0 when a
 * runner is up or was started. */
int cb_runner_ensure(const char *store_dir, const char *exe, const char *const *extra_args,
                     CbError *err);

/* ---- Following a run's events ------------------------------------------- */

/** Longest events.jsonl line accepted; longer lines are skipped whole and
 * reported as one "log" line saying so. */
#define CB_EVENT_LINE_MAX 65536

typedef struct CbFollow CbFollow;

/** Follows path (an events.jsonl, which may not exist yet) from its start.
 * cb_follow_fd() is an inotify descriptor to poll() for input (or -1 when
 * inotify is unavailable: poll on a timer then); either way call
 * cb_follow_read() when it is readable and on a timer (inotify misses
 * changes on some network file systems). */
int cb_follow_open(CbFollow **out, const char *path, CbError *err);
int cb_follow_fd(const CbFollow *f);
/** Reads what was appended since the last call and calls fn for each
 * complete line (NUL-terminated, without its newline; bytes from data:
 * parse with jansson, sanitise before display).  A partial last line waits
 * for its newline.  Returns 0 or CB_EIO. */
int cb_follow_read(CbFollow *f, void (*fn)(void *opaque, const char *line, size_t len),
                   void *opaque, CbError *err);
void cb_follow_close(CbFollow **f);

/** One events.jsonl line (untrusted bytes, len of them; need not be
 * NUL-terminated) as one line of text for people, e.g. "12:00:03 point 2
 * (27) encoded: 10411 bytes, 412.3 kbps, 24.1 fps" (the event formats are
 * in worker.h).  Writes at most n bytes, NUL-terminated and sanitised, to
 * text.  Returns 1 for a progress event (shown on a status line, not in a
 * log), else 0. */
int cb_event_text(const char *line, size_t len, char *text, size_t n);

#endif

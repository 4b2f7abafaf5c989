/* The runner's part of the evolve loop (codecbench/evolve.h): it starts one
 * round process at a time, `codecbench evolve --round`, when an evolve's
 * last generation has ended, and records a round process that died.  It
 * never waits on the round in its loop: the LLM proposer may take minutes. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "codecbench/evolve.h"
#include "codecbench/fsutil.h"
#include "runner/runner_int.h"
#include "runner/spawn.h"

/* Bytes of a round process's log tail kept in the reason it stopped. */
#define ROUND_TAIL_BYTES 600

struct RunnerEvolve {
    const char *store_dir;
    const char *exe;
    const CbLogger *logger;
    pid_t pid;      /* the round process, 0: none */
    char *name;     /* its experiment */
    char *bad_name; /* the last state file we warned about */
    int stopping;   /* we sent SIGTERM: its end is no failure */
};

int runner_evolve_new(RunnerEvolve **out, const char *store_dir, const char *exe,
                      const CbLogger *logger, CbError *err)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    (*out)->store_dir = store_dir;
    (*out)->exe = exe;
    (*out)->logger = logger;
    return 0;
}

void runner_evolve_free(RunnerEvolve **e)
{
    if (!e || !*e)
        return;
    free((*e)->name);
    free((*e)->bad_name);
    free(*e);
    *e = NULL;
}

/* Whether the last generation of st has ended: each of its runs done,
 * failed or cancelled (a run gone from the store counts as ended).  Its
 * interrupted runs (a runner was killed) are queued again: the generation
 * resumes. */
static int last_gen_ended(RunnerEvolve *e, CbStore *store, const CbEvolveState *st)
{
    if (st->n_gens == 0)
        return 1;
    const CbEvolveGen *g = &st->gens[st->n_gens - 1];
    int ended = 1;
    for (size_t i = 0; i < g->n_runs; i++) {
        CbRunInfo info;
        memset(&info, 0, sizeof(info));
        CbError err;
        int rc = cb_store_get_run(store, g->runs[i], &info, &err);
        if (rc == CB_ENOENT)
            continue;
        if (rc < 0) {
            cb_log(e->logger, CB_LOG_ERROR, "evolve %s: run %lld: %s", st->experiment,
                   (long long)g->runs[i], err.text);
            return 0;
        }
        switch (info.status) {
        case CB_RUN_QUEUED:
        case CB_RUN_RUNNING:
        case CB_RUN_VERIFYING: ended = 0; break;
        case CB_RUN_INTERRUPTED:
            ended = 0;
            if (cb_store_requeue(store, info.id, &err) < 0)
                cb_log(e->logger, CB_LOG_ERROR, "evolve %s: requeueing run %lld: %s",
                       st->experiment, (long long)info.id, err.text);
            else
                cb_log(e->logger, CB_LOG_INFO, "evolve %s: run %lld queued again (interrupted)",
                       st->experiment, (long long)info.id);
            break;
        default: break;
        }
        cb_run_info_free(&info);
    }
    return ended;
}

/* Stops the evolve of name with reason (when it is still running): a round
 * that could not start or died would fail the same way again. */
static void stop_evolve(RunnerEvolve *e, const char *name, const char *reason, int crashed)
{
    cb_log(e->logger, CB_LOG_WARN, "evolve %s: %s", name, reason);
    int fd = -1;
    CbError err;
    CbEvolveState st;
    memset(&st, 0, sizeof(st));
    if (cb_evolve_lock(e->store_dir, name, &fd, &err) == 0 &&
        cb_evolve_read(e->store_dir, name, &st, &err) == 0 && st.status == CB_EVOLVE_RUNNING) {
        st.status = CB_EVOLVE_STOPPED;
        free(st.reason);
        st.reason = cb_evolve_text_dup(reason);
        st.rounds_failed += crashed;
        if (!st.reason || cb_evolve_write(e->store_dir, &st, &err) < 0)
            cb_log(e->logger, CB_LOG_ERROR, "evolve %s: %s", name,
                   st.reason ? err.text : "out of memory");
    }
    cb_evolve_state_free(&st);
    cb_evolve_unlock(&fd);
}

static void start_round(RunnerEvolve *e, const char *name)
{
    char *dir = cb_path_join(e->store_dir, "evolve");
    char *log = NULL;
    CbError err;
    cb_error_clear(&err);
    size_t n = strlen(name) + 5;
    char *file = malloc(n);
    if (dir && file && snprintf(file, n, "%s.log", name) == (int)(n - 1))
        log = cb_path_join(dir, file);
    char *copy = strdup(name);
    if (!log || !copy) {
        cb_log(e->logger, CB_LOG_ERROR, "evolve %s: out of memory", name);
        free(copy);
        goto done;
    }
    const char *argv[] = {"codecbench", "evolve",  "--round",    "--experiment",
                          name,         "--store", e->store_dir, NULL};
    SpawnSpec spec = {
        .exe = e->exe,
        .argv = argv,
        .log_path = log,
        .concurrency = 1,
        .whole_env = 1,
    };
    pid_t pid = 0;
    if (spawn_process(&spec, &pid, &err) < 0) {
        char reason[CB_ERROR_TEXT_MAX + 64];
        snprintf(reason, sizeof(reason), "its round process could not be started: %s", err.text);
        stop_evolve(e, name, reason, 0);
        free(copy);
        goto done;
    }
    e->pid = pid;
    free(e->name);
    e->name = copy;
    cb_log(e->logger, CB_LOG_INFO, "evolve %s: round started (pid %ld)", name, (long)pid);
done:
    free(dir);
    free(file);
    free(log);
}

int runner_evolve_tick(RunnerEvolve *e, CbStore *store)
{
    if (e->pid)
        return 1;
    char **names = NULL;
    size_t n = 0;
    CbError err;
    if (cb_evolve_names(e->store_dir, &names, &n, &err) < 0) {
        cb_log(e->logger, CB_LOG_ERROR, "evolve: %s", err.text);
        return 0;
    }
    int busy = 0;
    for (size_t i = 0; i < n; i++) {
        CbEvolveState st;
        int rc = cb_evolve_read(e->store_dir, names[i], &st, &err);
        if (rc < 0) {
            /* warn once per file, not on every tick */
            if (!e->bad_name || strcmp(e->bad_name, names[i])) {
                cb_log(e->logger, CB_LOG_WARN, "evolve %s skipped: %s", names[i], err.text);
                free(e->bad_name);
                e->bad_name = strdup(names[i]);
            }
            continue;
        }
        if (st.status == CB_EVOLVE_RUNNING) {
            busy = 1;
            if (!e->pid && last_gen_ended(e, store, &st))
                start_round(e, names[i]);
        }
        cb_evolve_state_free(&st);
    }
    cb_evolve_names_free(names, n);
    return busy || e->pid;
}

/* The round process died without recording its outcome. */
static void record_crash(RunnerEvolve *e, int status)
{
    char how[160], *reason = NULL;
    spawn_describe_status(status, how, sizeof(how));
    char *dir = cb_path_join(e->store_dir, "evolve");
    size_t n = strlen(e->name) + 5;
    char *file = malloc(n), *log = NULL, *tail = NULL;
    if (dir && file && snprintf(file, n, "%s.log", e->name) == (int)(n - 1))
        log = cb_path_join(dir, file);
    if (log)
        tail = spawn_log_tail(log, 3, ROUND_TAIL_BYTES);
    size_t rn = strlen(how) + (tail ? strlen(tail) : 0) + 96;
    reason = malloc(rn);
    if (reason && snprintf(reason, rn, "the round process %s%s%s", how,
                           tail ? "; last log lines: " : "", tail ? tail : "") > 0)
        stop_evolve(e, e->name, reason, 1);
    else
        cb_log(e->logger, CB_LOG_ERROR, "evolve %s: the round process %s (out of memory)", e->name,
               how);
    free(reason);
    free(tail);
    free(log);
    free(file);
    free(dir);
}

int runner_evolve_reaped(RunnerEvolve *e, pid_t pid, int status)
{
    if (!e || !e->pid || pid != e->pid)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        cb_log(e->logger, CB_LOG_INFO, "evolve %s: round ended", e->name);
    else if (e->stopping)
        cb_log(e->logger, CB_LOG_INFO,
               "evolve %s: round stopped with the runner; it runs "
               "again when a runner starts",
               e->name);
    else
        record_crash(e, status);
    e->pid = 0;
    return 1;
}

int runner_evolve_stop(RunnerEvolve *e)
{
    if (!e || !e->pid)
        return 0;
    if (!e->stopping)
        kill(-e->pid, SIGTERM);
    e->stopping = 1;
    return 1;
}

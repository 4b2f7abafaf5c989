/* The supervisor loop: queue -> worker -> verification -> import. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/fsutil.h"
#include "codecbench/log.h"
#include "codecbench/result.h"
#include "codecbench/store.h"
#include "runner/runner_int.h"
#include "runner/spawn.h"

/* Most processes the runner supervises at once (workers option's bound). */
#define RUNNER_MAX_SLOTS 256
/* Bytes of log tail kept in a failure reason. */
#define REASON_TAIL_BYTES 600

typedef enum Phase { PHASE_WORKER, PHASE_VERIFY } Phase;

typedef enum Stop { STOP_NONE, STOP_CANCEL, STOP_WALL, STOP_SHUTDOWN } Stop;

typedef struct Slot {
    int64_t run_id;     /* 0: free */
    pid_t pid;
    Phase phase;
    double started;     /* monotonic seconds */
    double term_sent;   /* 0: not yet */
    int kill_sent;
    Stop stop;          /* why we are stopping it */
    char *dir;          /* the run directory */
} Slot;

typedef struct Runner {
    const CbRunnerOptions *o;
    CbStore *store;
    char *exe;
    Slot *slots;
    int n_slots;
    int active;
    RunnerEvolve *evolve;   /* the evolve loop's round process (src/runner/evolve.c) */
} Runner;

/* The signal flag's self-pipe: the one mutable global STYLE.md allows. */
static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_stop;

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGTERM || sig == SIGINT)
        sig_stop = 1;
    char c = (char)sig;
    if (write(sig_pipe[1], &c, 1) < 0) {
        /* The pipe is full: a wake-up is pending anyway. */
    }
    errno = saved;
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cb_runner_options_default(CbRunnerOptions *o)
{
    memset(o, 0, sizeof(*o));
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->workers = cores > 0 ? (int)(cores < RUNNER_MAX_SLOTS ? cores : RUNNER_MAX_SLOTS) : 1;
    o->wall_limit_s = 3600;
    o->memory_limit_mib = 4096;
    o->cancel_grace_s = 5;
    o->idle_exit_s = 10;
    o->poll_ms = 200;
}

static void set_status(Runner *r, int64_t id, CbRunStatus st, const char *reason, int64_t pid)
{
    CbError err = { 0 };
    if (cb_store_set_status(r->store, id, st, reason, pid, &err) < 0)
        cb_log(r->o->logger, CB_LOG_ERROR, "run %lld: cannot record status %s: %s", (long long)id,
              cb_run_status_name(st), err.text);
}

static int start_process(Runner *r, Slot *s, Phase phase)
{
    const char *cmd = phase == PHASE_WORKER ? "worker" : "verify";
    const char *argv[] = { "codecbench", cmd, s->dir, NULL };
    char *log = cb_path_join(s->dir, "log.txt");
    if (!log)
        return CB_ENOMEM;
    SpawnSpec spec = {
        .exe = r->exe,
        .argv = argv,
        .log_path = log,
        .memory_limit_mib = r->o->memory_limit_mib,
        .concurrency = r->active,
    };
    CbError err = { 0 };
    pid_t pid;
    int rc = spawn_process(&spec, &pid, &err);
    free(log);
    if (rc < 0) {
        set_status(r, s->run_id, CB_RUN_FAILED, err.text, 0);
        return rc;
    }
    s->pid = pid;
    s->phase = phase;
    s->started = now_mono();
    s->term_sent = 0;
    s->kill_sent = 0;
    set_status(r, s->run_id, phase == PHASE_WORKER ? CB_RUN_RUNNING : CB_RUN_VERIFYING, NULL,
               pid);
    cb_log(r->o->logger, CB_LOG_INFO, "run %lld: %s started (pid %ld)", (long long)s->run_id, cmd,
          (long)pid);
    return 0;
}

static void free_slot(Runner *r, Slot *s)
{
    free(s->dir);
    memset(s, 0, sizeof(*s));
    r->active--;
}

/* Reads result.json back, checks it and imports it: the run is done, or
 * failed with the reason. */
static void import_result(Runner *r, Slot *s)
{
    char *path = cb_path_join(s->dir, "result.json");
    CbRunResult res = { 0 };
    CbError err = { 0 };
    int rc = path ? cb_result_read(path, &res, &err) : cb_error_set(&err, CB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = cb_store_import_result(r->store, s->run_id, &res, &err);
    if (rc < 0) {
        char reason[CB_ERROR_TEXT_MAX + 64];
        snprintf(reason, sizeof(reason), "the result was not imported: %s", err.text);
        set_status(r, s->run_id, CB_RUN_FAILED, reason, 0);
        cb_log(r->o->logger, CB_LOG_WARN, "run %lld failed: %s", (long long)s->run_id, reason);
    } else {
        cb_log(r->o->logger, CB_LOG_INFO, "run %lld: done", (long long)s->run_id);
    }
    cb_result_free(&res);
    free(path);
}

/* Removes the streams a worker stopped in the middle of (STREAM.part):
 * they are no result and no bitstream to keep. */
static void remove_partials(const Runner *r, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n <= 5 || strcmp(e->d_name + n - 5, ".part") || e->d_name[0] == '.')
            continue;
        char *p = cb_path_join(dir, e->d_name);
        if (p && unlink(p) == 0)
            cb_log(r->o->logger, CB_LOG_INFO, "removed the unfinished %s", p);
        free(p);
    }
    closedir(d);
}

/* Whether a log tail reports an allocation failure ("out of memory",
 * strerror(ENOMEM)'s "Cannot allocate memory", "cannot allocate a frame"). */
static int says_out_of_memory(const char *tail)
{
    if (!tail)
        return 0;
    char low[REASON_TAIL_BYTES + 1];
    size_t n = 0;
    for (; tail[n] && n < REASON_TAIL_BYTES; n++)
        low[n] = (char)tolower((unsigned char)tail[n]);
    low[n] = '\0';
    return strstr(low, "out of memory") || strstr(low, "cannot allocate");
}

static void process_ended(Runner *r, Slot *s, int status)
{
    const char *what = s->phase == PHASE_WORKER ? "worker" : "verification";
    if (s->stop == STOP_NONE && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (s->phase == PHASE_WORKER) {
            if (start_process(r, s, PHASE_VERIFY) < 0)
                free_slot(r, s);
            return;
        }
        import_result(r, s);
        free_slot(r, s);
        return;
    }
    char how[160], reason[1400];
    spawn_describe_status(status, how, sizeof(how));
    char *log = cb_path_join(s->dir, "log.txt");
    char *tail = log ? spawn_log_tail(log, 3, REASON_TAIL_BYTES) : NULL;
    free(log);
    CbRunStatus st = CB_RUN_FAILED;
    switch (s->stop) {
    case STOP_CANCEL:
        st = CB_RUN_CANCELLED;
        snprintf(reason, sizeof(reason), "cancelled by request (the %s was %s)", what, how);
        break;
    case STOP_WALL:
        snprintf(reason, sizeof(reason),
                 "the %s exceeded the wall-clock limit of %.0f s and was stopped (%s)", what,
                 r->o->wall_limit_s, how);
        break;
    case STOP_SHUTDOWN:
        st = CB_RUN_INTERRUPTED;
        snprintf(reason, sizeof(reason), "the runner was stopped while the %s ran (%s)", what,
                 how);
        break;
    case STOP_NONE: {
        /* A worker over its memory limit sees malloc fail (RLIMIT_DATA):
         * say which limit that was. */
        int oom = says_out_of_memory(tail);
        char limit[96] = "";
        if (oom && r->o->memory_limit_mib > 0)
            snprintf(limit, sizeof(limit), " (memory limit %lld MiB, RLIMIT_DATA)",
                     (long long)r->o->memory_limit_mib);
        snprintf(reason, sizeof(reason), "the %s %s%s%s%s", what, how, limit,
                 tail ? "; last log lines: " : "", tail ? tail : "");
        break;
    }
    }
    free(tail);
    remove_partials(r, s->dir);
    set_status(r, s->run_id, st, reason, 0);
    cb_log(r->o->logger, CB_LOG_WARN, "run %lld %s: %s", (long long)s->run_id, cb_run_status_name(st),
          reason);
    free_slot(r, s);
}

static void reap(Runner *r)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        if (runner_evolve_reaped(r->evolve, pid, status))
            continue;
        for (int i = 0; i < r->n_slots; i++)
            if (r->slots[i].run_id && r->slots[i].pid == pid) {
                process_ended(r, &r->slots[i], status);
                break;
            }
    }
}

static void stop_slot(Runner *r, Slot *s, Stop why)
{
    if (s->stop == STOP_NONE)
        s->stop = why;
    if (!s->term_sent) {
        kill(-s->pid, SIGTERM);
        s->term_sent = now_mono();
        cb_log(r->o->logger, CB_LOG_INFO, "run %lld: SIGTERM to pid %ld", (long long)s->run_id, (long)s->pid);
    }
}

/* Cancels, wall-clock limits and the SIGKILL after the grace period. */
static void police(Runner *r)
{
    CbError err = { 0 };
    int64_t *ids = NULL;
    size_t n = 0;
    if (cb_store_cancel_requests(r->store, &ids, &n, &err) < 0) {
        cb_log(r->o->logger, CB_LOG_ERROR, "reading cancel requests: %s", err.text);
        n = 0;
    }
    double now = now_mono();
    for (int i = 0; i < r->n_slots; i++) {
        Slot *s = &r->slots[i];
        if (!s->run_id)
            continue;
        for (size_t k = 0; k < n; k++)
            if (ids[k] == s->run_id)
                stop_slot(r, s, STOP_CANCEL);
        if (r->o->wall_limit_s > 0 && now - s->started > r->o->wall_limit_s)
            stop_slot(r, s, STOP_WALL);
        if (s->term_sent && !s->kill_sent && now - s->term_sent > r->o->cancel_grace_s) {
            kill(-s->pid, SIGKILL);
            s->kill_sent = 1;
            cb_log(r->o->logger, CB_LOG_INFO, "run %lld: SIGKILL to pid %ld", (long long)s->run_id,
                  (long)s->pid);
        }
    }
    free(ids);
}

/* Starts queued runs while there are free slots.  Returns how many are
 * still queued (0 or 1: we only look as far as we can start). */
static int start_queued(Runner *r)
{
    while (r->active < r->o->workers) {
        CbError err = { 0 };
        int64_t id = 0;
        if (cb_store_next_queued(r->store, &id, &err) < 0) {
            cb_log(r->o->logger, CB_LOG_ERROR, "reading the queue: %s", err.text);
            return 0;
        }
        if (!id)
            return 0;
        Slot *s = NULL;
        for (int i = 0; i < r->n_slots && !s; i++)
            if (!r->slots[i].run_id)
                s = &r->slots[i];
        s->run_id = id;
        s->dir = cb_store_run_dir(r->store, id);
        r->active++;
        if (!s->dir) {
            set_status(r, id, CB_RUN_FAILED, "out of memory", 0);
            free_slot(r, s);
            continue;
        }
        if (start_process(r, s, PHASE_WORKER) < 0)
            free_slot(r, s);
    }
    return 1;
}

static int queued_count(Runner *r)
{
    int64_t counts[7] = { 0 };
    CbError err = { 0 };
    if (cb_store_counts(r->store, counts, &err) < 0)
        return 0;
    return counts[CB_RUN_QUEUED] > 0;
}

/* Runs a previous runner left running or verifying: their processes died
 * with it (PR_SET_PDEATHSIG), so they are interrupted. */
static void mark_orphans(Runner *r)
{
    int64_t *ids = NULL;
    size_t n = 0;
    CbError err = { 0 };
    if (cb_store_active_runs(r->store, &ids, &n, &err) < 0) {
        cb_log(r->o->logger, CB_LOG_ERROR, "finding interrupted runs: %s", err.text);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        set_status(r, ids[i], CB_RUN_INTERRUPTED,
                   "its runner stopped before the run finished (killed, or the machine "
                   "restarted); `codecbench rerun` runs it again",
                   0);
        cb_log(r->o->logger, CB_LOG_WARN, "run %lld: interrupted (left by an earlier runner)",
              (long long)ids[i]);
    }
    free(ids);
}

static void shutdown_all(Runner *r)
{
    for (int i = 0; i < r->n_slots; i++)
        if (r->slots[i].run_id)
            stop_slot(r, &r->slots[i], STOP_SHUTDOWN);
    while (r->active > 0 || runner_evolve_stop(r->evolve)) {
        police(r);
        reap(r);
        if (r->active > 0 || runner_evolve_stop(r->evolve))
            poll(NULL, 0, 50);
    }
}

static int setup_signals(struct sigaction *old, CbError *err)
{
    if (pipe(sig_pipe) < 0)
        return cb_error_set(err, CB_EIO, "pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
    sigaction(SIGINT, &sa, &old[2]);
    struct sigaction ign;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGHUP, &ign, &old[3]);
    sigaction(SIGPIPE, &ign, &old[4]);
    return 0;
}

static void restore_signals(const struct sigaction *old)
{
    sigaction(SIGCHLD, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
    sigaction(SIGINT, &old[2], NULL);
    sigaction(SIGHUP, &old[3], NULL);
    sigaction(SIGPIPE, &old[4], NULL);
    for (int i = 0; i < 2; i++) {
        close(sig_pipe[i]);
        sig_pipe[i] = -1;
    }
}

int cb_runner_main(const CbRunnerOptions *o, CbError *err)
{
    if (o->workers < 1 || o->workers > RUNNER_MAX_SLOTS || o->poll_ms < 10 ||
        o->poll_ms > 10000 || o->wall_limit_s < 0 || o->memory_limit_mib < 0 ||
        o->cancel_grace_s < 0 || o->idle_exit_s < 0)
        return cb_error_set(err, CB_EINVAL, "runner options out of range");
    Runner r = { .o = o, .n_slots = o->workers };
    int lock = -1, rc;
    struct sigaction old[5];
    rc = runner_lock_take(o->store_dir, &lock, err);
    if (rc < 0)
        return rc;
    r.exe = realpath(o->exe ? o->exe : "/proc/self/exe", NULL);
    r.slots = calloc((size_t)r.n_slots, sizeof(*r.slots));
    if (!r.exe || !r.slots) {
        rc = cb_error_set(err, r.exe ? CB_ENOMEM : CB_EIO, "cannot find the codecbench binary");
        goto done;
    }
    rc = cb_store_open(&r.store, o->store_dir, 0, err);
    if (rc < 0)
        goto done;
    rc = runner_evolve_new(&r.evolve, o->store_dir, r.exe, o->logger, err);
    if (rc < 0)
        goto done;
    rc = setup_signals(old, err);
    if (rc < 0)
        goto done;
    sig_stop = 0;
    cb_log(r.o->logger, CB_LOG_INFO, "runner %ld: %d workers, store %s", (long)getpid(), o->workers,
          o->store_dir);
    if (o->memory_limit_mib > 0 && !spawn_memory_limit_works())
        cb_log(r.o->logger, CB_LOG_WARN,
               "this is an AddressSanitizer build: workers run without the memory limit "
               "(the sanitizer's shadow memory exceeds any RLIMIT_DATA)");
    mark_orphans(&r);

    double idle_since = now_mono();
    for (;;) {
        if (sig_stop) {
            cb_log(r.o->logger, CB_LOG_INFO, "runner %ld: stopping on a signal", (long)getpid());
            shutdown_all(&r);
            break;
        }
        reap(&r);
        police(&r);
        if (!sig_stop)
            start_queued(&r);
        int evolving = !sig_stop && runner_evolve_tick(r.evolve, r.store);
        double now = now_mono();
        if (r.active > 0 || queued_count(&r) || evolving)
            idle_since = now;
        else if (now - idle_since >= o->idle_exit_s) {
            /* Release the lock, then look once more: a front end that
             * queued a run while we held it relied on us to take it. */
            runner_lock_release(&lock);
            if (!queued_count(&r) || runner_lock_take(o->store_dir, &lock, err) < 0)
                break;
            idle_since = now;
            continue;
        }
        struct pollfd p = { .fd = sig_pipe[0], .events = POLLIN };
        if (poll(&p, 1, o->poll_ms) > 0) {
            char buf[64];
            while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
                ;
        }
    }
    cb_log(r.o->logger, CB_LOG_INFO, "runner %ld: exiting", (long)getpid());
    restore_signals(old);
    rc = 0;
done:
    runner_evolve_free(&r.evolve);
    cb_store_close(&r.store);
    runner_lock_release(&lock);
    free(r.slots);
    free(r.exe);
    return rc;
}

/* Starting worker and verification processes with their limits. */
#define _GNU_SOURCE /* sigabbrev_np, prctl constants */
#include "runner/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* AddressSanitizer reserves terabytes of shadow memory as private writable
 * mappings, which RLIMIT_DATA counts: an ASan build cannot start under any
 * useful limit, so it runs its workers without one (and says so). */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_ASAN 1
#endif
#endif
#ifndef SPAWN_ASAN
#define SPAWN_ASAN 0
#endif

int spawn_memory_limit_works(void)
{
    return !SPAWN_ASAN;
}

/* What a worker may see of the runner's environment.  Nothing that could
 * hold a secret (API keys, tokens, proxies with credentials) is on it; the
 * sanitizer options are passed so that sanitizer builds report as they
 * should.  The worker scrubs again itself (it may be started by hand). */
static const char *const env_allow[] = {
    "PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ", "TMPDIR",
    "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
    /* the stage hosts' limits (config stage.*), which workers and verifiers
     * give their hosts (src/worker/stagerun.h) */
    "CODECBENCH_STAGE_TIMEOUT", "CODECBENCH_STAGE_CPU_LIMIT", "CODECBENCH_STAGE_MEMORY_LIMIT",
};

int spawn_env_allowed(const char *entry)
{
    const char *eq = strchr(entry, '=');
    if (!eq)
        return 0;
    size_t n = (size_t)(eq - entry);
    for (size_t i = 0; i < sizeof(env_allow) / sizeof(env_allow[0]); i++)
        if (strlen(env_allow[i]) == n && memcmp(entry, env_allow[i], n) == 0)
            return 1;
    return 0;
}

int spawn_process(const SpawnSpec *s, pid_t *pid_out, CbError *err)
{
    /* Everything is allocated before fork: the child only calls
     * async-signal-safe functions. */
    size_t n_env = 0;
    for (char **e = environ; e && *e; e++)
        n_env++;
    char **envp = calloc(n_env + 3, sizeof(*envp));
    char conc[48], blas[] = "OPENBLAS_NUM_THREADS=1";
    if (!envp)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (s->whole_env || spawn_env_allowed(*e))
            envp[k++] = *e;
    if (snprintf(conc, sizeof(conc), "CODECBENCH_CONCURRENCY=%d", s->concurrency) >=
        (int)sizeof(conc)) {
        free(envp);
        return cb_error_set(err, CB_EINVAL, "concurrency out of range");
    }
    envp[k++] = conc;
    envp[k++] = blas;
    envp[k] = NULL;

    int rc = 0;
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (in < 0 || out < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", out < 0 ? s->log_path : "/dev/null",
                          strerror(errno));
        goto done;
    }
    struct rlimit lim = { RLIM_INFINITY, RLIM_INFINITY };
    int limit = s->memory_limit_mib > 0 && spawn_memory_limit_works();
    if (limit)
        lim.rlim_cur = lim.rlim_max = (rlim_t)s->memory_limit_mib * 1024 * 1024;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        rc = cb_error_set(err, CB_EIO, "fork: %s", strerror(errno));
        goto done;
    }
    if (pid == 0) {
        setpgid(0, 0);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(125); /* the runner is gone already */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(126);
        if (limit && setrlimit(RLIMIT_DATA, &lim) < 0)
            _exit(126);
        execve(s->exe, (char *const *)s->argv, envp);
        static const char msg[] = "codecbench runner: exec of the codecbench binary failed\n";
        if (write(2, msg, sizeof(msg) - 1) < 0)
            _exit(127);
        _exit(127);
    }
    setpgid(pid, pid); /* both sides set it: no window where a kill misses it */
    *pid_out = pid;
done:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(envp);
    return rc;
}

char *spawn_log_tail(const char *path, int lines, size_t max_bytes)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char buf[4096];
    struct stat st;
    off_t off = 0;
    if (fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(buf) - 1)
        off = st.st_size - (off_t)(sizeof(buf) - 1);
    ssize_t got = pread(fd, buf, sizeof(buf) - 1, off);
    close(fd);
    if (got <= 0)
        return NULL;
    buf[got] = '\0';
    /* Walk back over the last `lines` non-empty lines. */
    const char *start[16];
    size_t len[16];
    int found = 0;
    if (lines > 16)
        lines = 16;
    ssize_t end = got;
    while (found < lines && end > 0) {
        while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r'))
            end--;
        if (end == 0)
            break;
        ssize_t b = end;
        while (b > 0 && buf[b - 1] != '\n')
            b--;
        if (b == 0 && off > 0)
            break; /* a line cut by the window: leave it out */
        start[found] = buf + b;
        len[found] = (size_t)(end - b);
        found++;
        end = b;
    }
    if (found == 0)
        return NULL;
    char *text = malloc(max_bytes + 1);
    if (!text)
        return NULL;
    size_t used = 0;
    for (int i = found - 1; i >= 0; i--) {
        const char *sep = i == found - 1 ? "" : " | ";
        size_t want = strlen(sep) + len[i];
        if (used + want > max_bytes)
            break;
        memcpy(text + used, sep, strlen(sep));
        memcpy(text + used + strlen(sep), start[i], len[i]);
        used += want;
    }
    text[used] = '\0';
    return text;
}

void spawn_describe_status(int status, char *buf, size_t n)
{
    int w;
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        w = snprintf(buf, n, "killed by SIG%s (%s)%s", abbrev ? abbrev : "?", strsignal(sig),
                     WCOREDUMP(status) ? ", core dumped" : "");
    } else if (WIFEXITED(status)) {
        w = snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    } else {
        w = snprintf(buf, n, "ended with wait status 0x%x", (unsigned)status);
    }
    if (w < 0 && n)
        buf[0] = '\0';
}

/* The runner's lock file and starting a detached runner. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codecbench/fsutil.h"
#include "runner/runner_int.h"

/* Rotated at a runner's start when larger than this. */
#define RUNNER_LOG_MAX_BYTES (1024 * 1024)

int runner_lock_take(const char *store_dir, int *fd_out, CbError *err)
{
    char *path = cb_path_join(store_dir, "runner.lock");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        cb_error_set(err, CB_EIO, "%s: %s", path, strerror(e));
        free(path);
        return CB_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            cb_error_set(err, CB_EBUSY, "%s: another runner holds it", path);
        else
            cb_error_set(err, CB_EIO, "%s: %s", path, strerror(e));
        free(path);
        return e == EWOULDBLOCK ? CB_EBUSY : CB_EIO;
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        cb_error_set(err, CB_EIO, "%s: %s", path, strerror(e));
        free(path);
        return CB_EIO;
    }
    free(path);
    *fd_out = fd;
    return 0;
}

void runner_lock_release(int *fd)
{
    if (*fd < 0)
        return;
    /* The pid goes first so that a reader never sees a stale one. */
    if (ftruncate(*fd, 0) < 0) {
        /* Nothing to do: the lock itself is what counts. */
    }
    flock(*fd, LOCK_UN);
    close(*fd);
    *fd = -1;
}

int64_t cb_runner_pid(const char *store_dir)
{
    char *path = cb_path_join(store_dir, "runner.lock");
    if (!path)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return 0;
    int64_t pid = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        flock(fd, LOCK_UN); /* nobody holds it */
    } else {
        char buf[32];
        ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);
        pid = 1; /* held: a runner is starting even if its pid is not written yet */
        if (got > 0) {
            buf[got] = '\0';
            char *end;
            long long v = strtoll(buf, &end, 10);
            if (end != buf && v > 0)
                pid = v;
        }
    }
    close(fd);
    return pid;
}

static void rotate_log(const char *log)
{
    struct stat st;
    if (stat(log, &st) == 0 && st.st_size > RUNNER_LOG_MAX_BYTES) {
        size_t n = strlen(log) + 3;
        char *old = malloc(n);
        if (old && snprintf(old, n, "%s.1", log) < (int)n)
            rename(log, old);
        free(old);
    }
}

int cb_runner_ensure(const char *store_dir, const char *exe, const char *const *extra_args,
                     CbError *err)
{
    if (cb_runner_pid(store_dir) > 0)
        return 0;
    if (!exe)
        exe = "/proc/self/exe";
    /* Everything the grandchild needs is prepared before fork. */
    size_t n_extra = 0;
    while (extra_args && extra_args[n_extra])
        n_extra++;
    const char **argv = calloc(n_extra + 5, sizeof(*argv));
    char *log = cb_path_join(store_dir, "runner.log");
    if (!argv || !log) {
        free(argv);
        free(log);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    argv[0] = "codecbench";
    argv[1] = "runner";
    argv[2] = "--store";
    argv[3] = store_dir;
    for (size_t i = 0; i < n_extra; i++)
        argv[4 + i] = extra_args[i];
    rotate_log(log);
    int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int rc = 0;
    if (out < 0 || in < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", out < 0 ? log : "/dev/null", strerror(errno));
        goto done;
    }
    pid_t child = fork();
    if (child < 0) {
        rc = cb_error_set(err, CB_EIO, "cannot start the runner: fork: %s", strerror(errno));
        goto done;
    }
    if (child == 0) {
        /* A session of its own: the terminal's hangup, or a kill of the
         * front end's process group, does not reach it. */
        if (setsid() < 0)
            _exit(126);
        pid_t grandchild = fork();
        if (grandchild != 0)
            _exit(grandchild < 0 ? 126 : 0);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(126);
        execv(exe, (char *const *)argv);
        static const char msg[] = "codecbench: cannot start the runner: exec failed\n";
        if (write(2, msg, sizeof(msg) - 1) < 0)
            _exit(127);
        _exit(127);
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = cb_error_set(err, CB_EIO, "cannot start the runner (see %s)", log);
done:
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    free(argv);
    free(log);
    return rc;
}

/* codecbench stage: building untrusted stage source in a closed world
 * (layer 1 of include/codecbench/sandbox.h).
 *
 * A build owns a private directory made with mkdtemp:
 *   TOP/        root's, 0711: no one else may list or change it
 *   TOP/world/  the stage world (stdint.h, stddef.h, stdbool.h, limits.h,
 *               codecbench/stage.h), written from the copies built into
 *               the binary (builtin.inc, made by embed.sh), read-only
 *   TOP/src/    stage.c, and later stage.i (the checked preprocessed text),
 *               read-only to the compiler: the compiler's working directory,
 *               so that every diagnostic names "stage.c"
 *   TOP/out/    the compiler's only writable place (its TMPDIR, the -E
 *               output, the dependency list and the object); when we run as
 *               root it belongs to nobody, who the compiler runs as
 * Nothing the compiler wrote is used in place: the preprocessed text and the
 * object are read (bounded, not through a symbolic link) into memory, and
 * the bytes checked are the bytes used, so a process of nobody's cannot
 * swap a file between the check and its use.
 *
 * Steps: (0) the dependency list alone (-M -MG: it is written even when
 * preprocessing fails, and nothing of that run reaches the proposer), so
 * that no diagnostic can come from a run that read a file outside the
 * world; (a) -E -MD, whose dependency list is checked again; (b) a token
 * scan of the preprocessed text; (c) compile and link that text with
 * -x cpp-output; (d) the object checks (elfcheck.c); then the object is
 * written to a temporary name beside the destination and renamed. */
#define _GNU_SOURCE /* setresuid, setresgid, setgroups, pipe2, close_range */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/buf.h"
#include "codecbench/fsutil.h"
#include "codecbench/sandbox.h"
#include "stage/elfcheck.h"
#include "stage/scan.h"

#include "src/stage/builtin.inc" /* generated in the build tree by embed.sh */

/* Bytes of compiler output read per process: the kept diagnostics are a
 * few KiB; a hostile source can make a compiler print without end. */
#define OUTPUT_MAX ((size_t)256 << 10)
/* RLIMIT_FSIZE of a compiler process, and the largest preprocessed text
 * read back: a 32 KiB source whose macros expand exponentially is stopped
 * here (the compiler gets SIGXFSZ) rather than filling the disk. */
#define FILE_MAX ((size_t)32 << 20)
/* The dependency list: a stage has six files at most. */
#define DEPS_MAX ((size_t)64 << 10)
/* nobody when the passwd database has no entry. */
#define NOBODY_ID 65534
/* The child's status when exec failed (its errno went to the parent). */
#define EXEC_FAILED 127

const char *cb_stage_header_text(void)
{
    return stage_header_text_c;
}

const char *cb_stage_builtin_source(CbStageKind kind)
{
    switch (kind) {
    case CB_STAGE_INTRA: return stage_builtin_intra_text;
    case CB_STAGE_LOOP_FILTER: return stage_builtin_loop_filter_text;
    case CB_STAGE_TRANSFORM: return stage_builtin_transform_text;
    default: return NULL;
    }
}

/* ---- the private directory --------------------------------------------- */

typedef struct Build {
    char *top, *world, *src, *out;
    const char *cc;   /* as given */
    char *cc_path;    /* resolved */
    char *env_path;   /* "PATH=..." */
    char *env_tmpdir; /* "TMPDIR=..." */
    int drop;         /* run the compiler as nobody */
    uid_t uid;
    gid_t gid;
    double timeout_s;
    int cpu_s;
    int64_t memory_mib;
    CbBuf kept;  /* diagnostics located in stage.c */
    int dropped; /* compiler messages not located in stage.c, left out */
} Build;

/* Removes everything under the directory fd (which it closes), without
 * following a symbolic link; depth bounds a hostile tree. */
static void remove_tree_fd(int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            continue;
        if (depth > 0) {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                remove_tree_fd(sub, depth - 1);
        }
        unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

static void remove_tree(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        remove_tree_fd(fd, 8);
    rmdir(path);
}

static int write_file(const char *path, const void *data, size_t len, CbError *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return cb_error_set(err, CB_EIO, "cannot create %s: %s", path, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            return cb_error_set(err, CB_EIO, "cannot write %s: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    /* The mode must not depend on the caller's umask: the compiler, as
     * nobody, reads these. */
    if (fchmod(fd, 0644) != 0 || close(fd) != 0)
        return cb_error_set(err, CB_EIO, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

static char *join(const char *a, const char *b, CbError *err)
{
    char *p = cb_path_join(a, b);
    if (!p)
        cb_error_set(err, CB_ENOMEM, "out of memory");
    return p;
}

/* Is every directory from / down to dir searchable by others?  Else nobody
 * could not reach the build directory under it. */
static int reachable_by_others(const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s", dir);
    if (n < 0 || (size_t)n >= sizeof(path) || path[0] != '/')
        return 0;
    for (;;) {
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || !(st.st_mode & S_IXOTH))
            return 0;
        char *slash = strrchr(path, '/');
        if (!slash || slash == path)
            break;
        *slash = '\0';
    }
    return 1;
}

static int make_dirs(Build *b, CbError *err)
{
    const char *base = getenv("TMPDIR");
    if (!base || base[0] != '/' || strlen(base) > 1024 || (b->drop && !reachable_by_others(base)))
        base = "/tmp";
    char tmpl[1100];
    int n = snprintf(tmpl, sizeof(tmpl), "%s/cbstage.XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof(tmpl))
        return cb_error_set(err, CB_EIO, "the temporary directory's name is too long");
    if (!mkdtemp(tmpl))
        return cb_error_set(err, CB_EIO, "cannot make a build directory under %s: %s", base,
                            strerror(errno));
    if (!(b->top = strdup(tmpl)))
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (!(b->world = join(b->top, "world", err)) || !(b->src = join(b->top, "src", err)) ||
        !(b->out = join(b->top, "out", err)))
        return CB_ENOMEM;
    if (chmod(b->top, 0711) != 0 || mkdir(b->world, 0755) != 0 || mkdir(b->src, 0755) != 0 ||
        mkdir(b->out, 0700) != 0)
        return cb_error_set(err, CB_EIO, "cannot make the build directories in %s: %s", b->top,
                            strerror(errno));
    char *cbdir = join(b->world, "codecbench", err);
    if (!cbdir)
        return CB_ENOMEM;
    int rc = mkdir(cbdir, 0755);
    free(cbdir);
    if (rc != 0 || chmod(b->world, 0755) != 0 || chmod(b->src, 0755) != 0)
        return cb_error_set(err, CB_EIO, "cannot make the stage world in %s: %s", b->top,
                            strerror(errno));
    for (size_t i = 0; i < sizeof(stage_world_files) / sizeof(stage_world_files[0]); i++) {
        char *p = join(b->world, stage_world_files[i].path, err);
        if (!p)
            return CB_ENOMEM;
        rc = write_file(p, stage_world_files[i].text, strlen(stage_world_files[i].text), err);
        free(p);
        if (rc != 0)
            return rc;
    }
    if (b->drop && chown(b->out, b->uid, b->gid) != 0)
        return cb_error_set(err, CB_EIO, "cannot give %s to nobody: %s", b->out, strerror(errno));
    return 0;
}

/* ---- the compiler ----------------------------------------------------------- */

static int resolve_cc(Build *b, CbError *err)
{
    const char *path = getenv("PATH");
    if (!path || !*path || strlen(path) > 4096)
        path = "/usr/local/bin:/usr/bin:/bin";
    CbBuf e;
    cb_buf_init(&e, 8192);
    if (cb_buf_printf(&e, "PATH=%s", path) != 0 || !(b->env_path = cb_buf_steal(&e))) {
        cb_buf_free(&e);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    if (strchr(b->cc, '/')) {
        if (b->cc[0] == '/') {
            b->cc_path = strdup(b->cc);
        } else {
            char cwd[4096];
            if (!getcwd(cwd, sizeof(cwd)))
                return cb_error_set(err, CB_EIO, "cannot find the current directory: %s",
                                    strerror(errno));
            b->cc_path = cb_path_join(cwd, b->cc);
        }
        if (!b->cc_path)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        struct stat st;
        if (stat(b->cc_path, &st) != 0 || !S_ISREG(st.st_mode) || access(b->cc_path, X_OK) != 0)
            return cb_error_set(err, CB_ENOTSUP, "the C compiler %s is missing or not executable",
                                b->cc);
        return 0;
    }
    const char *p = path;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0 && p[0] == '/') {
            char *dir = strndup(p, len);
            char *cand = dir ? cb_path_join(dir, b->cc) : NULL;
            free(dir);
            if (!cand)
                return cb_error_set(err, CB_ENOMEM, "out of memory");
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
                b->cc_path = cand;
                return 0;
            }
            free(cand);
        }
        p += len;
        if (*p == ':')
            p++;
    }
    return cb_error_set(err, CB_ENOTSUP, "the C compiler %s was not found in PATH (%s)", b->cc,
                        path);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int set_limit(int res, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    return setrlimit(res, &rl);
}

/* The child: only async-signal-safe calls from here to exec (the caller
 * may have threads).  A failed step reports its errno on errfd. */
static void child(const Build *b, char *const argv[], char *const envp[], int outfd, int errfd)
{
    int step_errno = 0;
    /* A session of its own: its own process group (killed whole at the
     * timeout) and no controlling terminal ("#include "/dev/tty"" must not
     * read the user's keys). */
    if (setsid() < 0)
        goto fail;
    /* What the caller blocked or ignored is not the compiler's: the limits
     * act through SIGXCPU and SIGXFSZ. */
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0 || sigaction(SIGXCPU, &dfl, NULL) != 0 ||
        sigaction(SIGXFSZ, &dfl, NULL) != 0 || sigaction(SIGPIPE, &dfl, NULL) != 0)
        goto fail;
    int nul = open("/dev/null", O_RDONLY);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
        goto fail;
    if (nul > 2)
        close(nul);
    /* Every other descriptor closed, but errfd (close-on-exec). */
    if (errfd < 3 || (errfd > 3 && close_range(3, (unsigned)errfd - 1, 0) != 0) ||
        close_range((unsigned)errfd + 1, ~0U, 0) != 0)
        for (int fd = 3; fd < 4096; fd++)
            if (fd != errfd)
                close(fd);
    rlim_t cpu = (rlim_t)b->cpu_s;
    rlim_t mem = (rlim_t)b->memory_mib << 20;
    if (set_limit(RLIMIT_CPU, cpu, cpu + 1) != 0 || set_limit(RLIMIT_AS, mem, mem) != 0 ||
        set_limit(RLIMIT_FSIZE, FILE_MAX, FILE_MAX) != 0 || set_limit(RLIMIT_CORE, 0, 0) != 0)
        goto fail;
    if (chdir(b->src) != 0)
        goto fail;
    if (b->drop) {
        gid_t g = b->gid;
        if (setgroups(1, &g) != 0 || setresgid(b->gid, b->gid, b->gid) != 0 ||
            setresuid(b->uid, b->uid, b->uid) != 0)
            goto fail;
        if (getuid() != b->uid || geteuid() != b->uid || getegid() != b->gid) {
            errno = EPERM;
            goto fail;
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        goto fail;
    /* After the change of user (which clears it): the compiler dies with us. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    execve(b->cc_path, argv, envp);
fail:
    step_errno = errno;
    if (write(errfd, &step_errno, sizeof(step_errno)) < 0) {
        /* Nothing more to tell: the status says it. */
    }
    _exit(EXEC_FAILED);
}

/* Runs the compiler with args (argv[0] is added), its output into *out
 * (at most OUTPUT_MAX bytes kept; the rest is read and dropped).  0 with
 * *status its wait status; CB_ETIMEOUT (killed, reaped); CB_ENOTSUP when
 * it cannot be started; CB_EIO. */
static int run_cc(Build *b, const char *const *args, CbBuf *out, int *status, CbError *err)
{
    const char *argv[48];
    size_t argc = 0;
    argv[argc++] = b->cc;
    for (size_t i = 0; args[i]; i++) {
        if (argc + 1 >= sizeof(argv) / sizeof(argv[0]))
            return cb_error_set(err, CB_EINVAL, "too many compiler arguments");
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    const char *envp[] = {b->env_path, "LC_ALL=C", b->env_tmpdir, NULL};
    int opipe[2] = {-1, -1}, epipe[2] = {-1, -1};
    int rc = 0;
    pid_t pid = -1;
    if (pipe2(opipe, O_CLOEXEC) != 0 || pipe2(epipe, O_CLOEXEC) != 0) {
        rc = cb_error_set(err, CB_EIO, "cannot make a pipe for the compiler: %s", strerror(errno));
        goto done;
    }
    pid = fork();
    if (pid < 0) {
        rc = cb_error_set(err, CB_EIO, "cannot start the compiler: %s", strerror(errno));
        goto done;
    }
    if (pid == 0) {
        close(opipe[0]);
        close(epipe[0]);
        child(b, (char *const *)argv, (char *const *)envp, opipe[1], epipe[1]);
    }
    close(opipe[1]);
    close(epipe[1]);
    opipe[1] = epipe[1] = -1;

    int child_errno = 0;
    ssize_t r;
    do
        r = read(epipe[0], &child_errno, sizeof(child_errno));
    while (r < 0 && errno == EINTR);

    double deadline = now_s() + b->timeout_s;
    int eof = 0, exited = 0, timed_out = 0;
    char chunk[4096];
    while (!exited) {
        double left = deadline - now_s();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        int ms = left > 0.1 ? 100 : (int)(left * 1000) + 1;
        if (!eof) {
            struct pollfd pfd = {opipe[0], POLLIN, 0};
            int pr = poll(&pfd, 1, ms);
            if (pr < 0 && errno != EINTR) {
                rc =
                    cb_error_set(err, CB_EIO, "poll on the compiler's output: %s", strerror(errno));
                break;
            }
            if (pr > 0) {
                ssize_t got = read(opipe[0], chunk, sizeof(chunk));
                if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
                    eof = 1;
                else if (got > 0 && out->len + (size_t)got <= OUTPUT_MAX)
                    cb_buf_append(out, chunk, (size_t)got);
            }
        } else {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        /* Seen exited but not reaped: its pid (and so its group's id) stays
         * taken until the group is killed below. */
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (eof) {
            int w = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
            /* ECHILD: reaped behind our back; the wait below says so. */
            if ((w == 0 && si.si_pid == pid) || (w < 0 && errno == ECHILD))
                exited = 1;
        }
    }
    /* Whatever is left of the group (a stuck cc1, an orphan) goes with it. */
    kill(-pid, SIGKILL);
    if (timed_out)
        kill(pid, SIGKILL);
    int st = 0;
    pid_t w;
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
    }
    pid = -1;
    if (rc != 0)
        goto done;
    if (w < 0) {
        rc = cb_error_set(err, CB_EIO,
                          "the compiler's exit status was lost (another part of the program "
                          "reaped it)");
        goto done;
    }
    if (timed_out) {
        rc = cb_error_set(err, CB_ETIMEOUT,
                          "the compiler did not finish within %g s and was killed", b->timeout_s);
        goto done;
    }
    if (r == (ssize_t)sizeof(child_errno) && WIFEXITED(st) && WEXITSTATUS(st) == EXEC_FAILED) {
        if (child_errno == ENOENT || child_errno == EACCES || child_errno == ENOEXEC)
            rc = cb_error_set(err, CB_ENOTSUP, "the C compiler %s cannot be run%s: %s", b->cc,
                              b->drop ? " as nobody" : "", strerror(child_errno));
        else
            rc = cb_error_set(err, CB_EIO, "cannot start the compiler %s in its limits: %s", b->cc,
                              strerror(child_errno));
        goto done;
    }
    *status = st;
done:
    if (pid > 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    for (int i = 0; i < 2; i++) {
        if (opipe[i] >= 0)
            close(opipe[i]);
        if (epipe[i] >= 0)
            close(epipe[i]);
    }
    return rc;
}

/* ---- diagnostics ----------------------------------------------------------- */

/* Keeps the lines of raw that start with "stage.c:" and the source excerpt
 * lines that follow them (they start with a space); every other message is
 * counted in b->dropped and left out, so that no text of another file
 * reaches the proposer. */
static void keep_diagnostics(Build *b, const CbBuf *raw)
{
    const char *p = raw->data ? raw->data : "";
    const char *end = p + raw->len;
    int keeping = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len >= 8 && memcmp(p, "stage.c:", 8) == 0) {
            keeping = 1;
        } else if (len == 0 || p[0] == ' ') {
            /* an excerpt line: it belongs to the message before it */
        } else {
            keeping = 0;
            b->dropped++;
        }
        if (keeping &&
            (cb_buf_append(&b->kept, p, len) != 0 || cb_buf_append(&b->kept, "\n", 1) != 0))
            keeping = 0; /* past the cap: the final cut handles it */
        p += len + (nl ? 1 : 0);
    }
}

/* The first kept line that is an error, for the reason of a failed step. */
static void first_error(const Build *b, char *out, size_t outsz)
{
    out[0] = '\0';
    const char *p = b->kept.data ? b->kept.data : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *e = strstr(p, ": error: ");
        const char *f = strstr(p, ": fatal error: ");
        if ((e && e < p + len) || (f && f < p + len)) {
            size_t n = len < 300 ? len : 300;
            snprintf(out, outsz, "%.*s", (int)n, p);
            return;
        }
        p += len + (nl ? 1 : 0);
    }
}

/* The reason a compiler run failed that is not a message about the
 * source: a limit, a signal, a flag it lacks.  Looks only for the
 * compiler's own fixed phrases in its output, never copying text from it.
 * 0 when there is none. */
static int limit_reason(const Build *b, const char *step, const CbBuf *raw, int status,
                        CbError *err)
{
    const char *t = raw->data ? raw->data : "";
    if (strstr(t, "unrecognized command-line option") ||
        strstr(t, "unrecognized command line option") || strstr(t, "unknown argument"))
        return cb_error_set(err, CB_ENOTSUP, "the C compiler %s lacks a flag the stage build needs",
                            b->cc);
    if (strstr(t, "CPU time limit exceeded") ||
        (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU))
        return cb_error_set(err, CB_ESTAGE,
                            "the stage %s: the compiler ran out of its CPU time (%d s)", step,
                            b->cpu_s);
    if (strstr(t, "File size limit exceeded") ||
        (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ))
        return cb_error_set(err, CB_ESTAGE,
                            "the stage %s: the compiler's output passed its limit of %zu MiB", step,
                            FILE_MAX >> 20);
    if (strstr(t, "out of memory") || strstr(t, "memory exhausted") ||
        strstr(t, "Cannot allocate memory"))
        return cb_error_set(err, CB_ESTAGE,
                            "the stage %s: the compiler ran out of its memory (%lld MiB)", step,
                            (long long)b->memory_mib);
    if (WIFSIGNALED(status))
        return cb_error_set(err, CB_ESTAGE, "the stage %s: the compiler was killed by signal %d",
                            step, WTERMSIG(status));
    return 0;
}

static int failure_reason(const Build *b, const char *step, const CbBuf *raw, int status,
                          CbError *err)
{
    int rc = limit_reason(b, step, raw, status, err);
    if (rc != 0)
        return rc;
    char first[320];
    first_error(b, first, sizeof(first));
    if (first[0])
        return cb_error_set(err, CB_ESTAGE, "the stage %s: %s", step, first);
    return cb_error_set(err, CB_ESTAGE,
                        "the stage %s: the compiler failed (exit status %d) with no message "
                        "located in stage.c",
                        step, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* The kept diagnostics, cut at a line boundary to CB_STAGE_DIAG_MAX bytes
 * with the notes of what was left out. */
static char *final_diagnostics(const Build *b)
{
    char note[160];
    int nn = 0;
    if (b->dropped > 0)
        nn = snprintf(note, sizeof(note), "%d message%s not located in stage.c %s left out\n",
                      b->dropped, b->dropped == 1 ? "" : "s", b->dropped == 1 ? "was" : "were");
    if (nn < 0 || (size_t)nn >= sizeof(note))
        nn = 0;
    note[nn] = '\0';
    static const char cut[] = "(diagnostics cut here)\n";
    const char *k = b->kept.data ? b->kept.data : "";
    size_t klen = b->kept.len;
    size_t room = CB_STAGE_DIAG_MAX - (size_t)nn;
    if (klen > room) {
        room -= sizeof(cut) - 1;
        size_t end = room;
        while (end > 0 && k[end - 1] != '\n')
            end--;
        klen = end;
    }
    CbBuf o;
    cb_buf_init(&o, CB_STAGE_DIAG_MAX);
    if (cb_buf_append(&o, k, klen) != 0 || (klen < b->kept.len && cb_buf_puts(&o, cut) != 0) ||
        cb_buf_puts(&o, note) != 0) {
        cb_buf_free(&o);
        return NULL;
    }
    return cb_buf_steal(&o);
}

/* The line of the first fatal error located in stage.c in raw (only the
 * number is taken from it), or 0. */
static int fatal_line(const CbBuf *raw)
{
    const char *p = raw && raw->data ? raw->data : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *f = strstr(p, ": fatal error: ");
        if (strncmp(p, "stage.c:", 8) == 0 && f && f < p + len) {
            long v = 0;
            for (const char *d = p + 8; *d >= '0' && *d <= '9' && v < 1000000; d++)
                v = v * 10 + (*d - '0');
            return (int)v;
        }
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

/* Checks the dependency list the last run wrote; raw is that run's output
 * when it came from the run whose words are not shown (step 0). */
static int read_deps_and_check(Build *b, const char *source, size_t len, const CbBuf *raw,
                               CbError *err)
{
    char *path = join(b->out, "stage.d", err);
    if (!path)
        return CB_ENOMEM;
    unsigned char *text = NULL;
    size_t n = 0;
    CbError e2;
    cb_error_clear(&e2);
    int rc = cb_stage_read_file(path, DEPS_MAX, 1, &text, &n, &e2);
    free(path);
    int line = fatal_line(raw);
    if ((rc == CB_ENOENT || rc == CB_ELIMIT) && line > 0)
        rc = cb_error_set(err, CB_ESTAGE,
                          "stage.c:%d: the stage does not preprocess: a file it includes there "
                          "cannot be read (the compiler's words are not shown: they may quote "
                          "files outside the stage world)",
                          line);
    else if (rc == CB_ENOENT || rc == CB_ELIMIT)
        rc = cb_error_set(err, CB_ESTAGE,
                          "the stage does not preprocess: the compiler could not list what it "
                          "includes");
    else if (rc != 0)
        rc = cb_error_set(err, rc, "%s", e2.text);
    else
        rc = cb_stage_check_deps((const char *)text, n, source, len, err);
    free(text);
    return rc;
}

/* ---- the build ----------------------------------------------------------- */

static int run_step(Build *b, const char *step, const char *const *args, CbError *err)
{
    CbBuf raw;
    cb_buf_init(&raw, OUTPUT_MAX);
    int status = 0;
    int rc = run_cc(b, args, &raw, &status, err);
    if (rc == 0) {
        keep_diagnostics(b, &raw);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = failure_reason(b, step, &raw, status, err);
    }
    cb_buf_free(&raw);
    return rc;
}

/* Writes data to path through a temporary name beside it (0644), renamed
 * over path. */
static int install(const char *path, const void *data, size_t len, CbError *err)
{
    CbBuf t;
    cb_buf_init(&t, 8192);
    if (cb_buf_printf(&t, "%s.XXXXXX", path) != 0) {
        cb_buf_free(&t);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    int rc = 0;
    int fd = mkstemp(t.data);
    if (fd < 0) {
        rc = cb_error_set(err, CB_EIO, "cannot create a file beside %s: %s", path, strerror(errno));
        goto done;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    if (left > 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        rc = cb_error_set(err, CB_EIO, "cannot write %s: %s", t.data, strerror(errno));
        close(fd);
        unlink(t.data);
        goto done;
    }
    if (close(fd) != 0 || rename(t.data, path) != 0) {
        rc = cb_error_set(err, CB_EIO, "cannot write %s: %s", path, strerror(errno));
        unlink(t.data);
    }
done:
    cb_buf_free(&t);
    return rc;
}

int cb_stage_build(CbStageKind kind, const char *source, size_t len, const char *object_path,
                   const CbStageBuildOptions *opt, char **diagnostics, CbError *err)
{
    if (diagnostics)
        *diagnostics = NULL;
    if (kind != CB_STAGE_INTRA && kind != CB_STAGE_LOOP_FILTER && kind != CB_STAGE_TRANSFORM)
        return cb_error_set(err, CB_EINVAL, "no stage kind %d to build", (int)kind);
    if (!object_path || !*object_path || (!source && len > 0))
        return cb_error_set(err, CB_EINVAL, "no stage source or object path");
    if (len > CB_STAGE_SOURCE_MAX)
        return cb_error_set(err, CB_ESTAGE,
                            "the stage source is %zu bytes, more than the %d allowed", len,
                            CB_STAGE_SOURCE_MAX);
    const char *nul = len ? memchr(source, '\0', len) : NULL;
    if (nul)
        return cb_error_set(err, CB_ESTAGE, "the stage source has a NUL byte (at offset %zu)",
                            (size_t)(nul - source));

    Build b;
    memset(&b, 0, sizeof(b));
    cb_buf_init(&b.kept, (size_t)64 << 10);
    b.cc = opt && opt->cc && *opt->cc ? opt->cc : "cc";
    b.timeout_s = opt && opt->timeout_s > 0 ? opt->timeout_s : 60;
    b.cpu_s = opt && opt->cpu_s > 0 ? opt->cpu_s : 60;
    b.memory_mib = opt && opt->memory_mib > 0 ? opt->memory_mib : 2048;
    if (b.memory_mib > ((int64_t)1 << 30))
        b.memory_mib = (int64_t)1 << 30;
    unsigned char *pre = NULL, *obj = NULL;
    size_t prelen = 0, objlen = 0;
    char *ipath = NULL, *opath = NULL, *spath = NULL;
    int rc;

    if (geteuid() == 0) {
        b.drop = 1;
        b.uid = NOBODY_ID;
        b.gid = NOBODY_ID;
        struct passwd pw, *res = NULL;
        char pwbuf[1024];
        if (getpwnam_r("nobody", &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res) {
            b.uid = pw.pw_uid;
            b.gid = pw.pw_gid;
        }
        if (b.uid == 0 || b.gid == 0) {
            rc = cb_error_set(err, CB_EIO, "the user nobody is root on this machine");
            goto done;
        }
    }
    if ((rc = resolve_cc(&b, err)) != 0 || (rc = make_dirs(&b, err)) != 0)
        goto done;
    {
        CbBuf e;
        cb_buf_init(&e, 2048);
        if (cb_buf_printf(&e, "TMPDIR=%s", b.out) != 0 || !(b.env_tmpdir = cb_buf_steal(&e))) {
            cb_buf_free(&e);
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (!(spath = join(b.src, "stage.c", err))) {
        rc = CB_ENOMEM;
        goto done;
    }
    if ((rc = cb_stage_scan_directives(source ? source : "", len, err)) != 0 ||
        (rc = write_file(spath, source ? source : "", len, err)) != 0)
        goto done;

    /* (0) The dependency list alone; its diagnostics are thrown away. */
    {
        /* clang-format off */
        static const char *const args[] = {
            "-M", "-MG", "-MF", "../out/stage.d",
            "-nostdinc", "-I", "../world", "-ffreestanding", "-std=c11",
            "-fdiagnostics-color=never", "stage.c",
            NULL};
        /* clang-format on */
        CbBuf raw;
        cb_buf_init(&raw, OUTPUT_MAX);
        int status = 0;
        rc = run_cc(&b, args, &raw, &status, err);
        /* A limit or a missing flag is worth saying; any other text of
         * this run is not (it may come from a file outside the world). */
        if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
            rc = limit_reason(&b, "does not preprocess", &raw, status, err);
        if (rc == 0)
            rc = read_deps_and_check(&b, source, len, &raw, err);
        cb_buf_free(&raw);
        if (rc != 0)
            goto done;
        char *d = join(b.out, "stage.d", err);
        if (!d) {
            rc = CB_ENOMEM;
            goto done;
        }
        unlink(d);
        free(d);
    }

    /* (a) Preprocess, with the dependency list checked again. */
    {
        /* clang-format off */
        static const char *const args[] = {
            "-E", "-MD", "-MF", "../out/stage.d",
            "-nostdinc", "-I", "../world", "-ffreestanding", "-std=c11",
            "-fdiagnostics-color=never", "-o", "../out/stage.i", "stage.c",
            NULL};
        /* clang-format on */
        if ((rc = run_step(&b, "does not preprocess", args, err)) != 0 ||
            (rc = read_deps_and_check(&b, source, len, NULL, err)) != 0)
            goto done;
    }
    if (!(opath = join(b.out, "stage.i", err)) || !(ipath = join(b.src, "stage.i", err))) {
        rc = CB_ENOMEM;
        goto done;
    }
    rc = cb_stage_read_file(opath, FILE_MAX, 1, &pre, &prelen, err);
    if (rc == CB_ELIMIT)
        rc = cb_error_set(err, CB_ESTAGE, "the stage preprocesses to more than %zu MiB",
                          FILE_MAX >> 20);
    if (rc != 0)
        goto done;

    /* (b) The token scan, then (c) compile exactly the text scanned. */
    if ((rc = cb_stage_scan_tokens((const char *)pre, prelen, err)) != 0 ||
        (rc = write_file(ipath, pre, prelen, err)) != 0)
        goto done;
    {
        /* clang-format off */
        static const char *const args[] = {
            "-x", "cpp-output", "-std=c11", "-O2", "-fPIC", "-shared",
            "-nostdinc", "-nostdlib", "-ffreestanding", "-fwrapv",
            "-mgeneral-regs-only", "-fno-stack-protector", "-Wall",
            "-fdiagnostics-color=never",
            "-Wl,-z,now", "-Wl,-z,noexecstack", "-Wl,-z,relro", "-Wl,--hash-style=gnu",
            "-o", "../out/stage.so", "stage.i",
            NULL};
        /* clang-format on */
        if ((rc = run_step(&b, "does not compile", args, err)) != 0)
            goto done;
    }

    /* (d) The object, read once: the bytes checked are the bytes written. */
    free(opath);
    if (!(opath = join(b.out, "stage.so", err))) {
        rc = CB_ENOMEM;
        goto done;
    }
    rc = cb_stage_read_file(opath, CB_STAGE_OBJECT_MAX, 1, &obj, &objlen, err);
    if (rc == CB_ELIMIT || rc == CB_ENOENT)
        rc = cb_error_set(err, CB_ESTAGE,
                          rc == CB_ELIMIT ? "the object is larger than the limit"
                                          : "the compiler wrote no object");
    if (rc != 0)
        goto done;
    {
        CbError e2;
        cb_error_clear(&e2);
        rc = cb_stage_check_elf(obj, objlen, kind, &e2);
        /* A malformed object from the compiler is the stage's failure too. */
        if (rc != 0)
            rc = cb_error_set(err, rc == CB_EFORMAT ? CB_ESTAGE : rc, "%s", e2.text);
    }
    if (rc != 0)
        goto done;
    rc = install(object_path, obj, objlen, err);

done:
    if (diagnostics && rc != CB_ENOMEM)
        *diagnostics = final_diagnostics(&b);
    if (b.top)
        remove_tree(b.top);
    free(pre);
    free(obj);
    free(ipath);
    free(opath);
    free(spath);
    free(b.top);
    free(b.world);
    free(b.src);
    free(b.out);
    free(b.cc_path);
    free(b.env_path);
    free(b.env_tmpdir);
    cb_buf_free(&b.kept);
    return rc;
}

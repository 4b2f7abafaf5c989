/* codecbench stage: the client of the stage host (sandbox.h, "the host
 * client"): starts `codecbench stage-host` on three pipes and talks to it
 * in lock step (host_proto.h).
 *
 * The host runs stage code: every byte it sends is hostile.  Each reply's
 * type and length are checked against what the request allows before its
 * payload is read; every wait has a deadline (CbStageLimits.wall_s per
 * answer); the host's standard error is read all along (its last bytes kept), so a
 * chatty stage cannot block it; a host that dies, breaks the protocol or
 * runs out of time is killed (its whole process group), reaped, and its end
 * told in words. */
#define _GNU_SOURCE /* pipe2, sigabbrev_np, pidfd_open via syscall */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/engine.h"
#include "codecbench/sandbox.h"
#include "stage/host_proto.h"

extern char **environ;

#define DEFAULT_CPU_S     600
#define DEFAULT_DATA_MIB  4096
#define DEFAULT_STACK_MIB 8
#define DEFAULT_WALL_S    120.0
/* How long cb_stage_host_free() and a dying host get to end by themselves
 * before SIGKILL. */
#define GRACE_MS 1000
/* Bytes of the host's standard error kept (the last ones). */
#define ERR_TAIL 4096
/* The nobody the sandbox becomes when started as root (sandbox.c). */
#define NOBODY_ID 65534

struct CbStageHost {
    pid_t pid; /* > 0 until reaped */
    int in_fd, out_fd,
        err_fd; /* our ends: the host's stdin, standard output, standard error; -1 closed */
    int decode;
    CbStageKind kind;
    uint8_t hash[32];
    CbStageLimits lim;    /* with the defaults filled in */
    HpSandboxState state; /* from HELLO */
    int dead;             /* 1: every call fails with dead_err */
    CbError dead_err;
    int killed_by_us;    /* the host did not answer in time */
    double cpu_at_exit;  /* from wait4, once reaped */
    char tail[ERR_TAIL]; /* the last bytes of the host's standard error */
    size_t tail_len;
    uint8_t *rx; /* the payload of the last reply */
    size_t rx_cap;
    int have_coder; /* an encoder or decoder is open */
    int width, height;
    int64_t next_index; /* of the next packet an encoding host must send */
    CbFrame frame;      /* the decoding host's last picture */
};

/* ---- time ------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int ms_left(double deadline)
{
    double left = deadline - now_s();
    if (left <= 0)
        return 0;
    return left > 3600.0 ? 3600000 : (int)ceil(left * 1000.0);
}

/* ---- the host's standard error -------------------------------------------------------------- */

/* Reads what the host's standard error has (without blocking); 1 at its end. */
static int drain_stderr(CbStageHost *h)
{
    if (h->err_fd < 0)
        return 1;
    char buf[4096];
    for (;;) {
        ssize_t r = read(h->err_fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 0; /* EAGAIN: nothing more now */
        if (r == 0) {
            close(h->err_fd);
            h->err_fd = -1;
            return 1;
        }
        size_t n = (size_t)r;
        if (n >= ERR_TAIL) {
            memcpy(h->tail, buf + n - ERR_TAIL, ERR_TAIL);
            h->tail_len = ERR_TAIL;
        } else {
            size_t keep = h->tail_len + n > ERR_TAIL ? ERR_TAIL - n : h->tail_len;
            memmove(h->tail, h->tail + h->tail_len - keep, keep);
            memcpy(h->tail + keep, buf, n);
            h->tail_len = keep + n;
        }
    }
}

/* The last non-empty line of the host's standard error that starts with prefix (any
 * line when prefix is ""), control bytes replaced; 0 when there is none. */
static int tail_line(const CbStageHost *h, const char *prefix, char *out, size_t size)
{
    size_t end = h->tail_len, plen = strlen(prefix);
    while (end > 0) {
        while (end > 0 && (h->tail[end - 1] == '\n' || h->tail[end - 1] == '\r'))
            end--;
        size_t b = end;
        while (b > 0 && h->tail[b - 1] != '\n')
            b--;
        if (end > b && end - b >= plen && !memcmp(h->tail + b, prefix, plen)) {
            size_t n = end - b < size - 1 ? end - b : size - 1;
            for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)h->tail[b + i];
                out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
            }
            out[n] = '\0';
            return 1;
        }
        end = b;
    }
    return 0;
}

/* ---- ending the host ------------------------------------------------------------------ */

static int try_reap(CbStageHost *h, int *status, int block)
{
    if (h->pid <= 0)
        return 0;
    struct rusage ru;
    pid_t r;
    do
        r = wait4(h->pid, status, block ? 0 : WNOHANG, &ru);
    while (r < 0 && errno == EINTR);
    if (r == h->pid) {
        h->cpu_at_exit = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
                         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
        h->pid = -1;
        return 1;
    }
    if (r < 0 && errno == ECHILD) {
        *status = -1;
        h->pid = -1;
        return 1;
    }
    return 0;
}

/* Waits up to ms for the host to end by itself (reading its standard error the
 * while), then kills its process group; reaps it.  *status its wait
 * status (-1 when unknown). */
static void end_host(CbStageHost *h, int ms, int *status)
{
    *status = -1;
    if (h->pid <= 0)
        return;
    double deadline = now_s() + ms / 1000.0;
    int pidfd = -1;
#ifdef SYS_pidfd_open
    pidfd = (int)syscall(SYS_pidfd_open, h->pid, 0);
#endif
    while (!try_reap(h, status, 0)) {
        int left = ms_left(deadline);
        if (left <= 0) {
            kill(-h->pid, SIGKILL);
            kill(h->pid, SIGKILL);
            try_reap(h, status, 1);
            break;
        }
        struct pollfd p[2];
        int n = 0;
        if (pidfd >= 0)
            p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        if (h->err_fd >= 0)
            p[n++] = (struct pollfd){.fd = h->err_fd, .events = POLLIN};
        /* Without a pidfd (kernels before 5.3) look again every 10 ms. */
        int r = poll(p, (nfds_t)n, pidfd >= 0 ? left : (left < 10 ? left : 10));
        if (r > 0)
            drain_stderr(h);
    }
    if (pidfd >= 0)
        close(pidfd);
    /* The host is gone: its standard error ends (nothing else holds the pipe). */
    for (int i = 0; i < 64 && h->err_fd >= 0; i++) {
        struct pollfd p = {.fd = h->err_fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            break;
        drain_stderr(h);
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static const char *sig_name(int sig, char *buf, size_t size)
{
    const char *a = sigabbrev_np(sig);
    if (a)
        snprintf(buf, size, "SIG%s", a);
    else
        snprintf(buf, size, "signal %d", sig);
    return buf;
}

/* Says why the host ended, from its wait status and standard error. */
static int describe_end(CbStageHost *h, int status, CbError *e)
{
    char line[512], sig[32];
    if (h->killed_by_us)
        return cb_error_set(e, CB_ETIMEOUT, "the stage did not answer within %g s and was killed",
                            h->lim.wall_s);
    if (status == -1)
        return cb_error_set(e, CB_ESTAGE, "the stage host ended (its status is unknown)");
    if (WIFSIGNALED(status)) {
        int s = WTERMSIG(status);
        if (s == SIGXCPU || (s == SIGKILL && h->cpu_at_exit >= h->lim.cpu_s - 0.05))
            return cb_error_set(e, CB_ESTAGE, "the stage ran out of CPU time (limit %d s)",
                                h->lim.cpu_s);
        if (s == SIGSYS)
            return cb_error_set(e, CB_ESTAGE,
                                "the sandbox denied a system call (SIGSYS; the stage blocked "
                                "its report)");
        if (s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE || s == SIGABRT ||
            s == SIGTRAP)
            return cb_error_set(e, CB_ESTAGE, "the stage crashed (%s)",
                                sig_name(s, sig, sizeof sig));
        return cb_error_set(e, CB_ESTAGE, "the stage host was killed by %s",
                            sig_name(s, sig, sizeof sig));
    }
    if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);
        if (code == CB_SANDBOX_EXIT_DENIED) {
            if (tail_line(h, "denied system call ", line, sizeof line))
                return cb_error_set(e, CB_ESTAGE, "the sandbox %s", line);
            return cb_error_set(e, CB_ESTAGE, "the sandbox denied a system call");
        }
        if (tail_line(h, "stage-host: ", line, sizeof line))
            return cb_error_set(e, CB_ESTAGE, "the stage host failed: %s",
                                line + strlen("stage-host: "));
        if (tail_line(h, "", line, sizeof line))
            return cb_error_set(e, CB_ESTAGE, "the stage host exited with status %d: %s", code,
                                line);
        return cb_error_set(e, CB_ESTAGE, "the stage host exited with status %d%s", code,
                            code == 0 ? " without answering" : "");
    }
    return cb_error_set(e, CB_ESTAGE, "the stage host ended (wait status 0x%x)", (unsigned)status);
}

/* The host is finished (it ended, broke the protocol or failed): it is
 * killed if still there, reaped, and every later call fails with the
 * reason.  With fmt, the reason is that text (a protocol failure);
 * without, it comes from how the host ended.  Returns the code. */
static int host_fail(CbStageHost *h, CbError *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int host_fail(CbStageHost *h, CbError *err, int code, const char *fmt, ...)
{
    if (!h->dead) {
        int status = -1;
        close_fd(&h->in_fd);
        close_fd(&h->out_fd);
        if (fmt) {
            char text[CB_ERROR_TEXT_MAX];
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(text, sizeof text, fmt, ap);
            va_end(ap);
            end_host(h, 0, &status);
            cb_error_set(&h->dead_err, code, "%s", text);
        } else {
            end_host(h, h->killed_by_us ? 0 : GRACE_MS, &status);
            describe_end(h, status, &h->dead_err);
        }
        h->dead = 1;
    }
    if (err)
        *err = h->dead_err;
    return h->dead_err.code;
}

#define HOST_DIED(h, err) host_fail((h), (err), CB_ESTAGE, NULL)

/* ---- talking ------------------------------------------------------------------------- */

/* Writes the request (all of it, or the host is finished), reading the
 * host's standard error meanwhile.  SIGPIPE is blocked around the writes (a pipe
 * has no MSG_NOSIGNAL), and one it raised is taken back: the caller never
 * sees it. */
static int send_all(CbStageHost *h, const uint8_t *p, size_t n, double deadline, CbError *err)
{
    sigset_t pipeset, old, pending;
    sigemptyset(&pipeset);
    sigaddset(&pipeset, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeset, &old);
    int rc = CB_OK, epipe = 0;
    while (n > 0) {
        struct pollfd pf[3] = {
            {.fd = h->in_fd, .events = POLLOUT},
            {.fd = h->out_fd, .events = POLLIN},
            {.fd = h->err_fd, .events = POLLIN},
        };
        int left = ms_left(deadline);
        if (left <= 0) {
            h->killed_by_us = 1;
            rc = 1;
            break;
        }
        int r = poll(pf, 3, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = cb_error_set(err, CB_EIO, "stage host: poll: %s", strerror(errno));
            break;
        }
        if (pf[2].revents)
            drain_stderr(h);
        if (pf[1].revents & POLLIN) {
            /* Lock step: nothing may come before the request is whole. */
            rc = 2;
            break;
        }
        if (pf[1].revents & (POLLHUP | POLLERR)) {
            rc = 1;
            break;
        }
        if (pf[0].revents & (POLLERR | POLLHUP)) {
            epipe = 1;
            rc = 1;
            break;
        }
        if (pf[0].revents & POLLOUT) {
            ssize_t w = write(h->in_fd, p, n);
            if (w < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (w < 0) {
                epipe = errno == EPIPE;
                rc = 1;
                break;
            }
            p += w;
            n -= (size_t)w;
        }
    }
    if (epipe && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipeset, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 2)
        return host_fail(h, err, CB_ESTAGE,
                         "the stage host broke the protocol: it wrote before its request was "
                         "complete");
    if (rc == 1)
        return HOST_DIED(h, err);
    if (rc < 0)
        host_fail(h, NULL, rc, "%s", err ? err->text : "poll failed");
    return rc;
}

/* Reads n bytes of a reply; 0, or the host is finished. */
static int recv_all(CbStageHost *h, uint8_t *p, size_t n, double deadline, CbError *err)
{
    while (n > 0) {
        struct pollfd pf[2] = {
            {.fd = h->out_fd, .events = POLLIN},
            {.fd = h->err_fd, .events = POLLIN},
        };
        int left = ms_left(deadline);
        if (left <= 0) {
            h->killed_by_us = 1;
            return HOST_DIED(h, err);
        }
        int r = poll(pf, 2, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return host_fail(h, err, CB_EIO, "stage host: poll: %s", strerror(errno));
        if (pf[1].revents)
            drain_stderr(h);
        if (pf[0].revents) {
            ssize_t got = read(h->out_fd, p, n);
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got <= 0)
                return HOST_DIED(h, err);
            p += got;
            n -= (size_t)got;
        }
    }
    return CB_OK;
}

/* Reads one reply: its type and payload (into h->rx, *len bytes).  cap(type)
 * says how long a reply of that type may be (NOT_NOW: not allowed now); an
 * ERROR is always allowed. */
#define NOT_NOW ((size_t)-1)
typedef size_t (*CapFn)(const CbStageHost *h, uint32_t type);

static int recv_msg(CbStageHost *h, CapFn cap, uint32_t *type, size_t *len, CbError *err)
{
    uint8_t head[HP_HEAD_BYTES];
    double deadline = now_s() + h->lim.wall_s;
    int rc = recv_all(h, head, sizeof head, deadline, err);
    if (rc < 0)
        return rc;
    uint32_t t = hp_get_u32(head), n = hp_get_u32(head + 4);
    size_t max = t == HP_REP_ERROR ? 4 + HP_TEXT_MAX : cap(h, t);
    if (max == NOT_NOW)
        return host_fail(h, err, CB_ESTAGE,
                         "the stage host broke the protocol: a message of type 0x%x (%u bytes) "
                         "where it was not expected",
                         t, n);
    if (n > max || (t == HP_REP_ERROR && n < 4))
        return host_fail(h, err, CB_ESTAGE,
                         "the stage host broke the protocol: a message of type 0x%x with %u "
                         "bytes (at most %zu)",
                         t, n, max);
    if (n > h->rx_cap) {
        uint8_t *p = realloc(h->rx, n);
        if (!p)
            return host_fail(h, err, CB_ENOMEM, "out of memory for a %u-byte reply", n);
        h->rx = p;
        h->rx_cap = n;
    }
    if (n && (rc = recv_all(h, h->rx, n, deadline, err)) < 0)
        return rc;
    *type = t;
    *len = n;
    return CB_OK;
}

/* An ERROR reply: the host's reason.  A damaged packet (CB_EFORMAT) in a
 * decoding host and refused settings (CB_EINVAL) leave the host serving;
 * anything else finishes it. */
static int on_error_reply(CbStageHost *h, size_t len, CbError *err)
{
    int code = hp_get_i32(h->rx);
    char text[HP_TEXT_MAX + 1];
    size_t n = len - 4;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = h->rx[4 + i];
        text[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    text[n] = '\0';
    if (code >= 0 || code < CB_ESTAGE)
        return host_fail(h, err, CB_ESTAGE,
                         "the stage host broke the protocol: an error with code %d", code);
    if (code == CB_EFORMAT && h->decode)
        return cb_error_set(err, code, "%s", text);
    if (code == CB_EINVAL && !h->have_coder)
        return cb_error_set(err, code, "%s", text);
    if (code == CB_ENOMEM)
        return host_fail(h, err, CB_ESTAGE, "the stage ran out of memory (data limit %lld MiB): %s",
                         (long long)h->lim.data_mib, text);
    if (code == CB_ESTAGE)
        return host_fail(h, err, CB_ESTAGE, "%s", text);
    return host_fail(h, err, code, "%s", text);
}

static int request(CbStageHost *h, uint32_t type, const uint8_t *payload, size_t len,
                   const uint8_t *payload2, size_t len2, CbError *err)
{
    if (h->dead) {
        if (err)
            *err = h->dead_err;
        return h->dead_err.code;
    }
    size_t total = HP_HEAD_BYTES + len + len2;
    uint8_t *msg = malloc(total);
    if (!msg)
        return cb_error_set(err, CB_ENOMEM, "out of memory for a %zu-byte request", total);
    hp_put_u32(msg, type);
    hp_put_u32(msg + 4, (uint32_t)(len + len2));
    if (len)
        memcpy(msg + HP_HEAD_BYTES, payload, len);
    if (len2)
        memcpy(msg + HP_HEAD_BYTES + len, payload2, len2);
    int rc = send_all(h, msg, total, now_s() + h->lim.wall_s, err);
    free(msg);
    return rc;
}

/* ---- start ------------------------------------------------------------------------------ */

static size_t cap_hello(const CbStageHost *h, uint32_t t)
{
    (void)h;
    return t == HP_REP_HELLO ? HP_HELLO_BYTES : NOT_NOW;
}

static int env_kept(const char *entry)
{
    /* As cb_worker_scrub_env keeps (worker.c), plus the sanitizers' options
     * (as the runner passes them). */
    static const char *const keep[] = {"PATH=",         "HOME=",          "LANG=",
                                       "TZ=",           "TMPDIR=",        "LC_",
                                       "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS="};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (!strncmp(entry, keep[i], strlen(keep[i])))
            return 1;
    return 0;
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void child_exec(int in, int out, int errp, char *const argv[], char *const envp[],
                       pid_t parent)
{
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(125);
    /* Dispositions set to "ignore" survive exec: every one back to default. */
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Out of the way of 0..2 first: the caller's own may have been closed. */
    if ((in = fcntl(in, F_DUPFD_CLOEXEC, 3)) < 0 || (out = fcntl(out, F_DUPFD_CLOEXEC, 3)) < 0 ||
        (errp = fcntl(errp, F_DUPFD_CLOEXEC, 3)) < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
        dup2(errp, 2) < 0)
        _exit(126);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
        for (int fd = 3; fd < 65536; fd++)
            close(fd);
    execve("/proc/self/exe", argv, envp);
    static const char msg[] = "stage-host: cannot run /proc/self/exe\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

static int check_hello(CbStageHost *h, size_t len, CbError *err)
{
    const uint8_t *p = h->rx;
    if (len != HP_HELLO_BYTES || hp_get_u32(p) != CB_STAGE_ABI_VERSION)
        return host_fail(h, err, CB_ESTAGE,
                         "the stage host broke the protocol: its hello is not of ABI %d",
                         CB_STAGE_ABI_VERSION);
    HpSandboxState *s = &h->state;
    s->uid = hp_get_i32(p + 4);
    s->gid = hp_get_i32(p + 8);
    s->no_new_privs = hp_get_i32(p + 12);
    s->cap_effective = hp_get_u64(p + 16);
    s->cap_permitted = hp_get_u64(p + 24);
    s->cap_bounding = hp_get_u64(p + 32);
    /* The sandbox checked itself; a host whose report disagrees is not
     * trusted with anything. */
    if (s->no_new_privs != 1 || s->cap_effective || s->cap_permitted ||
        (geteuid() == 0 && (s->uid != NOBODY_ID || s->gid != NOBODY_ID || s->cap_bounding)))
        return host_fail(h, err, CB_ESTAGE,
                         "the sandbox did not take effect (uid %d, gid %d, no_new_privs %d, "
                         "capabilities %#" PRIx64 "/%#" PRIx64 "/%#" PRIx64 ")",
                         s->uid, s->gid, s->no_new_privs, s->cap_effective, s->cap_permitted,
                         s->cap_bounding);
    return CB_OK;
}

static int host_start(CbStageHost **out, int decode, const char *object_path, CbStageKind kind,
                      const uint8_t hash[32], const CbStageLimits *lim, int check, CbError *err)
{
    if (out)
        *out = NULL;
    const char *kname = cb_stage_kind_name((int)kind);
    if (!out || !object_path || !hash || (decode != 0 && decode != 1) || kind == CB_STAGE_NONE ||
        !kname)
        return cb_error_set(err, CB_EINVAL, "cb_stage_host_start: %s",
                            !out                           ? "no output"
                            : !object_path                 ? "no object"
                            : !hash                        ? "no hash"
                            : (decode != 0 && decode != 1) ? "decode must be 0 or 1"
                                                           : "not a stage kind");
    int zero = 1;
    for (int i = 0; i < 32; i++)
        zero &= hash[i] == 0;
    if (zero)
        return cb_error_set(err, CB_EINVAL, "cb_stage_host_start: the stage hash is all zero");
    CbStageLimits l = lim ? *lim : (CbStageLimits){0};
    if (!l.cpu_s)
        l.cpu_s = DEFAULT_CPU_S;
    if (!l.data_mib)
        l.data_mib = DEFAULT_DATA_MIB;
    if (!l.stack_mib)
        l.stack_mib = DEFAULT_STACK_MIB;
    if (l.wall_s == 0)
        l.wall_s = DEFAULT_WALL_S;
    if (l.cpu_s < 1 || l.cpu_s > 86400 || l.data_mib < 1 || l.data_mib > (1 << 20) ||
        l.stack_mib < 1 || l.stack_mib > 1024 || !(l.wall_s > 0 && l.wall_s <= 86400))
        return cb_error_set(err, CB_EINVAL,
                            "stage limits out of range: CPU %d s (1..86400), data %lld MiB "
                            "(1..1048576), stack %lld MiB (1..1024), wall %g s (0..86400)",
                            l.cpu_s, (long long)l.data_mib, (long long)l.stack_mib, l.wall_s);

    /* The object checks of the build (sandbox.h, 1d) once more, right before
     * loading: dlopen runs an object's constructors before the sandbox is
     * entered, and the object is a file that may have been replaced since
     * it was built. */
    if (check) {
        int crc = cb_stage_check_object(object_path, kind, err);
        if (crc < 0) {
            cb_error_prefix(err, "the stage object is refused");
            crc = crc == CB_EFORMAT ? CB_ESTAGE : crc;
            if (err)
                err->code = crc;
            return crc;
        }
    }
    CbStageHost *h = calloc(1, sizeof *h);
    char **envp = NULL;
    int p_in[2] = {-1, -1}, p_out[2] = {-1, -1}, p_err[2] = {-1, -1};
    int rc = CB_OK;
    if (!h) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    h->pid = -1;
    h->in_fd = h->out_fd = h->err_fd = -1;
    h->decode = decode;
    h->kind = kind;
    memcpy(h->hash, hash, 32);
    h->lim = l;

    char hex[65], cpu[24], data[24], stack[24];
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[hash[i] >> 4];
        hex[2 * i + 1] = digits[hash[i] & 15];
    }
    hex[64] = '\0';
    if (snprintf(cpu, sizeof cpu, "%d", l.cpu_s) >= (int)sizeof cpu ||
        snprintf(data, sizeof data, "%lld", (long long)l.data_mib) >= (int)sizeof data ||
        snprintf(stack, sizeof stack, "%lld", (long long)l.stack_mib) >= (int)sizeof stack) {
        rc = cb_error_set(err, CB_EINVAL, "stage limits out of range");
        goto fail;
    }
    char *argv[] = {(char *)"codecbench",
                    (char *)"stage-host",
                    (char *)(decode ? "decode" : "encode"),
                    (char *)object_path,
                    (char *)kname,
                    hex,
                    cpu,
                    data,
                    stack,
                    NULL};
    size_t n_env = 0;
    for (char **e = environ; e && *e; e++)
        n_env++;
    envp = calloc(n_env + 2, sizeof *envp);
    if (!envp) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (env_kept(*e) && strncmp(*e, "OPENBLAS_NUM_THREADS=", 21))
            envp[k++] = *e;
    envp[k++] = (char *)"OPENBLAS_NUM_THREADS=1";
    envp[k] = NULL;

    if (pipe2(p_in, O_CLOEXEC) != 0 || pipe2(p_out, O_CLOEXEC) != 0 ||
        pipe2(p_err, O_CLOEXEC) != 0) {
        rc = cb_error_set(err, CB_EIO, "stage host: pipe: %s", strerror(errno));
        goto fail;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        rc = cb_error_set(err, CB_EIO, "stage host: fork: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0)
        child_exec(p_in[0], p_out[1], p_err[1], argv, envp, parent);
    setpgid(pid, pid); /* both sides: no window where a kill of the group misses it */
    h->pid = pid;
    close_fd(&p_in[0]);
    close_fd(&p_out[1]);
    close_fd(&p_err[1]);
    h->in_fd = p_in[1];
    h->out_fd = p_out[0];
    h->err_fd = p_err[0];
    p_in[1] = p_out[0] = p_err[0] = -1;
    if (set_nonblock(h->in_fd) < 0 || set_nonblock(h->out_fd) < 0 || set_nonblock(h->err_fd) < 0) {
        rc = host_fail(h, err, CB_EIO, "stage host: fcntl: %s", strerror(errno));
        goto fail;
    }
    uint32_t type;
    size_t len;
    if ((rc = recv_msg(h, cap_hello, &type, &len, err)) < 0)
        goto fail;
    if (type == HP_REP_ERROR) {
        rc = on_error_reply(h, len, err);
        goto fail;
    }
    if ((rc = check_hello(h, len, err)) < 0)
        goto fail;
    free(envp);
    *out = h;
    return CB_OK;
fail:
    free(envp);
    for (int i = 0; i < 2; i++) {
        close_fd(&p_in[i]);
        close_fd(&p_out[i]);
        close_fd(&p_err[i]);
    }
    cb_stage_host_free(&h);
    return rc;
}

int cb_stage_host_start(CbStageHost **out, int decode, const char *object_path, CbStageKind kind,
                        const uint8_t hash[32], const CbStageLimits *lim, CbError *err)
{
    return host_start(out, decode, object_path, kind, hash, lim, 1, err);
}

int hp_host_start_unchecked(CbStageHost **out, int decode, const char *object_path,
                            CbStageKind kind, const uint8_t hash[32], const CbStageLimits *lim,
                            CbError *err)
{
    return host_start(out, decode, object_path, kind, hash, lim, 0, err);
}

/* ---- encoding ---------------------------------------------------------------------------- */

static size_t cap_header(const CbStageHost *h, uint32_t t)
{
    (void)h;
    return t == HP_REP_HEADER ? CB_ENGINE_HEADER_BYTES : NOT_NOW;
}

static size_t cap_packets(const CbStageHost *h, uint32_t t)
{
    (void)h;
    if (t == HP_REP_READY)
        return 0;
    return t == HP_REP_PACKET ? HP_PACKET_HEAD_BYTES + CB_ENGINE_PACKET_MAX : NOT_NOW;
}

/* The header a host gave, or a stream's, read by the engine's own parser
 * (in this process, which loads no stage): it must name this host's stage. */
static int header_names_stage(CbStageHost *h, const uint8_t *header, size_t len, CbStreamInfo *info,
                              CbError *err)
{
    CbDecoder *d = NULL;
    int rc = cb_decoder_new(&d, header, len, err);
    if (rc < 0)
        return rc;
    *info = *cb_decoder_info(d);
    cb_decoder_free(&d);
    if (info->stage_kind != h->kind || memcmp(info->stage_hash, h->hash, 32) != 0) {
        const char *a = cb_stage_kind_name((int)info->stage_kind);
        const char *b = cb_stage_kind_name((int)h->kind);
        return cb_error_set(err, CB_EMISMATCH,
                            "the stream names the %s stage %02x%02x%02x%02x%02x%02x%02x%02x, the "
                            "host has the %s stage %02x%02x%02x%02x%02x%02x%02x%02x",
                            a ? a : "?", info->stage_hash[0], info->stage_hash[1],
                            info->stage_hash[2], info->stage_hash[3], info->stage_hash[4],
                            info->stage_hash[5], info->stage_hash[6], info->stage_hash[7],
                            b ? b : "?", h->hash[0], h->hash[1], h->hash[2], h->hash[3], h->hash[4],
                            h->hash[5], h->hash[6], h->hash[7]);
    }
    return CB_OK;
}

/* Never called: it stands for the stage in an encoder that only writes its
 * header. */
static int stand_in_intra(const CbStageIntra *a)
{
    (void)a;
    return 1;
}
static int stand_in_filter(const CbStageFilter *a)
{
    (void)a;
    return 1;
}
static int stand_in_xform(const CbStageXform *a)
{
    (void)a;
    return 1;
}

static int expected_header(const CbStageHost *h, const CbEngineSettings *s, int qp, int width,
                           int height, int fps_num, int fps_den,
                           uint8_t out[CB_ENGINE_HEADER_BYTES], CbError *err)
{
    CbStageOps ops;
    memset(&ops, 0, sizeof ops);
    ops.kind = h->kind;
    memcpy(ops.hash, h->hash, 32);
    ops.intra = stand_in_intra;
    ops.loop_filter = stand_in_filter;
    ops.transform_fwd = ops.transform_inv = stand_in_xform;
    CbEncoder *e = NULL;
    int rc = cb_encoder_new(&e, s, qp, width, height, fps_num, fps_den, err);
    if (rc == 0 && (rc = cb_encoder_set_stage(e, &ops, err)) == 0)
        memcpy(out, cb_encoder_header(e), CB_ENGINE_HEADER_BYTES);
    cb_encoder_free(&e);
    return rc;
}

int cb_stage_host_encoder(CbStageHost *h, const CbEngineSettings *settings, int qp, int width,
                          int height, int fps_num, int fps_den,
                          uint8_t header[CB_ENGINE_HEADER_BYTES], CbError *err)
{
    if (!h || !settings || !header)
        return cb_error_set(err, CB_EINVAL, "cb_stage_host_encoder: %s",
                            !h          ? "no host"
                            : !settings ? "no settings"
                                        : "no header buffer");
    if (h->decode)
        return cb_error_set(err, CB_EINVAL, "a decoding stage host cannot encode");
    if (width < 1 || width > CB_FRAME_MAX_DIM || height < 1 || height > CB_FRAME_MAX_DIM)
        return cb_error_set(err, CB_EINVAL, "frame size %dx%d out of range 1..%d", width, height,
                            CB_FRAME_MAX_DIM);
    CbEngineSettings s = *settings;
    s.threads = 1;
    size_t n = hp_encoder_payload_bytes();
    uint8_t *p = malloc(n);
    if (!p)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    hp_encoder_encode(p, &s, qp, width, height, fps_num, fps_den);
    h->have_coder = 0;
    int rc = request(h, HP_REQ_ENCODER, p, n, NULL, 0, err);
    free(p);
    uint32_t type;
    size_t len;
    if (rc < 0 || (rc = recv_msg(h, cap_header, &type, &len, err)) < 0)
        return rc;
    if (type == HP_REP_ERROR)
        return on_error_reply(h, len, err);
    if (len != CB_ENGINE_HEADER_BYTES)
        return host_fail(h, err, CB_ESTAGE, "the stage host broke the protocol: a %zu-byte header",
                         len);
    /* The header is what this process's engine writes for the same
     * settings and stage (the stage's functions are never called for it). */
    uint8_t want[CB_ENGINE_HEADER_BYTES];
    CbError lerr;
    cb_error_clear(&lerr);
    if ((rc = expected_header(h, &s, qp, width, height, fps_num, fps_den, want, &lerr)) < 0)
        return host_fail(h, err, rc, "%s", lerr.text);
    if (memcmp(want, h->rx, CB_ENGINE_HEADER_BYTES) != 0)
        return host_fail(h, err, CB_ESTAGE,
                         "the stage host's stream header differs from the engine's for these "
                         "settings");
    memcpy(header, h->rx, CB_ENGINE_HEADER_BYTES);
    h->have_coder = 1;
    h->width = width;
    h->height = height;
    h->next_index = 0;
    return CB_OK;
}

static int valid_hex(const uint8_t *p)
{
    for (int i = 0; i < 64; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

int cb_stage_host_encode(CbStageHost *h, const CbFrame *frame, CbStagePacketSink sink, void *ud,
                         CbError *err)
{
    if (!h || !sink)
        return cb_error_set(err, CB_EINVAL, "cb_stage_host_encode: %s", !h ? "no host" : "no sink");
    if (h->dead) {
        if (err)
            *err = h->dead_err;
        return h->dead_err.code;
    }
    if (h->decode || !h->have_coder)
        return cb_error_set(err, CB_EINVAL, "the stage host has no encoder open");
    int rc;
    if (frame) {
        if (frame->width != h->width || frame->height != h->height)
            return cb_error_set(err, CB_EINVAL, "a %dx%d frame for a %dx%d encoder", frame->width,
                                frame->height, h->width, h->height);
        size_t fb = hp_frame_bytes(h->width, h->height);
        uint8_t *p = malloc(HP_FRAME_REQ_HEAD_BYTES + fb);
        if (!p)
            return cb_error_set(err, CB_ENOMEM, "out of memory for a frame");
        hp_put_i32(p, frame->width);
        hp_put_i32(p + 4, frame->height);
        uint8_t *at = p + HP_FRAME_REQ_HEAD_BYTES;
        for (int k = 0; k < 3; k++) {
            int pw = cb_plane_width(h->width, k), ph = cb_plane_height(h->height, k);
            for (int y = 0; y < ph; y++, at += pw)
                memcpy(at, frame->data[k] + (ptrdiff_t)y * frame->stride[k], (size_t)pw);
        }
        rc = request(h, HP_REQ_FRAME, p, HP_FRAME_REQ_HEAD_BYTES + fb, NULL, 0, err);
        free(p);
    } else {
        rc = request(h, HP_REQ_FLUSH, NULL, 0, NULL, 0, err);
    }
    if (rc < 0)
        return rc;
    for (;;) {
        uint32_t type;
        size_t len;
        if ((rc = recv_msg(h, cap_packets, &type, &len, err)) < 0)
            return rc;
        if (type == HP_REP_READY)
            return CB_OK;
        if (type == HP_REP_ERROR)
            return on_error_reply(h, len, err);
        if (len < HP_PACKET_HEAD_BYTES + 1)
            return host_fail(h, err, CB_ESTAGE,
                             "the stage host broke the protocol: a packet of %zu bytes", len);
        CbStagePacket pk;
        pk.type = hp_get_i32(h->rx);
        pk.qp = hp_get_i32(h->rx + 4);
        pk.index = (int64_t)hp_get_u64(h->rx + 8);
        if ((pk.type != 0 && pk.type != 1) || pk.qp < CB_QP_MIN || pk.qp > CB_QP_MAX ||
            pk.index != h->next_index || !valid_hex(h->rx + 16))
            return host_fail(h, err, CB_ESTAGE,
                             "the stage host broke the protocol: packet %" PRId64
                             " (type %d, QP %d) where packet %" PRId64 " was due, or a bad digest",
                             pk.index, pk.type, pk.qp, h->next_index);
        memcpy(pk.digest, h->rx + 16, 64);
        pk.digest[64] = '\0';
        pk.data = h->rx + HP_PACKET_HEAD_BYTES;
        pk.size = len - HP_PACKET_HEAD_BYTES;
        h->next_index++;
        int s = sink(ud, &pk, err);
        if (s != 0) {
            /* The host is mid-answer: lock step is lost, so it is ended. */
            CbError keep;
            cb_error_clear(&keep);
            if (err)
                keep = *err;
            host_fail(h, NULL, CB_ESTAGE, "stopped by the caller after packet %" PRId64, pk.index);
            if (err)
                *err = keep;
            return s;
        }
    }
}

/* ---- decoding ---------------------------------------------------------------------------- */

static size_t cap_ready(const CbStageHost *h, uint32_t t)
{
    (void)h;
    return t == HP_REP_READY ? 0 : NOT_NOW;
}

static size_t cap_frame(const CbStageHost *h, uint32_t t)
{
    return t == HP_REP_FRAME ? HP_FRAME_REP_HEAD_BYTES + hp_frame_bytes(h->width, h->height)
                             : NOT_NOW;
}

int cb_stage_host_decoder(CbStageHost *h, const uint8_t *header, size_t len, CbStreamInfo *info,
                          CbError *err)
{
    if (!h || !header)
        return cb_error_set(err, CB_EINVAL, "cb_stage_host_decoder: %s",
                            !h ? "no host" : "no header");
    if (!h->decode)
        return cb_error_set(err, CB_EINVAL, "an encoding stage host cannot decode");
    if (len < CB_ENGINE_HEADER_BYTES)
        return cb_error_set(err, CB_EFORMAT, "a stream header of %zu bytes (needs %d)", len,
                            CB_ENGINE_HEADER_BYTES);
    CbStreamInfo si;
    int rc = header_names_stage(h, header, CB_ENGINE_HEADER_BYTES, &si, err);
    if (rc < 0)
        return rc;
    h->have_coder = 0;
    if ((rc = request(h, HP_REQ_DECODER, header, CB_ENGINE_HEADER_BYTES, NULL, 0, err)) < 0)
        return rc;
    uint32_t type;
    size_t n;
    if ((rc = recv_msg(h, cap_ready, &type, &n, err)) < 0)
        return rc;
    if (type == HP_REP_ERROR)
        return on_error_reply(h, n, err);
    if (h->frame.width != si.width || h->frame.height != si.height) {
        cb_frame_free(&h->frame);
        if ((rc = cb_frame_alloc(&h->frame, si.width, si.height)) < 0)
            return host_fail(h, err, rc, "out of memory for %dx%d frames", si.width, si.height);
    }
    h->width = si.width;
    h->height = si.height;
    h->have_coder = 1;
    if (info)
        *info = si;
    return CB_OK;
}

int cb_stage_host_decode(CbStageHost *h, const uint8_t *pkt, size_t len, CbFrame *frame, int *type,
                         CbError *err)
{
    if (!h || !pkt || !frame)
        return cb_error_set(err, CB_EINVAL, "cb_stage_host_decode: %s",
                            !h     ? "no host"
                            : !pkt ? "no packet"
                                   : "no frame");
    if (h->dead) {
        if (err)
            *err = h->dead_err;
        return h->dead_err.code;
    }
    if (!h->decode || !h->have_coder)
        return cb_error_set(err, CB_EINVAL, "the stage host has no decoder open");
    if (len == 0 || len > CB_ENGINE_PACKET_MAX)
        return cb_error_set(err, CB_EFORMAT, "a packet of %zu bytes (1..%u)", len,
                            CB_ENGINE_PACKET_MAX);
    int rc = request(h, HP_REQ_PACKET, pkt, len, NULL, 0, err);
    uint32_t t;
    size_t n;
    if (rc < 0 || (rc = recv_msg(h, cap_frame, &t, &n, err)) < 0)
        return rc;
    if (t == HP_REP_ERROR)
        return on_error_reply(h, n, err);
    int ft = hp_get_i32(h->rx), fw = hp_get_i32(h->rx + 4), fh = hp_get_i32(h->rx + 8);
    if (n != cap_frame(h, HP_REP_FRAME) || (ft != 0 && ft != 1) || fw != h->width ||
        fh != h->height)
        return host_fail(h, err, CB_ESTAGE,
                         "the stage host broke the protocol: a frame of type %d, %dx%d in %zu "
                         "bytes for a %dx%d stream",
                         ft, fw, fh, n, h->width, h->height);
    const uint8_t *at = h->rx + HP_FRAME_REP_HEAD_BYTES;
    for (int k = 0; k < 3; k++) {
        int pw = cb_plane_width(fw, k), ph = cb_plane_height(fh, k);
        for (int y = 0; y < ph; y++, at += pw)
            memcpy(h->frame.data[k] + (ptrdiff_t)y * h->frame.stride[k], at, (size_t)pw);
    }
    *frame = h->frame;
    frame->buf = NULL; /* a view: the client owns the pixels */
    frame->index = -1;
    frame->pts = INT64_MIN;
    frame->type = ft ? 'P' : 'I';
    if (type)
        *type = ft;
    return CB_OK;
}

/* ---- the rest ------------------------------------------------------------------------------ */

double cb_stage_host_cpu_seconds(const CbStageHost *h)
{
    if (!h)
        return 0;
    if (h->pid <= 0)
        return h->cpu_at_exit;
    char path[64], buf[1024];
    if (snprintf(path, sizeof path, "/proc/%d/stat", (int)h->pid) >= (int)sizeof path)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* After the command's closing parenthesis: field 3 (state) onwards;
     * utime and stime are fields 14 and 15, in clock ticks. */
    const char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    unsigned long long ut = 0, st = 0;
    for (int field = 3; field <= 15 && *p; field++) {
        while (*p == ' ')
            p++;
        if (field == 14)
            ut = strtoull(p, NULL, 10);
        if (field == 15)
            st = strtoull(p, NULL, 10);
        while (*p && *p != ' ')
            p++;
    }
    long tck = sysconf(_SC_CLK_TCK);
    return tck > 0 ? (double)(ut + st) / (double)tck : 0;
}

void cb_stage_host_free(CbStageHost **hp)
{
    if (!hp || !*hp)
        return;
    CbStageHost *h = *hp;
    close_fd(&h->in_fd); /* the host exits at the end of its input */
    close_fd(&h->out_fd);
    int status;
    end_host(h, GRACE_MS, &status);
    close_fd(&h->err_fd);
    free(h->rx);
    cb_frame_free(&h->frame);
    free(h);
    *hp = NULL;
}

pid_t hp_host_pid(const CbStageHost *h)
{
    return h && h->pid > 0 ? h->pid : 0;
}

const HpSandboxState *hp_host_state(const CbStageHost *h)
{
    return h ? &h->state : NULL;
}

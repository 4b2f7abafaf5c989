/* codecbench stage: the sandbox the stage host enters after loading a stage
 * and before calling it (layer 2 of include/codecbench/sandbox.h).
 *
 * Order matters: descriptors first (nothing inherited survives), then the
 * resource limits (lowered while still root, so the hard limits stick),
 * no-new-privileges, then the identity (the capability bounding set is
 * cleared while root still has CAP_SETPCAP, then groups, gid and uid go to
 * nobody, which empties the other sets), the check that no capability is
 * left, not dumpable, the SIGSYS handler, and last the seccomp filter, whose
 * loading needs nothing the filter denies. */
#define _GNU_SOURCE /* close_range via syscall, setresuid, sigabbrev */
#include "config.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "codecbench/sandbox.h"
#include "stage/host_proto.h"

/* nobody and nogroup on Debian (and the kernel's overflow ids). */
#define NOBODY_ID 65534

/* Defaults of CbStageLimits (sandbox.h). */
#define DEFAULT_CPU_S     600
#define DEFAULT_DATA_MIB  4096
#define DEFAULT_STACK_MIB 8
/* Largest limits accepted: a day of CPU, 1 TiB of data, 1 GiB of stack. */
#define MAX_CPU_S     86400
#define MAX_DATA_MIB  (1 << 20)
#define MAX_STACK_MIB 1024

/* ---- the report of a denied call ---------------------------------------------
 *
 * The SIGSYS handler may call only async-signal-safe functions, so the names
 * of the system calls are looked up (libseccomp allocates) before the filter
 * is loaded, into this table.  It is the one mutable global here: written
 * once by the thread entering the sandbox, before the handler can run, and
 * only read after. */
#define NAME_MAX_SYSCALL 512
#define NAME_BYTES       24
static char syscall_names[NAME_MAX_SYSCALL][NAME_BYTES];
/* The alternate stack of the handler: a stage that recursed to the end of
 * its stack and then made a system call still gets its report. */
#define ALT_STACK_BYTES 65536
static unsigned char alt_stack[ALT_STACK_BYTES] __attribute__((aligned(64)));

static void fill_names(void)
{
    for (int n = 0; n < NAME_MAX_SYSCALL; n++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, n);
        syscall_names[n][0] = '\0';
        if (name) {
            size_t len = strlen(name);
            if (len < NAME_BYTES)
                memcpy(syscall_names[n], name, len + 1);
            free(name);
        }
    }
}

static size_t put_str(char *dst, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap)
        dst[at++] = *s++;
    return at;
}

static size_t put_num(char *dst, size_t at, size_t cap, long v)
{
    char digits[24];
    size_t n = 0;
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < sizeof digits);
    if (v < 0 && at < cap)
        dst[at++] = '-';
    while (n && at < cap)
        dst[at++] = digits[--n];
    return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    char msg[128];
    size_t at = 0;
#ifdef SYS_SECCOMP
    int seccomp = si->si_code == SYS_SECCOMP;
#else
    int seccomp = si->si_code == 1;
#endif
    long nr = seccomp ? (long)si->si_syscall : -1;
    at = put_str(msg, at, sizeof msg, "denied system call ");
    if (nr >= 0 && nr < NAME_MAX_SYSCALL && syscall_names[nr][0])
        at = put_str(msg, at, sizeof msg, syscall_names[nr]);
    else
        at = put_str(msg, at, sizeof msg, "unknown");
    at = put_str(msg, at, sizeof msg, " (number ");
    at = put_num(msg, at, sizeof msg, nr);
    at = put_str(msg, at, sizeof msg, ")\n");
    ssize_t w = write(STDERR_FILENO, msg, at);
    (void)w;
    _exit(CB_SANDBOX_EXIT_DENIED);
}

/* ---- the steps ----------------------------------------------------------------- */

static int close_others(CbError *err)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
        return CB_OK;
#endif
    /* Kernels before 5.9: every descriptor up to the limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: closing descriptors: getrlimit: %s",
                            strerror(errno));
    rlim_t top = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 ? 1048576 : rl.rlim_cur;
    for (rlim_t fd = 3; fd < top; fd++)
        close((int)fd);
    return CB_OK;
}

/* Capabilities, their bounding set and the identity are per thread (libc
 * carries the uid change to every thread, libcap-ng's calls do not), so the
 * sandbox is entered by a process's only thread.  (The host's OpenBLAS
 * starts no thread with OPENBLAS_NUM_THREADS=1, which the client sets.) */
static int single_thread(CbError *err)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return cb_error_set(err, CB_ESTAGE, "sandbox: cannot count threads: /proc/self/task: %s",
                            strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    if (n != 1)
        return cb_error_set(err, CB_ESTAGE,
                            "sandbox: the process has %d threads; it must be entered by the only "
                            "one (is OPENBLAS_NUM_THREADS=1 set?)",
                            n);
    return CB_OK;
}

static int limit(int resource, const char *name, rlim_t v, CbError *err)
{
    struct rlimit rl = {v, v};
    if (resource == RLIMIT_CPU && v != RLIM_INFINITY)
        rl.rlim_max = v + 1; /* SIGXCPU at the soft limit, SIGKILL a second later */
    if (setrlimit(resource, &rl) != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: setrlimit %s: %s", name, strerror(errno));
    return CB_OK;
}

static int set_limits(int cpu_s, int64_t data_mib, int64_t stack_mib, CbError *err)
{
    int rc;
    if ((rc = limit(RLIMIT_DATA, "RLIMIT_DATA", (rlim_t)data_mib << 20, err)) < 0 ||
        (rc = limit(RLIMIT_STACK, "RLIMIT_STACK", (rlim_t)stack_mib << 20, err)) < 0 ||
        (rc = limit(RLIMIT_CPU, "RLIMIT_CPU", (rlim_t)cpu_s, err)) < 0 ||
        (rc = limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", 3, err)) < 0 ||
        (rc = limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", 0, err)) < 0 ||
        (rc = limit(RLIMIT_CORE, "RLIMIT_CORE", 0, err)) < 0)
        return rc;
    /* RLIMIT_NPROC 0 "where it can": it cannot fail to be lowered, but it
     * binds only once the uid is not root (and the filter denies fork and
     * clone anyway). */
    struct rlimit np = {0, 0};
    (void)setrlimit(RLIMIT_NPROC, &np);
    return CB_OK;
}

static uint64_t caps_of(capng_type_t type)
{
    uint64_t m = 0;
    for (unsigned c = 0; c <= CAP_LAST_CAP && c < 64; c++)
        if (capng_have_capability(type, c))
            m |= (uint64_t)1 << c;
    return m;
}

static uint64_t bounding_set(void)
{
    uint64_t m = 0;
    for (unsigned c = 0; c < 64; c++) {
        int r = prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0);
        if (r < 0)
            break; /* beyond the kernel's last capability */
        if (r == 1)
            m |= (uint64_t)1 << c;
    }
    return m;
}

/* Clears every capability; as root, also the bounding set (first, while
 * CAP_SETPCAP is still effective), then becomes nobody. */
static int drop_privileges(CbError *err)
{
    if (capng_get_caps_process() != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: reading the capabilities failed");
    int root = geteuid() == 0 || getuid() == 0;
    if (root || capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)) {
        capng_clear(CAPNG_SELECT_BOUNDS);
        if (capng_apply(CAPNG_SELECT_BOUNDS) != 0)
            return cb_error_set(err, CB_ESTAGE,
                                "sandbox: clearing the capability bounding set failed");
    }
    if (root) {
        if (setgroups(0, NULL) != 0)
            return cb_error_set(err, CB_ESTAGE, "sandbox: setgroups: %s", strerror(errno));
        if (setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) != 0)
            return cb_error_set(err, CB_ESTAGE, "sandbox: setresgid %d: %s", NOBODY_ID,
                                strerror(errno));
        if (setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID) != 0)
            return cb_error_set(err, CB_ESTAGE, "sandbox: setresuid %d: %s", NOBODY_ID,
                                strerror(errno));
        if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0)
            return cb_error_set(err, CB_ESTAGE, "sandbox: root could be regained after setresuid");
    }
    /* A process that was not root may still hold capabilities (file
     * capabilities, ambient ones): clear them too. */
    capng_clear(CAPNG_SELECT_CAPS);
    if (capng_apply(CAPNG_SELECT_CAPS) != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: clearing the capabilities failed");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return cb_error_set(err, CB_ESTAGE, "sandbox: clearing the ambient capabilities: %s",
                            strerror(errno));
    /* Check from the kernel's view, not libcap-ng's cached one. */
    if (capng_get_caps_process() != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: reading the capabilities failed");
    if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
        return cb_error_set(err, CB_ESTAGE, "sandbox: capabilities are left after dropping them");
    if (root && bounding_set() != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: the capability bounding set is not empty");
    return CB_OK;
}

static int install_sigsys(CbError *err)
{
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: sigaltstack: %s", strerror(errno));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: sigaction SIGSYS: %s", strerror(errno));
    sigset_t sys;
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    if (sigprocmask(SIG_UNBLOCK, &sys, NULL) != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: unblocking SIGSYS: %s", strerror(errno));
    return CB_OK;
}

/* ---- the filter -------------------------------------------------------------------
 *
 * Default: trap (SIGSYS, reported by name).  Allowed, and why; found by
 * running the engine's encoder and decoder (after one warm-up encode and
 * decode, as the host does) under strace: after warm-up they make only
 * brk, mmap, munmap and write calls; the rest serves the host and libc.
 *
 *   read        fd 0 only: the requests
 *   write       fd 1 and 2 only: the replies, and reasons on standard error
 *   close       closing 0..2 harms no one (a stage that closes fd 1 just
 *               ends its run as a protocol failure)
 *   brk         malloc's main arena
 *   mmap        malloc's large blocks: only MAP_PRIVATE | MAP_ANONYMOUS
 *               (shared anonymous memory escapes RLIMIT_DATA, file maps
 *               need a file) and never PROT_EXEC
 *   mprotect    malloc trims and grows heaps; never PROT_EXEC (no code can
 *               be made after loading)
 *   munmap, mremap, madvise   malloc's frees, reallocs and trims
 *   futex       libc locks under contention (one thread: rare)
 *   clock_gettime   the vDSO's fallback
 *   rt_sigreturn, rt_sigprocmask   signal delivery and libc's masks
 *   getpid, gettid, tgkill (to this process only)   libc's abort and raise:
 *               an assert in the engine ends as SIGABRT, a crash, not as a
 *               denied call; no signal reaches another process
 *   exit, exit_group   the end
 */
static int build_filter(scmp_filter_ctx ctx)
{
    pid_t self = getpid();
    const uint64_t exec = PROT_EXEC;
    const uint64_t map_kind = MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS;
    int rc = 0;
#define ALLOW(name, ...)                                                                           \
    do {                                                                                           \
        if (rc == 0)                                                                               \
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__);               \
    } while (0)
    ALLOW(read, 1, SCMP_A0(SCMP_CMP_EQ, STDIN_FILENO));
    ALLOW(write, 1, SCMP_A0(SCMP_CMP_EQ, STDOUT_FILENO));
    ALLOW(write, 1, SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO));
    ALLOW(close, 1, SCMP_A0(SCMP_CMP_LE, STDERR_FILENO));
    ALLOW(brk, 0);
    ALLOW(mmap, 2, SCMP_A2(SCMP_CMP_MASKED_EQ, exec, 0),
          SCMP_A3(SCMP_CMP_MASKED_EQ, map_kind, MAP_PRIVATE | MAP_ANONYMOUS));
    ALLOW(mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, exec, 0));
    ALLOW(munmap, 0);
    ALLOW(mremap, 0);
    ALLOW(madvise, 0);
    ALLOW(futex, 0);
    ALLOW(clock_gettime, 0);
    ALLOW(rt_sigreturn, 0);
    ALLOW(rt_sigprocmask, 0);
    ALLOW(getpid, 0);
    ALLOW(gettid, 0);
    ALLOW(tgkill, 1, SCMP_A0(SCMP_CMP_EQ, (uint64_t)self));
    ALLOW(exit, 0);
    ALLOW(exit_group, 0);
#undef ALLOW
    return rc;
}

static int load_filter(CbError *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    int rc = CB_OK, r;
    if (!ctx)
        return cb_error_set(err, CB_ESTAGE, "sandbox: seccomp_init failed");
    if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
        rc = cb_error_set(err, CB_ESTAGE, "sandbox: seccomp TSYNC: %s", strerror(-r));
        goto out;
    }
    /* A call of another architecture (int 0x80 on x86-64) kills at once. */
    if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) != 0) {
        rc = cb_error_set(err, CB_ESTAGE, "sandbox: seccomp bad-architecture action: %s",
                          strerror(-r));
        goto out;
    }
    if ((r = build_filter(ctx)) != 0) {
        rc = cb_error_set(err, CB_ESTAGE, "sandbox: building the seccomp filter: %s", strerror(-r));
        goto out;
    }
    if ((r = seccomp_load(ctx)) != 0)
        rc = cb_error_set(err, CB_ESTAGE, "sandbox: loading the seccomp filter: %s", strerror(-r));
out:
    seccomp_release(ctx);
    return rc;
}

int hp_sandbox_enter(int cpu_s, int64_t data_mib, int64_t stack_mib, HpSandboxState *state,
                     CbError *err)
{
    if (cpu_s == 0)
        cpu_s = DEFAULT_CPU_S;
    if (data_mib == 0)
        data_mib = DEFAULT_DATA_MIB;
    if (stack_mib == 0)
        stack_mib = DEFAULT_STACK_MIB;
    if (cpu_s < 0 || cpu_s > MAX_CPU_S || data_mib < 0 || data_mib > MAX_DATA_MIB ||
        stack_mib < 0 || stack_mib > MAX_STACK_MIB)
        return cb_error_set(err, CB_EINVAL,
                            "sandbox: limits out of range (CPU %d s of 1..%d, data %lld MiB of "
                            "1..%d, stack %lld MiB of 1..%d)",
                            cpu_s, MAX_CPU_S, (long long)data_mib, MAX_DATA_MIB,
                            (long long)stack_mib, MAX_STACK_MIB);
    int rc;
    if ((rc = single_thread(err)) < 0 || (rc = close_others(err)) < 0 ||
        (rc = set_limits(cpu_s, data_mib, stack_mib, err)) < 0)
        return rc;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    if ((rc = drop_privileges(err)) < 0)
        return rc;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return cb_error_set(err, CB_ESTAGE, "sandbox: PR_SET_DUMPABLE: %s", strerror(errno));
    fill_names();
    if ((rc = install_sigsys(err)) < 0)
        return rc;
    if (state) {
        /* Read back from the kernel, for the client and the tests. */
        state->uid = (int)getuid();
        state->gid = (int)getgid();
        state->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        capng_get_caps_process();
        state->cap_effective = caps_of(CAPNG_EFFECTIVE);
        state->cap_permitted = caps_of(CAPNG_PERMITTED);
        state->cap_bounding = bounding_set();
    }
    return load_filter(err);
}

int cb_sandbox_enter(int cpu_s, int64_t data_mib, int64_t stack_mib, CbError *err)
{
    return hp_sandbox_enter(cpu_s, data_mib, stack_mib, NULL, err);
}

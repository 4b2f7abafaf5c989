/* The sandbox, the stage host and its client (src/stage/sandbox.c, host.c,
 * client.c), beneath the build checks: stage objects are compiled here with
 * plain `cc -shared -fPIC` from tests/stage/obj/ (hostile ones, which may
 * call libc) and samples/stages/intra.c (the engine's own intra predictor).
 *
 * This program is also the host: the client starts /proc/self/exe
 * stage-host ..., so main() serves that argv as codecbench's does.
 *
 * References independent of the code under test: the system call numbers
 * of <sys/syscall.h>, the kernel's /proc/PID/status of a running host, the
 * in-process engine with the same stage object loaded here (the same
 * packets and reconstructions as the host's), and the engine's decoder in
 * this process.  Limits are generous (CI machines are slow and shared): a
 * wall-clock limit of 60 s per answer unless a case tests that limit.
 *
 * Skipped (reported as skipped) in a sanitizer build (CB_SANITIZERS=yes),
 * where the sanitizers' runtime and the seccomp filter and data limit
 * clash, and when CC or the sources are missing. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/engine.h"
#include "codecbench/media.h"
#include "codecbench/sandbox.h"
#include "stage/host_proto.h"

/* ---- set-up ----------------------------------------------------------------------- */

static char dir[PATH_MAX];         /* the objects */
static int ready;                  /* objects built */
static const char *skip_why;       /* why every case skips, or NULL */
static const char *no_sandbox_why; /* why the sandbox cannot be entered here, or NULL */

typedef struct Obj {
    const char *name, *src, *define;
} Obj;

static const Obj objs[] = {
    {"intra", "samples/stages/intra.c", NULL},
    {"loop_filter", "samples/stages/loop_filter.c", NULL},
    {"transform", "samples/stages/transform.c", NULL},
    {"crash", "tests/stage/obj/crash.c", NULL},
    {"loop", "tests/stage/obj/loop.c", NULL},
    {"recurse", "tests/stage/obj/recurse.c", NULL},
    {"ret7", "tests/stage/obj/ret7.c", NULL},
    {"garbage", "tests/stage/obj/garbage.c", NULL},
    {"memory", "tests/stage/obj/memory.c", NULL},
    {"nosym", "tests/stage/obj/nosym.c", NULL},
    {"socket_raw", "tests/stage/obj/syscalls.c", "CALL_SOCKET_RAW"},
    {"socket_libc", "tests/stage/obj/syscalls.c", "CALL_SOCKET_LIBC"},
    {"open_raw", "tests/stage/obj/syscalls.c", "CALL_OPEN_RAW"},
    {"open_libc", "tests/stage/obj/syscalls.c", "CALL_OPEN_LIBC"},
    {"execve_raw", "tests/stage/obj/syscalls.c", "CALL_EXECVE_RAW"},
    {"execve_libc", "tests/stage/obj/syscalls.c", "CALL_EXECVE_LIBC"},
    {"ptrace_raw", "tests/stage/obj/syscalls.c", "CALL_PTRACE_RAW"},
    {"ptrace_libc", "tests/stage/obj/syscalls.c", "CALL_PTRACE_LIBC"},
    {"fork_libc", "tests/stage/obj/syscalls.c", "CALL_FORK_LIBC"},
    {"clone_raw", "tests/stage/obj/syscalls.c", "CALL_CLONE_RAW"},
    {"kill_init", "tests/stage/obj/syscalls.c", "CALL_KILL_INIT"},
    {"mmap_exec", "tests/stage/obj/syscalls.c", "CALL_MMAP_EXEC"},
    {"mmap_shared", "tests/stage/obj/syscalls.c", "CALL_MMAP_SHARED"},
    {"mprotect_exec", "tests/stage/obj/syscalls.c", "CALL_MPROTECT_EXEC"},
    {"memscan", "tests/stage/obj/memscan.c", "MEMSCAN"},
    {"memcheat", "tests/stage/obj/memcheat.c", "MEMCHEAT"},
};

/* The 32 source pixels the memory scanner looks for (fixed seed). */
static uint8_t marker[32];

static void make_marker(void)
{
    uint32_t x = 0x2545f491u;
    for (int i = 0; i < 32; i++) {
        x = x * 1664525u + 1013904223u;
        marker[i] = (uint8_t)(x >> 24);
    }
}

/* Where memcheat looks for the source: two marker rows per plane, at rows
 * CHEAT_ROW_Y and CHEAT_ROW_Y + 1, column CHEAT_COL_Y of luma and rows
 * CHEAT_ROW_C and CHEAT_ROW_C + 1, column CHEAT_COL_C of each chroma plane
 * (fixed seed, not the scanner's). */
#define CHEAT_ROW_Y 100
#define CHEAT_COL_Y 64
#define CHEAT_ROW_C 50
#define CHEAT_COL_C 32
static uint8_t cheat_marker[3][2][32];

static void make_cheat_markers(void)
{
    uint32_t x = 0x9e3779b9u;
    for (int p = 0; p < 3; p++)
        for (int r = 0; r < 2; r++)
            for (int i = 0; i < 32; i++) {
                x = x * 1664525u + 1013904223u;
                cheat_marker[p][r][i] = (uint8_t)(x >> 24);
            }
}

static void obj_path(const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s.so", dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

static int run_sh(const char *cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
    (void)state;
    const char *san = getenv("CB_SANITIZERS");
    const char *src = getenv("CB_SRCDIR");
    const char *cc = getenv("CC");
    if (san && !strcmp(san, "yes"))
        no_sandbox_why = "a sanitizer build: seccomp and the sanitizers' runtime do not mix";
    if (!src || !cc || !*cc) {
        skip_why = "CB_SRCDIR or CC is not set";
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, sizeof dir, "%s/cb-sandbox-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof dir || !mkdtemp(dir))
        return -1;
    /* The host drops to nobody after loading: the directory stays root's. */
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        char path[PATH_MAX + 64], cmd[3 * PATH_MAX];
        obj_path(objs[i].name, path, sizeof path);
        if (snprintf(path, sizeof path, "%s/%s", src, objs[i].src) >= (int)sizeof path)
            return -1;
        if (access(path, R_OK) != 0) {
            skip_why = "a stage source is missing (samples/stages/intra.c?)";
            return 0;
        }
        /* The scanner gets the marker and samples/stages/intra.c. */
        char extra[2048] = "";
        if (objs[i].define && !strcmp(objs[i].define, "MEMCHEAT")) {
            make_cheat_markers();
            size_t at = (size_t)snprintf(extra, sizeof extra,
                                         "-DROW_Y=%d -DCOL_Y=%d -DROW_C=%d -DCOL_C=%d '-DMARKERS=",
                                         CHEAT_ROW_Y, CHEAT_COL_Y, CHEAT_ROW_C, CHEAT_COL_C);
            for (int k = 0; k < 3 * 2 * 32; k++)
                at += (size_t)snprintf(extra + at, sizeof extra - at, "%s%u", k ? "," : "",
                                       (&cheat_marker[0][0][0])[k]);
            assert_true(at + 2 < sizeof extra);
            snprintf(extra + at, sizeof extra - at, "'");
        }
        if (objs[i].define && !strcmp(objs[i].define, "MEMSCAN")) {
            make_marker();
            size_t at = (size_t)snprintf(extra, sizeof extra, "-I'%s' '-DMARKER=", src);
            for (int k = 0; k < 32; k++)
                at += (size_t)snprintf(extra + at, sizeof extra - at, "%s%u", k ? "," : "",
                                       marker[k]);
            snprintf(extra + at, sizeof extra - at, "'");
        }
        n = snprintf(cmd, sizeof cmd,
                     "%s -shared -fPIC -O0 -w -I'%s/include' %s %s%s -o '%s/%s.so' '%s'", cc, src,
                     extra, objs[i].define ? "-D" : "", objs[i].define ? objs[i].define : "", dir,
                     objs[i].name, path);
        if (n < 0 || (size_t)n >= sizeof cmd || run_sh(cmd) != 0) {
            fprintf(stderr, "# cannot compile %s\n", objs[i].src);
            return -1;
        }
    }
    ready = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (dir[0]) {
        char cmd[PATH_MAX + 32];
        if (snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) < (int)sizeof cmd)
            run_sh(cmd);
    }
    return 0;
}

#define NEED_OBJECTS()                                                                             \
    do {                                                                                           \
        if (skip_why) {                                                                            \
            print_message("# skipped: %s\n", skip_why);                                            \
            skip();                                                                                \
        }                                                                                          \
        assert_true(ready);                                                                        \
    } while (0)
#define NEED_SANDBOX()                                                                             \
    do {                                                                                           \
        NEED_OBJECTS();                                                                            \
        if (no_sandbox_why) {                                                                      \
            print_message("# skipped: %s\n", no_sandbox_why);                                      \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- helpers --------------------------------------------------------------------- */

static void hash_of(const char *name, uint8_t hash[32])
{
    /* Any nonzero hash names a stage; each object gets its name's. */
    cb_stage_hash(name, strlen(name), hash);
}

static void good_hash(uint8_t hash[32])
{
    /* The stream header carries the source's SHA-256, as sha256sum prints. */
    char path[PATH_MAX];
    assert_true(snprintf(path, sizeof path, "%s/samples/stages/intra.c", getenv("CB_SRCDIR")) <
                (int)sizeof path);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[CB_STAGE_SOURCE_MAX];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cb_stage_hash(buf, n, hash);
}

static void fill(CbFrame *f, int k)
{
    /* A moving gradient with texture: intra and inter blocks both appear. */
    for (int p = 0; p < 3; p++) {
        int w = cb_plane_width(f->width, p), h = cb_plane_height(f->height, p);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                f->data[p][y * f->stride[p] + x] =
                    (uint8_t)((x + 2 * k) * 3 + y * 2 + p * 40 + (((x + k) ^ y) & 15) * 4);
    }
}

static void settings(CbEngineSettings *s, int gop)
{
    cb_engine_settings_default(s);
    s->gop = gop;
    s->threads = 1;
}

static CbStageLimits limits(int cpu_s, int64_t data_mib, double wall_s)
{
    CbStageLimits l = {cpu_s, data_mib, 8, wall_s};
    return l;
}

/* The host's process is gone, reaped: no /proc entry (a zombie keeps one). */
static void assert_reaped(pid_t pid)
{
    assert_true(pid > 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    struct stat st;
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(errno, ENOENT);
}

static int count_sink(void *ud, const CbStagePacket *p, CbError *err)
{
    (void)p;
    (void)err;
    (*(int *)ud)++;
    return 0;
}

/* A host with the good stage, started now, encodes a frame. */
static void assert_good_host_works(void)
{
    char path[PATH_MAX];
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES];
    obj_path("intra", path, sizeof path);
    good_hash(hash);
    CbStageLimits l = limits(60, 0, 60);
    CbStageHost *h = NULL;
    CbError err;
    cb_error_clear(&err);
    int rc = hp_host_start_unchecked(&h, 0, path, CB_STAGE_INTRA, hash, &l, &err);
    if (rc < 0)
        fail_msg("good host: %s", err.text);
    CbEngineSettings s;
    settings(&s, 1);
    assert_int_equal(cb_stage_host_encoder(h, &s, 30, 64, 64, 25, 1, header, &err), 0);
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, 64, 64), 0);
    fill(&f, 0);
    int packets = 0;
    rc = cb_stage_host_encode(h, &f, count_sink, &packets, &err);
    if (rc < 0)
        fail_msg("good host: %s", err.text);
    assert_int_equal(packets, 1);
    pid_t pid = hp_host_pid(h);
    cb_stage_host_free(&h);
    assert_null(h);
    assert_reaped(pid);
    cb_frame_free(&f);
}

/* Runs object name as an intra stage on one 64x64 frame; the encode must
 * fail with code and a reason containing want; the host is reaped, and a
 * good host works after. */
static void expect_failure(const char *name, CbStageLimits l, int code, const char *want,
                           CbError *out)
{
    char path[PATH_MAX];
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES];
    obj_path(name, path, sizeof path);
    hash_of(name, hash);
    CbStageHost *h = NULL;
    CbError err;
    cb_error_clear(&err);
    int rc = hp_host_start_unchecked(&h, 0, path, CB_STAGE_INTRA, hash, &l, &err);
    if (rc < 0)
        fail_msg("%s: start: %s", name, err.text);
    pid_t pid = hp_host_pid(h);
    CbEngineSettings s;
    settings(&s, 1);
    rc = cb_stage_host_encoder(h, &s, 30, 64, 64, 25, 1, header, &err);
    if (rc < 0)
        fail_msg("%s: encoder: %s", name, err.text);
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, 64, 64), 0);
    fill(&f, 0);
    int packets = 0;
    rc = cb_stage_host_encode(h, &f, count_sink, &packets, &err);
    print_message("# %s: %s\n", name, err.text);
    if (rc != code || !strstr(err.text, want))
        fail_msg("%s: got %d \"%s\", wanted %d \"%s\"", name, rc, err.text, code, want);
    /* The host is finished: a later call gives the same reason. */
    CbError again;
    assert_int_equal(cb_stage_host_encode(h, &f, count_sink, &packets, &again), code);
    assert_string_equal(again.text, err.text);
    assert_int_equal(packets, 0);
    cb_stage_host_free(&h);
    assert_reaped(pid);
    cb_frame_free(&f);
    if (out)
        *out = err;
    assert_good_host_works();
}

/* ---- the sandbox itself ------------------------------------------------------------ */

/* Forks a child that enters the sandbox and runs fn; returns its wait status
 * and its stderr in text. */
static int in_sandbox(void (*fn)(void), char *text, size_t size)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        CbError err;
        if (cb_sandbox_enter(5, 1024, 8, &err) < 0) {
            ssize_t w = write(2, err.text, strlen(err.text));
            (void)w;
            _exit(1);
        }
        fn();
        _exit(0);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < size && (r = read(p[0], text + got, size - 1 - got)) > 0)
        got += (size_t)r;
    text[got] = '\0';
    close(p[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static void call_getuid(void)
{
    syscall(SYS_getuid);
}

static void use_memory(void)
{
    /* malloc's arena and its large blocks (brk, mmap), frees, a realloc. */
    size_t n = 64u << 20;
    unsigned char *a = malloc(n), *b = malloc(1000);
    if (!a || !b)
        _exit(3);
    memset(a, 1, n);
    unsigned char *c = realloc(a, 2 * n);
    if (!c)
        _exit(4);
    memset(c + n, 2, n);
    free(c);
    free(b);
    if (write(2, "fine", 4) != 4)
        _exit(5);
}

static void test_sandbox_denies_by_name(void **state)
{
    (void)state;
    NEED_SANDBOX();
    char text[512], want[128];
    int st = in_sandbox(call_getuid, text, sizeof text);
    snprintf(want, sizeof want, "denied system call getuid (number %d)\n", (int)SYS_getuid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), CB_SANDBOX_EXIT_DENIED);
    assert_string_equal(text, want);
}

static void test_sandbox_allows_memory(void **state)
{
    (void)state;
    NEED_SANDBOX();
    char text[512];
    int st = in_sandbox(use_memory, text, sizeof text);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0)
        fail_msg("exit %d: %s", WEXITSTATUS(st), text);
    assert_string_equal(text, "fine");
}

static void test_sandbox_limits_checked(void **state)
{
    (void)state;
    NEED_SANDBOX();
    /* Refused before any step: the test process is not sandboxed. */
    CbError err;
    assert_int_equal(cb_sandbox_enter(-1, 64, 8, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "limits out of range"));
    assert_int_equal(cb_sandbox_enter(5, 64, 100000, &err), CB_EINVAL);
    assert_true(getpid() > 0); /* still free to make system calls */
}

/* ---- the host -------------------------------------------------------------------- */

static int proc_status_has(pid_t pid, const char *line)
{
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strstr(buf, line) != NULL;
}

/* The Groups: line of /proc/PID/status lists no group. */
static int proc_groups_empty(pid_t pid)
{
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *g = strstr(buf, "\nGroups:");
    if (!g)
        return 0;
    for (g += strlen("\nGroups:"); *g && *g != '\n'; g++)
        if (*g != ' ' && *g != '\t')
            return 0;
    return 1;
}

static void test_host_sandbox_took_effect(void **state)
{
    (void)state;
    NEED_SANDBOX();
    char path[PATH_MAX];
    uint8_t hash[32];
    obj_path("intra", path, sizeof path);
    good_hash(hash);
    CbStageLimits l = limits(60, 0, 60);
    CbStageHost *h = NULL;
    CbError err;
    if (hp_host_start_unchecked(&h, 1, path, CB_STAGE_INTRA, hash, &l, &err) < 0)
        fail_msg("%s", err.text);
    pid_t pid = hp_host_pid(h);
    const HpSandboxState *s = hp_host_state(h);
    /* What the host read back before loading its filter. */
    assert_int_equal(s->no_new_privs, 1);
    assert_true(s->cap_effective == 0 && s->cap_permitted == 0);
    /* The kernel's view from outside (man 5 proc). */
    assert_true(proc_status_has(pid, "NoNewPrivs:\t1\n"));
    assert_true(proc_status_has(pid, "Seccomp:\t2\n"));
    assert_true(proc_status_has(pid, "Threads:\t1\n"));
    assert_true(proc_status_has(pid, "CapEff:\t0000000000000000\n"));
    assert_true(proc_status_has(pid, "CapPrm:\t0000000000000000\n"));
    if (geteuid() == 0) {
        assert_int_equal(s->uid, 65534);
        assert_int_equal(s->gid, 65534);
        assert_true(s->cap_bounding == 0);
        assert_true(proc_status_has(pid, "Uid:\t65534\t65534\t65534\t65534\n"));
        assert_true(proc_status_has(pid, "Gid:\t65534\t65534\t65534\t65534\n"));
        assert_true(proc_status_has(pid, "CapBnd:\t0000000000000000\n"));
        assert_true(proc_groups_empty(pid));
    } else {
        print_message("# not root: the uid change is not tested\n");
    }
    cb_stage_host_free(&h);
    assert_reaped(pid);
}

/* Packets of a stream, kept. */
typedef struct Coded {
    uint8_t *pkt[32];
    size_t len[32];
    char digest[32][65];
    int type[32];
    int n;
} Coded;

static int keep_sink(void *ud, const CbStagePacket *p, CbError *err)
{
    (void)err;
    Coded *c = ud;
    if (c->n >= 32)
        return -1;
    c->pkt[c->n] = malloc(p->size);
    if (!c->pkt[c->n])
        return -1;
    memcpy(c->pkt[c->n], p->data, p->size);
    c->len[c->n] = p->size;
    memcpy(c->digest[c->n], p->digest, 65);
    c->type[c->n] = p->type;
    c->n++;
    return 0;
}

static void coded_free(Coded *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->pkt[i]);
    c->n = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define RT_FRAMES 8
#define RT_W      352
#define RT_H      288

static void test_host_round_trip(void **state)
{
    (void)state;
    NEED_SANDBOX();
    char path[PATH_MAX];
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES];
    obj_path("intra", path, sizeof path);
    good_hash(hash);
    CbStageLimits l = limits(120, 0, 60);
    CbEngineSettings s;
    settings(&s, 4); /* I and P frames */
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, RT_W, RT_H), 0);
    CbError err;

    /* Encoding host. */
    CbStageHost *enc = NULL;
    if (hp_host_start_unchecked(&enc, 0, path, CB_STAGE_INTRA, hash, &l, &err) < 0)
        fail_msg("%s", err.text);
    pid_t epid = hp_host_pid(enc);
    Coded host = {0};
    double t0 = now_s();
    if (cb_stage_host_encoder(enc, &s, 32, RT_W, RT_H, 30, 1, header, &err) < 0)
        fail_msg("%s", err.text);
    for (int i = 0; i <= RT_FRAMES; i++) {
        if (i < RT_FRAMES)
            fill(&f, i);
        if (cb_stage_host_encode(enc, i < RT_FRAMES ? &f : NULL, keep_sink, &host, &err) < 0)
            fail_msg("frame %d: %s", i, err.text);
    }
    double t_host = now_s() - t0;
    assert_int_equal(host.n, RT_FRAMES);
    double cpu = cb_stage_host_cpu_seconds(enc);
    assert_true(cpu > 0);
    cb_stage_host_free(&enc);
    assert_reaped(epid);
    assert_true(cb_stage_host_cpu_seconds(NULL) == 0);

    /* The same stage loaded in this process, the same encode. */
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(lib);
    CbStageOps ops;
    memset(&ops, 0, sizeof ops);
    ops.kind = CB_STAGE_INTRA;
    memcpy(ops.hash, hash, 32);
    *(void **)&ops.intra = dlsym(lib, "cb_stage_intra");
    assert_non_null(ops.intra);
    CbEncoder *e = NULL;
    t0 = now_s();
    assert_int_equal(cb_encoder_new(&e, &s, 32, RT_W, RT_H, 30, 1, &err), 0);
    assert_int_equal(cb_encoder_set_stage(e, &ops, &err), 0);
    assert_memory_equal(cb_encoder_header(e), header, CB_ENGINE_HEADER_BYTES);
    int k = 0;
    for (int i = 0; i <= RT_FRAMES; i++) {
        if (i < RT_FRAMES)
            fill(&f, i);
        assert_int_equal(cb_encoder_send(e, i < RT_FRAMES ? &f : NULL, &err), 0);
        CbEncodedFrame o;
        while (cb_encoder_receive(e, &o) == 1) {
            char hex[CB_CLIP_ID_HEX];
            assert_true(k < host.n);
            assert_int_equal(o.size, host.len[k]);
            assert_memory_equal(o.data, host.pkt[k], o.size);
            assert_int_equal(cb_frame_digest(&o.recon, hex), 0);
            assert_string_equal(hex, host.digest[k]);
            k++;
        }
    }
    double t_local = now_s() - t0;
    assert_int_equal(k, RT_FRAMES);
    cb_encoder_free(&e);
    print_message("# CIF intra-stage encode, %d frames: %.1f frames/s through the host "
                  "(start included), %.1f frames/s in process; host CPU %.2f s\n",
                  RT_FRAMES, RT_FRAMES / t_host, RT_FRAMES / t_local, cpu);

    /* Decoding host: its frames are the encoder's reconstructions, and
     * this process's decoder (with the stage loaded here) agrees. */
    CbStageHost *dec = NULL;
    if (hp_host_start_unchecked(&dec, 1, path, CB_STAGE_INTRA, hash, &l, &err) < 0)
        fail_msg("%s", err.text);
    pid_t dpid = hp_host_pid(dec);
    CbStreamInfo info;
    if (cb_stage_host_decoder(dec, header, sizeof header, &info, &err) < 0)
        fail_msg("%s", err.text);
    assert_int_equal(info.width, RT_W);
    assert_int_equal(info.stage_kind, CB_STAGE_INTRA);
    assert_memory_equal(info.stage_hash, hash, 32);
    CbDecoder *d = NULL;
    assert_int_equal(cb_decoder_new(&d, header, sizeof header, &err), 0);
    assert_int_equal(cb_decoder_set_stage(d, &ops, &err), 0);
    int saw_p = 0;
    for (int i = 0; i < host.n; i++) {
        CbFrame hf, lf;
        int type = -1;
        char hex[CB_CLIP_ID_HEX];
        if (cb_stage_host_decode(dec, host.pkt[i], host.len[i], &hf, &type, &err) < 0)
            fail_msg("packet %d: %s", i, err.text);
        assert_int_equal(type, host.type[i]);
        saw_p |= type == 1;
        assert_int_equal(cb_frame_digest(&hf, hex), 0);
        assert_string_equal(hex, host.digest[i]);
        assert_int_equal(cb_decoder_decode(d, host.pkt[i], host.len[i], &lf, &err), 0);
        for (int p = 0; p < 3; p++)
            for (int y = 0; y < cb_plane_height(RT_H, p); y++)
                assert_memory_equal(hf.data[p] + y * hf.stride[p], lf.data[p] + y * lf.stride[p],
                                    (size_t)cb_plane_width(RT_W, p));
    }
    assert_true(saw_p);
    /* A damaged packet: the host's reason, and it goes on. */
    uint8_t bad[3] = {0, 200, 7};
    CbFrame hf;
    int type;
    assert_int_equal(cb_stage_host_decode(dec, bad, sizeof bad, &hf, &type, &err), CB_EFORMAT);
    assert_int_equal(cb_stage_host_decode(dec, host.pkt[0], host.len[0], &hf, &type, &err), 0);
    cb_decoder_free(&d);
    cb_stage_host_free(&dec);
    assert_reaped(dpid);

    /* A stream of another stage is refused before the host sees it. */
    uint8_t other[32];
    hash_of("another stage", other);
    CbStageHost *dec2 = NULL;
    if (hp_host_start_unchecked(&dec2, 1, path, CB_STAGE_INTRA, other, &l, &err) < 0)
        fail_msg("%s", err.text);
    assert_int_equal(cb_stage_host_decoder(dec2, header, sizeof header, &info, &err), CB_EMISMATCH);
    cb_stage_host_free(&dec2);

    dlclose(lib);
    coded_free(&host);
    cb_frame_free(&f);
}

/* Each kind in a host, with the engine's costlier tools on (KLT learning
 * and the restoration filter use BLAS and LAPACK; a 720p frame makes
 * malloc map memory): the filter allows all they need, and the encoding
 * and decoding hosts agree. */
static void round_trip_kind(const char *name, CbStageKind kind, int klt)
{
    char path[PATH_MAX];
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES];
    obj_path(name, path, sizeof path);
    hash_of(name, hash);
    CbStageLimits l = limits(300, 0, 120);
    CbEngineSettings s;
    settings(&s, 2);
    s.transform = klt ? CB_TRANSFORM_KLT : CB_TRANSFORM_DCT;
    s.restoration = 1;
    s.deblock = 1;
    s.partition = 1;
    s.preset = CB_PRESET_SLOW;
    CbError err;
    CbStageHost *enc = NULL, *dec = NULL;
    if (hp_host_start_unchecked(&enc, 0, path, kind, hash, &l, &err) < 0 ||
        cb_stage_host_encoder(enc, &s, 27, 1280, 720, 25, 1, header, &err) < 0)
        fail_msg("%s: %s", name, err.text);
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, 1280, 720), 0);
    Coded c = {0};
    for (int i = 0; i <= 3; i++) {
        if (i < 3)
            fill(&f, i);
        if (cb_stage_host_encode(enc, i < 3 ? &f : NULL, keep_sink, &c, &err) < 0)
            fail_msg("%s: frame %d: %s", name, i, err.text);
    }
    assert_int_equal(c.n, 3);
    cb_stage_host_free(&enc);
    if (hp_host_start_unchecked(&dec, 1, path, kind, hash, &l, &err) < 0 ||
        cb_stage_host_decoder(dec, header, sizeof header, NULL, &err) < 0)
        fail_msg("%s: %s", name, err.text);
    for (int i = 0; i < c.n; i++) {
        CbFrame df;
        char hex[CB_CLIP_ID_HEX];
        if (cb_stage_host_decode(dec, c.pkt[i], c.len[i], &df, NULL, &err) < 0)
            fail_msg("%s: packet %d: %s", name, i, err.text);
        assert_int_equal(cb_frame_digest(&df, hex), 0);
        assert_string_equal(hex, c.digest[i]);
    }
    cb_stage_host_free(&dec);
    coded_free(&c);
    cb_frame_free(&f);
}

static void test_host_every_kind(void **state)
{
    (void)state;
    NEED_SANDBOX();
    round_trip_kind("intra", CB_STAGE_INTRA, 1);
    round_trip_kind("loop_filter", CB_STAGE_LOOP_FILTER, 1);
    round_trip_kind("transform", CB_STAGE_TRANSFORM, 0);
}

/* A stage that scans its process's memory for source pixels: it finds them
 * in an encoding host (which is given the source) and nothing in a decoding
 * host, which gets only the stream, so it decodes to the encoder's frames. */
static void test_memory_scan(void **state)
{
    (void)state;
    NEED_SANDBOX();
    char good[PATH_MAX], scan[PATH_MAX];
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES];
    obj_path("intra", good, sizeof good);
    obj_path("memscan", scan, sizeof scan);
    good_hash(hash); /* both objects under one name: the stream's stage */
    CbStageLimits l = limits(120, 0, 120);
    CbEngineSettings s;
    settings(&s, 1);
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, RT_W, RT_H), 0);
    fill(&f, 0);
    memcpy(f.data[0] + 100 * f.stride[0] + 64, marker, sizeof marker);
    CbError err;

    /* The control: in an encoding host the scanner finds the source. */
    CbStageHost *h = NULL;
    if (hp_host_start_unchecked(&h, 0, scan, CB_STAGE_INTRA, hash, &l, &err) < 0 ||
        cb_stage_host_encoder(h, &s, 40, RT_W, RT_H, 30, 1, header, &err) < 0)
        fail_msg("%s", err.text);
    int n = 0;
    assert_int_equal(cb_stage_host_encode(h, &f, count_sink, &n, &err), CB_ESTAGE);
    print_message("# scanner in an encoding host: %s\n", err.text);
    assert_non_null(strstr(err.text, "returned 77"));
    cb_stage_host_free(&h);

    /* The stream, coded by the built-in predictor. */
    Coded c = {0};
    if (hp_host_start_unchecked(&h, 0, good, CB_STAGE_INTRA, hash, &l, &err) < 0 ||
        cb_stage_host_encoder(h, &s, 40, RT_W, RT_H, 30, 1, header, &err) < 0 ||
        cb_stage_host_encode(h, &f, keep_sink, &c, &err) < 0 ||
        cb_stage_host_encode(h, NULL, keep_sink, &c, &err) < 0)
        fail_msg("%s", err.text);
    cb_stage_host_free(&h);
    assert_int_equal(c.n, 1);

    /* The scanner decoding it finds nothing and predicts as the built-in
     * stage: the encoder's frame. */
    if (hp_host_start_unchecked(&h, 1, scan, CB_STAGE_INTRA, hash, &l, &err) < 0 ||
        cb_stage_host_decoder(h, header, sizeof header, NULL, &err) < 0)
        fail_msg("%s", err.text);
    CbFrame df;
    char hex[CB_CLIP_ID_HEX];
    if (cb_stage_host_decode(h, c.pkt[0], c.len[0], &df, NULL, &err) < 0)
        fail_msg("the scanner in a decoding host: %s", err.text);
    assert_int_equal(cb_frame_digest(&df, hex), 0);
    assert_string_equal(hex, c.digest[0]);
    /* (The decoded frame does not hold the marker: QP 40 does not keep
     * noise exactly.) */
    assert_memory_not_equal(df.data[0] + 100 * df.stride[0] + 64, marker, sizeof marker);
    cb_stage_host_free(&h);
    coded_free(&c);
    cb_frame_free(&f);
}

/* ---- a stage that cheats with the source --------------------------------------------
 *
 * memcheat is a loop filter that finds the source frames in an encoding
 * host's memory (the marker rows fill_cheat puts in every frame) and
 * writes the source into the reconstruction: the host claims a perfect
 * reconstruction.  A decoding host never holds the source, so the same
 * object decodes the packets to other frames: a decoder mismatch, and
 * against the source a finite PSNR.
 *
 * Host level: the worker's comparison (wk_stage_check_clip in
 * src/worker/stagerun.h) starts its hosts with cb_stage_host_start, which
 * checks the object first (cb_stage_check_object) and refuses one built by
 * plain cc that calls libc's syscall(), as memcheat must to probe pages;
 * there is no entry that takes an already-built object.  So this drives
 * the hosts directly and compares digests as that function does (each
 * decoded frame's cb_frame_digest against the encoder's claimed one). */

#define CHEAT_FRAMES 6
#define CHEAT_QP     32

static void fill_cheat(CbFrame *f, int k)
{
    fill(f, k);
    for (int p = 0; p < 3; p++) {
        int row = p ? CHEAT_ROW_C : CHEAT_ROW_Y, col = p ? CHEAT_COL_C : CHEAT_COL_Y;
        for (int r = 0; r < 2; r++)
            memcpy(f->data[p] + (row + r) * f->stride[p] + col, cheat_marker[p][r], 32);
    }
}

/* Luma PSNR of b against a, by hand (255^2 / MSE in dB); infinite when
 * they are equal. */
static double psnr_y(const CbFrame *a, const CbFrame *b)
{
    double sse = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            int d = a->data[0][y * a->stride[0] + x] - b->data[0][y * b->stride[0] + x];
            sse += (double)(d * d);
        }
    if (sse == 0)
        return INFINITY;
    return 10.0 * log10(255.0 * 255.0 / (sse / ((double)a->width * a->height)));
}

/* Codes CHEAT_FRAMES frames with object name in an encoding host. */
static void cheat_encode(const char *name, const uint8_t hash[32], const CbEngineSettings *s,
                         const CbStageLimits *l, uint8_t header[CB_ENGINE_HEADER_BYTES], Coded *c)
{
    char path[PATH_MAX];
    obj_path(name, path, sizeof path);
    CbStageHost *h = NULL;
    CbError err;
    if (hp_host_start_unchecked(&h, 0, path, CB_STAGE_LOOP_FILTER, hash, l, &err) < 0 ||
        cb_stage_host_encoder(h, s, CHEAT_QP, RT_W, RT_H, 30, 1, header, &err) < 0)
        fail_msg("%s: %s", name, err.text);
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, RT_W, RT_H), 0);
    for (int i = 0; i <= CHEAT_FRAMES; i++) {
        if (i < CHEAT_FRAMES)
            fill_cheat(&f, i);
        if (cb_stage_host_encode(h, i < CHEAT_FRAMES ? &f : NULL, keep_sink, c, &err) < 0)
            fail_msg("%s: frame %d: %s", name, i, err.text);
    }
    assert_int_equal(c->n, CHEAT_FRAMES);
    pid_t pid = hp_host_pid(h);
    cb_stage_host_free(&h);
    assert_reaped(pid);
    cb_frame_free(&f);
}

/* Decodes c with object name in a fresh decoding host: the frames' digests
 * into hex, their luma PSNR against the source into db. */
static void cheat_decode(const char *name, const uint8_t hash[32], const CbStageLimits *l,
                         const uint8_t header[CB_ENGINE_HEADER_BYTES], const Coded *c,
                         char hex[][65], double *db)
{
    char path[PATH_MAX];
    obj_path(name, path, sizeof path);
    CbStageHost *h = NULL;
    CbError err;
    if (hp_host_start_unchecked(&h, 1, path, CB_STAGE_LOOP_FILTER, hash, l, &err) < 0 ||
        cb_stage_host_decoder(h, header, CB_ENGINE_HEADER_BYTES, NULL, &err) < 0)
        fail_msg("%s: %s", name, err.text);
    CbFrame src = {0};
    assert_int_equal(cb_frame_alloc(&src, RT_W, RT_H), 0);
    for (int i = 0; i < c->n; i++) {
        CbFrame df;
        if (cb_stage_host_decode(h, c->pkt[i], c->len[i], &df, NULL, &err) < 0)
            fail_msg("%s: packet %d: %s", name, i, err.text);
        assert_int_equal(df.width, RT_W);
        assert_int_equal(df.height, RT_H);
        assert_int_equal(cb_frame_digest(&df, hex[i]), 0);
        fill_cheat(&src, i);
        db[i] = psnr_y(&src, &df);
    }
    pid_t pid = hp_host_pid(h);
    cb_stage_host_free(&h);
    assert_reaped(pid);
    cb_frame_free(&src);
}

static void test_memory_cheat(void **state)
{
    (void)state;
    NEED_SANDBOX();
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES], good_header[CB_ENGINE_HEADER_BYTES];
    hash_of("loop filter", hash); /* both objects under one name: the stream's stage */
    /* The search probes about 2^19 pages and reads every readable one: 300 s
     * of CPU and of wall clock per answer leave room on a loaded machine. */
    CbStageLimits l = limits(300, 0, 300);
    CbEngineSettings s;
    settings(&s, 4); /* I P P P, I P: intra and inter frames */
    s.restoration = 0; /* the stage's output is the reconstruction */

    /* The sources' digests, by the same function the host uses. */
    char src_hex[CHEAT_FRAMES][65];
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, RT_W, RT_H), 0);
    for (int i = 0; i < CHEAT_FRAMES; i++) {
        fill_cheat(&f, i);
        assert_int_equal(cb_frame_digest(&f, src_hex[i]), 0);
    }
    cb_frame_free(&f);

    /* In an encoding host the cheat works: every frame's claimed
     * reconstruction is the source (the claimed digest is the source's,
     * which is all a client sees of it: a PSNR of infinity). */
    Coded cheat = {0};
    cheat_encode("memcheat", hash, &s, &l, header, &cheat);
    int perfect = 0;
    for (int i = 0; i < CHEAT_FRAMES; i++)
        perfect += !strcmp(cheat.digest[i], src_hex[i]);
    print_message("# memcheat in an encoding host: %d of %d claimed reconstructions are the "
                  "source\n",
                  perfect, CHEAT_FRAMES);
    assert_int_equal(perfect, CHEAT_FRAMES);

    /* The control: the built-in filter's reconstructions are not the
     * source (the match above is the cheat, not the QP). */
    Coded good = {0};
    cheat_encode("loop_filter", hash, &s, &l, good_header, &good);
    assert_memory_equal(good_header, header, CB_ENGINE_HEADER_BYTES);
    for (int i = 0; i < CHEAT_FRAMES; i++)
        assert_string_not_equal(good.digest[i], src_hex[i]);

    /* The same object in a fresh decoding host finds nothing: its frames
     * are not the encoder's claimed ones (frame 0 already: the decoder
     * mismatch the worker's ladder and verification report), and against
     * the source they have a finite PSNR. */
    char dec_hex[CHEAT_FRAMES][65], ref_hex[CHEAT_FRAMES][65];
    double db[CHEAT_FRAMES], ref_db[CHEAT_FRAMES];
    cheat_decode("memcheat", hash, &l, header, &cheat, dec_hex, db);
    for (int i = 0; i < CHEAT_FRAMES; i++) {
        print_message("# memcheat decoded, frame %d: PSNR-Y %.2f dB against the source\n", i,
                      db[i]);
        assert_string_not_equal(dec_hex[i], cheat.digest[i]);
        assert_true(isfinite(db[i]));
        /* A picture, not noise: the packets are a real coding of it. */
        assert_true(db[i] > 15.0);
    }
    /* It decodes as the built-in filter does (it found no source there):
     * the same frames from a decoding host with samples/stages/loop_filter.c. */
    cheat_decode("loop_filter", hash, &l, header, &cheat, ref_hex, ref_db);
    for (int i = 0; i < CHEAT_FRAMES; i++)
        assert_string_equal(dec_hex[i], ref_hex[i]);

    /* And the honest stream decodes to the encoder's claims in a decoding
     * host with memcheat: only the cheat mismatches. */
    cheat_decode("memcheat", hash, &l, header, &good, dec_hex, db);
    for (int i = 0; i < CHEAT_FRAMES; i++)
        assert_string_equal(dec_hex[i], good.digest[i]);
    print_message("# the honest stream, decoded: PSNR-Y %.2f dB (frame 0)\n", db[0]);
    coded_free(&cheat);
    coded_free(&good);
}

/* The public start checks the object first (cb_stage_check_object): one
 * built by cb_stage_build runs; one built by plain cc (libc needed, the
 * toolchain's constructors) is refused before any process starts. */
static void test_checked_start(void **state)
{
    (void)state;
    NEED_SANDBOX();
    char plain[PATH_MAX], built[PATH_MAX], src[PATH_MAX];
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES];
    obj_path("intra", plain, sizeof plain);
    obj_path("built_intra", built, sizeof built);
    assert_true(snprintf(src, sizeof src, "%s/samples/stages/intra.c", getenv("CB_SRCDIR")) <
                (int)sizeof src);
    static char text[CB_STAGE_SOURCE_MAX];
    FILE *f = fopen(src, "rb");
    assert_non_null(f);
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    CbError err;
    char *diag = NULL;
    if (cb_stage_build(CB_STAGE_INTRA, text, len, built, NULL, &diag, &err) < 0)
        fail_msg("cb_stage_build: %s", err.text);
    free(diag);
    good_hash(hash);
    CbStageLimits l = limits(60, 0, 60);
    CbStageHost *h = NULL;
    if (cb_stage_host_start(&h, 0, built, CB_STAGE_INTRA, hash, &l, &err) < 0)
        fail_msg("%s", err.text);
    CbEngineSettings s;
    settings(&s, 1);
    assert_int_equal(cb_stage_host_encoder(h, &s, 30, 64, 64, 25, 1, header, &err), 0);
    CbFrame fr = {0};
    assert_int_equal(cb_frame_alloc(&fr, 64, 64), 0);
    fill(&fr, 0);
    int n = 0;
    assert_int_equal(cb_stage_host_encode(h, &fr, count_sink, &n, &err), 0);
    assert_int_equal(n, 1);
    cb_stage_host_free(&h);
    cb_frame_free(&fr);
    assert_int_equal(cb_stage_host_start(&h, 0, plain, CB_STAGE_INTRA, hash, &l, &err), CB_ESTAGE);
    assert_null(h);
    print_message("# plain cc object: %s\n", err.text);
    assert_non_null(strstr(err.text, "the stage object is refused"));
}

static void test_crash(void **state)
{
    (void)state;
    NEED_SANDBOX();
    expect_failure("crash", limits(60, 0, 60), CB_ESTAGE, "the stage crashed (SIGSEGV)", NULL);
}

static void test_recursion(void **state)
{
    (void)state;
    NEED_SANDBOX();
    /* The 8 MiB stack limit ends it as a crash. */
    expect_failure("recurse", limits(60, 0, 60), CB_ESTAGE, "the stage crashed (SIGSEGV)", NULL);
}

static void test_loop_cpu(void **state)
{
    (void)state;
    NEED_SANDBOX();
    /* 1 s of CPU; 120 s of wall clock (a loaded machine) is never reached. */
    expect_failure("loop", limits(1, 0, 120), CB_ESTAGE,
                   "the stage ran out of CPU time (limit 1 s)", NULL);
}

static void test_loop_wall(void **state)
{
    (void)state;
    NEED_SANDBOX();
    double t0 = now_s();
    expect_failure("loop", limits(600, 0, 2), CB_ETIMEOUT,
                   "the stage did not answer within 2 s and was killed", NULL);
    /* Ended by the wall clock, long before its 600 s of CPU. */
    assert_true(now_s() - t0 < 300);
}

static void test_ret7(void **state)
{
    (void)state;
    NEED_SANDBOX();
    expect_failure("ret7", limits(60, 0, 60), CB_ESTAGE, "the intra stage returned 7 (", NULL);
}

static void test_garbage(void **state)
{
    (void)state;
    NEED_SANDBOX();
    expect_failure("garbage", limits(60, 0, 60), CB_ESTAGE, "the stage host broke the protocol",
                   NULL);
}

static void test_memory(void **state)
{
    (void)state;
    NEED_SANDBOX();
    /* 400 MiB of data: the stage gets less than that by the raw mmap call
     * (the host's own data counts too: about 160 MiB, most of it OpenBLAS's
     * buffer), and says how much it got. */
    CbError err;
    expect_failure("memory", limits(60, 400, 60), CB_ESTAGE, "the intra stage returned ", &err);
    const char *p = strstr(err.text, "returned ");
    assert_non_null(p);
    long got = strtol(p + strlen("returned "), NULL, 10) - 1000;
    print_message("# the stage got %ld MiB under a 400 MiB data limit\n", got);
    assert_true(got >= 0 && got < 400);
}

static void test_denied_calls(void **state)
{
    (void)state;
    NEED_SANDBOX();
    static const struct {
        const char *obj, *name;
        long nr;
    } cases[] = {
        {"socket_raw", "socket", SYS_socket}, {"socket_libc", "socket", SYS_socket},
        {"open_raw", "open", SYS_open},       {"open_libc", "openat", SYS_openat},
        {"execve_raw", "execve", SYS_execve}, {"execve_libc", "execve", SYS_execve},
        {"ptrace_raw", "ptrace", SYS_ptrace}, {"ptrace_libc", "ptrace", SYS_ptrace},
        {"fork_libc", "clone", SYS_clone},    {"clone_raw", "clone", SYS_clone},
        {"kill_init", "kill", SYS_kill},      {"mmap_exec", "mmap", SYS_mmap},
        {"mmap_shared", "mmap", SYS_mmap},    {"mprotect_exec", "mprotect", SYS_mprotect},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "the sandbox denied system call %s (number %ld)", cases[i].name,
                 cases[i].nr);
        expect_failure(cases[i].obj, limits(60, 0, 60), CB_ESTAGE, want, NULL);
    }
}

static void test_start_failures(void **state)
{
    (void)state;
    NEED_OBJECTS();
    char path[PATH_MAX];
    uint8_t hash[32];
    hash_of("x", hash);
    CbStageLimits l = limits(60, 0, 60);
    CbStageHost *h = (CbStageHost *)&l; /* must be cleared */
    CbError err;
    obj_path("nosym", path, sizeof path);
    assert_int_equal(hp_host_start_unchecked(&h, 0, path, CB_STAGE_INTRA, hash, &l, &err),
                     CB_ESTAGE);
    assert_null(h);
    assert_non_null(strstr(err.text, "does not define cb_stage_intra"));
    obj_path("no-such-object", path, sizeof path);
    assert_int_equal(hp_host_start_unchecked(&h, 1, path, CB_STAGE_INTRA, hash, &l, &err),
                     CB_ESTAGE);
    assert_non_null(strstr(err.text, "cannot load"));
    assert_non_null(strstr(err.text, "no-such-object.so"));
    /* Refused before starting anything. */
    uint8_t zero[32] = {0};
    assert_int_equal(hp_host_start_unchecked(&h, 0, path, CB_STAGE_INTRA, zero, &l, &err),
                     CB_EINVAL);
    assert_int_equal(hp_host_start_unchecked(&h, 0, path, CB_STAGE_NONE, hash, &l, &err),
                     CB_EINVAL);
    CbStageLimits bad = limits(-5, 0, 60);
    assert_int_equal(hp_host_start_unchecked(&h, 0, path, CB_STAGE_INTRA, hash, &bad, &err),
                     CB_EINVAL);
    if (!no_sandbox_why)
        assert_good_host_works();
}

static void test_killed_host_no_sigpipe(void **state)
{
    (void)state;
    NEED_SANDBOX();
    /* The host is killed from outside; the next request (a CIF frame, more
     * than a pipe holds) meets a closed pipe: an error, never SIGPIPE. */
    char path[PATH_MAX];
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES];
    obj_path("intra", path, sizeof path);
    good_hash(hash);
    CbStageLimits l = limits(60, 0, 60);
    CbStageHost *h = NULL;
    CbError err;
    if (hp_host_start_unchecked(&h, 0, path, CB_STAGE_INTRA, hash, &l, &err) < 0)
        fail_msg("%s", err.text);
    CbEngineSettings s;
    settings(&s, 30);
    assert_int_equal(cb_stage_host_encoder(h, &s, 30, RT_W, RT_H, 30, 1, header, &err), 0);
    pid_t pid = hp_host_pid(h);
    assert_int_equal(kill(pid, SIGKILL), 0);
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, RT_W, RT_H), 0);
    int n = 0;
    assert_int_equal(cb_stage_host_encode(h, &f, count_sink, &n, &err), CB_ESTAGE);
    assert_non_null(strstr(err.text, "the stage host was killed by SIGKILL"));
    sigset_t pending;
    sigpending(&pending);
    assert_false(sigismember(&pending, SIGPIPE));
    cb_stage_host_free(&h);
    assert_reaped(pid);
    cb_frame_free(&f);
}

/* ---- fake hosts: the client against hostile bytes -----------------------------------
 *
 * An object path "fake:NAME" makes this program, started as the host, play
 * a host that breaks the protocol in the way NAME says (no stage, no
 * sandbox: this runs in the sanitizer build too). */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void out_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w <= 0)
            _exit(9);
        b += w;
        n -= (size_t)w;
    }
}

/* Reads one request whole (or exits at the end of input). */
static void in_request(void)
{
    uint8_t head[8];
    size_t got = 0;
    while (got < 8) {
        ssize_t r = read(0, head + got, 8 - got);
        if (r <= 0)
            _exit(0);
        got += (size_t)r;
    }
    uint32_t len = (uint32_t)head[4] | (uint32_t)head[5] << 8 | (uint32_t)head[6] << 16 |
                   (uint32_t)head[7] << 24;
    uint8_t buf[4096];
    while (len > 0) {
        ssize_t r = read(0, buf, len < sizeof buf ? len : sizeof buf);
        if (r <= 0)
            _exit(0);
        len -= (uint32_t)r;
    }
}

static int fake_host(const char *what)
{
    uint8_t hello[8 + HP_HELLO_BYTES];
    memset(hello, 0, sizeof hello);
    put32(hello, HP_REP_HELLO);
    put32(hello + 4, HP_HELLO_BYTES);
    put32(hello + 8, CB_STAGE_ABI_VERSION);
    put32(hello + 12, geteuid() == 0 ? 65534 : (uint32_t)getuid());
    put32(hello + 16, geteuid() == 0 ? 65534 : (uint32_t)getgid());
    put32(hello + 20, 1);
    if (!strcmp(what, "exit0"))
        return 0;
    if (!strcmp(what, "say")) {
        out_all(2, "noise\nstage-host: a reason of its own\n\n", 39);
        return 1;
    }
    if (!strcmp(what, "silent")) {
        for (;;)
            pause();
    }
    if (!strcmp(what, "huge")) {
        put32(hello + 4, 0xfffffff0u);
        out_all(1, hello, 8);
        for (;;)
            pause();
    }
    if (!strcmp(what, "bad-abi"))
        put32(hello + 8, 99);
    if (!strcmp(what, "caps"))
        hello[8 + 16] = 0x20; /* an effective capability */
    if (!strcmp(what, "spam")) {
        /* Far more than a pipe holds, before the hello: the client must read
         * the stderr pipe while it waits. */
        char junk[4096];
        memset(junk, 'x', sizeof junk);
        junk[sizeof junk - 1] = '\n';
        for (int i = 0; i < 256; i++)
            out_all(2, junk, sizeof junk);
    }
    out_all(1, hello, sizeof hello);
    if (!strcmp(what, "wrong-type")) {
        in_request();
        uint8_t m[8 + 16] = {0};
        put32(m, HP_REP_PACKET);
        put32(m + 4, 16);
        out_all(1, m, sizeof m);
    } else if (!strcmp(what, "wrong-header")) {
        in_request();
        uint8_t m[8 + CB_ENGINE_HEADER_BYTES] = {0};
        put32(m, HP_REP_HEADER);
        put32(m + 4, CB_ENGINE_HEADER_BYTES);
        out_all(1, m, sizeof m);
    } else if (!strcmp(what, "error-reply")) {
        in_request();
        static const char text[] = "the intra stage returned 9 (\x1b[31mred\x1b[0m)";
        uint8_t m[8 + 4 + sizeof text - 1];
        put32(m, HP_REP_ERROR);
        put32(m + 4, 4 + sizeof text - 1);
        put32(m + 8, (uint32_t)CB_ESTAGE);
        memcpy(m + 12, text, sizeof text - 1);
        out_all(1, m, sizeof m);
    } else if (!strcmp(what, "bad-code")) {
        in_request();
        uint8_t m[8 + 4] = {0};
        put32(m, HP_REP_ERROR);
        put32(m + 4, 4);
        put32(m + 8, 12345);
        out_all(1, m, sizeof m);
    }
    for (;;)
        in_request();
}

static void test_fake_hosts(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int at_start; /* 1: cb_stage_host_start fails; 0: cb_stage_host_encoder does;
                          2: nothing fails (the host is freed after its start) */
        int code;
        const char *want;
    } cases[] = {
        {"exit0", 1, CB_ESTAGE, "the stage host exited with status 0 without answering"},
        {"say", 1, CB_ESTAGE, "the stage host failed: a reason of its own"},
        {"silent", 1, CB_ETIMEOUT, "the stage did not answer within 1 s and was killed"},
        {"huge", 1, CB_ESTAGE, "broke the protocol: a message of type 0x101 with 4294967280 bytes"},
        {"bad-abi", 1, CB_ESTAGE, "its hello is not of ABI 1"},
        {"caps", 1, CB_ESTAGE, "the sandbox did not take effect"},
        {"spam", 2, 0, ""},
        {"wrong-type", 0, CB_ESTAGE,
         "a message of type 0x103 (16 bytes) where it was not expected"},
        {"wrong-header", 0, CB_ESTAGE, "header differs from the engine's"},
        {"error-reply", 0, CB_ESTAGE, "the intra stage returned 9 (?[31mred?[0m)"},
        {"bad-code", 0, CB_ESTAGE, "an error with code 12345"},
    };
    uint8_t hash[32], header[CB_ENGINE_HEADER_BYTES];
    hash_of("fake", hash);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char obj[64];
        snprintf(obj, sizeof obj, "fake:%s", cases[i].name);
        /* "silent" is the wall-clock case (1 s); the others answer at once
         * and get 60 s, for slow machines. */
        CbStageLimits l = limits(60, 0, strcmp(cases[i].name, "silent") ? 60 : 1);
        CbStageHost *h = NULL;
        CbError err;
        cb_error_clear(&err);
        int rc = hp_host_start_unchecked(&h, 0, obj, CB_STAGE_INTRA, hash, &l, &err);
        pid_t pid = 0;
        if (cases[i].at_start != 1) {
            if (rc < 0)
                fail_msg("%s: start: %s", cases[i].name, err.text);
            pid = hp_host_pid(h);
        }
        if (cases[i].at_start == 0) {
            CbEngineSettings s;
            settings(&s, 1);
            rc = cb_stage_host_encoder(h, &s, 30, 64, 64, 25, 1, header, &err);
        }
        print_message("# %s: %s\n", cases[i].name, err.text);
        if (rc != cases[i].code || !strstr(err.text, cases[i].want))
            fail_msg("%s: got %d \"%s\", wanted %d \"%s\"", cases[i].name, rc, err.text,
                     cases[i].code, cases[i].want);
        assert_null(cases[i].at_start == 1 ? h : NULL);
        cb_stage_host_free(&h);
        if (pid)
            assert_reaped(pid);
    }
}

int main(int argc, char **argv)
{
    /* The client starts /proc/self/exe stage-host ...: this program. */
    if (argc > 1 && !strcmp(argv[1], "stage-host")) {
        if (argc > 3 && !strncmp(argv[3], "fake:", 5))
            _exit(fake_host(argv[3] + 5));
        _exit(cb_stage_host_main(argc - 1, argv + 1));
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox_denies_by_name),
        cmocka_unit_test(test_sandbox_allows_memory),
        cmocka_unit_test(test_sandbox_limits_checked),
        cmocka_unit_test(test_host_sandbox_took_effect),
        cmocka_unit_test(test_host_round_trip),
        cmocka_unit_test(test_host_every_kind),
        cmocka_unit_test(test_memory_scan),
        cmocka_unit_test(test_memory_cheat),
        cmocka_unit_test(test_checked_start),
        cmocka_unit_test(test_crash),
        cmocka_unit_test(test_recursion),
        cmocka_unit_test(test_loop_cpu),
        cmocka_unit_test(test_loop_wall),
        cmocka_unit_test(test_ret7),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_denied_calls),
        cmocka_unit_test(test_start_failures),
        cmocka_unit_test(test_fake_hosts),
        cmocka_unit_test(test_killed_host_no_sigpipe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

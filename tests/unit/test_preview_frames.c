/* The frame client (src/preview/frames.c) against fake frame servers
 * (tests/data/fake_frames_server.py, which logs what it was asked): frames
 * unpacked as sent, prefetch, the cache (LRU, the wanted frame kept),
 * requests for frames no longer wanted never sent, at most a few in flight,
 * error replies, and servers that break the protocol, hang or die: each
 * gives its error code naming the server, without a crash or a zombie.
 * The real server is tested end to end by tests/cli/frames.sh. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/preview.h"

/* Generous: a loaded CI machine may start Python slowly.  Never a bound
 * that is asserted on a duration. */
#define WAIT_MS 60000

static char scratch[256];
static char script[512];
static int have_python;

/* Writes an executable wrapper scratch/fake-MODE that runs the fake server
 * in MODE; its path into exe. */
static void fake(const char *mode, char *exe, size_t size)
{
    const char *py = getenv("PYTHON3");
    int n = snprintf(exe, size, "%s/fake-%s", scratch, mode);
    assert_true(n > 0 && (size_t)n < size);
    FILE *f = fopen(exe, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\nexec '%s' '%s' %s \"$@\"\n", py && py[0] ? py : "python3", script,
            mode);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(exe, 0755), 0);
}

/* A fresh run folder for the fake server's logs. */
static void run_dir(const char *name, char *dir, size_t size)
{
    int n = snprintf(dir, size, "%s/%s", scratch, name);
    assert_true(n > 0 && (size_t)n < size);
    mkdir(dir, 0755);
}

static CbFrames *start(const char *mode, const char *dir_name, int cache, int prefetch)
{
    static char exe[512], dir[512];
    fake(mode, exe, sizeof exe);
    run_dir(dir_name, dir, sizeof dir);
    CbFramesOptions o = {.exe = exe, .run_dir = dir, .rate = 27, .cache = cache,
                         .prefetch = prefetch};
    CbFrames *f = NULL;
    CbError err;
    if (cb_frames_open(&f, &o, &err) != 0)
        fail_msg("open: %s", err.text);
    return f;
}

/* The requests the fake server logged in dir_name, as a comma list. */
static void requests(const char *dir_name, char *out, size_t size)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s/requests.log", scratch, dir_name);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[64];
    size_t k = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        int n = snprintf(out + k, size - k, "%s%s", k ? "," : "", line);
        if (n < 0 || (size_t)n >= size - k)
            break;
        k += (size_t)n;
    }
    fclose(f);
}

/* Pumps until frame index is cached (or WAIT_MS passes). */
static void pump_until(CbFrames *f, int index)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CbError err;
    while (!cb_frames_get(f, index)) {
        int fd = cb_frames_fd(f);
        assert_true(fd >= 0);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, 100);
        assert_true(cb_frames_pump(f, &err) >= 0);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 > WAIT_MS)
            fail_msg("frame %d never came", index);
    }
}

/* No child of this process is left, reaped or not. */
static void no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

#define NEED_PYTHON()                                                                          \
    do {                                                                                       \
        if (!have_python)                                                                      \
            skip();                                                                            \
    } while (0)

static void test_frames_as_sent(void **state)
{
    (void)state;
    NEED_PYTHON();
    CbFrames *f = start("good", "sent", 0, -1);
    int w, h, n, eng;
    CbError err;
    assert_int_equal(cb_frames_info(f, &w, &h, &n, &eng, &err), 0); /* nothing read yet */
    const CbFramePair *p;
    assert_int_equal(cb_frames_wait(f, 7, WAIT_MS, &p, &err), 0);
    assert_int_equal(cb_frames_info(f, &w, &h, &n, &eng, &err), 1);
    assert_int_equal(w, 21);
    assert_int_equal(h, 11);
    assert_int_equal(n, 50);
    assert_int_equal(eng, 1);
    assert_int_equal(p->index, 7);
    assert_int_equal(p->type, 'P');
    assert_int_equal(p->packet_bytes, 1007);
    assert_true(p->decode_ms > 1.2 && p->decode_ms < 1.3);
    assert_int_equal(p->source.width, 21);
    assert_int_equal(p->recon.height, 11);
    for (int y = 0; y < 11; y++)
        for (int x = 0; x < 21; x++) {
            assert_int_equal(p->source.data[0][y * p->source.stride[0] + x], 7);
            assert_int_equal(p->recon.data[0][y * p->recon.stride[0] + x], 8);
        }
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 11; x++) {
            assert_int_equal(p->source.data[1][y * p->source.stride[1] + x], 100);
            assert_int_equal(p->recon.data[2][y * p->recon.stride[2] + x], 200);
        }
    assert_int_equal(p->block_cols, 3);
    assert_int_equal(p->block_rows, 2);
    assert_non_null(p->blocks);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(p->blocks[i].kind, 7 % 3);
        assert_int_equal(p->blocks[i].size, 8);
        assert_int_equal(p->blocks[i].mvx, 7);
        assert_int_equal(p->blocks[i].mvy, -7);
    }
    /* An error reply: the reason, and the server goes on. */
    assert_int_equal(cb_frames_wait(f, 13, WAIT_MS, &p, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "frame 13: corrupt packet"));
    assert_int_equal(cb_frames_error(f, 13, &err), 1);
    assert_null(cb_frames_get(f, 13));
    assert_int_equal(cb_frames_wait(f, 14, WAIT_MS, &p, &err), 0);
    assert_int_equal(p->index, 14);
    /* Outside the clip, once the hello is known. */
    assert_int_equal(cb_frames_want(f, 50, &err), CB_ERANGE);
    assert_int_equal(cb_frames_want(f, -1, &err), CB_ERANGE);
    char log[256];
    requests("sent", log, sizeof log);
    assert_string_equal(log, "7,13,14"); /* prefetch off: only what was asked */
    cb_frames_close(&f);
    assert_null(f);
    no_children();
}

static void test_prefetch_and_cache(void **state)
{
    (void)state;
    NEED_PYTHON();
    CbFrames *f = start("good", "prefetch", 6, 3);
    CbError err;
    assert_int_equal(cb_frames_wait(f, 0, WAIT_MS, NULL, &err), 0);
    pump_until(f, 3);
    char log[256];
    requests("prefetch", log, sizeof log);
    assert_string_equal(log, "0,1,2,3");
    /* Cached frames answer at once; wanting 2 prefetches up to 5. */
    assert_int_equal(cb_frames_want(f, 2, &err), 1);
    pump_until(f, 5);
    requests("prefetch", log, sizeof log);
    assert_string_equal(log, "0,1,2,3,4,5");
    /* Six frames held: 0..5.  Wanting 20 and its prefetch evicts the least
     * recently used ones outside the window, never 20 itself. */
    assert_int_equal(cb_frames_want(f, 20, &err), 0);
    pump_until(f, 23);
    /* Last used: 0, 1, 3, then 2 (wanted), then 4 and 5 (arrived after). */
    int held = 0;
    for (int i = 0; i < 50; i++)
        held += cb_frames_get(f, i) != NULL;
    assert_int_equal(held, 6);
    for (int i = 20; i < 24; i++)
        assert_non_null(cb_frames_get(f, i));
    assert_non_null(cb_frames_get(f, 4));
    assert_non_null(cb_frames_get(f, 5));
    assert_null(cb_frames_get(f, 2));
    cb_frames_close(&f);
    no_children();
    /* The smallest cache (2, no room for prefetch): the wanted frame and
     * the one before stay. */
    f = start("good", "cache2", 2, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cb_frames_wait(f, i, WAIT_MS, NULL, &err), 0);
    assert_int_equal(cb_frames_want(f, 2, &err), 1);
    assert_int_equal(cb_frames_wait(f, 9, WAIT_MS, NULL, &err), 0);
    assert_non_null(cb_frames_get(f, 9));
    assert_non_null(cb_frames_get(f, 2));
    assert_null(cb_frames_get(f, 3));
    requests("cache2", log, sizeof log);
    assert_string_equal(log, "0,1,2,3,9");
    cb_frames_close(&f);
    no_children();
}

/* Wants that change before the hello arrives: only the last one's window
 * is asked for. */
static void test_stale_wants_not_sent(void **state)
{
    (void)state;
    NEED_PYTHON();
    CbFrames *f = start("good", "stale", 0, 2);
    CbError err;
    assert_int_equal(cb_frames_want(f, 10, &err), 0);
    assert_int_equal(cb_frames_want(f, 30, &err), 0);
    assert_int_equal(cb_frames_wait(f, 30, WAIT_MS, NULL, &err), 0);
    pump_until(f, 32);
    char log[256];
    requests("stale", log, sizeof log);
    assert_string_equal(log, "30,31,32");
    cb_frames_close(&f);
    no_children();
}

/* A slow server sees at most three requests waiting at once, however fast
 * the client wants. */
static void test_few_in_flight(void **state)
{
    (void)state;
    NEED_PYTHON();
    CbFrames *f = start("slow", "inflight", 8, 4);
    CbError err;
    assert_int_equal(cb_frames_wait(f, 0, WAIT_MS, NULL, &err), 0);
    for (int i = 0; i < 40; i += 2)
        assert_true(cb_frames_want(f, i, &err) >= 0);
    assert_int_equal(cb_frames_wait(f, 40, WAIT_MS, NULL, &err), 0);
    cb_frames_close(&f);
    char path[600], line[32] = "";
    snprintf(path, sizeof path, "%s/inflight/pending.log", scratch);
    FILE *p = fopen(path, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    fclose(p);
    print_message("most requests waiting at once: %s", line);
    long most = strtol(line, NULL, 10);
    assert_true(most >= 1 && most <= 3);
    no_children();
}

static void test_child_inherits_nothing(void **state)
{
    (void)state;
    NEED_PYTHON();
    int leak = open("/dev/null", O_RDONLY); /* deliberately not close-on-exec */
    assert_true(leak >= 0);
    char num[16];
    snprintf(num, sizeof num, "%d", leak);
    setenv("CB_TEST_LEAK_FD", num, 1);
    CbFrames *f = start("fds", "fds", 0, -1);
    CbError err;
    assert_int_equal(cb_frames_wait(f, 1, WAIT_MS, NULL, &err), 0);
    cb_frames_close(&f);
    close(leak);
    char path[600], text[256] = "";
    snprintf(path, sizeof path, "%s/fds/fds.log", scratch);
    FILE *p = fopen(path, "r");
    assert_non_null(p);
    size_t n = fread(text, 1, sizeof text - 1, p);
    text[n] = 0;
    fclose(p);
    assert_string_equal(text, "closed\nstderr /dev/null\n");
    no_children();
}

/* Broken servers: mode, the code, a piece of the reason. */
static void expect_failure(const char *mode, int code, const char *reason, int timeout_ms)
{
    CbFrames *f = start(mode, mode, 0, -1);
    CbError err;
    cb_error_clear(&err);
    int rc = cb_frames_wait(f, 1, timeout_ms, NULL, &err);
    print_message("%s: %d %s\n", mode, rc, err.text);
    assert_int_equal(rc, code);
    assert_non_null(strstr(err.text, reason));
    if (code != CB_ETIMEOUT) {
        /* The client is dead: every later call says so, nothing to poll. */
        assert_int_equal(cb_frames_pump(f, &err), code);
        assert_int_equal(cb_frames_want(f, 2, &err), code);
        assert_int_equal(cb_frames_fd(f), -1);
    }
    cb_frames_close(&f);
    no_children();
}

static void test_junk(void **state)
{
    (void)state;
    NEED_PYTHON();
    expect_failure("junk", CB_EFORMAT, "frame server (", WAIT_MS);
    expect_failure("hugedim", CB_EFORMAT, "hello states 100000x11", WAIT_MS);
    expect_failure("wrongrate", CB_EFORMAT, "rate 99", WAIT_MS);
    expect_failure("version2", CB_EFORMAT, "protocol version 2", WAIT_MS);
    expect_failure("badindex", CB_EFORMAT, "reply for frame 2, frame 1 was asked for", WAIT_MS);
    expect_failure("hugemsg", CB_EFORMAT, "5000-byte reason", WAIT_MS);
    expect_failure("badblocks", CB_EFORMAT, "block 0: kind 9", WAIT_MS);
    expect_failure("badgrid", CB_EFORMAT, "4x2 blocks", WAIT_MS);
}

static void test_hang_exit_and_refusal(void **state)
{
    (void)state;
    NEED_PYTHON();
    /* A server that never answers: the wait times out; close kills it. */
    expect_failure("sleep", CB_ETIMEOUT, "no hello after 300 ms", 300);
    expect_failure("exit3", CB_EIO, "frame server (", WAIT_MS);
    /* A failed hello: its code and reason, as info reports them too. */
    CbFrames *f = start("failhello", "failhello", 0, -1);
    CbError err;
    assert_int_equal(cb_frames_wait(f, 0, WAIT_MS, NULL, &err), CB_ENOENT);
    assert_string_equal(err.text, "/nowhere/run.json: No such file or directory");
    assert_int_equal(cb_frames_info(f, NULL, NULL, NULL, NULL, &err), CB_ENOENT);
    cb_frames_close(&f);
    no_children();
    /* A server gone after its hello: asking it for a frame raises no
     * SIGPIPE here (the test would die), only an error. */
    f = start("hellothenexit", "gone", 0, -1);
    int rc;
    while ((rc = cb_frames_info(f, NULL, NULL, NULL, NULL, &err)) == 0) {
        struct pollfd p = {.fd = cb_frames_fd(f), .events = POLLIN};
        poll(&p, 1, 100);
        cb_frames_pump(f, &err); /* may see the end right after the hello */
    }
    assert_int_equal(rc, 1);
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    rc = cb_frames_wait(f, 0, WAIT_MS, NULL, &err);
    assert_int_equal(rc, CB_EIO);
    assert_non_null(strstr(err.text, "frame server ("));
    cb_frames_close(&f);
    no_children();
}

static void test_bad_options(void **state)
{
    (void)state;
    CbFrames *f = (CbFrames *)&f;
    CbError err;
    CbFramesOptions o = {.exe = "/bin/true", .run_dir = "/tmp", .rate = 300};
    assert_int_equal(cb_frames_open(&f, &o, &err), CB_EINVAL);
    assert_null(f);
    o.rate = 27;
    o.cache = 1;
    assert_int_equal(cb_frames_open(&f, &o, &err), CB_EINVAL);
    o.cache = 0;
    o.run_dir = NULL;
    assert_int_equal(cb_frames_open(&f, &o, &err), CB_EINVAL);
    assert_int_equal(cb_frames_open(&f, NULL, &err), CB_EINVAL);
    o.run_dir = "/tmp";
    o.exe = "/nonexistent/codecbench";
    assert_int_equal(cb_frames_open(&f, &o, &err), CB_EIO);
    assert_non_null(strstr(err.text, "/nonexistent/codecbench"));
    assert_non_null(strstr(err.text, "No such file"));
    assert_null(f);
    no_children();
    cb_frames_close(NULL);
    f = NULL;
    cb_frames_close(&f);
    assert_int_equal(cb_frames_fd(NULL), -1);
    assert_null(cb_frames_get(NULL, 0));
}

int main(void)
{
    const char *src = getenv("CB_SRCDIR");
    const char *py = getenv("PYTHON3");
    snprintf(script, sizeof script, "%s/tests/data/fake_frames_server.py", src ? src : ".");
    have_python = py && py[0] && access(py, X_OK) == 0 && access(script, R_OK) == 0;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/cbframes.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        return 1;
    }
    /* A dashboard may ignore SIGPIPE or not: this test does not, so a
     * request sent to a dead server would kill it. */
    signal(SIGPIPE, SIG_DFL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_frames_as_sent),
        cmocka_unit_test(test_prefetch_and_cache),
        cmocka_unit_test(test_stale_wants_not_sent),
        cmocka_unit_test(test_few_in_flight),
        cmocka_unit_test(test_child_inherits_nothing),
        cmocka_unit_test(test_junk),
        cmocka_unit_test(test_hang_exit_and_refusal),
    };
    int rc = cmocka_run_group_tests_name("preview_frames", tests, NULL, NULL);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}

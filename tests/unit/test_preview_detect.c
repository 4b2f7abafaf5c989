/* Unit tests of terminal detection (src/preview/detect.c) over a real
 * pseudo-terminal: the test plays the terminal on the master side (a forked
 * child reads the query, checks it, and answers as scripted), the code
 * under test gets the slave.  Cases: a sixel terminal (DA1 with 4, CSI 16 t),
 * a VT220-like one (DA1 without 4), replies in small chunks with noise and a
 * cancelled sequence between, a terminal that never answers (timeout), the
 * cell size from TIOCGWINSZ and from CSI 14 t, tmux, COLORTERM, the
 * CODECBENCH_GRAPHICS overrides and a bad value; termios is checked to be
 * restored exactly and nothing to be echoed.  Then the reply parser on its
 * own: hand-made replies and seeded random garbage. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/preview.h"

/* Generous: CI machines are slow; the answered cases must still end well
 * before this, which shows DA1 ends the wait. */
#define LONG_TIMEOUT_MS 5000
#define SLACK_MS        2000

typedef struct Pty {
    int master, slave;
} Pty;

/* Opens a pty with the given size; skips the test when the machine has none. */
static void pty_open(Pty *p, int cols, int rows, int xpix, int ypix)
{
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (p->master < 0) {
        skip();
    }
    assert_int_equal(grantpt(p->master), 0);
    assert_int_equal(unlockpt(p->master), 0);
    const char *name = ptsname(p->master);
    assert_non_null(name);
    p->slave = open(name, O_RDWR | O_NOCTTY);
    assert_true(p->slave >= 0);
    struct winsize ws = {.ws_row = (unsigned short)rows,
                         .ws_col = (unsigned short)cols,
                         .ws_xpixel = (unsigned short)xpix,
                         .ws_ypixel = (unsigned short)ypix};
    assert_int_equal(ioctl(p->master, TIOCSWINSZ, &ws), 0);
    /* A cooked terminal with echo, as a shell leaves it. */
    struct termios t;
    assert_int_equal(tcgetattr(p->slave, &t), 0);
    t.c_lflag |= ICANON | ECHO;
    assert_int_equal(tcsetattr(p->slave, TCSANOW, &t), 0);
}

static void pty_close(Pty *p)
{
    close(p->slave);
    close(p->master);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The fake terminal: reads the query up to DA1 (exit 3 if it never comes),
 * checks that CSI 16 t came before it when expected (exit 2), then writes
 * the chunks with a pause between them and exits 0. */
static pid_t fake_terminal(int master, int expect_sizes, const char *const *chunks, int pause_ms)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0)
        return pid;
    char got[512];
    size_t n = 0;
    long long deadline = now_ms() + LONG_TIMEOUT_MS;
    got[0] = '\0';
    while (!strstr(got, "\033[c")) {
        long long left = deadline - now_ms();
        struct pollfd pfd = {.fd = master, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 || n + 1 >= sizeof got)
            _exit(3);
        ssize_t r = read(master, got + n, sizeof got - 1 - n);
        if (r <= 0)
            _exit(3);
        n += (size_t)r;
        got[n] = '\0';
    }
    if (expect_sizes) {
        const char *c16 = strstr(got, "\033[16t"), *da1 = strstr(got, "\033[c");
        if (!c16 || c16 > da1 || !strstr(got, "\033[14t"))
            _exit(2);
    }
    for (size_t i = 0; chunks && chunks[i]; i++) {
        if (i > 0 && pause_ms > 0)
            usleep((useconds_t)pause_ms * 1000);
        size_t len = strlen(chunks[i]);
        if (write(master, chunks[i], len) != (ssize_t)len)
            _exit(4);
    }
    _exit(0);
}

static void expect_child_ok(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Bytes the slave side sent back to the "terminal" after the query: with
 * echo off there are none. */
static size_t master_pending(int master, int wait_ms)
{
    size_t total = 0;
    char buf[256];
    struct pollfd pfd = {.fd = master, .events = POLLIN};
    while (poll(&pfd, 1, wait_ms) > 0 && (pfd.revents & POLLIN)) {
        ssize_t r = read(master, buf, sizeof buf);
        if (r <= 0)
            break;
        total += (size_t)r;
        wait_ms = 0;
    }
    return total;
}

static void assert_termios_equal(const struct termios *a, const struct termios *b)
{
    assert_int_equal(a->c_iflag, b->c_iflag);
    assert_int_equal(a->c_oflag, b->c_oflag);
    assert_int_equal(a->c_cflag, b->c_cflag);
    assert_int_equal(a->c_lflag, b->c_lflag);
    assert_memory_equal(a->c_cc, b->c_cc, sizeof a->c_cc);
}

static int setup_env(void **state)
{
    (void)state;
    unsetenv("TMUX");
    unsetenv("COLORTERM");
    unsetenv("CODECBENCH_GRAPHICS");
    setenv("TERM", "xterm", 1);
    return 0;
}

/* Runs detection against a fake terminal answering with chunks; checks the
 * query, the restored termios and that nothing was echoed. */
static int run_detect(Pty *p, const char *const *chunks, int pause_ms, int timeout_ms,
                      CbTermCaps *caps, long long *elapsed_ms)
{
    struct termios before, after;
    assert_int_equal(tcgetattr(p->slave, &before), 0);
    pid_t pid = chunks ? fake_terminal(p->master, 1, chunks, pause_ms) : -1;
    CbTermOptions opt = {.timeout_ms = timeout_ms};
    CbError err;
    cb_error_clear(&err);
    long long t0 = now_ms();
    int rc = cb_term_detect(p->slave, p->slave, &opt, caps, &err);
    *elapsed_ms = now_ms() - t0;
    if (pid > 0)
        expect_child_ok(pid);
    assert_int_equal(tcgetattr(p->slave, &after), 0);
    assert_termios_equal(&before, &after);
    if (pid > 0)
        assert_int_equal(master_pending(p->master, 100), 0);
    return rc;
}

static void test_sixel_terminal(void **state)
{
    (void)state;
    Pty p;
    pty_open(&p, 80, 24, 0, 0);
    /* xterm -ti vt340 answers like this (cell 10x20 px) */
    static const char *const replies[] = {"\033[6;20;10t", "\033[4;480;800t",
                                          "\033[?63;1;2;4;6;9;15;22c", NULL};
    CbTermCaps caps;
    long long ms;
    assert_int_equal(run_detect(&p, replies, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_true(ms < LONG_TIMEOUT_MS - 1000); /* DA1 ended the wait */
    assert_int_equal(caps.is_tty, 1);
    assert_int_equal(caps.queried, 1);
    assert_int_equal(caps.answered, 1);
    assert_int_equal(caps.da1_sixel, 1);
    assert_int_equal(caps.sixel, 1);
    assert_int_equal(caps.mode, CB_GRAPHICS_SIXEL);
    assert_int_equal(caps.mode_forced, 0);
    assert_int_equal(caps.cell_width_px, 10);
    assert_int_equal(caps.cell_height_px, 20);
    assert_int_equal(caps.cell_source, CB_CELL_CSI16T);
    assert_int_equal(caps.text_width_px, 800);
    assert_int_equal(caps.text_height_px, 480);
    assert_int_equal(caps.cols, 80);
    assert_int_equal(caps.rows, 24);
    assert_int_equal(caps.truecolor, 0);
    assert_string_equal(cb_term_graphics_name(caps.mode), "sixel");
    pty_close(&p);
}

static void test_vt220_terminal(void **state)
{
    (void)state;
    Pty p;
    pty_open(&p, 80, 24, 0, 0);
    static const char *const replies[] = {"\033[?62;1;2;6;7;8;9c", NULL};
    CbTermCaps caps;
    long long ms;
    assert_int_equal(run_detect(&p, replies, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_true(ms < LONG_TIMEOUT_MS - 1000);
    assert_int_equal(caps.answered, 1);
    assert_int_equal(caps.da1_sixel, 0);
    assert_int_equal(caps.sixel, 0);
    assert_int_equal(caps.mode, CB_GRAPHICS_BLOCKS);
    assert_int_equal(caps.cell_source, CB_CELL_UNKNOWN);
    assert_int_equal(caps.cell_width_px, 0);
    pty_close(&p);
}

static void test_chunks_and_noise(void **state)
{
    (void)state;
    Pty p;
    pty_open(&p, 80, 24, 0, 0);
    /* Typeahead, a sequence we do not know, the cell-size reply split in
     * four, 8-bit garbage, a DA1 with 4 cancelled by CAN (must not count),
     * then the real DA1 without 4 split in three. */
    static const char *const replies[] = {
        "ls -l\r",        "\033",           "[?6",     "2;",   "junk\033[", "6;2", "0;1",
        "0t\x9b\xff\xfe", "\033[?62;4\x18", "\033[?6", "2;22", "c",         NULL};
    CbTermCaps caps;
    long long ms;
    assert_int_equal(run_detect(&p, replies, 15, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_true(ms < LONG_TIMEOUT_MS - 1000);
    assert_int_equal(caps.answered, 1);
    assert_int_equal(caps.da1_sixel, 0);
    assert_int_equal(caps.sixel, 0);
    assert_int_equal(caps.cell_width_px, 10);
    assert_int_equal(caps.cell_height_px, 20);
    assert_int_equal(caps.cell_source, CB_CELL_CSI16T);
    pty_close(&p);

    /* The same with DA1 carrying 4 in the last chunk: sixel on. */
    pty_open(&p, 80, 24, 0, 0);
    static const char *const replies2[] = {"x\033[?", "62", ";22;", "4", "c", NULL};
    assert_int_equal(run_detect(&p, replies2, 15, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_int_equal(caps.answered, 1);
    assert_int_equal(caps.sixel, 1);
    pty_close(&p);
}

static void test_silent_terminal(void **state)
{
    (void)state;
    Pty p;
    pty_open(&p, 80, 24, 0, 0);
    CbTermCaps caps;
    long long ms;
    const int timeout = 300;
    assert_int_equal(run_detect(&p, NULL, 0, timeout, &caps, &ms), 0);
    assert_true(ms >= timeout - 50); /* it did wait (clock granularity allowed) */
    assert_true(ms < timeout + SLACK_MS);
    assert_int_equal(caps.queried, 1);
    assert_int_equal(caps.answered, 0);
    assert_int_equal(caps.sixel, 0);
    assert_int_equal(caps.mode, CB_GRAPHICS_BLOCKS);
    /* the query was written: DA1 is at the end of what the terminal got */
    char buf[64] = {0};
    ssize_t n = read(p.master, buf, sizeof buf - 1);
    assert_true(n >= 3);
    assert_string_equal(buf, "\033[16t\033[14t\033[c");
    pty_close(&p);
}

static void test_cell_from_winsize(void **state)
{
    (void)state;
    Pty p;
    pty_open(&p, 80, 24, 640, 384); /* 8x16 cells */
    static const char *const replies[] = {"\033[?62;4c", NULL};
    CbTermCaps caps;
    long long ms;
    assert_int_equal(run_detect(&p, replies, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_int_equal(caps.sixel, 1);
    assert_int_equal(caps.cell_source, CB_CELL_WINSIZE);
    assert_int_equal(caps.cell_width_px, 8);
    assert_int_equal(caps.cell_height_px, 16);
    pty_close(&p);

    /* No pixels in the winsize, a CSI 14 t reply: 1000x800 over 100x50. */
    pty_open(&p, 100, 50, 0, 0);
    static const char *const replies2[] = {"\033[4;1000;800t", "\033[?62;4c", NULL};
    assert_int_equal(run_detect(&p, replies2, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_int_equal(caps.cell_source, CB_CELL_CSI14T);
    assert_int_equal(caps.cell_width_px, 8);
    assert_int_equal(caps.cell_height_px, 20);
    pty_close(&p);
}

static void test_tmux(void **state)
{
    (void)state;
    setenv("TMUX", "/tmp/tmux-0/default,1234,0", 1);
    Pty p;
    pty_open(&p, 80, 24, 0, 0);
    static const char *const replies[] = {"\033[?62;4;22c", NULL};
    CbTermCaps caps;
    long long ms;
    assert_int_equal(run_detect(&p, replies, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_int_equal(caps.in_tmux, 1);
    assert_int_equal(caps.tmux_passthrough, 1);
    assert_int_equal(caps.da1_sixel, 1);
    assert_int_equal(caps.sixel, 0);
    assert_int_equal(caps.mode, CB_GRAPHICS_BLOCKS);
    pty_close(&p);
}

static void test_colorterm(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int truecolor;
    } cases[] = {{"truecolor", 1}, {"24bit", 1}, {"yes", 0}, {"", 0}, {"TRUECOLOR ", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("COLORTERM", cases[i].value, 1);
        Pty p;
        pty_open(&p, 80, 24, 0, 0);
        static const char *const replies[] = {"\033[?62;22c", NULL};
        CbTermCaps caps;
        long long ms;
        assert_int_equal(run_detect(&p, replies, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
        assert_int_equal(caps.truecolor, cases[i].truecolor);
        assert_int_equal(caps.mode, CB_GRAPHICS_BLOCKS);
        pty_close(&p);
    }
}

static void test_override(void **state)
{
    (void)state;
    Pty p;
    CbTermCaps caps;
    long long ms;

    /* none and blocks: no query written at all */
    static const struct {
        const char *value;
        CbGraphics mode;
    } skip_query[] = {{"none", CB_GRAPHICS_TEXT}, {"blocks", CB_GRAPHICS_BLOCKS}};
    for (size_t i = 0; i < 2; i++) {
        setenv("CODECBENCH_GRAPHICS", skip_query[i].value, 1);
        pty_open(&p, 80, 24, 0, 0);
        assert_int_equal(run_detect(&p, NULL, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
        assert_true(ms < 1000);
        assert_int_equal(caps.mode, skip_query[i].mode);
        assert_int_equal(caps.mode_forced, 1);
        assert_int_equal(caps.queried, 0);
        assert_int_equal(master_pending(p.master, 50), 0);
        pty_close(&p);
    }

    /* sixel forced on a VT220: sixel, and the cell size is still asked */
    setenv("CODECBENCH_GRAPHICS", "sixel", 1);
    pty_open(&p, 80, 24, 0, 0);
    static const char *const replies[] = {"\033[6;18;9t\033[?62;22c", NULL};
    assert_int_equal(run_detect(&p, replies, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_int_equal(caps.mode, CB_GRAPHICS_SIXEL);
    assert_int_equal(caps.sixel, 1);
    assert_int_equal(caps.da1_sixel, 0);
    assert_int_equal(caps.cell_width_px, 9);
    assert_int_equal(caps.cell_height_px, 18);
    pty_close(&p);

    /* none forced: text and sixel off, whatever the terminal */
    setenv("CODECBENCH_GRAPHICS", "none", 1);
    pty_open(&p, 80, 24, 0, 0);
    assert_int_equal(run_detect(&p, NULL, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_int_equal(caps.mode, CB_GRAPHICS_TEXT);
    assert_int_equal(caps.sixel, 0);
    pty_close(&p);
}

static void test_bad_override(void **state)
{
    (void)state;
    setenv("CODECBENCH_GRAPHICS", "sixels", 1);
    Pty p;
    pty_open(&p, 80, 24, 0, 0);
    struct termios before, after;
    assert_int_equal(tcgetattr(p.slave, &before), 0);
    CbTermCaps caps;
    CbError err;
    cb_error_clear(&err);
    assert_int_equal(cb_term_detect(p.slave, p.slave, NULL, &caps, &err), CB_EINVAL);
    assert_int_equal(err.code, CB_EINVAL);
    assert_non_null(strstr(err.text, "CODECBENCH_GRAPHICS"));
    assert_non_null(strstr(err.text, "'sixels'"));
    assert_non_null(strstr(err.text, "sixel, blocks, none"));
    assert_int_equal(tcgetattr(p.slave, &after), 0);
    assert_termios_equal(&before, &after);
    assert_int_equal(master_pending(p.master, 50), 0); /* terminal untouched */
    pty_close(&p);

    CbGraphics m = CB_GRAPHICS_BLOCKS;
    assert_int_equal(cb_term_parse_graphics("", "key", &m, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "key: ''"));
    assert_int_equal(cb_term_parse_graphics("SIXEL", NULL, &m, NULL), CB_EINVAL);
    assert_int_equal(m, CB_GRAPHICS_BLOCKS); /* untouched on error */
    assert_int_equal(cb_term_parse_graphics("none", NULL, &m, NULL), 0);
    assert_int_equal(m, CB_GRAPHICS_TEXT);
}

static void test_bad_options_and_no_tty(void **state)
{
    (void)state;
    CbTermCaps caps;
    CbError err;
    CbTermOptions opt = {.timeout_ms = -5};
    assert_int_equal(cb_term_detect(0, 1, &opt, &caps, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "-5"));
    opt.timeout_ms = CB_TERM_TIMEOUT_MS_MAX + 1;
    assert_int_equal(cb_term_detect(0, 1, &opt, &caps, &err), CB_EINVAL);
    assert_int_equal(cb_term_detect(0, 1, NULL, NULL, &err), CB_EINVAL);

    /* A pipe is no terminal: text, no query, no error. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(cb_term_detect(fds[0], fds[1], NULL, &caps, &err), 0);
    assert_int_equal(caps.is_tty, 0);
    assert_int_equal(caps.queried, 0);
    assert_int_equal(caps.mode, CB_GRAPHICS_TEXT);
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 0), 0); /* nothing written */
    close(fds[0]);
    close(fds[1]);

    /* TERM=dumb on a terminal: text (sixel still reported if DA1 says so) */
    setenv("TERM", "dumb", 1);
    Pty p;
    pty_open(&p, 80, 24, 0, 0);
    static const char *const replies[] = {"\033[?62;22c", NULL};
    long long ms;
    assert_int_equal(run_detect(&p, replies, 0, LONG_TIMEOUT_MS, &caps, &ms), 0);
    assert_int_equal(caps.mode, CB_GRAPHICS_TEXT);
    pty_close(&p);
}

static void test_no_size_query(void **state)
{
    (void)state;
    Pty p;
    pty_open(&p, 80, 24, 0, 0);
    CbTermOptions opt = {.timeout_ms = 100, .no_size_query = 1};
    CbTermCaps caps;
    assert_int_equal(cb_term_detect(p.slave, p.slave, &opt, &caps, NULL), 0);
    char buf[64] = {0};
    assert_int_equal(read(p.master, buf, sizeof buf - 1), 3);
    assert_string_equal(buf, "\033[c");
    pty_close(&p);
}

/* ---- the reply parser on its own ---- */

static int scan(const char *s, CbTermCaps *caps)
{
    memset(caps, 0, sizeof *caps);
    return cb_term_scan_replies((const unsigned char *)s, strlen(s), caps);
}

static void test_scan_by_hand(void **state)
{
    (void)state;
    CbTermCaps c;
    assert_int_equal(scan("\033[?62;4;22c", &c), 1);
    assert_int_equal(c.da1_sixel, 1);
    assert_int_equal(scan("\033[?64;1;2;6;9;15;18;21;22;4c", &c), 1);
    assert_int_equal(c.da1_sixel, 1);
    /* VT100 with options: 1;2 - no 4 */
    assert_int_equal(scan("\033[?1;2c", &c), 1);
    assert_int_equal(c.da1_sixel, 0);
    /* 4 as the first parameter is the model (VT132), not an attribute */
    assert_int_equal(scan("\033[?4;6c", &c), 1);
    assert_int_equal(c.da1_sixel, 0);
    /* 14 or 44 are not 4 */
    assert_int_equal(scan("\033[?62;14;44c", &c), 1);
    assert_int_equal(c.da1_sixel, 0);
    /* 8-bit CSI */
    assert_int_equal(scan("\x9b?62;4c", &c), 1);
    assert_int_equal(c.da1_sixel, 1);
    /* DA2 and DA1 without '?' are not DA1 */
    assert_int_equal(scan("\033[>1;4;0c", &c), 0);
    assert_int_equal(scan("\033[62;4c", &c), 0);
    /* an intermediate byte makes it another sequence */
    assert_int_equal(scan("\033[?62;4 c", &c), 0);
    /* cut short, or cancelled */
    assert_int_equal(scan("\033[?62;4", &c), 0);
    assert_int_equal(scan("\033[?62;4\x1a"
                          "c",
                          &c),
                     0);
    /* ESC restarts a sequence */
    assert_int_equal(scan("\033[?62;4\033[?62c", &c), 1);
    assert_int_equal(c.da1_sixel, 0);
    /* C0 controls inside are not part of the sequence */
    assert_int_equal(scan("\033[?62;\r4c", &c), 1);
    assert_int_equal(c.da1_sixel, 1);
    /* cell size: ranges and clamping */
    scan("\033[6;16;8t", &c);
    assert_int_equal(c.cell_width_px, 8);
    assert_int_equal(c.cell_height_px, 16);
    assert_int_equal(c.cell_source, CB_CELL_CSI16T);
    scan("\033[6;99999999999999999999;8t", &c);
    assert_int_equal(c.cell_width_px, 0);
    scan("\033[6;0;8t", &c);
    assert_int_equal(c.cell_width_px, 0);
    scan("\033[6;16t", &c);
    assert_int_equal(c.cell_width_px, 0);
    scan("\033[?6;16;8t", &c);
    assert_int_equal(c.cell_width_px, 0);
    scan("\033[4;720;1280t", &c);
    assert_int_equal(c.text_width_px, 1280);
    assert_int_equal(c.text_height_px, 720);
    assert_int_equal(cb_term_scan_replies(NULL, 5, NULL), 0);
}

static void test_scan_many_params(void **state)
{
    (void)state;
    /* 200 attributes, 4 only beyond the kept ones: seen as DA1, 4 dropped
     * (bounded memory); 4 early in the list is found. */
    char s[1200];
    size_t n = 0;
    n += (size_t)snprintf(s + n, sizeof s - n, "\033[?62");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, ";%d", i == 150 ? 4 : 7);
    n += (size_t)snprintf(s + n, sizeof s - n, "c");
    assert_true(n < sizeof s);
    CbTermCaps c;
    assert_int_equal(scan(s, &c), 1);
    assert_int_equal(c.da1_sixel, 0);
    s[6] = '4'; /* "\033[?62;7" -> "\033[?62;4" */
    assert_int_equal(scan(s, &c), 1);
    assert_int_equal(c.da1_sixel, 1);
}

static void test_scan_random_garbage(void **state)
{
    (void)state;
    /* Seeded random bytes biased to the bytes of sequences: no crash (run
     * under the sanitizers too), answers only 0 or 1, sizes within bounds. */
    static const unsigned char alphabet[] = "\033[?;0123456789ct46>\x9b\x18 ";
    unsigned int seed = 12345;
    unsigned char buf[512];
    int seen = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = (size_t)(rand_r(&seed) % (int)sizeof buf);
        for (size_t i = 0; i < len; i++) {
            int r = rand_r(&seed);
            buf[i] =
                (r & 1) ? alphabet[(r >> 1) % (int)(sizeof alphabet - 1)] : (unsigned char)(r >> 8);
        }
        CbTermCaps c;
        memset(&c, 0, sizeof c);
        int a = cb_term_scan_replies(buf, len, &c);
        assert_true(a == 0 || a == 1);
        assert_true(c.da1_sixel == 0 || a == 1);
        assert_true(c.cell_width_px >= 0 && c.cell_width_px <= 1024);
        assert_true(c.cell_height_px >= 0 && c.cell_height_px <= 1024);
        seen += a;
    }
    assert_true(seen > 0); /* the generator does reach DA1 replies */
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sixel_terminal, setup_env),
        cmocka_unit_test_setup(test_vt220_terminal, setup_env),
        cmocka_unit_test_setup(test_chunks_and_noise, setup_env),
        cmocka_unit_test_setup(test_silent_terminal, setup_env),
        cmocka_unit_test_setup(test_cell_from_winsize, setup_env),
        cmocka_unit_test_setup(test_tmux, setup_env),
        cmocka_unit_test_setup(test_colorterm, setup_env),
        cmocka_unit_test_setup(test_override, setup_env),
        cmocka_unit_test_setup(test_bad_override, setup_env),
        cmocka_unit_test_setup(test_bad_options_and_no_tty, setup_env),
        cmocka_unit_test_setup(test_no_size_query, setup_env),
        cmocka_unit_test_setup(test_scan_by_hand, setup_env),
        cmocka_unit_test_setup(test_scan_many_params, setup_env),
        cmocka_unit_test_setup(test_scan_random_garbage, setup_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

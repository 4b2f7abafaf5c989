/* Unit tests of the dashboard's log buffer (src/tui/logbuf.c): caps by
 * lines and bytes with the oldest dropped and counted, sanitising once on
 * add, cutting long lines with a marker, levels, case-insensitive search
 * with wrap-around, error navigation; and the reader that follows a run's
 * log.txt and events.jsonl: events in words without progress, warnings
 * written to both files shown once, partial lines, growth, truncation,
 * replacement, the tail of a huge file, the per-call budget, and a writer
 * appending 10,000 lines per second. */
#define _GNU_SOURCE 1
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
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tui/logbuf.h"

/* ---- helpers -------------------------------------------------------------- */

static char tmpdir[256];

static int setup_all(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    int n = snprintf(tmpdir, sizeof tmpdir, "%s/cblogbuf.XXXXXX", t && *t ? t : "/tmp");
    if (n < 0 || (size_t)n >= sizeof tmpdir || !mkdtemp(tmpdir))
        return -1;
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static TuiLogBuf *new_buf(size_t lines, size_t bytes)
{
    TuiLogBuf *b = NULL;
    CbError err = {0};
    assert_int_equal(tui_logbuf_new(&b, lines, bytes, &err), 0);
    assert_non_null(b);
    return b;
}

static void add(TuiLogBuf *b, int64_t run, TuiLogLevel lv, const char *s)
{
    assert_int_equal(tui_logbuf_add(b, run, lv, s, strlen(s), 0), 0);
}

static const char *text_of(const TuiLogBuf *b, uint64_t n)
{
    static TuiLogLine l;
    assert_int_equal(tui_logbuf_get(b, n, &l), 0);
    assert_int_equal(strlen(l.text), l.len);
    return l.text;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A fresh run folder under tmpdir. */
static char *run_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    assert_int_equal(mkdir(path, 0700), 0);
    return path;
}

static void append(const char *dir, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(const char *dir, const char *file, const char *fmt, ...)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    assert_int_equal(fclose(f), 0);
}

/* Reads until caught up (with a generous bound on calls). */
static void read_all(TuiLogRun *r, TuiLogBuf *b)
{
    CbError err = {0};
    int rc, calls = 0;
    while ((rc = tui_logrun_read(r, b, 1 << 20, NULL, &err)) == 1)
        assert_true(++calls < 1000);
    assert_int_equal(rc, 0);
}

/* Whether some kept line contains s. */
static int has_line(const TuiLogBuf *b, const char *s)
{
    for (uint64_t n = tui_logbuf_first(b); n < tui_logbuf_end(b); n++)
        if (strstr(text_of(b, n), s))
            return 1;
    return 0;
}

static size_t lines_with(const TuiLogBuf *b, const char *s)
{
    size_t k = 0;
    for (uint64_t n = tui_logbuf_first(b); n < tui_logbuf_end(b); n++)
        k += strstr(text_of(b, n), s) != NULL;
    return k;
}

/* ---- the buffer ---------------------------------------------------------- */

static void test_add_and_get(void **state)
{
    (void)state;
    TuiLogBuf *b = new_buf(100, 1 << 20);
    assert_int_equal(tui_logbuf_count(b), 0);
    assert_int_equal(tui_logbuf_first(b), 0);
    assert_int_equal(tui_logbuf_end(b), 0);
    TuiLogLine l;
    assert_int_equal(tui_logbuf_get(b, 0, &l), CB_ERANGE);
    add(b, 7, TUI_LOG_INFO, "hello");
    add(b, 8, TUI_LOG_ERROR, "boom");
    assert_int_equal(tui_logbuf_count(b), 2);
    assert_int_equal(tui_logbuf_end(b), 2);
    assert_int_equal(tui_logbuf_get(b, 1, &l), 0);
    assert_string_equal(l.text, "boom");
    assert_int_equal(l.run_id, 8);
    assert_int_equal(l.level, TUI_LOG_ERROR);
    assert_int_equal(tui_logbuf_errors(b), 1);
    assert_int_equal(tui_logbuf_get(b, 2, &l), CB_ERANGE);
    /* not NUL-terminated input: only len bytes are taken */
    assert_int_equal(tui_logbuf_add(b, 1, TUI_LOG_INFO, "abcdef", 3, 0), 0);
    assert_string_equal(text_of(b, 2), "abc");
    tui_logbuf_clear(b);
    assert_int_equal(tui_logbuf_count(b), 0);
    assert_int_equal(tui_logbuf_errors(b), 0);
    add(b, 1, TUI_LOG_INFO, "again");
    assert_string_equal(text_of(b, 0), "again");
    tui_logbuf_free(&b);
    assert_null(b);
    tui_logbuf_free(&b);
}

static void test_bad_caps(void **state)
{
    (void)state;
    TuiLogBuf *b = NULL;
    CbError err = {0};
    assert_int_equal(tui_logbuf_new(&b, 2, 64 << 20, &err), CB_EINVAL);
    assert_null(b);
    assert_int_equal(tui_logbuf_new(&b, 1000, 1000, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "too small"));
}

static void test_sanitised_once(void **state)
{
    (void)state;
    TuiLogBuf *b = new_buf(100, 1 << 20);
    add(b, 1, TUI_LOG_INFO, "red \x1b[31mtext\x1b[0m\a and a\ttab");
    const char *t = text_of(b, 0);
    assert_string_equal(t, "red ^[[31mtext^[[0m^G and a tab");
    for (const char *p = t; *p; p++)
        assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
    /* 8-bit CSI, a bidi override and invalid UTF-8 are shown inert */
    add(b, 1, TUI_LOG_INFO, "a\xc2\x9b" "2J b\xe2\x80\xae" "c \xff");
    assert_string_equal(text_of(b, 1), "a<U+009B>2J b<U+202E>c <FF>");
    /* a CRLF line ends at its CR; a progress line shows what follows its last CR */
    add(b, 1, TUI_LOG_INFO, "windows\r\r");
    assert_string_equal(text_of(b, 2), "windows");
    add(b, 1, TUI_LOG_INFO, "frame 1\rframe 2\rframe 3");
    assert_string_equal(text_of(b, 3), "frame 3");
    /* valid UTF-8 is kept */
    add(b, 1, TUI_LOG_INFO, "PSNR \xe2\x89\xa5 40 dB \xe6\x97\xa5");
    assert_string_equal(text_of(b, 4), "PSNR \xe2\x89\xa5 40 dB \xe6\x97\xa5");
    tui_logbuf_free(&b);
}

static void test_long_lines_cut(void **state)
{
    (void)state;
    TuiLogBuf *b = new_buf(100, 1 << 20);
    size_t n = 100000;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    assert_int_equal(tui_logbuf_add(b, 1, TUI_LOG_INFO, big, n, 0), 0);
    TuiLogLine l;
    assert_int_equal(tui_logbuf_get(b, 0, &l), 0);
    assert_true(l.len <= TUI_LOGBUF_LINE_MAX + 48);
    assert_non_null(strstr(l.text, " [line cut: 100000 bytes]"));
    assert_int_equal(strspn(l.text, "x"), TUI_LOGBUF_LINE_MAX);
    /* a reader that kept only part of the line says how long it was */
    assert_int_equal(tui_logbuf_add(b, 1, TUI_LOG_INFO, "head", 4, 123456), 0);
    assert_string_equal(text_of(b, 1), "head [line cut: 123456 bytes]");
    /* multi-byte characters are never split by the cut */
    for (size_t i = 0; i + 3 <= n; i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3); /* the euro sign */
    assert_int_equal(tui_logbuf_add(b, 1, TUI_LOG_INFO, big, n - n % 3, 0), 0);
    assert_int_equal(tui_logbuf_get(b, 2, &l), 0);
    const char *mark = strstr(l.text, " [line cut:");
    assert_non_null(mark);
    assert_int_equal((size_t)(mark - l.text) % 3, 0);
    assert_null(strchr(l.text, '<')); /* no "<E2>" from a split sequence */
    /* escapes count after sanitising: 8192 ESC bytes become 16384 bytes, cut */
    memset(big, 0x1b, 8192);
    assert_int_equal(tui_logbuf_add(b, 1, TUI_LOG_INFO, big, 8192, 0), 0);
    assert_int_equal(tui_logbuf_get(b, 3, &l), 0);
    assert_non_null(strstr(l.text, " [line cut: 8192 bytes]"));
    assert_true(l.len <= TUI_LOGBUF_LINE_MAX + 48);
    free(big);
    tui_logbuf_free(&b);
}

static void test_line_cap_drops_oldest(void **state)
{
    (void)state;
    TuiLogBuf *b = new_buf(16, 1 << 20);
    char s[64];
    for (int i = 0; i < 100; i++) {
        snprintf(s, sizeof s, "%s %d", i % 10 == 0 ? "error" : "line", i);
        add(b, 1, TUI_LOG_AUTO, s);
    }
    assert_int_equal(tui_logbuf_count(b), 16);
    assert_int_equal(tui_logbuf_first(b), 84);
    assert_int_equal(tui_logbuf_end(b), 100);
    assert_string_equal(text_of(b, 84), "line 84");
    assert_string_equal(text_of(b, 99), "line 99");
    TuiLogLine l;
    assert_int_equal(tui_logbuf_get(b, 83, &l), CB_ERANGE);
    /* errors 90 only remain (84..99): the count follows the drops */
    assert_int_equal(tui_logbuf_errors(b), 1);
    tui_logbuf_free(&b);
}

static void test_byte_cap_drops_oldest(void **state)
{
    (void)state;
    size_t cap = 1 << 20;
    TuiLogBuf *b = new_buf(200000, cap);
    char s[5000];
    memset(s, 'y', sizeof s);
    for (int i = 0; i < 2000; i++) {
        int w = snprintf(s, 16, "%06d", i);
        s[w] = ' ';
        assert_int_equal(tui_logbuf_add(b, 1, TUI_LOG_INFO, s, sizeof s, 0), 0);
        assert_true(tui_logbuf_bytes(b) <= cap);
    }
    assert_true(tui_logbuf_first(b) > 0);
    assert_true(tui_logbuf_count(b) >= 150); /* about cap / 5001 less one block */
    assert_int_equal(tui_logbuf_end(b), 2000);
    /* every line kept reads back whole, oldest and newest */
    char want[16];
    for (uint64_t n = tui_logbuf_first(b); n < tui_logbuf_end(b); n++) {
        snprintf(want, sizeof want, "%06d ", (int)n);
        const char *t = text_of(b, n);
        assert_memory_equal(t, want, 7);
        assert_int_equal(strlen(t), sizeof s);
    }
    tui_logbuf_free(&b);
}

static void test_many_lines_fast(void **state)
{
    (void)state;
    /* 1,000,000 adds into the default caps: amortised O(1) (well under 2 s
     * even under sanitizers on a loaded machine; about 0.2 s normally) */
    TuiLogBuf *b = new_buf(TUI_LOGBUF_MAX_LINES, TUI_LOGBUF_MAX_BYTES);
    char s[128];
    double t0 = now_s();
    for (int i = 0; i < 1000000; i++) {
        int w = snprintf(s, sizeof s, "12:00:01 point %d (27) encoded: 10411 bytes, 412.3 kbps", i);
        assert_int_equal(tui_logbuf_add(b, i % 8, TUI_LOG_INFO, s, (size_t)w, 0), 0);
    }
    double dt = now_s() - t0;
    assert_int_equal(tui_logbuf_count(b), TUI_LOGBUF_MAX_LINES);
    assert_int_equal(tui_logbuf_first(b), 1000000 - TUI_LOGBUF_MAX_LINES);
    assert_non_null(strstr(text_of(b, 999999), "point 999999 "));
    assert_true(dt < 10.0);
    tui_logbuf_free(&b);
}

static void test_levels(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        TuiLogLevel level;
    } cases[] = {
        {"qp22.cbv: 96836 bytes, 774.69 kbps", TUI_LOG_INFO},
        {"error: cannot open clip.y4m", TUI_LOG_ERROR},
        {"ERROR something broke", TUI_LOG_ERROR},
        {"[error] x", TUI_LOG_ERROR},
        {"  fatal: out of memory", TUI_LOG_ERROR},
        {"the encoder failed at frame 3", TUI_LOG_ERROR},
        {"codecbench: cannot read result.json", TUI_LOG_ERROR},
        {"codecbench: warning: clip is short", TUI_LOG_WARN},
        {"warning: deprecated option", TUI_LOG_WARN},
        {"[WARN] slow disk", TUI_LOG_WARN},
        {"<warning> x", TUI_LOG_WARN},
        {"Warning, using defaults", TUI_LOG_WARN},
        {"this option is deprecated", TUI_LOG_WARN},
        {"debug: lambda 12.5", TUI_LOG_DEBUG},
        {"[debug] qp table", TUI_LOG_DEBUG},
        {"info: starting", TUI_LOG_INFO},
        {"0 errors, all good", TUI_LOG_INFO},
        {"errorless terror", TUI_LOG_INFO},
        {"a warning then an error", TUI_LOG_ERROR},
        {"==1234==ERROR: AddressSanitizer: heap-buffer-overflow", TUI_LOG_ERROR},
        {"", TUI_LOG_INFO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TuiLogLevel got = tui_logbuf_classify(cases[i].text, strlen(cases[i].text));
        if (got != cases[i].level)
            fail_msg("\"%s\": level %d, expected %d", cases[i].text, got, cases[i].level);
    }
    /* the explicit level wins over the words */
    TuiLogBuf *b = new_buf(100, 1 << 20);
    add(b, 1, TUI_LOG_INFO, "error: but said to be information");
    add(b, 1, TUI_LOG_AUTO, "warning: auto");
    TuiLogLine l;
    assert_int_equal(tui_logbuf_get(b, 0, &l), 0);
    assert_int_equal(l.level, TUI_LOG_INFO);
    assert_int_equal(tui_logbuf_get(b, 1, &l), 0);
    assert_int_equal(l.level, TUI_LOG_WARN);
    assert_int_equal(tui_logbuf_warnings(b), 1);
    tui_logbuf_free(&b);
}

static void test_search(void **state)
{
    (void)state;
    TuiLogBuf *b = new_buf(100, 1 << 20);
    add(b, 1, TUI_LOG_INFO, "zero");
    add(b, 1, TUI_LOG_INFO, "The Needle one");
    add(b, 1, TUI_LOG_INFO, "two");
    add(b, 1, TUI_LOG_INFO, "needle three");
    add(b, 1, TUI_LOG_INFO, "four \x1b[1m");
    int wrapped = -1;
    assert_int_equal(tui_logbuf_search(b, 0, 0, "NEEDLE", &wrapped), 1);
    assert_int_equal(wrapped, 0);
    assert_int_equal(tui_logbuf_search(b, 1, 0, "needle", &wrapped), 3);
    assert_int_equal(wrapped, 0);
    /* forward past the end wraps to the start */
    assert_int_equal(tui_logbuf_search(b, 3, 0, "needle", &wrapped), 1);
    assert_int_equal(wrapped, 1);
    /* backward */
    assert_int_equal(tui_logbuf_search(b, 3, 1, "needle", &wrapped), 1);
    assert_int_equal(wrapped, 0);
    assert_int_equal(tui_logbuf_search(b, 1, 1, "needle", &wrapped), 3);
    assert_int_equal(wrapped, 1);
    /* the only match is the line itself: found last, after wrapping */
    assert_int_equal(tui_logbuf_search(b, 2, 0, "two", &wrapped), 2);
    assert_int_equal(wrapped, 1);
    /* escapes are searched as shown */
    assert_int_equal(tui_logbuf_search(b, 0, 0, "^[[1m", NULL), 4);
    assert_int_equal(tui_logbuf_search(b, 0, 0, "absent", &wrapped), -1);
    assert_int_equal(tui_logbuf_search(b, 0, 0, "", NULL), -1);
    /* from past the end: forward starts at the first line (wrapped), backward at the last */
    assert_int_equal(tui_logbuf_search(b, 99, 0, "needle", &wrapped), 1);
    assert_int_equal(wrapped, 1);
    assert_int_equal(tui_logbuf_search(b, 99, 1, "needle", &wrapped), 3);
    assert_int_equal(wrapped, 0);
    /* in a line */
    assert_int_equal(tui_log_find("aXbxc", 5, 0, "x", 1), 1);
    assert_int_equal(tui_log_find("aXbxc", 5, 2, "x", 1), 3);
    assert_int_equal(tui_log_find("aXbxc", 5, 4, "x", 1), -1);
    assert_int_equal(tui_log_find("ab", 2, 0, "abc", 3), -1);
    tui_logbuf_free(&b);
    /* search after lines were dropped */
    b = new_buf(16, 1 << 20);
    char s[32];
    for (int i = 0; i < 40; i++) {
        snprintf(s, sizeof s, "line %d%s", i, i == 30 ? " mark" : "");
        add(b, 1, TUI_LOG_INFO, s);
    }
    assert_int_equal(tui_logbuf_search(b, 3, 0, "mark", &wrapped), 30);
    assert_int_equal(wrapped, 0);
    assert_int_equal(tui_logbuf_search(b, 3, 1, "mark", &wrapped), 30);
    assert_int_equal(wrapped, 1);
    tui_logbuf_free(&b);
}

/* The reference search: line by line in the order the contract states. */
static int64_t naive_search(const TuiLogBuf *b, uint64_t from, int backward, const char *needle,
                            int *wrapped)
{
    uint64_t first = tui_logbuf_first(b), end = tui_logbuf_end(b);
    int64_t cnt = (int64_t)(end - first);
    int64_t i0 = from < first ? -1 : (int64_t)(from - first);
    if (i0 > cnt)
        i0 = cnt;
    int wrap_all = 0;
    if (backward && i0 < 0)
        i0 = cnt, wrap_all = 1;
    else if (!backward && i0 >= cnt)
        i0 = -1, wrap_all = 1;
    for (int64_t k = 1; k <= cnt; k++) {
        int64_t i = backward ? i0 - k : i0 + k;
        int wrap = wrap_all || i < 0 || i >= cnt;
        i = ((i % cnt) + cnt) % cnt;
        TuiLogLine l;
        assert_int_equal(tui_logbuf_get(b, first + (uint64_t)i, &l), 0);
        if (strcasestr(l.text, needle)) {
            *wrapped = wrap;
            return (int64_t)first + i;
        }
    }
    *wrapped = 0;
    return -1;
}

/* Search scans each block's lines as one piece of text: compared with the
 * line-by-line reference on random lines (long ones crossing blocks, lines
 * dropped by both caps), random needles, directions and starting lines. */
static void test_search_matches_reference(void **state)
{
    (void)state;
    srand(12345);
    for (int round = 0; round < 6; round++) {
        TuiLogBuf *b = new_buf(round % 2 ? 300 : 5000, 1 << 20);
        char *line = malloc(12000);
        assert_non_null(line);
        int lines = 200 + rand() % 2000;
        for (int n = 0; n < lines; n++) {
            int len = rand() % 8 == 0 ? rand() % 11000 : rand() % 120;
            for (int i = 0; i < len; i++) {
                static const char alpha[] = "abcABC xyz\x1b\xc3\xa9";
                line[i] = alpha[rand() % (int)(sizeof alpha - 1)];
            }
            assert_int_equal(tui_logbuf_add(b, 1, TUI_LOG_INFO, line, (size_t)len, 0), 0);
        }
        free(line);
        static const char *const needles[] = {"a", "Ab", "cab", "xyzx", "^[a", "bbbbbb", "C x",
                                              "\xc3\xa9" "A", "q", "[line cut"};
        uint64_t first = tui_logbuf_first(b), end = tui_logbuf_end(b);
        for (int q = 0; q < 300; q++) {
            const char *nd = needles[rand() % (int)(sizeof needles / sizeof needles[0])];
            uint64_t from = first + (uint64_t)(rand() % (int)(end - first + 4));
            if (q % 50 == 0)
                from = first ? first - 1 : 0;
            int back = rand() % 2, w1 = -1, w2 = -1;
            int64_t got = tui_logbuf_search(b, from, back, nd, &w1);
            int64_t want = naive_search(b, from, back, nd, &w2);
            if (got != want || (want >= 0 && w1 != w2))
                fail_msg("round %d: \"%s\" from %llu %s: got %lld (wrapped %d), want %lld (%d)",
                         round, nd, (unsigned long long)from, back ? "up" : "down",
                         (long long)got, w1, (long long)want, w2);
        }
        tui_logbuf_free(&b);
    }
}

static void test_error_navigation(void **state)
{
    (void)state;
    TuiLogBuf *b = new_buf(100, 1 << 20);
    add(b, 1, TUI_LOG_INFO, "a");      /* 0 */
    add(b, 1, TUI_LOG_ERROR, "e1");    /* 1 */
    add(b, 1, TUI_LOG_WARN, "w");      /* 2 */
    add(b, 1, TUI_LOG_INFO, "b");      /* 3 */
    add(b, 1, TUI_LOG_ERROR, "e2");    /* 4 */
    add(b, 1, TUI_LOG_DEBUG, "d");     /* 5 */
    assert_int_equal(tui_logbuf_next_level(b, 0, 0, TUI_LOG_ERROR), 1);
    assert_int_equal(tui_logbuf_next_level(b, 1, 0, TUI_LOG_ERROR), 4);
    assert_int_equal(tui_logbuf_next_level(b, 4, 0, TUI_LOG_ERROR), -1);
    assert_int_equal(tui_logbuf_next_level(b, 5, 1, TUI_LOG_ERROR), 4);
    assert_int_equal(tui_logbuf_next_level(b, 4, 1, TUI_LOG_ERROR), 1);
    assert_int_equal(tui_logbuf_next_level(b, 1, 1, TUI_LOG_ERROR), -1);
    assert_int_equal(tui_logbuf_next_level(b, 1, 0, TUI_LOG_WARN), 2);
    assert_int_equal(tui_logbuf_next_level(b, 100, 1, TUI_LOG_ERROR), 4);
    assert_int_equal(tui_logbuf_next_level(b, 0, 0, TUI_LOG_DEBUG), 1);
    assert_int_equal(tui_logbuf_errors(b), 2);
    assert_int_equal(tui_logbuf_warnings(b), 1);
    tui_logbuf_free(&b);
}

/* ---- following a run ------------------------------------------------------- */

static void test_run_events_and_log(void **state)
{
    (void)state;
    char *dir = run_dir("run1");
    TuiLogBuf *b = new_buf(1000, 1 << 20);
    TuiLogRun *r = NULL;
    CbError err = {0};
    assert_int_equal(tui_logrun_open(&r, dir, 5, -1, &err), 0);
    assert_int_equal(tui_logrun_id(r), 5);
    /* nothing there yet */
    assert_int_equal(tui_logrun_read(r, b, 1 << 20, NULL, &err), 0);
    assert_int_equal(tui_logbuf_count(b), 0);
    append(dir, "events.jsonl",
           "{\"t\":1.0,\"event\":\"start\",\"points\":4,\"frames\":30}\n"
           "{\"t\":1.1,\"event\":\"progress\",\"point\":0,\"rate\":22,\"frame\":1,\"frames\":30}\n"
           "{\"t\":1.2,\"event\":\"log\",\"level\":\"warning\",\"text\":\"clip is \\u001b[31mshort\"}\n"
           "{\"t\":1.3,\"event\":\"point\",\"point\":0,\"rate\":22,\"bytes\":96836,\"kbps\":774.7}\n"
           "not json at all\n"
           "{\"t\":1.4,\"event\":\"error\",\"stage\":\"worker\",\"text\":\"cannot decode frame 7\"}\n");
    append(dir, "log.txt",
           "codecbench: warning: clip is ^[[31mshort\n"
           "[libx264 @ 0x55] using cpu capabilities\n"
           "codecbench: cannot decode frame 7\n"
           "partial");
    read_all(r, b);
    assert_true(has_line(b, "worker started: 4 rate points, 30 frames"));
    assert_false(has_line(b, "encoding point")); /* progress is not a log line */
    assert_true(has_line(b, "point 1 (22) encoded: 96836 bytes"));
    assert_true(has_line(b, "(not an event) not json at all"));
    assert_true(has_line(b, "using cpu capabilities"));
    /* written to both files, shown once */
    assert_int_equal(lines_with(b, "short"), 1);
    assert_int_equal(lines_with(b, "cannot decode frame 7"), 1);
    assert_int_equal(tui_logbuf_errors(b), 1);
    assert_int_equal(tui_logbuf_warnings(b), 2); /* the warning, the damaged line */
    assert_true(has_line(b, "warning: clip is ^[[31mshort"));
    /* the partial line waits for its newline... */
    assert_false(has_line(b, "partial"));
    append(dir, "log.txt", " line\n");
    read_all(r, b);
    assert_true(has_line(b, "partial line"));
    /* ...or for the run to end */
    append(dir, "log.txt", "no newline at the end");
    read_all(r, b);
    assert_false(has_line(b, "no newline at the end"));
    assert_int_equal(tui_logrun_flush(r, b), 0);
    assert_true(has_line(b, "no newline at the end"));
    TuiLogLine l;
    assert_int_equal(tui_logbuf_get(b, tui_logbuf_end(b) - 1, &l), 0);
    assert_int_equal(l.run_id, 5);
    tui_logrun_close(&r);
    assert_null(r);
    tui_logrun_close(&r);
    tui_logbuf_free(&b);
}

static void test_run_truncated_and_replaced(void **state)
{
    (void)state;
    char *dir = run_dir("run2");
    char path[600];
    snprintf(path, sizeof path, "%s/log.txt", dir);
    TuiLogBuf *b = new_buf(1000, 1 << 20);
    TuiLogRun *r = NULL;
    CbError err = {0};
    assert_int_equal(tui_logrun_open(&r, dir, 2, -1, &err), 0);
    append(dir, "log.txt", "first one\nfirst two\n");
    read_all(r, b);
    assert_int_equal(tui_logbuf_count(b), 2);
    assert_int_equal(truncate(path, 0), 0);
    append(dir, "log.txt", "after truncation\n");
    read_all(r, b);
    assert_true(has_line(b, "shrank"));
    assert_true(has_line(b, "after truncation"));
    /* replaced by rename: the new file is read from its start */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/log.new", dir);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs("a new file with a longer first line than before\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
    read_all(r, b);
    assert_true(has_line(b, "was replaced"));
    assert_true(has_line(b, "a new file with a longer first line"));
    tui_logrun_close(&r);
    tui_logbuf_free(&b);
}

static void test_run_huge_lines_and_tail(void **state)
{
    (void)state;
    char *dir = run_dir("run3");
    char path[600];
    snprintf(path, sizeof path, "%s/log.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* a line of 200 KiB, then 20 MiB of numbered lines */
    for (int i = 0; i < 200 * 1024; i++)
        fputc('z', f);
    fputc('\n', f);
    int last = 0;
    for (long bytes = 0; bytes < (20L << 20); last++)
        bytes += fprintf(f, "line %08d of a big log %0180d\n", last, last);
    assert_int_equal(fclose(f), 0);
    TuiLogBuf *b = new_buf(TUI_LOGBUF_MAX_LINES, TUI_LOGBUF_MAX_BYTES);
    TuiLogRun *r = NULL;
    CbError err = {0};
    assert_int_equal(tui_logrun_open(&r, dir, 3, -1, &err), 0);
    /* each call reads at most its budget and says more is waiting */
    size_t used = 0;
    assert_int_equal(tui_logrun_read(r, b, 256 << 10, &used, &err), 1);
    assert_true(used <= 256 << 10);
    assert_true(used > 0);
    read_all(r, b);
    /* only the last 16 MiB were read, and a line says so */
    assert_int_equal(tui_logbuf_first(b), 0); /* nothing dropped: the note is line 0 */
    assert_non_null(strstr(text_of(b, 0), "MiB of log.txt are not shown"));
    assert_false(has_line(b, "zzzz"));
    char want[32];
    snprintf(want, sizeof want, "line %08d ", last - 1);
    assert_true(has_line(b, want));
    /* the first line shown after the note is whole, not the rest of a cut one */
    TuiLogLine l;
    assert_int_equal(tui_logbuf_get(b, 1, &l), 0);
    assert_memory_equal(l.text, "line ", 5);
    tui_logrun_close(&r);

    /* a 200 KiB line read in full: cut with its length said */
    char *dir2 = run_dir("run3b");
    snprintf(path, sizeof path, "%s/log.txt", dir2);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200 * 1024; i++)
        fputc(i % 1000 == 0 ? 0x1b : 'q', f);
    fputs("\nnext\n", f);
    assert_int_equal(fclose(f), 0);
    tui_logbuf_clear(b);
    assert_int_equal(tui_logrun_open(&r, dir2, 4, -1, &err), 0);
    read_all(r, b);
    assert_int_equal(tui_logbuf_count(b), 2);
    assert_int_equal(tui_logbuf_get(b, 0, &l), 0);
    assert_non_null(strstr(l.text, "[line cut: 204800 bytes]"));
    assert_null(strchr(l.text, 0x1b));
    assert_string_equal(text_of(b, 1), "next");
    tui_logrun_close(&r);
    tui_logbuf_free(&b);
}

/* A log.txt that is not a regular file (a FIFO, a link to a device) is
 * reported, not read (a FIFO would block, /dev/zero never ends). */
static void test_run_not_a_regular_file(void **state)
{
    (void)state;
    char *dir = run_dir("notreg");
    char path[600];
    snprintf(path, sizeof path, "%s/log.txt", dir);
    assert_int_equal(symlink("/dev/zero", path), 0);
    TuiLogBuf *b = new_buf(100, 1 << 20);
    TuiLogRun *r = NULL;
    CbError err = {0};
    assert_int_equal(tui_logrun_open(&r, dir, 8, -1, &err), 0);
    size_t used = 1;
    assert_int_equal(tui_logrun_read(r, b, 1 << 20, &used, &err), CB_EIO);
    assert_non_null(strstr(err.text, "not a regular file"));
    assert_int_equal(used, 0);
    assert_int_equal(tui_logbuf_count(b), 0);
    /* the events are read all the same */
    append(dir, "events.jsonl", "{\"t\":1.0,\"event\":\"done\"}\n");
    assert_int_equal(tui_logrun_read(r, b, 1 << 20, &used, &err), CB_EIO);
    assert_true(has_line(b, "worker done"));
    tui_logrun_close(&r);
    tui_logbuf_free(&b);
}

/* A queued run's folder does not exist yet: it is watched once it appears. */
static void test_run_dir_appears_later(void **state)
{
    (void)state;
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino < 0)
        skip();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/later", tmpdir);
    TuiLogBuf *b = new_buf(100, 1 << 20);
    TuiLogRun *r = NULL;
    CbError err = {0};
    assert_int_equal(tui_logrun_open(&r, dir, 6, ino, &err), 0);
    assert_int_equal(tui_logrun_read(r, b, 1 << 20, NULL, &err), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(tui_logrun_read(r, b, 1 << 20, NULL, &err), 0); /* now watched */
    append(dir, "log.txt", "hello from the worker\n");
    struct pollfd p = {ino, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 2000), 1);
    read_all(r, b);
    assert_true(has_line(b, "hello from the worker"));
    tui_logrun_close(&r);
    close(ino);
    tui_logbuf_free(&b);
}

/* A writer appending 10,000 lines per second (100 every 10 ms) for 2 s to
 * a followed log.txt, and events to events.jsonl; the reader waits on
 * inotify like the dashboard, reading at most 1 MiB per wake-up.  It must
 * keep up: every line arrives, in order, and no read takes long. */
static void test_flood_10k_lines_per_second(void **state)
{
    (void)state;
    char *dir = run_dir("flood");
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino < 0)
        skip();
    TuiLogBuf *b = new_buf(TUI_LOGBUF_MAX_LINES, TUI_LOGBUF_MAX_BYTES);
    TuiLogRun *r = NULL;
    CbError err = {0};
    assert_int_equal(tui_logrun_open(&r, dir, 9, ino, &err), 0);
    enum { BATCHES = 200, PER_BATCH = 100 };
    char dirc[512];
    snprintf(dirc, sizeof dirc, "%s", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char path[600];
        snprintf(path, sizeof path, "%s/log.txt", dirc);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd < 0)
            _exit(1);
        char buf[PER_BATCH * 100];
        for (int k = 0; k < BATCHES; k++) {
            size_t n = 0;
            for (int i = 0; i < PER_BATCH; i++)
                n += (size_t)snprintf(buf + n, sizeof buf - n,
                                      "frame %06d: 4211 bytes, PSNR-Y 38.21 dB, \x1b[32mok\x1b[0m\n",
                                      k * PER_BATCH + i);
            if (write(fd, buf, n) != (ssize_t)n)
                _exit(2);
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        close(fd);
        _exit(0);
    }
    double worst = 0, start = now_s();
    int status = -1, writer_done = 0;
    while (now_s() - start < 30) {
        struct pollfd p = {ino, POLLIN, 0};
        poll(&p, 1, 250); /* the dashboard's timer */
        char drain[4096];
        while (read(ino, drain, sizeof drain) > 0)
            ;
        double t0 = now_s();
        int rc = tui_logrun_read(r, b, 1 << 20, NULL, &err);
        double dt = now_s() - t0;
        assert_true(rc >= 0);
        if (dt > worst)
            worst = dt;
        if (!writer_done && waitpid(pid, &status, WNOHANG) == pid)
            writer_done = 1;
        else if (writer_done && rc == 0)
            break;
    }
    assert_true(writer_done);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    double took = now_s() - start;
    assert_int_equal(tui_logbuf_count(b), BATCHES * PER_BATCH);
    char want[32];
    for (int i = 0; i < BATCHES * PER_BATCH; i += 997) {
        snprintf(want, sizeof want, "frame %06d:", i);
        assert_memory_equal(text_of(b, (uint64_t)i), want, strlen(want));
    }
    assert_non_null(strstr(text_of(b, 0), "^[[32mok^[[0m"));
    /* kept up: done within a second of the writer (2 s of writing), and no read
     * blocked the loop (a budget of 1 MiB is a few ms; 100 ms allows for a
     * loaded machine and sanitizers) */
    assert_true(took < 3.5);
    assert_true(worst < 0.1);
    tui_logrun_close(&r);
    close(ino);
    tui_logbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_get),
        cmocka_unit_test(test_bad_caps),
        cmocka_unit_test(test_sanitised_once),
        cmocka_unit_test(test_long_lines_cut),
        cmocka_unit_test(test_line_cap_drops_oldest),
        cmocka_unit_test(test_byte_cap_drops_oldest),
        cmocka_unit_test(test_many_lines_fast),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_search_matches_reference),
        cmocka_unit_test(test_error_navigation),
        cmocka_unit_test(test_run_events_and_log),
        cmocka_unit_test(test_run_truncated_and_replaced),
        cmocka_unit_test(test_run_huge_lines_and_tail),
        cmocka_unit_test(test_run_not_a_regular_file),
        cmocka_unit_test(test_run_dir_appears_later),
        cmocka_unit_test(test_flood_10k_lines_per_second),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}

/* Unit tests of util/: errors, bounded buffers, frames, the sanitiser,
 * files and paths, JSON files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/buf.h"
#include "codecbench/error.h"
#include "codecbench/frame.h"
#include "codecbench/fsutil.h"
#include "codecbench/jsonfile.h"
#include "codecbench/sanitize.h"

static void test_error_set_and_prefix(void **state)
{
    (void)state;
    CbError err;
    cb_error_clear(&err);
    assert_int_equal(err.code, 0);
    assert_int_equal(cb_error_set(&err, CB_EFORMAT, "frame %d: bad", 3), CB_EFORMAT);
    assert_string_equal(err.text, "frame 3: bad");
    assert_int_equal(cb_error_prefix(&err, "%s", "a.mp4"), CB_EFORMAT);
    assert_string_equal(err.text, "a.mp4: frame 3: bad");
    /* NULL error pointers are allowed everywhere. */
    assert_int_equal(cb_error_set(NULL, CB_EIO, "x"), CB_EIO);
    assert_string_equal(cb_strerror(CB_ELIMIT), "limit exceeded");
    assert_string_equal(cb_strerror(12345), "unknown error");
}

static void test_error_truncation_is_marked(void **state)
{
    (void)state;
    CbError err;
    char longtext[3000];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    cb_error_set(&err, CB_EINVAL, "%s", longtext);
    size_t n = strlen(err.text);
    assert_int_equal(n, CB_ERROR_TEXT_MAX - 1);
    assert_string_equal(err.text + n - 3, "...");
}

static void test_buf_cap(void **state)
{
    (void)state;
    CbBuf b;
    cb_buf_init(&b, 10);
    assert_int_equal(cb_buf_puts(&b, "hello"), 0);
    assert_int_equal(cb_buf_printf(&b, "%d", 1234), 0);
    assert_string_equal(b.data, "hello1234");
    /* Two more bytes would pass the cap: refused whole, buffer unchanged. */
    assert_int_equal(cb_buf_puts(&b, "ab"), CB_ELIMIT);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(cb_buf_puts(&b, "a"), 0);
    assert_int_equal(b.len, 10);
    char *s = cb_buf_steal(&b);
    assert_string_equal(s, "hello1234a");
    free(s);
    assert_null(b.data);
    cb_buf_free(&b);
}

static void test_buf_read_file_errors(void **state)
{
    (void)state;
    CbBuf b;
    CbError err;
    cb_buf_init(&b, 4);
    assert_int_equal(cb_buf_read_file(&b, "/nonexistent/cb-file", &err), CB_EIO);
    assert_non_null(strstr(err.text, "/nonexistent/cb-file"));
    assert_non_null(strstr(err.text, "No such file"));
    /* /proc/self/status is longer than 4 bytes. */
    assert_int_equal(cb_buf_read_file(&b, "/proc/self/status", &err), CB_ELIMIT);
    assert_non_null(strstr(err.text, "larger than 4 bytes"));
    cb_buf_free(&b);
}

static void test_frame_layout(void **state)
{
    (void)state;
    CbFrame f = {0};
    assert_int_equal(cb_frame_alloc(&f, 0, 10), CB_EINVAL);
    assert_int_equal(cb_frame_alloc(&f, CB_FRAME_MAX_DIM + 1, 10), CB_EINVAL);
    assert_int_equal(cb_frame_alloc(&f, 175, 143), 0);
    assert_int_equal(cb_plane_width(175, 1), 88);
    assert_int_equal(cb_plane_height(143, 2), 72);
    for (int p = 0; p < 3; p++) {
        assert_int_equal((uintptr_t)f.data[p] % CB_FRAME_ALIGN, 0);
        assert_int_equal(f.stride[p] % CB_FRAME_ALIGN, 0);
        assert_true(f.stride[p] >= cb_plane_width(175, p));
        /* Every visible byte is writable (ASan would object otherwise). */
        memset(f.data[p] + (cb_plane_height(143, p) - 1) * f.stride[p], 7,
               (size_t)cb_plane_width(175, p));
    }
    CbFrame g = {0};
    assert_int_equal(cb_frame_alloc(&g, 175, 143), 0);
    f.data[2][f.stride[2] * 71 + 87] = 99;
    cb_frame_copy(&g, &f);
    assert_int_equal(g.data[2][g.stride[2] * 71 + 87], 99);
    cb_frame_free(&f);
    cb_frame_free(&g);
    assert_null(f.buf);
    cb_frame_free(NULL);
}

static void check_sanitized(const char *in, size_t n, unsigned flags, const char *want)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    assert_int_equal(cb_sanitize_append(&b, in, n, flags), 0);
    assert_string_equal(b.data ? b.data : "", want);
    cb_buf_free(&b);
}

/* Literal strings: their length includes embedded NULs. */
#define CHECK_SAN(lit, flags, want) check_sanitized(lit, sizeof(lit) - 1, flags, want)

static void test_sanitize_controls(void **state)
{
    (void)state;
    /* An escape sequence that would clear the screen and set the title. */
    CHECK_SAN("a\x1b[2Jb\x1b]0;pwned\x07", 0, "a^[[2Jb^[]0;pwned^G");
    CHECK_SAN("tab\there", 0, "tab here");
    CHECK_SAN("two\nlines\r", 0, "two^Jlines^M");
    CHECK_SAN("two\nlines", CB_SANITIZE_NEWLINES, "two\nlines");
    CHECK_SAN("nul\0in", 0, "nul^@in");
    CHECK_SAN("del\x7f", 0, "del^?");
    /* 8-bit CSI as UTF-8 (U+009B) and as a raw byte. */
    CHECK_SAN("x\xc2\x9b" "2J", 0, "x<U+009B>2J");
    CHECK_SAN("x\x9b" "2J", 0, "x<9B>2J");
    /* Right-to-left override used to disguise text. */
    CHECK_SAN("abc\xe2\x80\xae" "fdp.exe", 0, "abc<U+202E>fdp.exe");
}

static void test_sanitize_utf8(void **state)
{
    (void)state;
    CHECK_SAN("caf\xc3\xa9 \xe2\x9c\x93", 0, "caf\xc3\xa9 \xe2\x9c\x93");
    CHECK_SAN("caf\xc3\xa9", CB_SANITIZE_ASCII, "caf?");
    /* Overlong '/', a surrogate, past U+10FFFF, and a cut sequence. */
    CHECK_SAN("\xc0\xaf", 0, "<C0><AF>");
    CHECK_SAN("\xed\xa0\x80", 0, "<ED><A0><80>");
    CHECK_SAN("\xf4\x90\x80\x80", 0, "<F4><90><80><80>");
    CHECK_SAN("ok\xe2\x9c", 0, "ok<E2><9C>");
    char *d = cb_sanitize_dup("\x1b[31mred", 0);
    assert_string_equal(d, "^[[31mred");
    free(d);
}

/* Every byte string sanitises to printable ASCII or valid UTF-8 with no
 * control characters at all: checked on random bytes. */
static void test_utf8_whole_prefix(void **state)
{
    (void)state;
    /* "a" + U+00E9 (C3 A9) + U+20AC (E2 82 AC) + U+1F600 (F0 9F 98 80):
     * 1 + 2 + 3 + 4 = 10 bytes; cut at every length, the whole prefix is the
     * last character boundary at or before the cut. */
    const char s[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    static const size_t expect[11] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
    for (size_t n = 0; n <= 10; n++)
        assert_int_equal(cb_utf8_whole_prefix(s, n), expect[n]);
    /* Invalid bytes count as whole: a lone continuation byte, a stray C0. */
    assert_int_equal(cb_utf8_whole_prefix("ab\x80", 3), 3);
    assert_int_equal(cb_utf8_whole_prefix("ab\xC0", 3), 2);
    assert_int_equal(cb_utf8_whole_prefix("\x80\x80\x80\x80\x80", 5), 5);
}

static void test_sanitize_random_is_inert(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int iter = 0; iter < 2000; iter++) {
        char in[64];
        for (size_t i = 0; i < sizeof in; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (char)(seed >> 16);
        }
        CbBuf b;
        cb_buf_init(&b, 4096);
        assert_int_equal(cb_sanitize_append(&b, in, sizeof in, 0), 0);
        for (size_t i = 0; i < b.len; i++) {
            unsigned char c = (unsigned char)b.data[i];
            assert_true(c >= 0x20 && c != 0x7f);
            /* C1 controls would appear as C2 80..9F. */
            if (c == 0xc2 && i + 1 < b.len)
                assert_false((unsigned char)b.data[i + 1] < 0xa0);
        }
        cb_buf_free(&b);
    }
}

/* ---- files and paths ------------------------------------------------------- */

/* A fresh directory under $TMPDIR (or /tmp), removed by rm_tree. */
static char *make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = cb_path_join(base && *base ? base : "/tmp", "cb-util-XXXXXX");
    assert_non_null(tmpl);
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

static void rm_tree(const char *dir, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *p = cb_path_join(dir, names[i]);
        assert_non_null(p);
        if (unlink(p) != 0)
            rmdir(p);
        free(p);
    }
    assert_int_equal(rmdir(dir), 0);
}

static int exists(const char *dir, const char *name)
{
    char *p = cb_path_join(dir, name);
    assert_non_null(p);
    struct stat sb;
    int r = lstat(p, &sb) == 0;
    free(p);
    return r;
}

static void test_path_join(void **state)
{
    (void)state;
    char *p = cb_path_join("/store/runs", "000042");
    assert_string_equal(p, "/store/runs/000042");
    free(p);
    p = cb_path_join("", "x");
    assert_string_equal(p, "/x");
    free(p);
    p = cb_path_join("rel", "");
    assert_string_equal(p, "rel/");
    free(p);
}

static void test_file_write_atomic_and_read(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = cb_path_join(dir, "f.json");
    char *tmp = cb_path_join(dir, "f.json.tmp");
    CbError err;
    cb_error_clear(&err);
    /* Bytes with a NUL inside come back as written, NUL-terminated. */
    static const char bin[] = {'a', '\0', 'b', '\n'};
    assert_int_equal(cb_file_write_atomic(path, bin, sizeof bin, &err), 0);
    char *text;
    size_t len;
    assert_int_equal(cb_file_read(path, 4, &text, &len, &err), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(text, bin, 4);
    assert_int_equal(text[4], '\0');
    free(text);
    /* A stale temporary file from a crash is replaced, then renamed away. */
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs("stale stale stale", fp);
    fclose(fp);
    assert_int_equal(cb_file_write_text(path, "{}", &err), 0);
    assert_false(exists(dir, "f.json.tmp"));
    assert_int_equal(cb_file_read(path, 100, &text, &len, &err), 0);
    assert_string_equal(text, "{}\n");
    assert_int_equal(len, 3);
    free(text);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    /* One byte over the cap is refused, naming the file and the cap. */
    assert_int_equal(cb_file_read(path, 2, &text, &len, &err), CB_ELIMIT);
    assert_null(text);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.text, "f.json"));
    assert_non_null(strstr(err.text, "more than the 2"));
    /* An empty file reads as "". */
    assert_int_equal(cb_file_write_atomic(path, "", 0, &err), 0);
    assert_int_equal(cb_file_read(path, 0, &text, &len, &err), 0);
    assert_string_equal(text, "");
    assert_int_equal(len, 0);
    free(text);
    assert_int_equal(cb_dir_sync(dir, &err), 0);
    static const char *const names[] = {"f.json"};
    rm_tree(dir, names, 1);
    free(tmp);
    free(path);
    free(dir);
}

/* Failures name the file and the reason, and leave no temporary file. */
static void test_file_write_atomic_failures(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    CbError err;
    /* A directory that does not exist: the temporary file cannot be made. */
    char *nodir = cb_path_join(dir, "nodir");
    char *path = cb_path_join(nodir, "result.json");
    assert_int_equal(cb_file_write_atomic(path, "x", 1, &err), CB_EIO);
    assert_int_equal(err.code, CB_EIO);
    assert_non_null(strstr(err.text, "nodir/result.json.tmp: No such file"));
    assert_false(exists(dir, "nodir"));
    assert_int_equal(cb_dir_sync(nodir, &err), CB_EIO);
    assert_non_null(strstr(err.text, "nodir: fsync: No such file"));
    free(path);
    free(nodir);
    /* The target is a directory that is not empty: the rename fails, the
     * temporary file written so far is removed, the directory stays. */
    char *busy = cb_path_join(dir, "busy");
    assert_int_equal(mkdir(busy, 0755), 0);
    char *inside = cb_path_join(busy, "keep");
    assert_int_equal(cb_file_write_atomic(inside, "k", 1, &err), 0);
    assert_int_equal(cb_file_write_text(busy, "{\"a\": 1}", &err), CB_EIO);
    assert_non_null(strstr(err.text, "busy: rename: "));
    assert_false(exists(dir, "busy.tmp"));
    struct stat sb;
    assert_int_equal(stat(busy, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(unlink(inside), 0);
    free(inside);
    free(busy);
    static const char *const names[] = {"busy"};
    rm_tree(dir, names, 1);
    free(dir);
}

static void test_file_read_refusals(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    CbError err;
    char *text = (char *)1;
    size_t len = 7;
    char *missing = cb_path_join(dir, "missing.json");
    assert_int_equal(cb_file_read(missing, 100, &text, &len, &err), CB_ENOENT);
    assert_null(text);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.text, "missing.json: No such file"));
    free(missing);
    /* A directory is not read. */
    assert_int_equal(cb_file_read(dir, 100, &text, &len, &err), CB_EIO);
    assert_non_null(strstr(err.text, "not a regular file"));
    /* A FIFO is refused at once, not waited on for a writer. */
    char *fifo = cb_path_join(dir, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(cb_file_read(fifo, 100, &text, &len, &err), CB_EIO);
    assert_non_null(strstr(err.text, "fifo: not a regular file"));
    free(fifo);
    /* /proc files say size 0 and hold more: the cap holds while reading,
     * and a large enough cap reads them whole. */
    assert_int_equal(cb_file_read("/proc/self/status", 8, &text, &len, &err), CB_ELIMIT);
    assert_non_null(strstr(err.text, "more than the 8 bytes accepted"));
    assert_int_equal(cb_file_read("/proc/self/status", 1 << 20, &text, &len, &err), 0);
    assert_true(len > 8);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "Name:"));
    free(text);
    static const char *const names[] = {"fifo"};
    rm_tree(dir, names, 1);
    free(dir);
}

static void test_json_file(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = cb_path_join(dir, "doc.json");
    CbError err;
    json_t *j = json_pack("{si ss}", "format", 1, "name", "x");
    assert_int_equal(cb_json_write_file(path, j, JSON_COMPACT | JSON_PRESERVE_ORDER, &err), 0);
    json_decref(j);
    char *text;
    size_t len;
    assert_int_equal(cb_file_read(path, 100, &text, &len, &err), 0);
    assert_string_equal(text, "{\"format\":1,\"name\":\"x\"}\n");
    free(text);
    assert_int_equal(cb_json_read_object(path, 100, &j, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "format")), 1);
    json_decref(j);
    /* Refusals name the file and the reason. */
    static const struct {
        const char *text;
        const char *why;
    } bad[] = {
        {"{\"a\": 1, \"a\": 2}", "not valid JSON: line 1"},
        {"[1, 2]", "doc.json: not a JSON object"},
        {"{\"a\": ", "doc.json: not valid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cb_file_write_atomic(path, bad[i].text, strlen(bad[i].text), &err), 0);
        j = (json_t *)1;
        assert_int_equal(cb_json_read_object(path, 100, &j, &err), CB_EFORMAT);
        assert_null(j);
        if (!strstr(err.text, bad[i].why))
            fail_msg("case %zu: \"%s\" does not hold \"%s\"", i, err.text, bad[i].why);
    }
    assert_int_equal(cb_json_read_object(path, 3, &j, &err), CB_ELIMIT);
    static const char *const names[] = {"doc.json"};
    rm_tree(dir, names, 1);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_and_prefix),
        cmocka_unit_test(test_error_truncation_is_marked),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_read_file_errors),
        cmocka_unit_test(test_frame_layout),
        cmocka_unit_test(test_sanitize_controls),
        cmocka_unit_test(test_sanitize_utf8),
        cmocka_unit_test(test_sanitize_random_is_inert),
        cmocka_unit_test(test_path_join),
        cmocka_unit_test(test_file_write_atomic_and_read),
        cmocka_unit_test(test_file_write_atomic_failures),
        cmocka_unit_test(test_file_read_refusals),
        cmocka_unit_test(test_json_file),
        cmocka_unit_test(test_utf8_whole_prefix),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}

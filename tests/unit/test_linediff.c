/* Unit tests of the line diff (src/util/linediff.c) against the diff
 * program (GNU diffutils): `diff -a -U N A B` minus its two file header
 * lines must equal cb_line_diff's text byte for byte, on hand-made texts
 * and on random ones (small alphabets of lines, so hunks merge and split
 * and many lines repeat), with and without final newlines; plus the counts,
 * the limits, and hand-worked outputs that need no diff program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/buf.h"
#include "codecbench/linediff.h"

static char tmpdir[64];
static int have_diff;

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cblinediff-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    /* The reference: GNU diff, which -U and "\ No newline" come from. */
    FILE *p = popen("diff --version 2>/dev/null", "r");
    if (p) {
        char line[256];
        if (fgets(line, sizeof line, p) && strstr(line, "GNU diffutils"))
            have_diff = 1;
        while (fgets(line, sizeof line, p))
            ;
        pclose(p);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/a", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/b", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return 0;
}

static void write_file(const char *name, const char *s, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* diff -a -U context a b, without the "---" and "+++" lines. */
static void reference_diff(const char *a, size_t alen, const char *b, size_t blen, int context,
                           CbBuf *out)
{
    write_file("a", a, alen);
    write_file("b", b, blen);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "diff -a -U %d %s/a %s/b", context, tmpdir, tmpdir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        assert_int_equal(cb_buf_append(out, chunk, n), 0);
    int st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) <= 1);
    if (out->len == 0)
        return;
    /* Drop the two header lines. */
    for (int k = 0; k < 2; k++) {
        char *nl = memchr(out->data, '\n', out->len);
        assert_non_null(nl);
        size_t drop = (size_t)(nl - out->data) + 1;
        memmove(out->data, out->data + drop, out->len - drop + 1);
        out->len -= drop;
    }
}

/* Counts '+', '-' lines and "@@" headers of a unified text. */
static void count_lines(const char *s, size_t n, CbLineDiffStat *st)
{
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < n;) {
        if (s[i] == '+')
            st->added++;
        else if (s[i] == '-')
            st->removed++;
        else if (s[i] == '@')
            st->hunks++;
        const char *nl = memchr(s + i, '\n', n - i);
        i = nl ? (size_t)(nl - s) + 1 : n;
    }
}

static int check_against_diff(const char *a, size_t alen, const char *b, size_t blen, int context)
{
    CbBuf ours, ref;
    CbLineDiffStat st, want;
    CbError err;
    cb_buf_init(&ours, 1u << 24);
    cb_buf_init(&ref, 1u << 24);
    assert_int_equal(cb_line_diff(a, alen, b, blen, context, &ours, &st, &err), 0);
    reference_diff(a, alen, b, blen, context, &ref);
    int same = ours.len == ref.len && (ours.len == 0 || memcmp(ours.data, ref.data, ours.len) == 0);
    if (!same) {
        print_message(
            "context %d\n--- A ---\n%.*s\n--- B ---\n%.*s\n--- ours ---\n%s--- diff ---\n%s",
            context, (int)alen, a, (int)blen, b, ours.data ? ours.data : "",
            ref.data ? ref.data : "");
    }
    assert_true(same);
    count_lines(ref.data ? ref.data : "", ref.len, &want);
    assert_int_equal(st.added, want.added);
    assert_int_equal(st.removed, want.removed);
    assert_int_equal(st.hunks, want.hunks);
    /* Counts only: the same numbers without an output buffer. */
    CbLineDiffStat st2;
    assert_int_equal(cb_line_diff(a, alen, b, blen, context, NULL, &st2, &err), 0);
    assert_memory_equal(&st, &st2, sizeof st);
    cb_buf_free(&ours);
    cb_buf_free(&ref);
    return same;
}

static void check_str(const char *a, const char *b, int context)
{
    check_against_diff(a, strlen(a), b, strlen(b), context);
}

/* Hand-worked outputs: these need no diff program. */
static void test_hand_worked(void **state)
{
    (void)state;
    CbBuf out;
    CbLineDiffStat st;
    CbError err;
    cb_buf_init(&out, 1 << 16);

    assert_int_equal(cb_line_diff("a\nb\nc\n", 6, "a\nB\nc\n", 6, 3, &out, &st, &err), 0);
    assert_string_equal(out.data, "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    assert_int_equal(st.added, 1);
    assert_int_equal(st.removed, 1);
    assert_int_equal(st.hunks, 1);

    /* Empty against one line: the empty range is "0,0". */
    cb_buf_reset(&out);
    assert_int_equal(cb_line_diff("", 0, "x\n", 2, 3, &out, &st, &err), 0);
    assert_string_equal(out.data, "@@ -0,0 +1 @@\n+x\n");

    /* A final line without newline differs from the same line with one. */
    cb_buf_reset(&out);
    assert_int_equal(cb_line_diff("a", 1, "a\n", 2, 3, &out, &st, &err), 0);
    assert_string_equal(out.data, "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");

    /* Context 0, two separate changes: two hunks. */
    cb_buf_reset(&out);
    assert_int_equal(cb_line_diff("1\n2\n3\n4\n5\n", 10, "1\nX\n3\n4\nY\n", 10, 0, &out, &st, &err),
                     0);
    assert_string_equal(out.data, "@@ -2 +2 @@\n-2\n+X\n@@ -5 +5 @@\n-5\n+Y\n");
    assert_int_equal(st.hunks, 2);

    /* Identical texts: nothing, and counts of zero. */
    cb_buf_reset(&out);
    assert_int_equal(cb_line_diff("same\n", 5, "same\n", 5, 3, &out, &st, &err), 0);
    assert_int_equal(out.len, 0);
    assert_int_equal(st.added + st.removed + st.hunks, 0);

    /* A NUL is an ordinary byte. */
    cb_buf_reset(&out);
    assert_int_equal(cb_line_diff("a\0b\n", 4, "a\0c\n", 4, 1, &out, &st, &err), 0);
    assert_int_equal(out.len, 22);
    assert_memory_equal(out.data, "@@ -1 +1 @@\n-a\0b\n+a\0c\n", 22);
    cb_buf_free(&out);
}

static void test_hand_made_against_diff(void **state)
{
    (void)state;
    if (!have_diff)
        skip();
    static const char *const cases[][2] = {
        {"", ""},
        {"", "a\n"},
        {"a\n", ""},
        {"a", ""},
        {"", "a"},
        {"a", "b"},
        {"a", "a"},
        {"a\nb", "a\nb\n"},
        {"a\nb\n", "a\nb"},
        {"a\nb", "a\nc"},
        {"x\na\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\ne\nf\ng\nh\ny\n"},
        {"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n", "a\nb\nC\nd\ne\nf\ng\nh\ni\nj\nK\nl\nm\n"},
        {"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "a\nb\nC\nd\ne\nf\ng\nH\ni\nj\n"},
        {"a\na\na\nb\n", "a\nb\n"},
        {"a\nb\n", "a\na\na\nb\n"},
        {"{\n}\n{\n}\n", "{\n}\n{\n}\n{\n}\n"},
        {"int f(void)\n{\n    return 0;\n}\n",
         "int f(void)\n{\n    int x = 1;\n    return x;\n}\n\nint g(void)\n{\n    return 1;\n}"},
        {"l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n", "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8"},
        {"p\nq\nr\ns\nt\nu\nv\nw\nx", "p\nq\nr\ns\nt\nu\nv\nw\nx\n"},
        {"p\nq\nr\ns\nt\nu\nv\nw\nx", "p\nQ\nr\ns\nt\nu\nv\nw\ny"},
        {"\n\n\n", "\n\n"},
        {"a\n\nb\n\nc\n", "a\nb\nc\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int ctx = 0; ctx <= 4; ctx++)
            check_str(cases[i][0], cases[i][1], ctx);
}

/* xorshift64*, seeded: the same texts on every run. */
static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717u) >> 33) % n;
}

/* A random text of up to max_lines lines drawn from an alphabet of `alpha`
 * lines; maybe without its final newline. */
static size_t random_text(char *buf, size_t cap, int max_lines, int alpha, int allow_missing_nl)
{
    static const char *const words[] = {"a", "b",      "c",         "d",      "e", "f", "{", "}",
                                        "",  "x = 1;", "return x;", "int i;", "g", "h", "i", "j"};
    int lines = (int)rnd((uint32_t)max_lines + 1);
    size_t n = 0;
    for (int i = 0; i < lines; i++) {
        int w = (int)rnd((uint32_t)alpha);
        int k;
        if (alpha <= 16)
            k = snprintf(buf + n, cap - n, "%s\n", words[w]);
        else
            k = snprintf(buf + n, cap - n, "line %d\n", w);
        assert_true(k > 0 && (size_t)k < cap - n);
        n += (size_t)k;
    }
    if (allow_missing_nl && n > 0 && rnd(4) == 0)
        n--;
    return n;
}

/* b from a by random line edits: deletions, insertions, replacements. */
static size_t mutate(const char *a, size_t alen, char *b, size_t cap, int alpha, int rate)
{
    static const char *const words[] = {"a", "b",      "c",         "d",      "e", "f", "{", "}",
                                        "",  "x = 1;", "return x;", "int i;", "g", "h", "i", "j"};
    size_t n = 0, i = 0;
    while (i < alen) {
        const char *nl = memchr(a + i, '\n', alen - i);
        size_t len = nl ? (size_t)(nl - (a + i)) + 1 : alen - i;
        uint32_t r = rnd(100);
        if (r < (uint32_t)rate) { /* delete */
        } else if (r < 2u * (uint32_t)rate) {
            int k = snprintf(b + n, cap - n, "%s\n", words[rnd((uint32_t)alpha)]);
            assert_true(k > 0 && (size_t)k < cap - n);
            n += (size_t)k;
        } else {
            assert_true(len < cap - n);
            memcpy(b + n, a + i, len);
            n += len;
        }
        if (rnd(100) < (uint32_t)rate) { /* insert after */
            int k = snprintf(b + n, cap - n, "%s\n", words[rnd((uint32_t)alpha)]);
            assert_true(k > 0 && (size_t)k < cap - n);
            n += (size_t)k;
        }
        i += len;
    }
    if (n > 0 && b[n - 1] == '\n' && rnd(5) == 0)
        n--;
    return n;
}

static void test_random_against_diff(void **state)
{
    (void)state;
    if (!have_diff)
        skip();
    static char a[1 << 16], b[1 << 16];
    int cases = 0;
    for (uint64_t seed = 1; seed <= 400; seed++) {
        rng_state = seed * 0x9E3779B97F4A7C15u;
        int alpha = 2 + (int)rnd(5);
        int ctx = (int)rnd(5);
        size_t alen = random_text(a, sizeof a, 40, alpha, 1), blen;
        if (seed % 3 == 0)
            blen = random_text(b, sizeof b, 40, alpha, 1); /* independent */
        else
            blen = mutate(a, alen, b, sizeof b, alpha, 3 + (int)rnd(20));
        check_against_diff(a, alen, b, blen, ctx);
        cases++;
    }
    /* Longer texts: the "confusing lines" rule (lines repeated more than
     * `many` times) and long runs of unique lines. */
    for (uint64_t seed = 1000; seed < 1060; seed++) {
        rng_state = seed * 0x9E3779B97F4A7C15u;
        int alpha = seed % 2 ? 3 + (int)rnd(4) : 40 + (int)rnd(200);
        size_t alen = random_text(a, sizeof a, 800, alpha, 1);
        size_t blen = mutate(a, alen, b, sizeof b, alpha > 16 ? 16 : alpha, 2 + (int)rnd(30));
        check_against_diff(a, alen, b, blen, (int)rnd(4));
        cases++;
    }
    assert_int_equal(cases, 460);
}

/* Texts different enough that the search gives up after too_expensive
 * (4096) steps, as diff does: the output still matches diff's. */
static void test_too_expensive_against_diff(void **state)
{
    (void)state;
    if (!have_diff)
        skip();
    size_t cap = 1u << 20;
    char *a = malloc(cap), *b = malloc(cap);
    assert_non_null(a);
    assert_non_null(b);
    rng_state = 77;
    size_t alen = 0, blen = 0;
    for (int i = 0; i < 9000; i++) {
        alen += (size_t)snprintf(a + alen, cap - alen, "line %u\n", rnd(60));
        blen += (size_t)snprintf(b + blen, cap - blen, "line %u\n", rnd(60));
    }
    check_against_diff(a, alen, b, blen, 3);
    free(a);
    free(b);
}

static void test_limits(void **state)
{
    (void)state;
    CbError err;
    CbLineDiffStat st;
    CbBuf out;
    /* One line more than the limit, in either text. */
    size_t n = (size_t)CB_LINEDIFF_MAX_LINES + 1;
    char *big = malloc(2 * n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[2 * i] = 'x', big[2 * i + 1] = '\n';
    assert_int_equal(cb_line_diff(big, 2 * n, "x\n", 2, 3, NULL, &st, &err), CB_ELIMIT);
    assert_non_null(strstr(err.text, "lines"));
    assert_int_equal(cb_line_diff("x\n", 2, big, 2 * n, 3, NULL, &st, &err), CB_ELIMIT);
    /* Exactly the limit is fine (and identical). */
    assert_int_equal(cb_line_diff(big, 2 * n - 2, big, 2 * n - 2, 3, NULL, &st, &err), 0);
    /* A last line without newline counts as a line: the limit's lines with
     * the last one incomplete are fine, one more incomplete one is not. */
    assert_int_equal(cb_line_diff(big, 2 * n - 3, big, 2 * n - 2, 3, NULL, &st, &err), 0);
    assert_int_equal(st.removed, 1);
    assert_int_equal(st.added, 1);
    assert_int_equal(cb_line_diff(big, 2 * n - 1, "x\n", 2, 3, NULL, &st, &err), CB_ELIMIT);
    free(big);

    /* More differing lines than the limit. */
    size_t m = (size_t)CB_LINEDIFF_MAX_EDITS / 2 + 1;
    char *a = malloc(16 * m), *b = malloc(16 * m);
    assert_non_null(a);
    assert_non_null(b);
    size_t alen = 0, blen = 0;
    for (size_t i = 0; i < m; i++) {
        alen += (size_t)snprintf(a + alen, 16, "a%zu\n", i);
        blen += (size_t)snprintf(b + blen, 16, "b%zu\n", i);
    }
    assert_int_equal(cb_line_diff(a, alen, b, blen, 3, NULL, &st, &err), CB_ELIMIT);
    assert_int_equal(st.added + st.removed + st.hunks, 0);
    /* One pair fewer is within the limit: every line changed. */
    size_t alen2 = alen - (size_t)snprintf(NULL, 0, "a%zu\n", m - 1);
    size_t blen2 = blen - (size_t)snprintf(NULL, 0, "b%zu\n", m - 1);
    assert_int_equal(cb_line_diff(a, alen2, b, blen2, 3, NULL, &st, &err), 0);
    assert_int_equal(st.removed, (int)m - 1);
    assert_int_equal(st.added, (int)m - 1);
    assert_int_equal(st.hunks, 1);

    /* The output buffer's cap: CB_ELIMIT, not a cut diff. */
    cb_buf_init(&out, 64);
    assert_int_equal(cb_line_diff(a, 400, b, 400, 3, &out, &st, &err), CB_ELIMIT);
    cb_buf_free(&out);
    free(a);
    free(b);

    /* Bad arguments. */
    assert_int_equal(cb_line_diff("a", 1, "b", 1, -1, NULL, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_line_diff(NULL, 3, "b", 1, 3, NULL, NULL, &err), CB_EINVAL);
    /* NULL with length 0 is the empty text. */
    assert_int_equal(cb_line_diff(NULL, 0, "b\n", 2, 3, NULL, &st, &err), 0);
    assert_int_equal(st.added, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_worked),
        cmocka_unit_test(test_hand_made_against_diff),
        cmocka_unit_test(test_random_against_diff),
        cmocka_unit_test(test_too_expensive_against_diff),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests of the dashboard's text helpers without a terminal: wrapping
 * to a width in display columns (src/tui/textwrap.c) and the status line's
 * key hints from the configured bindings (src/tui/keyhint.c). */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/keyhint.h"
#include "tui/textwrap.h"

typedef struct Rows {
    size_t n;
    size_t off[32], len[32];
    int indent[32];
    int stop_at; /* the callback fails at this row (0: never) */
} Rows;

static int collect(void *ctx, size_t off, size_t n, int indent)
{
    Rows *r = ctx;
    if (r->stop_at && (int)r->n + 1 == r->stop_at)
        return -42;
    if (r->n == 32)
        fail_msg("too many rows");
    r->off[r->n] = off;
    r->len[r->n] = n;
    r->indent[r->n] = indent;
    r->n++;
    return 0;
}

static void assert_row(const char *text, const Rows *r, size_t i, const char *want, int indent)
{
    assert_true(i < r->n);
    assert_int_equal(r->len[i], strlen(want));
    assert_memory_equal(text + r->off[i], want, strlen(want));
    assert_int_equal(r->indent[i], indent);
}

static void test_wrap_words(void **state)
{
    (void)state;
    const char *t = "hello world foo";
    Rows r = {0};
    assert_int_equal(tui_wrap(t, strlen(t), 11, 0, collect, &r), 2);
    assert_row(t, &r, 0, "hello world", 0);
    assert_row(t, &r, 1, "foo", 0); /* the break's space does not start the row */

    /* continuation rows indented; a row ends after the last space that fits */
    const char *u = "aaa bbb ccc ddd eee";
    memset(&r, 0, sizeof r);
    assert_int_equal(tui_wrap(u, strlen(u), 12, 4, collect, &r), 2);
    assert_row(u, &r, 0, "aaa bbb ccc ", 0);
    assert_row(u, &r, 1, "ddd eee", 4);
}

static void test_wrap_long_word(void **state)
{
    (void)state;
    const char *t = "abcdefghijk";
    Rows r = {0};
    assert_int_equal(tui_wrap(t, strlen(t), 5, 0, collect, &r), 3);
    assert_row(t, &r, 0, "abcde", 0);
    assert_row(t, &r, 1, "fghij", 0);
    assert_row(t, &r, 2, "k", 0);

    /* too narrow to keep the indent: continuation rows use the whole width */
    const char *u = "one two three four";
    memset(&r, 0, sizeof r);
    assert_true(tui_wrap(u, strlen(u), 9, 4, collect, &r) >= 2);
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.indent[i], 0);
}

static void test_wrap_edges(void **state)
{
    (void)state;
    Rows r = {0};
    assert_int_equal(tui_wrap("", 0, 10, 2, collect, &r), 1);
    assert_int_equal(r.len[0], 0);

    /* a width below 1 is taken as 1: one character a row, never a loop */
    memset(&r, 0, sizeof r);
    assert_int_equal(tui_wrap("abc", 3, 0, 0, collect, &r), 3);

    /* a byte that starts no character counts one column */
    memset(&r, 0, sizeof r);
    assert_int_equal(tui_wrap("\xff\xfe\xfd", 3, 2, 0, collect, &r), 2);
    assert_int_equal(r.len[0], 2);

    /* the callback's failure stops the wrap and is returned */
    memset(&r, 0, sizeof r);
    r.stop_at = 2;
    assert_int_equal(tui_wrap("abcdef", 6, 2, 0, collect, &r), -42);
    assert_int_equal(r.n, 1);
}

static void test_wrap_wide(void **state)
{
    (void)state;
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "en_US.UTF-8"))
        skip();
    /* CJK characters are two columns wide: two of them fill 5 columns */
    const char *t = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xad";
    Rows r = {0};
    assert_int_equal(tui_wrap(t, strlen(t), 5, 0, collect, &r), 3);
    assert_int_equal(r.len[0], 6);
    assert_int_equal(r.len[1], 6);
    assert_int_equal(r.len[2], 3);
    /* one wider than the row gets a row of its own */
    memset(&r, 0, sizeof r);
    assert_int_equal(tui_wrap(t, 3, 1, 0, collect, &r), 1);
    assert_int_equal(r.len[0], 3);
    size_t len;
    assert_int_equal(tui_wrap_char_cols(t, strlen(t), &len), 2);
    assert_int_equal(len, 3);
    assert_int_equal(tui_wrap_char_cols("\xc3\xa9", 2, &len), 1); /* é */
    assert_int_equal(len, 2);
    setlocale(LC_CTYPE, "C");
}

static void test_hint(void **state)
{
    (void)state;
    CbConfig *cfg = NULL;
    CbError err;
    assert_int_equal(cb_config_new(&cfg, &err), 0);
    const CbRequest reqs[] = {CB_REQ_RERUN, CB_REQ_EDIT, CB_REQ_COLUMNS, CB_REQ_LOGS};
    const char *const words[] = {"rerun", "edit", "columns", "logs"};
    char out[128];
    /* columns has a key in the runs view only, none in the run view: left out */
    size_t n = tui_key_hint(cfg, CB_VIEW_RUN, reqs, words, 4, out, sizeof out);
    assert_string_equal(out, "r rerun  e edit  l logs");
    assert_int_equal(n, strlen(out));
    /* a global binding counts; one hidden by the view's own does not */
    const CbRequest mv[] = {CB_REQ_MOVE_DOWN, CB_REQ_SELECT};
    const char *const mw[] = {"down", "open"};
    tui_key_hint(cfg, CB_VIEW_RUN, mv, mw, 2, out, sizeof out);
    assert_string_equal(out, "j down  <Enter> open");
    /* rebinding shows the new key */
    const char *conf = "bind run r none\nbind run R rerun\n";
    assert_int_equal(cb_config_parse(cfg, conf, strlen(conf), "test", &err), 0);
    tui_key_hint(cfg, CB_VIEW_RUN, reqs, words, 2, out, sizeof out);
    assert_string_equal(out, "R rerun  e edit");
    /* a short buffer ends at a whole entry */
    tui_key_hint(cfg, CB_VIEW_RUN, reqs, words, 2, out, 12);
    assert_string_equal(out, "R rerun");
    assert_int_equal(tui_key_hint(cfg, CB_VIEW_RUN, reqs, words, 2, out, 0), 0);
    /* the same word in a row: one entry */
    const CbRequest lr[] = {CB_REQ_SCROLL_LEFT, CB_REQ_SCROLL_RIGHT, CB_REQ_ANCHOR};
    const char *const lw[] = {"column", "column", "reference"};
    tui_key_hint(cfg, CB_VIEW_COMPARE, lr, lw, 3, out, sizeof out);
    assert_string_equal(out, "<Left>/<Right> column  a reference");
    /* the proposal pane's: S reads the selected proposal's stage */
    const CbRequest pr[] = {CB_REQ_ACCEPT, CB_REQ_STAGE, CB_REQ_MORE, CB_REQ_FEWER, CB_REQ_BACK};
    const char *const pw[] = {"accept", "stage", "K", "K", "back"};
    tui_key_hint(cfg, CB_VIEW_PROPOSALS, pr, pw, 5, out, sizeof out);
    assert_string_equal(out, "<Enter> accept  S stage  +/- K  <Esc> back");
    cb_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_words),
        cmocka_unit_test(test_wrap_long_word),
        cmocka_unit_test(test_wrap_edges),
        cmocka_unit_test(test_wrap_wide),
        cmocka_unit_test(test_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

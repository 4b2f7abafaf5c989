/* Unit tests of the stage view's model (src/tui/stagedoc.c, no curses):
 * hostile source made inert (escapes in caret notation, bad UTF-8 as
 * <XX>), tabs expanded to stops of 8 in the source and in diff lines
 * alike, diff lines classified, search with wrap-around; hand-worked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codecbench/sanitize.h"
#include "tui/stagedoc.h"

static void test_source_lines(void **state)
{
    (void)state;
    TuiStageDoc d;
    CbError err;
    memset(&d, 0, sizeof d);
    const char *code = "int a;\n\tx = 1;\nab\tc\n/* \x1b[2J\x1b]0;t\x07 \xff */";
    assert_int_equal(tui_stagedoc_source(&d, code, 0, &err), 0);
    assert_int_equal(d.n, 4);
    assert_string_equal(d.lines[0].text, "int a;");
    assert_int_equal(d.lines[0].number, 1);
    assert_int_equal(d.lines[0].kind, TUI_SL_CODE);
    assert_string_equal(d.lines[1].text, "        x = 1;");
    assert_string_equal(d.lines[2].text, "ab      c");
    /* ESC, BEL and a byte that is not UTF-8: nothing left to drive a terminal. */
    assert_string_equal(d.lines[3].text, "/* ^[[2J^[]0;t^G <FF> */");
    assert_int_equal(d.lines[3].number, 4);
    for (size_t i = 0; i < d.n; i++)
        for (const char *p = d.lines[i].text; *p; p++)
            assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
    /* ASCII terminals: non-ASCII characters as "?" */
    assert_int_equal(tui_stagedoc_source(&d, "/* caf\xc3\xa9 */\n", CB_SANITIZE_ASCII, &err), 0);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.lines[0].text, "/* caf? */");
    /* A tab after a character shown as two columns (^[) stops at 8 all the same. */
    assert_int_equal(tui_stagedoc_source(&d, "\x1b\tz", 0, &err), 0);
    assert_string_equal(d.lines[0].text, "^[      z");
    /* Empty code: no lines. */
    assert_int_equal(tui_stagedoc_source(&d, "", 0, &err), 0);
    assert_int_equal(d.n, 0);
    tui_stagedoc_free(&d);
    tui_stagedoc_free(&d); /* twice is fine */
}

static void test_diff_lines(void **state)
{
    (void)state;
    TuiStageDoc d;
    CbError err;
    memset(&d, 0, sizeof d);
    const char *a = "a\n\tb\nc\nd\ne\nf\ng\nh\ni\nj";
    const char *b = "a\n\tB\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
    assert_int_equal(tui_stagedoc_diff(&d, a, b, "parent run 1 (intra)", "run 2", 0, &err), 0);
    /* --- / +++, then:
     * @@ -1,5 +1,5 @@  a  -\tb  +\tB  c  d  e
     * @@ -7,4 +7,5 @@  g  h  i  -j  \ No newline  +j  +k */
    static const struct {
        TuiStageLineKind kind;
        const char *text;
    } want[] = {
        {TUI_SL_HEADER, "--- parent run 1 (intra)"},
        {TUI_SL_HEADER, "+++ run 2"},
        {TUI_SL_HUNK, "@@ -1,5 +1,5 @@"},
        {TUI_SL_CONTEXT, " a"},
        {TUI_SL_DEL, "-        b"},
        {TUI_SL_ADD, "+        B"},
        {TUI_SL_CONTEXT, " c"},
        {TUI_SL_CONTEXT, " d"},
        {TUI_SL_CONTEXT, " e"},
        {TUI_SL_HUNK, "@@ -7,4 +7,5 @@"},
        {TUI_SL_CONTEXT, " g"},
        {TUI_SL_CONTEXT, " h"},
        {TUI_SL_CONTEXT, " i"},
        {TUI_SL_DEL, "-j"},
        {TUI_SL_NOTE, "\\ No newline at end of file"},
        {TUI_SL_ADD, "+j"},
        {TUI_SL_ADD, "+k"},
    };
    assert_int_equal(d.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < d.n; i++) {
        assert_int_equal(d.lines[i].kind, want[i].kind);
        assert_string_equal(d.lines[i].text, want[i].text);
        assert_int_equal(d.lines[i].number, 0);
    }
    assert_int_equal(d.stat.added, 3);
    assert_int_equal(d.stat.removed, 2);
    assert_int_equal(d.stat.hunks, 2);
    /* Equal texts: the header only, counts of zero. */
    assert_int_equal(tui_stagedoc_diff(&d, "x\n", "x\n", "built-in intra", "run 3", 0, &err), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.stat.hunks, 0);
    /* Hostile names in the header are sanitised too. */
    assert_int_equal(tui_stagedoc_diff(&d, "x\n", "y\n", "a\x1b[31m", "b", 0, &err), 0);
    assert_string_equal(d.lines[0].text, "--- a^[[31m");
    tui_stagedoc_free(&d);
}

static void test_find(void **state)
{
    (void)state;
    TuiStageDoc d;
    CbError err;
    int wrapped = -1;
    memset(&d, 0, sizeof d);
    assert_int_equal(tui_stagedoc_source(&d, "foo\nbar\nfoo bar\nbaz\n", 0, &err), 0);
    assert_int_equal(tui_stagedoc_find(&d, 0, 0, "bar", &wrapped), 1);
    assert_int_equal(wrapped, 0);
    assert_int_equal(tui_stagedoc_find(&d, 1, 0, "bar", &wrapped), 2);
    assert_int_equal(wrapped, 0);
    /* past the end: wraps to the top */
    assert_int_equal(tui_stagedoc_find(&d, 2, 0, "bar", &wrapped), 1);
    assert_int_equal(wrapped, 1);
    /* backward */
    assert_int_equal(tui_stagedoc_find(&d, 2, 1, "foo", &wrapped), 0);
    assert_int_equal(wrapped, 0);
    assert_int_equal(tui_stagedoc_find(&d, 0, 1, "foo", &wrapped), 2);
    assert_int_equal(wrapped, 1);
    /* the line searched from is tried last */
    assert_int_equal(tui_stagedoc_find(&d, 3, 0, "baz", &wrapped), 3);
    assert_int_equal(wrapped, 1);
    assert_int_equal(tui_stagedoc_find(&d, 0, 0, "qux", NULL), -1);
    assert_int_equal(tui_stagedoc_find(&d, 0, 0, "", NULL), -1);
    tui_stagedoc_free(&d);
    assert_int_equal(tui_stagedoc_find(&d, 0, 0, "foo", NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_lines),
        cmocka_unit_test(test_diff_lines),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

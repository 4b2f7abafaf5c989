/* Unit tests of the CLI's table formatter (src/cli/table.c): column widths
 * sized to content, alignment, no trailing spaces, numbers, sanitised
 * cells, UTF-8 widths, and many rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "cli/table.h"

/* Prints t into a string (caller frees). */
static char *render(const CliTable *t, int indent)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(cli_table_print(t, f, indent), 0);
    fclose(f);
    return buf;
}

static void test_alignment_and_widths(void **state)
{
    (void)state;
    CliTable *t = cli_table_new(3);
    assert_non_null(t);
    cli_table_column(t, 0, "ID", CLI_RIGHT);
    cli_table_column(t, 1, "NAME", CLI_LEFT);
    cli_table_column(t, 2, "KBPS", CLI_RIGHT);
    cli_table_int(t, 7, 0);
    cli_table_add(t, "x264-medium");
    cli_table_num(t, 1234.56, 1, 0);
    cli_table_end_row(t);
    cli_table_int(t, 12, 0);
    cli_table_add(t, "a");
    cli_table_num(t, NAN, 1, 0);
    cli_table_end_row(t);
    assert_int_equal(cli_table_rows(t), 2);
    char *s = render(t, 0);
    assert_string_equal(s, "ID  NAME           KBPS\n"
                           "--  -----------  ------\n"
                           " 7  x264-medium  1234.6\n"
                           "12  a                 -\n");
    free(s);
    cli_table_free(&t);
    assert_null(t);
    cli_table_free(&t); /* NULL is fine */
}

static void test_no_trailing_spaces_and_indent(void **state)
{
    (void)state;
    CliTable *t = cli_table_new(2);
    cli_table_add(t, "long left cell");
    cli_table_add(t, "");
    cli_table_add(t, "b");
    cli_table_end_row(t);
    char *s = render(t, 2);
    /* No titles: no header lines; the empty last cell leaves no spaces. */
    assert_string_equal(s, "  long left cell\n  b\n");
    free(s);
    cli_table_free(&t);
}

static void test_cells_are_sanitised(void **state)
{
    (void)state;
    CliTable *t = cli_table_new(2);
    cli_table_column(t, 0, "NOTE", CLI_LEFT);
    cli_table_column(t, 1, "N", CLI_RIGHT);
    cli_table_add(t, "red \x1b[31mtext\x07");
    cli_table_addf(t, "%+.2f%%", -20.0);
    char *s = render(t, 0);
    assert_null(strchr(s, '\x1b'));
    assert_null(strchr(s, '\x07'));
    assert_non_null(strstr(s, "red ^[[31mtext^G  -20.00%\n"));
    free(s);
    cli_table_free(&t);
}

static void test_utf8_width(void **state)
{
    (void)state;
    CliTable *t = cli_table_new(2);
    cli_table_add(t, "caf\xc3\xa9"); /* 4 code points, 5 bytes */
    cli_table_add(t, "1");
    cli_table_add(t, "abcd");
    cli_table_add(t, "2");
    char *s = render(t, 0);
    assert_string_equal(s, "caf\xc3\xa9  1\nabcd  2\n");
    free(s);
    cli_table_free(&t);
}

static void test_many_rows_and_rows_fill(void **state)
{
    (void)state;
    CliTable *t = cli_table_new(2);
    /* Empty titles set the alignment and print no header. */
    cli_table_column(t, 0, "", CLI_RIGHT);
    /* Rows start by themselves when the previous one is full. */
    for (int i = 0; i < 10000; i++) {
        cli_table_int(t, i, 0);
        cli_table_int(t, -1, 1);
    }
    assert_int_equal(cli_table_rows(t), 10000);
    char *s = render(t, 0);
    assert_int_equal(strlen(s), (size_t)10000 * 8);
    assert_memory_equal(s, "   0  -\n", 8);
    assert_memory_equal(s + 9999 * 8, "9999  -\n", 8);
    free(s);
    cli_table_free(&t);
}

static void test_long_cell_is_capped(void **state)
{
    (void)state;
    size_t n = 100000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    CliTable *t = cli_table_new(1);
    cli_table_add(t, big);
    char *s = render(t, 0);
    assert_true(strlen(s) < 5000);
    free(s);
    free(big);
    cli_table_free(&t);
}

static void test_format_time(void **state)
{
    (void)state;
    char buf[32];
    cli_format_time(NAN, buf, sizeof buf);
    assert_string_equal(buf, "-");
    cli_format_time(1.7e9, buf, sizeof buf);
    assert_int_equal(strlen(buf), 19);
    assert_int_equal(buf[4], '-');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_widths),
        cmocka_unit_test(test_no_trailing_spaces_and_indent),
        cmocka_unit_test(test_cells_are_sanitised),
        cmocka_unit_test(test_utf8_width),
        cmocka_unit_test(test_many_rows_and_rows_fill),
        cmocka_unit_test(test_long_cell_is_capped),
        cmocka_unit_test(test_format_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the chart model (src/tui/canvas.c): braille bits and the
 * dot-to-cell mapping checked by hand, lines and their clipping, markers and
 * series priority, the ASCII fallback, nice linear and log ticks for several
 * ranges, tick labels, degenerate data (none, one value, all equal, NaN,
 * infinities, huge values, <= 0 on log), plot layout down to tiny areas, and
 * the Pareto front. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "tui/canvas.h"

static void test_braille_bits_by_hand(void **state)
{
    (void)state;
    /* Unicode braille: dots 1,2,3 down the left column (bits 0,1,2), 4,5,6
     * down the right (bits 3,4,5), 7 and 8 the bottom row (bits 6,7). */
    assert_int_equal(tui_braille_bit(0, 0), 0x01);
    assert_int_equal(tui_braille_bit(0, 1), 0x02);
    assert_int_equal(tui_braille_bit(0, 2), 0x04);
    assert_int_equal(tui_braille_bit(1, 0), 0x08);
    assert_int_equal(tui_braille_bit(1, 1), 0x10);
    assert_int_equal(tui_braille_bit(1, 2), 0x20);
    assert_int_equal(tui_braille_bit(0, 3), 0x40);
    assert_int_equal(tui_braille_bit(1, 3), 0x80);
    assert_int_equal(tui_braille_bit(2, 0), 0);
    assert_int_equal(tui_braille_bit(0, 4), 0);
    char s[4];
    assert_int_equal(tui_braille_utf8(0x00, s), 3);
    assert_string_equal(s, "\xe2\xa0\x80"); /* U+2800 blank */
    tui_braille_utf8(0xff, s);
    assert_string_equal(s, "\xe2\xa3\xbf"); /* U+28FF full: "⣿" */
    tui_braille_utf8(0x47, s);
    assert_string_equal(s, "⡇"); /* U+2847: left column */
}

static void test_dot_to_cell(void **state)
{
    (void)state;
    TuiCanvas c = {0};
    assert_int_equal(tui_canvas_resize(&c, 3, 2, NULL), 0);
    assert_int_equal(c.w, 3);
    assert_int_equal(c.h, 2);
    /* dot (5, 6): cell (2, 1), inside it (1, 2): dot 6 = 0x20 */
    tui_canvas_dot(&c, 5, 6, 4);
    assert_int_equal(tui_canvas_bits(&c, 2, 1), 0x20);
    assert_int_equal(tui_canvas_cell_series(&c, 2, 1), 4);
    /* dot (0, 0) -> cell (0, 0) bit 0x01; (1, 3) -> 0x80 */
    tui_canvas_dot(&c, 0, 0, 1);
    tui_canvas_dot(&c, 1, 3, 2);
    assert_int_equal(tui_canvas_bits(&c, 0, 0), 0x81);
    /* the last series drawn in a cell wins */
    assert_int_equal(tui_canvas_cell_series(&c, 0, 0), 2);
    assert_int_equal(tui_canvas_cell_series(&c, 1, 0), -1);
    /* outside: nothing, no crash */
    tui_canvas_dot(&c, 6, 0, 0);
    tui_canvas_dot(&c, -1, 0, 0);
    tui_canvas_dot(&c, 0, 8, 0);
    tui_canvas_dot(&c, INT32_MIN, INT32_MAX, 0);
    assert_int_equal(tui_canvas_bits(&c, 1, 0), 0);
    assert_int_equal(tui_canvas_bits(&c, 3, 0), 0);
    assert_int_equal(tui_canvas_bits(&c, -1, 0), 0);
    assert_int_equal(tui_canvas_cell_series(&c, 5, 5), -1);
    char row[64];
    tui_canvas_row_text(&c, 0, 1, row, sizeof row);
    assert_string_equal(row, "⢁  ");
    tui_canvas_row_text(&c, 1, 1, row, sizeof row);
    assert_string_equal(row, "  ⠠");
    /* ASCII fallback: one mark per cell, the series' */
    tui_canvas_row_text(&c, 0, 0, row, sizeof row);
    assert_int_equal(row[0], tui_canvas_ascii(2));
    assert_string_equal(row + 1, "  ");
    tui_canvas_row_text(&c, 1, 0, row, sizeof row);
    assert_int_equal(row[2], tui_canvas_ascii(4));
    assert_int_not_equal(tui_canvas_ascii(0), tui_canvas_ascii(1));
    assert_int_not_equal(tui_canvas_ascii(1), tui_canvas_ascii(2));
    /* a too-small buffer cuts at a whole cell */
    char small[4];
    assert_int_equal(tui_canvas_row_text(&c, 0, 1, small, sizeof small), 3);
    assert_string_equal(small, "⢁");
    /* clear */
    tui_canvas_clear(&c);
    assert_int_equal(tui_canvas_bits(&c, 0, 0), 0);
    assert_int_equal(tui_canvas_cell_series(&c, 2, 1), -1);
    tui_canvas_free(&c);
    assert_null(c.dots);
    assert_int_equal(c.w, 0);
    tui_canvas_free(&c); /* twice is fine */
}

static void test_markers_win(void **state)
{
    (void)state;
    TuiCanvas c = {0};
    assert_int_equal(tui_canvas_resize(&c, 2, 1, NULL), 0);
    tui_canvas_dot(&c, 0, 0, 1);
    tui_canvas_marker(&c, 1, 2, 3);
    tui_canvas_dot(&c, 1, 1, 5); /* a later dot does not hide the marker */
    assert_int_equal(tui_canvas_cell_marker(&c, 0, 0), 3);
    assert_int_equal(tui_canvas_cell_series(&c, 0, 0), 3);
    assert_int_equal(tui_canvas_cell_marker(&c, 1, 0), -1);
    tui_canvas_marker(&c, 99, 0, 1); /* outside */
    char row[32];
    tui_canvas_row_text(&c, 0, 1, row, sizeof row);
    assert_string_equal(row, "◆ ");
    assert_string_equal(tui_canvas_marker_glyph(3), "◆");
    tui_canvas_row_text(&c, 0, 0, row, sizeof row);
    assert_int_equal(row[0], tui_canvas_ascii_marker(3));
    assert_int_not_equal(tui_canvas_ascii_marker(3), tui_canvas_ascii(3));
    /* series beyond the range are clamped, not out of bounds */
    tui_canvas_dot(&c, 2, 0, 1000);
    assert_int_equal(tui_canvas_cell_series(&c, 1, 0), TUI_CANVAS_MAX_SERIES - 1);
    tui_canvas_free(&c);
}

/* Counts the dots set on the canvas. */
static int count_dots(const TuiCanvas *c)
{
    int n = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++)
            n += __builtin_popcount(tui_canvas_bits(c, x, y));
    return n;
}

static int dot_set(const TuiCanvas *c, int x, int y)
{
    return (tui_canvas_bits(c, x / 2, y / 4) & tui_braille_bit(x % 2, y % 4)) != 0;
}

static void test_lines(void **state)
{
    (void)state;
    TuiCanvas c = {0};
    assert_int_equal(tui_canvas_resize(&c, 4, 2, NULL), 0); /* 8 x 8 dots */
    /* horizontal */
    tui_canvas_line(&c, 0, 0, 7, 0, 0);
    assert_int_equal(count_dots(&c), 8);
    char row[64];
    tui_canvas_row_text(&c, 0, 1, row, sizeof row);
    assert_string_equal(row, "⠉⠉⠉⠉");
    tui_canvas_clear(&c);
    /* the diagonal: exactly one dot per column, (i, i) */
    tui_canvas_line(&c, 0, 0, 7, 7, 0);
    assert_int_equal(count_dots(&c), 8);
    for (int i = 0; i < 8; i++)
        assert_true(dot_set(&c, i, i));
    tui_canvas_clear(&c);
    /* reversed endpoints draw the same dots */
    tui_canvas_line(&c, 7, 7, 0, 0, 0);
    assert_int_equal(count_dots(&c), 8);
    tui_canvas_clear(&c);
    /* a steep line: one dot per row */
    tui_canvas_line(&c, 1, 0, 3, 7, 0);
    assert_int_equal(count_dots(&c), 8);
    assert_true(dot_set(&c, 1, 0));
    assert_true(dot_set(&c, 3, 7));
    tui_canvas_clear(&c);
    /* a single point */
    tui_canvas_line(&c, 2, 2, 2, 2, 0);
    assert_int_equal(count_dots(&c), 1);
    tui_canvas_free(&c);
}

static void test_line_clipping(void **state)
{
    (void)state;
    TuiCanvas c = {0};
    assert_int_equal(tui_canvas_resize(&c, 4, 2, NULL), 0); /* 8 x 8 dots */
    /* far outside on both ends, crossing: clipped to the visible part, fast */
    tui_canvas_line(&c, -1000000000, 3, 1000000000, 3, 0);
    assert_int_equal(count_dots(&c), 8);
    for (int x = 0; x < 8; x++)
        assert_true(dot_set(&c, x, 3));
    tui_canvas_clear(&c);
    /* entirely outside: nothing */
    tui_canvas_line(&c, -10, -10, -1, 20, 0);
    tui_canvas_line(&c, 8, 0, 100, 7, 0);
    tui_canvas_line(&c, 0, -5, 7, -1, 0);
    assert_int_equal(count_dots(&c), 0);
    /* one end inside */
    tui_canvas_line(&c, 4, 4, 4, 1000, 0);
    assert_int_equal(count_dots(&c), 4);
    assert_true(dot_set(&c, 4, 7));
    assert_false(dot_set(&c, 4, 3));
    tui_canvas_clear(&c);
    /* a diagonal through the corner region */
    tui_canvas_line(&c, -4, -4, 11, 11, 0);
    for (int i = 0; i < 8; i++)
        assert_true(dot_set(&c, i, i));
    assert_int_equal(count_dots(&c), 8);
    /* an empty canvas takes anything */
    TuiCanvas e = {0};
    tui_canvas_line(&e, 0, 0, 5, 5, 0);
    tui_canvas_hdash(&e, 0, 0);
    assert_int_equal(tui_canvas_resize(&e, 0, 5, NULL), 0);
    tui_canvas_line(&e, 0, 0, 5, 5, 0);
    tui_canvas_free(&e);
    /* dashed line: 2 on, 2 off */
    tui_canvas_clear(&c);
    tui_canvas_hdash(&c, 5, 1);
    assert_int_equal(count_dots(&c), 4);
    assert_true(dot_set(&c, 0, 5));
    assert_true(dot_set(&c, 1, 5));
    assert_false(dot_set(&c, 2, 5));
    assert_true(dot_set(&c, 4, 5));
    /* clamped sizes */
    assert_int_equal(tui_canvas_resize(&c, 100000, -3, NULL), 0);
    assert_int_equal(c.w, TUI_CANVAS_MAX_CELLS);
    assert_int_equal(c.h, 0);
    tui_canvas_free(&c);
}

static int has_tick(const TuiAxis *a, double v)
{
    for (int i = 0; i < a->n_ticks; i++)
        if (fabs(a->ticks[i] - v) <= 1e-9 * fmax(1.0, fabs(v)))
            return 1;
    return 0;
}

static void check_axis_sane(const TuiAxis *a, double min, double max, int max_ticks)
{
    assert_true(isfinite(a->lo) && isfinite(a->hi));
    assert_true(a->lo < a->hi);
    assert_true(a->n_ticks >= 2);
    assert_true(a->n_ticks <= max_ticks);
    for (int i = 0; i < a->n_ticks; i++) {
        assert_true(a->ticks[i] >= a->lo - 1e-9 * fabs(a->lo) - 1e-12);
        assert_true(a->ticks[i] <= a->hi + 1e-9 * fabs(a->hi) + 1e-12);
        if (i)
            assert_true(a->ticks[i] > a->ticks[i - 1]);
    }
    if (isfinite(min) && isfinite(max) && min <= max) {
        assert_true(a->lo <= min + 1e-9 * fabs(min));
        assert_true(a->hi >= max - 1e-9 * fabs(max));
    }
    if (a->log)
        assert_true(a->lo > 0);
}

static void test_linear_ticks(void **state)
{
    (void)state;
    TuiAxis a = {0};
    /* PSNR 31.2 .. 38.7, 6 ticks: step 2, 30..40 */
    tui_axis_fit(&a, 31.2, 38.7, 0, 6);
    check_axis_sane(&a, 31.2, 38.7, 6);
    assert_true(fabs(a.step - 2.0) < 1e-12);
    assert_true(fabs(a.lo - 30.0) < 1e-9 && fabs(a.hi - 40.0) < 1e-9);
    assert_int_equal(a.n_ticks, 6);
    /* 0 .. 1, 5 ticks: 0.25 steps (the 2.5 mantissa) */
    tui_axis_fit(&a, 0.0, 1.0, 0, 5);
    check_axis_sane(&a, 0, 1, 5);
    assert_true(fabs(a.step - 0.25) < 1e-12);
    assert_int_equal(a.decimals, 2);
    /* 0 .. 100, 6 ticks: step 20 */
    tui_axis_fit(&a, 0.0, 100.0, 0, 6);
    assert_true(fabs(a.step - 20.0) < 1e-9);
    assert_true(has_tick(&a, 0) && has_tick(&a, 100));
    /* 0 .. 100, 3 ticks: step 50 */
    tui_axis_fit(&a, 3.0, 97.0, 0, 3);
    check_axis_sane(&a, 3, 97, 3);
    assert_true(fabs(a.step - 50.0) < 1e-9);
    /* negative BD-rates -23.4 .. 4.1 */
    tui_axis_fit(&a, -23.4, 4.1, 0, 7);
    check_axis_sane(&a, -23.4, 4.1, 7);
    assert_true(fabs(a.step - 5.0) < 1e-9);
    assert_true(has_tick(&a, 0.0));
    assert_true(fabs(a.lo + 25) < 1e-9 && fabs(a.hi - 5) < 1e-9);
    /* tiny range */
    tui_axis_fit(&a, 0.00012, 0.00019, 0, 5);
    check_axis_sane(&a, 0.00012, 0.00019, 5);
    assert_true(a.step <= 0.00005 + 1e-15);
    /* many ranges: always sane, within the tick budget */
    const double ranges[][2] = {{0, 7},           {1, 1.5},       {-1e6, 1e6},
                                {123456, 123999}, {0.1, 9999},    {-3, -2.999},
                                {1e-9, 2e-9},     {5, 5.0000001}, {1e14, 9e14}};
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
        for (int mt = 2; mt <= 12; mt++) {
            tui_axis_fit(&a, ranges[i][0], ranges[i][1], 0, mt);
            check_axis_sane(&a, ranges[i][0], ranges[i][1], mt);
        }
}

static void test_log_ticks(void **state)
{
    (void)state;
    TuiAxis a = {0};
    /* 120 .. 4800 kbps with 3 ticks: decades 100, 1k, 10k */
    tui_axis_fit(&a, 120, 4800, 1, 3);
    check_axis_sane(&a, 120, 4800, 3);
    assert_int_equal(a.n_ticks, 3);
    assert_true(has_tick(&a, 100) && has_tick(&a, 1000) && has_tick(&a, 10000));
    /* 300 .. 900: less than a decade: with room, 1..9 mantissas 300..900 */
    tui_axis_fit(&a, 300, 900, 1, 8);
    check_axis_sane(&a, 300, 900, 8);
    assert_true(fabs(a.lo - 300) < 1e-9 && fabs(a.hi - 900) < 1e-9);
    assert_true(has_tick(&a, 400) && has_tick(&a, 800));
    /* with 4 ticks: 1-2-5 ticks 200, 500, 1000 */
    tui_axis_fit(&a, 300, 900, 1, 4);
    check_axis_sane(&a, 300, 900, 4);
    assert_true(has_tick(&a, 200) && has_tick(&a, 500) && has_tick(&a, 1000));
    assert_true(fabs(a.lo - 200) < 1e-9 && fabs(a.hi - 1000) < 1e-9);
    /* 80 .. 3000 with 8 ticks: 1-2-5 from 50 to 5k fills the axis better than decades */
    tui_axis_fit(&a, 80, 3000, 1, 8);
    check_axis_sane(&a, 80, 3000, 8);
    assert_true(fabs(a.lo - 50) < 1e-9 && fabs(a.hi - 5000) < 1e-9);
    assert_true(has_tick(&a, 100) && has_tick(&a, 2000));
    /* 510 .. 880: 1..9 mantissas 500..900 */
    tui_axis_fit(&a, 510, 880, 1, 8);
    check_axis_sane(&a, 510, 880, 8);
    assert_true(has_tick(&a, 600) && has_tick(&a, 800));
    /* 0.5 .. 40 fps with room for 6 ticks: 1-2-5 or decades, within budget */
    tui_axis_fit(&a, 0.5, 40, 1, 6);
    check_axis_sane(&a, 0.5, 40, 6);
    assert_true(has_tick(&a, 1) && has_tick(&a, 10));
    /* 12 decades with 4 ticks: every few decades */
    tui_axis_fit(&a, 1e-3, 1e9, 1, 4);
    check_axis_sane(&a, 1e-3, 1e9, 4);
    /* a narrow range: 1000 .. 1010 still has >= 2 ticks */
    tui_axis_fit(&a, 1000, 1010, 1, 6);
    check_axis_sane(&a, 1000, 1010, 6);
    /* positions: log10 */
    tui_axis_fit(&a, 10, 1000, 1, 5);
    assert_true(fabs(a.lo - 10) < 1e-9 && fabs(a.hi - 1000) < 1e-9);
    assert_true(fabs(tui_axis_frac(&a, 100) - 0.5) < 1e-12);
    assert_true(isnan(tui_axis_frac(&a, 0)));
    assert_true(isnan(tui_axis_frac(&a, -5)));
    assert_int_equal(tui_axis_dot(&a, 100, 101, 0), 50);
    assert_int_equal(tui_axis_dot(&a, 10, 101, 1), 100);
    assert_int_equal(tui_axis_dot(&a, -1, 101, 1), INT32_MIN);
    for (int mt = 2; mt <= 12; mt++) {
        tui_axis_fit(&a, 3.3, 3.31, 1, mt);
        check_axis_sane(&a, 3.3, 3.31, mt);
        tui_axis_fit(&a, 0.01, 5e5, 1, mt);
        check_axis_sane(&a, 0.01, 5e5, mt);
    }
}

static void test_labels(void **state)
{
    (void)state;
    TuiAxis a = {0};
    char s[32];
    tui_axis_fit(&a, 31.2, 38.7, 0, 6); /* step 2 */
    tui_axis_label(&a, 36.0, s, sizeof s);
    assert_string_equal(s, "36");
    tui_axis_fit(&a, 35, 37, 0, 5); /* step 0.5 */
    tui_axis_label(&a, 36.5, s, sizeof s);
    assert_string_equal(s, "36.5");
    tui_axis_label(&a, 36.0, s, sizeof s);
    assert_string_equal(s, "36.0");
    tui_axis_fit(&a, 0, 10000, 0, 5); /* step 2500: k */
    tui_axis_label(&a, 2500, s, sizeof s);
    assert_string_equal(s, "2.5k");
    tui_axis_label(&a, 10000, s, sizeof s);
    assert_string_equal(s, "10k");
    tui_axis_label(&a, 0, s, sizeof s);
    assert_string_equal(s, "0");
    tui_axis_fit(&a, 0, 1200, 0, 7); /* step 200 */
    tui_axis_label(&a, 1200, s, sizeof s);
    assert_string_equal(s, "1.2k");
    tui_axis_label(&a, 400, s, sizeof s);
    assert_string_equal(s, "0.4k");
    tui_axis_fit(&a, -25, 225, 0, 11); /* step 25: no decimals */
    assert_true(fabs(a.step - 25) < 1e-9);
    tui_axis_label(&a, 225, s, sizeof s);
    assert_string_equal(s, "225");
    tui_axis_fit(&a, 0, 1, 0, 5); /* step 0.25: two */
    tui_axis_label(&a, 0.75, s, sizeof s);
    assert_string_equal(s, "0.75");
    tui_axis_fit(&a, -23.4, 4.1, 0, 7);
    tui_axis_label(&a, -20, s, sizeof s);
    assert_string_equal(s, "-20");
    tui_axis_label(&a, -1e-17, s, sizeof s); /* no "-0" */
    assert_string_equal(s, "0");
    tui_axis_fit(&a, 2e6, 9e6, 0, 5);
    tui_axis_label(&a, 4e6, s, sizeof s);
    assert_string_equal(s, "4M");
    /* log labels */
    tui_axis_fit(&a, 300, 900, 1, 4);
    tui_axis_label(&a, 1000, s, sizeof s);
    assert_string_equal(s, "1k");
    tui_axis_label(&a, 200, s, sizeof s);
    assert_string_equal(s, "200");
    tui_axis_fit(&a, 0.05, 0.5, 1, 8);
    tui_axis_label(&a, 0.1, s, sizeof s);
    assert_string_equal(s, "0.1");
    tui_axis_label(&a, 0.05, s, sizeof s);
    assert_string_equal(s, "0.05");
    /* short numbers */
    tui_format_short(1234, s, sizeof s);
    assert_string_equal(s, "1.23k");
    tui_format_short(350, s, sizeof s);
    assert_string_equal(s, "350");
    tui_format_short(36.5, s, sizeof s);
    assert_string_equal(s, "36.5");
    tui_format_short(-4.126, s, sizeof s);
    assert_string_equal(s, "-4.13");
    tui_format_short(12e6, s, sizeof s);
    assert_string_equal(s, "12M");
    tui_format_short(999.7, s, sizeof s);
    assert_string_equal(s, "1k");
    tui_format_short(0, s, sizeof s);
    assert_string_equal(s, "0");
    tui_format_short(NAN, s, sizeof s);
    assert_string_equal(s, "NaN");
    tui_format_short(-INFINITY, s, sizeof s);
    assert_string_equal(s, "-inf");
    tui_format_short(1e300, s, sizeof s);
    assert_true(strlen(s) <= 6);
    tui_format_short(0.00042, s, sizeof s);
    assert_true(strlen(s) <= 7);
    assert_true(strtod(s, NULL) > 0.0004 && strtod(s, NULL) < 0.00045);
    /* a small buffer is cut, NUL-terminated */
    char tiny[3];
    assert_int_equal(tui_format_short(123456, tiny, sizeof tiny), 2);
    assert_int_equal(tiny[2], '\0');
}

static void test_degenerate_data(void **state)
{
    (void)state;
    TuiAxis a = {0};
    /* empty */
    tui_axis_fit_values(&a, NULL, 0, 0, 5);
    assert_int_equal(a.n_data, 0);
    check_axis_sane(&a, NAN, NAN, 5);
    tui_axis_fit_values(&a, NULL, 0, 1, 5);
    check_axis_sane(&a, NAN, NAN, 5);
    /* one value, all equal */
    double one[] = {36.5};
    tui_axis_fit_values(&a, one, 1, 0, 5);
    assert_int_equal(a.n_data, 1);
    check_axis_sane(&a, 36.5, 36.5, 5);
    assert_true(a.lo < 36.5 && a.hi > 36.5);
    double eq[] = {0, 0, 0};
    tui_axis_fit_values(&a, eq, 3, 0, 5);
    check_axis_sane(&a, 0, 0, 5);
    assert_true(a.lo < 0 && a.hi > 0);
    tui_axis_fit_values(&a, one, 1, 1, 5);
    check_axis_sane(&a, 36.5, 36.5, 5);
    assert_true(a.lo < 36.5 && a.hi > 36.5);
    /* NaN and infinities are left out */
    double bad[] = {NAN, 10, INFINITY, 20, -INFINITY, NAN};
    tui_axis_fit_values(&a, bad, 6, 0, 5);
    assert_int_equal(a.n_data, 2);
    check_axis_sane(&a, 10, 20, 5);
    assert_true(a.hi <= 25);
    double allbad[] = {NAN, INFINITY};
    tui_axis_fit_values(&a, allbad, 2, 0, 5);
    assert_int_equal(a.n_data, 0);
    check_axis_sane(&a, NAN, NAN, 5);
    /* <= 0 on a log axis is left out */
    double lg[] = {-5, 0, 100, 400};
    tui_axis_fit_values(&a, lg, 4, 1, 6);
    assert_int_equal(a.n_data, 2);
    check_axis_sane(&a, 100, 400, 6);
    /* huge values are clamped, never an infinite range */
    double huge[] = {-1e308, 1e308};
    tui_axis_fit_values(&a, huge, 2, 0, 5);
    check_axis_sane(&a, -TUI_AXIS_MAX_ABS, TUI_AXIS_MAX_ABS, 5);
    tui_axis_fit(&a, 1e-300, 1e300, 1, 6);
    check_axis_sane(&a, NAN, NAN, 6);
    /* inverted bounds and nonsense tick budgets */
    tui_axis_fit(&a, 5, 1, 0, -3);
    check_axis_sane(&a, NAN, NAN, 2);
    tui_axis_fit(&a, 1, 5, 0, 1000);
    check_axis_sane(&a, 1, 5, TUI_AXIS_MAX_TICKS);
    /* placing NaN and infinities */
    tui_axis_fit(&a, 0, 10, 0, 5);
    assert_int_equal(tui_axis_dot(&a, NAN, 20, 0), INT32_MIN);
    assert_int_equal(tui_axis_dot(&a, INFINITY, 20, 0), (int)lround(5.0 * 19));
    assert_int_equal(tui_axis_dot(&a, -1e300, 20, 0), (int)lround(-4.0 * 19));
    assert_int_equal(tui_axis_dot(&a, 5, 0, 0), INT32_MIN);
}

static void test_plot(void **state)
{
    (void)state;
    TuiPlot p = {0};
    /* 40 x 12 cells: labels, axis line, canvas */
    assert_int_equal(tui_plot_layout(&p, 40, 12, 100, 1000, 1, 30, 40, 0, 0, 1, NULL), 0);
    assert_true(p.label_w >= 2);
    assert_int_equal(p.cx, p.label_w + 1);
    assert_int_equal(p.canvas.w, 40 - p.label_w - 1);
    assert_int_equal(p.canvas.h, 12 - 2);
    double x[] = {100, 316.2277660168379, 1000}, y[] = {30, 35, 40};
    tui_plot_series(&p, x, y, 3, 2, 1, 0);
    /* the ends are the canvas's corners: bottom-left and top-right */
    int W = 2 * p.canvas.w, H = 4 * p.canvas.h;
    assert_true(dot_set(&p.canvas, 0, H - 1));
    assert_true(dot_set(&p.canvas, W - 1, 0));
    assert_int_equal(tui_plot_col(&p, 100), 0);
    assert_int_equal(tui_plot_col(&p, 1000), p.canvas.w - 1);
    assert_int_equal(tui_plot_row(&p, 40), 0);
    assert_int_equal(tui_plot_row(&p, 30), p.canvas.h - 1);
    assert_int_equal(tui_plot_col(&p, 5), -1);
    assert_int_equal(tui_plot_row(&p, NAN), -1);
    /* markers on points */
    tui_canvas_clear(&p.canvas);
    tui_plot_series(&p, x, y, 3, 1, 0, 1);
    assert_int_equal(tui_canvas_cell_marker(&p.canvas, 0, p.canvas.h - 1), 1);
    assert_int_equal(tui_canvas_cell_marker(&p.canvas, p.canvas.w - 1, 0), 1);
    /* a NaN breaks the line: no dots between the two parts */
    tui_canvas_clear(&p.canvas);
    double bx[] = {100, NAN, 1000}, by[] = {30, 35, 30};
    tui_plot_series(&p, bx, by, 3, 0, 1, 0);
    assert_int_equal(count_dots(&p.canvas), 2);
    /* a dashed mean line */
    tui_canvas_clear(&p.canvas);
    tui_plot_hline(&p, 35, 4);
    assert_true(count_dots(&p.canvas) > 0);
    assert_int_equal(tui_canvas_cell_series(&p.canvas, 0, tui_plot_row(&p, 35)), 4);
    /* x ticks fit with their labels */
    char lab[32];
    int widest = 0;
    for (int i = 0; i < p.x.n_ticks; i++) {
        int n = tui_axis_label(&p.x, p.x.ticks[i], lab, sizeof lab);
        widest = n > widest ? n : widest;
    }
    assert_true(p.x.n_ticks * (widest + 2) <= p.canvas.w || p.x.n_ticks <= 2);
    /* stacked plots align on a minimum label width; no x labels: one more row */
    assert_int_equal(tui_plot_layout(&p, 40, 12, 0, 59, 0, 0, 1, 0, 7, 0, NULL), 0);
    assert_int_equal(p.label_w, 7);
    assert_int_equal(p.canvas.h, 11);
    /* tiny and degenerate rectangles: an empty canvas, no crash */
    assert_int_equal(tui_plot_layout(&p, 3, 2, 0, 1, 0, 0, 1, 0, 0, 1, NULL), 0);
    assert_int_equal(p.canvas.w * p.canvas.h, 0);
    tui_plot_series(&p, x, y, 3, 0, 1, 1);
    tui_plot_hline(&p, 0.5, 0);
    assert_int_equal(tui_plot_col(&p, 0.5), -1);
    assert_int_equal(tui_plot_layout(&p, -5, -5, NAN, NAN, 1, NAN, NAN, 1, 0, 1, NULL), 0);
    assert_int_equal(p.canvas.w, 0);
    /* huge */
    assert_int_equal(tui_plot_layout(&p, 5000, 3000, 0, 1, 0, 0, 1, 0, 0, 1, NULL), 0);
    assert_int_equal(p.canvas.w, TUI_CANVAS_MAX_CELLS);
    tui_plot_series(&p, x, y, 3, 0, 1, 1);
    tui_plot_free(&p);
    tui_plot_free(&p);
}

static void test_pareto(void **state)
{
    (void)state;
    /* speed (fps, higher better), cost (BD-rate %, lower better) */
    const double speed[] = {10, 20, 5, 40, 20, 30, NAN, 40, 1};
    const double cost[] = {-5, -3, -8, 2, -4, -1, -100, 2, -8};
    size_t front[9], n = 99;
    assert_int_equal(tui_pareto_front(speed, cost, 9, front, &n), 0);
    /* front by ascending speed: 5 (-8), 10 (-5), 20 (-4), 30 (-1), 40 (2) */
    assert_int_equal(n, 5);
    assert_int_equal(front[0], 2);
    assert_int_equal(front[1], 0);
    assert_int_equal(front[2], 4);
    assert_int_equal(front[3], 5);
    assert_int_equal(front[4], 3); /* of the equal points (3 and 7) the first */
    /* dominated: 1 (20, -3) by 4; 8 (1, -8) by 2 (same cost, faster); NaN excluded */
    for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(front[i], 1);
        assert_int_not_equal(front[i], 8);
        assert_int_not_equal(front[i], 6);
    }
    assert_int_equal(tui_pareto_front(speed, cost, 0, front, &n), 0);
    assert_int_equal(n, 0);
    const double s1[] = {INFINITY}, c1[] = {0};
    assert_int_equal(tui_pareto_front(s1, c1, 1, front, &n), 0);
    assert_int_equal(n, 0);
    const double s2[] = {3}, c2[] = {7};
    assert_int_equal(tui_pareto_front(s2, c2, 1, front, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(front[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_braille_bits_by_hand),
        cmocka_unit_test(test_dot_to_cell),
        cmocka_unit_test(test_markers_win),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_line_clipping),
        cmocka_unit_test(test_linear_ticks),
        cmocka_unit_test(test_log_ticks),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_degenerate_data),
        cmocka_unit_test(test_plot),
        cmocka_unit_test(test_pareto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

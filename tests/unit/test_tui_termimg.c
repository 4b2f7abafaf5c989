/* Unit tests of the dashboard's image placement (src/tui/termimg.c, no
 * curses): the pixel box of a pane from the cell size, the cells an image
 * covers, CUP placement (whole and line by line), tmux's passthrough
 * wrapping, and late terminal replies told from keys.  Expected values are
 * worked by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/termimg.h"

static void test_box(void **state)
{
    (void)state;
    int w, h;
    /* 80 x 20 cells of 9 x 18 px: 720 x 360, 360 a multiple of 6 */
    tui_image_box(CB_GRAPHICS_SIXEL, 80, 20, 9, 18, &w, &h);
    assert_int_equal(w, 720);
    assert_int_equal(h, 360);
    /* 7 rows of 17 px = 119 px: down to 19 bands = 114 */
    tui_image_box(CB_GRAPHICS_SIXEL, 10, 7, 8, 17, &w, &h);
    assert_int_equal(w, 80);
    assert_int_equal(h, 114);
    /* unknown cell size: 6 x 12, 3 rows = 36 px (6 bands), 5 rows = 60 px */
    tui_image_box(CB_GRAPHICS_SIXEL, 4, 3, 0, 0, &w, &h);
    assert_int_equal(w, 24);
    assert_int_equal(h, 36);
    tui_image_box(CB_GRAPHICS_SIXEL, 4, 5, -1, 0, &w, &h);
    assert_int_equal(h, 60);
    /* blocks: a pixel a column, two a row */
    tui_image_box(CB_GRAPHICS_BLOCKS, 100, 30, 9, 18, &w, &h);
    assert_int_equal(w, 100);
    assert_int_equal(h, 60);
    tui_image_box(CB_GRAPHICS_TEXT, 100, 30, 9, 18, &w, &h);
    assert_int_equal(w, 0);
    assert_int_equal(h, 0);
    tui_image_box(CB_GRAPHICS_SIXEL, 0, 30, 9, 18, &w, &h);
    assert_int_equal(w, 0);
    assert_int_equal(h, 0);
    /* huge panes are clamped: 8192 wide, 8190 (1365 bands) high */
    tui_image_box(CB_GRAPHICS_SIXEL, 5000, 5000, 30, 30, &w, &h);
    assert_int_equal(w, CB_PREVIEW_MAX_DIM);
    assert_int_equal(h, 8190);
}

static void test_cells(void **state)
{
    (void)state;
    int c, r;
    /* 715 x 110 px in 9 x 18 cells: 80 columns (79.4 up), 110 -> 114 px of
     * bands -> 7 rows (6.33 up) */
    tui_image_cells(CB_GRAPHICS_SIXEL, 715, 110, 9, 18, &c, &r);
    assert_int_equal(c, 80);
    assert_int_equal(r, 7);
    tui_image_cells(CB_GRAPHICS_BLOCKS, 33, 7, 9, 18, &c, &r);
    assert_int_equal(c, 33);
    assert_int_equal(r, 4);
    /* the box of a pane always fits back into the pane */
    for (int rows = 1; rows < 60; rows++)
        for (int ch = 8; ch < 40; ch += 3) {
            int w, h;
            tui_image_box(CB_GRAPHICS_SIXEL, 50, rows, 9, ch, &w, &h);
            if (!h)
                continue;
            tui_image_cells(CB_GRAPHICS_SIXEL, w, h, 9, ch, &c, &r);
            assert_true(r <= rows);
            assert_int_equal(c, 50);
        }
}

static void test_place(void **state)
{
    (void)state;
    CbBuf b;
    cb_buf_init(&b, 1024);
    const char six[] = "\x1bPq#0!4~\x1b\\";
    assert_int_equal(tui_image_place(&b, 2, 5, six, sizeof six - 1, 0, 0), 0);
    const char want1[] = "\x1b[3;6H\x1bPq#0!4~\x1b\\";
    assert_int_equal(b.len, sizeof want1 - 1);
    assert_memory_equal(b.data, want1, b.len);

    cb_buf_reset(&b);
    const char lines[] = "AB\x1b[0m\nCD\x1b[0m\nEF\x1b[0m\n";
    assert_int_equal(tui_image_place(&b, 0, 9, lines, sizeof lines - 1, 1, 2), 0);
    /* two lines at most, each at column 10, no newline */
    const char want2[] = "\x1b[1;10HAB\x1b[0m\x1b[2;10HCD\x1b[0m";
    assert_int_equal(b.len, sizeof want2 - 1);
    assert_memory_equal(b.data, want2, b.len);
    assert_null(memchr(b.data, '\n', b.len));

    /* a last line without its newline is still written */
    cb_buf_reset(&b);
    assert_int_equal(tui_image_place(&b, 4, 0, "X\nY", 3, 1, 10), 0);
    assert_string_equal(b.data, "\x1b[5;1HX\x1b[6;1HY");

    /* over the cap: CB_ELIMIT and nothing appended */
    CbBuf small;
    cb_buf_init(&small, 12);
    assert_int_equal(cb_buf_puts(&small, "ok"), 0);
    assert_int_equal(tui_image_place(&small, 0, 0, lines, sizeof lines - 1, 1, 3), CB_ELIMIT);
    assert_int_equal(small.len, 2);
    assert_string_equal(small.data, "ok");
    assert_int_equal(tui_image_place(&small, -1, 0, "x", 1, 0, 0), CB_EINVAL);
    cb_buf_free(&small);
    cb_buf_free(&b);
}

static void test_tmux(void **state)
{
    (void)state;
    CbBuf b;
    cb_buf_init(&b, 256);
    const char six[] = "\x1bPq#0;2;0;0;0#0~\x1b\\";
    assert_int_equal(tui_tmux_wrap(&b, six, sizeof six - 1), 0);
    const char want[] = "\x1bPtmux;\x1b\x1bPq#0;2;0;0;0#0~\x1b\x1b\\\x1b\\";
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.data, want, b.len);
    /* every ESC inside is doubled: count them */
    size_t esc = 0;
    for (size_t i = 0; i < b.len; i++)
        esc += b.data[i] == 0x1b;
    assert_int_equal(esc, 2 + 2 * 2);

    cb_buf_reset(&b);
    assert_int_equal(tui_tmux_wrap(&b, "", 0), 0);
    assert_string_equal(b.data, "\x1bPtmux;\x1b\\");
    CbBuf small;
    cb_buf_init(&small, 10);
    assert_int_equal(tui_tmux_wrap(&small, six, sizeof six - 1), CB_ELIMIT);
    assert_int_equal(small.len, 0);
    cb_buf_free(&small);
    cb_buf_free(&b);
}

static size_t keys_of(const char *s, int *k)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        k[i] = (unsigned char)s[i];
    return n;
}

static void test_replies(void **state)
{
    (void)state;
    int k[128];
    size_t n;
    /* xterm -ti vt340's DA1 and the size reports */
    n = keys_of("\x1b[?63;1;2;4;6;9;15;22c", k);
    assert_int_equal(tui_reply_len(k, n), (int)n);
    n = keys_of("\x1b[6;20;10tj", k);
    assert_int_equal(tui_reply_len(k, n), (int)n - 1); /* then a key */
    n = keys_of("\x1b[4;600;800t", k);
    assert_int_equal(tui_reply_len(k, n), (int)n);
    /* incomplete: more keys needed */
    n = keys_of("\x1b[?62;", k);
    assert_int_equal(tui_reply_len(k, n), -1);
    assert_int_equal(tui_reply_len(k, 1), -1);
    assert_int_equal(tui_reply_len(k, 0), -1);
    /* keys, not replies: ESC alone then j, Alt-[ then t, a key sequence
     * curses did not know, ESC [ c without '?', CSI t without parameters */
    n = keys_of("\x1bj", k);
    assert_int_equal(tui_reply_len(k, n), 0);
    n = keys_of("\x1b[t", k);
    assert_int_equal(tui_reply_len(k, n), 0);
    n = keys_of("\x1b[1;5A", k);
    assert_int_equal(tui_reply_len(k, n), 0);
    n = keys_of("\x1b[62c", k);
    assert_int_equal(tui_reply_len(k, n), 0);
    n = keys_of("\x1b[5t", k);
    assert_int_equal(tui_reply_len(k, n), 0);
    n = keys_of("q", k);
    assert_int_equal(tui_reply_len(k, n), 0);
    /* a wide character after ESC [ is no reply */
    k[0] = 27;
    k[1] = '[';
    k[2] = 0x2580;
    assert_int_equal(tui_reply_len(k, 3), 0);
    /* endless parameters are not waited for */
    k[0] = 27;
    k[1] = '[';
    for (int i = 2; i < 128; i++)
        k[i] = '1';
    assert_int_equal(tui_reply_len(k, 128), 0);
    assert_int_equal(tui_reply_len(k, 40), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_box),  cmocka_unit_test(test_cells),   cmocka_unit_test(test_place),
        cmocka_unit_test(test_tmux), cmocka_unit_test(test_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* codecbench dashboard: images on the terminal, the parts without curses
 * (termimg.c, unit-tested): how large an image may be in a pane, the bytes
 * that put it at a cell (CUP, and line by line for half blocks), tmux's
 * passthrough wrapping, and telling a terminal's late replies to the
 * detection queries (DA1, CSI 16 t / 14 t) from keys.
 */
#ifndef CODECBENCH_TUI_TERMIMG_H
#define CODECBENCH_TUI_TERMIMG_H

#include <stddef.h>

#include "codecbench/buf.h"
#include "codecbench/preview.h"

/** Cell size assumed when the terminal did not say.  Fonts are 6..10 x
 * 12..20 pixels (xterm's default 6x13, a VT340's 10x20): the smallest keeps
 * a sixel image inside the pane (a smaller image than the pane could take,
 * never one that runs over the status line or scrolls). */
#define TUI_CELL_W_DEFAULT 6
#define TUI_CELL_H_DEFAULT 12

/** Sixel images are painted in bands of 6 pixel rows. */
#define TUI_SIXEL_BAND 6

/** The pixels an image may take in a pane of cols x rows cells, in mode:
 * sixel: cols * cell_w by rows * cell_h rounded down to whole sixel bands
 * (so the last band never reaches the row under the pane: the terminal
 * never scrolls); blocks: one pixel a column, two a row; text: 0 x 0.
 * Cell sizes <= 0 take the defaults above.  Results are clamped to
 * CB_PREVIEW_MAX_DIM; 0 x 0 when the pane is empty. */
void tui_image_box(CbGraphics mode, int cols, int rows, int cell_w, int cell_h, int *px_w,
                   int *px_h);

/** The cells an image of px_w x px_h pixels covers in mode (rounded up). */
void tui_image_cells(CbGraphics mode, int px_w, int px_h, int cell_w, int cell_h, int *cols,
                     int *rows);

/** Appends to out the bytes that show img at screen cell (y, x), 0-based:
 * lines == 0: CUP to (y, x), then img as it is (a sixel sequence); lines
 * != 0: img is lines ending in "\n" (half blocks, cb_preview_blocks()):
 * each line goes to (y + i, x) with its own CUP and without its "\n" (a
 * newline at the bottom would scroll), at most max_lines lines.  Returns 0,
 * CB_EINVAL, CB_ELIMIT, CB_ENOMEM (out keeps what it had before). */
int tui_image_place(CbBuf *out, int y, int x, const char *img, size_t len, int lines,
                    int max_lines);

/** Appends seq wrapped for tmux's passthrough (DCS "tmux;" seq with every
 * ESC doubled, then ST), which tmux hands to the outer terminal when its
 * allow-passthrough option is on.  Returns 0, CB_ELIMIT, CB_ENOMEM (out
 * keeps what it had before). */
int tui_tmux_wrap(CbBuf *out, const char *seq, size_t len);

/** Keys as the key reader sees them (characters; 27 is ESC).  Is keys[0..n)
 * the start of a terminal's reply to the detection queries (CSI ? ... c,
 * the DA1 answer; CSI digits ; ... t, the window-size answers)?  Returns
 * the reply's length when keys begin with a whole one (to drop), 0 when
 * they do not begin with one (they are keys), -1 when they may still
 * become one (more keys are needed to tell). */
int tui_reply_len(const int *keys, size_t n);

#endif

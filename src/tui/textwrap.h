/* codecbench dashboard: wrapping text to a width in display columns (no
 * curses): what the run detail view does to its paragraphs, and any view
 * that shows long text from data.  Text is UTF-8 as the sanitiser leaves it;
 * widths come from wcwidth() under the current locale (LC_CTYPE), a
 * character it does not know counting one column. */
#ifndef CODECBENCH_TUI_TEXTWRAP_H
#define CODECBENCH_TUI_TEXTWRAP_H

#include <stddef.h>

/** Columns of the character at s (n bytes left); its length in bytes in *len (1 for a byte
 * that starts no valid character). */
int tui_wrap_char_cols(const char *s, size_t n, size_t *len);

/** Splits len bytes of text into rows of at most width columns and calls row(ctx, off,
 * n, indent) for each, in order: bytes off..off+n of text, drawn indent columns in.  A
 * row breaks after the last space that fits, else inside the word (a character wider
 * than the row gets a row of its own); the spaces of a break do not start the next row.
 * Continuation rows are indented by indent columns, or not at all when fewer than 8
 * columns would be left.  Empty text gives one empty row.  A negative return of row stops
 * the wrap and is returned; else the number of rows. */
long tui_wrap(const char *text, size_t len, int width, int indent,
              int (*row)(void *ctx, size_t off, size_t n, int indent), void *ctx);

#endif

/* codecbench dashboard: wrapping text to a width (see textwrap.h). */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth (ncursesw's flags define it for the dashboard) */
#endif
#include "tui/textwrap.h"

#include <string.h>
#include <wchar.h>

/* Columns a continuation row needs at least for its indent to be kept. */
#define MIN_TEXT_COLS 8

int tui_wrap_char_cols(const char *s, size_t n, size_t *len)
{
    mbstate_t ps;
    memset(&ps, 0, sizeof ps);
    wchar_t wc;
    size_t k = mbrtowc(&wc, s, n, &ps);
    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
        *len = 1;
        return 1;
    }
    *len = k;
    int w = wcwidth(wc);
    return w < 0 ? 1 : w;
}

long tui_wrap(const char *text, size_t len, int width, int indent,
              int (*row)(void *ctx, size_t off, size_t n, int indent), void *ctx)
{
    long rows = 0;
    size_t off = 0;
    int ind = 0, rc;
    if (width < 1)
        width = 1;
    if (len == 0)
        return (rc = row(ctx, 0, 0, 0)) < 0 ? rc : 1;
    while (off < len) {
        int avail = width - ind, cols = 0;
        if (avail < MIN_TEXT_COLS) { /* too narrow to indent: use the whole width */
            ind = 0;
            avail = width;
        }
        size_t end = off, brk = 0;
        while (end < len) {
            size_t clen;
            int w = tui_wrap_char_cols(text + end, len - end, &clen);
            if (cols + w > avail)
                break;
            cols += w;
            end += clen;
            if (text[end - clen] == ' ')
                brk = end;
        }
        if (end < len && text[end] != ' ' && brk > off)
            end = brk; /* break after the last space that fits (or at the space that ends
                          the row) */
        if (end == off) { /* one character wider than the row */
            size_t clen;
            tui_wrap_char_cols(text + off, len - off, &clen);
            end = off + clen;
        }
        if ((rc = row(ctx, off, end - off, ind)) < 0)
            return rc;
        rows++;
        off = end;
        while (off < len && text[off] == ' ')
            off++;
        ind = indent > 0 ? indent : 0;
    }
    return rows;
}

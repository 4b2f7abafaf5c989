/* codecbench dashboard: images on the terminal without curses (termimg.h). */
#include "tui/termimg.h"

#include <stdio.h>
#include <string.h>

/* ECMA-48 8.3.21: CUP, cursor position, CSI Pl ; Pc H (1-based). */
#define CUP_FMT "\x1b[%d;%dH"
/* ECMA-48 8.3.27: DCS (ESC P) opens the passthrough, ST (ESC \) ends it;
 * tmux's "tmux;" prefix and doubled ESCs are tmux(1)'s passthrough form. */
#define TMUX_DCS "\x1bPtmux;"
#define ST       "\x1b\\"
#define ESC      0x1b
/* The longest reply the key reader waits for (DA1 with many attributes,
 * CSI 4 ; 65535 ; 65535 t). */
#define REPLY_MAX 64

static int clamp_dim(long v)
{
    if (v < 0)
        return 0;
    return v > CB_PREVIEW_MAX_DIM ? CB_PREVIEW_MAX_DIM : (int)v;
}

void tui_image_box(CbGraphics mode, int cols, int rows, int cell_w, int cell_h, int *px_w,
                   int *px_h)
{
    *px_w = *px_h = 0;
    if (cols <= 0 || rows <= 0)
        return;
    if (mode == CB_GRAPHICS_BLOCKS) {
        *px_w = clamp_dim(cols);
        *px_h = clamp_dim(2L * rows);
    } else if (mode == CB_GRAPHICS_SIXEL) {
        if (cell_w <= 0 || cell_h <= 0) {
            cell_w = TUI_CELL_W_DEFAULT;
            cell_h = TUI_CELL_H_DEFAULT;
        }
        long h = (long)rows * cell_h;
        h -= h % TUI_SIXEL_BAND;
        *px_w = clamp_dim((long)cols * cell_w);
        *px_h = clamp_dim(h - h % TUI_SIXEL_BAND);
        if (*px_h > CB_PREVIEW_MAX_DIM - CB_PREVIEW_MAX_DIM % TUI_SIXEL_BAND)
            *px_h = CB_PREVIEW_MAX_DIM - CB_PREVIEW_MAX_DIM % TUI_SIXEL_BAND;
    }
}

void tui_image_cells(CbGraphics mode, int px_w, int px_h, int cell_w, int cell_h, int *cols,
                     int *rows)
{
    *cols = *rows = 0;
    if (px_w <= 0 || px_h <= 0)
        return;
    if (mode == CB_GRAPHICS_BLOCKS) {
        *cols = px_w;
        *rows = (px_h + 1) / 2;
    } else if (mode == CB_GRAPHICS_SIXEL) {
        if (cell_w <= 0 || cell_h <= 0) {
            cell_w = TUI_CELL_W_DEFAULT;
            cell_h = TUI_CELL_H_DEFAULT;
        }
        /* the terminal paints whole bands */
        int h = (px_h + TUI_SIXEL_BAND - 1) / TUI_SIXEL_BAND * TUI_SIXEL_BAND;
        *cols = (px_w + cell_w - 1) / cell_w;
        *rows = (h + cell_h - 1) / cell_h;
    }
}

int tui_image_place(CbBuf *out, int y, int x, const char *img, size_t len, int lines, int max_lines)
{
    if (!out || (!img && len) || y < 0 || x < 0 || y > 99999 || x > 99999)
        return CB_EINVAL;
    size_t keep = out->len;
    char cup[32];
    int rc = CB_OK;
    if (!lines) {
        int k = snprintf(cup, sizeof cup, CUP_FMT, y + 1, x + 1);
        if (k < 0 || (size_t)k >= sizeof cup)
            return CB_EINVAL;
        rc = cb_buf_append(out, cup, (size_t)k);
        if (rc == CB_OK && len)
            rc = cb_buf_append(out, img, len);
    } else {
        size_t at = 0;
        for (int i = 0; at < len && i < max_lines && rc == CB_OK; i++) {
            const char *nl = memchr(img + at, '\n', len - at);
            size_t end = nl ? (size_t)(nl - img) : len;
            int k = snprintf(cup, sizeof cup, CUP_FMT, y + i + 1, x + 1);
            if (k < 0 || (size_t)k >= sizeof cup) {
                rc = CB_EINVAL;
                break;
            }
            rc = cb_buf_append(out, cup, (size_t)k);
            if (rc == CB_OK && end > at)
                rc = cb_buf_append(out, img + at, end - at);
            at = nl ? end + 1 : len;
        }
    }
    if (rc < 0) {
        out->len = keep;
        if (out->data)
            out->data[keep] = '\0';
    }
    return rc;
}

int tui_tmux_wrap(CbBuf *out, const char *seq, size_t len)
{
    if (!out || (!seq && len))
        return CB_EINVAL;
    size_t keep = out->len;
    int rc = cb_buf_append(out, TMUX_DCS, sizeof TMUX_DCS - 1);
    size_t at = 0;
    while (rc == CB_OK && at < len) {
        const char *e = memchr(seq + at, ESC, len - at);
        size_t end = e ? (size_t)(e - seq) + 1 : len;
        rc = cb_buf_append(out, seq + at, end - at);
        if (rc == CB_OK && e)
            rc = cb_buf_append(out, "\x1b", 1); /* the ESC doubled */
        at = end;
    }
    if (rc == CB_OK)
        rc = cb_buf_append(out, ST, sizeof ST - 1);
    if (rc < 0) {
        out->len = keep;
        if (out->data)
            out->data[keep] = '\0';
    }
    return rc;
}

int tui_reply_len(const int *keys, size_t n)
{
    if (n == 0)
        return -1;
    if (keys[0] != ESC)
        return 0;
    if (n == 1)
        return -1;
    if (keys[1] != '[')
        return 0;
    size_t i = 2;
    int qmark = 0, digits = 0, semis = 0;
    if (i < n && keys[i] == '?') {
        qmark = 1;
        i++;
    }
    for (; i < n && i < REPLY_MAX; i++) {
        int k = keys[i];
        if (k >= '0' && k <= '9') {
            digits++;
            continue;
        }
        if (k == ';') {
            semis++;
            continue;
        }
        /* DA1: CSI ? Ps ; ... c (ECMA-48 8.3.24, the private form terminals
         * answer with); window reports: CSI Ps ; Ps ; Ps t (xterm's
         * ctlseqs, "Window manipulation"). */
        if (k == 'c' && qmark && digits)
            return (int)i + 1;
        if (k == 't' && !qmark && digits && semis)
            return (int)i + 1;
        return 0;
    }
    return i >= REPLY_MAX ? 0 : -1;
}

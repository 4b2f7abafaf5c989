/* codecbench dashboard: a stage's source and diff as display lines
 * (stagedoc.h). */
#include "tui/stagedoc.h"

#include <stdlib.h>
#include <string.h>

#include "codecbench/buf.h"
#include "codecbench/sanitize.h"

/* Longest shown line, bytes after sanitising and expanding (a stage is at
 * most 32 KiB, each byte at most 4 shown bytes "<XX>", a tab 8). */
#define LINE_MAX_BYTES (8u * 32768u + 64u)
/* Most diff bytes shown (twice two whole stages with prefixes is far less). */
#define DIFF_MAX_BYTES (4u << 20)

void tui_stagedoc_free(TuiStageDoc *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i].text);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

/* Columns of sanitised text (code points; sanitised text has no controls). */
static size_t columns(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Appends n raw bytes as a shown line: sanitised piece by piece between
 * tabs, each tab padded to the next stop. */
static int add_line(TuiStageDoc *d, size_t *cap, TuiStageLineKind kind, int number,
                    const char *prefix, const char *s, size_t n, unsigned sanitize)
{
    CbBuf b;
    cb_buf_init(&b, LINE_MAX_BYTES);
    int rc = prefix ? cb_buf_puts(&b, prefix) : CB_OK;
    size_t col = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        const char *tab = memchr(s + i, '\t', n - i);
        size_t m = tab ? (size_t)(tab - (s + i)) : n - i;
        size_t before = b.len;
        rc = cb_sanitize_append(&b, s + i, m, sanitize);
        if (rc == 0)
            col += columns(b.data + before, b.len - before);
        if (rc == 0 && tab) {
            static const char spaces[TUI_STAGEDOC_TAB + 1] = "        ";
            size_t pad = TUI_STAGEDOC_TAB - col % TUI_STAGEDOC_TAB;
            rc = cb_buf_append(&b, spaces, pad);
            col += pad;
        }
        i += m + (tab ? 1 : 0);
    }
    if (rc == 0 && d->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        TuiStageLine *g = realloc(d->lines, nc * sizeof *g);
        if (!g)
            rc = CB_ENOMEM;
        else {
            d->lines = g;
            *cap = nc;
        }
    }
    char *text = rc == 0 ? cb_buf_steal(&b) : NULL;
    if (rc == 0 && !text)
        rc = CB_ENOMEM;
    cb_buf_free(&b);
    if (rc < 0)
        return rc;
    d->lines[d->n++] = (TuiStageLine){.text = text, .kind = kind, .number = number};
    return CB_OK;
}

int tui_stagedoc_source(TuiStageDoc *d, const char *code, unsigned sanitize, CbError *err)
{
    tui_stagedoc_free(d);
    size_t cap = 0, len = code ? strlen(code) : 0;
    int rc = CB_OK, number = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        const char *nl = memchr(code + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (code + i)) : len - i;
        rc = add_line(d, &cap, TUI_SL_CODE, ++number, NULL, code + i, n, sanitize);
        i += n + 1;
    }
    if (rc < 0) {
        tui_stagedoc_free(d);
        return cb_error_set(err, rc, "stage source: %s", cb_strerror(rc));
    }
    return CB_OK;
}

int tui_stagedoc_diff(TuiStageDoc *d, const char *base, const char *code, const char *from,
                      const char *to, unsigned sanitize, CbError *err)
{
    tui_stagedoc_free(d);
    CbBuf out;
    cb_buf_init(&out, DIFF_MAX_BYTES);
    size_t cap = 0;
    CbLineDiffStat st;
    int rc = cb_line_diff(base ? base : "", base ? strlen(base) : 0, code ? code : "",
                          code ? strlen(code) : 0, TUI_STAGEDOC_CONTEXT, &out, &st, err);
    if (rc < 0)
        goto fail;
    if ((rc = add_line(d, &cap, TUI_SL_HEADER, 0, "--- ", from, strlen(from), sanitize)) < 0 ||
        (rc = add_line(d, &cap, TUI_SL_HEADER, 0, "+++ ", to, strlen(to), sanitize)) < 0)
        goto nomem;
    for (size_t i = 0; i < out.len;) {
        const char *s = out.data + i;
        const char *nl = memchr(s, '\n', out.len - i);
        size_t n = nl ? (size_t)(nl - s) : out.len - i;
        TuiStageLineKind kind = TUI_SL_CONTEXT;
        char prefix[2] = {s[0], '\0'};
        switch (s[0]) {
        case '@': kind = TUI_SL_HUNK; break;
        case '+': kind = TUI_SL_ADD; break;
        case '-': kind = TUI_SL_DEL; break;
        case '\\': kind = TUI_SL_NOTE; break;
        default: kind = TUI_SL_CONTEXT; break;
        }
        /* The prefix column apart, so tabs line up as in the source. */
        if (kind == TUI_SL_HUNK || kind == TUI_SL_NOTE)
            rc = add_line(d, &cap, kind, 0, NULL, s, n, sanitize);
        else
            rc = add_line(d, &cap, kind, 0, prefix, s + 1, n ? n - 1 : 0, sanitize);
        if (rc < 0)
            goto nomem;
        i += n + 1;
    }
    d->stat = st;
    cb_buf_free(&out);
    return CB_OK;
nomem:
    cb_error_set(err, rc, "stage diff: %s", cb_strerror(rc));
fail:
    cb_buf_free(&out);
    tui_stagedoc_free(d);
    return rc;
}

long tui_stagedoc_find(const TuiStageDoc *d, size_t from, int backward, const char *pattern,
                       int *wrapped)
{
    if (wrapped)
        *wrapped = 0;
    if (!pattern || !*pattern || d->n == 0)
        return -1;
    if (from >= d->n)
        from = backward ? 0 : d->n - 1;
    for (size_t k = 1; k <= d->n; k++) {
        size_t i = backward ? (from + d->n - k % d->n) % d->n : (from + k) % d->n;
        if (strstr(d->lines[i].text, pattern)) {
            if (wrapped)
                *wrapped = backward ? i >= from : i <= from;
            return (long)i;
        }
    }
    return -1;
}

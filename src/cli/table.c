/* codecbench: aligned text tables for the CLI.
 *
 * `list` prints tens of thousands of cells, so cells live in one arena (a
 * growing byte buffer; a cell is an offset into it) with their display
 * widths, and lines are written with one fwrite each. */
#include "cli/table.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "codecbench/buf.h"
#include "codecbench/sanitize.h"

/* One cell's text is short (a number, a name, a path); this caps what a
 * hostile string can make one cell cost. */
#define CELL_MAX 4096
/* The arena holds every cell of a table; 1 GiB is far beyond any listing. */
#define ARENA_MAX ((size_t)1 << 30)

typedef struct Cell {
    size_t off;   /* into the arena; SIZE_MAX: empty */
    size_t width; /* display width */
} Cell;

struct CliTable {
    size_t n_cols;
    char **titles;
    CliAlign *align;
    size_t *widths; /* per column, the widest cell or title */
    Cell *cells;    /* rows * n_cols, row-major */
    size_t n_rows;
    size_t cap_rows;
    size_t col; /* next column of the current row; n_cols: row ended */
    CbBuf arena;
    int oom;
};

/* Display width: code points of sanitised (printable) UTF-8 text. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

CliTable *cli_table_new(size_t n_cols)
{
    CliTable *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n_cols = n_cols;
    t->col = n_cols;
    cb_buf_init(&t->arena, ARENA_MAX);
    size_t n = n_cols ? n_cols : 1;
    t->titles = calloc(n, sizeof *t->titles);
    t->align = calloc(n, sizeof *t->align);
    t->widths = calloc(n, sizeof *t->widths);
    if (!t->titles || !t->align || !t->widths)
        cli_table_free(&t);
    return t;
}

void cli_table_free(CliTable **tp)
{
    if (!tp || !*tp)
        return;
    CliTable *t = *tp;
    if (t->titles)
        for (size_t i = 0; i < t->n_cols; i++)
            free(t->titles[i]);
    free(t->titles);
    free(t->align);
    free(t->widths);
    free(t->cells);
    cb_buf_free(&t->arena);
    free(t);
    *tp = NULL;
}

/* Plain printable ASCII needs no sanitising (the common case: numbers). */
static int plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

void cli_table_column(CliTable *t, size_t col, const char *title, CliAlign align)
{
    if (!t || col >= t->n_cols)
        return;
    free(t->titles[col]);
    t->titles[col] = cb_sanitize_dup(title ? title : "", 0);
    if (!t->titles[col])
        t->oom = 1;
    t->align[col] = align;
    size_t w = width(t->titles[col]);
    if (w > t->widths[col])
        t->widths[col] = w;
}

static int start_row(CliTable *t)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 64;
        Cell *cells = realloc(t->cells, cap * t->n_cols * sizeof *cells);
        if (!cells)
            return -1;
        t->cells = cells;
        t->cap_rows = cap;
    }
    for (size_t c = 0; c < t->n_cols; c++)
        t->cells[t->n_rows * t->n_cols + c] = (Cell){SIZE_MAX, 0};
    t->n_rows++;
    t->col = 0;
    return 0;
}

/* Appends n bytes of s (sanitised unless plain) as the next cell. */
static void put(CliTable *t, const char *s, size_t n)
{
    if (t->oom || !t->n_cols || (t->col == t->n_cols && start_row(t) < 0)) {
        t->oom = 1;
        return;
    }
    size_t off = t->arena.len;
    int rc = plain(s, n) ? cb_buf_append(&t->arena, s, n) : cb_sanitize_append(&t->arena, s, n, 0);
    if (rc < 0 || cb_buf_append(&t->arena, "", 1) < 0) {
        t->oom = 1;
        return;
    }
    size_t w = width(t->arena.data + off);
    t->cells[(t->n_rows - 1) * t->n_cols + t->col] = (Cell){off, w};
    if (w > t->widths[t->col])
        t->widths[t->col] = w;
    t->col++;
}

void cli_table_add(CliTable *t, const char *text)
{
    if (!t)
        return;
    if (!text)
        text = "-";
    size_t n = strlen(text);
    put(t, text, n < CELL_MAX ? n : CELL_MAX);
}

void cli_table_addf(CliTable *t, const char *fmt, ...)
{
    if (!t)
        return;
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        put(t, small, (size_t)n);
        return;
    }
    CbBuf b;
    cb_buf_init(&b, CELL_MAX);
    va_start(ap, fmt);
    int rc = cb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        cb_buf_reset(&b);
        cb_buf_puts(&b, "(too long)");
    }
    put(t, b.data ? b.data : "", b.len);
    cb_buf_free(&b);
}

void cli_table_num(CliTable *t, double v, int decimals, int sign)
{
    if (!isfinite(v))
        cli_table_add(t, "-");
    else
        cli_table_addf(t, sign ? "%+.*f" : "%.*f", decimals, v);
}

void cli_table_int(CliTable *t, long long v, int dash_negative)
{
    if (dash_negative && v < 0)
        cli_table_add(t, "-");
    else
        cli_table_addf(t, "%lld", v);
}

void cli_table_end_row(CliTable *t)
{
    if (t)
        t->col = t->n_cols;
}

size_t cli_table_rows(const CliTable *t)
{
    return t ? t->n_rows : 0;
}

static int pad(CbBuf *line, size_t n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        if (cb_buf_append(line, spaces, k) < 0)
            return -1;
        n -= k;
    }
    return 0;
}

/* One line of cells (text[c], width w[c]); the last non-empty cell is not
 * padded on the right, so lines carry no trailing spaces. */
static int print_line(const CliTable *t, const char *const *text, const size_t *cw, CbBuf *line,
                      FILE *out, int indent)
{
    cb_buf_reset(line);
    size_t last = t->n_cols;
    while (last > 0 && (!text[last - 1] || !*text[last - 1]))
        last--;
    int rc = pad(line, (size_t)indent);
    for (size_t c = 0; rc == 0 && c < last; c++) {
        const char *s = text[c] ? text[c] : "";
        size_t gap = t->widths[c] > cw[c] ? t->widths[c] - cw[c] : 0;
        if (c)
            rc |= cb_buf_append(line, "  ", 2);
        if (t->align[c] == CLI_RIGHT)
            rc |= pad(line, gap);
        rc |= cb_buf_puts(line, s);
        if (t->align[c] == CLI_LEFT && c + 1 < last)
            rc |= pad(line, gap);
    }
    rc |= cb_buf_append(line, "\n", 1);
    if (rc == 0 && fwrite(line->data, 1, line->len, out) != line->len)
        rc = -1;
    return rc;
}

int cli_table_print(const CliTable *t, FILE *out, int indent)
{
    if (!t || t->oom) {
        cli_error("out of memory while building a table");
        return -1;
    }
    size_t n = t->n_cols ? t->n_cols : 1;
    const char **text = calloc(n, sizeof *text);
    size_t *cw = calloc(n, sizeof *cw);
    char *dashes = NULL;
    CbBuf line;
    cb_buf_init(&line, ARENA_MAX);
    int rc = -1, titled = 0;
    size_t total = 0;
    if (!text || !cw)
        goto out;
    for (size_t c = 0; c < t->n_cols; c++) {
        titled |= t->titles[c] && *t->titles[c];
        total += t->widths[c] + 1;
    }
    if (titled) {
        for (size_t c = 0; c < t->n_cols; c++) {
            text[c] = t->titles[c];
            cw[c] = width(t->titles[c]);
        }
        if (print_line(t, text, cw, &line, out, indent) < 0)
            goto out;
        /* The dashes under each title: slices of one string. */
        dashes = malloc(total + 1);
        if (!dashes)
            goto out;
        size_t pos = 0;
        for (size_t c = 0; c < t->n_cols; c++) {
            memset(dashes + pos, '-', t->widths[c]);
            dashes[pos + t->widths[c]] = '\0';
            text[c] = dashes + pos;
            cw[c] = t->widths[c];
            pos += t->widths[c] + 1;
        }
        if (print_line(t, text, cw, &line, out, indent) < 0)
            goto out;
    }
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols; c++) {
            const Cell *cell = &t->cells[r * t->n_cols + c];
            text[c] = cell->off == SIZE_MAX ? NULL : t->arena.data + cell->off;
            cw[c] = cell->width;
        }
        if (print_line(t, text, cw, &line, out, indent) < 0)
            goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        cli_error("cannot print a table (out of memory or a write error)");
    cb_buf_free(&line);
    free(dashes);
    free(text);
    free(cw);
    return rc;
}

void cli_format_time(double unix_s, char *buf, size_t size)
{
    if (!size)
        return;
    buf[0] = '\0';
    struct tm tm;
    time_t tt = (time_t)unix_s;
    if (!isfinite(unix_s) || !localtime_r(&tt, &tm) ||
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
        if (size >= 2) {
            buf[0] = '-';
            buf[1] = '\0';
        }
    }
}

/* codecbench: aligned text tables for the CLI. */
#include "cli/table.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "codecbench/buf.h"
#include "codecbench/sanitize.h"

/* One cell's text is short (a number, a name, a path); this caps what a
 * hostile string can make one cell cost. */
#define CELL_MAX 4096

struct CliTable {
    size_t n_cols;
    char **titles;
    CliAlign *align;
    char **cells;     /* rows * n_cols, row-major; NULL: empty */
    size_t n_rows;    /* complete or current rows */
    size_t cap_rows;
    size_t col;       /* next column of the current row; n_cols: row ended */
    int oom;
};

CliTable *cli_table_new(size_t n_cols)
{
    CliTable *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n_cols = n_cols;
    t->col = n_cols;
    t->titles = calloc(n_cols ? n_cols : 1, sizeof *t->titles);
    t->align = calloc(n_cols ? n_cols : 1, sizeof *t->align);
    if (!t->titles || !t->align)
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
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->titles);
    free(t->align);
    free(t);
    *tp = NULL;
}

static char *clean_copy(CliTable *t, const char *s)
{
    char *c = cb_sanitize_dup(s, 0);
    if (!c)
        t->oom = 1;
    return c;
}

void cli_table_column(CliTable *t, size_t col, const char *title, CliAlign align)
{
    if (!t || col >= t->n_cols)
        return;
    free(t->titles[col]);
    t->titles[col] = clean_copy(t, title ? title : "");
    t->align[col] = align;
}

static int start_row(CliTable *t)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 16;
        char **cells = realloc(t->cells, cap * t->n_cols * sizeof *cells);
        if (!cells)
            return -1;
        t->cells = cells;
        t->cap_rows = cap;
    }
    memset(t->cells + t->n_rows * t->n_cols, 0, t->n_cols * sizeof *t->cells);
    t->n_rows++;
    t->col = 0;
    return 0;
}

static void put(CliTable *t, char *owned)
{
    if (!t->n_cols || (t->col == t->n_cols && start_row(t) < 0)) {
        t->oom = 1;
        free(owned);
        return;
    }
    t->cells[(t->n_rows - 1) * t->n_cols + t->col++] = owned;
}

void cli_table_add(CliTable *t, const char *text)
{
    if (!t)
        return;
    put(t, clean_copy(t, text ? text : "-"));
}

void cli_table_addf(CliTable *t, const char *fmt, ...)
{
    if (!t)
        return;
    CbBuf b;
    cb_buf_init(&b, CELL_MAX);
    va_list ap;
    va_start(ap, fmt);
    int rc = cb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        cb_buf_reset(&b);
        cb_buf_puts(&b, "(too long)");
    }
    cli_table_add(t, b.data ? b.data : "");
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

/* Display width: code points of sanitised (printable) UTF-8 text. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

static void print_line(const CliTable *t, char *const *cells, const size_t *w, FILE *out,
                       int indent)
{
    pad(out, (size_t)indent);
    /* The last column is not padded on the right: no trailing spaces. */
    size_t last = t->n_cols;
    while (last > 0 && (!cells[last - 1] || !*cells[last - 1]))
        last--;
    for (size_t c = 0; c < last; c++) {
        const char *s = cells[c] ? cells[c] : "";
        size_t sw = width(s);
        size_t gap = w[c] > sw ? w[c] - sw : 0;
        if (c)
            fputs("  ", out);
        if (t->align[c] == CLI_RIGHT)
            pad(out, gap);
        fputs(s, out);
        if (t->align[c] == CLI_LEFT && c + 1 < last)
            pad(out, gap);
    }
    fputc('\n', out);
}

int cli_table_print(const CliTable *t, FILE *out, int indent)
{
    if (!t || t->oom) {
        cli_error("out of memory while building a table");
        return -1;
    }
    size_t *w = calloc(t->n_cols ? t->n_cols : 1, sizeof *w);
    char **dashes = calloc(t->n_cols ? t->n_cols : 1, sizeof *dashes);
    int rc = -1;
    if (!w || !dashes) {
        cli_error("out of memory while printing a table");
        goto out;
    }
    int titled = 0;
    for (size_t c = 0; c < t->n_cols; c++) {
        w[c] = width(t->titles[c]);
        if (w[c])
            titled = 1;
        for (size_t r = 0; r < t->n_rows; r++) {
            size_t cw = width(t->cells[r * t->n_cols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    }
    if (titled) {
        print_line(t, t->titles, w, out, indent);
        for (size_t c = 0; c < t->n_cols; c++) {
            dashes[c] = malloc(w[c] + 1);
            if (!dashes[c]) {
                cli_error("out of memory while printing a table");
                goto out;
            }
            memset(dashes[c], '-', w[c]);
            dashes[c][w[c]] = '\0';
        }
        print_line(t, dashes, w, out, indent);
    }
    for (size_t r = 0; r < t->n_rows; r++)
        print_line(t, t->cells + r * t->n_cols, w, out, indent);
    rc = 0;
out:
    if (dashes)
        for (size_t c = 0; c < t->n_cols; c++)
            free(dashes[c]);
    free(dashes);
    free(w);
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

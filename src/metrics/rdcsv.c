/* codecbench metrics: rate-distortion curves from CSV text.
 *
 * The text comes from outside: it is read by length (embedded NUL bytes are
 * an error, not an end), each number is checked character by character
 * before strtod sees a bounded copy of it, and the point count is capped at
 * CB_BD_MAX_POINTS.  strtod follows LC_NUMERIC; codecbench never changes it
 * from "C", so the decimal point is always '.'.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/metrics.h"

/* Longest number text accepted ("-1234.5678901234567890e-123" is 27). */
#define NUMBER_MAX_CHARS 63

typedef struct Parser {
    const char *name; /* error prefix, may be NULL */
    size_t line;      /* 1-based number of the line being read */
    CbError *err;
} Parser;

/* Sets the error "NAME: line N: TEXT"; returns code.  Fields quoted in TEXT
 * are cut to QUOTE_MAX bytes (they may hold any byte but NUL: the front end
 * sanitises error text before display). */
#define QUOTE_MAX 32
static int fail(const Parser *ps, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const Parser *ps, int code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        msg[0] = '\0';
    return cb_error_set(ps->err, code, "%s: line %zu: %s", ps->name ? ps->name : "csv",
                        ps->line, msg);
}

static int quote_len(size_t n)
{
    return (int)(n > QUOTE_MAX ? QUOTE_MAX : n);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whether text starts (after blanks) like a number: [+-]? then a digit or
 * '.' followed by a digit. */
static int starts_number(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.')
        i++;
    return i < n && is_digit(s[i]);
}

/* Parses one field (blanks around it allowed) as a finite decimal number.
 * Only [0-9+-.eE] reach strtod, so "nan", "inf" and hexadecimal are refused. */
static int parse_number(const Parser *ps, const char *s, size_t n, const char *what, double *out)
{
    while (n > 0 && is_space(s[0]))
        s++, n--;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (n == 0)
        return fail(ps, CB_EFORMAT, "%s", what);
    if (n > NUMBER_MAX_CHARS)
        return fail(ps, CB_EFORMAT, "number too long: \"%.*s...\"", quote_len(n), s);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!is_digit(c) && c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E')
            return fail(ps, CB_EFORMAT, "not a decimal number: \"%.*s\"", quote_len(n), s);
    }
    char buf[NUMBER_MAX_CHARS + 1];
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end != buf + n)
        return fail(ps, CB_EFORMAT, "not a decimal number: \"%.*s\"", quote_len(n), s);
    if (!isfinite(v))
        return fail(ps, CB_EFORMAT, "number out of range: \"%.*s\"", quote_len(n), s);
    *out = v;
    return CB_OK;
}

/* Parses "kbps,psnr" (the line without its end). */
static int parse_point(const Parser *ps, const char *s, size_t n, CbRdPoint *pt)
{
    const char *comma = memchr(s, ',', n);
    if (!comma)
        return fail(ps, CB_EFORMAT, "expected 2 columns (kbps,psnr), found 1");
    size_t n1 = (size_t)(comma - s);
    const char *s2 = comma + 1;
    size_t n2 = n - n1 - 1;
    if (memchr(s2, ',', n2)) {
        size_t cols = 2;
        for (size_t i = 0; i < n2; i++)
            cols += s2[i] == ',';
        return fail(ps, CB_EFORMAT, "expected 2 columns (kbps,psnr), found %zu", cols);
    }
    int ret = parse_number(ps, s, n1, "missing rate", &pt->kbps);
    if (ret < 0)
        return ret;
    ret = parse_number(ps, s2, n2, "missing PSNR", &pt->psnr);
    if (ret < 0)
        return ret;
    if (!(pt->kbps > 0))
        return fail(ps, CB_EFORMAT, "rate %g kbps is not positive", pt->kbps);
    if (!(pt->psnr > 0))
        return fail(ps, CB_EFORMAT, "PSNR %g dB is not positive", pt->psnr);
    return CB_OK;
}

int cb_rd_parse_csv(const char *text, size_t len, const char *name, CbRdPoint **points,
                    size_t *n, CbError *err)
{
    cb_error_clear(err);
    if (!points || !n || (!text && len > 0))
        return cb_error_set(err, CB_EINVAL, "%s: invalid arguments", name ? name : "csv");
    *points = NULL;
    *n = 0;

    Parser ps = {.name = name, .line = 0, .err = err};
    CbRdPoint pts[CB_BD_MAX_POINTS];
    size_t count = 0;
    int seen_content = 0; /* a header is allowed only as the first content line */
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - line) : len - pos;
        pos += llen + (nl ? 1 : 0);
        ps.line++;
        if (llen > 0 && line[llen - 1] == '\r')
            llen--;
        if (memchr(line, '\0', llen))
            return fail(&ps, CB_EFORMAT, "contains a NUL byte");

        size_t i = 0;
        while (i < llen && is_space(line[i]))
            i++;
        if (i == llen || line[i] == '#')
            continue;
        if (!seen_content) {
            seen_content = 1;
            if (!starts_number(line, llen))
                continue; /* the header */
        }
        if (count == CB_BD_MAX_POINTS)
            return fail(&ps, CB_ELIMIT, "more than %d points", CB_BD_MAX_POINTS);
        int ret = parse_point(&ps, line, llen, &pts[count]);
        if (ret < 0)
            return ret;
        count++;
    }
    if (count == 0)
        return cb_error_set(err, CB_EFORMAT, "%s: no data points", name ? name : "csv");

    CbRdPoint *out = malloc(count * sizeof *out);
    if (!out)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", name ? name : "csv");
    memcpy(out, pts, count * sizeof *out);
    *points = out;
    *n = count;
    return CB_OK;
}

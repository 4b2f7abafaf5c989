/* codecbench dashboard: the filter language of lists (see query.h).
 *
 * The text is cut into tokens (spaces separate them, double quotes keep
 * spaces inside), each token becomes a term, and the terms are grouped
 * into clauses: a clause holds when one of its alternatives (terms joined by
 * `or`) holds, the query when every clause holds. */
#include "tui/query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum Op {
    OP_ANY,      /* a bare word: the row's any-text field contains it */
    OP_CONTAINS, /* field:value */
    OP_EQ_TEXT,  /* field:=value, field=value on text */
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_EQ,
    OP_NE,
} Op;

typedef struct Term {
    Op op;
    int negate;
    int id;
    int list;
    char *value; /* text operand (OP_ANY, OP_CONTAINS, OP_EQ_TEXT) */
    double num;  /* numeric operand */
    double tol;  /* OP_EQ / OP_NE: half a unit of the last digit typed */
} Term;

typedef struct Clause {
    size_t first, n; /* alternatives: terms[first .. first + n) */
} Clause;

struct TuiQuery {
    char *text;
    Term *terms;
    size_t n_terms;
    Clause *clauses;
    size_t n_clauses;
};

/* A token as typed: its raw span (for errors), its unquoted text, and where
 * the first quote was in the unquoted text (only what precedes it can be a
 * field name and operator). */
typedef struct Token {
    const char *raw;
    size_t raw_len;
    char *text;
    size_t len;
    size_t quote_at; /* len when unquoted */
} Token;

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int ci_equal_n(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

int tui_query_contains(const char *hay, const char *needle)
{
    if (!needle[0])
        return 1;
    int first = lower((unsigned char)needle[0]);
    for (const char *h = hay; *h; h++) {
        if (lower((unsigned char)*h) != first)
            continue;
        size_t k = 1;
        while (needle[k] && h[k] && lower((unsigned char)h[k]) == lower((unsigned char)needle[k]))
            k++;
        if (!needle[k])
            return 1;
        if (!h[k])
            return 0;
    }
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* Reads the token at *p (not at a space) into t; its text is a new string.
 * CB_EINVAL for an unterminated quote. */
static int next_token(const char **p, Token *t, CbError *err)
{
    const char *s = *p;
    size_t cap = strlen(s) + 1;
    t->text = malloc(cap);
    if (!t->text)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    t->raw = s;
    t->len = 0;
    t->quote_at = (size_t)-1;
    int quoted = 0;
    while (*s && (quoted || !is_space(*s))) {
        if (*s == '"') {
            if (!quoted && t->quote_at == (size_t)-1)
                t->quote_at = t->len;
            quoted = !quoted;
            s++;
            continue;
        }
        if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
            s++;
        t->text[t->len++] = *s++;
    }
    t->text[t->len] = '\0';
    t->raw_len = (size_t)(s - t->raw);
    if (t->quote_at == (size_t)-1)
        t->quote_at = t->len;
    *p = s;
    if (quoted) {
        int rc =
            cb_error_set(err, CB_EINVAL, "%.*s: the quote is not closed", (int)t->raw_len, t->raw);
        free(t->text);
        t->text = NULL;
        return rc;
    }
    return CB_OK;
}

/* Parses a number operand: strtod over all of it, an optional trailing '%'.
 * *tol gets half a unit of its last digit. */
static int parse_number(const char *v, double *out, double *tol)
{
    size_t n = strlen(v);
    if (n && v[n - 1] == '%')
        n--;
    if (n == 0 || n > 64)
        return -1;
    char buf[72];
    memcpy(buf, v, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (is_space(buf[i]))
            return -1;
    char *end = NULL;
    double d = strtod(buf, &end);
    if (end != buf + n || !isfinite(d))
        return -1;
    /* Only decimal notation gets a tolerance from its digits; "1e3" is exact. */
    int decimals = 0, dot = 0, exp = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == 'e' || buf[i] == 'E' || buf[i] == 'x' || buf[i] == 'X')
            exp = 1;
        else if (buf[i] == '.')
            dot = 1;
        else if (dot && buf[i] >= '0' && buf[i] <= '9')
            decimals++;
    }
    *out = d;
    *tol = exp ? 0.0 : 0.5 * pow(10.0, -decimals) * (1 + 1e-9);
    return 0;
}

static const TuiQueryField *find_field(const TuiQuerySchema *sc, const char *name, size_t n)
{
    for (size_t i = 0; i < sc->n_fields; i++)
        if (ci_equal_n(sc->fields[i].name, strlen(sc->fields[i].name), name, n))
            return &sc->fields[i];
    return NULL;
}

/* Whether value names one of choices (part of one for ':', all of one for
 * ':='). */
static int choice_ok(const char *const *choices, const char *value, int exact)
{
    for (size_t i = 0; choices[i]; i++) {
        if (exact ? ci_equal_n(choices[i], strlen(choices[i]), value, strlen(value))
                  : tui_query_contains(choices[i], value))
            return 1;
    }
    return 0;
}

static int choice_error(const TuiQueryField *f, const Token *t, const char *value, CbError *err)
{
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; f->choices[i]; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? " " : "", f->choices[i]);
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    return cb_error_set(err, CB_EINVAL, "%.*s: unknown %s '%s' (one of: %s)", (int)t->raw_len,
                        t->raw, f->name, value, list);
}

/* Turns a token (not "or") into a term. */
static int make_term(const TuiQuerySchema *sc, const Token *t, Term *term, CbError *err)
{
    memset(term, 0, sizeof *term);
    const char *s = t->text;
    size_t len = t->len, quote_at = t->quote_at;
    if (quote_at > 0 && (s[0] == '-' || s[0] == '!')) {
        term->negate = 1;
        s++;
        len--;
        quote_at--;
        if (len == 0)
            return cb_error_set(err, CB_EINVAL, "%.*s: a term is needed after '%c'",
                                (int)t->raw_len, t->raw, t->text[0]);
    }
    size_t nlen = 0;
    while (nlen < quote_at && is_name_char(s[nlen]))
        nlen++;
    Op op = OP_ANY;
    size_t oplen = 0;
    if (nlen > 0 && nlen < quote_at) {
        const char *o = s + nlen;
        size_t left = quote_at - nlen;
        if (left >= 2 && o[0] == ':' && o[1] == '=')
            op = OP_EQ_TEXT, oplen = 2;
        else if (o[0] == ':')
            op = OP_CONTAINS, oplen = 1;
        else if (left >= 2 && o[0] == '<' && o[1] == '=')
            op = OP_LE, oplen = 2;
        else if (left >= 2 && o[0] == '>' && o[1] == '=')
            op = OP_GE, oplen = 2;
        else if (left >= 2 && o[0] == '!' && o[1] == '=')
            op = OP_NE, oplen = 2;
        else if (left >= 2 && o[0] == '=' && o[1] == '=')
            op = OP_EQ, oplen = 2;
        else if (o[0] == '<')
            op = OP_LT, oplen = 1;
        else if (o[0] == '>')
            op = OP_GT, oplen = 1;
        else if (o[0] == '=')
            op = OP_EQ, oplen = 1;
    }
    if (op == OP_ANY) {
        term->op = OP_ANY;
        term->id = sc->any_id;
        term->value = strndup(s, len);
        if (!term->value)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        return CB_OK;
    }
    const char *opname = s + nlen;
    const char *value = s + nlen + oplen;
    const TuiQueryField *f = find_field(sc, s, nlen);
    if (!f)
        return cb_error_set(err, CB_EINVAL, "unknown field '%.*s' (fields: %s)", (int)nlen, s,
                            sc->names ? sc->names : "");
    if (!*value)
        return cb_error_set(err, CB_EINVAL, "%.*s: %s is needed after '%.*s'", (int)t->raw_len,
                            t->raw, f->kind == TUI_QUERY_NUMBER ? "a number" : "a value",
                            (int)oplen, opname);
    term->id = f->id;
    term->list = f->list;
    if (f->kind == TUI_QUERY_TEXT) {
        switch (op) {
        case OP_LT:
        case OP_LE:
        case OP_GT:
        case OP_GE:
            return cb_error_set(
                err, CB_EINVAL, "%.*s: %s is text and '%.*s' compares numbers (use %s:%s)",
                (int)t->raw_len, t->raw, f->name, (int)oplen, opname, f->name, value);
        case OP_EQ: op = OP_EQ_TEXT; break;
        case OP_NE:
            op = OP_EQ_TEXT;
            term->negate = !term->negate;
            break;
        default: break;
        }
        if (f->choices && !choice_ok(f->choices, value, op == OP_EQ_TEXT))
            return choice_error(f, t, value, err);
        term->op = op;
        term->value = strdup(value);
        if (!term->value)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        return CB_OK;
    }
    if (op == OP_CONTAINS || op == OP_EQ_TEXT)
        op = OP_EQ;
    if (parse_number(value, &term->num, &term->tol) < 0)
        return cb_error_set(err, CB_EINVAL, "%.*s: '%s' is not a number", (int)t->raw_len, t->raw,
                            value);
    term->op = op;
    return CB_OK;
}

static void term_clear(Term *t)
{
    free(t->value);
    t->value = NULL;
}

void tui_query_free(TuiQuery **q)
{
    if (!q || !*q)
        return;
    for (size_t i = 0; i < (*q)->n_terms; i++)
        term_clear(&(*q)->terms[i]);
    free((*q)->terms);
    free((*q)->clauses);
    free((*q)->text);
    free(*q);
    *q = NULL;
}

static int is_or(const Token *t)
{
    return t->quote_at == t->len &&
           (ci_equal_n(t->text, t->len, "or", 2) || (t->len == 1 && t->text[0] == '|') ||
            (t->len == 2 && t->text[0] == '|' && t->text[1] == '|'));
}

int tui_query_parse(const char *text, const TuiQuerySchema *schema, TuiQuery **out, CbError *err)
{
    *out = NULL;
    if (!text)
        text = "";
    if (strlen(text) > TUI_QUERY_MAX_BYTES)
        return cb_error_set(err, CB_ELIMIT, "the filter is longer than %d bytes",
                            TUI_QUERY_MAX_BYTES);
    TuiQuery *q = calloc(1, sizeof *q);
    Token tok = {0};
    int rc = CB_OK;
    if (!q) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    /* At most one term per byte: count tokens generously. */
    size_t cap = strlen(text) / 2 + 2;
    q->terms = calloc(cap, sizeof *q->terms);
    q->clauses = calloc(cap, sizeof *q->clauses);
    while (is_space(*text))
        text++;
    size_t tl = strlen(text);
    while (tl && is_space(text[tl - 1]))
        tl--;
    q->text = strndup(text, tl);
    if (!q->terms || !q->clauses || !q->text) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    const char *p = q->text;
    int pending_or = 0;
    const char *or_raw = NULL;
    size_t or_len = 0;
    for (;;) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        rc = next_token(&p, &tok, err);
        if (rc < 0)
            goto fail;
        if (is_or(&tok)) {
            if (q->n_clauses == 0 || pending_or) {
                rc = cb_error_set(err, CB_EINVAL, "'%.*s' needs a term on each side",
                                  (int)tok.raw_len, tok.raw);
                goto fail;
            }
            pending_or = 1;
            or_raw = tok.raw;
            or_len = tok.raw_len;
        } else {
            if (q->n_terms == cap) {
                rc = cb_error_set(err, CB_ELIMIT, "too many terms in the filter");
                goto fail;
            }
            rc = make_term(schema, &tok, &q->terms[q->n_terms], err);
            if (rc < 0)
                goto fail;
            if (pending_or) {
                q->clauses[q->n_clauses - 1].n++;
                pending_or = 0;
            } else {
                q->clauses[q->n_clauses].first = q->n_terms;
                q->clauses[q->n_clauses].n = 1;
                q->n_clauses++;
            }
            q->n_terms++;
        }
        free(tok.text);
        tok.text = NULL;
    }
    if (pending_or) {
        rc = cb_error_set(err, CB_EINVAL, "'%.*s' needs a term on each side", (int)or_len, or_raw);
        goto fail;
    }
    *out = q;
    return CB_OK;
fail:
    free(tok.text);
    tui_query_free(&q);
    return rc;
}

/* Whether one element of the comma-separated list equals value. */
static int list_has(const char *list, const char *value)
{
    size_t vn = strlen(value);
    const char *s = list;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        if (ci_equal_n(s, n, value, vn))
            return 1;
        if (!e)
            return 0;
        s = e + 1;
    }
}

static int term_holds(const Term *t, const TuiQueryAccess *a, size_t row)
{
    int r = 0;
    switch (t->op) {
    case OP_ANY:
    case OP_CONTAINS: {
        const char *v = a->text(a->ctx, row, t->id);
        r = v && tui_query_contains(v, t->value);
        break;
    }
    case OP_EQ_TEXT: {
        const char *v = a->text(a->ctx, row, t->id);
        r = v && (t->list ? list_has(v, t->value)
                          : ci_equal_n(v, strlen(v), t->value, strlen(t->value)));
        break;
    }
    default: {
        double v = a->number(a->ctx, row, t->id);
        if (isnan(v))
            break;
        switch (t->op) {
        case OP_LT: r = v < t->num; break;
        case OP_LE: r = v <= t->num; break;
        case OP_GT: r = v > t->num; break;
        case OP_GE: r = v >= t->num; break;
        case OP_EQ: r = fabs(v - t->num) <= t->tol; break;
        case OP_NE: r = !(fabs(v - t->num) <= t->tol); break;
        default: break;
        }
    }
    }
    return t->negate ? !r : r;
}

int tui_query_match(const TuiQuery *q, const TuiQueryAccess *a, size_t row)
{
    if (!q)
        return 1;
    for (size_t c = 0; c < q->n_clauses; c++) {
        const Clause *cl = &q->clauses[c];
        int any = 0;
        for (size_t i = 0; i < cl->n && !any; i++)
            any = term_holds(&q->terms[cl->first + i], a, row);
        if (!any)
            return 0;
    }
    return 1;
}

const char *tui_query_text(const TuiQuery *q)
{
    return q && q->text ? q->text : "";
}

int tui_query_is_empty(const TuiQuery *q)
{
    return !q || q->n_terms == 0;
}

int tui_query_uses(const TuiQuery *q, int id)
{
    if (!q)
        return 0;
    for (size_t i = 0; i < q->n_terms; i++)
        if (q->terms[i].id == id)
            return 1;
    return 0;
}

/* codecbench stage: reading the stage's text as the preprocessor does
 * (steps 1a and 1b of include/codecbench/sandbox.h): the dependency list,
 * the preprocessed tokens and the source's own directives.  Everything
 * here reads hostile bytes: every index is checked against its length,
 * and what goes into an error is printable. */
#include <stdio.h>
#include <string.h>

#include "codecbench/buf.h"
#include "stage/scan.h"

/* ---- dependencies ----------------------------------------------------------- */

static const char *const world_deps[] = {
    "stage.c",           "../world/stdint.h",           "../world/stddef.h", "../world/stdbool.h",
    "../world/limits.h", "../world/codecbench/stage.h",
};

/* The line of stage.c whose #include names dep (for the refusal), or 0. */
static int include_line(const char *src, size_t len, const char *dep)
{
    size_t dl = strlen(dep);
    int line = 1;
    const char *p = src, *end = src + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *inc = NULL;
        for (size_t i = 0; i + 7 <= ll; i++)
            if (memcmp(p + i, "include", 7) == 0) {
                inc = p + i;
                break;
            }
        if (inc) {
            for (const char *q = inc; q + dl <= p + ll; q++)
                if (memcmp(q, dep, dl) == 0)
                    return line;
        }
        line++;
        p += ll + 1;
    }
    return 0;
}

/* Checks the make-style dependency list in text: every file but the
 * target must be the stage or a header of the world. */
int cb_stage_check_deps(const char *text, size_t n, const char *src, size_t srclen, CbError *err)
{
    /* Past "target:" */
    const char *colon = memchr(text, ':', n);
    if (!colon)
        return cb_error_set(err, CB_ESTAGE, "the compiler wrote no dependency list for the stage");
    size_t i = (size_t)(colon - text) + 1;
    char dep[512];
    while (i < n) {
        while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                         (text[i] == '\\' && i + 1 < n && text[i + 1] == '\n')))
            i += text[i] == '\\' ? 2 : 1;
        if (i >= n)
            break;
        size_t dl = 0;
        int toolong = 0;
        while (i < n && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') {
            char c = text[i];
            if (c == '\\' && i + 1 < n && text[i + 1] == '\n')
                break;
            if (c == '\\' && i + 1 < n &&
                (text[i + 1] == ' ' || text[i + 1] == '#' || text[i + 1] == '\\'))
                c = text[++i];
            else if (c == '$' && i + 1 < n && text[i + 1] == '$')
                i++;
            if (dl + 1 < sizeof(dep))
                dep[dl++] = c;
            else
                toolong = 1;
            i++;
        }
        dep[dl] = '\0';
        int ok = !toolong;
        if (ok) {
            ok = 0;
            for (size_t k = 0; k < sizeof(world_deps) / sizeof(world_deps[0]); k++)
                ok |= strcmp(dep, world_deps[k]) == 0;
        }
        if (!ok) {
            CbBuf shown;
            cb_buf_init(&shown, 200);
            for (size_t k = 0; k < dl && k < 120; k++) {
                unsigned char c = (unsigned char)dep[k];
                char one[5];
                snprintf(one, sizeof(one), c >= 0x20 && c < 0x7f ? "%c" : "\\x%02x", c);
                cb_buf_puts(&shown, one);
            }
            const char *name = shown.data ? shown.data : "?";
            int line = toolong ? 0 : include_line(src, srclen, dep);
            int rc;
            if (line > 0)
                rc = cb_error_set(err, CB_ESTAGE,
                                  "stage.c:%d: stage.c includes %s%s, which is outside the stage "
                                  "world (stage.h, stdint.h, stddef.h, stdbool.h, limits.h)",
                                  line, name, toolong ? "..." : "");
            else
                rc = cb_error_set(err, CB_ESTAGE,
                                  "stage.c includes %s%s, which is outside the stage world "
                                  "(stage.h, stdint.h, stddef.h, stdbool.h, limits.h)",
                                  name, toolong ? "..." : "");
            cb_buf_free(&shown);
            return rc;
        }
    }
    return 0;
}

/* ---- the token scan ------------------------------------------------------ */

/* Attributes that run code at load, place code or data where the loader
 * acts on it, change code generation behind the flags, or alias the
 * stage's symbols (sandbox.h 1b); each also spelled __NAME__. */
static const char *const bad_attributes[] = {
    "section", "constructor", "destructor", "init_priority", "alias",     "weak",
    "weakref", "ifunc",       "target",     "target_clones", "optimize",  "naked",
    "used",    "visibility",  "symver",     "copy",          "interrupt", "tls_model",
};

static int is_ident_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c >= 0x80;
}

static int ident_is(const char *p, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(p, word, n) == 0;
}

static int bad_attribute(const char *p, size_t n)
{
    /* __name__ is name */
    if (n > 4 && p[0] == '_' && p[1] == '_' && p[n - 1] == '_' && p[n - 2] == '_') {
        p += 2;
        n -= 4;
    }
    for (size_t k = 0; k < sizeof(bad_attributes) / sizeof(bad_attributes[0]); k++)
        if (ident_is(p, n, bad_attributes[k]))
            return (int)k;
    return -1;
}

/* Scans the preprocessed text (n bytes).  Line markers ("# N "file" ...")
 * give the line of stage.c each token came from. */
int cb_stage_scan_tokens(const char *t, size_t n, CbError *err)
{
    int line = 1, in_stage = 1, stage_line = 1;
    int bol = 1;          /* at the start of a line */
    int attr_pending = 0; /* __attribute__ seen, its "(" not yet */
    int attr_depth = 0;   /* inside __attribute__((...)) */
    size_t i = 0;
#define HERE (in_stage ? line : stage_line)
    while (i < n) {
        unsigned char c = (unsigned char)t[i];
        if (c == '\n') {
            line++;
            bol = 1;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if (bol && c == '#') {
            size_t j = i + 1;
            while (j < n && (t[j] == ' ' || t[j] == '\t'))
                j++;
            if (j < n && t[j] >= '0' && t[j] <= '9') {
                long v = 0;
                while (j < n && t[j] >= '0' && t[j] <= '9' && v < 100000000)
                    v = v * 10 + (t[j++] - '0');
                while (j < n && t[j] == ' ')
                    j++;
                int stage = j + 9 <= n && memcmp(t + j, "\"stage.c\"", 9) == 0;
                if (in_stage && !stage)
                    stage_line = line;
                in_stage = stage;
                /* The marker names the number of the line after it. */
                line = (int)v - 1;
                while (j < n && t[j] != '\n')
                    j++;
                i = j;
                continue;
            }
            size_t k = j;
            while (k < n && is_ident_char((unsigned char)t[k]))
                k++;
            if (ident_is(t + j, k - j, "pragma"))
                return cb_error_set(err, CB_ESTAGE, "stage.c:%d: #pragma is not allowed in a stage",
                                    HERE);
            return cb_error_set(err, CB_ESTAGE,
                                "stage.c:%d: a directive left after preprocessing (#%.*s) is not "
                                "allowed in a stage",
                                HERE, (int)(k - j < 20 ? k - j : 20), t + j);
        }
        bol = 0;
        if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < n && t[j] != (char)c && t[j] != '\n')
                j += t[j] == '\\' && j + 1 < n && t[j + 1] != '\n' ? 2 : 1;
            i = j < n && t[j] == (char)c ? j + 1 : j;
            continue;
        }
        if (c == '/' && i + 1 < n && t[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < n && !(t[j] == '*' && t[j + 1] == '/')) {
                if (t[j] == '\n')
                    line++;
                j++;
            }
            i = j + 2;
            continue;
        }
        if (c == '/' && i + 1 < n && t[i + 1] == '/') {
            while (i < n && t[i] != '\n')
                i++;
            continue;
        }
        if ((c >= '0' && c <= '9') ||
            (c == '.' && i + 1 < n && t[i + 1] >= '0' && t[i + 1] <= '9')) {
            /* A pp-number: "1asm" is one token, not asm. */
            size_t j = i + 1;
            while (j < n) {
                unsigned char d = (unsigned char)t[j];
                if ((d == '+' || d == '-') && strchr("eEpP", t[j - 1]))
                    j++;
                else if (is_ident_char(d) || d == '.')
                    j++;
                else
                    break;
            }
            i = j;
            continue;
        }
        if (is_ident_char(c)) {
            size_t j = i;
            while (j < n && is_ident_char((unsigned char)t[j]))
                j++;
            const char *id = t + i;
            size_t len = j - i;
            i = j;
            if (ident_is(id, len, "asm") || ident_is(id, len, "__asm") ||
                ident_is(id, len, "__asm__"))
                return cb_error_set(err, CB_ESTAGE, "stage.c:%d: %.*s is not allowed in a stage",
                                    HERE, (int)len, id);
            if (ident_is(id, len, "__attribute__") || ident_is(id, len, "__attribute")) {
                attr_pending = 1;
                continue;
            }
            if (attr_depth > 0) {
                int k = bad_attribute(id, len);
                if (k >= 0)
                    return cb_error_set(err, CB_ESTAGE,
                                        "stage.c:%d: the attribute %s is not allowed in a stage",
                                        HERE, bad_attributes[k]);
            }
            attr_pending = 0;
            continue;
        }
        if (c == '(') {
            if (attr_pending || attr_depth > 0)
                attr_depth++;
            attr_pending = 0;
        } else if (c == ')') {
            if (attr_depth > 0)
                attr_depth--;
        } else {
            attr_pending = 0;
        }
        i++;
    }
#undef HERE
    return 0;
}

/* ---- the directives of the source ------------------------------------------
 *
 * Some pragmas act inside the preprocessor and leave nothing in its output
 * (once, GCC poison, GCC system_header, GCC dependency, push_macro), so
 * the directives are also read from the source itself, as the
 * preprocessor's first phases see it: trigraphs (on under -std=c11),
 * digraphs (%:), backslash-newline splices and comments. */

typedef struct Cursor {
    const char *s;
    size_t n, i;
    int line;
} Cursor;

/* The next character after trigraph replacement and line splicing; -1 at
 * the end. */
static int cur_get(Cursor *c)
{
    static const char tri_from[] = "=/'()!<>-";
    static const char tri_to[] = "#\\^[]|{}~";
    for (;;) {
        if (c->i >= c->n)
            return -1;
        int ch = (unsigned char)c->s[c->i];
        size_t w = 1;
        if (ch == '?' && c->i + 2 < c->n && c->s[c->i + 1] == '?') {
            const char *t = strchr(tri_from, c->s[c->i + 2]);
            if (t && c->s[c->i + 2]) {
                ch = (unsigned char)tri_to[t - tri_from];
                w = 3;
            }
        }
        if (ch == '\\') {
            size_t j = c->i + w;
            if (j < c->n && c->s[j] == '\r')
                j++;
            if (j < c->n && c->s[j] == '\n') {
                c->i = j + 1;
                c->line++;
                continue;
            }
        }
        c->i += w;
        if (ch == '\n')
            c->line++;
        return ch;
    }
}

static int cur_peek(const Cursor *c)
{
    Cursor t = *c;
    return cur_get(&t);
}

/* Skips a comment whose "/" was read and whose second character is next. */
static void skip_comment(Cursor *c)
{
    int kind = cur_get(c);
    int prev = 0, ch;
    while ((ch = cur_peek(c)) >= 0) {
        if (kind == '/' && ch == '\n')
            return;
        cur_get(c);
        if (kind == '*' && prev == '*' && ch == '/')
            return;
        prev = ch;
    }
}

int cb_stage_scan_directives(const char *src, size_t len, CbError *err)
{
    static const char *const allowed[] = {"include", "define", "undef", "if",    "ifdef",  "ifndef",
                                          "elif",    "else",   "endif", "error", "warning"};
    Cursor c = {src, len, 0, 1};
    int bol = 1, ch;
    while ((ch = cur_get(&c)) >= 0) {
        if (ch == '\n') {
            bol = 1;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v')
            continue;
        if (ch == '/' && (cur_peek(&c) == '*' || cur_peek(&c) == '/')) {
            skip_comment(&c);
            continue;
        }
        if (bol && (ch == '#' || (ch == '%' && cur_peek(&c) == ':'))) {
            int line = c.line;
            if (ch == '%')
                cur_get(&c);
            /* Blanks and comments between # and the name. */
            for (;;) {
                int p = cur_peek(&c);
                if (p == ' ' || p == '\t' || p == '\f' || p == '\v' || p == '\r') {
                    cur_get(&c);
                } else if (p == '/') {
                    Cursor t = c;
                    cur_get(&t);
                    int q = cur_peek(&t);
                    if (q != '*' && q != '/')
                        break;
                    c = t;
                    skip_comment(&c);
                } else {
                    break;
                }
            }
            char name[24];
            size_t nl = 0;
            int p;
            while ((p = cur_peek(&c)) >= 0 && is_ident_char((unsigned char)p)) {
                cur_get(&c);
                if (nl + 1 < sizeof(name))
                    name[nl++] = (char)p;
            }
            name[nl] = '\0';
            int ok = nl == 0 && (p < 0 || p == '\n' || p == '/'); /* the null directive */
            for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]) && !ok; k++)
                ok = strcmp(name, allowed[k]) == 0;
            if (!ok) {
                for (size_t k = 0; k < nl; k++)
                    if (!(name[k] >= 'a' && name[k] <= 'z') &&
                        !(name[k] >= '0' && name[k] <= '9') && name[k] != '_')
                        name[k] = '?';
                return cb_error_set(err, CB_ESTAGE, "stage.c:%d: #%s is not allowed in a stage",
                                    line, nl ? name : "(a directive without a name)");
            }
            bol = 0;
            continue;
        }
        bol = 0;
        if (ch == '"' || ch == '\'') {
            int q = ch, prev = 0;
            while ((ch = cur_peek(&c)) >= 0 && ch != '\n') {
                cur_get(&c);
                if (ch == q && prev != '\\')
                    break;
                prev = prev == '\\' ? 0 : ch;
            }
            continue;
        }
        if (is_ident_char((unsigned char)ch)) {
            int line = c.line;
            char id[24];
            size_t nl = 0;
            id[nl++] = (char)ch;
            int p;
            while ((p = cur_peek(&c)) >= 0 && is_ident_char((unsigned char)p)) {
                cur_get(&c);
                if (nl + 1 < sizeof(id))
                    id[nl++] = (char)p;
                else
                    nl = sizeof(id); /* too long to be any of these */
            }
            if (nl < sizeof(id)) {
                id[nl] = '\0';
                if (strcmp(id, "_Pragma") == 0)
                    return cb_error_set(err, CB_ESTAGE,
                                        "stage.c:%d: _Pragma is not allowed in a stage", line);
                /* Probing for files outside the world is no business of a
                 * stage either. */
                if (strcmp(id, "__has_include") == 0 || strcmp(id, "__has_include_next") == 0)
                    return cb_error_set(err, CB_ESTAGE, "stage.c:%d: %s is not allowed in a stage",
                                        line, id);
            }
        }
    }
    return 0;
}

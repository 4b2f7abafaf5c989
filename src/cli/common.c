/* codecbench: helpers shared by the subcommands. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/buf.h"
#include "codecbench/recipe.h"
#include "codecbench/sanitize.h"

void cli_puts_sanitized(FILE *out, const char *s)
{
    char *clean = cb_sanitize_dup(s, 0);
    fputs(clean ? clean : "(out of memory)", out);
    free(clean);
}

void cli_puts_wrapped(FILE *out, const char *s, int width)
{
    char *clean = cb_sanitize_dup(s, 0);
    if (!clean) {
        fputs("(out of memory)\n", out);
        return;
    }
    /* Greedy, at spaces; a word longer than the width stands on its own
     * line.  Sanitised text is ASCII or UTF-8 without controls: columns are
     * counted in code points (continuation bytes do not count). */
    const char *p = clean;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *line = p, *cut = NULL;
        int cols = 0;
        for (const char *q = p; *q; q++) {
            if (*q == ' ' && cols <= width)
                cut = q;
            if (((unsigned char)*q & 0xC0) != 0x80)
                cols++;
            if (cols > width && cut)
                break;
        }
        size_t n = strlen(line);
        if (cols > width && cut)
            n = (size_t)(cut - line);
        fprintf(out, "%.*s\n", (int)n, line);
        p = line + n;
    }
    free(clean);
}

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 20);
    if (cb_buf_vprintf(&b, fmt, ap) < 0)
        cb_buf_puts(&b, "(message too long)");
    fprintf(stderr, "codecbench: %s", prefix);
    cli_puts_sanitized(stderr, b.data ? b.data : "");
    fputc('\n', stderr);
    cb_buf_free(&b);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("warning: ", fmt, ap);
    va_end(ap);
}

int cli_fail(const CbError *err)
{
    cli_error("%s", err->text[0] ? err->text : cb_strerror(err->code));
    return CB_EXIT_FAIL;
}

static void log_to_stderr(void *opaque, CbLogLevel level, const char *msg)
{
    (void)opaque;
    if (level == CB_LOG_WARN)
        cli_warn("%s", msg);
    else
        cli_error("%s", msg);
}

const CbLogger *cli_logger(void)
{
    static const CbLogger logger = {log_to_stderr, NULL, CB_LOG_WARN};
    return &logger;
}

int cli_usage(const CbCommand *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Usage: codecbench %s %s\nTry 'codecbench %s --help'.\n", cmd->name,
            cmd->args, cmd->name);
    return CB_EXIT_USAGE;
}

long long cli_parse_count(const char *s)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    return v;
}

int cli_count_arg(const CbCommand *cmd, const char *name, const char *value, long long min,
                  long long *out)
{
    *out = cli_parse_count(value);
    if (*out < min)
        return cli_usage(cmd, "%s needs a whole number >= %lld, not '%s'", name, min, value);
    return CB_EXIT_OK;
}

int cli_read_recipe(const char *path, char **text, CbRecipe *r, CbError *err)
{
    CbBuf b;
    cb_buf_init(&b, CB_RECIPE_MAX_BYTES);
    *text = NULL;
    int rc = cb_buf_read_file(&b, path, err);
    if (rc == CB_OK && r)
        rc = cb_recipe_parse(b.data ? b.data : "", b.len, path, r, err);
    else if (rc == CB_OK && b.len && memchr(b.data, '\0', b.len))
        rc = cb_error_set(err, CB_EFORMAT, "%s: not a recipe: it contains a NUL byte", path);
    if (rc == CB_OK && !(*text = cb_buf_steal(&b)))
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    cb_buf_free(&b);
    return rc;
}

int cli_load_recipe(const char *path, CbRecipe *r, CbError *err)
{
    char *text = NULL;
    int rc = cli_read_recipe(path, &text, r, err);
    free(text);
    return rc;
}

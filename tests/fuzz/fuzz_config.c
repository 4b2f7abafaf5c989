/* libFuzzer target: the config parser.  Whatever the input: no crash, leak
 * or undefined behaviour; a refused text sets an error naming "fuzz:LINE";
 * an accepted one prints (cb_config_format) as text that parses back to the
 * same settings, bindings and colours, and prints again identically but for
 * the sources.
 *
 * Built and run by tests/fuzz/run, seeded with src/config/defaults.conf and
 * themes/NAME.theme (tests/fuzz/seeds/config).  By hand (after a build in
 * build/, which generates src/config/builtin.inc):
 *   clang -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L \
 *     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -Iinclude -Isrc -Ibuild  tests/fuzz/fuzz_config.c src/config/config.c \
 *     src/config/settings.c src/config/names.c src/config/places.c \
 *     src/util/error.c src/util/buf.c -o fuzz_config */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const CbConfig *a, const CbConfig *b)
{
    for (size_t i = 0; i < cb_config_setting_count(); i++) {
        const char *n = cb_config_setting_info(i)->name;
        if (strcmp(cb_config_get_string(a, n), cb_config_get_string(b, n)) != 0)
            abort();
    }
    if (cb_config_binding_count(a) != cb_config_binding_count(b))
        abort();
    for (size_t i = 0; i < cb_config_binding_count(a); i++) {
        const CbBinding *x = cb_config_binding(a, i);
        for (int v = 0; v < CB_VIEW_COUNT; v++)
            if (cb_config_key_request(a, (CbView)v, x->key) !=
                cb_config_key_request(b, (CbView)v, x->key))
                abort();
    }
    for (int ar = 0; ar < CB_AREA_COUNT; ar++) {
        CbColor x = cb_config_color(a, (CbColorArea)ar), y = cb_config_color(b, (CbColorArea)ar);
        if (x.fg != y.fg || x.bg != y.bg || x.attrs != y.attrs)
            abort();
    }
}

/* The text without its comments (the sources differ between prints). */
static char *strip_comments(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    if (!out)
        abort();
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        const char *hash = memchr(s, '#', n);
        size_t keep = hash ? (size_t)(hash - s) : n;
        while (keep && s[keep - 1] == ' ')
            keep--;
        memcpy(o, s, keep);
        o += keep;
        *o++ = '\n';
        s += n + (nl ? 1 : 0);
    }
    *o = 0;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CbConfig *cfg = NULL, *again = NULL;
    CbError err;
    cb_error_clear(&err);
    if (cb_config_new(&cfg, &err) != 0)
        abort();
    int rc = cb_config_parse(cfg, (const char *)data, size, "fuzz", &err);
    if (rc < 0) {
        if (err.code != rc || strncmp(err.text, "fuzz:", 5) != 0)
            abort();
        cb_config_free(&cfg);
        return 0;
    }
    char *text = cb_config_format(cfg);
    if (!text || cb_config_new(&again, &err) != 0)
        abort();
    if (cb_config_parse(again, text, strlen(text), "printed", &err) != 0)
        abort();
    same(cfg, again);
    char *text2 = cb_config_format(again);
    char *s1 = strip_comments(text), *s2 = text2 ? strip_comments(text2) : NULL;
    /* A theme from another file can be named in a value, but the printed
     * colours are explicit lines: both prints show the same lines. */
    if (!s2 || strcmp(s1, s2) != 0)
        abort();
    free(s1);
    free(s2);
    free(text);
    free(text2);
    cb_config_free(&again);
    cb_config_free(&cfg);
    return 0;
}

/* codecbench config: the table of settings, and turning text into a valid
 * value of a setting (ranges, names, URLs), with errors naming the reason. */
#include "config/settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecbench/buf.h"

/* The one table.  Defaults live in src/config/defaults.conf (store's is
 * computed: cb_config_data_dir()); cb_config_new() checks every setting got
 * one.  Ranges: workers up to 256 processes; limits up to 30 days and 1 TiB;
 * the poll interval between 10 ms (a busy loop otherwise) and 10 s. */
static const CbSettingInfo table[] = {
    {"store", CB_SETTING_PATH, 0, 0, NULL, "", NULL,
     "The store folder (SQLite index and run folders); by default $XDG_DATA_HOME/codecbench, "
     "else ~/.local/share/codecbench"},
    {"workers", CB_SETTING_INT, 1, 256, NULL, "", "the number of online cores",
     "Runs executed at once by the runner"},
    {"wall_limit", CB_SETTING_INT, 0, 2592000, NULL, "seconds", NULL,
     "Wall-clock limit of one run; 0: none"},
    {"memory_limit", CB_SETTING_INT, 0, 1048576, NULL, "MiB", NULL,
     "Memory limit of a worker (RLIMIT_DATA); 0: none"},
    {"cancel_grace", CB_SETTING_INT, 0, 600, NULL, "seconds", NULL,
     "Time between SIGTERM and SIGKILL when a run is cancelled or over its limit"},
    {"runner_idle_exit", CB_SETTING_INT, 0, 86400, NULL, "seconds", NULL,
     "The runner exits after being idle this long; 0: as soon as the queue is empty"},
    {"poll_interval_ms", CB_SETTING_INT, 10, 10000, NULL, "milliseconds", NULL,
     "Timer of the dashboard and of followers of a running worker's events"},
    {"theme", CB_SETTING_NAME, 0, 0, NULL, "", NULL,
     "Colour theme: NAME.theme in ~/.config/codecbench/themes, the installed themes, or the "
     "built-in default and mono"},
    {"proposer", CB_SETTING_ENUM, 0, 0, "local|llm", "", NULL,
     "Who proposes the next recipes: the local search (no network) or the LLM"},
    {"preview", CB_SETTING_ENUM, 0, 0, "auto|sixel|blocks|text", "", NULL,
     "How frames are shown: auto detects sixel support, else Unicode half blocks"},
    {"llm.endpoint", CB_SETTING_URL, 0, 0, NULL, "", NULL,
     "Base URL of an OpenAI-compatible API (the client appends /chat/completions)"},
    {"llm.model", CB_SETTING_STRING, 0, 0, NULL, "", NULL, "Model name sent to the endpoint"},
    {"llm.api_key_env", CB_SETTING_ENVVAR, 0, 0, NULL, "", NULL,
     "Name of the environment variable that holds the API key (never the key itself)"},
    {"llm.timeout", CB_SETTING_INT, 1, 3600, NULL, "seconds", NULL,
     "Time limit of one request to the endpoint"},
    /* the LLM client's other limits: temperature in thousandths (0..2, the
     * OpenAI API's range); retries as llm.h allows (0..10); a budget up to
     * 10^12 tokens */
    {"llm.temperature", CB_SETTING_REAL, 0, 2000, NULL, "", "the server's default (none sent)",
     "Sampling temperature of proposals"},
    {"llm.connect_timeout", CB_SETTING_INT, 1, 600, NULL, "seconds", NULL,
     "Time limit of connecting to the endpoint"},
    {"llm.idle_timeout", CB_SETTING_INT, 1, 3600, NULL, "seconds", NULL,
     "A reply that sends nothing for this long is abandoned (and retried)"},
    {"llm.retries", CB_SETTING_INT, 0, 10, NULL, "", NULL,
     "Attempts after the first on HTTP 429, 5xx and connection errors (backoff with jitter, or "
     "the server's Retry-After)"},
    {"llm.budget", CB_SETTING_INT, 0, 1000000000000LL, NULL, "tokens", NULL,
     "Tokens the proposal loop may spend per experiment; 0: no limit"},
    /* the stage hosts' limits (issue 8; src/worker/stagerun.h): an answer
     * and the CPU of a host up to a day; data from 64 MiB (a host's own
     * needs with a CIF frame) to 1 TiB */
    {"stage.timeout", CB_SETTING_INT, 1, 86400, NULL, "seconds", NULL,
     "Longest wait for one answer of a stage host (the sandboxed process that runs a run's stage "
     "code); a host that takes longer is killed and the run fails"},
    {"stage.cpu_limit", CB_SETTING_INT, 1, 86400, NULL, "seconds", NULL,
     "CPU limit of one stage host (RLIMIT_CPU): a stage that loops is stopped by it"},
    {"stage.memory_limit", CB_SETTING_INT, 64, 1048576, NULL, "MiB", NULL,
     "Memory limit of one stage host (RLIMIT_DATA)"},
};
#define N_SETTINGS (sizeof table / sizeof table[0])

size_t cb_config_setting_count(void)
{
    return N_SETTINGS;
}

const CbSettingInfo *cb_config_setting_info(size_t i)
{
    return i < N_SETTINGS ? &table[i] : NULL;
}

int cb_config_setting_find(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!strcmp(table[i].name, name))
            return (int)i;
    return -1;
}

int cb_config_env_name(const char *name, char *out, size_t size)
{
    static const char prefix[] = "CODECBENCH_";
    size_t n = strlen(name);
    if (size < sizeof prefix + n)
        return CB_ELIMIT;
    memcpy(out, prefix, sizeof prefix - 1);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        out[sizeof prefix - 1 + i] = c == '.' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    out[sizeof prefix - 1 + n] = 0;
    return CB_OK;
}

long long cfg_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > 256 ? 256 : n;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

/* Sets v->text to a new copy of s (the canonical text). */
static int set_text(CfgValue *v, const char *s, size_t n, CbError *err)
{
    char *t = malloc(n + 1);
    if (!t)
        return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
    memcpy(t, s, n);
    t[n] = 0;
    v->text = t;
    return CB_OK;
}

static int parse_int(const CbSettingInfo *s, const char *text, CfgValue *v, CbError *err)
{
    char buf[32];
    if (s->auto_means && !strcmp(text, "auto")) {
        v->is_auto = 1;
        v->i = cfg_online_cores();
        if (v->i < s->min)
            v->i = s->min;
        if (v->i > s->max)
            v->i = s->max;
        return set_text(v, "auto", 4, err);
    }
    const char *p = text;
    while (*p && is_digit(*p))
        p++;
    if (!*text || *p || p - text > 18)
        return cb_error_set(err, CB_EINVAL, "%s: '%s' is not a whole number%s", s->name, text,
                            s->auto_means ? " or auto" : "");
    errno = 0;
    long long x = strtoll(text, NULL, 10);
    if (errno || x < s->min || x > s->max)
        return cb_error_set(err, CB_EINVAL, "%s: %s is outside %lld..%lld", s->name, text, s->min,
                            s->max);
    v->is_auto = 0;
    v->i = x;
    int w = snprintf(buf, sizeof buf, "%lld", x);
    if (w < 0 || (size_t)w >= sizeof buf)
        return cb_error_set(err, CB_EINVAL, "%s: '%s' is not a whole number", s->name, text);
    return set_text(v, buf, (size_t)w, err);
}

/* "0.7", "1", "0.125": up to 3 decimals, kept in thousandths; the canonical
 * text drops trailing zeros. */
static int parse_real(const CbSettingInfo *s, const char *text, CfgValue *v, CbError *err)
{
    char buf[48];
    if (s->auto_means && !strcmp(text, "auto")) {
        v->i = CFG_REAL_AUTO;
        return set_text(v, "auto", 4, err);
    }
    const char *p = text;
    long long whole = 0, frac = 0;
    int nd = 0, nf = 0;
    for (; is_digit(*p) && nd < 12; p++, nd++)
        whole = whole * 10 + (*p - '0');
    if (*p == '.')
        for (p++; is_digit(*p) && nf < 3; p++, nf++)
            frac = frac * 10 + (*p - '0');
    if (nd == 0 || *p)
        return cb_error_set(err, CB_EINVAL, "%s: '%s' is not a decimal number with at most 3 decimals%s",
                            s->name, text, s->auto_means ? ", or auto" : "");
    for (int i = nf; i < 3; i++)
        frac *= 10;
    long long x = whole * 1000 + frac;
    if (x < s->min || x > s->max)
        return cb_error_set(err, CB_EINVAL, "%s: %s is outside %g..%g", s->name, text, (double)s->min / 1000.0,
                            (double)s->max / 1000.0);
    v->i = x;
    int w = x % 1000 ? snprintf(buf, sizeof buf, "%lld.%03lld", x / 1000, x % 1000)
                     : snprintf(buf, sizeof buf, "%lld", x / 1000);
    if (w < 0 || (size_t)w >= sizeof buf)
        return cb_error_set(err, CB_EINVAL, "%s: '%s' is not a decimal number", s->name, text);
    while (x % 1000 && buf[w - 1] == '0')
        buf[--w] = 0;
    return set_text(v, buf, (size_t)w, err);
}

static int valid_name(const char *t)
{
    size_t n = strlen(t);
    if (n < 1 || n > 64 || t[0] == '.' || t[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
              c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int valid_envvar(const char *t)
{
    size_t n = strlen(t);
    if (n < 1 || n > 64 || is_digit(t[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || is_digit(t[i]) || t[i] == '_'))
            return 0;
    return 1;
}

static int valid_url(const char *t)
{
    size_t n = strlen(t);
    size_t scheme = !strncmp(t, "https://", 8) ? 8 : !strncmp(t, "http://", 7) ? 7 : 0;
    if (!scheme || n <= scheme || n > 2048)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f || t[i] == '"' || t[i] == '\\')
            return 0;
    return 1;
}

int cfg_parse_value(const CbSettingInfo *s, const char *text, int from_file, CfgValue *v,
                    CbError *err)
{
    v->text = NULL;
    v->is_auto = 0;
    v->i = 0;
    if (has_control(text))
        return cb_error_set(err, CB_EINVAL, "%s: the value holds a control character", s->name);
    size_t n = strlen(text);
    switch (s->type) {
    case CB_SETTING_INT:
        return parse_int(s, text, v, err);
    case CB_SETTING_REAL:
        return parse_real(s, text, v, err);
    case CB_SETTING_STRING:
        if (n > 1024)
            return cb_error_set(err, CB_EINVAL, "%s: longer than 1024 bytes", s->name);
        return set_text(v, text, n, err);
    case CB_SETTING_PATH: {
        if (!n)
            return cb_error_set(err, CB_EINVAL, "%s: the path is empty", s->name);
        if (n > CFG_PATH_MAX)
            return cb_error_set(err, CB_EINVAL, "%s: the path is longer than %d bytes", s->name,
                                CFG_PATH_MAX);
        if (!strcmp(text, "~") || !strncmp(text, "~/", 2)) {
            const char *home = getenv("HOME");
            if (!home || home[0] != '/')
                return cb_error_set(err, CB_EINVAL, "%s: '%s' needs $HOME, which is not set",
                                    s->name, text);
            CbBuf b;
            cb_buf_init(&b, CFG_PATH_MAX);
            int rc = cb_buf_puts(&b, home);
            if (rc == CB_OK)
                rc = cb_buf_puts(&b, text + 1);
            if (rc < 0) {
                cb_buf_free(&b);
                return cb_error_set(err, rc, "%s: the path is longer than %d bytes", s->name,
                                    CFG_PATH_MAX);
            }
            v->text = cb_buf_steal(&b);
            return v->text ? CB_OK : cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
        }
        if (text[0] == '/')
            return set_text(v, text, n, err);
        if (from_file)
            return cb_error_set(err, CB_EINVAL,
                                "%s: '%s' is not an absolute path (in a file, write /... or ~/...)",
                                s->name, text);
        /* From the environment or a flag: relative to the current folder,
         * made absolute now so that it means the same to every process. */
        char cwd[CFG_PATH_MAX + 1];
        if (!getcwd(cwd, sizeof cwd))
            return cb_error_set(err, CB_EINVAL, "%s: '%s' is relative and the current folder is "
                                "unknown: %s", s->name, text, strerror(errno));
        CbBuf b;
        cb_buf_init(&b, CFG_PATH_MAX);
        int rc = cb_buf_printf(&b, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", text);
        if (rc < 0) {
            cb_buf_free(&b);
            return cb_error_set(err, CB_EINVAL, "%s: the path is longer than %d bytes", s->name,
                                CFG_PATH_MAX);
        }
        v->text = cb_buf_steal(&b);
        return v->text ? CB_OK : cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
    }
    case CB_SETTING_NAME:
        if (!valid_name(text))
            return cb_error_set(err, CB_EINVAL,
                                "%s: '%s' is not a name (1..64 of A-Z a-z 0-9 _ . -, not "
                                "starting with . or -)",
                                s->name, text);
        return set_text(v, text, n, err);
    case CB_SETTING_ENVVAR:
        /* The value is not echoed: a user who pasted the key itself must
         * not see it printed back into a terminal or a log. */
        if (!valid_envvar(text))
            return cb_error_set(err, CB_EINVAL,
                                "%s: the value is not the name of an environment variable "
                                "(A-Z 0-9 _, at most 64): give the name of the variable that "
                                "holds the API key, never the key itself",
                                s->name);
        return set_text(v, text, n, err);
    case CB_SETTING_URL:
        if (!valid_url(text))
            return cb_error_set(err, CB_EINVAL,
                                "%s: '%s' is not an http:// or https:// URL (no spaces or quotes, "
                                "at most 2048 bytes)",
                                s->name, text);
        return set_text(v, text, n, err);
    case CB_SETTING_ENUM: {
        const char *c = s->choices;
        while (*c) {
            const char *bar = strchr(c, '|');
            size_t len = bar ? (size_t)(bar - c) : strlen(c);
            if (len == n && !strncmp(c, text, n))
                return set_text(v, text, n, err);
            c += len + (bar ? 1 : 0);
        }
        CbBuf b;
        cb_buf_init(&b, 1024);
        for (c = s->choices; *c; c++)
            if (cb_buf_append(&b, *c == '|' ? ", " : c, *c == '|' ? 2 : 1) < 0)
                break;
        int rc = cb_error_set(err, CB_EINVAL, "%s: '%s' is not one of %s", s->name, text,
                              b.data ? b.data : s->choices);
        cb_buf_free(&b);
        return rc;
    }
    }
    return cb_error_set(err, CB_EINVAL, "%s: unknown type", s->name);
}

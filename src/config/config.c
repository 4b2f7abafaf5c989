/* codecbench config: the configuration object, the one parser of config
 * text (built-in defaults, the user's file, sourced files, themes), the
 * environment and flags with their precedence, and printing it back. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codecbench/buf.h"
#include "codecbench/config.h"
#include "src/config/builtin.inc" /* generated in the build tree */
#include "config/settings.h"

/* Precedence of sources, lowest first. */
enum { PREC_DEFAULT = 0, PREC_FILE = 1, PREC_ENV = 2, PREC_FLAG = 3 };

#define MAX_BINDINGS 4096  /* more than every view times every named key */
#define MAX_SOURCE_DEPTH 8
#define MAX_FILES 64       /* files one load may read through source lines */

typedef struct Setting {
    CfgValue v;
    int prec;
    char *source;
} Setting;

typedef struct ColorSlot {
    int set;
    int fg, bg;
    unsigned attrs;
    char *source;
} ColorSlot;

typedef struct Bind {
    CbBinding pub; /* pub.source points at src */
    char *src;
} Bind;

struct CbConfig {
    Setting *settings;          /* cb_config_setting_count() of them */
    Bind *binds;
    size_t n_binds, cap_binds;
    ColorSlot colors[CB_AREA_COUNT]; /* the config's own color lines */
    ColorSlot theme[CB_AREA_COUNT];  /* the theme's */
    char *theme_name;                /* the theme loaded into theme[] */
};

/* Where the lines being parsed come from. */
typedef struct Ctx {
    CbConfig *cfg;
    const char *name;    /* file name in errors and sources */
    int prec;            /* PREC_DEFAULT or PREC_FILE */
    const char *dir;     /* folder for relative source lines; NULL: none allowed */
    int depth;           /* source nesting */
    int *files;          /* files read so far in this load */
    ColorSlot *theme;    /* theme mode: color lines only, stored here */
    const char *theme_name;
} Ctx;

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *fmt_str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_str(const char *fmt, ...)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    va_list ap;
    va_start(ap, fmt);
    int rc = cb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    return cb_buf_steal(&b);
}

static void clear_slots(ColorSlot *slots)
{
    for (int i = 0; i < CB_AREA_COUNT; i++) {
        free(slots[i].source);
        memset(&slots[i], 0, sizeof slots[i]);
    }
}

void cb_config_free(CbConfig **pcfg)
{
    if (!pcfg || !*pcfg)
        return;
    CbConfig *cfg = *pcfg;
    if (cfg->settings)
        for (size_t i = 0; i < cb_config_setting_count(); i++) {
            free(cfg->settings[i].v.text);
            free(cfg->settings[i].source);
        }
    free(cfg->settings);
    for (size_t i = 0; i < cfg->n_binds; i++)
        free(cfg->binds[i].src);
    free(cfg->binds);
    clear_slots(cfg->colors);
    clear_slots(cfg->theme);
    free(cfg->theme_name);
    free(cfg);
    *pcfg = NULL;
}

/* ---- reading files ---------------------------------------------------------- */

/* Reads path into b: 1 when it does not exist and missing_ok, else 0 or an
 * error naming the file. */
static int read_config_file(const char *path, int missing_ok, CbBuf *b, CbError *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && missing_ok)
            return 1;
        return cb_error_set(err, errno == ENOENT ? CB_ENOENT : CB_EIO, "%s: %s", path,
                            strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return cb_error_set(err, CB_EIO, "%s: is a folder, not a config file", path);
    if (!S_ISREG(st.st_mode))
        return cb_error_set(err, CB_EIO, "%s: not a regular file", path);
    if (st.st_size > CB_CONFIG_MAX_BYTES)
        return cb_error_set(err, CB_ELIMIT, "%s: larger than %d bytes", path, CB_CONFIG_MAX_BYTES);
    cb_buf_init(b, CB_CONFIG_MAX_BYTES);
    return cb_buf_read_file(b, path, err);
}

static char *join_path(const char *dir, const char *name)
{
    return fmt_str("%s/%s", dir, name);
}

/* ---- themes ------------------------------------------------------------------- */

static int parse_text(Ctx *ctx, const char *text, size_t len, CbError *err);

/* cfg_builtin_themes[]: every shipped theme, from builtin.inc. */
#define N_BUILTIN_THEMES (sizeof cfg_builtin_themes / sizeof cfg_builtin_themes[0])

/* Loads theme `name` into cfg->theme (replacing it only on success). */
static int load_theme(CbConfig *cfg, const char *name, CbError *err)
{
    ColorSlot slots[CB_AREA_COUNT];
    memset(slots, 0, sizeof slots);
    char *file = fmt_str("%s.theme", name);
    char *user_dir = cb_config_user_themes_dir();
    char *user = file && user_dir ? join_path(user_dir, file) : NULL;
    char *inst = file ? join_path(cb_config_themes_dir(), file) : NULL;
    CbBuf b;
    cb_buf_init(&b, CB_CONFIG_MAX_BYTES);
    int files = 0, rc = CB_OK;
    if (!file || !inst || (user_dir && !user)) {
        rc = cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
        goto out;
    }
    const char *candidates[2] = {user, inst};
    for (int i = 0; i < 2; i++) {
        if (!candidates[i])
            continue;
        rc = read_config_file(candidates[i], 1, &b, err);
        if (rc < 0)
            goto out;
        if (rc == 0) {
            Ctx ctx = {cfg, candidates[i], PREC_FILE, NULL, 0, &files, slots, name};
            rc = parse_text(&ctx, b.data, b.len, err);
            goto out;
        }
        cb_buf_free(&b);
    }
    for (size_t i = 0; i < N_BUILTIN_THEMES; i++)
        if (!strcmp(name, cfg_builtin_themes[i].name)) {
            Ctx ctx = {cfg, "built-in", PREC_DEFAULT, NULL, 0, &files, slots, name};
            rc = parse_text(&ctx, cfg_builtin_themes[i].text, strlen(cfg_builtin_themes[i].text), err);
            goto out;
        }
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < N_BUILTIN_THEMES && used < sizeof names; i++) {
        int k = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                         cfg_builtin_themes[i].name);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    rc = cb_error_set(err, CB_ENOENT, "no theme '%s' (looked for %s in %s and %s; built in: %s)",
                      name, file, user_dir ? user_dir : "(no user folder: HOME is not set)",
                      cb_config_themes_dir(), names);
out:
    if (rc == CB_OK) {
        char *n = dup_str(name);
        if (!n) {
            rc = cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
        } else {
            clear_slots(cfg->theme);
            memcpy(cfg->theme, slots, sizeof slots);
            memset(slots, 0, sizeof slots);
            free(cfg->theme_name);
            cfg->theme_name = n;
        }
    }
    clear_slots(slots);
    cb_buf_free(&b);
    free(file);
    free(user_dir);
    free(user);
    free(inst);
    return rc;
}

/* ---- applying values ------------------------------------------------------------ */

/* Validates text as setting idx and stores it if prec is at least the
 * current value's (a lower-precedence value is checked, then dropped). */
static int apply_setting(CbConfig *cfg, int idx, const char *text, int prec, int from_file,
                         char *source, CbError *err)
{
    const CbSettingInfo *info = cb_config_setting_info((size_t)idx);
    Setting *s = &cfg->settings[idx];
    CfgValue v;
    int rc = cfg_parse_value(info, text, from_file, &v, err);
    if (rc < 0)
        goto fail;
    if (prec < s->prec && s->source) {
        free(v.text);
        free(source);
        return CB_OK;
    }
    if (!strcmp(info->name, "theme") && (rc = load_theme(cfg, v.text, err)) < 0) {
        cb_error_prefix(err, "theme");
        free(v.text);
        goto fail;
    }
    free(s->v.text);
    free(s->source);
    s->v = v;
    s->prec = prec;
    s->source = source;
    return CB_OK;
fail:
    free(source);
    return rc;
}

static int apply_bind(CbConfig *cfg, CbView view, int key, CbRequest req, char *source,
                      CbError *err)
{
    for (size_t i = 0; i < cfg->n_binds; i++) {
        Bind *b = &cfg->binds[i];
        if (b->pub.view == view && b->pub.key == key) {
            free(b->src);
            b->src = source;
            b->pub.source = source;
            b->pub.req = req;
            return CB_OK;
        }
    }
    if (cfg->n_binds >= MAX_BINDINGS) {
        free(source);
        return cb_error_set(err, CB_ELIMIT, "more than %d key bindings", MAX_BINDINGS);
    }
    if (cfg->n_binds == cfg->cap_binds) {
        size_t cap = cfg->cap_binds ? cfg->cap_binds * 2 : 128;
        Bind *nb = realloc(cfg->binds, cap * sizeof *nb);
        if (!nb) {
            free(source);
            return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
        }
        cfg->binds = nb;
        cfg->cap_binds = cap;
        /* pub.source pointers point at strings, not into the array: still valid. */
    }
    Bind *b = &cfg->binds[cfg->n_binds++];
    b->pub.view = view;
    b->pub.key = key;
    b->pub.req = req;
    b->pub.source = source;
    b->src = source;
    return CB_OK;
}

/* ---- the parser ------------------------------------------------------------- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static char *skip_ws(char *p)
{
    while (is_ws(*p))
        p++;
    return p;
}

/* The next whitespace-separated token, NUL-terminated in place; NULL at the
 * end of the line or at a comment. */
static char *next_token(char **pp)
{
    char *p = skip_ws(*pp);
    if (!*p || *p == '#') {
        *pp = p;
        return NULL;
    }
    char *t = p;
    while (*p && !is_ws(*p))
        p++;
    if (*p)
        *p++ = 0;
    *pp = p;
    return t;
}

/* A value: "quoted" (\" and \\ escapes) or the rest of the line up to a
 * comment (a # at the start or after whitespace), trimmed.  *quoted says
 * which.  Returns NULL with a reason in *why. */
static char *parse_value_text(char *p, int *quoted, const char **why)
{
    p = skip_ws(p);
    *quoted = 0;
    if (*p == '"') {
        *quoted = 1;
        char *out = p, *in = p + 1, *start = p;
        for (;;) {
            if (!*in) {
                *why = "the closing \" is missing";
                return NULL;
            }
            if (*in == '"')
                break;
            if (*in == '\\') {
                if (in[1] != '"' && in[1] != '\\') {
                    *why = "only \\\" and \\\\ may follow a backslash in quotes";
                    return NULL;
                }
                in++;
            }
            *out++ = *in++;
        }
        *out = 0;
        char *rest = skip_ws(in + 1);
        if (*rest && *rest != '#') {
            *why = "text after the closing quote";
            return NULL;
        }
        return start;
    }
    char *v = p, *end = p;
    for (; *end; end++)
        if (*end == '#' && (end == v || is_ws(end[-1])))
            break;
    while (end > v && is_ws(end[-1]))
        end--;
    *end = 0;
    return v;
}

/* Length of the valid UTF-8 sequence (shortest form, no surrogates, at most
 * U+10FFFF) starting at s with n bytes left; 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n || c == 0xC0 || c == 0xC1 || c > 0xF4)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

/* Checks a line's bytes: no NUL, no control characters but tab, valid UTF-8. */
static const char *check_bytes(const unsigned char *s, size_t n, unsigned *bad)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c == 0)
            return "a NUL byte (binary data?)";
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            *bad = c;
            return "a control character";
        }
        size_t len = utf8_len(s + i, n - i);
        if (!len)
            return "invalid UTF-8";
        i += len;
    }
    return NULL;
}

static char *source_text(const Ctx *ctx, int line)
{
    if (ctx->theme)
        return ctx->prec == PREC_DEFAULT ? fmt_str("theme %s, built-in:%d", ctx->theme_name, line)
                                         : fmt_str("theme %s, %s:%d", ctx->theme_name, ctx->name,
                                                   line);
    if (ctx->prec == PREC_DEFAULT)
        return dup_str("default");
    return fmt_str("file %s:%d", ctx->name, line);
}

static int line_set(Ctx *ctx, char *p, int line, CbError *err)
{
    p = skip_ws(p);
    char *name = p;
    while (*p && !is_ws(*p) && *p != '=')
        p++;
    char *name_end = p;
    p = skip_ws(p);
    if (name == name_end || *p != '=')
        return cb_error_set(err, CB_EFORMAT, "set needs NAME = VALUE");
    *name_end = 0;
    int idx = cb_config_setting_find(name);
    if (idx < 0)
        return cb_error_set(err, CB_EINVAL, "'%s' is not a setting ('codecbench config' lists them)",
                            name);
    int quoted;
    const char *why = NULL;
    char *value = parse_value_text(p + 1, &quoted, &why);
    if (!value)
        return cb_error_set(err, CB_EFORMAT, "%s: %s", name, why);
    if (!quoted && !*value)
        return cb_error_set(err, CB_EFORMAT, "%s: the value is missing (\"\" is an empty one)", name);
    char *src = source_text(ctx, line);
    if (!src)
        return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
    return apply_setting(ctx->cfg, idx, value, ctx->prec, ctx->prec == PREC_FILE, src, err);
}

static int line_bind(Ctx *ctx, char *p, int line, CbError *err)
{
    char *view = next_token(&p), *key = view ? next_token(&p) : NULL;
    char *req = key ? next_token(&p) : NULL;
    if (!req)
        return cb_error_set(err, CB_EFORMAT, "bind needs VIEW KEY REQUEST");
    if (next_token(&p))
        return cb_error_set(err, CB_EFORMAT, "bind takes VIEW KEY REQUEST and nothing more");
    int v = cb_config_view_from_name(view);
    if (v < 0) {
        CbBuf b;
        cb_buf_init(&b, 4096);
        for (int i = 0; i < CB_VIEW_COUNT; i++)
            cb_buf_printf(&b, "%s%s", i ? ", " : "", cb_config_view_name((CbView)i));
        int rc = cb_error_set(err, CB_EINVAL, "'%s' is not a view (%s)", view, b.data ? b.data : "");
        cb_buf_free(&b);
        return rc;
    }
    int k;
    int rc = cb_config_key_parse(key, &k, err);
    if (rc < 0)
        return rc;
    int r = cb_config_request_from_name(req);
    if (r < 0)
        return cb_error_set(err, CB_EINVAL,
                            "'%s' is not a request ('codecbench config --help' lists them)", req);
    char *src = source_text(ctx, line);
    if (!src)
        return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
    return apply_bind(ctx->cfg, (CbView)v, k, (CbRequest)r, src, err);
}

static int attr_list_error(const char *word, CbError *err)
{
    CbBuf b;
    cb_buf_init(&b, 4096);
    for (int i = 0; i < CB_ATTR_COUNT; i++)
        cb_buf_printf(&b, "%s, ", cb_config_attr_name(i));
    cb_buf_puts(&b, "normal");
    int rc = cb_error_set(err, CB_EINVAL, "'%s' is not an attribute (%s)", word,
                          b.data ? b.data : "");
    cb_buf_free(&b);
    return rc;
}

static int line_color(Ctx *ctx, char *p, int line, CbError *err)
{
    char *area = next_token(&p), *fg = area ? next_token(&p) : NULL;
    char *bg = fg ? next_token(&p) : NULL;
    if (!bg)
        return cb_error_set(err, CB_EFORMAT, "color needs AREA FG BG [ATTR...]");
    int a = cb_config_area_from_name(area);
    if (a < 0)
        return cb_error_set(err, CB_EINVAL,
                            "'%s' is not a colour area ('codecbench config --help' lists them)",
                            area);
    int f, g;
    const char *colors = "black, red, green, yellow, blue, magenta, cyan, white, default or 0..255";
    if (cb_config_color_parse(fg, &f) < 0)
        return cb_error_set(err, CB_EINVAL, "'%s' is not a colour (%s)", fg, colors);
    if (cb_config_color_parse(bg, &g) < 0)
        return cb_error_set(err, CB_EINVAL, "'%s' is not a colour (%s)", bg, colors);
    unsigned attrs = 0;
    char *w;
    while ((w = next_token(&p))) {
        if (!strcmp(w, "normal"))
            continue;
        int i = 0;
        while (i < CB_ATTR_COUNT && strcmp(w, cb_config_attr_name(i)))
            i++;
        if (i == CB_ATTR_COUNT)
            return attr_list_error(w, err);
        attrs |= 1u << i;
    }
    char *src = source_text(ctx, line);
    if (!src)
        return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
    ColorSlot *slot = ctx->theme ? &ctx->theme[a] : &ctx->cfg->colors[a];
    free(slot->source);
    slot->set = 1;
    slot->fg = f;
    slot->bg = g;
    slot->attrs = attrs;
    slot->source = src;
    return CB_OK;
}

static int load_file_ctx(CbConfig *cfg, const char *path, int missing_ok, int depth, int *files,
                         CbError *err);

static int line_source(Ctx *ctx, char *p, CbError *err)
{
    if (!ctx->dir)
        return cb_error_set(err, CB_EINVAL, "source is only allowed in config files");
    if (ctx->depth >= MAX_SOURCE_DEPTH)
        return cb_error_set(err, CB_ELIMIT, "source lines nested deeper than %d", MAX_SOURCE_DEPTH);
    int quoted;
    const char *why = NULL;
    char *file = parse_value_text(p, &quoted, &why);
    if (!file)
        return cb_error_set(err, CB_EFORMAT, "source: %s", why);
    if (!*file)
        return cb_error_set(err, CB_EFORMAT, "source needs FILE");
    char *path;
    if (!strncmp(file, "~/", 2)) {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/')
            return cb_error_set(err, CB_EINVAL, "source: '%s' needs $HOME, which is not set", file);
        path = fmt_str("%s%s", home, file + 1);
    } else if (file[0] == '/') {
        path = dup_str(file);
    } else {
        path = join_path(ctx->dir, file);
    }
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
    int rc = load_file_ctx(ctx->cfg, path, 0, ctx->depth + 1, ctx->files, err);
    free(path);
    return rc;
}

static int parse_line(Ctx *ctx, char *p, int line, CbError *err)
{
    char *cmd = next_token(&p);
    if (!cmd)
        return CB_OK; /* blank or comment */
    if (ctx->theme && strcmp(cmd, "color"))
        return cb_error_set(err, CB_EFORMAT, "a theme holds only color lines, not '%s'", cmd);
    if (!strcmp(cmd, "set"))
        return line_set(ctx, p, line, err);
    if (!strcmp(cmd, "bind"))
        return line_bind(ctx, p, line, err);
    if (!strcmp(cmd, "color"))
        return line_color(ctx, p, line, err);
    if (!strcmp(cmd, "source"))
        return line_source(ctx, p, err);
    return cb_error_set(err, CB_EFORMAT, "'%s' is not a command (set, bind, color, source)", cmd);
}

static int parse_text(Ctx *ctx, const char *text, size_t len, CbError *err)
{
    char buf[CB_CONFIG_MAX_LINE + 1];
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        size_t next = pos + n + (nl ? 1 : 0);
        if (n && text[pos + n - 1] == '\r')
            n--; /* CRLF */
        if (n > CB_CONFIG_MAX_LINE)
            return cb_error_set(err, CB_ELIMIT, "%s:%d: line longer than %d bytes", ctx->name,
                                line, CB_CONFIG_MAX_LINE);
        unsigned bad = 0;
        const char *why = check_bytes((const unsigned char *)text + pos, n, &bad);
        if (why) {
            if (bad)
                return cb_error_set(err, CB_EFORMAT, "%s:%d: %s (0x%02x)", ctx->name, line, why,
                                    bad);
            return cb_error_set(err, CB_EFORMAT, "%s:%d: %s", ctx->name, line, why);
        }
        memcpy(buf, text + pos, n);
        buf[n] = 0;
        int rc = parse_line(ctx, buf, line, err);
        if (rc < 0)
            return cb_error_prefix(err, "%s:%d", ctx->name, line);
        pos = next;
    }
    return CB_OK;
}

/* ---- public entry points ----------------------------------------------------- */

int cb_config_parse(CbConfig *cfg, const char *text, size_t len, const char *name, CbError *err)
{
    if (!cfg || (!text && len))
        return cb_error_set(err, CB_EINVAL, "config: no configuration or text");
    int files = 0;
    Ctx ctx = {cfg, name ? name : "config", PREC_FILE, NULL, 0, &files, NULL, NULL};
    return parse_text(&ctx, text ? text : "", len, err);
}

static int load_file_ctx(CbConfig *cfg, const char *path, int missing_ok, int depth, int *files,
                         CbError *err)
{
    if (++*files > MAX_FILES)
        return cb_error_set(err, CB_ELIMIT, "%s: more than %d files read through source lines",
                            path, MAX_FILES);
    CbBuf b;
    cb_buf_init(&b, CB_CONFIG_MAX_BYTES);
    char *dir = NULL;
    int rc = read_config_file(path, missing_ok, &b, err);
    if (rc != 0)
        goto out;
    const char *slash = strrchr(path, '/');
    dir = slash ? fmt_str("%.*s", (int)(slash == path ? 1 : slash - path), path) : dup_str(".");
    if (!dir) {
        rc = cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
        goto out;
    }
    Ctx ctx = {cfg, path, PREC_FILE, dir, depth, files, NULL, NULL};
    rc = parse_text(&ctx, b.data, b.len, err);
out:
    free(dir);
    cb_buf_free(&b);
    return rc;
}

int cb_config_load_file(CbConfig *cfg, const char *path, int missing_ok, CbError *err)
{
    if (!cfg || !path || !*path)
        return cb_error_set(err, CB_EINVAL, "config: no file name");
    int files = 0;
    return load_file_ctx(cfg, path, missing_ok, 0, &files, err);
}

int cb_config_new(CbConfig **out, CbError *err)
{
    *out = NULL;
    size_t n = cb_config_setting_count();
    int rc = CB_OK;
    CbConfig *cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->settings = calloc(n, sizeof *cfg->settings))) {
        rc = cb_error_set(err, CB_ENOMEM, "config: %s", cb_strerror(CB_ENOMEM));
        goto fail;
    }
    /* The store's default is computed from the environment (XDG). */
    int store = cb_config_setting_find("store");
    char *dir = cb_config_data_dir();
    Setting *s = &cfg->settings[store];
    s->v.text = dir ? dir : dup_str("");
    s->source = dup_str(dir ? "default" : "default (unset: neither XDG_DATA_HOME nor HOME is set)");
    if (!s->v.text || !s->source) {
        rc = cb_error_set(err, CB_ENOMEM, "config: %s", cb_strerror(CB_ENOMEM));
        goto fail;
    }
    int files = 0;
    Ctx ctx = {cfg, "built-in defaults.conf", PREC_DEFAULT, NULL, 0, &files, NULL, NULL};
    if ((rc = parse_text(&ctx, cfg_defaults_text, strlen(cfg_defaults_text), err)) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (!cfg->settings[i].source) {
            rc = cb_error_set(err, CB_EFORMAT, "built-in defaults.conf: no value for %s",
                              cb_config_setting_info(i)->name);
            goto fail;
        }
    *out = cfg;
    return CB_OK;
fail:
    cb_config_free(&cfg);
    return rc;
}

int cb_config_apply_env(CbConfig *cfg, CbError *err)
{
    for (size_t i = 0; i < cb_config_setting_count(); i++) {
        char var[128];
        if (cb_config_env_name(cb_config_setting_info(i)->name, var, sizeof var) < 0)
            continue;
        const char *v = getenv(var);
        if (!v || !*v)
            continue;
        char *src = fmt_str("env %s", var);
        if (!src)
            return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
        int rc = apply_setting(cfg, (int)i, v, PREC_ENV, 0, src, err);
        if (rc < 0)
            return cb_error_prefix(err, "environment %s", var);
    }
    /* Other names for two LLM settings (as issue 7 spells them; the names
     * above win when both are set). */
    static const struct {
        const char *var, *canonical, *name;
    } alias[] = {
        {"CODECBENCH_LLM_BASE_URL", "CODECBENCH_LLM_ENDPOINT", "llm.endpoint"},
        {"CODECBENCH_LLM_KEY_ENV", "CODECBENCH_LLM_API_KEY_ENV", "llm.api_key_env"},
    };
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++) {
        const char *v = getenv(alias[i].var), *c = getenv(alias[i].canonical);
        if (!v || !*v || (c && *c))
            continue;
        char *src = fmt_str("env %s", alias[i].var);
        if (!src)
            return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
        int rc = apply_setting(cfg, cb_config_setting_find(alias[i].name), v, PREC_ENV, 0, src, err);
        if (rc < 0)
            return cb_error_prefix(err, "environment %s", alias[i].var);
    }
    return CB_OK;
}

int cb_config_set(CbConfig *cfg, const char *name, const char *value, const char *flag,
                  CbError *err)
{
    int idx = cb_config_setting_find(name);
    if (!cfg || idx < 0)
        return cb_error_set(err, CB_ENOENT, "'%s' is not a setting", name ? name : "(null)");
    if (!value)
        return cb_error_set(err, CB_EINVAL, "%s: no value", name);
    char *src = flag ? fmt_str("flag %s", flag) : fmt_str("flag --%s", name);
    if (!src)
        return cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
    for (char *c = src + 5; !flag && *c; c++)
        if (*c == '.' || *c == '_')
            *c = '-';
    int rc = apply_setting(cfg, idx, value, PREC_FLAG, 0, src, err);
    if (rc < 0)
        cb_error_prefix(err, "option %s", flag ? flag : name);
    return rc;
}

int cb_config_get_int(const CbConfig *cfg, const char *name, long long *out)
{
    int idx = cb_config_setting_find(name);
    if (!cfg || idx < 0)
        return CB_ENOENT;
    if (cb_config_setting_info((size_t)idx)->type != CB_SETTING_INT)
        return CB_EINVAL;
    *out = cfg->settings[idx].v.i;
    return CB_OK;
}

int cb_config_get_real(const CbConfig *cfg, const char *name, double *out)
{
    int idx = cb_config_setting_find(name);
    if (!cfg || idx < 0)
        return CB_ENOENT;
    if (cb_config_setting_info((size_t)idx)->type != CB_SETTING_REAL)
        return CB_EINVAL;
    long long milli = cfg->settings[idx].v.i;
    *out = milli == CFG_REAL_AUTO ? -1.0 : (double)milli / 1000.0;
    return CB_OK;
}

const char *cb_config_get_string(const CbConfig *cfg, const char *name)
{
    int idx = cb_config_setting_find(name);
    return cfg && idx >= 0 ? cfg->settings[idx].v.text : NULL;
}

const char *cb_config_get_source(const CbConfig *cfg, const char *name)
{
    int idx = cb_config_setting_find(name);
    return cfg && idx >= 0 ? cfg->settings[idx].source : NULL;
}

int cb_config_is_auto(const CbConfig *cfg, const char *name)
{
    int idx = cb_config_setting_find(name);
    return cfg && idx >= 0 && cfg->settings[idx].v.is_auto;
}

CbRequest cb_config_key_request(const CbConfig *cfg, CbView view, int key)
{
    if (!cfg)
        return CB_REQ_NONE;
    const Bind *global = NULL;
    for (size_t i = 0; i < cfg->n_binds; i++) {
        const Bind *b = &cfg->binds[i];
        if (b->pub.key != key)
            continue;
        if (b->pub.view == view)
            return b->pub.req;
        if (b->pub.view == CB_VIEW_GLOBAL)
            global = b;
    }
    return global ? global->pub.req : CB_REQ_NONE;
}

size_t cb_config_binding_count(const CbConfig *cfg)
{
    return cfg ? cfg->n_binds : 0;
}

const CbBinding *cb_config_binding(const CbConfig *cfg, size_t i)
{
    return cfg && i < cfg->n_binds ? &cfg->binds[i].pub : NULL;
}

static CbColor slot_color(const ColorSlot *s)
{
    CbColor c = {s->fg, s->bg, s->attrs, s->source};
    return c;
}

CbColor cb_config_color(const CbConfig *cfg, CbColorArea area)
{
    CbColor none = {CB_COLOR_DEFAULT, CB_COLOR_DEFAULT, 0, "none: the terminal's colours"};
    if (!cfg || (int)area < 0 || area >= CB_AREA_COUNT)
        return none;
    if (cfg->colors[area].set)
        return slot_color(&cfg->colors[area]);
    if (cfg->theme[area].set)
        return slot_color(&cfg->theme[area]);
    if (area != CB_AREA_DEFAULT) {
        CbColor d = cb_config_color(cfg, CB_AREA_DEFAULT);
        d.source = "none: as the default area";
        return d;
    }
    return none;
}

/* ---- printing ------------------------------------------------------------------ */

static int needs_quotes(const char *v)
{
    size_t n = strlen(v);
    if (!n || is_ws(v[0]) || is_ws(v[n - 1]) || v[0] == '"')
        return 1;
    return strpbrk(v, "#\"\\") != NULL;
}

/* Appends "  # comment", the comment's control bytes shown as '?', after
 * padding the line (which started at line_start) to column 40. */
static int put_comment(CbBuf *b, size_t line_start, const char *comment)
{
    size_t col = b->len - line_start;
    int rc = CB_OK;
    for (; col < 38 && rc == CB_OK; col++)
        rc = cb_buf_puts(b, " ");
    if (rc == CB_OK)
        rc = cb_buf_puts(b, "  # ");
    /* Keep the line readable back: control bytes and invalid UTF-8 become
     * '?', and a long comment (a deep path) is cut to fit the line limit. */
    size_t used = b->len - line_start;
    size_t room = used + 3 < CB_CONFIG_MAX_LINE ? CB_CONFIG_MAX_LINE - used - 3 : 0;
    const unsigned char *p = (const unsigned char *)comment;
    size_t left = strlen(comment);
    int cut = 0;
    while (left && rc == CB_OK) {
        size_t len = utf8_len(p, left);
        int ok = len && !(*p < 0x20 || *p == 0x7f);
        size_t take = ok ? len : 1;
        if (take > room) {
            cut = 1;
            break;
        }
        rc = ok ? cb_buf_append(b, p, len) : cb_buf_puts(b, "?");
        room -= take;
        p += take;
        left -= take;
    }
    if (rc == CB_OK && cut)
        rc = cb_buf_puts(b, "...");
    if (rc == CB_OK)
        rc = cb_buf_puts(b, "\n");
    return rc;
}

static int format_setting(CbBuf *b, const CbConfig *cfg, size_t i)
{
    const CbSettingInfo *info = cb_config_setting_info(i);
    const Setting *s = &cfg->settings[i];
    size_t start = b->len;
    int rc = cb_buf_printf(b, "set %s = ", info->name);
    if (rc == CB_OK && needs_quotes(s->v.text)) {
        rc = cb_buf_puts(b, "\"");
        for (const char *p = s->v.text; *p && rc == CB_OK; p++)
            rc = (*p == '"' || *p == '\\') ? cb_buf_printf(b, "\\%c", *p) : cb_buf_append(b, p, 1);
        if (rc == CB_OK)
            rc = cb_buf_puts(b, "\"");
    } else if (rc == CB_OK) {
        rc = cb_buf_puts(b, s->v.text);
    }
    if (rc < 0)
        return rc;
    if (s->v.is_auto) {
        char *c = fmt_str("%s; auto = %lld", s->source, s->v.i);
        if (!c)
            return CB_ENOMEM;
        rc = put_comment(b, start, c);
        free(c);
        return rc;
    }
    return put_comment(b, start, s->source);
}

char *cb_config_format(const CbConfig *cfg)
{
    if (!cfg)
        return NULL;
    CbBuf b;
    cb_buf_init(&b, 64 << 20);
    int rc = cb_buf_puts(&b, "# codecbench configuration: each line ends with where its value came "
                             "from;\n# any line may be copied into the config file.\n\n"
                             "# ---- settings ----\n");
    for (size_t i = 0; i < cb_config_setting_count() && rc == CB_OK; i++)
        rc = format_setting(&b, cfg, i);
    if (rc == CB_OK)
        rc = cb_buf_puts(&b, "\n# ---- key bindings ----\n");
    for (size_t i = 0; i < cfg->n_binds && rc == CB_OK; i++) {
        const CbBinding *bd = &cfg->binds[i].pub;
        char key[CB_KEY_NAME_MAX];
        if (cb_config_key_name(bd->key, key) < 0)
            continue; /* cannot happen: keys were parsed */
        size_t start = b.len;
        rc = cb_buf_printf(&b, "bind %-11s %-10s %s", cb_config_view_name(bd->view), key,
                           cb_config_request_name(bd->req));
        if (rc == CB_OK)
            rc = put_comment(&b, start, bd->source);
    }
    if (rc == CB_OK)
        rc = cb_buf_printf(&b, "\n# ---- colours (theme %s) ----\n",
                           cfg->theme_name ? cfg->theme_name : "none");
    for (int a = 0; a < CB_AREA_COUNT && rc == CB_OK; a++) {
        CbColor c = cb_config_color(cfg, (CbColorArea)a);
        char fb[8], bb[8];
        size_t start = b.len;
        rc = cb_buf_printf(&b, "color %-13s %-7s %-7s", cb_config_area_name((CbColorArea)a),
                           cb_config_color_name(c.fg, fb), cb_config_color_name(c.bg, bb));
        for (int i = 0; i < CB_ATTR_COUNT && rc == CB_OK; i++)
            if (c.attrs & (1u << i))
                rc = cb_buf_printf(&b, " %s", cb_config_attr_name(i));
        /* Trailing padding from %-7s is harmless but untidy: trim it. */
        while (rc == CB_OK && b.len > start && b.data[b.len - 1] == ' ')
            b.data[--b.len] = 0;
        if (rc == CB_OK)
            rc = put_comment(&b, start, c.source);
    }
    if (rc < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    return cb_buf_steal(&b);
}

const char *cb_config_theme_name(const CbConfig *cfg)
{
    return cfg ? cfg->theme_name : NULL;
}

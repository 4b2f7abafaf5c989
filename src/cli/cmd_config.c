/* codecbench config: the effective configuration (settings, key bindings,
 * colours) and where each value came from, in the config file's own syntax
 * or as JSON; --help is the reference of everything a config file may say. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/jsonout.h"
#include "codecbench/config.h"

static const char *type_name(const CbSettingInfo *s)
{
    switch (s->type) {
    case CB_SETTING_INT:
        return "integer";
    case CB_SETTING_STRING:
        return "text";
    case CB_SETTING_PATH:
        return "path";
    case CB_SETTING_NAME:
        return "name";
    case CB_SETTING_ENVVAR:
        return "variable name";
    case CB_SETTING_URL:
        return "URL";
    case CB_SETTING_ENUM:
        return "choice";
    case CB_SETTING_REAL:
        return "number";
    }
    return "?";
}

/* "1..256 or auto", "local|llm", ... */
static void print_range(FILE *out, const CbSettingInfo *s)
{
    if (s->type == CB_SETTING_INT) {
        fprintf(out, "%lld..%lld", s->min, s->max);
        if (s->unit[0])
            fprintf(out, " %s", s->unit);
        if (s->auto_means)
            fprintf(out, ", or auto (%s)", s->auto_means);
    } else if (s->type == CB_SETTING_REAL) {
        fprintf(out, "%g..%g", (double)s->min / 1000.0, (double)s->max / 1000.0);
        if (s->unit[0])
            fprintf(out, " %s", s->unit);
        if (s->auto_means)
            fprintf(out, ", or auto (%s)", s->auto_means);
    } else if (s->type == CB_SETTING_ENUM) {
        fputs(s->choices, out);
    } else {
        fputs(type_name(s), out);
    }
}

static void help(FILE *out)
{
    fputs("Usage: codecbench config [--json] [--file PATH | --defaults]\n"
          "\n"
          "Prints the effective configuration: every setting with its value, every key\n"
          "binding and every colour, each followed by where it came from (default, file\n"
          "PATH:LINE, env CODECBENCH_X, flag --x, theme NAME).  The text is in the config\n"
          "file's own syntax: any line may be copied into the config file.\n"
          "\n"
          "  --json       one JSON document instead\n"
          "  --file PATH  read PATH instead of the user's config file (it must exist)\n"
          "  --defaults   the built-in defaults alone (no file, no environment)\n"
          "  -h, --help   this text\n"
          "\n"
          "The config file is $XDG_CONFIG_HOME/codecbench/config, else\n"
          "~/.config/codecbench/config; without one the built-in defaults apply.  An\n"
          "error in it names FILE:LINE and the reason, and every command refuses to run.\n"
          "Precedence: command-line flag > CODECBENCH_<NAME> environment variable\n"
          "(name upper-cased, '.' as '_') > config file > built-in defaults.\n"
          "\n"
          "Lines:\n"
          "  # comment                 (also at the end of a line, after a space)\n"
          "  set NAME = VALUE          VALUE may be \"quoted\" (\\\" and \\\\ inside)\n"
          "  bind VIEW KEY REQUEST     REQUEST none unbinds the key in that view\n"
          "  color AREA FG BG [ATTR...]\n"
          "  source FILE               another file, relative to this one's folder\n"
          "\n"
          "Settings:\n",
          out);
    for (size_t i = 0; i < cb_config_setting_count(); i++) {
        const CbSettingInfo *s = cb_config_setting_info(i);
        char env[128];
        if (cb_config_env_name(s->name, env, sizeof env) < 0)
            env[0] = 0;
        fprintf(out, "  %-17s ", s->name);
        print_range(out, s);
        fprintf(out, "\n  %-17s %s (%s)\n", "", s->help, env);
    }
    fputs("\nViews (global bindings apply in every view unless the view binds the key):\n", out);
    for (int v = 0; v < CB_VIEW_COUNT; v++)
        fprintf(out, "  %-17s %s\n", cb_config_view_name((CbView)v),
                cb_config_view_help((CbView)v));
    fputs("\nKeys: a character (r, R, /), ^X (control), F1..F24, or <Enter> <Tab> <BackTab>\n"
          "<Esc> <Space> <Backspace> <Hash> <Up> <Down> <Left> <Right> <Home> <End>\n"
          "<PageUp> <PageDown> <Insert> <Delete> (# starts a comment: write <Hash>).\n"
          "\nRequests:\n",
          out);
    for (int r = 0; r < CB_REQ_COUNT; r++)
        fprintf(out, "  %-17s %s\n", cb_config_request_name((CbRequest)r),
                cb_config_request_help((CbRequest)r));
    fputs("\nColour areas (an area without a colour takes default's):\n", out);
    for (int a = 0; a < CB_AREA_COUNT; a++)
        fprintf(out, "  %-17s %s\n", cb_config_area_name((CbColorArea)a),
                cb_config_area_help((CbColorArea)a));
    fputs("\nColours: black red green yellow blue magenta cyan white, default (the\n"
          "terminal's), or 0..255.  Attributes:",
          out);
    for (int i = 0; i < CB_ATTR_COUNT; i++)
        fprintf(out, " %s", cb_config_attr_name(i));
    fputs(" normal.\n"
          "Themes: `set theme = NAME` reads NAME.theme (color lines) from\n"
          "~/.config/codecbench/themes, then ",
          out);
    fputs(cb_config_themes_dir(), out);
    fputs("; default and mono are\nbuilt in.  A color line of the config file wins over the theme.\n",
          out);
}

static json_t *setting_json(const CbConfig *cfg, const CbSettingInfo *s)
{
    char env[128];
    if (cb_config_env_name(s->name, env, sizeof env) < 0)
        env[0] = 0;
    json_t *o = json_object();
    long long iv;
    json_t *value = s->type == CB_SETTING_INT && cb_config_get_int(cfg, s->name, &iv) == 0
                        ? json_integer(iv)
                        : cli_json_str(cb_config_get_string(cfg, s->name));
    double rv;
    if (s->type == CB_SETTING_REAL && cb_config_get_real(cfg, s->name, &rv) == 0 && rv >= 0) {
        json_decref(value);
        value = json_real(rv);
    }
    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "value", value);
    if (s->type == CB_SETTING_INT && s->auto_means)
        json_object_set_new(o, "auto", json_boolean(cb_config_is_auto(cfg, s->name)));
    json_object_set_new(o, "source", cli_json_str(cb_config_get_source(cfg, s->name)));
    json_object_set_new(o, "env", json_string(env));
    json_object_set_new(o, "type", json_string(type_name(s)));
    if (s->type == CB_SETTING_INT) {
        json_object_set_new(o, "min", json_integer(s->min));
        json_object_set_new(o, "max", json_integer(s->max));
        json_object_set_new(o, "unit", json_string(s->unit));
    }
    if (s->type == CB_SETTING_REAL) {
        json_object_set_new(o, "min", json_real((double)s->min / 1000.0));
        json_object_set_new(o, "max", json_real((double)s->max / 1000.0));
    }
    if (s->type == CB_SETTING_ENUM) {
        json_t *c = json_array();
        const char *p = s->choices;
        while (*p) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            json_array_append_new(c, json_stringn(p, n));
            p += n + (bar ? 1 : 0);
        }
        json_object_set_new(o, "choices", c);
    }
    json_object_set_new(o, "help", json_string(s->help));
    return o;
}

static json_t *color_json(int c)
{
    return c == CB_COLOR_DEFAULT ? json_string("default") : json_integer(c);
}

static json_t *config_json(const CbConfig *cfg, const char *path, int found)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "config_file", path ? cli_json_str(path) : json_null());
    json_object_set_new(doc, "config_file_read", json_boolean(found));
    json_object_set_new(doc, "theme", cli_json_str(cb_config_theme_name(cfg)));
    json_t *settings = json_array();
    for (size_t i = 0; i < cb_config_setting_count(); i++)
        json_array_append_new(settings, setting_json(cfg, cb_config_setting_info(i)));
    json_object_set_new(doc, "settings", settings);
    json_t *binds = json_array();
    for (size_t i = 0; i < cb_config_binding_count(cfg); i++) {
        const CbBinding *b = cb_config_binding(cfg, i);
        char key[CB_KEY_NAME_MAX];
        cb_config_key_name(b->key, key);
        json_t *o = json_object();
        json_object_set_new(o, "view", json_string(cb_config_view_name(b->view)));
        json_object_set_new(o, "key", cli_json_str(key));
        json_object_set_new(o, "request", json_string(cb_config_request_name(b->req)));
        json_object_set_new(o, "source", cli_json_str(b->source));
        json_array_append_new(binds, o);
    }
    json_object_set_new(doc, "bindings", binds);
    json_t *colors = json_array();
    for (int a = 0; a < CB_AREA_COUNT; a++) {
        CbColor c = cb_config_color(cfg, (CbColorArea)a);
        json_t *o = json_object(), *attrs = json_array();
        for (int i = 0; i < CB_ATTR_COUNT; i++)
            if (c.attrs & (1u << i))
                json_array_append_new(attrs, json_string(cb_config_attr_name(i)));
        json_object_set_new(o, "area", json_string(cb_config_area_name((CbColorArea)a)));
        json_object_set_new(o, "fg", color_json(c.fg));
        json_object_set_new(o, "bg", color_json(c.bg));
        json_object_set_new(o, "attrs", attrs);
        json_object_set_new(o, "source", cli_json_str(c.source));
        json_array_append_new(colors, o);
    }
    json_object_set_new(doc, "colors", colors);
    return doc;
}

/* Prints multi-line text, each line through the sanitiser. */
static void print_lines(char *text)
{
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        cli_puts_sanitized(stdout, line);
        fputc('\n', stdout);
        if (!nl)
            break;
        line = nl + 1;
    }
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"file", required_argument, NULL, 'f'},
        {"defaults", no_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, defaults = 0, c;
    const char *file = NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'f')
            file = optarg;
        else if (c == 'd')
            defaults = 1;
        else if (optopt == 'f')
            return cli_usage(&cb_cmd_config, "--file needs a PATH");
        else
            return cli_usage(&cb_cmd_config, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc)
        return cli_usage(&cb_cmd_config, "unexpected argument '%s'", argv[optind]);
    if (defaults && file)
        return cli_usage(&cb_cmd_config, "--defaults and --file exclude each other");
    if (file && !*file)
        return cli_usage(&cb_cmd_config, "--file needs a PATH");

    CbError err;
    cb_error_clear(&err);
    CbConfig *cfg = NULL;
    char *path = NULL;
    int found = 0;
    if (cli_config_load(file, !defaults, &cfg, &path, &found, &err) < 0)
        return cli_fail(&err);
    int rc = CB_EXIT_OK;
    if (json) {
        json_t *doc = config_json(cfg, path, found);
        rc = doc ? cli_json_print(doc) : CB_EXIT_FAIL;
        json_decref(doc);
    } else {
        char *text = cb_config_format(cfg);
        if (!text) {
            cli_error("config: %s", cb_strerror(CB_ENOMEM));
            rc = CB_EXIT_FAIL;
        } else {
            if (defaults)
                fputs("# the built-in defaults (no config file, no environment)\n", stdout);
            else if (path) {
                fputs(found ? "# config file: " : "# config file (not found: defaults apply): ",
                      stdout);
                cli_puts_sanitized(stdout, path);
                fputc('\n', stdout);
            } else {
                fputs("# no config file: neither XDG_CONFIG_HOME nor HOME is set\n", stdout);
            }
            print_lines(text);
            free(text);
        }
    }
    free(path);
    cb_config_free(&cfg);
    return rc;
}

const CbCommand cb_cmd_config = {
    .name = "config",
    .args = "[--json] [--file PATH | --defaults]",
    .summary = "the effective configuration and where each value came from",
    .run = run,
    .help = help,
};

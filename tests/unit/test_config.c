/* Unit tests of config/: the shipped defaults and themes parse, every line
 * type, every error naming file:line and the reason, precedence (flag > env
 * > file > default) with sources, key names round trip, themes, hostile
 * files (huge lines, binary bytes, folders, missing files), printing the
 * configuration back in its own syntax. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/buf.h"
#include "codecbench/config.h"

/* ---- helpers -------------------------------------------------------------- */

static char tmpdir[256];

/* A private folder for the whole program, with XDG_CONFIG_HOME inside it so
 * that no user theme or config of the machine takes part. */
static int setup_all(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    int n = snprintf(tmpdir, sizeof tmpdir, "%s/cbconfig.XXXXXX", t && *t ? t : "/tmp");
    if (n < 0 || (size_t)n >= sizeof tmpdir || !mkdtemp(tmpdir))
        return -1;
    char xdg[512];
    snprintf(xdg, sizeof xdg, "%s/xdg", tmpdir);
    if (mkdir(xdg, 0700) != 0)
        return -1;
    setenv("XDG_CONFIG_HOME", xdg, 1);
    for (size_t i = 0; i < cb_config_setting_count(); i++) {
        char var[128];
        if (cb_config_env_name(cb_config_setting_info(i)->name, var, sizeof var) == 0)
            unsetenv(var);
    }
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir/name (static buffer per call site is enough for these tests). */
static char *tmp_path(const char *name)
{
    CbBuf b;
    cb_buf_init(&b, 4096);
    assert_int_equal(cb_buf_printf(&b, "%s/%s", tmpdir, name), 0);
    return cb_buf_steal(&b);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_str(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

static CbConfig *new_config(void)
{
    CbConfig *cfg = NULL;
    CbError err;
    cb_error_clear(&err);
    int rc = cb_config_new(&cfg, &err);
    if (rc != 0)
        fail_msg("cb_config_new: %s", err.text);
    assert_non_null(cfg);
    return cfg;
}

static int parse(CbConfig *cfg, const char *text, CbError *err)
{
    cb_error_clear(err);
    return cb_config_parse(cfg, text, strlen(text), "t.conf", err);
}

/* text must fail with code and exactly the error text want. */
static void expect_error(const char *text, int code, const char *want)
{
    CbConfig *cfg = new_config();
    CbError err;
    int rc = parse(cfg, text, &err);
    if (rc != code || strcmp(err.text, want) != 0)
        fail_msg("for \"%s\": got %d \"%s\", want %d \"%s\"", text, rc, err.text, code, want);
    assert_int_equal(err.code, code);
    cb_config_free(&cfg);
}

static long long get_int(const CbConfig *cfg, const char *name)
{
    long long v = -12345;
    assert_int_equal(cb_config_get_int(cfg, name, &v), 0);
    return v;
}

/* ---- the LLM client's settings (issue 7) ---------------------------------- */

static void test_llm_settings(void **state)
{
    (void)state;
    CbConfig *cfg = new_config();
    CbError err;
    double t = -5;
    long long i = -5;
    assert_int_equal(cb_config_get_real(cfg, "llm.temperature", &t), 0);
    assert_true(t == 0.7);
    assert_int_equal(cb_config_get_int(cfg, "llm.retries", &i), 0);
    assert_int_equal(i, 3);
    assert_int_equal(get_int(cfg, "llm.connect_timeout"), 10);
    assert_int_equal(get_int(cfg, "llm.idle_timeout"), 60);
    assert_int_equal(get_int(cfg, "llm.budget"), 0);
    assert_int_equal(cb_config_get_real(cfg, "llm.retries", &t), CB_EINVAL);
    assert_int_equal(cb_config_get_real(cfg, "nope", &t), CB_ENOENT);
    /* thousandths, canonical text without trailing zeros */
    assert_int_equal(parse(cfg, "set llm.temperature = 0.250\n", &err), 0);
    assert_string_equal(cb_config_get_string(cfg, "llm.temperature"), "0.25");
    assert_int_equal(cb_config_get_real(cfg, "llm.temperature", &t), 0);
    assert_true(t == 0.25);
    assert_int_equal(parse(cfg, "set llm.temperature = 2\n", &err), 0);
    assert_string_equal(cb_config_get_string(cfg, "llm.temperature"), "2");
    assert_int_equal(parse(cfg, "set llm.temperature = auto\n", &err), 0);
    assert_int_equal(cb_config_get_real(cfg, "llm.temperature", &t), 0);
    assert_true(t == -1.0);
    cb_config_free(&cfg);
    expect_error("set llm.temperature = 2.5\n", CB_EINVAL, "t.conf:1: llm.temperature: 2.5 is outside 0..2");
    expect_error("set llm.temperature = 0.1234\n", CB_EINVAL,
                 "t.conf:1: llm.temperature: '0.1234' is not a decimal number with at most 3 decimals, or auto");
    expect_error("set llm.temperature = -1\n", CB_EINVAL,
                 "t.conf:1: llm.temperature: '-1' is not a decimal number with at most 3 decimals, or auto");
    expect_error("set llm.temperature = .5\n", CB_EINVAL,
                 "t.conf:1: llm.temperature: '.5' is not a decimal number with at most 3 decimals, or auto");
    expect_error("set llm.retries = 11\n", CB_EINVAL, "t.conf:1: llm.retries: 11 is outside 0..10");
    /* the other names of two settings; the canonical names win */
    cfg = new_config();
    setenv("CODECBENCH_LLM_BASE_URL", "http://127.0.0.1:8080/v1", 1);
    setenv("CODECBENCH_LLM_KEY_ENV", "MY_LLM_KEY", 1);
    assert_int_equal(cb_config_apply_env(cfg, &err), 0);
    assert_string_equal(cb_config_get_string(cfg, "llm.endpoint"), "http://127.0.0.1:8080/v1");
    assert_string_equal(cb_config_get_source(cfg, "llm.endpoint"), "env CODECBENCH_LLM_BASE_URL");
    assert_string_equal(cb_config_get_string(cfg, "llm.api_key_env"), "MY_LLM_KEY");
    setenv("CODECBENCH_LLM_ENDPOINT", "http://localhost:11434/v1", 1);
    assert_int_equal(cb_config_apply_env(cfg, &err), 0);
    assert_string_equal(cb_config_get_string(cfg, "llm.endpoint"), "http://localhost:11434/v1");
    setenv("CODECBENCH_LLM_KEY_ENV", "sk-not-a-name", 1);
    assert_int_equal(cb_config_apply_env(cfg, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "environment CODECBENCH_LLM_KEY_ENV"));
    unsetenv("CODECBENCH_LLM_BASE_URL");
    unsetenv("CODECBENCH_LLM_KEY_ENV");
    unsetenv("CODECBENCH_LLM_ENDPOINT");
    cb_config_free(&cfg);
}

/* ---- defaults -------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    CbConfig *cfg = new_config();
    /* Every setting has a value from the defaults. */
    for (size_t i = 0; i < cb_config_setting_count(); i++) {
        const char *name = cb_config_setting_info(i)->name;
        assert_non_null(cb_config_get_string(cfg, name));
        assert_string_equal(cb_config_get_source(cfg, name), "default");
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(get_int(cfg, "workers"), cores < 1 ? 1 : cores > 256 ? 256 : cores);
    assert_true(cb_config_is_auto(cfg, "workers"));
    assert_string_equal(cb_config_get_string(cfg, "workers"), "auto");
    assert_int_equal(get_int(cfg, "wall_limit"), 3600);
    assert_int_equal(get_int(cfg, "memory_limit"), 4096);
    assert_int_equal(get_int(cfg, "cancel_grace"), 5);
    assert_int_equal(get_int(cfg, "runner_idle_exit"), 10);
    assert_string_equal(cb_config_get_string(cfg, "proposer"), "local");
    assert_string_equal(cb_config_get_string(cfg, "preview"), "auto");
    assert_string_equal(cb_config_get_string(cfg, "theme"), "default");
    assert_string_equal(cb_config_get_string(cfg, "llm.api_key_env"), "OPENAI_API_KEY");
    assert_string_equal(cb_config_theme_name(cfg), "default");
    /* The store defaults to the data folder. */
    char *data = cb_config_data_dir();
    assert_non_null(data);
    assert_string_equal(cb_config_get_string(cfg, "store"), data);
    free(data);
    /* Keys: a view's own binding, the global fallback. */
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_RUNS, 'q'), CB_REQ_QUIT);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_RUNS, 'r'), CB_REQ_RERUN);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_LOGS, 'r'), CB_REQ_NONE);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_RUNS, ' '), CB_REQ_TOGGLE_MARK);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_LOGS, ' '), CB_REQ_MOVE_PAGE_DOWN);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_CHART, CB_KEY_UP), CB_REQ_MOVE_UP);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_CHART, 13), CB_REQ_SELECT);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_CHART, CB_KEY_F(5)), CB_REQ_REFRESH);
    /* S reads a stage in the run view and, before it is queued, in the proposal pane */
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_RUN, 'S'), CB_REQ_STAGE);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_PROPOSALS, 'S'), CB_REQ_STAGE);
    assert_true(cb_config_binding_count(cfg) > 40);
    /* The default theme colours every area. */
    for (int a = 0; a < CB_AREA_COUNT; a++) {
        CbColor c = cb_config_color(cfg, (CbColorArea)a);
        if (strncmp(c.source, "theme default, built-in:", 24) != 0)
            fail_msg("area %s: source %s", cb_config_area_name((CbColorArea)a), c.source);
    }
    CbColor title = cb_config_color(cfg, CB_AREA_TITLE);
    assert_int_equal(title.fg, 7);
    assert_int_equal(title.bg, 4);
    assert_int_equal(title.attrs, CB_ATTR_BOLD);
    cb_config_free(&cfg);
    assert_null(cfg);
    cb_config_free(&cfg);
    cb_config_free(NULL);
}

/* The shipped files parse as user files too (with file sources). */
static void test_shipped_files(void **state)
{
    (void)state;
    const char *src = getenv("CB_SRCDIR");
    if (!src)
        skip();
    const char *files[] = {"src/config/defaults.conf"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        CbBuf path;
        cb_buf_init(&path, 4096);
        assert_int_equal(cb_buf_printf(&path, "%s/%s", src, files[i]), 0);
        CbConfig *cfg = new_config();
        CbError err;
        cb_error_clear(&err);
        if (cb_config_load_file(cfg, path.data, 0, &err) != 0)
            fail_msg("%s", err.text);
        assert_true(strstr(cb_config_get_source(cfg, "wall_limit"), "defaults.conf:") != NULL);
        cb_config_free(&cfg);
        cb_buf_free(&path);
    }
    /* Every shipped theme colours every area and loads by name from the
     * user's themes folder. */
    const char *themes[] = {"default", "mono", "dark", "light", "high-contrast"};
    for (size_t i = 0; i < sizeof themes / sizeof themes[0]; i++) {
        CbBuf from, text;
        cb_buf_init(&from, 4096);
        cb_buf_init(&text, 1 << 20);
        assert_int_equal(cb_buf_printf(&from, "%s/themes/%s.theme", src, themes[i]), 0);
        CbError err;
        cb_error_clear(&err);
        assert_int_equal(cb_buf_read_file(&text, from.data, &err), 0);
        char *dir = cb_config_user_themes_dir();
        CbBuf cmd;
        cb_buf_init(&cmd, 4096);
        assert_int_equal(cb_buf_printf(&cmd, "mkdir -p '%s'", dir), 0);
        assert_int_equal(system(cmd.data), 0);
        CbBuf to;
        cb_buf_init(&to, 4096);
        assert_int_equal(cb_buf_printf(&to, "%s/shipped-%s.theme", dir, themes[i]), 0);
        write_file(to.data, text.data, text.len);
        CbConfig *cfg = new_config();
        CbBuf line;
        cb_buf_init(&line, 4096);
        assert_int_equal(cb_buf_printf(&line, "set theme = shipped-%s\n", themes[i]), 0);
        if (parse(cfg, line.data, &err) != 0)
            fail_msg("%s", err.text);
        for (int a = 0; a < CB_AREA_COUNT; a++) {
            CbColor c = cb_config_color(cfg, (CbColorArea)a);
            assert_true(strstr(c.source, to.data) != NULL);
            if (i == 1) /* mono: no colour at all */
                assert_true(c.fg == CB_COLOR_DEFAULT && c.bg == CB_COLOR_DEFAULT);
            if (i >= 2) /* dark, light, high-contrast: every area in colours of their own */
                assert_true(c.fg != CB_COLOR_DEFAULT && c.bg != CB_COLOR_DEFAULT);
        }
        unlink(to.data);
        cb_config_free(&cfg);
        free(dir);
        cb_buf_free(&from);
        cb_buf_free(&text);
        cb_buf_free(&cmd);
        cb_buf_free(&to);
        cb_buf_free(&line);
    }
}

/* ---- line types ------------------------------------------------------------- */

static void test_line_types(void **state)
{
    (void)state;
    CbConfig *cfg = new_config();
    CbError err;
    const char *text = "# a comment\n"
                       "\n"
                       "   \t  \n"
                       "set workers = 3\n"
                       "set wall_limit=60   # one minute\n"
                       "  set llm.model = \"my \\\"model\\\" # \\\\ x\"  # comment\n"
                       "set llm.endpoint = http://localhost:8080/v1/\r\n"
                       "set proposer = llm\n"
                       "set preview = blocks\n"
                       "set store = /data/cb store\n"
                       "set llm.api_key_env = MY_KEY_2\n"
                       "bind runs R rerun\n"
                       "bind runs r none\n"
                       "bind global ^R refresh # comment\n"
                       "bind logs <Hash> quit\n"
                       "bind compare <pgdn> move-end\n"
                       "bind chart é chart\n"
                       "color title red 208 bold underline\n"
                       "color cursor default 17 normal\n";
    if (parse(cfg, text, &err) != 0)
        fail_msg("%s", err.text);
    assert_int_equal(get_int(cfg, "workers"), 3);
    assert_false(cb_config_is_auto(cfg, "workers"));
    assert_string_equal(cb_config_get_source(cfg, "workers"), "file t.conf:4");
    assert_int_equal(get_int(cfg, "wall_limit"), 60);
    assert_string_equal(cb_config_get_string(cfg, "llm.model"), "my \"model\" # \\ x");
    assert_string_equal(cb_config_get_source(cfg, "llm.model"), "file t.conf:6");
    assert_string_equal(cb_config_get_string(cfg, "llm.endpoint"), "http://localhost:8080/v1/");
    assert_string_equal(cb_config_get_string(cfg, "proposer"), "llm");
    assert_string_equal(cb_config_get_string(cfg, "preview"), "blocks");
    assert_string_equal(cb_config_get_string(cfg, "store"), "/data/cb store");
    assert_string_equal(cb_config_get_string(cfg, "llm.api_key_env"), "MY_KEY_2");
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_RUNS, 'R'), CB_REQ_RERUN);
    /* "none" hides the global binding too. */
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_RUNS, 'r'), CB_REQ_NONE);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_RUN, 'r'), CB_REQ_RERUN);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_HELP, 18), CB_REQ_REFRESH);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_LOGS, '#'), CB_REQ_QUIT);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_COMPARE, CB_KEY_PAGE_DOWN),
                     CB_REQ_MOVE_END);
    assert_int_equal(cb_config_key_request(cfg, CB_VIEW_CHART, 0xE9), CB_REQ_CHART);
    /* A rebinding replaces the earlier binding in place, with its source. */
    int found = 0;
    for (size_t i = 0; i < cb_config_binding_count(cfg); i++) {
        const CbBinding *b = cb_config_binding(cfg, i);
        if (b->view == CB_VIEW_RUNS && b->key == 'r') {
            found++;
            assert_int_equal(b->req, CB_REQ_NONE);
            assert_string_equal(b->source, "file t.conf:13");
        }
    }
    assert_int_equal(found, 1);
    assert_null(cb_config_binding(cfg, cb_config_binding_count(cfg)));
    CbColor c = cb_config_color(cfg, CB_AREA_TITLE);
    assert_int_equal(c.fg, 1);
    assert_int_equal(c.bg, 208);
    assert_int_equal(c.attrs, CB_ATTR_BOLD | CB_ATTR_UNDERLINE);
    assert_string_equal(c.source, "file t.conf:18");
    c = cb_config_color(cfg, CB_AREA_CURSOR);
    assert_int_equal(c.fg, CB_COLOR_DEFAULT);
    assert_int_equal(c.bg, 17);
    assert_int_equal(c.attrs, 0);
    /* ~/ in a path is $HOME. */
    const char *home = getenv("HOME");
    if (home && home[0] == '/') {
        assert_int_equal(parse(cfg, "set store = ~/runs\n", &err), 0);
        char want[4200];
        snprintf(want, sizeof want, "%s/runs", home);
        assert_string_equal(cb_config_get_string(cfg, "store"), want);
    }
    /* An empty quoted string is a value: for text settings. */
    assert_int_equal(parse(cfg, "set llm.model = \"\"\n", &err), 0);
    assert_string_equal(cb_config_get_string(cfg, "llm.model"), "");
    /* Text without a final newline, and an empty text. */
    assert_int_equal(parse(cfg, "set workers = 9", &err), 0);
    assert_int_equal(get_int(cfg, "workers"), 9);
    assert_int_equal(cb_config_parse(cfg, "", 0, "t.conf", &err), 0);
    cb_config_free(&cfg);
}

static void test_source(void **state)
{
    (void)state;
    char *sub = tmp_path("sub");
    mkdir(sub, 0700);
    char *main_path = tmp_path("main.conf"), *inc = tmp_path("sub/inc.conf");
    char *loop = tmp_path("loop.conf"), *miss = tmp_path("miss.conf");
    write_str(main_path, "set workers = 2\nsource sub/inc.conf\nset wall_limit = 7\n");
    write_str(inc, "set wall_limit = 8\nset cancel_grace = 9  # from inc\n");
    CbConfig *cfg = new_config();
    CbError err;
    cb_error_clear(&err);
    if (cb_config_load_file(cfg, main_path, 0, &err) != 0)
        fail_msg("%s", err.text);
    assert_int_equal(get_int(cfg, "workers"), 2);
    assert_int_equal(get_int(cfg, "wall_limit"), 7); /* later line wins */
    assert_int_equal(get_int(cfg, "cancel_grace"), 9);
    char want[600];
    snprintf(want, sizeof want, "file %s:2", inc);
    assert_string_equal(cb_config_get_source(cfg, "cancel_grace"), want);
    /* A file that sources itself stops at the nesting limit. */
    write_str(loop, "source loop.conf\n");
    assert_int_equal(cb_config_load_file(cfg, loop, 0, &err), CB_ELIMIT);
    assert_true(strstr(err.text, "loop.conf:1: source lines nested deeper than 8") != NULL);
    /* A missing sourced file names the line that sources it. */
    write_str(miss, "\nsource nothere.conf\n");
    assert_true(cb_config_load_file(cfg, miss, 0, &err) < 0);
    snprintf(want, sizeof want, "%s:2: %s/nothere.conf: No such file or directory", miss, tmpdir);
    assert_string_equal(err.text, want);
    /* Text that is not a file may not source. */
    assert_int_equal(parse(cfg, "source x\n", &err), CB_EINVAL);
    assert_string_equal(err.text, "t.conf:1: source is only allowed in config files");
    cb_config_free(&cfg);
    free(sub);
    free(main_path);
    free(inc);
    free(loop);
    free(miss);
}

/* ---- errors ------------------------------------------------------------------ */

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        const char *want;
    } cases[] = {
        {"\n\nset workers = 0\n", CB_EINVAL, "t.conf:3: workers: 0 is outside 1..256"},
        {"set workers = 257\n", CB_EINVAL, "t.conf:1: workers: 257 is outside 1..256"},
        {"set workers = -1\n", CB_EINVAL, "t.conf:1: workers: '-1' is not a whole number or auto"},
        {"set workers = 2x\n", CB_EINVAL, "t.conf:1: workers: '2x' is not a whole number or auto"},
        {"set wall_limit = auto\n", CB_EINVAL, "t.conf:1: wall_limit: 'auto' is not a whole number"},
        {"set wall_limit = 99999999999999999999\n", CB_EINVAL,
         "t.conf:1: wall_limit: '99999999999999999999' is not a whole number"},
        {"set nope = 1\n", CB_EINVAL,
         "t.conf:1: 'nope' is not a setting ('codecbench config' lists them)"},
        {"set workers 3\n", CB_EFORMAT, "t.conf:1: set needs NAME = VALUE"},
        {"set = 3\n", CB_EFORMAT, "t.conf:1: set needs NAME = VALUE"},
        {"set workers =\n", CB_EFORMAT,
         "t.conf:1: workers: the value is missing (\"\" is an empty one)"},
        {"set workers = # none\n", CB_EFORMAT,
         "t.conf:1: workers: the value is missing (\"\" is an empty one)"},
        {"set llm.model = \"abc\n", CB_EFORMAT, "t.conf:1: llm.model: the closing \" is missing"},
        {"set llm.model = \"a\\nb\"\n", CB_EFORMAT,
         "t.conf:1: llm.model: only \\\" and \\\\ may follow a backslash in quotes"},
        {"set llm.model = \"a\" b\n", CB_EFORMAT,
         "t.conf:1: llm.model: text after the closing quote"},
        {"set proposer = gpt\n", CB_EINVAL, "t.conf:1: proposer: 'gpt' is not one of local, llm"},
        {"set preview = kitty\n", CB_EINVAL,
         "t.conf:1: preview: 'kitty' is not one of auto, sixel, blocks, text"},
        {"set llm.endpoint = ftp://x\n", CB_EINVAL,
         "t.conf:1: llm.endpoint: 'ftp://x' is not an http:// or https:// URL (no spaces or "
         "quotes, at most 2048 bytes)"},
        {"set llm.api_key_env = sk-proj-abcdef\n", CB_EINVAL,
         "t.conf:1: llm.api_key_env: the value is not the name of an environment variable (A-Z "
         "0-9 _, at most 64): give the name of the variable that holds the API key, never the "
         "key itself"},
        {"set theme = ../x\n", CB_EINVAL,
         "t.conf:1: theme: '../x' is not a name (1..64 of A-Z a-z 0-9 _ . -, not starting with "
         ". or -)"},
        {"set store = relative/dir\n", CB_EINVAL,
         "t.conf:1: store: 'relative/dir' is not an absolute path (in a file, write /... or "
         "~/...)"},
        {"set store = \"\"\n", CB_EINVAL, "t.conf:1: store: the path is empty"},
        {"bind runs r\n", CB_EFORMAT, "t.conf:1: bind needs VIEW KEY REQUEST"},
        {"bind runs # quit\n", CB_EFORMAT, "t.conf:1: bind needs VIEW KEY REQUEST"},
        {"bind runs r rerun now\n", CB_EFORMAT,
         "t.conf:1: bind takes VIEW KEY REQUEST and nothing more"},
        {"bind nowhere r rerun\n", CB_EINVAL,
         "t.conf:1: 'nowhere' is not a view (global, runs, experiments, run, compare, logs, "
         "chart, preview, lineage, stage, proposals, help)"},
        {"bind runs r explode\n", CB_EINVAL,
         "t.conf:1: 'explode' is not a request ('codecbench config --help' lists them)"},
        {"bind runs <Nope> quit\n", CB_EINVAL,
         "t.conf:1: '<Nope>' is not a key (a character, ^X, F1..F24 or <Name>: <Enter>, <Tab>, "
         "<Esc>, <Space>, <Backspace>, <Hash>, <Up>, <Down>, <Left>, <Right>, <Home>, <End>, "
         "<PageUp>, <PageDown>, <Insert>, <Delete>, <BackTab>)"},
        {"color title red\n", CB_EFORMAT, "t.conf:1: color needs AREA FG BG [ATTR...]"},
        {"color titel red blue\n", CB_EINVAL,
         "t.conf:1: 'titel' is not a colour area ('codecbench config --help' lists them)"},
        {"color title purple blue\n", CB_EINVAL,
         "t.conf:1: 'purple' is not a colour (black, red, green, yellow, blue, magenta, cyan, "
         "white, default or 0..255)"},
        {"color title red 256\n", CB_EINVAL,
         "t.conf:1: '256' is not a colour (black, red, green, yellow, blue, magenta, cyan, "
         "white, default or 0..255)"},
        {"color title red blue shiny\n", CB_EINVAL,
         "t.conf:1: 'shiny' is not an attribute (bold, underline, reverse, dim, blink, "
         "standout, italic, normal)"},
        {"frobnicate x\n", CB_EFORMAT,
         "t.conf:1: 'frobnicate' is not a command (set, bind, color, source)"},
        {"set workers = 2\nSET workers = 3\n", CB_EFORMAT,
         "t.conf:2: 'SET' is not a command (set, bind, color, source)"},
        {"set theme = nosuchtheme\n", CB_ENOENT, NULL},
        /* Bytes that are not config text. */
        {"set workers = 2\n\x01\n", CB_EFORMAT, "t.conf:2: a control character (0x01)"},
        {"set llm.model = \x1b[31m\n", CB_EFORMAT, "t.conf:1: a control character (0x1b)"},
        {"set llm.model = \xff\xfe\n", CB_EFORMAT, "t.conf:1: invalid UTF-8"},
        {"set llm.model = \xed\xa0\x80\n", CB_EFORMAT, "t.conf:1: invalid UTF-8"},
        {"set llm.model = \xc0\xaf\n", CB_EFORMAT, "t.conf:1: invalid UTF-8"},
        {"x\ry\n", CB_EFORMAT, "t.conf:1: a control character (0x0d)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].want) {
            expect_error(cases[i].text, cases[i].code, cases[i].want);
            continue;
        }
        CbConfig *cfg = new_config();
        CbError err;
        assert_int_equal(parse(cfg, cases[i].text, &err), cases[i].code);
        assert_true(strncmp(err.text, "t.conf:1: theme: no theme 'nosuchtheme' (looked for "
                                      "nosuchtheme.theme in ",
                            70) == 0);
        assert_string_equal(cb_config_theme_name(cfg), "default");
        cb_config_free(&cfg);
    }
    /* A NUL byte in the middle of the text. */
    CbConfig *cfg = new_config();
    CbError err;
    cb_error_clear(&err);
    assert_int_equal(cb_config_parse(cfg, "set workers = 2\nset\0x\n", 22, "t.conf", &err),
                     CB_EFORMAT);
    assert_string_equal(err.text, "t.conf:2: a NUL byte (binary data?)");
    /* A line of 4097 bytes is refused, one of 4096 is read. */
    char *big = malloc(CB_CONFIG_MAX_LINE + 8);
    assert_non_null(big);
    memset(big, ' ', CB_CONFIG_MAX_LINE + 1);
    memcpy(big, "## x", 4); /* big + 1 is a comment too */
    big[CB_CONFIG_MAX_LINE + 1] = '\n';
    assert_int_equal(cb_config_parse(cfg, big, CB_CONFIG_MAX_LINE + 2, "t.conf", &err),
                     CB_ELIMIT);
    assert_string_equal(err.text, "t.conf:1: line longer than 4096 bytes");
    assert_int_equal(cb_config_parse(cfg, big + 1, CB_CONFIG_MAX_LINE + 1, "t.conf", &err), 0);
    free(big);
    cb_config_free(&cfg);
}

/* ---- files -------------------------------------------------------------------- */

static void test_files(void **state)
{
    (void)state;
    CbConfig *cfg = new_config();
    CbError err;
    cb_error_clear(&err);
    /* A missing user file is fine (returns 1, nothing changes); a missing
     * named file is an error. */
    char *missing = tmp_path("none/config");
    assert_int_equal(cb_config_load_file(cfg, missing, 1, &err), 1);
    assert_string_equal(cb_config_get_source(cfg, "workers"), "default");
    assert_int_equal(cb_config_load_file(cfg, missing, 0, &err), CB_ENOENT);
    char want[600];
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    assert_string_equal(err.text, want);
    /* A folder is an error even when a missing file would be fine. */
    assert_int_equal(cb_config_load_file(cfg, tmpdir, 1, &err), CB_EIO);
    snprintf(want, sizeof want, "%s: is a folder, not a config file", tmpdir);
    assert_string_equal(err.text, want);
    /* A path that cannot be a file (through a regular file): an error even
     * when a missing file would be fine. */
    char *plain = tmp_path("plain"), *through = tmp_path("plain/config");
    write_str(plain, "");
    assert_int_equal(cb_config_load_file(cfg, through, 1, &err), CB_EIO);
    snprintf(want, sizeof want, "%s: Not a directory", through);
    assert_string_equal(err.text, want);
    free(plain);
    free(through);
    /* Too big. */
    char *huge = tmp_path("huge.conf");
    char *text = malloc(CB_CONFIG_MAX_BYTES + 2);
    assert_non_null(text);
    memset(text, '\n', CB_CONFIG_MAX_BYTES + 1);
    write_file(huge, text, CB_CONFIG_MAX_BYTES + 1);
    assert_int_equal(cb_config_load_file(cfg, huge, 1, &err), CB_ELIMIT);
    assert_true(strstr(err.text, "larger than 1048576 bytes") != NULL);
    write_file(huge, text, CB_CONFIG_MAX_BYTES); /* exactly the limit: fine */
    assert_int_equal(cb_config_load_file(cfg, huge, 0, &err), 0);
    free(text);
    /* Binary bytes name the file and line. */
    char *bin = tmp_path("bin.conf");
    write_str(bin, "set workers = 2\n\x7f" "ELF\x02\x01\n");
    assert_int_equal(cb_config_load_file(cfg, bin, 0, &err), CB_EFORMAT);
    snprintf(want, sizeof want, "%s:2: a control character (0x7f)", bin);
    assert_string_equal(err.text, want);
    cb_config_free(&cfg);
    free(missing);
    free(huge);
    free(bin);
}

static void test_unreadable_file(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads every file */
    CbConfig *cfg = new_config();
    CbError err;
    cb_error_clear(&err);
    char *locked = tmp_path("locked.conf");
    write_str(locked, "set workers = 2\n");
    chmod(locked, 0);
    assert_int_equal(cb_config_load_file(cfg, locked, 1, &err), CB_EIO);
    assert_true(strstr(err.text, "Permission denied") != NULL);
    free(locked);
    cb_config_free(&cfg);
}

/* ---- precedence ------------------------------------------------------------- */

static void test_precedence(void **state)
{
    (void)state;
    char *file = tmp_path("prec.conf");
    write_str(file, "set workers = 3\nset wall_limit = 30\nset memory_limit = 100\n");
    CbConfig *cfg = new_config();
    CbError err;
    cb_error_clear(&err);
    char src[600];
    snprintf(src, sizeof src, "file %s:1", file);
    assert_int_equal(cb_config_load_file(cfg, file, 0, &err), 0);
    assert_int_equal(get_int(cfg, "workers"), 3);
    assert_string_equal(cb_config_get_source(cfg, "workers"), src);
    setenv("CODECBENCH_WORKERS", "5", 1);
    setenv("CODECBENCH_WALL_LIMIT", "50", 1);
    setenv("CODECBENCH_LLM_MODEL", "env-model", 1);
    setenv("CODECBENCH_CANCEL_GRACE", "", 1); /* empty: unset */
    assert_int_equal(cb_config_apply_env(cfg, &err), 0);
    assert_int_equal(get_int(cfg, "workers"), 5);
    assert_string_equal(cb_config_get_source(cfg, "workers"), "env CODECBENCH_WORKERS");
    assert_string_equal(cb_config_get_string(cfg, "llm.model"), "env-model");
    assert_string_equal(cb_config_get_source(cfg, "llm.model"), "env CODECBENCH_LLM_MODEL");
    assert_string_equal(cb_config_get_source(cfg, "cancel_grace"), "default");
    assert_int_equal(cb_config_set(cfg, "workers", "7", "--workers", &err), 0);
    assert_int_equal(get_int(cfg, "workers"), 7);
    assert_string_equal(cb_config_get_source(cfg, "workers"), "flag --workers");
    assert_int_equal(cb_config_set(cfg, "llm.api_key_env", "K", NULL, &err), 0);
    assert_string_equal(cb_config_get_source(cfg, "llm.api_key_env"), "flag --llm-api-key-env");
    /* Lower sources applied later do not win. */
    assert_int_equal(cb_config_load_file(cfg, file, 0, &err), 0);
    assert_int_equal(cb_config_apply_env(cfg, &err), 0);
    assert_int_equal(get_int(cfg, "workers"), 7);
    assert_int_equal(get_int(cfg, "wall_limit"), 50);
    assert_string_equal(cb_config_get_source(cfg, "wall_limit"), "env CODECBENCH_WALL_LIMIT");
    assert_int_equal(get_int(cfg, "memory_limit"), 100);
    snprintf(src, sizeof src, "file %s:3", file);
    assert_string_equal(cb_config_get_source(cfg, "memory_limit"), src);
    assert_int_equal(get_int(cfg, "cancel_grace"), 5);
    /* but a shadowed value is still checked. */
    assert_int_equal(parse(cfg, "set workers = 0\n", &err), CB_EINVAL);
    /* Errors name the variable or the flag. */
    setenv("CODECBENCH_WORKERS", "0", 1);
    assert_int_equal(cb_config_apply_env(cfg, &err), CB_EINVAL);
    assert_string_equal(err.text, "environment CODECBENCH_WORKERS: workers: 0 is outside 1..256");
    unsetenv("CODECBENCH_WORKERS");
    setenv("CODECBENCH_PROPOSER", "x\x1b", 1);
    assert_int_equal(cb_config_apply_env(cfg, &err), CB_EINVAL);
    assert_string_equal(err.text,
                        "environment CODECBENCH_PROPOSER: proposer: the value holds a control "
                        "character");
    unsetenv("CODECBENCH_PROPOSER");
    assert_int_equal(cb_config_set(cfg, "workers", "999", "-j", &err), CB_EINVAL);
    assert_string_equal(err.text, "option -j: workers: 999 is outside 1..256");
    assert_int_equal(get_int(cfg, "workers"), 7);
    assert_int_equal(cb_config_set(cfg, "nope", "1", NULL, &err), CB_ENOENT);
    /* From env and flags a relative store path is relative to the current
     * folder, made absolute. */
    assert_int_equal(cb_config_set(cfg, "store", "rel/store", "--store", &err), 0);
    char cwd[4096], abs_store[4200];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(abs_store, sizeof abs_store, "%s/rel/store", cwd);
    assert_string_equal(cb_config_get_string(cfg, "store"), abs_store);
    unsetenv("CODECBENCH_WALL_LIMIT");
    unsetenv("CODECBENCH_LLM_MODEL");
    unsetenv("CODECBENCH_CANCEL_GRACE");
    /* Getters. */
    long long v;
    assert_int_equal(cb_config_get_int(cfg, "theme", &v), CB_EINVAL);
    assert_int_equal(cb_config_get_int(cfg, "nope", &v), CB_ENOENT);
    assert_null(cb_config_get_string(cfg, "nope"));
    assert_null(cb_config_get_source(cfg, "nope"));
    assert_string_equal(cb_config_get_string(cfg, "memory_limit"), "100");
    cb_config_free(&cfg);
    free(file);
}

/* ---- keys -------------------------------------------------------------------- */

static void round_trip(int key)
{
    char name[CB_KEY_NAME_MAX];
    int back = -1;
    if (cb_config_key_name(key, name) != 0)
        fail_msg("key 0x%x has no name", key);
    if (cb_config_key_parse(name, &back, NULL) != 0 || back != key)
        fail_msg("key 0x%x -> \"%s\" -> 0x%x", key, name, back);
}

static void test_keys(void **state)
{
    (void)state;
    for (int k = 0; k < 128; k++)
        round_trip(k);
    for (int k = 0xA0; k <= 0x10FFFF; k++)
        if (k < 0xD800 || k > 0xDFFF)
            round_trip(k);
    for (int k = CB_KEY_UP; k <= CB_KEY_LAST; k++)
        round_trip(k);
    /* Values that are not keys have no name. */
    const int not_keys[] = {-1, 0x80, 0x9F, 0xD800, 0xDFFF, CB_KEY_LAST + 1};
    for (size_t i = 0; i < sizeof not_keys / sizeof not_keys[0]; i++) {
        char name[CB_KEY_NAME_MAX];
        assert_int_equal(cb_config_key_name(not_keys[i], name), CB_EINVAL);
        assert_string_equal(name, "");
    }
    /* Aliases and spellings to canonical names. */
    static const struct {
        const char *in, *out;
    } names[] = {
        {"r", "r"},          {"R", "R"},          {"^R", "^R"},        {"^r", "^R"},
        {"^M", "<Enter>"},   {"<return>", "<Enter>"}, {"<ENTER>", "<Enter>"}, {"^I", "<Tab>"},
        {"^[", "<Esc>"},     {"<escape>", "<Esc>"},   {"^?", "<Backspace>"}, {"<bs>", "<Backspace>"},
        {"^H", "^H"},        {"<space>", "<Space>"},  {"<hash>", "<Hash>"}, {"F5", "F5"},
        {"<F5>", "F5"},      {"<f12>", "F12"},        {"F24", "F24"},    {"<PgUp>", "<PageUp>"},
        {"<pgdn>", "<PageDown>"}, {"<del>", "<Delete>"}, {"<S-Tab>", "<BackTab>"},
        {"<Up>", "<Up>"},    {"^@", "^@"},            {"^_", "^_"},      {"é", "é"},
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},     {"<", "<"},        {">", ">"},
        {"^", "^"},          {"\\", "\\"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int k;
        char out[CB_KEY_NAME_MAX];
        CbError err;
        cb_error_clear(&err);
        if (cb_config_key_parse(names[i].in, &k, &err) != 0)
            fail_msg("\"%s\": %s", names[i].in, err.text);
        assert_int_equal(cb_config_key_name(k, out), 0);
        assert_string_equal(out, names[i].out);
    }
    const char *bad[] = {"",      "ab",  "<Nope>", "^1",  "^",   "F0", "F25", "F01",
                         "<F0>",  "#",   " ",      "\x01", "\xff", "\xc3", "\xc2\x80",
                         "\xed\xa0\x80", "<>", "<Enter", "Enter>", "^RR", "<VeryLongKeyName>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int k = -7;
        CbError err;
        cb_error_clear(&err);
        if (!strcmp(bad[i], "^")) /* '^' alone is the caret key */
            continue;
        if (cb_config_key_parse(bad[i], &k, &err) != CB_EINVAL)
            fail_msg("\"%s\" parsed as 0x%x", bad[i], k);
        assert_int_equal(err.code, CB_EINVAL);
        assert_int_equal(k, -7);
    }
}

/* ---- names ------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    for (int r = 0; r < CB_REQ_COUNT; r++) {
        const char *n = cb_config_request_name((CbRequest)r);
        assert_non_null(n);
        assert_true(strlen(cb_config_request_help((CbRequest)r)) > 5);
        assert_int_equal(cb_config_request_from_name(n), r);
    }
    assert_int_equal(cb_config_request_from_name("none"), CB_REQ_NONE);
    assert_int_equal(cb_config_request_from_name("Quit"), -1);
    assert_null(cb_config_request_name(CB_REQ_COUNT));
    assert_null(cb_config_request_name((CbRequest)-1));
    for (int v = 0; v < CB_VIEW_COUNT; v++)
        assert_int_equal(cb_config_view_from_name(cb_config_view_name((CbView)v)), v);
    assert_int_equal(cb_config_view_from_name("nowhere"), -1);
    assert_null(cb_config_view_name(CB_VIEW_COUNT));
    for (int a = 0; a < CB_AREA_COUNT; a++)
        assert_int_equal(cb_config_area_from_name(cb_config_area_name((CbColorArea)a)), a);
    assert_int_equal(cb_config_area_from_name(NULL), -1);
    /* The requests the dashboard needs are all there. */
    const char *needed[] = {"quit",   "help",    "refresh",   "rerun",     "cancel",
                            "delete", "tag",     "note",      "compare",   "anchor",
                            "logs",   "chart",   "preview",   "propose",   "filter",
                            "sort",   "search",  "next-view", "prev-view", "move-up",
                            "move-down", "move-page-up", "move-page-down", "move-home",
                            "move-end", "select", "toggle-mark", "export"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (cb_config_request_from_name(needed[i]) <= 0)
            fail_msg("request %s is missing", needed[i]);
    /* Colours and attributes. */
    for (int c = -1; c < 256; c++) {
        char buf[8];
        int back = -5;
        const char *n = cb_config_color_name(c, buf);
        assert_non_null(n);
        assert_int_equal(cb_config_color_parse(n, &back), 0);
        assert_int_equal(back, c);
    }
    int c;
    assert_int_equal(cb_config_color_parse("cyan", &c), 0);
    assert_int_equal(c, 6);
    const char *badc[] = {"", "256", "-1", "007", "Red", "1a", "1000"};
    for (size_t i = 0; i < sizeof badc / sizeof badc[0]; i++)
        assert_int_equal(cb_config_color_parse(badc[i], &c), CB_EINVAL);
    assert_string_equal(cb_config_attr_name(CB_ATTR_BIT_ITALIC), "italic");
    assert_null(cb_config_attr_name(CB_ATTR_COUNT));
    /* Settings table and environment names. */
    char env[64];
    assert_int_equal(cb_config_env_name("llm.api_key_env", env, sizeof env), 0);
    assert_string_equal(env, "CODECBENCH_LLM_API_KEY_ENV");
    assert_int_equal(cb_config_env_name("llm.api_key_env", env, 20), CB_ELIMIT);
    const char *required[] = {"store",        "workers",      "wall_limit",  "memory_limit",
                              "cancel_grace", "runner_idle_exit", "poll_interval_ms", "theme",
                              "llm.endpoint", "llm.model",    "llm.api_key_env", "llm.timeout",
                              "proposer",     "preview"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        assert_true(cb_config_setting_find(required[i]) >= 0);
    assert_int_equal(cb_config_setting_find("nope"), -1);
    assert_null(cb_config_setting_info(cb_config_setting_count()));
}

/* ---- themes and colours ------------------------------------------------------ */

static void test_themes(void **state)
{
    (void)state;
    CbConfig *cfg = new_config();
    CbError err;
    /* A config colour wins over the theme's, in either order. */
    assert_int_equal(parse(cfg, "color title red default\nset theme = mono\n", &err), 0);
    assert_string_equal(cb_config_theme_name(cfg), "mono");
    CbColor c = cb_config_color(cfg, CB_AREA_TITLE);
    assert_int_equal(c.fg, 1);
    assert_string_equal(c.source, "file t.conf:1");
    c = cb_config_color(cfg, CB_AREA_CURSOR);
    assert_int_equal(c.attrs, CB_ATTR_REVERSE);
    assert_true(strncmp(c.source, "theme mono, built-in:", 21) == 0);
    /* A user theme: loaded from the themes folder, overriding a built-in one
     * of the same name; an area it leaves out takes the default area's. */
    char *dir = cb_config_user_themes_dir();
    assert_non_null(dir);
    CbBuf cmd, path;
    cb_buf_init(&cmd, 4096);
    cb_buf_init(&path, 4096);
    assert_int_equal(cb_buf_printf(&cmd, "mkdir -p '%s'", dir), 0);
    assert_int_equal(system(cmd.data), 0);
    assert_int_equal(cb_buf_printf(&path, "%s/mine.theme", dir), 0);
    write_str(path.data, "# mine\ncolor default green black\ncolor bad 196 default bold\n");
    assert_int_equal(parse(cfg, "set theme = mine\n", &err), 0);
    c = cb_config_color(cfg, CB_AREA_BAD);
    assert_int_equal(c.fg, 196);
    char want[600];
    snprintf(want, sizeof want, "theme mine, %s:3", path.data);
    assert_string_equal(c.source, want);
    c = cb_config_color(cfg, CB_AREA_GOOD);
    assert_int_equal(c.fg, 2);
    assert_int_equal(c.bg, 0);
    assert_string_equal(c.source, "none: as the default area");
    /* Themes hold color lines only; errors name the theme file's line and
     * the config line that selected it; the loaded theme stays. */
    write_str(path.data, "color bad red default\nset workers = 2\n");
    assert_int_equal(parse(cfg, "\nset theme = mine\n", &err), CB_EFORMAT);
    snprintf(want, sizeof want, "t.conf:2: theme: %s:2: a theme holds only color lines, not 'set'",
             path.data);
    assert_string_equal(err.text, want);
    assert_string_equal(cb_config_theme_name(cfg), "mine");
    assert_int_equal(cb_config_color(cfg, CB_AREA_BAD).fg, 196);
    unlink(path.data);
    /* The terminal's colours when nothing is set at all (an invalid area). */
    c = cb_config_color(cfg, CB_AREA_COUNT);
    assert_int_equal(c.fg, CB_COLOR_DEFAULT);
    assert_int_equal(c.attrs, 0);
    cb_config_free(&cfg);
    free(dir);
    cb_buf_free(&cmd);
    cb_buf_free(&path);
}

/* ---- printing ------------------------------------------------------------------ */

static void assert_same(const CbConfig *a, const CbConfig *b)
{
    for (size_t i = 0; i < cb_config_setting_count(); i++) {
        const char *n = cb_config_setting_info(i)->name;
        assert_string_equal(cb_config_get_string(a, n), cb_config_get_string(b, n));
    }
    for (int pass = 0; pass < 2; pass++) {
        const CbConfig *x = pass ? b : a;
        for (size_t i = 0; i < cb_config_binding_count(x); i++) {
            const CbBinding *bd = cb_config_binding(x, i);
            for (int v = 0; v < CB_VIEW_COUNT; v++)
                assert_int_equal(cb_config_key_request(a, (CbView)v, bd->key),
                                 cb_config_key_request(b, (CbView)v, bd->key));
        }
    }
    for (int ar = 0; ar < CB_AREA_COUNT; ar++) {
        CbColor ca = cb_config_color(a, (CbColorArea)ar), cbb = cb_config_color(b, (CbColorArea)ar);
        assert_int_equal(ca.fg, cbb.fg);
        assert_int_equal(ca.bg, cbb.bg);
        assert_int_equal(ca.attrs, cbb.attrs);
    }
}

static void test_format_round_trip(void **state)
{
    (void)state;
    CbConfig *cfg = new_config();
    CbError err;
    const char *text = "set llm.model = \"odd # \\\"name\\\" \\\\\"\n"
                       "set store = /tmp/a store#x\n"
                       "set workers = 4\n"
                       "set theme = mono\n"
                       "bind runs <Hash> quit\nbind runs r none\nbind help ^X back\n"
                       "color title 200 17 bold italic blink\n";
    if (parse(cfg, text, &err) != 0)
        fail_msg("%s", err.text);
    char *out = cb_config_format(cfg);
    assert_non_null(out);
    assert_non_null(strstr(out, "set workers = 4                         # file t.conf:3\n"));
    assert_non_null(strstr(out, "bind runs        r          none"));
    assert_non_null(strstr(out, "color title         200     17      bold blink italic"));
    CbConfig *again = new_config();
    if (cb_config_parse(again, out, strlen(out), "printed", &err) != 0)
        fail_msg("%s\n%s", err.text, out);
    assert_same(cfg, again);
    /* And printing it again gives the same lines (sources aside). */
    char *out2 = cb_config_format(again);
    assert_non_null(out2);
    assert_int_equal(strlen(out) > 1000, 1);
    free(out);
    free(out2);
    cb_config_free(&again);
    /* The defaults themselves round trip, "auto" included. */
    CbConfig *d = new_config();
    out = cb_config_format(d);
    assert_non_null(strstr(out, "set workers = auto"));
    again = new_config();
    assert_int_equal(cb_config_parse(again, out, strlen(out), "printed", &err), 0);
    assert_true(cb_config_is_auto(again, "workers"));
    assert_same(d, again);
    free(out);
    cb_config_free(&again);
    cb_config_free(&d);
    cb_config_free(&cfg);
    assert_null(cb_config_format(NULL));
}

/* ---- places ----------------------------------------------------------------- */

static void test_places(void **state)
{
    (void)state;
    char *old_xdg = strdup(getenv("XDG_CONFIG_HOME"));
    const char *h = getenv("HOME");
    char *old_home = h ? strdup(h) : NULL;
    setenv("XDG_CONFIG_HOME", "/x/conf", 1);
    setenv("XDG_DATA_HOME", "/x/data", 1);
    setenv("HOME", "/home/u", 1);
    char *p = cb_config_user_path();
    assert_string_equal(p, "/x/conf/codecbench/config");
    free(p);
    p = cb_config_user_themes_dir();
    assert_string_equal(p, "/x/conf/codecbench/themes");
    free(p);
    p = cb_config_data_dir();
    assert_string_equal(p, "/x/data/codecbench");
    free(p);
    /* Relative XDG values are ignored, as the spec says. */
    setenv("XDG_CONFIG_HOME", "rel", 1);
    setenv("XDG_DATA_HOME", "", 1);
    p = cb_config_user_path();
    assert_string_equal(p, "/home/u/.config/codecbench/config");
    free(p);
    p = cb_config_data_dir();
    assert_string_equal(p, "/home/u/.local/share/codecbench");
    free(p);
    /* Neither: no path; the store has no default then. */
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    assert_null(cb_config_user_path());
    assert_null(cb_config_data_dir());
    CbConfig *cfg = new_config();
    assert_string_equal(cb_config_get_string(cfg, "store"), "");
    assert_true(strstr(cb_config_get_source(cfg, "store"), "neither XDG_DATA_HOME nor HOME") !=
                NULL);
    cb_config_free(&cfg);
    assert_true(strstr(cb_config_themes_dir(), "/themes") != NULL);
    setenv("XDG_CONFIG_HOME", old_xdg, 1);
    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_xdg);
    free(old_home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_shipped_files),
        cmocka_unit_test(test_line_types),
        cmocka_unit_test(test_source),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_themes),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_places),
        cmocka_unit_test(test_llm_settings),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}

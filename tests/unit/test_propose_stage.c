/* Unit tests of the proposers' stage mode (issue 8): the tolerant matcher
 * of search/replace edits (src/llm/stage_edit.c) on hand-worked cases, the
 * stage parent, the stage prompt (header text, parent source, failure
 * reasons and build diagnostics, its bound), the reply parser (whole code,
 * edits that apply, fail or are ambiguous, malformed entries), the stage
 * part of the diff, and the store's record of edits per model (with
 * reindex).  No network, no compiler: a stage's source is only text here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "codecbench/evolve.h"
#include "codecbench/propose.h"
#include "codecbench/sandbox.h"
#include "storefix.h"

/* ---- the matcher ----------------------------------------------------------- */

static int find(const char *src, const char *search, size_t *a, size_t *b)
{
    return cb_stage_edit_find(src, strlen(src), search, a, b);
}

static void test_find_exact_and_whitespace(void **state)
{
    (void)state;
    const char *src = "int a = 1;\nint b = 2;\n";
    size_t a = 99, b = 99;
    /* "int b = 2;" starts at byte 11 and ends before byte 21 */
    assert_int_equal(find(src, "int b = 2;", &a, &b), 1);
    assert_int_equal(a, 11);
    assert_int_equal(b, 21);
    /* runs of whitespace of any kind and length match any run */
    a = b = 99;
    assert_int_equal(find(src, "int   b\t=\n2;", &a, &b), 1);
    assert_int_equal(a, 11);
    assert_int_equal(b, 21);
    /* a search across the line break, with its own spacing */
    assert_int_equal(find(src, "1;   int", &a, &b), 1);
    assert_int_equal(a, 8);
    assert_int_equal(b, 14);
    /* leading and trailing whitespace of the search is ignored */
    assert_int_equal(find(src, "  \n int b = 2;  \n\t", &a, &b), 1);
    assert_int_equal(a, 11);
    assert_int_equal(b, 21);
    /* but whitespace is not optional: "b=2" is not "b = 2" */
    assert_int_equal(find(src, "b=2", &a, &b), 0);
    /* nor may the search add whitespace inside a token */
    assert_int_equal(find(src, "in t", &a, &b), 0);
}

static void test_find_crlf_tabs(void **state)
{
    (void)state;
    /* CRLF source, LF search: "x = 1;" (6) "\r\n" (2) "  " (2) "y = 2;" (6) */
    const char *crlf = "x = 1;\r\n  y = 2;\r\n";
    size_t a = 99, b = 99;
    assert_int_equal(find(crlf, "x = 1;\n y = 2;", &a, &b), 1);
    assert_int_equal(a, 0);
    assert_int_equal(b, 16);
    /* a CRLF search on an LF source */
    assert_int_equal(find("p;\nq;\n", "p;\r\nq;", &a, &b), 1);
    assert_int_equal(a, 0);
    assert_int_equal(b, 5);
    /* tabs in the source, spaces in the search */
    const char *tabs = "\tif (a)\n\t\treturn 0;";
    assert_int_equal(find(tabs, "if (a) return 0;", &a, &b), 1);
    assert_int_equal(a, 1);
    assert_int_equal(b, strlen(tabs));
}

static void test_find_counts(void **state)
{
    (void)state;
    size_t a = 99, b = 99;
    assert_int_equal(find("int a;\n", "int c;", &a, &b), 0);
    /* two places: the first one is reported */
    assert_int_equal(find("x++;\nx++;\n", "x++;", &a, &b), 2);
    assert_int_equal(a, 0);
    assert_int_equal(b, 4);
    /* three, the middle one across a different run of whitespace */
    assert_int_equal(find("f(a, b); f(a,\n\tb); f(a, b);", "f(a, b);", &a, &b), 3);
    /* overlapping matches count: "aa" is twice in "aaa", "a a" twice in "a a a" */
    assert_int_equal(find("aaa", "aa", &a, &b), 2);
    assert_int_equal(find("a a a", "a a", &a, &b), 2);
    assert_int_equal(find("a \n a\ta", "a a", &a, &b), 2);
    /* an empty search, or one of whitespace only, is refused */
    assert_int_equal(find("abc", "", &a, &b), CB_EINVAL);
    assert_int_equal(find("abc", " \n\t\r\n", &a, &b), CB_EINVAL);
    /* a search longer than the source */
    assert_int_equal(find("ab", "abc", &a, &b), 0);
}

/* The worst case for a naive matcher (a search of 16384 'a' and a 'b' in
 * 32768 'a'): linear here, so it finishes at once; the count is what is
 * checked. */
static void test_find_hostile(void **state)
{
    (void)state;
    size_t n = CB_RECIPE_STAGE_MAX;
    char *src = malloc(n + 1), *search = malloc(n / 2 + 2);
    assert_non_null(src);
    assert_non_null(search);
    memset(src, 'a', n);
    src[n] = '\0';
    memset(search, 'a', n / 2);
    search[n / 2] = 'b';
    search[n / 2 + 1] = '\0';
    assert_int_equal(cb_stage_edit_find(src, n, search, NULL, NULL), 0);
    /* n - 2 + 1 places for "aa", capped */
    assert_int_equal(cb_stage_edit_find(src, n, "aa", NULL, NULL), CB_STAGE_EDIT_COUNT_MAX);
    free(src);
    free(search);
}

static void test_apply(void **state)
{
    (void)state;
    const char *src = "int f(void) { return 1; }\n";
    CbError err;
    char *out = NULL;
    size_t len = 0;
    /* in sequence: the second search finds what the first replace wrote */
    CbStageEdit seq[2] = {{"return 1;", "return 2;"}, {"return   2;", "return 3; /* x */"}};
    assert_int_equal(cb_stage_edit_apply(src, strlen(src), seq, 2, 1000, &out, &len, &err), 0);
    assert_string_equal(out, "int f(void) { return 3; /* x */ }\n");
    assert_int_equal(len, strlen(out));
    free(out);
    /* the replacement is inserted as given, the matched spacing goes */
    CbStageEdit ws[1] = {{"a b", "X\n\tY"}};
    assert_int_equal(cb_stage_edit_apply("<a  \n b>", 8, ws, 1, 1000, &out, NULL, &err), 0);
    assert_string_equal(out, "<X\n\tY>");
    free(out);
    /* an empty replacement deletes */
    CbStageEdit del[1] = {{"{ return 1; }", ""}};
    assert_int_equal(cb_stage_edit_apply(src, strlen(src), del, 1, 1000, &out, NULL, &err), 0);
    assert_string_equal(out, "int f(void) \n");
    free(out);
    /* errors name the edit and the reason; nothing is returned */
    CbStageEdit miss[2] = {{"return 1;", "return 2;"}, {"return 1;", "return 3;"}};
    out = (char *)1;
    assert_int_equal(cb_stage_edit_apply(src, strlen(src), miss, 2, 1000, &out, NULL, &err),
                     CB_EINVAL);
    assert_null(out);
    assert_string_equal(err.text, "edit 2: the search text was not found");
    const char *three = "x++; x++; x++;";
    CbStageEdit amb[1] = {{"x++;", "y"}};
    assert_int_equal(cb_stage_edit_apply(three, strlen(three), amb, 1, 1000, &out, NULL, &err),
                     CB_EINVAL);
    assert_string_equal(err.text, "edit 1: the search text matches 3 places");
    CbStageEdit empty[1] = {{"  ", "y"}};
    assert_int_equal(cb_stage_edit_apply(src, strlen(src), empty, 1, 1000, &out, NULL, &err),
                     CB_EINVAL);
    assert_string_equal(err.text, "edit 1: the search text is empty");
    assert_int_equal(cb_stage_edit_apply(src, strlen(src), empty, 0, 1000, &out, NULL, &err),
                     CB_EINVAL);
    /* the result is bounded: 26 bytes with "1" made 100 bytes long is 125 */
    char big[101];
    memset(big, '9', 100);
    big[100] = '\0';
    CbStageEdit grow[1] = {{"1", big}};
    assert_int_equal(cb_stage_edit_apply(src, strlen(src), grow, 1, 124, &out, NULL, &err),
                     CB_ELIMIT);
    assert_null(out);
    assert_int_equal(cb_stage_edit_apply(src, strlen(src), grow, 1, 125, &out, &len, &err), 0);
    assert_int_equal(len, 125);
    free(out);
}

/* ---- proposals from a store ------------------------------------------------ */

typedef struct Fix {
    StoreFix fx;
    int64_t anchor, better, failed, staged;
} Fix;

static const char ANCHOR[] = "{\"name\": \"anchor\", \"codec\": \"engine\", \"settings\": "
                             "{\"qps\": [22, 27, 32, 37]}}";
static const char BETTER[] = "{\"name\": \"better\", \"codec\": \"engine\", \"settings\": "
                             "{\"deblock\": false, \"qps\": [22, 27, 32, 37]}}";
static const char X264[] = "{\"name\": \"x264\", \"codec\": \"ffmpeg\", \"settings\": "
                           "{\"encoder\": \"libx264\", \"points\": [22, 27, 32, 37]}}";
/* A stage source that needs no compiler here: these tests only read it. */
static const char STAGE_SRC[] = "#include \"codecbench/stage.h\"\n"
                                "int cb_stage_intra(const CbStageIntra *a)\n"
                                "{\n"
                                "    (void)a;\n"
                                "    return 0;\n"
                                "}\n";
static const double PSNR[4] = {40, 37, 34, 31};

static int setup(void **state)
{
    Fix *f = calloc(1, sizeof *f);
    if (!f || storefix_init(&f->fx, "cbpstage", 1) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fix *f = *state;
    storefix_fini(&f->fx);
    free(f);
    return 0;
}

/* A recipe text of base (an engine recipe) with a stage of kind and code. */
static char *with_stage(const char *base, const char *name, const char *kind, const char *code)
{
    json_error_t je;
    json_t *d = json_loads(base, 0, &je);
    assert_non_null(d);
    json_object_set_new(d, "name", json_string(name));
    json_object_set_new(d, "stage", json_pack("{s:s, s:s}", "kind", kind, "code", code));
    char *t = json_dumps(d, JSON_COMPACT);
    assert_non_null(t);
    json_decref(d);
    return t;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* "exp": the anchor, a better engine recipe (BD-rate -20 %), x264 (better
 * still: a baseline is no stage parent), and a failed intra stage run with
 * build diagnostics in its run directory (terminal escapes in them). */
static void make_history(Fix *f)
{
    CbError err;
    assert_int_equal(cb_store_set_anchor(f->fx.s, "exp", ANCHOR, NULL, &err), 0);
    const double ka[4] = {2000, 1000, 500, 250}, kb[4] = {1600, 800, 400, 200};
    const double kx[4] = {1000, 500, 250, 125};
    f->anchor = storefix_queue(&f->fx, "exp", ANCHOR, 5, 0);
    storefix_finish(&f->fx, f->anchor, "clipA", 4, ka, PSNR, 5);
    f->better = storefix_queue(&f->fx, "exp", BETTER, 5, f->anchor);
    storefix_finish(&f->fx, f->better, "clipA", 4, kb, PSNR, 5);
    int64_t x = storefix_queue(&f->fx, "exp", X264, 5, 0);
    storefix_finish(&f->fx, x, "clipA", 4, kx, PSNR, 5);
    char *bad = with_stage(ANCHOR, "bad-stage", "intra", "int cb_stage_intra(void) { x }\n");
    f->failed = storefix_queue(&f->fx, "exp", bad, 5, f->anchor);
    free(bad);
    storefix_set_status(&f->fx, f->failed, CB_RUN_RUNNING, NULL);
    storefix_set_status(&f->fx, f->failed, CB_RUN_FAILED,
                        "the stage does not compile: stage.c:1: error: expected ';'");
    char *dir = cb_store_run_dir(f->fx.s, f->failed);
    assert_non_null(dir);
    char path[600];
    snprintf(path, sizeof path, "%s/stage-build.txt", dir);
    write_file(path, "stage.c:1:33: error: expected ';' before '}' token\x1b[2J\n");
    free(dir);
}

static void history(Fix *f, CbProposeHistory *h)
{
    CbError err;
    int rc = cb_propose_history(f->fx.s, "exp", h, &err);
    if (rc < 0)
        fail_msg("history: %s", err.text);
}

static void test_parent(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    CbProposeStageParent p;
    CbError err;
    /* no done intra stage yet: the best engine recipe with the built-in source */
    assert_int_equal(cb_propose_stage_parent(&h, CB_STAGE_INTRA, &p, &err), 0);
    assert_non_null(p.recipe);
    assert_string_equal(p.recipe->name, "better");
    assert_int_equal(p.builtin, 1);
    assert_string_equal(p.source, cb_stage_builtin_source(CB_STAGE_INTRA));
    cb_propose_stage_parent_free(&p);
    assert_int_equal(cb_propose_stage_parent(&h, CB_STAGE_NONE, &p, &err), CB_EINVAL);
    /* the failure carries its kind and its diagnostics, sanitised */
    assert_int_equal(h.n_failures, 1);
    assert_int_equal(h.failures[0].stage_kind, CB_STAGE_INTRA);
    assert_non_null(h.failures[0].stage_diag);
    assert_non_null(strstr(h.failures[0].stage_diag, "expected ';' before '}'"));
    assert_null(strchr(h.failures[0].stage_diag, '\x1b'));
    cb_propose_history_free(&h);

    /* a done intra stage run (worse than "better", but of the kind) wins */
    char *st = with_stage(ANCHOR, "mine", "intra", STAGE_SRC);
    const double kc[4] = {1800, 900, 450, 225};
    f->staged = storefix_queue(&f->fx, "exp", st, 5, f->anchor);
    storefix_finish(&f->fx, f->staged, "clipA", 4, kc, PSNR, 5);
    free(st);
    history(f, &h);
    assert_int_equal(cb_propose_stage_parent(&h, CB_STAGE_INTRA, &p, &err), 0);
    assert_string_equal(p.recipe->name, "mine");
    assert_int_equal(p.builtin, 0);
    assert_string_equal(p.source, STAGE_SRC);
    cb_propose_stage_parent_free(&p);
    /* another kind still starts from the built-in one of the best plain recipe */
    assert_int_equal(cb_propose_stage_parent(&h, CB_STAGE_LOOP_FILTER, &p, &err), 0);
    assert_string_equal(p.recipe->name, "better");
    assert_string_equal(p.source, cb_stage_builtin_source(CB_STAGE_LOOP_FILTER));
    cb_propose_stage_parent_free(&p);
    cb_propose_history_free(&h);
}

static void test_prompt(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    char *sys = NULL, *user = NULL;
    CbError err;
    assert_int_equal(cb_propose_stage_prompt(&h, CB_STAGE_INTRA, 2, 0, &sys, &user, &err), 0);
    /* the header as built in, whole; the rules; the reply's form */
    assert_non_null(strstr(sys, cb_stage_header_text()));
    assert_non_null(strstr(sys, "-mgeneral-regs-only"));
    assert_non_null(strstr(sys, "Integers only"));
    assert_non_null(strstr(sys, "\"edits\": [{\"search\""));
    /* the parent, its measurements, its source; the failure with its reason
     * and diagnostics; the ask */
    char line[96];
    snprintf(line, sizeof line, "Its parent: run %lld \"better\": BD-rate -20.00 %%",
             (long long)f->better);
    assert_non_null(strstr(user, line));
    assert_non_null(strstr(user, "kbps, PSNR-Y"));
    assert_non_null(strstr(user, "fps encoding"));
    assert_non_null(strstr(user, "engine deblock=false"));
    assert_non_null(strstr(user, cb_stage_builtin_source(CB_STAGE_INTRA)));
    assert_non_null(strstr(user, "the engine's built-in one"));
    assert_non_null(strstr(user, "Recent failed intra stages"));
    assert_non_null(strstr(user, "stage.c:1: error: expected ';'"));
    assert_non_null(strstr(user, "build diagnostics:\nstage.c:1:33: error"));
    assert_null(strchr(user, '\x1b'));
    assert_non_null(strstr(user, "Propose 2 new intra stages"));
    free(sys);
    free(user);
    /* another kind: no failure of its own listed */
    assert_int_equal(cb_propose_stage_prompt(&h, CB_STAGE_TRANSFORM, 1, 0, &sys, &user, &err), 0);
    assert_null(strstr(user, "Recent failed"));
    assert_non_null(strstr(user, cb_stage_builtin_source(CB_STAGE_TRANSFORM)));
    free(sys);
    free(user);
    cb_propose_history_free(&h);
}

static char *xdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* 200 failed stage runs with 1 KB diagnostics, by hand: the prompt keeps
 * its bound and says what it left out; a bound below the fixed part
 * (the parent's source) is refused. */
static void test_prompt_bounded(void **state)
{
    (void)state;
    CbProposeHistory h;
    memset(&h, 0, sizeof h);
    h.experiment = xdup("big");
    h.anchor_name = xdup("a");
    h.n_recipes = 1;
    h.recipes = calloc(1, sizeof *h.recipes);
    assert_non_null(h.recipes);
    h.recipes[0].hash = xdup("h0");
    h.recipes[0].name = xdup("a");
    h.recipes[0].json = xdup(ANCHOR);
    h.recipes[0].codec_engine = 1;
    h.recipes[0].is_anchor = 1;
    h.recipes[0].done = 1;
    h.recipes[0].best_run = 1;
    h.recipes[0].bd_rate = 0;
    h.n_failures = 200;
    h.failures = calloc(h.n_failures, sizeof *h.failures);
    assert_non_null(h.failures);
    char diag[1001];
    memset(diag, 'd', 1000);
    diag[1000] = '\0';
    for (size_t i = 0; i < h.n_failures; i++) {
        h.failures[i].run_id = (int64_t)(1000 - i);
        h.failures[i].recipe_name = xdup("s");
        h.failures[i].recipe_json = xdup(ANCHOR);
        h.failures[i].reason = xdup("the stage does not compile");
        h.failures[i].stage_kind = CB_STAGE_INTRA;
        h.failures[i].stage_diag = xdup(diag);
    }
    size_t src_len = strlen(cb_stage_builtin_source(CB_STAGE_INTRA));
    size_t max = src_len + 6000;
    char *sys = NULL, *user = NULL;
    CbError err;
    assert_int_equal(cb_propose_stage_prompt(&h, CB_STAGE_INTRA, 4, max, &sys, &user, &err), 0);
    assert_true(strlen(user) <= max);
    assert_non_null(strstr(user, "older failed intra stages not shown)"));
    assert_non_null(strstr(user, "- run 1000 \"s\""));
    assert_non_null(strstr(user, "Propose 4 new intra stages"));
    free(sys);
    free(user);
    assert_int_equal(cb_propose_stage_prompt(&h, CB_STAGE_INTRA, 4, src_len, &sys, &user, &err),
                     CB_ELIMIT);
    assert_null(sys);
    assert_null(user);
    cb_propose_history_free(&h);
}

static void test_schema(void **state)
{
    (void)state;
    char *s = cb_propose_stage_schema();
    assert_non_null(s);
    json_error_t je;
    json_t *d = json_loads(s, 0, &je);
    assert_non_null(d);
    json_t *item = json_object_get(
        json_object_get(json_object_get(json_object_get(d, "properties"), "proposals"), "items"),
        "properties");
    assert_non_null(json_object_get(item, "rationale"));
    assert_non_null(json_object_get(item, "code"));
    json_t *edit = json_object_get(json_object_get(item, "edits"), "items");
    assert_string_equal(json_string_value(json_object_get(edit, "type")), "object");
    /* strict: every property required, nothing else allowed */
    json_t *req = json_object_get(
        json_object_get(json_object_get(json_object_get(d, "properties"), "proposals"), "items"),
        "required");
    assert_int_equal(json_array_size(req), 3);
    assert_int_equal(json_array_size(json_object_get(edit, "required")), 2);
    assert_true(json_is_false(json_object_get(edit, "additionalProperties")));
    json_decref(d);
    free(s);
}

/* A reply: {"proposals": [entries...]} from JSON fragments. */
static char *reply(const char *entries)
{
    size_t n = strlen(entries) + 32;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "{\"proposals\": [%s]}", entries);
    return t;
}

static json_t *entry(const char *why, const char *code, json_t *edits)
{
    return json_pack("{s:s, s:s, s:o}", "rationale", why, "code", code, "edits",
                     edits ? edits : json_array());
}

static json_t *edit1(const char *search, const char *replace)
{
    return json_pack("[{s:s, s:s}]", "search", search, "replace", replace);
}

static void test_parse_reply(void **state)
{
    Fix *f = *state;
    make_history(f);
    char *st = with_stage(ANCHOR, "mine", "intra", STAGE_SRC);
    const double kc[4] = {1800, 900, 450, 225};
    f->staged = storefix_queue(&f->fx, "exp", st, 5, f->anchor);
    storefix_finish(&f->fx, f->staged, "clipA", 4, kc, PSNR, 5);
    free(st);
    CbProposeHistory h;
    history(f, &h);
    /* the parent is "mine", source STAGE_SRC */
    const char *whole = "#include \"codecbench/stage.h\"\n"
                        "int cb_stage_intra(const CbStageIntra *a)\n"
                        "{\n"
                        "    for (int y = 0; y < a->n; y++)\n"
                        "        for (int x = 0; x < a->n; x++)\n"
                        "            a->dst[y * a->stride + x] = 128;\n"
                        "    return 0;\n"
                        "}\n";
    json_t *list = json_array();
    json_array_append_new(list, entry("flat grey \x1b[2J prediction", whole, NULL));
    json_array_append_new(list,
                          entry("return early", "",
                                edit1("(void)a;\n  return 0;", "(void)a;\n    return 0; /* x */")));
    json_array_append_new(list, entry("a typo", "", edit1("(void) b;", "")));
    json_array_append_new(list, entry("ambiguous", "", edit1(";", ";;")));
    json_array_append_new(list, entry("both", whole, edit1("return 0;", "return 1;")));
    json_array_append_new(list, entry("neither", "", NULL));
    json_array_append_new(list, entry("the same", STAGE_SRC, NULL));
    json_array_append_new(list, json_string("not an object"));
    json_t *doc = json_pack("{s:o}", "proposals", list);
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    CbProposeRound r;
    cb_propose_round_init(&r, 4);
    CbError err;
    assert_int_equal(cb_propose_stage_parse_reply(&h, CB_STAGE_INTRA, text, strlen(text), &r, &err),
                     0);
    free(text);
    assert_int_equal(r.n_items, 2);
    assert_int_equal(r.n_rejects, 6);
    /* four entries came as edits; two of them failed */
    assert_int_equal(r.edits_tried, 3);
    assert_int_equal(r.edits_failed, 2);
    /* 1: whole code, parent "mine", rationale sanitised, a stage recipe */
    CbProposeItem *it = &r.items[0];
    assert_int_equal(it->parent, f->staged);
    assert_null(strchr(it->rationale, '\x1b'));
    assert_non_null(strstr(it->rationale, "flat grey"));
    assert_true(strncmp(it->name, "stage-intra-", 12) == 0 && strlen(it->name) == 20);
    CbRecipe rec;
    assert_int_equal(cb_recipe_parse(it->recipe_json, strlen(it->recipe_json), NULL, &rec, &err),
                     0);
    assert_int_equal(rec.stage_kind, CB_STAGE_INTRA);
    assert_string_equal(rec.stage_code, whole);
    assert_int_equal(rec.engine.qps[0], 22);
    cb_recipe_free(&rec);
    /* against STAGE_SRC: "    (void)a;" goes, three loop lines come: +3 -1 */
    assert_string_equal(it->diff, "stage intra: +3 -1 lines");
    /* 2: the edit applied with its own whitespace */
    it = &r.items[1];
    assert_int_equal(cb_recipe_parse(it->recipe_json, strlen(it->recipe_json), NULL, &rec, &err),
                     0);
    assert_non_null(strstr(rec.stage_code, "    (void)a;\n    return 0; /* x */\n}\n"));
    cb_recipe_free(&rec);
    /* one line changed: the return gained a comment */
    assert_string_equal(it->diff, "stage intra: +1 -1 lines");
    /* the refusals, in order */
    assert_string_equal(r.rejects[0].reason, "proposal 3: edit 1: the search text was not found");
    assert_string_equal(r.rejects[1].reason,
                        "proposal 4: edit 1: the search text matches 2 places");
    assert_non_null(strstr(r.rejects[2].reason, "both code and edits"));
    assert_non_null(strstr(r.rejects[3].reason, "neither code nor edits"));
    assert_non_null(strstr(r.rejects[4].reason, "the parent's, unchanged"));
    assert_non_null(strstr(r.rejects[5].reason, "not a JSON object"));
    cb_propose_round_free(&r);

    /* the same code again in a later round is a duplicate (the code is in
     * the settings key); oversize code and malformed edits are refused */
    cb_propose_round_init(&r, 4);
    assert_int_equal(cb_propose_stage_parse_reply(&h, CB_STAGE_INTRA, "no json here", 12, &r, &err),
                     CB_EFORMAT);
    char *big = malloc(CB_RECIPE_STAGE_MAX + 2);
    assert_non_null(big);
    memset(big, ' ', CB_RECIPE_STAGE_MAX + 1);
    big[CB_RECIPE_STAGE_MAX + 1] = '\0';
    list = json_array();
    json_array_append_new(list, entry("too big", big, NULL));
    json_array_append_new(
        list, json_pack("{s:s, s:s, s:[i]}", "rationale", "bad", "code", "", "edits", 3));
    doc = json_pack("{s:o}", "proposals", list);
    text = json_dumps(doc, 0);
    json_decref(doc);
    free(big);
    assert_int_equal(cb_propose_stage_parse_reply(&h, CB_STAGE_INTRA, text, strlen(text), &r, &err),
                     0);
    free(text);
    assert_int_equal(r.n_items, 0);
    assert_int_equal(r.n_rejects, 2);
    assert_non_null(strstr(r.rejects[0].reason, "more than the 32768"));
    assert_non_null(strstr(r.rejects[1].reason, "edit 1 is not an object"));
    assert_int_equal(r.edits_tried, 1);
    assert_int_equal(r.edits_failed, 1);
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
}

/* Queued: the stage recipe is recorded and runs on the clip with its parent;
 * the same code is then a duplicate. */
static void test_queue_then_duplicate(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    char *text = reply("{\"rationale\": \"r\", \"code\": \"int cb_stage_intra(const CbStageIntra "
                       "*a) { (void)a; return 0; }\\n\", \"edits\": []}");
    CbProposeRound r;
    cb_propose_round_init(&r, 2);
    CbError err;
    assert_int_equal(cb_propose_stage_parse_reply(&h, CB_STAGE_INTRA, text, strlen(text), &r, &err),
                     0);
    assert_int_equal(r.n_items, 1);
    assert_int_equal(r.items[0].parent, f->better);
    assert_int_equal(cb_propose_queue(f->fx.s, &h, &r, "llm", &err), 0);
    assert_int_equal(r.items[0].n_runs, 1);
    char *stored = NULL;
    assert_int_equal(cb_store_get_recipe(f->fx.s, r.items[0].run_ids[0], &stored, &err), 0);
    assert_non_null(strstr(stored, "\"stage\""));
    free(stored);
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
    history(f, &h);
    cb_propose_round_init(&r, 2);
    assert_int_equal(cb_propose_stage_parse_reply(&h, CB_STAGE_INTRA, text, strlen(text), &r, &err),
                     0);
    assert_int_equal(r.n_items, 0);
    assert_int_equal(r.n_rejects, 1);
    assert_non_null(strstr(r.rejects[0].reason, "a duplicate"));
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
    free(text);
}

static void test_diff(void **state)
{
    (void)state;
    CbError err;
    CbRecipe a, b, c;
    char *ta = with_stage(ANCHOR, "a", "intra", "a\nb\nc\n");
    char *tb = with_stage(ANCHOR, "b", "intra", "a\nB\nc\nd\n");
    char *tc = with_stage(BETTER, "c", "loop_filter", "a\n");
    assert_int_equal(cb_recipe_parse(ta, strlen(ta), NULL, &a, &err), 0);
    assert_int_equal(cb_recipe_parse(tb, strlen(tb), NULL, &b, &err), 0);
    assert_int_equal(cb_recipe_parse(tc, strlen(tc), NULL, &c, &err), 0);
    /* "b" goes, "B" and "d" come */
    char *d = cb_propose_diff(&a, &b);
    assert_string_equal(d, "stage intra: +2 -1 lines");
    free(d);
    d = cb_propose_diff(&a, &a);
    assert_string_equal(d, "");
    free(d);
    /* a settings change, the old stage removed, a new kind against its built-in source */
    d = cb_propose_diff(&a, &c);
    assert_non_null(
        strstr(d, "deblock: true -> false; stage intra: removed; stage loop_filter: +1 -"));
    free(d);
    /* a recipe without a stage against its stage: the built-in source */
    CbRecipe plain;
    assert_int_equal(cb_recipe_parse(ANCHOR, strlen(ANCHOR), NULL, &plain, &err), 0);
    d = cb_propose_diff(&b, &plain);
    assert_string_equal(d, "stage intra: removed");
    free(d);
    cb_recipe_free(&plain);
    cb_recipe_free(&a);
    cb_recipe_free(&b);
    cb_recipe_free(&c);
    free(ta);
    free(tb);
    free(tc);
}

/* The settings key holds the code: the same code under another name is the
 * same encode, other code is not; a recipe without a stage differs too. */
static void test_settings_key(void **state)
{
    (void)state;
    char *t1 = with_stage(ANCHOR, "one", "intra", STAGE_SRC);
    char *t2 = with_stage(ANCHOR, "two", "intra", STAGE_SRC);
    char *t3 = with_stage(ANCHOR, "one", "intra", "int x;\n");
    CbRecipe r1, r2, r3, r0;
    CbError err;
    assert_int_equal(cb_recipe_parse(t1, strlen(t1), NULL, &r1, &err), 0);
    assert_int_equal(cb_recipe_parse(t2, strlen(t2), NULL, &r2, &err), 0);
    assert_int_equal(cb_recipe_parse(t3, strlen(t3), NULL, &r3, &err), 0);
    assert_int_equal(cb_recipe_parse(ANCHOR, strlen(ANCHOR), NULL, &r0, &err), 0);
    char k1[CB_RECIPE_HASH_HEX], k2[CB_RECIPE_HASH_HEX], k3[CB_RECIPE_HASH_HEX],
        k0[CB_RECIPE_HASH_HEX];
    assert_int_equal(cb_propose_settings_key(&r1, k1), 0);
    assert_int_equal(cb_propose_settings_key(&r2, k2), 0);
    assert_int_equal(cb_propose_settings_key(&r3, k3), 0);
    assert_int_equal(cb_propose_settings_key(&r0, k0), 0);
    assert_string_equal(k1, k2);
    assert_string_not_equal(k1, k3);
    assert_string_not_equal(k1, k0);
    cb_recipe_free(&r0);
    cb_recipe_free(&r1);
    cb_recipe_free(&r2);
    cb_recipe_free(&r3);
    free(t1);
    free(t2);
    free(t3);
}

/* A failed stage run's diagnostics are cut to CB_PROPOSE_STAGE_DIAG_MAX
 * bytes (the cut said), whatever the file's size. */
static void test_diag_capped(void **state)
{
    Fix *f = *state;
    make_history(f);
    char *dir = cb_store_run_dir(f->fx.s, f->failed);
    assert_non_null(dir);
    char path[600];
    snprintf(path, sizeof path, "%s/stage-build.txt", dir);
    free(dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 1000; i++)
        fputs("stage.c:9:1: error: x\n", fp);
    assert_int_equal(fclose(fp), 0);
    CbProposeHistory h;
    history(f, &h);
    const char *d = h.failures[0].stage_diag;
    assert_non_null(d);
    assert_true(strlen(d) <= CB_PROPOSE_STAGE_DIAG_MAX + 6);
    assert_true(strlen(d) > CB_PROPOSE_STAGE_DIAG_MAX - 40);
    assert_non_null(strstr(d, " [...]"));
    assert_true(strncmp(d, "stage.c:9:1: error: x\n", 22) == 0);
    cb_propose_history_free(&h);
}

static void test_edits_store(void **state)
{
    Fix *f = *state;
    CbError err;
    CbStore *s = storefix_open(&f->fx);
    CbLlmEditStat *rows = NULL;
    size_t n = 9;
    assert_int_equal(cb_store_llm_edits(s, "exp", &rows, &n, &err), 0);
    assert_int_equal(n, 0);
    /* model-x: 2 of 8, then 1 of 12: 3 of 20; model-y 0 of 4; elsewhere 5 of 5 */
    assert_int_equal(cb_store_add_llm_edits(s, "exp", "model-x", 8, 2, &err), 0);
    assert_int_equal(cb_store_add_llm_edits(s, "exp", "model-x", 12, 1, &err), 0);
    assert_int_equal(cb_store_add_llm_edits(s, "exp", "model-y", 4, 0, &err), 0);
    assert_int_equal(cb_store_add_llm_edits(s, "other", "model-x", 5, 5, &err), 0);
    assert_int_equal(cb_store_add_llm_edits(s, "exp", "model-x", 1, 2, &err), CB_EINVAL);
    assert_int_equal(cb_store_add_llm_edits(s, "exp", "model-x", -1, 0, &err), CB_EINVAL);
    assert_int_equal(cb_store_llm_edits(s, "exp", &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].model, "model-x");
    assert_int_equal(rows[0].tried, 20);
    assert_int_equal(rows[0].failed, 3);
    assert_string_equal(rows[1].model, "model-y");
    assert_int_equal(rows[1].tried, 4);
    assert_int_equal(rows[1].failed, 0);
    cb_llm_edit_stats_free(&rows, n);
    assert_int_equal(cb_store_llm_edits(s, NULL, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].tried, 25);
    assert_int_equal(rows[0].failed, 8);
    cb_llm_edit_stats_free(&rows, n);
    /* token usage shares the file: both come back from reindex; a bad
     * edits line and an unknown record are skipped */
    assert_int_equal(cb_store_add_llm_usage(s, "exp", "model-x", 100, 20, 0, 1, &err), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/llm-usage.jsonl", f->fx.dir);
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fputs("{\"record\": \"edits\", \"experiment\": \"exp\", \"model\": \"model-x\", "
          "\"edits_tried\": 1, \"edits_failed\": 7, \"created\": 1}\n"
          "{\"record\": \"future\", \"experiment\": \"exp\"}\n",
          fp);
    fclose(fp);
    cb_store_close(&f->fx.s);
    int64_t runs = -1;
    assert_int_equal(cb_store_reindex(f->fx.dir, NULL, &runs, &err), 0);
    s = storefix_open(&f->fx);
    assert_int_equal(cb_store_llm_edits(s, "exp", &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].tried, 20);
    assert_int_equal(rows[0].failed, 3);
    assert_int_equal(rows[1].tried, 4);
    cb_llm_edit_stats_free(&rows, n);
    long long tokens = 0, requests = 0;
    assert_int_equal(cb_store_llm_usage(s, "exp", &tokens, &requests, &err), 0);
    assert_int_equal(tokens, 120);
    assert_int_equal(requests, 1);
}

static void test_local_refuses(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    CbProposeRound r;
    cb_propose_round_init(&r, 2);
    CbProposeParams p = {.k = 2, .seed = 1, .stage = CB_STAGE_INTRA};
    CbError err;
    assert_int_equal(cb_proposer_local.propose(&h, &p, &r, &err), CB_ENOTSUP);
    assert_non_null(strstr(err.text, "writes no code"));
    assert_int_equal(r.n_items, 0);
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
}

/* The evolve state keeps the stage kind its LLM rounds ask for. */
static void test_evolve_state_stage(void **state)
{
    (void)state;
#define EVOLVE_DOC                                                                                 \
    "{\"format\": 1, \"experiment\": \"x\", \"proposer\": \"%s\", \"generations\": 2, "            \
    "\"per_generation\": 3, \"budget\": 0, \"seed\": 1, \"status\": \"running\", "                 \
    "\"reason\": null, \"created\": 1, \"updated\": 1, \"rounds_failed\": 0, \"gens\": [], "       \
    "\"front\": [], \"front_after\": 0%s}"
    char text[1024];
    CbEvolveState st;
    CbError err;
    snprintf(text, sizeof text, EVOLVE_DOC, "llm", ", \"stage\": \"loop_filter\"");
    assert_int_equal(cb_evolve_state_parse(text, strlen(text), "t", &st, &err), 0);
    assert_int_equal(st.stage, CB_STAGE_LOOP_FILTER);
    char *dump = cb_evolve_state_dump(&st);
    assert_non_null(dump);
    assert_non_null(strstr(dump, "\"stage\":\"loop_filter\""));
    cb_evolve_state_free(&st);
    assert_int_equal(cb_evolve_state_parse(dump, strlen(dump), "t", &st, &err), 0);
    assert_int_equal(st.stage, CB_STAGE_LOOP_FILTER);
    cb_evolve_state_free(&st);
    free(dump);
    /* without the member: recipes, and none written back */
    snprintf(text, sizeof text, EVOLVE_DOC, "llm", "");
    assert_int_equal(cb_evolve_state_parse(text, strlen(text), "t", &st, &err), 0);
    assert_int_equal(st.stage, CB_STAGE_NONE);
    dump = cb_evolve_state_dump(&st);
    assert_non_null(dump);
    assert_null(strstr(dump, "\"stage\""));
    free(dump);
    cb_evolve_state_free(&st);
    /* a kind that is not one, or a stage for the local proposer */
    snprintf(text, sizeof text, EVOLVE_DOC, "llm", ", \"stage\": \"chroma\"");
    assert_int_equal(cb_evolve_state_parse(text, strlen(text), "t", &st, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "t: stage: "));
    snprintf(text, sizeof text, EVOLVE_DOC, "local", ", \"stage\": \"intra\"");
    assert_int_equal(cb_evolve_state_parse(text, strlen(text), "t", &st, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "llm proposer only"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_exact_and_whitespace),
        cmocka_unit_test(test_find_crlf_tabs),
        cmocka_unit_test(test_find_counts),
        cmocka_unit_test(test_find_hostile),
        cmocka_unit_test(test_apply),
        cmocka_unit_test_setup_teardown(test_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prompt, setup, teardown),
        cmocka_unit_test(test_prompt_bounded),
        cmocka_unit_test(test_schema),
        cmocka_unit_test_setup_teardown(test_parse_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_then_duplicate, setup, teardown),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_settings_key),
        cmocka_unit_test_setup_teardown(test_diag_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edits_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_refuses, setup, teardown),
        cmocka_unit_test(test_evolve_state_stage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

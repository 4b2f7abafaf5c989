/* Unit tests of recipe/: parsing and validation (every field, hostile
 * text), defaults, the canonical form, the hash, the JSON Schema and the
 * sample recipes. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "codecbench/buf.h"
#include "codecbench/engine.h"
#include "codecbench/recipe.h"

/* ---- helpers -------------------------------------------------------------- */

static int parse(const char *text, CbRecipe *r, CbError *err)
{
    cb_error_clear(err);
    return cb_recipe_parse(text, strlen(text), "t.json", r, err);
}

/* Parses text that must fail with code, its error text holding every
 * NULL-terminated needle; the recipe must be left empty. */
static void expect_fail(const char *text, int code, ...)
{
    CbRecipe r;
    CbError err;
    int rc = parse(text, &r, &err);
    if (rc != code)
        fail_msg("expected %d, got %d (%s) for: %.200s", code, rc, err.text, text);
    assert_int_equal(err.code, code);
    assert_null(r.name);
    assert_null(r.note);
    assert_true(strncmp(err.text, "t.json: ", 8) == 0);
    va_list ap;
    va_start(ap, code);
    const char *needle;
    while ((needle = va_arg(ap, const char *)))
        if (!strstr(err.text, needle))
            fail_msg("error \"%s\" lacks \"%s\"", err.text, needle);
    va_end(ap);
}

/* A recipe named "t" with settings {key: value_json}. */
static char *with_setting(const char *key, const char *value_json)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 20);
    assert_int_equal(
        cb_buf_printf(&b, "{\"name\": \"t\", \"codec\": \"engine\", \"settings\": {\"%s\": %s}}",
                      key, value_json),
        0);
    return cb_buf_steal(&b);
}

static void expect_setting_fails(const CbField *f, const char *value_json, const char *needle)
{
    char path[64], allowed[200];
    snprintf(path, sizeof path, "t.json: settings.%s", f->name);
    /* Every error about a list states the range of its elements. */
    if (f->type == CB_FIELD_INT_LIST)
        snprintf(allowed, sizeof allowed, "%d..%d", f->min, f->max);
    else
        cb_engine_field_allowed(f, allowed, sizeof allowed);
    char *text = with_setting(f->name, value_json);
    expect_fail(text, CB_EINVAL, path, allowed, needle, (const char *)NULL);
    free(text);
}

static void expect_setting_ok(const CbField *f, const char *value_json, CbRecipe *r)
{
    CbError err;
    char *text = with_setting(f->name, value_json);
    if (parse(text, r, &err) != 0)
        fail_msg("%s = %s refused: %s", f->name, value_json, err.text);
    free(text);
}

static int get_int(const CbEngineSettings *s, size_t offset)
{
    int v;
    memcpy(&v, (const char *)s + offset, sizeof v);
    return v;
}

static char *canonical_of(const char *text)
{
    CbRecipe r;
    CbError err;
    if (parse(text, &r, &err) != 0)
        fail_msg("refused: %s", err.text);
    char *c = cb_recipe_canonical(&r);
    assert_non_null(c);
    cb_recipe_free(&r);
    return c;
}

/* ---- the table is what the issue specifies --------------------------------- */

static void test_defaults_are_the_specified_ones(void **state)
{
    (void)state;
    /* Written out from the specification, not from the code. */
    static const char *const expected =
        "{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"block_size\":16,\"partition\":true,"
        "\"transform\":\"klt\",\"intra_modes\":\"all\",\"search_range\":32,\"search\":\"hex\","
        "\"subpel\":\"quarter\",\"gop\":30,\"p_qp_offset\":3,\"deblock\":true,"
        "\"restoration\":true,\"restoration_region\":64,\"adaptation\":\"dual\","
        "\"preset\":\"medium\",\"slices\":1,\"threads\":1,\"qps\":[22,27,32,37]}}";
    char *c = canonical_of("{\"name\": \"x\", \"codec\": \"engine\"}");
    assert_string_equal(c, expected);
    free(c);
    /* No "settings" and an empty one are the same. */
    c = canonical_of("{\"codec\": \"engine\", \"settings\": {}, \"name\": \"x\"}");
    assert_string_equal(c, expected);
    free(c);
}

static void test_missing_settings_take_defaults(void **state)
{
    (void)state;
    CbRecipe r;
    CbError err;
    CbEngineSettings d;
    cb_engine_settings_default(&d);
    assert_int_equal(
        parse("{\"name\":\"g\",\"codec\":\"engine\",\"settings\":{\"gop\":10,\"qps\":[40]}}", &r,
              &err),
        0);
    assert_int_equal(r.engine.gop, 10);
    assert_int_equal(r.engine.n_qps, 1);
    assert_int_equal(r.engine.qps[0], 40);
    d.gop = 10;
    d.n_qps = 1;
    d.qps[0] = 40;
    /* Every other field is the default (the struct holds only ints, and
     * both sides start from memset-zeroed defaults). */
    assert_memory_equal(&r.engine, &d, sizeof d);
    assert_string_equal(r.name, "g");
    assert_null(r.note);
    cb_recipe_free(&r);
    cb_recipe_free(&r); /* freeing twice is harmless */
    cb_recipe_free(NULL);
}

/* ---- every field: accepted values and each kind of error ------------------- */

static void test_every_field_validates(void **state)
{
    (void)state;
    size_t n;
    const CbField *fields = cb_engine_fields(&n);
    assert_int_equal(n, 17);
    for (size_t i = 0; i < n; i++) {
        const CbField *f = &fields[i];
        CbRecipe r;
        char v[64];
        switch (f->type) {
        case CB_FIELD_INT:
            snprintf(v, sizeof v, "%d", f->min);
            expect_setting_ok(f, v, &r);
            assert_int_equal(get_int(&r.engine, f->offset), f->min);
            cb_recipe_free(&r);
            snprintf(v, sizeof v, "%d", f->max);
            expect_setting_ok(f, v, &r);
            assert_int_equal(get_int(&r.engine, f->offset), f->max);
            cb_recipe_free(&r);
            snprintf(v, sizeof v, "%d", f->min - 1);
            expect_setting_fails(f, v, "out of range");
            snprintf(v, sizeof v, "%d", f->max + 1);
            expect_setting_fails(f, v, "out of range");
            expect_setting_fails(f, "\"8\"", "got a string");
            expect_setting_fails(f, "true", "got a boolean");
            expect_setting_fails(f, "null", "got null");
            expect_setting_fails(f, "1.5", "got a real number");
            break;
        case CB_FIELD_CHOICE:
            for (int k = 0; k < f->n_choices; k++) {
                snprintf(v, sizeof v, "%d", f->choices[k]);
                expect_setting_ok(f, v, &r);
                assert_int_equal(get_int(&r.engine, f->offset), f->choices[k]);
                cb_recipe_free(&r);
                snprintf(v, sizeof v, "%d", f->choices[k] + 1);
                expect_setting_fails(f, v, "is not one of");
                snprintf(v, sizeof v, "%d", f->choices[k] - 1);
                expect_setting_fails(f, v, "is not one of");
            }
            snprintf(v, sizeof v, "%d.0", f->choices[0]);
            expect_setting_fails(f, v, "got a real number");
            expect_setting_fails(f, "[16]", "got an array");
            break;
        case CB_FIELD_BOOL:
            expect_setting_ok(f, "false", &r);
            assert_int_equal(get_int(&r.engine, f->offset), 0);
            cb_recipe_free(&r);
            expect_setting_ok(f, "true", &r);
            assert_int_equal(get_int(&r.engine, f->offset), 1);
            cb_recipe_free(&r);
            expect_setting_fails(f, "1", "got an integer");
            expect_setting_fails(f, "\"true\"", "got a string");
            expect_setting_fails(f, "null", "got null");
            break;
        case CB_FIELD_ENUM:
            for (int k = 0; f->names[k]; k++) {
                snprintf(v, sizeof v, "\"%s\"", f->names[k]);
                expect_setting_ok(f, v, &r);
                assert_int_equal(get_int(&r.engine, f->offset), k);
                cb_recipe_free(&r);
                /* Case matters: names are exact. */
                snprintf(v, sizeof v, "\"%c%s\"", f->names[k][0] - 32, f->names[k] + 1);
                expect_setting_fails(f, v, "is not one of");
            }
            expect_setting_fails(f, "\"nope\"", "\"nope\" is not one of");
            expect_setting_fails(f, "\"\"", "is not one of");
            expect_setting_fails(f, "1", "got an integer");
            expect_setting_fails(f, "{}", "got an object");
            break;
        case CB_FIELD_INT_LIST:
            snprintf(v, sizeof v, "[%d, %d]", f->max, f->min);
            expect_setting_ok(f, v, &r);
            assert_int_equal(get_int(&r.engine, f->count_offset), 2);
            assert_int_equal(r.engine.qps[0], f->max);
            assert_int_equal(r.engine.qps[1], f->min);
            cb_recipe_free(&r);
            snprintf(v, sizeof v, "[30, %d]", f->min - 1);
            expect_setting_fails(f, v, "[1]: -1 is out of range");
            snprintf(v, sizeof v, "[%d]", f->max + 1);
            expect_setting_fails(f, v, "[0]: 52 is out of range");
            expect_setting_fails(f, "[]", "0 values");
            expect_setting_fails(f, "[30, 30]", "listed twice");
            expect_setting_fails(f, "[30, \"31\"]", "[1]: expected an integer");
            expect_setting_fails(f, "[30, 31.0]", "got a real number");
            expect_setting_fails(f, "30", "got an integer");
            expect_setting_fails(f, "[[30]]", "got an array");
            /* max_items accepted, one more refused. */
            expect_setting_ok(f, "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]", &r);
            assert_int_equal(r.engine.n_qps, CB_MAX_QPS);
            cb_recipe_free(&r);
            expect_setting_fails(f, "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]", "17 values");
            break;
        }
    }
}

/* The exact texts the issue asks for (written out, not built from the table). */
static void test_error_texts(void **state)
{
    (void)state;
    CbRecipe r;
    CbError err;
    assert_int_equal(
        parse("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"block_size\":12}}", &r, &err),
        CB_EINVAL);
    assert_string_equal(err.text, "t.json: settings.block_size: 12 is not one of 8, 16");
    assert_int_equal(
        parse("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"gop\":601}}", &r, &err),
        CB_EINVAL);
    assert_string_equal(err.text, "t.json: settings.gop: 601 is out of range 1..600");
    assert_int_equal(
        parse("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"transform\":\"wht\"}}", &r,
              &err),
        CB_EINVAL);
    assert_string_equal(err.text, "t.json: settings.transform: \"wht\" is not one of dct, klt");
    assert_int_equal(
        parse("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"restoration_region\":96}}", &r,
              &err),
        CB_EINVAL);
    assert_string_equal(err.text,
                        "t.json: settings.restoration_region: 96 is not one of 32, 64, 128");
    assert_int_equal(
        parse("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"qps\":[22,60]}}", &r, &err),
        CB_EINVAL);
    assert_string_equal(err.text, "t.json: settings.qps[1]: 60 is out of range 0..51");
    /* Without a source name the text starts with "recipe". */
    const char *t = "{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"deblock\":0}}";
    assert_int_equal(cb_recipe_parse(t, strlen(t), NULL, &r, &err), CB_EINVAL);
    assert_string_equal(err.text,
                        "recipe: settings.deblock: expected true or false, got an integer");
}

static void test_top_level_keys(void **state)
{
    (void)state;
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"qps\":[22]}", CB_EINVAL,
                "t.json: qps: unknown key; allowed: name, codec, settings, stage, note",
                (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"blocksize\":16}}", CB_EINVAL,
                "t.json: settings.blocksize: unknown key; allowed: block_size, partition", "qps",
                (const char *)NULL);
    expect_fail("{\"codec\":\"engine\"}", CB_EINVAL, "t.json: name: missing", (const char *)NULL);
    expect_fail("{\"name\":\"x\"}", CB_EINVAL, "t.json: codec: missing; allowed: engine, ffmpeg",
                (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"x264\"}", CB_EINVAL,
                "t.json: codec: \"x264\" is not one of engine, ffmpeg", (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"ffmpeg\"}", CB_EINVAL,
                "t.json: settings: missing; an ffmpeg recipe needs settings.encoder",
                (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":1}", CB_EINVAL,
                "codec: expected a string (engine, ffmpeg), got an integer", (const char *)NULL);
    expect_fail("{\"name\":\"\",\"codec\":\"engine\"}", CB_EINVAL, "name: 0 bytes; allowed: 1..100",
                (const char *)NULL);
    expect_fail("{\"name\":\"a\\u001bb\",\"codec\":\"engine\"}", CB_EINVAL,
                "name: control character", (const char *)NULL);
    expect_fail("{\"name\":[\"x\"],\"codec\":\"engine\"}", CB_EINVAL,
                "name: expected a string, got an array", (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"note\":3}", CB_EINVAL,
                "note: expected a string, got an integer", (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":[]}", CB_EINVAL,
                "settings: expected an object, got an array", (const char *)NULL);
    expect_fail("[]", CB_EINVAL, "expected a JSON object at the top level, got an array",
                (const char *)NULL);
    /* Scalars at the top level are not JSON documents to jansson's default. */
    expect_fail("3", CB_EFORMAT, "t.json: line 1", (const char *)NULL);
    expect_fail("", CB_EFORMAT, "t.json: ", (const char *)NULL);

    char name[CB_RECIPE_NAME_MAX + 40];
    snprintf(name, sizeof name, "{\"name\":\"%0*d\",\"codec\":\"engine\"}", CB_RECIPE_NAME_MAX, 0);
    CbRecipe r;
    CbError err;
    assert_int_equal(parse(name, &r, &err), 0);
    assert_int_equal(strlen(r.name), CB_RECIPE_NAME_MAX);
    cb_recipe_free(&r);
    snprintf(name, sizeof name, "{\"name\":\"%0*d\",\"codec\":\"engine\"}", CB_RECIPE_NAME_MAX + 1,
             0);
    expect_fail(name, CB_EINVAL, "name: 101 bytes", (const char *)NULL);
    /* A note may be long (to its limit) and hold any text. */
    assert_int_equal(
        parse("{\"name\":\"x\",\"codec\":\"engine\",\"note\":\"tab\\there, caf\\u00e9\"}", &r,
              &err),
        0);
    assert_string_equal(r.note, "tab\there, caf\xc3\xa9");
    cb_recipe_free(&r);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"name\":\"y\"}", CB_EFORMAT, "duplicate",
                (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"gop\":1,\"gop\":2}}",
                CB_EFORMAT, "duplicate", (const char *)NULL);
}

static void test_truncated_json(void **state)
{
    (void)state;
    char *c = canonical_of("{\"name\":\"x\",\"codec\":\"engine\"}");
    size_t len = strlen(c);
    /* Every proper prefix of a valid recipe is refused, never accepted. */
    for (size_t n = 0; n < len; n++) {
        CbRecipe r;
        CbError err;
        cb_error_clear(&err);
        int rc = cb_recipe_parse(c, n, "t.json", &r, &err);
        assert_int_equal(rc, CB_EFORMAT);
        assert_non_null(strstr(err.text, "t.json: "));
        assert_null(r.name);
    }
    /* Trailing bytes after the document are refused too. */
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    assert_int_equal(cb_buf_printf(&b, "%s {}", c), 0);
    expect_fail(b.data, CB_EFORMAT, "end of file expected", (const char *)NULL);
    cb_buf_free(&b);
    free(c);
}

static void test_nesting_and_size_bombs(void **state)
{
    (void)state;
    /* A million opening brackets: refused by the scan, before jansson. */
    size_t n = 1000000;
    char *bomb = malloc(n + 1);
    assert_non_null(bomb);
    memset(bomb, '[', n);
    bomb[n] = '\0';
    CbRecipe r;
    CbError err;
    assert_int_equal(cb_recipe_parse(bomb, n < CB_RECIPE_MAX_BYTES ? n : CB_RECIPE_MAX_BYTES,
                                     "t.json", &r, &err),
                     CB_ELIMIT);
    assert_non_null(strstr(err.text, "nesting deeper than 8"));
    free(bomb);
    /* Nine levels inside settings (three are the recipe's own). */
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"qps\":[[[[[[[[1]]]]]]]]}}",
                CB_ELIMIT, "nesting deeper than 8", (const char *)NULL);
    /* Brackets inside strings do not count. */
    assert_int_equal(
        parse(
            "{\"name\":\"[[[[[[[[[[[[\",\"codec\":\"engine\",\"note\":\"{{{{{{{{{{\\\"[[[[[[[[[\"}",
            &r, &err),
        0);
    assert_string_equal(r.name, "[[[[[[[[[[[[");
    cb_recipe_free(&r);

    /* A 10 MB string: refused by size, whatever it holds. */
    size_t big = 10u << 20;
    char *text = malloc(big + 64);
    assert_non_null(text);
    int head = snprintf(text, 64, "{\"name\":\"x\",\"codec\":\"engine\",\"note\":\"");
    memset(text + head, 'a', big);
    memcpy(text + head + big, "\"}", 3);
    assert_int_equal(cb_recipe_parse(text, strlen(text), "t.json", &r, &err), CB_ELIMIT);
    assert_non_null(strstr(err.text, "t.json: "));
    assert_non_null(strstr(err.text, "at most 262144"));
    free(text);

    /* Under the byte limit but over the note's own limit. */
    CbBuf b;
    cb_buf_init(&b, 1 << 20);
    assert_int_equal(cb_buf_puts(&b, "{\"name\":\"x\",\"codec\":\"engine\",\"note\":\""), 0);
    for (int i = 0; i <= CB_RECIPE_NOTE_MAX; i++)
        assert_int_equal(cb_buf_puts(&b, "n"), 0);
    assert_int_equal(cb_buf_puts(&b, "\"}"), 0);
    expect_fail(b.data, CB_EINVAL, "note: 4097 bytes; allowed: 0..4096", (const char *)NULL);
    cb_buf_free(&b);
}

static void test_hostile_bytes_and_numbers(void **state)
{
    (void)state;
    CbRecipe r;
    CbError err;
    /* An embedded NUL: the text past it must not be ignored. */
    static const char nul[] = "{\"name\":\"x\",\"codec\":\"engine\"}\0garbage";
    assert_int_equal(cb_recipe_parse(nul, sizeof nul - 1, "t.json", &r, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "byte 29: a NUL byte"));
    static const char nul2[] = "{\"name\":\"x\0y\",\"codec\":\"engine\"}";
    assert_int_equal(cb_recipe_parse(nul2, sizeof nul2 - 1, "t.json", &r, &err), CB_EFORMAT);
    /* An escaped NUL inside a string. */
    expect_fail("{\"name\":\"x\\u0000y\",\"codec\":\"engine\"}", CB_EFORMAT,
                "t.json: ", (const char *)NULL);
    /* Invalid UTF-8. */
    expect_fail("{\"name\":\"\xff\xfe\",\"codec\":\"engine\"}", CB_EFORMAT,
                "t.json: ", (const char *)NULL);
    /* Numbers beyond int and beyond json_int_t. */
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"block_size\":4294967312}}",
                CB_EINVAL, "settings.block_size: 4294967312 is not one of 8, 16",
                (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"gop\":-4294967295}}",
                CB_EINVAL, "settings.gop: -4294967295 is out of range 1..600", (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"qps\":[4294967318]}}",
                CB_EINVAL, "settings.qps[0]: 4294967318 is out of range", (const char *)NULL);
    expect_fail(
        "{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"gop\":99999999999999999999999}}",
        CB_EFORMAT, "t.json: line 1", (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"gop\":1e400}}", CB_EFORMAT,
                "t.json: line 1", (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"gop\":1e2}}", CB_EINVAL,
                "settings.gop: expected an integer 1..600, got a real number", (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"gop\":NaN}}", CB_EFORMAT,
                "t.json: ", (const char *)NULL);
    /* A long unknown key is quoted cut, not whole. */
    CbBuf b;
    cb_buf_init(&b, 1 << 20);
    assert_int_equal(cb_buf_puts(&b, "{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\""), 0);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(cb_buf_puts(&b, "k"), 0);
    assert_int_equal(cb_buf_puts(&b, "\":1}}"), 0);
    assert_int_equal(parse(b.data, &r, &err), CB_EINVAL);
    assert_true(strlen(err.text) < 400);
    assert_non_null(strstr(err.text, "unknown key"));
    cb_buf_free(&b);
    /* NULL arguments. */
    assert_int_equal(cb_recipe_parse(NULL, 0, "t.json", &r, &err), CB_EINVAL);
    assert_int_equal(cb_recipe_parse("{}", 2, "t.json", NULL, &err), CB_EINVAL);
    assert_int_equal(cb_recipe_parse("{}", 2, "t.json", &r, NULL), CB_EINVAL);
}

/* ---- canonical form and hash ------------------------------------------------ */

static void test_canonical_is_stable(void **state)
{
    (void)state;
    char *a = canonical_of(
        "{\"name\":\"n\",\"codec\":\"engine\",\"settings\":{\"gop\":12,\"qps\":[30,20],"
        "\"transform\":\"dct\"},\"note\":\"first\"}");
    char *b =
        canonical_of("\n\t{ \"settings\" : { \"transform\" : \"dct\" ,\r\n \"qps\" : [ 30 , 20 ],"
                     " \"gop\" : 12 , \"deblock\": true },  \"note\": \"another note\","
                     "\"codec\": \"engine\", \"name\": \"n\" }  \n");
    char *c = canonical_of(
        "{\"name\":\"n\",\"codec\":\"engine\",\"settings\":{\"gop\":12,\"qps\":[30,20],"
        "\"transform\":\"dct\"}}");
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_null(strstr(a, "note"));
    assert_null(strchr(a, ' '));
    /* The order of qps is kept: it is the order the rate points run in. */
    assert_non_null(strstr(a, "\"qps\":[30,20]"));
    /* The canonical form is a recipe whose canonical form is itself. */
    char *again = canonical_of(a);
    assert_string_equal(a, again);
    free(again);
    free(a);
    free(b);
    free(c);
    /* Non-ASCII names come out as \u escapes. */
    a = canonical_of("{\"name\":\"caf\xc3\xa9\",\"codec\":\"engine\"}");
    assert_non_null(strstr(a, "\"name\":\"caf\\u00E9\""));
    free(a);
}

static void test_canonical_and_hash_change_with_every_value(void **state)
{
    (void)state;
    CbRecipe base;
    CbError err;
    assert_int_equal(parse("{\"name\":\"n\",\"codec\":\"engine\"}", &base, &err), 0);
    char *c0 = cb_recipe_canonical(&base);
    char h0[CB_RECIPE_HASH_HEX];
    assert_int_equal(cb_recipe_hash(&base, h0), 0);
    size_t n;
    const CbField *fields = cb_engine_fields(&n);
    for (size_t i = 0; i < n; i++) {
        const CbField *f = &fields[i];
        CbRecipe r = base;
        int v = get_int(&r.engine, f->offset), nv;
        switch (f->type) {
        case CB_FIELD_INT: nv = v == f->max ? f->min : v + 1; break;
        case CB_FIELD_BOOL: nv = !v; break;
        case CB_FIELD_ENUM: nv = v == 0 ? 1 : 0; break;
        case CB_FIELD_CHOICE: nv = f->choices[0] == v ? f->choices[1] : f->choices[0]; break;
        case CB_FIELD_INT_LIST: nv = v == f->max ? f->min : v + 1; break;
        default: nv = v; break;
        }
        memcpy((char *)&r.engine + f->offset, &nv, sizeof nv);
        char *c1 = cb_recipe_canonical(&r);
        char h1[CB_RECIPE_HASH_HEX];
        if (!c1)
            fail_msg("%s = %d: no canonical form", f->name, nv);
        assert_int_equal(cb_recipe_hash(&r, h1), 0);
        if (!strcmp(c0, c1) || !strcmp(h0, h1))
            fail_msg("changing %s changed neither the canonical form nor the hash", f->name);
        free(c1);
    }
    /* The note does not count; the name does. */
    CbRecipe r = base;
    r.note = (char *)"a note";
    char h1[CB_RECIPE_HASH_HEX];
    assert_int_equal(cb_recipe_hash(&r, h1), 0);
    assert_string_equal(h0, h1);
    r.note = NULL;
    r.name = (char *)"m";
    assert_int_equal(cb_recipe_hash(&r, h1), 0);
    assert_string_not_equal(h0, h1);
    /* Invalid settings have no canonical form. */
    r = base;
    r.engine.gop = 0;
    assert_null(cb_recipe_canonical(&r));
    assert_int_equal(cb_recipe_hash(&r, h1), CB_EINVAL);
    free(c0);
    cb_recipe_free(&base);
}

static void test_sha256_vectors_and_hash(void **state)
{
    (void)state;
    char hex[CB_RECIPE_HASH_HEX];
    /* FIPS 180-2 appendix B test vectors. */
    cb_recipe_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cb_recipe_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cb_recipe_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* The hash is the SHA-256 of the canonical text. */
    CbRecipe r;
    CbError err;
    assert_int_equal(
        parse("{\"name\":\"n\",\"codec\":\"engine\",\"settings\":{\"gop\":7}}", &r, &err), 0);
    char *c = cb_recipe_canonical(&r);
    char want[CB_RECIPE_HASH_HEX], got[CB_RECIPE_HASH_HEX];
    cb_recipe_sha256_hex(c, strlen(c), want);
    assert_int_equal(cb_recipe_hash(&r, got), 0);
    assert_string_equal(got, want);
    assert_int_equal(strlen(got), 64);
    assert_int_equal(strspn(got, "0123456789abcdef"), 64);
    free(c);
    cb_recipe_free(&r);
}

/* ---- schema ---------------------------------------------------------------- */

static void check_no_key_anywhere(const json_t *v, const char *key)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        /* Only keywords count: the members of "properties" are names. */
        if (json_object_get(v, key))
            fail_msg("\"%s\" in a strict schema", key);
        json_object_foreach((json_t *)v, k, x)
        {
            if (!strcmp(k, "properties")) {
                const char *pk;
                json_t *pv;
                json_object_foreach(x, pk, pv) check_no_key_anywhere(pv, key);
            } else {
                check_no_key_anywhere(x, key);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) check_no_key_anywhere(x, key);
    }
}

static void check_required_is_all(const json_t *obj)
{
    const json_t *props = json_object_get(obj, "properties");
    const json_t *req = json_object_get(obj, "required");
    assert_non_null(props);
    assert_true(json_is_array(req));
    assert_int_equal(json_array_size(req), json_object_size(props));
    size_t i;
    json_t *x;
    json_array_foreach(req, i, x) assert_non_null(json_object_get(props, json_string_value(x)));
}

static void test_schema(void **state)
{
    (void)state;
    CbEngineSettings d;
    cb_engine_settings_default(&d);
    for (int strict = 0; strict <= 1; strict++) {
        char *text = cb_recipe_schema(strict);
        assert_non_null(text);
        json_error_t jerr;
        json_t *s = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        if (!s)
            fail_msg("schema is not JSON: %s", jerr.text);
        free(text);
        assert_string_equal(json_string_value(json_object_get(s, "type")), "object");
        assert_true(json_is_false(json_object_get(s, "additionalProperties")));
        /* settings: one of the two codecs' settings, defined in $defs. */
        json_t *any = json_object_get(json_object_get(json_object_get(s, "properties"), "settings"),
                                      "anyOf");
        assert_int_equal(json_array_size(any), 2);
        json_t *defs = json_object_get(s, "$defs");
        json_t *settings = json_object_get(defs, "engine_settings");
        assert_non_null(settings);
        json_t *bs = json_object_get(defs, "ffmpeg_settings");
        assert_non_null(bs);
        assert_true(json_is_false(json_object_get(bs, "additionalProperties")));
        assert_int_equal(json_object_size(json_object_get(bs, "properties")), 8);
        if (strict)
            check_required_is_all(bs);
        else
            assert_int_equal(json_array_size(json_object_get(bs, "required")), 2);
        assert_true(json_is_false(json_object_get(settings, "additionalProperties")));
        json_t *props = json_object_get(settings, "properties");
        size_t n;
        const CbField *fields = cb_engine_fields(&n);
        assert_int_equal(json_object_size(props), n);
        for (size_t i = 0; i < n; i++) {
            const CbField *f = &fields[i];
            json_t *p = json_object_get(props, f->name);
            if (!p)
                fail_msg("%s missing from the schema", f->name);
            assert_true(json_is_string(json_object_get(p, "description")));
            assert_true(strlen(json_string_value(json_object_get(p, "description"))) > 10);
            const char *type = json_string_value(json_object_get(p, "type"));
            json_t *def = json_object_get(p, "default");
            int dv = get_int(&d, f->offset);
            if (strict)
                assert_null(def);
            else
                assert_non_null(def);
            switch (f->type) {
            case CB_FIELD_INT:
                assert_string_equal(type, "integer");
                assert_int_equal(json_integer_value(json_object_get(p, "minimum")), f->min);
                assert_int_equal(json_integer_value(json_object_get(p, "maximum")), f->max);
                if (def)
                    assert_int_equal(json_integer_value(def), dv);
                break;
            case CB_FIELD_BOOL:
                assert_string_equal(type, "boolean");
                if (def)
                    assert_int_equal(json_is_true(def), dv);
                break;
            case CB_FIELD_ENUM: {
                assert_string_equal(type, "string");
                json_t *e = json_object_get(p, "enum");
                int k = 0;
                for (; f->names[k]; k++)
                    assert_string_equal(json_string_value(json_array_get(e, (size_t)k)),
                                        f->names[k]);
                assert_int_equal(json_array_size(e), k);
                if (def)
                    assert_string_equal(json_string_value(def), f->names[dv]);
                break;
            }
            case CB_FIELD_CHOICE: {
                assert_string_equal(type, "integer");
                json_t *e = json_object_get(p, "enum");
                assert_int_equal(json_array_size(e), f->n_choices);
                for (int k = 0; k < f->n_choices; k++)
                    assert_int_equal(json_integer_value(json_array_get(e, (size_t)k)),
                                     f->choices[k]);
                if (def)
                    assert_int_equal(json_integer_value(def), dv);
                break;
            }
            case CB_FIELD_INT_LIST: {
                assert_string_equal(type, "array");
                json_t *items = json_object_get(p, "items");
                assert_string_equal(json_string_value(json_object_get(items, "type")), "integer");
                assert_int_equal(json_integer_value(json_object_get(items, "minimum")), f->min);
                assert_int_equal(json_integer_value(json_object_get(items, "maximum")), f->max);
                assert_int_equal(json_integer_value(json_object_get(p, "minItems")), 1);
                assert_int_equal(json_integer_value(json_object_get(p, "maxItems")), f->max_items);
                if (def) {
                    assert_int_equal(json_array_size(def), d.n_qps);
                    for (int k = 0; k < d.n_qps; k++)
                        assert_int_equal(json_integer_value(json_array_get(def, (size_t)k)),
                                         d.qps[k]);
                }
                break;
            }
            }
        }
        if (strict) {
            check_required_is_all(s);
            check_required_is_all(settings);
            check_no_key_anywhere(s, "default");
            check_no_key_anywhere(s, "$schema");
            check_no_key_anywhere(s, "minLength");
            check_no_key_anywhere(s, "maxLength");
            check_no_key_anywhere(s, "pattern");
            check_no_key_anywhere(s, "uniqueItems");
        } else {
            assert_string_equal(json_string_value(json_object_get(s, "$schema")),
                                "https://json-schema.org/draft/2020-12/schema");
            json_t *req = json_object_get(s, "required");
            assert_int_equal(json_array_size(req), 2);
        }
        json_decref(s);
    }
}

/* ---- sample recipes ---------------------------------------------------------- */

static void read_sample(const char *name, CbRecipe *r)
{
    const char *top = getenv("CB_SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/samples/recipes/%s", top ? top : ".", name);
    CbBuf b;
    CbError err;
    cb_buf_init(&b, CB_RECIPE_MAX_BYTES);
    cb_error_clear(&err);
    if (cb_buf_read_file(&b, path, &err) < 0)
        fail_msg("%s", err.text);
    if (cb_recipe_parse(b.data, b.len, path, r, &err) < 0)
        fail_msg("%s", err.text);
    cb_buf_free(&b);
}

static void test_samples(void **state)
{
    (void)state;
    const char *top = getenv("CB_SRCDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/samples/recipes", top ? top : ".");
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("%s: cannot open (CB_SRCDIR set?)", dir);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json"))
            continue;
        CbRecipe r;
        read_sample(e->d_name, &r);
        if (r.codec == CB_CODEC_FFMPEG)
            assert_int_equal(cb_recipe_baseline_check(&r.baseline, NULL), 0);
        else
            assert_int_equal(cb_engine_settings_check(&r.engine, NULL), 0);
        cb_recipe_free(&r);
        count++;
    }
    closedir(d);
    assert_true(count >= 6);

    CbEngineSettings want;
    CbRecipe r;
    cb_engine_settings_default(&want);
    read_sample("default.json", &r);
    assert_string_equal(r.name, "default");
    assert_memory_equal(&r.engine, &want, sizeof want);
    cb_recipe_free(&r);

    read_sample("fast.json", &r);
    want.preset = CB_PRESET_FAST;
    want.search = CB_SEARCH_DIAMOND;
    want.subpel = CB_SUBPEL_HALF;
    want.partition = 0;
    want.restoration = 0;
    want.block_size = 16;
    want.transform = CB_TRANSFORM_DCT;
    want.slices = 4;
    want.threads = 2;
    assert_memory_equal(&r.engine, &want, sizeof want);
    cb_recipe_free(&r);

    cb_engine_settings_default(&want);
    read_sample("dct.json", &r);
    want.transform = CB_TRANSFORM_DCT;
    assert_memory_equal(&r.engine, &want, sizeof want);
    cb_recipe_free(&r);

    cb_engine_settings_default(&want);
    read_sample("no-restoration.json", &r);
    want.restoration = 0;
    assert_memory_equal(&r.engine, &want, sizeof want);
    cb_recipe_free(&r);
}

/* ---- baseline recipes ("codec": "ffmpeg") ---------------------------------- */

/* A baseline recipe named "t" with settings {settings_json}. */
static char *baseline_text(const char *settings_json)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 20);
    assert_int_equal(cb_buf_printf(&b, "{\"name\": \"t\", \"codec\": \"ffmpeg\", \"settings\": {%s}}",
                                   settings_json),
                     0);
    return cb_buf_steal(&b);
}

static void expect_baseline_fails(const char *settings_json, const char *field, const char *needle)
{
    char *text = baseline_text(settings_json);
    expect_fail(text, CB_EINVAL, field, needle, (const char *)NULL);
    free(text);
}

static void expect_baseline_ok(const char *settings_json, CbRecipe *r)
{
    CbError err;
    char *text = baseline_text(settings_json);
    if (parse(text, r, &err) != 0)
        fail_msg("refused %s: %s", text, err.text);
    free(text);
    assert_int_equal(r->codec, CB_CODEC_FFMPEG);
}

static void test_baseline_parse(void **state)
{
    (void)state;
    CbRecipe r;
    /* The minimum: encoder and points; the rest takes its default. */
    expect_baseline_ok("\"encoder\": \"libx264\", \"points\": [22, 37]", &r);
    assert_string_equal(r.baseline.encoder, "libx264");
    assert_string_equal(r.baseline.preset, "");
    assert_string_equal(r.baseline.tune, "");
    assert_int_equal(r.baseline.rate_control, CB_RC_QP);
    assert_int_equal(r.baseline.n_points, 2);
    assert_int_equal(r.baseline.points[1], 37);
    assert_int_equal(r.baseline.gop, 0);
    assert_int_equal(r.baseline.bframes, -1);
    assert_int_equal(r.baseline.n_options, 0);
    int pts[CB_BASELINE_MAX_POINTS];
    assert_int_equal(cb_recipe_points(&r, pts), 2);
    assert_int_equal(pts[0], 22);
    assert_int_equal(pts[1], 37);
    cb_recipe_free(&r);

    /* Every encoder at the edges of its ranges. */
    const char *good[] = {
        "\"encoder\":\"libx264\",\"points\":[0,69],\"preset\":\"placebo\",\"tune\":\"zerolatency\",\"bframes\":16,\"gop\":600",
        "\"encoder\":\"libx264\",\"points\":[0,51],\"rate_control\":\"crf\"",
        "\"encoder\":\"libx265\",\"points\":[0,51],\"preset\":\"ultrafast\",\"tune\":\"animation\",\"bframes\":0",
        "\"encoder\":\"libvpx-vp9\",\"points\":[0,63],\"preset\":\"8\",\"tune\":\"ssim\"",
        "\"encoder\":\"libaom-av1\",\"points\":[63],\"preset\":\"0\",\"rate_control\":\"crf\"",
        "\"encoder\":\"libsvtav1\",\"points\":[1,63],\"preset\":\"13\"",
        "\"encoder\":\"mpeg4\",\"points\":[1,31],\"bframes\":2,\"gop\":12",
        "\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"aq-mode\":\"0\",\"x264-params\":\"ref=1:me=dia\"}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        expect_baseline_ok(good[i], &r);
        assert_true(cb_recipe_points(&r, pts) >= 1);
        cb_recipe_free(&r);
    }
    /* 16 points, 16 options. */
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    assert_int_equal(cb_buf_printf(&b, "\"encoder\":\"libx264\",\"points\":[0"), 0);
    for (int i = 1; i < CB_BASELINE_MAX_POINTS; i++)
        assert_int_equal(cb_buf_printf(&b, ",%d", i), 0);
    assert_int_equal(cb_buf_printf(&b, "],\"options\":{\"o0\":\"v\""), 0);
    for (int i = 1; i < CB_BASELINE_MAX_OPTIONS; i++)
        assert_int_equal(cb_buf_printf(&b, ",\"o%d\":\"v\"", i), 0);
    assert_int_equal(cb_buf_printf(&b, "}"), 0);
    expect_baseline_ok(b.data, &r);
    assert_int_equal(r.baseline.n_points, CB_BASELINE_MAX_POINTS);
    assert_int_equal(r.baseline.n_options, CB_BASELINE_MAX_OPTIONS);
    cb_recipe_free(&r);
    cb_buf_free(&b);
}

static void test_baseline_refusals(void **state)
{
    (void)state;
    expect_baseline_fails("\"points\":[22]", "settings.encoder: missing", "libsvtav1");
    expect_baseline_fails("\"encoder\":\"libxvid\",\"points\":[22]", "settings.encoder: \"libxvid\"",
                          "libx264, libx265, libvpx-vp9, libaom-av1, libsvtav1, mpeg4");
    expect_baseline_fails("\"encoder\":5,\"points\":[22]", "settings.encoder", "got an integer");
    expect_baseline_fails("\"encoder\":\"libx264\"", "settings.points: missing", "1..16");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[]", "settings.points", "1..16");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":22", "settings.points", "an array");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22,\"27\"]", "settings.points[1]",
                          "got a string");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22,27.5]", "settings.points[1]",
                          "got a real number");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22,9999999999]", "settings.points[1]",
                          "out of range");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[70]", "settings.points[0]",
                          "70 is outside libx264's qp range 0..69");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[52],\"rate_control\":\"crf\"",
                          "settings.points[0]", "crf range 0..51");
    expect_baseline_fails("\"encoder\":\"libx265\",\"points\":[52]", "settings.points[0]",
                          "libx265's qp range 0..51");
    expect_baseline_fails("\"encoder\":\"libvpx-vp9\",\"points\":[64]", "settings.points[0]", "0..63");
    expect_baseline_fails("\"encoder\":\"libsvtav1\",\"points\":[0]", "settings.points[0]", "1..63");
    expect_baseline_fails("\"encoder\":\"mpeg4\",\"points\":[32]", "settings.points[0]", "1..31");
    expect_baseline_fails("\"encoder\":\"mpeg4\",\"points\":[5],\"rate_control\":\"crf\"",
                          "settings.rate_control", "mpeg4 has no CRF mode; allowed: qp");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22,27,22]", "settings.points[2]",
                          "listed twice");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]",
                          "settings.points", "1..16");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"rate_control\":\"cbr\"",
                          "settings.rate_control: \"cbr\"", "qp, crf");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"preset\":\"warp\"",
                          "settings.preset: \"warp\"", "ultrafast, superfast");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"preset\":8",
                          "settings.preset", "expected a string");
    expect_baseline_fails("\"encoder\":\"libvpx-vp9\",\"points\":[22],\"preset\":\"medium\"",
                          "settings.preset", "\"0\"..\"8\"");
    expect_baseline_fails("\"encoder\":\"libvpx-vp9\",\"points\":[22],\"preset\":\"9\"",
                          "settings.preset", "cpu-used");
    expect_baseline_fails("\"encoder\":\"libsvtav1\",\"points\":[22],\"preset\":\"14\"",
                          "settings.preset", "\"0\"..\"13\"");
    expect_baseline_fails("\"encoder\":\"libsvtav1\",\"points\":[22],\"preset\":\"05\"",
                          "settings.preset", "\"0\"..\"13\"");
    expect_baseline_fails("\"encoder\":\"mpeg4\",\"points\":[2],\"preset\":\"fast\"",
                          "settings.preset", "mpeg4 has no presets");
    expect_baseline_fails("\"encoder\":\"libx265\",\"points\":[22],\"tune\":\"film\"",
                          "settings.tune: \"film\"", "psnr, ssim, grain");
    expect_baseline_fails("\"encoder\":\"libsvtav1\",\"points\":[22],\"tune\":\"psnr\"",
                          "settings.tune", "libsvtav1 has no tune");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"preset\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
                          "settings.preset", "at most 31");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"gop\":601", "settings.gop",
                          "0..600");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"gop\":true", "settings.gop",
                          "got a boolean");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"bframes\":17", "settings.bframes",
                          "-1..16");
    expect_baseline_fails("\"encoder\":\"libaom-av1\",\"points\":[22],\"bframes\":0", "settings.bframes",
                          "libaom-av1 has no B frames");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"qps\":[22]", "settings.qps: unknown key",
                          "encoder, preset, tune, rate_control, points, gop, bframes, options");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":[]", "settings.options",
                          "expected an object");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"ref\":1}",
                          "settings.options.ref", "expected a string");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"a;b\":\"1\"}",
                          "settings.options: key \"a;b\"", "A-Z a-z 0-9");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"\":\"1\"}",
                          "settings.options: key", "empty");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"ref\":\"1 2\"}",
                          "settings.options.ref: value", "A-Z a-z 0-9");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"ref\":\"\"}",
                          "settings.options.ref: value", "empty");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"ref\":\"$(reboot)\"}",
                          "settings.options.ref: value", "not allowed");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"threads\":\"4\"}",
                          "settings.options.threads", "not allowed as an option");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"crf\":\"4\"}",
                          "settings.options.crf", "not allowed as an option");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"4\"}",
                          "settings.options: key", "1..31");
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"ref\":\"1111111111111111111111111111111111111111111111111111111111111111\"}",
                          "settings.options.ref", "1..63");
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    assert_int_equal(cb_buf_printf(&b, "\"encoder\":\"libx264\",\"points\":[22],\"options\":{\"o0\":\"v\""), 0);
    for (int i = 1; i <= CB_BASELINE_MAX_OPTIONS; i++)
        assert_int_equal(cb_buf_printf(&b, ",\"o%d\":\"v\"", i), 0);
    assert_int_equal(cb_buf_printf(&b, "}"), 0);
    expect_baseline_fails(b.data, "settings.options", "0..16");
    cb_buf_free(&b);
    /* Engine settings are not a baseline's, and the other way round. */
    expect_baseline_fails("\"encoder\":\"libx264\",\"points\":[22],\"block_size\":16",
                          "settings.block_size: unknown key", "encoder");
    expect_fail("{\"name\":\"t\",\"codec\":\"engine\",\"settings\":{\"encoder\":\"libx264\"}}",
                CB_EINVAL, "settings.encoder: unknown key", (const char *)NULL);

    /* The struct check refuses what the parser would (for callers that fill
     * the struct themselves), and unsorted options. */
    CbBaselineSettings s;
    memset(&s, 0, sizeof s);
    snprintf(s.encoder, sizeof s.encoder, "libx264");
    s.points[0] = 22;
    s.n_points = 1;
    s.bframes = -1;
    CbError err;
    assert_int_equal(cb_recipe_baseline_check(&s, &err), 0);
    s.n_options = 2;
    snprintf(s.option_key[0], sizeof s.option_key[0], "ref");
    snprintf(s.option_value[0], sizeof s.option_value[0], "1");
    snprintf(s.option_key[1], sizeof s.option_key[1], "aq-mode");
    snprintf(s.option_value[1], sizeof s.option_value[1], "1");
    cb_error_clear(&err);
    assert_int_equal(cb_recipe_baseline_check(&s, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "settings.options.aq-mode: keys must be distinct and sorted"));
    s.n_options = 0;
    s.rate_control = (CbRateControl)7;
    assert_int_equal(cb_recipe_baseline_check(&s, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "settings.rate_control"));
    s.rate_control = CB_RC_QP;
    s.n_points = 0;
    assert_int_equal(cb_recipe_baseline_check(&s, &err), CB_EINVAL);
    assert_int_equal(cb_recipe_baseline_check(NULL, &err), CB_EINVAL);
    /* An invalid recipe has no points, canonical form or hash. */
    CbRecipe r = {0};
    int pts[CB_BASELINE_MAX_POINTS];
    char hex[CB_RECIPE_HASH_HEX];
    r.name = (char *)"x";
    r.codec = CB_CODEC_FFMPEG;
    r.baseline = s;
    assert_int_equal(cb_recipe_points(&r, pts), 0);
    assert_null(cb_recipe_canonical(&r));
    assert_int_equal(cb_recipe_hash(&r, hex), CB_EINVAL);
}

static void test_baseline_canonical(void **state)
{
    (void)state;
    char *a = canonical_of(
        "{\"name\":\"b\",\"codec\":\"ffmpeg\",\"settings\":{\"encoder\":\"libx265\",\"points\":[32,22],"
        "\"options\":{\"x265-params\":\"ref=2\",\"forced-idr\":\"1\"},\"preset\":\"fast\"},\"note\":\"n\"}");
    char *b = canonical_of(
        " { \"settings\" : { \"options\" : { \"forced-idr\" : \"1\", \"x265-params\" : \"ref=2\" },"
        " \"preset\": \"fast\", \"tune\": \"\", \"gop\": 0, \"bframes\": -1, \"rate_control\": \"qp\","
        " \"points\" : [32, 22], \"encoder\" : \"libx265\" }, \"codec\": \"ffmpeg\", \"name\": \"b\" }");
    assert_string_equal(a, b);
    assert_string_equal(a, "{\"name\":\"b\",\"codec\":\"ffmpeg\",\"settings\":{\"encoder\":\"libx265\","
                           "\"preset\":\"fast\",\"tune\":\"\",\"rate_control\":\"qp\",\"points\":[32,22],"
                           "\"gop\":0,\"bframes\":-1,\"options\":{\"forced-idr\":\"1\",\"x265-params\":"
                           "\"ref=2\"}}}");
    char *again = canonical_of(a);
    assert_string_equal(a, again);
    free(again);
    free(b);
    /* Every value changes the hash. */
    const char *variants[] = {
        "\"encoder\":\"libx264\",\"points\":[32,22],\"preset\":\"fast\",\"options\":{\"x264-params\":\"ref=2\",\"forced-idr\":\"1\"}",
        "\"encoder\":\"libx265\",\"points\":[22,32],\"preset\":\"fast\",\"options\":{\"x265-params\":\"ref=2\",\"forced-idr\":\"1\"}",
        "\"encoder\":\"libx265\",\"points\":[32,22],\"preset\":\"slow\",\"options\":{\"x265-params\":\"ref=2\",\"forced-idr\":\"1\"}",
        "\"encoder\":\"libx265\",\"points\":[32,22],\"preset\":\"fast\",\"tune\":\"psnr\",\"options\":{\"x265-params\":\"ref=2\",\"forced-idr\":\"1\"}",
        "\"encoder\":\"libx265\",\"points\":[32,22],\"preset\":\"fast\",\"rate_control\":\"crf\",\"options\":{\"x265-params\":\"ref=2\",\"forced-idr\":\"1\"}",
        "\"encoder\":\"libx265\",\"points\":[32,22],\"preset\":\"fast\",\"gop\":30,\"options\":{\"x265-params\":\"ref=2\",\"forced-idr\":\"1\"}",
        "\"encoder\":\"libx265\",\"points\":[32,22],\"preset\":\"fast\",\"bframes\":0,\"options\":{\"x265-params\":\"ref=2\",\"forced-idr\":\"1\"}",
        "\"encoder\":\"libx265\",\"points\":[32,22],\"preset\":\"fast\",\"options\":{\"x265-params\":\"ref=3\",\"forced-idr\":\"1\"}",
        "\"encoder\":\"libx265\",\"points\":[32,22],\"preset\":\"fast\",\"options\":{\"x265-params\":\"ref=2\"}",
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        char *text = baseline_text(variants[i]);
        char *c = canonical_of(text);
        if (!strcmp(c, a))
            fail_msg("variant %zu has the same canonical form", i);
        free(c);
        free(text);
    }
    free(a);
}

/* Golden hashes: the canonical forms of the sample recipes must not change
 * (stored runs are found by them).  The engine's are those of issue 3. */
static void test_sample_hashes(void **state)
{
    (void)state;
    const struct { const char *file, *hash; } golden[] = {
        {"default.json", "c3d6682fa7feba7d0ebfc8d0811702e44bebf0df2fd1c70762f1381501d3c6e0"},
        {"fast.json", "93ab8aad5fc6d2695dbb49cab90d520bfe441551c65362ab7c8f18602b039a6f"},
        {"x264-medium.json", "7d95eb38e5ecfb2e0ba4f2f14e27d33dc39977a6e7d077d3eebe7f7c5ebb8260"},
        {"x264-veryfast.json", "9de99ef56969523397e5bff48f1959068d33ebebd7600b90d95871bd21b4927e"},
    };
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        CbRecipe r;
        char hex[CB_RECIPE_HASH_HEX];
        read_sample(golden[i].file, &r);
        assert_int_equal(cb_recipe_hash(&r, hex), 0);
        if (strcmp(hex, golden[i].hash))
            fail_msg("%s: hash %s, expected %s", golden[i].file, hex, golden[i].hash);
        cb_recipe_free(&r);
    }
    CbRecipe r;
    read_sample("x264-medium.json", &r);
    assert_int_equal(r.codec, CB_CODEC_FFMPEG);
    assert_string_equal(r.baseline.encoder, "libx264");
    assert_string_equal(r.baseline.preset, "medium");
    assert_string_equal(r.baseline.tune, "psnr");
    assert_int_equal(r.baseline.rate_control, CB_RC_QP);
    CbEngineSettings d;
    cb_engine_settings_default(&d);
    /* The same QPs and GOP as the engine's default recipe. */
    assert_int_equal(r.baseline.n_points, d.n_qps);
    assert_memory_equal(r.baseline.points, d.qps, sizeof(int) * (size_t)d.n_qps);
    assert_int_equal(r.baseline.gop, d.gop);
    cb_recipe_free(&r);
    read_sample("x264-veryfast.json", &r);
    assert_string_equal(r.baseline.preset, "veryfast");
    assert_string_equal(r.baseline.tune, "psnr");
    cb_recipe_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_the_specified_ones),
        cmocka_unit_test(test_missing_settings_take_defaults),
        cmocka_unit_test(test_every_field_validates),
        cmocka_unit_test(test_error_texts),
        cmocka_unit_test(test_top_level_keys),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_truncated_json),
        cmocka_unit_test(test_nesting_and_size_bombs),
        cmocka_unit_test(test_hostile_bytes_and_numbers),
        cmocka_unit_test(test_canonical_is_stable),
        cmocka_unit_test(test_canonical_and_hash_change_with_every_value),
        cmocka_unit_test(test_sha256_vectors_and_hash),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_baseline_parse),
        cmocka_unit_test(test_baseline_refusals),
        cmocka_unit_test(test_baseline_canonical),
        cmocka_unit_test(test_sample_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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
                "t.json: qps: unknown key; allowed: name, codec, settings, note",
                (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"engine\",\"settings\":{\"blocksize\":16}}", CB_EINVAL,
                "t.json: settings.blocksize: unknown key; allowed: block_size, partition", "qps",
                (const char *)NULL);
    expect_fail("{\"codec\":\"engine\"}", CB_EINVAL, "t.json: name: missing", (const char *)NULL);
    expect_fail("{\"name\":\"x\"}", CB_EINVAL, "t.json: codec: missing; allowed: engine",
                (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":\"ffmpeg\"}", CB_EINVAL,
                "t.json: codec: \"ffmpeg\" is not one of engine", (const char *)NULL);
    expect_fail("{\"name\":\"x\",\"codec\":1}", CB_EINVAL,
                "codec: expected a string (engine), got an integer", (const char *)NULL);
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
    assert_non_null(strstr(err.text, "at most 65536"));
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
        json_t *settings = json_object_get(json_object_get(s, "properties"), "settings");
        assert_non_null(settings);
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
        assert_int_equal(cb_engine_settings_check(&r.engine, NULL), 0);
        cb_recipe_free(&r);
        count++;
    }
    closedir(d);
    assert_true(count >= 4);

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of recipe/'s "stage" member (issue 8): parsing and its
 * refusals with their paths, engine recipes only, the transform's need of
 * the DCT, the canonical form and hash (the code is part of both), and the
 * JSON Schema (the non-strict one has the member, the strict one not). */
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
#include "codecbench/recipe.h"

/* {"name":"t","codec":CODEC,"settings":SETTINGS,"stage":STAGE} built with
 * jansson so that any code (quotes, newlines, UTF-8) is escaped properly;
 * stage_json is raw JSON text, or NULL for none. */
static char *recipe_text(const char *codec, const char *settings_json, const char *stage_json)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 20);
    assert_int_equal(
        cb_buf_printf(&b, "{\"name\":\"t\",\"codec\":\"%s\",\"settings\":%s", codec, settings_json),
        0);
    if (stage_json)
        assert_int_equal(cb_buf_printf(&b, ",\"stage\":%s", stage_json), 0);
    assert_int_equal(cb_buf_printf(&b, "}"), 0);
    return cb_buf_steal(&b);
}

/* {"kind": kind, "code": code} as JSON text (code escaped by jansson). */
static char *stage_json(const char *kind, const char *code, size_t code_len)
{
    json_t *o = json_object();
    assert_non_null(o);
    assert_int_equal(json_object_set_new(o, "kind", json_string(kind)), 0);
    assert_int_equal(json_object_set_new(o, "code", json_stringn(code, code_len)), 0);
    char *t = json_dumps(o, JSON_COMPACT);
    assert_non_null(t);
    json_decref(o);
    return t;
}

static void expect_fail(const char *text, int code, const char *needle)
{
    CbRecipe r;
    CbError err;
    cb_error_clear(&err);
    int rc = cb_recipe_parse(text, strlen(text), "t.json", &r, &err);
    if (rc != code)
        fail_msg("expected %d, got %d (%s) for: %.300s", code, rc, err.text, text);
    if (!strstr(err.text, needle))
        fail_msg("error \"%s\" lacks \"%s\"", err.text, needle);
    /* Nothing is left to free after a failure. */
    assert_null(r.name);
    assert_null(r.stage_code);
    assert_int_equal(r.stage_kind, CB_STAGE_NONE);
}

static const char intra_code[] =
    "#include <codecbench/stage.h>\n"
    "int cb_stage_intra(const CbStageIntra *a) { (void)a; return 0; } /* \xc3\xa9t\xc3\xa9 */\n";

static void test_parse_ok(void **state)
{
    (void)state;
    const char *kinds[] = {"intra", "loop_filter", "transform"};
    const CbStageKind want[] = {CB_STAGE_INTRA, CB_STAGE_LOOP_FILTER, CB_STAGE_TRANSFORM};
    for (int i = 0; i < 3; i++) {
        char *st = stage_json(kinds[i], intra_code, strlen(intra_code));
        char *text = recipe_text("engine", "{\"transform\":\"dct\"}", st);
        CbRecipe r;
        CbError err;
        if (cb_recipe_parse(text, strlen(text), "t.json", &r, &err) != 0)
            fail_msg("%s: %s", kinds[i], err.text);
        assert_int_equal(r.stage_kind, want[i]);
        assert_non_null(r.stage_code);
        /* The bytes come through unchanged (UTF-8 included). */
        assert_string_equal(r.stage_code, intra_code);
        cb_recipe_free(&r);
        assert_null(r.stage_code);
        assert_int_equal(r.stage_kind, CB_STAGE_NONE);
        /* Freeing twice is harmless. */
        cb_recipe_free(&r);
        free(text);
        free(st);
    }
    /* No stage: kind NONE, code NULL. */
    char *text = recipe_text("engine", "{}", NULL);
    CbRecipe r;
    assert_int_equal(cb_recipe_parse(text, strlen(text), NULL, &r, NULL), 0);
    assert_int_equal(r.stage_kind, CB_STAGE_NONE);
    assert_null(r.stage_code);
    cb_recipe_free(&r);
    free(text);
}

static void test_refusals(void **state)
{
    (void)state;
    char *text, *st;
    /* The size limit, with the exact words of the brief. */
    char *big = malloc(40001);
    assert_non_null(big);
    memset(big, 'x', 40000);
    big[40000] = '\0';
    st = stage_json("intra", big, 40000);
    text = recipe_text("engine", "{}", st);
    expect_fail(text, CB_EINVAL, "t.json: stage.code: 40000 bytes, at most 32768");
    free(text);
    free(st);
    /* Exactly the limit is accepted; one more byte is not. */
    st = stage_json("intra", big, CB_RECIPE_STAGE_MAX);
    text = recipe_text("engine", "{}", st);
    CbRecipe r;
    CbError err;
    if (cb_recipe_parse(text, strlen(text), "t.json", &r, &err) != 0)
        fail_msg("%s", err.text);
    assert_int_equal(strlen(r.stage_code), CB_RECIPE_STAGE_MAX);
    cb_recipe_free(&r);
    free(text);
    free(st);
    st = stage_json("intra", big, CB_RECIPE_STAGE_MAX + 1);
    text = recipe_text("engine", "{}", st);
    expect_fail(text, CB_EINVAL, "stage.code: 32769 bytes, at most 32768");
    free(text);
    free(st);
    free(big);

    st = stage_json("intra", "", 0);
    text = recipe_text("engine", "{}", st);
    expect_fail(text, CB_EINVAL, "t.json: stage.code: empty");
    free(text);
    free(st);
    /* A NUL inside (\u0000 in the JSON): jansson refuses it before the
     * member is read (read_stage refuses it again on its own). */
    st = stage_json("intra", "int a;\0int b;", 13);
    text = recipe_text("engine", "{}", st);
    expect_fail(text, CB_EFORMAT, "\\u0000 is not allowed");
    free(text);
    free(st);

    text = recipe_text("engine", "{}", "{\"kind\":\"chroma\",\"code\":\"x\"}");
    expect_fail(text, CB_EINVAL, "t.json: stage.kind");
    free(text);
    text = recipe_text("engine", "{}", "{\"kind\":\"none\",\"code\":\"x\"}");
    expect_fail(text, CB_EINVAL, "t.json: stage.kind");
    free(text);
    text = recipe_text("engine", "{}", "{\"kind\":3,\"code\":\"x\"}");
    expect_fail(text, CB_EINVAL, "t.json: stage.kind: expected a string");
    free(text);
    text = recipe_text("engine", "{}", "{\"code\":\"x\"}");
    expect_fail(text, CB_EINVAL, "t.json: stage.kind: missing");
    free(text);
    text = recipe_text("engine", "{}", "{\"kind\":\"intra\"}");
    expect_fail(text, CB_EINVAL, "t.json: stage.code: missing");
    free(text);
    text = recipe_text("engine", "{}", "{\"kind\":\"intra\",\"code\":[\"x\"]}");
    expect_fail(text, CB_EINVAL, "t.json: stage.code: expected a string (C source), got an array");
    free(text);
    text = recipe_text("engine", "{}", "{\"kind\":\"intra\",\"code\":\"x\",\"hash\":\"00\"}");
    expect_fail(text, CB_EINVAL, "t.json: stage.hash: unknown key; allowed: kind, code");
    free(text);
    text = recipe_text("engine", "{}", "\"int x;\"");
    expect_fail(text, CB_EINVAL, "t.json: stage: expected an object");
    free(text);
    text =
        recipe_text("engine", "{}", "{\"kind\":\"intra\",\"code\":\"x\",\"kind\":\"transform\"}");
    expect_fail(text, CB_EFORMAT, "duplicate");
    free(text);
    /* Invalid UTF-8 never gets past jansson, and would not past us. */
    const char bad_utf8[] = "{\"name\":\"t\",\"codec\":\"engine\",\"stage\":{\"kind\":\"intra\","
                            "\"code\":\"\xc0\xaf\"}}";
    expect_fail(bad_utf8, CB_EFORMAT, "t.json");

    /* A transform stage needs the DCT (the default transform is the KLT). */
    st = stage_json("transform", intra_code, strlen(intra_code));
    text = recipe_text("engine", "{}", st);
    expect_fail(text, CB_EINVAL,
                "t.json: stage: a transform stage replaces the DCT: the recipe "
                "needs settings.transform \"dct\"");
    free(text);
    text = recipe_text("engine", "{\"transform\":\"klt\"}", st);
    expect_fail(text, CB_EINVAL, "settings.transform \"dct\"");
    free(text);
    /* Baselines carry no stage. */
    text = recipe_text("ffmpeg", "{\"encoder\":\"libx264\",\"points\":[22]}", st);
    expect_fail(text, CB_EINVAL, "t.json: stage: only an engine recipe");
    free(text);
    free(st);
}

static void test_canonical_and_hash(void **state)
{
    (void)state;
    const char *code = "int cb_stage_intra(void);\n\t\"quoted\" \\ \xe2\x82\xac\n";
    char *st = stage_json("intra", code, strlen(code));
    char *text = recipe_text("engine", "{\"gop\":8}", st);
    CbRecipe r, r2, plain;
    CbError err;
    if (cb_recipe_parse(text, strlen(text), "t.json", &r, &err) != 0)
        fail_msg("%s", err.text);
    char *canon = cb_recipe_canonical(&r);
    assert_non_null(canon);
    /* The member comes right after "settings" and before nothing else;
     * everything is ASCII (the euro sign as \u20AC). */
    const char *settings_at = strstr(canon, "\"settings\":{");
    const char *stage_at = strstr(canon, "},\"stage\":{\"kind\":\"intra\",\"code\":\"");
    assert_non_null(settings_at);
    assert_non_null(stage_at);
    assert_true(stage_at > settings_at);
    assert_non_null(strstr(canon, "\\u20AC\\n\"}}"));
    for (const char *p = canon; *p; p++)
        assert_true((unsigned char)*p < 0x80);
    /* The canonical form parses back to the same code and form. */
    if (cb_recipe_parse(canon, strlen(canon), "canon", &r2, &err) != 0)
        fail_msg("%s", err.text);
    assert_string_equal(r2.stage_code, code);
    char *canon2 = cb_recipe_canonical(&r2);
    assert_string_equal(canon, canon2);
    /* Independent reference: the hash is the SHA-256 of the canonical text. */
    char hex[CB_RECIPE_HASH_HEX], ref[CB_RECIPE_HASH_HEX];
    assert_int_equal(cb_recipe_hash(&r, hex), 0);
    cb_recipe_sha256_hex(canon, strlen(canon), ref);
    assert_string_equal(hex, ref);
    /* The code is part of the hash: one changed byte, another hash; the
     * same recipe without a stage, another hash. */
    free(r2.stage_code);
    r2.stage_code = strdup(code);
    assert_non_null(r2.stage_code);
    r2.stage_code[0] = 'I';
    char hex2[CB_RECIPE_HASH_HEX];
    assert_int_equal(cb_recipe_hash(&r2, hex2), 0);
    assert_string_not_equal(hex, hex2);
    char *ptext = recipe_text("engine", "{\"gop\":8}", NULL);
    assert_int_equal(cb_recipe_parse(ptext, strlen(ptext), NULL, &plain, NULL), 0);
    assert_int_equal(cb_recipe_hash(&plain, hex2), 0);
    assert_string_not_equal(hex, hex2);
    char *pcanon = cb_recipe_canonical(&plain);
    assert_null(strstr(pcanon, "stage"));
    /* A recipe struct in an impossible state is not valid: no form. */
    r2.stage_kind = CB_STAGE_NONE;
    assert_null(cb_recipe_canonical(&r2));
    assert_int_equal(cb_recipe_hash(&r2, hex2), CB_EINVAL);
    r2.stage_kind = CB_STAGE_TRANSFORM; /* gop 8, transform klt */
    assert_null(cb_recipe_canonical(&r2));
    free(pcanon);
    free(ptext);
    free(canon2);
    free(canon);
    free(text);
    free(st);
    cb_recipe_free(&plain);
    cb_recipe_free(&r2);
    cb_recipe_free(&r);
}

static void test_schema(void **state)
{
    (void)state;
    for (int strict = 0; strict <= 1; strict++) {
        char *text = cb_recipe_schema(strict);
        assert_non_null(text);
        json_t *s = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(s);
        free(text);
        json_t *stage = json_object_get(json_object_get(s, "properties"), "stage");
        if (strict) {
            /* Recipe proposals do not carry code. */
            assert_null(stage);
        } else {
            assert_non_null(stage);
            assert_true(json_is_false(json_object_get(stage, "additionalProperties")));
            json_t *kinds = json_object_get(
                json_object_get(json_object_get(stage, "properties"), "kind"), "enum");
            assert_int_equal(json_array_size(kinds), 3);
            assert_string_equal(json_string_value(json_array_get(kinds, 0)), "intra");
            assert_string_equal(json_string_value(json_array_get(kinds, 1)), "loop_filter");
            assert_string_equal(json_string_value(json_array_get(kinds, 2)), "transform");
            json_t *code = json_object_get(json_object_get(stage, "properties"), "code");
            assert_int_equal(json_integer_value(json_object_get(code, "maxLength")),
                             CB_RECIPE_STAGE_MAX);
            assert_int_equal(json_array_size(json_object_get(stage, "required")), 2);
            /* The top level still requires only name and codec. */
            assert_int_equal(json_array_size(json_object_get(s, "required")), 2);
        }
        json_decref(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_canonical_and_hash),
        cmocka_unit_test(test_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the proposal pane's round document (src/tui/propround.c):
 * a round through JSON text and back unchanged (hostile bytes included),
 * and a hostile document read safely. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/propround.h"

static void test_round_trip(void **state)
{
    (void)state;
    CbProposeRound r;
    cb_propose_round_init(&r, 4);
    r.items = calloc(2, sizeof *r.items);
    r.rejects = calloc(1, sizeof *r.rejects);
    assert_non_null(r.items);
    assert_non_null(r.rejects);
    r.n_items = 2;
    r.n_rejects = 1;
    r.items[0] = (CbProposeItem){.rationale = strdup("lower \"QP\" \x1b[2J\xc3\xa9"),
                                 .recipe_json = strdup("{\"name\": \"a\", \"codec\": \"engine\"}"),
                                 .name = strdup("a"),
                                 .parent = 13,
                                 .diff = strdup("transform: klt -> dct")};
    memset(r.items[0].key, 'f', sizeof r.items[0].key - 1);
    r.items[1] = (CbProposeItem){.rationale = strdup(""),
                                 .recipe_json = strdup("{}"),
                                 .name = strdup("b"),
                                 .parent = 0,
                                 .diff = strdup("")};
    r.rejects[0] =
        (CbProposeReject){.rationale = strdup("why"),
                          .name = strdup(""),
                          .reason = strdup("settings.block_size: 12 is not one of 8, 16")};
    json_t *doc = tui_round_to_json(&r);
    assert_non_null(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    assert_non_null(text);
    json_error_t je;
    doc = json_loads(text, 0, &je);
    free(text);
    assert_non_null(doc);
    CbProposeRound back;
    cb_propose_round_init(&back, 4);
    assert_int_equal(tui_round_from_json(doc, &back), 0);
    json_decref(doc);
    assert_int_equal(back.n_items, 2);
    assert_int_equal(back.n_rejects, 1);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(back.items[i].name, r.items[i].name);
        assert_string_equal(back.items[i].rationale, r.items[i].rationale);
        assert_string_equal(back.items[i].recipe_json, r.items[i].recipe_json);
        assert_string_equal(back.items[i].diff, r.items[i].diff);
        assert_string_equal(back.items[i].key, r.items[i].key);
        assert_int_equal(back.items[i].parent, r.items[i].parent);
        assert_int_equal(back.items[i].n_runs, 0);
    }
    assert_string_equal(back.rejects[0].reason, r.rejects[0].reason);
    assert_string_equal(back.rejects[0].rationale, "why");
    assert_string_equal(back.rejects[0].name, "");
    cb_propose_round_free(&back);
    cb_propose_round_free(&r);
}

static int read_text(const char *text, CbProposeRound *r)
{
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    assert_non_null(doc);
    cb_propose_round_init(r, 4);
    int rc = tui_round_from_json(doc, r);
    json_decref(doc);
    return rc;
}

static void test_hostile(void **state)
{
    (void)state;
    CbProposeRound r;
    assert_int_equal(read_text("{\"items\": {}, \"rejects\": []}", &r), CB_EFORMAT);
    cb_propose_round_free(&r);
    assert_int_equal(read_text("{\"items\": []}", &r), CB_EFORMAT);
    cb_propose_round_free(&r);
    /* wrong types read as empty; a parent that is not a positive integer is none;
     * a key longer than a hash is cut */
    assert_int_equal(
        read_text("{\"items\": [{\"name\": 5, \"parent\": \"7\", \"key\": \""
                  "0123456789012345678901234567890123456789012345678901234567890123456789"
                  "\"}, 3, {\"parent\": -4}], \"rejects\": [null]}",
                  &r),
        0);
    assert_int_equal(r.n_items, 3);
    assert_string_equal(r.items[0].name, "");
    assert_int_equal(r.items[0].parent, 0);
    assert_int_equal(strlen(r.items[0].key), sizeof r.items[0].key - 1);
    assert_string_equal(r.items[1].recipe_json, "");
    assert_int_equal(r.items[2].parent, 0);
    assert_int_equal(r.n_rejects, 1);
    assert_string_equal(r.rejects[0].reason, "");
    cb_propose_round_free(&r);
    /* too many entries */
    json_t *doc = json_object(), *items = json_array();
    for (int i = 0; i < TUI_ROUND_MAX_ENTRIES + 1; i++)
        json_array_append_new(items, json_object());
    json_object_set_new(doc, "items", items);
    json_object_set_new(doc, "rejects", json_array());
    cb_propose_round_init(&r, 4);
    assert_int_equal(tui_round_from_json(doc, &r), CB_EFORMAT);
    assert_int_equal(r.n_items, 0);
    json_decref(doc);
    cb_propose_round_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

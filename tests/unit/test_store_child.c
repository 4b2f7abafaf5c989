/* Unit tests of store/child.c: what a child run (rerun, edit) inherits from
 * its parent, and how an edited recipe is judged against the parent's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codecbench/store.h"
#include "storefix.h"

/* The store's fixture (fx.s, fx.input) and a run queued in it, the parent
 * of the children the tests make. */
typedef struct Fix {
    StoreFix fx;
    int64_t parent;
} Fix;

static const char *const PARENT =
    "{\"name\": \"fast\", \"codec\": \"engine\", \"settings\": {\"qps\": [24, 30, 36, 42]}}";

static int setup(void **state)
{
    Fix *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (storefix_init(&f->fx, "cbchild", 1) != 0)
        goto fail;
    CbError err;
    CbRunRequest req = {.experiment = "exp1",
                        .recipe_json = PARENT,
                        .input = f->fx.input,
                        .first_frame = 3,
                        .frames = 7,
                        .origin = "user"};
    if (cb_store_queue_run(f->fx.s, &req, &f->parent, &err) < 0) {
        storefix_fini(&f->fx);
        goto fail;
    }
    *state = f;
    return 0;
fail:
    free(f);
    return -1;
}

static int teardown(void **state)
{
    Fix *f = *state;
    storefix_fini(&f->fx);
    free(f);
    return 0;
}

static void test_request_inherits(void **state)
{
    Fix *f = *state;
    CbError err;
    CbChildRun c;
    assert_int_equal(cb_store_child_request(f->fx.s, f->parent, "edit", &c, &err), 0);
    assert_string_equal(c.req.experiment, "exp1");
    assert_string_equal(c.req.recipe_json, PARENT);
    assert_int_equal(c.req.first_frame, 3);
    assert_int_equal(c.req.frames, 7);
    assert_int_equal(c.req.parent, f->parent);
    assert_string_equal(c.req.origin, "edit");
    assert_non_null(strstr(c.req.input, "clip.y4m"));

    /* queued, it is a child with the origin recorded */
    int64_t id = 0;
    assert_int_equal(cb_store_queue_run(f->fx.s, &c.req, &id, &err), 0);
    cb_child_run_free(&c);
    assert_null(c.parent_recipe);
    CbRunInfo r = {0};
    assert_int_equal(cb_store_get_run(f->fx.s, id, &r, &err), 0);
    assert_int_equal(r.parent, f->parent);
    assert_string_equal(r.origin, "edit");
    assert_int_equal(r.frames, 7);
    cb_run_info_free(&r);
    int64_t *anc = NULL, *desc = NULL;
    size_t na = 0, nd = 0;
    assert_int_equal(cb_store_lineage(f->fx.s, id, &anc, &na, &desc, &nd, &err), 0);
    assert_int_equal(na, 1);
    assert_int_equal(anc[0], f->parent);
    free(anc);
    free(desc);

    /* NULL origin is a rerun */
    assert_int_equal(cb_store_child_request(f->fx.s, f->parent, NULL, &c, &err), 0);
    assert_string_equal(c.req.origin, "rerun");
    cb_child_run_free(&c);
    cb_child_run_free(&c); /* twice is harmless */
}

static void test_request_missing(void **state)
{
    Fix *f = *state;
    CbError err;
    CbChildRun c;
    assert_int_equal(cb_store_child_request(f->fx.s, 999, "rerun", &c, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "999"));
    assert_null(c.parent_recipe);
}

static void test_check(void **state)
{
    Fix *f = *state;
    CbError err;
    CbChildRun c;
    assert_int_equal(cb_store_child_request(f->fx.s, f->parent, "edit", &c, &err), 0);
    assert_int_equal(cb_store_child_check(&c, PARENT, strlen(PARENT), "e.json", &err),
                     CB_CHILD_SAME);
    const char *note = "{\"codec\": \"engine\", \"name\": \"fast\", \"note\": \"why\",\n"
                       " \"settings\": {\"qps\": [24, 30, 36, 42]}}";
    assert_int_equal(cb_store_child_check(&c, note, strlen(note), "e.json", &err),
                     CB_CHILD_SAME_SETTINGS);
    const char *changed =
        "{\"name\": \"fast\", \"codec\": \"engine\", \"settings\": {\"qps\": [22, 30, 36, 42]}}";
    assert_int_equal(cb_store_child_check(&c, changed, strlen(changed), "e.json", &err),
                     CB_CHILD_CHANGED);
    const char *bad = "{\"name\": \"fast\", \"codec\": \"engine\", \"settings\": "
                      "{\"block_size\": 12}}";
    assert_true(cb_store_child_check(&c, bad, strlen(bad), "e.json", &err) < 0);
    assert_non_null(strstr(err.text, "e.json"));
    assert_non_null(strstr(err.text, "block_size"));
    const char *notjson = "{\"name\": ";
    assert_true(cb_store_child_check(&c, notjson, strlen(notjson), "e.json", &err) < 0);
    /* the text is taken by length: a prefix of the parent's is not the same */
    assert_true(cb_store_child_check(&c, PARENT, strlen(PARENT) - 1, "e.json", &err) < 0);
    cb_child_run_free(&c);
}

static void test_origin_checked(void **state)
{
    Fix *f = *state;
    CbError err;
    CbRunRequest req = {
        .recipe_json = PARENT, .input = f->fx.input, .frames = -1, .origin = "bogus"};
    int64_t id;
    assert_int_equal(cb_store_queue_run(f->fx.s, &req, &id, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "edit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_inherits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_origin_checked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

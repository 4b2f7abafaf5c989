/* Unit tests of the store calls of views that show many runs at once
 * (src/store/summary.c): cb_store_all_points (every rate point of the done
 * runs, without frames, by run and point), cb_store_recipe_texts (each
 * distinct recipe once, by hash) and cb_store_data_version (changes when
 * another connection commits, not after this connection's own commits).
 * Every store is real and lives in a fresh temporary directory. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/recipe.h"
#include "codecbench/store.h"
#include "storefix.h"

typedef StoreFix Fix;

static const char *const RECIPE_A = "{\"name\": \"anchor\", \"codec\": \"engine\"}";
static const char *const RECIPE_T =
    "{\"name\": \"test\", \"codec\": \"engine\", \"settings\": {\"transform\": \"dct\"}, "
    "\"note\": \"not part of the canonical text\"}";

static int setup(void **state)
{
    return storefix_setup(state, "cbsummary", 1);
}

static int teardown(void **state)
{
    return storefix_teardown(state);
}

/* Queues a run of 5 frames in experiment "exp" (see storefix_queue). */
static int64_t queue(Fix *f, const char *recipe)
{
    return storefix_queue(f, "exp", recipe, 5, 0);
}

static const double PSNR[4] = {30, 33, 36, 39};

/* Takes run id through running and verifying and imports a result of n
 * points at kbps0, kbps0 / 2, ... */
static void finish(Fix *f, int64_t id, size_t n, double kbps0)
{
    double k[4];
    for (size_t i = 0; i < 4; i++)
        k[i] = kbps0 / (double)(1u << i);
    storefix_finish(f, id, "clipA", n, k, PSNR, 5);
}

static void test_all_points_empty(void **state)
{
    Fix *f = *state;
    CbPointSummary *rows = (CbPointSummary *)1;
    size_t n = 99;
    CbError err;
    assert_int_equal(cb_store_all_points(f->s, &rows, &n, &err), 0);
    assert_null(rows);
    assert_int_equal(n, 0);
    /* Queued runs have no points. */
    queue(f, RECIPE_A);
    assert_int_equal(cb_store_all_points(f->s, &rows, &n, &err), 0);
    assert_null(rows);
    assert_int_equal(n, 0);
}

static void test_all_points(void **state)
{
    Fix *f = *state;
    CbError err;
    int64_t a = queue(f, RECIPE_A);
    int64_t q = queue(f, RECIPE_A); /* stays queued */
    int64_t b = queue(f, RECIPE_T);
    int64_t x = queue(f, RECIPE_T); /* fails */
    int64_t c = queue(f, RECIPE_T);
    /* Imported out of id order: the rows still come by (run, point). */
    finish(f, c, 2, 300);
    finish(f, a, 4, 800);
    finish(f, b, 3, 400);
    assert_int_equal(cb_store_set_status(f->s, x, CB_RUN_FAILED, "broken", 0, &err), 0);
    CbPointSummary *rows = NULL;
    size_t n = 0;
    assert_int_equal(cb_store_all_points(f->s, &rows, &n, &err), 0);
    assert_int_equal(n, 4 + 3 + 2);
    const int64_t want_run[9] = {a, a, a, a, b, b, b, c, c};
    const int want_idx[9] = {0, 1, 2, 3, 0, 1, 2, 0, 1};
    const double want_k0[9] = {800, 800, 800, 800, 400, 400, 400, 300, 300};
    for (size_t i = 0; i < n; i++) {
        const CbPointSummary *p = &rows[i];
        assert_int_equal(p->run_id, want_run[i]);
        assert_int_equal(p->idx, want_idx[i]);
        assert_true(p->run_id != q && p->run_id != x);
        assert_int_equal(p->rate_value, 22 + 5 * p->idx);
        /* kbps from whole bytes: within one byte's worth (8 bits / 0.2 s = 0.04 kbps) */
        assert_true(fabs(p->kbps - want_k0[i] / (double)(1 << p->idx)) < 0.05);
        /* the mean PSNR-Y of frames of equal MSE is the point's PSNR */
        assert_true(fabs(p->psnr_y - PSNR[p->idx]) < 1e-9);
        assert_true(p->psnr_yuv > p->psnr_y); /* U and V 1 and 2 dB above */
        assert_true(fabs(p->ssim - (0.9 + 0.01 * p->idx)) < 1e-12);
        assert_true(fabs(p->encode_fps - 5.0 / (1.0 + p->idx)) < 1e-9);
        assert_true(fabs(p->decode_fps - 10.0) < 1e-9);
    }
    free(rows);
    /* A deleted run's points go with it. */
    assert_int_equal(cb_store_delete_run(f->s, b, &err), 0);
    assert_int_equal(cb_store_all_points(f->s, &rows, &n, &err), 0);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_true(rows[i].run_id != b);
    free(rows);
}

static void test_recipe_texts(void **state)
{
    Fix *f = *state;
    CbError err;
    CbRecipeText *rows = (CbRecipeText *)1;
    size_t n = 5;
    assert_int_equal(cb_store_recipe_texts(f->s, &rows, &n, &err), 0);
    assert_null(rows);
    assert_int_equal(n, 0);
    int64_t a1 = queue(f, RECIPE_A);
    int64_t t1 = queue(f, RECIPE_T);
    queue(f, RECIPE_A);
    /* The same recipe in other words (key order, spaces, another note): one
     * recipe, one row, the first run's text. */
    queue(f, "{\"settings\": {\"transform\": \"dct\"}, \"codec\": \"engine\", \"name\": \"test\","
             " \"note\": \"other words\"}");
    CbRunInfo ia, it;
    assert_int_equal(cb_store_get_run(f->s, a1, &ia, &err), 0);
    assert_int_equal(cb_store_get_run(f->s, t1, &it, &err), 0);
    assert_int_equal(cb_store_recipe_texts(f->s, &rows, &n, &err), 0);
    assert_int_equal(n, 2);                              /* each distinct recipe once */
    assert_true(strcmp(rows[0].hash, rows[1].hash) < 0); /* by hash */
    for (size_t i = 0; i < n; i++) {
        const CbRecipeText *r = &rows[i];
        const CbRunInfo *info = strcmp(r->hash, ia.recipe_hash) == 0 ? &ia : &it;
        assert_string_equal(r->hash, info->recipe_hash);
        assert_string_equal(r->name, info->recipe_name);
        assert_int_equal(strlen(r->hash), 64);
        /* The text is the recipe as its first run was queued (note and all,
         * as recipe.json keeps it; store.h's "canonical" is not what the store
         * holds); parsed, it hashes to the recipe's hash. */
        assert_string_equal(r->json, info == &ia ? RECIPE_A : RECIPE_T);
        CbRecipe rec;
        assert_int_equal(cb_recipe_parse(r->json, strlen(r->json), "t.json", &rec, &err), 0);
        char hex[CB_RECIPE_HASH_HEX];
        assert_int_equal(cb_recipe_hash(&rec, hex), 0);
        cb_recipe_free(&rec);
        assert_string_equal(hex, r->hash);
    }
    cb_recipe_texts_free(&rows, n);
    assert_null(rows);
    cb_recipe_texts_free(&rows, 0);
    cb_recipe_texts_free(NULL, 0);
    cb_run_info_free(&ia);
    cb_run_info_free(&it);
}

static void test_data_version(void **state)
{
    Fix *f = *state;
    CbError err;
    CbStore *other = NULL;
    assert_int_equal(cb_store_open(&other, f->dir, 0, &err), 0);
    int64_t v0, v, w0, w;
    assert_int_equal(cb_store_data_version(f->s, &v0, &err), 0);
    assert_int_equal(cb_store_data_version(other, &w0, &err), 0);
    /* Reading changes nothing. */
    CbRunInfo *runs = NULL;
    size_t nr = 0;
    assert_int_equal(cb_store_list(other, NULL, &runs, &nr, &err), 0);
    cb_run_infos_free(&runs, nr);
    assert_int_equal(cb_store_data_version(f->s, &v, &err), 0);
    assert_int_equal(v, v0);
    /* This connection's own commit: its version stays; the other's moves. */
    int64_t id = queue(f, RECIPE_A);
    assert_int_equal(cb_store_data_version(f->s, &v, &err), 0);
    assert_int_equal(v, v0);
    assert_int_equal(cb_store_data_version(other, &w, &err), 0);
    assert_true(w != w0);
    w0 = w;
    /* The other's commit (a tag, a status change): this one's moves. */
    assert_int_equal(cb_store_tag(other, id, "seen", 1, &err), 0);
    assert_int_equal(cb_store_data_version(other, &w, &err), 0);
    assert_int_equal(w, w0);
    assert_int_equal(cb_store_data_version(f->s, &v, &err), 0);
    assert_true(v != v0);
    v0 = v;
    /* Asked again without a commit in between: the same number. */
    assert_int_equal(cb_store_data_version(f->s, &v, &err), 0);
    assert_int_equal(v, v0);
    /* A read-only connection sees the writers' commits too. */
    CbStore *ro = NULL;
    int64_t r0, r;
    assert_int_equal(cb_store_open(&ro, f->dir, CB_STORE_READONLY, &err), 0);
    assert_int_equal(cb_store_data_version(ro, &r0, &err), 0);
    assert_int_equal(cb_store_set_status(f->s, id, CB_RUN_CANCELLED, "stop", 0, &err), 0);
    assert_int_equal(cb_store_data_version(ro, &r, &err), 0);
    assert_true(r != r0);
    cb_store_close(&ro);
    cb_store_close(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_points_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recipe_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_version, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

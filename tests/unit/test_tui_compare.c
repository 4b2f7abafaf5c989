/* Unit tests of the compare view's model (src/tui/compare.c): recipe
 * fields side by side with the differing ones flagged, and the BD matrix,
 * on hand-worked curves. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/compare.h"

/* Anchor: PSNR-Y rises 3 dB per doubling of the rate, 100..800 kbps.  The
 * test needs 0.9 times the anchor's rate at every PSNR.
 *
 * BD-rate: in log10(rate) the test curve is the anchor's shifted by
 * log10(0.9) over the whole PSNR overlap [30, 39], so the mean log
 * difference is log10(0.9) and BD-rate = 10^log10(0.9) - 1 = -10 %.
 * Against the other way round: 1 / 0.9 - 1 = +11.111 %.
 *
 * BD-PSNR: both curves are straight lines in log2(rate) (PCHIP of points on
 * a line with equal slopes is that line), PSNR = 30 + 3 log2(R / 100) and
 * 30 + 3 log2(R / 90); their difference is 3 log2(100 / 90) = 0.456009 dB
 * everywhere in the rate overlap [100, 720]. */
static const CbPointSummary ANCHOR[4] = {
    {.run_id = 1, .idx = 0, .rate_value = 37, .kbps = 100, .psnr_y = 30},
    {.run_id = 1, .idx = 1, .rate_value = 32, .kbps = 200, .psnr_y = 33},
    {.run_id = 1, .idx = 2, .rate_value = 27, .kbps = 400, .psnr_y = 36},
    {.run_id = 1, .idx = 3, .rate_value = 22, .kbps = 800, .psnr_y = 39},
};
static const CbPointSummary TEST[4] = {
    {.run_id = 2, .idx = 0, .rate_value = 37, .kbps = 90, .psnr_y = 30},
    {.run_id = 2, .idx = 1, .rate_value = 32, .kbps = 180, .psnr_y = 33},
    {.run_id = 2, .idx = 2, .rate_value = 27, .kbps = 360, .psnr_y = 36},
    {.run_id = 2, .idx = 3, .rate_value = 22, .kbps = 720, .psnr_y = 39},
};

/* Not valid recipes (codec "x"): compared as the JSON they are. */
static const char *const RA =
    "{\"name\":\"a\",\"codec\":\"x\",\"settings\":{\"qps\":[22,27],\"block_size\":16}}";
static const char *const RB = "{\"name\":\"b\",\"codec\":\"x\",\"settings\":{\"qps\":[22,27],"
                              "\"block_size\":8,\"extra\":true}}";

static const TuiCmpField *field(const TuiCompare *c, const char *path)
{
    for (size_t i = 0; i < c->n_fields; i++)
        if (strcmp(c->fields[i].path, path) == 0)
            return &c->fields[i];
    fail_msg("no field %s", path);
    return NULL;
}

static void test_fields(void **state)
{
    (void)state;
    TuiCmpInput in[4] = {
        {.id = 1, .recipe_json = RA},
        {.id = 2, .recipe_json = RB},
        {.id = 3, .recipe_json = NULL},        /* unknown: not counted */
        {.id = 4, .recipe_json = "[1, 2"},     /* not JSON: unknown too */
    };
    TuiCompare c;
    CbError err;
    assert_int_equal(tui_compare_build(&c, in, 4, &err), 0);
    assert_int_equal(c.n_runs, 4);
    assert_int_equal(c.n_fields, 5);
    /* the order of first appearance */
    assert_string_equal(c.fields[0].path, "name");
    assert_string_equal(c.fields[1].path, "codec");
    assert_string_equal(c.fields[2].path, "settings.qps");
    assert_string_equal(c.fields[3].path, "settings.block_size");
    assert_string_equal(c.fields[4].path, "settings.extra");
    assert_true(field(&c, "name")->differs);
    assert_false(field(&c, "codec")->differs);
    assert_false(field(&c, "settings.qps")->differs);
    assert_true(field(&c, "settings.block_size")->differs);
    assert_true(field(&c, "settings.extra")->differs); /* missing in a */
    assert_int_equal(c.n_differ, 3);
    assert_string_equal(field(&c, "settings.qps")->values[0], "[22,27]");
    assert_string_equal(field(&c, "settings.block_size")->values[1], "8");
    assert_string_equal(field(&c, "name")->values[1], "b"); /* strings without quotes */
    assert_null(field(&c, "settings.extra")->values[0]);
    assert_null(field(&c, "name")->values[2]);
    assert_null(field(&c, "name")->values[3]);
    tui_compare_free(&c);
    assert_int_equal(c.n_fields, 0);
    tui_compare_free(&c);

    /* the same recipe twice: nothing differs */
    TuiCmpInput same[2] = {{.id = 1, .recipe_json = RA}, {.id = 2, .recipe_json = RA}};
    assert_int_equal(tui_compare_build(&c, same, 2, &err), 0);
    assert_int_equal(c.n_differ, 0);
    assert_int_equal(c.n_fields, 4);
    tui_compare_free(&c);
}

/* Valid recipes compare in canonical form: defaults written out or left
 * out, key order and notes make no difference. */
static void test_canonical(void **state)
{
    (void)state;
    static const char *const A = "{\"name\": \"a\", \"codec\": \"engine\"}";
    static const char *const B = "{\"codec\": \"engine\", \"note\": \"why\", \"name\": \"a\"}";
    static const char *const C =
        "{\"name\": \"a\", \"codec\": \"engine\", \"settings\": {\"qps\": [20, 25, 30, 35]}}";
    TuiCmpInput in[3] = {{.id = 1, .recipe_json = A}, {.id = 2, .recipe_json = B},
                         {.id = 3, .recipe_json = C}};
    TuiCompare c;
    CbError err;
    assert_int_equal(tui_compare_build(&c, in, 2, &err), 0);
    assert_int_equal(c.n_differ, 0);
    assert_true(c.n_fields > 5); /* every engine field, defaults included */
    assert_non_null(field(&c, "settings.qps")->values[0]);
    assert_string_equal(field(&c, "settings.qps")->values[0],
                        field(&c, "settings.qps")->values[1]);
    for (size_t i = 0; i < c.n_fields; i++)
        assert_string_not_equal(c.fields[i].path, "note");
    tui_compare_free(&c);
    assert_int_equal(tui_compare_build(&c, in, 3, &err), 0);
    assert_int_equal(c.n_differ, 1);
    assert_true(field(&c, "settings.qps")->differs);
    assert_string_equal(field(&c, "settings.qps")->values[2], "[20,25,30,35]");
    tui_compare_free(&c);
}

static void test_matrix(void **state)
{
    (void)state;
    static const CbPointSummary THREE[3] = {
        {.run_id = 3, .rate_value = 37, .kbps = 100, .psnr_y = 30},
        {.run_id = 3, .rate_value = 32, .kbps = 200, .psnr_y = 33},
        {.run_id = 3, .rate_value = 27, .kbps = 400, .psnr_y = 36},
    };
    TuiCmpInput in[5] = {
        {.id = 1, .clip_id = "c1", .points = ANCHOR, .n_points = 4},
        {.id = 2, .clip_id = "c1", .points = TEST, .n_points = 4},
        {.id = 3, .clip_id = "c1", .points = THREE, .n_points = 3},
        {.id = 4, .clip_id = "c2", .points = TEST, .n_points = 4},
        {.id = 5, .clip_id = NULL},
    };
    TuiCompare c;
    CbError err;
    assert_int_equal(tui_compare_build(&c, in, 5, &err), 0);
    const TuiCmpBd *b = tui_compare_bd(&c, 0, 1);
    assert_int_equal(b->state, TUI_BD_OK);
    assert_float_equal(b->bd_rate_pct, -10.0, 1e-9);
    assert_float_equal(b->bd_psnr_db, 3.0 * log2(100.0 / 90.0), 1e-9);
    assert_float_equal(b->bd_psnr_db, 0.456009, 1e-6);
    assert_false(b->small_overlap);
    b = tui_compare_bd(&c, 1, 0);
    assert_int_equal(b->state, TUI_BD_OK);
    assert_float_equal(b->bd_rate_pct, 100.0 / 9.0, 1e-9);
    assert_float_equal(b->bd_psnr_db, -3.0 * log2(100.0 / 90.0), 1e-9);
    assert_int_equal(tui_compare_bd(&c, 0, 0)->state, TUI_BD_SELF);
    assert_true(isnan(tui_compare_bd(&c, 0, 0)->bd_rate_pct));
    /* three points are too few: refused with the metrics module's reason */
    b = tui_compare_bd(&c, 0, 2);
    assert_int_equal(b->state, TUI_BD_FAILED);
    assert_true(strlen(b->why) > 0);
    assert_true(isnan(b->bd_rate_pct));
    assert_int_equal(tui_compare_bd(&c, 2, 0)->state, TUI_BD_FAILED);
    /* another clip: no figure */
    assert_int_equal(tui_compare_bd(&c, 0, 3)->state, TUI_BD_OTHER_CLIP);
    assert_int_equal(tui_compare_bd(&c, 3, 1)->state, TUI_BD_OTHER_CLIP);
    /* not measured */
    assert_int_equal(tui_compare_bd(&c, 0, 4)->state, TUI_BD_NO_DATA);
    assert_int_equal(tui_compare_bd(&c, 4, 1)->state, TUI_BD_NO_DATA);
    assert_null(tui_compare_bd(&c, 5, 0));
    assert_null(tui_compare_bd(&c, 0, 5));
    tui_compare_free(&c);
}

static void test_hostile_points(void **state)
{
    (void)state;
    CbPointSummary bad[4];
    memcpy(bad, TEST, sizeof bad);
    bad[2].psnr_y = NAN;
    TuiCmpInput in[2] = {
        {.id = 1, .clip_id = "c1", .points = ANCHOR, .n_points = 4},
        {.id = 2, .clip_id = "c1", .points = bad, .n_points = 4},
    };
    TuiCompare c;
    CbError err;
    assert_int_equal(tui_compare_build(&c, in, 2, &err), 0);
    assert_int_equal(tui_compare_bd(&c, 0, 1)->state, TUI_BD_FAILED);
    assert_true(isnan(tui_compare_bd(&c, 0, 1)->bd_rate_pct));
    tui_compare_free(&c);
}

static void test_limits(void **state)
{
    (void)state;
    TuiCmpInput *in = calloc(TUI_CMP_MAX_RUNS + 1, sizeof *in);
    assert_non_null(in);
    TuiCompare c;
    CbError err;
    assert_int_equal(tui_compare_build(&c, in, TUI_CMP_MAX_RUNS + 1, &err), CB_ELIMIT);
    assert_non_null(strstr(err.text, "at most"));
    assert_int_equal(tui_compare_build(&c, in, 0, &err), 0);
    assert_int_equal(c.n_fields, 0);
    assert_null(tui_compare_bd(&c, 0, 0));
    tui_compare_free(&c);
    free(in);
}

static void test_better(void **state)
{
    (void)state;
    assert_int_equal(tui_compare_better(100, 110, 1), 1);   /* fewer kbps */
    assert_int_equal(tui_compare_better(120, 110, 1), -1);
    assert_int_equal(tui_compare_better(38.5, 38.0, 0), 1); /* more PSNR */
    assert_int_equal(tui_compare_better(37.5, 38.0, 0), -1);
    assert_int_equal(tui_compare_better(38.0, 38.0, 0), 0);
    assert_int_equal(tui_compare_better(NAN, 38.0, 0), 0);
    assert_int_equal(tui_compare_better(38.0, INFINITY, 0), 0);
    assert_int_equal(tui_compare_point_at(TEST, 4, 27)->idx, 2);
    assert_null(tui_compare_point_at(TEST, 4, 28));
    assert_null(tui_compare_point_at(NULL, 0, 28));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_hostile_points),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_better),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

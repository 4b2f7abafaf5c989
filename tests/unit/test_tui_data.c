/* Unit tests of the dashboard's shared data (src/tui/data.c), no terminal:
 * the progress of a running run computed from its events.jsonl lines
 * (fractions hand-worked below), hostile event lines, marks, and the
 * lookups by id and hash. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/app_int.h"

static void make_app(TuiApp *app, struct TuiAppPrivate *p)
{
    memset(app, 0, sizeof *app);
    memset(p, 0, sizeof *p);
    app->priv = p;
}

static void drop_app(TuiApp *app)
{
    free(app->priv->marks);
    free(app->priv->progress);
}

static void feed(TuiApp *app, int64_t id, const char *line)
{
    tui_progress_update(app, id, line, strlen(line));
}

static void test_progress(void **state)
{
    (void)state;
    TuiApp app;
    struct TuiAppPrivate p;
    make_app(&app, &p);
    assert_null(tui_progress(&app, 7));
    feed(&app, 7, "{\"t\":1.0,\"event\":\"start\",\"points\":4,\"frames\":30}");
    const TuiProgress *t = tui_progress(&app, 7);
    assert_non_null(t);
    assert_int_equal(t->points, 4);
    assert_true(isnan(t->fraction));
    /* point 1 (the second of 4), 15 of 30 frames: (1 + 15/30) / 4 = 0.375 */
    feed(&app, 7, "{\"t\":2.0,\"event\":\"progress\",\"point\":1,\"rate\":27,\"frame\":15,\"frames\":30}");
    assert_int_equal(t->point, 1);
    assert_int_equal(t->frame, 15);
    assert_true(fabs(t->fraction - 0.375) < 1e-12);
    assert_non_null(strstr(t->text, "15"));
    /* point 1 encoded: two of four points are done, (1 + 1) / 4 = 0.5 */
    feed(&app, 7, "{\"t\":3.0,\"event\":\"point\",\"point\":1,\"rate\":27,\"stream\":\"qp27.cbv\","
                  "\"bytes\":100,\"kbps\":1.5,\"encode_fps\":3}");
    assert_true(fabs(t->fraction - 0.5) < 1e-12);
    feed(&app, 7, "{\"t\":4.0,\"event\":\"verify\"}");
    assert_true(fabs(t->fraction - 1.0) < 1e-12);
    /* a second run has its own figures */
    feed(&app, 9, "{\"t\":1.0,\"event\":\"start\",\"points\":2,\"frames\":10}");
    assert_int_equal(tui_progress(&app, 9)->points, 2);
    assert_int_equal(tui_progress(&app, 7)->points, 4);
    tui_progress_forget(&app, 7);
    assert_null(tui_progress(&app, 7));
    assert_non_null(tui_progress(&app, 9));
    drop_app(&app);
}

static void test_progress_hostile(void **state)
{
    (void)state;
    TuiApp app;
    struct TuiAppPrivate p;
    make_app(&app, &p);
    feed(&app, 1, "{\"t\":1.0,\"event\":\"start\",\"points\":4}");
    const TuiProgress *t = tui_progress(&app, 1);
    /* nonsense numbers change nothing: a frame past the frames, negative
     * points, a point count out of range, not JSON, an escape in a log text */
    feed(&app, 1, "{\"event\":\"progress\",\"point\":0,\"frame\":50,\"frames\":30}");
    assert_int_equal(t->frame, 0);
    feed(&app, 1, "{\"event\":\"progress\",\"point\":-3,\"frame\":1,\"frames\":30}");
    assert_int_equal(t->point, 0);
    feed(&app, 1, "{\"event\":\"start\",\"points\":99999999}");
    assert_int_equal(t->points, 4);
    feed(&app, 1, "not json at all \x1b[2J");
    assert_null(strchr(t->text, 0x1b));
    feed(&app, 1, "{\"t\":1.0,\"event\":\"log\",\"level\":\"info\",\"text\":\"a\x1b]0;pwned\x07 b\"}");
    assert_null(strchr(t->text, 0x1b));
    assert_null(strchr(t->text, 0x07));
    assert_true(t->fraction >= 0.0 || isnan(t->fraction));
    drop_app(&app);
}

static void test_marks(void **state)
{
    (void)state;
    TuiApp app;
    struct TuiAppPrivate p;
    make_app(&app, &p);
    int64_t order[] = {30, 10, 20, 10, 40};
    for (size_t i = 0; i < 5; i++)
        tui_mark(&app, order[i], 1);
    size_t n;
    const int64_t *m = tui_marked(&app, &n);
    assert_int_equal(n, 4);
    assert_int_equal(m[0], 10);
    assert_int_equal(m[1], 20);
    assert_int_equal(m[2], 30);
    assert_int_equal(m[3], 40);
    tui_mark(&app, 20, 0);
    tui_mark(&app, 99, 0);
    assert_false(tui_is_marked(&app, 20));
    assert_true(tui_is_marked(&app, 30));
    m = tui_marked(&app, &n);
    assert_int_equal(n, 3);
    tui_clear_marks(&app);
    tui_marked(&app, &n);
    assert_int_equal(n, 0);
    drop_app(&app);
}

static void test_lookups(void **state)
{
    (void)state;
    TuiApp app;
    struct TuiAppPrivate p;
    make_app(&app, &p);
    CbRunInfo runs[3] = {{.id = 2}, {.id = 5}, {.id = 9}};
    CbPointSummary pts[5] = {{.run_id = 2, .idx = 0}, {.run_id = 2, .idx = 1}, {.run_id = 5, .idx = 0},
                             {.run_id = 9, .idx = 0}, {.run_id = 9, .idx = 1}};
    CbRecipeText rec[2] = {{.hash = "aa", .json = "{\"a\":1}"}, {.hash = "bb", .json = "{\"b\":2}"}};
    app.runs = runs;
    app.n_runs = 3;
    app.points = pts;
    app.n_points = 5;
    app.recipes = rec;
    app.n_recipes = 2;
    assert_ptr_equal(tui_run(&app, 5), &runs[1]);
    assert_null(tui_run(&app, 4));
    assert_null(tui_run(&app, 10));
    size_t n;
    assert_ptr_equal(tui_run_points(&app, 2, &n), &pts[0]);
    assert_int_equal(n, 2);
    assert_ptr_equal(tui_run_points(&app, 9, &n), &pts[3]);
    assert_int_equal(n, 2);
    assert_null(tui_run_points(&app, 3, &n));
    assert_int_equal(n, 0);
    assert_string_equal(tui_recipe_json(&app, "bb"), "{\"b\":2}");
    assert_null(tui_recipe_json(&app, "cc"));
    assert_null(tui_recipe_json(&app, NULL));
    drop_app(&app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_progress_hostile),
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

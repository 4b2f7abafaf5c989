/* Unit tests of the runs view's table model (src/tui/runtable.c), without a
 * terminal: cells as formatted once per load, sorting (numeric, text,
 * missing values last, reverse, stability), filtering with queries (and a
 * bad query leaving the previous one in force), the experiment choice,
 * recipe fields flattened and the ones that differ, rate points, the column
 * choice, the cursor across reloads, sorting and filtering, hostile values,
 * and 10,000 runs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tui/runtable.h"

/* Recipes as the store gives them (by hash); the hashes are stand-ins.
 * Their codec is no codec recipe.h knows, so they are flattened as written
 * (test_canonical_fields has real ones). */
static CbRecipeText RECIPES[] = {
    {"aaaa", "anchor",
     "{\"name\": \"anchor\", \"codec\": \"x-test\", \"settings\": {\"encoder\": \"libx264\", "
     "\"points\": [22, 27], \"gop\": 30, \"options\": {}}}"},
    {"bbbb", "klt",
     "{\"name\": \"klt\", \"codec\": \"x-test\", \"settings\": {\"transform\": \"klt\", "
     "\"p_qp_offset\": 3, \"gop\": 30, \"deblock\": true, \"qps\": [22, 27, 32]}, \"note\": "
     "\"n\"}"},
    {"cccc", "dct",
     "{\"name\": \"dct\", \"codec\": \"x-test\", \"settings\": {\"transform\": \"dct\", "
     "\"p_qp_offset\": 5, \"gop\": 30, \"deblock\": true, \"qps\": [22, 27, 32]}}"},
    {"dddd", "broken", "{not json"},
};

/* Runs 1..6: two experiments, the statuses, missing figures. */
static CbRunInfo make_run(int64_t id, const char *exp, const char *recipe, const char *hash,
                          const char *codec, CbRunStatus st, double bd, const char *tags)
{
    CbRunInfo r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.experiment = (char *)exp;
    r.recipe_name = (char *)recipe;
    r.recipe_hash = (char *)hash;
    r.codec = (char *)codec;
    r.status = st;
    r.input = (char *)"/clips/foreman_cif.y4m";
    r.frames = 30;
    r.origin = (char *)"user";
    r.tags = (char *)tags;
    r.created = 1764100000.0 + (double)id;
    r.started = st == CB_RUN_QUEUED ? NAN : 1764100100.0;
    r.finished = st == CB_RUN_DONE || st == CB_RUN_FAILED ? 1764100100.0 + 10.0 * (double)id : NAN;
    r.bd_rate = bd;
    r.bd_psnr = isnan(bd) ? NAN : -bd / 20;
    r.encode_fps = st == CB_RUN_DONE ? 100.0 / (double)id : NAN;
    r.kbps_min = r.kbps_max = r.psnr_y_min = r.psnr_y_max = NAN;
    return r;
}

typedef struct Fix {
    CbRunInfo runs[8];
    size_t n_runs;
    CbPointSummary points[32];
    size_t n_points;
    TuiRunTable *rt;
} Fix;

static void add_points(Fix *f, int64_t id, int n, double kbps0)
{
    for (int i = 0; i < n; i++) {
        CbPointSummary *p = &f->points[f->n_points++];
        memset(p, 0, sizeof *p);
        p->run_id = id;
        p->idx = i;
        p->rate_value = 22 + 5 * i;
        p->kbps = kbps0 / (double)(1 << i);
        p->psnr_y = 40.0 - 3 * i;
        p->ssim = 0.98 - 0.01 * i;
    }
}

static void load(Fix *f)
{
    TuiRtInput in = {f->runs, f->n_runs, f->points, f->n_points, RECIPES, 4, 1764100200.0};
    CbError err;
    if (tui_runtable_load(f->rt, &in, &err) != 0)
        fail_msg("load: %s", err.text);
}

static int setup(void **state)
{
    Fix *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->runs[0] = make_run(1, "demo", "anchor", "aaaa", "libx264", CB_RUN_DONE, 0.0, "anchor");
    f->runs[1] = make_run(2, "demo", "klt", "bbbb", "engine", CB_RUN_DONE, -7.5, "best,keep");
    f->runs[2] = make_run(3, "demo", "dct", "cccc", "engine", CB_RUN_DONE, 4.25, NULL);
    f->runs[3] = make_run(4, "other", "klt", "bbbb", "engine", CB_RUN_RUNNING, NAN, NULL);
    f->runs[4] = make_run(5, "other", "Dct", "cccc", "engine", CB_RUN_FAILED, NAN, NULL);
    f->runs[5] = make_run(6, "demo", "broken", "dddd", "engine", CB_RUN_QUEUED, -7.5, NULL);
    f->runs[4].reason = (char *)"worker killed by signal 9";
    f->runs[3].cancel_requested = 1;
    f->n_runs = 6;
    add_points(f, 1, 2, 800);
    add_points(f, 2, 3, 600);
    add_points(f, 3, 3, 700);
    CbError err;
    if (tui_runtable_new(&f->rt, &err) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fix *f = *state;
    tui_runtable_free(&f->rt);
    assert_null(f->rt);
    tui_runtable_free(NULL);
    free(f);
    return 0;
}

/* The shown run ids as "1 2 3". */
static const char *order(const TuiRunTable *rt)
{
    static char buf[256];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < tui_runtable_n_rows(rt); i++) {
        int w = snprintf(buf + used, sizeof buf - used, "%s%lld", i ? " " : "",
                         (long long)tui_runtable_row(rt, i)->id);
        assert_true(w > 0 && (size_t)w < sizeof buf - used);
        used += (size_t)w;
    }
    return buf;
}

static int col(const TuiRunTable *rt, const char *name)
{
    int c = tui_runtable_find_column(rt, name);
    if (c < 0)
        fail_msg("no column %s", name);
    return c;
}

/* The shown columns' names as "id status ...". */
static const char *visible(const TuiRunTable *rt)
{
    static char buf[1024];
    const int *cols;
    size_t n = tui_runtable_visible(rt, &cols), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + used, sizeof buf - used, "%s%s", i ? " " : "",
                         tui_runtable_column(rt, cols[i])->name);
        assert_true(w > 0 && (size_t)w < sizeof buf - used);
        used += (size_t)w;
    }
    return buf;
}

static void set_query(Fix *f, const char *q)
{
    CbError err;
    if (tui_runtable_set_query(f->rt, q, &err) != 0)
        fail_msg("query '%s': %s", q, err.text);
}

static void test_cells(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    assert_int_equal(tui_runtable_total(rt), 6);
    assert_int_equal(tui_runtable_n_rows(rt), 6);
    assert_string_equal(order(rt), "1 2 3 4 5 6");
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_ID), "1");
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_STATUS), "done");
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_CLIP), "foreman_cif.y4m");
    assert_string_equal(tui_runtable_cell(rt, 1, TUI_RT_COL_BD), "-7.50%");
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_BD), "+0.00%");
    assert_string_equal(tui_runtable_cell(rt, 1, TUI_RT_COL_BDPSNR), "+0.375");
    assert_string_equal(tui_runtable_cell(rt, 3, TUI_RT_COL_BD), "-"); /* missing */
    assert_true(isnan(tui_runtable_number(rt, 3, TUI_RT_COL_BD)));
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_KBPS), "800.0");
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_PSNR), "40.000");
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_SSIM), "0.9800");
    assert_string_equal(tui_runtable_cell(rt, 3, TUI_RT_COL_KBPS), "-");
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_DURATION), "10.0s");
    assert_string_equal(tui_runtable_cell(rt, 3, TUI_RT_COL_DURATION),
                        "1m40s"); /* running: so far */
    assert_true(tui_runtable_row(rt, 3)->cancel_requested);
    assert_false(tui_runtable_row(rt, 2)->cancel_requested);
    assert_int_equal(tui_runtable_row(rt, 3)->status, CB_RUN_RUNNING);
    assert_true(isnan(tui_runtable_row(rt, 5)->started));
    assert_string_equal(tui_runtable_cell(rt, 5, TUI_RT_COL_DURATION), "-"); /* queued */
    assert_string_equal(tui_runtable_cell(rt, 1, TUI_RT_COL_TAGS), "best,keep");
    assert_string_equal(tui_runtable_cell(rt, 1, TUI_RT_COL_FPS), "50.0");
    assert_int_equal(strlen(tui_runtable_cell(rt, 0, TUI_RT_COL_CREATED)), 16);
    /* Recipe fields, with the "settings." prefix dropped. */
    assert_string_equal(tui_runtable_cell(rt, 1, col(rt, "transform")), "klt");
    assert_string_equal(tui_runtable_cell(rt, 1, col(rt, "settings.transform")), "klt");
    assert_string_equal(tui_runtable_cell(rt, 1, col(rt, "qps")), "22,27,32");
    assert_string_equal(tui_runtable_cell(rt, 1, col(rt, "deblock")), "true");
    assert_string_equal(tui_runtable_cell(rt, 0, col(rt, "transform")), "-");
    assert_true(tui_runtable_column(rt, col(rt, "p_qp_offset"))->numeric);
    assert_false(tui_runtable_column(rt, col(rt, "transform"))->numeric);
    assert_int_equal(tui_runtable_find_column(rt, "name"), TUI_RT_COL_RECIPE);
    assert_int_equal(tui_runtable_find_column(rt, "note"), -1); /* skipped */
    assert_int_equal(tui_runtable_find_column(rt, "nope"), -1);
    /* The broken recipe's run is shown, without fields. */
    assert_string_equal(tui_runtable_cell(rt, 5, col(rt, "gop")), "-");
    /* Out of range reads are harmless. */
    assert_string_equal(tui_runtable_cell(rt, 99, 0), "-");
    assert_string_equal(tui_runtable_cell(rt, 0, 9999), "-");
    assert_null(tui_runtable_row(rt, 99));
    /* Widths cover the widest cell and the title. */
    assert_int_equal(tui_runtable_column(rt, TUI_RT_COL_CLIP)->width, 15);
    assert_int_equal(tui_runtable_column(rt, TUI_RT_COL_ID)->width, 2);
}

static void test_sort_numeric_missing_last(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_BD, 0), 0);
    /* -7.5 (2 and 6: ties by id), 0, 4.25, then the missing ones by id */
    assert_string_equal(order(rt), "2 6 1 3 4 5");
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_BD, 1), 0);
    assert_string_equal(order(rt), "3 1 2 6 4 5"); /* reverse; ties and missing stay */
    int desc = 0;
    assert_int_equal(tui_runtable_sort(rt, &desc), TUI_RT_COL_BD);
    assert_true(desc);
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_KBPS, 0), 0);
    assert_string_equal(order(rt), "2 3 1 4 5 6");
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_ID, 1), 0);
    assert_string_equal(order(rt), "6 5 4 3 2 1");
    /* 10 sorts after 9 (numbers, not text) */
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_FPS, 0), 0);
    assert_string_equal(order(rt), "3 2 1 4 5 6");
    assert_int_equal(tui_runtable_set_sort(rt, 99999, 0), CB_EINVAL);
}

static void test_sort_text_stable(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_RECIPE, 0), 0);
    /* anchor, broken, dct/Dct (case-insensitive, then bytes: "Dct" < "dct"), klt 2 4 */
    assert_string_equal(order(rt), "1 6 5 3 2 4");
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_RECIPE, 1), 0);
    assert_string_equal(order(rt), "2 4 3 5 6 1");
    /* Status sorts by its order (queued, running, ..., done, failed), ties by id. */
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_STATUS, 0), 0);
    assert_string_equal(order(rt), "6 4 1 2 3 5");
    /* Text with missing values: tags, missing last both ways. */
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_TAGS, 0), 0);
    assert_string_equal(order(rt), "1 2 3 4 5 6");
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_TAGS, 1), 0);
    assert_string_equal(order(rt), "2 1 3 4 5 6");
    /* A recipe field: numbers numerically, missing last. */
    assert_int_equal(tui_runtable_set_sort(rt, col(rt, "p_qp_offset"), 1), 0);
    assert_string_equal(order(rt), "3 5 2 4 1 6");
}

static void test_filter(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    set_query(f, "codec:engine status:done bd<-5");
    assert_string_equal(order(rt), "2");
    assert_string_equal(tui_runtable_query(rt), "codec:engine status:done bd<-5");
    set_query(f, "exp:other");
    assert_string_equal(order(rt), "4 5");
    set_query(f, "tag:=keep or tag:anchor");
    assert_string_equal(order(rt), "1 2");
    set_query(f, "signal"); /* a bare word finds the reason */
    assert_string_equal(order(rt), "5");
    set_query(f, "transform:=dct p_qp_offset>4");
    assert_string_equal(order(rt), "3 5");
    set_query(f, "settings.p_qp_offset<4");
    assert_string_equal(order(rt), "2 4");
    set_query(f, "-status:done duration>50");
    assert_string_equal(order(rt), "4"); /* running 100 s; failed 5 ran 50 s */
    set_query(f, "clip:foreman kbps>=700 psnr>39.9");
    assert_string_equal(order(rt), "1 3");
    set_query(f, "id>=5 or id=1");
    assert_string_equal(order(rt), "1 5 6");
    set_query(f, "parent>0");
    assert_string_equal(order(rt), "");
    set_query(f, "points=3");
    assert_string_equal(order(rt), "2 3");
    /* A bad query leaves the one in force. */
    CbError err;
    assert_int_equal(tui_runtable_set_query(rt, "bd<x", &err), CB_EINVAL);
    assert_string_equal(err.text, "bd<x: 'x' is not a number");
    assert_int_equal(tui_runtable_set_query(rt, "foo:1", &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "unknown field 'foo' (fields: id status"));
    assert_non_null(strstr(err.text, "transform"));
    assert_int_equal(tui_runtable_set_query(rt, "transform>3", &err), CB_EINVAL);
    assert_string_equal(order(rt), "2 3");
    assert_string_equal(tui_runtable_query(rt), "points=3");
    set_query(f, "");
    assert_string_equal(order(rt), "1 2 3 4 5 6");
    /* The experiment choice, with a query. */
    assert_int_equal(tui_runtable_set_experiment(rt, "demo"), 0);
    assert_string_equal(tui_runtable_experiment(rt), "demo");
    assert_string_equal(order(rt), "1 2 3 6");
    set_query(f, "engine");
    assert_string_equal(order(rt), "2 3 6");
    assert_int_equal(tui_runtable_set_experiment(rt, NULL), 0);
    assert_string_equal(order(rt), "2 3 4 5 6");
}

static void test_diff_fields(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    CbError err;
    assert_int_equal(tui_runtable_set_columns(rt, "id fields", &err), 0);
    assert_true(tui_runtable_diff(rt));
    /* All runs: every field differs somewhere (the broken recipe has none). */
    assert_string_equal(visible(rt),
                        "id encoder settings.points gop transform p_qp_offset deblock qps");
    /* The engine runs that parse: only transform and p_qp_offset differ. */
    set_query(f, "codec:engine -recipe:broken");
    assert_string_equal(visible(rt), "id transform p_qp_offset");
    /* One recipe: nothing differs. */
    set_query(f, "recipe:klt");
    assert_string_equal(visible(rt), "id");
    /* Diff off: every field. */
    tui_runtable_set_diff(rt, 0);
    assert_false(tui_runtable_diff(rt));
    assert_string_equal(visible(rt),
                        "id encoder settings.points gop transform p_qp_offset deblock qps");
    /* A field named explicitly is shown whatever the toggle, once. */
    tui_runtable_set_diff(rt, 1);
    assert_int_equal(tui_runtable_set_columns(rt, "id gop fields", &err), 0);
    assert_string_equal(visible(rt), "id gop");
}

static void test_columns(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    CbError err;
    assert_string_equal(tui_runtable_columns_spec(rt),
                        "id status recipe experiment codec clip kbps psnr ssim bd bdpsnr fps "
                        "duration fields frames tags created");
    assert_int_equal(tui_runtable_set_columns(rt, "id, bd  exp", &err), 0);
    assert_string_equal(visible(rt), "id bd experiment");
    assert_int_equal(tui_runtable_set_columns(rt, "+tags -bd", &err), 0);
    assert_string_equal(visible(rt), "id experiment tags");
    assert_string_equal(tui_runtable_columns_spec(rt), "id experiment tags");
    assert_int_equal(tui_runtable_set_columns(rt, "id nope", &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "unknown column 'nope' (columns: id status"));
    assert_string_equal(visible(rt), "id experiment tags"); /* unchanged */
    assert_int_equal(tui_runtable_set_columns(rt, "-id -experiment -tags", &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "at least one column"));
    assert_int_equal(tui_runtable_set_columns(rt, "   ", &err), CB_EINVAL);
    assert_int_equal(tui_runtable_set_columns(rt, "settings.transform id", &err), 0);
    assert_string_equal(visible(rt), "transform id");
    assert_int_equal(tui_runtable_set_columns(rt, "all", &err), 0);
    assert_non_null(strstr(visible(rt), "id status experiment recipe codec clip frames kbps"));
    /* The choice survives a reload. */
    assert_int_equal(tui_runtable_set_columns(rt, "id bd", &err), 0);
    load(f);
    assert_string_equal(visible(rt), "id bd");
}

static void test_rate_points(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    assert_int_equal(tui_runtable_max_points(rt), 3);
    assert_int_equal(tui_runtable_point(rt), 0);
    assert_string_equal(tui_runtable_column(rt, TUI_RT_COL_KBPS)->title, "KBPS@1");
    tui_runtable_set_point(rt, 2);
    assert_int_equal(tui_runtable_point(rt), 2);
    assert_string_equal(tui_runtable_column(rt, TUI_RT_COL_KBPS)->title, "KBPS@3");
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_KBPS), "-"); /* run 1 has 2 points */
    assert_string_equal(tui_runtable_cell(rt, 1, TUI_RT_COL_KBPS), "150.0");
    assert_string_equal(tui_runtable_cell(rt, 1, TUI_RT_COL_PSNR), "34.000");
    tui_runtable_set_point(rt, 7); /* clamped */
    assert_int_equal(tui_runtable_point(rt), 2);
    tui_runtable_set_point(rt, -1);
    assert_int_equal(tui_runtable_point(rt), 0);
    /* A query on kbps follows the point. */
    set_query(f, "kbps>650");
    assert_string_equal(order(rt), "1 3");
    tui_runtable_set_point(rt, 1);
    assert_string_equal(order(rt), "");
    tui_runtable_set_point(rt, 0);
    assert_string_equal(order(rt), "1 3");
}

static void test_cursor(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    assert_int_equal(tui_runtable_cursor_id(rt), 1);
    assert_int_equal(tui_runtable_set_cursor_id(rt, 3), 0);
    assert_int_equal(tui_runtable_cursor(rt), 2);
    assert_int_equal(tui_runtable_set_cursor_id(rt, 42), -1);
    assert_int_equal(tui_runtable_cursor_id(rt), 3);
    /* Sorting keeps the run. */
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_ID, 1), 0);
    assert_int_equal(tui_runtable_cursor_id(rt), 3);
    assert_int_equal(tui_runtable_cursor(rt), 3);
    /* Filtering it out: the cursor stays at the position ... */
    set_query(f, "-id=3");
    assert_int_equal(tui_runtable_cursor(rt), 3);
    assert_int_equal(tui_runtable_cursor_id(rt), 2);
    /* ... and an empty result has no cursor run ... */
    set_query(f, "id>100");
    assert_int_equal(tui_runtable_cursor_id(rt), 0);
    /* ... and the run last put under the cursor comes back when the filter
     * shows it again. */
    set_query(f, "id=2 or id=4");
    assert_int_equal(tui_runtable_cursor_id(rt), 4);
    set_query(f, "");
    assert_int_equal(tui_runtable_cursor_id(rt), 3);
    /* A reload with a new run and one gone keeps it too. */
    assert_int_equal(tui_runtable_set_cursor_id(rt, 4), 0);
    f->runs[6] = make_run(7, "demo", "klt", "bbbb", "engine", CB_RUN_QUEUED, NAN, NULL);
    memmove(&f->runs[0], &f->runs[1], 6 * sizeof f->runs[0]); /* run 1 deleted */
    f->n_points = 0;
    load(f);
    assert_string_equal(order(rt), "7 6 5 4 3 2");
    assert_int_equal(tui_runtable_cursor_id(rt), 4);
    /* Clamping. */
    tui_runtable_set_cursor(rt, 100);
    assert_int_equal(tui_runtable_cursor_id(rt), 2);
    tui_runtable_set_cursor(rt, -3);
    assert_int_equal(tui_runtable_cursor_id(rt), 7);
    /* Rate point columns of a store without points. */
    assert_int_equal(tui_runtable_max_points(rt), 0);
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_KBPS), "-");
}

static void test_query_cleared_when_field_changes_kind(void **state)
{
    Fix *f = *state;
    load(f);
    TuiRunTable *rt = f->rt;
    set_query(f, "p_qp_offset>3");
    assert_string_equal(order(rt), "3 5");
    assert_null(tui_runtable_notice(rt));
    CbRecipeText saved = RECIPES[2];
    RECIPES[2].hash = (char *)"cccd"; /* a new recipe where p_qp_offset is text */
    RECIPES[2].json = (char *)"{\"name\": \"dct\", \"settings\": {\"p_qp_offset\": \"five\"}}";
    f->runs[2].recipe_hash = f->runs[4].recipe_hash = (char *)"cccd";
    load(f);
    RECIPES[2] = saved;
    const char *note = tui_runtable_notice(rt);
    assert_non_null(note);
    assert_non_null(strstr(note, "the filter was cleared: p_qp_offset>3: p_qp_offset is text"));
    assert_null(tui_runtable_notice(rt));
    assert_string_equal(tui_runtable_query(rt), "");
    assert_int_equal(tui_runtable_n_rows(rt), 6);
}

static void test_hostile_values(void **state)
{
    Fix *f = *state;
    f->runs[0].recipe_name = (char *)"\x1b[2J\x1b]0;pwned\x07name";
    f->runs[0].bd_rate = 1e308;
    f->runs[0].bd_psnr = -1e308;
    f->runs[0].encode_fps = INFINITY;
    f->runs[0].created = 1e300;
    f->runs[0].started = 0;
    f->runs[0].finished = 1e300;
    char longname[1000];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    f->runs[1].tags = longname;
    load(f);
    TuiRunTable *rt = f->rt;
    /* The model keeps the bytes (the drawing sanitises them); cells are bounded. */
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_RECIPE), "\x1b[2J\x1b]0;pwned\x07name");
    assert_true(strlen(tui_runtable_cell(rt, 0, TUI_RT_COL_BD)) <= TUI_RT_CELL_MAX);
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_FPS), "-");     /* not finite */
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_CREATED), "-"); /* out of range */
    assert_string_equal(tui_runtable_cell(rt, 0, TUI_RT_COL_DURATION), ">30y");
    assert_int_equal(strlen(tui_runtable_cell(rt, 1, TUI_RT_COL_TAGS)), TUI_RT_CELL_MAX);
    assert_int_equal(tui_runtable_column(rt, TUI_RT_COL_TAGS)->width, 20); /* capped */
    set_query(f, "bd>1e300");
    assert_string_equal(order(rt), "1");
    set_query(f, "pwned");
    assert_string_equal(order(rt), "1");
    char d[16];
    tui_runtable_format_duration(NAN, d, sizeof d);
    assert_string_equal(d, "-");
    tui_runtable_format_duration(-1, d, sizeof d);
    assert_string_equal(d, "-");
    tui_runtable_format_duration(3 * 3600 + 125, d, sizeof d);
    assert_string_equal(d, "3h02m");
    tui_runtable_format_duration(2 * 86400 + 7200, d, sizeof d);
    assert_string_equal(d, "2d02h");
}

/* Valid recipes are flattened from their canonical form: a setting left
 * out shows its default, so it differs only where what runs differs. */
static void test_canonical_fields(void **state)
{
    Fix *f = *state;
    CbRecipeText rec[2] = {
        {"eeee", "fast",
         "{\"name\": \"fast\", \"codec\": \"engine\", \"settings\": {\"transform\": \"dct\"}, "
         "\"note\": \"n\"}"},
        {"ffff", "full",
         "{\"name\": \"full\", \"codec\": \"engine\", \"settings\": {\"transform\": \"dct\", "
         "\"gop\": 30, \"search\": \"diamond\"}}"},
    };
    f->runs[0] = make_run(1, "demo", "fast", "eeee", "engine", CB_RUN_DONE, 0, NULL);
    f->runs[1] = make_run(2, "demo", "full", "ffff", "engine", CB_RUN_DONE, 0, NULL);
    TuiRtInput in = {f->runs, 2, NULL, 0, rec, 2, 1764100200.0};
    CbError err;
    assert_int_equal(tui_runtable_load(f->rt, &in, &err), 0);
    TuiRunTable *rt = f->rt;
    /* gop was left out of "fast": its default, the same as "full"'s 30 */
    assert_string_equal(tui_runtable_cell(rt, 0, col(rt, "gop")), "30");
    assert_string_equal(tui_runtable_cell(rt, 0, col(rt, "search")), "hex");
    assert_int_equal(tui_runtable_set_columns(rt, "id fields", &err), 0);
    assert_string_equal(visible(rt), "id search");
    assert_int_equal(tui_runtable_find_column(rt, "note"), -1);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 10,000 runs of 200 distinct recipes, 4 points each: a load, a sort, a
 * filter, a reload (recipes flattened already). */
static void test_ten_thousand(void **state)
{
    (void)state;
    enum { N = 10000, R = 200 };
    CbRunInfo *runs = calloc(N, sizeof *runs);
    CbPointSummary *pts = calloc(4 * N, sizeof *pts);
    CbRecipeText *rec = calloc(R, sizeof *rec);
    char(*hashes)[16] = calloc(R, sizeof *hashes);
    char(*jsons)[200] = calloc(R, sizeof *jsons);
    char(*names)[16] = calloc(R, sizeof *names);
    assert_true(runs && pts && rec && hashes && jsons && names);
    for (int i = 0; i < R; i++) {
        snprintf(hashes[i], sizeof hashes[i], "h%05d", i);
        snprintf(names[i], sizeof names[i], "r%d", i);
        snprintf(jsons[i], sizeof jsons[i],
                 "{\"name\": \"r%d\", \"codec\": \"engine\", \"settings\": {\"search_range\": %d, "
                 "\"transform\": \"%s\", \"gop\": 30, \"qps\": [22, 27, 32, 37]}}",
                 i, 8 + i % 57, i % 2 ? "klt" : "dct");
        rec[i].hash = hashes[i];
        rec[i].name = names[i];
        rec[i].json = jsons[i];
    }
    for (int i = 0; i < N; i++) {
        int r = (i * 7) % R;
        runs[i] = make_run(i + 1, i % 3 ? "demo" : "other", names[r], hashes[r], "engine",
                           i % 10 ? CB_RUN_DONE : CB_RUN_RUNNING, (double)((i * 37) % 101) - 50,
                           i % 5 ? NULL : "best");
        for (int p = 0; p < 4; p++) {
            CbPointSummary *s = &pts[4 * i + p];
            s->run_id = i + 1;
            s->idx = p;
            s->kbps = 1000.0 / (p + 1) + i % 13;
            s->psnr_y = 40 - p;
            s->ssim = 0.9;
        }
    }
    TuiRunTable *rt = NULL;
    CbError err;
    assert_int_equal(tui_runtable_new(&rt, &err), 0);
    TuiRtInput in = {runs, N, pts, 4 * N, rec, R, 1764100200.0};
    double t0 = now_ms();
    assert_int_equal(tui_runtable_load(rt, &in, &err), 0);
    double t1 = now_ms();
    assert_int_equal(tui_runtable_n_rows(rt), N);
    assert_int_equal(tui_runtable_set_cursor_id(rt, 5000), 0);
    assert_int_equal(tui_runtable_set_sort(rt, TUI_RT_COL_BD, 1), 0);
    double t2 = now_ms();
    assert_int_equal(tui_runtable_set_query(rt, "transform:klt search_range>30 bd<0", &err), 0);
    double t3 = now_ms();
    assert_true(tui_runtable_n_rows(rt) > 100 && tui_runtable_n_rows(rt) < N);
    for (size_t i = 1; i < tui_runtable_n_rows(rt); i++) {
        double a = tui_runtable_number(rt, i - 1, TUI_RT_COL_BD);
        double b = tui_runtable_number(rt, i, TUI_RT_COL_BD);
        assert_true(a > b ||
                    (a == b && tui_runtable_row(rt, i - 1)->id < tui_runtable_row(rt, i)->id));
        assert_true(a < 0);
    }
    assert_int_equal(tui_runtable_set_query(rt, "", &err), 0);
    assert_int_equal(tui_runtable_cursor_id(rt), 5000);
    double t4 = now_ms();
    assert_int_equal(tui_runtable_load(rt, &in, &err), 0);
    double t5 = now_ms();
    assert_int_equal(tui_runtable_cursor_id(rt), 5000);
    print_message("# 10000 runs: load %.1f ms, sort %.1f ms, filter %.1f ms, reload %.1f ms\n",
                  t1 - t0, t2 - t1, t3 - t2, t5 - t4);
    /* The budget is 50 ms on the development machine; the bound here is 10x
     * that so that a loaded CI machine or a sanitizer build does not fail. */
    assert_true(t5 - t4 < 500);
    assert_true(t3 - t2 < 500);
    tui_runtable_free(&rt);
    free(runs);
    free(pts);
    free(rec);
    free(hashes);
    free(jsons);
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cells, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sort_numeric_missing_last, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sort_text_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_cleared_when_field_changes_kind, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canonical_fields, setup, teardown),
        cmocka_unit_test(test_ten_thousand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

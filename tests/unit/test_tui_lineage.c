/* Unit tests of the lineage view's model (src/tui/lineage.c): the tree by
 * parent laid out depth first, its drawing prefixes, families, cycles,
 * the BD-rate against the parent on hand-worked curves, 10,000 runs, and
 * the fields changed between two recipes. */
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

#include "tui/lineage.h"

static CbRunInfo run(int64_t id, const char *exp, int64_t parent)
{
    CbRunInfo r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.experiment = (char *)exp;
    r.parent = parent;
    r.status = CB_RUN_DONE;
    r.clip_id = (char *)"clip";
    r.bd_rate = NAN;
    r.bd_psnr = NAN;
    return r;
}

static void order_is(const TuiLineage *t, const int64_t *ids, const int *depths, size_t n)
{
    assert_int_equal(t->n_rows, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t->rows[i].run_id, ids[i]);
        assert_int_equal(t->rows[i].depth, depths[i]);
    }
}

/* 1 ── 2 ── 4      5      (7 in another experiment, child of 1)
 *   └─ 3 ── 6 */
static void test_layout_and_prefix(void **state)
{
    (void)state;
    CbRunInfo runs[7] = {run(1, "e", 0), run(2, "e", 1), run(3, "e", 1),    run(4, "e", 2),
                         run(5, "e", 0), run(6, "e", 3), run(7, "other", 1)};
    TuiLineage t;
    CbError err;
    assert_int_equal(tui_lineage_build(&t, runs, 7, NULL, 0, "e", 0, &err), 0);
    order_is(&t, (const int64_t[]){1, 2, 4, 3, 6, 5}, (const int[]){0, 1, 2, 1, 2, 0}, 6);
    assert_int_equal(t.max_depth, 2);
    /* last children: 4 (only child), 3 (after 2), 6, and 5 the last root */
    const int last[6] = {0, 0, 1, 1, 1, 1};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(t.rows[i].last, last[i]);
    assert_int_equal(t.rows[0].n_children, 2);
    assert_int_equal(t.rows[2].up, 1);
    unsigned char k[8];
    assert_int_equal(tui_lineage_prefix(&t, 0, k, 8), 0);
    assert_int_equal(tui_lineage_prefix(&t, 1, k, 8), 1); /* 2: ├─ */
    assert_int_equal(k[0], TUI_LIN_TEE);
    assert_int_equal(tui_lineage_prefix(&t, 2, k, 8), 2); /* 4: │ └─ (2 has a sibling below) */
    assert_int_equal(k[0], TUI_LIN_VERT);
    assert_int_equal(k[1], TUI_LIN_CORNER);
    assert_int_equal(tui_lineage_prefix(&t, 4, k, 8), 2); /* 6: "  └─" (3 is the last child) */
    assert_int_equal(k[0], TUI_LIN_SPACE);
    assert_int_equal(k[1], TUI_LIN_CORNER);
    assert_int_equal(tui_lineage_prefix(&t, 2, k, 1), 1); /* only the deepest level */
    assert_int_equal(k[0], TUI_LIN_CORNER);
    assert_int_equal(tui_lineage_find(&t, 6), 4);
    assert_int_equal(tui_lineage_find(&t, 7), SIZE_MAX);
    tui_lineage_free(&t);

    /* every experiment: 7 hangs under 1, after 3's subtree */
    assert_int_equal(tui_lineage_build(&t, runs, 7, NULL, 0, NULL, 0, &err), 0);
    order_is(&t, (const int64_t[]){1, 2, 4, 3, 6, 7, 5}, (const int[]){0, 1, 2, 1, 2, 1, 0}, 7);
    assert_int_equal(t.rows[3].last, 0); /* 3 is no longer the last child of 1 */
    tui_lineage_free(&t);
}

static void test_family(void **state)
{
    (void)state;
    CbRunInfo runs[7] = {run(1, "e", 0), run(2, "e", 1), run(3, "e", 1), run(4, "e", 2),
                         run(5, "e", 0), run(6, "e", 3), run(7, "e", 6)};
    TuiLineage t;
    CbError err;
    /* the family of 3: its ancestor 1, itself, its descendants 6 and 7 */
    assert_int_equal(tui_lineage_build(&t, runs, 7, NULL, 0, "e", 3, &err), 0);
    order_is(&t, (const int64_t[]){1, 3, 6, 7}, (const int[]){0, 1, 2, 3}, 4);
    assert_int_equal(t.rows[1].last, 1); /* 2 is not in the family */
    tui_lineage_free(&t);
    /* a run not in the tree: nothing */
    assert_int_equal(tui_lineage_build(&t, runs, 7, NULL, 0, "e", 99, &err), 0);
    assert_int_equal(t.n_rows, 0);
    tui_lineage_free(&t);
}

static void test_cycle(void **state)
{
    (void)state;
    /* a broken store: 1 and 2 each the parent of the other, 3 under 2 */
    CbRunInfo runs[3] = {run(1, "e", 2), run(2, "e", 1), run(3, "e", 2)};
    TuiLineage t;
    CbError err;
    assert_int_equal(tui_lineage_build(&t, runs, 3, NULL, 0, "e", 0, &err), 0);
    order_is(&t, (const int64_t[]){1, 2, 3}, (const int[]){0, 1, 2}, 3);
    tui_lineage_free(&t);
}

/* The compare model's hand-worked curves: the child needs 0.9 times the
 * parent's rate at every PSNR over the whole overlap, so its BD-rate against
 * the parent is 10^log10(0.9) - 1 = -10 %. */
static const CbPointSummary POINTS[10] = {
    {.run_id = 1, .idx = 0, .kbps = 100, .psnr_y = 30},
    {.run_id = 1, .idx = 1, .kbps = 200, .psnr_y = 33},
    {.run_id = 1, .idx = 2, .kbps = 400, .psnr_y = 36},
    {.run_id = 1, .idx = 3, .kbps = 800, .psnr_y = 39},
    {.run_id = 2, .idx = 0, .kbps = 90, .psnr_y = 30},
    {.run_id = 2, .idx = 1, .kbps = 180, .psnr_y = 33},
    {.run_id = 2, .idx = 2, .kbps = 360, .psnr_y = 36},
    {.run_id = 2, .idx = 3, .kbps = 720, .psnr_y = 39},
    {.run_id = 3, .idx = 0, .kbps = 90, .psnr_y = 30},
    {.run_id = 3, .idx = 1, .kbps = 180, .psnr_y = 33},
};

static void test_bd_against_parent(void **state)
{
    (void)state;
    CbRunInfo runs[5] = {run(1, "e", 0), run(2, "e", 1), run(3, "e", 1), run(4, "e", 1),
                         run(5, "e", 1)};
    /* 3 has two points only: the difference of the BD-rates against the anchor */
    runs[0].bd_rate = 8.0;
    runs[2].bd_rate = 5.0;
    /* 4 is on another clip: no figure */
    runs[3].clip_id = (char *)"other";
    runs[3].bd_rate = 1.0;
    /* 5 is still queued */
    runs[4].status = CB_RUN_QUEUED;
    TuiLineage t;
    CbError err;
    assert_int_equal(tui_lineage_build(&t, runs, 5, POINTS, 10, "e", 0, &err), 0);
    assert_int_equal(t.n_rows, 5);
    assert_int_equal(t.rows[0].bd_kind, TUI_LIN_BD_NONE); /* a root */
    assert_int_equal(t.rows[1].bd_kind, TUI_LIN_BD_DIRECT);
    assert_true(fabs(t.rows[1].bd_gain - -10.0) < 1e-6);
    assert_int_equal(t.rows[2].bd_kind, TUI_LIN_BD_ANCHOR);
    assert_true(fabs(t.rows[2].bd_gain - -3.0) < 1e-12);
    assert_int_equal(t.rows[3].bd_kind, TUI_LIN_BD_NONE);
    assert_true(isnan(t.rows[3].bd_gain));
    assert_int_equal(t.rows[4].bd_kind, TUI_LIN_BD_NONE);
    tui_lineage_free(&t);
}

#define BIG 10000

static void test_ten_thousand(void **state)
{
    (void)state;
    CbRunInfo *runs = calloc(BIG, sizeof *runs);
    assert_non_null(runs);
    TuiLineage t;
    CbError err;
    /* one chain 10,000 generations deep: no recursion to overflow */
    for (int i = 0; i < BIG; i++)
        runs[i] = run(i + 1, "e", i);
    assert_int_equal(tui_lineage_build(&t, runs, BIG, NULL, 0, "e", 0, &err), 0);
    assert_int_equal(t.n_rows, BIG);
    assert_int_equal(t.max_depth, BIG - 1);
    assert_int_equal(t.rows[BIG - 1].run_id, BIG);
    unsigned char k[24];
    assert_int_equal(tui_lineage_prefix(&t, BIG - 1, k, 24), 24);
    assert_int_equal(k[23], TUI_LIN_CORNER);
    assert_int_equal(k[0], TUI_LIN_SPACE);
    tui_lineage_free(&t);
    /* 9,999 children of one root, each the last but one has a sibling below */
    for (int i = 0; i < BIG; i++)
        runs[i] = run(i + 1, "e", i ? 1 : 0);
    assert_int_equal(tui_lineage_build(&t, runs, BIG, NULL, 0, "e", 0, &err), 0);
    assert_int_equal(t.n_rows, BIG);
    assert_int_equal(t.rows[0].n_children, BIG - 1);
    assert_int_equal(t.rows[1].run_id, 2);
    assert_int_equal(t.rows[1].last, 0);
    assert_int_equal(t.rows[BIG - 1].last, 1);
    tui_lineage_free(&t);
    /* a binary tree of 10,000 measured runs on one clip: every edge gets its
     * BD-rate (each child needs 0.99 times its parent's rate: -1 %) */
    CbPointSummary *pts = calloc((size_t)BIG * 4, sizeof *pts);
    assert_non_null(pts);
    for (int i = 0; i < BIG; i++) {
        runs[i] = run(i + 1, "e", i ? (i + 1) / 2 : 0);
        int depth = 0;
        for (int v = i + 1; v > 1; v /= 2)
            depth++;
        for (int q = 0; q < 4; q++)
            pts[i * 4 + q] = (CbPointSummary){.run_id = i + 1,
                                              .idx = q,
                                              .kbps = 100.0 * (1 << q) * pow(0.99, depth),
                                              .psnr_y = 30.0 + 3.0 * q};
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(tui_lineage_build(&t, runs, BIG, pts, (size_t)BIG * 4, "e", 0, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("# 10,000 runs with BD-rate against the parent: %.1f ms\n",
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    assert_int_equal(t.n_rows, BIG);
    assert_int_equal(t.max_depth, 13); /* floor(log2(10000)) */
    for (size_t i = 1; i < t.n_rows; i++) {
        assert_int_equal(t.rows[i].bd_kind, TUI_LIN_BD_DIRECT);
        assert_true(fabs(t.rows[i].bd_gain - -1.0) < 1e-6);
    }
    tui_lineage_free(&t);
    free(pts);
    free(runs);
}

static void test_diff(void **state)
{
    (void)state;
    const char *a =
        "{\"name\": \"a\", \"codec\": \"engine\", \"settings\": {\"transform\": \"dct\"}}";
    const char *b =
        "{\"name\": \"b\", \"codec\": \"engine\", \"settings\": {\"transform\": \"klt\", "
        "\"deblock\": false}}";
    const char *a2 = "{\"name\": \"renamed\", \"codec\": \"engine\", \"settings\": {\"transform\": "
                     "\"dct\"}}";
    char *d = tui_lineage_diff(a, b);
    assert_non_null(d);
    assert_non_null(strstr(d, "transform: dct -> klt"));
    assert_non_null(strstr(d, "deblock: true -> false"));
    /* the parts, for colouring */
    const char *s = d;
    TuiDiffPart p;
    int parts = 0, saw_transform = 0;
    while (tui_diff_next(&s, &p)) {
        parts++;
        assert_non_null(p.old);
        if (p.field_len == 9 && !memcmp(p.field, "transform", 9)) {
            saw_transform = 1;
            assert_int_equal(p.old_len, 3);
            assert_memory_equal(p.old, "dct", 3);
            assert_int_equal(p.new_len, 3);
            assert_memory_equal(p.new_, "klt", 3);
        }
    }
    assert_int_equal(parts, 2);
    assert_true(saw_transform);
    free(d);
    d = tui_lineage_diff(a, a2); /* a new name is not a new encode */
    assert_string_equal(d, "");
    free(d);
    d = tui_lineage_diff(NULL, b);
    assert_string_equal(d, "");
    free(d);
    d = tui_lineage_diff(
        a, "{\"name\": \"x\", \"codec\": \"engine\", \"settings\": {\"block_size\": 12}}");
    assert_string_equal(d, "(recipe not readable)");
    free(d);
    /* parts without an arrow */
    s = "points changed; options changed";
    assert_int_equal(tui_diff_next(&s, &p), 1);
    assert_null(p.old);
    assert_int_equal(p.field_len, strlen("points changed"));
    assert_int_equal(tui_diff_next(&s, &p), 1);
    assert_int_equal(p.field_len, strlen("options changed"));
    assert_int_equal(tui_diff_next(&s, &p), 0);
    s = "";
    assert_int_equal(tui_diff_next(&s, &p), 0);
}

/* The stage code changed against the parent's, in lines (hand-counted). */
static char *stage_recipe(const char *kind, const char *code)
{
    char *buf = malloc(65536);
    assert_non_null(buf);
    size_t n = (size_t)snprintf(buf, 1024,
                                "{\"name\": \"s\", \"codec\": \"engine\", "
                                "\"settings\": {\"transform\": \"dct\"}, "
                                "\"stage\": {\"kind\": \"%s\", \"code\": \"",
                                kind);
    for (const char *p = code; *p && n < 65000; p++) {
        if (*p == '\n')
            buf[n++] = '\\', buf[n++] = 'n';
        else if (*p == '"' || *p == '\\')
            buf[n++] = '\\', buf[n++] = *p;
        else
            buf[n++] = *p;
    }
    memcpy(buf + n, "\"}}", 4);
    return buf;
}

static void test_code_change(void **state)
{
    (void)state;
    static const char plain[] = "{\"name\": \"p\", \"codec\": \"engine\"}";
    char *a = stage_recipe("intra", "int cb_stage_intra(const CbStageIntra *a)\n{\n    return 0;\n}\n");
    char *b = stage_recipe("intra", "int cb_stage_intra(const CbStageIntra *a)\n{\n    (void)a;\n"
                                    "    return 0;\n}\n/* two lines */\n");
    char *c = stage_recipe("loop_filter", "/* not in the built-in source */\n");
    char *t;
    /* against the parent's stage of the same kind: 2 lines added, none removed */
    t = tui_lineage_code_change(a, b);
    assert_string_equal(t, "intra +2 -0");
    free(t);
    t = tui_lineage_code_change(b, a);
    assert_string_equal(t, "intra +0 -2");
    free(t);
    /* the same code, or no stage on either side: nothing */
    t = tui_lineage_code_change(a, a);
    assert_string_equal(t, "");
    free(t);
    t = tui_lineage_code_change(plain, plain);
    assert_string_equal(t, "");
    free(t);
    /* a stage dropped */
    t = tui_lineage_code_change(a, plain);
    assert_string_equal(t, "intra removed");
    free(t);
    /* another kind: the parent's dropped, the child's against the built-in one */
    t = tui_lineage_code_change(a, c);
    assert_non_null(t);
    assert_true(strncmp(t, "intra removed; loop_filter +1 -", 31) == 0);
    assert_non_null(strstr(t, " vs built-in"));
    free(t);
    /* no parent recipe: against the built-in source */
    t = tui_lineage_code_change(NULL, c);
    assert_true(strncmp(t, "loop_filter +1 -", 16) == 0);
    free(t);
    t = tui_lineage_code_change("{", b);
    assert_string_equal(t, "(recipe not readable)");
    free(t);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_prefix),
        cmocka_unit_test(test_family),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_bd_against_parent),
        cmocka_unit_test(test_ten_thousand),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_code_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

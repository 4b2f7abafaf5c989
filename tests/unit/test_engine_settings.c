/* Unit tests of the engine's settings: the field table is well formed and
 * cb_engine_settings_check refuses every out-of-range value of a struct
 * filled in C (not through JSON), naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "codecbench/engine.h"

static void set_int(CbEngineSettings *s, size_t offset, int v)
{
    memcpy((char *)s + offset, &v, sizeof v);
}

static void test_table_is_well_formed(void **state)
{
    (void)state;
    /* The fields and their order, as the specification lists them. */
    static const char *const names[] = {
        "block_size",   "partition", "transform",   "intra_modes",
        "search_range", "search",    "subpel",      "gop",
        "p_qp_offset",  "deblock",   "restoration", "restoration_region",
        "adaptation",   "preset",    "slices",      "threads",     "qps",
    };
    size_t n;
    const CbField *f = cb_engine_fields(&n);
    assert_int_equal(n, sizeof names / sizeof names[0]);
    assert_ptr_equal(cb_engine_fields(NULL), f);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(f[i].name, names[i]);
        assert_ptr_equal(cb_engine_field_find(names[i]), &f[i]);
        assert_non_null(f[i].doc);
        assert_true(strlen(f[i].doc) > 10);
        assert_true(f[i].offset + sizeof(int) <= sizeof(CbEngineSettings));
        for (size_t j = 0; j < i; j++)
            assert_true(f[i].offset != f[j].offset);
        if (f[i].type == CB_FIELD_INT || f[i].type == CB_FIELD_INT_LIST)
            assert_true(f[i].min <= f[i].max);
        if (f[i].type == CB_FIELD_CHOICE)
            assert_true(f[i].n_choices > 0 && f[i].choices);
        if (f[i].type == CB_FIELD_ENUM)
            assert_non_null(f[i].names[0]);
    }
    const CbField *q = cb_engine_field_find("qps");
    assert_int_equal(q->type, CB_FIELD_INT_LIST);
    assert_int_equal(q->offset, offsetof(CbEngineSettings, qps));
    assert_int_equal(q->count_offset, offsetof(CbEngineSettings, n_qps));
    assert_int_equal(q->max_items, CB_MAX_QPS);
    assert_int_equal(q->min, CB_QP_MIN);
    assert_int_equal(q->max, CB_QP_MAX);
    assert_null(cb_engine_field_find("n_qps"));
    assert_null(cb_engine_field_find("Block_size"));
    assert_null(cb_engine_field_find(NULL));
}

static void test_ranges_as_specified(void **state)
{
    (void)state;
    char buf[200];
    static const struct {
        const char *name, *allowed;
    } want[] = {
        {"block_size", "8, 16"},
        {"partition", "true or false"},
        {"transform", "dct, klt"},
        {"intra_modes", "dc, basic, all"},
        {"search_range", "0..256"},
        {"search", "full, diamond, hex"},
        {"subpel", "full, half, quarter"},
        {"gop", "1..600"},
        {"p_qp_offset", "0..12"},
        {"deblock", "true or false"},
        {"restoration", "true or false"},
        {"restoration_region", "32, 64, 128"},
        {"adaptation", "fast, slow, dual"},
        {"preset", "fast, medium, slow"},
        {"slices", "1..64"},
        {"threads", "1..64"},
        {"qps", "1 to 16 distinct integers 0..51"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const CbField *f = cb_engine_field_find(want[i].name);
        assert_non_null(f);
        size_t len = cb_engine_field_allowed(f, buf, sizeof buf);
        assert_string_equal(buf, want[i].allowed);
        assert_int_equal(len, strlen(want[i].allowed));
    }
    /* A small buffer is cut but terminated, and the full length returned. */
    size_t len = cb_engine_field_allowed(cb_engine_field_find("restoration_region"), buf, 5);
    assert_int_equal(len, strlen("32, 64, 128"));
    assert_string_equal(buf, "32, ");
}

static void test_defaults_pass(void **state)
{
    (void)state;
    CbEngineSettings s;
    CbError err;
    cb_engine_settings_default(&s);
    assert_int_equal(cb_engine_settings_check(&s, &err), 0);
    assert_int_equal(s.block_size, 16);
    assert_int_equal(s.transform, CB_TRANSFORM_KLT);
    assert_int_equal(s.n_qps, 4);
    assert_int_equal(s.qps[0], 22);
    assert_int_equal(s.qps[3], 37);
    assert_int_equal(cb_engine_settings_check(NULL, &err), CB_EINVAL);
}

static void expect_bad(size_t offset, int v, const char *text)
{
    CbEngineSettings s;
    CbError err;
    cb_engine_settings_default(&s);
    set_int(&s, offset, v);
    cb_error_clear(&err);
    assert_int_equal(cb_engine_settings_check(&s, &err), CB_EINVAL);
    assert_string_equal(err.text, text);
}

static void test_check_names_field_and_allowed_values(void **state)
{
    (void)state;
    expect_bad(offsetof(CbEngineSettings, block_size), 12, "block_size: 12 is not one of 8, 16");
    expect_bad(offsetof(CbEngineSettings, partition), 2, "partition: 2 is not a boolean (0 or 1)");
    expect_bad(offsetof(CbEngineSettings, transform), 2,
               "transform: value 2 is not one of dct, klt");
    expect_bad(offsetof(CbEngineSettings, intra_modes), -1,
               "intra_modes: value -1 is not one of dc, basic, all");
    expect_bad(offsetof(CbEngineSettings, search_range), 257,
               "search_range: 257 is out of range 0..256");
    expect_bad(offsetof(CbEngineSettings, search_range), -1,
               "search_range: -1 is out of range 0..256");
    expect_bad(offsetof(CbEngineSettings, gop), 0, "gop: 0 is out of range 1..600");
    expect_bad(offsetof(CbEngineSettings, p_qp_offset), 13,
               "p_qp_offset: 13 is out of range 0..12");
    expect_bad(offsetof(CbEngineSettings, restoration_region), 16,
               "restoration_region: 16 is not one of 32, 64, 128");
    expect_bad(offsetof(CbEngineSettings, preset), 3,
               "preset: value 3 is not one of fast, medium, slow");
    expect_bad(offsetof(CbEngineSettings, threads), 65, "threads: 65 is out of range 1..64");
    expect_bad(offsetof(CbEngineSettings, n_qps), 0, "qps: 0 values; allowed: 1 to 16");
    expect_bad(offsetof(CbEngineSettings, n_qps), 17, "qps: 17 values; allowed: 1 to 16");
    expect_bad(offsetof(CbEngineSettings, qps) + 2 * sizeof(int), 52,
               "qps[2]: 52 is out of range 0..51");
    expect_bad(offsetof(CbEngineSettings, qps) + 3 * sizeof(int), 27,
               "qps[3]: 27 is listed twice (also at [1]); values must differ");
    /* Entries past n_qps are not looked at. */
    CbEngineSettings s;
    cb_engine_settings_default(&s);
    s.qps[10] = 999;
    assert_int_equal(cb_engine_settings_check(&s, NULL), 0);
}

static void test_check_value(void **state)
{
    (void)state;
    CbError err;
    const CbField *gop = cb_engine_field_find("gop");
    assert_int_equal(cb_engine_field_check_value(gop, 1, &err), 0);
    assert_int_equal(cb_engine_field_check_value(gop, 600, &err), 0);
    /* Values beyond int are refused, not wrapped. */
    assert_int_equal(cb_engine_field_check_value(gop, 4294967296LL + 30, &err), CB_EINVAL);
    assert_string_equal(err.text, "4294967326 is out of range 1..600");
    const CbField *bs = cb_engine_field_find("block_size");
    assert_int_equal(cb_engine_field_check_value(bs, 4294967296LL + 16, &err), CB_EINVAL);
    assert_int_equal(cb_engine_field_check_value(bs, 8, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_well_formed),
        cmocka_unit_test(test_ranges_as_specified),
        cmocka_unit_test(test_defaults_pass),
        cmocka_unit_test(test_check_names_field_and_allowed_values),
        cmocka_unit_test(test_check_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of metrics/ CSV reading of rate-distortion curves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codecbench/metrics.h"
#include "test_metrics_common.h"

/* Parses a string literal by its size (so that embedded NULs count). */
#define PARSE(lit, pts, n, err) cb_rd_parse_csv(lit, sizeof(lit) - 1, "rd.csv", pts, n, err)

static void test_csv_good(void **state)
{
    (void)state;
    CbRdPoint *p = NULL;
    size_t n = 0;
    CbError err;
    static const char text[] = "# anchor, x264 veryslow\n"
                               "kbps,psnr\n"
                               "\n"
                               "1000.5,34.25\n"
                               "  800 , 33.0\t\n"
                               "# a comment between points\n"
                               "2.5e3,3.8e1\n"
                               "+4000,40"; /* no final newline */
    assert_int_equal(PARSE(text, &p, &n, &err), 0);
    assert_int_equal(err.code, 0);
    assert_int_equal(n, 4);
    assert_near(p[0].kbps, 1000.5, 0.0);
    assert_near(p[0].psnr, 34.25, 0.0);
    assert_near(p[1].kbps, 800.0, 0.0);
    assert_near(p[1].psnr, 33.0, 0.0);
    assert_near(p[2].kbps, 2500.0, 0.0);
    assert_near(p[2].psnr, 38.0, 0.0);
    assert_near(p[3].kbps, 4000.0, 0.0);
    free(p);
}

static void test_csv_crlf_and_no_header(void **state)
{
    (void)state;
    CbRdPoint *p = NULL;
    size_t n = 0;
    static const char text[] = "100,30\r\n200,32\r\n\r\n.5e3,35.5\r\n";
    assert_int_equal(PARSE(text, &p, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_near(p[2].kbps, 500.0, 0.0);
    assert_near(p[2].psnr, 35.5, 0.0);
    free(p);
    /* Only the first content line may be a header. */
    static const char twoheaders[] = "kbps,psnr\nrate,quality\n1,2\n";
    CbError err;
    assert_int_equal(PARSE(twoheaders, &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: not a decimal number: \"rate\"");
    assert_null(p);
    assert_int_equal(n, 0);
}

static void test_csv_bad_lines(void **state)
{
    (void)state;
    CbRdPoint *p = NULL;
    size_t n = 0;
    CbError err;
    assert_int_equal(PARSE("kbps,psnr\n100,30\n200,32,7\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 3: expected 2 columns (kbps,psnr), found 3");
    assert_int_equal(PARSE("100,30\n200\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: expected 2 columns (kbps,psnr), found 1");
    assert_int_equal(PARSE("100,30\n200,\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: missing PSNR");
    assert_int_equal(PARSE("100,30\n200,3x\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: not a decimal number: \"3x\"");
    assert_int_equal(PARSE("100,30\n1.2.3,30\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: not a decimal number: \"1.2.3\"");
    assert_int_equal(PARSE("100,30\n-5,30\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: rate -5 kbps is not positive");
    assert_int_equal(PARSE("100,30\n5,0\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: PSNR 0 dB is not positive");
    assert_int_equal(PARSE("", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: no data points");
    assert_int_equal(PARSE("kbps,psnr\n# nothing\n", &p, &n, &err), CB_EFORMAT);
    assert_null(p);
    /* No name: a generic prefix. */
    assert_int_equal(cb_rd_parse_csv("1,2,3", 5, NULL, &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "csv: line 1: expected 2 columns (kbps,psnr), found 3");
    assert_int_equal(cb_rd_parse_csv(NULL, 3, NULL, &p, &n, &err), CB_EINVAL);
}

static void test_csv_nan_inf_huge(void **state)
{
    (void)state;
    CbRdPoint *p = NULL;
    size_t n = 0;
    CbError err;
    assert_int_equal(PARSE("100,30\nnan,30\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: not a decimal number: \"nan\"");
    assert_int_equal(PARSE("100,30\n200,NaN\n", &p, &n, &err), CB_EFORMAT);
    assert_int_equal(PARSE("100,30\n200,inf\n", &p, &n, &err), CB_EFORMAT);
    assert_int_equal(PARSE("100,30\n-infinity,3\n", &p, &n, &err), CB_EFORMAT);
    assert_int_equal(PARSE("100,30\n0x10,3\n", &p, &n, &err), CB_EFORMAT);
    assert_int_equal(PARSE("100,30\n1e999,30\n", &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: number out of range: \"1e999\"");
    /* A tiny positive number is a number (rates are checked for sense by
     * cb_bd_compute, not here). */
    assert_int_equal(PARSE("1e-300,30\n", &p, &n, &err), 0);
    free(p);
    p = NULL;
    /* A 5000-digit number is refused without being copied anywhere. */
    size_t len = 5000 + 8;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, '9', 5000);
    memcpy(big + 5000, ",30\n1,2\n", 8);
    assert_int_equal(cb_rd_parse_csv(big, len, "big.csv", &p, &n, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "big.csv: line 1: number too long"));
    free(big);
    assert_null(p);
}

static void test_csv_embedded_nul(void **state)
{
    (void)state;
    CbRdPoint *p = NULL;
    size_t n = 0;
    CbError err;
    /* strlen would stop at the NUL and accept the first line alone. */
    static const char text[] = "100,30\n200,3\0002\n300,34\n";
    assert_int_equal(PARSE(text, &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 2: contains a NUL byte");
    assert_null(p);
    /* A NUL in a comment is an error too. */
    static const char text2[] = "# \0\n100,30\n";
    assert_int_equal(PARSE(text2, &p, &n, &err), CB_EFORMAT);
    assert_string_equal(err.text, "rd.csv: line 1: contains a NUL byte");
}

static void test_csv_point_cap(void **state)
{
    (void)state;
    char text[CB_BD_MAX_POINTS * 16 + 32];
    size_t len = 0;
    for (int i = 0; i < CB_BD_MAX_POINTS; i++) {
        int m = snprintf(text + len, sizeof text - len, "%d,%d.5\n", 100 + i, 30 + i);
        assert_true(m > 0 && (size_t)m < sizeof text - len);
        len += (size_t)m;
    }
    CbRdPoint *p = NULL;
    size_t n = 0;
    CbError err;
    assert_int_equal(cb_rd_parse_csv(text, len, "cap.csv", &p, &n, &err), 0);
    assert_int_equal(n, CB_BD_MAX_POINTS);
    assert_near(p[CB_BD_MAX_POINTS - 1].psnr, 30 + CB_BD_MAX_POINTS - 1 + 0.5, 0.0);
    free(p);
    p = NULL;
    int m = snprintf(text + len, sizeof text - len, "9999,99\n");
    assert_true(m > 0);
    len += (size_t)m;
    assert_int_equal(cb_rd_parse_csv(text, len, "cap.csv", &p, &n, &err), CB_ELIMIT);
    assert_string_equal(err.text, "cap.csv: line 65: more than 64 points");
    assert_null(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_good),
        cmocka_unit_test(test_csv_crlf_and_no_header),
        cmocka_unit_test(test_csv_bad_lines),
        cmocka_unit_test(test_csv_nan_inf_huge),
        cmocka_unit_test(test_csv_embedded_nul),
        cmocka_unit_test(test_csv_point_cap),
    };
    return cmocka_run_group_tests_name("metrics_csv", tests, NULL, NULL);
}

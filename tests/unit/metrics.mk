# Unit tests of metrics/: kernels, PSNR and SSIM; Bjontegaard deltas; CSV.
cb_metrics_test_libs = src/metrics/libcbmetrics.a src/util/libcbutil.a $(CMOCKA_LIBS) $(LIBS)

check_PROGRAMS += tests/unit/test_metrics tests/unit/test_metrics_bd tests/unit/test_metrics_csv
TESTS += tests/unit/test_metrics tests/unit/test_metrics_bd tests/unit/test_metrics_csv

tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c tests/unit/test_metrics_common.h
tests_unit_test_metrics_CFLAGS = $(CB_TEST_CF)
tests_unit_test_metrics_LDADD = $(cb_metrics_test_libs)

tests_unit_test_metrics_bd_SOURCES = tests/unit/test_metrics_bd.c tests/unit/test_metrics_common.h
tests_unit_test_metrics_bd_CFLAGS = $(CB_TEST_CF)
tests_unit_test_metrics_bd_LDADD = $(cb_metrics_test_libs)

tests_unit_test_metrics_csv_SOURCES = tests/unit/test_metrics_csv.c tests/unit/test_metrics_common.h
tests_unit_test_metrics_csv_CFLAGS = $(CB_TEST_CF)
tests_unit_test_metrics_csv_LDADD = $(cb_metrics_test_libs)

# Unit tests of what a preview shows (src/preview/compose.c): regions,
# exact replication, fit sizes, the gap, the legend, overlay colours and the
# text summary, all against hand-worked values.
check_PROGRAMS += tests/unit/test_preview_compose
TESTS += tests/unit/test_preview_compose
tests_unit_test_preview_compose_SOURCES = tests/unit/test_preview_compose.c
tests_unit_test_preview_compose_CFLAGS = $(CB_TEST_CF)
tests_unit_test_preview_compose_LDADD = src/preview/libcbpreview.a src/metrics/libcbmetrics.a \
	src/util/libcbutil.a $(LIBSIXEL_LIBS) $(CMOCKA_LIBS) $(LIBS) -lm

check_PROGRAMS += tests/unit/test_engine_filter
TESTS += tests/unit/test_engine_filter
tests_unit_test_engine_filter_SOURCES = tests/unit/test_engine_filter.c
tests_unit_test_engine_filter_CFLAGS = $(CB_TEST_CF)
tests_unit_test_engine_filter_LDADD = $(CB_ENGINE_LIBS) src/util/libcbutil.a $(CMOCKA_LIBS)

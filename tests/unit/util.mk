check_PROGRAMS += tests/unit/test_util
TESTS += tests/unit/test_util
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_util_CFLAGS = $(CB_TEST_CF)
tests_unit_test_util_LDADD = src/util/libcbutil.a $(JANSSON_LIBS) $(CMOCKA_LIBS)

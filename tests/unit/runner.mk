check_PROGRAMS += tests/unit/test_runner
TESTS += tests/unit/test_runner
tests_unit_test_runner_SOURCES = tests/unit/test_runner.c
tests_unit_test_runner_CFLAGS = $(CB_TEST_CF)
tests_unit_test_runner_LDADD = src/runner/libcbrunner.a src/util/libcbutil.a $(JANSSON_LIBS) \
	$(CMOCKA_LIBS)

# Unit tests of worker/: result.json (write/read round trip, every refusal,
# the atomic write) and the worker's environment scrubbing.  The worker and
# verification end to end are tests/cli/worker.sh.
check_PROGRAMS += tests/unit/test_result
TESTS += tests/unit/test_result
tests_unit_test_result_SOURCES = tests/unit/test_result.c
tests_unit_test_result_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_result_CFLAGS = $(CB_TEST_CF)
tests_unit_test_result_LDADD = $(CB_TEST_LIBS)

# Unit tests of worker/: result.json (write/read round trip, every refusal,
# the atomic write), the worker's environment scrubbing, and its source frames
# (kept in memory or read again per pass: the same frames; needs $CB_CLIPS).  The worker and
# verification end to end are tests/cli/worker.sh.
check_PROGRAMS += tests/unit/test_result
TESTS += tests/unit/test_result
tests_unit_test_result_SOURCES = tests/unit/test_result.c
tests_unit_test_result_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_result_CFLAGS = $(CB_TEST_CF)
tests_unit_test_result_LDADD = $(CB_TEST_LIBS)
# The libFuzzer target of the result.json reader (built and run by tests/fuzz/run).
EXTRA_DIST += tests/fuzz/fuzz_result.c tests/fuzz/seeds/result/engine.json

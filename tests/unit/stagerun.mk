# Unit tests of the worker's stage judging helpers that need no stage host
# (src/worker/stagerun.c): limits from the environment, a run's stage
# identity, the object's hash, refusals before a host starts.
check_PROGRAMS += tests/unit/test_stagerun
TESTS += tests/unit/test_stagerun
tests_unit_test_stagerun_SOURCES = tests/unit/test_stagerun.c
tests_unit_test_stagerun_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_stagerun_CFLAGS = $(CB_TEST_CF)
tests_unit_test_stagerun_LDADD = $(CB_CORE_LIBS) $(CMOCKA_LIBS)

# Unit tests of the proposers' stage mode (issue 8): the tolerant matcher of
# search/replace edits, the stage parent, prompt, schema and reply parser,
# the stage part of the diff, the store's edits per model and reindex.
check_PROGRAMS += tests/unit/test_propose_stage
TESTS += tests/unit/test_propose_stage
tests_unit_test_propose_stage_SOURCES = tests/unit/test_propose_stage.c tests/unit/storefix.c \
	tests/unit/storefix.h
tests_unit_test_propose_stage_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_propose_stage_CFLAGS = $(CB_TEST_CF)
tests_unit_test_propose_stage_LDADD = $(CB_TEST_LIBS)

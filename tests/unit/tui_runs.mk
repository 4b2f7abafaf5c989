# Unit tests of the runs view's models (no terminal): the filter language
# (src/tui/query.c) and the table of runs (src/tui/runtable.c): parsing and
# evaluation with bad input, sorting, filtering, differing recipe fields,
# rate points, columns, the cursor across reloads, 10,000 runs.
check_PROGRAMS += tests/unit/test_tui_query tests/unit/test_tui_runtable
TESTS += tests/unit/test_tui_query tests/unit/test_tui_runtable
tests_unit_test_tui_query_SOURCES = tests/unit/test_tui_query.c src/tui/query.c src/tui/query.h
tests_unit_test_tui_query_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_query_LDADD = src/util/libcbutil.a $(CMOCKA_LIBS) $(LIBS)
tests_unit_test_tui_runtable_SOURCES = tests/unit/test_tui_runtable.c src/tui/runtable.c \
	src/tui/runtable.h src/tui/query.c src/tui/query.h
tests_unit_test_tui_runtable_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_tui_runtable_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_runtable_LDADD = src/store/libcbstore.a src/worker/libcbworker.a \
	$(CB_RECIPE_LIBS) src/metrics/libcbmetrics.a src/util/libcbutil.a $(SQLITE3_LIBS) \
	$(JANSSON_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS)

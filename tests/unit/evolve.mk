# Unit tests of the evolve loop's state (src/store/evolve.c): the Pareto
# front on hand-worked points, the state document and hostile ones, the file.
check_PROGRAMS += tests/unit/test_evolve
TESTS += tests/unit/test_evolve
tests_unit_test_evolve_SOURCES = tests/unit/test_evolve.c
tests_unit_test_evolve_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_evolve_CFLAGS = $(CB_TEST_CF)
tests_unit_test_evolve_LDADD = src/store/libcbstore.a src/worker/libcbworker.a \
	$(CB_RECIPE_LIBS) src/metrics/libcbmetrics.a src/util/libcbutil.a $(SQLITE3_LIBS) \
	$(JANSSON_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS)

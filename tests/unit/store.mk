# Unit tests of store/: every public call, migrations from each earlier
# schema, refusals of foreign, newer and corrupt files (checksummed before
# and after), reindex, and 8 processes queueing at once.  The test includes
# src/store/store_internal.h for the schema steps.  The store reads
# result.json with worker/'s cb_result_read, so the worker library follows
# the store's (the order of CB_CORE_LIBS in Makefile.am).
check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/storefix.c tests/unit/storefix.h
tests_unit_test_store_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_store_CFLAGS = $(CB_TEST_CF)
tests_unit_test_store_LDADD = src/store/libcbstore.a src/worker/libcbworker.a $(CB_RECIPE_LIBS) \
	src/metrics/libcbmetrics.a src/util/libcbutil.a $(SQLITE3_LIBS) $(JANSSON_LIBS) \
	$(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS)

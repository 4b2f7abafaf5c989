# Unit tests of the store calls of many-run views (src/store/summary.c):
# cb_store_all_points, cb_store_recipe_texts, cb_store_data_version (which
# changes after another connection commits, not after this one's own).
check_PROGRAMS += tests/unit/test_store_summary
TESTS += tests/unit/test_store_summary
tests_unit_test_store_summary_SOURCES = tests/unit/test_store_summary.c tests/unit/storefix.c \
	tests/unit/storefix.h
tests_unit_test_store_summary_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_store_summary_CFLAGS = $(CB_TEST_CF)
tests_unit_test_store_summary_LDADD = src/store/libcbstore.a src/worker/libcbworker.a \
	$(CB_RECIPE_LIBS) src/metrics/libcbmetrics.a src/util/libcbutil.a $(SQLITE3_LIBS) \
	$(JANSSON_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS)

# Unit tests of store/child.c: child runs (rerun, edit) and edited recipes.
check_PROGRAMS += tests/unit/test_store_child
TESTS += tests/unit/test_store_child
tests_unit_test_store_child_SOURCES = tests/unit/test_store_child.c tests/unit/storefix.c \
	tests/unit/storefix.h
tests_unit_test_store_child_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_store_child_CFLAGS = $(CB_TEST_CF)
tests_unit_test_store_child_LDADD = src/store/libcbstore.a src/worker/libcbworker.a \
	$(CB_RECIPE_LIBS) src/metrics/libcbmetrics.a src/util/libcbutil.a $(SQLITE3_LIBS) \
	$(JANSSON_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS)

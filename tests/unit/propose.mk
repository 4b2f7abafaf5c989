# Unit tests of the proposers (src/llm/propose.c, local.c, propose_llm.c)
# without network, on a store of synthetic results (tests/unit/storefix.c):
# the history, the local search, validation, the reply parser, the prompt
# and its bound, the proposals schema, queueing, the store's token usage.
check_PROGRAMS += tests/unit/test_propose
TESTS += tests/unit/test_propose
tests_unit_test_propose_SOURCES = tests/unit/test_propose.c tests/unit/storefix.c \
	tests/unit/storefix.h
tests_unit_test_propose_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_propose_CFLAGS = $(CB_TEST_CF)
tests_unit_test_propose_LDADD = src/llm/libcbllm.a src/store/libcbstore.a src/worker/libcbworker.a $(CB_STAGE_LIBS) \
	$(CB_RECIPE_LIBS) src/metrics/libcbmetrics.a src/util/libcbutil.a $(SQLITE3_LIBS) \
	$(LIBCURL_LIBS) $(JANSSON_LIBS) $(NETTLE_LIBS) $(CB_STAGE_EXTLIBS) $(CMOCKA_LIBS) $(LIBS)

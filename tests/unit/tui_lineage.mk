# Unit tests of the dashboard's lineage model (src/tui/lineage.c, no
# curses): the tree laid out depth first with its drawing prefixes,
# families, cycles, the BD-rate against the parent on hand-worked curves,
# 10,000 runs, and the fields changed between two recipes.
check_PROGRAMS += tests/unit/test_tui_lineage
TESTS += tests/unit/test_tui_lineage
tests_unit_test_tui_lineage_SOURCES = tests/unit/test_tui_lineage.c src/tui/lineage.c
tests_unit_test_tui_lineage_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(NETTLE_CFLAGS)
tests_unit_test_tui_lineage_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_lineage_LDADD = src/llm/libcbllm.a src/store/libcbstore.a \
	src/worker/libcbworker.a $(CB_RECIPE_LIBS) src/metrics/libcbmetrics.a src/util/libcbutil.a \
	$(SQLITE3_LIBS) $(LIBCURL_LIBS) $(JANSSON_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS) -lm
# The proposal pane's round document (src/tui/propround.c, no curses): a
# round through JSON and back, and a hostile document read safely.
check_PROGRAMS += tests/unit/test_tui_propround
TESTS += tests/unit/test_tui_propround
tests_unit_test_tui_propround_SOURCES = tests/unit/test_tui_propround.c src/tui/propround.c
tests_unit_test_tui_propround_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_tui_propround_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_propround_LDADD = src/llm/libcbllm.a src/store/libcbstore.a \
	src/worker/libcbworker.a $(CB_RECIPE_LIBS) src/metrics/libcbmetrics.a src/util/libcbutil.a \
	$(SQLITE3_LIBS) $(LIBCURL_LIBS) $(JANSSON_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS) -lm
# lineage.c's code change diffs against the built-in stages (src/stage).
tests_unit_test_tui_lineage_LDADD += $(CB_STAGE_LIBS) src/util/libcbutil.a $(NETTLE_LIBS) \
	$(CB_STAGE_EXTLIBS)
# propround links the proposers, whose stage mode uses the built-in stage
# texts (src/stage).
tests_unit_test_tui_propround_LDADD += $(CB_STAGE_LIBS) src/util/libcbutil.a $(NETTLE_LIBS) \
	$(CB_STAGE_EXTLIBS)

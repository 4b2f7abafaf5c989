# Unit tests of the dashboard's compare model (src/tui/compare.c, no
# curses): recipe fields side by side and the BD matrix on hand-worked
# curves.  The model is compiled in directly (libcbtui.a needs curses).
check_PROGRAMS += tests/unit/test_tui_compare
TESTS += tests/unit/test_tui_compare
tests_unit_test_tui_compare_SOURCES = tests/unit/test_tui_compare.c src/tui/compare.c
tests_unit_test_tui_compare_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(NETTLE_CFLAGS)
tests_unit_test_tui_compare_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_compare_LDADD = $(CB_RECIPE_LIBS) src/metrics/libcbmetrics.a \
	src/util/libcbutil.a $(JANSSON_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS) -lm

# Unit tests of the stage view's model (src/tui/stagedoc.c, no curses):
# sanitised source lines, tab stops, diff lines, search.
check_PROGRAMS += tests/unit/test_tui_stagedoc
TESTS += tests/unit/test_tui_stagedoc
tests_unit_test_tui_stagedoc_SOURCES = tests/unit/test_tui_stagedoc.c src/tui/stagedoc.c
tests_unit_test_tui_stagedoc_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_stagedoc_LDADD = src/util/libcbutil.a $(CMOCKA_LIBS)

# Unit tests of the dashboard's image placement (src/tui/termimg.c, no
# curses): pane boxes from cell sizes, CUP placement, tmux passthrough
# wrapping, late terminal replies told from keys.  The model is compiled in
# directly (libcbtui.a needs curses).
check_PROGRAMS += tests/unit/test_tui_termimg
TESTS += tests/unit/test_tui_termimg
tests_unit_test_tui_termimg_SOURCES = tests/unit/test_tui_termimg.c src/tui/termimg.c
tests_unit_test_tui_termimg_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_termimg_LDADD = src/util/libcbutil.a $(CMOCKA_LIBS) $(LIBS)

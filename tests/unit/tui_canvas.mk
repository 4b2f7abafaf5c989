# Unit tests of the dashboard's chart model (src/tui/canvas.c: braille
# canvas, lines and clipping, nice axes and labels, plot layout, Pareto
# front), no terminal needed.
check_PROGRAMS += tests/unit/test_tui_canvas
TESTS += tests/unit/test_tui_canvas
tests_unit_test_tui_canvas_SOURCES = tests/unit/test_tui_canvas.c
tests_unit_test_tui_canvas_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_canvas_LDADD = src/tui/libcbtui.a src/util/libcbutil.a $(CMOCKA_LIBS) $(LIBS)

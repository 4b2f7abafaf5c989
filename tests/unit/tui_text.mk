# Unit tests of the dashboard's text helpers (src/tui/textwrap.c,
# src/tui/keyhint.c; no curses): wrapping in display columns, key hints
# from the bindings.  The helpers are compiled in directly (libcbtui.a
# needs curses).
check_PROGRAMS += tests/unit/test_tui_text
TESTS += tests/unit/test_tui_text
tests_unit_test_tui_text_SOURCES = tests/unit/test_tui_text.c src/tui/textwrap.c \
	src/tui/keyhint.c
tests_unit_test_tui_text_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_text_LDADD = src/config/libcbconfig.a src/util/libcbutil.a $(CMOCKA_LIBS)

# Unit tests of the dashboard's log buffer and run-log reader (src/tui/logbuf.c):
# caps and dropping, sanitising, levels, search, error navigation, following
# files that grow, are truncated or replaced, and a 10,000 lines/s flood.
check_PROGRAMS += tests/unit/test_tui_logbuf
TESTS += tests/unit/test_tui_logbuf
tests_unit_test_tui_logbuf_SOURCES = tests/unit/test_tui_logbuf.c
tests_unit_test_tui_logbuf_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_logbuf_LDADD = src/tui/libcbtui.a src/runner/libcbrunner.a \
	src/util/libcbutil.a $(JANSSON_LIBS) $(CMOCKA_LIBS)

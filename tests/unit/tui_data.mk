# Unit tests of the dashboard's shared data (progress from events, marks,
# lookups); no terminal needed.
check_PROGRAMS += tests/unit/test_tui_data
TESTS += tests/unit/test_tui_data
tests_unit_test_tui_data_SOURCES = tests/unit/test_tui_data.c
tests_unit_test_tui_data_CFLAGS = $(CB_TEST_CF)
tests_unit_test_tui_data_CPPFLAGS = $(AM_CPPFLAGS) $(NCURSESW_CFLAGS)
tests_unit_test_tui_data_LDADD = src/tui/libcbtui.a $(CB_CORE_LIBS) $(NCURSESW_LIBS) $(CMOCKA_LIBS)
# data.c's lookups sit next to the app, which draws previews (src/preview, libsixel).
tests_unit_test_tui_data_LDADD += src/preview/libcbpreview.a src/metrics/libcbmetrics.a \
	src/util/libcbutil.a $(LIBSIXEL_LIBS) -lm

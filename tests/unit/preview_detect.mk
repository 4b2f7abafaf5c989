# Unit tests of terminal detection (src/preview/detect.c) over a real
# pseudo-terminal played by a forked child: DA1 as the sentinel, sixel only
# with attribute 4, the cell size, timeouts, tmux, COLORTERM and the
# CODECBENCH_GRAPHICS override; the reply parser on hand-made and random
# input.
check_PROGRAMS += tests/unit/test_preview_detect
TESTS += tests/unit/test_preview_detect
tests_unit_test_preview_detect_SOURCES = tests/unit/test_preview_detect.c
tests_unit_test_preview_detect_CFLAGS = $(CB_TEST_CF)
tests_unit_test_preview_detect_LDADD = src/preview/libcbpreview.a src/util/libcbutil.a $(CMOCKA_LIBS) $(LIBS)

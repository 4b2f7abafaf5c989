# The frame client (src/preview/frames.c) against fake servers that log
# what they were asked, break the protocol, hang or die.
check_PROGRAMS += tests/unit/test_preview_frames
TESTS += tests/unit/test_preview_frames
tests_unit_test_preview_frames_SOURCES = tests/unit/test_preview_frames.c
tests_unit_test_preview_frames_CFLAGS = $(CB_TEST_CF)
tests_unit_test_preview_frames_LDADD = src/preview/libcbpreview.a src/util/libcbutil.a \
	$(CMOCKA_LIBS) $(LIBS)
EXTRA_DIST += tests/data/fake_frames_server.py

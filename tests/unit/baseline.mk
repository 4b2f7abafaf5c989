# media/baseline.c: the FFmpeg baselines, encoded on the CIF test clip
# ($CB_CLIPS) and read back with cb_media_open(format) and with the ffmpeg
# CLI; encoders the installed FFmpeg lacks are skipped with the reason.
check_PROGRAMS += tests/unit/test_baseline
TESTS += tests/unit/test_baseline
tests_unit_test_baseline_SOURCES = tests/unit/test_baseline.c
tests_unit_test_baseline_CPPFLAGS = $(AM_CPPFLAGS) $(CB_FFMPEG_CPP)
tests_unit_test_baseline_CFLAGS = $(CB_TEST_CF)
tests_unit_test_baseline_LDADD = src/media/libcbmedia.a src/util/libcbutil.a \
	$(NETTLE_LIBS) \
	$(CB_FFMPEG_LIBS) $(CMOCKA_LIBS)

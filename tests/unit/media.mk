# media/: the reader, seeking, clip identity, the y4m writer and FFmpeg's
# log.  One source, two programs: test_media runs the cases that need no
# clips; test_media_clips those that read the clips samples/make-clips
# makes in $CB_CLIPS (skipped as a whole when there are none).  Both decode
# and encode a few frames with libavcodec directly (independent references,
# and a short-GOP clip make-clips does not make), hence the FFmpeg flags.
check_PROGRAMS += tests/unit/test_media tests/unit/test_media_clips
TESTS += tests/unit/test_media tests/unit/test_media_clips
cb_test_media_ldadd = src/media/libcbmedia.a src/util/libcbutil.a \
	$(NETTLE_LIBS) \
	$(CB_FFMPEG_LIBS) $(CMOCKA_LIBS)
tests_unit_test_media_SOURCES = tests/unit/test_media.c
tests_unit_test_media_CPPFLAGS = $(AM_CPPFLAGS) $(CB_FFMPEG_CPP) -DCB_TEST_WITH_CLIPS=0
tests_unit_test_media_CFLAGS = $(CB_TEST_CF)
tests_unit_test_media_LDADD = $(cb_test_media_ldadd)
tests_unit_test_media_clips_SOURCES = tests/unit/test_media.c
tests_unit_test_media_clips_CPPFLAGS = $(AM_CPPFLAGS) $(CB_FFMPEG_CPP) -DCB_TEST_WITH_CLIPS=1
tests_unit_test_media_clips_CFLAGS = $(CB_TEST_CF)
tests_unit_test_media_clips_LDADD = $(cb_test_media_ldadd)

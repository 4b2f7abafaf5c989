check_PROGRAMS += tests/unit/test_engine_codec
TESTS += tests/unit/test_engine_codec
tests_unit_test_engine_codec_SOURCES = tests/unit/test_engine_codec.c tests/unit/enginefix.c tests/unit/enginefix.h
tests_unit_test_engine_codec_CPPFLAGS = $(AM_CPPFLAGS) $(OPENBLAS_CFLAGS)
tests_unit_test_engine_codec_CFLAGS = $(CB_TEST_CF)
tests_unit_test_engine_codec_LDADD = src/media/libcbmedia.a src/metrics/libcbmetrics.a \
	$(NETTLE_LIBS) \
	$(CB_ENGINE_LIBS) src/util/libcbutil.a $(CB_FFMPEG_LIBS) $(CMOCKA_LIBS)

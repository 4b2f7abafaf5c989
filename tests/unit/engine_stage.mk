# The engine's stage hooks, with the sample stages of samples/stages/
# compiled in (the two intra predictors renamed by small wrappers).
check_PROGRAMS += tests/unit/test_engine_stage
TESTS += tests/unit/test_engine_stage
tests_unit_test_engine_stage_SOURCES = tests/unit/test_engine_stage.c tests/unit/enginefix.c tests/unit/enginefix.h \
	tests/unit/stage_sample_intra.c tests/unit/stage_sample_intra_smooth.c \
	samples/stages/transform.c samples/stages/loop_filter.c
tests_unit_test_engine_stage_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(OPENBLAS_CFLAGS)
tests_unit_test_engine_stage_CFLAGS = $(CB_TEST_CF)
tests_unit_test_engine_stage_LDADD = src/media/libcbmedia.a src/metrics/libcbmetrics.a \
	$(NETTLE_LIBS) \
	$(CB_ENGINE_LIBS) src/util/libcbutil.a $(CB_FFMPEG_LIBS) $(CMOCKA_LIBS) -lpthread

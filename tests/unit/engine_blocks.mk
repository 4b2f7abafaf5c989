# The engine decoder's block map (cb_decoder_blocks) on synthetic clips.
check_PROGRAMS += tests/unit/test_engine_blocks
TESTS += tests/unit/test_engine_blocks
tests_unit_test_engine_blocks_SOURCES = tests/unit/test_engine_blocks.c tests/unit/enginefix.c tests/unit/enginefix.h
tests_unit_test_engine_blocks_CFLAGS = $(CB_TEST_CF)
tests_unit_test_engine_blocks_LDADD = $(CB_ENGINE_LIBS) src/util/libcbutil.a $(CMOCKA_LIBS)

# Unit tests of the engine's prediction: intra, motion compensation, motion search.
check_PROGRAMS += tests/unit/test_engine_pred
TESTS += tests/unit/test_engine_pred
tests_unit_test_engine_pred_SOURCES = tests/unit/test_engine_pred.c
tests_unit_test_engine_pred_CFLAGS = $(CB_TEST_CF)
tests_unit_test_engine_pred_LDADD = $(CB_ENGINE_LIBS) src/util/libcbutil.a $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_engine_rac
TESTS += tests/unit/test_engine_rac
tests_unit_test_engine_rac_SOURCES = tests/unit/test_engine_rac.c
tests_unit_test_engine_rac_CFLAGS = $(CB_TEST_CF)
tests_unit_test_engine_rac_LDADD = $(CB_ENGINE_LIBS) src/util/libcbutil.a $(CMOCKA_LIBS)

# The engine's settings table and its check (no JSON: engine and util only).
check_PROGRAMS += tests/unit/test_engine_settings
TESTS += tests/unit/test_engine_settings
tests_unit_test_engine_settings_SOURCES = tests/unit/test_engine_settings.c
tests_unit_test_engine_settings_CFLAGS = $(CB_TEST_CF)
tests_unit_test_engine_settings_LDADD = src/engine/libcbengine.a src/util/libcbutil.a $(CMOCKA_LIBS)

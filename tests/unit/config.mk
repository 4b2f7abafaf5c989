# Unit tests of config/: the shipped defaults and themes, every line type,
# every error with file:line, precedence with sources, key names, hostile
# files.  The libFuzzer target is built by tests/fuzz/run.
check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(CB_TEST_CF)
tests_unit_test_config_LDADD = src/config/libcbconfig.a src/util/libcbutil.a $(CMOCKA_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_config.c tests/fuzz/seeds/config/user.conf

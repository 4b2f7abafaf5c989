# Unit tests of the CLI's table formatter (src/cli/table.c, compiled in
# here: the CLI's sources are not a library).
check_PROGRAMS += tests/unit/test_cli_table
TESTS += tests/unit/test_cli_table
tests_unit_test_cli_table_SOURCES = tests/unit/test_cli_table.c src/cli/table.c src/cli/common.c
tests_unit_test_cli_table_CFLAGS = $(CB_TEST_CF)
tests_unit_test_cli_table_LDADD = $(CB_CORE_LIBS) $(CMOCKA_LIBS)

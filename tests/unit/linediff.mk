# Unit tests of the line diff (src/util/linediff.c): unified hunks equal to
# the diff program's (`diff -a -U N`) on hand-made and random texts, the
# counts, the limits.
check_PROGRAMS += tests/unit/test_linediff
TESTS += tests/unit/test_linediff
tests_unit_test_linediff_SOURCES = tests/unit/test_linediff.c
tests_unit_test_linediff_CFLAGS = $(CB_TEST_CF)
tests_unit_test_linediff_LDADD = src/util/libcbutil.a $(CMOCKA_LIBS)

# The sandbox, the stage host and its client (src/stage/sandbox.c, host.c,
# client.c) with stage objects compiled by the test (tests/stage/obj/, hostile;
# samples/stages/intra.c, good).  The program is its own stage host.  Skipped
# in a sanitizer build.
check_PROGRAMS += tests/unit/test_stage_sandbox
TESTS += tests/unit/test_stage_sandbox
tests_unit_test_stage_sandbox_SOURCES = tests/unit/test_stage_sandbox.c
tests_unit_test_stage_sandbox_CFLAGS = $(CB_TEST_CF)
tests_unit_test_stage_sandbox_LDADD = $(CB_TEST_LIBS)
EXTRA_DIST += tests/stage/obj/README tests/stage/obj/crash.c tests/stage/obj/loop.c \
	tests/stage/obj/recurse.c tests/stage/obj/ret7.c tests/stage/obj/garbage.c \
	tests/stage/obj/syscalls.c tests/stage/obj/memory.c tests/stage/obj/nosym.c \
	tests/stage/obj/memscan.c tests/stage/obj/memcheat.c

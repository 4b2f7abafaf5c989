noinst_LIBRARIES += src/runner/libcbrunner.a
src_runner_libcbrunner_a_SOURCES = \
	src/runner/runner.c \
	src/runner/runner_int.h \
	src/runner/spawn.c \
	src/runner/spawn.h \
	src/runner/lock.c \
	src/runner/follow.c \
	src/runner/events.c
src_runner_libcbrunner_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
# The events formatter's libFuzzer target (built by tests/fuzz/run).
EXTRA_DIST += include/codecbench/runner.h
EXTRA_DIST += tests/fuzz/fuzz_events.c tests/fuzz/seeds/events/start.json \
	tests/fuzz/seeds/events/clip.json tests/fuzz/seeds/events/progress.json \
	tests/fuzz/seeds/events/point.json tests/fuzz/seeds/events/error.json \
	tests/fuzz/seeds/events/unknown.json
# The evolve loop's round process (codecbench/evolve.h): started and reaped
# by the runner.  Users link src/store/libcbstore.a after it.
src_runner_libcbrunner_a_SOURCES += src/runner/evolve.c

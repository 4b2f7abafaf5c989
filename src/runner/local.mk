noinst_LIBRARIES += src/runner/libcbrunner.a
src_runner_libcbrunner_a_SOURCES = \
	src/runner/runner.c \
	src/runner/runner_int.h \
	src/runner/spawn.c \
	src/runner/spawn.h \
	src/runner/lock.c \
	src/runner/follow.c
src_runner_libcbrunner_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)

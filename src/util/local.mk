noinst_LIBRARIES += src/util/libcbutil.a
src_util_libcbutil_a_SOURCES = \
	src/util/error.c \
	src/util/log.c \
	src/util/frame.c \
	src/util/sanitize.c \
	src/util/buf.c \
	src/util/cpu.c \
	src/util/fsutil.c \
	src/util/jsonfile.c \
	src/util/linediff.c
# jsonfile.c is the one file over jansson: its users link $(JANSSON_LIBS).
src_util_libcbutil_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
cb_util_headers = \
	include/codecbench/error.h \
	include/codecbench/log.h \
	include/codecbench/frame.h \
	include/codecbench/sanitize.h \
	include/codecbench/buf.h \
	include/codecbench/cpu.h \
	include/codecbench/fsutil.h \
	include/codecbench/jsonfile.h \
	include/codecbench/linediff.h
EXTRA_DIST += $(cb_util_headers)

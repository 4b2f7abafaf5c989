# The worker module: one run, headless (cb_worker_run), its verification
# (cb_verify_run), result.json (cb_result_*), and .cbv files.  It drives
# recipe/, media/, metrics/ and engine/; users link src/worker/libcbworker.a
# before them (CB_CORE_LIBS).
noinst_LIBRARIES += src/worker/libcbworker.a
src_worker_libcbworker_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
src_worker_libcbworker_a_SOURCES = \
	src/worker/cbvfile.c \
	src/worker/cbvfile.h \
	src/worker/runfiles.c \
	src/worker/runfiles.h \
	src/worker/source.c \
	src/worker/source.h \
	src/worker/result.c \
	src/worker/worker.c \
	src/worker/verify.c
EXTRA_DIST += include/codecbench/worker.h include/codecbench/result.h
# The frame server (`codecbench frames`, for previews).
src_worker_libcbworker_a_SOURCES += src/worker/frames.c
src_worker_libcbworker_a_SOURCES += src/worker/streamname.c
# Judging a run's stage through the sandboxed stage host (issue 8).
src_worker_libcbworker_a_SOURCES += src/worker/stagerun.c src/worker/stagerun.h

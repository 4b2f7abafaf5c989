# The store: an SQLite index (Debian's libsqlite3) of experiments, clips,
# runs, rate points, per-frame rows, annotations and proposals over the run
# directories (jansson for their JSON files).  Users link
# src/store/libcbstore.a before src/worker/libcbworker.a (result.json is read
# with cb_result_read), $(CB_RECIPE_LIBS), metrics and util, plus
# $(SQLITE3_LIBS) $(JANSSON_LIBS) $(NETTLE_LIBS).
noinst_LIBRARIES += src/store/libcbstore.a
src_store_libcbstore_a_SOURCES = \
	src/store/store_internal.h \
	src/store/schema.c \
	src/store/rundir.c \
	src/store/store.c \
	src/store/runs.c \
	src/store/results.c \
	src/store/annotate.c \
	src/store/housekeeping.c \
	src/store/reindex.c \
	src/store/summary.c \
	src/store/child.c \
	src/store/usage.c
src_store_libcbstore_a_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS) $(JANSSON_CFLAGS)
EXTRA_DIST += include/codecbench/store.h
# The evolve loop's state file (STORE/evolve/NAME.json) and its Pareto front.
src_store_libcbstore_a_SOURCES += src/store/evolve.c
EXTRA_DIST += include/codecbench/evolve.h
# The stage edits of the LLM proposer's replies per model, and how many
# failed to apply (issue 8).
src_store_libcbstore_a_SOURCES += src/store/edits.c

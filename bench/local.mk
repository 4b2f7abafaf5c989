# Benchmarks: run bench/metrics from a build tree (it builds nothing itself;
# `make bench/bench_metrics` first).
EXTRA_DIST += bench/metrics
noinst_PROGRAMS += bench/bench_metrics
bench_bench_metrics_SOURCES = bench/bench_metrics.c
bench_bench_metrics_LDADD = src/metrics/libcbmetrics.a src/util/libcbutil.a $(LIBS)
EXTRA_DIST += bench/engine
EXTRA_DIST += bench/runner
# bench/store: a synthetic store of 10,000 runs and 1,000,000 frame rows
# built through the public API by bench/store_gen, then list and compare
# timed (`make bench/store_gen` first).
EXTRA_DIST += bench/store
noinst_PROGRAMS += bench/store_gen
bench_store_gen_SOURCES = bench/store_gen.c
bench_store_gen_LDADD = src/store/libcbstore.a src/worker/libcbworker.a $(CB_RECIPE_LIBS) \
	src/metrics/libcbmetrics.a src/util/libcbutil.a $(SQLITE3_LIBS) $(JANSSON_LIBS) \
	$(NETTLE_LIBS) $(LIBS)
# bench/tui: the dashboard on the synthetic store of bench/store (10,000
# runs) driven through a pseudo-terminal by bench/tui.py: first screen, key
# latency, memory, and key latency during a log flood of a fake running run
# made by bench/tui_gen (`make codecbench bench/store_gen bench/tui_gen` first).
EXTRA_DIST += bench/tui bench/tui.py
# bench/tui_stream.py: keys in the proposal pane while an LLM reply streams
# from a server of its own (uses bench/tui.py's pseudo-terminal driver).
EXTRA_DIST += bench/tui_stream.py
noinst_PROGRAMS += bench/tui_gen
bench_tui_gen_SOURCES = bench/tui_gen.c
bench_tui_gen_LDADD = src/store/libcbstore.a src/worker/libcbworker.a $(CB_RECIPE_LIBS) \
	src/metrics/libcbmetrics.a src/util/libcbutil.a $(SQLITE3_LIBS) $(JANSSON_LIBS) \
	$(NETTLE_LIBS) $(LIBS)
# bench/preview: compose + sixel of a 720p pair at 640x360 each against chafa
# and img2sixel on the same picture, and the frame server's cold decode
# (`make codecbench bench/bench_preview` first).
EXTRA_DIST += bench/preview
noinst_PROGRAMS += bench/bench_preview
bench_bench_preview_SOURCES = bench/bench_preview.c
bench_bench_preview_CPPFLAGS = $(AM_CPPFLAGS) $(LIBSIXEL_CFLAGS)
bench_bench_preview_LDADD = src/preview/libcbpreview.a src/media/libcbmedia.a \
	src/metrics/libcbmetrics.a src/util/libcbutil.a $(CB_FFMPEG_LIBS) $(NETTLE_LIBS) \
	$(LIBSIXEL_LIBS) $(LIBS) -lm
# bench/llm: the LLM client's CPU per request (streamed and whole) against
# the curl CLI making the same requests, and the latency from a chunk sent by
# tests/llm/server.py to the delta callback (`make bench/bench_llm` first).
EXTRA_DIST += bench/llm bench/llm_tui.py
noinst_PROGRAMS += bench/bench_llm
bench_bench_llm_SOURCES = bench/bench_llm.c
bench_bench_llm_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(LIBCURL_CFLAGS)
bench_bench_llm_LDADD = src/llm/libcbllm.a src/util/libcbutil.a $(JANSSON_LIBS) $(LIBCURL_LIBS) $(LIBS)

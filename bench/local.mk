# Benchmarks: run bench/metrics from a build tree (it builds nothing itself;
# `make bench/bench_metrics` first).
EXTRA_DIST += bench/metrics
noinst_PROGRAMS += bench/bench_metrics
bench_bench_metrics_SOURCES = bench/bench_metrics.c
bench_bench_metrics_LDADD = src/metrics/libcbmetrics.a src/util/libcbutil.a $(LIBS)
EXTRA_DIST += bench/engine
EXTRA_DIST += bench/runner

EXTRA_DIST += bench/metrics

EXTRA_DIST += samples/make-clips samples/README.md

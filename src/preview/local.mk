# Frame previews (issue 6): preview images from frames (RGB, scaling,
# side by side, heat map) and their encodings as sixel (libsixel) and as
# Unicode half blocks; what the terminal can show (DA1, cell size).
# Linked into the binary by src/cli/local.mk (codecbench preview).
noinst_LIBRARIES += src/preview/libcbpreview.a
src_preview_libcbpreview_a_SOURCES = \
	src/preview/image.c \
	src/preview/sixel.c \
	src/preview/blocks.c \
	src/preview/detect.c
# What a preview shows (layout, overlay, text summary); uses src/metrics.
src_preview_libcbpreview_a_SOURCES += src/preview/compose.c
src_preview_libcbpreview_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBSIXEL_CFLAGS)
EXTRA_DIST += include/codecbench/preview.h
# The terminal reply parser's libFuzzer target (built by tests/fuzz/run).
EXTRA_DIST += tests/fuzz/fuzz_termreply.c tests/fuzz/seeds/termreply/xterm-vt340 \
	tests/fuzz/seeds/termreply/vt220 tests/fuzz/seeds/termreply/cancelled
# The frame client (a `codecbench frames` child, its cache and prefetch).
src_preview_libcbpreview_a_SOURCES += src/preview/frames.c

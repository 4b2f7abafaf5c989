# Frame previews (issue 6): preview images from frames (RGB, scaling,
# side by side, heat map) and their encodings as sixel (libsixel) and as
# Unicode half blocks.  Not linked into the binary yet.
noinst_LIBRARIES += src/preview/libcbpreview.a
src_preview_libcbpreview_a_SOURCES = \
	src/preview/image.c \
	src/preview/sixel.c \
	src/preview/blocks.c
src_preview_libcbpreview_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBSIXEL_CFLAGS)
EXTRA_DIST += include/codecbench/preview.h

# Unit tests of the preview images (src/preview/image.c, sixel.c,
# blocks.c): YUV to RGB by hand, scaling, composition, the heat map, sixel
# round trips through libsixel's own decoder, half blocks byte by byte.
check_PROGRAMS += tests/unit/test_preview_image
TESTS += tests/unit/test_preview_image
tests_unit_test_preview_image_SOURCES = tests/unit/test_preview_image.c
tests_unit_test_preview_image_CFLAGS = $(CB_TEST_CF) $(LIBSIXEL_CFLAGS)
tests_unit_test_preview_image_LDADD = src/preview/libcbpreview.a src/util/libcbutil.a \
	$(LIBSIXEL_LIBS) $(CMOCKA_LIBS) $(LIBS) -lm

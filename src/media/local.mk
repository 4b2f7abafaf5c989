noinst_LIBRARIES += src/media/libcbmedia.a
src_media_libcbmedia_a_CPPFLAGS = $(AM_CPPFLAGS) $(CB_FFMPEG_CPP) $(NETTLE_CFLAGS)
src_media_libcbmedia_a_SOURCES = \
	src/media/reader.c \
	src/media/clip.c \
	src/media/y4m.c \
	src/media/ffmpeg_log.c \
	src/media/baseline.c
# PNG and animated PNG output (libavcodec's png and apng encoders).
src_media_libcbmedia_a_SOURCES += src/media/png.c
EXTRA_DIST += include/codecbench/media.h include/codecbench/baseline.h

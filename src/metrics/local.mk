noinst_LIBRARIES += src/metrics/libcbmetrics.a
src_metrics_libcbmetrics_a_SOURCES = \
	src/metrics/dsp.c \
	src/metrics/dsp.h \
	src/metrics/dsp_x86.c \
	src/metrics/psnr.c \
	src/metrics/ssim.c \
	src/metrics/frame_metrics.c \
	src/metrics/bdrate.c \
	src/metrics/pchip.h \
	src/metrics/rdcsv.c
EXTRA_DIST += include/codecbench/metrics.h

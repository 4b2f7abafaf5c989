# Integer transforms (HEVC DCT, learned KLT bases), dead-zone quantisation and
# KLT training (the only part of the engine that calls BLAS/LAPACKE).
src_engine_libcbengine_a_SOURCES += src/engine/transform.c src/engine/transform.h \
	src/engine/transform_x86.c src/engine/dsp_x86.h \
	src/engine/quant.c src/engine/quant.h \
	src/engine/klt.c src/engine/klt.h

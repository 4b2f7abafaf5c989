# The codec engine: links only libm and OpenBLAS/LAPACKE.  Each part of the
# engine lists its sources in its own fragment.
noinst_LIBRARIES += src/engine/libcbengine.a
src_engine_libcbengine_a_CPPFLAGS = $(AM_CPPFLAGS) $(OPENBLAS_CFLAGS) $(LAPACKE_CFLAGS)
src_engine_libcbengine_a_SOURCES =
include src/engine/rac.mk
include src/engine/xform.mk
include src/engine/pred.mk
include src/engine/filter.mk
include src/engine/settings.mk
include src/engine/codec.mk
CB_ENGINE_LIBS = src/engine/libcbengine.a $(LAPACKE_LIBS) $(OPENBLAS_LIBS) -lm
EXTRA_DIST += include/codecbench/engine.h

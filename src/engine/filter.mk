# The in-loop deblocking filter and the learned restoration filter.
src_engine_libcbengine_a_SOURCES += src/engine/deblock.c src/engine/deblock.h \
	src/engine/restore.c src/engine/restore.h

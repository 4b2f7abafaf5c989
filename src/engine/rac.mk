src_engine_libcbengine_a_SOURCES += src/engine/rac.c src/engine/rac.h src/engine/bits.c src/engine/bits.h

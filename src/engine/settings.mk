src_engine_libcbengine_a_SOURCES += src/engine/settings.c

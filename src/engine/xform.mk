src_engine_libcbengine_a_SOURCES +=

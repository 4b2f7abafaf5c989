# Prediction: intra prediction, motion compensation (decoder path, integer)
# and motion estimation (encoder only).
src_engine_libcbengine_a_SOURCES += src/engine/intra.c src/engine/intra.h \
	src/engine/mc.c src/engine/mc.h src/engine/me.c src/engine/me.h \
	src/engine/mc_x86.c src/engine/me_x86.c

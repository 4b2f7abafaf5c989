# The codec proper: syntax (one definition for encoder, decoder and rate
# estimates), reconstruction, stream header, encoder and decoder.
src_engine_libcbengine_a_SOURCES += src/engine/codec.h src/engine/common.c \
	src/engine/syntax.c src/engine/syntax.h src/engine/stream.c src/engine/stream.h \
	src/engine/encoder.c src/engine/decoder.c \
	src/engine/stage.c src/engine/stage.h

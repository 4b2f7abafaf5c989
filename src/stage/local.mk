# The stage module (include/codecbench/sandbox.h): building untrusted stage
# source in a closed world, checking the object, the sandboxed stage host
# and its client.  It drives engine/ (through the host); worker/ links it
# before engine/ (CB_CORE_LIBS).  The only place that includes seccomp.h,
# libelf.h, cap-ng.h and dlfcn.h.
noinst_LIBRARIES += src/stage/libcbstage.a
src_stage_libcbstage_a_CPPFLAGS = $(AM_CPPFLAGS) $(NETTLE_CFLAGS) $(LIBSECCOMP_CFLAGS) \
	$(LIBELF_CFLAGS) $(LIBCAPNG_CFLAGS)
src_stage_libcbstage_a_SOURCES = \
	src/stage/hash.c
EXTRA_DIST += include/codecbench/sandbox.h include/codecbench/stage.h
CB_STAGE_LIBS = src/stage/libcbstage.a
CB_STAGE_EXTLIBS = $(LIBSECCOMP_LIBS) $(LIBELF_LIBS) $(LIBCAPNG_LIBS) -ldl
# The sandbox, the stage host and its client (sbox).
src_stage_libcbstage_a_SOURCES += src/stage/sandbox.c src/stage/host.c src/stage/client.c \
	src/stage/host_proto.h

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
# Building stage source in a closed world (build.c) and checking the object
# (elfcheck.c).  The world's headers (src/stage/world/), stage.h's text and
# the engine's built-in stages (samples/stages/) are compiled in as C
# strings by embed.sh (through src/config/embed.awk): builtin.inc.
src_stage_libcbstage_a_SOURCES += \
	src/stage/build.c \
	src/stage/elfcheck.c \
	src/stage/elfcheck.h \
	src/stage/scan.c \
	src/stage/scan.h
nodist_src_stage_libcbstage_a_SOURCES = src/stage/builtin.inc
cb_stage_world = src/stage/world/stdint.h src/stage/world/stddef.h src/stage/world/stdbool.h \
	src/stage/world/limits.h
cb_stage_builtins = samples/stages/intra.c samples/stages/loop_filter.c \
	samples/stages/transform.c
src/stage/builtin.inc: $(top_srcdir)/src/stage/embed.sh $(top_srcdir)/src/config/embed.awk \
		$(cb_stage_world:%=$(top_srcdir)/%) $(cb_stage_builtins:%=$(top_srcdir)/%) \
		$(top_srcdir)/include/codecbench/stage.h
	$(AM_V_GEN)$(MKDIR_P) src/stage && \
	  $(SHELL) $(top_srcdir)/src/stage/embed.sh '$(AWK)' $(top_srcdir) > $@.tmp && \
	  mv $@.tmp $@
CLEANFILES += src/stage/builtin.inc
# Dependency tracking learns of the generated file only after a first build.
src/stage/libcbstage_a-build.$(OBJEXT): src/stage/builtin.inc
EXTRA_DIST += src/stage/embed.sh $(cb_stage_world)

# Unit tests of the stage build (src/stage/build.c, elfcheck.c): real
# compiler runs on the built-in stages and the hostile sources of
# tests/stage/src/, and the object checks on objects built with plain cc.
# The libFuzzer targets of the object check and of the text checks are
# built and run by tests/fuzz/run.
check_PROGRAMS += tests/unit/test_stage_build
TESTS += tests/unit/test_stage_build
tests_unit_test_stage_build_SOURCES = tests/unit/test_stage_build.c
tests_unit_test_stage_build_CFLAGS = $(CB_TEST_CF)
tests_unit_test_stage_build_LDADD = $(CB_STAGE_LIBS) src/util/libcbutil.a $(NETTLE_LIBS) \
	$(CB_STAGE_EXTLIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/stage/src/intra_ok.c tests/stage/src/loop_filter_ok.c \
	tests/stage/src/transform_ok.c tests/stage/src/asm.c tests/stage/src/asm_underscores.c \
	tests/stage/src/asm_pasted.c tests/stage/src/constructor.c \
	tests/stage/src/constructor_underscores.c tests/stage/src/destructor.c \
	tests/stage/src/section.c tests/stage/src/section_underscores.c tests/stage/src/target.c \
	tests/stage/src/optimize.c tests/stage/src/pragma.c tests/stage/src/pragma_operator.c \
	tests/stage/src/pragma_pasted.c tests/stage/src/pragma_hidden.c \
	tests/stage/src/float.c tests/stage/src/system.c tests/stage/src/exponential.c \
	tests/stage/src/huge_table.c tests/fuzz/fuzz_stage_object.c tests/fuzz/fuzz_stage_scan.c

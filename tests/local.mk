# Tests speak TAP: cmocka programs (CMOCKA_MESSAGE_OUTPUT=TAP) and shell
# scripts using tests/tap.sh.  Each test case counts; a case that cannot run
# on this machine is reported as skipped, never as passed.
TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/cmocka-tap
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	CB_SRCDIR='$(abs_top_srcdir)'; export CB_SRCDIR; \
	CB_BUILDDIR='$(abs_top_builddir)'; export CB_BUILDDIR; \
	CB_BIN='$(abs_top_builddir)/codecbench'; export CB_BIN; \
	CB_SANITIZERS='$(CB_SANITIZERS)'; export CB_SANITIZERS; \
	CB_CLIPS='$(abs_top_builddir)/tests/clips'; export CB_CLIPS; \
	FFMPEG='$(FFMPEG)'; export FFMPEG; \
	PYTHON3='$(PYTHON3)'; export PYTHON3; \
	CC='$(CC)'; export CC; \
	CB_HEADER_CFLAGS='$(CB_CFLAGS) -I$(abs_top_srcdir)/include'; export CB_HEADER_CFLAGS;

# Test clips are made once per build tree from FFmpeg's lavfi sources.
check_DATA = tests/clips/.stamp
tests/clips/.stamp: $(top_srcdir)/samples/make-clips
	$(AM_V_GEN)$(SHELL) $(top_srcdir)/samples/make-clips --tests tests/clips && touch $@
clean-local: clean-local-clips
clean-local-clips:
	-rm -rf tests/clips tests/tmp
.PHONY: clean-local-clips

CB_TEST_CF = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
CB_TEST_LIBS = $(CB_CORE_LIBS) $(CMOCKA_LIBS)

EXTRA_DIST += tests/tap.sh tests/cmocka-tap build-aux/tap-driver.sh

include tests/unit/util.mk
include tests/unit/metrics.mk
include tests/unit/media.mk
include tests/unit/engine_rac.mk
include tests/unit/engine_xform.mk
include tests/unit/engine_pred.mk
include tests/unit/engine_filter.mk
include tests/unit/engine_settings.mk
include tests/unit/recipe.mk
include tests/unit/recipe_stage.mk
include tests/unit/stagerun.mk
include tests/unit/engine_codec.mk
include tests/unit/engine_stage.mk
include tests/unit/store.mk
include tests/unit/worker.mk
include tests/unit/baseline.mk
include tests/unit/config.mk
include tests/unit/tui_data.mk
include tests/unit/cli_table.mk
include tests/unit/runner.mk
include tests/unit/tui_canvas.mk
include tests/unit/tui_logbuf.mk
include tests/unit/tui_runs.mk
include tests/unit/store_summary.mk
include tests/unit/store_child.mk
include tests/unit/tui_compare.mk
include tests/unit/tui_text.mk
include tests/unit/preview_detect.mk
include tests/cli/local.mk
EXTRA_DIST += tests/fuzz/run tests/fuzz/fuzz_rdcsv.c tests/fuzz/fuzz_sanitize.c \
	tests/fuzz/fuzz_rac.c tests/fuzz/fuzz_decoder.c \
	tests/fuzz/seeds/rdcsv/basic.csv tests/fuzz/seeds/rdcsv/crlf.csv \
	tests/fuzz/seeds/sanitize/esc.txt
include tests/tui/local.mk
include tests/unit/preview_image.mk
include tests/unit/tui_termimg.mk
include tests/unit/engine_blocks.mk
include tests/unit/preview_frames.mk
include tests/unit/llm_text.mk
include tests/unit/llm_client.mk
include tests/unit/preview_compose.mk
include tests/unit/propose.mk
include tests/unit/tui_lineage.mk
include tests/unit/evolve.mk
include tests/unit/linediff.mk
include tests/unit/propose_stage.mk
include tests/unit/stage_build.mk
include tests/unit/stage_sandbox.mk
include tests/unit/tui_stagedoc.mk

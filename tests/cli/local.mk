TEST_EXTENSIONS += .py
PY_LOG_DRIVER = $(LOG_DRIVER)
PY_LOG_COMPILER = $(PYTHON3)
cb_cli_tests = \
	tests/cli/headers.sh \
	tests/cli/style.sh \
	tests/cli/usage.sh \
	tests/cli/probe.sh \
	tests/cli/bad_inputs.sh \
	tests/cli/bdrate.sh \
	tests/cli/ffmpeg_reference.py \
	tests/cli/recipe_schema.py \
	tests/cli/bdrate_scipy.py \
	tests/cli/engine.sh \
	tests/cli/golden.sh \
	tests/cli/survey.sh \
	tests/cli/runner.sh \
	tests/cli/demo.sh \
	tests/cli/worker.sh
TESTS += $(cb_cli_tests)
EXTRA_DIST += $(cb_cli_tests) tests/cli/tap.py tests/data/golden.cbv tests/data/golden.json
# codecbench config (src/config/).
TESTS += tests/cli/config.sh
EXTRA_DIST += tests/cli/config.sh
# The store's commands, on a store of hand-made results (tests/store_fixture.c).
cb_cli_tests_store = tests/cli/store_cmds.sh
TESTS += $(cb_cli_tests_store)
EXTRA_DIST += $(cb_cli_tests_store)
check_PROGRAMS += tests/store_fixture
tests_store_fixture_SOURCES = tests/store_fixture.c
tests_store_fixture_CPPFLAGS = $(AM_CPPFLAGS)
tests_store_fixture_LDADD = $(CB_CORE_LIBS)
# codecbench preview on real runs against ffmpeg, show --json and libsixel's
# decoder; the Xvfb + xterm screenshot test (skipped where they are missing).
TESTS += tests/cli/preview.sh tests/cli/screenshot.sh
EXTRA_DIST += tests/cli/preview.sh tests/cli/screenshot.sh

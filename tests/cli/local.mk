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
# The frame server and client (issue 6): frames_dump drives the client.
check_PROGRAMS += tests/tools/frames_dump
tests_tools_frames_dump_SOURCES = tests/tools/frames_dump.c
tests_tools_frames_dump_LDADD = src/preview/libcbpreview.a $(CB_CORE_LIBS) $(LIBSIXEL_LIBS) $(LIBS) -lm
TESTS += tests/cli/frames.sh
EXTRA_DIST += tests/cli/frames.sh
# codecbench llm check against the test LLM server (tests/llm/server.py).
TESTS += tests/cli/llm.sh
EXTRA_DIST += tests/cli/llm.sh
# codecbench preview on real runs against ffmpeg, show --json and libsixel's
# decoder; the Xvfb + xterm screenshot test (skipped where they are missing).
TESTS += tests/cli/preview.sh tests/cli/screenshot.sh
EXTRA_DIST += tests/cli/preview.sh tests/cli/screenshot.sh
# codecbench propose: the local and LLM proposers on a real small store.
TESTS += tests/cli/propose.sh
EXTRA_DIST += tests/cli/propose.sh
# The local proposer finding a better recipe from default.json with real runs.
TESTS += tests/cli/propose_search.sh
EXTRA_DIST += tests/cli/propose_search.sh
# codecbench evolve: the loop driven by the runner on a real small store.
TESTS += tests/cli/evolve.sh
EXTRA_DIST += tests/cli/evolve.sh
# The sample stages (samples/stages/) compile in a closed world and export
# only their kind's functions.
TESTS += tests/cli/stage_samples.sh
EXTRA_DIST += tests/cli/stage_samples.sh
# codecbench propose --stage against tests/llm/server.py: whole stage files,
# edits applied tolerantly or refused, the failed-edit share per model.
TESTS += tests/cli/propose_stage.sh
EXTRA_DIST += tests/cli/propose_stage.sh
# Stage runs end to end (issue 8): the judging ladder, verification through
# decoding hosts, the no-op rejection, hostile stages (tests/stage/runs/).
TESTS += tests/cli/stage_runs.sh
EXTRA_DIST += tests/cli/stage_runs.sh tests/stage/runs/asm.c tests/stage/runs/broken.c \
	tests/stage/runs/cheat.c tests/stage/runs/crash.c tests/stage/runs/ctor.c \
	tests/stage/runs/loop.c tests/stage/runs/nondet.c tests/stage/runs/passwd.c \
	tests/stage/runs/recurse.c
# codecbench stage check|show|embed: sample and hostile stages, PSNR against
# FFmpeg's psnr filter, diffs against the diff program on real stage runs.
TESTS += tests/cli/stage_cmds.sh
EXTRA_DIST += tests/cli/stage_cmds.sh
# codecbench stage-host, the real binary: its hello and refusals (sbox).
TESTS += tests/cli/stage_sandbox.sh
EXTRA_DIST += tests/cli/stage_sandbox.sh

bin_PROGRAMS += codecbench
codecbench_SOURCES = \
	src/cli/main.c \
	src/cli/cli.h \
	src/cli/common.c \
	src/cli/measure.c \
	src/cli/measure.h \
	src/cli/jsonout.c \
	src/cli/jsonout.h \
	src/cli/cmd_probe.c \
	src/cli/cmd_metrics.c \
	src/cli/cmd_bdrate.c \
	src/cli/cmd_survey.c \
	src/cli/cmd_demo.c \
	src/cli/cmd_recipe.c \
	src/cli/cmd_encode.c \
	src/cli/cmd_decode.c \
	src/cli/runwait.c \
	src/cli/runwait.h \
	src/cli/clirun.c \
	src/cli/clirun.h \
	src/cli/cmd_run.c \
	src/cli/cmd_rerun.c \
	src/cli/cmd_cancel.c \
	src/cli/cmd_logs.c \
	src/cli/cmd_runner.c \
	src/cli/cmd_worker.c \
	src/cli/cmd_verify.c
codecbench_SOURCES += src/cli/cmd_frames.c
# The sandboxed stage host (internal; src/stage/host.c).
codecbench_SOURCES += src/cli/cmd_stagehost.c
# The store's commands and what they share.
codecbench_SOURCES += \
	src/cli/clistore.c \
	src/cli/clistore.h \
	src/cli/table.c \
	src/cli/table.h \
	src/cli/storeout.c \
	src/cli/storeout.h \
	src/cli/cmd_list.c \
	src/cli/cmd_show.c \
	src/cli/cmd_compare.c \
	src/cli/cmd_export.c \
	src/cli/cmd_tag.c \
	src/cli/cmd_note.c \
	src/cli/cmd_lineage.c \
	src/cli/cmd_anchor.c \
	src/cli/cmd_rm.c \
	src/cli/cmd_gc.c \
	src/cli/cmd_reindex.c \
	src/cli/cmd_experiments.c
codecbench_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DCB_PKGDATADIR='"$(pkgdatadir)"'
codecbench_LDADD = src/tui/libcbtui.a $(CB_CORE_LIBS) $(NCURSESW_LIBS)
# The configuration: `codecbench config` and cli_config() for every command.
codecbench_SOURCES += src/cli/cliconfig.c src/cli/cmd_config.c
codecbench_SOURCES += src/cli/cmd_dashboard.c
# `codecbench llm check` (the LLM client, src/llm, is one of the core libraries).
codecbench_SOURCES += src/cli/cmd_llm.c
# codecbench preview: a frame of a run as sixel, half blocks, PNG or text
# (src/preview; libcbutil and libcbmetrics again after it for its symbols).
codecbench_SOURCES += src/cli/cmd_preview.c
codecbench_CPPFLAGS += $(LIBSIXEL_CFLAGS)
codecbench_LDADD += src/preview/libcbpreview.a src/metrics/libcbmetrics.a src/util/libcbutil.a \
	$(LIBSIXEL_LIBS) -lm
codecbench_SOURCES += src/cli/cmd_propose.c
# codecbench evolve: the loop's request, --status, --stop and its round process.
codecbench_SOURCES += src/cli/cmd_evolve.c
# codecbench stage check|show|embed (src/stage through its host client).
codecbench_SOURCES += src/cli/cmd_stage.c

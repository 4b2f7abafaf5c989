bin_PROGRAMS += codecbench
codecbench_SOURCES = \
	src/cli/main.c \
	src/cli/cli.h \
	src/cli/common.c \
	src/cli/cmd_probe.c \
	src/cli/cmd_metrics.c \
	src/cli/cmd_bdrate.c \
	src/cli/cmd_demo.c
codecbench_LDADD = $(CB_CORE_LIBS)

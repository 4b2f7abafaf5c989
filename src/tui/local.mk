# The dashboard (ncursesw): the event loop, the views, drawing in cells.
# Linked into the codecbench binary before $(CB_CORE_LIBS), with
# $(NCURSESW_LIBS).  The view models (table, query, chart scaling, log
# buffer) have no curses calls and are unit-tested without a terminal.
noinst_LIBRARIES += src/tui/libcbtui.a
src_tui_libcbtui_a_SOURCES = \
	src/tui/tui.h \
	src/tui/app_int.h \
	src/tui/data.c \
	src/tui/app.c \
	src/tui/term.c \
	src/tui/view_help.c \
	src/tui/canvas.h \
	src/tui/canvas.c \
	src/tui/view_chart.c
src_tui_libcbtui_a_SOURCES += \
	src/tui/query.h \
	src/tui/query.c \
	src/tui/runtable.h \
	src/tui/runtable.c \
	src/tui/view_runs.c
src_tui_libcbtui_a_CPPFLAGS = $(AM_CPPFLAGS) $(NCURSESW_CFLAGS) $(JANSSON_CFLAGS)
# The logs view and its line buffer (logbuf: no curses, unit-tested).
src_tui_libcbtui_a_SOURCES += src/tui/logbuf.h src/tui/logbuf.c src/tui/view_logs.c
# The run detail and compare views, the actions on runs, and their models
# (compare: recipe fields and the BD matrix; textwrap; keyhint: no curses,
# unit-tested).
src_tui_libcbtui_a_SOURCES += \
	src/tui/actions.h \
	src/tui/actions.c \
	src/tui/view_detail.c \
	src/tui/view_compare.c \
	src/tui/compare.h \
	src/tui/compare.c \
	src/tui/keyhint.h \
	src/tui/keyhint.c \
	src/tui/textwrap.h \
	src/tui/textwrap.c
# Frame previews (issue 6): the preview view, and images on the terminal
# (termimg: placement, tmux passthrough, late replies; no curses,
# unit-tested).
src_tui_libcbtui_a_SOURCES += \
	src/tui/termimg.h \
	src/tui/termimg.c \
	src/tui/view_preview.c
src_tui_libcbtui_a_CPPFLAGS += $(LIBSIXEL_CFLAGS)
# The proposal pane and the lineage view (issue 7), and the lineage tree
# model (lineage: no curses, unit-tested).
src_tui_libcbtui_a_SOURCES += \
	src/tui/lineage.h \
	src/tui/lineage.c \
	src/tui/view_lineage.c \
	src/tui/propround.h \
	src/tui/propround.c \
	src/tui/view_proposals.c
# A run's stage source and its diff against the parent's (issue 8): the view
# and its model (stagedoc: no curses, unit-tested).
src_tui_libcbtui_a_SOURCES += src/tui/stagedoc.h src/tui/stagedoc.c src/tui/view_stage.c

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
	src/tui/view_chart.c \
	src/tui/compare.h \
	src/tui/compare.c \
	src/tui/actions.h \
	src/tui/actions.c \
	src/tui/view_detail.c \
	src/tui/view_compare.c \
	src/tui/keyhint.h \
	src/tui/keyhint.c \
	src/tui/textwrap.h \
	src/tui/textwrap.c
src_tui_libcbtui_a_CPPFLAGS = $(AM_CPPFLAGS) $(NCURSESW_CFLAGS) $(JANSSON_CFLAGS)

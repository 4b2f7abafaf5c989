# The configuration: settings, key bindings and colours, parsed by one
# parser from the built-in defaults (defaults.conf and the default and mono
# themes, compiled in as C strings by embed.awk) and the user's files.
# Uses only util.
noinst_LIBRARIES += src/config/libcbconfig.a
src_config_libcbconfig_a_SOURCES = \
	src/config/config.c \
	src/config/settings.c \
	src/config/settings.h \
	src/config/names.c \
	src/config/places.c
nodist_src_config_libcbconfig_a_SOURCES = src/config/builtin.inc
src_config_libcbconfig_a_CPPFLAGS = $(AM_CPPFLAGS) -DCB_PKGDATADIR='"$(pkgdatadir)"'
# Every shipped theme is built in too (so an uninstalled build has them all):
# each file of $(cb_themes) becomes cfg_theme_N_text, listed in
# cfg_builtin_themes[] under its name.
cb_config_embedded = $(top_srcdir)/src/config/defaults.conf $(cb_themes:%=$(top_srcdir)/%)
src/config/builtin.inc: $(top_srcdir)/src/config/embed.awk $(top_srcdir)/src/config/builtin.sh \
		$(cb_config_embedded)
	$(AM_V_GEN)$(MKDIR_P) src/config && \
	  $(SHELL) $(top_srcdir)/src/config/builtin.sh '$(AWK)' $(top_srcdir) $(cb_themes) > $@.tmp && \
	  mv $@.tmp $@
CLEANFILES += src/config/builtin.inc
# Dependency tracking learns of the generated file only after a first build.
src/config/libcbconfig_a-config.$(OBJEXT): src/config/builtin.inc
cb_themes = themes/default.theme themes/mono.theme
themesdir = $(pkgdatadir)/themes
dist_themes_DATA = $(cb_themes)
EXTRA_DIST += include/codecbench/config.h src/config/defaults.conf src/config/embed.awk \
	src/config/builtin.sh

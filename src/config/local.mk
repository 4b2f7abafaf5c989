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
cb_config_embedded = $(top_srcdir)/src/config/defaults.conf \
	$(top_srcdir)/themes/default.theme $(top_srcdir)/themes/mono.theme
src/config/builtin.inc: $(top_srcdir)/src/config/embed.awk $(cb_config_embedded)
	$(AM_V_GEN)$(MKDIR_P) src/config && { \
	  LC_ALL=C $(AWK) -v name=cfg_defaults_text -f $(top_srcdir)/src/config/embed.awk $(top_srcdir)/src/config/defaults.conf && \
	  LC_ALL=C $(AWK) -v name=cfg_theme_default_text -f $(top_srcdir)/src/config/embed.awk $(top_srcdir)/themes/default.theme && \
	  LC_ALL=C $(AWK) -v name=cfg_theme_mono_text -f $(top_srcdir)/src/config/embed.awk $(top_srcdir)/themes/mono.theme; \
	} > $@.tmp && mv $@.tmp $@
CLEANFILES += src/config/builtin.inc
# Dependency tracking learns of the generated file only after a first build.
src/config/libcbconfig_a-config.$(OBJEXT): src/config/builtin.inc
cb_themes = themes/default.theme themes/mono.theme
cb_themes += themes/dark.theme themes/light.theme themes/high-contrast.theme
themesdir = $(pkgdatadir)/themes
dist_themes_DATA = $(cb_themes)
EXTRA_DIST += include/codecbench/config.h src/config/defaults.conf src/config/embed.awk

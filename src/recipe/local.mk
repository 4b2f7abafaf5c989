# The recipe module: JSON recipes <-> engine settings, canonical form and
# hash (nettle's SHA-256), the JSON Schema generated from the engine's field
# table.  Users link src/recipe/libcbrecipe.a before src/engine/libcbengine.a
# and util, plus $(JANSSON_LIBS) $(NETTLE_LIBS).
noinst_LIBRARIES += src/recipe/libcbrecipe.a
src_recipe_libcbrecipe_a_SOURCES = src/recipe/recipe.c
src_recipe_libcbrecipe_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(NETTLE_CFLAGS)
CB_RECIPE_LIBS = src/recipe/libcbrecipe.a src/engine/libcbengine.a
EXTRA_DIST += include/codecbench/recipe.h

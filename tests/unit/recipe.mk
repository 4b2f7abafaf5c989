# Unit tests of recipe/: parsing hostile JSON, defaults, canonical form and
# hash, the JSON Schema, the sample recipes (read from $CB_SRCDIR).  The
# libFuzzer target is built by hand (see tests/fuzz/fuzz_recipe.c).
check_PROGRAMS += tests/unit/test_recipe
TESTS += tests/unit/test_recipe
tests_unit_test_recipe_SOURCES = tests/unit/test_recipe.c
tests_unit_test_recipe_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(NETTLE_CFLAGS)
tests_unit_test_recipe_CFLAGS = $(CB_TEST_CF)
tests_unit_test_recipe_LDADD = $(CB_RECIPE_LIBS) src/util/libcbutil.a $(JANSSON_LIBS) \
	$(NETTLE_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_recipe.c tests/fuzz/seeds/recipe/default.json \
	tests/fuzz/seeds/recipe/fast.json tests/fuzz/seeds/recipe/qps.json \
	tests/fuzz/seeds/recipe/x264-medium.json tests/fuzz/seeds/recipe/x264-veryfast.json \
	tests/fuzz/seeds/recipe/baseline-options.json

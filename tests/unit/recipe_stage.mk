# Unit tests of recipe/'s "stage" member: parsing, refusals with their
# paths, canonical form and hash with code, the schema with and without it.
check_PROGRAMS += tests/unit/test_recipe_stage
TESTS += tests/unit/test_recipe_stage
tests_unit_test_recipe_stage_SOURCES = tests/unit/test_recipe_stage.c
tests_unit_test_recipe_stage_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(NETTLE_CFLAGS)
tests_unit_test_recipe_stage_CFLAGS = $(CB_TEST_CF)
tests_unit_test_recipe_stage_LDADD = $(CB_RECIPE_LIBS) src/util/libcbutil.a $(JANSSON_LIBS) \
	$(NETTLE_LIBS) $(CMOCKA_LIBS)

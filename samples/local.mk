EXTRA_DIST += samples/make-clips samples/README.md
# Recipes: the engine's defaults and a few variants, and the x264 baselines
# (codecbench recipe check).
cb_sample_recipes = \
	samples/recipes/default.json \
	samples/recipes/fast.json \
	samples/recipes/dct.json \
	samples/recipes/no-restoration.json \
	samples/recipes/x264-medium.json \
	samples/recipes/x264-veryfast.json
# Installed for the demo (codecbench demo --recipes defaults to them).
recipesdir = $(pkgdatadir)/recipes
dist_recipes_DATA = $(cb_sample_recipes)
# Stages: the engine's built-in stages written as stage source against
# include/codecbench/stage.h (intra, transform, loop_filter: bit-exact with
# the engine), and a different intra predictor (intra_smooth); the starting
# points of proposers' stages.
cb_sample_stages = \
	samples/stages/intra.c \
	samples/stages/transform.c \
	samples/stages/loop_filter.c \
	samples/stages/intra_smooth.c
stagesdir = $(pkgdatadir)/stages
dist_stages_DATA = $(cb_sample_stages)

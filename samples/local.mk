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
EXTRA_DIST += $(cb_sample_recipes)

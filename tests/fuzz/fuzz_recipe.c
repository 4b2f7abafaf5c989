/* libFuzzer target: the recipe parser.  Whatever the input: no crash, leak
 * or undefined behaviour; an accepted recipe passes the engine's check, has
 * (or the baselines' check), a canonical form that parses back to the same canonical form and hash,
 * and a refused one sets an error text and leaves nothing allocated.
 *
 * Build by hand (see tests/unit/recipe.mk):
 *   clang -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L \
 *     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -Iinclude -Isrc tests/fuzz/fuzz_recipe.c src/recipe/recipe.c \
 *     src/engine/settings.c src/util/error.c \
 *     $(pkg-config --cflags --libs jansson nettle) -o fuzz_recipe
 *   ./fuzz_recipe -max_total_time=60 -max_len=4096 CORPUS tests/fuzz/seeds/recipe */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CbRecipe r, again;
    CbError err;
    cb_error_clear(&err);
    int rc = cb_recipe_parse((const char *)data, size, "fuzz", &r, &err);
    if (rc < 0) {
        if (err.code != rc || strncmp(err.text, "fuzz: ", 6) != 0 || r.name || r.note)
            abort();
        return 0;
    }
    if (!r.name)
        abort();
    if (r.codec == CB_CODEC_ENGINE ? cb_engine_settings_check(&r.engine, NULL) != 0
                                   : cb_recipe_baseline_check(&r.baseline, NULL) != 0)
        abort();
    int points[CB_BASELINE_MAX_POINTS];
    if (cb_recipe_points(&r, points) < 1)
        abort();
    char *c1 = cb_recipe_canonical(&r);
    char h1[CB_RECIPE_HASH_HEX], h2[CB_RECIPE_HASH_HEX];
    if (!c1 || cb_recipe_hash(&r, h1) != 0)
        abort();
    if (cb_recipe_parse(c1, strlen(c1), "canonical", &again, &err) != 0)
        abort();
    char *c2 = cb_recipe_canonical(&again);
    if (!c2 || strcmp(c1, c2) != 0 || cb_recipe_hash(&again, h2) != 0 || strcmp(h1, h2) != 0)
        abort();
    if (r.codec != again.codec || memcmp(&r.engine, &again.engine, sizeof r.engine) != 0 ||
        memcmp(&r.baseline, &again.baseline, sizeof r.baseline) != 0)
        abort();
    free(c1);
    free(c2);
    cb_recipe_free(&again);
    cb_recipe_free(&r);
    return 0;
}

/* codecbench: recipes, the JSON documents that say what a run encodes.
 *
 *   { "name": "default", "codec": "engine",
 *     "settings": { "block_size": 16, ..., "qps": [22, 27, 32, 37] },
 *     "note": "optional text" }
 *
 * A recipe is validated against the engine's field table (engine.h) before
 * anything runs; errors name the JSON path and the allowed values.  Its
 * canonical form (every field, table order, compact, no note) has a SHA-256
 * that identifies what runs.  The JSON Schema of a recipe is generated from
 * the same table.  Baseline recipes ("codec": "ffmpeg") come later.
 */
#ifndef CODECBENCH_RECIPE_H
#define CODECBENCH_RECIPE_H

#include <stddef.h>

#include "codecbench/engine.h"
#include "codecbench/error.h"

/** Largest recipe text accepted, in bytes (a real one is under 1 KiB). */
#define CB_RECIPE_MAX_BYTES 65536
/** Deepest nesting of arrays and objects accepted (a recipe needs 3). */
#define CB_RECIPE_MAX_DEPTH 8
/** Bytes of a name: 1..CB_RECIPE_NAME_MAX, UTF-8, no control characters. */
#define CB_RECIPE_NAME_MAX 100
/** Bytes of a note: 0..CB_RECIPE_NOTE_MAX, UTF-8. */
#define CB_RECIPE_NOTE_MAX 4096
/** Characters of a hex SHA-256 with its NUL. */
#define CB_RECIPE_HASH_HEX 65

/** What encodes: our engine, or an FFmpeg encoder (a baseline). */
typedef enum CbCodecKind { CB_CODEC_ENGINE = 0, CB_CODEC_FFMPEG = 1 } CbCodecKind;

/** How a baseline's rate points are given. */
typedef enum CbRateControl { CB_RC_QP = 0, CB_RC_CRF = 1 } CbRateControl;

/** Most rate points of a baseline recipe; extra AVOptions it may set. */
#define CB_BASELINE_MAX_POINTS 16
#define CB_BASELINE_MAX_OPTIONS 16
/** Bytes (with NUL) of an encoder name, preset, tune, option key or value. */
#define CB_BASELINE_NAME_MAX 32
#define CB_BASELINE_VALUE_MAX 64

/** A baseline recipe's settings ("codec": "ffmpeg"). */
typedef struct CbBaselineSettings {
    char encoder[CB_BASELINE_NAME_MAX]; /**< libx264, libx265, libvpx-vp9, libaom-av1, libsvtav1 or mpeg4 */
    char preset[CB_BASELINE_NAME_MAX];  /**< the encoder's preset ("" : its default) */
    char tune[CB_BASELINE_NAME_MAX];    /**< the encoder's tune ("" : none) */
    CbRateControl rate_control;         /**< fixed QP or CRF */
    int points[CB_BASELINE_MAX_POINTS]; /**< distinct QPs or CRFs, run in this order */
    int n_points;                       /**< 1..CB_BASELINE_MAX_POINTS */
    int gop;                            /**< keyframe interval in frames; 0: the encoder's default */
    int bframes;                        /**< B frames; -1: the encoder's default */
    int n_options;                      /**< extra AVOptions, 0..CB_BASELINE_MAX_OPTIONS */
    char option_key[CB_BASELINE_MAX_OPTIONS][CB_BASELINE_NAME_MAX];
    char option_value[CB_BASELINE_MAX_OPTIONS][CB_BASELINE_VALUE_MAX];
} CbBaselineSettings;

typedef struct CbRecipe {
    char *name;              /**< owned, NUL-terminated, never NULL after a successful parse */
    char *note;              /**< owned; NULL when the recipe has none */
    CbCodecKind codec;       /**< which of the two below is valid */
    CbEngineSettings engine; /**< codec == CB_CODEC_ENGINE: valid (cb_engine_settings_check passes) */
    CbBaselineSettings baseline; /**< codec == CB_CODEC_FFMPEG: valid */
} CbRecipe;

/** The rate points of r (engine QPs, or the baseline's QPs / CRFs) into
 * points[CB_RESULT_MAX_POINTS]; returns how many. */
int cb_recipe_points(const CbRecipe *r, int *points);

/** Parses and validates a recipe.
 *
 * text: len bytes of untrusted JSON (need not be NUL-terminated; embedded
 * NULs, more than CB_RECIPE_MAX_BYTES, nesting deeper than
 * CB_RECIPE_MAX_DEPTH, duplicate keys, numbers beyond the ranges and
 * trailing bytes are errors).  "name" (a string) and "codec" ("engine") are
 * required; a missing "settings" or field of it takes the default; "note" is
 * optional.  source_name (a file name, or NULL for "recipe") starts the
 * error text, e.g. "a.json: settings.block_size: 12 is not one of 8, 16".
 *
 * On success fills *out (which the caller releases with cb_recipe_free) and
 * returns 0.  On failure returns CB_EINVAL (a value or key not allowed),
 * CB_EFORMAT (not JSON), CB_ELIMIT (too large or too deep) or CB_ENOMEM,
 * sets err, and leaves *out empty (nothing to free). */
int cb_recipe_parse(const char *text, size_t len, const char *source_name, CbRecipe *out,
                    CbError *err);

/** Frees what r owns and empties it; r may be NULL or already empty. */
void cb_recipe_free(CbRecipe *r);

/** The canonical form: compact ASCII JSON (no spaces; other characters as
 * \uXXXX escapes) with "name", "codec" and
 * "settings" holding every field in table order; no note (notes do not
 * change what runs).  Two recipes that run the same encoder settings under
 * the same name have the same canonical form whatever their key order,
 * whitespace or note.  Returns a NUL-terminated string the caller frees
 * with free(), or NULL when out of memory or r is not valid. */
char *cb_recipe_canonical(const CbRecipe *r);

/** hex gets the lower-case hex SHA-256 of cb_recipe_canonical(r) and a NUL.
 * Returns 0, CB_EINVAL (r not valid) or CB_ENOMEM. */
int cb_recipe_hash(const CbRecipe *r, char hex[CB_RECIPE_HASH_HEX]);

/** hex gets the lower-case hex SHA-256 of len bytes at data (nettle's). */
void cb_recipe_sha256_hex(const void *data, size_t len, char hex[CB_RECIPE_HASH_HEX]);

/** The JSON Schema (draft 2020-12) of a recipe, generated from
 * cb_engine_fields(): every property with its type, enum or
 * minimum/maximum, default and description; "additionalProperties": false
 * at every level.  strict = 0: only "name" and "codec" are required,
 * defaults are stated with "default".  strict = 1: the subset OpenAI's
 * strict structured outputs accept (the "schema" of a response_format
 * json_schema): every property is required, and "default", "$schema",
 * string lengths, patterns and "uniqueItems" are left out (defaults and
 * the distinctness of qps are said in the descriptions; cb_recipe_parse
 * still checks everything).  Returns JSON text (2-space indents) the caller
 * frees with free(), or NULL when out of memory. */
char *cb_recipe_schema(int strict);

#endif

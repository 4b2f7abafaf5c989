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
 * the same table.
 *
 * Baselines: "codec": "ffmpeg" runs an FFmpeg encoder (media/baseline.c):
 *
 *   { "name": "x264-medium", "codec": "ffmpeg",
 *     "settings": { "encoder": "libx264", "preset": "medium", "tune": "psnr",
 *                   "rate_control": "qp", "points": [22, 27, 32, 37],
 *                   "gop": 30, "bframes": -1, "options": { "aq-mode": "0" } } }
 *
 * settings (an object, required):
 * - encoder (required): libx264, libx265, libvpx-vp9, libaom-av1, libsvtav1
 *   or mpeg4;
 * - preset: "" (the encoder's default) or one of its presets: x264 / x265
 *   ultrafast .. placebo; libvpx-vp9 and libaom-av1 their cpu-used speed
 *   "0".."8"; libsvtav1 "0".."13"; mpeg4 none;
 * - tune: "" (none) or x264's film, animation, grain, stillimage, psnr,
 *   ssim, fastdecode, zerolatency; x265's psnr, ssim, grain, zerolatency,
 *   fastdecode, animation; vp9 / aom psnr or ssim; svtav1 and mpeg4 none;
 * - rate_control: "qp" (default) or "crf";
 * - points (required): 1..CB_BASELINE_MAX_POINTS distinct integers, run in
 *   this order: x264 qp 0..69, crf 0..51; x265 0..51; vp9 and aom 0..63;
 *   svtav1 1..63; mpeg4 qscale 1..31 and no crf;
 * - gop: keyframe interval 0..600 (0, the default: the encoder's own);
 * - bframes: -1 (default: the encoder's own) or 0..16 for x264, x265,
 *   mpeg4; -1 only for the VP9 and AV1 encoders;
 * - options: up to CB_BASELINE_MAX_OPTIONS extra AVOptions, string to
 *   string; keys 1..31 bytes of [A-Za-z0-9_.:-], values 1..63 bytes of
 *   [A-Za-z0-9_.:=-] ('=' for x265-params / svtav1-params "k=v:k=v");
 *   keys the other fields set (qp, crf, preset, tune, cpu-used, g, bf, b,
 *   threads, qmin, qmax, global_quality, ...) are refused.  Whether the
 *   encoder has an option is checked when it opens (cb_baseline_open).
 * The canonical form holds every field in the order above and the options
 * sorted by key.
 */
#ifndef CODECBENCH_RECIPE_H
#define CODECBENCH_RECIPE_H

#include <stddef.h>

#include "codecbench/engine.h"
#include "codecbench/error.h"

/** Largest recipe text accepted, in bytes (a real one is under 1 KiB; one
 * with a stage carries up to CB_RECIPE_STAGE_MAX bytes of C, escaped). */
#define CB_RECIPE_MAX_BYTES 262144
/** Largest stage source a recipe carries (sandbox.h's CB_STAGE_SOURCE_MAX). */
#define CB_RECIPE_STAGE_MAX 32768
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
    /** Engine recipes only: C source replacing one stage of the engine
     * (stage.h), from the optional member
     *   "stage": {"kind": "intra" | "loop_filter" | "transform", "code": "..."}
     * code: 1..CB_RECIPE_STAGE_MAX bytes of UTF-8 text without NUL; a
     * transform stage needs "transform": "dct".  stage_kind is CB_STAGE_NONE
     * and stage_code NULL without one.  The canonical form holds the member
     * after "settings" when present, so the code is part of the hash. */
    CbStageKind stage_kind;
    char *stage_code;        /**< owned, NUL-terminated; NULL when no stage */
} CbRecipe;

/** The rate points of r (engine QPs, or the baseline's QPs / CRFs) into
 * points[CB_RESULT_MAX_POINTS]; returns how many (0 when r is not a valid
 * recipe). */
int cb_recipe_points(const CbRecipe *r, int *points);

/** Checks a baseline's settings as cb_recipe_parse() does (the encoder's
 * presets, tunes, point ranges, B frames, option keys and values; options
 * sorted by key and distinct).  0 or CB_EINVAL with err naming the field
 * ("settings.points[2]: 70 is outside libx264's qp range 0..69"). */
int cb_recipe_baseline_check(const CbBaselineSettings *s, CbError *err);

/** Parses and validates a recipe.
 *
 * text: len bytes of untrusted JSON (need not be NUL-terminated; embedded
 * NULs, more than CB_RECIPE_MAX_BYTES, nesting deeper than
 * CB_RECIPE_MAX_DEPTH, duplicate keys, numbers beyond the ranges and
 * trailing bytes are errors).  "name" (a string) and "codec" ("engine" or
 * "ffmpeg") are required; for the engine a missing "settings" or field of it
 * takes the default; a baseline needs settings.encoder and settings.points
 * (see above); "note" is optional.  r->codec says which of r->engine and
 * r->baseline is filled (the other is zeroed).  source_name (a file name, or NULL for "recipe") starts the
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

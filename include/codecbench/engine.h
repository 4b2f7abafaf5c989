/* codecbench: the in-process codec engine.
 *
 * A block-based hybrid video codec over 8-bit 4:2:0 planes: I and P frames,
 * intra prediction, motion compensation with sub-pel interpolation, integer
 * DCT or a KLT learned from the clip, dead-zone quantisation, adaptive
 * binary arithmetic coding, deblocking and a learned restoration filter.
 * The engine knows nothing of files, JSON, FFmpeg or terminals: frames and
 * settings in, bytes out, and back.
 */
#ifndef CODECBENCH_ENGINE_H
#define CODECBENCH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/frame.h"

/* ---- Settings ------------------------------------------------------------ */

typedef enum CbTransformKind { CB_TRANSFORM_DCT = 0, CB_TRANSFORM_KLT = 1 } CbTransformKind;
typedef enum CbSearchMethod { CB_SEARCH_FULL = 0, CB_SEARCH_DIAMOND = 1, CB_SEARCH_HEX = 2 } CbSearchMethod;
typedef enum CbSubpel { CB_SUBPEL_FULL = 0, CB_SUBPEL_HALF = 1, CB_SUBPEL_QUARTER = 2 } CbSubpel;
typedef enum CbIntraSet { CB_INTRA_DC = 0, CB_INTRA_BASIC = 1, CB_INTRA_ALL = 2 } CbIntraSet;
typedef enum CbAdapt { CB_ADAPT_FAST = 0, CB_ADAPT_SLOW = 1, CB_ADAPT_DUAL = 2 } CbAdapt;
typedef enum CbPreset { CB_PRESET_FAST = 0, CB_PRESET_MEDIUM = 1, CB_PRESET_SLOW = 2 } CbPreset;

/** Most rate points a recipe may list. */
#define CB_MAX_QPS 16
/** QP range: step size doubles every 6 (as in H.264/HEVC). */
#define CB_QP_MIN 0
#define CB_QP_MAX 51

typedef struct CbEngineSettings {
    int block_size;            /**< coding block, 8 or 16 luma pixels */
    int partition;             /**< 1: a 16x16 block may split into four 8x8 */
    CbTransformKind transform; /**< dct, or klt learned per GOP */
    CbIntraSet intra_modes;    /**< dc; basic (dc, v, h, planar); all (+ two diagonals) */
    int search_range;          /**< motion search range in full pixels, 0..256 */
    CbSearchMethod search;     /**< full, diamond or hex (with predictors) */
    CbSubpel subpel;           /**< motion vector precision */
    int gop;                   /**< frames from one I frame to the next, 1..600 (1: all intra) */
    int p_qp_offset;           /**< QP of P frames minus QP of I frames, 0..12 */
    int deblock;               /**< in-loop deblocking filter on/off */
    int restoration;           /**< learned restoration filter on/off */
    int restoration_region;    /**< luma size of the regions it is switched over: 32, 64 or 128 */
    CbAdapt adaptation;        /**< probability adaptation of the arithmetic coder */
    CbPreset preset;           /**< speed / effort of mode decisions */
    int threads;               /**< 1..64; output does not depend on it */
    int qps[CB_MAX_QPS];       /**< the rate points */
    int n_qps;                 /**< 1..CB_MAX_QPS */
} CbEngineSettings;

/** The built-in defaults (those of samples/recipes/default.json). */
void cb_engine_settings_default(CbEngineSettings *s);

/** Field table: one row per setting, the single source of names, types,
 * ranges, defaults and documentation for validation, the JSON Schema, the
 * man page and proposers. */
typedef enum CbFieldType {
    CB_FIELD_INT,    /**< an int in [min, max] */
    CB_FIELD_BOOL,   /**< an int 0/1, JSON true/false */
    CB_FIELD_ENUM,   /**< an int index into names[] */
    CB_FIELD_CHOICE, /**< an int that must be one of choices[] */
    CB_FIELD_INT_LIST, /**< the qps list: ints in [min, max], 1..CB_MAX_QPS of them */
} CbFieldType;

typedef struct CbField {
    const char *name;          /**< JSON key */
    CbFieldType type;
    size_t offset;             /**< into CbEngineSettings */
    int min, max;              /**< INT, INT_LIST */
    const char *const *names;  /**< ENUM: names, NULL-terminated */
    const int *choices;        /**< CHOICE: allowed values, n_choices of them */
    int n_choices;
    const char *doc;           /**< one line */
} CbField;

/** The table; *n gets its length.  Static storage. */
const CbField *cb_engine_fields(size_t *n);

/** Checks every field of s against the table; err names the field and the
 * allowed values. */
int cb_engine_settings_check(const CbEngineSettings *s, CbError *err);

#endif

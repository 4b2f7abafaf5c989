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
#include "codecbench/stage.h"

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
    int slices;                /**< horizontal bands of CTU rows coded independently, 1..64 */
    int threads;               /**< 1..64 slices coded at once; output does not depend on it */
    int qps[CB_MAX_QPS];       /**< the rate points: distinct QPs in CB_QP_MIN..CB_QP_MAX, run in this order */
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
    CB_FIELD_INT_LIST, /**< an int array (the qps): 1..max_items distinct ints in [min, max] */
} CbFieldType;

typedef struct CbField {
    const char *name;          /**< JSON key */
    CbFieldType type;
    size_t offset;             /**< into CbEngineSettings (INT_LIST: of the first element) */
    int min, max;              /**< INT, INT_LIST (each element) */
    const char *const *names;  /**< ENUM: names, NULL-terminated */
    const int *choices;        /**< CHOICE: allowed values, n_choices of them */
    int n_choices;
    size_t count_offset;       /**< INT_LIST: offset of the int holding the element count */
    int max_items;             /**< INT_LIST: capacity of the array (at least 1 element) */
    const char *doc;           /**< one line */
} CbField;

/** The table, in the order of the canonical form; *n (if not NULL) gets its
 * length.  Static storage, never NULL. */
const CbField *cb_engine_fields(size_t *n);

/** The row named name (any bytes; NUL-terminated), or NULL. */
const CbField *cb_engine_field_find(const char *name);

/** Checks one value against row f: an INT, a BOOL (0/1), an ENUM index, a
 * CHOICE, or one element of an INT_LIST.  On failure returns CB_EINVAL and
 * sets err to text without the field's name, e.g. "12 is not one of 8, 16"
 * or "700 is out of range 1..600". */
int cb_engine_field_check_value(const CbField *f, long long v, CbError *err);

/** Writes what f allows ("8, 16", "1..600", "dct, klt", "true or false",
 * "1 to 16 distinct integers 0..51") into buf (size bytes, always
 * NUL-terminated when size > 0, cut if too small).  Returns the length the
 * whole text needs, as snprintf does. */
size_t cb_engine_field_allowed(const CbField *f, char *buf, size_t size);

/** Checks every field of s against the table, in table order; on the first
 * bad one returns CB_EINVAL and sets err to "<field>: <reason>", e.g.
 * "block_size: 12 is not one of 8, 16". */
int cb_engine_settings_check(const CbEngineSettings *s, CbError *err);

/** Sets how many threads OpenBLAS may use for the engine's training and
 * fitting (KLT covariances, restoration filters).  Those products are small
 * (at most 16x16 or 13x13 outputs over batches of 1024 samples), so extra
 * BLAS threads spin more than they help: front ends call this with 1 at
 * start.  Results do not depend on it (sums are exact).  OpenBLAS keeps this
 * setting process-wide. */
void cb_engine_set_blas_threads(int n);

/* ---- Stages ---------------------------------------------------------------
 *
 * A stage (stage.h) replaces one stage of the decoder's path with code from
 * outside the engine.  The engine calls it through these pointers and
 * treats what it returns as hostile as any stream byte: a nonzero return
 * fails the frame with CB_ESTAGE; outputs are clipped as stage.h says.
 * The engine never loads code: the caller (src/stage/'s sandboxed host)
 * does, and passes the functions in.  The stream header carries kind and
 * hash, so a decoder refuses a stream whose stage it was not given. */

typedef struct CbStageOps {
    CbStageKind kind;   /**< CB_STAGE_INTRA, CB_STAGE_LOOP_FILTER or CB_STAGE_TRANSFORM */
    uint8_t hash[32];   /**< SHA-256 of the stage's source bytes (not all zero) */
    int (*intra)(const CbStageIntra *a);               /**< kind INTRA */
    int (*loop_filter)(const CbStageFilter *a);        /**< kind LOOP_FILTER */
    int (*transform_fwd)(const CbStageXform *a);       /**< kind TRANSFORM (the encoder's) */
    int (*transform_inv)(const CbStageXform *a);       /**< kind TRANSFORM */
} CbStageOps;

/** Name of a stage kind: "none", "intra", "loop_filter", "transform"; NULL
 * for another value. */
const char *cb_stage_kind_name(int kind);
/** The kind named s (one of the names above, "none" excluded): 0, or
 * CB_EINVAL with err saying which names exist. */
int cb_stage_kind_parse(const char *s, CbStageKind *kind, CbError *err);

/* ---- Encoder -------------------------------------------------------------- */

typedef struct CbEncoder CbEncoder;

/** One coded frame, as cb_encoder_receive() returns it. */
typedef struct CbEncodedFrame {
    const uint8_t *data;   /**< the frame packet (borrowed until the next call) */
    size_t size;           /**< its bytes */
    int type;              /**< 0 I, 1 P */
    int qp;
    int64_t index;         /**< frame number from 0, in coding order = display order */
    size_t klt_bytes;      /**< estimated bytes of the KLT parameter set it carries (I frames) */
    CbFrame recon;         /**< the encoder's reconstruction (borrowed view) */
} CbEncodedFrame;

/** Creates an encoder of width x height frames at the rate point qp (the QP
 * of I frames; P frames add settings->p_qp_offset).  settings is checked. */
int cb_encoder_new(CbEncoder **out, const CbEngineSettings *settings, int qp, int width,
                   int height, int fps_num, int fps_den, CbError *err);
/** The CB_ENGINE_HEADER_BYTES bytes of the stream's sequence header. */
const uint8_t *cb_encoder_header(const CbEncoder *e);
/** Codes with a stage instead of the built-in one of its kind: call before
 * the first cb_encoder_send (CB_EINVAL after, or for ops missing a function
 * of its kind, an unknown kind, an all-zero hash, or a transform stage on
 * settings with "transform": "klt").  ops is copied; the functions must
 * stay loaded until cb_encoder_free.  The header then carries the stage. */
int cb_encoder_set_stage(CbEncoder *e, const CbStageOps *ops, CbError *err);
/** Gives the next frame (copied; same size as the encoder's), or NULL at the
 * end of the stream.  Frames are coded a GOP at a time (the KLT is learned
 * over the GOP), so packets come out in bursts: call cb_encoder_receive()
 * after each send until it returns 0.  After an error (a stage's failure,
 * CB_ESTAGE with its text, among others) the encoder takes no more frames:
 * every later call returns the same code. */
int cb_encoder_send(CbEncoder *e, const CbFrame *frame, CbError *err);
/** 1 and the next coded frame, or 0 when none is ready. */
int cb_encoder_receive(CbEncoder *e, CbEncodedFrame *out);
void cb_encoder_free(CbEncoder **e);

/* ---- Decoder -------------------------------------------------------------- */

/** What a stream's sequence header says. */
typedef struct CbStreamInfo {
    int width, height;       /**< 1..CB_FRAME_MAX_DIM */
    int fps_num, fps_den;
    int block_size, partition;
    CbTransformKind transform;
    CbIntraSet intra_modes;
    CbSubpel subpel;
    int deblock, restoration, restoration_region;
    CbAdapt adaptation;
    int slices;
    CbStageKind stage_kind;  /**< CB_STAGE_NONE: the built-in stages */
    uint8_t stage_hash[32];  /**< the stage's hash (all zero without one) */
} CbStreamInfo;

/** Bytes of the sequence header at the start of every stream. */
#define CB_ENGINE_HEADER_BYTES 64
/** Largest frame packet a decoder accepts. */
#define CB_ENGINE_PACKET_MAX (128u << 20)

/** Categories of bits in CbDecodeStats, in order. */
#define CB_STATS_CATEGORIES 9
/** Name of category i ("partition", "skip", "mode", "mv", "cbf",
 * "coef_luma", "coef_chroma", "klt", "restoration"). */
const char *cb_decode_stats_category(int i);

/** Distinct motion vectors counted in CbDecodeStats. */
#define CB_STATS_MVS 64

/** A motion vector (quarter-pel) and how many blocks used it. */
typedef struct CbMvCount {
    int32_t x, y;
    int64_t count;
} CbMvCount;

typedef struct CbDecodeStats {
    int64_t frames[2];          /**< I, P */
    uint64_t frame_bytes[2];    /**< packet bytes of I and P frames */
    uint64_t header_bytes;      /**< per-frame bytes outside the arithmetic coder */
    double category_bits[CB_STATS_CATEGORIES]; /**< information content of the decoded bins, per category */
    int64_t blocks[3];          /**< intra, inter, skip coding blocks */
    int64_t blocks16, blocks8;  /**< by size */
    int64_t intra_modes[6];     /**< by intra mode */
    int64_t klt_sets_sent;      /**< KLT bases present in I frames */
    int64_t restoration_on[2];  /**< frames with the luma / chroma filter on */
    double mv_abs_sum;          /**< sum of |mvx| + |mvy| (quarter-pel) over inter and skip blocks */
    CbMvCount mvs[CB_STATS_MVS]; /**< most common vectors first after cb_decoder_stats() */
    int n_mvs;
    int64_t mv_other;           /**< blocks whose vector did not fit in mvs[] */
} CbDecodeStats;

typedef struct CbDecoder CbDecoder;

/** Parses a stream's sequence header (len >= CB_ENGINE_HEADER_BYTES; hostile
 * bytes give CB_EFORMAT, CB_ENOTSUP or CB_ELIMIT with the reason). */
int cb_decoder_new(CbDecoder **out, const uint8_t *header, size_t len, CbError *err);
const CbStreamInfo *cb_decoder_info(const CbDecoder *d);
/** Gives the decoder the stage the stream's header names: before the first
 * cb_decoder_decode.  CB_EMISMATCH when ops' kind or hash differ from the
 * header's (the message names both, hash as 16 hex digits), CB_EINVAL for
 * ops missing its kind's decoder-side function.  A stream whose header
 * names a stage decodes only after this: cb_decoder_decode fails with
 * CB_ENOTSUP, "the stream needs its intra stage 1a2b3c4d5e6f7a8b, which is
 * not loaded" (never a wrong picture). */
int cb_decoder_set_stage(CbDecoder *d, const CbStageOps *ops, CbError *err);
/** Decodes one frame packet.  On success *frame is a borrowed view of the
 * decoded frame (the stream's size), valid until the next call or free.
 * Any bytes give a frame or an error (CB_EFORMAT: truncated or corrupt
 * packet, values out of range), never a crash; after an error the decoder
 * needs an I frame again. */
int cb_decoder_decode(CbDecoder *d, const uint8_t *pkt, size_t len, CbFrame *frame, CbError *err);
/** Statistics of the frames decoded so far (vectors sorted by count). */
const CbDecodeStats *cb_decoder_stats(CbDecoder *d);
void cb_decoder_free(CbDecoder **d);

/** One coding block of the last decoded frame, for analysis overlays. */
typedef enum CbBlockKind {
    CB_BLOCK_INTRA = 0,
    CB_BLOCK_INTER = 1, /**< motion compensated with a coded residual or vector */
    CB_BLOCK_SKIP = 2,  /**< motion compensated from a merge candidate, no residual */
} CbBlockKind;

typedef struct CbBlockInfo {
    uint8_t kind;   /**< CbBlockKind */
    uint8_t size;   /**< the coding block's size in luma pixels: 8 or 16 */
    uint8_t mode;   /**< intra mode (0..5, cb_decode_stats' order) for intra blocks, else 0 */
    uint8_t cbf;    /**< 1 when the block has coded luma coefficients */
    int32_t mvx, mvy; /**< quarter-pel motion vector of inter and skip blocks, else 0 */
} CbBlockInfo;

/** Grid cell of cb_decoder_blocks(), in luma pixels. */
#define CB_BLOCK_GRID 8

/** The coding blocks of the frame the last successful cb_decoder_decode()
 * returned, one entry per CB_BLOCK_GRID x CB_BLOCK_GRID luma cell in raster
 * order (a 16x16 block fills its four cells with the same entry): cols =
 * ceil(width / 8), rows = ceil(height / 8) of the stream's size.  out must
 * hold cols * rows entries.  Returns 0, CB_EINVAL (cols/rows not those of
 * the stream, or no frame decoded yet). */
int cb_decoder_blocks(const CbDecoder *d, CbBlockInfo *out, int cols, int rows, CbError *err);

#endif

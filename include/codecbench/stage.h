/* codecbench: the stage ABI, version 1.
 *
 * A stage is C source for one stage of the engine's decoder path, carried
 * by a recipe ("stage": {"kind": "intra", "code": "..."}), compiled in a
 * closed world and run only in a sandboxed process (see
 * include/codecbench/sandbox.h for how, ARCHITECTURE.md "Generated code"
 * for why).  This header is the whole world a stage sees: it is compiled
 * with -nostdinc -nostdlib -ffreestanding -fwrapv -mgeneral-regs-only, and
 * may include only this file and the project's freestanding <stdint.h>,
 * <stddef.h>, <stdbool.h> and <limits.h>.
 *
 * Rules (a stage that breaks one fails its run with the reason):
 *  - It defines the functions of its kind, below, with these prototypes
 *    (external linkage); other functions and const tables are its own.
 *  - Integers only: -mgeneral-regs-only makes float and double an error.
 *  - Deterministic: the same arguments give the same results.  The encoder
 *    and a decoder in another process call it independently, so anything
 *    kept between calls (a static variable) or read from outside its
 *    arguments makes the two disagree: the run fails as a decoder mismatch.
 *  - It allocates nothing, opens nothing, calls nothing outside itself but
 *    memcpy, memmove, memset and memcmp (declared below).  It reads and
 *    writes only the arrays it is given, and may use the scratch buffer,
 *    whose contents at entry are unspecified.
 *  - It returns 0.  Any other value stops the frame: the run fails with
 *    "the stage returned N".
 *
 * The engine's built-in stages, written against this ABI, are in
 * samples/stages/ (intra.c, transform.c, loop_filter.c): the starting
 * point of every stage a proposer writes.
 *
 * A stream coded with a stage names it in its sequence header: the kind,
 * and the stage's hash, the SHA-256 of its source bytes (what `sha256sum
 * stage.c` prints).  Decoding it without that stage loaded is an error.
 */
#ifndef CODECBENCH_STAGE_H
#define CODECBENCH_STAGE_H

#include <stddef.h>
#include <stdint.h>

/** The version of this ABI; a stream header and a built object name it. */
#define CB_STAGE_ABI_VERSION 1

/** What a stage replaces.  The numbers are what stream headers carry. */
typedef enum CbStageKind {
    CB_STAGE_NONE = 0,        /**< the built-in stages only */
    CB_STAGE_INTRA = 1,       /**< cb_stage_intra: every intra prediction, luma and chroma */
    CB_STAGE_LOOP_FILTER = 2, /**< cb_stage_loop_filter: after deblocking, before restoration */
    CB_STAGE_TRANSFORM = 3,   /**< cb_stage_transform_fwd / _inv: every residual transform */
} CbStageKind;
#define CB_STAGE_KINDS 4

/** Bytes of the scratch buffer every call gets (its own per thread). */
#define CB_STAGE_SCRATCH_BYTES 65536

/* ---- intra prediction (CB_STAGE_INTRA) ------------------------------------
 *
 * Predicts an n x n block of one plane from its reference samples: the row
 * above (2n samples, above-right included), the column to the left (2n,
 * below-left included) and the corner, after the engine's substitution of
 * unavailable samples (H.265 8.4.4.2.2), so every entry is defined.  Called
 * for every intra block of luma and chroma, and by the encoder for every
 * mode it tries.  mode is one of the stream's intra set: 0 DC, 1 vertical,
 * 2 horizontal, 3 planar, 4 diagonal down-left, 5 diagonal down-right; the
 * stage decides what each mode predicts (the engine only codes the
 * number).  The built-in one is samples/stages/intra.c. */
typedef struct CbStageIntra {
    int n;               /**< 4, 8 or 16 */
    int mode;            /**< 0..5 */
    int plane;           /**< 0 luma, 1 Cb, 2 Cr */
    const uint8_t *top;  /**< top[i] = sample (x + i, y - 1), i in 0..2n-1 */
    const uint8_t *left; /**< left[j] = sample (x - 1, y + j), j in 0..2n-1 */
    int corner;          /**< sample (x - 1, y - 1), 0..255 */
    uint8_t *dst;        /**< the prediction: n rows of n samples */
    ptrdiff_t stride;    /**< bytes from one row of dst to the next */
    void *scratch;       /**< CB_STAGE_SCRATCH_BYTES */
} CbStageIntra;

int cb_stage_intra(const CbStageIntra *a);

/* ---- in-loop filter (CB_STAGE_LOOP_FILTER) --------------------------------
 *
 * Filters one plane of a reconstructed frame, after the deblocking filter
 * (when the recipe has it on) and before the restoration filter is fitted
 * and applied; its output is what later frames predict from.  Called once
 * per plane per frame, in the encoder and the decoder alike.  src is a copy
 * of the plane; the stage writes every sample of dst (dst starts equal to
 * src).  Sizes are the coded (padded) plane's: luma a multiple of 16, chroma
 * of 8.  The built-in one, samples/stages/loop_filter.c, copies src. */
typedef struct CbStageFilter {
    int plane;              /**< 0 luma, 1 Cb, 2 Cr */
    int width, height;      /**< samples of the plane */
    const uint8_t *src;     /**< the plane before this filter */
    uint8_t *dst;           /**< the plane after it */
    ptrdiff_t stride;       /**< bytes between rows, the same for src and dst */
    int qp;                 /**< the frame's QP, 0..51 */
    int frame_type;         /**< 0 I, 1 P */
    void *scratch;          /**< CB_STAGE_SCRATCH_BYTES */
} CbStageFilter;

int cb_stage_loop_filter(const CbStageFilter *a);

/* ---- residual transform pair (CB_STAGE_TRANSFORM) ------------------------
 *
 * Replaces the engine's integer DCT for every residual block, luma and
 * chroma, every size (a recipe with a transform stage uses "transform":
 * "dct": there are no learned bases to mix with).  The quantiser expects
 * coefficients scaled as HEVC's: the orthonormal transform times
 * 2^(7 - log2 n), coef[k * n + l] with k the vertical and l the horizontal
 * frequency, |coef| < 32768 for residuals in -255..255; coefficients are
 * scanned from (0, 0) in zigzag order, so energy should gather there.
 * The forward transform is the encoder's only; the inverse is on the
 * decoder's path and gets the dequantised coefficients (clipped to int16);
 * the engine clips its output to -32768..32767 and the reconstruction to
 * 0..255.  The built-in pair is samples/stages/transform.c. */
typedef struct CbStageXform {
    int n;              /**< 4, 8 or 16 */
    int plane;          /**< 0 luma, 1 Cb, 2 Cr */
    int intra_mode;     /**< the block's intra mode 0..5, or -1 for an inter block */
    int16_t *res;       /**< forward: the residual (input); inverse: the output; n rows of n */
    ptrdiff_t stride;   /**< elements (not bytes) from one row of res to the next */
    int32_t *coef;      /**< n * n, row-major: forward: the output; inverse: the input */
    void *scratch;      /**< CB_STAGE_SCRATCH_BYTES */
} CbStageXform;

int cb_stage_transform_fwd(const CbStageXform *a);
int cb_stage_transform_inv(const CbStageXform *a);

/* ---- what a stage may call -------------------------------------------------
 * Resolved, when the sandboxed process loads the stage, to its C library's
 * (the compiler may also emit calls to them for struct copies and loops).
 * Declared for stages only (freestanding); the engine has <string.h>. */
#if !__STDC_HOSTED__
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif

#endif

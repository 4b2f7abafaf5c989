/* codecbench: 8-bit 4:2:0 frames, the unit every module exchanges.
 *
 * Plane 0 is luma (width x height), planes 1 and 2 are chroma of
 * ceil(width/2) x ceil(height/2), as FFmpeg's yuv420p lays out odd sizes.
 * Strides are multiples of CB_FRAME_ALIGN and planes start aligned, so SIMD
 * kernels may read whole vectors up to the padded stride.
 */
#ifndef CODECBENCH_FRAME_H
#define CODECBENCH_FRAME_H

#include <stddef.h>
#include <stdint.h>

/** Largest width or height any module accepts (8K UHD is 7680x4320). */
#define CB_FRAME_MAX_DIM 8192
/** Alignment in bytes of plane starts and strides. */
#define CB_FRAME_ALIGN 64

typedef struct CbFrame {
    int width;             /**< luma width in pixels, 1..CB_FRAME_MAX_DIM */
    int height;            /**< luma height in pixels, 1..CB_FRAME_MAX_DIM */
    uint8_t *data[3];      /**< Y, U, V; owned by the frame when buf is set */
    ptrdiff_t stride[3];   /**< bytes between rows */
    int64_t index;         /**< position in its source, from 0; -1 when unknown */
    int64_t pts;           /**< presentation time in time-base units; INT64_MIN when unknown */
    char type;             /**< picture type the decoder reported: 'I', 'P' or 'B'; 0 when unknown
                                (cb_media_read sets it from libavcodec's pict_type) */
    void *buf;             /**< the one allocation behind data[], or NULL when borrowed */
} CbFrame;

/** Width of plane p of a frame whose luma is w pixels wide. */
static inline int cb_plane_width(int w, int p) { return p ? (w + 1) >> 1 : w; }
/** Height of plane p of a frame whose luma is h pixels high. */
static inline int cb_plane_height(int h, int p) { return p ? (h + 1) >> 1 : h; }

/** Allocates planes for width x height (1..CB_FRAME_MAX_DIM each) into a
 * zeroed *f.  Returns 0, CB_EINVAL for a bad size or CB_ENOMEM.  Pixels are
 * zero; free with cb_frame_free(). */
int cb_frame_alloc(CbFrame *f, int width, int height);

/** Frees what cb_frame_alloc() allocated and zeroes *f; NULL is allowed. */
void cb_frame_free(CbFrame *f);

/** Copies the pixels of src into dst, which must have the same size. */
void cb_frame_copy(CbFrame *dst, const CbFrame *src);

#endif

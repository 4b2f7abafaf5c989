/* codecbench: reading video through FFmpeg, writing y4m.
 *
 * A reader opens any file FFmpeg can demux and decode and delivers its first
 * video stream as 8-bit 4:2:0 frames (CbFrame).  Other pixel formats (4:2:2,
 * 4:4:4, 10-bit, RGB, paletted, full-range "yuvj") are converted with
 * swscale, and the conversion is reported in CbMediaInfo.conversion.
 *
 * Sizes: odd widths and heights are kept as they are; chroma planes are
 * ceil(w/2) x ceil(h/2), as in FFmpeg's yuv420p.  Pictures larger than
 * CB_FRAME_MAX_DIM in either direction are refused (CB_ELIMIT) before any
 * picture-sized allocation.
 *
 * Frames are numbered from 0 in presentation order as the decoder outputs
 * them; variable frame rate is kept (no frames are duplicated or dropped),
 * and reported.  The frame count comes from the container when it states one
 * and is otherwise unknown (-1) until counted by reading.
 *
 * Every error names the file and the reason in CbError's text.
 */
#ifndef CODECBENCH_MEDIA_H
#define CODECBENCH_MEDIA_H

#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/frame.h"
#include "codecbench/log.h"

typedef struct CbMediaReader CbMediaReader;

typedef struct CbMediaInfo {
    /* Strings are owned by the reader and valid until it is closed. */
    const char *path;            /**< as given to cb_media_open() */
    const char *container;       /**< FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    const char *codec;           /**< decoder name, e.g. "h264" */
    const char *source_pix_fmt;  /**< the stream's pixel format, e.g. "yuv422p10le" */
    const char *conversion;      /**< e.g. "yuv422p10le -> yuv420p (swscale, bicubic)", or NULL when frames are yuv420p already */
    int width, height;           /**< luma size in pixels */
    int source_bit_depth;        /**< bits per component of the source */
    int fps_num, fps_den;        /**< average frame rate; 0/0 when unknown */
    int variable_frame_rate;     /**< 1 when the container's rates disagree (r_frame_rate != avg_frame_rate) */
    int64_t frame_count;         /**< from the container, or -1 when it states none */
    double duration_s;           /**< from the container, or -1 when unknown */
    int64_t stream_bytes;        /**< payload bytes of the video packets read so far */
    int64_t container_bytes;     /**< size of the file in bytes, or -1 when not a regular file */
    int tb_num, tb_den;          /**< the stream's time base (units of CbFrame.pts) */
} CbMediaInfo;

typedef struct CbMediaOptions {
    const CbLogger *logger;      /**< warnings (conversions, decode errors recovered); may be NULL */
} CbMediaOptions;

/** Opens path and its first video stream.  On success *out is a new reader
 * (close with cb_media_close()).  Errors: CB_EIO (cannot open), CB_EFORMAT
 * (not a video FFmpeg can read, no video stream, corrupt header),
 * CB_ELIMIT (picture larger than CB_FRAME_MAX_DIM), CB_ENOTSUP (no decoder),
 * CB_ENOMEM; err names path and the reason.  opts may be NULL. */
int cb_media_open(CbMediaReader **out, const char *path, const CbMediaOptions *opts,
                  CbError *err);

/** What the reader knows of the file; borrowed, valid until close.
 * stream_bytes grows as frames are read. */
const CbMediaInfo *cb_media_info(const CbMediaReader *r);

/** Decodes the next frame into *frame.  frame must be zeroed or hold a
 * frame of the reader's size (from an earlier call or cb_frame_alloc()); it
 * is (re)allocated as needed and owned by the caller (cb_frame_free()).
 * Sets frame->index and frame->pts.  Returns 1 with a frame, 0 at the end
 * of the stream, or a negative code: CB_EFORMAT for corrupt or truncated
 * data (err says at which frame), CB_ELIMIT, CB_ENOMEM. */
int cb_media_read(CbMediaReader *r, CbFrame *frame, CbError *err);

/** Positions the reader so that the next cb_media_read() returns frame
 * index n (0-based).  Uses the container's index when the stream has a
 * constant frame rate and timestamps, and decodes from the start otherwise;
 * either way the frame returned is the one sequential reading gives.
 * CB_ERANGE when the stream has no frame n. */
int cb_media_seek(CbMediaReader *r, int64_t n, CbError *err);

/** Closes the reader and sets *r to NULL; NULL and *r == NULL are allowed. */
void cb_media_close(CbMediaReader **r);

/** Routes FFmpeg's own log through logger (NULL: FFmpeg says nothing).
 * FFmpeg's log is process-wide: front ends call this once at start. */
void cb_media_set_ffmpeg_log(const CbLogger *logger);

/** Version string of the FFmpeg libraries in use, e.g. "libavformat 59.27.100,
 * libavcodec 59.37.100, ..."; static storage. */
const char *cb_media_ffmpeg_versions(void);

/* ---- Clip identity ------------------------------------------------------ */

/** Hex digits of a clip identity (SHA-256) plus NUL. */
#define CB_CLIP_ID_HEX 65

typedef struct CbClipHasher CbClipHasher;

/** A clip is identified by its decoded frames, not by its path: SHA-256 over
 * the luma size and, for each frame, the visible bytes of Y, U and V rows.
 * The same frames read from an mp4 or from a y4m give the same identity. */
int cb_clip_hasher_new(CbClipHasher **out);
int cb_clip_hasher_add(CbClipHasher *h, const CbFrame *frame);
/** Writes the identity as lower-case hex into hex; the hasher may not be
 * used again except to be freed. */
int cb_clip_hasher_final(CbClipHasher *h, char hex[CB_CLIP_ID_HEX]);
void cb_clip_hasher_free(CbClipHasher **h);

/** Identity of frames [first, first + count) of path (count < 0: to the end).
 * *frames_out (may be NULL) gets the number of frames hashed.  CB_ERANGE if
 * the file has fewer than first + count frames. */
int cb_clip_identity(const char *path, int64_t first, int64_t count,
                     char hex[CB_CLIP_ID_HEX], int64_t *frames_out, CbError *err);

/* ---- y4m output ---------------------------------------------------------- */

typedef struct CbY4mWriter CbY4mWriter;

/** Creates path (truncating) as a YUV4MPEG2 file of 4:2:0 frames
 * ("C420jpeg", progressive, square pixels) at fps_num/fps_den. */
int cb_y4m_open(CbY4mWriter **out, const char *path, int width, int height,
                int fps_num, int fps_den, CbError *err);
/** Appends a frame, which must have the writer's size. */
int cb_y4m_write(CbY4mWriter *w, const CbFrame *frame, CbError *err);
/** Flushes and closes; returns the first write error if any.  *w is set to NULL. */
int cb_y4m_close(CbY4mWriter **w, CbError *err);

#endif

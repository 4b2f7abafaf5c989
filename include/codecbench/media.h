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
 * Conversion: swscale, bicubic, accurate rounding and bit-exact (the same
 * bytes on every CPU), full chroma resolution for RGB input.  Full-range
 * sources (yuvj*, or YUV and gray streams tagged full range) become limited
 * range.  RGB becomes YUV with swscale's BT.601 matrix.
 * The reader logs one warning when it converts.
 *
 * What the reader refuses rather than guesses:
 * - a picture size or pixel format that changes mid-stream: CB_ENOTSUP
 *   naming the frame (frames are never rescaled behind the caller's back);
 * - a frame that fails to decode, or that the decoder flags as corrupt or
 *   concealed: CB_EFORMAT "PATH: frame N: reason" (never skipped silently);
 * - a packet the demuxer marks as corrupt or cut short (file truncated
 *   inside a packet): CB_EFORMAT naming the frame and the packet;
 * - mp4/mov whose index promises more frames than the data holds:
 *   CB_EFORMAT "PATH: truncated: the container announces 30 frames, only 12
 *   decoded".  Only mp4/mov are checked this way: their index lists every
 *   sample (and marks those an edit list drops), so the count is exact;
 *   AVI indexes and Matroska tags are not relied on;
 * - a y4m whose data is not a whole number of frames of the header's size
 *   (a partial last frame, or a header that lies about the size):
 *   CB_EFORMAT "PATH: frame N: truncated frame ...";
 * - a y4m header beyond CB_FRAME_MAX_DIM: CB_ELIMIT at open.
 *
 * A reader is used by one thread at a time; separate readers are
 * independent.  Decoding may use FFmpeg's threads; output does not depend
 * on their number.
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
    const char *conversion;      /**< e.g. "yuv422p10le -> yuv420p (swscale, bicubic)" or "yuvj420p -> yuv420p (swscale, bicubic, full range -> limited range)"; NULL when frames are limited-range yuv420p already.  Set from the stream's header at open and confirmed (or corrected) by the first decoded frame. */
    int width, height;           /**< luma size in pixels */
    int source_bit_depth;        /**< bits per component of the source */
    int fps_num, fps_den;        /**< average frame rate (the container's r_frame_rate when it has no average); 0/0 when unknown */
    int variable_frame_rate;     /**< 1 when the container's rates disagree (r_frame_rate != avg_frame_rate), and also set
                                      once frames read show timestamp gaps differing by more than one time-base tick
                                      (Matroska states one rate only); so it may turn 1 while reading */
    int64_t frame_count;         /**< from the container (mp4/mov: exact, from the index; AVI: its index), or -1 when it states none (y4m, Matroska, WebM, Ogg) */
    double duration_s;           /**< from the container, or -1 when unknown */
    int64_t stream_bytes;        /**< payload bytes of the video packets given to the decoder so far (y4m: the planes,
                                      without "FRAME" lines); after a seek, packets read again count again, so the
                                      stream's size is this after one sequential read from the start */
    int64_t container_bytes;     /**< size of the file in bytes (stat), or -1 when not a regular file */
    int tb_num, tb_den;          /**< the stream's time base (units of CbFrame.pts) */
} CbMediaInfo;

typedef struct CbMediaOptions {
    const CbLogger *logger;      /**< warnings (conversions) and debug lines (how seeks went); may be NULL.
                                      The struct is copied at open; its opaque must outlive the reader. */
    const char *format;          /**< FFmpeg demuxer to use instead of probing, e.g. "h264", "hevc", "ivf", "m4v"
                                      (elementary streams, whose probing may guess wrong); NULL: probe.  A name
                                      FFmpeg lacks: CB_ENOTSUP at open.  Only read during cb_media_open(). */
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
 * is (re)allocated as needed and owned by the caller (cb_frame_free()); a
 * frame of another size is freed and reallocated.  Sets frame->index and
 * frame->pts (the stream's timestamp, INT64_MIN when it has none).  Returns
 * 1 with a frame, 0 at the end of the stream (and again on later calls), or
 * a negative code: CB_EFORMAT for corrupt or truncated data (err says at
 * which frame), CB_ENOTSUP (size or pixel format changes mid-stream),
 * CB_EIO, CB_ENOMEM.  After an error, cb_media_seek() starts afresh. */
int cb_media_read(CbMediaReader *r, CbFrame *frame, CbError *err);

/** Positions the reader so that the next cb_media_read() returns frame
 * index n (0-based).  Uses the container's index when the stream has a
 * constant frame rate and timestamps, and decodes from the start otherwise;
 * either way the frame returned is the one sequential reading gives.
 * CB_ERANGE when the stream has no frame n (or n < 0).
 *
 * How: up to 48 frames ahead it decodes on.  Otherwise the first seek
 * demuxes the file once (no decoding) to map frame numbers to timestamps;
 * when every packet has one and the gaps are equal within a tick, it seeks
 * the demuxer to frame n's timestamp and decodes up to it, checking that the
 * first frame out is a keyframe, timestamps rise and one frame carries the
 * target's timestamp exactly (landing after it, it steps back 4, 16, 64...
 * frames).  Anything else, including variable frame rate, reopens the file
 * and decodes n frames.  Errors as cb_media_read() and cb_media_open(). */
int cb_media_seek(CbMediaReader *r, int64_t n, CbError *err);

/** Closes the reader and sets *r to NULL; NULL and *r == NULL are allowed. */
void cb_media_close(CbMediaReader **r);

/** Routes FFmpeg's own log through logger (NULL: FFmpeg says nothing).
 * FFmpeg's log is process-wide: front ends call this once at start, before
 * any reader exists.  The logger is copied into the module's one global;
 * only warnings and errors are passed on, one line per FFmpeg message,
 * prefixed with FFmpeg's context ("[h264 @ 0x...] ").  FFmpeg may call it
 * from decoding threads: fn must be thread-safe. */
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
 * The same frames read from an mp4 or from a y4m give the same identity.
 *
 * Bytes hashed: width and height of the first frame as 4-byte
 * little-endian values, then per frame each row of Y, then U, then V,
 * without stride padding.  A clip of no frames hashes no bytes (the SHA-256
 * of the empty string).  cb_clip_hasher_new(): 0, CB_EINVAL, CB_ENOMEM.
 * cb_clip_hasher_add(): 0, CB_EINVAL (bad frame, or after final),
 * CB_EMISMATCH (a frame of another size than the first). */
int cb_clip_hasher_new(CbClipHasher **out);
int cb_clip_hasher_add(CbClipHasher *h, const CbFrame *frame);
/** Writes the identity as lower-case hex into hex; the hasher may not be
 * used again except to be freed. */
int cb_clip_hasher_final(CbClipHasher *h, char hex[CB_CLIP_ID_HEX]);
void cb_clip_hasher_free(CbClipHasher **h);
/** The identity of one frame as a one-frame clip: the digest the worker
 * records for each reconstructed frame and verification checks.  0,
 * CB_EINVAL (a bad frame), CB_ENOMEM. */
int cb_frame_digest(const CbFrame *frame, char hex[CB_CLIP_ID_HEX]);

/** Identity of frames [first, first + count) of path (count < 0: to the end).
 * *frames_out (may be NULL) gets the number of frames hashed.  CB_ERANGE if
 * the file has fewer than first + count frames. */
int cb_clip_identity(const char *path, int64_t first, int64_t count,
                     char hex[CB_CLIP_ID_HEX], int64_t *frames_out, CbError *err);

/* ---- y4m output ---------------------------------------------------------- */

typedef struct CbY4mWriter CbY4mWriter;

/** Creates path (truncating) as a YUV4MPEG2 file of 4:2:0 frames
 * ("C420jpeg", progressive, square pixels) at fps_num/fps_den.  Errors:
 * CB_EINVAL (size outside 1..CB_FRAME_MAX_DIM, rate not positive), CB_EIO
 * (with strerror), CB_ENOMEM.  Writes are buffered: an I/O error may show
 * only at cb_y4m_close(), which always closes the file. */
int cb_y4m_open(CbY4mWriter **out, const char *path, int width, int height,
                int fps_num, int fps_den, CbError *err);
/** Appends a frame, which must have the writer's size (CB_EMISMATCH
 * otherwise).  After an I/O error every call returns that first error. */
int cb_y4m_write(CbY4mWriter *w, const CbFrame *frame, CbError *err);
/** Flushes and closes; returns the first write error if any.  *w is set to NULL. */
int cb_y4m_close(CbY4mWriter **w, CbError *err);

/* ---- PNG output (src/media/png.c) ---------------------------------------- */

/** Writes a width x height RGB24 picture (rows of width*3 bytes, packed, top
 * first; borrowed) to path as a PNG through libavcodec's png encoder,
 * atomically (a temporary name in the same directory, then rename: readers
 * never see half a file).  Errors: CB_EINVAL (no path or picture, size
 * outside 1..CB_FRAME_MAX_DIM), CB_ENOTSUP (FFmpeg without the encoder),
 * CB_EEXTERNAL, CB_ENOMEM, CB_EIO (err names path and the reason). */
int cb_media_write_png(const char *path, const uint8_t *rgb, int width, int height,
                       CbError *err);

/** Writes n (1..1000) width x height RGB24 pictures as an animated PNG
 * (libavcodec's apng encoder, libavformat's apng muxer) that shows each for
 * delay_ms (1..60000) and loops forever; atomically as cb_media_write_png().
 * Viewers without APNG support show the first picture.  Errors as there. */
int cb_media_write_apng(const char *path, const uint8_t *const *rgb, int n, int width,
                        int height, int delay_ms, CbError *err);

#endif

/* codecbench: FFmpeg's encoders as baselines, writing elementary streams.
 *
 * A baseline encodes 8-bit 4:2:0 frames through libavcodec (libx264,
 * libx265, libvpx-vp9, libaom-av1, libsvtav1, mpeg4) at one fixed QP or
 * CRF and stores the bare elementary stream: Annex B for H.264 / HEVC
 * (".h264", ".hevc"), IVF for VP9 / AV1 (".ivf"), MPEG-4 part 2 video
 * (".m4v").  In-band headers (SPS/PPS, VOL, sequence headers) are part of
 * the payload and count in the rate; IVF's 32-byte file header and 12-byte
 * frame headers are container bytes, counted apart.
 *
 * Streams are read back with cb_media_open() with CbMediaOptions.format set
 * to cb_baseline_format() (the raw demuxers do not guess well), and the
 * decoder is flushed at the end, so every frame comes out.
 */
#ifndef CODECBENCH_BASELINE_H
#define CODECBENCH_BASELINE_H

#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/frame.h"
#include "codecbench/log.h"
#include "codecbench/recipe.h"

/** 0 when the installed FFmpeg has encoder (one of the six names), else
 * CB_ENOTSUP with err naming it and listing those this FFmpeg has;
 * CB_EINVAL for a name outside the six. */
int cb_baseline_check(const char *encoder, CbError *err);

/** File extension (".h264", ".hevc", ".ivf", ".m4v") and FFmpeg demuxer name
 * ("h264", "hevc", "ivf", "m4v") of an encoder's stream; NULL for an
 * unknown encoder.  Static strings. */
const char *cb_baseline_extension(const char *encoder);
const char *cb_baseline_format(const char *encoder);

/** Version of the library behind encoder, as loaded in this process:
 * "x264 core 164 (libx264.so.164) via libavcodec 59.37.100 libx264" (x264
 * exports no version: its build number is its soname's), "x265 3.5+1-...",
 * "libvpx v1.12.0", "libaom v3.6.0", "SVT-AV1 v1.4.1" (from the libraries'
 * own version calls), "libavcodec 59.37.100 mpeg4 (libavcodec's own
 * encoder)"; "... (library version not found)" when the lookup fails.
 * Static storage, computed once (thread-safe); NULL for an unknown name. */
const char *cb_baseline_version(const char *encoder);

typedef struct CbBaselineEncoder CbBaselineEncoder;

typedef struct CbBaselineStats {
    int64_t frames;           /**< frames sent */
    int64_t packets;          /**< packets written */
    int64_t payload_bytes;    /**< elementary stream bytes, in-band headers included */
    int64_t container_bytes;  /**< bytes of the file written (payload + IVF headers) */
    int64_t *frame_bits;      /**< owned by the encoder until close, then by the caller (free()); bits
                                   of each frame in presentation order (packets mapped by their pts;
                                   `frames` entries, each > 0, summing to payload_bytes * 8).
                                   Encoders open without global headers, so their headers are in
                                   the packets (in the key frames' bits); no extradata is written */
} CbBaselineStats;

/** Opens an encoder for frames of width x height at fps_num/fps_den, rate
 * point `point` (QP or CRF per s->rate_control), single-threaded (threads
 * = 1, so figures compare with the engine's), writing to out_path
 * (created or truncated; removed again when open fails).  s should have
 * passed cb_recipe_baseline_check(); s->options are set on the encoder and
 * one it does not have is CB_EINVAL naming it ("settings.options.KEY").
 * gop 0 and bframes -1 leave libavcodec's wrapper defaults.  The SVT-AV1
 * and x265 libraries may write their own banners to the process's error
 * output (x265's is turned down with log-level=error; SVT-AV1 reads the
 * SVT_LOG environment variable).
 * Errors: CB_ENOTSUP (encoder missing), CB_EINVAL (an option the encoder
 * refuses, naming it), CB_EIO, CB_EEXTERNAL, CB_ENOMEM. */
int cb_baseline_open(CbBaselineEncoder **out, const CbBaselineSettings *s, int point, int width,
                     int height, int fps_num, int fps_den, const char *out_path,
                     const CbLogger *logger, CbError *err);

/** Encodes one frame (of the encoder's size: CB_EMISMATCH otherwise). */
int cb_baseline_send(CbBaselineEncoder *e, const CbFrame *frame, CbError *err);

/** Flushes the encoder, writes the rest, fsyncs and closes the file, fills
 * *stats (may be NULL) and frees the encoder (*e = NULL).  Returns the first
 * error of the encoder's life if any (a failed send, a write error, a frame
 * the encoder never emitted).  *stats is filled on error too: its
 * frame_bits is then the caller's to free() as well (NULL when e was). */
int cb_baseline_close(CbBaselineEncoder **e, CbBaselineStats *stats, CbError *err);

#endif

/* codecbench: FFmpeg's log routed through a CbLogger, and FFmpeg's versions.
 *
 * av_log_set_callback() is process-wide, so the logger it feeds is kept in
 * the one mutable global of this module (STYLE.md allows no others): a copy
 * of the caller's CbLogger, written by cb_media_set_ffmpeg_log() only.
 * Front ends call it once at start, before any reader exists; FFmpeg may
 * call the logger from its decoding threads, so the logger's fn must be
 * safe to call from several threads.
 */
#define _POSIX_C_SOURCE 200809L

#include "codecbench/media.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>

/* The logger FFmpeg's messages go to (see the file comment). */
static CbLogger ffmpeg_logger;

/* Length of one formatted FFmpeg line; longer lines are cut. */
#define FFMPEG_LINE_MAX 1024

static void ffmpeg_log_callback(void *avcl, int level, const char *fmt, va_list vl)
{
    CbLogLevel cb_level;
    if (level <= AV_LOG_ERROR)       /* panic, fatal, error */
        cb_level = CB_LOG_ERROR;
    else if (level <= AV_LOG_WARNING)
        cb_level = CB_LOG_WARN;
    else
        return;                      /* info, verbose, debug, trace: dropped */
    if (!ffmpeg_logger.fn || cb_level > ffmpeg_logger.max_level)
        return;
    char line[FFMPEG_LINE_MAX];
    int print_prefix = 1;            /* each message names its context */
    av_log_format_line(avcl, level, fmt, vl, line, (int)sizeof line, &print_prefix);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n == 0)
        return;
    ffmpeg_logger.fn(ffmpeg_logger.opaque, cb_level, line);
}

void cb_media_set_ffmpeg_log(const CbLogger *logger)
{
    if (!logger || !logger->fn) {
        av_log_set_level(AV_LOG_QUIET);
        av_log_set_callback(av_log_default_callback);
        memset(&ffmpeg_logger, 0, sizeof ffmpeg_logger);
        return;
    }
    ffmpeg_logger = *logger;
    av_log_set_level(AV_LOG_WARNING);
    av_log_set_callback(ffmpeg_log_callback);
}

/* "libavformat 59.27.100, libavcodec 59.37.100, libavutil 57.28.100,
 * libswscale 6.7.100": four names and twelve numbers of at most 3 digits
 * each (FFmpeg's AV_VERSION_INT packs 8 bits for minor and micro). */
static char versions[160];
static pthread_once_t versions_once = PTHREAD_ONCE_INIT;

static void format_versions(void)
{
    const struct { const char *name; unsigned v; } libs[] = {
        {"libavformat", avformat_version()},
        {"libavcodec", avcodec_version()},
        {"libavutil", avutil_version()},
        {"libswscale", swscale_version()},
    };
    size_t off = 0;
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        int n = snprintf(versions + off, sizeof versions - off, "%s%s %u.%u.%u", i ? ", " : "",
                         libs[i].name, AV_VERSION_MAJOR(libs[i].v), AV_VERSION_MINOR(libs[i].v),
                         AV_VERSION_MICRO(libs[i].v));
        if (n < 0 || (size_t)n >= sizeof versions - off)
            return;  /* cannot happen with the bounds above; keep what fits */
        off += (size_t)n;
    }
}

const char *cb_media_ffmpeg_versions(void)
{
    pthread_once(&versions_once, format_versions);
    return versions;
}

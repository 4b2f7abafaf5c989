/* codecbench: the source frames of a run, read once and kept in memory when
 * they fit, otherwise read again from the file for each pass.  Private to
 * src/worker/. */
#ifndef CODECBENCH_WORKER_SOURCE_H
#define CODECBENCH_WORKER_SOURCE_H

#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/frame.h"
#include "codecbench/log.h"
#include "codecbench/media.h"

typedef struct WkSource {
    const char *path;          /* borrowed */
    int64_t first;             /* first frame of the input */
    int64_t frames;            /* frames in the range (resolved when -1 was asked) */
    int width, height;
    int fps_num, fps_den;      /* the input's rate, 25/1 when it states none */
    int fps_stated;            /* 1 when the input states its rate */
    char clip_id[CB_CLIP_ID_HEX];
    int in_memory;             /* frames[] holds the range */
    CbFrame *mem;              /* in_memory: `frames` frames, owned */
    /* A pass: */
    int64_t pos;
    CbMediaReader *reader;     /* !in_memory: the pass's reader */
    CbClipHasher *hasher;      /* !in_memory: checks the pass read the same frames */
    CbFrame cur;
    const CbLogger *logger;
} WkSource;

/* Reads frames [first, first + frames) of path (frames -1: to the end),
 * computes the clip identity, keeps the frames when they take at most
 * mem_max bytes.  Errors name the input: CB_ENOENT (missing), CB_ERANGE
 * (fewer frames than asked), and cb_media_*'s. */
int wk_source_open(WkSource *s, const char *path, int64_t first, int64_t frames,
                   int64_t mem_max, const CbLogger *logger, CbError *err);
/* Starts a pass over the range. */
int wk_source_rewind(WkSource *s, CbError *err);
/* 1 and *f (borrowed until the next call), 0 after the range's last frame
 * (a re-read pass whose frames differ from the identity's: CB_EMISMATCH). */
int wk_source_next(WkSource *s, const CbFrame **f, CbError *err);
void wk_source_close(WkSource *s);

#endif

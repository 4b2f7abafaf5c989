/* Test fixture shared by the engine's unit tests: a coded stream kept in
 * memory (packets and the encoder's reconstructions).  cmocka asserts on
 * failure, so include it after <cmocka.h>. */
#ifndef CB_TEST_ENGINEFIX_H
#define CB_TEST_ENGINEFIX_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/engine.h"
#include "codecbench/frame.h"

#define EF_MAX_FRAMES 64

typedef struct EfStream {
    uint8_t header[CB_ENGINE_HEADER_BYTES];
    uint8_t *pkt[EF_MAX_FRAMES];
    size_t len[EF_MAX_FRAMES];
    CbFrame recon[EF_MAX_FRAMES];
    int n;
} EfStream;

/* Copies every packet the encoder has ready, with its reconstruction. */
void ef_stream_take(CbEncoder *e, EfStream *s);
void ef_stream_free(EfStream *s);
/* Codes n frames at qp with the built-in stages (30 fps); asserts that
 * every call succeeds and n packets come out. */
void ef_encode(const CbEngineSettings *set, int qp, const CbFrame *frames, int n, EfStream *s);

#endif

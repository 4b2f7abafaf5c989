/* codecbench: .cbv files, the engine's elementary stream on disk: the
 * engine's 64-byte sequence header, then each frame packet as a big-endian
 * u32 length and that many bytes. */
#ifndef CODECBENCH_WORKER_CBVFILE_H
#define CODECBENCH_WORKER_CBVFILE_H

#include <stdint.h>
#include <stdio.h>

#include "codecbench/error.h"

typedef struct CbvWriter {
    FILE *f;
    const char *path;
    uint64_t bytes;
} CbvWriter;

int cbv_writer_open(CbvWriter *w, const char *path, const uint8_t *header, size_t len,
                    CbError *err);
int cbv_writer_packet(CbvWriter *w, const uint8_t *data, size_t len, CbError *err);
/* Flushes, fsyncs and closes; the first error wins. */
int cbv_writer_close(CbvWriter *w, CbError *err);

typedef struct CbvReader {
    FILE *f;
    const char *path;
    uint8_t header[64];
    uint8_t *pkt;     /* the last packet read (owned) */
    size_t pkt_cap;
    int64_t packets;  /* read so far */
    uint64_t bytes;   /* bytes read so far, header included */
    int64_t size;     /* of the file, -1 when not a regular file */
} CbvReader;

/* Opens path and reads the header bytes (not validated: the decoder does). */
int cbv_reader_open(CbvReader *r, const char *path, CbError *err);
/* Reads the next packet into r->pkt: 1 with *len set, 0 at the end, or an
 * error naming the file and the packet (truncated, length over the cap). */
int cbv_reader_packet(CbvReader *r, size_t *len, CbError *err);
void cbv_reader_close(CbvReader *r);

#endif

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

/* Where a packet lies in the file, as cbv_reader_index() finds it. */
typedef struct CbvPacketPos {
    uint64_t offset;  /* of its bytes (after the length field) */
    uint32_t len;
    uint8_t first;    /* its first byte (the engine's frame type), 0 when empty */
} CbvPacketPos;

/* One pass over the packets from the reader's position, reading only each
 * length field and first byte: up to max entries into *out (new array,
 * free()), *n of them.  A damaged tail (a truncated length field or packet,
 * a length over the cap) stops the index there: it returns 0 with the
 * packets before it and sets tail_err (may be NULL) to the reason; with an
 * intact file tail_err's code stays 0.  Errors: CB_ENOMEM, CB_EIO. */
int cbv_reader_index(CbvReader *r, int64_t max, CbvPacketPos **out, int64_t *n,
                     CbError *tail_err, CbError *err);
/* Reads the packet at p into r->pkt (CB_EIO, CB_EFORMAT when the file
 * changed and it is short now, CB_ENOMEM). */
int cbv_reader_packet_at(CbvReader *r, const CbvPacketPos *p, CbError *err);

#endif

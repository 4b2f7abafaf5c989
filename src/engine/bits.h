/* codecbench engine: byte-aligned big-endian fields for stream headers.
 *
 * The writer owns a growable buffer with a hard cap; the reader borrows the
 * caller's bytes.  Both keep a sticky error: once set, writes are dropped and
 * reads return 0, so a header can be written or parsed straight through and
 * checked once at the end.
 */
#ifndef CB_ENGINE_BITS_H
#define CB_ENGINE_BITS_H

#include <stddef.h>
#include <stdint.h>

/** Writer.  buf (owned, NULL until the first byte) holds len bytes; len
 * never exceeds max.  error is 0 or the first of CB_ELIMIT (a write would
 * pass max; nothing of it is written), CB_ENOMEM, CB_EINVAL (a patch outside
 * the written bytes). */
typedef struct CbBitWriter {
    uint8_t *buf;
    size_t len, cap, max;
    int error;
} CbBitWriter;

/** Prepares an empty writer that may hold up to max bytes. */
void cb_bw_init(CbBitWriter *w, size_t max);
/** Frees the buffer (NULL is allowed) and leaves w empty. */
void cb_bw_free(CbBitWriter *w);
/** Appends the low 8 bits of v. */
void cb_bw_u8(CbBitWriter *w, uint32_t v);
/** Appends the low 16 bits of v, big-endian. */
void cb_bw_u16(CbBitWriter *w, uint32_t v);
/** Appends v, big-endian. */
void cb_bw_u32(CbBitWriter *w, uint32_t v);
/** Appends n bytes from p (p may be NULL when n is 0). */
void cb_bw_bytes(CbBitWriter *w, const void *p, size_t n);
/** Overwrites the 4 bytes at pos (already written) with v, big-endian: for
 * length fields known only later.  CB_EINVAL if pos + 4 > len. */
void cb_bw_put_u32_at(CbBitWriter *w, size_t pos, uint32_t v);

/** Reader over borrowed bytes (buf may be NULL when len is 0).  error is 0
 * or CB_EFORMAT once a read asked for more than remained (pos then stays
 * where it was). */
typedef struct CbBitReader {
    const uint8_t *buf;
    size_t len, pos;
    int error;
} CbBitReader;

void cb_br_init(CbBitReader *r, const uint8_t *buf, size_t len);
/** Reads a byte; past the end 0 and the sticky error. */
uint32_t cb_br_u8(CbBitReader *r);
/** Reads 16 bits big-endian; past the end 0 and the sticky error. */
uint32_t cb_br_u16(CbBitReader *r);
/** Reads 32 bits big-endian; past the end 0 and the sticky error. */
uint32_t cb_br_u32(CbBitReader *r);
/** Returns a pointer into the borrowed buffer to the next n bytes and skips
 * them; NULL and the sticky error when fewer than n remain or the error is
 * already set.  n = 0 gives a non-NULL pointer to no bytes. */
const uint8_t *cb_br_bytes(CbBitReader *r, size_t n);
/** Bytes left to read. */
size_t cb_br_left(const CbBitReader *r);

#endif

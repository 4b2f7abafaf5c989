/* codecbench engine: the stream's sequence header and the frame-level
 * syntax around the coding blocks (KLT parameter sets, restoration filter). */
#ifndef CODECBENCH_ENGINE_STREAM_H
#define CODECBENCH_ENGINE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/codec.h"

/* Writes the CB_STREAM_HEADER_BYTES-byte sequence header. */
void cb_seq_header_write(const CbSeqHeader *h, uint8_t out[CB_STREAM_HEADER_BYTES]);
/* Parses and validates a sequence header from untrusted bytes. */
int cb_seq_header_parse(const uint8_t *buf, size_t len, CbSeqHeader *h, CbError *err);

/* The restoration syntax of one plane group (luma, or both chroma planes). */
typedef struct CbRestoreSyntax {
    CbRestoreFilter filter;
    uint8_t *region_on;   /* rw x rh flags, owned by the caller */
    int rw, rh;
} CbRestoreSyntax;

/* KLT parameter set of an I frame: codes which sets are present and their
 * bases, as differences from the DCT.  Decoding validates each basis. */
int cb_code_klt_sets(CbCoder *c, CbContexts *ctx, const CbTables *t, CbKltSet *sets,
                     CbError *err);
/* Restoration filter of one plane group: on/off, coefficients, region flags. */
int cb_code_restore(CbCoder *c, CbContexts *ctx, int chroma, CbRestoreSyntax *r);

/* Sets the padded geometry of fs for a width x height stream and allocates
 * its unit arrays and the restoration region flags (freed by the owner). */
int cb_codec_geometry_alloc(CbFrameState *fs, CbRestoreSyntax rest[2], int width, int height,
                            int region);
/* Applies the restoration filters of both plane groups (copying planes whose
 * group has the filter off) from src into dst, padded size pw x ph. */
void cb_restore_frame(const CbFrame *src, CbFrame *dst, int pw, int ph,
                      const CbRestoreSyntax rest[2], int region);

#endif

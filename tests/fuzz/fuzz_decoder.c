/* libFuzzer target: the engine's decoder on any bytes, read as a .cbv
 * stream (the 64-byte sequence header, then u32 big-endian lengths and
 * packets).  Any input must give frames or errors, never a crash, a hang or
 * undefined behaviour.  Built and run by tests/fuzz/run, on seeds encoded
 * with every sample recipe.  After each frame the block map is read too
 * and its entries checked against their stated ranges.
 *
 * A header that names a stage (byte 28, hash at 32) gets stages of this
 * file whose outputs come from their inputs (any value is valid to the
 * engine) and which sometimes return nonzero; bits of the hash choose
 * whether a wrong stage is offered first (it must be refused) and whether
 * none is given (every packet must then be refused with CB_ENOTSUP). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/engine.h"
#include "codecbench/stage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Pictures larger than this are skipped here only to keep the fuzzer fast
 * and its memory small; the decoder itself accepts up to 8192x8192. */
#define FUZZ_MAX_PIXELS (256 * 256)

static int fz_intra(const CbStageIntra *a)
{
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++)
            a->dst[j * a->stride + i] = (uint8_t)(a->top[i] ^ a->left[j] ^ a->corner ^ a->mode);
    return a->top[0] == 0xff && a->left[0] == 0 ? 3 : 0;
}

static int fz_inv(const CbStageXform *a)
{
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++)
            a->res[j * a->stride + i] = (int16_t)(a->coef[j * a->n + i] * 251 ^ a->intra_mode);
    return a->coef[0] == 12345 ? -1 : 0;
}

static int fz_filter(const CbStageFilter *a)
{
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            a->dst[y * a->stride + x] = (uint8_t)(a->src[y * a->stride + x] + (x ^ y) * a->qp);
    return a->qp == 51 && a->frame_type == 1 ? 2 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CbDecoder *d = NULL;
    CbError err;
    if (size < CB_ENGINE_HEADER_BYTES)
        return 0;
    /* Width and height are big-endian u16 at bytes 6 and 8. */
    long w = data[6] << 8 | data[7], h = data[8] << 8 | data[9];
    if (w * h > FUZZ_MAX_PIXELS)
        return 0;
    if (cb_decoder_new(&d, data, size, &err) < 0)
        return 0;
    const CbStreamInfo *si = cb_decoder_info(d);
    int no_stage = 0;
    if (si->stage_kind != CB_STAGE_NONE) {
        CbStageOps ops = {.kind = si->stage_kind, .intra = fz_intra, .loop_filter = fz_filter,
                          .transform_inv = fz_inv};
        memcpy(ops.hash, si->stage_hash, sizeof ops.hash);
        if (si->stage_hash[31] & 1) {
            CbStageOps wrong = ops;
            wrong.hash[0] ^= 1;
            if (cb_decoder_set_stage(d, &wrong, &err) != CB_EMISMATCH)
                abort();
        }
        no_stage = si->stage_hash[30] & 1;
        if (!no_stage && cb_decoder_set_stage(d, &ops, &err) != 0)
            abort();
    }
    int cols = (si->width + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID;
    int rows = (si->height + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID;
    CbBlockInfo *blocks = malloc(sizeof *blocks * (size_t)cols * (size_t)rows);
    if (!blocks) {
        cb_decoder_free(&d);
        return 0;
    }
    if (cb_decoder_blocks(d, blocks, cols, rows, &err) != CB_EINVAL)
        abort(); /* no frame decoded yet */
    size_t pos = CB_ENGINE_HEADER_BYTES;
    for (int frames = 0; frames < 16 && size - pos >= 4; frames++) {
        uint32_t len = (uint32_t)data[pos] << 24 | (uint32_t)data[pos + 1] << 16 |
                       (uint32_t)data[pos + 2] << 8 | data[pos + 3];
        pos += 4;
        if (len > size - pos)
            len = (uint32_t)(size - pos);
        CbFrame f;
        int rc = cb_decoder_decode(d, data + pos, len, &f, &err);
        /* Without its stage a stream gives no picture at all, and an I
         * frame's packet says why. */
        if (no_stage && (rc == 0 || (len >= 2 && data[pos] == 0 && data[pos + 1] <= 51 &&
                                     rc != CB_ENOTSUP)))
            abort();
        if (rc == 0) {
            /* Touch every output sample: a wrong view would be caught. */
            volatile unsigned sum = 0;
            for (int p = 0; p < 3; p++)
                for (int y = 0; y < (p ? (f.height + 1) / 2 : f.height); y++)
                    for (int x = 0; x < (p ? (f.width + 1) / 2 : f.width); x++)
                        sum += f.data[p][y * f.stride[p] + x];
            (void)sum;
            if (cb_decoder_blocks(d, blocks, cols, rows, &err) != 0 ||
                cb_decoder_blocks(d, blocks, cols + 1, rows, &err) != CB_EINVAL)
                abort();
            for (int i = 0; i < cols * rows; i++) {
                const CbBlockInfo *b = &blocks[i];
                if (b->kind > CB_BLOCK_SKIP || (b->size != 8 && b->size != 16) || b->mode > 5 ||
                    b->cbf > 1 || (b->kind == CB_BLOCK_INTRA && (b->mvx || b->mvy)))
                    abort();
            }
        }
        pos += len;
    }
    cb_decoder_stats(d);
    cb_decoder_free(&d);
    free(blocks);
    return 0;
}

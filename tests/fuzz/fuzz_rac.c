/* libFuzzer target: arbitrary bytes through every decoding call of
 * engine/rac and engine/bits.  Not part of the build; by hand:
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     tests/fuzz/fuzz_rac.c src/engine/rac.c src/engine/bits.c -o fuzz_rac
 *   ./fuzz_rac -max_total_time=60
 * The first bytes choose the mode and the egk parameters, the rest is the
 * coded stream.  Loops are bounded: 4096 symbols per input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "codecbench/error.h"
#include "engine/bits.h"
#include "engine/rac.h"

/* Symbols decoded per input: enough to run far past any stream libFuzzer
 * makes, few enough to stay fast. */
#define FUZZ_SYMBOLS 4096
#define FUZZ_CTX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Header fields, read as a stream parser would. */
    CbBitReader br;
    cb_br_init(&br, data, size);
    uint32_t mode = cb_br_u8(&br) % 3;
    uint32_t kmax = cb_br_u8(&br);
    uint32_t max = cb_br_u32(&br);
    uint32_t skip = cb_br_u16(&br) & 7;
    (void)cb_br_bytes(&br, skip); /* a variable-length field before the stream */
    size_t off = br.pos;
    if (br.error)
        off = size; /* empty stream: still decode it */

    CbRacCtx ctx[FUZZ_CTX];
    cb_rac_ctx_init(ctx, FUZZ_CTX);
    CbRacDec d;
    cb_rac_dec_init(&d, (CbAdapt)mode, data + (off < size ? off : 0), off < size ? size - off : 0);
    for (int i = 0; i < FUZZ_SYMBOLS; i++) {
        switch (i % 5) {
        case 0:
            if (cb_rac_decode(&d, &ctx[i % FUZZ_CTX]) > 1)
                abort();
            break;
        case 1:
            if (cb_rac_decode_bypass(&d) > 1)
                abort();
            break;
        case 2: {
            int n = i % (CB_RAC_BITS_MAX + 1);
            if (cb_rac_decode_bits(&d, n) >= (1u << n))
                abort();
            break;
        }
        case 3: {
            /* Any k (also invalid ones) and n_ctx, with the header's max. */
            int k = (int)((kmax + (uint32_t)i) % (CB_RAC_EGK_K_MAX + 3)) - 1;
            int n_ctx = i % 4;
            uint32_t m = (i & 8) ? max : max % 1000u;
            if (cb_rac_decode_egk(&d, ctx, n_ctx, k, m) > m)
                abort();
            break;
        }
        default: {
            uint32_t m = (uint32_t)i % 64u;
            if (cb_rac_decode_egk(&d, &ctx[8], 4, (int)(kmax % 4), m) > m)
                abort();
        }
        }
        if (d.pos > d.len)
            abort();
    }
    int rc = cb_rac_dec_finish(&d);
    if (rc != CB_OK && rc != CB_EFORMAT && rc != CB_EINVAL)
        abort();
    /* The same bytes as header fields to the end. */
    cb_br_init(&br, data, size);
    for (size_t i = 0; i <= size; i++) {
        switch (i % 4) {
        case 0: (void)cb_br_u8(&br); break;
        case 1: (void)cb_br_u16(&br); break;
        case 2: (void)cb_br_u32(&br); break;
        default: (void)cb_br_bytes(&br, i % 7); break;
        }
        if (br.pos > br.len)
            abort();
    }
    return 0;
}

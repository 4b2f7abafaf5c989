/* codecbench stage: the stage hash, SHA-256 of the source bytes (nettle's),
 * so that `sha256sum stage.c` prints what the stream header carries. */
#include <nettle/sha2.h>

#include "codecbench/sandbox.h"

void cb_stage_hash(const char *source, size_t len, uint8_t hash[32])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, len, (const uint8_t *)source);
    sha256_digest(&c, SHA256_DIGEST_SIZE, hash);
}

void cb_stage_hash_hex(const char *source, size_t len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t h[32];
    cb_stage_hash(source, len, h);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[h[i] >> 4];
        hex[2 * i + 1] = digits[h[i] & 15];
    }
    hex[64] = '\0';
}

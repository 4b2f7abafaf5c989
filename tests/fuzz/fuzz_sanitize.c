/* libFuzzer target: the terminal sanitiser.  Whatever the input, the output
 * holds no C0 control, no DEL and no C1 control, and stays within 4x the
 * input's size. */
#include <stdint.h>
#include <stdlib.h>

#include "codecbench/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CbBuf b;
    cb_buf_init(&b, 4 * size + 16);
    if (cb_sanitize_append(&b, (const char *)data, size, 0) != 0)
        abort();
    for (size_t i = 0; i < b.len; i++) {
        unsigned char c = (unsigned char)b.data[i];
        if (c < 0x20 || c == 0x7f)
            abort();
        if (c == 0xc2 && i + 1 < b.len && (unsigned char)b.data[i + 1] < 0xa0)
            abort();
    }
    cb_buf_free(&b);
    return 0;
}

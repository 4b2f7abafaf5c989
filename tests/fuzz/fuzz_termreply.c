/* libFuzzer target: the bytes a terminal (or anything on the other end of
 * the tty) sends back to the capability query.  The parser must not crash,
 * must report DA1 consistently with the sixel flag, and sizes it keeps must
 * be sane (zero or positive and bounded). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codecbench/preview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CbTermCaps caps;
    memset(&caps, 0, sizeof caps);
    int da1 = cb_term_scan_replies(data, size, &caps);
    assert(da1 == 0 || da1 == 1);
    assert(!caps.da1_sixel || da1);
    assert(caps.cell_width_px >= 0 && caps.cell_height_px >= 0 && caps.cell_width_px <= 100000 &&
           caps.cell_height_px <= 100000);
    return 0;
}

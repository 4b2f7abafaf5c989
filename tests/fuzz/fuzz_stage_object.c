/* libFuzzer target: the stage object check (src/stage/elfcheck.c) on
 * hostile bytes.  Whatever the input, each kind's check ends in 0,
 * CB_ESTAGE or CB_EFORMAT, and its reason is one line of printable text
 * (names taken from the object are sanitised). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/error.h"
#include "stage/elfcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int k = CB_STAGE_INTRA; k <= CB_STAGE_TRANSFORM; k++) {
        CbError err;
        cb_error_clear(&err);
        int rc = cb_stage_check_elf(data, size, (CbStageKind)k, &err);
        if (rc != 0 && rc != CB_ESTAGE && rc != CB_EFORMAT)
            abort();
        if (rc != 0 && (err.code != rc || err.text[0] == '\0'))
            abort();
        for (size_t i = 0; err.text[i]; i++)
            if ((unsigned char)err.text[i] < 0x20 || (unsigned char)err.text[i] == 0x7f)
                abort();
    }
    return 0;
}

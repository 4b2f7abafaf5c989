/* libFuzzer target: the checks of a stage's text (src/stage/scan.c) on
 * hostile bytes, read as a source, as preprocessed text and as a
 * dependency list.  Each ends in 0 or CB_ESTAGE, with a reason of one line
 * of printable text. */
#include <stdint.h>
#include <stdlib.h>

#include "codecbench/error.h"
#include "stage/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const CbError *err)
{
    if (rc != 0 && (rc != CB_ESTAGE || err->code != rc || err->text[0] == '\0'))
        abort();
    for (size_t i = 0; err->text[i]; i++)
        if ((unsigned char)err->text[i] < 0x20 || (unsigned char)err->text[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *t = (const char *)data;
    CbError err;
    cb_error_clear(&err);
    check(cb_stage_scan_directives(t, size, &err), &err);
    cb_error_clear(&err);
    check(cb_stage_scan_tokens(t, size, &err), &err);
    cb_error_clear(&err);
    check(cb_stage_check_deps(t, size, t, size, &err), &err);
    return 0;
}

/* libFuzzer target: one events.jsonl line (what a worker, or anything that
 * wrote into a run directory, left there) formatted for people.  The text
 * must stay NUL-terminated, within its size, and free of control bytes. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codecbench/runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[512];
    memset(text, 'x', sizeof(text));
    cb_event_text((const char *)data, size, text, sizeof(text));
    size_t n = strnlen(text, sizeof(text));
    assert(n < sizeof(text));
    for (size_t i = 0; i < n; i++)
        assert((unsigned char)text[i] >= 0x20 && text[i] != 0x7f);
    char tiny[1];
    cb_event_text((const char *)data, size, tiny, sizeof(tiny));
    assert(tiny[0] == '\0');
    return 0;
}

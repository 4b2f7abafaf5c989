/* libFuzzer target: the result.json reader.  Whatever the bytes: no crash,
 * leak or undefined behaviour; an accepted result passes cb_result_check and
 * writes back and reads back the same; a refused one sets an error text
 * naming the file and leaves the struct empty.  cb_result_read reads a
 * file, so each input is written to a private temporary file first.
 *
 * Built by tests/fuzz/run (seeds in tests/fuzz/seeds/result). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecbench/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], back[80];
    snprintf(path, sizeof path, "/tmp/fuzz_result.%ld.json", (long)getpid());
    snprintf(back, sizeof back, "%s.back", path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    CbRunResult r, again;
    CbError err;
    cb_error_clear(&err);
    int rc = cb_result_read(path, &r, &err);
    if (rc < 0) {
        if (err.code != rc || !strstr(err.text, path) || r.points || r.codec)
            abort();
        return 0;
    }
    if (cb_result_check(&r, NULL) != 0 || cb_result_write(back, &r, NULL) != 0 ||
        cb_result_read(back, &again, NULL) != 0 || again.n_points != r.n_points ||
        again.frames != r.frames || strcmp(again.clip_id, r.clip_id) != 0)
        abort();
    for (size_t i = 0; i < r.n_points; i++)
        if (memcmp(again.points[i].rows, r.points[i].rows,
                   (size_t)r.frames * sizeof *r.points[i].rows) != 0)
            abort(); /* rows are calloc'd (padding zero); doubles round-trip exactly */
    cb_result_free(&again);
    cb_result_free(&r);
    unlink(back);
    return 0;
}

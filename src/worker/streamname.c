/* codecbench: the names of a run's streams (see runfiles.h).  A file of
 * its own: runfiles.o stays free of media/ for the programs that link the
 * worker's library without it. */
#include <stdio.h>

#include "codecbench/baseline.h"
#include "worker/runfiles.h"

int rf_stream_name(const CbRecipe *r, int rate, char *buf, size_t size, CbError *err)
{
    const char *prefix = "qp", *ext = ".cbv";
    if (r->codec == CB_CODEC_FFMPEG) {
        prefix = r->baseline.rate_control == CB_RC_CRF ? "crf" : "qp";
        ext = cb_baseline_extension(r->baseline.encoder);
        if (!ext)
            return cb_error_set(err, CB_EINVAL, "encoder '%s' has no stream format",
                                r->baseline.encoder);
    }
    int n = snprintf(buf, size, "%s%d%s", prefix, rate, ext);
    if (n < 0 || (size_t)n >= size)
        return cb_error_set(err, CB_EINVAL, "stream name of point %d: too long", rate);
    return CB_OK;
}

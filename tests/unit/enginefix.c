/* Test fixture shared by the engine's unit tests (enginefix.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enginefix.h"

void ef_stream_take(CbEncoder *e, EfStream *s)
{
    CbEncodedFrame f;
    while (cb_encoder_receive(e, &f) == 1) {
        assert_true(s->n < EF_MAX_FRAMES);
        s->pkt[s->n] = malloc(f.size);
        assert_non_null(s->pkt[s->n]);
        memcpy(s->pkt[s->n], f.data, f.size);
        s->len[s->n] = f.size;
        assert_int_equal(cb_frame_alloc(&s->recon[s->n], f.recon.width, f.recon.height), 0);
        cb_frame_copy(&s->recon[s->n], &f.recon);
        s->n++;
    }
}

void ef_stream_free(EfStream *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->pkt[i]);
        cb_frame_free(&s->recon[i]);
    }
    s->n = 0;
}

void ef_encode(const CbEngineSettings *set, int qp, const CbFrame *frames, int n, EfStream *s)
{
    CbEncoder *e = NULL;
    CbError err;
    if (cb_encoder_new(&e, set, qp, frames[0].width, frames[0].height, 30, 1, &err) != 0)
        fail_msg("encoder: %s", err.text);
    memcpy(s->header, cb_encoder_header(e), CB_ENGINE_HEADER_BYTES);
    s->n = 0;
    for (int i = 0; i < n; i++) {
        if (cb_encoder_send(e, &frames[i], &err) != 0)
            fail_msg("encoder, frame %d: %s", i, err.text);
        ef_stream_take(e, s);
    }
    if (cb_encoder_send(e, NULL, &err) != 0)
        fail_msg("encoder, flush: %s", err.text);
    ef_stream_take(e, s);
    assert_int_equal(s->n, n);
    cb_encoder_free(&e);
}

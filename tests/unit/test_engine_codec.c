/* The engine end to end: encoder, stream, decoder.
 *
 * Every stream is decoded by the decoder from its bytes alone and compared
 * with the encoder's reconstruction, bit for bit.  Frames come from the test
 * clips (CB_CLIPS) and from synthetic sequences built here. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codecbench/engine.h"
#include "codecbench/frame.h"
#include "codecbench/media.h"
#include "codecbench/metrics.h"
#include "engine/codec.h"
#include "engine/mc.h"
#include "engine/stream.h"
#include "enginefix.h"

/* ---- Helpers ----------------------------------------------------------------- */


static int frames_equal(const CbFrame *a, const CbFrame *b)
{
    if (a->width != b->width || a->height != b->height)
        return 0;
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < cb_plane_height(a->height, p); y++)
            if (memcmp(a->data[p] + y * a->stride[p], b->data[p] + y * b->stride[p],
                       (size_t)cb_plane_width(a->width, p)))
                return 0;
    return 1;
}

/* Decodes s; asserts every frame equals the encoder's reconstruction;
 * returns the mean PSNR-Y against src and the total bytes. */
static double decode_check(const EfStream *s, const CbFrame *src, size_t *bytes)
{
    CbDecoder *d = NULL;
    CbError err;
    assert_int_equal(cb_decoder_new(&d, s->header, CB_ENGINE_HEADER_BYTES, &err), 0);
    CbMetricsCtx *m = NULL;
    assert_int_equal(cb_metrics_ctx_new(&m, src[0].width, src[0].height, 0), 0);
    double psnr = 0;
    size_t total = CB_ENGINE_HEADER_BYTES;
    for (int i = 0; i < s->n; i++) {
        CbFrame f;
        int rc = cb_decoder_decode(d, s->pkt[i], s->len[i], &f, &err);
        if (rc)
            fail_msg("frame %d: %s", i, err.text);
        assert_true(frames_equal(&f, &s->recon[i]));
        CbFrameMetrics fm;
        assert_int_equal(cb_metrics_frame(m, &src[i], &f, &fm), 0);
        psnr += fm.psnr[0];
        total += s->len[i] + 4;
    }
    cb_metrics_ctx_free(&m);
    cb_decoder_free(&d);
    if (bytes)
        *bytes = total;
    return psnr / s->n;
}

/* Reads n frames of a test clip; returns 0 (and skips) when it is missing. */
static int load_clip(const char *name, CbFrame *frames, int n)
{
    const char *dir = getenv("CB_CLIPS");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", name);
    CbMediaReader *r = NULL;
    CbError err;
    if (cb_media_open(&r, path, NULL, &err) < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        memset(&frames[i], 0, sizeof frames[i]);
        assert_int_equal(cb_media_read(r, &frames[i], &err), 1);
    }
    cb_media_close(&r);
    return 1;
}

static void free_frames(CbFrame *f, int n)
{
    for (int i = 0; i < n; i++)
        cb_frame_free(&f[i]);
}

#define CLIP_FRAMES 6

/* ---- Round trips ---------------------------------------------------------------- */

static void round_trip(void (*tweak)(CbEngineSettings *))
{
    CbFrame src[CLIP_FRAMES];
    if (!load_clip("motion.y4m", src, CLIP_FRAMES))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.gop = 4; /* two GOPs: an I frame in the middle */
    if (tweak)
        tweak(&set);
    EfStream s = {0};
    ef_encode(&set, 30, src, CLIP_FRAMES, &s);
    size_t bytes;
    double psnr = decode_check(&s, src, &bytes);
    print_message("PSNR-Y %.2f dB, %zu bytes\n", psnr, bytes);
    assert_true(psnr > 30.0);
    ef_stream_free(&s);
    free_frames(src, CLIP_FRAMES);
}

static void t_default(CbEngineSettings *s) { (void)s; }
static void t_dct(CbEngineSettings *s) { s->transform = CB_TRANSFORM_DCT; }
static void t_norest(CbEngineSettings *s) { s->restoration = 0; s->deblock = 0; }
static void t_b8(CbEngineSettings *s) { s->block_size = 8; s->intra_modes = CB_INTRA_BASIC; }
static void t_fast(CbEngineSettings *s)
{
    s->preset = CB_PRESET_FAST;
    s->search = CB_SEARCH_DIAMOND;
    s->subpel = CB_SUBPEL_HALF;
    s->partition = 0;
    s->adaptation = CB_ADAPT_FAST;
}
static void t_intra(CbEngineSettings *s) { s->gop = 1; s->intra_modes = CB_INTRA_DC; }
static void t_slices(CbEngineSettings *s) { s->slices = 5; s->threads = 2; }
static void t_full(CbEngineSettings *s)
{
    s->search = CB_SEARCH_FULL;
    s->search_range = 8;
    s->subpel = CB_SUBPEL_FULL;
    s->restoration_region = 32;
    s->adaptation = CB_ADAPT_SLOW;
}

static void test_round_trip_default(void **st) { (void)st; round_trip(t_default); }
static void test_round_trip_dct(void **st) { (void)st; round_trip(t_dct); }
static void test_round_trip_no_filters(void **st) { (void)st; round_trip(t_norest); }
static void test_round_trip_block8(void **st) { (void)st; round_trip(t_b8); }
static void test_round_trip_fast(void **st) { (void)st; round_trip(t_fast); }
static void test_round_trip_intra(void **st) { (void)st; round_trip(t_intra); }
static void test_round_trip_full_search(void **st) { (void)st; round_trip(t_full); }
static void test_round_trip_slices(void **st) { (void)st; round_trip(t_slices); }

/* An odd size (175x143) is padded inside the codec and cropped on output. */
static void test_round_trip_odd_size(void **state)
{
    (void)state;
    CbFrame src[4];
    if (!load_clip("odd_175x143.y4m", src, 4))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    EfStream s = {0};
    ef_encode(&set, 28, src, 4, &s);
    assert_true(decode_check(&s, src, NULL) > 30.0);
    ef_stream_free(&s);
    free_frames(src, 4);
}

/* PSNR rises and the stream grows as QP falls. */
static void test_rate_distortion_monotonic(void **state)
{
    (void)state;
    CbFrame src[4];
    if (!load_clip("texture.y4m", src, 4))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    double last_psnr = 0;
    size_t last_bytes = 0;
    int qps[4] = {40, 34, 28, 22};
    for (int i = 0; i < 4; i++) {
        EfStream s = {0};
        ef_encode(&set, qps[i], src, 4, &s);
        size_t bytes;
        double psnr = decode_check(&s, src, &bytes);
        print_message("QP %d: %.2f dB, %zu bytes\n", qps[i], psnr, bytes);
        assert_true(psnr > last_psnr);
        assert_true(bytes > last_bytes);
        last_psnr = psnr;
        last_bytes = bytes;
        ef_stream_free(&s);
    }
    free_frames(src, 4);
}

/* Two encodes are identical, and so are encodes with 1, 2 and 3 threads
 * (4 slices: the threads code them at once). */
static void test_deterministic(void **state)
{
    (void)state;
    CbFrame src[4];
    if (!load_clip("natural.y4m", src, 4))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.slices = 4;
    EfStream a = {0}, b = {0}, c = {0};
    ef_encode(&set, 30, src, 4, &a);
    ef_encode(&set, 30, src, 4, &b);
    set.threads = 3;
    ef_encode(&set, 30, src, 4, &c);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(a.len[i], b.len[i]);
        assert_memory_equal(a.pkt[i], b.pkt[i], a.len[i]);
        assert_int_equal(a.len[i], c.len[i]);
        assert_memory_equal(a.pkt[i], c.pkt[i], a.len[i]);
    }
    ef_stream_free(&a);
    ef_stream_free(&b);
    ef_stream_free(&c);
    free_frames(src, 4);
}

/* ---- Motion: a synthetic pan with a known half-pel motion ------------------------ */

/* A smooth random texture: white noise through a few box blurs. */
static void texture(uint8_t *t, int w, int h, unsigned seed)
{
    int *tmp = malloc(sizeof *tmp * (size_t)w * (size_t)h);
    assert_non_null(tmp);
    for (int i = 0; i < w * h; i++) {
        seed = seed * 1103515245u + 12345u;
        tmp[i] = (int)((seed >> 16) & 255);
    }
    for (int pass = 0; pass < 2; pass++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int s = 0, k = 0;
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx >= 0 && yy >= 0 && xx < w && yy < h) {
                            s += tmp[yy * w + xx];
                            k++;
                        }
                    }
                t[y * w + x] = (uint8_t)(s / k);
                if (pass == 0)
                    continue;
            }
    for (int i = 0; i < w * h; i++)
        tmp[i] = t[i];
    /* Stretch the contrast back to 0..255 after the blur. */
    int lo = 255, hi = 0;
    for (int i = 0; i < w * h; i++) {
        lo = tmp[i] < lo ? tmp[i] : lo;
        hi = tmp[i] > hi ? tmp[i] : hi;
    }
    for (int i = 0; i < w * h; i++)
        t[i] = (uint8_t)((tmp[i] - lo) * 255 / (hi > lo ? hi - lo : 1));
    free(tmp);
}

static void test_motion_half_pel_pan(void **state)
{
    (void)state;
    /* Frame k is the big texture seen through a window that moves by
     * (-2.5, +1.5) pixels a frame, made with the codec's own interpolation
     * filter: block (x, y) of frame k shows the texture at (64 + x - 2.5k,
     * 64 + y + 1.5k), which frame k - 1 shows at (x - 2.5, y + 1.5).  So the
     * true vector from frame k to frame k - 1 is (-10, +6) quarter-pel, for
     * every block (the window stays inside the texture). */
    enum { W = 128, H = 96, BIG = 256, N = 4 };
    uint8_t *big = malloc(BIG * BIG);
    assert_non_null(big);
    texture(big, BIG, BIG, 7);
    CbMcDsp dsp;
    cb_mc_dsp_init(&dsp, 0);
    CbFrame src[N];
    for (int k = 0; k < N; k++) {
        assert_int_equal(cb_frame_alloc(&src[k], W, H), 0);
        /* Window origin 64 + k*(-2.5, +1.5) pixels: quarter-pel (256 - 10k, 256 + 6k). */
        for (int by = 0; by < H; by += 16)
            for (int bx = 0; bx < W; bx += 16)
                cb_mc_block(&dsp, big, BIG, BIG, BIG, 64 + bx, 64 + by, 16, 16, -10 * k, 6 * k, 0,
                            src[k].data[0] + by * src[k].stride[0] + bx, src[k].stride[0]);
        memset(src[k].data[1], 128, (size_t)src[k].stride[1] * (H / 2));
        memset(src[k].data[2], 128, (size_t)src[k].stride[2] * (H / 2));
    }
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.partition = 0;
    set.restoration = 0;
    EfStream s = {0};
    ef_encode(&set, 24, src, N, &s);
    CbDecoder *d = NULL;
    CbError err;
    assert_int_equal(cb_decoder_new(&d, s.header, CB_ENGINE_HEADER_BYTES, &err), 0);
    for (int i = 0; i < s.n; i++) {
        CbFrame f;
        assert_int_equal(cb_decoder_decode(d, s.pkt[i], s.len[i], &f, &err), 0);
    }
    const CbDecodeStats *st = cb_decoder_stats(d);
    int64_t moving = st->blocks[1] + st->blocks[2], right = 0;
    for (int i = 0; i < st->n_mvs; i++)
        if (st->mvs[i].x == -10 && st->mvs[i].y == 6)
            right = st->mvs[i].count;
    print_message("%lld of %lld inter/skip blocks have the true vector (-10,6); %lld intra "
                  "blocks in all\n",
                  (long long)right, (long long)moving, (long long)st->blocks[0]);
    /* Blocks of P frames: (N - 1) x 48.  At least 95% of them find it. */
    assert_true(right * 100 >= 95 * (int64_t)((N - 1) * (W / 16) * (H / 16)));
    cb_decoder_free(&d);
    ef_stream_free(&s);
    free_frames(src, N);
    free(big);
}

/* ---- Hostile streams -------------------------------------------------------------- */

static void small_stream(EfStream *s, CbFrame *src, int n)
{
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.gop = n;
    ef_encode(&set, 30, src, n, s);
}

static void synthetic(CbFrame *f, int n, int w, int h)
{
    for (int k = 0; k < n; k++) {
        assert_int_equal(cb_frame_alloc(&f[k], w, h), 0);
        for (int p = 0; p < 3; p++)
            for (int y = 0; y < cb_plane_height(h, p); y++)
                for (int x = 0; x < cb_plane_width(w, p); x++)
                    f[k].data[p][y * f[k].stride[p] + x] =
                        (uint8_t)((x * 7 + y * 3 + k * 5 + p * 40 + ((x ^ y) & 8) * 6) & 255);
    }
}

static void test_truncated_packets_fail(void **state)
{
    (void)state;
    CbFrame src[2];
    synthetic(src, 2, 64, 48);
    EfStream s = {0};
    small_stream(&s, src, 2);
    /* Every truncation of the P frame's packet is an error. */
    for (size_t cut = 0; cut < s.len[1]; cut++) {
        CbDecoder *d = NULL;
        CbError err;
        CbFrame f;
        assert_int_equal(cb_decoder_new(&d, s.header, CB_ENGINE_HEADER_BYTES, &err), 0);
        assert_int_equal(cb_decoder_decode(d, s.pkt[0], s.len[0], &f, &err), 0);
        int rc = cb_decoder_decode(d, s.pkt[1], cut, &f, &err);
        if (rc == 0)
            fail_msg("a P frame cut to %zu of %zu bytes decoded", cut, s.len[1]);
        assert_int_equal(rc, CB_EFORMAT);
        cb_decoder_free(&d);
    }
    ef_stream_free(&s);
    free_frames(src, 2);
}

/* Random damage: a frame or an error, never a crash (ASan/UBSan watch). */
static void test_flipped_bytes_never_crash(void **state)
{
    (void)state;
    CbFrame src[3];
    synthetic(src, 3, 64, 48);
    EfStream s = {0};
    small_stream(&s, src, 3);
    unsigned seed = 99;
    int errors = 0;
    for (int iter = 0; iter < 300; iter++) {
        CbDecoder *d = NULL;
        CbError err;
        CbFrame f;
        assert_int_equal(cb_decoder_new(&d, s.header, CB_ENGINE_HEADER_BYTES, &err), 0);
        for (int i = 0; i < s.n; i++) {
            uint8_t *p = malloc(s.len[i]);
            assert_non_null(p);
            memcpy(p, s.pkt[i], s.len[i]);
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % s.len[i];
            p[at] ^= (uint8_t)(1u << ((seed >> 4) & 7));
            if (cb_decoder_decode(d, p, s.len[i], &f, &err) < 0)
                errors++;
            free(p);
        }
        cb_decoder_free(&d);
    }
    print_message("%d of %d damaged frames were refused\n", errors, 300 * s.n);
    assert_true(errors > 0);
    ef_stream_free(&s);
    free_frames(src, 3);
}

static void test_bad_headers(void **state)
{
    (void)state;
    CbFrame src[1];
    synthetic(src, 1, 32, 32);
    EfStream s = {0};
    small_stream(&s, src, 1);
    CbDecoder *d = NULL;
    CbError err;
    uint8_t h[CB_ENGINE_HEADER_BYTES];
    memcpy(h, s.header, sizeof h);
    h[0] = 'X';
    assert_int_equal(cb_decoder_new(&d, h, sizeof h, &err), CB_EFORMAT);
    memcpy(h, s.header, sizeof h);
    h[4] = 2;
    assert_int_equal(cb_decoder_new(&d, h, sizeof h, &err), CB_ENOTSUP);
    memcpy(h, s.header, sizeof h);
    h[6] = 0x23; /* width 9000 > 8192 */
    h[7] = 0x28;
    assert_int_equal(cb_decoder_new(&d, h, sizeof h, &err), CB_ELIMIT);
    memcpy(h, s.header, sizeof h);
    h[18] = 12; /* block size 12 */
    assert_int_equal(cb_decoder_new(&d, h, sizeof h, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "block size"));
    memcpy(h, s.header, sizeof h);
    h[28] = 9; /* a stage kind this build does not know */
    h[40] = 1;
    assert_int_equal(cb_decoder_new(&d, h, sizeof h, &err), CB_ENOTSUP);
    assert_string_equal(err.text, "stream header: stage kind 9 is unknown to this build");
    h[28] = 0; /* a stage hash without a kind (test_engine_stage covers the rest) */
    assert_int_equal(cb_decoder_new(&d, h, sizeof h, &err), CB_EFORMAT);
    assert_int_equal(cb_decoder_new(&d, s.header, 10, &err), CB_EFORMAT);
    /* A P frame first; a bad frame type; a bad QP. */
    assert_int_equal(cb_decoder_new(&d, s.header, sizeof h, &err), 0);
    CbFrame f;
    uint8_t pkt[3] = {1, 30, 0};
    assert_int_equal(cb_decoder_decode(d, pkt, 3, &f, &err), CB_EFORMAT);
    pkt[0] = 7;
    assert_int_equal(cb_decoder_decode(d, pkt, 3, &f, &err), CB_EFORMAT);
    pkt[0] = 0;
    pkt[1] = 60;
    assert_int_equal(cb_decoder_decode(d, pkt, 3, &f, &err), CB_EFORMAT);
    cb_decoder_free(&d);
    ef_stream_free(&s);
    free_frames(src, 1);
}

/* A motion vector far outside the picture, written with the codec's own
 * syntax code, is refused by the decoder. */
static void test_far_motion_vector_refused(void **state)
{
    (void)state;
    CbFrame src[1];
    synthetic(src, 1, 32, 32);
    EfStream s = {0};
    small_stream(&s, src, 1);
    CbSeqHeader seq;
    CbError err;
    assert_int_equal(cb_seq_header_parse(s.header, CB_ENGINE_HEADER_BYTES, &seq, &err), 0);
    assert_int_equal(seq.partition, 1);
    CbTables tab;
    cb_tables_init(&tab);
    CbContexts ctx;
    cb_contexts_init(&ctx);
    CbFrameState fs = {.seq = &seq, .tab = &tab, .type = CB_FRAME_P, .qp = 30};
    CbRestoreSyntax rest[2];
    assert_int_equal(cb_codec_geometry_alloc(&fs, rest, 32, 32, seq.restoration_region), 0);
    CbRacEnc re;
    cb_rac_enc_init(&re, seq.adapt, 1 << 20);
    CbCoder c = {.mode = CB_CODER_ENCODE, .adapt = seq.adapt, .enc = &re};
    cb_sx_bit(&c, &ctx.split[0], 0);
    CbBlockSyntax *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->mvdx = 4000; /* 1000 pixels at quarter-pel: far outside a 32x32 picture */
    cb_code_block(&c, &ctx, &fs, 0, 0, 16, b);
    assert_int_equal(cb_rac_enc_finish(&re), 0);
    uint8_t *pkt = malloc(re.len + 2);
    assert_non_null(pkt);
    pkt[0] = CB_FRAME_P;
    pkt[1] = 30;
    memcpy(pkt + 2, re.buf, re.len);
    CbDecoder *d = NULL;
    CbFrame f;
    assert_int_equal(cb_decoder_new(&d, s.header, CB_ENGINE_HEADER_BYTES, &err), 0);
    assert_int_equal(cb_decoder_decode(d, s.pkt[0], s.len[0], &f, &err), 0);
    assert_int_equal(cb_decoder_decode(d, pkt, re.len + 2, &f, &err), CB_EFORMAT);
    print_message("%s\n", err.text);
    cb_decoder_free(&d);
    free(pkt);
    free(b);
    cb_rac_enc_free(&re);
    free(fs.units);
    free(fs.dunits);
    free(rest[0].region_on);
    free(rest[1].region_on);
    ef_stream_free(&s);
    free_frames(src, 1);
}

/* A KLT basis whose norms are out of tolerance is refused. */
static void test_bad_klt_basis_refused(void **state)
{
    (void)state;
    CbTables tab;
    cb_tables_init(&tab);
    CbContexts ctx;
    cb_contexts_init(&ctx);
    CbKltSet sets[CB_KLT_SETS];
    memset(sets, 0, sizeof sets);
    sets[CB_KLT_INTRA8].present = 1;
    sets[CB_KLT_INTRA8].v = tab.dct[1];
    sets[CB_KLT_INTRA8].h = tab.dct[1];
    for (int i = 0; i < 8; i++) /* row 0 scaled by 1.25 */
        sets[CB_KLT_INTRA8].v.m[i] = (int16_t)(sets[CB_KLT_INTRA8].v.m[i] * 5 / 4);
    CbRacEnc re;
    cb_rac_enc_init(&re, CB_ADAPT_DUAL, 1 << 20);
    CbCoder c = {.mode = CB_CODER_ENCODE, .adapt = CB_ADAPT_DUAL, .enc = &re};
    CbError err;
    assert_int_equal(cb_code_klt_sets(&c, &ctx, &tab, sets, &err), 0);
    assert_int_equal(cb_rac_enc_finish(&re), 0);
    CbRacDec rd;
    cb_rac_dec_init(&rd, CB_ADAPT_DUAL, re.buf, re.len);
    CbCoder dc = {.mode = CB_CODER_DECODE, .adapt = CB_ADAPT_DUAL, .dec = &rd};
    CbKltSet got[CB_KLT_SETS];
    cb_contexts_init(&ctx);
    assert_int_equal(cb_code_klt_sets(&dc, &ctx, &tab, got, &err), CB_EFORMAT);
    print_message("%s\n", err.text);
    cb_rac_enc_free(&re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_default),
        cmocka_unit_test(test_round_trip_dct),
        cmocka_unit_test(test_round_trip_no_filters),
        cmocka_unit_test(test_round_trip_block8),
        cmocka_unit_test(test_round_trip_fast),
        cmocka_unit_test(test_round_trip_intra),
        cmocka_unit_test(test_round_trip_full_search),
        cmocka_unit_test(test_round_trip_slices),
        cmocka_unit_test(test_round_trip_odd_size),
        cmocka_unit_test(test_rate_distortion_monotonic),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_motion_half_pel_pan),
        cmocka_unit_test(test_truncated_packets_fail),
        cmocka_unit_test(test_flipped_bytes_never_crash),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_far_motion_vector_refused),
        cmocka_unit_test(test_bad_klt_basis_refused),
    };
    return cmocka_run_group_tests_name("engine_codec", tests, NULL, NULL);
}

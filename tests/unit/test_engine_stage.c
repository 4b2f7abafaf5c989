/* The engine's stage hooks (cb_encoder_set_stage, cb_decoder_set_stage,
 * the stream header's stage kind and hash) with the sample stages of
 * samples/stages/, compiled into this program as ordinary (hosted) code and
 * called through CbStageOps, as the sandboxed stage host calls a built
 * object.
 *
 * The built-in stages written as stage source (intra.c, transform.c,
 * loop_filter.c) must code exactly what the engine codes without them, on
 * real CIF frames and several settings: the streams differ only in the
 * header's stage bytes 28..63 and every reconstruction is equal.  A
 * different predictor (intra_smooth.c) gives a different stream that
 * decodes, with the stage, to the encoder's reconstruction.  Stages that
 * fail or write hostile values end as documented, never in a crash (this
 * program also runs in the sanitizer build). */
#include <limits.h>
#include <math.h>
#include <pthread.h>
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
#include "codecbench/stage.h"
#include "enginefix.h"

/* The samples, renamed where two define the same function
 * (tests/unit/stage_sample_*.c). */
int cb_sample_intra(const CbStageIntra *a);
int cb_sample_intra_smooth(const CbStageIntra *a);

/* ---- helpers ------------------------------------------------------------------ */

/* Encodes n frames with ops (NULL: built-in stages); returns the first
 * error of the encoder (0 when the stream is complete), its text in err. */
static int encode(const CbEngineSettings *set, const CbStageOps *ops, int qp, const CbFrame *frames,
                  int n, EfStream *s, CbError *err)
{
    CbEncoder *e = NULL;
    int rc = cb_encoder_new(&e, set, qp, frames[0].width, frames[0].height, 30, 1, err);
    if (rc)
        fail_msg("encoder: %s", err->text);
    if (ops && (rc = cb_encoder_set_stage(e, ops, err)) != 0)
        fail_msg("cb_encoder_set_stage: %s", err->text);
    memcpy(s->header, cb_encoder_header(e), CB_ENGINE_HEADER_BYTES);
    s->n = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = cb_encoder_send(e, &frames[i], err);
        if (rc == 0)
            ef_stream_take(e, s);
    }
    if (rc == 0 && (rc = cb_encoder_send(e, NULL, err)) == 0) {
        ef_stream_take(e, s);
        assert_int_equal(s->n, n);
    }
    cb_encoder_free(&e);
    return rc;
}

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

static uint64_t luma_sse(const CbFrame *a, const CbFrame *b)
{
    uint64_t s = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            int d = a->data[0][y * a->stride[0] + x] - b->data[0][y * b->stride[0] + x];
            s += (uint64_t)(d * d);
        }
    return s;
}

/* PSNR-Y of the whole sequence (of the summed squared error), dB. */
static double seq_psnr(const CbFrame *src, const EfStream *s)
{
    uint64_t sse = 0;
    for (int i = 0; i < s->n; i++)
        sse += luma_sse(&src[i], &s->recon[i]);
    double pixels = (double)src[0].width * src[0].height * s->n;
    return sse ? 10.0 * log10(255.0 * 255.0 * pixels / (double)sse) : 99.0;
}

static size_t stream_bytes(const EfStream *s)
{
    size_t t = CB_ENGINE_HEADER_BYTES;
    for (int i = 0; i < s->n; i++)
        t += s->len[i];
    return t;
}

/* Decodes every packet of s with ops (NULL: none) and asserts each frame
 * equals the encoder's reconstruction. */
static void decode_equal(const EfStream *s, const CbStageOps *ops)
{
    CbDecoder *d = NULL;
    CbError err;
    if (cb_decoder_new(&d, s->header, CB_ENGINE_HEADER_BYTES, &err))
        fail_msg("decoder: %s", err.text);
    if (ops && cb_decoder_set_stage(d, ops, &err))
        fail_msg("cb_decoder_set_stage: %s", err.text);
    for (int i = 0; i < s->n; i++) {
        CbFrame f;
        if (cb_decoder_decode(d, s->pkt[i], s->len[i], &f, &err))
            fail_msg("frame %d: %s", i, err.text);
        if (!frames_equal(&f, &s->recon[i]))
            fail_msg("frame %d: the decoder's picture differs from the encoder's", i);
    }
    cb_decoder_free(&d);
}

/* Reads n frames of a test clip (CB_CLIPS); 0 when it is missing. */
static int load_clip(const char *name, CbFrame *frames, int n)
{
    const char *dir = getenv("CB_CLIPS");
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", name);
    assert_true(len > 0 && (size_t)len < sizeof path);
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

/* A hash a stage of kind k is given: not all zero, distinct per kind and
 * tag (the engine only compares it). */
static void make_hash(uint8_t hash[32], int k, int tag)
{
    for (int i = 0; i < 32; i++)
        hash[i] = (uint8_t)(k * 16 + tag * 64 + i + 1);
}

static CbStageOps ops_of(CbStageKind k, int tag)
{
    CbStageOps o;
    memset(&o, 0, sizeof o);
    o.kind = k;
    make_hash(o.hash, k, tag);
    o.intra = cb_sample_intra;
    o.loop_filter = cb_stage_loop_filter;
    o.transform_fwd = cb_stage_transform_fwd;
    o.transform_inv = cb_stage_transform_inv;
    return o;
}

static void hex16(const uint8_t *h, char out[17])
{
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* ---- kind names ---------------------------------------------------------------- */

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(cb_stage_kind_name(CB_STAGE_NONE), "none");
    assert_string_equal(cb_stage_kind_name(CB_STAGE_INTRA), "intra");
    assert_string_equal(cb_stage_kind_name(CB_STAGE_LOOP_FILTER), "loop_filter");
    assert_string_equal(cb_stage_kind_name(CB_STAGE_TRANSFORM), "transform");
    assert_null(cb_stage_kind_name(4));
    assert_null(cb_stage_kind_name(-1));
    const char *names[] = {"intra", "loop_filter", "transform"};
    for (int k = 1; k < CB_STAGE_KINDS; k++) {
        CbStageKind kind = CB_STAGE_NONE;
        CbError err;
        assert_int_equal(cb_stage_kind_parse(names[k - 1], &kind, &err), 0);
        assert_int_equal(kind, k);
    }
    const char *bad[] = {"none", "Intra", "", "intra ", "loop-filter", "transform\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CbStageKind kind = CB_STAGE_INTRA;
        CbError err;
        assert_int_equal(cb_stage_kind_parse(bad[i], &kind, &err), CB_EINVAL);
        assert_non_null(strstr(err.text, "intra, loop_filter, transform"));
        assert_int_equal(kind, CB_STAGE_INTRA); /* untouched */
    }
    CbStageKind kind;
    CbError err;
    assert_int_equal(cb_stage_kind_parse(NULL, &kind, &err), CB_EINVAL);
    /* A long name is quoted cut, so the message stays bounded. */
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(cb_stage_kind_parse(longname, &kind, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..."));
}

/* ---- the stream header ---------------------------------------------------------- */

/* A small encoder's header with ops (NULL: none). */
static void small_header(const CbStageOps *ops, uint8_t h[CB_ENGINE_HEADER_BYTES])
{
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.transform = CB_TRANSFORM_DCT;
    CbEncoder *e = NULL;
    CbError err;
    assert_int_equal(cb_encoder_new(&e, &set, 30, 64, 48, 30, 1, &err), 0);
    if (ops)
        assert_int_equal(cb_encoder_set_stage(e, ops, &err), 0);
    memcpy(h, cb_encoder_header(e), CB_ENGINE_HEADER_BYTES);
    cb_encoder_free(&e);
}

static int parse(const uint8_t *h, CbStreamInfo *info, CbError *err)
{
    CbDecoder *d = NULL;
    int rc = cb_decoder_new(&d, h, CB_ENGINE_HEADER_BYTES, err);
    if (rc == 0) {
        *info = *cb_decoder_info(d);
        cb_decoder_free(&d);
    }
    return rc;
}

static void test_header_bytes(void **state)
{
    (void)state;
    uint8_t plain[CB_ENGINE_HEADER_BYTES], h[CB_ENGINE_HEADER_BYTES];
    small_header(NULL, plain);
    for (int i = 28; i < 64; i++)
        assert_int_equal(plain[i], 0);
    CbStreamInfo info;
    CbError err;
    assert_int_equal(parse(plain, &info, &err), 0);
    assert_int_equal(info.stage_kind, CB_STAGE_NONE);
    for (int i = 0; i < 32; i++)
        assert_int_equal(info.stage_hash[i], 0);

    for (int k = 1; k < CB_STAGE_KINDS; k++) {
        CbStageOps o = ops_of((CbStageKind)k, 0);
        small_header(&o, h);
        /* Only bytes 28 (kind) and 32..63 (hash) change. */
        assert_memory_equal(h, plain, 28);
        assert_int_equal(h[28], k);
        assert_int_equal(h[29] | h[30] | h[31], 0);
        assert_memory_equal(h + 32, o.hash, 32);
        assert_int_equal(parse(h, &info, &err), 0);
        assert_int_equal(info.stage_kind, k);
        assert_memory_equal(info.stage_hash, o.hash, 32);
        /* A stage kind needs a hash. */
        memset(h + 32, 0, 32);
        assert_int_equal(parse(h, &info, &err), CB_EFORMAT);
        char want[128];
        snprintf(want, sizeof want, "stream header: %s stage with an all-zero hash",
                 cb_stage_kind_name(k));
        assert_string_equal(err.text, want);
        /* One nonzero byte anywhere in the hash is a hash. */
        h[63] = 1;
        assert_int_equal(parse(h, &info, &err), 0);
        assert_int_equal(info.stage_hash[31], 1);
    }
    /* A hash without a kind. */
    for (int pos = 32; pos < 64; pos += 31) {
        memcpy(h, plain, sizeof h);
        h[pos] = 0x80;
        assert_int_equal(parse(h, &info, &err), CB_EFORMAT);
        assert_string_equal(err.text, "stream header: a stage hash without a stage kind");
    }
    /* Kinds this build does not know: a newer stream, CB_ENOTSUP. */
    const int unknown[] = {4, 5, 127, 255};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        memcpy(h, plain, sizeof h);
        h[28] = (uint8_t)unknown[i];
        h[40] = 9;
        assert_int_equal(parse(h, &info, &err), CB_ENOTSUP);
        char want[96];
        snprintf(want, sizeof want, "stream header: stage kind %d is unknown to this build",
                 unknown[i]);
        assert_string_equal(err.text, want);
    }
    /* Bytes 29..31 stay reserved. */
    for (int pos = 29; pos < 32; pos++) {
        memcpy(h, plain, sizeof h);
        h[pos] = 1;
        assert_int_equal(parse(h, &info, &err), CB_EFORMAT);
        assert_non_null(strstr(err.text, "reserved byte"));
    }
}

/* ---- the built-in stages as stage source: bit-exact ------------------------------ */

#define EXACT_FRAMES 3

typedef struct Config {
    const char *name;
    const char *clip;
    void (*tweak)(CbEngineSettings *);
    int qp;
} Config;

static void c_default(CbEngineSettings *s) { s->transform = CB_TRANSFORM_DCT; }
static void c_block8(CbEngineSettings *s)
{
    s->transform = CB_TRANSFORM_DCT;
    s->block_size = 8;
    s->intra_modes = CB_INTRA_BASIC;
    s->deblock = 0;
    s->restoration = 0;
}
static void c_dc_intra(CbEngineSettings *s)
{
    s->transform = CB_TRANSFORM_DCT;
    s->gop = 1;
    s->intra_modes = CB_INTRA_DC;
    s->partition = 0;
    s->deblock = 1;
    s->restoration = 0;
}
static void c_slices(CbEngineSettings *s)
{
    s->transform = CB_TRANSFORM_DCT;
    s->slices = 4;
    s->threads = 3;
    s->deblock = 0;
    s->restoration = 1;
    s->preset = CB_PRESET_FAST;
}
static void c_slow(CbEngineSettings *s)
{
    s->transform = CB_TRANSFORM_DCT;
    s->preset = CB_PRESET_SLOW;
    s->partition = 0;
    s->gop = 2;
    s->search = CB_SEARCH_DIAMOND;
    s->subpel = CB_SUBPEL_HALF;
}

static const Config CONFIGS[] = {
    {"default (dct)", "natural.y4m", c_default, 27},
    {"8x8 blocks, basic modes, no filters", "texture.y4m", c_block8, 32},
    {"all intra, dc only, deblocking", "motion.y4m", c_dc_intra, 22},
    {"4 slices on 3 threads, restoration", "natural.y4m", c_slices, 37},
    {"slow preset, gop 2, odd size", "odd_175x143.y4m", c_slow, 30},
};

static void test_builtin_stages_bit_exact(void **state)
{
    (void)state;
    int ran = 0;
    for (size_t ci = 0; ci < sizeof CONFIGS / sizeof CONFIGS[0]; ci++) {
        const Config *c = &CONFIGS[ci];
        CbFrame src[EXACT_FRAMES];
        if (!load_clip(c->clip, src, EXACT_FRAMES))
            continue;
        ran++;
        CbEngineSettings set;
        cb_engine_settings_default(&set);
        c->tweak(&set);
        CbError err;
        EfStream ref = {0};
        assert_int_equal(encode(&set, NULL, c->qp, src, EXACT_FRAMES, &ref, &err), 0);
        for (int k = 1; k < CB_STAGE_KINDS; k++) {
            CbStageOps o = ops_of((CbStageKind)k, 1);
            EfStream s = {0};
            if (encode(&set, &o, c->qp, src, EXACT_FRAMES, &s, &err))
                fail_msg("%s, %s stage: %s", c->name, cb_stage_kind_name(k), err.text);
            /* The header: equal but for the stage's kind and hash. */
            assert_memory_equal(s.header, ref.header, 28);
            assert_int_equal(s.header[28], k);
            assert_memory_equal(s.header + 29, ref.header + 29, 3);
            assert_memory_equal(s.header + 32, o.hash, 32);
            for (int i = 0; i < EXACT_FRAMES; i++) {
                if (s.len[i] != ref.len[i] || memcmp(s.pkt[i], ref.pkt[i], s.len[i]))
                    fail_msg("%s, %s stage: packet %d differs from the built-in's", c->name,
                             cb_stage_kind_name(k), i);
                assert_true(frames_equal(&s.recon[i], &ref.recon[i]));
            }
            decode_equal(&s, &o);
            ef_stream_free(&s);
        }
        print_message("%s (%s, QP %d): %zu bytes, PSNR-Y %.2f dB, equal with each stage\n",
                      c->name, c->clip, c->qp, stream_bytes(&ref), seq_psnr(src, &ref));
        ef_stream_free(&ref);
        free_frames(src, EXACT_FRAMES);
    }
    if (!ran)
        skip();
}

/* Intra and loop filter stages with the learned KLT (a transform stage
 * refuses it): still the built-in's stream. */
static void test_builtin_stages_with_klt(void **state)
{
    (void)state;
    CbFrame src[EXACT_FRAMES];
    if (!load_clip("natural.y4m", src, EXACT_FRAMES))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    assert_int_equal(set.transform, CB_TRANSFORM_KLT);
    set.gop = EXACT_FRAMES;
    CbError err;
    EfStream ref = {0};
    assert_int_equal(encode(&set, NULL, 32, src, EXACT_FRAMES, &ref, &err), 0);
    const CbStageKind kinds[] = {CB_STAGE_INTRA, CB_STAGE_LOOP_FILTER};
    for (int ki = 0; ki < 2; ki++) {
        CbStageOps o = ops_of(kinds[ki], 2);
        EfStream s = {0};
        assert_int_equal(encode(&set, &o, 32, src, EXACT_FRAMES, &s, &err), 0);
        for (int i = 0; i < EXACT_FRAMES; i++) {
            assert_int_equal(s.len[i], ref.len[i]);
            assert_memory_equal(s.pkt[i], ref.pkt[i], s.len[i]);
        }
        decode_equal(&s, &o);
        ef_stream_free(&s);
    }
    ef_stream_free(&ref);
    free_frames(src, EXACT_FRAMES);
}

/* ---- a different predictor ---------------------------------------------------------- */

static void test_intra_smooth(void **state)
{
    (void)state;
    enum { N = 3 };
    CbFrame src[N];
    if (!load_clip("natural.y4m", src, N))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.transform = CB_TRANSFORM_DCT;
    set.gop = 1; /* all intra: every block is predicted by the stage */
    CbError err;
    EfStream ref = {0}, s = {0};
    assert_int_equal(encode(&set, NULL, 27, src, N, &ref, &err), 0);
    CbStageOps o = ops_of(CB_STAGE_INTRA, 3);
    o.intra = cb_sample_intra_smooth;
    assert_int_equal(encode(&set, &o, 27, src, N, &s, &err), 0);
    /* A different stream... */
    int differ = 0;
    for (int i = 0; i < N; i++)
        differ += s.len[i] != ref.len[i] || memcmp(s.pkt[i], ref.pkt[i], s.len[i]);
    assert_int_equal(differ, N);
    /* ...that decodes with the stage to the encoder's reconstruction... */
    decode_equal(&s, &o);
    /* ...and not without it: the same packets under a header that names no
     * stage decode (the built-in predictor) to other pictures. */
    EfStream forged = s;
    memset(forged.header + 28, 0, 36);
    CbDecoder *d = NULL;
    assert_int_equal(cb_decoder_new(&d, forged.header, CB_ENGINE_HEADER_BYTES, &err), 0);
    CbFrame f;
    int rc = cb_decoder_decode(d, s.pkt[0], s.len[0], &f, &err);
    assert_true(rc != 0 || !frames_equal(&f, &s.recon[0]));
    cb_decoder_free(&d);
    /* Sane quality: at the same QP the quantiser sets the distortion and a
     * correct predictor mostly changes the rate.  Bounds worked by hand, not
     * tuned: QP 27's step is 2^(23/6) = 14.3 in orthonormal units, uniform
     * quantisation error step^2/12 = 17 (a dead zone makes it larger, zero
     * blocks larger still), i.e. PSNR-Y near 10 log10(255^2 / 17) = 35.8 dB;
     * 30 dB (MSE 65) is far below what any correct predictor gives, and the
     * stream may not differ from the built-in's by a factor 1.5 in size or
     * 1 dB in PSNR (H.265's smoothing moves either by a few percent). */
    double p0 = seq_psnr(src, &ref), p1 = seq_psnr(src, &s);
    size_t b0 = stream_bytes(&ref), b1 = stream_bytes(&s);
    print_message("built-in: %zu bytes, %.3f dB; intra_smooth: %zu bytes, %.3f dB\n", b0, p0, b1,
                  p1);
    assert_true(p1 > 30.0);
    assert_true(fabs(p1 - p0) < 1.0);
    assert_true(b1 * 2 < b0 * 3 && b0 * 2 < b1 * 3);
    ef_stream_free(&ref);
    ef_stream_free(&s);
    free_frames(src, N);
}

/* Hand-worked values of intra_smooth.c on one 8x8 luma block: the
 * references are top[i] = 10 i, left[j] = 100 + 10 j, corner 50. */
static void test_intra_smooth_values(void **state)
{
    (void)state;
    uint8_t top[32], left[32], dst[16 * 16], scratch_dummy[16];
    for (int i = 0; i < 16; i++) {
        top[i] = (uint8_t)(10 * i);
        left[i] = (uint8_t)(100 + 10 * i);
    }
    CbStageIntra a = {.n = 8, .mode = 0, .plane = 0, .top = top, .left = left, .corner = 50,
                      .dst = dst, .stride = 16, .scratch = scratch_dummy};
    /* DC: sum top[0..7] = 280, left[0..7] = 1080, (1360 + 8) >> 4 = 85;
     * corner sample (left[0] + 2 dc + top[0] + 2) >> 2 = (100 + 170 + 0 + 2) >> 2
     * = 68; first row x = 3: (30 + 255 + 2) >> 2 = 71; first column y = 2:
     * (120 + 255 + 2) >> 2 = 94; inside 85. */
    assert_int_equal(cb_sample_intra_smooth(&a), 0);
    assert_int_equal(dst[0], 68);
    assert_int_equal(dst[3], 71);
    assert_int_equal(dst[2 * 16], 94);
    assert_int_equal(dst[5 * 16 + 5], 85);
    /* The built-in's DC has no edge filter: 85 everywhere. */
    assert_int_equal(cb_sample_intra(&a), 0);
    assert_int_equal(dst[0], 85);
    assert_int_equal(dst[3], 85);
    /* Vertical: column 0 is top[0] + ((left[j] - corner) >> 1): row 3:
     * 0 + (130 - 50) / 2 = 40; other columns top[i]. */
    a.mode = 1;
    assert_int_equal(cb_sample_intra_smooth(&a), 0);
    assert_int_equal(dst[3 * 16], 40);
    assert_int_equal(dst[3 * 16 + 4], 40); /* top[4] */
    /* Horizontal: row 0 is left[0] + ((top[i] - corner) >> 1), clipped:
     * i = 1: 100 + (10 - 50) / 2 = 80; i = 7: 100 + (70 - 50) / 2 = 110. */
    a.mode = 2;
    assert_int_equal(cb_sample_intra_smooth(&a), 0);
    assert_int_equal(dst[1], 80);
    assert_int_equal(dst[7], 110);
    assert_int_equal(dst[16 + 7], 110); /* left[1] */
    /* Diagonal down-left on smoothed references: top'[i] = (top[i-1] + 2
     * top[i] + top[i+1] + 2) >> 2 = 10 i for a linear row (i = 1..14);
     * pred[0][0] = top'[1] = 10; pred[2][3] = top'[6] = 60. */
    a.mode = 4;
    assert_int_equal(cb_sample_intra_smooth(&a), 0);
    assert_int_equal(dst[0], 10);
    assert_int_equal(dst[2 * 16 + 3], 60);
    /* Down-right: the smoothed corner (left[0] + 2 x 50 + top[0] + 2) >> 2 =
     * 50 on the diagonal; below it left'[0] = (50 + 200 + 110 + 2) >> 2 = 90. */
    a.mode = 5;
    assert_int_equal(cb_sample_intra_smooth(&a), 0);
    assert_int_equal(dst[0], 50);
    assert_int_equal(dst[16], 90);
    /* Chroma gets the built-in's DC. */
    a.mode = 0;
    a.plane = 1;
    assert_int_equal(cb_sample_intra_smooth(&a), 0);
    assert_int_equal(dst[0], 85);
    /* What the engine never passes is refused. */
    a.n = 32;
    assert_int_equal(cb_sample_intra_smooth(&a), 1);
    assert_int_equal(cb_sample_intra(&a), 1);
    a.n = 8;
    a.mode = 6;
    assert_int_equal(cb_sample_intra_smooth(&a), 1);
}

/* ---- wrong or missing stages -------------------------------------------------------- */

static void test_decoder_stage_errors(void **state)
{
    (void)state;
    CbFrame src[1];
    if (!load_clip("motion.y4m", src, 1))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.transform = CB_TRANSFORM_DCT;
    CbError err;
    EfStream s = {0}, plain = {0};
    CbStageOps o = ops_of(CB_STAGE_INTRA, 0);
    o.hash[0] = 0x1a;
    o.hash[1] = 0x2b;
    assert_int_equal(encode(&set, &o, 30, src, 1, &s, &err), 0);
    assert_int_equal(encode(&set, NULL, 30, src, 1, &plain, &err), 0);
    char hx[17];
    hex16(o.hash, hx);

    /* No stage: a clear error, never a picture. */
    CbDecoder *d = NULL;
    CbFrame f;
    assert_int_equal(cb_decoder_new(&d, s.header, CB_ENGINE_HEADER_BYTES, &err), 0);
    assert_int_equal(cb_decoder_info(d)->stage_kind, CB_STAGE_INTRA);
    assert_memory_equal(cb_decoder_info(d)->stage_hash, o.hash, 32);
    assert_int_equal(cb_decoder_decode(d, s.pkt[0], s.len[0], &f, &err), CB_ENOTSUP);
    char want[160];
    snprintf(want, sizeof want, "the stream needs its intra stage %s, which is not loaded", hx);
    assert_string_equal(err.text, want);
    assert_int_equal(strlen(hx), 16);

    /* A wrong hash, a wrong kind: CB_EMISMATCH naming both. */
    CbStageOps wrong = o;
    wrong.hash[0] ^= 0xff;
    char hw[17];
    hex16(wrong.hash, hw);
    assert_int_equal(cb_decoder_set_stage(d, &wrong, &err), CB_EMISMATCH);
    snprintf(want, sizeof want, "the stream's stage is intra %s, the stage given is intra %s", hx,
             hw);
    assert_string_equal(err.text, want);
    wrong = o;
    wrong.kind = CB_STAGE_TRANSFORM;
    assert_int_equal(cb_decoder_set_stage(d, &wrong, &err), CB_EMISMATCH);
    snprintf(want, sizeof want, "the stream's stage is intra %s, the stage given is transform %s",
             hx, hx);
    assert_string_equal(err.text, want);
    /* The right kind and hash but no function of the kind. */
    wrong = o;
    wrong.intra = NULL;
    assert_int_equal(cb_decoder_set_stage(d, &wrong, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "cb_stage_intra"));
    wrong.kind = (CbStageKind)7;
    assert_int_equal(cb_decoder_set_stage(d, &wrong, &err), CB_EINVAL);
    assert_int_equal(cb_decoder_set_stage(d, NULL, &err), CB_EINVAL);
    /* Still refusing to decode after the failed attempts. */
    assert_int_equal(cb_decoder_decode(d, s.pkt[0], s.len[0], &f, &err), CB_ENOTSUP);
    /* The right one decodes. */
    assert_int_equal(cb_decoder_set_stage(d, &o, &err), 0);
    assert_int_equal(cb_decoder_decode(d, s.pkt[0], s.len[0], &f, &err), 0);
    assert_true(frames_equal(&f, &s.recon[0]));
    /* Too late now. */
    assert_int_equal(cb_decoder_set_stage(d, &o, &err), CB_EINVAL);
    cb_decoder_free(&d);

    /* A transform stream's decoder needs only the inverse. */
    CbStageOps t = ops_of(CB_STAGE_TRANSFORM, 0);
    EfStream ts = {0};
    assert_int_equal(encode(&set, &t, 30, src, 1, &ts, &err), 0);
    assert_int_equal(cb_decoder_new(&d, ts.header, CB_ENGINE_HEADER_BYTES, &err), 0);
    t.transform_fwd = NULL;
    assert_int_equal(cb_decoder_set_stage(d, &t, &err), 0);
    assert_int_equal(cb_decoder_decode(d, ts.pkt[0], ts.len[0], &f, &err), 0);
    assert_true(frames_equal(&f, &ts.recon[0]));
    cb_decoder_free(&d);
    ef_stream_free(&ts);

    /* A stream without a stage refuses one. */
    assert_int_equal(cb_decoder_new(&d, plain.header, CB_ENGINE_HEADER_BYTES, &err), 0);
    assert_int_equal(cb_decoder_set_stage(d, &o, &err), CB_EMISMATCH);
    snprintf(want, sizeof want, "the stream names no stage; the stage given is intra %s", hx);
    assert_string_equal(err.text, want);
    assert_int_equal(cb_decoder_decode(d, plain.pkt[0], plain.len[0], &f, &err), 0);
    cb_decoder_free(&d);

    ef_stream_free(&s);
    ef_stream_free(&plain);
    free_frames(src, 1);
}

static void test_encoder_stage_errors(void **state)
{
    (void)state;
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    CbEncoder *e = NULL;
    CbError err;
    /* The default transform is the KLT: a transform stage is refused. */
    assert_int_equal(set.transform, CB_TRANSFORM_KLT);
    assert_int_equal(cb_encoder_new(&e, &set, 30, 64, 48, 30, 1, &err), 0);
    uint8_t before[CB_ENGINE_HEADER_BYTES];
    memcpy(before, cb_encoder_header(e), sizeof before);
    CbStageOps t = ops_of(CB_STAGE_TRANSFORM, 0);
    assert_int_equal(cb_encoder_set_stage(e, &t, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "klt"));
    /* Every refusal leaves the header alone. */
    assert_memory_equal(cb_encoder_header(e), before, sizeof before);
    CbStageOps o = ops_of(CB_STAGE_INTRA, 0);
    CbStageOps bad = o;
    bad.kind = CB_STAGE_NONE;
    assert_int_equal(cb_encoder_set_stage(e, &bad, &err), CB_EINVAL);
    bad.kind = (CbStageKind)4;
    assert_int_equal(cb_encoder_set_stage(e, &bad, &err), CB_EINVAL);
    bad = o;
    memset(bad.hash, 0, sizeof bad.hash);
    assert_int_equal(cb_encoder_set_stage(e, &bad, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "all zero"));
    bad = o;
    bad.intra = NULL;
    assert_int_equal(cb_encoder_set_stage(e, &bad, &err), CB_EINVAL);
    bad = ops_of(CB_STAGE_LOOP_FILTER, 0);
    bad.loop_filter = NULL;
    assert_int_equal(cb_encoder_set_stage(e, &bad, &err), CB_EINVAL);
    assert_int_equal(cb_encoder_set_stage(e, NULL, &err), CB_EINVAL);
    assert_memory_equal(cb_encoder_header(e), before, sizeof before);
    /* A second stage replaces the first; the header names the last. */
    assert_int_equal(cb_encoder_set_stage(e, &o, &err), 0);
    assert_int_equal(cb_encoder_header(e)[28], CB_STAGE_INTRA);
    CbStageOps lf = ops_of(CB_STAGE_LOOP_FILTER, 0);
    assert_int_equal(cb_encoder_set_stage(e, &lf, &err), 0);
    assert_int_equal(cb_encoder_header(e)[28], CB_STAGE_LOOP_FILTER);
    assert_memory_equal(cb_encoder_header(e) + 32, lf.hash, 32);
    /* After a frame, no more. */
    CbFrame f;
    assert_int_equal(cb_frame_alloc(&f, 64, 48), 0);
    assert_int_equal(cb_encoder_send(e, &f, &err), 0);
    assert_int_equal(cb_encoder_set_stage(e, &o, &err), CB_EINVAL);
    cb_frame_free(&f);
    cb_encoder_free(&e);

    /* The transform stage needs both directions in the encoder. */
    set.transform = CB_TRANSFORM_DCT;
    assert_int_equal(cb_encoder_new(&e, &set, 30, 64, 48, 30, 1, &err), 0);
    t.transform_fwd = NULL;
    assert_int_equal(cb_encoder_set_stage(e, &t, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "cb_stage_transform_fwd"));
    t = ops_of(CB_STAGE_TRANSFORM, 0);
    t.transform_inv = NULL;
    assert_int_equal(cb_encoder_set_stage(e, &t, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "cb_stage_transform_inv"));
    t = ops_of(CB_STAGE_TRANSFORM, 0);
    assert_int_equal(cb_encoder_set_stage(e, &t, &err), 0);
    cb_encoder_free(&e);
    assert_int_equal(cb_encoder_set_stage(NULL, &o, &err), CB_EINVAL);
}

/* ---- stages that fail ------------------------------------------------------------------- */

/* Test stages that count their calls: only used single-threaded. */
static int calls, fail_at, fail_plane;

static int intra_fail(const CbStageIntra *a)
{
    int rc = cb_sample_intra(a);
    if (fail_plane >= 0 && a->plane != fail_plane)
        return rc;
    return ++calls == fail_at ? 7 : rc;
}

static int fwd_fail(const CbStageXform *a)
{
    (void)a;
    return 5;
}

static int inv_fail(const CbStageXform *a)
{
    int rc = cb_stage_transform_inv(a);
    return ++calls == fail_at ? -5 : rc;
}

static int lf_fail(const CbStageFilter *a)
{
    int rc = cb_stage_loop_filter(a);
    return a->plane == fail_plane ? 3 : rc;
}

static void expect_encode_failure(const CbEngineSettings *set, const CbStageOps *o,
                                  const CbFrame *src, int n, const char *want)
{
    CbEncoder *e = NULL;
    CbError err;
    assert_int_equal(cb_encoder_new(&e, set, 30, src[0].width, src[0].height, 30, 1, &err), 0);
    assert_int_equal(cb_encoder_set_stage(e, o, &err), 0);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = cb_encoder_send(e, &src[i], &err);
    if (rc == 0)
        rc = cb_encoder_send(e, NULL, &err);
    assert_int_equal(rc, CB_ESTAGE);
    assert_string_equal(err.text, want);
    CbEncodedFrame out;
    assert_int_equal(cb_encoder_receive(e, &out), 0);
    /* The encoder stops there. */
    assert_int_equal(cb_encoder_send(e, &src[0], &err), CB_ESTAGE);
    assert_non_null(strstr(err.text, "an earlier frame failed"));
    cb_encoder_free(&e);
}

static void expect_decode_failure(const EfStream *s, const CbStageOps *o, int frame,
                                  const char *want)
{
    CbDecoder *d = NULL;
    CbError err;
    assert_int_equal(cb_decoder_new(&d, s->header, CB_ENGINE_HEADER_BYTES, &err), 0);
    assert_int_equal(cb_decoder_set_stage(d, o, &err), 0);
    CbFrame f;
    for (int i = 0; i < frame; i++)
        assert_int_equal(cb_decoder_decode(d, s->pkt[i], s->len[i], &f, &err), 0);
    assert_int_equal(cb_decoder_decode(d, s->pkt[frame], s->len[frame], &f, &err), CB_ESTAGE);
    if (want[strlen(want) - 1] == '*')
        assert_memory_equal(err.text, want, strlen(want) - 1);
    else
        assert_string_equal(err.text, want);
    cb_decoder_free(&d);
}

static void test_stage_failures(void **state)
{
    (void)state;
    enum { N = 2 };
    CbFrame src[N];
    if (!load_clip("motion.y4m", src, N))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.transform = CB_TRANSFORM_DCT;
    set.partition = 0;
    set.intra_modes = CB_INTRA_DC;
    set.gop = 2;

    /* Intra: the encoder's first call (block 0,0, its first mode trial),
     * then a later block of frame 1 (a P frame). */
    CbStageOps o = ops_of(CB_STAGE_INTRA, 0);
    o.intra = intra_fail;
    calls = 0, fail_at = 1, fail_plane = -1;
    expect_encode_failure(&set, &o, src, N,
                          "the intra stage returned 7 (luma 16x16 block at 0,0, mode 0) in "
                          "frame 0");
    /* The decoder makes one call per plane of an intra block, in raster
     * order of 16x16 blocks (all intra in an I frame with the DC set). */
    CbError err;
    EfStream s = {0};
    CbStageOps good = ops_of(CB_STAGE_INTRA, 0);
    assert_int_equal(encode(&set, &good, 30, src, N, &s, &err), 0);
    calls = 0, fail_at = 3, fail_plane = 0;
    expect_decode_failure(&s, &o, 0, "the intra stage returned 7 (luma 16x16 block at 32,0, "
                                     "mode 0)");
    calls = 0, fail_at = 24, fail_plane = 2;
    /* CIF has 22 blocks a row: the 24th is the second of the second row. */
    expect_decode_failure(&s, &o, 0, "the intra stage returned 7 (Cr 8x8 block at 8,8, mode 0)");
    ef_stream_free(&s);

    /* Transform: the encoder's first forward call; an inverse in the
     * decoder (which block depends on the coded data). */
    CbStageOps t = ops_of(CB_STAGE_TRANSFORM, 0);
    t.transform_fwd = fwd_fail;
    expect_encode_failure(&set, &t, src, N,
                          "the transform stage returned 5 (forward, luma 16x16 block at 0,0) in "
                          "frame 0");
    t = ops_of(CB_STAGE_TRANSFORM, 0);
    assert_int_equal(encode(&set, &t, 30, src, N, &s, &err), 0);
    t.transform_inv = inv_fail;
    calls = 0, fail_at = 1;
    expect_decode_failure(&s, &t, 0, "the transform stage returned -5 (inverse, *");
    /* In the P frame: count frame 0's inverse calls, fail at the next. */
    CbDecoder *d = NULL;
    CbFrame f;
    assert_int_equal(cb_decoder_new(&d, s.header, CB_ENGINE_HEADER_BYTES, &err), 0);
    assert_int_equal(cb_decoder_set_stage(d, &t, &err), 0);
    calls = 0, fail_at = -1;
    assert_int_equal(cb_decoder_decode(d, s.pkt[0], s.len[0], &f, &err), 0);
    cb_decoder_free(&d);
    assert_true(calls > 0);
    fail_at = calls + 1;
    calls = 0;
    expect_decode_failure(&s, &t, 1, "the transform stage returned -5 (inverse, *");
    ef_stream_free(&s);

    /* Loop filter: the planes are padded to 16 (CIF already is). */
    CbStageOps l = ops_of(CB_STAGE_LOOP_FILTER, 0);
    l.loop_filter = lf_fail;
    fail_plane = 0;
    expect_encode_failure(&set, &l, src, N,
                          "the loop_filter stage returned 3 (luma plane, 352x288) in frame 0");
    l = ops_of(CB_STAGE_LOOP_FILTER, 0);
    assert_int_equal(encode(&set, &l, 30, src, N, &s, &err), 0);
    l.loop_filter = lf_fail;
    fail_plane = 1;
    expect_decode_failure(&s, &l, 0, "the loop_filter stage returned 3 (Cb plane, 176x144)");
    ef_stream_free(&s);
    free_frames(src, N);
}

/* ---- stages that write hostile values ------------------------------------------------ */

static int intra_255(const CbStageIntra *a)
{
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++)
            a->dst[j * a->stride + i] = 255;
    return 0;
}

/* Reads its output before writing it: the engine zeroes outputs first, so
 * encoder and decoder still agree. */
static int intra_reads_dst(const CbStageIntra *a)
{
    int rc = cb_sample_intra(a);
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++)
            a->dst[j * a->stride + i] ^= (uint8_t)(i * 37 + j);
    return rc;
}

static int fwd_extreme(const CbStageXform *a)
{
    for (int i = 0; i < a->n * a->n; i++)
        a->coef[i] = i % 3 == 0 ? INT32_MIN : i % 3 == 1 ? INT32_MAX : a->res[0] * 65536;
    return 0;
}

static int inv_extreme(const CbStageXform *a)
{
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++)
            a->res[j * a->stride + i] = (int16_t)((i + j + a->coef[0]) & 1 ? INT16_MIN : INT16_MAX);
    return 0;
}

static int lf_extreme(const CbStageFilter *a)
{
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            a->dst[y * a->stride + x] = (uint8_t)((x ^ y) & 1 ? 0 : 255) ^ a->src[y * a->stride + x];
    /* The whole scratch buffer is the stage's. */
    memset(a->scratch, 0xa5, CB_STAGE_SCRATCH_BYTES);
    return 0;
}

static void test_hostile_outputs(void **state)
{
    (void)state;
    enum { N = 3 };
    CbFrame src[N];
    if (!load_clip("natural.y4m", src, N))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.transform = CB_TRANSFORM_DCT;
    set.gop = 2;
    set.slices = 2;
    set.threads = 2;
    struct {
        CbStageKind kind;
        int (*intra)(const CbStageIntra *);
        int (*fwd)(const CbStageXform *);
        int (*inv)(const CbStageXform *);
        int (*lf)(const CbStageFilter *);
    } cases[] = {
        {CB_STAGE_INTRA, intra_255, NULL, NULL, NULL},
        {CB_STAGE_INTRA, intra_reads_dst, NULL, NULL, NULL},
        {CB_STAGE_TRANSFORM, NULL, fwd_extreme, cb_stage_transform_inv, NULL},
        {CB_STAGE_TRANSFORM, NULL, cb_stage_transform_fwd, inv_extreme, NULL},
        {CB_STAGE_TRANSFORM, NULL, fwd_extreme, inv_extreme, NULL},
        {CB_STAGE_LOOP_FILTER, NULL, NULL, NULL, lf_extreme},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        CbStageOps o = ops_of(cases[ci].kind, 5);
        if (cases[ci].intra)
            o.intra = cases[ci].intra;
        if (cases[ci].fwd)
            o.transform_fwd = cases[ci].fwd;
        if (cases[ci].inv)
            o.transform_inv = cases[ci].inv;
        if (cases[ci].lf)
            o.loop_filter = cases[ci].lf;
        CbError err;
        EfStream s = {0};
        if (encode(&set, &o, 32, src, N, &s, &err))
            fail_msg("case %zu: %s", ci, err.text);
        /* Whatever the stage writes, the decoder agrees with the encoder. */
        decode_equal(&s, &o);
        print_message("hostile case %zu: %zu bytes, PSNR-Y %.2f dB\n", ci, stream_bytes(&s),
                      seq_psnr(src, &s));
        ef_stream_free(&s);
    }
    free_frames(src, N);
}

/* ---- what the engine passes ---------------------------------------------------------- */

/* Stages that check every argument against stage.h (and the engine's own
 * promises: outputs zeroed at entry, dst equal to src for the filter) and
 * return a distinct code for each breach; otherwise the samples' results. */
static int check_intra(const CbStageIntra *a)
{
    if (a->n != 4 && a->n != 8 && a->n != 16)
        return 101;
    if (a->mode < 0 || a->mode > 5)
        return 102;
    if (a->plane < 0 || a->plane > 2 || (a->plane > 0 && a->n > 8))
        return 103;
    if (a->corner < 0 || a->corner > 255 || a->stride < a->n || !a->scratch)
        return 104;
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++)
            if (a->dst[j * a->stride + i])
                return 105;
    /* Every reference is readable (ASan checks the reads). */
    unsigned sum = 0;
    for (int i = 0; i < 2 * a->n; i++)
        sum += a->top[i] + a->left[i];
    (void)sum;
    return cb_sample_intra(a);
}

static int check_xform(const CbStageXform *a, int inverse)
{
    if (a->n != 4 && a->n != 8 && a->n != 16)
        return 111;
    if (a->plane < 0 || a->plane > 2 || (a->plane > 0 && a->n > 8))
        return 112;
    if (a->intra_mode < -1 || a->intra_mode > 5 || a->stride < a->n || !a->scratch)
        return 113;
    for (int i = 0; i < a->n * a->n; i++) {
        if (inverse && (a->coef[i] < INT16_MIN || a->coef[i] > INT16_MAX))
            return 114;
        if (!inverse && a->coef[i])
            return 115;
    }
    for (int j = 0; j < a->n; j++)
        for (int i = 0; i < a->n; i++) {
            int v = a->res[j * a->stride + i];
            if ((!inverse && (v < -255 || v > 255)) || (inverse && v))
                return 116;
        }
    return inverse ? cb_stage_transform_inv(a) : cb_stage_transform_fwd(a);
}

static int check_fwd(const CbStageXform *a) { return check_xform(a, 0); }
static int check_inv(const CbStageXform *a) { return check_xform(a, 1); }

static int check_filter(const CbStageFilter *a)
{
    int unit = a->plane ? 8 : 16;
    if (a->plane < 0 || a->plane > 2 || a->width < unit || a->height < unit ||
        a->width % unit || a->height % unit)
        return 121;
    if (a->stride < a->width || a->qp < 0 || a->qp > 51 || (a->frame_type != 0 && a->frame_type != 1) ||
        !a->scratch || a->src == a->dst)
        return 122;
    for (int y = 0; y < a->height; y++)
        if (memcmp(a->src + y * a->stride, a->dst + y * a->stride, (size_t)a->width))
            return 123;
    return cb_stage_loop_filter(a);
}

static void test_arguments_as_documented(void **state)
{
    (void)state;
    enum { N = 3 };
    CbFrame src[N];
    if (!load_clip("odd_175x143.y4m", src, N))
        skip();
    for (int variant = 0; variant < 2; variant++) {
        CbEngineSettings set;
        cb_engine_settings_default(&set);
        set.transform = CB_TRANSFORM_DCT;
        set.gop = 2;
        if (variant) {
            set.block_size = 8;
            set.intra_modes = CB_INTRA_BASIC;
            set.slices = 3;
            set.threads = 2;
            set.preset = CB_PRESET_FAST;
        }
        CbStageOps ops[3] = {ops_of(CB_STAGE_INTRA, 7), ops_of(CB_STAGE_LOOP_FILTER, 7),
                             ops_of(CB_STAGE_TRANSFORM, 7)};
        ops[0].intra = check_intra;
        ops[1].loop_filter = check_filter;
        ops[2].transform_fwd = check_fwd;
        ops[2].transform_inv = check_inv;
        for (int k = 0; k < 3; k++) {
            CbError err;
            EfStream s = {0};
            if (encode(&set, &ops[k], 34, src, N, &s, &err))
                fail_msg("variant %d, %s: %s", variant, cb_stage_kind_name(ops[k].kind),
                         err.text);
            decode_equal(&s, &ops[k]);
            ef_stream_free(&s);
        }
    }
    free_frames(src, N);
}

/* ---- scratch per slice ----------------------------------------------------------------- */

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static void *seen[64];
static int n_seen;

/* Writes a pattern over the whole scratch, predicts, and checks the
 * pattern is intact: a scratch shared between threads would break it. */
static int intra_scratch(const CbStageIntra *a)
{
    uint8_t *s = a->scratch;
    uint8_t tag = (uint8_t)(a->top[0] + a->left[0] + a->mode);
    memset(s, tag, CB_STAGE_SCRATCH_BYTES);
    int rc = cb_sample_intra(a);
    for (size_t i = 0; i < CB_STAGE_SCRATCH_BYTES; i += 4093)
        if (s[i] != tag)
            rc = 9;
    pthread_mutex_lock(&seen_lock);
    int found = 0;
    for (int i = 0; i < n_seen; i++)
        found |= seen[i] == a->scratch;
    if (!found && n_seen < 64)
        seen[n_seen++] = a->scratch;
    pthread_mutex_unlock(&seen_lock);
    return rc;
}

static void test_scratch_per_slice(void **state)
{
    (void)state;
    enum { N = 2 };
    CbFrame src[N];
    if (!load_clip("natural.y4m", src, N))
        skip();
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.transform = CB_TRANSFORM_DCT;
    set.slices = 4;
    set.threads = 4;
    set.preset = CB_PRESET_FAST;
    CbStageOps o = ops_of(CB_STAGE_INTRA, 6);
    o.intra = intra_scratch;
    CbError err;
    EfStream s = {0};
    n_seen = 0;
    if (encode(&set, &o, 32, src, N, &s, &err))
        fail_msg("%s", err.text);
    /* One scratch per slice, whichever thread codes it. */
    assert_int_equal(n_seen, 4);
    n_seen = 0;
    decode_equal(&s, &o);
    assert_int_equal(n_seen, 1);
    ef_stream_free(&s);
    free_frames(src, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_builtin_stages_bit_exact),
        cmocka_unit_test(test_builtin_stages_with_klt),
        cmocka_unit_test(test_intra_smooth),
        cmocka_unit_test(test_intra_smooth_values),
        cmocka_unit_test(test_decoder_stage_errors),
        cmocka_unit_test(test_encoder_stage_errors),
        cmocka_unit_test(test_stage_failures),
        cmocka_unit_test(test_hostile_outputs),
        cmocka_unit_test(test_arguments_as_documented),
        cmocka_unit_test(test_scratch_per_slice),
    };
    return cmocka_run_group_tests_name("engine_stage", tests, NULL, NULL);
}

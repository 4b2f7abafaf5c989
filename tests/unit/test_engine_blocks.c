/* The engine decoder's block map (cb_decoder_blocks): synthetic clips
 * encoded with the engine and decoded from their bytes, the map checked
 * against what the clips must give (intra everywhere in an I frame, skip
 * with zero vectors on a still picture, the true vector of a known
 * whole-pixel pan), against the settings (block sizes) and against the
 * decoder's own statistics (blocks per kind and size, counted on another
 * path: note_block in decoder.c). */
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
#include "enginefix.h"

/* A smooth random texture (box-filtered noise, seeded): motion search finds
 * a unique best match in it. */
static void texture(uint8_t *t, int w, int h, unsigned seed)
{
    uint8_t *tmp = malloc((size_t)w * (size_t)h);
    assert_non_null(tmp);
    for (int i = 0; i < w * h; i++) {
        seed = seed * 1103515245u + 12345u;
        tmp[i] = (uint8_t)((seed >> 16) & 255);
    }
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
            /* Stretch the box filter's narrow range back to contrast. */
            int v = 128 + (s / k - 128) * 4;
            t[y * w + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    free(tmp);
}

/* Frames of w x h showing big (bw x bh) through a window whose origin is
 * (ox + k*dx, oy + k*dy) in frame k; grey chroma. */
static void pan(CbFrame *f, int n, int w, int h, const uint8_t *big, int bw, int ox, int oy,
                int dx, int dy)
{
    for (int k = 0; k < n; k++) {
        assert_int_equal(cb_frame_alloc(&f[k], w, h), 0);
        for (int y = 0; y < h; y++)
            memcpy(f[k].data[0] + y * f[k].stride[0], big + (oy + k * dy + y) * bw + ox + k * dx,
                   (size_t)w);
        for (int p = 1; p < 3; p++)
            for (int y = 0; y < cb_plane_height(h, p); y++)
                memset(f[k].data[p] + y * f[k].stride[p], 128, (size_t)cb_plane_width(w, p));
    }
}

/* The map of every frame of s, decoded: maps[i] has cols x rows entries;
 * each frame's blocks per kind and size are checked against the decoder's
 * statistics when the picture is a whole number of 16x16 CTUs (no padding
 * cells outside the map). */
static CbBlockInfo **decode_maps(const EfStream *s, int w, int h, int *cols, int *rows)
{
    CbDecoder *d = NULL;
    CbError err;
    assert_int_equal(cb_decoder_new(&d, s->header, CB_ENGINE_HEADER_BYTES, &err), 0);
    *cols = (w + 7) / 8;
    *rows = (h + 7) / 8;
    size_t cells = (size_t)*cols * (size_t)*rows;
    CbBlockInfo **maps = calloc((size_t)s->n, sizeof *maps);
    assert_non_null(maps);
    int64_t before[3] = {0, 0, 0}, before16 = 0, before8 = 0;
    for (int i = 0; i < s->n; i++) {
        CbFrame f;
        if (cb_decoder_decode(d, s->pkt[i], s->len[i], &f, &err) != 0)
            fail_msg("frame %d: %s", i, err.text);
        maps[i] = malloc(cells * sizeof **maps);
        assert_non_null(maps[i]);
        assert_int_equal(cb_decoder_blocks(d, maps[i], *cols, *rows, &err), 0);
        const CbDecodeStats *st = cb_decoder_stats(d);
        if (w % 16 == 0 && h % 16 == 0) {
            int64_t cells16[3] = {0, 0, 0}, cells8[3] = {0, 0, 0};
            for (size_t c = 0; c < cells; c++) {
                const CbBlockInfo *b = &maps[i][c];
                assert_true(b->kind <= CB_BLOCK_SKIP);
                if (b->size == 16)
                    cells16[b->kind]++;
                else
                    cells8[b->kind]++;
            }
            int64_t n16 = 0, n8 = 0;
            for (int k = 0; k < 3; k++) {
                /* A 16x16 block fills four cells. */
                assert_int_equal(cells16[k] % 4, 0);
                assert_int_equal(cells16[k] / 4 + cells8[k], st->blocks[k] - before[k]);
                before[k] = st->blocks[k];
                n16 += cells16[k] / 4;
                n8 += cells8[k];
            }
            assert_int_equal(n16, st->blocks16 - before16);
            assert_int_equal(n8, st->blocks8 - before8);
            before16 = st->blocks16;
            before8 = st->blocks8;
        }
    }
    cb_decoder_free(&d);
    return maps;
}

static void maps_free(CbBlockInfo **maps, int n)
{
    for (int i = 0; i < n; i++)
        free(maps[i]);
    free(maps);
}

/* A 16x16 block fills its four cells with the same entry. */
static void check_sixteens(const CbBlockInfo *m, int cols, int rows)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            const CbBlockInfo *b = &m[r * cols + c];
            assert_true(b->size == 8 || b->size == 16);
            if (b->size != 16)
                continue;
            const CbBlockInfo *o = &m[(r & ~1) * cols + (c & ~1)];
            assert_memory_equal(b, o, sizeof *b);
        }
}

static void test_intra_frame_all_intra(void **state)
{
    (void)state;
    enum { W = 128, H = 96, N = 2 };
    uint8_t *big = malloc(256 * 256);
    assert_non_null(big);
    texture(big, 256, 256, 3);
    CbFrame f[N];
    pan(f, N, W, H, big, 256, 40, 40, 2, 1);
    CbEngineSettings set;
    cb_engine_settings_default(&set); /* block_size 16 with the 8x8 split */
    EfStream s = {0};
    ef_encode(&set, 30, f, N, &s);
    int cols, rows;
    CbBlockInfo **m = decode_maps(&s, W, H, &cols, &rows);
    assert_int_equal(cols, 16);
    assert_int_equal(rows, 12);
    for (int c = 0; c < cols * rows; c++) {
        assert_int_equal(m[0][c].kind, CB_BLOCK_INTRA);
        assert_true(m[0][c].mode <= 5);
        assert_int_equal(m[0][c].mvx, 0);
        assert_int_equal(m[0][c].mvy, 0);
    }
    check_sixteens(m[0], cols, rows);
    check_sixteens(m[1], cols, rows);
    maps_free(m, N);
    ef_stream_free(&s);
    for (int i = 0; i < N; i++)
        cb_frame_free(&f[i]);
    free(big);
}

/* A still picture: P frames are mostly skipped, with zero vectors.  With
 * several slices, every band is covered. */
static void test_static_mostly_skip(void **state)
{
    (void)state;
    enum { W = 128, H = 96, N = 4 };
    uint8_t *big = malloc(256 * 256);
    assert_non_null(big);
    texture(big, 256, 256, 11);
    CbFrame f[N];
    pan(f, N, W, H, big, 256, 64, 64, 0, 0);
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.slices = 3;
    EfStream s = {0};
    ef_encode(&set, 32, f, N, &s);
    int cols, rows;
    CbBlockInfo **m = decode_maps(&s, W, H, &cols, &rows);
    for (int i = 1; i < N; i++) {
        int skip = 0, zero = 0, moving = 0;
        for (int c = 0; c < cols * rows; c++) {
            const CbBlockInfo *b = &m[i][c];
            skip += b->kind == CB_BLOCK_SKIP;
            if (b->kind != CB_BLOCK_INTRA) {
                moving++;
                zero += b->mvx == 0 && b->mvy == 0;
            }
        }
        print_message("frame %d: %d of %d cells skipped, %d of %d vectors zero\n", i, skip,
                      cols * rows, zero, moving);
        /* "Mostly": the encoder may code a few blocks to refine them. */
        assert_true(skip * 100 >= 90 * cols * rows);
        assert_true(zero * 100 >= 95 * moving);
    }
    maps_free(m, N);
    ef_stream_free(&s);
    for (int i = 0; i < N; i++)
        cb_frame_free(&f[i]);
    free(big);
}

/* The window moves by (+3, -2) pixels a frame: block (x, y) of frame k
 * shows what frame k - 1 showed at (x + 3, y - 2), so the vector is (+12,
 * -8) in quarter pixels.  Edge blocks, whose match lies outside the
 * previous frame, may differ. */
static void check_pan(int subpel, int block_size)
{
    enum { W = 128, H = 96, N = 4 };
    uint8_t *big = malloc(256 * 256);
    assert_non_null(big);
    texture(big, 256, 256, 5);
    CbFrame f[N];
    pan(f, N, W, H, big, 256, 64, 80, 3, -2);
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.subpel = (CbSubpel)subpel;
    set.block_size = block_size;
    set.partition = block_size == 16;
    set.restoration = 0;
    EfStream s = {0};
    ef_encode(&set, 26, f, N, &s);
    int cols, rows;
    CbBlockInfo **m = decode_maps(&s, W, H, &cols, &rows);
    int right = 0, moving = 0;
    for (int i = 1; i < N; i++)
        for (int c = 0; c < cols * rows; c++) {
            const CbBlockInfo *b = &m[i][c];
            if (block_size == 8)
                assert_int_equal(b->size, 8);
            if (b->kind == CB_BLOCK_INTRA)
                continue;
            moving++;
            right += b->mvx == 12 && b->mvy == -8;
        }
    print_message("subpel %d, block %d: %d of %d inter/skip cells have (12,-8)\n", subpel,
                  block_size, right, moving);
    assert_true(moving * 100 >= 80 * (N - 1) * cols * rows);
    assert_true(right * 100 >= 85 * moving);
    maps_free(m, N);
    ef_stream_free(&s);
    for (int i = 0; i < N; i++)
        cb_frame_free(&f[i]);
    free(big);
}

static void test_pan_quarter(void **state)
{
    (void)state;
    check_pan(CB_SUBPEL_QUARTER, 16);
}

static void test_pan_full_block8(void **state)
{
    (void)state;
    check_pan(CB_SUBPEL_FULL, 8);
}

/* The grid of an odd size: ceil(w/8) x ceil(h/8); bad sizes, no frame yet
 * and a failed decode. */
static void test_grid_and_errors(void **state)
{
    (void)state;
    enum { W = 100, H = 70, N = 2 };
    uint8_t *big = malloc(256 * 256);
    assert_non_null(big);
    texture(big, 256, 256, 9);
    CbFrame f[N];
    pan(f, N, W, H, big, 256, 10, 10, 1, 1);
    CbEngineSettings set;
    cb_engine_settings_default(&set);
    set.block_size = 8;
    set.partition = 0;
    EfStream s = {0};
    ef_encode(&set, 30, f, N, &s);
    CbDecoder *d = NULL;
    CbError err;
    assert_int_equal(cb_decoder_new(&d, s.header, CB_ENGINE_HEADER_BYTES, &err), 0);
    CbBlockInfo map[13 * 9], again[13 * 9];
    assert_int_equal(cb_decoder_blocks(d, map, 13, 9, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "no frame decoded"));
    CbFrame out;
    assert_int_equal(cb_decoder_decode(d, s.pkt[0], s.len[0], &out, &err), 0);
    assert_int_equal(cb_decoder_blocks(d, map, 12, 9, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "13x9"));
    assert_int_equal(cb_decoder_blocks(d, map, 13, 8, &err), CB_EINVAL);
    assert_int_equal(cb_decoder_blocks(d, map, 0, 0, &err), CB_EINVAL);
    assert_int_equal(cb_decoder_blocks(d, NULL, 13, 9, &err), CB_EINVAL);
    assert_int_equal(cb_decoder_blocks(d, map, 13, 9, &err), 0);
    for (int c = 0; c < 13 * 9; c++) {
        assert_int_equal(map[c].kind, CB_BLOCK_INTRA);
        assert_int_equal(map[c].size, 8);
    }
    /* A broken packet (the P frame cut in half, which the decoder refuses
     * after it reset its units): the map stays that of the last frame
     * decoded. */
    assert_true(cb_decoder_decode(d, s.pkt[1], s.len[1] / 2, &out, &err) < 0);
    assert_int_equal(cb_decoder_blocks(d, again, 13, 9, &err), 0);
    assert_memory_equal(map, again, sizeof map);
    cb_decoder_free(&d);
    ef_stream_free(&s);
    for (int i = 0; i < N; i++)
        cb_frame_free(&f[i]);
    free(big);
}

int main(void)
{
    cb_engine_set_blas_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intra_frame_all_intra),
        cmocka_unit_test(test_static_mostly_skip),
        cmocka_unit_test(test_pan_quarter),
        cmocka_unit_test(test_pan_full_block8),
        cmocka_unit_test(test_grid_and_errors),
    };
    return cmocka_run_group_tests_name("engine_blocks", tests, NULL, NULL);
}

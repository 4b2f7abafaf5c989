/* The fixture the store's unit tests share: see storefix.h. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codecbench/metrics.h"
#include "codecbench/recipe.h"
#include "codecbench/store.h"
#include "store/store_internal.h"
#include "storefix.h"

int storefix_init(StoreFix *f, const char *prefix, int create)
{
    FILE *fp = NULL;
    CbError err;
    const char *tmp = getenv("TMPDIR");
    if (snprintf(f->root, sizeof f->root, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix) >=
        (int)sizeof f->root)
        return -1;
    if (!mkdtemp(f->root))
        return -1;
    if (snprintf(f->dir, sizeof f->dir, "%s/store", f->root) >= (int)sizeof f->dir ||
        snprintf(f->input, sizeof f->input, "%s/clip.y4m", f->root) >= (int)sizeof f->input)
        goto fail;
    fp = fopen(f->input, "w");
    if (!fp)
        goto fail;
    fputs("YUV4MPEG2 W16 H16 F25:1 Ip A1:1 C420jpeg\n", fp);
    if (fclose(fp) != 0)
        goto fail;
    if (create && cb_store_open(&f->s, f->dir, CB_STORE_CREATE, &err) != 0)
        goto fail;
    return 0;
fail:
    cb_store_close(&f->s);
    cb_store_remove_tree(f->root, NULL, NULL);
    return -1;
}

void storefix_fini(StoreFix *f)
{
    cb_store_close(&f->s);
    cb_store_remove_tree(f->root, NULL, NULL);
}

int storefix_setup(void **state, const char *prefix, int create)
{
    StoreFix *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (storefix_init(f, prefix, create) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

int storefix_teardown(void **state)
{
    StoreFix *f = *state;
    storefix_fini(f);
    free(f);
    return 0;
}

CbStore *storefix_open(StoreFix *f)
{
    CbError err;
    if (!f->s && cb_store_open(&f->s, f->dir, CB_STORE_CREATE, &err) != 0)
        fail_msg("open: %s", err.text);
    return f->s;
}

int64_t storefix_queue(StoreFix *f, const char *experiment, const char *recipe, int64_t frames,
                       int64_t parent)
{
    CbError err;
    CbRunRequest req = {.experiment = experiment,
                        .recipe_json = recipe,
                        .recipe_source = "t.json",
                        .input = f->input,
                        .first_frame = 0,
                        .frames = frames,
                        .parent = parent,
                        .origin = parent ? "rerun" : "user"};
    int64_t id = 0;
    if (cb_store_queue_run(storefix_open(f), &req, &id, &err) != 0)
        fail_msg("queue: %s", err.text);
    assert_true(id > 0);
    return id;
}

void storefix_set_status(StoreFix *f, int64_t id, CbRunStatus st, const char *reason)
{
    CbError err;
    if (cb_store_set_status(f->s, id, st, reason, st == CB_RUN_RUNNING ? 4242 : 0, &err) != 0)
        fail_msg("set_status %lld -> %s: %s", (long long)id, cb_run_status_name(st), err.text);
}

char *storefix_xstrdup(const char *s)
{
    char *c = strdup(s);
    assert_non_null(c);
    return c;
}

void storefix_clip_hex(const char *name, char hex[CB_RECIPE_HASH_HEX])
{
    cb_recipe_sha256_hex(name, strlen(name), hex);
}

void storefix_make_result(CbRunResult *r, const char *hash, const char *clip, size_t n,
                          const double *kbps, const double *psnr, int64_t frames)
{
    char clip_id[CB_RECIPE_HASH_HEX];
    storefix_clip_hex(clip, clip_id);
    memset(r, 0, sizeof *r);
    r->format = CB_RESULT_FORMAT;
    r->codec = storefix_xstrdup("engine");
    r->recipe_hash = storefix_xstrdup(hash);
    r->clip_id = storefix_xstrdup(clip_id);
    r->input = storefix_xstrdup("/clips/foreman_cif.y4m");
    r->first_frame = 0;
    r->frames = frames;
    r->width = 352;
    r->height = 288;
    r->fps_num = 25;
    r->fps_den = 1;
    r->codecbench_version = storefix_xstrdup("codecbench 0.1.0");
    r->ffmpeg_versions = storefix_xstrdup("libavcodec 59");
    r->encoder_version = storefix_xstrdup("codecbench engine 0.1.0");
    r->machine = storefix_xstrdup("test host");
    r->provenance = storefix_xstrdup("synthetic test figures");
    r->verify_wall_s = 1.5;
    r->n_points = n;
    r->points = calloc(n, sizeof *r->points);
    assert_non_null(r->points);
    double seconds = (double)frames * r->fps_den / r->fps_num;
    for (size_t i = 0; i < n; i++) {
        CbPointResult *p = &r->points[i];
        char name[32];
        snprintf(name, sizeof name, "qp%zu.cbv", 22 + 5 * i);
        p->rate_value = (int)(22 + 5 * i);
        p->stream_file = storefix_xstrdup(name);
        p->frames = frames;
        p->payload_bytes = llround(kbps[i] * seconds * 1000 / 8);
        p->container_bytes = p->payload_bytes + 32;
        p->kbps = (double)p->payload_bytes * 8 / seconds / 1000;
        p->bpp = (double)p->payload_bytes * 8 / ((double)frames * 352 * 288);
        double mse[3];
        for (int c = 0; c < 3; c++)
            mse[c] = 255.0 * 255.0 / pow(10.0, (psnr[i] + c) / 10.0);
        p->ssim_mean = 0.9 + 0.01 * (double)i;
        p->encode_cpu_s = 2.0 + (double)i;
        p->encode_wall_s = 1.0 + (double)i;
        p->encode_fps = (double)frames / p->encode_wall_s;
        p->decode_cpu_s = 0.25;
        p->decode_wall_s = 0.5;
        p->decode_fps = (double)frames / 0.5;
        p->concurrency = 2;
        p->peak_rss_kib = 100000 + (int64_t)i;
        p->rows = calloc((size_t)frames, sizeof *p->rows);
        assert_non_null(p->rows);
        int64_t bits = p->payload_bytes * 8;
        for (int64_t k = 0; k < frames; k++) {
            CbFrameRow *w = &p->rows[k];
            w->bits = bits / frames + (k == 0 ? bits % frames : 0);
            w->type = k == 0 ? 'I' : 'P';
            for (int c = 0; c < 3; c++) {
                w->mse[c] = mse[c];
                w->psnr[c] = cb_psnr_from_mse(mse[c]);
            }
            w->ssim = p->ssim_mean;
        }
        for (int c = 0; c < 3; c++)
            p->psnr_mean[c] = p->psnr_global[c] = cb_psnr_from_mse(mse[c]);
        p->psnr_yuv_mean = (6 * p->psnr_mean[0] + p->psnr_mean[1] + p->psnr_mean[2]) / 8;
        p->psnr_yuv_global = p->psnr_yuv_mean;
    }
}

void storefix_finish(StoreFix *f, int64_t id, const char *clip, size_t n, const double *kbps,
                     const double *psnr, int64_t frames)
{
    storefix_set_status(f, id, CB_RUN_RUNNING, NULL);
    storefix_set_status(f, id, CB_RUN_VERIFYING, NULL);
    CbRunInfo info;
    CbError err;
    assert_int_equal(cb_store_get_run(f->s, id, &info, &err), 0);
    CbRunResult r;
    storefix_make_result(&r, info.recipe_hash, clip, n, kbps, psnr, frames);
    cb_run_info_free(&info);
    if (cb_store_import_result(f->s, id, &r, &err) != 0)
        fail_msg("import: %s", err.text);
    cb_result_free(&r);
}

/* codecbench test fixture: a small store with hand-made results, for the
 * store commands' tests (tests/cli/store_cmds.sh).
 *
 *   store_fixture STORE_DIR INPUT_A INPUT_B
 *
 * The numbers are made up, not measured: they are chosen so that the
 * expected outputs can be worked out by hand.  Every rate point has 4
 * frames at 25 fps (0.16 s) of 352x288, all frames of a point alike, so
 * the mean and global PSNR are the frame's and kbps = bytes * 8 / 0.16 /
 * 1000 = bytes / 20.
 *
 *   run 1  experiment fx, recipe "anchor" (engine defaults, QPs 22 27 32 37),
 *          clip A, done: kbps 1000 600 360 216, PSNR-Y 40 37 34 31 dB
 *   run 2  fx, recipe "test" (transform dct), clip A, done: kbps 0.8 x run 1's
 *          at the same PSNR, so its BD-rate against run 1 is exactly -20 %
 *          (a constant rate ratio r gives BD-rate r - 1 whatever the
 *          interpolation); tagged "best"
 *   run 3  fx, recipe "test2" (transform dct, deblock off), parent 2, origin
 *          rerun, clip A, done: kbps 0.9 x run 1's, BD-rate -10 %
 *   run 4  fx, recipe "test", parent 3, origin proposer, failed with a reason
 *          holding an ESC sequence; a note holding one too
 *   run 5  fx, recipe "anchor", clip B (INPUT_B), done: run 1's numbers
 *   run 6  experiment "other", recipe "anchor", clip A, left queued
 *
 * The anchor of experiment fx is recipe "anchor".
 *
 *   store_fixture --hostile STORE_DIR INPUT
 *
 * makes a store of one done run (clip A's numbers) whose recipe name holds
 * what the recipe parser lets through but a terminal must not see raw: a
 * right-to-left override (U+202E) and the 8-bit CSI (U+009B), in experiment
 * "hostile" whose anchor is that recipe.  Each done run's
 * result.json is written in its run directory as verification would
 * (cb_result_write), so that reindex finds it.  Prints nothing on success;
 * on failure the error and exit status 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/recipe.h"
#include "codecbench/result.h"
#include "codecbench/store.h"

#define FRAMES 4
#define WIDTH  352
#define HEIGHT 288

static const char ANCHOR_RECIPE[] =
    "{\"name\": \"anchor\", \"codec\": \"engine\", \"settings\": {\"qps\": [22, 27, 32, 37]}}";
static const char TEST_RECIPE[] =
    "{\"name\": \"test\", \"codec\": \"engine\", \"settings\": {\"transform\": \"dct\", "
    "\"qps\": [22, 27, 32, 37]}}";
static const char TEST2_RECIPE[] =
    "{\"name\": \"test2\", \"codec\": \"engine\", \"settings\": {\"transform\": \"dct\", "
    "\"deblock\": false, \"qps\": [22, 27, 32, 37]}}";

/* Hex clip identities: 64 hex digits, as cb_clip_identity gives. */
static const char CLIP_A[] = "aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000aaaa0001";
static const char CLIP_B[] = "bbbb0000bbbb0000bbbb0000bbbb0000bbbb0000bbbb0000bbbb0000bbbb0002";

static const int QPS[4] = {22, 27, 32, 37};
static const int64_t BYTES[4] = {20000, 12000, 7200, 4320}; /* 1000 600 360 216 kbps */
static const double PSNR_Y[4] = {40, 37, 34, 31};

static int fail(const char *what, const CbError *err)
{
    fprintf(stderr, "store_fixture: %s: %s\n", what, err->text);
    return 1;
}

static char *dupstr(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "store_fixture: out of memory\n");
        exit(1);
    }
    return d;
}

/* A result whose rate is scale x the anchor's at the same PSNR. */
static void make_result(CbRunResult *r, const char *recipe, const char *clip, const char *input,
                        double scale)
{
    CbRecipe rec;
    CbError err;
    char hash[CB_RECIPE_HASH_HEX];
    if (cb_recipe_parse(recipe, strlen(recipe), "fixture", &rec, &err) < 0 ||
        cb_recipe_hash(&rec, hash) < 0) {
        fprintf(stderr, "store_fixture: recipe: %s\n", err.text);
        exit(1);
    }
    cb_recipe_free(&rec);
    memset(r, 0, sizeof *r);
    r->format = CB_RESULT_FORMAT;
    r->codec = dupstr("engine");
    r->recipe_hash = dupstr(hash);
    r->clip_id = dupstr(clip);
    r->input = dupstr(input);
    r->first_frame = 0;
    r->frames = FRAMES;
    r->width = WIDTH;
    r->height = HEIGHT;
    r->fps_num = 25;
    r->fps_den = 1;
    r->codecbench_version = dupstr("codecbench test fixture");
    r->ffmpeg_versions = dupstr("none (hand-made numbers)");
    r->encoder_version = dupstr("codecbench engine (fixture)");
    r->machine = dupstr("fixture");
    r->provenance = dupstr("hand-made numbers of tests/store_fixture.c, not measured");
    r->verify_wall_s = 0.5;
    r->n_points = 4;
    r->points = calloc(4, sizeof *r->points);
    if (!r->points)
        exit(1);
    for (int i = 0; i < 4; i++) {
        CbPointResult *p = &r->points[i];
        char name[32];
        snprintf(name, sizeof name, "qp%d.cbv", QPS[i]);
        p->rate_value = QPS[i];
        p->stream_file = dupstr(name);
        p->payload_bytes = (int64_t)llround(BYTES[i] * scale);
        p->container_bytes = p->payload_bytes + 16;
        p->frames = FRAMES;
        p->kbps = p->payload_bytes * 8.0 / (FRAMES / 25.0) / 1000.0;
        p->bpp = p->payload_bytes * 8.0 / ((double)FRAMES * WIDTH * HEIGHT);
        double psnr[3] = {PSNR_Y[i], PSNR_Y[i] + 2, PSNR_Y[i] + 3};
        for (int k = 0; k < 3; k++)
            p->psnr_mean[k] = p->psnr_global[k] = psnr[k];
        p->psnr_yuv_mean = p->psnr_yuv_global = (6 * psnr[0] + psnr[1] + psnr[2]) / 8;
        p->ssim_mean = 0.9 + 0.01 * (3 - i);
        p->encode_cpu_s = 0.4;
        p->encode_wall_s = 0.5;
        p->encode_fps = FRAMES / 0.5;
        p->decode_cpu_s = 0.04;
        p->decode_wall_s = 0.05;
        p->decode_fps = FRAMES / 0.05;
        p->concurrency = 1;
        p->peak_rss_kib = 51200;
        p->rows = calloc(FRAMES, sizeof *p->rows);
        if (!p->rows)
            exit(1);
        for (int n = 0; n < FRAMES; n++) {
            p->rows[n].bits = p->payload_bytes * 8 / FRAMES;
            p->rows[n].type = n == 0 ? 'I' : 'P';
            for (int k = 0; k < 3; k++) {
                /* The MSE whose PSNR is psnr[k]: 255^2 / 10^(psnr / 10). */
                p->rows[n].mse[k] = 255.0 * 255.0 / pow(10.0, psnr[k] / 10.0);
                p->rows[n].psnr[k] = psnr[k];
            }
            p->rows[n].ssim = p->ssim_mean;
        }
    }
}

/* Queues a run and, when result_scale > 0, takes it through running and
 * verifying to done with a result of that scale. */
static int add_run(CbStore *s, const char *experiment, const char *recipe, const char *input,
                   const char *clip, int64_t parent, const char *origin, double result_scale,
                   int64_t *id)
{
    CbError err;
    cb_error_clear(&err);
    CbRunRequest req = {
        .experiment = experiment,
        .recipe_json = recipe,
        .recipe_source = "fixture",
        .input = input,
        .first_frame = 0,
        .frames = FRAMES,
        .parent = parent,
        .origin = origin,
    };
    if (cb_store_queue_run(s, &req, id, &err) < 0)
        return fail("queue", &err);
    if (result_scale <= 0)
        return 0;
    CbRunResult r;
    make_result(&r, recipe, clip, input, result_scale);
    char *dir = cb_store_run_dir(s, *id);
    char path[4096];
    int rc = 1;
    if (!dir || snprintf(path, sizeof path, "%s/result.json", dir) >= (int)sizeof path) {
        fprintf(stderr, "store_fixture: run directory path\n");
        goto out;
    }
    if (cb_store_set_status(s, *id, CB_RUN_RUNNING, NULL, 0, &err) < 0 ||
        cb_store_set_status(s, *id, CB_RUN_VERIFYING, NULL, 0, &err) < 0) {
        rc = fail("status", &err);
        goto out;
    }
    if (cb_result_write(path, &r, &err) < 0) {
        rc = fail("result.json", &err);
        goto out;
    }
    if (cb_store_import_result(s, *id, &r, &err) < 0) {
        rc = fail("import", &err);
        goto out;
    }
    rc = 0;
out:
    free(dir);
    cb_result_free(&r);
    return rc;
}

static const char HOSTILE_RECIPE[] =
    "{\"name\": \"evil\\u202e\\u009b31mname\", \"codec\": \"engine\", \"settings\": "
    "{\"qps\": [22, 27, 32, 37]}}";

static int hostile(const char *dir, const char *input)
{
    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    int64_t id = 0;
    int rc = 1;
    if (cb_store_open(&s, dir, CB_STORE_CREATE, &err) < 0)
        return fail("open", &err);
    if (cb_store_set_anchor(s, "hostile", HOSTILE_RECIPE, "fixture", &err) < 0)
        rc = fail("anchor", &err);
    else
        rc = add_run(s, "hostile", HOSTILE_RECIPE, input, CLIP_A, 0, "user", 1.0, &id);
    cb_store_close(&s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--hostile"))
        return hostile(argv[2], argv[3]);
    if (argc != 4) {
        fprintf(stderr, "usage: store_fixture STORE_DIR INPUT_A INPUT_B\n"
                        "       store_fixture --hostile STORE_DIR INPUT\n");
        return 2;
    }
    const char *a = argv[2], *b = argv[3];
    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    int64_t id[7] = {0};
    int rc = 1;
    if (cb_store_open(&s, argv[1], CB_STORE_CREATE, &err) < 0)
        return fail("open", &err);
    if (cb_store_set_anchor(s, "fx", ANCHOR_RECIPE, "fixture", &err) < 0) {
        rc = fail("anchor", &err);
        goto out;
    }
    if (add_run(s, "fx", ANCHOR_RECIPE, a, CLIP_A, 0, "user", 1.0, &id[1]) ||
        add_run(s, "fx", TEST_RECIPE, a, CLIP_A, 0, "user", 0.8, &id[2]) ||
        add_run(s, "fx", TEST2_RECIPE, a, CLIP_A, id[2], "rerun", 0.9, &id[3]) ||
        add_run(s, "fx", TEST_RECIPE, a, CLIP_A, id[3], "proposer", 0, &id[4]) ||
        add_run(s, "fx", ANCHOR_RECIPE, b, CLIP_B, 0, "user", 1.0, &id[5]) ||
        add_run(s, "other", ANCHOR_RECIPE, a, CLIP_A, 0, "user", 0, &id[6]))
        goto out;
    if (cb_store_set_status(s, id[4], CB_RUN_RUNNING, NULL, 4242, &err) < 0 ||
        cb_store_set_status(s, id[4], CB_RUN_FAILED,
                            "worker killed by SIGKILL \x1b[2J\x1b]0;pwned\x07 last line", 0,
                            &err) < 0 ||
        cb_store_note(s, id[4], "tried \x1b[31mred\x1b[0m text", &err) < 0 ||
        cb_store_tag(s, id[2], "best", 1, &err) < 0) {
        rc = fail("annotate", &err);
        goto out;
    }
    for (int i = 1; i <= 6; i++)
        if (id[i] != i) {
            fprintf(stderr, "store_fixture: expected run %d, the store gave %lld\n", i,
                    (long long)id[i]);
            goto out;
        }
    rc = 0;
out:
    cb_store_close(&s);
    return rc;
}

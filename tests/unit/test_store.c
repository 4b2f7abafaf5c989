/* Unit tests of store/: queueing, listing, the runner's state changes,
 * imports and results, filters and sorting, tags, notes, lineage, anchors
 * and BD figures, cancel requests, delete and gc, reindex, migrations,
 * refusals of files that are not (or no longer) a store, and concurrent
 * writers.  Every store lives in a fresh temporary directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "codecbench/buf.h"
#include "codecbench/recipe.h"
#include "codecbench/store.h"
#include "store/store_internal.h"
#include "storefix.h"

/* ---- fixtures ------------------------------------------------------------- */

typedef StoreFix Fix;

static const char *const RECIPE_A = "{\"name\": \"anchor\", \"codec\": \"engine\"}";
static const char *const RECIPE_T = "{\"name\": \"test\", \"codec\": \"engine\", \"note\": \"n\"}";
static const char *const RECIPE_F =
    "{\"name\": \"fast\", \"codec\": \"engine\", \"settings\": {\"qps\": [24, 30, 36, 42]}}";

/* The store is created and opened on first use: storefix_open or queue. */
static int setup(void **state)
{
    return storefix_setup(state, "cbstore", 0);
}

static int teardown(void **state)
{
    return storefix_teardown(state);
}

/* Queues a run of 8 frames (see storefix_queue). */
static int64_t queue(Fix *f, const char *experiment, const char *recipe, int64_t parent)
{
    return storefix_queue(f, experiment, recipe, 8, parent);
}

static const double KBPS[4] = {100, 200, 400, 800};
static const double PSNR[4] = {30, 33, 36, 39};

/* Queues a run of recipe on clip, takes it through running and verifying
 * and imports a result whose rates are KBPS scaled by factor. */
static int64_t done_run(Fix *f, const char *experiment, const char *recipe, const char *clip,
                        double factor)
{
    int64_t id = queue(f, experiment, recipe, 0);
    double k[4];
    for (int i = 0; i < 4; i++)
        k[i] = KBPS[i] * factor;
    storefix_finish(f, id, clip, 4, k, PSNR, 5);
    return id;
}

static int file_exists(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat sb;
    return stat(p, &sb) == 0;
}

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fail_msg("%s: %s", path, je.text);
    return j;
}

/* FNV-1a of a whole file, and its size: "unmodified" means both equal. */
static uint64_t checksum(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    uint64_t h = 1469598103934665603ull;
    int c;
    while ((c = fgetc(fp)) != EOF)
        h = (h ^ (uint64_t)c) * 1099511628211ull;
    h ^= (uint64_t)ftell(fp) << 1;
    fclose(fp);
    return h;
}

/* ---- queueing and reading ------------------------------------------------- */

static void test_open_and_create(void **state)
{
    Fix *f = *state;
    CbError err;
    CbStore *s = NULL;
    assert_int_equal(cb_store_open(&s, f->dir, 0, &err), CB_ENOENT);
    assert_null(s);
    assert_non_null(strstr(err.text, "no codecbench store"));
    storefix_open(f);
    assert_string_equal(cb_store_dir(f->s), f->dir);
    assert_true(file_exists(f->dir, "store.db"));
    assert_true(file_exists(f->dir, "runs"));
    assert_true(file_exists(f->dir, "experiments"));
    char *rd = cb_store_run_dir(f->s, 42);
    char want[400];
    snprintf(want, sizeof want, "%s/runs/000042", f->dir);
    assert_string_equal(rd, want);
    free(rd);
    /* A second connection, read-only, sees the same store. */
    assert_int_equal(cb_store_open(&s, f->dir, CB_STORE_READONLY, &err), 0);
    int64_t counts[7];
    assert_int_equal(cb_store_counts(s, counts, &err), 0);
    assert_int_equal(counts[CB_RUN_QUEUED], 0);
    /* Writes through it are refused. */
    CbRunRequest req = {.recipe_json = RECIPE_A, .input = f->input, .frames = -1};
    int64_t id;
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "read-only"));
    cb_store_close(&s);
    assert_null(s);
    cb_store_close(NULL);
}

static void test_queue_and_get(void **state)
{
    Fix *f = *state;
    int64_t a = queue(f, NULL, RECIPE_A, 0);
    int64_t b = queue(f, "exp1", RECIPE_T, a);
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    CbRunInfo info;
    CbError err;
    assert_int_equal(cb_store_get_run(f->s, b, &info, &err), 0);
    assert_int_equal(info.id, 2);
    assert_string_equal(info.experiment, "exp1");
    assert_string_equal(info.recipe_name, "test");
    assert_string_equal(info.codec, "engine");
    assert_int_equal(strlen(info.recipe_hash), 64);
    assert_int_equal(info.status, CB_RUN_QUEUED);
    assert_null(info.reason);
    assert_string_equal(info.input, f->input);
    assert_null(info.clip_id);
    assert_int_equal(info.frames, 8);
    assert_int_equal(info.parent, a);
    assert_string_equal(info.origin, "rerun");
    assert_null(info.tags);
    assert_true(isfinite(info.created) && isnan(info.started) && isnan(info.finished));
    assert_int_equal(info.n_points, 0);
    assert_true(isnan(info.kbps_min) && isnan(info.bd_rate));
    assert_int_equal(info.width, 0);
    cb_run_info_free(&info);

    /* recipe.json holds the text as given, note and all; run.json what to run. */
    char *text = NULL;
    assert_int_equal(cb_store_get_recipe(f->s, b, &text, &err), 0);
    assert_string_equal(text, RECIPE_T);
    free(text);
    char *rd = cb_store_run_dir(f->s, b);
    char path[600];
    snprintf(path, sizeof path, "%s/recipe.json", rd);
    CbBuf buf;
    cb_buf_init(&buf, 1 << 20);
    assert_int_equal(cb_buf_read_file(&buf, path, &err), 0);
    assert_string_equal(buf.data, RECIPE_T);
    cb_buf_free(&buf);
    snprintf(path, sizeof path, "%s/run.json", rd);
    json_t *j = load_json(path);
    assert_int_equal(json_integer_value(json_object_get(j, "format")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), b);
    assert_string_equal(json_string_value(json_object_get(j, "experiment")), "exp1");
    assert_string_equal(json_string_value(json_object_get(j, "input")), f->input);
    assert_int_equal(json_integer_value(json_object_get(j, "frames")), 8);
    assert_int_equal(json_integer_value(json_object_get(j, "parent")), a);
    assert_string_equal(json_string_value(json_object_get(j, "origin")), "rerun");
    assert_true(json_is_number(json_object_get(j, "created")));
    json_decref(j);
    free(rd);

    /* No such run. */
    assert_int_equal(cb_store_get_run(f->s, 99, &info, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "no run 99"));
    assert_int_equal(cb_store_get_recipe(f->s, 99, &text, &err), CB_ENOENT);
}

static void test_queue_refusals_leave_nothing(void **state)
{
    Fix *f = *state;
    CbStore *s = storefix_open(f);
    CbError err;
    int64_t id = 0;
    CbRunRequest req = {.recipe_json = "{\"name\": \"x\", \"codec\": \"engine\", \"settings\": "
                                       "{\"block_size\": 12}}",
                        .recipe_source = "bad.json",
                        .input = f->input,
                        .frames = 10};
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "bad.json"));
    assert_non_null(strstr(err.text, "block_size"));
    req.recipe_json = "not json";
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_EFORMAT);
    req.recipe_json = RECIPE_A;
    req.input = "/nonexistent/clip.y4m";
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "/nonexistent/clip.y4m"));
    req.input = f->input;
    req.frames = 0;
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_EINVAL);
    req.frames = -1;
    req.first_frame = -3;
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_EINVAL);
    req.first_frame = 0;
    req.origin = "martian";
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_EINVAL);
    req.origin = NULL;
    req.experiment = "../escape";
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_EINVAL);
    req.experiment = NULL;
    req.parent = 77;
    assert_int_equal(cb_store_queue_run(s, &req, &id, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "parent"));
    /* Nothing was left behind: no rows, no directories. */
    int64_t counts[7];
    assert_int_equal(cb_store_counts(s, counts, &err), 0);
    for (int i = 0; i < 7; i++)
        assert_int_equal(counts[i], 0);
    char runs[400];
    snprintf(runs, sizeof runs, "%s/runs", f->dir);
    assert_int_equal(rmdir(runs), 0); /* empty */
    assert_int_equal(mkdir(runs, 0755), 0);
    /* A directory that exists without a row is never reused. */
    char stray[450];
    snprintf(stray, sizeof stray, "%s/000001", runs);
    assert_int_equal(mkdir(stray, 0755), 0);
    assert_int_equal(queue(f, NULL, RECIPE_A, 0), 2);
}

static void test_status_transitions(void **state)
{
    Fix *f = *state;
    int64_t id = queue(f, NULL, RECIPE_A, 0);
    CbError err;
    int64_t next;
    assert_int_equal(cb_store_next_queued(f->s, &next, &err), 0);
    assert_int_equal(next, id);
    /* queued -> verifying and -> done are refused. */
    assert_int_equal(cb_store_set_status(f->s, id, CB_RUN_VERIFYING, NULL, 1, &err), CB_EINVAL);
    assert_int_equal(cb_store_set_status(f->s, id, CB_RUN_DONE, NULL, 0, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "imported"));
    storefix_set_status(f, id, CB_RUN_RUNNING, NULL);
    assert_int_equal(cb_store_next_queued(f->s, &next, &err), 0);
    assert_int_equal(next, 0);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, id, &info, &err), 0);
    assert_int_equal(info.status, CB_RUN_RUNNING);
    assert_int_equal(info.pid, 4242);
    assert_true(isfinite(info.started));
    cb_run_info_free(&info);
    int64_t *ids;
    size_t n;
    assert_int_equal(cb_store_active_runs(f->s, &ids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], id);
    free(ids);
    char *rd = cb_store_run_dir(f->s, id);
    assert_false(file_exists(rd, "status.json"));
    storefix_set_status(f, id, CB_RUN_VERIFYING, NULL);
    assert_int_equal(cb_store_set_status(f->s, id, CB_RUN_RUNNING, NULL, 1, &err), CB_EINVAL);
    storefix_set_status(f, id, CB_RUN_FAILED, "verification: qp27.cbv: frame 3 differs");
    assert_int_equal(cb_store_get_run(f->s, id, &info, &err), 0);
    assert_int_equal(info.status, CB_RUN_FAILED);
    assert_string_equal(info.reason, "verification: qp27.cbv: frame 3 differs");
    assert_int_equal(info.pid, 0);
    assert_true(isfinite(info.finished));
    cb_run_info_free(&info);
    /* status.json says the same. */
    char path[600];
    snprintf(path, sizeof path, "%s/status.json", rd);
    json_t *j = load_json(path);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
    assert_string_equal(json_string_value(json_object_get(j, "reason")),
                        "verification: qp27.cbv: frame 3 differs");
    json_decref(j);
    /* A reason that quotes bytes that are not UTF-8 (a crashed worker's
     * log) is kept in the row as it is, and in status.json with U+FFFD. */
    int64_t g = queue(f, NULL, RECIPE_A, 0);
    storefix_set_status(f, g, CB_RUN_FAILED, "log: \xff\xfe end");
    char *gd = cb_store_run_dir(f->s, g);
    snprintf(path, sizeof path, "%s/status.json", gd);
    free(gd);
    j = load_json(path);
    assert_string_equal(json_string_value(json_object_get(j, "reason")),
                        "log: \xef\xbf\xbd\xef\xbf\xbd end");
    json_decref(j);
    assert_int_equal(cb_store_get_run(f->s, g, &info, &err), 0);
    assert_string_equal(info.reason, "log: \xff\xfe end");
    cb_run_info_free(&info);
    /* Nothing leaves a final state except requeue. */
    for (int st = 0; st <= CB_RUN_INTERRUPTED; st++)
        assert_int_equal(cb_store_set_status(f->s, id, (CbRunStatus)st, NULL, 0, &err),
                         CB_EINVAL);
    assert_int_equal(cb_store_set_status(f->s, 999, CB_RUN_RUNNING, NULL, 0, &err), CB_ENOENT);
    assert_int_equal(cb_store_requeue(f->s, id, &err), 0);
    assert_false(file_exists(rd, "status.json"));
    assert_int_equal(cb_store_get_run(f->s, id, &info, &err), 0);
    assert_int_equal(info.status, CB_RUN_QUEUED);
    assert_null(info.reason);
    assert_true(isnan(info.started));
    cb_run_info_free(&info);
    assert_int_equal(cb_store_requeue(f->s, id, &err), CB_EINVAL);
    /* queued -> interrupted directly (a runner that found it dead). */
    storefix_set_status(f, id, CB_RUN_INTERRUPTED, "worker gone");
    assert_true(file_exists(rd, "status.json"));
    free(rd);
    /* A done run is not requeued. */
    int64_t d = done_run(f, NULL, RECIPE_A, "clip1", 1.0);
    assert_int_equal(cb_store_requeue(f->s, d, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "rerun"));
    /* Names of statuses both ways. */
    for (int st = 0; st <= CB_RUN_INTERRUPTED; st++) {
        CbRunStatus back;
        assert_int_equal(cb_run_status_parse(cb_run_status_name((CbRunStatus)st), &back), 0);
        assert_int_equal(back, st);
    }
    CbRunStatus back;
    assert_int_equal(cb_run_status_parse("finished", &back), CB_EINVAL);
}

/* ---- import and results --------------------------------------------------- */

static void test_import_round_trip(void **state)
{
    Fix *f = *state;
    int64_t id = queue(f, "e", RECIPE_A, 0);
    CbError err;
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, id, &info, &err), 0);
    CbRunResult r;
    storefix_make_result(&r, info.recipe_hash, "c0ffee", 4, KBPS, PSNR, 7);
    /* Only a running or verifying run is imported. */
    assert_int_equal(cb_store_import_result(f->s, id, &r, &err), CB_EINVAL);
    storefix_set_status(f, id, CB_RUN_RUNNING, NULL);
    /* A result that is not sane is refused, naming what is wrong. */
    double saved = r.points[2].rows[3].psnr[1];
    r.points[2].rows[3].psnr[1] = NAN;
    assert_int_equal(cb_store_import_result(f->s, id, &r, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "point 2, frame 3"));
    r.points[2].rows[3].psnr[1] = saved;
    r.points[1].frames = 6;
    assert_int_equal(cb_store_import_result(f->s, id, &r, &err), CB_EINVAL);
    r.points[1].frames = 7;
    r.recipe_hash[0] = r.recipe_hash[0] == 'a' ? 'b' : 'a';
    assert_int_equal(cb_store_import_result(f->s, id, &r, &err), CB_EMISMATCH);
    free(r.recipe_hash);
    r.recipe_hash = storefix_xstrdup(info.recipe_hash);
    cb_run_info_free(&info);
    /* Nothing of the refused imports stayed. */
    CbRunResult back;
    assert_int_equal(cb_store_get_result(f->s, id, 1, &back, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "running"));
    assert_int_equal(cb_store_import_result(f->s, id, &r, &err), 0);

    assert_int_equal(cb_store_get_result(f->s, id, 1, &back, &err), 0);
    assert_int_equal(back.format, CB_RESULT_FORMAT);
    assert_string_equal(back.codec, "engine");
    assert_string_equal(back.recipe_hash, r.recipe_hash);
    char c0ffee[CB_RECIPE_HASH_HEX];
    storefix_clip_hex("c0ffee", c0ffee);
    assert_string_equal(back.clip_id, c0ffee);
    assert_int_equal(back.frames, 7);
    assert_int_equal(back.width, 352);
    assert_int_equal(back.fps_num, 25);
    assert_int_equal(back.fps_den, 1);
    assert_string_equal(back.machine, "test host");
    assert_string_equal(back.provenance, "synthetic test figures");
    assert_string_equal(back.encoder_version, "codecbench engine 0.1.0");
    assert_true(back.verify_wall_s == 1.5);
    assert_int_equal(back.n_points, 4);
    for (size_t i = 0; i < 4; i++) {
        const CbPointResult *a = &r.points[i], *b = &back.points[i];
        assert_int_equal(a->rate_value, b->rate_value);
        assert_string_equal(a->stream_file, b->stream_file);
        assert_int_equal(a->payload_bytes, b->payload_bytes);
        assert_int_equal(a->container_bytes, b->container_bytes);
        assert_true(a->kbps == b->kbps && a->bpp == b->bpp);
        assert_memory_equal(a->psnr_mean, b->psnr_mean, sizeof a->psnr_mean);
        assert_memory_equal(a->psnr_global, b->psnr_global, sizeof a->psnr_global);
        assert_true(a->psnr_yuv_mean == b->psnr_yuv_mean && a->ssim_mean == b->ssim_mean);
        assert_true(a->encode_fps == b->encode_fps && a->decode_cpu_s == b->decode_cpu_s);
        assert_int_equal(a->concurrency, b->concurrency);
        assert_int_equal(a->peak_rss_kib, b->peak_rss_kib);
        for (int64_t k = 0; k < 7; k++) {
            const CbFrameRow *x = &a->rows[k], *y = &b->rows[k];
            assert_int_equal(x->bits, y->bits);
            assert_int_equal(x->type, y->type);
            assert_memory_equal(x->psnr, y->psnr, sizeof x->psnr);
            assert_memory_equal(x->mse, y->mse, sizeof x->mse);
            assert_true(x->ssim == y->ssim);
        }
    }
    cb_result_free(&back);
    /* Without frames: the points, no rows. */
    assert_int_equal(cb_store_get_result(f->s, id, 0, &back, &err), 0);
    assert_null(back.points[0].rows);
    cb_result_free(&back);

    /* The summary columns on the run row. */
    assert_int_equal(cb_store_get_run(f->s, id, &info, &err), 0);
    assert_int_equal(info.status, CB_RUN_DONE);
    assert_string_equal(info.clip_id, c0ffee);
    assert_int_equal(info.n_points, 4);
    assert_true(info.kbps_min == r.points[0].kbps && info.kbps_max == r.points[3].kbps);
    assert_true(fabs(info.kbps_min - 100) < 1e-9 && fabs(info.kbps_max - 800) < 1e-9);
    assert_true(fabs(info.psnr_y_min - 30) < 1e-9 && fabs(info.psnr_y_max - 39) < 1e-9);
    assert_int_equal(info.width, 352);
    assert_int_equal(info.height, 288);
    double fps = 0;
    for (int i = 0; i < 4; i++)
        fps += r.points[i].encode_fps / 4;
    assert_true(fabs(info.encode_fps - fps) < 1e-12);
    assert_true(isnan(info.bd_rate)); /* no anchor */
    assert_int_equal(info.pid, 0);
    cb_run_info_free(&info);
    char *rd = cb_store_run_dir(f->s, id);
    char path[600];
    snprintf(path, sizeof path, "%s/status.json", rd);
    json_t *j = load_json(path);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "done");
    json_decref(j);
    free(rd);
    /* A done run is not imported twice. */
    assert_int_equal(cb_store_import_result(f->s, id, &r, &err), CB_EINVAL);
    cb_result_free(&r);
}

/* ---- listing ---------------------------------------------------------------- */

static void test_filters_and_sort(void **state)
{
    Fix *f = *state;
    CbError err;
    int64_t r1 = done_run(f, "alpha", RECIPE_A, "clipA", 1.0);
    int64_t r2 = done_run(f, "alpha", RECIPE_F, "clipA", 0.5);
    int64_t r3 = queue(f, "beta", RECIPE_T, 0);
    int64_t r4 = done_run(f, "beta", RECIPE_T, "clipB", 2.0);
    storefix_set_status(f, r3, CB_RUN_RUNNING, NULL);
    storefix_set_status(f, r3, CB_RUN_FAILED, "boom");
    assert_int_equal(cb_store_tag(f->s, r2, "best", 1, &err), 0);
    assert_int_equal(cb_store_tag(f->s, r4, "best", 1, &err), 0);
    assert_int_equal(cb_store_tag(f->s, r4, "aaa", 1, &err), 0);

    CbRunInfo *rows;
    size_t n;
    assert_int_equal(cb_store_list(f->s, NULL, &rows, &n, &err), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows[i].id, (int64_t)i + 1);
    assert_string_equal(rows[3].tags, "aaa,best");
    cb_run_infos_free(&rows, n);
    assert_null(rows);

    CbRunFilter flt = {.experiment = "alpha", .status = -1};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, r1);
    assert_int_equal(rows[1].id, r2);
    cb_run_infos_free(&rows, n);
    flt = (CbRunFilter){.status = CB_RUN_FAILED};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, r3);
    assert_string_equal(rows[0].reason, "boom");
    cb_run_infos_free(&rows, n);
    flt = (CbRunFilter){.status = -1, .tag = "best"};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, r2);
    assert_int_equal(rows[1].id, r4);
    cb_run_infos_free(&rows, n);
    flt = (CbRunFilter){.status = -1, .codec = "engine", .experiment = "beta", .tag = "aaa"};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    cb_run_infos_free(&rows, n);
    char clip_a[CB_RECIPE_HASH_HEX];
    storefix_clip_hex("clipA", clip_a);
    flt = (CbRunFilter){.status = -1, .clip_id = clip_a};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, r1);
    assert_int_equal(rows[1].id, r2);
    char hash[80];
    snprintf(hash, sizeof hash, "%s", rows[1].recipe_hash);
    cb_run_infos_free(&rows, n);
    flt = (CbRunFilter){.status = -1, .recipe_hash = hash};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, r2);
    cb_run_infos_free(&rows, n);
    flt = (CbRunFilter){.status = -1, .codec = "libx264"};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 0);
    cb_run_infos_free(&rows, n);

    /* kbps_min: r2 50, r1 100, r4 200, r3 unknown (last either way). */
    flt = (CbRunFilter){.status = -1, .sort = "kbps_min"};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(rows[0].id, r2);
    assert_int_equal(rows[1].id, r1);
    assert_int_equal(rows[2].id, r4);
    assert_int_equal(rows[3].id, r3);
    cb_run_infos_free(&rows, n);
    flt.descending = 1;
    flt.limit = 2;
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, r4);
    assert_int_equal(rows[1].id, r1);
    cb_run_infos_free(&rows, n);
    flt = (CbRunFilter){.status = -1, .sort = "recipe_name"};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), 0);
    assert_string_equal(rows[0].recipe_name, "anchor");
    assert_string_equal(rows[1].recipe_name, "fast");
    assert_string_equal(rows[3].recipe_name, "test");
    cb_run_infos_free(&rows, n);

    /* Every sort column, both ways: the rows come back ordered by it. */
    static const char *const cols[] = {
        "id",         "experiment", "recipe_name", "recipe_hash", "codec",      "status",
        "reason",     "input",      "clip_id",     "first_frame", "frames",     "width",
        "height",     "parent",     "origin",      "tags",        "created",    "started",
        "finished",   "pid",        "cancel_requested", "n_points", "kbps_min", "kbps_max",
        "psnr_y_min", "psnr_y_max", "bd_rate",     "bd_psnr",     "anchor_run", "encode_fps"};
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        for (int desc = 0; desc < 2; desc++) {
            flt = (CbRunFilter){.status = -1, .sort = cols[c], .descending = desc};
            if (cb_store_list(f->s, &flt, &rows, &n, &err) != 0)
                fail_msg("sort %s: %s", cols[c], err.text);
            assert_int_equal(n, 4);
            for (size_t i = 1; i < n; i++) {
                const CbRunInfo *a = &rows[i - 1], *b = &rows[i];
                double x = NAN, y = NAN;
                if (!strcmp(cols[c], "kbps_max"))
                    x = a->kbps_max, y = b->kbps_max;
                else if (!strcmp(cols[c], "psnr_y_min"))
                    x = a->psnr_y_min, y = b->psnr_y_min;
                else if (!strcmp(cols[c], "created"))
                    x = a->created, y = b->created;
                else if (!strcmp(cols[c], "encode_fps"))
                    x = a->encode_fps, y = b->encode_fps;
                else if (!strcmp(cols[c], "status"))
                    x = a->status, y = b->status;
                else if (!strcmp(cols[c], "id"))
                    x = (double)a->id, y = (double)b->id;
                if (isnan(y))
                    continue; /* unknowns last */
                assert_false(isnan(x));
                if (desc ? x < y : x > y)
                    fail_msg("sort %s %s: rows %zu and %zu out of order", cols[c],
                             desc ? "desc" : "asc", i - 1, i);
            }
            cb_run_infos_free(&rows, n);
        }
    }
    flt = (CbRunFilter){.status = -1, .sort = "id; DROP TABLE runs"};
    assert_int_equal(cb_store_list(f->s, &flt, &rows, &n, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "bd_rate"));
    assert_non_null(strstr(err.text, "encode_fps"));
    assert_null(rows);
}

/* ---- annotations and lineage ---------------------------------------------- */

static void test_tags_notes_lineage(void **state)
{
    Fix *f = *state;
    CbError err;
    int64_t a = queue(f, NULL, RECIPE_A, 0);
    int64_t b = queue(f, NULL, RECIPE_T, a);
    int64_t c = queue(f, NULL, RECIPE_T, b);
    int64_t d = queue(f, NULL, RECIPE_F, a);
    assert_int_equal(cb_store_tag(f->s, a, "zeta", 1, &err), 0);
    assert_int_equal(cb_store_tag(f->s, a, "alpha", 1, &err), 0);
    assert_int_equal(cb_store_tag(f->s, a, "alpha", 1, &err), 0); /* twice: once */
    assert_int_equal(cb_store_tag(f->s, a, "mid.v2-x_y", 1, &err), 0);
    assert_int_equal(cb_store_tag(f->s, a, "zeta", 0, &err), 0);
    assert_int_equal(cb_store_tag(f->s, 99, "x", 1, &err), CB_ENOENT);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, a, &info, &err), 0);
    assert_string_equal(info.tags, "alpha,mid.v2-x_y");
    cb_run_info_free(&info);
    assert_int_equal(cb_store_note(f->s, a, "first try", &err), 0);
    assert_int_equal(cb_store_note(f->s, a, "zweite Notiz \xc3\xa4\xc3\xb6", &err), 0);
    CbNote *notes;
    size_t n;
    assert_int_equal(cb_store_notes(f->s, a, &notes, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(notes[0].text, "first try");
    assert_string_equal(notes[1].text, "zweite Notiz \xc3\xa4\xc3\xb6");
    assert_true(notes[0].created <= notes[1].created);
    cb_notes_free(&notes, n);
    assert_null(notes);
    /* annotations.json keeps them, for reindex. */
    char *rd = cb_store_run_dir(f->s, a);
    char path[600];
    snprintf(path, sizeof path, "%s/annotations.json", rd);
    free(rd);
    json_t *j = load_json(path);
    json_t *tags = json_object_get(j, "tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "alpha");
    assert_int_equal(json_array_size(json_object_get(j, "notes")), 2);
    json_decref(j);

    int64_t *anc, *desc;
    size_t na, nd;
    assert_int_equal(cb_store_lineage(f->s, c, &anc, &na, &desc, &nd, &err), 0);
    assert_int_equal(na, 2);
    assert_int_equal(anc[0], b);
    assert_int_equal(anc[1], a);
    assert_int_equal(nd, 0);
    free(anc);
    free(desc);
    assert_int_equal(cb_store_lineage(f->s, a, &anc, &na, &desc, &nd, &err), 0);
    assert_int_equal(na, 0);
    assert_int_equal(nd, 3);
    assert_int_equal(desc[0], b); /* breadth first: children, then grandchildren */
    assert_int_equal(desc[1], d);
    assert_int_equal(desc[2], c);
    free(anc);
    free(desc);
    /* Lineage outlives a deleted parent. */
    assert_int_equal(cb_store_delete_run(f->s, b, &err), 0);
    assert_int_equal(cb_store_lineage(f->s, c, &anc, &na, &desc, &nd, &err), 0);
    assert_int_equal(na, 1);
    assert_int_equal(anc[0], b);
    free(anc);
    free(desc);
    assert_int_equal(cb_store_lineage(f->s, 99, &anc, &na, &desc, &nd, &err), CB_ENOENT);

    /* Proposals and the experiments they belong to. */
    int64_t pid = 0;
    assert_int_equal(cb_store_add_proposal(f->s, "evo", "local", "lower QPs", RECIPE_T, d, &pid,
                                           &err),
                     0);
    assert_true(pid > 0);
    assert_int_equal(cb_store_add_proposal(f->s, "evo", "local", "x", RECIPE_T, 999, &pid, &err),
                     CB_ENOENT);
    assert_int_equal(cb_store_add_proposal(f->s, "bad/name", "local", "x", RECIPE_T, 0, &pid, &err),
                     CB_EINVAL);
    CbProposal *props;
    assert_int_equal(cb_store_proposals(f->s, "evo", &props, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(props[0].id, pid);
    assert_string_equal(props[0].proposer, "local");
    assert_string_equal(props[0].rationale, "lower QPs");
    assert_string_equal(props[0].recipe_json, RECIPE_T);
    assert_int_equal(props[0].run_id, d);
    cb_proposals_free(&props, n);
    assert_null(props);
    assert_int_equal(cb_store_proposals(f->s, "default", &props, &n, &err), 0);
    assert_int_equal(n, 0);
    cb_proposals_free(&props, n);
    CbExperimentInfo *ex;
    assert_int_equal(cb_store_experiments(f->s, &ex, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ex[0].name, "default");
    assert_int_equal(ex[0].runs, 3);
    assert_string_equal(ex[1].name, "evo");
    assert_int_equal(ex[1].runs, 0);
    assert_null(ex[1].anchor_name);
    cb_experiment_infos_free(&ex, n);
}

static void test_names_validated(void **state)
{
    Fix *f = *state;
    CbError err;
    int64_t id = queue(f, NULL, RECIPE_A, 0);
    char name[80];
    memset(name, 'a', 64);
    name[64] = '\0';
    assert_int_equal(cb_store_check_experiment_name(name, &err), 0);
    name[64] = 'a';
    name[65] = '\0';
    assert_int_equal(cb_store_check_experiment_name(name, &err), CB_EINVAL);
    static const char *const bad_exp[] = {"", ".hidden", "a/b", "a b", "caf\xc3\xa9", "x\n"};
    for (size_t i = 0; i < sizeof bad_exp / sizeof bad_exp[0]; i++) {
        assert_int_equal(cb_store_check_experiment_name(bad_exp[i], &err), CB_EINVAL);
        assert_int_equal(cb_store_set_anchor(f->s, bad_exp[i], RECIPE_A, NULL, &err), CB_EINVAL);
    }
    assert_int_equal(cb_store_check_experiment_name("A-z_0.9", &err), 0);
    memset(name, 't', 32);
    name[32] = '\0';
    assert_int_equal(cb_store_tag(f->s, id, name, 1, &err), 0);
    name[32] = 't';
    name[33] = '\0';
    assert_int_equal(cb_store_tag(f->s, id, name, 1, &err), CB_EINVAL);
    static const char *const bad_tags[] = {"", "a,b", "a b", "\xe2\x80\xae", "x;"};
    for (size_t i = 0; i < sizeof bad_tags / sizeof bad_tags[0]; i++)
        assert_int_equal(cb_store_tag(f->s, id, bad_tags[i], 1, &err), CB_EINVAL);
    assert_int_equal(cb_store_note(f->s, id, "", &err), CB_EINVAL);
    assert_int_equal(cb_store_note(f->s, id, "bad \xff byte", &err), CB_EINVAL);
    assert_int_equal(cb_store_note(f->s, id, "overlong \xc0\xaf", &err), CB_EINVAL);
    assert_int_equal(cb_store_note(f->s, id, "surrogate \xed\xa0\x80", &err), CB_EINVAL);
    char *big = malloc(4098);
    assert_non_null(big);
    memset(big, 'n', 4097);
    big[4097] = '\0';
    assert_int_equal(cb_store_note(f->s, id, big, &err), CB_EINVAL);
    big[4096] = '\0';
    assert_int_equal(cb_store_note(f->s, id, big, &err), 0);
    free(big);
}

/* ---- anchors and BD ------------------------------------------------------- */

static void test_anchor_and_bd(void **state)
{
    Fix *f = *state;
    CbError err;
    /* Test runs at 0.8 and 0.9 of the anchor's rates at equal PSNR: on log
     * rate the curves are parallel, so BD-rate is exactly -20% and -10%. */
    int64_t t1 = done_run(f, "e", RECIPE_T, "clip1", 0.8);
    int64_t a1 = done_run(f, "e", RECIPE_A, "clip1", 1.0);
    int64_t t2 = done_run(f, "e", RECIPE_T, "clip2", 0.9);
    int64_t a2 = done_run(f, "e", RECIPE_A, "clip2", 1.0);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, t1, &info, &err), 0);
    assert_true(isnan(info.bd_rate)); /* no anchor yet */
    assert_int_equal(info.anchor_run, 0);
    cb_run_info_free(&info);
    assert_int_equal(cb_store_set_anchor(f->s, "e", RECIPE_A, "anchor.json", &err), 0);
    assert_int_equal(cb_store_get_run(f->s, t1, &info, &err), 0);
    assert_int_equal(info.anchor_run, a1);
    assert_true(fabs(info.bd_rate - -20.0) < 1e-9);
    assert_true(info.bd_psnr > 0);
    cb_run_info_free(&info);
    assert_int_equal(cb_store_get_run(f->s, t2, &info, &err), 0);
    assert_int_equal(info.anchor_run, a2);
    assert_true(fabs(info.bd_rate - -10.0) < 1e-9);
    cb_run_info_free(&info);
    assert_int_equal(cb_store_get_run(f->s, a1, &info, &err), 0);
    assert_true(fabs(info.bd_rate) < 1e-12); /* against itself */
    cb_run_info_free(&info);
    /* experiments/e.json holds the anchor recipe as given. */
    char path[400];
    snprintf(path, sizeof path, "%s/experiments/e.json", f->dir);
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    assert_int_equal(cb_buf_read_file(&b, path, &err), 0);
    assert_string_equal(b.data, RECIPE_A);
    cb_buf_free(&b);

    /* Per recipe, the mean over clips. */
    CbRecipeBd *bd;
    size_t n;
    assert_int_equal(cb_store_experiment_bd(f->s, "e", &bd, &n, &err), 0);
    assert_int_equal(n, 2);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(bd[i].recipe_name, "test")) {
            assert_int_equal(bd[i].clips, 2);
            assert_true(fabs(bd[i].bd_rate - -15.0) < 1e-9);
            found = 1;
        } else {
            assert_string_equal(bd[i].recipe_name, "anchor");
            assert_true(fabs(bd[i].bd_rate) < 1e-12);
        }
    }
    assert_true(found);
    cb_recipe_bds_free(&bd, n);
    assert_int_equal(cb_store_experiment_bd(f->s, "nope", &bd, &n, &err), CB_ENOENT);

    /* A newer anchor run on clip1 (rates x2) moves the figures of clip1 only:
     * 0.8 / 2 = 0.4, so -60%. */
    int64_t a1b = done_run(f, "e", RECIPE_A, "clip1", 2.0);
    assert_int_equal(cb_store_get_run(f->s, t1, &info, &err), 0);
    assert_int_equal(info.anchor_run, a1b);
    assert_true(fabs(info.bd_rate - -60.0) < 1e-9);
    cb_run_info_free(&info);
    assert_int_equal(cb_store_get_run(f->s, t2, &info, &err), 0);
    assert_true(fabs(info.bd_rate - -10.0) < 1e-9);
    cb_run_info_free(&info);
    /* Deleting it brings the older anchor run back. */
    assert_int_equal(cb_store_delete_run(f->s, a1b, &err), 0);
    assert_int_equal(cb_store_get_run(f->s, t1, &info, &err), 0);
    assert_int_equal(info.anchor_run, a1);
    assert_true(fabs(info.bd_rate - -20.0) < 1e-9);
    cb_run_info_free(&info);
    /* A test run imported after the anchor gets its figures at import. */
    int64_t t3 = done_run(f, "e", RECIPE_F, "clip2", 1.25);
    assert_int_equal(cb_store_get_run(f->s, t3, &info, &err), 0);
    assert_true(fabs(info.bd_rate - 25.0) < 1e-9);
    cb_run_info_free(&info);
    /* Changing the anchor to the test recipe re-computes everything. */
    assert_int_equal(cb_store_set_anchor(f->s, "e", RECIPE_T, NULL, &err), 0);
    assert_int_equal(cb_store_get_run(f->s, a2, &info, &err), 0);
    assert_int_equal(info.anchor_run, t2);
    assert_true(fabs(info.bd_rate - (1 / 0.9 - 1) * 100) < 1e-9);
    cb_run_info_free(&info);
    CbExperimentInfo *ex;
    assert_int_equal(cb_store_experiments(f->s, &ex, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ex[0].anchor_name, "test");
    assert_int_equal(ex[0].done, 5);
    assert_int_equal(ex[0].clips, 2);
    cb_experiment_infos_free(&ex, n);
    /* An invalid anchor recipe changes nothing. */
    assert_int_equal(cb_store_set_anchor(f->s, "e", "{\"name\": 1}", "x.json", &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "x.json"));
}

/* ---- cancel, delete, gc --------------------------------------------------- */

static void test_cancel_requests(void **state)
{
    Fix *f = *state;
    CbError err;
    int64_t q = queue(f, NULL, RECIPE_A, 0);
    int64_t r = queue(f, NULL, RECIPE_A, 0);
    int64_t v = queue(f, NULL, RECIPE_A, 0);
    storefix_set_status(f, r, CB_RUN_RUNNING, NULL);
    storefix_set_status(f, v, CB_RUN_RUNNING, NULL);
    storefix_set_status(f, v, CB_RUN_VERIFYING, NULL);
    assert_int_equal(cb_store_request_cancel(f->s, q, &err), 0);
    assert_int_equal(cb_store_request_cancel(f->s, r, &err), 0);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, q, &info, &err), 0);
    assert_int_equal(info.status, CB_RUN_CANCELLED); /* at once */
    assert_true(info.cancel_requested);
    cb_run_info_free(&info);
    assert_int_equal(cb_store_get_run(f->s, r, &info, &err), 0);
    assert_int_equal(info.status, CB_RUN_RUNNING); /* the runner acts */
    assert_true(info.cancel_requested);
    cb_run_info_free(&info);
    int64_t *ids;
    size_t n;
    assert_int_equal(cb_store_cancel_requests(f->s, &ids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], r);
    free(ids);
    storefix_set_status(f, r, CB_RUN_CANCELLED, "cancelled by the user");
    assert_int_equal(cb_store_cancel_requests(f->s, &ids, &n, &err), 0);
    assert_int_equal(n, 0);
    free(ids);
    assert_int_equal(cb_store_request_cancel(f->s, r, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "finished"));
    assert_int_equal(cb_store_request_cancel(f->s, 99, &err), CB_ENOENT);
    int64_t counts[7];
    assert_int_equal(cb_store_counts(f->s, counts, &err), 0);
    assert_int_equal(counts[CB_RUN_CANCELLED], 2);
    assert_int_equal(counts[CB_RUN_VERIFYING], 1);
}

static void test_delete_and_gc(void **state)
{
    Fix *f = *state;
    CbError err;
    int64_t d = done_run(f, NULL, RECIPE_A, "clip1", 1.0);
    int64_t r = queue(f, NULL, RECIPE_A, 0);
    storefix_set_status(f, r, CB_RUN_RUNNING, NULL);
    assert_int_equal(cb_store_tag(f->s, d, "x", 1, &err), 0);
    assert_int_equal(cb_store_note(f->s, d, "y", &err), 0);
    /* A bitstream of known size in the run directory. */
    char *rd = cb_store_run_dir(f->s, d);
    char path[600];
    snprintf(path, sizeof path, "%s/qp22.cbv", rd);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 10000; i++)
        fputc(i & 0xff, fp);
    fclose(fp);
    int64_t want = 0;
    static const char *const files[] = {"qp22.cbv", "recipe.json", "run.json", "status.json",
                                        "annotations.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", rd, files[i]);
        assert_int_equal(stat(path, &sb), 0);
        want += sb.st_size;
    }
    assert_int_equal(cb_store_delete_run(f->s, r, &err), CB_EBUSY);
    assert_int_equal(cb_store_delete_run(f->s, d, &err), 0);
    assert_int_equal(cb_store_delete_run(f->s, d, &err), CB_ENOENT);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, d, &info, &err), CB_ENOENT);
    struct stat sb;
    assert_int_equal(stat(rd, &sb), -1);
    snprintf(path, sizeof path, "%s/trash/%06lld/qp22.cbv", f->dir, (long long)d);
    assert_int_equal(stat(path, &sb), 0);
    /* An orphan run directory (no row) goes too; other names stay. */
    char orphan[600], keep[600];
    snprintf(orphan, sizeof orphan, "%s/runs/000777", f->dir);
    snprintf(keep, sizeof keep, "%s/runs/notes-by-hand", f->dir);
    assert_int_equal(mkdir(orphan, 0755), 0);
    assert_int_equal(mkdir(keep, 0755), 0);
    char xbin[700];
    snprintf(xbin, sizeof xbin, "%s/x.bin", orphan);
    fp = fopen(xbin, "wb");
    assert_non_null(fp);
    fwrite("12345", 1, 5, fp);
    fclose(fp);
    int64_t freed = -1;
    assert_int_equal(cb_store_gc(f->s, &freed, &err), 0);
    assert_int_equal(freed, want + 5);
    assert_int_equal(stat(orphan, &sb), -1);
    assert_int_equal(stat(keep, &sb), 0);
    snprintf(path, sizeof path, "%s/trash", f->dir);
    assert_int_equal(stat(path, &sb), -1);
    /* The running run's directory is untouched; a second gc frees nothing. */
    free(rd);
    rd = cb_store_run_dir(f->s, r);
    assert_int_equal(stat(rd, &sb), 0);
    free(rd);
    assert_int_equal(cb_store_gc(f->s, &freed, &err), 0);
    assert_int_equal(freed, 0);
    /* Ids are never given twice, even after the highest was deleted. */
    assert_int_equal(cb_store_request_cancel(f->s, r, &err), 0);
    storefix_set_status(f, r, CB_RUN_CANCELLED, NULL);
    assert_int_equal(cb_store_delete_run(f->s, r, &err), 0);
    assert_int_equal(queue(f, NULL, RECIPE_A, 0), r + 1);
}

/* ---- reindex ---------------------------------------------------------------- */

/* result.json as verification writes it (worker/'s cb_result_write). */
static void write_result_json(const char *dir, const CbRunResult *r)
{
    char path[600];
    snprintf(path, sizeof path, "%s/result.json", dir);
    CbError err;
    if (cb_result_write(path, r, &err) != 0)
        fail_msg("cb_result_write: %s", err.text);
}

/* A done run whose result.json is in its directory (as verification leaves it). */
static int64_t done_run_with_file(Fix *f, const char *exp, const char *recipe, const char *clip,
                                  double factor)
{
    int64_t id = done_run(f, exp, recipe, clip, factor);
    CbRunResult r;
    CbError err;
    assert_int_equal(cb_store_get_result(f->s, id, 1, &r, &err), 0);
    char *rd = cb_store_run_dir(f->s, id);
    write_result_json(rd, &r);
    free(rd);
    cb_result_free(&r);
    return id;
}

static int same_real(double a, double b)
{
    return (isnan(a) && isnan(b)) || fabs(a - b) <= 1e-9 * fmax(1, fabs(a));
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Field by field; reason and times too unless the run was unfinished
 * (reindex marks a running one interrupted, now). */
static void assert_same_run(const CbRunInfo *a, const CbRunInfo *b, int unfinished)
{
    if (a->id != b->id || !same_str(a->experiment, b->experiment) ||
        !same_str(a->recipe_name, b->recipe_name) || !same_str(a->recipe_hash, b->recipe_hash) ||
        !same_str(a->codec, b->codec) || a->status != b->status || !same_str(a->input, b->input) ||
        !same_str(a->clip_id, b->clip_id) || a->first_frame != b->first_frame ||
        a->frames != b->frames || a->width != b->width || a->height != b->height ||
        a->parent != b->parent || !same_str(a->origin, b->origin) ||
        !same_str(a->tags, b->tags) || !same_real(a->created, b->created) ||
        a->n_points != b->n_points || !same_real(a->kbps_min, b->kbps_min) ||
        !same_real(a->kbps_max, b->kbps_max) || !same_real(a->psnr_y_min, b->psnr_y_min) ||
        !same_real(a->psnr_y_max, b->psnr_y_max) || !same_real(a->bd_rate, b->bd_rate) ||
        !same_real(a->bd_psnr, b->bd_psnr) || a->anchor_run != b->anchor_run ||
        !same_real(a->encode_fps, b->encode_fps))
        fail_msg("run %lld differs after reindex", (long long)a->id);
    if (!unfinished &&
        (!same_str(a->reason, b->reason) || !same_real(a->started, b->started) ||
         !same_real(a->finished, b->finished)))
        fail_msg("run %lld: reason or times differ after reindex", (long long)a->id);
}

typedef struct Captured {
    char text[16384];
    size_t len;
} Captured;

static void capture(void *opaque, CbLogLevel level, const char *msg)
{
    Captured *c = opaque;
    (void)level;
    int n = snprintf(c->text + c->len, sizeof c->text - c->len, "%s\n", msg);
    if (n > 0 && (size_t)n < sizeof c->text - c->len)
        c->len += (size_t)n;
}

static void warn_count(void *opaque, CbLogLevel level, const char *msg)
{
    (void)msg;
    if (level <= CB_LOG_WARN)
        (*(int *)opaque)++;
}

static void test_reindex(void **state)
{
    Fix *f = *state;
    CbError err;
    int64_t a1 = done_run_with_file(f, "e", RECIPE_A, "clip1", 1.0);
    int64_t t1 = done_run_with_file(f, "e", RECIPE_T, "clip1", 0.8);
    int64_t t2 = done_run_with_file(f, "other", RECIPE_F, "clip2", 1.0);
    int64_t fl = queue(f, "e", RECIPE_T, t1);
    storefix_set_status(f, fl, CB_RUN_RUNNING, NULL);
    storefix_set_status(f, fl, CB_RUN_FAILED, "worker: killed by SIGKILL");
    int64_t cq = queue(f, "e", RECIPE_T, 0);
    assert_int_equal(cb_store_request_cancel(f->s, cq, &err), 0);
    int64_t qd = queue(f, "e", RECIPE_T, 0);
    int64_t rn = queue(f, "e", RECIPE_T, 0);
    storefix_set_status(f, rn, CB_RUN_RUNNING, NULL);
    /* The runner makes log.txt before it starts a worker: the sign that
     * reindex tells a run that started from one still queued by. */
    {
        char *rd = cb_store_run_dir(f->s, rn);
        char lp[700];
        snprintf(lp, sizeof lp, "%s/log.txt", rd);
        free(rd);
        FILE *lf = fopen(lp, "w");
        assert_non_null(lf);
        fclose(lf);
    }
    assert_int_equal(cb_store_set_anchor(f->s, "e", RECIPE_A, NULL, &err), 0);
    assert_int_equal(cb_store_tag(f->s, t1, "keep", 1, &err), 0);
    assert_int_equal(cb_store_tag(f->s, t1, "best", 1, &err), 0);
    assert_int_equal(cb_store_note(f->s, t1, "the good one", &err), 0);
    int64_t gone = queue(f, "e", RECIPE_T, 0);
    int64_t p1, p2;
    assert_int_equal(cb_store_add_proposal(f->s, "e", "llm", "why \"not\"", RECIPE_T, t1, &p1,
                                           &err),
                     0);
    assert_int_equal(cb_store_add_proposal(f->s, "e", "llm", "gone", RECIPE_T, gone, &p2, &err),
                     0);
    assert_int_equal(cb_store_delete_run(f->s, gone, &err), 0);
    (void)a1;
    (void)t2;

    CbRunInfo *before, *after;
    size_t nb, na;
    assert_int_equal(cb_store_list(f->s, NULL, &before, &nb, &err), 0);
    assert_int_equal(nb, 7);
    cb_store_close(&f->s);

    /* A directory reindex cannot read is skipped with a warning, never deleted. */
    char junk[600];
    snprintf(junk, sizeof junk, "%s/runs/000500", f->dir);
    assert_int_equal(mkdir(junk, 0755), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/run.json", junk);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"format\": 1, \"id\": 500, \"experiment\": ", fp);
    fclose(fp);

    /* Refused while a runner holds the lock. */
    snprintf(path, sizeof path, "%s/runner.lock", f->dir);
    int lock = open(path, O_RDWR | O_CREAT, 0644);
    assert_true(lock >= 0);
    assert_int_equal(flock(lock, LOCK_EX | LOCK_NB), 0);
    int64_t runs = 0;
    assert_int_equal(cb_store_reindex(f->dir, NULL, &runs, &err), CB_EBUSY);
    close(lock);

    int warnings = 0;
    CbLogger logger = {warn_count, &warnings, CB_LOG_DEBUG};
    if (cb_store_reindex(f->dir, &logger, &runs, &err) != 0)
        fail_msg("reindex: %s", err.text);
    assert_int_equal(runs, 7);
    assert_int_equal(warnings, 1);
    struct stat sb;
    assert_int_equal(stat(junk, &sb), 0);

    storefix_open(f);
    assert_int_equal(cb_store_list(f->s, NULL, &after, &na, &err), 0);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < nb; i++) {
        int unfinished = before[i].id == rn;
        if (unfinished) {
            /* Found running without a runner: its worker is gone. */
            assert_int_equal(after[i].status, CB_RUN_INTERRUPTED);
            assert_non_null(after[i].reason);
            assert_true(isfinite(after[i].finished));
            before[i].status = CB_RUN_INTERRUPTED;
        }
        if (before[i].id == qd) {
            /* Never started: still queued, for a runner to take, with no
             * reason, no times and no status.json (final states only). */
            assert_int_equal(after[i].status, CB_RUN_QUEUED);
            assert_null(after[i].reason);
            assert_true(isnan(after[i].started) && isnan(after[i].finished));
            char *rd = cb_store_run_dir(f->s, qd);
            assert_false(file_exists(rd, "status.json"));
            free(rd);
        }
        assert_same_run(&before[i], &after[i], unfinished);
    }
    int64_t next;
    assert_int_equal(cb_store_next_queued(f->s, &next, &err), 0);
    assert_int_equal(next, qd);
    cb_run_infos_free(&before, nb);
    cb_run_infos_free(&after, na);
    /* Results, notes, the anchor and the next id survive too. */
    CbRunResult r;
    assert_int_equal(cb_store_get_result(f->s, t1, 1, &r, &err), 0);
    assert_int_equal(r.n_points, 4);
    assert_true(fabs(r.points[3].rows[4].psnr[0] - 39) < 1e-9);
    cb_result_free(&r);
    CbNote *notes;
    size_t nn;
    assert_int_equal(cb_store_notes(f->s, t1, &notes, &nn, &err), 0);
    assert_int_equal(nn, 1);
    assert_string_equal(notes[0].text, "the good one");
    cb_notes_free(&notes, nn);
    CbProposal *props;
    assert_int_equal(cb_store_proposals(f->s, NULL, &props, &nn, &err), 0);
    assert_int_equal(nn, 2);
    assert_int_equal(props[0].id, p1);
    assert_int_equal(props[0].run_id, t1);
    assert_string_equal(props[0].rationale, "why \"not\"");
    assert_string_equal(props[0].recipe_json, RECIPE_T);
    assert_int_equal(props[1].id, p2);
    assert_int_equal(props[1].run_id, 0); /* its run was deleted */
    cb_proposals_free(&props, nn);
    CbExperimentInfo *ex;
    assert_int_equal(cb_store_experiments(f->s, &ex, &nn, &err), 0);
    assert_int_equal(nn, 2);
    assert_string_equal(ex[0].name, "e");
    assert_string_equal(ex[0].anchor_name, "anchor");
    cb_experiment_infos_free(&ex, nn);
    assert_int_equal(queue(f, NULL, RECIPE_A, 0), 501);
}

/* One done run whose result.json damage() changes, then reindex: the run
 * comes back failed with a reason holding reason_has, after a warning
 * holding warn_has. */
static void reindex_damaged(Fix *f, void (*damage)(const char *path), const char *warn_has,
                            const char *reason_has)
{
    CbError err;
    int64_t id = done_run_with_file(f, "e", RECIPE_A, "clip1", 1.0);
    char *rd = cb_store_run_dir(f->s, id);
    char path[600];
    snprintf(path, sizeof path, "%s/result.json", rd);
    free(rd);
    damage(path);
    cb_store_close(&f->s);
    Captured cap = {0};
    CbLogger logger = {capture, &cap, CB_LOG_DEBUG};
    int64_t runs;
    assert_int_equal(cb_store_reindex(f->dir, &logger, &runs, &err), 0);
    assert_int_equal(runs, 1);
    if (!strstr(cap.text, warn_has))
        fail_msg("no warning holding \"%s\" in:\n%s", warn_has, cap.text);
    storefix_open(f);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, id, &info, &err), 0);
    assert_int_equal(info.status, CB_RUN_FAILED);
    if (!strstr(info.reason, reason_has))
        fail_msg("reason \"%s\" does not hold \"%s\"", info.reason, reason_has);
    cb_run_info_free(&info);
}

static void break_json(const char *path)
{
    FILE *fp = fopen(path, "r+");
    assert_non_null(fp);
    fseek(fp, 40, SEEK_SET);
    fputs("}}}}", fp);
    fclose(fp);
}

static void test_reindex_damaged_result(void **state)
{
    reindex_damaged(*state, break_json, "result.json", "result.json");
}

/* Valid JSON, but Y's mean PSNR is not the mean of its rows. */
static void raise_psnr_mean(const char *path)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    assert_non_null(doc);
    json_t *p0 = json_array_get(json_object_get(doc, "points"), 0);
    json_t *mean = json_object_get(p0, "psnr_mean");
    json_array_set_new(mean, 0, json_real(json_real_value(json_array_get(mean, 0)) + 0.5));
    assert_int_equal(json_dump_file(doc, path, JSON_COMPACT), 0);
    json_decref(doc);
}

/* A result.json whose sequence figures do not recompute from its rows: the
 * runner's import would refuse it (cb_result_read), so reindex does too. */
static void test_reindex_result_checked_as_import(void **state)
{
    reindex_damaged(*state, raise_psnr_mean, "psnr_mean[0]", "does not recompute from the rows");
}

/* Hostile run directories: each is skipped with a warning naming it and
 * the reason, never deleted, and the good ones are still indexed. */
static void test_reindex_hostile_dirs(void **state)
{
    Fix *f = *state;
    CbError err;
    int64_t good = queue(f, "e", RECIPE_A, 0);
    storefix_set_status(f, good, CB_RUN_RUNNING, NULL);
    storefix_set_status(f, good, CB_RUN_FAILED, "x");
    assert_int_equal(cb_store_tag(f->s, good, "ok", 1, &err), 0);
    cb_store_close(&f->s);
    static const struct {
        const char *run_json, *recipe, *why;
    } cases[] = {
        {"[1, 2]", "{\"name\": \"a\", \"codec\": \"engine\"}", "not a JSON object"},
        {"{\"format\": 1, \"id\": 999, \"experiment\": \"e\", \"input\": \"/x\", "
         "\"first_frame\": 0, \"frames\": 1, \"parent\": 0, \"origin\": \"user\", "
         "\"created\": 1}",
         "{\"name\": \"a\", \"codec\": \"engine\"}", "id is not"},
        {"{\"format\": 2, \"id\": ID}", "{}", "format 2"},
        {"{\"format\": 1, \"id\": ID, \"experiment\": \"../x\", \"input\": \"/x\", "
         "\"first_frame\": 0, \"frames\": 1, \"parent\": 0, \"origin\": \"user\", "
         "\"created\": 1}",
         "{\"name\": \"a\", \"codec\": \"engine\"}", "experiment name"},
        {"{\"format\": 1, \"id\": ID, \"experiment\": \"e\", \"input\": \"/x\", "
         "\"first_frame\": 0, \"frames\": \"all\", \"parent\": 0, \"origin\": \"user\", "
         "\"created\": 1}",
         "{\"name\": \"a\", \"codec\": \"engine\"}", "frames"},
        {"{\"format\": 1, \"id\": ID, \"experiment\": \"e\", \"input\": \"/x\", "
         "\"first_frame\": 0, \"frames\": 1, \"parent\": 0, \"origin\": \"user\", "
         "\"created\": 1}",
         "{\"name\": \"a\", \"codec\": \"nope\"}", "codec"},
        {"{\"format\": 1, \"id\": ID, \"experiment\": \"e\", \"input\": \"/x\", "
         "\"first_frame\": 0, \"frames\": 1, \"parent\": 0, \"origin\": \"user\", "
         "\"created\": 1}",
         NULL, "recipe.json"},
    };
    size_t nc = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < nc; i++) {
        char dir[600], path[700];
        int id = 100 + (int)i;
        snprintf(dir, sizeof dir, "%s/runs/%06d", f->dir, id);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/run.json", dir);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        /* "ID" stands for the directory's id. */
        const char *t = cases[i].run_json, *at = strstr(t, "ID");
        if (at)
            fprintf(fp, "%.*s%d%s", (int)(at - t), t, id, at + 2);
        else
            fputs(t, fp);
        fclose(fp);
        if (cases[i].recipe) {
            snprintf(path, sizeof path, "%s/recipe.json", dir);
            fp = fopen(path, "w");
            assert_non_null(fp);
            fputs(cases[i].recipe, fp);
            fclose(fp);
        }
    }
    /* A run whose status.json is damaged keeps its run (no result: interrupted). */
    int64_t damaged = 100 + (int64_t)nc;
    {
        char dir[600], path[700];
        snprintf(dir, sizeof dir, "%s/runs/%06lld", f->dir, (long long)damaged);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/run.json", dir);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fprintf(fp, "{\"format\": 1, \"id\": %lld, \"experiment\": \"e\", \"input\": \"/x\", "
                    "\"first_frame\": 0, \"frames\": 1, \"parent\": 0, \"origin\": \"user\", "
                    "\"created\": 1}",
                (long long)damaged);
        fclose(fp);
        snprintf(path, sizeof path, "%s/recipe.json", dir);
        fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(RECIPE_A, fp);
        fclose(fp);
        snprintf(path, sizeof path, "%s/status.json", dir);
        fp = fopen(path, "w");
        assert_non_null(fp);
        fputs("{\"status\": \"done", fp);
        fclose(fp);
    }
    /* A good run with hostile annotations keeps its run, loses the bad tag. */
    {
        char path[700];
        snprintf(path, sizeof path, "%s/runs/%06lld/annotations.json", f->dir, (long long)good);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs("{\"format\": 1, \"tags\": [\"ok\", \"bad tag\", 7], \"notes\": [{\"text\": 3}]}",
              fp);
        fclose(fp);
    }
    Captured cap = {0};
    CbLogger logger = {capture, &cap, CB_LOG_DEBUG};
    int64_t runs;
    if (cb_store_reindex(f->dir, &logger, &runs, &err) != 0)
        fail_msg("reindex: %s", err.text);
    assert_int_equal(runs, 2);
    for (size_t i = 0; i < nc; i++) {
        char name[16];
        snprintf(name, sizeof name, "%06d", 100 + (int)i);
        if (!strstr(cap.text, name) || !strstr(cap.text, cases[i].why))
            fail_msg("no warning naming %s and \"%s\" in:\n%s", name, cases[i].why, cap.text);
        char dir[600];
        snprintf(dir, sizeof dir, "%s/runs/%s", f->dir, name);
        struct stat sb;
        assert_int_equal(stat(dir, &sb), 0);
    }
    assert_non_null(strstr(cap.text, "tags[1]"));
    assert_non_null(strstr(cap.text, "tags[2]"));
    assert_non_null(strstr(cap.text, "notes[0]"));
    storefix_open(f);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, good, &info, &err), 0);
    assert_string_equal(info.tags, "ok");
    assert_int_equal(info.status, CB_RUN_FAILED);
    cb_run_info_free(&info);
    assert_int_equal(cb_store_get_run(f->s, damaged, &info, &err), 0);
    assert_int_equal(info.status, CB_RUN_INTERRUPTED);
    cb_run_info_free(&info);
    assert_non_null(strstr(cap.text, "status.json"));
    /* New ids go past the skipped directories. */
    assert_int_equal(queue(f, NULL, RECIPE_A, 0), damaged + 1);
}

/* ---- schema: migrations and refusals ------------------------------------------ */

static sqlite3 *raw_db(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static void test_migration_from_v1(void **state)
{
    Fix *f = *state;
    CbError err;
    char path[400];
    assert_int_equal(mkdir(f->dir, 0755), 0);
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    /* A store as the first version of the schema made it, with data. */
    sqlite3 *db = raw_db(path);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d", CB_STORE_APP_ID);
    raw_exec(db, sql);
    raw_exec(db, "PRAGMA journal_mode = WAL");
    raw_exec(db, cb_store_schema_step(1));
    raw_exec(db, "PRAGMA user_version = 1");
    raw_exec(db, "INSERT INTO experiments(id, name, created) VALUES (1, 'old', 1000)");
    raw_exec(db, "INSERT INTO runs(id, experiment_id, recipe_name, recipe_hash, codec, "
                 "recipe_json, status, reason, input, first_frame, frames, origin, created, "
                 "finished) VALUES (7, 1, 'legacy', 'abc', 'engine', '{}', 4, 'old failure', "
                 "'/in.y4m', 0, 30, 'user', 1000, 1001)");
    raw_exec(db, "INSERT INTO tags(run_id, tag) VALUES (7, 'zz'), (7, 'aa')");
    raw_exec(db, "UPDATE meta SET value = 7 WHERE key = 'last_run_id'");
    sqlite3_close(db);

    /* Read-only opens migrate too (the data is unchanged). */
    CbStore *s = NULL;
    if (cb_store_open(&s, f->dir, CB_STORE_READONLY, &err) != 0)
        fail_msg("open v1: %s", err.text);
    CbRunInfo *rows;
    size_t n;
    assert_int_equal(cb_store_list(s, NULL, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, 7);
    assert_string_equal(rows[0].experiment, "old");
    assert_string_equal(rows[0].reason, "old failure");
    assert_string_equal(rows[0].tags, "aa,zz"); /* filled by the v2 step */
    cb_run_infos_free(&rows, n);
    CbRunFilter flt = {.status = -1, .tag = "zz"};
    assert_int_equal(cb_store_list(s, &flt, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    cb_run_infos_free(&rows, n);
    cb_store_close(&s);
    db = raw_db(path);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), CB_STORE_SCHEMA);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM sqlite_schema WHERE name IN "
                                        "('runs_anchor', 'tags_by_tag')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* And it works as a store: the next id is past the old ones (run 7's
     * directory is made here, as its queueing would have). */
    snprintf(path, sizeof path, "%s/runs", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/runs/000007", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(queue(f, "old", RECIPE_A, 7), 8);
    assert_int_equal(cb_store_tag(f->s, 7, "mm", 1, &err), 0);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, 7, &info, &err), 0);
    assert_string_equal(info.tags, "aa,mm,zz");
    cb_run_info_free(&info);
    /* Every step exists, in order; none past the current schema. */
    for (int v = 1; v <= CB_STORE_SCHEMA; v++)
        assert_non_null(cb_store_schema_step(v));
    assert_null(cb_store_schema_step(CB_STORE_SCHEMA + 1));
}

/* Opens dir and expects code and a text holding needle; store.db unchanged. */
static void expect_refusal(Fix *f, int code, const char *needle)
{
    char path[400];
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    uint64_t before = checksum(path);
    CbError err;
    CbStore *s = NULL;
    for (int flags = 0; flags < 4; flags++) {
        int rc = cb_store_open(&s, f->dir, flags, &err);
        if (rc != code)
            fail_msg("flags %d: expected %d, got %d (%s)", flags, code, rc, err.text);
        assert_null(s);
        if (!strstr(err.text, needle))
            fail_msg("\"%s\" lacks \"%s\"", err.text, needle);
        assert_non_null(strstr(err.text, "store.db"));
    }
    /* reindex replaces only a codecbench store (a corrupt one is kept aside). */
    if (code == CB_ENOTSUP || strstr(needle, "not") || strstr(needle, "empty")) {
        int64_t runs;
        assert_int_equal(cb_store_reindex(f->dir, NULL, &runs, &err), code);
    }
    assert_true(checksum(path) == before);
    char wal[420];
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct stat sb;
    assert_int_equal(stat(wal, &sb), -1);
}

static void test_refuses_foreign_sqlite(void **state)
{
    Fix *f = *state;
    char path[400];
    assert_int_equal(mkdir(f->dir, 0755), 0);
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    sqlite3 *db = raw_db(path);
    raw_exec(db, "CREATE TABLE runs(id INTEGER PRIMARY KEY, x TEXT); INSERT INTO runs VALUES "
                 "(1, 'mine')");
    sqlite3_close(db);
    expect_refusal(f, CB_EFORMAT, "not a codecbench store");
}

static void test_refuses_non_sqlite(void **state)
{
    Fix *f = *state;
    char path[400];
    assert_int_equal(mkdir(f->dir, 0755), 0);
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is a text file, not a database\n", fp);
    fclose(fp);
    expect_refusal(f, CB_EFORMAT, "not an SQLite database");
    fp = fopen(path, "w");
    fclose(fp);
    expect_refusal(f, CB_EFORMAT, "empty");
}

static void test_refuses_newer_schema(void **state)
{
    Fix *f = *state;
    queue(f, NULL, RECIPE_A, 0);
    cb_store_close(&f->s);
    char path[400];
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    sqlite3 *db = raw_db(path);
    raw_exec(db, "PRAGMA user_version = 99");
    sqlite3_close(db);
    expect_refusal(f, CB_ENOTSUP, "newer");
}

static void test_refuses_corrupt(void **state)
{
    Fix *f = *state;
    for (int i = 0; i < 20; i++)
        done_run(f, NULL, RECIPE_A, "clip1", 1.0 + i);
    cb_store_close(&f->s);
    char path[400];
    snprintf(path, sizeof path, "%s/store.db", f->dir);
    /* Damage page 1 past the header: the b-tree of sqlite_schema. */
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 100, SEEK_SET);
    for (int i = 0; i < 400; i++)
        fputc(0xA5, fp);
    fclose(fp);
    expect_refusal(f, CB_EFORMAT, "corrupt");
    /* reindex is the way back: the damaged file is kept beside, renamed. */
    CbError err;
    int64_t runs;
    if (cb_store_reindex(f->dir, NULL, &runs, &err) != 0)
        fail_msg("reindex: %s", err.text);
    assert_int_equal(runs, 20);
    storefix_open(f);
    int64_t counts[7];
    assert_int_equal(cb_store_counts(f->s, counts, &err), 0);
    /* status.json says done, but these directories hold no result.json. */
    assert_int_equal(counts[CB_RUN_FAILED], 20);
    CbRunInfo info;
    assert_int_equal(cb_store_get_run(f->s, 3, &info, &err), 0);
    assert_non_null(strstr(info.reason, "result.json is missing"));
    cb_run_info_free(&info);
    /* The damaged file is kept beside, renamed, never deleted. */
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    int kept = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        kept += !strncmp(e->d_name, "store.db.corrupt-", 17) && !strchr(e->d_name + 17, '-');
    closedir(d);
    assert_int_equal(kept, 1);
}

/* ---- concurrency -------------------------------------------------------------- */

static void test_concurrent_queue(void **state)
{
    Fix *f = *state;
    storefix_open(f);
    cb_store_close(&f->s);
    enum { PROCS = 8, EACH = 5 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            CbStore *s = NULL;
            CbError err;
            int bad = cb_store_open(&s, f->dir, 0, &err) != 0;
            for (int i = 0; !bad && i < EACH; i++) {
                CbRunRequest req = {.recipe_json = RECIPE_A, .input = f->input, .frames = 3};
                int64_t id;
                bad = cb_store_queue_run(s, &req, &id, &err) != 0;
            }
            cb_store_close(&s);
            _exit(bad);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int status;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    CbRunInfo *rows;
    size_t n;
    CbError err;
    assert_int_equal(cb_store_list(storefix_open(f), NULL, &rows, &n, &err), 0);
    assert_int_equal(n, PROCS * EACH);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].id, (int64_t)i + 1); /* distinct, none lost */
        char *rd = cb_store_run_dir(f->s, rows[i].id);
        assert_true(file_exists(rd, "run.json"));
        assert_true(file_exists(rd, "recipe.json"));
        free(rd);
    }
    cb_run_infos_free(&rows, n);
}

static void test_default_dir(void **state)
{
    (void)state;
    char *saved[3];
    const char *names[3] = {"CODECBENCH_STORE", "XDG_DATA_HOME", "HOME"};
    for (int i = 0; i < 3; i++)
        saved[i] = getenv(names[i]) ? strdup(getenv(names[i])) : NULL;
    setenv("CODECBENCH_STORE", "/s/store", 1);
    setenv("XDG_DATA_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    char *d = cb_store_default_dir();
    assert_string_equal(d, "/s/store");
    free(d);
    unsetenv("CODECBENCH_STORE");
    d = cb_store_default_dir();
    assert_string_equal(d, "/xdg/codecbench");
    free(d);
    setenv("XDG_DATA_HOME", "relative", 1);
    d = cb_store_default_dir();
    assert_string_equal(d, "/home/u/.local/share/codecbench");
    free(d);
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    assert_null(cb_store_default_dir());
    for (int i = 0; i < 3; i++) {
        if (saved[i])
            setenv(names[i], saved[i], 1);
        free(saved[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_and_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_refusals_leave_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters_and_sort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags_notes_lineage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anchor_and_bd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_gc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reindex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reindex_damaged_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reindex_result_checked_as_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reindex_hostile_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_foreign_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_non_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_queue, setup, teardown),
        cmocka_unit_test(test_default_dir),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}

/* Unit tests of result.json (cb_result_*) and of the worker's environment
 * scrubbing: a write/read round trip, every refusal of a hostile file, the
 * atomic write. */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "codecbench/metrics.h"
#include "codecbench/result.h"
#include "codecbench/worker.h"
#include "worker/source.h"

#define FRAMES 5
#define POINTS 2

static char dir[256];

static char *path_in(const char *name)
{
    static char buf[512];
    int n = snprintf(buf, sizeof buf, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    return buf;
}

/* A consistent result: sequence figures computed from seeded rows. */
static void make_result(CbRunResult *r)
{
    memset(r, 0, sizeof *r);
    r->format = CB_RESULT_FORMAT;
    r->codec = strdup("engine");
    r->recipe_hash = strdup("7dae5b6dd0d9d25a9ac0a2b8d770872d8edc882237f89d43d89a5cb79e9d357a");
    r->clip_id = strdup("10c5d5c0ed2730377f6a37498a419ae70b81e1dc8684346c3dedc37ace869860");
    r->input = strdup("/clips/caf\xc3\xa9.y4m");
    r->first_frame = 2;
    r->frames = FRAMES;
    r->width = 352;
    r->height = 288;
    r->fps_num = 30000;
    r->fps_den = 1001;
    r->codecbench_version = strdup("0.1.0");
    r->ffmpeg_versions = strdup("libavcodec 59.37.100");
    r->encoder_version = strdup("codecbench engine 0.1.0");
    r->machine = strdup("vm; AMD EPYC; 2 cores");
    r->provenance = strdup("PSNR-YUV = (6Y+U+V)/8");
    r->verify_wall_s = 0.25;
    r->n_points = POINTS;
    r->points = calloc(POINTS, sizeof *r->points);
    assert_non_null(r->points);
    unsigned seed = 12345;
    for (int i = 0; i < POINTS; i++) {
        CbPointResult *p = &r->points[i];
        p->rate_value = 27 + 10 * i;
        p->stream_file = strdup(i ? "qp37.cbv" : "qp27.cbv");
        p->frames = FRAMES;
        p->rows = calloc(FRAMES, sizeof *p->rows);
        assert_non_null(p->rows);
        CbSeqAccum acc;
        cb_seq_accum_init(&acc);
        int64_t bits = 0;
        for (int f = 0; f < FRAMES; f++) {
            CbFrameRow *w = &p->rows[f];
            CbFrameMetrics fm = {0};
            seed = seed * 1103515245u + 12345u;
            w->bits = 8 * (1000 + (seed >> 16) % 5000);
            w->type = f == 0 ? 'I' : 'P';
            for (int c = 0; c < 3; c++) {
                seed = seed * 1103515245u + 12345u;
                w->mse[c] = 1.0 + (seed >> 16) % 1000 / 37.0;
                w->psnr[c] = cb_psnr_from_mse(w->mse[c]);
                fm.mse[c] = w->mse[c];
                fm.psnr[c] = w->psnr[c];
            }
            w->ssim = 0.9 + f / 100.0;
            fm.ssim_all = w->ssim;
            cb_seq_accum_add(&acc, &fm);
            bits += w->bits;
        }
        CbSeqMetrics seq;
        cb_seq_accum_result(&acc, &seq);
        memcpy(p->psnr_mean, seq.psnr_mean, sizeof p->psnr_mean);
        memcpy(p->psnr_global, seq.psnr_global, sizeof p->psnr_global);
        p->psnr_yuv_mean = seq.psnr_yuv_mean;
        p->psnr_yuv_global = seq.psnr_yuv_global;
        p->ssim_mean = seq.ssim_all_mean;
        p->payload_bytes = bits / 8;
        p->container_bytes = p->payload_bytes + 4 * FRAMES;
        p->kbps = (double)bits / (FRAMES * 1001.0 / 30000) / 1000;
        p->bpp = (double)bits / (FRAMES * 352.0 * 288);
        p->encode_cpu_s = 0.5;
        p->encode_wall_s = 0.4;
        p->encode_fps = FRAMES / 0.4;
        p->decode_cpu_s = 0.01;
        p->decode_wall_s = 0.02;
        p->decode_fps = FRAMES / 0.02;
        p->concurrency = 2;
        p->peak_rss_kib = 40000;
    }
}

static int count_tmp_files(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp"))
            n++;
    closedir(d);
    return n;
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/cbresult.XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                unlink(path_in(e->d_name));
        closedir(d);
    }
    return rmdir(dir);
}

/* ---- round trip ----------------------------------------------------------- */

static void test_round_trip(void **state)
{
    (void)state;
    CbRunResult a, b;
    CbError err;
    make_result(&a);
    cb_error_clear(&err);
    int rc = cb_result_write(path_in("result.json"), &a, &err);
    if (rc)
        fail_msg("%s", err.text);
    assert_int_equal(count_tmp_files(), 0);
    rc = cb_result_read(path_in("result.json"), &b, &err);
    if (rc)
        fail_msg("%s", err.text);
    assert_string_equal(a.codec, b.codec);
    assert_string_equal(a.recipe_hash, b.recipe_hash);
    assert_string_equal(a.clip_id, b.clip_id);
    assert_string_equal(a.input, b.input);
    assert_string_equal(a.machine, b.machine);
    assert_string_equal(a.provenance, b.provenance);
    assert_int_equal(a.fps_num, b.fps_num);
    assert_int_equal(a.first_frame, b.first_frame);
    assert_int_equal(a.n_points, b.n_points);
    for (size_t i = 0; i < a.n_points; i++) {
        const CbPointResult *p = &a.points[i], *q = &b.points[i];
        assert_string_equal(p->stream_file, q->stream_file);
        assert_int_equal(p->rate_value, q->rate_value);
        assert_int_equal(p->payload_bytes, q->payload_bytes);
        /* 17 significant digits: every double comes back bit for bit. */
        assert_true(p->kbps == q->kbps && p->psnr_global[2] == q->psnr_global[2]);
        assert_true(p->ssim_mean == q->ssim_mean && p->decode_fps == q->decode_fps);
        for (int f = 0; f < FRAMES; f++) {
            assert_int_equal(p->rows[f].bits, q->rows[f].bits);
            assert_int_equal(p->rows[f].type, q->rows[f].type);
            assert_memory_equal(p->rows[f].psnr, q->rows[f].psnr, sizeof p->rows[f].psnr);
            assert_memory_equal(p->rows[f].mse, q->rows[f].mse, sizeof p->rows[f].mse);
            assert_true(p->rows[f].ssim == q->rows[f].ssim);
        }
    }
    cb_result_free(&a);
    cb_result_free(&b);
    assert_null(b.points);
    cb_result_free(NULL);
}

/* ---- refusals --------------------------------------------------------------- */

/* Writes a valid result, lets edit change its JSON, writes that and reads
 * it: must fail with code, the text naming the file and holding needle. */
static void expect_refused(void (*edit)(json_t *doc), int code, const char *needle)
{
    CbRunResult a, b;
    CbError err;
    make_result(&a);
    assert_int_equal(cb_result_write(path_in("ok.json"), &a, &err), 0);
    cb_result_free(&a);
    json_error_t je;
    json_t *doc = json_load_file(path_in("ok.json"), 0, &je);
    assert_non_null(doc);
    edit(doc);
    assert_int_equal(json_dump_file(doc, path_in("bad.json"), JSON_COMPACT), 0);
    json_decref(doc);
    cb_error_clear(&err);
    int rc = cb_result_read(path_in("bad.json"), &b, &err);
    if (rc != code || !strstr(err.text, needle) || !strstr(err.text, "bad.json"))
        fail_msg("expected %d with '%s', got %d: %s", code, needle, rc, err.text);
    assert_null(b.points);
    assert_null(b.codec);
}

static json_t *point0(json_t *doc) { return json_array_get(json_object_get(doc, "points"), 0); }
static json_t *row(json_t *doc, size_t f)
{
    return json_array_get(json_object_get(point0(doc), "rows"), f);
}

static void del_clip_id(json_t *d) { json_object_del(d, "clip_id"); }
static void del_rows(json_t *d) { json_object_del(point0(d), "rows"); }
static void nan_string(json_t *d) { json_object_set_new(point0(d), "kbps", json_string("NaN")); }
static void inf_in_row(json_t *d) { json_array_set_new(row(d, 2), 4, json_string("inf")); }
static void huge_ssim(json_t *d) { json_array_set_new(row(d, 1), 8, json_real(1e300)); }
static void psnr_too_high(json_t *d)
{
    json_array_set_new(row(d, 1), 2, json_real(150.0));
}
static void drop_row(json_t *d) { json_array_remove(json_object_get(point0(d), "rows"), 4); }
static void frames_differ(json_t *d) { json_object_set_new(point0(d), "frames", json_integer(4)); }
static void mean_off(json_t *d)
{
    json_t *m = json_object_get(point0(d), "psnr_mean");
    json_array_set_new(m, 0, json_real(json_real_value(json_array_get(m, 0)) + 0.01));
}
static void global_off(json_t *d)
{
    json_t *m = json_object_get(point0(d), "psnr_global");
    json_array_set_new(m, 1, json_real(json_real_value(json_array_get(m, 1)) - 0.001));
}
static void row_changed(json_t *d)
{
    /* One frame's MSE and PSNR changed together: the row is consistent, the
     * sequence figures no longer are. */
    json_array_set_new(row(d, 0), 5, json_real(100.0));
    json_array_set_new(row(d, 0), 2, json_real(cb_psnr_from_mse(100.0)));
}
static void psnr_not_of_mse(json_t *d) { json_array_set_new(row(d, 3), 5, json_real(0.5)); }
static void kbps_off(json_t *d)
{
    json_t *p = point0(d);
    json_object_set_new(p, "kbps", json_real(json_real_value(json_object_get(p, "kbps")) * 1.01));
}
static void bits_off(json_t *d) { json_array_set_new(row(d, 0), 0, json_integer(8)); }
static void bad_type(json_t *d) { json_array_set_new(row(d, 0), 1, json_string("X")); }
static void newer_format(json_t *d) { json_object_set_new(d, "format", json_integer(2)); }
static void no_points(json_t *d) { json_object_set_new(d, "points", json_array()); }
static void bad_hash(json_t *d) { json_object_set_new(d, "recipe_hash", json_string("abc")); }
static void traversal(json_t *d)
{
    json_object_set_new(point0(d), "stream", json_string("../../etc/passwd"));
}
static void dup_rate(json_t *d)
{
    json_object_set_new(json_array_get(json_object_get(d, "points"), 1), "rate",
                        json_integer(27));
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refused(del_clip_id, CB_EFORMAT, "clip_id: missing");
    expect_refused(del_rows, CB_EFORMAT, "points[0].rows: missing");
    expect_refused(nan_string, CB_EFORMAT, "points[0].kbps: not a number");
    expect_refused(inf_in_row, CB_EFORMAT, "rows[2][4] (psnr_v): not a finite number");
    expect_refused(huge_ssim, CB_EFORMAT, "ssim 1e+300 is not in -1..1");
    expect_refused(psnr_too_high, CB_EFORMAT, "psnr_y 150 is not in 0..100 dB");
    expect_refused(drop_row, CB_EFORMAT, "points[0].rows: 4 rows, frames is 5");
    expect_refused(frames_differ, CB_EFORMAT, "rows: 5 rows, frames is 4");
    expect_refused(mean_off, CB_EFORMAT, "psnr_mean[0]");
    expect_refused(global_off, CB_EFORMAT, "psnr_global[1]");
    expect_refused(row_changed, CB_EFORMAT, "psnr_mean[0]");
    expect_refused(psnr_not_of_mse, CB_EFORMAT, "is not the PSNR of mse_y");
    expect_refused(kbps_off, CB_EFORMAT, "points[0].kbps");
    expect_refused(bits_off, CB_EFORMAT, "the frames' bits sum to");
    expect_refused(bad_type, CB_EFORMAT, "(type)");
    expect_refused(newer_format, CB_ENOTSUP, "format 2 is newer");
    expect_refused(no_points, CB_EFORMAT, "points: 0 rate points");
    expect_refused(bad_hash, CB_EFORMAT, "recipe_hash");
    expect_refused(traversal, CB_EFORMAT, "not a file name inside the run directory");
    expect_refused(dup_rate, CB_EFORMAT, "points[1].rate: 27 is also points[0]'s");
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(path_in(name), "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_not_json_huge_numbers_oversize(void **state)
{
    (void)state;
    CbRunResult r;
    CbError err;
    write_text("text.json", "this is not JSON\n");
    assert_int_equal(cb_result_read(path_in("text.json"), &r, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "text.json: not valid JSON"));
    write_text("array.json", "[1, 2]\n");
    assert_int_equal(cb_result_read(path_in("array.json"), &r, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "not a JSON object"));
    /* A number beyond double's range is refused by the parser, not read as inf. */
    write_text("huge.json", "{\"format\": 1, \"verify_wall_s\": 1e400}\n");
    assert_int_equal(cb_result_read(path_in("huge.json"), &r, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "huge.json: not valid JSON"));
    write_text("dup.json", "{\"format\": 1, \"format\": 1}\n");
    assert_int_equal(cb_result_read(path_in("dup.json"), &r, &err), CB_EFORMAT);
    /* Oversize: a sparse file one byte over the cap is refused by its size. */
    int fd = open(path_in("big.json"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)CB_RESULT_MAX_BYTES + 1), 0);
    close(fd);
    assert_int_equal(cb_result_read(path_in("big.json"), &r, &err), CB_ELIMIT);
    assert_non_null(strstr(err.text, "big.json"));
    assert_int_equal(cb_result_read(path_in("none.json"), &r, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "none.json: No such file"));
}

/* ---- writing ---------------------------------------------------------------- */

static void test_write_refuses_invalid_and_is_atomic(void **state)
{
    (void)state;
    CbRunResult a;
    CbError err;
    make_result(&a);
    a.points[1].rows[3].psnr[0] = NAN;
    assert_int_equal(cb_result_write(path_in("nan.json"), &a, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "refusing to write an invalid result"));
    assert_int_equal(access(path_in("nan.json"), F_OK), -1);
    a.points[1].rows[3].psnr[0] = 40;
    a.points[1].rows[3].mse[0] = 40;
    assert_int_equal(cb_result_write(path_in("nan.json"), &a, &err), CB_EINVAL);
    cb_result_free(&a);

    /* A result.json that exists is replaced whole; no temporary file stays. */
    make_result(&a);
    write_text("replace.json", "old");
    assert_int_equal(cb_result_write(path_in("replace.json"), &a, &err), 0);
    CbRunResult b;
    assert_int_equal(cb_result_read(path_in("replace.json"), &b, &err), 0);
    cb_result_free(&b);
    /* A directory that does not exist: CB_EIO naming the file, nothing left. */
    assert_int_equal(cb_result_write(path_in("nodir/result.json"), &a, &err), CB_EIO);
    assert_non_null(strstr(err.text, "nodir/result.json.tmp: No such file"));
    assert_int_equal(count_tmp_files(), 0);
    cb_result_free(&a);
}

/* ---- the worker's environment ---------------------------------------------- */

/* Runs in a child process: cmocka reads its own settings from the
 * environment, which the scrub would clear.  Exit 0 when all holds, else
 * the number of the check that failed. */
static int scrub_child(void)
{
    setenv("OPENAI_API_KEY", "sk-secret", 1);
    setenv("CODECBENCH_LLM_KEY", "secret", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    setenv("LD_PRELOAD", "/tmp/evil.so", 1);
    setenv("CODECBENCH_CONCURRENCY", "3", 1);
    setenv("LC_NUMERIC", "C", 1);
    setenv("TZ", "UTC", 1);
    setenv("OPENBLAS_NUM_THREADS", "8", 1);
    setenv("PATH", "/usr/bin:/bin", 1);
    if (cb_worker_scrub_env() != 0)
        return 1;
    if (getenv("OPENAI_API_KEY") || getenv("CODECBENCH_LLM_KEY") ||
        getenv("AWS_SECRET_ACCESS_KEY") || getenv("LD_PRELOAD"))
        return 2;
    const char *v;
    if (!(v = getenv("CODECBENCH_CONCURRENCY")) || strcmp(v, "3") != 0)
        return 3;
    if (!(v = getenv("LC_NUMERIC")) || strcmp(v, "C") != 0 || !(v = getenv("TZ")) ||
        strcmp(v, "UTC") != 0)
        return 4;
    if (!(v = getenv("OPENBLAS_NUM_THREADS")) || strcmp(v, "1") != 0)
        return 5;
    if (!(v = getenv("PATH")) || strcmp(v, "/usr/bin:/bin") != 0)
        return 6;
    /* Nothing outside the allow-list remains. */
    extern char **environ;
    static const char *const allowed[] = {"PATH=", "HOME=", "LANG=", "TZ=", "TMPDIR=",
                                          "CODECBENCH_CONCURRENCY=", "LC_",
                                          "OPENBLAS_NUM_THREADS="};
    for (char **e = environ; *e; e++) {
        int ok = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            ok |= strncmp(*e, allowed[i], strlen(allowed[i])) == 0;
        if (!ok)
            return 7;
    }
    return 0;
}

static void test_scrub_env(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(scrub_child());
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("scrub check %d failed", WEXITSTATUS(status));
}

/* ---- the worker's source frames -------------------------------------------- */

/* Kept in memory or read again per pass, a range gives the same frames and
 * identity; the identity is that of cb_clip_identity on the same range. */
static void test_source_memory_and_streaming(void **state)
{
    (void)state;
    const char *clips = getenv("CB_CLIPS");
    char path[512];
    if (!clips || snprintf(path, sizeof path, "%s/natural.y4m", clips) >= (int)sizeof path ||
        access(path, R_OK) != 0) {
        skip(); /* no test clips on this machine */
        return;
    }
    WkSource mem, file;
    CbError err;
    assert_int_equal(wk_source_open(&mem, path, 4, 6, CB_WORKER_SOURCE_MEM_MAX, NULL, &err), 0);
    assert_int_equal(wk_source_open(&file, path, 4, 6, 0, NULL, &err), 0);
    assert_true(mem.in_memory);
    assert_false(file.in_memory);
    assert_int_equal(mem.frames, 6);
    assert_int_equal(file.frames, 6);
    assert_string_equal(mem.clip_id, file.clip_id);
    char id[CB_CLIP_ID_HEX];
    int64_t n;
    assert_int_equal(cb_clip_identity(path, 4, 6, id, &n, &err), 0);
    assert_string_equal(id, mem.clip_id);
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(wk_source_rewind(&mem, &err), 0);
        assert_int_equal(wk_source_rewind(&file, &err), 0);
        for (int f = 0; f < 6; f++) {
            const CbFrame *a, *b;
            assert_int_equal(wk_source_next(&mem, &a, &err), 1);
            assert_int_equal(wk_source_next(&file, &b, &err), 1);
            for (int p = 0; p < 3; p++)
                for (int y = 0; y < cb_plane_height(a->height, p); y++)
                    assert_memory_equal(a->data[p] + y * a->stride[p],
                                        b->data[p] + y * b->stride[p],
                                        (size_t)cb_plane_width(a->width, p));
        }
        assert_int_equal(wk_source_next(&mem, &(const CbFrame *){NULL}, &err), 0);
        assert_int_equal(wk_source_next(&file, &(const CbFrame *){NULL}, &err), 0);
    }
    wk_source_close(&mem);
    wk_source_close(&file);
    /* To the end (-1), and past it. */
    assert_int_equal(wk_source_open(&mem, path, 0, -1, CB_WORKER_SOURCE_MEM_MAX, NULL, &err), 0);
    int64_t total = mem.frames;
    assert_true(total > 6);
    wk_source_close(&mem);
    assert_int_equal(wk_source_open(&mem, path, 1, total, 0, NULL, &err), CB_ERANGE);
    assert_non_null(strstr(err.text, "natural.y4m has"));
    assert_int_equal(wk_source_open(&mem, "/nonexistent/clip.y4m", 0, 1, 0, NULL, &err),
                     CB_ENOENT);
    assert_non_null(strstr(err.text, "input /nonexistent/clip.y4m: No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_not_json_huge_numbers_oversize),
        cmocka_unit_test(test_write_refuses_invalid_and_is_atomic),
        cmocka_unit_test(test_scrub_env),
        cmocka_unit_test(test_source_memory_and_streaming),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

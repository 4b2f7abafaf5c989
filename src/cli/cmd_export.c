/* codecbench export: the rate points (or frames) of done runs as CSV or JSON. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "cli/storeout.h"
#include "codecbench/sanitize.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench export [--csv|--json] [--frames] [--store DIR]\n"
          "                         [--experiment NAME] [--codec CODEC] [--tag TAG]\n"
          "                         [--sort COLUMN [--desc]] [--limit N]\n"
          "\n"
          "Writes every rate point of the done runs that match the filters, one row\n"
          "per rate point: the run (id, experiment, recipe name and hash, codec,\n"
          "clip identity, input, frame range, size), the rate, payload and container\n"
          "bytes, kbps, bits per pixel, PSNR Y/U/V/YUV (mean of frames and global),\n"
          "SSIM, encode and decode CPU and wall seconds and fps, concurrency, peak\n"
          "memory, the run's BD-rate / BD-PSNR against its anchor run, and the\n"
          "codecbench and encoder versions and machine that made it.  With\n"
          "--frames, one row per frame of every rate point instead.\n"
          "\n"
          "CSV (RFC 4180, a header line) is the default.  Text fields from data are\n"
          "sanitised (control characters shown as ^X).  The JSON document carries a\n"
          "\"provenance\" object saying how the numbers were computed.\n"
          "\n"
          "Options:\n"
          "  --csv, --json      the format (default: CSV)\n"
          "  --frames           one row per frame\n"
          "  --store DIR        the store (default: $CODECBENCH_STORE, else\n"
          "                     $XDG_DATA_HOME/codecbench)\n"
          "  --experiment, --codec, --tag, --sort, --desc, --limit: as for 'list'\n"
          "  -h, --help         this text\n",
          out);
}

/* One CSV field after its comma: sanitised, quoted when it holds a comma,
 * quote or space. */
static void csv_str(const char *s)
{
    char *c = cb_sanitize_dup(s ? s : "", 0);
    const char *p = c ? c : "";
    fputc(',', stdout);
    if (strpbrk(p, ",\" ")) {
        fputc('"', stdout);
        for (; *p; p++) {
            if (*p == '"')
                fputc('"', stdout);
            fputc(*p, stdout);
        }
        fputc('"', stdout);
    } else {
        fputs(p, stdout);
    }
    free(c);
}

/* Numbers with 15 significant digits (beyond any measurement's precision,
 * and 0.93 stays "0.93"); empty when not finite. */
static void csv_num(double v)
{
    fputc(',', stdout);
    if (isfinite(v))
        printf("%.15g", v);
}

static void csv_int(long long v)
{
    printf(",%lld", v);
}

static const char RUN_COLUMNS[] =
    "run,experiment,recipe,recipe_hash,codec,clip_id,input,first_frame,frames,width,height,"
    "fps_num,fps_den,rate";
static const char POINT_COLUMNS[] =
    "payload_bytes,container_bytes,kbps,bpp,psnr_y,psnr_u,psnr_v,psnr_yuv,psnr_y_global,"
    "psnr_u_global,psnr_v_global,psnr_yuv_global,ssim,encode_cpu_s,encode_wall_s,encode_fps,"
    "decode_cpu_s,decode_wall_s,decode_fps,concurrency,peak_rss_kib,bd_rate_pct,bd_psnr_db,"
    "anchor_run,codecbench_version,encoder_version,machine";
static const char FRAME_COLUMNS[] = "frame,type,bits,psnr_y,psnr_u,psnr_v,ssim";

/* What a row is made of: the run's columns, then a rate point's or a
 * frame's.  One writer per format; write_rows() walks the runs' points and
 * frames once for both. */
typedef struct Writer {
    int (*point)(void *out, const CbRunInfo *r, const CbRunResult *res, const CbPointResult *p);
    int (*frame)(void *out, const CbRunInfo *r, const CbRunResult *res, const CbPointResult *p,
                 int64_t n);
} Writer;

static int write_rows(const Writer *w, void *out, const CbRunInfo *r, const CbRunResult *res,
                      int frames)
{
    int rc = CB_OK;
    for (size_t i = 0; rc == CB_OK && i < res->n_points; i++) {
        const CbPointResult *p = &res->points[i];
        if (!frames)
            rc = w->point(out, r, res, p);
        for (int64_t n = 0; frames && rc == CB_OK && p->rows && n < p->frames; n++)
            rc = w->frame(out, r, res, p, n);
    }
    return rc;
}

static void csv_run_part(const CbRunInfo *r, const CbRunResult *res, const CbPointResult *p)
{
    printf("%lld", (long long)r->id);
    csv_str(r->experiment);
    csv_str(r->recipe_name);
    csv_str(r->recipe_hash);
    csv_str(r->codec);
    csv_str(res->clip_id);
    csv_str(r->input);
    csv_int(res->first_frame);
    csv_int(res->frames);
    csv_int(res->width);
    csv_int(res->height);
    csv_int(res->fps_num);
    csv_int(res->fps_den);
    csv_int(p->rate_value);
}

static int csv_point(void *out, const CbRunInfo *r, const CbRunResult *res, const CbPointResult *p)
{
    (void)out;
    csv_run_part(r, res, p);
    csv_int(p->payload_bytes);
    csv_int(p->container_bytes);
    csv_num(p->kbps);
    csv_num(p->bpp);
    for (int k = 0; k < 3; k++)
        csv_num(p->psnr_mean[k]);
    csv_num(p->psnr_yuv_mean);
    for (int k = 0; k < 3; k++)
        csv_num(p->psnr_global[k]);
    csv_num(p->psnr_yuv_global);
    csv_num(p->ssim_mean);
    csv_num(p->encode_cpu_s);
    csv_num(p->encode_wall_s);
    csv_num(p->encode_fps);
    csv_num(p->decode_cpu_s);
    csv_num(p->decode_wall_s);
    csv_num(p->decode_fps);
    csv_int(p->concurrency);
    csv_int(p->peak_rss_kib);
    csv_num(r->bd_rate);
    csv_num(r->bd_psnr);
    fputc(',', stdout);
    if (r->anchor_run > 0)
        printf("%lld", (long long)r->anchor_run);
    csv_str(res->codecbench_version);
    csv_str(res->encoder_version);
    csv_str(res->machine);
    fputc('\n', stdout);
    return CB_OK;
}

static int csv_frame(void *out, const CbRunInfo *r, const CbRunResult *res, const CbPointResult *p,
                     int64_t n)
{
    const CbFrameRow *f = &p->rows[n];
    (void)out;
    csv_run_part(r, res, p);
    printf(",%lld,%c,%lld", (long long)n, f->type ? f->type : '?', (long long)f->bits);
    for (int k = 0; k < 3; k++)
        csv_num(f->psnr[k]);
    csv_num(f->ssim);
    fputc('\n', stdout);
    return CB_OK;
}

static const Writer csv_writer = {csv_point, csv_frame};

/* The run's fields every JSON row carries. */
static json_t *json_run_part(const CbRunInfo *r, const CbRunResult *res, const CbPointResult *p)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:i, s:i, s:[i, i], s:i}",
                     "run", (json_int_t)r->id, "experiment", cli_json_str(r->experiment), "recipe",
                     cli_json_str(r->recipe_name), "recipe_hash", cli_json_str(r->recipe_hash),
                     "codec", cli_json_str(r->codec), "clip_id", cli_json_str(res->clip_id),
                     "input", cli_json_str(r->input), "first_frame", (json_int_t)res->first_frame,
                     "frames", (json_int_t)res->frames, "width", res->width, "height", res->height,
                     "fps", res->fps_num, res->fps_den, "rate", p->rate_value);
}

static int json_point(void *out, const CbRunInfo *r, const CbRunResult *res, const CbPointResult *p)
{
    json_t *o = json_run_part(r, res, p);
    json_t *pt = cli_json_point(p, 0);
    if (!o || !pt || json_object_update(o, pt) < 0) {
        json_decref(o);
        json_decref(pt);
        return CB_ENOMEM;
    }
    json_decref(pt);
    json_object_set_new(o, "bd_rate_pct", cli_json_num(r->bd_rate));
    json_object_set_new(o, "bd_psnr_db", cli_json_num(r->bd_psnr));
    json_object_set_new(o, "anchor_run",
                        r->anchor_run > 0 ? json_integer(r->anchor_run) : json_null());
    json_object_set_new(o, "made_by", cli_json_result_provenance(res));
    return json_array_append_new(out, o) < 0 ? CB_ENOMEM : CB_OK;
}

static int json_frame(void *out, const CbRunInfo *r, const CbRunResult *res, const CbPointResult *p,
                      int64_t n)
{
    const CbFrameRow *f = &p->rows[n];
    json_t *o = json_run_part(r, res, p);
    char type[2] = {f->type ? f->type : '?', '\0'};
    if (!o)
        return CB_ENOMEM;
    json_object_set_new(o, "frame", json_integer(n));
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "bits", json_integer(f->bits));
    json_object_set_new(o, "psnr_y", cli_json_num(f->psnr[0]));
    json_object_set_new(o, "psnr_u", cli_json_num(f->psnr[1]));
    json_object_set_new(o, "psnr_v", cli_json_num(f->psnr[2]));
    json_object_set_new(o, "ssim", cli_json_num(f->ssim));
    return json_array_append_new(out, o) < 0 ? CB_ENOMEM : CB_OK;
}

static const Writer json_writer = {json_point, json_frame};

static int run(int argc, char **argv)
{
    CbRunFilter f = {.status = -1};
    int json = 0, frames = 0;
    const CliOpt opts[] = {
        {.name = "csv", .flag = &json, .value = 0},
        {.name = "frames", .flag = &frames, .value = 1},
        {0},
    };
    CliArgs a = {.opts = opts,
                 .json = &json,
                 .filter = &f,
                 .no_status = "export writes done runs only (no --status)"};
    int code = cli_parse_args(&cb_cmd_export, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    f.status = CB_RUN_DONE;

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    CbRunInfo *rows = NULL;
    size_t n = 0;
    json_t *arr = NULL;
    int rc = 0;
    if ((code = cli_list_runs(&cb_cmd_export, a.store, &f, &s, &rows, &n)) != CB_EXIT_OK)
        goto out;
    code = CB_EXIT_FAIL;
    if (json) {
        arr = json_array();
        if (!arr) {
            cli_error("out of memory");
            goto out;
        }
    } else {
        printf("%s,%s\n", RUN_COLUMNS, frames ? FRAME_COLUMNS : POINT_COLUMNS);
    }
    for (size_t i = 0; i < n; i++) {
        CbRunResult res = {0};
        /* One run at a time: memory stays that of one run's frames. */
        if (cb_store_get_result(s, rows[i].id, frames, &res, &err) < 0) {
            cli_fail(&err);
            goto out;
        }
        rc = json ? write_rows(&json_writer, arr, &rows[i], &res, frames)
                  : write_rows(&csv_writer, NULL, &rows[i], &res, frames);
        cb_result_free(&res);
        if (rc < 0) {
            cli_error("out of memory building the JSON document");
            goto out;
        }
    }
    if (json) {
        json_t *doc =
            json_pack("{s:o, s:s, s:I, s:o, s:o}", "store", cli_json_str(cb_store_dir(s)),
                      "rows_are", frames ? "frames" : "rate points", "runs", (json_int_t)n, "rows",
                      json_incref(arr), "provenance", cli_json_provenance(0));
        code = cli_json_print(doc);
        json_decref(doc);
        goto out;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write to standard output");
        goto out;
    }
    code = CB_EXIT_OK;
out:
    json_decref(arr);
    cb_run_infos_free(&rows, n);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_export = {
    .name = "export",
    .args = "[--csv|--json] [--frames] [--store DIR] [--experiment NAME] [--codec C] "
            "[--tag T] [--sort COLUMN [--desc]] [--limit N]",
    .summary = "rate points (or frames) of done runs as CSV or JSON",
    .run = run,
    .help = help,
};

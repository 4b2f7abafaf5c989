/* codecbench show RUN: everything the store knows about one run. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "codecbench/buf.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "cli/storeout.h"
#include "cli/table.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench show RUN [--store DIR] [--frames] [--json]\n"
          "\n"
          "Everything about one run: its recipe (name, hash and the fields that differ\n"
          "from the defaults), input, frame range and size, status and reason, times,\n"
          "lineage (parent and origin), tags and notes; for a done run a table per\n"
          "rate point (rate, bytes, kbps, bits per pixel, PSNR Y/U/V/YUV as the mean\n"
          "of frames and as the PSNR of the mean MSE, SSIM, encode and decode speed\n"
          "and CPU seconds, the concurrency they ran at, peak memory), BD-rate and\n"
          "BD-PSNR against the experiment's anchor run on the same clip, and how the\n"
          "numbers were made (versions, machine).\n"
          "\n"
          "Options:\n"
          CLI_HELP_STORE
          "  --frames     also the per-frame table of every rate point (type, bits,\n"
          "               PSNR Y/U/V, SSIM)\n"
          "  --json       one JSON document\n"
          "  -h, --help   this text\n",
          out);
}

/* "name: value" lines of the header, labels padded to one width. */
static void field(const char *label, const char *value)
{
    printf("%-11s ", label);
    cli_puts_sanitized(stdout, value ? value : "-");
    fputc('\n', stdout);
}

static void fieldf(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fieldf(const char *label, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        buf[0] = '\0';
    field(label, buf);
}

static void print_header(const CbRunInfo *r, const json_t *settings, const CbNote *notes,
                         size_t n_notes)
{
    char t0[32], t1[32], t2[32], st[CB_ERROR_TEXT_MAX];
    printf("run %lld: ", (long long)r->id);
    cli_puts_sanitized(stdout, r->recipe_name ? r->recipe_name : "?");
    printf(" (");
    cli_puts_sanitized(stdout, r->codec ? r->codec : "?");
    printf(") on ");
    cli_puts_sanitized(stdout, cli_basename(r->input));
    fputc('\n', stdout);
    field("experiment", r->experiment);
    cli_status_text(r, st, sizeof st);
    field("status", st);
    fieldf("recipe", "%s  sha256 %s", r->recipe_name ? r->recipe_name : "?",
           r->recipe_hash ? r->recipe_hash : "?");
    if (settings && json_object_size(settings)) {
        const char *key;
        json_t *val;
        int first = 1;
        json_object_foreach((json_t *)settings, key, val) {
            char *v = cli_json_text(val);
            fieldf(first ? "settings" : "", "%s = %s", key, v ? v : "?");
            free(v);
            first = 0;
        }
    } else if (settings) {
        field("settings", "all defaults");
    }
    field("input", r->input);
    if (r->frames >= 0)
        fieldf("frames", "%lld..%lld (%lld frames)", (long long)r->first_frame,
               (long long)(r->first_frame + r->frames - 1), (long long)r->frames);
    else
        fieldf("frames", "from %lld to the end", (long long)r->first_frame);
    if (r->width > 0)
        fieldf("size", "%dx%d", r->width, r->height);
    field("clip", r->clip_id ? r->clip_id : "- (known once imported)");
    cli_format_time(r->created, t0, sizeof t0);
    cli_format_time(r->started, t1, sizeof t1);
    cli_format_time(r->finished, t2, sizeof t2);
    field("created", t0);
    field("started", t1);
    if (isfinite(r->finished) && isfinite(r->started))
        fieldf("finished", "%s (%.1f s after the start)", t2, r->finished - r->started);
    else
        field("finished", t2);
    if (r->pid > 0)
        fieldf("process", "pid %lld%s", (long long)r->pid,
               r->cancel_requested ? ", cancel requested" : "");
    if (r->parent > 0)
        fieldf("lineage", "parent run %lld, origin %s", (long long)r->parent,
               r->origin ? r->origin : "?");
    else
        fieldf("lineage", "no parent, origin %s", r->origin ? r->origin : "?");
    field("tags", r->tags && *r->tags ? r->tags : "-");
    for (size_t i = 0; i < n_notes; i++) {
        char when[32];
        cli_format_time(notes[i].created, when, sizeof when);
        printf("%-11s %s  ", i ? "" : "notes", when);
        cli_puts_sanitized(stdout, notes[i].text ? notes[i].text : "");
        fputc('\n', stdout);
    }
}

static void print_points(const CbRunResult *res)
{
    CliTable *q = cli_table_new(10), *g = cli_table_new(5), *sp = cli_table_new(10);
    if (!q || !g || !sp) {
        cli_error("out of memory");
        goto out;
    }
    static const char *const qt[] = {"RATE", "BYTES", "KBPS", "BPP", "PSNR-Y",
                                     "PSNR-U", "PSNR-V", "PSNR-YUV", "SSIM", "FILE"};
    for (size_t c = 0; c < 10; c++)
        cli_table_column(q, c, qt[c], c == 9 ? CLI_LEFT : CLI_RIGHT);
    static const char *const gt[] = {"RATE", "PSNR-Y", "PSNR-U", "PSNR-V", "PSNR-YUV"};
    for (size_t c = 0; c < 5; c++)
        cli_table_column(g, c, gt[c], CLI_RIGHT);
    static const char *const st[] = {"RATE",    "ENC-FPS", "ENC-CPU-S", "ENC-WALL-S", "DEC-FPS",
                                     "DEC-CPU-S", "DEC-WALL-S", "CONC", "PEAK-MIB", "CONTAINER-B"};
    for (size_t c = 0; c < 10; c++)
        cli_table_column(sp, c, st[c], CLI_RIGHT);
    for (size_t i = 0; i < res->n_points; i++) {
        const CbPointResult *p = &res->points[i];
        cli_table_int(q, p->rate_value, 0);
        cli_table_int(q, p->payload_bytes, 0);
        cli_table_num(q, p->kbps, 1, 0);
        cli_table_num(q, p->bpp, 4, 0);
        for (int k = 0; k < 3; k++)
            cli_table_num(q, p->psnr_mean[k], 3, 0);
        cli_table_num(q, p->psnr_yuv_mean, 3, 0);
        cli_table_num(q, p->ssim_mean, 5, 0);
        cli_table_add(q, p->stream_file);
        cli_table_int(g, p->rate_value, 0);
        for (int k = 0; k < 3; k++)
            cli_table_num(g, p->psnr_global[k], 3, 0);
        cli_table_num(g, p->psnr_yuv_global, 3, 0);
        cli_table_int(sp, p->rate_value, 0);
        cli_table_num(sp, p->encode_fps, 2, 0);
        cli_table_num(sp, p->encode_cpu_s, 2, 0);
        cli_table_num(sp, p->encode_wall_s, 2, 0);
        cli_table_num(sp, p->decode_fps, 2, 0);
        cli_table_num(sp, p->decode_cpu_s, 2, 0);
        cli_table_num(sp, p->decode_wall_s, 2, 0);
        cli_table_int(sp, p->concurrency, 0);
        cli_table_num(sp, p->peak_rss_kib / 1024.0, 1, 0);
        cli_table_int(sp, p->container_bytes, 0);
    }
    printf("\nrate points (PSNR in dB, mean of per-frame values):\n");
    cli_table_print(q, stdout, 2);
    printf("\nPSNR of the mean MSE over frames (dB):\n");
    cli_table_print(g, stdout, 2);
    printf("\nspeed and memory (concurrency: workers running when the point was encoded):\n");
    cli_table_print(sp, stdout, 2);
out:
    cli_table_free(&q);
    cli_table_free(&g);
    cli_table_free(&sp);
}

static void print_frames(const CbRunResult *res)
{
    for (size_t i = 0; i < res->n_points; i++) {
        const CbPointResult *p = &res->points[i];
        CliTable *t = cli_table_new(7);
        if (!t) {
            cli_error("out of memory");
            return;
        }
        static const char *const ft[] = {"FRAME", "TYPE", "BITS", "PSNR-Y", "PSNR-U", "PSNR-V",
                                         "SSIM"};
        for (size_t c = 0; c < 7; c++)
            cli_table_column(t, c, ft[c], c == 1 ? CLI_LEFT : CLI_RIGHT);
        for (int64_t n = 0; p->rows && n < p->frames; n++) {
            const CbFrameRow *f = &p->rows[n];
            cli_table_int(t, n, 0);
            cli_table_addf(t, "%c", f->type ? f->type : '?');
            cli_table_int(t, f->bits, 0);
            for (int k = 0; k < 3; k++)
                cli_table_num(t, f->psnr[k], 3, 0);
            cli_table_num(t, f->ssim, 5, 0);
        }
        printf("\nframes at rate %d (", p->rate_value);
        cli_puts_sanitized(stdout, p->stream_file ? p->stream_file : "?");
        printf("):\n");
        cli_table_print(t, stdout, 2);
        cli_table_free(&t);
    }
}

static void print_result_provenance(const CbRunResult *res)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    const char *q = "?";
    cb_buf_printf(&b, "made by codecbench %s with %s; FFmpeg %s",
                  res->codecbench_version ? res->codecbench_version : q,
                  res->encoder_version ? res->encoder_version : q,
                  res->ffmpeg_versions ? res->ffmpeg_versions : q);
    putchar('\n');
    cli_puts_wrapped(stdout, b.data ? b.data : "", 78);
    cb_buf_reset(&b);
    cb_buf_printf(&b, "on %s; verified in %.2f s at %d/%d fps", res->machine ? res->machine : q,
                  res->verify_wall_s, res->fps_num, res->fps_den);
    cli_puts_wrapped(stdout, b.data ? b.data : "", 78);
    cb_buf_free(&b);
    if (res->provenance && *res->provenance)
        cli_puts_wrapped(stdout, res->provenance, 78);
}

static int run(int argc, char **argv)
{
    int64_t id;
    int json = 0, frames = 0;
    const CliOpt opts[] = {{.name = "frames", .flag = &frames, .value = 1}, {0}};
    CliArgs a = {.opts = opts, .json = &json, .min = 1, .max = 1,
                 .arity = "needs one RUN (a run id)", .run_id = &id};
    int code = cli_parse_args(&cb_cmd_show, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    if (cli_store_open(a.store, CB_STORE_READONLY, &s, &err) < 0)
        return cli_fail(&err);
    code = cli_show_run(s, id, frames, json);
    cb_store_close(&s);
    return code;
}

int cli_show_run(CbStore *s, int64_t id, int frames, int json)
{
    CbError err;
    cb_error_clear(&err);
    CbRunInfo info = {0};
    CbRunResult res = {0};
    CbNote *notes = NULL;
    size_t n_notes = 0;
    char *recipe = NULL;
    json_t *settings = NULL;
    int have_info = 0, have_result = 0, code = CB_EXIT_FAIL;
    if (cb_store_get_run(s, id, &info, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    have_info = 1;
    if (cb_store_get_recipe(s, id, &recipe, &err) < 0 ||
        cb_store_notes(s, id, &notes, &n_notes, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (cli_recipe_settings(recipe, 1, &settings, &err) < 0) {
        /* The stored recipe was valid when queued; a build with other
         * defaults or fields may not read it: say so, show the rest. */
        cli_warn("run %lld: %s", (long long)id, err.text);
        cb_error_clear(&err);
    }
    if (info.status == CB_RUN_DONE) {
        if (cb_store_get_result(s, id, frames, &res, &err) < 0) {
            cli_fail(&err);
            goto out;
        }
        have_result = 1;
    }
    if (json) {
        json_t *doc = cli_json_run(&info);
        json_error_t je;
        json_t *rj = json_loads(recipe, 0, &je);
        json_object_set_new(doc, "recipe_json", rj ? rj : json_null());
        json_object_set_new(doc, "recipe_non_default", settings ? json_incref(settings)
                                                                : json_null());
        json_t *na = json_array();
        for (size_t i = 0; na && i < n_notes; i++)
            json_array_append_new(na, json_pack("{s:o, s:o}", "created",
                                                cli_json_num(notes[i].created), "text",
                                                cli_json_str(notes[i].text)));
        json_object_set_new(doc, "notes", na);
        if (have_result) {
            json_t *pa = json_array();
            for (size_t i = 0; pa && i < res.n_points; i++)
                json_array_append_new(pa, cli_json_point(&res.points[i], frames));
            json_object_set_new(doc, "rate_points", pa);
            json_object_set_new(doc, "fps", json_pack("[i, i]", res.fps_num, res.fps_den));
        }
        json_t *prov = cli_json_provenance(info.anchor_run);
        if (prov && have_result)
            json_object_set_new(prov, "run", cli_json_result_provenance(&res));
        json_object_set_new(doc, "provenance", prov);
        code = cli_json_print(doc);
        json_decref(doc);
        goto out;
    }
    print_header(&info, settings, notes, n_notes);
    if (have_result) {
        print_points(&res);
        if (frames)
            print_frames(&res);
        if (info.anchor_run == info.id)
            printf("\nBD: this run is the experiment's anchor run on its clip\n");
        else if (info.anchor_run > 0 && isfinite(info.bd_rate))
            printf("\nBD vs anchor run %lld: BD-rate %+.2f %%, BD-PSNR %+.3f dB\n",
                   (long long)info.anchor_run, info.bd_rate, info.bd_psnr);
        else if (info.anchor_run > 0)
            printf("\nBD vs anchor run %lld: not computable (the curves need 4 or more "
                   "points each, rising, and a PSNR-Y overlap; 'codecbench compare %lld %lld' "
                   "says why)\n",
                   (long long)info.anchor_run, (long long)info.anchor_run, (long long)info.id);
        else
            printf("\nBD: no anchor run on this clip (an experiment's anchor is set with "
                   "'codecbench anchor')\n");
        print_result_provenance(&res);
    }
    if (have_result) {
        fputc('\n', stdout);
        cli_print_provenance(stdout, info.anchor_run);
    }
    code = CB_EXIT_OK;
out:
    json_decref(settings);
    free(recipe);
    cb_notes_free(&notes, n_notes);
    if (have_result)
        cb_result_free(&res);
    if (have_info)
        cb_run_info_free(&info);
    return code;
}

const CbCommand cb_cmd_show = {
    .name = "show",
    .args = "RUN [--store DIR] [--frames] [--json]",
    .summary = "everything about one run: recipe, status, rate points, BD, provenance",
    .run = run,
    .help = help,
};

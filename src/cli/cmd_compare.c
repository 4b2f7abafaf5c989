/* codecbench compare RUN RUN...: runs of one clip side by side. */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "cli/storeout.h"
#include "cli/table.h"

/* More runs than this would not fit a terminal and are a typo or a glob
 * gone wrong; `export` is the way to many runs. */
#define MAX_RUNS 64

static void help(FILE *out)
{
    fputs("Usage: codecbench compare RUN RUN... [--anchor RUN] [--store DIR] [--json]\n"
          "\n"
          "Puts done runs of one clip side by side: per rate point kbps, PSNR-Y,\n"
          "PSNR-YUV and SSIM with their differences from the anchor run's point at\n"
          "the same rate value, BD-rate and BD-PSNR against the anchor, speed and\n"
          "memory; then only the recipe fields that differ between the runs, and\n"
          "the BD-rate and BD-PSNR of every pair (rows: anchor, columns: test).\n"
          "Runs of different clips (a clip is identified by its decoded frames) are\n"
          "refused: their numbers do not compare.\n"
          "\n"
          "Options:\n"
          "  --anchor RUN  the run the differences are taken against (default: the\n"
          "                first RUN); added to the runs if not among them\n"
          "  --store DIR   the store (default: $CODECBENCH_STORE, else\n"
          "                $XDG_DATA_HOME/codecbench)\n"
          "  --json        one JSON document\n"
          "  -h, --help    this text\n",
          out);
}

typedef struct Cmp {
    size_t n;
    CbRunInfo info[MAX_RUNS];
    CbRunResult res[MAX_RUNS];
    json_t *settings[MAX_RUNS];
    int have_info[MAX_RUNS], have_res[MAX_RUNS];
} Cmp;

static const CbPointResult *point_at(const CbRunResult *r, int rate)
{
    for (size_t i = 0; i < r->n_points; i++)
        if (r->points[i].rate_value == rate)
            return &r->points[i];
    return NULL;
}

static double mean_of(const CbRunResult *r, size_t off)
{
    double s = 0;
    for (size_t i = 0; i < r->n_points; i++)
        s += *(const double *)((const char *)&r->points[i] + off);
    return r->n_points ? s / (double)r->n_points : NAN;
}

static int64_t peak_kib(const CbRunResult *r)
{
    int64_t m = 0;
    for (size_t i = 0; i < r->n_points; i++)
        if (r->points[i].peak_rss_kib > m)
            m = r->points[i].peak_rss_kib;
    return m;
}

/* "value (delta)" cells: relative delta in % (rel) or absolute with the
 * value's decimals. */
static void cell_delta(CliTable *t, double v, double a, int decimals, int rel, int is_anchor)
{
    if (!isfinite(v))
        cli_table_add(t, "-");
    else if (is_anchor || !isfinite(a) || (rel && a == 0))
        cli_table_addf(t, "%.*f", decimals, v);
    else if (rel)
        cli_table_addf(t, "%.*f (%+.1f%%)", decimals, v, a != 0 ? 100.0 * (v - a) / a : NAN);
    else
        cli_table_addf(t, "%.*f (%+.*f)", decimals, v, decimals, v - a);
}

static void side_by_side(const Cmp *c)
{
    CliTable *t = cli_table_new(c->n + 1);
    if (!t) {
        cli_error("out of memory");
        return;
    }
    cli_table_column(t, 0, "", CLI_LEFT);
    for (size_t j = 0; j < c->n; j++) {
        char title[64];
        snprintf(title, sizeof title, j ? "run %lld" : "run %lld (anchor)",
                 (long long)c->info[j].id);
        cli_table_column(t, j + 1, title, CLI_RIGHT);
    }
    const CbRunResult *a = &c->res[0];
    cli_table_add(t, "recipe");
    for (size_t j = 0; j < c->n; j++)
        cli_table_add(t, c->info[j].recipe_name);
    cli_table_add(t, "codec");
    for (size_t j = 0; j < c->n; j++)
        cli_table_add(t, c->info[j].codec);
    size_t max_points = 0;
    for (size_t j = 0; j < c->n; j++)
        if (c->res[j].n_points > max_points)
            max_points = c->res[j].n_points;
    for (size_t i = 0; i < max_points; i++) {
        static const char *const what[] = {"kbps", "PSNR-Y dB", "PSNR-YUV dB", "SSIM"};
        cli_table_addf(t, "point %zu: rate", i + 1);
        for (size_t j = 0; j < c->n; j++)
            if (i < c->res[j].n_points)
                cli_table_int(t, c->res[j].points[i].rate_value, 0);
            else
                cli_table_add(t, "");
        for (int k = 0; k < 4; k++) {
            cli_table_addf(t, "  %s", what[k]);
            for (size_t j = 0; j < c->n; j++) {
                if (i >= c->res[j].n_points) {
                    cli_table_add(t, "");
                    continue;
                }
                const CbPointResult *p = &c->res[j].points[i];
                const CbPointResult *ap = point_at(a, p->rate_value);
                double v, av = NAN;
                int dec, rel = 0;
                switch (k) {
                case 0:
                    v = p->kbps, av = ap ? ap->kbps : NAN, dec = 1, rel = 1;
                    break;
                case 1:
                    v = p->psnr_mean[0], av = ap ? ap->psnr_mean[0] : NAN, dec = 3;
                    break;
                case 2:
                    v = p->psnr_yuv_mean, av = ap ? ap->psnr_yuv_mean : NAN, dec = 3;
                    break;
                default:
                    v = p->ssim_mean, av = ap ? ap->ssim_mean : NAN, dec = 5;
                    break;
                }
                cell_delta(t, v, av, dec, rel, j == 0);
            }
        }
    }
    cli_table_add(t, "BD-rate vs anchor");
    for (size_t j = 0; j < c->n; j++) {
        CbBdResult bd;
        if (j == 0)
            cli_table_add(t, "-");
        else if (cli_result_bd(a, &c->res[j], &bd, NULL) == 0)
            cli_table_addf(t, "%+.2f%%", bd.bd_rate_pct);
        else
            cli_table_add(t, "n/a");
    }
    cli_table_add(t, "BD-PSNR vs anchor");
    for (size_t j = 0; j < c->n; j++) {
        CbBdResult bd;
        if (j == 0)
            cli_table_add(t, "-");
        else if (cli_result_bd(a, &c->res[j], &bd, NULL) == 0)
            cli_table_addf(t, "%+.3f dB", bd.bd_psnr_db);
        else
            cli_table_add(t, "n/a");
    }
    static const struct {
        const char *label;
        size_t off;
        int dec;
    } speed[] = {
        {"encode fps (mean)", offsetof(CbPointResult, encode_fps), 2},
        {"encode CPU s (mean)", offsetof(CbPointResult, encode_cpu_s), 2},
        {"decode fps (mean)", offsetof(CbPointResult, decode_fps), 2},
    };
    for (size_t k = 0; k < sizeof speed / sizeof speed[0]; k++) {
        cli_table_add(t, speed[k].label);
        double av = mean_of(a, speed[k].off);
        for (size_t j = 0; j < c->n; j++)
            cell_delta(t, mean_of(&c->res[j], speed[k].off), av, speed[k].dec, 1, j == 0);
    }
    cli_table_add(t, "peak memory MiB");
    for (size_t j = 0; j < c->n; j++)
        cell_delta(t, peak_kib(&c->res[j]) / 1024.0, peak_kib(a) / 1024.0, 1, 1, j == 0);
    cli_table_print(t, stdout, 0);
    cli_table_free(&t);
}

/* The settings keys whose values are not all equal, as a JSON object of
 * arrays (one value per run, null where a run's codec has no such field). */
static json_t *recipe_differences(const Cmp *c)
{
    json_t *keys = json_object(), *diff = json_object();
    if (!keys || !diff)
        goto fail;
    for (size_t j = 0; j < c->n; j++) {
        const char *key;
        json_t *v;
        json_object_foreach(c->settings[j], key, v)
            json_object_set_new(keys, key, json_true());
    }
    const char *key;
    json_t *unused;
    json_object_foreach(keys, key, unused) {
        json_t *vals = json_array();
        int differ = 0;
        for (size_t j = 0; vals && j < c->n; j++) {
            json_t *v = json_object_get(c->settings[j], key);
            json_array_append(vals, v ? v : json_null());
            if (j && !json_equal(json_array_get(vals, 0), json_array_get(vals, j)))
                differ = 1;
        }
        if (differ)
            json_object_set_new(diff, key, vals);
        else
            json_decref(vals);
    }
    json_decref(keys);
    return diff;
fail:
    json_decref(keys);
    json_decref(diff);
    return NULL;
}

static void print_differences(const Cmp *c, const json_t *diff)
{
    if (!json_object_size(diff)) {
        printf("\nrecipe settings: the same in every run\n");
        return;
    }
    CliTable *t = cli_table_new(c->n + 1);
    if (!t)
        return;
    cli_table_column(t, 0, "SETTING", CLI_LEFT);
    for (size_t j = 0; j < c->n; j++) {
        char title[32];
        snprintf(title, sizeof title, "run %lld", (long long)c->info[j].id);
        cli_table_column(t, j + 1, title, CLI_LEFT);
    }
    const char *key;
    json_t *vals;
    json_object_foreach((json_t *)diff, key, vals) {
        cli_table_add(t, key);
        for (size_t j = 0; j < c->n; j++) {
            json_t *v = json_array_get(vals, j);
            char *txt = json_is_null(v) ? NULL : cli_json_text(v);
            cli_table_add(t, txt ? txt : "-");
            free(txt);
        }
    }
    printf("\nrecipe settings that differ:\n");
    cli_table_print(t, stdout, 2);
    cli_table_free(&t);
}

static void print_matrix(const Cmp *c, int psnr)
{
    CliTable *t = cli_table_new(c->n + 1);
    if (!t)
        return;
    cli_table_column(t, 0, "ANCHOR \\ TEST", CLI_LEFT);
    for (size_t j = 0; j < c->n; j++) {
        char title[32];
        snprintf(title, sizeof title, "run %lld", (long long)c->info[j].id);
        cli_table_column(t, j + 1, title, CLI_RIGHT);
    }
    for (size_t i = 0; i < c->n; i++) {
        cli_table_addf(t, "run %lld", (long long)c->info[i].id);
        for (size_t j = 0; j < c->n; j++) {
            CbBdResult bd;
            if (i == j)
                cli_table_add(t, "-");
            else if (cli_result_bd(&c->res[i], &c->res[j], &bd, NULL) < 0)
                cli_table_add(t, "n/a");
            else if (psnr)
                cli_table_addf(t, "%+.3f dB", bd.bd_psnr_db);
            else
                cli_table_addf(t, "%+.2f%%", bd.bd_rate_pct);
        }
    }
    printf(psnr ? "\nBD-PSNR (rows: anchor, columns: test; positive: test is better):\n"
                : "\nBD-rate (rows: anchor, columns: test; negative: test needs fewer bits):\n");
    cli_table_print(t, stdout, 2);
    cli_table_free(&t);
}

/* How each run was made: a run made by another build, encoder or machine
 * is seen before its numbers are trusted side by side. */
static void print_made_by(const Cmp *c)
{
    CliTable *t = cli_table_new(4);
    if (!t)
        return;
    cli_table_column(t, 0, "RUN", CLI_RIGHT);
    cli_table_column(t, 1, "CODECBENCH", CLI_LEFT);
    cli_table_column(t, 2, "ENCODER", CLI_LEFT);
    cli_table_column(t, 3, "MACHINE", CLI_LEFT);
    for (size_t j = 0; j < c->n; j++) {
        cli_table_int(t, c->info[j].id, 0);
        cli_table_add(t, c->res[j].codecbench_version);
        cli_table_add(t, c->res[j].encoder_version);
        cli_table_add(t, c->res[j].machine);
    }
    printf("\nhow each run was made:\n");
    cli_table_print(t, stdout, 2);
    cli_table_free(&t);
}

/* Says why the BD pairs that could not be computed were not. */
static void print_bd_failures(const Cmp *c)
{
    for (size_t i = 0; i < c->n; i++)
        for (size_t j = 0; j < c->n; j++) {
            CbBdResult bd;
            CbError e;
            cb_error_clear(&e);
            if (i != j && cli_result_bd(&c->res[i], &c->res[j], &bd, &e) < 0)
                cli_warn("BD of run %lld against run %lld: %s", (long long)c->info[j].id,
                         (long long)c->info[i].id, e.text);
            else if (i != j && bd.small_overlap)
                cli_warn("BD of run %lld against run %lld: the curves overlap over %.2f dB "
                         "only (%.0f%% of the shorter curve's range)",
                         (long long)c->info[j].id, (long long)c->info[i].id,
                         bd.psnr_hi - bd.psnr_lo, 100.0 * bd.overlap_fraction);
        }
}

static json_t *json_doc(const Cmp *c, const json_t *diff)
{
    json_t *doc = json_object(), *runs = json_array(), *matrix = json_array();
    if (!doc || !runs || !matrix) {
        json_decref(doc);
        json_decref(runs);
        json_decref(matrix);
        return NULL;
    }
    json_object_set_new(doc, "anchor_run", json_integer(c->info[0].id));
    json_object_set_new(doc, "clip_id", cli_json_str(c->info[0].clip_id));
    for (size_t j = 0; j < c->n; j++) {
        json_t *r = cli_json_run(&c->info[j]);
        json_t *pts = json_array();
        for (size_t i = 0; pts && i < c->res[j].n_points; i++)
            json_array_append_new(pts, cli_json_point(&c->res[j].points[i], 0));
        json_object_set_new(r, "rate_points", pts);
        json_object_set_new(r, "settings", json_incref(c->settings[j]));
        json_object_set_new(r, "made_by", cli_json_result_provenance(&c->res[j]));
        json_array_append_new(runs, r);
    }
    for (size_t i = 0; i < c->n; i++)
        for (size_t j = 0; j < c->n; j++) {
            if (i == j)
                continue;
            CbBdResult bd;
            CbError e;
            cb_error_clear(&e);
            json_t *cell = json_pack("{s:I, s:I}", "anchor", (json_int_t)c->info[i].id, "test",
                                     (json_int_t)c->info[j].id);
            if (cli_result_bd(&c->res[i], &c->res[j], &bd, &e) < 0) {
                json_object_set_new(cell, "bd_rate_pct", json_null());
                json_object_set_new(cell, "bd_psnr_db", json_null());
                json_object_set_new(cell, "error", cli_json_str(e.text));
            } else {
                json_object_set_new(cell, "bd_rate_pct", cli_json_num(bd.bd_rate_pct));
                json_object_set_new(cell, "bd_psnr_db", cli_json_num(bd.bd_psnr_db));
                json_object_set_new(cell, "psnr_overlap_db",
                                    json_pack("[o, o]", cli_json_num(bd.psnr_lo),
                                              cli_json_num(bd.psnr_hi)));
                json_object_set_new(cell, "small_overlap", json_boolean(bd.small_overlap));
            }
            json_array_append_new(matrix, cell);
        }
    json_object_set_new(doc, "runs", runs);
    json_object_set_new(doc, "recipe_differences", json_incref((json_t *)diff));
    json_object_set_new(doc, "bd_matrix", matrix);
    json_object_set_new(doc, "provenance", cli_json_provenance(c->info[0].id));
    return doc;
}

/* Loads run id into slot j: done, same clip as slot 0. */
static int load(CbStore *s, Cmp *c, size_t j, int64_t id, CbError *err)
{
    if (cb_store_get_run(s, id, &c->info[j], err) < 0)
        return err->code;
    c->have_info[j] = 1;
    const CbRunInfo *r = &c->info[j], *a = &c->info[0];
    if (r->status != CB_RUN_DONE)
        return cb_error_set(err, CB_EINVAL, "run %lld is %s, not done: compare needs done runs",
                            (long long)id, cb_run_status_name(r->status));
    if (j > 0 && (!r->clip_id || !a->clip_id || strcmp(r->clip_id, a->clip_id) != 0))
        return cb_error_set(
            err, CB_EMISMATCH,
            "run %lld is on clip %.12s (%s, frames %lld..%lld) but run %lld is on clip %.12s "
            "(%s, frames %lld..%lld): runs of different clips do not compare",
            (long long)a->id, a->clip_id ? a->clip_id : "?", cli_basename(a->input),
            (long long)a->first_frame, (long long)(a->first_frame + a->frames - 1),
            (long long)r->id, r->clip_id ? r->clip_id : "?", cli_basename(r->input),
            (long long)r->first_frame, (long long)(r->first_frame + r->frames - 1));
    if (cb_store_get_result(s, id, 0, &c->res[j], err) < 0)
        return err->code;
    c->have_res[j] = 1;
    char *recipe = NULL;
    int rc = cb_store_get_recipe(s, id, &recipe, err);
    if (rc == CB_OK && (rc = cli_recipe_settings(recipe, 0, &c->settings[j], err)) < 0)
        cb_error_prefix(err, "run %lld", (long long)id);
    free(recipe);
    return rc;
}

static int run(int argc, char **argv)
{
    const char *anchor_arg = NULL;
    int json = 0;
    const CliOpt opts[] = {{.name = "anchor", .text = &anchor_arg}, {0}};
    CliArgs a = {.opts = opts, .json = &json, .max = -1};
    int code = cli_parse_args(&cb_cmd_compare, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    int64_t ids[MAX_RUNS];
    size_t n = 0;
    if (anchor_arg) {
        ids[n] = cli_parse_run_id(anchor_arg);
        if (ids[n++] < 0)
            return cli_usage(&cb_cmd_compare, "--anchor '%s' is not a run id", anchor_arg);
    }
    for (int i = a.first; i < argc; i++) {
        int64_t id;
        if ((code = cli_run_id_arg(&cb_cmd_compare, argv[i], &id)) != CB_EXIT_OK)
            return code;
        int dup = 0;
        for (size_t k = 0; k < n; k++)
            dup |= ids[k] == id;
        if (dup)
            continue;
        if (n == MAX_RUNS)
            return cli_usage(&cb_cmd_compare, "at most %d runs at once ('export' takes any number)",
                             MAX_RUNS);
        ids[n++] = id;
    }
    if (n < 2)
        return cli_usage(&cb_cmd_compare, "needs two or more distinct runs");

    Cmp *c = calloc(1, sizeof *c);
    CbStore *s = NULL;
    json_t *diff = NULL;
    CbError err;
    cb_error_clear(&err);
    code = CB_EXIT_FAIL;
    if (!c) {
        cli_error("out of memory");
        return CB_EXIT_FAIL;
    }
    if (cli_store_open(a.store, CB_STORE_READONLY, &s, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    for (size_t j = 0; j < n; j++) {
        c->n = j + 1;
        if (load(s, c, j, ids[j], &err) < 0) {
            cli_fail(&err);
            goto out;
        }
    }
    diff = recipe_differences(c);
    if (!diff) {
        cli_error("out of memory");
        goto out;
    }
    if (json) {
        json_t *doc = json_doc(c, diff);
        code = cli_json_print(doc);
        json_decref(doc);
        goto out;
    }
    printf("clip %.16s: ", c->info[0].clip_id ? c->info[0].clip_id : "?");
    cli_puts_sanitized(stdout, cli_basename(c->info[0].input));
    printf(", frames %lld..%lld, %dx%d\n\n", (long long)c->info[0].first_frame,
           (long long)(c->info[0].first_frame + c->info[0].frames - 1), c->info[0].width,
           c->info[0].height);
    side_by_side(c);
    print_differences(c, diff);
    print_matrix(c, 0);
    print_matrix(c, 1);
    print_made_by(c);
    print_bd_failures(c);
    printf("\nDeltas: against the anchor's point at the same rate value (kbps and speed in %%, "
           "PSNR and SSIM absolute).\n");
    cli_print_provenance(stdout, c->info[0].id);
    code = CB_EXIT_OK;
out:
    json_decref(diff);
    for (size_t j = 0; j < c->n; j++) {
        if (c->have_info[j])
            cb_run_info_free(&c->info[j]);
        if (c->have_res[j])
            cb_result_free(&c->res[j]);
        json_decref(c->settings[j]);
    }
    free(c);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_compare = {
    .name = "compare",
    .args = "RUN RUN... [--anchor RUN] [--store DIR] [--json]",
    .summary = "done runs of one clip side by side, with deltas and a BD matrix",
    .run = run,
    .help = help,
};

/* codecbench list: the runs of a store, filtered and sorted. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "cli/storeout.h"
#include "cli/table.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench list [--store DIR] [--experiment NAME] [--status STATUS]\n"
          "                       [--codec CODEC] [--tag TAG] [--sort COLUMN [--desc]]\n"
          "                       [--limit N] [--json]\n"
          "\n"
          "Lists the runs of the store, one line each: id, experiment, recipe, codec,\n"
          "status, input, frames, rate points, the range of kbps and of PSNR-Y over\n"
          "the rate points, BD-rate and BD-PSNR against the experiment's anchor run\n"
          "on the same clip, encoder speed, tags and when it was queued.\n"
          "\n"
          "Options:\n"
          "  --store DIR        the store (default: $CODECBENCH_STORE, else\n"
          "                     $XDG_DATA_HOME/codecbench)\n"
          "  --experiment NAME  only the runs of this experiment\n"
          "  --status STATUS    queued, running, verifying, done, failed, cancelled or\n"
          "                     interrupted\n"
          "  --codec CODEC      engine, or an FFmpeg encoder (libx264, ...)\n"
          "  --tag TAG          only runs with this tag\n"
          "  --sort COLUMN      id (default), created, started, finished, experiment,\n"
          "                     recipe_name, codec, status, frames, n_points, kbps_min,\n"
          "                     kbps_max, psnr_y_min, psnr_y_max, bd_rate, bd_psnr,\n"
          "                     encode_fps (an unknown column lists the allowed ones)\n"
          "  --desc, --reverse  sort in descending order\n"
          "  --limit N          at most N runs\n"
          "  --json             one JSON document (runs and provenance)\n"
          "  -h, --help         this text\n",
          out);
}

static void print_table(CbRunInfo *rows, size_t n)
{
    static const char *const titles[] = {"ID",      "EXPERIMENT", "RECIPE",  "CODEC", "STATUS",
                                         "INPUT",   "FRAMES",     "PTS",     "KBPS",  "PSNR-Y",
                                         "BD-RATE", "BD-PSNR",    "ENC-FPS", "TAGS",  "CREATED"};
    static const CliAlign align[] = {CLI_RIGHT, CLI_LEFT,  CLI_LEFT,  CLI_LEFT,  CLI_LEFT,
                                     CLI_LEFT,  CLI_RIGHT, CLI_RIGHT, CLI_RIGHT, CLI_RIGHT,
                                     CLI_RIGHT, CLI_RIGHT, CLI_RIGHT, CLI_LEFT,  CLI_LEFT};
    size_t nc = sizeof titles / sizeof titles[0];
    CliTable *t = cli_table_new(nc);
    if (!t) {
        cli_error("out of memory");
        return;
    }
    for (size_t c = 0; c < nc; c++)
        cli_table_column(t, c, titles[c], align[c]);
    for (size_t i = 0; i < n; i++) {
        const CbRunInfo *r = &rows[i];
        char when[32];
        cli_table_int(t, r->id, 0);
        cli_table_add(t, r->experiment);
        cli_table_add(t, r->recipe_name);
        cli_table_add(t, r->codec);
        cli_table_add(t, cb_run_status_name(r->status));
        cli_table_add(t, cli_basename(r->input));
        cli_table_int(t, r->frames, 1);
        cli_table_int(t, r->n_points, 0);
        if (r->n_points > 0 && isfinite(r->kbps_min) && isfinite(r->kbps_max))
            cli_table_addf(t, "%.1f..%.1f", r->kbps_min, r->kbps_max);
        else
            cli_table_add(t, "-");
        if (r->n_points > 0 && isfinite(r->psnr_y_min) && isfinite(r->psnr_y_max))
            cli_table_addf(t, "%.3f..%.3f", r->psnr_y_min, r->psnr_y_max);
        else
            cli_table_add(t, "-");
        if (isfinite(r->bd_rate))
            cli_table_addf(t, "%+.2f%%", r->bd_rate);
        else
            cli_table_add(t, "-");
        cli_table_num(t, r->bd_psnr, 3, 1);
        cli_table_num(t, r->encode_fps, 1, 0);
        cli_table_add(t, r->tags && *r->tags ? r->tags : "-");
        cli_format_time(r->created, when, sizeof when);
        cli_table_add(t, when);
        cli_table_end_row(t);
    }
    cli_table_print(t, stdout, 0);
    cli_table_free(&t);
}

static int run(int argc, char **argv)
{
    CbRunFilter f = {.status = -1};
    int json = 0;
    CliArgs a = {.json = &json, .filter = &f};
    int code = cli_parse_args(&cb_cmd_list, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;

    CbStore *s = NULL;
    CbRunInfo *rows = NULL;
    size_t n = 0;
    if ((code = cli_list_runs(&cb_cmd_list, a.store, &f, &s, &rows, &n)) != CB_EXIT_OK)
        goto out;
    if (json) {
        json_t *doc = json_object(), *arr = json_array();
        for (size_t i = 0; doc && arr && i < n; i++)
            json_array_append_new(arr, cli_json_run(&rows[i]));
        json_object_set_new(doc, "store", cli_json_str(cb_store_dir(s)));
        json_object_set_new(doc, "count", json_integer((json_int_t)n));
        json_object_set_new(doc, "runs", arr);
        json_object_set_new(doc, "provenance", cli_json_provenance(0));
        code = cli_json_print(doc);
        json_decref(doc);
        goto out;
    }
    if (n == 0) {
        fputs("no runs in ", stdout);
        cli_puts_sanitized(stdout, cb_store_dir(s));
        puts(f.experiment || f.status >= 0 || f.codec || f.tag ? " match the filters" : "");
        code = CB_EXIT_OK;
        goto out;
    }
    print_table(rows, n);
    printf("(%zu run%s; kbps and PSNR-Y: lowest..highest over the rate points)\n", n,
           n == 1 ? "" : "s");
    cli_print_provenance(stdout, 0);
    code = CB_EXIT_OK;
out:
    cb_run_infos_free(&rows, n);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_list = {
    .name = "list",
    .args = "[--store DIR] [--experiment NAME] [--status S] [--codec C] [--tag T] "
            "[--sort COLUMN [--desc]] [--limit N] [--json]",
    .summary = "the runs of the store, filtered and sorted",
    .run = run,
    .help = help,
};

/* codecbench experiments: the experiments of a store with their anchors and
 * the mean BD figures of each recipe over the clips. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "cli/storeout.h"
#include "cli/table.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench experiments [--store DIR] [--json]\n"
          "\n"
          "Lists the experiments: anchor recipe, runs (and how many are done), clips;\n"
          "then, per experiment and recipe, BD-rate and BD-PSNR against the anchor\n"
          "averaged over the clips where both have a done run.\n"
          "\n"
          "Options:\n"
          CLI_HELP_STORE
          "  --json       one JSON document\n"
          "  -h, --help   this text\n",
          out);
}

static int run(int argc, char **argv)
{
    int json = 0;
    CliArgs a = {.json = &json};
    int code = cli_parse_args(&cb_cmd_experiments, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    CbExperimentInfo *ex = NULL;
    size_t n = 0;
    CbRecipeBd **bds = NULL;
    size_t *n_bd = NULL;
    CliTable *t = NULL, *b = NULL;
    json_t *doc = NULL;
    code = CB_EXIT_FAIL;
    if (cli_store_open(a.store, CB_STORE_READONLY, &s, &err) < 0 ||
        cb_store_experiments(s, &ex, &n, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    bds = calloc(n ? n : 1, sizeof *bds);
    n_bd = calloc(n ? n : 1, sizeof *n_bd);
    if (!bds || !n_bd) {
        cli_error("out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (cb_store_experiment_bd(s, ex[i].name, &bds[i], &n_bd[i], &err) < 0) {
            cli_fail(&err);
            goto out;
        }
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++) {
            json_t *rec = json_array();
            for (size_t k = 0; rec && k < n_bd[i]; k++) {
                const CbRecipeBd *r = &bds[i][k];
                json_array_append_new(rec,
                                      json_pack("{s:o, s:o, s:i, s:o, s:o}", "recipe",
                                                cli_json_str(r->recipe_name), "recipe_hash",
                                                cli_json_str(r->recipe_hash), "clips", r->clips,
                                                "bd_rate_pct", cli_json_num(r->bd_rate),
                                                "bd_psnr_db", cli_json_num(r->bd_psnr)));
            }
            json_array_append_new(
                arr,
                json_pack("{s:o, s:{s:o, s:o}, s:I, s:I, s:I, s:o}", "name",
                          cli_json_str(ex[i].name), "anchor", "name",
                          ex[i].anchor_name ? cli_json_str(ex[i].anchor_name) : json_null(), "hash",
                          ex[i].anchor_hash ? cli_json_str(ex[i].anchor_hash) : json_null(), "runs",
                          (json_int_t)ex[i].runs, "done", (json_int_t)ex[i].done, "clips",
                          (json_int_t)ex[i].clips, "recipes", rec));
        }
        json_t *prov = cli_json_provenance(0);
        if (prov)
            json_object_set_new(prov, "mean",
                                json_string("BD figures per recipe are the "
                                            "mean over the clips where both the "
                                            "recipe and the anchor have a done "
                                            "run"));
        doc = json_pack("{s:o, s:o}", "experiments", arr, "provenance", prov);
        code = cli_json_print(doc);
        goto out;
    }
    if (n == 0) {
        fputs("no experiments in ", stdout);
        cli_puts_sanitized(stdout, cb_store_dir(s));
        fputc('\n', stdout);
        code = CB_EXIT_OK;
        goto out;
    }
    t = cli_table_new(5);
    b = cli_table_new(5);
    if (!t || !b) {
        cli_error("out of memory");
        goto out;
    }
    cli_table_column(t, 0, "EXPERIMENT", CLI_LEFT);
    cli_table_column(t, 1, "ANCHOR", CLI_LEFT);
    cli_table_column(t, 2, "RUNS", CLI_RIGHT);
    cli_table_column(t, 3, "DONE", CLI_RIGHT);
    cli_table_column(t, 4, "CLIPS", CLI_RIGHT);
    cli_table_column(b, 0, "EXPERIMENT", CLI_LEFT);
    cli_table_column(b, 1, "RECIPE", CLI_LEFT);
    cli_table_column(b, 2, "CLIPS", CLI_RIGHT);
    cli_table_column(b, 3, "BD-RATE", CLI_RIGHT);
    cli_table_column(b, 4, "BD-PSNR", CLI_RIGHT);
    for (size_t i = 0; i < n; i++) {
        cli_table_add(t, ex[i].name);
        if (ex[i].anchor_name)
            cli_table_addf(t, "%s (%.12s)", ex[i].anchor_name,
                           ex[i].anchor_hash ? ex[i].anchor_hash : "?");
        else
            cli_table_add(t, "-");
        cli_table_int(t, ex[i].runs, 0);
        cli_table_int(t, ex[i].done, 0);
        cli_table_int(t, ex[i].clips, 0);
        for (size_t k = 0; k < n_bd[i]; k++) {
            const CbRecipeBd *r = &bds[i][k];
            cli_table_add(b, ex[i].name);
            cli_table_add(b, r->recipe_name);
            cli_table_int(b, r->clips, 0);
            if (r->clips > 0) {
                cli_table_addf(b, "%+.2f%%", r->bd_rate);
                cli_table_addf(b, "%+.3f dB", r->bd_psnr);
            } else {
                cli_table_add(b, "-");
                cli_table_add(b, "-");
            }
        }
    }
    cli_table_print(t, stdout, 0);
    if (cli_table_rows(b)) {
        printf("\nBD against the anchor, mean over the clips where both have a done run:\n");
        cli_table_print(b, stdout, 2);
    }
    fputc('\n', stdout);
    cli_print_provenance(stdout, 0);
    code = CB_EXIT_OK;
out:
    json_decref(doc);
    cli_table_free(&t);
    cli_table_free(&b);
    for (size_t i = 0; bds && i < n; i++)
        cb_recipe_bds_free(&bds[i], n_bd[i]);
    free(bds);
    free(n_bd);
    cb_experiment_infos_free(&ex, n);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_experiments = {
    .name = "experiments",
    .args = "[--store DIR] [--json]",
    .summary = "experiments with their anchors and per-recipe mean BD figures",
    .run = run,
    .help = help,
};

/* codecbench anchor EXPERIMENT [RECIPE.json]: an experiment's anchor recipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "codecbench/recipe.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench anchor EXPERIMENT [RECIPE.json] [--store DIR]\n"
          "\n"
          "With RECIPE.json, makes that recipe the experiment's anchor: BD-rate and\n"
          "BD-PSNR of every run of the experiment are then taken against the\n"
          "experiment's done run of this recipe (same recipe hash) on the same clip,\n"
          "and are recomputed now.  The recipe is validated first.  Without it,\n"
          "prints the experiment's anchor.  An anchor may be set before any run (the\n"
          "store is made if there is none yet).\n"
          "\n"
          "Options:\n"
          CLI_HELP_STORE
          "  -h, --help   this text\n",
          out);
}

static int show(CbStore *s, const char *name)
{
    CbError err;
    cb_error_clear(&err);
    CbExperimentInfo *rows = NULL;
    size_t n = 0;
    int code = CB_EXIT_FAIL;
    if (cb_store_experiments(s, &rows, &n, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].name, name) != 0)
            continue;
        fputs("experiment ", stdout);
        cli_puts_sanitized(stdout, name);
        if (rows[i].anchor_name) {
            fputs(": anchor recipe ", stdout);
            cli_puts_sanitized(stdout, rows[i].anchor_name);
            fputs(" (sha256 ", stdout);
            cli_puts_sanitized(stdout, rows[i].anchor_hash ? rows[i].anchor_hash : "?");
            fputs(")\n", stdout);
        } else {
            fputs(": no anchor (set one with 'codecbench anchor EXPERIMENT RECIPE.json')\n",
                  stdout);
        }
        code = CB_EXIT_OK;
        goto out;
    }
    cli_error("no experiment '%s' in %s", name, cb_store_dir(s));
out:
    cb_experiment_infos_free(&rows, n);
    return code;
}

static int run(int argc, char **argv)
{
    CliArgs a = {.min = 1, .max = 2, .arity = "needs an EXPERIMENT and at most one RECIPE.json"};
    int code = cli_parse_args(&cb_cmd_anchor, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    const char *name = argv[a.first];

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    char *text = NULL;
    CbRecipe r = {0};
    code = CB_EXIT_FAIL;
    if (a.n == 1) {
        if (cli_store_open(a.store, CB_STORE_READONLY, &s, &err) < 0) {
            cli_fail(&err);
            goto out;
        }
        code = show(s, name);
        goto out;
    }
    const char *path = argv[a.first + 1];
    char hash[CB_RECIPE_HASH_HEX];
    if (cli_read_recipe(path, &text, &r, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (cb_recipe_hash(&r, hash) < 0) {
        cli_error("%s: cannot hash the recipe (out of memory)", path);
        goto out;
    }
    /* Setting the anchor is a natural first step of an experiment: it may
     * come before any run, so it makes the store. */
    if (cli_store_open(a.store, CB_STORE_CREATE, &s, &err) < 0 ||
        cb_store_set_anchor(s, name, text, path, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    fputs("experiment ", stdout);
    cli_puts_sanitized(stdout, name);
    fputs(": anchor recipe ", stdout);
    cli_puts_sanitized(stdout, r.name);
    printf(" (sha256 %s); BD figures of its runs recomputed\n", hash);
    code = CB_EXIT_OK;
out:
    cb_recipe_free(&r);
    free(text);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_anchor = {
    .name = "anchor",
    .args = "EXPERIMENT [RECIPE.json] [--store DIR]",
    .summary = "set (or show) the anchor recipe of an experiment",
    .run = run,
    .help = help,
};

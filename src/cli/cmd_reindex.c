/* codecbench reindex: rebuilds the store's database from its run directories. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/clistore.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench reindex [--store DIR]\n"
          "\n"
          "Rebuilds the store's database from the run directories (recipes, results,\n"
          "statuses, tags and notes) and the experiments' anchors: a new database is\n"
          "written beside the old one and renamed into place.  A run that never\n"
          "started stays queued, for the runner to take; runs found running or\n"
          "verifying without a result become interrupted.  Results are checked as the\n"
          "runner checks them before an import.  A run directory that cannot be read\n"
          "is named in a warning and skipped, never deleted.  Refused while the\n"
          "store's runner is running.  Prints how many runs were indexed.\n"
          "\n"
          "Options:\n"
          CLI_HELP_STORE
          "  -h, --help   this text\n",
          out);
}

static int run(int argc, char **argv)
{
    CliArgs a = {0};
    int code = cli_parse_args(&cb_cmd_reindex, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    CbError err;
    cb_error_clear(&err);
    int64_t runs = 0;
    char *dir = cli_store_dir(a.store, &err);
    if (!dir || cb_store_reindex(dir, cli_logger(), &runs, &err) < 0) {
        free(dir);
        return cli_fail(&err);
    }
    printf("indexed %lld run%s in ", (long long)runs, runs == 1 ? "" : "s");
    cli_puts_sanitized(stdout, dir);
    fputc('\n', stdout);
    free(dir);
    return CB_EXIT_OK;
}

const CbCommand cb_cmd_reindex = {
    .name = "reindex",
    .args = "[--store DIR]",
    .summary = "rebuild the store's database from its run directories",
    .run = run,
    .help = help,
};

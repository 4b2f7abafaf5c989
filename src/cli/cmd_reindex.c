/* codecbench reindex: rebuilds the store's database from its run directories. */
#include <getopt.h>
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
          "written beside the old one and renamed into place.  Runs found queued or\n"
          "running without a result become interrupted.  A run directory that cannot\n"
          "be read is named in a warning and skipped, never deleted.  Refused while\n"
          "the store's runner is running.  Prints how many runs were indexed.\n"
          "\n"
          "Options:\n"
          "  --store DIR  the store (default: $CODECBENCH_STORE, else\n"
          "               $XDG_DATA_HOME/codecbench)\n"
          "  -h, --help   this text\n",
          out);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *store_dir = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's')
            store_dir = optarg;
        else
            return cli_usage(&cb_cmd_reindex, "unknown option or missing value '%s'",
                             argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage(&cb_cmd_reindex, "unexpected argument '%s'", argv[optind]);
    CbError err;
    cb_error_clear(&err);
    int64_t runs = 0;
    char *dir = cli_store_dir(store_dir, &err);
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

/* codecbench gc: frees the space of deleted runs. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/clistore.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench gc [--store DIR]\n"
          "\n"
          "Removes the store's trash (the directories of runs deleted with 'rm') and\n"
          "any run directory no run of the store refers to, and prints the bytes\n"
          "freed.\n"
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
            return cli_usage(&cb_cmd_gc, "unknown option or missing value '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage(&cb_cmd_gc, "unexpected argument '%s'", argv[optind]);
    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    int64_t bytes = 0;
    int code = CB_EXIT_FAIL;
    if (cli_store_open(store_dir, 0, &s, &err) < 0 || cb_store_gc(s, &bytes, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    printf("freed %lld bytes (%.1f MiB)\n", (long long)bytes, bytes / (1024.0 * 1024.0));
    code = CB_EXIT_OK;
out:
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_gc = {
    .name = "gc",
    .args = "[--store DIR]",
    .summary = "free the space of deleted runs (prints the bytes freed)",
    .run = run,
    .help = help,
};

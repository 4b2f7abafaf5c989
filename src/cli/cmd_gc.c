/* codecbench gc: frees the space of deleted runs. */
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
          CLI_HELP_STORE
          "  -h, --help   this text\n",
          out);
}

static int run(int argc, char **argv)
{
    CliArgs a = {0};
    int code = cli_parse_args(&cb_cmd_gc, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    int64_t bytes = 0;
    code = CB_EXIT_FAIL;
    if (cli_store_open(a.store, 0, &s, &err) < 0 || cb_store_gc(s, &bytes, &err) < 0) {
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

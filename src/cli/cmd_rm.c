/* codecbench rm RUN... [--yes]: deletes runs (their directories go to the
 * store's trash; gc frees the space). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/storeout.h"

/* Ids given at once; more is a script's job (with --yes). */
#define MAX_RUNS 4096

static void help(FILE *out)
{
    fputs("Usage: codecbench rm RUN... [--yes] [--store DIR]\n"
          "\n"
          "Deletes runs: their rows leave the store and their directories move to\n"
          "the store's trash, whose space 'codecbench gc' frees.  A running run is\n"
          "refused (cancel it first).  On a terminal, each deletion is asked for:\n"
          "\"delete run 12 (x264-medium on foreman.y4m)? [y/N]\"; without a terminal\n"
          "nothing is deleted unless --yes is given.\n"
          "\n"
          "Options:\n"
          "  -y, --yes    delete without asking\n"
          "  --store DIR  the store (default: $CODECBENCH_STORE, else\n"
          "               $XDG_DATA_HOME/codecbench)\n"
          "  -h, --help   this text\n",
          out);
}

/* Asks on the terminal; 1 for yes. */
static int confirm(const CbRunInfo *r)
{
    fprintf(stderr, "delete run %lld (", (long long)r->id);
    cli_puts_sanitized(stderr, r->recipe_name ? r->recipe_name : "?");
    fputs(" on ", stderr);
    cli_puts_sanitized(stderr, cli_basename(r->input));
    fputs(")? [y/N] ", stderr);
    fflush(stderr);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return (line[0] == 'y' || line[0] == 'Y') &&
           (line[1] == '\n' || line[1] == '\0' || !strncmp(line + 1, "es", 2));
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"yes", no_argument, NULL, 'y'},
        {NULL, 0, NULL, 0},
    };
    const char *store_dir = NULL;
    int yes = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "y", longopts, NULL)) != -1) {
        if (c == 's')
            store_dir = optarg;
        else if (c == 'y')
            yes = 1;
        else
            return cli_usage(&cb_cmd_rm, "unknown option or missing value '%s'", argv[optind - 1]);
    }
    if (argc - optind < 1)
        return cli_usage(&cb_cmd_rm, "needs one or more RUNs");
    if (argc - optind > MAX_RUNS)
        return cli_usage(&cb_cmd_rm, "at most %d runs at once", MAX_RUNS);
    for (int i = optind; i < argc; i++)
        if (cli_parse_run_id(argv[i]) < 0)
            return cli_usage(&cb_cmd_rm, "'%s' is not a run id", argv[i]);
    if (!yes && !isatty(STDIN_FILENO)) {
        cli_error("refusing to delete without --yes: standard input is not a terminal to ask "
                  "on");
        return CB_EXIT_FAIL;
    }

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    int code = CB_EXIT_OK;
    if (cli_store_open(store_dir, 0, &s, &err) < 0) {
        cli_fail(&err);
        return CB_EXIT_FAIL;
    }
    for (int i = optind; i < argc; i++) {
        int64_t id = cli_parse_run_id(argv[i]);
        CbRunInfo info = {0};
        if (cb_store_get_run(s, id, &info, &err) < 0) {
            cli_fail(&err);
            code = CB_EXIT_FAIL;
            continue;
        }
        int go = yes || confirm(&info);
        cb_run_info_free(&info);
        if (!go) {
            printf("run %lld kept\n", (long long)id);
            continue;
        }
        if (cb_store_delete_run(s, id, &err) < 0) {
            cli_fail(&err);
            code = CB_EXIT_FAIL;
            continue;
        }
        printf("run %lld deleted\n", (long long)id);
    }
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_rm = {
    .name = "rm",
    .args = "RUN... [--yes] [--store DIR]",
    .summary = "delete runs (asks on a terminal unless --yes)",
    .run = run,
    .help = help,
};

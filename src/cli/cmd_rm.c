/* codecbench rm RUN... [--yes]: deletes runs (their directories go to the
 * store's trash; gc frees the space). */
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
          CLI_HELP_STORE
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
    int yes = 0;
    const CliOpt opts[] = {{.name = "yes", .letter = 'y', .flag = &yes, .value = 1}, {0}};
    CliArgs a = {.opts = opts, .min = 1, .max = -1, .arity = "needs one or more RUNs",
                 .all_run_ids = 1};
    int code = cli_parse_args(&cb_cmd_rm, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    if (a.n > MAX_RUNS)
        return cli_usage(&cb_cmd_rm, "at most %d runs at once", MAX_RUNS);
    if (!yes && !isatty(STDIN_FILENO)) {
        cli_error("refusing to delete without --yes: standard input is not a terminal to ask "
                  "on");
        return CB_EXIT_FAIL;
    }

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    if (cli_store_open(a.store, 0, &s, &err) < 0) {
        cli_fail(&err);
        return CB_EXIT_FAIL;
    }
    for (int i = a.first; i < argc; i++) {
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

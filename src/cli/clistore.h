/* codecbench: opening the store from the command line, and the command
 * line of the commands that use one (list, show, cancel, logs, ...):
 * --store, --json, their switches, list's filters, run ids. */
#ifndef CODECBENCH_CLI_CLISTORE_H
#define CODECBENCH_CLI_CLISTORE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/store.h"

struct CbCommand;

/* The --store line of a store command's --help (options in a column of
 * width 13), naming where the store is looked for as cli_store_dir does. */
#define CLI_HELP_STORE                                                                             \
    "  --store DIR  the store (default: $CODECBENCH_STORE, the config's\n"                         \
    "               'store', else $XDG_DATA_HOME/codecbench)\n"

/* The store directory a command uses: flag (--store DIR) when not NULL,
 * else the configuration's 'store' when not empty ($CODECBENCH_STORE, then
 * the config file's 'set store'), else cb_store_default_dir()
 * ($XDG_DATA_HOME/codecbench, $HOME/.local/share/codecbench).  A new string
 * (free()); NULL with err set when out of memory or no directory can be
 * found (no HOME). */
char *cli_store_dir(const char *flag, CbError *err);

/* Opens the store found by cli_store_dir with cb_store_open's flags
 * (CB_STORE_READONLY for commands that only read, CB_STORE_CREATE for those
 * that queue).  On failure err names the directory and the reason, and a
 * missing store says how one is made. */
int cli_store_open(const char *flag, int flags, CbStore **out, CbError *err);

/* Parses a run id ("12"; a leading '#' is accepted): > 0, or -1 when s is
 * not one. */
int64_t cli_parse_run_id(const char *s);

/* Parses s as a run id of cmd's command line into *id: CB_EXIT_OK, or
 * CB_EXIT_USAGE after "'s' is not a run id" (cli_usage). */
int cli_run_id_arg(const struct CbCommand *cmd, const char *s, int64_t *id);

/* One option of a command, besides --store: --NAME, and -LETTER too when
 * letter is not 0.  A switch sets *flag to value; an option with a value
 * (text not NULL) stores it in *text (borrowed from argv; the last one
 * given wins). */
typedef struct CliOpt {
    const char *name;
    int letter;
    int *flag;
    int value;
    const char **text;
} CliOpt;

/* A command's command line: what it takes (set by the caller), and what
 * cli_parse_args found there. */
typedef struct CliArgs {
    const CliOpt *opts;    /* ended by a NULL name; may be NULL */
    int *json;             /* not NULL: takes --json, which sets *json to 1 */
    CbRunFilter *filter;   /* not NULL: list's filter options too (--experiment,
                            * --status, --codec, --tag, --sort, --desc/--reverse,
                            * --limit), into *filter */
    const char *no_status; /* with filter: --status is refused with this usage
                            * message (a command of done runs only) */
    int min, max;          /* how many operands (max < 0: any number) */
    const char *arity;     /* the usage message when there are fewer or more
                            * (with max == 0: "unexpected argument 'X'") */
    int64_t *run_id;       /* not NULL: the first operand is a run id, into *run_id */
    int all_run_ids;       /* every operand is a run id (cli_parse_run_id reads them) */

    const char *store; /* found: --store DIR, NULL when not given */
    int first;         /* found: argv[first] is the first operand */
    int n;             /* found: how many operands */
} CliArgs;

/* Parses cmd's command line (argv[0] is the command's name) as a says:
 * --store DIR, a's options, the operands.  Returns CB_EXIT_OK, or
 * CB_EXIT_USAGE after printing the error as cli_usage does ("unknown option
 * or missing value 'X'", a bad filter value, a->arity, "'X' is not a run
 * id"). */
int cli_parse_args(const struct CbCommand *cmd, int argc, char **argv, CliArgs *a);

/* Opens the store (read-only) and lists the runs f selects: an unknown
 * --sort column is a usage error of cmd.  Returns CB_EXIT_OK, or the exit
 * code after printing the error.  The caller closes *s and frees *rows
 * (cb_run_infos_free) in either case. */
int cli_list_runs(const struct CbCommand *cmd, const char *store_flag, const CbRunFilter *f,
                  CbStore **s, CbRunInfo **rows, size_t *n);

#endif

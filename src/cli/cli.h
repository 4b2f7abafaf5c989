/* codecbench: the command-line front end (one file per subcommand). */
#ifndef CODECBENCH_CLI_H
#define CODECBENCH_CLI_H

#include <stdio.h>

#include "codecbench/error.h"
#include "codecbench/log.h"

/* Exit codes, documented in man/codecbench.1. */
enum {
    CB_EXIT_OK = 0,
    CB_EXIT_FAIL = 1,   /* the work failed: bad input, unreadable file, ... */
    CB_EXIT_USAGE = 2,  /* the command line was wrong */
};

typedef struct CbCommand {
    const char *name;
    const char *args;     /* synopsis after the name */
    const char *summary;  /* one line for `codecbench --help` */
    int (*run)(int argc, char **argv);  /* argv[0] is the command's name */
    void (*help)(FILE *out);
} CbCommand;

/* The subcommands, each defined in its cmd_*.c. */
extern const CbCommand cb_cmd_probe;
extern const CbCommand cb_cmd_metrics;
extern const CbCommand cb_cmd_bdrate;
extern const CbCommand cb_cmd_survey;
extern const CbCommand cb_cmd_demo;
extern const CbCommand cb_cmd_dashboard;
extern const CbCommand cb_cmd_recipe;
extern const CbCommand cb_cmd_encode;
extern const CbCommand cb_cmd_decode;
extern const CbCommand cb_cmd_runner;
extern const CbCommand cb_cmd_run;
extern const CbCommand cb_cmd_rerun;
extern const CbCommand cb_cmd_cancel;
extern const CbCommand cb_cmd_logs;
extern const CbCommand cb_cmd_worker;
extern const CbCommand cb_cmd_verify;
extern const CbCommand cb_cmd_frames;
/* The sandboxed stage host (src/stage/host.c). */
extern const CbCommand cb_cmd_stagehost;
extern const CbCommand cb_cmd_config;
extern const CbCommand cb_cmd_llm;
extern const CbCommand cb_cmd_propose;
extern const CbCommand cb_cmd_evolve;
/* The store's commands (cli/clistore.h opens the store). */
extern const CbCommand cb_cmd_list;
extern const CbCommand cb_cmd_show;
extern const CbCommand cb_cmd_compare;
extern const CbCommand cb_cmd_export;
extern const CbCommand cb_cmd_tag;
extern const CbCommand cb_cmd_note;
extern const CbCommand cb_cmd_lineage;
extern const CbCommand cb_cmd_anchor;
extern const CbCommand cb_cmd_rm;
extern const CbCommand cb_cmd_gc;
extern const CbCommand cb_cmd_reindex;
extern const CbCommand cb_cmd_experiments;
/* Frame previews (src/preview through the frame server). */
extern const CbCommand cb_cmd_preview;
/* Stages (include/codecbench/stage.h): check, show, embed. */
extern const CbCommand cb_cmd_stage;

/* Prints "codecbench: " and a sanitised, printf-style message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "codecbench: warning: " and a sanitised message to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints err's text (sanitised) with cli_error and returns CB_EXIT_FAIL. */
int cli_fail(const CbError *err);
/* Writes s to out through the sanitiser. */
void cli_puts_sanitized(FILE *out, const char *s);
/* Writes s sanitised, wrapped at spaces to lines of at most width columns
 * (a longer word stands alone), each ended by a newline. */
void cli_puts_wrapped(FILE *out, const char *s, int width);
/* A logger that prints warnings and errors to stderr, sanitised. */
const CbLogger *cli_logger(void);
/* Usage error for cmd: prints the message and a pointer to --help. */
int cli_usage(const CbCommand *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads and validates a recipe file (at most CB_RECIPE_MAX_BYTES); err
 * names the file and the reason.  Free *r with cb_recipe_free(). */
struct CbRecipe;
int cli_load_recipe(const char *path, struct CbRecipe *r, CbError *err);
/* Reads a recipe file (at most CB_RECIPE_MAX_BYTES) into *text, a new
 * string (free()).  With r, validates it into r too (free with
 * cb_recipe_free(), also on failure); without, refuses only a NUL byte
 * (the text goes on as a C string and is validated where it is used).  err
 * names the file and the reason. */
int cli_read_recipe(const char *path, char **text, struct CbRecipe *r, CbError *err);
/* Fills the runner's options from the configuration (file, environment). */
struct CbRunnerOptions;
void cli_config_runner(struct CbRunnerOptions *o);
/* The command line and set-up worker and verify share: takes RUN_DIR alone,
 * scrubs the environment (cb_worker_scrub_env), reopens stdin from
 * /dev/null, then runs job (cb_worker_run, cb_verify_run) on RUN_DIR.
 * Returns the exit code, having printed any error. */
int cli_run_dir_job(const CbCommand *cmd, int argc, char **argv,
                    int (*job)(const char *run_dir, const CbLogger *logger, CbError *err));
/* Parses a non-negative integer option value; -1 on failure. */
long long cli_parse_count(const char *s);
/* Parses the value of cmd's option name ("--frames") as a whole number >=
 * min into *out: CB_EXIT_OK, or CB_EXIT_USAGE after "--frames needs a
 * whole number >= 1, not 'VALUE'". */
int cli_count_arg(const CbCommand *cmd, const char *name, const char *value, long long min,
                  long long *out);

/* The configuration (src/cli/cliconfig.c). */
struct CbConfig;
/* Builds a configuration: the built-in defaults, then file (which must
 * exist) or, when file is NULL and with_env is set, the user's config file
 * (a missing one is fine), then with_env the CODECBENCH_* variables.
 * with_env == 0 and file == NULL: the defaults alone.  *path (may be NULL)
 * receives the file considered (new string, NULL if none), *found (may be
 * NULL) whether it was read.  Free *out with cb_config_free(). */
int cli_config_load(const char *file, int with_env, struct CbConfig **out, char **path,
                    int *found, CbError *err);
/* The configuration of this process, loaded on first use (defaults, user
 * file, environment).  An error in the user's config file is fatal: the
 * message names file:line and the process exits with status 1. */
const struct CbConfig *cli_config(void);
/* Applies a command-line flag to cli_config(): CB_EXIT_OK, or CB_EXIT_USAGE
 * after printing the error naming flag (e.g. "--workers"). */
int cli_config_flag(const char *name, const char *value, const char *flag);

#endif

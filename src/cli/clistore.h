/* codecbench: opening the store from the command line, shared by every
 * command that uses one (list, show, run, cancel, logs, ...). */
#ifndef CODECBENCH_CLI_CLISTORE_H
#define CODECBENCH_CLI_CLISTORE_H

#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/store.h"

/* The store directory a command uses: flag (--store DIR) when not NULL,
 * else $CODECBENCH_STORE when set and not empty, else cb_store_default_dir()
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

#endif

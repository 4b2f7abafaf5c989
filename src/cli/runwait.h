/* codecbench CLI: following a run's events and waiting for it to end
 * (run, rerun, logs -f). */
#ifndef CODECBENCH_CLI_RUNWAIT_H
#define CODECBENCH_CLI_RUNWAIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codecbench/store.h"

/* Prints run id's events to out as they come (progress as an updating
 * status line on a terminal, else not at all) until the run reaches a final
 * state; keeps a runner up while it is queued.  *final gets its status.
 * Returns 0 or an error (store unreadable). */
int cli_follow_run(CbStore *s, int64_t id, FILE *out, CbRunStatus *final, CbError *err);

#endif

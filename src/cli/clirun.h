/* codecbench CLI: queueing a run and waiting for it (run, rerun, demo). */
#ifndef CODECBENCH_CLI_CLIRUN_H
#define CODECBENCH_CLI_CLIRUN_H

#include <stdint.h>

#include "codecbench/runner.h"
#include "codecbench/store.h"

/* The runner options the configuration gives (workers, limits, idle exit,
 * polling): config file, CODECBENCH_* environment, defaults. */
void cli_runner_options(CbRunnerOptions *o);

/* Makes sure the store's runner is up, passing the configured options. */
int cli_runner_ensure(CbStore *s, CbError *err);

/* Queues req, starts a runner if none is up, and unless detach follows the
 * run to its end (events on stderr), then shows it ('show', or 'show
 * --json' with json).  Prints the new run's id first ("run 12 queued").
 * Returns the exit code: 0 when the run is done (or queued with detach). */
int cli_queue_and_wait(CbStore *s, const CbRunRequest *req, int detach, int json);

#endif

/* codecbench runner: what its files share. */
#ifndef CODECBENCH_RUNNER_INT_H
#define CODECBENCH_RUNNER_INT_H

#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/runner.h"

/* Takes STORE/runner.lock (exclusive, non-blocking) and writes our pid in
 * it: 0 with *fd set, CB_EBUSY when another runner holds it, CB_EIO. */
int runner_lock_take(const char *store_dir, int *fd, CbError *err);
/* Releases the lock and closes *fd (set to -1). */
void runner_lock_release(int *fd);


/* ---- The evolve loop (src/runner/evolve.c, codecbench/evolve.h) ---------- */

#include <sys/types.h>

#include "codecbench/log.h"
#include "codecbench/store.h"

typedef struct RunnerEvolve RunnerEvolve;

/* The evolve driver of a runner: exe is the binary its round processes
 * run (borrowed, outlives it).  0 or CB_ENOMEM. */
int runner_evolve_new(RunnerEvolve **out, const char *store_dir, const char *exe,
                      const CbLogger *logger, CbError *err);
/* One look at the store's evolves: their interrupted runs queued again, a
 * round process started for one whose last generation has ended.  Returns
 * 1 while an evolve is running or a round process is up (the runner then
 * stays), else 0. */
int runner_evolve_tick(RunnerEvolve *e, CbStore *store);
/* A child the runner reaped: 1 when it was the round process (its end is
 * recorded), 0 when not ours. */
int runner_evolve_reaped(RunnerEvolve *e, pid_t pid, int status);
/* SIGTERM to the round process, if any; it is reaped by the caller's loop
 * (runner_evolve_reaped).  Returns 1 while one is up. */
int runner_evolve_stop(RunnerEvolve *e);
void runner_evolve_free(RunnerEvolve **e);

#endif

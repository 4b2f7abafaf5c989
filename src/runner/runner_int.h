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

#endif

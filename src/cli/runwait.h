/* codecbench CLI: following a run's events and waiting for it to end
 * (run, rerun, logs -f). */
#ifndef CODECBENCH_CLI_RUNWAIT_H
#define CODECBENCH_CLI_RUNWAIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codecbench/store.h"

/* One events.jsonl line (untrusted) as one line of text for people:
 * "12:00:03 point 2 (qp 32): 10411 bytes, 412.3 kbps, 24.1 fps".  Writes a
 * NUL-terminated, sanitised string of at most n bytes into buf; returns 0,
 * or -1 for a progress event (callers show those on a status line only). */
int cli_event_text(const char *line, size_t len, char *buf, size_t n);

/* Prints run id's events to out as they come (progress as an updating
 * status line on a terminal, else not at all) until the run reaches a final
 * state; keeps a runner up while it is queued.  *final gets its status.
 * Returns 0 or an error (store unreadable). */
int cli_follow_run(CbStore *s, int64_t id, FILE *out, CbRunStatus *final, CbError *err);

#endif

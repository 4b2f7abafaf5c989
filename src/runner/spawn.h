/* codecbench runner: starting a worker or verification process. */
#ifndef CODECBENCH_RUNNER_SPAWN_H
#define CODECBENCH_RUNNER_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

#include "codecbench/error.h"

typedef struct SpawnSpec {
    const char *exe;             /* binary to exec */
    const char *const *argv;     /* NULL-terminated */
    const char *log_path;        /* stdout and stderr are appended here */
    int64_t memory_limit_mib;    /* RLIMIT_DATA; 0: none */
    int concurrency;             /* CODECBENCH_CONCURRENCY for the child */
    int whole_env;               /* 1: the runner's whole environment (the evolve
                                    round process, which needs the LLM's key);
                                    0: the allow-list (workers) */
} SpawnSpec;

/* Starts the process: its own process group, stdin /dev/null, output to the
 * log, an environment from the allow-list (spawn_env_allowed), the memory
 * limit, and PR_SET_PDEATHSIG(SIGKILL) so it dies with the runner. */
int spawn_process(const SpawnSpec *s, pid_t *pid, CbError *err);

/* 0 in an AddressSanitizer build, where no RLIMIT_DATA leaves room for the
 * sanitizer's shadow memory: workers then run without the memory limit. */
int spawn_memory_limit_works(void);

/* 1 when an environment variable (its NAME=value) passes to workers. */
int spawn_env_allowed(const char *entry);

/* The last `lines` non-empty lines of path joined with " | ", at most
 * max_bytes; a new string, or NULL (no file, nothing in it, no memory). */
char *spawn_log_tail(const char *path, int lines, size_t max_bytes);

/* "killed by SIGSEGV (Segmentation fault)" / "exited with status 3" for a
 * wait status; writes at most n bytes of text into buf. */
void spawn_describe_status(int status, char *buf, size_t n);

#endif

/* codecbench: the files of a run directory as the worker and verification
 * read and write them: JSON writes (over codecbench/jsonfile.h),
 * events.jsonl, run.json, typed field access with errors naming the file
 * and the key.  Private to src/worker/. */
#ifndef CODECBENCH_WORKER_RUNFILES_H
#define CODECBENCH_WORKER_RUNFILES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/jsonfile.h"
#include "codecbench/log.h"
#include "codecbench/recipe.h"

/* cb_json_write_file (codecbench/jsonfile.h) with reals of 17 significant
 * digits, ASCII only; flags are jansson's (JSON_COMPACT or JSON_INDENT(n)).
 * JSON files are read with cb_json_read_object. */
int rf_write_json(const char *path, const json_t *j, size_t flags, CbError *err);

/* A JSON string of s with invalid UTF-8 bytes replaced by '?', cut to at
 * most max bytes on a character boundary; a new reference, NULL when out of
 * memory. */
json_t *rf_json_text(const char *s, size_t max);

/* Typed members of obj (file names the file in errors): CB_EFORMAT when
 * missing or of the wrong type, CB_EINVAL when out of [min, max]. */
int rf_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
               const char *file, CbError *err);
int rf_get_real(const json_t *obj, const char *key, double min, double max, double *out,
                const char *file, CbError *err);
/* *out borrowed from obj; at most max_len bytes, no NUL inside. */
int rf_get_str(const json_t *obj, const char *key, size_t max_len, const char **out,
               const char *file, CbError *err);

/* ---- run.json -------------------------------------------------------------- */

typedef struct RfRun {
    int64_t id;
    char *experiment;   /* owned */
    char *input;        /* owned, absolute */
    int64_t first_frame;
    int64_t frames;     /* > 0, or -1: to the end */
} RfRun;

int rf_run_read(const char *run_dir, RfRun *out, CbError *err);
void rf_run_free(RfRun *r);

/* Reads and validates run_dir/recipe.json; hash gets its hash. */
int rf_recipe_read(const char *run_dir, CbRecipe *out, char hash[CB_RECIPE_HASH_HEX],
                   CbError *err);

/* The name of the stream of rate point rate in a run of recipe r (qp27.cbv,
 * crf23.ivf, qp22.h264, ...): the worker writes it, verification and the
 * frame server read it; a name from a file is never used as a path as it
 * is.  Writes at most size bytes into buf; 0, or CB_EINVAL (an encoder with
 * no stream format, or buf too small). */
int rf_stream_name(const CbRecipe *r, int rate, char *buf, size_t size, CbError *err);

/* ---- events.jsonl ---------------------------------------------------------- */

typedef struct RfEvents {
    int fd;                  /* O_APPEND, or -1 */
    const CbLogger *logger;  /* also receives "log" events' text */
} RfEvents;

/* Opens (creating) run_dir/events.jsonl for appending. */
int rf_events_open(RfEvents *ev, const char *run_dir, const CbLogger *logger, CbError *err);
/* What the worker and verification do first: checks that run_dir is a
 * directory (CB_ENOENT, CB_EIO, CB_EINVAL naming it), opens its events.jsonl
 * and makes *log a logger of ev (INFO and above).  log must live as long as
 * ev, which it points to. */
int rf_events_start(RfEvents *ev, CbLogger *log, const char *run_dir, const CbLogger *logger,
                    CbError *err);
void rf_events_close(RfEvents *ev);
/* An "error" event of stage ("worker", "verify") with err's text, or
 * rc's when err is NULL. */
void rf_event_error(RfEvents *ev, const char *stage, int rc, const CbError *err);
/* Appends {"t":now,"event":name, ...fields} as one line with one write().
 * fields (may be NULL) is stolen.  Returns 0 or CB_EIO / CB_ENOMEM. */
int rf_event(RfEvents *ev, const char *name, json_t *fields);
/* A "log" event, also sent to ev->logger. */
void rf_log(RfEvents *ev, CbLogLevel level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A logger whose messages become "log" events of ev (opaque = ev). */
CbLogger rf_events_logger(RfEvents *ev, CbLogLevel max_level);

/* ---- clocks and the machine ------------------------------------------------ */

double rf_cpu_seconds(void);   /* CLOCK_PROCESS_CPUTIME_ID */
double rf_wall_seconds(void);  /* CLOCK_MONOTONIC */
double rf_unix_time(void);     /* CLOCK_REALTIME */

/* {"hostname":..,"cpu":..,"cores":N}: new reference or NULL. */
json_t *rf_machine(void);

#endif

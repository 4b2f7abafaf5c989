/* codecbench logs: a run's events, and its processes' output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/runwait.h"
#include "codecbench/buf.h"
#include "codecbench/fsutil.h"
#include "codecbench/runner.h"
#include "codecbench/sanitize.h"

/* Largest log.txt shown whole; a longer one shows its last bytes. */
#define LOGS_STDERR_MAX (4 * 1024 * 1024)

static void help(FILE *out)
{
    fputs("Usage: codecbench logs RUN [-f] [--raw] [--stderr] [--store DIR]\n"
          "\n"
          "Prints a run's events (events.jsonl: start, clip, each rate point encoded,\n"
          "verification, log lines, errors) as text, one line each.\n"
          "\n"
          "Options:\n"
          "  -f, --follow  keep printing as the run goes, until it ends\n"
          "  --raw         the events as stored (JSON lines, sanitised)\n"
          "  --stderr      the worker's and verification's own output (log.txt)\n"
          "  --store DIR   the store\n"
          "  -h, --help    this text\n",
          out);
}

typedef struct Printer {
    FILE *out;
    int raw; /* the JSON lines as stored */
} Printer;

static void on_line(void *opaque, const char *line, size_t len)
{
    const Printer *p = opaque;
    FILE *out = p->out;
    if (p->raw) {
        CbBuf b;
        cb_buf_init(&b, 4 * len + 16);
        if (cb_sanitize_append(&b, line, len, 0) == 0)
            fprintf(out, "%s\n", b.data ? b.data : "");
        cb_buf_free(&b);
        return;
    }
    char text[1024];
    if (cb_event_text(line, len, text, sizeof(text)) == 0)
        fprintf(out, "%s\n", text);
}

static int show_stderr(const char *dir, CbError *err)
{
    char *path = cb_path_join(dir, "log.txt");
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    CbBuf b;
    cb_buf_init(&b, LOGS_STDERR_MAX);
    int rc = cb_buf_read_file(&b, path, err);
    if (rc == CB_ELIMIT)
        rc = cb_error_set(err, CB_ELIMIT, "%s: larger than %d MiB; read it with a pager", path,
                          LOGS_STDERR_MAX >> 20);
    if (rc == 0 && b.len) {
        CbBuf clean;
        cb_buf_init(&clean, 4 * b.len + 16);
        if ((rc = cb_sanitize_append(&clean, b.data, b.len, CB_SANITIZE_NEWLINES)) == 0)
            fputs(clean.data, stdout);
        cb_buf_free(&clean);
    }
    cb_buf_free(&b);
    free(path);
    return rc;
}

static int run(int argc, char **argv)
{
    int64_t id;
    int follow = 0, use_stderr = 0;
    Printer printer = { stdout, 0 };
    const CliOpt opts[] = {
        {.name = "follow", .letter = 'f', .flag = &follow, .value = 1},
        {.name = "raw", .flag = &printer.raw, .value = 1},
        {.name = "stderr", .flag = &use_stderr, .value = 1},
        {0},
    };
    CliArgs a = {.opts = opts, .min = 1, .max = 1, .arity = "needs one run id", .run_id = &id};
    int rc = cli_parse_args(&cb_cmd_logs, argc, argv, &a);
    if (rc != CB_EXIT_OK)
        return rc;
    CbError err = { 0 };
    CbStore *store = NULL;
    CbRunInfo info = { 0 };
    char *dir = NULL;
    if (cli_store_open(a.store, CB_STORE_READONLY, &store, &err) < 0 ||
        cb_store_get_run(store, id, &info, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    dir = cb_store_run_dir(store, id);
    if (!dir) {
        cli_error("out of memory");
        rc = CB_EXIT_FAIL;
        goto done;
    }
    if (use_stderr) {
        if (show_stderr(dir, &err) < 0)
            rc = cli_fail(&err);
        goto done;
    }
    if (follow) {
        CbRunStatus st;
        if (cli_follow_run(store, id, stdout, &st, &err) < 0)
            rc = cli_fail(&err);
        else
            printf("run %lld: %s\n", (long long)id, cb_run_status_name(st));
        goto done;
    }
    char *path = cb_path_join(dir, "events.jsonl");
    CbFollow *f = NULL;
    if (!path) {
        cli_error("out of memory");
        rc = CB_EXIT_FAIL;
        goto done;
    }
    if (cb_follow_open(&f, path, &err) < 0 || cb_follow_read(f, on_line, &printer, &err) < 0)
        rc = cli_fail(&err);
    cb_follow_close(&f);
    free(path);
done:
    free(dir);
    cb_run_info_free(&info);
    cb_store_close(&store);
    return rc;
}

const CbCommand cb_cmd_logs = {
    "logs", "RUN [-f] [--raw] [--stderr]", "a run's events and log lines (-f: follow)", run,
    help,
};

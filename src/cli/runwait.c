/* Following a run: events.jsonl through CbFollow (inotify plus a timer),
 * the run's status from the store. */
#include "cli/runwait.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codecbench/fsutil.h"
#include "codecbench/runner.h"

/* How often the store is asked for the run's status, and the events file
 * read when inotify says nothing (network file systems), in ms.  The runner
 * writes status.json inside the transaction that ends a run, so the wake-up
 * inotify gives may come just before the commit: a short tick keeps the
 * command from waiting long after its run has ended (one indexed query). */
#define FOLLOW_TICK_MS 100

typedef struct FollowCtx {
    FILE *out;
    int tty;
    int status_shown; /* a progress line is on screen */
} FollowCtx;

static void clear_status(FollowCtx *c)
{
    if (c->status_shown) {
        fputs("\r\033[K", c->out); /* CR, then EL (ECMA-48 8.3.41): erase the status line */
        c->status_shown = 0;
    }
}

static void on_line(void *opaque, const char *line, size_t len)
{
    FollowCtx *c = opaque;
    char text[1024];
    if (cb_event_text(line, len, text, sizeof(text)) == 1) {
        if (c->tty) {
            clear_status(c);
            fprintf(c->out, "%.*s", 200, text);
            c->status_shown = 1;
            fflush(c->out);
        }
        return;
    }
    clear_status(c);
    fprintf(c->out, "%s\n", text);
    fflush(c->out);
}

static int is_final(CbRunStatus st)
{
    return st == CB_RUN_DONE || st == CB_RUN_FAILED || st == CB_RUN_CANCELLED ||
           st == CB_RUN_INTERRUPTED;
}

int cli_follow_run(CbStore *s, int64_t id, FILE *out, CbRunStatus *final, CbError *err)
{
    char *dir = cb_store_run_dir(s, id);
    char *path = dir ? cb_path_join(dir, "events.jsonl") : NULL;
    free(dir);
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    CbFollow *f = NULL;
    int rc = cb_follow_open(&f, path, err);
    free(path);
    if (rc < 0)
        return rc;
    FollowCtx ctx = { .out = out, .tty = isatty(fileno(out)) };
    for (;;) {
        if ((rc = cb_follow_read(f, on_line, &ctx, err)) < 0)
            break;
        CbRunInfo info = { 0 };
        if ((rc = cb_store_get_run(s, id, &info, err)) < 0)
            break;
        CbRunStatus st = info.status;
        cb_run_info_free(&info);
        if (is_final(st)) {
            /* The last lines may have landed just before the status. */
            rc = cb_follow_read(f, on_line, &ctx, err);
            *final = st;
            break;
        }
        if (st == CB_RUN_QUEUED && cb_runner_pid(cb_store_dir(s)) == 0 &&
            (rc = cb_runner_ensure(cb_store_dir(s), NULL, NULL, err)) < 0)
            break;
        struct pollfd p = { .fd = cb_follow_fd(f), .events = POLLIN };
        poll(&p, p.fd >= 0 ? 1 : 0, FOLLOW_TICK_MS);
    }
    clear_status(&ctx);
    cb_follow_close(&f);
    return rc;
}

/* codecbench: the dashboard benchmark's helper (bench/tui runs it).
 *
 *   tui_gen running DIR PID   queues a run in the store DIR and marks it
 *                             running with PID as its process, so that the
 *                             dashboard shows it live and follows its files;
 *                             prints "ID RUN_DIR"
 *
 * SYNTHETIC DATA: the run is made up for timing (recipe "synthetic-flood",
 * an input file that only names itself); no worker ever codes it.  The
 * benchmark's writer process (PID) appends its log lines, and the run stays
 * "running" in that copy of the store: bench/tui copies the store afresh each
 * time.  Through the public API only, as a runner would do it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/store.h"

static int running(const char *dir, int64_t pid)
{
    CbError err;
    CbStore *s = NULL;
    char *run_dir = NULL;
    char input[4096];
    int64_t id = 0;
    int rc = 1;

    cb_error_clear(&err);
    int n = snprintf(input, sizeof input, "%s.flood-input.y4m", dir);
    if (n < 0 || (size_t)n >= sizeof input) {
        fprintf(stderr, "tui_gen: store path too long\n");
        return 1;
    }
    FILE *fp = fopen(input, "w");
    if (!fp || fputs("synthetic input for bench/tui (never read)\n", fp) < 0 || fclose(fp) != 0) {
        fprintf(stderr, "tui_gen: %s: %s\n", input, strerror(errno));
        return 1;
    }
    CbRunRequest req = {.experiment = "synthetic-0",
                        .recipe_json = "{\"name\": \"synthetic-flood\", \"codec\": \"engine\"}",
                        .input = input,
                        .frames = 25,
                        .origin = "user"};
    if (cb_store_open(&s, dir, 0, &err) < 0 || cb_store_queue_run(s, &req, &id, &err) < 0 ||
        cb_store_set_status(s, id, CB_RUN_RUNNING, NULL, pid, &err) < 0)
        goto fail;
    run_dir = cb_store_run_dir(s, id);
    if (!run_dir) {
        fprintf(stderr, "tui_gen: out of memory\n");
        goto out;
    }
    printf("%" PRId64 " %s\n", id, run_dir);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "tui_gen: %s\n", err.text);
out:
    free(run_dir);
    cb_store_close(&s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "running")) {
        char *end;
        errno = 0;
        long long pid = strtoll(argv[3], &end, 10);
        if (errno || *end || pid < 1 || pid > INT32_MAX) {
            fprintf(stderr, "tui_gen: PID must be a process id, not '%s'\n", argv[3]);
            return 2;
        }
        return running(argv[2], (int64_t)pid);
    }
    fprintf(stderr, "usage: tui_gen running DIR PID\n");
    return 2;
}

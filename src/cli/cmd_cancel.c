/* codecbench cancel: stop queued or running runs. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "cli/clistore.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench cancel RUN... [--store DIR]\n"
          "\n"
          "Cancels runs: a queued run is cancelled at once; a running one is flagged,\n"
          "and the runner sends its worker (or verification) SIGTERM, then SIGKILL\n"
          "after the grace period ('set cancel_grace' in the config), and marks it\n"
          "cancelled.  Runs that have ended are left as they are (exit status 1).\n"
          "\n"
          "Options:\n"
          CLI_HELP_STORE
          "  -h, --help   this text\n",
          out);
}

static int run(int argc, char **argv)
{
    CliArgs a = {.min = 1, .max = -1, .arity = "needs at least one run id", .all_run_ids = 1};
    int rc = cli_parse_args(&cb_cmd_cancel, argc, argv, &a);
    if (rc != CB_EXIT_OK)
        return rc;
    CbError err = { 0 };
    CbStore *store = NULL;
    if (cli_store_open(a.store, 0, &store, &err) < 0)
        return cli_fail(&err);
    int flagged = 0;
    for (int i = a.first; i < argc; i++) {
        int64_t id = cli_parse_run_id(argv[i]);
        CbRunInfo info = { 0 };
        if (cb_store_request_cancel(store, id, &err) < 0 ||
            cb_store_get_run(store, id, &info, &err) < 0) {
            rc = cli_fail(&err);
            continue;
        }
        if (info.status == CB_RUN_CANCELLED) {
            printf("run %lld: cancelled\n", (long long)id);
        } else {
            printf("run %lld: cancel requested (%s)\n", (long long)id,
                   cb_run_status_name(info.status));
            flagged = 1;
        }
        cb_run_info_free(&info);
    }
    /* A run flagged while no runner is up: a runner acts on it (or finds
     * it interrupted) once started. */
    if (flagged && cli_runner_ensure(store, &err) < 0)
        rc = cli_fail(&err);
    cb_store_close(&store);
    return rc;
}

const CbCommand cb_cmd_cancel = {
    "cancel", "RUN...", "cancel queued or running runs", run, help,
};

/* codecbench cancel: stop queued or running runs. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/clirun.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench cancel RUN... [--store DIR]\n"
          "\n"
          "Cancels runs: a queued run is cancelled at once; a running one is flagged,\n"
          "and the runner sends its worker (or verification) SIGTERM, then SIGKILL\n"
          "after the grace period ('set cancel_grace' in the config), and marks it\n"
          "cancelled.  Runs that have ended are left as they are (exit status 1).\n",
          out);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *store_flag = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's')
            store_flag = optarg;
        else
            return cli_usage(&cb_cmd_cancel, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind == argc)
        return cli_usage(&cb_cmd_cancel, "needs at least one run id");
    for (int i = optind; i < argc; i++)
        if (cli_parse_count(argv[i]) < 1)
            return cli_usage(&cb_cmd_cancel, "'%s' is not a run id", argv[i]);
    CbError err = { 0 };
    CbStore *store = NULL;
    if (cli_store_open(store_flag, 0, &store, &err) < 0)
        return cli_fail(&err);
    int rc = CB_EXIT_OK, flagged = 0;
    for (int i = optind; i < argc; i++) {
        long long id = cli_parse_count(argv[i]);
        CbRunInfo info = { 0 };
        if (cb_store_request_cancel(store, id, &err) < 0 ||
            cb_store_get_run(store, id, &info, &err) < 0) {
            rc = cli_fail(&err);
            continue;
        }
        if (info.status == CB_RUN_CANCELLED) {
            printf("run %lld: cancelled\n", id);
        } else {
            printf("run %lld: cancel requested (%s)\n", id, cb_run_status_name(info.status));
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

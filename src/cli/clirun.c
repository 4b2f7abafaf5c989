/* Queueing a run and waiting for it, shared by run, rerun and demo. */
#include "cli/clirun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/runwait.h"
#include "cli/storeout.h"

void cli_runner_options(CbRunnerOptions *o)
{
    cb_runner_options_default(o);
    cli_config_runner(o);
}

int cli_runner_ensure(CbStore *s, CbError *err)
{
    return cb_runner_ensure(cb_store_dir(s), NULL, NULL, err);
}

int cli_queue_and_wait(CbStore *s, const CbRunRequest *req, int detach, int json)
{
    CbError err = { 0 };
    int64_t id = 0;
    if (cb_store_queue_run(s, req, &id, &err) < 0)
        return cli_fail(&err);
    fprintf(stderr, "run %lld queued\n", (long long)id);
    if (cli_runner_ensure(s, &err) < 0)
        return cli_fail(&err);
    if (detach) {
        printf("%lld\n", (long long)id);
        return CB_EXIT_OK;
    }
    CbRunStatus st;
    if (cli_follow_run(s, id, stderr, &st, &err) < 0)
        return cli_fail(&err);
    int rc = cli_show_run(s, id, 0, json);
    if (st != CB_RUN_DONE) {
        CbRunInfo info = { 0 };
        if (cb_store_get_run(s, id, &info, &err) == 0) {
            cli_error("run %lld %s: %s", (long long)id, cb_run_status_name(st),
                      info.reason ? info.reason : "no reason recorded");
            cb_run_info_free(&info);
        }
        return CB_EXIT_FAIL;
    }
    return rc;
}

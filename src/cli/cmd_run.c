/* codecbench run: one recipe on one input, through the runner. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "cli/clistore.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench run RECIPE INPUT [--frames N] [--start N] [--experiment NAME]\n"
          "                      [--parent RUN] [--detach] [--json] [--store DIR]\n"
          "\n"
          "Queues RECIPE (a recipe file: the engine or an FFmpeg baseline) on INPUT\n"
          "(any video FFmpeg can read) as a run of the store, starts the store's runner\n"
          "if none is up, and follows the run: its progress and log lines on stderr,\n"
          "then the result ('codecbench show').  A worker process encodes; a separate\n"
          "verification process decodes the stored bitstreams and measures every frame\n"
          "against the input.  Interrupting this command (Ctrl-C, a dropped SSH\n"
          "session) does not stop the run: 'codecbench logs RUN -f' follows it again,\n"
          "'codecbench cancel RUN' stops it.\n"
          "\n"
          "Options:\n"
          "  --frames N         encode N frames (default: all)\n"
          "  --start N          from frame N (default: 0)\n"
          "  --experiment NAME  the experiment the run belongs to (default: 'default')\n"
          "  --parent RUN       record RUN as the run's parent (lineage); a stage run\n"
          "                     whose every frame equals its parent's is rejected as a\n"
          "                     no-op\n"
          "  --detach           queue, print the run's id and exit at once\n"
          "  --json             print the result as JSON ('show --json')\n"
          "  --store DIR        the store (default: $CODECBENCH_STORE, the config's\n"
          "                     'store', else $XDG_DATA_HOME/codecbench)\n"
          "  -h, --help         this text\n"
          "\n"
          "Exit status: 0 when the run is done and verified, 1 when it failed, was\n"
          "cancelled or was interrupted (the reason is printed), 2 for a usage error.\n",
          out);
}

static int run(int argc, char **argv)
{
    const char *experiment = NULL, *frames_arg = NULL, *start_arg = NULL, *parent_arg = NULL;
    long long frames = -1, start = 0, parent = 0;
    int detach = 0, json = 0;
    const CliOpt opts[] = {
        {.name = "frames", .text = &frames_arg},
        {.name = "start", .text = &start_arg},
        {.name = "experiment", .text = &experiment},
        {.name = "parent", .text = &parent_arg},
        {.name = "detach", .flag = &detach, .value = 1},
        {0},
    };
    CliArgs a = {.opts = opts,
                 .json = &json,
                 .min = 2,
                 .max = 2,
                 .arity = "needs a recipe file and an input video"};
    int rc = cli_parse_args(&cb_cmd_run, argc, argv, &a);
    if (rc == CB_EXIT_OK && frames_arg)
        rc = cli_count_arg(&cb_cmd_run, "--frames", frames_arg, 1, &frames);
    if (rc == CB_EXIT_OK && start_arg)
        rc = cli_count_arg(&cb_cmd_run, "--start", start_arg, 0, &start);
    if (rc == CB_EXIT_OK && parent_arg)
        rc = cli_count_arg(&cb_cmd_run, "--parent", parent_arg, 1, &parent);
    if (rc != CB_EXIT_OK)
        return rc;
    const char *recipe_path = argv[a.first], *input = argv[a.first + 1];

    /* Checked here, before anything is queued, so that a typo costs
     * nothing: the store validates the recipe when it queues it. */
    CbError err = { 0 };
    CbStore *store = NULL;
    char *json_text = NULL;
    rc = CB_EXIT_FAIL;
    if (cli_read_recipe(recipe_path, &json_text, NULL, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (access(input, R_OK) < 0) {
        cli_error("%s: %s", input, strerror(errno));
        goto done;
    }
    if (cli_store_open(a.store, CB_STORE_CREATE, &store, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    CbRunRequest req = {
        .experiment = experiment,
        .recipe_json = json_text,
        .recipe_source = recipe_path,
        .input = input,
        .first_frame = start,
        .frames = frames,
        .parent = parent,
        .origin = "user",
    };
    rc = cli_queue_and_wait(store, &req, detach, json);
done:
    free(json_text);
    cb_store_close(&store);
    return rc;
}

const CbCommand cb_cmd_run = {
    "run", "RECIPE INPUT [--frames N] [--start N] [--experiment NAME] [--parent RUN] [--detach] [--json]",
    "queue a recipe on a video and follow the run to its verified result", run, help,
};

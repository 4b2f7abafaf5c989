/* codecbench run: one recipe on one input, through the runner. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "codecbench/buf.h"
#include "codecbench/recipe.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench run RECIPE INPUT [--frames N] [--start N] [--experiment NAME]\n"
          "                      [--detach] [--json] [--store DIR]\n"
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
    static const struct option longopts[] = {
        {"frames", required_argument, NULL, 'n'},
        {"start", required_argument, NULL, 'S'},
        {"experiment", required_argument, NULL, 'e'},
        {"detach", no_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"store", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *store_flag = NULL, *experiment = NULL;
    long long frames = -1, start = 0;
    int detach = 0, json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            frames = cli_parse_count(optarg);
            if (frames < 1)
                return cli_usage(&cb_cmd_run, "--frames needs a whole number >= 1, not '%s'",
                                 optarg);
            break;
        case 'S':
            start = cli_parse_count(optarg);
            if (start < 0)
                return cli_usage(&cb_cmd_run, "--start needs a whole number >= 0, not '%s'",
                                 optarg);
            break;
        case 'e': experiment = optarg; break;
        case 'd': detach = 1; break;
        case 'j': json = 1; break;
        case 's': store_flag = optarg; break;
        default:
            return cli_usage(&cb_cmd_run, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage(&cb_cmd_run, "needs a recipe file and an input video");
    const char *recipe_path = argv[optind], *input = argv[optind + 1];

    /* Checked here, before anything is queued, so that a typo costs
     * nothing: the recipe is validated again by the store. */
    CbError err = { 0 };
    CbBuf text;
    cb_buf_init(&text, CB_RECIPE_MAX_BYTES);
    if (cb_buf_read_file(&text, recipe_path, &err) < 0) {
        cb_buf_free(&text);
        return cli_fail(&err);
    }
    if (memchr(text.data, '\0', text.len)) {
        cli_error("%s: not a recipe: it contains a NUL byte", recipe_path);
        cb_buf_free(&text);
        return CB_EXIT_FAIL;
    }
    if (access(input, R_OK) < 0) {
        cli_error("%s: %s", input, strerror(errno));
        cb_buf_free(&text);
        return CB_EXIT_FAIL;
    }
    CbStore *store = NULL;
    if (cli_store_open(store_flag, CB_STORE_CREATE, &store, &err) < 0) {
        cb_buf_free(&text);
        return cli_fail(&err);
    }
    char *json_text = cb_buf_steal(&text);
    if (!json_text) {
        cb_store_close(&store);
        cli_error("out of memory");
        return CB_EXIT_FAIL;
    }
    CbRunRequest req = {
        .experiment = experiment,
        .recipe_json = json_text,
        .recipe_source = recipe_path,
        .input = input,
        .first_frame = start,
        .frames = frames,
        .parent = 0,
        .origin = "user",
    };
    int rc = cli_queue_and_wait(store, &req, detach, json);
    free(json_text);
    cb_store_close(&store);
    return rc;
}

const CbCommand cb_cmd_run = {
    "run", "RECIPE INPUT [--frames N] [--start N] [--experiment NAME] [--detach] [--json]",
    "queue a recipe on a video and follow the run to its verified result", run, help,
};

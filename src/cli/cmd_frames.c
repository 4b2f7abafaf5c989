/* codecbench frames: the frame server (internal: src/preview's frame client
 * starts it, so that no front end decodes a stored stream in its own
 * address space). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codecbench/worker.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench frames RUN_DIR --rate R\n"
          "\n"
          "Serves decoded frames of rate point R (a QP or CRF of the recipe) of the\n"
          "finished run in RUN_DIR on stdin and stdout, in the binary protocol of\n"
          "include/codecbench/worker.h: a hello with the clip's size and frame count,\n"
          "then for each frame index asked for on a line of stdin the run's source\n"
          "frame, the frame decoded from the stored stream (the engine's decoder, or\n"
          "FFmpeg's for baselines) and, for engine runs, the coding blocks.  The\n"
          "dashboard and 'codecbench preview' start it; it reads run.json,\n"
          "recipe.json, worker.json and the stream, never the store.\n"
          "\n"
          "Before serving it scrubs its environment as the worker does, disables core\n"
          "dumps and sets no-new-privileges.  A frame that does not decode gets an\n"
          "error reply and the server goes on; it ends at the end of stdin.\n"
          "\n"
          "Exit status: 0 at the end of input (or when the client went away), 1 when\n"
          "it could not start (the reason is sent in the hello and printed), 2 usage\n"
          "error.\n"
          "\n"
          "Options:\n"
          "  --rate R    the rate point to serve\n"
          "  -h, --help  this text\n",
          out);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {{"rate", required_argument, NULL, 'r'},
                                             {NULL, 0, NULL, 0}};
    long long rate = -1;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'r') {
            int rc = cli_count_arg(&cb_cmd_frames, "--rate", optarg, 0, &rate);
            if (rc != CB_EXIT_OK)
                return rc;
            if (rate > 255)
                return cli_usage(&cb_cmd_frames, "--rate %lld: rate points are 0..255", rate);
        } else {
            return cli_usage(&cb_cmd_frames, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage(&cb_cmd_frames, "needs RUN_DIR");
    if (rate < 0)
        return cli_usage(&cb_cmd_frames, "needs --rate R");
    if (cb_worker_scrub_env() < 0) {
        cli_error("cannot scrub the environment: out of memory");
        return CB_EXIT_FAIL;
    }
    /* A client that goes away shows as EPIPE from write(), not a signal. */
    signal(SIGPIPE, SIG_IGN);
    CbError err;
    cb_error_clear(&err);
    int rc = cb_frames_serve(argv[optind], (int)rate, STDIN_FILENO, STDOUT_FILENO, cli_logger(),
                             &err);
    if (rc < 0 && errno == EPIPE)
        return CB_EXIT_OK;
    if (rc < 0)
        return cli_fail(&err);
    return CB_EXIT_OK;
}

const CbCommand cb_cmd_frames = {
    .name = "frames",
    .args = "RUN_DIR --rate R",
    .summary = "serve a run's decoded frames (internal: previews start it)",
    .run = run,
    .help = help,
};

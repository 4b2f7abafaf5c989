/* codecbench worker: one run, headless, as the runner starts it; and the
 * command line and set-up it shares with verify. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codecbench/worker.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench worker RUN_DIR\n"
          "\n"
          "Runs the run in RUN_DIR (run.json and recipe.json, as 'codecbench run' and\n"
          "the runner create them): decodes the input's frame range, encodes every\n"
          "rate point of the recipe, and writes the bitstreams (qp27.cbv, crf23.h264,\n"
          "...), digests.json and worker.json, appending progress to events.jsonl.\n"
          "The runner starts it; it may also be run by hand.  It never opens the store.\n"
          "\n"
          "Before anything else it scrubs its environment: only PATH, HOME, LANG,\n"
          "LC_*, TZ, TMPDIR, CODECBENCH_CONCURRENCY and the stage hosts' limits\n"
          "CODECBENCH_STAGE_TIMEOUT, _CPU_LIMIT, _MEMORY_LIMIT are kept, and\n"
          "OPENBLAS_NUM_THREADS is set to 1, so no API key reaches it; stdin is\n"
          "reopened from /dev/null.  CODECBENCH_CONCURRENCY (default 1) is the number\n"
          "of workers running at once, recorded with the timings.\n"
          "\n"
          "A recipe with a stage (C source for one engine stage) is judged cheap\n"
          "first, each step a \"stage\" event: build (stage.c, stage.so,\n"
          "stage-build.txt), a one-frame round trip and an 8-frame clip (encoded by a\n"
          "sandboxed stage host, decoded by a fresh one, frame digests compared), then\n"
          "every rate point through a host; a run whose frames all equal its parent's\n"
          "is rejected as a no-op.  This process never loads the stage.\n"
          "\n"
          "Exit status: 0 done, 1 failed (the reason is printed and appended to\n"
          "events.jsonl as an \"error\" event), 2 usage error.\n"
          "\n"
          "Options:\n"
          "  -h, --help  this text\n",
          out);
}

/* Scrubs the environment and reopens stdin from /dev/null; 0, or -1 after
 * printing why. */
static int prepare(void)
{
    if (cb_worker_scrub_env() < 0) {
        cli_error("cannot scrub the environment: out of memory");
        return -1;
    }
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
        cli_error("cannot reopen stdin from /dev/null");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    return 0;
}

int cli_run_dir_job(const CbCommand *cmd, int argc, char **argv,
                    int (*job)(const char *run_dir, const CbLogger *logger, CbError *err))
{
    static const struct option longopts[] = {{NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
        return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
    if (argc - optind != 1)
        return cli_usage(cmd, "needs RUN_DIR");
    if (prepare() < 0)
        return CB_EXIT_FAIL;
    CbError err;
    cb_error_clear(&err);
    if (job(argv[optind], cli_logger(), &err) < 0)
        return cli_fail(&err);
    return CB_EXIT_OK;
}

static int run(int argc, char **argv)
{
    return cli_run_dir_job(&cb_cmd_worker, argc, argv, cb_worker_run);
}

const CbCommand cb_cmd_worker = {
    .name = "worker",
    .args = "RUN_DIR",
    .summary = "run one run's encodes (internal: the runner starts it)",
    .run = run,
    .help = help,
};

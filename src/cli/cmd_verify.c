/* codecbench verify: verification of a run, in a process of its own. */
#include <stdio.h>

#include "cli/cli.h"
#include "codecbench/worker.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench verify RUN_DIR\n"
          "\n"
          "Verifies the run in RUN_DIR after its worker finished, reading only\n"
          "run.json, recipe.json, worker.json, digests.json, the stored bitstreams and\n"
          "the input: decodes every stream (the engine's decoder, or libavcodec for\n"
          "baselines, flushed), checks that each gives the run's number of frames and\n"
          "that the engine's frames equal the encoder's reconstruction (digests.json),\n"
          "measures every frame against the source (PSNR Y/U/V, SSIM), and writes\n"
          "result.json atomically.  Any disagreement fails naming the stream and the\n"
          "frame.  The runner starts it after the worker; it may also be run by hand,\n"
          "again and again (result.json is replaced).  Its environment is scrubbed\n"
          "as the worker's (see 'codecbench worker --help').\n"
          "\n"
          "Exit status: 0 verified, 1 failed (the reason is printed and appended to\n"
          "events.jsonl as an \"error\" event), 2 usage error.\n"
          "\n"
          "Options:\n"
          "  -h, --help  this text\n",
          out);
}

static int run(int argc, char **argv)
{
    return cli_run_dir_job(&cb_cmd_verify, argc, argv, cb_verify_run);
}

const CbCommand cb_cmd_verify = {
    .name = "verify",
    .args = "RUN_DIR",
    .summary = "verify a run and write its result.json (internal: the runner starts it)",
    .run = run,
    .help = help,
};

/* codecbench stage-host: the sandboxed process that runs stage code
 * (internal: started by the stage host client, src/stage/client.c). */
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codecbench/sandbox.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench stage-host encode|decode OBJECT KIND HASH_HEX CPU_S DATA_MIB "
          "STACK_MIB\n"
          "\n"
          "Internal: the worker and verification start it to run generated stage code;\n"
          "it is not meant to be run by hand.  It loads the stage object OBJECT\n"
          "(KIND: intra, loop_filter or transform; HASH_HEX: the SHA-256 of the stage's\n"
          "source), warms the engine up, and enters the sandbox: descriptors other\n"
          "than 0..2 closed, resource limits (CPU_S seconds of CPU, DATA_MIB MiB of\n"
          "data, STACK_MIB MiB of stack, no files, no core dumps), no new privileges,\n"
          "every capability dropped and, when started as root, the user nobody\n"
          "(65534), then a seccomp filter that denies every system call but reading\n"
          "its requests, writing its replies and managing memory.  It then encodes or\n"
          "decodes with the engine and the stage, speaking a binary protocol on\n"
          "stdin and stdout (src/stage/host_proto.h), and exits 0 at the end of its\n"
          "input.\n"
          "\n"
          "Exit status: 0 done; 1 failed (the reason on stderr); 96 a system call was\n"
          "denied (\"denied system call NAME (number N)\" on stderr); killed by a\n"
          "signal when the stage crashed or ran out of CPU time.\n"
          "\n"
          "Options:\n"
          "  -h, --help  this text\n",
          out);
}

static int run(int argc, char **argv)
{
    /* After the sandbox is entered, nothing but _exit may end the process:
     * exit() would run library destructors under the seccomp filter. */
    _exit(cb_stage_host_main(argc, argv));
}

const CbCommand cb_cmd_stagehost = {
    .name = "stage-host",
    .args = "encode|decode OBJECT KIND HASH_HEX CPU_S DATA_MIB STACK_MIB",
    .summary = "run a stage in the sandbox (internal: the worker starts it)",
    .run = run,
    .help = help,
};

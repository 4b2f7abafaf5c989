/* codecbench: main(): finds the subcommand and hands it the arguments. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codecbench/engine.h"
#include "codecbench/media.h"

/* The commands as --help lists them: groups, each ended by NULL. */
static const char *const group_titles[] = {
    "Experiments and runs",
    "Measuring files",
    "The codecbench engine",
    "Set-up and the runner's own commands",
};
static const CbCommand *const commands[] = {
    &cb_cmd_dashboard, &cb_cmd_run, &cb_cmd_list, &cb_cmd_show, &cb_cmd_compare, &cb_cmd_logs,
    &cb_cmd_rerun, &cb_cmd_cancel, &cb_cmd_experiments, &cb_cmd_anchor, &cb_cmd_tag,
    &cb_cmd_note, &cb_cmd_lineage, &cb_cmd_export, &cb_cmd_rm, &cb_cmd_gc,
    &cb_cmd_reindex, &cb_cmd_demo,
    &cb_cmd_preview, &cb_cmd_propose, &cb_cmd_evolve, NULL,
    &cb_cmd_probe, &cb_cmd_metrics, &cb_cmd_bdrate, &cb_cmd_survey, NULL,
    &cb_cmd_recipe, &cb_cmd_encode, &cb_cmd_decode,
    &cb_cmd_stage, NULL,
    &cb_cmd_config, &cb_cmd_llm, &cb_cmd_runner, &cb_cmd_worker, &cb_cmd_verify, &cb_cmd_frames,
    &cb_cmd_stagehost, NULL,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: codecbench [--store DIR] [--experiment NAME] [--theme NAME]\n"
            "       codecbench COMMAND [ARGS...]\n"
            "       codecbench --help | --version\n"
            "\n"
            "A workbench for video-codec research: every number is measured on\n"
            "real decoded frames.  Without a command it opens the dashboard.\n"
            "\n");
    size_t group = 0;
    fprintf(out, "%s:\n", group_titles[0]);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (commands[i])
            fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
        else if (++group < sizeof group_titles / sizeof group_titles[0])
            fprintf(out, "\n%s:\n", group_titles[group]);
    }
    fprintf(out,
            "\n"
            "'codecbench COMMAND --help' describes a command; man codecbench has it all.\n"
            "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static const CbCommand *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (commands[i] && !strcmp(name, commands[i]->name))
            return commands[i];
    return NULL;
}

static void version(void)
{
    printf("codecbench %s\n", PACKAGE_VERSION);
    printf("FFmpeg: %s\n", cb_media_ffmpeg_versions());
}

int main(int argc, char **argv)
{
    /* No command, or only the dashboard's options: the dashboard. */
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") && strcmp(argv[1], "-h") &&
                     strcmp(argv[1], "--version") && strcmp(argv[1], "-V"))) {
        char *dargv[64];
        if (argc > 63) {
            cli_error("too many arguments");
            return CB_EXIT_USAGE;
        }
        dargv[0] = (char *)"dashboard";
        for (int i = 1; i < argc; i++)
            dargv[i] = argv[i];
        dargv[argc] = NULL;
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
            /* A script: no dashboard there, and no store made for it. */
            int helped = 0;
            for (int i = 1; i < argc; i++)
                helped |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
            if (!helped) {
                cli_error("the dashboard needs a terminal on standard input and output; "
                          "scripts use the commands below");
                usage(stderr);
                return CB_EXIT_USAGE;
            }
        }
        cb_media_set_ffmpeg_log(NULL);
        return cb_cmd_dashboard.run(argc, dargv);
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        const CbCommand *cmd = argc > 2 && !strcmp(name, "help") ? find_command(argv[2]) : NULL;
        if (cmd) {
            cmd->help(stdout);
            return CB_EXIT_OK;
        }
        usage(stdout);
        return CB_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        version();
        return CB_EXIT_OK;
    }
    const CbCommand *cmd = find_command(name);
    if (cmd) {
        for (int a = 2; a < argc && strcmp(argv[a], "--"); a++) {
            if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
                cmd->help(stdout);
                return CB_EXIT_OK;
            }
            if (!strcmp(argv[a], "--version")) {
                version();
                return CB_EXIT_OK;
            }
        }
        cb_media_set_ffmpeg_log(NULL);
        cb_engine_set_blas_threads(1);
        return cmd->run(argc - 1, argv + 1);
    }
    cli_error("'%s' is not a command; see 'codecbench --help'", name);
    return CB_EXIT_USAGE;
}

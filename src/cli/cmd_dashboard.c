/* codecbench dashboard: the curses workbench (also `codecbench` with no
 * command, or with only the options below). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "cli/clistore.h"
#include "tui/tui.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench [dashboard] [--store DIR] [--experiment NAME] [--theme NAME]\n"
          "\n"
          "Opens the dashboard: the runs of the store with their live progress, the\n"
          "experiments, a run's detail, rate-distortion, per-frame and Pareto charts,\n"
          "live logs, runs side by side with the BD-rate matrix.  One key reruns a run\n"
          "(r), edits its recipe in $EDITOR and queues the edited run (e), queues a new\n"
          "one (n), cancels (x), deletes (d), sets the anchor (a), compares the marked\n"
          "runs (c), draws charts (g), shows logs (l), previews decoded frames (v:\n"
          "sixel, else half blocks, else text); ? lists every key, q quits.\n"
          "Runs belong to the runner: quitting the dashboard stops none of them.\n"
          "\n"
          "Options:\n"
          "  --store DIR        the store (default: $CODECBENCH_STORE, else\n"
          "                     $XDG_DATA_HOME/codecbench); made when missing\n"
          "  --experiment NAME  only the runs of this experiment\n"
          "  --theme NAME       the colours: default, dark, light, high-contrast, mono,\n"
          "                     or a theme of ~/.config/codecbench/themes (NO_COLOR=1\n"
          "                     turns colours off)\n"
          "  -h, --help         this text\n"
          "\n"
          "Keys are set in the config file (bind VIEW KEY REQUEST, see\n"
          "'codecbench config --help' and codecbench(1)).  The terminal must be at\n"
          "least 80x24; a non-UTF-8 locale gets ASCII drawing.\n"
          "\n"
          "Environment: CODECBENCH_GRAPHICS=sixel|blocks|none chooses how frames are\n"
          "drawn (default: asked of the terminal; the config's 'set preview');\n"
          "CODECBENCH_LOG=FILE appends debug lines (terminal replies, image sizes).\n",
          out);
}

static int run(int argc, char **argv)
{
    const char *experiment = NULL, *theme = NULL;
    const CliOpt opts[] = {
        {.name = "experiment", .text = &experiment},
        {.name = "theme", .text = &theme},
        {0},
    };
    CliArgs a = {.opts = opts, .min = 0, .max = 0};
    int code = cli_parse_args(&cb_cmd_dashboard, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    if (theme && (code = cli_config_flag("theme", theme, "--theme")) != CB_EXIT_OK)
        return code;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        cli_error("the dashboard needs a terminal on standard input and output "
                  "('codecbench --help' lists the commands for scripts)");
        return CB_EXIT_FAIL;
    }
    const CbConfig *cfg = cli_config();
    if (!cfg)
        return CB_EXIT_FAIL;
    CbStore *s = NULL;
    CbError err = {0};
    if (cli_store_open(a.store, CB_STORE_CREATE, &s, &err) < 0)
        return cli_fail(&err);
    TuiOptions o = {
        .store = s,
        .cfg = cfg,
        .store_dir = cb_store_dir(s),
        .experiment = experiment,
        .ensure_runner = cli_runner_ensure,
    };
    int rc = tui_main(&o, &err);
    cb_store_close(&s);
    if (rc < 0)
        return cli_fail(&err);
    /* Stopped by a signal: the shell's convention, 128 + its number. */
    int sig = tui_stop_signal();
    return sig ? 128 + sig : CB_EXIT_OK;
}

const CbCommand cb_cmd_dashboard = {
    .name = "dashboard",
    .summary = "the curses dashboard (also: codecbench with no command)",
    .help = help,
    .run = run,
};

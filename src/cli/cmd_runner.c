/* codecbench runner: the store's supervisor, in the foreground. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "cli/clistore.h"
#include "codecbench/runner.h"
#include "codecbench/sanitize.h"
#include "codecbench/store.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench runner [--store DIR] [--workers N] [--wall-limit S]\n"
          "                         [--memory-limit MIB] [--idle-exit S] [--status]\n"
          "\n"
          "The store's supervisor: it starts the workers of queued runs (N at a time),\n"
          "applies their limits, cancels on request, verifies and imports results, and\n"
          "exits when it has had nothing to do for --idle-exit seconds.  'run', 'rerun'\n"
          "and the dashboard start one on demand in a session of its own (its output\n"
          "goes to STORE/runner.log), so you rarely start it by hand; a second runner\n"
          "for the same store exits at once.  Runs an earlier runner left running are\n"
          "marked interrupted when a runner starts.\n"
          "\n"
          "Options (defaults from the configuration, see 'codecbench config'):\n"
          "  --store DIR          the store (default: $CODECBENCH_STORE, the config's\n"
          "                       'store', else $XDG_DATA_HOME/codecbench)\n"
          "  --workers N          runs at once (default: the number of cores)\n"
          "  --wall-limit S       wall-clock seconds per worker or verification (0: none)\n"
          "  --memory-limit MIB   RLIMIT_DATA per process in MiB (0: none)\n"
          "  --idle-exit S        exit after S seconds with nothing queued or running\n"
          "  --status             print the pid of this store's runner (or 'none') and exit\n"
          "  -h, --help           this text\n",
          out);
}

static void log_line(void *opaque, CbLogLevel level, const char *msg)
{
    (void)opaque;
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32] = "";
    if (localtime_r(&now, &tm))
        strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    char *clean = cb_sanitize_dup(msg, 0);
    fprintf(stderr, "%s %s: %s\n", stamp, cb_log_level_name(level), clean ? clean : "");
    fflush(stderr);
    free(clean);
}

static int parse_seconds(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e7)
        return -1;
    *out = v;
    return 0;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"workers", required_argument, NULL, 'w'},
        {"wall-limit", required_argument, NULL, 'W'},
        {"memory-limit", required_argument, NULL, 'm'},
        {"idle-exit", required_argument, NULL, 'i'},
        {"status", no_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    const char *store_flag = NULL;
    int status_only = 0;
    CbRunnerOptions o;
    cli_runner_options(&o);
    int c;
    long long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store_flag = optarg; break;
        case 'S': status_only = 1; break;
        case 'w':
            v = cli_parse_count(optarg);
            if (v < 1 || v > 256)
                return cli_usage(&cb_cmd_runner, "--workers needs a number 1..256, not '%s'",
                                 optarg);
            o.workers = (int)v;
            break;
        case 'm':
            v = cli_parse_count(optarg);
            if (v < 0 || v > (1LL << 30))
                return cli_usage(&cb_cmd_runner, "--memory-limit needs MiB (0: none), not '%s'",
                                 optarg);
            o.memory_limit_mib = v;
            break;
        case 'W':
            if (parse_seconds(optarg, &o.wall_limit_s) < 0)
                return cli_usage(&cb_cmd_runner, "--wall-limit needs seconds, not '%s'", optarg);
            break;
        case 'i':
            if (parse_seconds(optarg, &o.idle_exit_s) < 0)
                return cli_usage(&cb_cmd_runner, "--idle-exit needs seconds, not '%s'", optarg);
            break;
        default:
            return cli_usage(&cb_cmd_runner, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(&cb_cmd_runner, "unexpected argument '%s'", argv[optind]);

    CbError err = { 0 };
    CbStore *store = NULL;
    /* Opening creates the store if needed and checks it is one of ours
     * before the runner takes its lock. */
    if (cli_store_open(store_flag, status_only ? CB_STORE_READONLY : CB_STORE_CREATE, &store,
                       &err) < 0)
        return cli_fail(&err);
    char *dir = strdup(cb_store_dir(store));
    cb_store_close(&store);
    if (!dir) {
        cli_error("out of memory");
        return CB_EXIT_FAIL;
    }
    int rc = CB_EXIT_OK;
    if (status_only) {
        int64_t pid = cb_runner_pid(dir);
        if (pid > 0)
            printf("%lld\n", (long long)pid);
        else
            puts("none");
        free(dir);
        return CB_EXIT_OK;
    }
    CbLogger logger = { log_line, NULL, CB_LOG_INFO };
    o.store_dir = dir;
    o.logger = &logger;
    int r = cb_runner_main(&o, &err);
    if (r == CB_EBUSY) {
        /* One runner per store is the design, not a failure. */
        fprintf(stderr, "codecbench: a runner (pid %lld) already serves this store\n",
                (long long)cb_runner_pid(dir));
    } else if (r < 0) {
        rc = cli_fail(&err);
    }
    free(dir);
    return rc;
}

const CbCommand cb_cmd_runner = {
    "runner", "[--store DIR] [--workers N] [--wall-limit S] [--memory-limit MIB] [--status]",
    "the store's supervisor (started on demand)", run, help,
};

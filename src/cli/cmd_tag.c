/* codecbench tag RUN TAG... [--remove]: labels on a run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/clistore.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench tag RUN TAG... [--remove] [--store DIR]\n"
          "\n"
          "Adds tags to a run (or removes them with --remove), then prints the run's\n"
          "tags.  A tag is 1 to 32 characters of A-Z a-z 0-9 _ . -; 'list --tag TAG'\n"
          "and 'export --tag TAG' select by tag.  Tags are kept in the run directory\n"
          "too, so 'reindex' keeps them.\n"
          "\n"
          "Options:\n"
          "  --remove     remove the tags instead of adding them\n"
          "  --store DIR  the store (default: $CODECBENCH_STORE, else\n"
          "               $XDG_DATA_HOME/codecbench)\n"
          "  -h, --help   this text\n",
          out);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"remove", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *store_dir = NULL;
    int remove_tags = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's')
            store_dir = optarg;
        else if (c == 'r')
            remove_tags = 1;
        else
            return cli_usage(&cb_cmd_tag, "unknown option or missing value '%s'", argv[optind - 1]);
    }
    if (argc - optind < 2)
        return cli_usage(&cb_cmd_tag, "needs a RUN and one or more TAGs");
    int64_t id = cli_parse_run_id(argv[optind]);
    if (id < 0)
        return cli_usage(&cb_cmd_tag, "'%s' is not a run id", argv[optind]);

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    CbRunInfo info = {0};
    int have_info = 0, code = CB_EXIT_FAIL;
    if (cli_store_open(store_dir, 0, &s, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    for (int i = optind + 1; i < argc; i++)
        if (cb_store_tag(s, id, argv[i], !remove_tags, &err) < 0) {
            cli_fail(&err);
            goto out;
        }
    if (cb_store_get_run(s, id, &info, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    have_info = 1;
    printf("run %lld tags: ", (long long)id);
    cli_puts_sanitized(stdout, info.tags && *info.tags ? info.tags : "(none)");
    fputc('\n', stdout);
    code = CB_EXIT_OK;
out:
    if (have_info)
        cb_run_info_free(&info);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_tag = {
    .name = "tag",
    .args = "RUN TAG... [--remove] [--store DIR]",
    .summary = "add (or --remove) tags of a run",
    .run = run,
    .help = help,
};

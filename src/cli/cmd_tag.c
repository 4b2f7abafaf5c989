/* codecbench tag RUN TAG... [--remove]: labels on a run. */
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
          CLI_HELP_STORE
          "  -h, --help   this text\n",
          out);
}

static int run(int argc, char **argv)
{
    int64_t id;
    int remove_tags = 0;
    const CliOpt opts[] = {{.name = "remove", .flag = &remove_tags, .value = 1}, {0}};
    CliArgs a = {.opts = opts, .min = 2, .max = -1, .arity = "needs a RUN and one or more TAGs",
                 .run_id = &id};
    int code = cli_parse_args(&cb_cmd_tag, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    CbRunInfo info = {0};
    int have_info = 0;
    code = CB_EXIT_FAIL;
    if (cli_store_open(a.store, 0, &s, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    for (int i = a.first + 1; i < argc; i++)
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

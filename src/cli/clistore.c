/* codecbench: opening the store from the command line, and the command
 * line of the commands that use one. */
#include "cli/clistore.h"

#include <assert.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "codecbench/config.h"

char *cli_store_dir(const char *flag, CbError *err)
{
    /* The flag, else the configuration's "store" (CODECBENCH_STORE, then
     * the config file), else the XDG default. */
    const char *conf = cb_config_get_string(cli_config(), "store");
    const char *dir = flag && *flag ? flag : conf && *conf ? conf : NULL;
    char *out = dir ? strdup(dir) : cb_store_default_dir();
    if (!out)
        cb_error_set(err, dir ? CB_ENOMEM : CB_ENOENT,
                     dir ? "out of memory"
                         : "no store directory: give --store DIR, or set CODECBENCH_STORE, "
                           "XDG_DATA_HOME or HOME");
    return out;
}

int cli_store_open(const char *flag, int flags, CbStore **out, CbError *err)
{
    *out = NULL;
    char *dir = cli_store_dir(flag, err);
    if (!dir)
        return err ? err->code : CB_ENOMEM;
    int rc = cb_store_open(out, dir, flags, err);
    if (rc == CB_ENOENT && !(flags & CB_STORE_CREATE) && err) {
        /* Say where the store was looked for and how one comes to exist. */
        char text[CB_ERROR_TEXT_MAX];
        memcpy(text, err->text, sizeof text);
        cb_error_set(err, rc,
                     "%s; 'codecbench run' makes one, --store DIR or CODECBENCH_STORE choose "
                     "another",
                     text);
    }
    free(dir);
    return rc;
}

int64_t cli_parse_run_id(const char *s)
{
    if (s && *s == '#')
        s++;
    long long v = cli_parse_count(s);
    return v > 0 ? (int64_t)v : -1;
}

int cli_run_id_arg(const CbCommand *cmd, const char *s, int64_t *id)
{
    *id = cli_parse_run_id(s);
    if (*id < 0)
        return cli_usage(cmd, "'%s' is not a run id", s);
    return CB_EXIT_OK;
}

/* getopt_long's values of the options that are not letters: --store, the
 * --json, the filters, then a->opts[i] as OPT_TABLE + i. */
enum {
    OPT_STORE = 1000,
    OPT_JSON,
    OPT_EXPERIMENT,
    OPT_STATUS,
    OPT_CODEC,
    OPT_TAG,
    OPT_SORT,
    OPT_DESC,
    OPT_LIMIT,
    OPT_TABLE = 1100,
};
/* Most options in a CliArgs' table. */
#define MAX_OPTS 16

static const struct option filter_opts[] = {
    {"experiment", required_argument, NULL, OPT_EXPERIMENT},
    {"status", required_argument, NULL, OPT_STATUS},
    {"codec", required_argument, NULL, OPT_CODEC},
    {"tag", required_argument, NULL, OPT_TAG},
    {"sort", required_argument, NULL, OPT_SORT},
    {"desc", no_argument, NULL, OPT_DESC},
    {"reverse", no_argument, NULL, OPT_DESC},
    {"limit", required_argument, NULL, OPT_LIMIT},
};
#define N_FILTER_OPTS (sizeof filter_opts / sizeof filter_opts[0])

/* A filter option c with its value into f: 1 when c was one, 0 when not,
 * -1 after a usage error for a bad value. */
static int filter_option(const CbCommand *cmd, int c, const char *arg, CbRunFilter *f)
{
    switch (c) {
    case OPT_EXPERIMENT: f->experiment = arg; return 1;
    case OPT_CODEC: f->codec = arg; return 1;
    case OPT_TAG: f->tag = arg; return 1;
    case OPT_SORT: f->sort = arg; return 1;
    case OPT_DESC: f->descending = 1; return 1;
    case OPT_STATUS: {
        CbRunStatus st;
        if (cb_run_status_parse(arg, &st) < 0) {
            cli_usage(cmd,
                      "--status %s: not a status (queued, running, verifying, done, failed, "
                      "cancelled, interrupted)",
                      arg);
            return -1;
        }
        f->status = (int)st;
        return 1;
    }
    case OPT_LIMIT: {
        long long v = cli_parse_count(arg);
        if (v <= 0) {
            cli_usage(cmd, "--limit %s: needs a whole number above 0", arg);
            return -1;
        }
        f->limit = v;
        return 1;
    }
    default: return 0;
    }
}

int cli_parse_args(const CbCommand *cmd, int argc, char **argv, CliArgs *a)
{
    struct option longopts[2 + N_FILTER_OPTS + MAX_OPTS + 1];
    char shortopts[2 * MAX_OPTS + 1];
    size_t n = 0, ns = 0, n_table = 0;
    longopts[n++] = (struct option){"store", required_argument, NULL, OPT_STORE};
    if (a->json)
        longopts[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
    for (size_t i = 0; a->filter && i < N_FILTER_OPTS; i++)
        longopts[n++] = filter_opts[i];
    for (const CliOpt *o = a->opts; o && o->name; o++, n_table++) {
        assert(n_table < MAX_OPTS);
        int has_arg = o->text ? required_argument : no_argument;
        longopts[n++] = (struct option){o->name, has_arg, NULL, OPT_TABLE + (int)n_table};
        if (o->letter) {
            shortopts[ns++] = (char)o->letter;
            if (o->text)
                shortopts[ns++] = ':';
        }
    }
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    shortopts[ns] = '\0';

    a->store = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == OPT_STORE) {
            a->store = optarg;
            continue;
        }
        if (c == OPT_JSON) {
            *a->json = 1;
            continue;
        }
        if (a->filter) {
            if (c == OPT_STATUS && a->no_status)
                return cli_usage(cmd, "%s", a->no_status);
            int k = filter_option(cmd, c, optarg, a->filter);
            if (k < 0)
                return CB_EXIT_USAGE;
            if (k > 0)
                continue;
        }
        const CliOpt *hit = NULL;
        for (size_t i = 0; i < n_table && !hit; i++)
            if (c == OPT_TABLE + (int)i || (a->opts[i].letter && c == a->opts[i].letter))
                hit = &a->opts[i];
        if (!hit)
            return cli_usage(cmd, "unknown option or missing value '%s'", argv[optind - 1]);
        if (hit->text)
            *hit->text = optarg;
        else
            *hit->flag = hit->value;
    }
    a->first = optind;
    a->n = argc - optind;
    if (a->max == 0 && a->n > 0)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if (a->n < a->min || (a->max > 0 && a->n > a->max))
        return cli_usage(cmd, "%s", a->arity);
    int64_t id;
    int code = CB_EXIT_OK;
    if (a->run_id && a->n > 0)
        code = cli_run_id_arg(cmd, argv[optind], a->run_id);
    for (int i = optind; a->all_run_ids && code == CB_EXIT_OK && i < argc; i++)
        code = cli_run_id_arg(cmd, argv[i], &id);
    return code;
}

int cli_list_runs(const CbCommand *cmd, const char *store_flag, const CbRunFilter *f, CbStore **s,
                  CbRunInfo **rows, size_t *n)
{
    CbError err;
    cb_error_clear(&err);
    *rows = NULL;
    *n = 0;
    if (cli_store_open(store_flag, CB_STORE_READONLY, s, &err) < 0)
        return cli_fail(&err);
    int rc = cb_store_list(*s, f, rows, n, &err);
    if (rc == CB_EINVAL && f->sort)
        return cli_usage(cmd, "--sort %s: %s", f->sort, err.text);
    if (rc < 0)
        return cli_fail(&err);
    return CB_EXIT_OK;
}

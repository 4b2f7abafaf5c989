/* codecbench rerun: a run again, optionally with changed recipe fields. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "cli/clistore.h"
#include "codecbench/recipe.h"

/* Most --set options at once. */
#define RERUN_MAX_SETS 64

static void help(FILE *out)
{
    fputs("Usage: codecbench rerun RUN [--set KEY=VALUE]... [--experiment NAME]\n"
          "                        [--detach] [--json] [--store DIR]\n"
          "\n"
          "Queues RUN's recipe again on the same input and frames, as a new run whose\n"
          "parent is RUN (see 'codecbench lineage'), and follows it like 'run'.\n"
          "Interrupted, failed and cancelled runs are rerun the same way.\n"
          "\n"
          "Options:\n"
          "  --set KEY=VALUE    change one recipe field first: KEY is a settings field\n"
          "                     ('qp_offset', 'settings.transform') or 'name'; VALUE is\n"
          "                     JSON when it parses as JSON (27, [22,27,32], true) and a\n"
          "                     string otherwise (dct).  The result is validated like any\n"
          "                     recipe; an error names the field and the allowed values.\n"
          "  --experiment NAME  queue into another experiment (default: RUN's)\n"
          "  --detach           queue, print the new run's id and exit\n"
          "  --json             print the result as JSON\n"
          "  --store DIR        the store\n"
          "  -h, --help         this text\n",
          out);
}

/* Applies one KEY=VALUE to the recipe object. */
static int apply_set(json_t *recipe, const char *kv, CbError *err)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return cb_error_set(err, CB_EINVAL, "--set '%s': expected KEY=VALUE", kv);
    char *key = strndup(kv, (size_t)(eq - kv));
    if (!key)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    const char *val = eq + 1;
    json_error_t jerr;
    json_t *v = json_loads(val, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        v = json_string(val);
    int rc = 0;
    if (!v) {
        rc = cb_error_set(err, CB_EINVAL, "--set %s: the value is not valid UTF-8", key);
        goto done;
    }
    const char *field = key;
    json_t *target = recipe;
    if (!strncmp(key, "settings.", 9))
        field = key + 9;
    if (strcmp(key, "name") && strcmp(key, "note")) {
        target = json_object_get(recipe, "settings");
        if (!json_is_object(target)) {
            target = json_object();
            if (!target || json_object_set_new(recipe, "settings", target) < 0) {
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                goto done;
            }
        }
    }
    if (!*field || strchr(field, '.')) {
        rc = cb_error_set(err, CB_EINVAL, "--set %s: not a recipe field", key);
        goto done;
    }
    if (json_object_set(target, field, v) < 0)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
done:
    json_decref(v);
    free(key);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 'S'},
        {"experiment", required_argument, NULL, 'e'},
        {"detach", no_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"store", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *store_flag = NULL, *experiment = NULL;
    const char *sets[RERUN_MAX_SETS];
    int n_sets = 0, detach = 0, json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'S':
            if (n_sets == RERUN_MAX_SETS)
                return cli_usage(&cb_cmd_rerun, "at most %d --set options", RERUN_MAX_SETS);
            sets[n_sets++] = optarg;
            break;
        case 'e': experiment = optarg; break;
        case 'd': detach = 1; break;
        case 'j': json = 1; break;
        case 's': store_flag = optarg; break;
        default:
            return cli_usage(&cb_cmd_rerun, "unknown option or missing value '%s'",
                             argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage(&cb_cmd_rerun, "needs one run id");
    int64_t id;
    int rc = cli_run_id_arg(&cb_cmd_rerun, argv[optind], &id);
    if (rc != CB_EXIT_OK)
        return rc;

    CbError err = { 0 };
    CbStore *store = NULL;
    CbChildRun child = { 0 };
    char *new_text = NULL;
    json_t *recipe = NULL;
    rc = CB_EXIT_FAIL;
    if (cli_store_open(store_flag, 0, &store, &err) < 0 ||
        cb_store_child_request(store, id, "rerun", &child, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (n_sets > 0) {
        json_error_t jerr;
        recipe = json_loads(child.parent_recipe, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(recipe)) {
            cli_error("run %lld: its recipe.json is not a JSON object", (long long)id);
            goto done;
        }
        for (int i = 0; i < n_sets; i++)
            if (apply_set(recipe, sets[i], &err) < 0) {
                rc = cli_fail(&err);
                goto done;
            }
        new_text = json_dumps(recipe, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!new_text) {
            cli_error("out of memory");
            goto done;
        }
        child.req.recipe_json = new_text;
        child.req.recipe_source = "rerun --set";
    }
    if (experiment)
        child.req.experiment = experiment;
    rc = cli_queue_and_wait(store, &child.req, detach, json);
done:
    json_decref(recipe);
    free(new_text);
    cb_child_run_free(&child);
    cb_store_close(&store);
    return rc;
}

const CbCommand cb_cmd_rerun = {
    "rerun", "RUN [--set KEY=VALUE]... [--detach] [--json]",
    "run a run's recipe again, optionally changed, as its child", run, help,
};

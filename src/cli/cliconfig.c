/* codecbench: the configuration the subcommands share: the built-in
 * defaults, then the user's config file, then CODECBENCH_* variables, loaded
 * once per process.  Command-line flags go on top with cli_config_flag(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "codecbench/config.h"
#include "codecbench/runner.h"

int cli_config_load(const char *file, int with_env, CbConfig **out, char **path, int *found,
                    CbError *err)
{
    CbConfig *cfg = NULL;
    char *user = NULL;
    int rc;
    *out = NULL;
    if (path)
        *path = NULL;
    if (found)
        *found = 0;
    if ((rc = cb_config_new(&cfg, err)) < 0)
        goto fail;
    if (file || with_env) {
        /* with_env unset and no file: the built-in defaults alone. */
        user = file ? NULL : cb_config_user_path();
        const char *p = file ? file : user;
        if (p) {
            rc = cb_config_load_file(cfg, p, file == NULL, err);
            if (rc < 0)
                goto fail;
            if (found)
                *found = rc == 0;
        }
        if (path && p && !(*path = strdup(p))) {
            rc = cb_error_set(err, CB_ENOMEM, "%s", cb_strerror(CB_ENOMEM));
            goto fail;
        }
    }
    if (with_env && (rc = cb_config_apply_env(cfg, err)) < 0)
        goto fail;
    free(user);
    *out = cfg;
    return CB_OK;
fail:
    if (path) {
        free(*path);
        *path = NULL;
    }
    free(user);
    cb_config_free(&cfg);
    return rc;
}

/* The one configuration of this process (a front end's state, made once). */
static CbConfig *shared_config(void)
{
    static CbConfig *cfg;
    if (!cfg) {
        CbError err;
        cb_error_clear(&err);
        if (cli_config_load(NULL, 1, &cfg, NULL, NULL, &err) < 0) {
            cli_error("%s", err.text);
            exit(CB_EXIT_FAIL);
        }
    }
    return cfg;
}

const CbConfig *cli_config(void)
{
    return shared_config();
}

int cli_config_flag(const char *name, const char *value, const char *flag)
{
    CbError err;
    cb_error_clear(&err);
    if (cb_config_set(shared_config(), name, value, flag, &err) < 0) {
        cli_error("%s", err.text);
        return CB_EXIT_USAGE;
    }
    return CB_EXIT_OK;
}

void cli_config_runner(CbRunnerOptions *o)
{
    const CbConfig *cfg = cli_config();
    long long v;
    if (!cb_config_is_auto(cfg, "workers") && cb_config_get_int(cfg, "workers", &v) == 0 && v > 0)
        o->workers = (int)v;
    if (cb_config_get_int(cfg, "wall_limit", &v) == 0)
        o->wall_limit_s = (double)v;
    if (cb_config_get_int(cfg, "memory_limit", &v) == 0)
        o->memory_limit_mib = v;
    if (cb_config_get_int(cfg, "cancel_grace", &v) == 0)
        o->cancel_grace_s = (double)v;
    if (cb_config_get_int(cfg, "runner_idle_exit", &v) == 0)
        o->idle_exit_s = (double)v;
    if (cb_config_get_int(cfg, "poll_interval_ms", &v) == 0)
        o->poll_ms = (int)v;
    /* The stage hosts' limits reach workers and verifiers through the
     * runner's environment (the spawn allow-list passes these names), so a
     * value from the config file counts as one from the environment. */
    static const char *const stage_limits[][2] = {
        {"stage.timeout", "CODECBENCH_STAGE_TIMEOUT"},
        {"stage.cpu_limit", "CODECBENCH_STAGE_CPU_LIMIT"},
        {"stage.memory_limit", "CODECBENCH_STAGE_MEMORY_LIMIT"},
    };
    for (size_t i = 0; i < sizeof stage_limits / sizeof stage_limits[0]; i++) {
        char text[32];
        if (cb_config_get_int(cfg, stage_limits[i][0], &v) == 0 &&
            snprintf(text, sizeof text, "%lld", v) < (int)sizeof text)
            setenv(stage_limits[i][1], text, 1);
    }
}

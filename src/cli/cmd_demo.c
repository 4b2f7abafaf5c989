/* codecbench demo: a demo experiment, engine variants against x264, run
 * through the store and its runner like any experiment. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "cli/clistore.h"
#include "codecbench/recipe.h"
#include "codecbench/sanitize.h"

#define DEMO_EXPERIMENT "demo"
#define DEMO_ANCHOR "x264-medium"
/* The recipes the demo runs, from the recipes folder; the first is the anchor. */
static const char *const demo_recipes[] = { DEMO_ANCHOR, "x264-veryfast", "fast", "default" };
#define N_DEMO_RECIPES (sizeof(demo_recipes) / sizeof(demo_recipes[0]))
/* Sources in the clips folder: names ending in this. */
#define DEMO_SOURCE_SUFFIX ".y4m"
/* Most sources a demo takes. */
#define DEMO_MAX_SOURCES 16
/* How often the store is asked how the runs are going, ms. */
#define DEMO_TICK_MS 500

static void help(FILE *out)
{
    fputs("Usage: codecbench demo [CLIPS_DIR] [--frames N] [--recipes DIR] [--store DIR]\n"
          "                       [--detach]\n"
          "\n"
          "Runs the demo experiment ('" DEMO_EXPERIMENT "'): each source CLIPS_DIR/*.y4m\n"
          "(default: samples; 'samples/make-clips --demo DIR' makes them) encoded with\n"
          "the recipes x264-medium (the anchor), x264-veryfast, fast and default (the\n"
          "codecbench engine), each run by the store's runner in worker processes and\n"
          "verified by decoding the stored bitstreams.  Runs already done with the same\n"
          "recipe, source and frames are kept, not run again (and queued or running\n"
          "ones are waited for, not queued twice).  Prints each run as it\n"
          "ends, then the BD-rate of every recipe against x264-medium per source and\n"
          "averaged over the sources.  'codecbench list --experiment demo' and\n"
          "'codecbench compare' go further.\n"
          "\n"
          "Options:\n"
          "  --frames N     frames of each source (default 30)\n"
          "  --recipes DIR  where the recipes are (default: $CODECBENCH_RECIPES, else\n"
          "                 " CB_PKGDATADIR "/recipes, else samples/recipes)\n"
          "  --detach       queue the runs and return: the runner runs them (the\n"
          "                 dashboard, 'codecbench --store DIR', shows them live)\n"
          "  --store DIR    the store (default: $CODECBENCH_STORE, the config's 'store',\n"
          "                 else $XDG_DATA_HOME/codecbench)\n"
          "  -h, --help     this text\n",
          out);
}

static int is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *recipes_dir(const char *flag)
{
    if (flag)
        return flag;
    const char *env = getenv("CODECBENCH_RECIPES");
    if (env && *env)
        return env;
    if (is_dir(CB_PKGDATADIR "/recipes"))
        return CB_PKGDATADIR "/recipes";
    return "samples/recipes";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sources in dir (absolute paths, sorted); *n of them. */
static int find_sources(const char *dir, char **out, size_t *n, CbError *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return cb_error_set(err, CB_EIO, "%s: %s", dir, strerror(errno));
    char *abs = realpath(dir, NULL);
    int rc = 0;
    *n = 0;
    struct dirent *e;
    while (abs && (e = readdir(d))) {
        size_t len = strlen(e->d_name), sl = strlen(DEMO_SOURCE_SUFFIX);
        if (len <= sl || strcmp(e->d_name + len - sl, DEMO_SOURCE_SUFFIX) || e->d_name[0] == '.')
            continue;
        if (*n == DEMO_MAX_SOURCES) {
            rc = cb_error_set(err, CB_ELIMIT, "%s: more than %d sources", dir, DEMO_MAX_SOURCES);
            break;
        }
        size_t m = strlen(abs) + len + 2;
        out[*n] = malloc(m);
        if (!out[*n]) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            break;
        }
        snprintf(out[*n], m, "%s/%s", abs, e->d_name);
        (*n)++;
    }
    if (!abs)
        rc = cb_error_set(err, CB_EIO, "%s: %s", dir, strerror(errno));
    closedir(d);
    free(abs);
    if (rc == 0 && *n == 0)
        rc = cb_error_set(err, CB_ENOENT,
                          "%s has no sources (*.y4m); make them with: samples/make-clips --demo %s",
                          dir, dir);
    if (rc == 0)
        qsort(out, *n, sizeof(*out), cmp_str);
    return rc;
}

static int read_recipe(const char *dir, const char *name, char **text, char hash[CB_RECIPE_HASH_HEX],
                       CbError *err)
{
    size_t m = strlen(dir) + strlen(name) + 8;
    char *path = malloc(m);
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    snprintf(path, m, "%s/%s.json", dir, name);
    CbRecipe r = { 0 };
    int rc = cli_read_recipe(path, text, &r, err);
    if (rc == 0 && (rc = cb_recipe_hash(&r, hash)) < 0)
        cb_error_set(err, rc, "%s: cannot hash the recipe", path);
    if (rc == CB_EIO)
        cb_error_prefix(err, "the demo's recipes (--recipes DIR)");
    cb_recipe_free(&r);
    free(path);
    return rc;
}

/* A done run of this experiment with the same recipe, input and frames. */
/* A run of this recipe, source and frames that is done, or queued or
 * running (waited for, not queued twice); its id, or 0. */
static int64_t find_run(CbRunInfo *rows, size_t n, const char *hash, const char *input,
                        int64_t frames, int *active)
{
    for (size_t i = 0; i < n; i++)
        if ((rows[i].status == CB_RUN_DONE || rows[i].status == CB_RUN_QUEUED ||
             rows[i].status == CB_RUN_RUNNING || rows[i].status == CB_RUN_VERIFYING) &&
            rows[i].recipe_hash &&
            !strcmp(rows[i].recipe_hash, hash) && rows[i].input && !strcmp(rows[i].input, input) &&
            rows[i].first_frame == 0 && rows[i].frames == frames) {
            *active = rows[i].status != CB_RUN_DONE;
            return rows[i].id;
        }
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int is_final(CbRunStatus st)
{
    return st == CB_RUN_DONE || st == CB_RUN_FAILED || st == CB_RUN_CANCELLED ||
           st == CB_RUN_INTERRUPTED;
}

static void print_run(const CbRunInfo *r)
{
    char *name = cb_sanitize_dup(r->recipe_name ? r->recipe_name : "?", 0);
    char *src = cb_sanitize_dup(base_name(r->input ? r->input : "?"), 0);
    if (r->status == CB_RUN_DONE) {
        printf("  run %-5lld %-14s %-14s %7.1f..%-8.1f kbps  PSNR-Y %6.3f..%-6.3f dB",
               (long long)r->id, name ? name : "", src ? src : "", r->kbps_min, r->kbps_max,
               r->psnr_y_min, r->psnr_y_max);
        if (r->anchor_run == r->id)
            printf("  (the anchor)");
        else if (isfinite(r->bd_rate))
            printf("  BD-rate %+7.2f %%", r->bd_rate);
        putchar('\n');
    } else {
        char *why = cb_sanitize_dup(r->reason ? r->reason : "", 0);
        printf("  run %-5lld %-14s %-14s %s: %s\n", (long long)r->id, name ? name : "",
               src ? src : "", cb_run_status_name(r->status), why ? why : "");
        free(why);
    }
    fflush(stdout);
    free(name);
    free(src);
}

/* Waits for the runs, printing each as it ends.  Returns how many failed. */
static int wait_runs(CbStore *s, const int64_t *ids, size_t n, CbError *err)
{
    char *seen = calloc(n, 1);
    if (!seen)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    size_t left = n;
    int failed = 0, rc = 0;
    while (left > 0) {
        for (size_t i = 0; i < n; i++) {
            if (seen[i])
                continue;
            CbRunInfo r = { 0 };
            if ((rc = cb_store_get_run(s, ids[i], &r, err)) < 0)
                goto out;
            if (is_final(r.status)) {
                seen[i] = 1;
                left--;
                failed += r.status != CB_RUN_DONE;
                print_run(&r);
            }
            cb_run_info_free(&r);
        }
        if (left > 0) {
            /* A runner that went idle while we queued is started again. */
            if ((rc = cli_runner_ensure(s, err)) < 0)
                goto out;
            poll(NULL, 0, DEMO_TICK_MS);
        }
    }
out:
    free(seen);
    return rc < 0 ? rc : failed;
}

static void print_summary(CbStore *s, char **sources, size_t n_src, CbError *err)
{
    CbRunInfo *rows = NULL;
    size_t n = 0;
    CbRunFilter f = { .experiment = DEMO_EXPERIMENT, .status = CB_RUN_DONE, .sort = "id" };
    if (cb_store_list(s, &f, &rows, &n, err) < 0)
        return;
    printf("\nBD-rate against %s on PSNR-Y (negative: fewer bits at equal quality)\n\n",
           DEMO_ANCHOR);
    printf("  %-14s", "recipe");
    for (size_t c = 0; c < n_src; c++) {
        char *src = cb_sanitize_dup(base_name(sources[c]), 0);
        printf(" %14.14s", src ? src : "");
        free(src);
    }
    printf(" %14s\n", "mean");
    CbRecipeBd *bds = NULL;
    size_t n_bd = 0;
    if (cb_store_experiment_bd(s, DEMO_EXPERIMENT, &bds, &n_bd, err) < 0)
        n_bd = 0;
    for (size_t k = 1; k < N_DEMO_RECIPES; k++) {
        printf("  %-14s", demo_recipes[k]);
        for (size_t c = 0; c < n_src; c++) {
            double bd = NAN;
            for (size_t i = 0; i < n; i++)
                if (rows[i].recipe_name && !strcmp(rows[i].recipe_name, demo_recipes[k]) &&
                    rows[i].input && !strcmp(rows[i].input, sources[c]))
                    bd = rows[i].bd_rate;
            if (isfinite(bd))
                printf(" %12.2f %%", bd);
            else
                printf(" %14s", "-");
        }
        double mean = NAN;
        for (size_t i = 0; i < n_bd; i++)
            if (bds[i].recipe_name && !strcmp(bds[i].recipe_name, demo_recipes[k]))
                mean = bds[i].bd_rate;
        if (isfinite(mean))
            printf(" %12.2f %%\n", mean);
        else
            printf(" %14s\n", "-");
    }
    printf("\nHow: PSNR-Y is the mean of per-frame PSNR over the decoded frames; kbps counts\n"
           "the stored stream's payload with its in-band headers; BD-rate is integrated by\n"
           "PCHIP in the log-rate domain over the overlapping PSNR range (JVET/AOM CTC),\n"
           "against the %s run on the same source; '-' where a curve is missing or\n"
           "the curves do not overlap.\n",
           DEMO_ANCHOR);
    cb_recipe_bds_free(&bds, n_bd);
    cb_run_infos_free(&rows, n);
}

static int run(int argc, char **argv)
{
    const char *recipes_flag = NULL, *frames_arg = NULL;
    long long frames = 30;
    int detach = 0;
    const CliOpt opts[] = {
        {.name = "frames", .text = &frames_arg},
        {.name = "detach", .flag = &detach, .value = 1},
        {.name = "recipes", .text = &recipes_flag},
        {0},
    };
    CliArgs a = {.opts = opts, .max = 1, .arity = "at most one clips folder"};
    int rc = cli_parse_args(&cb_cmd_demo, argc, argv, &a);
    if (rc == CB_EXIT_OK && frames_arg)
        rc = cli_count_arg(&cb_cmd_demo, "--frames", frames_arg, 1, &frames);
    if (rc != CB_EXIT_OK)
        return rc;
    const char *clips = a.n ? argv[a.first] : "samples";
    const char *rdir = recipes_dir(recipes_flag);

    CbError err = { 0 };
    CbStore *store = NULL;
    char *sources[DEMO_MAX_SOURCES] = { 0 };
    char *texts[N_DEMO_RECIPES] = { 0 };
    char hashes[N_DEMO_RECIPES][CB_RECIPE_HASH_HEX];
    int64_t ids[DEMO_MAX_SOURCES * N_DEMO_RECIPES];
    size_t n_src = 0, n_ids = 0, n_old = 0;
    CbRunInfo *old = NULL;
    rc = CB_EXIT_FAIL;
    if (find_sources(clips, sources, &n_src, &err) < 0)
        goto fail;
    for (size_t k = 0; k < N_DEMO_RECIPES; k++)
        if (read_recipe(rdir, demo_recipes[k], &texts[k], hashes[k], &err) < 0)
            goto fail;
    if (cli_store_open(a.store, CB_STORE_CREATE, &store, &err) < 0 ||
        cb_store_set_anchor(store, DEMO_EXPERIMENT, texts[0], DEMO_ANCHOR ".json", &err) < 0)
        goto fail;
    CbRunFilter f = { .experiment = DEMO_EXPERIMENT, .status = -1, .sort = "id" };
    if (cb_store_list(store, &f, &old, &n_old, &err) < 0)
        goto fail;
    printf("codecbench demo: %zu sources x %zu recipes, %lld frames each, store %s\n", n_src,
           N_DEMO_RECIPES, frames, cb_store_dir(store));
    size_t kept = 0, waiting = 0;
    for (size_t k = 0; k < N_DEMO_RECIPES; k++)
        for (size_t i = 0; i < n_src; i++) {
            int active = 0;
            int64_t found = find_run(old, n_old, hashes[k], sources[i], frames, &active);
            if (found && active) {
                ids[n_ids++] = found;
                waiting++;
                continue;
            }
            if (found) {
                kept++;
                continue;
            }
            CbRunRequest req = {
                .experiment = DEMO_EXPERIMENT,
                .recipe_json = texts[k],
                .recipe_source = demo_recipes[k],
                .input = sources[i],
                .first_frame = 0,
                .frames = frames,
                .origin = "user",
            };
            if (cb_store_queue_run(store, &req, &ids[n_ids], &err) < 0)
                goto fail;
            n_ids++;
        }
    if (waiting)
        printf("%zu runs done earlier are kept, %zu queued or running earlier are waited for; "
               "%zu queued\n",
               kept, waiting, n_ids - waiting);
    else if (kept)
        printf("%zu runs done earlier are kept; %zu queued\n", kept, n_ids);
    else
        printf("%zu runs queued\n", n_ids);
    fflush(stdout);
    if (n_ids && cli_runner_ensure(store, &err) < 0)
        goto fail;
    if (detach) {
        rc = CB_EXIT_OK;
        goto out;
    }
    int failed = wait_runs(store, ids, n_ids, &err);
    if (failed < 0)
        goto fail;
    print_summary(store, sources, n_src, &err);
    rc = failed ? CB_EXIT_FAIL : CB_EXIT_OK;
    if (failed)
        cli_error("%d of %zu runs did not finish; 'codecbench logs RUN' says why", failed, n_ids);
    goto out;
fail:
    rc = cli_fail(&err);
out:
    cb_run_infos_free(&old, n_old);
    cb_store_close(&store);
    for (size_t i = 0; i < n_src; i++)
        free(sources[i]);
    for (size_t k = 0; k < N_DEMO_RECIPES; k++)
        free(texts[k]);
    return rc;
}

const CbCommand cb_cmd_demo = {
    "demo", "[CLIPS_DIR] [--frames N] [--recipes DIR]",
    "the demo experiment: engine recipes against x264 on the sample clips", run, help,
};

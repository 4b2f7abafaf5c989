/* codecbench recipe schema|check: the JSON Schema of a recipe, and checking
 * recipe files (canonical form and hash). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "codecbench/buf.h"
#include "codecbench/recipe.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench recipe schema [--strict]\n"
          "       codecbench recipe check FILE...\n"
          "\n"
          "A recipe is a JSON object naming what a run encodes:\n"
          "  {\"name\": \"default\", \"codec\": \"engine\",\n"
          "   \"settings\": {\"block_size\": 16, ..., \"qps\": [22, 27, 32, 37]},\n"
          "   \"note\": \"optional text\"}\n"
          "or an FFmpeg encoder as a baseline (see codecbench(1), Baseline recipes):\n"
          "  {\"name\": \"x264-medium\", \"codec\": \"ffmpeg\",\n"
          "   \"settings\": {\"encoder\": \"libx264\", \"preset\": \"medium\",\n"
          "                \"tune\": \"psnr\", \"points\": [22, 27, 32, 37]}}\n"
          "A setting left out takes its default; an unknown key, a wrong type or a\n"
          "value out of range is an error naming the key and the allowed values.\n"
          "\n"
          "  schema      print the JSON Schema (draft 2020-12) of a recipe, generated\n"
          "              from the engine's table of settings and the baselines' table\n"
          "              of encoders: every setting with its type, range or allowed\n"
          "              values, default and description\n"
          "    --strict  the form OpenAI's strict structured outputs accept: every\n"
          "              property required, no \"default\" or string limits\n"
          "  check       validate each FILE; for a valid one print the SHA-256 of its\n"
          "              canonical form and the file name, then the canonical form\n"
          "              (every setting, in table order, compact, without the note);\n"
          "              exit 1 if any FILE is not a valid recipe\n"
          "  -h, --help  this text\n",
          out);
}

static int run_schema(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"strict", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    int strict = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's')
            strict = 1;
        else
            return cli_usage(&cb_cmd_recipe, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc)
        return cli_usage(&cb_cmd_recipe, "'recipe schema' takes no FILE");
    char *schema = cb_recipe_schema(strict);
    if (!schema) {
        cli_error("recipe schema: %s", cb_strerror(CB_ENOMEM));
        return CB_EXIT_FAIL;
    }
    puts(schema);
    free(schema);
    return CB_EXIT_OK;
}

/* Checks one file; prints its hash and canonical form, or the error. */
static int check_one(const char *path)
{
    CbError err;
    CbRecipe r = {0};
    char hex[CB_RECIPE_HASH_HEX];
    char *canonical = NULL;
    int rc;
    cb_error_clear(&err);
    if ((rc = cli_load_recipe(path, &r, &err)) < 0)
        goto out;
    canonical = cb_recipe_canonical(&r);
    if (!canonical || (rc = cb_recipe_hash(&r, hex)) < 0) {
        rc = cb_error_set(&err, CB_ENOMEM, "%s: %s", path, cb_strerror(CB_ENOMEM));
        goto out;
    }
    printf("%s  ", hex);
    cli_puts_sanitized(stdout, path);
    putchar('\n');
    cli_puts_sanitized(stdout, canonical);
    putchar('\n');
out:
    if (rc < 0)
        cli_fail(&err);
    free(canonical);
    cb_recipe_free(&r);
    return rc < 0 ? CB_EXIT_FAIL : CB_EXIT_OK;
}

static int run_check(int argc, char **argv)
{
    int a = 1;
    if (a < argc && !strcmp(argv[a], "--"))
        a++;
    else if (a < argc && argv[a][0] == '-' && argv[a][1])
        return cli_usage(&cb_cmd_recipe, "unknown option '%s'", argv[a]);
    if (a >= argc)
        return cli_usage(&cb_cmd_recipe, "'recipe check' needs at least one FILE");
    int rc = CB_EXIT_OK;
    for (; a < argc; a++)
        if (check_one(argv[a]) != CB_EXIT_OK)
            rc = CB_EXIT_FAIL;
    return rc;
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(&cb_cmd_recipe, "needs 'schema' or 'check'");
    if (!strcmp(argv[1], "schema"))
        return run_schema(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return run_check(argc - 1, argv + 1);
    return cli_usage(&cb_cmd_recipe, "'%s' is neither 'schema' nor 'check'", argv[1]);
}

const CbCommand cb_cmd_recipe = {
    .name = "recipe",
    .args = "schema [--strict] | check FILE...",
    .summary = "the JSON Schema of recipes; check recipe files",
    .run = run,
    .help = help,
};

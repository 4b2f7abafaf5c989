/* codecbench lineage RUN: a run's ancestors and descendants as a tree. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "cli/storeout.h"
#include "codecbench/buf.h"
#include "codecbench/propose.h"
#include "codecbench/recipe.h"

/* Deeper trees than this are printed flat below that depth: a chain of
 * reruns that long is a script's doing, and the indent would pass any
 * terminal's width. */
#define MAX_DEPTH 64

static void help(FILE *out)
{
    fputs("Usage: codecbench lineage RUN [--store DIR] [--json]\n"
          "\n"
          "Prints where a run came from and what came of it: the chain of its\n"
          "parents up to the first run, then the run (marked with <-) and every run\n"
          "descended from it (reruns, proposals), as a tree.  Each line gives the\n"
          "recipe, codec, status, origin (user, rerun, edit, proposer), BD-rate\n"
          "against the experiment's anchor run, and what the run changed against\n"
          "its parent: settings (\"deblock: true -> false\") and a stage's code\n"
          "(\"stage intra: +12 -3 lines\", counted against the parent's stage or\n"
          "the built-in one).\n"
          "\n"
          "Options:\n"
          CLI_HELP_STORE
          "  --json       one JSON document (ancestors nearest first, descendants\n"
          "               breadth first; each with its parent and, where its\n"
          "               parent is in the tree, \"change\")\n"
          "  -h, --help   this text\n",
          out);
}

typedef struct Tree {
    CbRunInfo *nodes; /* ancestors farthest first, the run, then descendants */
    char **change;    /* per node: what it changed against its parent (NULL: no
                         parent in the tree, or a recipe that does not parse) */
    size_t n, n_anc;
    int64_t self;
} Tree;

/* Fills t->change: cb_propose_diff of each node's recipe against its
 * parent's, for the nodes whose parent is in the tree. */
static int fill_changes(CbStore *s, Tree *t, CbError *err)
{
    CbRecipe *rec = calloc(t->n, sizeof *rec);
    char *ok = calloc(t->n, 1);
    int rc = CB_OK;
    if (!rec || !ok || !(t->change = calloc(t->n, sizeof *t->change))) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < t->n; i++) {
        char *json = NULL;
        CbError pe;
        if ((rc = cb_store_get_recipe(s, t->nodes[i].id, &json, err)) < 0)
            goto out;
        ok[i] = cb_recipe_parse(json, strlen(json), "recipe.json", &rec[i], &pe) == 0;
        free(json);
    }
    for (size_t i = 0; i < t->n; i++)
        for (size_t j = 0; j < t->n; j++)
            if (ok[i] && ok[j] && t->nodes[i].parent != 0 && t->nodes[j].id == t->nodes[i].parent &&
                !(t->change[i] = cb_propose_diff(&rec[j], &rec[i]))) {
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                goto out;
            }
out:
    for (size_t i = 0; rec && i < t->n; i++)
        cb_recipe_free(&rec[i]);
    free(rec);
    free(ok);
    return rc;
}

static void print_node(const CbRunInfo *r, const char *change, const char *prefix, int self)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 16);
    cb_buf_printf(&b, "run %lld  %s (%s)  %s  origin %s", (long long)r->id,
                  r->recipe_name ? r->recipe_name : "?", r->codec ? r->codec : "?",
                  cb_run_status_name(r->status), r->origin ? r->origin : "?");
    if (isfinite(r->bd_rate))
        cb_buf_printf(&b, "  BD-rate %+.2f%%", r->bd_rate);
    if (change)
        cb_buf_printf(&b, "  %s", *change ? change : "same settings");
    if (self)
        cb_buf_puts(&b, "  <-");
    fputs(prefix, stdout);
    cli_puts_sanitized(stdout, b.data ? b.data : "?");
    fputc('\n', stdout);
    cb_buf_free(&b);
}

/* Children of node k, depth-first; indent holds the prefix of k's children. */
static void print_children(const Tree *t, size_t k, char *indent, size_t depth)
{
    size_t last = 0;
    int any = 0;
    for (size_t i = t->n_anc + 1; i < t->n; i++)
        if (t->nodes[i].parent == t->nodes[k].id)
            last = i, any = 1;
    if (!any)
        return;
    size_t len = strlen(indent);
    for (size_t i = t->n_anc + 1; i < t->n; i++) {
        if (t->nodes[i].parent != t->nodes[k].id)
            continue;
        char line[4 * MAX_DEPTH + 8];
        snprintf(line, sizeof line, "%s%s", indent, i == last ? "`-- " : "|-- ");
        print_node(&t->nodes[i], t->change[i], line, 0);
        if (depth < MAX_DEPTH) {
            memcpy(indent + len, i == last ? "    " : "|   ", 5);
            print_children(t, i, indent, depth + 1);
            indent[len] = '\0';
        }
    }
}

static void print_tree(const Tree *t)
{
    char indent[4 * MAX_DEPTH + 8] = "";
    size_t depth = 0;
    for (size_t i = 0; i <= t->n_anc; i++) {
        char line[4 * MAX_DEPTH + 8];
        snprintf(line, sizeof line, "%s%s", indent, i ? "`-- " : "");
        print_node(&t->nodes[i], t->change[i], line, i == t->n_anc);
        if (i && depth < MAX_DEPTH) {
            size_t len = strlen(indent);
            memcpy(indent + len, "    ", 5);
            depth++;
        }
    }
    print_children(t, t->n_anc, indent, depth);
}

/* A node as JSON: the run (cli_json_run) with "change" where known. */
static json_t *json_run(const Tree *t, size_t i)
{
    json_t *o = cli_json_run(&t->nodes[i]);
    if (o && t->change[i])
        json_object_set_new(o, "change", json_string(t->change[i]));
    return o;
}

static int run(int argc, char **argv)
{
    int64_t id;
    int json = 0;
    CliArgs a = {.json = &json, .min = 1, .max = 1, .arity = "needs one RUN", .run_id = &id};
    int code = cli_parse_args(&cb_cmd_lineage, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    int64_t *anc = NULL, *desc = NULL;
    size_t n_anc = 0, n_desc = 0;
    Tree t = {0};
    code = CB_EXIT_FAIL;
    if (cli_store_open(a.store, CB_STORE_READONLY, &s, &err) < 0 ||
        cb_store_lineage(s, id, &anc, &n_anc, &desc, &n_desc, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    t.nodes = calloc(n_anc + 1 + n_desc, sizeof *t.nodes);
    if (!t.nodes) {
        cli_error("out of memory");
        goto out;
    }
    t.n_anc = n_anc;
    t.self = id;
    for (size_t i = 0; i < n_anc + 1 + n_desc; i++) {
        int64_t k = i < n_anc ? anc[n_anc - 1 - i] : i == n_anc ? id : desc[i - n_anc - 1];
        if (cb_store_get_run(s, k, &t.nodes[i], &err) < 0) {
            cli_fail(&err);
            goto out;
        }
        t.n = i + 1;
    }
    if (fill_changes(s, &t, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (json) {
        json_t *ja = json_array(), *jd = json_array();
        for (size_t i = 0; ja && i < n_anc; i++)
            json_array_append_new(ja, json_run(&t, n_anc - 1 - i));
        for (size_t i = n_anc + 1; jd && i < t.n; i++)
            json_array_append_new(jd, json_run(&t, i));
        json_t *doc = json_pack("{s:o, s:o, s:o}", "run", json_run(&t, n_anc), "ancestors", ja,
                                "descendants", jd);
        code = cli_json_print(doc);
        json_decref(doc);
        goto out;
    }
    print_tree(&t);
    code = CB_EXIT_OK;
out:
    for (size_t i = 0; i < t.n; i++) {
        cb_run_info_free(&t.nodes[i]);
        if (t.change)
            free(t.change[i]);
    }
    free(t.change);
    free(t.nodes);
    free(anc);
    free(desc);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_lineage = {
    .name = "lineage",
    .args = "RUN [--store DIR] [--json]",
    .summary = "a run's ancestors and descendants as a tree",
    .run = run,
    .help = help,
};

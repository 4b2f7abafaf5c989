/* codecbench propose: one round of proposals for an experiment, from the
 * local proposer or an LLM, validated, printed and queued. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "codecbench/config.h"
#include "codecbench/propose.h"
#include "codecbench/sanitize.h"

/* Proposals in a round unless --count says otherwise. */
#define PROPOSE_DEFAULT_K 4
/* Bytes of an LLM reply accepted (a reply of 32 recipes is under 32 KiB). */
#define PROPOSE_MAX_REPLY ((size_t)128 << 10)

static void help(FILE *out)
{
    fputs("Usage: codecbench propose [--experiment NAME] [--count K] [--proposer local|llm]\n"
          "                          [--stage intra|loop_filter|transform]\n"
          "                          [--seed N] [--dry-run] [--json] [--store DIR]\n"
          "       codecbench propose --stats [--experiment NAME] [--json] [--store DIR]\n"
          "\n"
          "One round of proposals: reads the experiment's history (its runs with their\n"
          "recipes and metrics, the anchor, BD-rates against it, failures with their\n"
          "reasons, what was proposed before), asks the proposer for K new recipes,\n"
          "validates each like any recipe, refuses duplicates (settings that already\n"
          "ran on the experiment's clips or were proposed before: the name does not\n"
          "count), prints each proposal with its rationale and the fields it changes\n"
          "against its parent run, and what was refused and why.  Unless --dry-run,\n"
          "the accepted proposals are recorded and queued on each of the experiment's\n"
          "clips as runs of origin 'proposer' whose parent is the run they start from\n"
          "(see 'codecbench lineage'), and the runner is started.\n"
          "\n"
          "Proposers:\n"
          "  local  a seeded search around the Pareto front of the experiment's engine\n"
          "         recipes (BD-rate against encode speed): coordinate steps over the\n"
          "         engine's settings, mutation and crossover; no network.  The same seed\n"
          "         and history give the same proposals.\n"
          "  llm    the chat-completions endpoint of the llm.* settings (see 'codecbench\n"
          "         llm check'): the prompt holds the anchor, the best runs, recent\n"
          "         failures and what was tried; the reply is asked for as JSON with the\n"
          "         recipe schema; on a terminal the reply streams to stderr as it comes\n"
          "         (sanitised).  Tokens are counted per experiment; with llm.budget > 0\n"
          "         a round is refused once the experiment has used that many.\n"
          "\n"
          "Stages (--stage KIND, the llm proposer only: the local proposer searches\n"
          "settings and writes no code, so --stage with it is a usage error): the model\n"
          "writes C for one engine stage (intra, loop_filter or transform; see\n"
          "include/codecbench/stage.h).  The prompt holds the stage header, its rules,\n"
          "the parent stage's source (the best run of the experiment with a stage of\n"
          "that kind by BD-rate, else the engine's built-in stage with the best engine\n"
          "recipe's settings) and measurements, and the reasons and build diagnostics\n"
          "of recent failed stages of that kind.  Each reply entry is a whole stage\n"
          "file (\"code\") or search/replace edits of the parent's source (\"edits\"),\n"
          "applied in order; a search text matches whitespace-insensitively and must\n"
          "match exactly once, else the entry is refused with the reason and counted\n"
          "as an edit that failed to apply for the model.  The new recipe is the\n"
          "parent's with \"stage\": {\"kind\", \"code\"}, named stage-KIND-HASH8 after the\n"
          "source's SHA-256, queued like any proposal; its changes say \"stage intra:\n"
          "+12 -3 lines\" against the parent's source.\n"
          "--stats prints, per model, the stage edits of the experiment's replies and\n"
          "the share that failed to apply (\"edits failed to apply: 3 of 20 (15 %) for\n"
          "model-x\"), kept in STORE/llm-usage.jsonl so reindex keeps them.\n"
          "\n"
          "Options:\n"
          "  --experiment NAME  the experiment (default: 'default', or the store's only one)\n"
          "  --count K          proposals to ask for, 1..32 (default 4)\n"
          "  --proposer P       local or llm (default: the 'proposer' setting)\n"
          "  --stage KIND       ask the llm proposer for stage code: intra, loop_filter or\n"
          "                     transform\n"
          "  --stats            print the edits that failed to apply, per model, and exit\n"
          "  --seed N           the local proposer's seed (default: the number of runs\n"
          "                     and proposals of the experiment, so rounds differ)\n"
          "  --dry-run          print the proposals, record and queue nothing\n"
          "  --json             print the round as one JSON object\n" CLI_HELP_STORE
          "  -h, --help         this text\n"
          "\n"
          "Exit status: 0 when a proposal was accepted, 1 when none was or the round\n"
          "failed (no such experiment, no done runs or anchor, the endpoint failing, the\n"
          "budget reached), 2 on a usage error.\n",
          out);
}

static long long cfg_int(const CbConfig *cfg, const char *name)
{
    long long v = 0;
    return cb_config_get_int(cfg, name, &v) == 0 ? v : 0;
}

/* Lines of a proposed stage's source printed (the rest is counted; --json
 * has it whole). */
#define STAGE_LINES_SHOWN 400

/* A stage proposal's source, indented and sanitised (model text: no escape
 * sequence reaches the terminal), so a dry run can be read. */
static void print_stage_code(const char *recipe_json)
{
    json_error_t je;
    json_t *doc = json_loads(recipe_json, 0, &je);
    json_t *stage = json_object_get(doc, "stage");
    const char *code = json_string_value(json_object_get(stage, "code"));
    const char *kind = json_string_value(json_object_get(stage, "kind"));
    char *clean = code ? cb_sanitize_dup(code, CB_SANITIZE_NEWLINES) : NULL;
    if (clean) {
        printf("   stage ");
        cli_puts_sanitized(stdout, kind ? kind : "?");
        printf(" (%zu bytes):\n", strlen(code));
        int lines = 0;
        const char *p = clean;
        while (*p && lines < STAGE_LINES_SHOWN) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            printf("   | %.*s\n", (int)len, p);
            lines++;
            p = nl ? nl + 1 : p + len;
        }
        int more = 0;
        for (; *p; p++)
            more += *p == '\n' || !p[1];
        if (more)
            printf("   | (%d more lines)\n", more);
    }
    free(clean);
    json_decref(doc);
}

/* "edits failed to apply: 3 of 20 (15 %) for model-x", the share rounded to
 * a whole percent. */
static void print_edit_rate(FILE *out, const CbLlmEditStat *st)
{
    fprintf(out, "edits failed to apply: %lld of %lld (%.0f %%) for ", st->failed, st->tried,
            st->tried ? 100.0 * (double)st->failed / (double)st->tried : 0.0);
    cli_puts_sanitized(out, st->model);
    fputc('\n', out);
}

static int print_stats(CbStore *store, const char *experiment, int json)
{
    CbError err;
    cb_error_clear(&err);
    char *name = NULL;
    CbLlmEditStat *rows = NULL;
    size_t n = 0;
    int rc = CB_EXIT_OK;
    if (cb_propose_pick_experiment(store, experiment, &name, &err) < 0 ||
        cb_store_llm_edits(store, name, &rows, &n, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (json) {
        json_t *doc = json_object(), *models = json_array();
        for (size_t i = 0; doc && models && i < n; i++)
            json_array_append_new(
                models, json_pack("{s:o, s:I, s:I, s:f}", "model", cli_json_str(rows[i].model),
                                  "edits_tried", (json_int_t)rows[i].tried, "edits_failed",
                                  (json_int_t)rows[i].failed, "failed_percent",
                                  rows[i].tried ? 100.0 * (double)rows[i].failed /
                                                      (double)rows[i].tried
                                                : 0.0));
        if (doc && models) {
            json_object_set_new(doc, "experiment", cli_json_str(name));
            json_object_set(doc, "models", models);
        }
        rc = doc && models && cli_json_print(doc) == 0 ? CB_EXIT_OK : CB_EXIT_FAIL;
        if (rc != CB_EXIT_OK)
            cli_error("out of memory");
        json_decref(models);
        json_decref(doc);
        goto done;
    }
    printf("experiment ");
    cli_puts_sanitized(stdout, name);
    printf(": ");
    if (n == 0)
        printf("no stage edits recorded\n");
    else
        printf("%zu model%s\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        print_edit_rate(stdout, &rows[i]);
done:
    cb_llm_edit_stats_free(&rows, n);
    free(name);
    return rc;
}

static void print_text(const CbProposeHistory *h, const CbProposeRound *r, const char *proposer,
                       uint64_t seed, int dry_run)
{
    printf("experiment ");
    cli_puts_sanitized(stdout, h->experiment);
    printf(": %zu proposal%s accepted, %zu refused (%s proposer", r->n_items,
           r->n_items == 1 ? "" : "s", r->n_rejects, proposer);
    if (!strcmp(proposer, "local"))
        printf(", seed %llu", (unsigned long long)seed);
    else
        printf(", %lld + %lld tokens%s", r->usage.prompt_tokens, r->usage.completion_tokens,
               r->usage.estimated ? " (estimated)" : "");
    printf(")%s\n", dry_run ? ", dry run: nothing queued" : "");
    for (size_t i = 0; i < r->n_items; i++) {
        const CbProposeItem *it = &r->items[i];
        printf("\n%zu. ", i + 1);
        cli_puts_sanitized(stdout, it->name);
        if (it->parent)
            printf("  (parent run %lld)", (long long)it->parent);
        if (it->n_runs) {
            printf("  queued as run%s", it->n_runs == 1 ? "" : "s");
            for (size_t j = 0; j < it->n_runs; j++)
                printf("%s %lld", j ? "," : "", (long long)it->run_ids[j]);
        }
        printf("\n   why: ");
        cli_puts_sanitized(stdout, it->rationale);
        printf("\n   changes: ");
        cli_puts_sanitized(stdout, *it->diff ? it->diff : "(no parent to compare with)");
        printf("\n");
        print_stage_code(it->recipe_json);
    }
    if (r->n_rejects)
        printf("\nrefused:\n");
    for (size_t i = 0; i < r->n_rejects; i++) {
        const CbProposeReject *j = &r->rejects[i];
        printf("  - ");
        if (*j->name) {
            cli_puts_sanitized(stdout, j->name);
            printf(": ");
        }
        cli_puts_sanitized(stdout, j->reason);
        if (*j->rationale) {
            printf("\n    why: ");
            cli_puts_sanitized(stdout, j->rationale);
        }
        printf("\n");
    }
}

static int print_json(const CbProposeHistory *h, const CbProposeRound *r, const char *proposer,
                      uint64_t seed, int dry_run)
{
    json_t *doc = json_object(), *items = json_array(), *rej = json_array();
    int rc = CB_EXIT_FAIL;
    if (!doc || !items || !rej)
        goto done;
    json_object_set_new(doc, "experiment", cli_json_str(h->experiment));
    json_object_set_new(doc, "proposer", json_string(proposer));
    json_object_set_new(doc, "seed", strcmp(proposer, "local") ? json_null()
                                                               : json_integer((json_int_t)seed));
    json_object_set_new(doc, "dry_run", json_boolean(dry_run));
    json_object_set_new(doc, "asked", json_integer(r->k));
    for (size_t i = 0; i < r->n_items; i++) {
        const CbProposeItem *it = &r->items[i];
        json_error_t je;
        json_t *runs = json_array();
        for (size_t j = 0; runs && j < it->n_runs; j++)
            json_array_append_new(runs, json_integer(it->run_ids[j]));
        json_t *o = json_pack("{s:o, s:o, s:I, s:o, s:o, s:o, s:o}", "name", cli_json_str(it->name),
                              "rationale", cli_json_str(it->rationale), "parent",
                              (json_int_t)it->parent, "changes", cli_json_str(it->diff),
                              "recipe", json_loads(it->recipe_json, 0, &je), "runs",
                              runs ? runs : json_array(), "proposal",
                              it->proposal_id ? json_integer(it->proposal_id) : json_null());
        if (!o || json_array_append_new(items, o) < 0)
            goto done;
    }
    for (size_t i = 0; i < r->n_rejects; i++) {
        const CbProposeReject *j = &r->rejects[i];
        json_t *o = json_pack("{s:o, s:o, s:o}", "name", cli_json_str(j->name), "rationale",
                              cli_json_str(j->rationale), "reason", cli_json_str(j->reason));
        if (!o || json_array_append_new(rej, o) < 0)
            goto done;
    }
    json_object_set(doc, "proposals", items);
    json_object_set(doc, "refused", rej);
    if (strcmp(proposer, "local"))
        json_object_set_new(doc, "usage",
                            json_pack("{s:I, s:I, s:b, s:i}", "prompt_tokens",
                                      (json_int_t)r->usage.prompt_tokens, "completion_tokens",
                                      (json_int_t)r->usage.completion_tokens, "estimated",
                                      r->usage.estimated, "attempts", r->usage.attempts));
    rc = cli_json_print(doc) < 0 ? CB_EXIT_FAIL : CB_EXIT_OK;
done:
    if (rc != CB_EXIT_OK)
        cli_error("out of memory");
    json_decref(items);
    json_decref(rej);
    json_decref(doc);
    return rc;
}

/* Bytes of a streamed reply shown on a terminal before the rest is only
 * counted (a proposal is a few hundred bytes). */
#define STREAM_SHOW_MAX ((size_t)16 << 10)

/* The reply as it streams, shown on stderr when that is a terminal:
 * sanitised (line breaks kept), a UTF-8 character split across chunks held
 * back until it is whole. */
typedef struct Stream {
    CbBuf pend;   /* bytes not shown yet (at most an incomplete character) */
    size_t shown; /* bytes shown */
    int cut;      /* the rest is not shown */
} Stream;

static void stream_delta(void *ud, const char *text, size_t len)
{
    Stream *st = ud;
    if (st->cut || cb_buf_append(&st->pend, text, len) < 0)
        return;
    size_t n = cb_utf8_whole_prefix(st->pend.data, st->pend.len);
    if (n == 0)
        return;
    CbBuf out;
    cb_buf_init(&out, STREAM_SHOW_MAX * 4);
    if (cb_sanitize_append(&out, st->pend.data, n, CB_SANITIZE_NEWLINES) == 0 && out.data)
        fwrite(out.data, 1, out.len, stderr);
    cb_buf_free(&out);
    st->shown += n;
    memmove(st->pend.data, st->pend.data + n, st->pend.len - n);
    st->pend.len -= n;
    st->pend.data[st->pend.len] = '\0';
    if (st->shown >= STREAM_SHOW_MAX) {
        fputs(" [...]", stderr);
        st->cut = 1;
    }
    fflush(stderr);
}

static void stream_restart(void *ud, int attempt, int delay_ms, const char *why)
{
    Stream *st = ud;
    cb_buf_reset(&st->pend);
    st->shown = 0;
    st->cut = 0;
    fprintf(stderr, "\n[retry %d in %d ms: ", attempt, delay_ms);
    cli_puts_sanitized(stderr, why);
    fputs("]\n", stderr);
}

/* The LLM round: the budget checked, the call, its usage recorded even
 * when the call failed (tokens may have been paid). */
static int llm_round(CbStore *store, const CbProposeHistory *h, CbProposeParams *p,
                     CbProposeRound *r, int json, CbError *err)
{
    const CbConfig *cfg = cli_config();
    CbLlmEndpoint ep;
    int rc = cb_llm_endpoint_from_config(cfg, &ep, err);
    if (rc < 0)
        return rc;
    ep.max_reply = PROPOSE_MAX_REPLY;
    ep.stream = 1;
    const char *base = ep.base_url, *model = ep.model;
    long long budget = cfg_int(cfg, "llm.budget"), used = 0, requests = 0;
    rc = cb_store_llm_usage(store, h->experiment, &used, &requests, err);
    if (rc < 0)
        return rc;
    if (budget > 0 && used >= budget)
        return cb_error_set(err, CB_ELIMIT,
                            "llm.budget reached: experiment '%s' has used %lld tokens in %lld "
                            "requests, the budget is %lld (raise llm.budget or set it to 0)",
                            h->experiment, used, requests, budget);
    CbLlm *c = NULL;
    rc = cb_llm_new(&c, err);
    if (rc < 0)
        return rc;
    cb_llm_set_coalesce(c, CB_LLM_COALESCE_UI_MS);
    if (!json) {
        fprintf(stderr, "asking ");
        cli_puts_sanitized(stderr, model);
        fprintf(stderr, " at ");
        cli_puts_sanitized(stderr, base);
        fprintf(stderr, " for %d proposal%s\n", p->k, p->k == 1 ? "" : "s");
    }
    /* the reply streams to a terminal, as it comes */
    Stream st = {.shown = 0};
    cb_buf_init(&st.pend, PROPOSE_MAX_REPLY);
    const CbLlmCallbacks show = {stream_delta, stream_restart};
    int live = !json && isatty(STDERR_FILENO);
    p->llm = c;
    p->endpoint = &ep;
    p->callbacks = live ? &show : NULL;
    p->ud = live ? &st : NULL;
    rc = cb_proposer_llm.propose(h, p, r, err);
    p->llm = NULL;
    p->endpoint = NULL;
    p->callbacks = NULL;
    p->ud = NULL;
    if (live && (st.shown || st.pend.len))
        fputc('\n', stderr);
    cb_buf_free(&st.pend);
    if (r->usage.attempts > 0) {
        CbError ue;
        cb_error_clear(&ue);
        if (cb_store_add_llm_usage(store, h->experiment, model, r->usage.prompt_tokens,
                                   r->usage.completion_tokens, r->usage.estimated,
                                   r->usage.attempts, &ue) < 0)
            cli_warn("the tokens of this request were not recorded: %s", ue.text);
    }
    if (r->edits_tried > 0) {
        /* a dry run too: how well the model edits is known now */
        CbError ue;
        cb_error_clear(&ue);
        if (cb_store_add_llm_edits(store, h->experiment, model, r->edits_tried, r->edits_failed,
                                   &ue) < 0)
            cli_warn("the edits of this reply were not recorded: %s", ue.text);
    }
    cb_llm_free(&c);
    return rc;
}

static int run(int argc, char **argv)
{
    const char *experiment = NULL, *count_arg = NULL, *proposer_arg = NULL, *seed_arg = NULL;
    const char *stage_arg = NULL;
    int dry_run = 0, json = 0, stats = 0;
    const CliOpt opts[] = {
        {"experiment", 0, NULL, 0, &experiment},
        {"count", 0, NULL, 0, &count_arg},
        {"proposer", 0, NULL, 0, &proposer_arg},
        {"seed", 0, NULL, 0, &seed_arg},
        {"dry-run", 0, &dry_run, 1, NULL},
        {"stage", 0, NULL, 0, &stage_arg},
        {"stats", 0, &stats, 1, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    CliArgs a = {.opts = opts, .json = &json, .min = 0, .max = 0, .arity = NULL};
    int rc = cli_parse_args(&cb_cmd_propose, argc, argv, &a);
    if (rc != CB_EXIT_OK)
        return rc;
    long long k = PROPOSE_DEFAULT_K, seed_v = -1;
    if (count_arg && (rc = cli_count_arg(&cb_cmd_propose, "--count", count_arg, 1, &k)) != CB_EXIT_OK)
        return rc;
    if (k > CB_PROPOSE_MAX_K)
        return cli_usage(&cb_cmd_propose, "--count is at most %d, not %lld", CB_PROPOSE_MAX_K, k);
    if (seed_arg && (rc = cli_count_arg(&cb_cmd_propose, "--seed", seed_arg, 0, &seed_v)) != CB_EXIT_OK)
        return rc;
    const char *pname = proposer_arg ? proposer_arg
                                     : cb_config_get_string(cli_config(), "proposer");
    const CbProposer *proposer = cb_proposer_find(pname ? pname : "local");
    if (!proposer)
        return cli_usage(&cb_cmd_propose, "--proposer is local or llm, not '%s'", pname);
    CbStageKind stage = CB_STAGE_NONE;
    if (stage_arg) {
        CbError se;
        if (cb_stage_kind_parse(stage_arg, &stage, &se) < 0 || stage == CB_STAGE_NONE)
            return cli_usage(&cb_cmd_propose, "--stage is intra, loop_filter or transform, not '%s'",
                             stage_arg);
        if (proposer != &cb_proposer_llm)
            return cli_usage(&cb_cmd_propose,
                             "--stage needs the llm proposer (--proposer llm): the local proposer "
                             "searches settings and writes no code");
    }
    if (stats) {
        if (stage_arg || count_arg || seed_arg || dry_run || proposer_arg)
            return cli_usage(&cb_cmd_propose, "--stats takes only --experiment, --json and --store");
        CbError se;
        cb_error_clear(&se);
        CbStore *ss = NULL;
        if (cli_store_open(a.store, 0, &ss, &se) < 0)
            return cli_fail(&se);
        rc = print_stats(ss, experiment, json);
        cb_store_close(&ss);
        return rc;
    }

    CbError err;
    cb_error_clear(&err);
    CbStore *store = NULL;
    CbProposeHistory h;
    memset(&h, 0, sizeof h);
    CbProposeRound r;
    cb_propose_round_init(&r, (int)k);
    rc = CB_EXIT_FAIL;
    if (cli_store_open(a.store, 0, &store, &err) < 0 ||
        cb_propose_history(store, experiment, &h, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    uint64_t seed = seed_v >= 0 ? (uint64_t)seed_v : (uint64_t)(h.runs + h.proposals);
    CbProposeParams p = {.k = (int)k, .seed = seed, .stage = stage};
    int prc = proposer == &cb_proposer_llm ? llm_round(store, &h, &p, &r, json, &err)
                                           : proposer->propose(&h, &p, &r, &err);
    if (prc < 0) {
        cli_error("%s proposer: %s", proposer->name, err.text);
        rc = CB_EXIT_FAIL;
        goto done;
    }
    if (!dry_run && r.n_items) {
        if (cb_propose_queue(store, &h, &r, proposer->name, &err) < 0 ||
            cli_runner_ensure(store, &err) < 0) {
            rc = cli_fail(&err);
            goto done;
        }
    }
    if (json)
        rc = print_json(&h, &r, proposer->name, seed, dry_run);
    else
        print_text(&h, &r, proposer->name, seed, dry_run), rc = CB_EXIT_OK;
    if (rc == CB_EXIT_OK && r.n_items == 0) {
        cli_error("no proposal was accepted%s", r.n_rejects ? " (see the reasons above)"
                                                            : ": the search found nothing new");
        rc = CB_EXIT_FAIL;
    }
done:
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
    cb_store_close(&store);
    return rc;
}

const CbCommand cb_cmd_propose = {
    "propose", "[--experiment NAME] [--count K] [--proposer local|llm] [--stage KIND] [--dry-run] [--json] | --stats",
    "one round of proposals (local search or an LLM), validated and queued", run, help,
};

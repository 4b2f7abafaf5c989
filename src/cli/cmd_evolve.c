/* codecbench evolve: N generations of proposals, run and measured, driven
 * by the runner (codecbench/evolve.h says how); --status, --stop, and the
 * round process the runner starts (--round). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clirun.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "codecbench/config.h"
#include "codecbench/evolve.h"
#include "codecbench/propose.h"

/* Proposals per generation unless --per-generation says otherwise. */
#define EVOLVE_DEFAULT_K 4
/* Bytes of an LLM reply accepted (as `propose`). */
#define EVOLVE_MAX_REPLY ((size_t)128 << 10)
/* How often the foreground follows the state, in ms. */
#define FOLLOW_MS 500
/* Every this many polls (10 s) the foreground makes sure a runner is up. */
#define FOLLOW_ENSURE_POLLS 20

static void help(FILE *out)
{
    fputs("Usage: codecbench evolve --generations N [--per-generation K] [--budget TOKENS]\n"
          "                         [--experiment NAME] [--proposer local|llm] [--seed N]\n"
          "                         [--stage intra|loop_filter|transform] [--detach]\n"
          "                         [--store DIR]\n"
          "       codecbench evolve --status [--experiment NAME] [--json] [--store DIR]\n"
          "       codecbench evolve --stop [--experiment NAME] [--store DIR]\n"
          "\n"
          "Propose, run, measure, repeat: N generations of K proposals on an experiment\n"
          "that has an anchor and done runs.  Each generation is one round of the proposer\n"
          "(as 'codecbench propose'), queued on each of the experiment's clips; when all\n"
          "its runs have ended the next round starts from the measured results.  Fitness\n"
          "has two objectives, kept as a Pareto front, not folded into one number: the\n"
          "BD-rate against the anchor's run on the same clip, averaged over the clips\n"
          "(lower is better; a recipe counts once measured on every clip), and the encode\n"
          "speed in frames per second (higher is better).  The local proposer takes its\n"
          "parents from that front.\n"
          "\n"
          "The runner drives the loop, so it survives this command, a closed terminal or\n"
          "a dropped SSH session; a runner killed in the middle resumes the generation\n"
          "(interrupted runs queued again) when a runner next starts, e.g. on 'evolve\n"
          "--status'.  The state is STORE/evolve/NAME.json, the round processes' output\n"
          "STORE/evolve/NAME.log.  An evolve ends when its generations are done, the\n"
          "token budget is reached, no new proposal can be made, or the proposer fails;\n"
          "--status says which.\n"
          "\n"
          "In the foreground it prints each generation's proposals, their BD-rate and fps\n"
          "once measured, and the front, until the evolve ends; Ctrl-C leaves it running\n"
          "in the runner.  The LLM proposer needs its key (llm.api_key_env, by default\n"
          "OPENAI_API_KEY) in the environment of the command that starts the runner: it\n"
          "reaches the round process through the environment only, never a file.\n"
          "\n"
          "Options:\n"
          "  --generations N      generations to run, 1..1000\n"
          "  --per-generation K   proposals per generation, 1..32 (default 4)\n"
          "  --budget TOKENS      with the LLM proposer: stop once the experiment's\n"
          "                       recorded tokens reach this (default: the llm.budget\n"
          "                       setting; 0: none)\n"
          "  --experiment NAME    the experiment (default: 'default', or the store's only one)\n"
          "  --proposer P         local or llm (default: the 'proposer' setting)\n"
          "  --stage KIND         with the LLM proposer: each generation asks for stage\n"
          "                       code of this kind (intra, loop_filter, transform) as\n"
          "                       'codecbench propose --stage' does; the local proposer\n"
          "                       writes no code (a usage error)\n"
          "  --seed N             the local proposer's seed (generation g uses N + g;\n"
          "                       default: the experiment's runs and proposals)\n"
          "  --detach             record the evolve and return at once\n"
          "  --status             progress, the front and why it ended\n"
          "  --stop               stop it: its queued runs are cancelled, its running\n"
          "                       runs finish and are kept\n"
          "  --json               with --status: one JSON object\n" CLI_HELP_STORE
          "  -h, --help           this text\n"
          "\n"
          "Exit status: 0 when the evolve was recorded (with --detach), ended with its\n"
          "generations done, or was left running (Ctrl-C); 1 when it stopped for another\n"
          "reason or could not start (no such experiment, no anchor, no done runs, an\n"
          "evolve of it already running); 2 on a usage error.\n",
          out);
}

static long long cfg_int(const char *name)
{
    long long v = 0;
    return cb_config_get_int(cli_config(), name, &v) == 0 ? v : 0;
}

/* ---- The round process -------------------------------------------------- */

/* The LLM's round, as `propose` does it without the live stream: the usage
 * recorded even when the call failed. */
static int llm_round(CbStore *store, const CbProposeHistory *h, CbProposeParams *p,
                     CbProposeRound *r, CbError *err)
{
    CbLlmEndpoint ep;
    int rc = cb_llm_endpoint_from_config(cli_config(), &ep, err);
    if (rc < 0)
        return rc;
    ep.max_reply = EVOLVE_MAX_REPLY;
    ep.stream = 1;
    const char *model = ep.model;
    CbLlm *c = NULL;
    rc = cb_llm_new(&c, err);
    if (rc < 0)
        return rc;
    cb_llm_set_coalesce(c, CB_LLM_COALESCE_UI_MS);
    p->llm = c;
    p->endpoint = &ep;
    rc = cb_proposer_llm.propose(h, p, r, err);
    p->llm = NULL;
    p->endpoint = NULL;
    if (r->usage.attempts > 0) {
        CbError ue;
        if (cb_store_add_llm_usage(store, h->experiment, model, r->usage.prompt_tokens,
                                   r->usage.completion_tokens, r->usage.estimated,
                                   r->usage.attempts, &ue) < 0)
            fprintf(stderr, "the tokens of this request were not recorded: %s\n", ue.text);
    }
    if (r->edits_tried > 0) {
        CbError ue;
        if (cb_store_add_llm_edits(store, h->experiment, model, r->edits_tried, r->edits_failed,
                                   &ue) < 0)
            fprintf(stderr, "the edits of this reply were not recorded: %s\n", ue.text);
    }
    cb_llm_free(&c);
    return rc;
}

/* Texts going into the state are cut to what it may hold. */
static char *dup_or_null(const char *s)
{
    return cb_evolve_text_dup(s);
}

static int cmp_point(const void *a, const void *b)
{
    const CbEvolvePoint *x = a, *y = b;
    if (x->bd_rate != y->bd_rate)
        return x->bd_rate < y->bd_rate ? -1 : 1;
    if (x->fps != y->fps)
        return x->fps > y->fps ? -1 : 1;
    return x->run < y->run ? -1 : x->run > y->run;
}

/* st->front from the history: recipes measured on every clip. */
static int set_front(CbEvolveState *st, const CbProposeHistory *h, CbError *err)
{
    CbEvolvePoint *pts = calloc(h->n_recipes + 1, sizeof(*pts));
    unsigned char *keep = calloc(h->n_recipes + 1, 1);
    size_t n = 0;
    int rc = 0;
    if (!pts || !keep) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < h->n_recipes; i++) {
        const CbProposeRecipe *r = &h->recipes[i];
        if (!r->best_run || r->clips < (int)h->n_clips)
            continue;
        pts[n++] = (CbEvolvePoint){.recipe = r->hash,
                                   .name = r->name,
                                   .run = r->best_run,
                                   .bd_rate = r->bd_rate,
                                   .fps = r->encode_fps};
    }
    size_t kept = cb_evolve_pareto(pts, n, keep);
    CbEvolvePoint *front = kept ? calloc(kept, sizeof(*front)) : NULL;
    if (kept && !front) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            front[k] = pts[i];
            front[k].recipe = dup_or_null(pts[i].recipe);
            front[k].name = dup_or_null(pts[i].name);
            k++;
        }
    qsort(front, k, sizeof(*front), cmp_point);
    for (size_t i = 0; i < st->n_front; i++) {
        free(st->front[i].recipe);
        free(st->front[i].name);
    }
    free(st->front);
    st->front = front;
    st->n_front = k;
done:
    free(pts);
    free(keep);
    return rc;
}

static void end_evolve(CbEvolveState *st, CbEvolveStatus status, const char *reason)
{
    st->status = status;
    free(st->reason);
    st->reason = dup_or_null(reason);
}

/* Whether the last generation's runs have all ended (the runner checks
 * the same before it starts us; a run gone from the store has ended). */
static int gen_pending(CbStore *s, const CbEvolveState *st)
{
    if (!st->n_gens)
        return 0;
    const CbEvolveGen *g = &st->gens[st->n_gens - 1];
    for (size_t i = 0; i < g->n_runs; i++) {
        CbRunInfo info;
        memset(&info, 0, sizeof(info));
        CbError e;
        if (cb_store_get_run(s, g->runs[i], &info, &e) < 0)
            continue;
        int pending = info.status == CB_RUN_QUEUED || info.status == CB_RUN_RUNNING ||
                      info.status == CB_RUN_VERIFYING || info.status == CB_RUN_INTERRUPTED;
        cb_run_info_free(&info);
        if (pending)
            return 1;
    }
    return 0;
}

/* Appends the round's accepted items to st as a new generation. */
static int add_gen(CbEvolveState *st, const CbProposeRound *r, CbError *err)
{
    CbEvolveGen *gens = realloc(st->gens, (st->n_gens + 1) * sizeof(*gens));
    if (!gens)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    st->gens = gens;
    CbEvolveGen *g = &gens[st->n_gens++];
    memset(g, 0, sizeof(*g));
    g->tokens = r->usage.prompt_tokens + r->usage.completion_tokens;
    size_t runs = 0;
    for (size_t i = 0; i < r->n_items; i++)
        runs += r->items[i].n_runs;
    g->props = calloc(r->n_items ? r->n_items : 1, sizeof(*g->props));
    g->runs = calloc(runs ? runs : 1, sizeof(*g->runs));
    if (!g->props || !g->runs)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_items; i++) {
        const CbProposeItem *it = &r->items[i];
        CbEvolveProposal *q = &g->props[g->n_props++];
        q->name = dup_or_null(it->name);
        q->rationale = dup_or_null(it->rationale);
        q->changes = dup_or_null(it->diff);
        q->parent = it->parent;
        q->runs = calloc(it->n_runs ? it->n_runs : 1, sizeof(*q->runs));
        if (!q->name || !q->rationale || !q->changes || !q->runs)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        for (size_t j = 0; j < it->n_runs; j++) {
            q->runs[q->n_runs++] = it->run_ids[j];
            g->runs[g->n_runs++] = it->run_ids[j];
        }
    }
    return 0;
}

/* One step of the loop, in the round process: the front, then the end of
 * the evolve or one round queued.  The lock is not held during the round
 * (an LLM may take minutes; --stop must not wait): the state is read again
 * after it, and a round whose evolve was stopped meanwhile queues nothing. */
static int do_round(const char *store_flag, const char *experiment)
{
    CbError err;
    cb_error_clear(&err);
    CbStore *store = NULL;
    CbEvolveState st;
    memset(&st, 0, sizeof(st));
    CbProposeHistory h;
    memset(&h, 0, sizeof(h));
    CbProposeRound r;
    cb_propose_round_init(&r, 1);
    int fd = -1, rc = CB_EXIT_FAIL, write_it = 0;
    char why[CB_ERROR_TEXT_MAX + 128];
    if (cli_store_open(store_flag, 0, &store, &err) < 0)
        goto fail;
    const char *dir = cb_store_dir(store);
    if (cb_evolve_lock(dir, experiment, &fd, &err) < 0 ||
        cb_evolve_read(dir, experiment, &st, &err) < 0)
        goto fail;
    if (st.status != CB_EVOLVE_RUNNING || gen_pending(store, &st)) {
        rc = CB_EXIT_OK;
        goto done;
    }
    write_it = 1;
    rc = CB_EXIT_OK; /* an evolve ended with its reason is a round done */
    if (cb_propose_history(store, experiment, &h, &err) < 0) {
        snprintf(why, sizeof(why), "the experiment's history cannot be read: %s", err.text);
        end_evolve(&st, CB_EVOLVE_STOPPED, why);
        goto done;
    }
    if (set_front(&st, &h, &err) < 0)
        goto fail;
    st.front_after = (int)st.n_gens;
    if (st.n_gens >= (size_t)st.generations) {
        snprintf(why, sizeof(why), "%d generation%s done", st.generations,
                 st.generations == 1 ? "" : "s");
        end_evolve(&st, CB_EVOLVE_DONE, why);
        goto done;
    }
    /* tokens are the LLM's: a local round spends none */
    long long budget = st.budget, used = 0, requests = 0;
    if (budget > 0 && !strcmp(st.proposer, "llm")) {
        if (cb_store_llm_usage(store, experiment, &used, &requests, &err) < 0)
            goto fail;
        if (used >= budget) {
            snprintf(why, sizeof(why),
                     "the token budget is reached: %lld tokens used in %lld requests, the "
                     "budget is %lld",
                     used, requests, budget);
            end_evolve(&st, CB_EVOLVE_STOPPED, why);
            goto done;
        }
    }
    const CbProposer *proposer = cb_proposer_find(st.proposer);
    if (!proposer)
        goto fail;
    size_t gen = st.n_gens;
    cb_evolve_unlock(&fd);
    cb_propose_round_free(&r);
    cb_propose_round_init(&r, st.per_generation);
    CbProposeParams p = {.k = st.per_generation, .seed = st.seed + gen,
                         .stage = (CbStageKind)st.stage};
    fprintf(stderr, "generation %zu: asking the %s proposer for %d\n", gen + 1, proposer->name,
            p.k);
    int prc = proposer == &cb_proposer_llm ? llm_round(store, &h, &p, &r, &err)
                                           : proposer->propose(&h, &p, &r, &err);
    /* the state again: --stop may have come meanwhile */
    CbEvolveState again;
    if (cb_evolve_lock(dir, experiment, &fd, &err) < 0 ||
        cb_evolve_read(dir, experiment, &again, &err) < 0)
        goto fail;
    /* the front computed above goes with the generation */
    CbEvolvePoint *front = st.front;
    size_t n_front = st.n_front;
    st.front = again.front;
    st.n_front = again.n_front;
    again.front = front;
    again.n_front = n_front;
    again.front_after = st.front_after;
    cb_evolve_state_free(&st);
    st = again;
    if (st.status != CB_EVOLVE_RUNNING || st.n_gens != gen) {
        rc = CB_EXIT_OK;
        write_it = 0;
        goto done;
    }
    if (prc < 0) {
        snprintf(why, sizeof(why), "the %s proposer failed: %s", proposer->name, err.text);
        end_evolve(&st, CB_EVOLVE_STOPPED, why);
    } else if (r.n_items == 0) {
        snprintf(why, sizeof(why), "no new proposal could be made in generation %zu%s%s", gen + 1,
                 r.n_rejects ? ": " : " (the search found nothing new)",
                 r.n_rejects ? r.rejects[0].reason : "");
        end_evolve(&st, CB_EVOLVE_STOPPED, why);
    } else {
        int qrc = cb_propose_queue(store, &h, &r, proposer->name, &err);
        /* what was queued is recorded even when a later item failed */
        if (add_gen(&st, &r, &err) < 0)
            goto fail;
        if (qrc < 0) {
            snprintf(why, sizeof(why), "queueing generation %zu failed: %s", gen + 1, err.text);
            end_evolve(&st, CB_EVOLVE_STOPPED, why);
        }
        fprintf(stderr, "generation %zu: %zu proposal%s queued\n", gen + 1, r.n_items,
                r.n_items == 1 ? "" : "s");
    }
    rc = CB_EXIT_OK;
    goto done;
fail:
    rc = CB_EXIT_FAIL;
    write_it = 0;
    cli_error("evolve round for %s: %s", experiment, *err.text ? err.text : "failed");
done:
    if (write_it) {
        if (st.reason) {
            fprintf(stderr, "evolve %s %s: ", experiment, cb_evolve_status_name(st.status));
            cli_puts_sanitized(stderr, st.reason);
            fputc('\n', stderr);
        }
        if (cb_evolve_write(cb_store_dir(store), &st, &err) < 0) {
            cli_error("%s", err.text);
            rc = CB_EXIT_FAIL;
        }
    }
    cb_evolve_unlock(&fd);
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
    cb_evolve_state_free(&st);
    cb_store_close(&store);
    return rc;
}

/* ---- Showing ------------------------------------------------------------ */

/* The mean BD-rate and fps of runs (done ones), NAN when none; *ended
 * counts those that ended, *done those done. */
static void measure_runs(CbStore *s, const int64_t *ids, size_t n, double *bd, double *fps,
                         size_t *ended, size_t *done)
{
    double sb = 0, sf = 0;
    size_t nb = 0, nf = 0;
    *ended = *done = 0;
    for (size_t i = 0; i < n; i++) {
        CbRunInfo info;
        memset(&info, 0, sizeof(info));
        CbError e;
        if (cb_store_get_run(s, ids[i], &info, &e) < 0) {
            (*ended)++;
            continue;
        }
        if (info.status >= CB_RUN_DONE && info.status != CB_RUN_INTERRUPTED)
            (*ended)++;
        if (info.status == CB_RUN_DONE) {
            (*done)++;
            if (isfinite(info.bd_rate))
                sb += info.bd_rate, nb++;
            if (isfinite(info.encode_fps))
                sf += info.encode_fps, nf++;
        }
        cb_run_info_free(&info);
    }
    *bd = nb ? sb / (double)nb : NAN;
    *fps = nf ? sf / (double)nf : NAN;
}

static void print_bd_fps(double bd, double fps)
{
    if (isfinite(bd))
        printf("  BD-rate %+.2f %%", bd);
    else
        printf("  BD-rate n/a");
    if (isfinite(fps))
        printf("  %.1f fps", fps);
    else
        printf("  fps n/a");
}

static void print_gen(CbStore *s, const CbEvolveState *st, size_t gi)
{
    const CbEvolveGen *g = &st->gens[gi];
    printf("generation %zu/%d: %zu proposal%s", gi + 1, st->generations, g->n_props,
           g->n_props == 1 ? "" : "s");
    if (g->tokens)
        printf(", %lld tokens", g->tokens);
    printf("\n");
    for (size_t i = 0; i < g->n_props; i++) {
        const CbEvolveProposal *q = &g->props[i];
        double bd, fps;
        size_t ended, done;
        measure_runs(s, q->runs, q->n_runs, &bd, &fps, &ended, &done);
        printf("  ");
        cli_puts_sanitized(stdout, q->name);
        printf("  runs");
        for (size_t j = 0; j < q->n_runs; j++)
            printf("%s%lld", j ? "," : " ", (long long)q->runs[j]);
        if (q->parent)
            printf("  parent %lld", (long long)q->parent);
        if (ended < q->n_runs)
            printf("  (%zu of %zu ended)", ended, q->n_runs);
        else if (!done)
            printf("  (no run done)");
        else
            print_bd_fps(bd, fps);
        printf("\n    changes: ");
        cli_puts_sanitized(stdout, q->changes && *q->changes ? q->changes : "(no parent)");
        printf("\n");
    }
}

static void print_front(const CbEvolveState *st)
{
    printf("front after generation %d: %zu recipe%s (BD-rate vs the anchor, mean over the "
           "clips; encode fps)\n",
           st->front_after, st->n_front, st->n_front == 1 ? "" : "s");
    for (size_t i = 0; i < st->n_front; i++) {
        const CbEvolvePoint *p = &st->front[i];
        printf("  run %-6lld %+8.2f %%  %8.1f fps  ", (long long)p->run, p->bd_rate, p->fps);
        cli_puts_sanitized(stdout, p->name ? p->name : "");
        printf("\n");
    }
}

static void print_status(CbStore *s, const CbEvolveState *st)
{
    printf("evolve ");
    cli_puts_sanitized(stdout, st->experiment);
    printf(": %s, %zu of %d generation%s proposed, %d per generation, %s proposer",
           cb_evolve_status_name(st->status), st->n_gens, st->generations,
           st->generations == 1 ? "" : "s", st->per_generation, st->proposer);
    if (st->budget)
        printf(", budget %lld tokens", st->budget);
    if (st->stage && cb_stage_kind_name(st->stage))
        printf(", %s stages", cb_stage_kind_name(st->stage));
    printf("\n");
    if (st->reason) {
        printf("reason: ");
        cli_puts_sanitized(stdout, st->reason);
        printf("\n");
    }
    for (size_t i = 0; i < st->n_gens; i++)
        print_gen(s, st, i);
    print_front(st);
}

static int status_json(CbStore *s, const CbEvolveState *st)
{
    char *text = cb_evolve_state_dump(st);
    json_error_t je;
    json_t *doc = text ? json_loads(text, 0, &je) : NULL;
    free(text);
    if (!doc) {
        cli_error("out of memory");
        return CB_EXIT_FAIL;
    }
    /* each proposal's measured figures, as --status prints them */
    json_t *gens = json_object_get(doc, "gens");
    for (size_t i = 0; i < st->n_gens && i < json_array_size(gens); i++) {
        json_t *props = json_object_get(json_array_get(gens, i), "proposals");
        for (size_t j = 0; j < st->gens[i].n_props && j < json_array_size(props); j++) {
            const CbEvolveProposal *q = &st->gens[i].props[j];
            double bd, fps;
            size_t ended, done;
            measure_runs(s, q->runs, q->n_runs, &bd, &fps, &ended, &done);
            json_t *o = json_array_get(props, j);
            json_object_set_new(o, "bd_rate", isfinite(bd) ? json_real(bd) : json_null());
            json_object_set_new(o, "fps", isfinite(fps) ? json_real(fps) : json_null());
            json_object_set_new(o, "ended", json_integer((json_int_t)ended));
        }
    }
    int rc = cli_json_print(doc) < 0 ? CB_EXIT_FAIL : CB_EXIT_OK;
    json_decref(doc);
    return rc;
}

/* ---- Following ---------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_int(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Follows the evolve until it ends (0 done, 1 stopped) or Ctrl-C (0). */
static int follow(CbStore *s, const char *experiment)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_int;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    size_t shown = 0; /* generations printed whole (all runs ended) */
    int rc = CB_EXIT_OK, announced = 0;
    int front_shown = 0; /* the front is shown once it includes a generation */
    unsigned polls = 0;
    for (;;) {
        CbEvolveState st;
        CbError err;
        if (cb_evolve_read(cb_store_dir(s), experiment, &st, &err) < 0) {
            rc = cli_fail(&err);
            break;
        }
        /* a generation is printed when it is proposed, and again once measured */
        while (announced < (int)st.n_gens) {
            printf("\n");
            print_gen(s, &st, (size_t)announced++);
            fflush(stdout);
        }
        while (shown < st.n_gens) {
            const CbEvolveGen *g = &st.gens[shown];
            double bd, fps;
            size_t ended, done;
            measure_runs(s, g->runs, g->n_runs, &bd, &fps, &ended, &done);
            if (ended < g->n_runs)
                break;
            printf("\nmeasured ");
            print_gen(s, &st, shown++);
            fflush(stdout);
        }
        if (st.front_after > front_shown ||
            (st.status != CB_EVOLVE_RUNNING && front_shown == 0 && st.n_front)) {
            front_shown = st.front_after > 0 ? st.front_after : 1;
            printf("\n");
            print_front(&st);
            fflush(stdout);
        }
        if (st.status != CB_EVOLVE_RUNNING) {
            printf("evolve %s: ", cb_evolve_status_name(st.status));
            cli_puts_sanitized(stdout, st.reason ? st.reason : "");
            printf("\n");
            rc = st.status == CB_EVOLVE_DONE ? CB_EXIT_OK : CB_EXIT_FAIL;
            cb_evolve_state_free(&st);
            break;
        }
        cb_evolve_state_free(&st);
        if (interrupted) {
            fprintf(stderr,
                    "\nthe evolve goes on in the runner: 'codecbench evolve --status "
                    "--experiment %s' shows it, '--stop' stops it\n",
                    experiment);
            break;
        }
        /* a runner killed meanwhile is replaced: the evolve resumes */
        if (++polls % FOLLOW_ENSURE_POLLS == 0 && cli_runner_ensure(s, &err) < 0)
            cli_warn("no runner could be started: %s", err.text);
        struct timespec ts = {0, FOLLOW_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    sigaction(SIGINT, &old, NULL);
    return rc;
}

/* ---- Starting, stopping ------------------------------------------------- */

static int do_stop(CbStore *s, const char *experiment)
{
    CbError err;
    cb_error_clear(&err);
    CbEvolveState st;
    memset(&st, 0, sizeof(st));
    int fd = -1, rc = CB_EXIT_FAIL;
    size_t cancelled = 0;
    if (cb_evolve_lock(cb_store_dir(s), experiment, &fd, &err) < 0 ||
        cb_evolve_read(cb_store_dir(s), experiment, &st, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (st.status != CB_EVOLVE_RUNNING) {
        cli_error("the evolve of '%s' is not running (%s)", experiment,
                  cb_evolve_status_name(st.status));
        goto done;
    }
    end_evolve(&st, CB_EVOLVE_STOPPED, "stopped by request");
    if (cb_evolve_write(cb_store_dir(s), &st, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (st.n_gens) {
        const CbEvolveGen *g = &st.gens[st.n_gens - 1];
        for (size_t i = 0; i < g->n_runs; i++) {
            CbRunInfo info;
            memset(&info, 0, sizeof(info));
            if (cb_store_get_run(s, g->runs[i], &info, &err) < 0)
                continue;
            if (info.status == CB_RUN_QUEUED && cb_store_request_cancel(s, info.id, &err) == 0)
                cancelled++;
            cb_run_info_free(&info);
        }
    }
    printf("evolve %s stopped after %zu generation%s; %zu queued run%s cancelled, running "
           "runs finish\n",
           experiment, st.n_gens, st.n_gens == 1 ? "" : "s", cancelled, cancelled == 1 ? "" : "s");
    rc = CB_EXIT_OK;
done:
    cb_evolve_unlock(&fd);
    cb_evolve_state_free(&st);
    return rc;
}

static int do_start(CbStore *s, const char *experiment, const CbProposer *proposer, long long n,
                    long long k, long long budget, long long seed, CbStageKind stage)
{
    CbError err;
    cb_error_clear(&err);
    CbProposeHistory h;
    memset(&h, 0, sizeof(h));
    CbEvolveState st, old;
    memset(&st, 0, sizeof(st));
    memset(&old, 0, sizeof(old));
    int fd = -1, rc = CB_EXIT_FAIL;
    if (cb_propose_history(s, experiment, &h, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (cb_evolve_lock(cb_store_dir(s), h.experiment, &fd, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    int orc = cb_evolve_read(cb_store_dir(s), h.experiment, &old, &err);
    if (orc == 0 && old.status == CB_EVOLVE_RUNNING) {
        cli_error("an evolve of '%s' is running already (generation %zu of %d): 'codecbench "
                  "evolve --stop --experiment %s' stops it",
                  h.experiment, old.n_gens, old.generations, h.experiment);
        goto done;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    st.experiment = strdup(h.experiment);
    st.proposer = strdup(proposer->name);
    st.generations = (int)n;
    st.per_generation = (int)k;
    st.budget = budget;
    st.stage = (int)stage;
    st.seed = seed >= 0 ? (uint64_t)seed : (uint64_t)(h.runs + h.proposals);
    st.status = CB_EVOLVE_RUNNING;
    st.created = (double)ts.tv_sec;
    if (!st.experiment || !st.proposer) {
        cli_error("out of memory");
        goto done;
    }
    if (cb_evolve_write(cb_store_dir(s), &st, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    cb_evolve_unlock(&fd);
    if (cli_runner_ensure(s, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    printf("evolve %s: %lld generation%s of %lld (%s proposer, seed %llu%s", h.experiment, n,
           n == 1 ? "" : "s", k, proposer->name, (unsigned long long)st.seed,
           budget ? ", budget " : "");
    if (budget)
        printf("%lld tokens", budget);
    if (stage)
        printf(", %s stages", cb_stage_kind_name((int)stage));
    printf("), driven by the runner\n");
    fflush(stdout);
    rc = CB_EXIT_OK;
done:
    cb_evolve_unlock(&fd);
    cb_evolve_state_free(&old);
    cb_evolve_state_free(&st);
    cb_propose_history_free(&h);
    return rc;
}

static int run(int argc, char **argv)
{
    const char *experiment = NULL, *gen_arg = NULL, *k_arg = NULL, *budget_arg = NULL,
               *proposer_arg = NULL, *seed_arg = NULL, *stage_arg = NULL;
    int json = 0, detach = 0, status = 0, stop = 0, round = 0;
    const CliOpt opts[] = {
        {"experiment", 0, NULL, 0, &experiment},
        {"generations", 0, NULL, 0, &gen_arg},
        {"per-generation", 0, NULL, 0, &k_arg},
        {"budget", 0, NULL, 0, &budget_arg},
        {"proposer", 0, NULL, 0, &proposer_arg},
        {"seed", 0, NULL, 0, &seed_arg},
        {"stage", 0, NULL, 0, &stage_arg},
        {"detach", 0, &detach, 1, NULL},
        {"status", 0, &status, 1, NULL},
        {"stop", 0, &stop, 1, NULL},
        {"round", 0, &round, 1, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    CliArgs a = {.opts = opts, .json = &json, .min = 0, .max = 0, .arity = NULL};
    int rc = cli_parse_args(&cb_cmd_evolve, argc, argv, &a);
    if (rc != CB_EXIT_OK)
        return rc;
    if (status + stop + round > 1)
        return cli_usage(&cb_cmd_evolve, "--status, --stop and --round go alone");
    if (round)
        return do_round(a.store, experiment ? experiment : "default");
    long long n = 0, k = EVOLVE_DEFAULT_K, budget = cfg_int("llm.budget"), seed = -1;
    if (!status && !stop) {
        if (!gen_arg)
            return cli_usage(&cb_cmd_evolve, "--generations N is needed (or --status, --stop)");
        if ((rc = cli_count_arg(&cb_cmd_evolve, "--generations", gen_arg, 1, &n)) != CB_EXIT_OK)
            return rc;
        if (n > CB_EVOLVE_MAX_GENERATIONS)
            return cli_usage(&cb_cmd_evolve, "--generations is at most %d, not %lld",
                             CB_EVOLVE_MAX_GENERATIONS, n);
        if (k_arg &&
            (rc = cli_count_arg(&cb_cmd_evolve, "--per-generation", k_arg, 1, &k)) != CB_EXIT_OK)
            return rc;
        if (k > CB_PROPOSE_MAX_K)
            return cli_usage(&cb_cmd_evolve, "--per-generation is at most %d, not %lld",
                             CB_PROPOSE_MAX_K, k);
        if (budget_arg &&
            (rc = cli_count_arg(&cb_cmd_evolve, "--budget", budget_arg, 0, &budget)) != CB_EXIT_OK)
            return rc;
        if (seed_arg &&
            (rc = cli_count_arg(&cb_cmd_evolve, "--seed", seed_arg, 0, &seed)) != CB_EXIT_OK)
            return rc;
    } else if (gen_arg || k_arg || budget_arg || seed_arg || proposer_arg || detach || stage_arg) {
        return cli_usage(&cb_cmd_evolve, "--status and --stop take only --experiment, --json "
                                         "and --store");
    }
    if (json && !status)
        return cli_usage(&cb_cmd_evolve, "--json goes with --status");
    const char *pname =
        proposer_arg ? proposer_arg : cb_config_get_string(cli_config(), "proposer");
    const CbProposer *proposer = cb_proposer_find(pname && *pname ? pname : "local");
    if (!proposer)
        return cli_usage(&cb_cmd_evolve, "--proposer is local or llm, not '%s'", pname);
    CbStageKind stage = CB_STAGE_NONE;
    if (stage_arg) {
        CbError se;
        if (cb_stage_kind_parse(stage_arg, &stage, &se) < 0 || stage == CB_STAGE_NONE)
            return cli_usage(&cb_cmd_evolve, "--stage is intra, loop_filter or transform, not '%s'",
                             stage_arg);
        if (proposer != &cb_proposer_llm)
            return cli_usage(&cb_cmd_evolve,
                             "--stage needs the llm proposer (--proposer llm): the local proposer "
                             "searches settings and writes no code");
    }

    CbError err;
    cb_error_clear(&err);
    CbStore *store = NULL;
    if (cli_store_open(a.store, 0, &store, &err) < 0)
        return cli_fail(&err);
    char *name = NULL;
    if (cb_propose_pick_experiment(store, experiment, &name, &err) < 0) {
        cb_store_close(&store);
        return cli_fail(&err);
    }
    if (stop) {
        rc = do_stop(store, name);
    } else if (status) {
        CbEvolveState st;
        if (cb_evolve_read(cb_store_dir(store), name, &st, &err) < 0) {
            rc = cli_fail(&err);
        } else {
            /* a running evolve needs a runner: one killed is replaced */
            if (st.status == CB_EVOLVE_RUNNING && cli_runner_ensure(store, &err) < 0)
                cli_warn("no runner could be started: %s", err.text);
            if (json)
                rc = status_json(store, &st);
            else
                print_status(store, &st), rc = CB_EXIT_OK;
            cb_evolve_state_free(&st);
        }
    } else {
        rc = do_start(store, name, proposer, n, k, budget, seed, stage);
        if (rc == CB_EXIT_OK && !detach)
            rc = follow(store, name);
    }
    free(name);
    cb_store_close(&store);
    return rc;
}

const CbCommand cb_cmd_evolve = {
    "evolve",
    "--generations N [--per-generation K] [--budget TOKENS] | --status | --stop",
    "propose, run, measure, repeat: N generations driven by the runner, Pareto front",
    run,
    help,
};

/* Unit tests of the proposers (src/llm/propose.c, local.c, propose_llm.c)
 * without any network: the history read from a store of synthetic results,
 * the local proposer (deterministic for a seed, every proposal valid, in
 * the fields' ranges, never a duplicate of the history or of itself), the
 * shared validation (invalid, duplicate, oversize, hostile text), the
 * reply parser, the prompt (what it holds, bounded with a huge history),
 * the proposals schema, queueing with parent and origin, and the store's
 * token usage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "codecbench/propose.h"
#include "storefix.h"

typedef struct Fix {
    StoreFix fx;
    int64_t anchor, better, failed;
} Fix;

static const char ANCHOR[] = "{\"name\": \"anchor\", \"codec\": \"engine\", \"settings\": "
                             "{\"qps\": [22, 27, 32, 37]}}";
static const char BETTER[] = "{\"name\": \"better\", \"codec\": \"engine\", \"settings\": "
                             "{\"transform\": \"dct\", \"qps\": [22, 27, 32, 37]}}";
static const char BROKEN[] = "{\"name\": \"broken\", \"codec\": \"engine\", \"settings\": "
                             "{\"gop\": 1, \"qps\": [22, 27, 32, 37]}}";
/* proposed before (recorded, never run) */
static const char PROPOSED[] = "{\"name\": \"proposed\", \"codec\": \"engine\", \"settings\": "
                               "{\"deblock\": false, \"qps\": [22, 27, 32, 37]}}";
static const double PSNR[4] = {40, 37, 34, 31};

static int setup(void **state)
{
    Fix *f = calloc(1, sizeof *f);
    if (!f || storefix_init(&f->fx, "cbpropose", 1) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fix *f = *state;
    storefix_fini(&f->fx);
    free(f);
    return 0;
}

/* The experiment "exp": the anchor and a better recipe done on clipA (the
 * better one at 0.8 of the anchor's rate: BD-rate -20 %), a failed run, and
 * a proposal recorded. */
static void make_history(Fix *f)
{
    CbError err;
    assert_int_equal(cb_store_set_anchor(f->fx.s, "exp", ANCHOR, NULL, &err), 0);
    const double ka[4] = {2000, 1000, 500, 250}, kb[4] = {1600, 800, 400, 200};
    f->anchor = storefix_queue(&f->fx, "exp", ANCHOR, 5, 0);
    storefix_finish(&f->fx, f->anchor, "clipA", 4, ka, PSNR, 5);
    f->better = storefix_queue(&f->fx, "exp", BETTER, 5, f->anchor);
    storefix_finish(&f->fx, f->better, "clipA", 4, kb, PSNR, 5);
    f->failed = storefix_queue(&f->fx, "exp", BROKEN, 5, 0);
    storefix_set_status(&f->fx, f->failed, CB_RUN_RUNNING, NULL);
    storefix_set_status(&f->fx, f->failed, CB_RUN_FAILED, "worker crashed: signal 11 \x1b[2J");
    int64_t pid;
    assert_int_equal(cb_store_add_proposal(f->fx.s, "exp", "llm", "why not", PROPOSED, 0, &pid,
                                           &err),
                     0);
}

static void history(Fix *f, CbProposeHistory *h)
{
    CbError err;
    int rc = cb_propose_history(f->fx.s, "exp", h, &err);
    if (rc < 0)
        fail_msg("history: %s", err.text);
}

static void test_history(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    assert_string_equal(h.experiment, "exp");
    assert_string_equal(h.anchor_name, "anchor");
    assert_int_equal(h.n_recipes, 3);
    assert_int_equal(h.n_failures, 1);
    assert_int_equal(h.failures[0].run_id, f->failed);
    assert_non_null(strstr(h.failures[0].reason, "signal 11"));
    assert_int_equal(h.n_clips, 1);
    assert_string_equal(h.clips[0].input, f->fx.input);
    assert_int_equal(h.clips[0].frames, 5);
    assert_int_equal(h.n_tried, 4); /* three recipes and the proposal */
    assert_int_equal(h.proposals, 1);
    const CbProposeRecipe *best = cb_propose_best(&h);
    assert_non_null(best);
    assert_string_equal(best->name, "better");
    assert_int_equal(best->best_run, f->better);
    /* 0.8 of the rate at every PSNR: BD-rate -20 % */
    assert_true(best->bd_rate > -20.01 && best->bd_rate < -19.99);
    cb_propose_history_free(&h);
}

static void test_pick_experiment(void **state)
{
    Fix *f = *state;
    CbError err;
    char *name = NULL;
    /* An empty store: nothing to pick. */
    assert_int_equal(cb_propose_pick_experiment(f->fx.s, NULL, &name, &err), CB_ENOENT);
    assert_null(name);
    assert_non_null(strstr(err.text, "no experiments"));
    /* One experiment ("exp"), not named: it is the one. */
    make_history(f);
    assert_int_equal(cb_propose_pick_experiment(f->fx.s, NULL, &name, &err), 0);
    assert_string_equal(name, "exp");
    free(name);
    CbProposeHistory h;
    assert_int_equal(cb_propose_history(f->fx.s, NULL, &h, &err), 0);
    assert_string_equal(h.experiment, "exp");
    cb_propose_history_free(&h);
    /* A named one is taken as given, even when it does not exist (the
     * history says so). */
    assert_int_equal(cb_propose_pick_experiment(f->fx.s, "nope", &name, &err), 0);
    assert_string_equal(name, "nope");
    free(name);
    /* Two, none "default": the user must name one. */
    storefix_queue(&f->fx, "other", ANCHOR, 5, 0);
    assert_int_equal(cb_propose_pick_experiment(f->fx.s, NULL, &name, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "--experiment NAME"));
    assert_non_null(strstr(err.text, "exp"));
    assert_non_null(strstr(err.text, "other"));
    /* "default" among them: it wins. */
    storefix_queue(&f->fx, "default", ANCHOR, 5, 0);
    assert_int_equal(cb_propose_pick_experiment(f->fx.s, NULL, &name, &err), 0);
    assert_string_equal(name, "default");
    free(name);
}

static void test_history_errors(void **state)
{
    Fix *f = *state;
    CbProposeHistory h;
    CbError err;
    make_history(f);
    assert_int_equal(cb_propose_history(f->fx.s, "nope", &h, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "no experiment 'nope'"));
    assert_non_null(strstr(err.text, "exp"));
    /* runs but none done */
    storefix_queue(&f->fx, "fresh", ANCHOR, 5, 0);
    assert_int_equal(cb_propose_history(f->fx.s, "fresh", &h, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "no done runs"));
    /* done runs, no anchor */
    const double k[4] = {2000, 1000, 500, 250};
    int64_t id = storefix_queue(&f->fx, "noanchor", ANCHOR, 5, 0);
    storefix_finish(&f->fx, id, "clipA", 4, k, PSNR, 5);
    assert_int_equal(cb_propose_history(f->fx.s, "noanchor", &h, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "no anchor"));
}

static void local_round(const CbProposeHistory *h, uint64_t seed, int k, CbProposeRound *r)
{
    CbError err;
    CbProposeParams p = {.k = k, .seed = seed};
    cb_propose_round_init(r, k);
    int rc = cb_proposer_local.propose(h, &p, r, &err);
    if (rc < 0)
        fail_msg("local: %s", err.text);
}

static void test_local_deterministic(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    CbProposeRound a, b, c;
    local_round(&h, 7, 8, &a);
    local_round(&h, 7, 8, &b);
    local_round(&h, 8, 8, &c);
    assert_int_equal(a.n_items, 8);
    assert_int_equal(b.n_items, 8);
    int same_c = a.n_items == c.n_items;
    for (size_t i = 0; i < a.n_items; i++) {
        assert_string_equal(a.items[i].recipe_json, b.items[i].recipe_json);
        assert_string_equal(a.items[i].rationale, b.items[i].rationale);
        assert_int_equal(a.items[i].parent, b.items[i].parent);
        if (same_c && strcmp(a.items[i].recipe_json, c.items[i].recipe_json))
            same_c = 0;
    }
    assert_false(same_c); /* another seed, another search */
    cb_propose_round_free(&a);
    cb_propose_round_free(&b);
    cb_propose_round_free(&c);
    cb_propose_history_free(&h);
}

static int in_tried(const CbProposeHistory *h, const char *key)
{
    for (size_t i = 0; i < h->n_tried; i++)
        if (!strcmp(h->tried[i], key))
            return 1;
    return 0;
}

static void test_local_valid(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    CbRecipe parent;
    CbError err;
    assert_int_equal(cb_recipe_parse(BETTER, strlen(BETTER), NULL, &parent, &err), 0);
    size_t nf;
    const CbField *fields = cb_engine_fields(&nf);
    for (uint64_t seed = 0; seed < 6; seed++) {
        CbProposeRound r;
        local_round(&h, seed, 12, &r);
        assert_int_equal(r.n_items, 12);
        assert_int_equal(r.n_rejects, 0);
        for (size_t i = 0; i < r.n_items; i++) {
            const CbProposeItem *it = &r.items[i];
            CbRecipe rec;
            char key[CB_RECIPE_HASH_HEX];
            assert_int_equal(cb_recipe_parse(it->recipe_json, strlen(it->recipe_json), NULL, &rec,
                                             &err),
                             0);
            assert_int_equal(rec.codec, CB_CODEC_ENGINE);
            assert_int_equal(cb_propose_settings_key(&rec, key), 0);
            assert_string_equal(key, it->key);
            assert_false(in_tried(&h, key));
            for (size_t j = 0; j < i; j++)
                assert_string_not_equal(r.items[j].key, key);
            /* every field within its range; rate points and threads kept */
            for (size_t fi = 0; fi < nf; fi++) {
                const int *v = (const int *)(const void *)((const char *)&rec.engine +
                                                           fields[fi].offset);
                if (fields[fi].type != CB_FIELD_INT_LIST)
                    assert_int_equal(cb_engine_field_check_value(&fields[fi], *v, &err), 0);
            }
            assert_int_equal(rec.engine.n_qps, 4);
            assert_memory_equal(rec.engine.qps, parent.engine.qps, sizeof(int) * 4);
            assert_int_equal(rec.engine.threads, parent.engine.threads);
            /* it derives from a done run and says so */
            assert_true(it->parent == f->better || it->parent == f->anchor);
            assert_true(*it->diff != '\0');
            assert_non_null(strstr(it->rationale, "run "));
            assert_true(strlen(it->name) >= 1 && strlen(it->name) <= CB_RECIPE_NAME_MAX);
            cb_recipe_free(&rec);
        }
        cb_propose_round_free(&r);
    }
    cb_recipe_free(&parent);
    cb_propose_history_free(&h);
}

/* A round queued, the history read again: the next round (same seed)
 * proposes none of it; the runs carry parent and origin. */
static void test_queue_and_next_round(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    CbProposeRound r1, r2;
    CbError err;
    local_round(&h, 3, 4, &r1);
    assert_int_equal(cb_propose_queue(f->fx.s, &h, &r1, "local", &err), 0);
    for (size_t i = 0; i < r1.n_items; i++) {
        assert_int_equal(r1.items[i].n_runs, 1);
        assert_true(r1.items[i].proposal_id > 0);
        CbRunInfo ri;
        assert_int_equal(cb_store_get_run(f->fx.s, r1.items[i].run_ids[0], &ri, &err), 0);
        assert_string_equal(ri.origin, "proposer");
        assert_int_equal(ri.parent, r1.items[i].parent);
        assert_string_equal(ri.experiment, "exp");
        assert_string_equal(ri.input, f->fx.input);
        assert_int_equal(ri.frames, 5);
        assert_int_equal(ri.status, CB_RUN_QUEUED);
        cb_run_info_free(&ri);
    }
    CbProposal *props = NULL;
    size_t np = 0;
    assert_int_equal(cb_store_proposals(f->fx.s, "exp", &props, &np, &err), 0);
    assert_int_equal(np, 5);
    assert_string_equal(props[4].proposer, "local");
    assert_int_equal(props[4].run_id, r1.items[3].run_ids[0]);
    cb_proposals_free(&props, np);
    CbProposeHistory h2;
    history(f, &h2);
    assert_int_equal(h2.n_tried, h.n_tried + 4 + 4); /* as runs and as proposals */
    local_round(&h2, 3, 4, &r2);
    assert_int_equal(r2.n_items, 4);
    for (size_t i = 0; i < r2.n_items; i++)
        for (size_t j = 0; j < r1.n_items; j++)
            assert_string_not_equal(r2.items[i].key, r1.items[j].key);
    cb_propose_round_free(&r1);
    cb_propose_round_free(&r2);
    cb_propose_history_free(&h);
    cb_propose_history_free(&h2);
}

/* Two clips: each proposal is queued on both, its parent on each clip the
 * parent recipe's run there. */
static void test_queue_two_clips(void **state)
{
    Fix *f = *state;
    CbError err;
    assert_int_equal(cb_store_set_anchor(f->fx.s, "two", ANCHOR, NULL, &err), 0);
    const double ka[4] = {2000, 1000, 500, 250}, kb[4] = {1600, 800, 400, 200};
    int64_t a1 = storefix_queue(&f->fx, "two", ANCHOR, 5, 0);
    storefix_finish(&f->fx, a1, "clipA", 4, ka, PSNR, 5);
    int64_t a2 = storefix_queue(&f->fx, "two", ANCHOR, 5, 0);
    storefix_finish(&f->fx, a2, "clipB", 4, ka, PSNR, 5);
    int64_t b1 = storefix_queue(&f->fx, "two", BETTER, 5, a1);
    storefix_finish(&f->fx, b1, "clipA", 4, kb, PSNR, 5);
    int64_t b2 = storefix_queue(&f->fx, "two", BETTER, 5, a2);
    storefix_finish(&f->fx, b2, "clipB", 4, kb, PSNR, 5);
    CbProposeHistory h;
    assert_int_equal(cb_propose_history(f->fx.s, "two", &h, &err), 0);
    assert_int_equal(h.n_clips, 2);
    CbProposeRound r;
    local_round(&h, 1, 2, &r);
    assert_int_equal(r.n_items, 2);
    assert_int_equal(cb_propose_queue(f->fx.s, &h, &r, "local", &err), 0);
    for (size_t i = 0; i < r.n_items; i++) {
        assert_int_equal(r.items[i].n_runs, 2);
        int64_t parents[2];
        for (size_t c = 0; c < 2; c++) {
            CbRunInfo ri;
            assert_int_equal(cb_store_get_run(f->fx.s, r.items[i].run_ids[c], &ri, &err), 0);
            parents[c] = ri.parent;
            assert_string_equal(ri.origin, "proposer");
            cb_run_info_free(&ri);
        }
        /* from the better recipe (BD-rate -20 % on both): its run on each clip */
        assert_true((parents[0] == b1 && parents[1] == b2) || (parents[0] == b2 && parents[1] == b1));
    }
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
}

static size_t count_byte(const char *s, int c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void test_offer(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    CbProposeRound r;
    CbError err;
    cb_propose_round_init(&r, 2);
    static const char bad[] = "{\"name\": \"bad\", \"codec\": \"engine\", \"settings\": "
                              "{\"block_size\": 12}}";
    assert_int_equal(cb_propose_offer(&h, &r, "bad block", bad, strlen(bad), 0, &err), 0);
    assert_non_null(strstr(r.rejects[0].reason, "block_size"));
    assert_non_null(strstr(r.rejects[0].reason, "8, 16"));
    /* the better recipe under a new name, the proposal recorded before */
    static const char dup[] = "{\"name\": \"renamed\", \"codec\": \"engine\", \"settings\": "
                              "{\"transform\": \"dct\", \"qps\": [22, 27, 32, 37]}, \"note\": \"x\"}";
    assert_int_equal(cb_propose_offer(&h, &r, "again", dup, strlen(dup), 0, &err), 0);
    assert_non_null(strstr(r.rejects[1].reason, "duplicate"));
    assert_string_equal(r.rejects[1].name, "renamed");
    assert_int_equal(cb_propose_offer(&h, &r, "again", PROPOSED, strlen(PROPOSED), 0, &err), 0);
    assert_non_null(strstr(r.rejects[2].reason, "duplicate"));
    /* hostile, long rationale: sanitised and cut */
    char *why = malloc(5000);
    assert_non_null(why);
    memset(why, 'a', 4999);
    why[4999] = '\0';
    memcpy(why + 10, "\x1b]52;c;SGVsbG8=\x07\x1b[2J\r\n", 22);
    static const char good[] = "{\"name\": \"good\", \"codec\": \"engine\", \"settings\": "
                               "{\"search_range\": 64, \"qps\": [22, 27, 32, 37]}}";
    assert_int_equal(cb_propose_offer(&h, &r, why, good, strlen(good), f->better, &err), 1);
    free(why);
    const CbProposeItem *it = &r.items[0];
    assert_true(strlen(it->rationale) <= CB_PROPOSE_RATIONALE_MAX);
    assert_int_equal(count_byte(it->rationale, 0x1b), 0);
    assert_int_equal(count_byte(it->rationale, 0x07), 0);
    assert_int_equal(count_byte(it->rationale, '\n'), 0);
    assert_int_equal(it->parent, f->better);
    assert_string_equal(it->diff, "transform: dct -> klt; search_range: 32 -> 64");
    /* the same settings again in the round */
    static const char good2[] = "{\"name\": \"good2\", \"codec\": \"engine\", \"settings\": "
                                "{\"search_range\": 64}}";
    assert_int_equal(cb_propose_offer(&h, &r, "", good2, strlen(good2), 0, &err), 0);
    assert_non_null(strstr(r.rejects[3].reason, "proposal 1 of this round"));
    /* a parent that is not a run of the history: the best instead */
    static const char good3[] = "{\"name\": \"good3\", \"codec\": \"engine\", \"settings\": "
                                "{\"gop\": 60}}";
    assert_int_equal(cb_propose_offer(&h, &r, "", good3, strlen(good3), 999, &err), 1);
    assert_int_equal(r.items[1].parent, f->better);
    /* k reached */
    static const char good4[] = "{\"name\": \"good4\", \"codec\": \"engine\", \"settings\": "
                                "{\"gop\": 90}}";
    assert_int_equal(cb_propose_offer(&h, &r, "", good4, strlen(good4), 0, &err), 0);
    assert_non_null(strstr(r.rejects[4].reason, "more proposals than the 2"));
    /* not JSON, too large */
    cb_propose_round_free(&r);
    assert_int_equal(cb_propose_offer(&h, &r, "", "{nope", 5, 0, &err), 0);
    size_t big = CB_RECIPE_MAX_BYTES + 10;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, good, sizeof good - 1);
    huge[big] = '\0';
    assert_int_equal(cb_propose_offer(&h, &r, "", huge, big, 0, &err), 0);
    free(huge);
    assert_int_equal(r.n_rejects, 2);
    assert_int_equal(r.n_items, 0);
    assert_true(strlen(r.rejects[1].reason) > 0);
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
}

static void test_parse_reply(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    CbProposeRound r;
    CbError err;
    cb_propose_round_init(&r, 4);
    static const char prose[] = "I would lower the QP, but cannot say it as JSON.";
    assert_int_equal(cb_propose_parse_reply(&h, prose, strlen(prose), &r, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "no JSON"));
    static const char noarr[] = "Here: {\"ideas\": []}";
    assert_int_equal(cb_propose_parse_reply(&h, noarr, strlen(noarr), &r, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "\"proposals\""));
    assert_int_equal(r.n_items + r.n_rejects, 0);
    static const char mixed[] =
        "```json\n{\"proposals\": ["
        "{\"rationale\": \"wider search\", \"parent\": 2, \"recipe\": {\"name\": \"w\", \"codec\": "
        "\"engine\", \"settings\": {\"search_range\": 128}}},"
        "{\"rationale\": \"bad\", \"recipe\": {\"name\": \"b\", \"codec\": \"engine\", "
        "\"settings\": {\"gop\": 0}}},"
        "\"just text\","
        "{\"rationale\": \"no recipe\"},"
        "{\"rationale\": \"as a string\", \"recipe\": \"{\\\"name\\\": \\\"s\\\", \\\"codec\\\": "
        "\\\"engine\\\", \\\"settings\\\": {\\\"gop\\\": 15}}\"}"
        "]}\n```";
    assert_int_equal(cb_propose_parse_reply(&h, mixed, strlen(mixed), &r, &err), 0);
    assert_int_equal(r.n_items, 2);
    assert_string_equal(r.items[0].name, "w");
    assert_int_equal(r.items[0].parent, f->better); /* run 2 is "better" */
    assert_string_equal(r.items[1].name, "s");
    assert_int_equal(r.n_rejects, 3);
    assert_non_null(strstr(r.rejects[0].reason, "gop"));
    assert_non_null(strstr(r.rejects[1].reason, "proposal 3 is not a JSON object"));
    assert_non_null(strstr(r.rejects[2].reason, "proposal 4 has no \"recipe\""));
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
}

static void test_prompt(void **state)
{
    Fix *f = *state;
    make_history(f);
    CbProposeHistory h;
    history(f, &h);
    char *sys = NULL, *user = NULL;
    CbError err;
    assert_int_equal(cb_propose_prompt(&h, 3, 0, &sys, &user, &err), 0);
    /* the system prompt: the workbench, the rules, the schema */
    assert_non_null(strstr(sys, "codecbench"));
    assert_non_null(strstr(sys, "Never propose settings that were already tried"));
    assert_non_null(strstr(sys, "\"block_size\""));
    assert_non_null(strstr(sys, "\"restoration_region\""));
    /* the user prompt: anchor, best runs with metrics, failures, tried, ask */
    assert_non_null(strstr(user, "Anchor: \"anchor\""));
    char line[64];
    snprintf(line, sizeof line, "- run %lld \"better\": BD-rate -20.00 %%", (long long)f->better);
    assert_non_null(strstr(user, line));
    assert_non_null(strstr(user, "kbps, PSNR-Y"));
    assert_non_null(strstr(user, "\"transform\":\"dct\""));
    assert_non_null(strstr(user, "Recent failures"));
    assert_non_null(strstr(user, "signal 11"));
    assert_non_null(strstr(user, "engine gop=1"));
    assert_non_null(strstr(user, "Already tried (3 recipes and 1 proposals"));
    assert_non_null(strstr(user, "Propose 3 new recipes"));
    assert_non_null(strstr(user, "{\"proposals\": ["));
    free(sys);
    free(user);
    cb_propose_history_free(&h);
}

static char *xdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* A history of 3000 recipes and 500 failures with 10 KB reasons, built by
 * hand: the prompt stays within its bound and says what it left out. */
static void test_prompt_bounded(void **state)
{
    (void)state;
    CbProposeHistory h;
    memset(&h, 0, sizeof h);
    h.experiment = xdup("big");
    h.anchor_name = xdup("r0");
    h.anchor_hash = xdup("h0");
    h.n_recipes = 3000;
    h.recipes = calloc(h.n_recipes, sizeof *h.recipes);
    h.n_failures = 500;
    h.failures = calloc(h.n_failures, sizeof *h.failures);
    assert_non_null(h.recipes);
    assert_non_null(h.failures);
    char *reason = malloc(10001);
    assert_non_null(reason);
    memset(reason, 'x', 10000);
    reason[10000] = '\0';
    for (size_t i = 0; i < h.n_recipes; i++) {
        char name[32], text[160];
        snprintf(name, sizeof name, "r%zu", i);
        snprintf(text, sizeof text,
                 "{\"name\": \"r%zu\", \"codec\": \"engine\", \"settings\": {\"gop\": %zu}}", i,
                 1 + i % 600);
        h.recipes[i].hash = xdup(name);
        h.recipes[i].name = xdup(name);
        h.recipes[i].json = xdup(text);
        h.recipes[i].done = 1;
        h.recipes[i].best_run = h.recipes[i].last_run = (int64_t)i + 1;
        h.recipes[i].bd_rate = (double)(i % 97) - 50;
        h.recipes[i].is_anchor = i == 0;
    }
    for (size_t i = 0; i < h.n_failures; i++) {
        h.failures[i].run_id = (int64_t)i + 5000;
        h.failures[i].recipe_name = xdup("f");
        h.failures[i].recipe_json = xdup(h.recipes[i].json);
        h.failures[i].reason = xdup(reason);
    }
    free(reason);
    h.runs = 3500;
    char *sys = NULL, *user = NULL;
    CbError err;
    size_t max = 16384;
    assert_int_equal(cb_propose_prompt(&h, 4, max, &sys, &user, &err), 0);
    assert_true(strlen(user) <= max);
    assert_true(strlen(user) > max / 2); /* it used its room */
    assert_non_null(strstr(user, "more done recipes not shown"));
    assert_non_null(strstr(user, "older failures not shown"));
    assert_non_null(strstr(user, "older recipes not shown"));
    assert_non_null(strstr(user, "Propose 4 new recipes"));
    /* the best first: BD-rate -50 */
    assert_non_null(strstr(user, "BD-rate -50.00 %"));
    /* a reason is cut to its first 300 bytes */
    assert_null(strstr(user, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                             "x"));
    free(sys);
    free(user);
    /* a bound the fixed part cannot meet */
    assert_int_equal(cb_propose_prompt(&h, 4, 100, &sys, &user, &err), CB_ELIMIT);
    assert_null(user);
    cb_propose_history_free(&h);
}

static void test_schema(void **state)
{
    (void)state;
    char *s = cb_propose_schema();
    assert_non_null(s);
    json_error_t je;
    json_t *doc = json_loads(s, 0, &je);
    assert_non_null(doc);
    assert_true(json_is_object(json_object_get(doc, "$defs")));
    json_t *item = json_object_get(json_object_get(json_object_get(doc, "properties"),
                                                   "proposals"),
                                   "items");
    json_t *props = json_object_get(item, "properties");
    assert_non_null(json_object_get(props, "rationale"));
    assert_non_null(json_object_get(props, "parent"));
    json_t *recipe = json_object_get(props, "recipe");
    assert_true(json_is_object(recipe));
    assert_null(json_object_get(recipe, "$defs"));
    assert_int_equal(json_array_size(json_object_get(item, "required")), 3);
    assert_true(json_is_false(json_object_get(item, "additionalProperties")));
    /* every "$ref" resolves at the root */
    const char *p = s;
    while ((p = strstr(p, "\"$ref\":\"#/$defs/")) != NULL) {
        p += strlen("\"$ref\":\"#/$defs/");
        size_t n = strcspn(p, "\"");
        char name[64];
        assert_true(n < sizeof name);
        memcpy(name, p, n);
        name[n] = '\0';
        assert_non_null(json_object_get(json_object_get(doc, "$defs"), name));
    }
    json_decref(doc);
    free(s);
}

static void test_usage(void **state)
{
    Fix *f = *state;
    CbError err;
    long long tokens = -1, requests = -1;
    CbStore *s = storefix_open(&f->fx);
    assert_int_equal(cb_store_llm_usage(s, "exp", &tokens, &requests, &err), 0);
    assert_int_equal(tokens, 0);
    assert_int_equal(requests, 0);
    assert_int_equal(cb_store_add_llm_usage(s, "exp", "m", 100, 20, 0, 1, &err), 0);
    assert_int_equal(cb_store_add_llm_usage(s, "exp", "m", 50, 5, 1, 2, &err), 0);
    assert_int_equal(cb_store_add_llm_usage(s, "other", "m", 7, 0, 0, 1, &err), 0);
    assert_int_equal(cb_store_llm_usage(s, "exp", &tokens, &requests, &err), 0);
    assert_int_equal(tokens, 175);
    assert_int_equal(requests, 2);
    assert_int_equal(cb_store_llm_usage(s, NULL, &tokens, &requests, &err), 0);
    assert_int_equal(tokens, 182);
    assert_int_equal(cb_store_add_llm_usage(s, "exp", "m", -1, 0, 0, 1, &err), CB_EINVAL);
    /* reindex brings the counts back from llm-usage.jsonl; a damaged line
     * is skipped */
    char path[400];
    snprintf(path, sizeof path, "%s/llm-usage.jsonl", f->fx.dir);
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fputs("{\"experiment\": \"exp\", \"model\": 3}\nnot json\n", fp);
    fclose(fp);
    cb_store_close(&f->fx.s);
    int64_t runs = -1;
    assert_int_equal(cb_store_reindex(f->fx.dir, NULL, &runs, &err), 0);
    s = storefix_open(&f->fx);
    assert_int_equal(cb_store_llm_usage(s, "exp", &tokens, &requests, &err), 0);
    assert_int_equal(tokens, 175);
    assert_int_equal(requests, 2);
    assert_int_equal(cb_store_llm_usage(s, "other", &tokens, &requests, &err), 0);
    assert_int_equal(tokens, 7);
}

static void test_diff(void **state)
{
    (void)state;
    CbRecipe a, b;
    CbError err;
    assert_int_equal(cb_recipe_parse(ANCHOR, strlen(ANCHOR), NULL, &a, &err), 0);
    assert_int_equal(cb_recipe_parse(BROKEN, strlen(BROKEN), NULL, &b, &err), 0);
    char *d = cb_propose_diff(&a, &b);
    assert_string_equal(d, "gop: 30 -> 1");
    free(d);
    d = cb_propose_diff(NULL, &b);
    assert_string_equal(d, "");
    free(d);
    d = cb_propose_diff(&a, &a);
    assert_string_equal(d, "");
    free(d);
    cb_recipe_free(&a);
    cb_recipe_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pick_experiment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_and_next_round, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_two_clips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prompt, setup, teardown),
        cmocka_unit_test(test_prompt_bounded),
        cmocka_unit_test(test_schema),
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
        cmocka_unit_test(test_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

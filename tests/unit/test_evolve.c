/* Unit tests of the evolve loop's state (src/store/evolve.c): the Pareto
 * front on hand-worked points (ties, NaN and infinite values excluded), the
 * state document parsed back from its own dump, hostile documents refused
 * with the field named, the file under a store directory. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/evolve.h"

#define P(bd, f)                                                                                   \
    {                                                                                              \
        NULL, NULL, 1, (bd), (f)                                                                   \
    }

static void pareto_hand_worked(void **state)
{
    (void)state;
    /* BD-rate (lower better) against fps (higher better):
     *   0: (0.0, 16)   the anchor
     *   1: (-2.0, 10)  better BD-rate, slower: on the front
     *   2: (1.0, 12)   dominated by 0 (worse BD-rate, slower)
     *   3: (3.0, 30)   fastest: on the front
     *   4: (-1.0, 9)   dominated by 1 (-2 <= -1, 10 >= 9)
     *   5: (2.0, 30)   dominates 3 (same fps, better BD-rate)  */
    const CbEvolvePoint pts[] = {P(0.0, 16), P(-2.0, 10), P(1.0, 12),
                                 P(3.0, 30), P(-1.0, 9),  P(2.0, 30)};
    unsigned char keep[6];
    assert_int_equal(cb_evolve_pareto(pts, 6, keep), 3);
    const unsigned char want[6] = {1, 1, 0, 0, 0, 1};
    assert_memory_equal(keep, want, 6);
}

static void pareto_ties_kept(void **state)
{
    (void)state;
    /* two equal points: neither dominates the other */
    const CbEvolvePoint pts[] = {P(-1.0, 20), P(-1.0, 20), P(0.0, 19)};
    unsigned char keep[3];
    assert_int_equal(cb_evolve_pareto(pts, 3, keep), 2);
    assert_int_equal(keep[0], 1);
    assert_int_equal(keep[1], 1);
    assert_int_equal(keep[2], 0);
    /* equal BD-rate, faster wins */
    const CbEvolvePoint q[] = {P(-1.0, 20), P(-1.0, 21)};
    assert_int_equal(cb_evolve_pareto(q, 2, keep), 1);
    assert_int_equal(keep[1], 1);
}

static void pareto_missing_excluded(void **state)
{
    (void)state;
    /* a NaN BD-rate would dominate nothing and be on no front; an infinite
     * fps neither */
    const CbEvolvePoint pts[] = {P(NAN, 100), P(5.0, 1), P(-50.0, NAN), P(-9.0, INFINITY)};
    unsigned char keep[4];
    assert_int_equal(cb_evolve_pareto(pts, 4, keep), 1);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 1);
    assert_int_equal(keep[2], 0);
    assert_int_equal(keep[3], 0);
    assert_int_equal(cb_evolve_pareto(pts, 0, keep), 0);
}

static const char good[] =
    "{\"format\":1,\"experiment\":\"exp-1\",\"proposer\":\"llm\",\"generations\":3,"
    "\"per_generation\":2,\"budget\":500,\"seed\":9,\"status\":\"stopped\","
    "\"reason\":\"stopped by request\",\"created\":1.5,\"updated\":2.5,\"rounds_failed\":1,"
    "\"gens\":[{\"runs\":[4,5],\"tokens\":59,\"proposals\":[{\"name\":\"dct\",\"rationale\":"
    "\"why\",\"changes\":\"transform: klt -> dct\",\"parent\":1,\"runs\":[4]},{\"name\":\"q\","
    "\"parent\":0,\"runs\":[5]}]}],"
    "\"front\":[{\"recipe\":\"ab\",\"name\":\"dct\",\"run\":4,\"bd_rate\":-1.25,\"fps\":30.5}]}";

static void state_round_trip(void **state)
{
    (void)state;
    CbEvolveState st, back;
    CbError err;
    assert_int_equal(cb_evolve_state_parse(good, strlen(good), "t", &st, &err), 0);
    assert_string_equal(st.experiment, "exp-1");
    assert_string_equal(st.proposer, "llm");
    assert_int_equal(st.generations, 3);
    assert_int_equal(st.per_generation, 2);
    assert_int_equal(st.budget, 500);
    assert_int_equal(st.seed, 9);
    assert_int_equal(st.status, CB_EVOLVE_STOPPED);
    assert_string_equal(st.reason, "stopped by request");
    assert_int_equal(st.rounds_failed, 1);
    assert_int_equal(st.n_gens, 1);
    assert_int_equal(st.gens[0].n_runs, 2);
    assert_int_equal(st.gens[0].runs[1], 5);
    assert_int_equal(st.gens[0].tokens, 59);
    assert_int_equal(st.gens[0].n_props, 2);
    assert_string_equal(st.gens[0].props[0].changes, "transform: klt -> dct");
    assert_int_equal(st.gens[0].props[0].parent, 1);
    assert_null(st.gens[0].props[1].rationale);
    assert_int_equal(st.n_front, 1);
    assert_true(st.front[0].bd_rate == -1.25 && st.front[0].fps == 30.5);
    char *text = cb_evolve_state_dump(&st);
    assert_non_null(text);
    assert_int_equal(cb_evolve_state_parse(text, strlen(text), "dump", &back, &err), 0);
    assert_string_equal(back.reason, st.reason);
    assert_int_equal(back.gens[0].props[1].runs[0], 5);
    assert_string_equal(back.front[0].recipe, "ab");
    assert_true(back.front[0].bd_rate == -1.25);
    free(text);
    cb_evolve_state_free(&back);
    cb_evolve_state_free(&st);
    cb_evolve_state_free(&st); /* twice: it was zeroed */
}

/* Replaces the first occurrence of from in good by to, and parses it:
 * the error text must name field. */
static void refused(const char *from, const char *to, const char *field)
{
    char doc[sizeof(good) + 8192];
    const char *at = strstr(good, from);
    assert_non_null(at);
    size_t pre = (size_t)(at - good);
    int n = snprintf(doc, sizeof(doc), "%.*s%s%s", (int)pre, good, to, at + strlen(from));
    assert_true(n > 0 && (size_t)n < sizeof(doc));
    CbEvolveState st;
    CbError err;
    int rc = cb_evolve_state_parse(doc, (size_t)n, "hostile", &st, &err);
    if (rc != CB_EFORMAT || !strstr(err.text, field))
        fail_msg("%s -> %s: rc %d, '%s' (want %s)", from, to, rc, rc ? err.text : "", field);
    assert_null(st.experiment);
    assert_null(st.gens);
}

static void state_hostile(void **state)
{
    (void)state;
    refused("\"format\":1", "\"format\":2", "format");
    refused("\"experiment\":\"exp-1\"", "\"experiment\":\"../etc\"", "experiment");
    refused("\"experiment\":\"exp-1\"", "\"experiment\":7", "experiment");
    refused("\"proposer\":\"llm\"", "\"proposer\":\"rm -rf\"", "proposer");
    refused("\"generations\":3", "\"generations\":0", "generations");
    refused("\"generations\":3", "\"generations\":1e9", "generations");
    refused("\"generations\":3", "\"generations\":99999999999999999999", "JSON");
    refused("\"per_generation\":2", "\"per_generation\":33", "per_generation");
    refused("\"budget\":500", "\"budget\":-1", "budget");
    refused("\"status\":\"stopped\"", "\"status\":\"paused!\"", "status");
    refused("\"reason\":\"stopped by request\"", "\"reason\":[1]", "reason");
    refused("\"runs\":[4,5]", "\"runs\":[4,-5]", "runs");
    refused("\"runs\":[4,5]", "\"runs\":{}", "runs");
    refused("\"parent\":1", "\"parent\":\"1\"", "parent");
    refused("\"bd_rate\":-1.25", "\"bd_rate\":null", "bd_rate");
    refused("\"fps\":30.5", "\"fps\":\"fast\"", "fps");
    refused("\"name\":\"dct\",\"rationale\"", "\"name\":\"d\\u0000t\",\"rationale\"", "NUL");
    refused("\"gens\":[", "\"gens\":[7,", "gens");
    refused("\"front\":[", "\"front\":[[],", "front");
    refused("\"seed\":9", "\"seed\":9,\"seed\":10", "JSON");
    /* a 5000-byte reason */
    char big[5200];
    memset(big, 'a', sizeof(big));
    memcpy(big, "\"reason\":\"", 10);
    big[5000] = '"';
    big[5001] = '\0';
    refused("\"reason\":\"stopped by request\"", big, "reason");

    CbEvolveState st;
    CbError err;
    /* more generations recorded than asked for */
    static const char more[] = "{\"format\":1,\"experiment\":\"e\",\"proposer\":\"local\","
                               "\"generations\":1,\"per_generation\":1,\"status\":\"running\","
                               "\"gens\":[{\"runs\":[2]},{\"runs\":[3]}]}";
    assert_int_equal(cb_evolve_state_parse(more, strlen(more), "x", &st, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "more generations than asked for"));
    assert_int_equal(cb_evolve_state_parse(more, strlen(more) - 17, "x", &st, &err), CB_EFORMAT);
    assert_int_equal(cb_evolve_state_parse("[]", 2, "x", &st, &err), CB_EFORMAT);
    assert_int_equal(cb_evolve_state_parse("{", 1, "x", &st, &err), CB_EFORMAT);
    assert_int_equal(cb_evolve_state_parse("", 0, "x", &st, &err), CB_EFORMAT);
    assert_int_equal(cb_evolve_state_parse(good, strlen(good) - 1, "x", &st, &err), CB_EFORMAT);
}

static void state_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/cbtest-evolve.XXXXXX";
    assert_non_null(mkdtemp(dir));
    CbEvolveState st, back;
    CbError err;
    char **names = NULL;
    size_t n = 9;
    assert_int_equal(cb_evolve_names(dir, &names, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(cb_evolve_read(dir, "exp-1", &back, &err), CB_ENOENT);
    assert_non_null(strstr(err.text, "no evolve for experiment 'exp-1'"));
    assert_int_equal(cb_evolve_read(dir, "../x", &back, &err), CB_EINVAL);
    assert_int_equal(cb_evolve_state_parse(good, strlen(good), "t", &st, &err), 0);
    int fd = -1;
    assert_int_equal(cb_evolve_lock(dir, "exp-1", &fd, &err), 0);
    assert_true(fd >= 0);
    assert_int_equal(cb_evolve_write(dir, &st, &err), 0);
    cb_evolve_unlock(&fd);
    assert_int_equal(fd, -1);
    assert_true(st.updated > 1e9);
    assert_int_equal(cb_evolve_read(dir, "exp-1", &back, &err), 0);
    assert_string_equal(back.experiment, "exp-1");
    assert_int_equal(back.n_gens, 1);
    cb_evolve_state_free(&back);
    /* a file under another experiment's name is refused */
    char *other = cb_evolve_path(dir, "other"), *mine = cb_evolve_path(dir, "exp-1");
    assert_int_equal(rename(mine, other), 0);
    assert_int_equal(cb_evolve_read(dir, "other", &back, &err), CB_EFORMAT);
    assert_int_equal(cb_evolve_names(dir, &names, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "other");
    cb_evolve_names_free(names, n);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(other);
    free(mine);
    cb_evolve_state_free(&st);
}

static void text_cut(void **state)
{
    (void)state;
    /* 3000 two-byte characters: cut below the limit, on a character */
    size_t n = 6000;
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i += 2) {
        s[i] = (char)0xC3;
        s[i + 1] = (char)0xA9;
    }
    s[n] = '\0';
    char *d = cb_evolve_text_dup(s);
    assert_non_null(d);
    size_t m = strlen(d);
    assert_true(m < CB_EVOLVE_TEXT_MAX && m >= CB_EVOLVE_TEXT_MAX - 2);
    assert_int_equal(m % 2, 0);
    /* a state holding it reads back */
    CbEvolveState st, back;
    CbError err;
    assert_int_equal(cb_evolve_state_parse(good, strlen(good), "t", &st, &err), 0);
    free(st.reason);
    st.reason = d;
    char *text = cb_evolve_state_dump(&st);
    assert_non_null(text);
    assert_int_equal(cb_evolve_state_parse(text, strlen(text), "dump", &back, &err), 0);
    assert_string_equal(back.reason, d);
    char *same = cb_evolve_text_dup("short");
    assert_string_equal(same, "short");
    assert_null(cb_evolve_text_dup(NULL));
    free(same);
    free(text);
    free(s);
    cb_evolve_state_free(&back);
    cb_evolve_state_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pareto_hand_worked),
        cmocka_unit_test(pareto_ties_kept),
        cmocka_unit_test(pareto_missing_excluded),
        cmocka_unit_test(state_round_trip),
        cmocka_unit_test(state_hostile),
        cmocka_unit_test(state_files),
        cmocka_unit_test(text_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

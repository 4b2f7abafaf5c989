/* Unit tests of src/llm/sse.c and src/llm/extract.c.
 *
 * Server-sent events: each stream is fed whole, then split at every byte
 * boundary (two pieces) and byte by byte; the events must be the same each
 * time and equal the list written by hand from the WHATWG rules.  JSON
 * extraction: objects in prose, in Markdown fences, with braces and quotes
 * inside strings, after a broken candidate; hostile inputs stay bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "codecbench/llm.h"

/* Events collected as "type|id|data" lines. */
typedef struct Seen {
    CbBuf text;
    int n;
    int stop_after; /* return 1 from the handler after this many (0: never) */
} Seen;

static int collect(void *ud, const CbSseEvent *ev)
{
    Seen *s = ud;
    assert_int_equal(ev->data[ev->len], '\0');
    assert_int_equal(cb_buf_printf(&s->text, "%s|%s|", ev->type, ev->id), 0);
    assert_int_equal(cb_buf_append(&s->text, ev->data, ev->len), 0);
    assert_int_equal(cb_buf_puts(&s->text, "\n"), 0);
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

/* Feeds stream in pieces cut at cut (0: whole), or byte by byte (cut = -1);
 * returns the events seen and *pending. */
static char *feed(const char *stream, size_t n, long cut, int *pending)
{
    CbSse p;
    Seen s = {0};
    CbError err = {0};
    cb_sse_init(&p, 0);
    cb_buf_init(&s.text, 1 << 20);
    if (cut < 0) {
        for (size_t i = 0; i < n; i++)
            assert_int_equal(cb_sse_feed(&p, stream + i, 1, collect, &s, &err), 0);
    } else {
        size_t c = (size_t)cut;
        assert_int_equal(cb_sse_feed(&p, stream, c, collect, &s, &err), 0);
        assert_int_equal(cb_sse_feed(&p, stream + c, n - c, collect, &s, &err), 0);
    }
    *pending = cb_sse_pending(&p);
    cb_sse_free(&p);
    char *out = cb_buf_steal(&s.text);
    assert_non_null(out);
    return out;
}

/* Checks stream gives expect (and pending) however it is cut. */
static void check_stream(const char *stream, size_t n, const char *expect, int expect_pending)
{
    int pending;
    for (long cut = -1; cut <= (long)n; cut++) {
        char *got = feed(stream, n, cut, &pending);
        if (strcmp(got, expect) != 0)
            fail_msg("cut %ld: got\n%s\nexpected\n%s", cut, got, expect);
        assert_int_equal(pending, expect_pending);
        free(got);
    }
}

static void test_sse_openai_stream(void **state)
{
    (void)state;
    /* What an OpenAI-compatible server sends: CRLF line ends, a comment as
     * keep-alive, chunks, a usage chunk and the [DONE] sentinel. */
    static const char s[] =
        ": keep-alive\r\n\r\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\r\n\r\n"
        "data: {\"choices\":[],\"usage\":{\"total_tokens\":7}}\r\n\r\n"
        "data: [DONE]\r\n\r\n";
    check_stream(s, sizeof s - 1,
                 "message||{\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n"
                 "message||{\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n"
                 "message||{\"choices\":[],\"usage\":{\"total_tokens\":7}}\n"
                 "message||[DONE]\n",
                 0);
}

static void test_sse_fields(void **state)
{
    (void)state;
    /* Two data lines join with LF; "data:x" keeps x, "data:  x" keeps one
     * space; "event" names the next dispatch only; "id" persists; a field
     * with no colon has an empty value; unknown fields are ignored; a lone
     * CR and a lone LF end lines too. */
    static const char s[] =
        "event: delta\ndata: one\ndata:two\n\n"
        "id: 7\rdata:  three\r\r"
        "data\nfoo: bar\n\n"
        "data: x\nevent: late\n\n"
        "data: four\n\n";
    check_stream(s, sizeof s - 1,
                 "delta||one\ntwo\n"
                 "message|7| three\n"
                 "message|7|\n"
                 "late|7|x\n"
                 "message|7|four\n",
                 0);
}

static void test_sse_no_data_no_event(void **state)
{
    (void)state;
    /* Blank lines and events with no data dispatch nothing; the type of an
     * undispatched event does not leak into the next. */
    static const char s[] = "\n\n\r\nevent: ping\n\n: comment\n\ndata: a\n\n";
    check_stream(s, sizeof s - 1, "message||a\n", 0);
}

static void test_sse_bom(void **state)
{
    (void)state;
    static const char s[] = "\xEF\xBB\xBF" "data: a\n\n";
    check_stream(s, sizeof s - 1, "message||a\n", 0);
    /* Not at the start: a field name that is not "data". */
    static const char t[] = "data: a\n\n\xEF\xBB\xBF" "data: b\n\n";
    check_stream(t, sizeof t - 1, "message||a\n", 0);
    /* A partial BOM is ordinary bytes: the line "\xEF\xBB" + "data..." is
     * an unknown field. */
    static const char u[] = "\xEF\xBB" "data: c\n\ndata: d\n\n";
    check_stream(u, sizeof u - 1, "message||d\n", 0);
}

static void test_sse_cut_mid_event(void **state)
{
    (void)state;
    /* A connection cut inside an event: nothing is dispatched for it and the
     * parser says so. */
    static const char s[] = "data: a\n\ndata: {\"choices\":[{\"del";
    check_stream(s, sizeof s - 1, "message||a\n", 1);
    static const char t[] = "data: a\n\ndata: whole line\n";
    check_stream(t, sizeof t - 1, "message||a\n", 1);
    static const char u[] = "data: a\n\n";
    check_stream(u, sizeof u - 1, "message||a\n", 0);
}

static void test_sse_retry(void **state)
{
    (void)state;
    CbSse p;
    CbError err = {0};
    cb_sse_init(&p, 0);
    static const char s[] = "retry: 1500\nretry: 12x\nretry:\ndata: a\n\n";
    assert_int_equal(cb_sse_feed(&p, s, sizeof s - 1, NULL, NULL, &err), 0);
    assert_int_equal(p.retry_ms, 1500); /* "12x" and "" are ignored */
    assert_int_equal(p.events, 1);
    cb_sse_free(&p);
}

static void test_sse_limits(void **state)
{
    (void)state;
    CbSse p;
    CbError err = {0};
    char big[300];
    memset(big, 'x', sizeof big);
    /* A line longer than the cap. */
    cb_sse_init(&p, 256);
    assert_int_equal(cb_sse_feed(&p, "data: ", 6, NULL, NULL, &err), 0);
    assert_int_equal(cb_sse_feed(&p, big, sizeof big, NULL, NULL, &err), CB_ELIMIT);
    assert_non_null(strstr(err.text, "line longer than 256"));
    cb_sse_free(&p);
    /* Data that grows past the cap over many short lines. */
    cb_sse_init(&p, 256);
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++)
        rc = cb_sse_feed(&p, "data: 0123456789\n", 17, NULL, NULL, &err);
    assert_int_equal(rc, CB_ELIMIT);
    assert_non_null(strstr(err.text, "data longer than 256"));
    cb_sse_free(&p);
}

static void test_sse_handler_stops(void **state)
{
    (void)state;
    CbSse p;
    Seen s = {.stop_after = 2};
    CbError err = {0};
    cb_sse_init(&p, 0);
    cb_buf_init(&s.text, 4096);
    static const char t[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    assert_int_equal(cb_sse_feed(&p, t, sizeof t - 1, collect, &s, &err), 1);
    assert_int_equal(s.n, 2);
    cb_buf_free(&s.text);
    cb_sse_free(&p);
}

static void test_sse_nul_in_data(void **state)
{
    (void)state;
    CbSse p;
    Seen s = {0};
    CbError err = {0};
    cb_sse_init(&p, 0);
    cb_buf_init(&s.text, 4096);
    static const char t[] = "data: a\0b\n\n";
    assert_int_equal(cb_sse_feed(&p, t, sizeof t - 1, collect, &s, &err), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.text.len, strlen("message||") + 3 + 1);
    assert_memory_equal(s.text.data + strlen("message||"), "a\0b", 3);
    cb_buf_free(&s.text);
    cb_sse_free(&p);
}

/* ---- JSON extraction ---- */

static json_t *extract_ok(const char *text, size_t *off, size_t *len)
{
    json_t *j = NULL;
    CbError err = {0};
    int rc = cb_llm_extract_json(text, strlen(text), 0, &j, off, len, &err);
    if (rc != 0)
        fail_msg("extract failed: %s", err.text);
    assert_true(json_is_object(j));
    return j;
}

static void test_extract_prose_and_fence(void **state)
{
    (void)state;
    size_t off, len;
    const char *t = "Sure! Here are the proposals:\n```json\n{\"proposals\": [{\"rationale\": "
                    "\"use {braces} and \\\"quotes\\\"\", \"recipe\": {\"codec\": \"engine\"}}]}\n"
                    "```\nHope this helps {really}.";
    json_t *j = extract_ok(t, &off, &len);
    assert_int_equal(off, strlen("Sure! Here are the proposals:\n```json\n"));
    assert_int_equal(t[off + len - 1], '}');
    assert_int_equal(t[off + len], '\n');
    json_t *p = json_array_get(json_object_get(j, "proposals"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "rationale")),
                        "use {braces} and \"quotes\"");
    json_decref(j);
}

static void test_extract_skips_broken(void **state)
{
    (void)state;
    size_t off;
    /* A '{' in prose that never closes, then a broken object, then the real
     * one: the real one is found. */
    const char *t = "I think {maybe. Try {\"a\": 1,} or rather {\"b\": 2}";
    json_t *j = extract_ok(t, &off, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "b")), 2);
    assert_string_equal(t + off, "{\"b\": 2}");
    json_decref(j);
    /* Nested objects: the outer one is returned. */
    j = extract_ok("x {\"o\": {\"i\": {}}} y", &off, NULL);
    assert_int_equal(off, 2);
    assert_true(json_is_object(json_object_get(j, "o")));
    json_decref(j);
}

static void test_extract_failures(void **state)
{
    (void)state;
    json_t *j = (json_t *)1;
    CbError err = {0};
    assert_int_equal(cb_llm_extract_json("no json here", 12, 0, &j, NULL, NULL, &err), CB_EFORMAT);
    assert_null(j);
    assert_non_null(strstr(err.text, "no JSON object"));
    cb_error_clear(&err);
    const char *cut = "{\"proposals\": [{\"recipe\": {";
    assert_int_equal(cb_llm_extract_json(cut, strlen(cut), 0, &j, NULL, NULL, &err), CB_EFORMAT);
    assert_non_null(strstr(err.text, "cut short"));
    cb_error_clear(&err);
    const char *bad = "{'single': 'quotes'}";
    assert_int_equal(cb_llm_extract_json(bad, strlen(bad), 0, &j, NULL, NULL, &err), CB_EFORMAT);
    /* jansson's position counts the bytes read, the offending quote included:
     * it is the second byte, so "byte 2". */
    assert_non_null(strstr(err.text, "at byte 2"));
    cb_error_clear(&err);
    /* Duplicate keys are refused (a recipe must say one thing). */
    const char *dup = "{\"a\": 1, \"a\": 2}";
    assert_int_equal(cb_llm_extract_json(dup, strlen(dup), 0, &j, NULL, NULL, &err), CB_EFORMAT);
}

static void test_extract_hostile_bounded(void **state)
{
    (void)state;
    /* 200,000 opening braces: at most 64 candidates are tried, each a
     * linear scan, then a clear error. */
    size_t n = 200000;
    char *t = malloc(n + 1);
    assert_non_null(t);
    memset(t, '{', n);
    t[n] = '\0';
    json_t *j = NULL;
    CbError err = {0};
    assert_int_equal(cb_llm_extract_json(t, n, 0, &j, NULL, NULL, &err), CB_EFORMAT);
    /* Only the first candidate is inside the limit: with max 1 a valid
     * object after a broken one is not reached. */
    const char *two = "{x} {\"ok\": true}";
    assert_int_equal(cb_llm_extract_json(two, strlen(two), 1, &j, NULL, NULL, &err), CB_EFORMAT);
    assert_int_equal(cb_llm_extract_json(two, strlen(two), 2, &j, NULL, NULL, &err), 0);
    json_decref(j);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_openai_stream),
        cmocka_unit_test(test_sse_fields),
        cmocka_unit_test(test_sse_no_data_no_event),
        cmocka_unit_test(test_sse_bom),
        cmocka_unit_test(test_sse_cut_mid_event),
        cmocka_unit_test(test_sse_retry),
        cmocka_unit_test(test_sse_limits),
        cmocka_unit_test(test_sse_handler_stops),
        cmocka_unit_test(test_sse_nul_in_data),
        cmocka_unit_test(test_extract_prose_and_fence),
        cmocka_unit_test(test_extract_skips_broken),
        cmocka_unit_test(test_extract_failures),
        cmocka_unit_test(test_extract_hostile_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

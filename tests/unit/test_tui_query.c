/* Unit tests of the dashboard's filter language (src/tui/query.c): parsing
 * of every operator, quoting, negation and `or`, evaluation over a small
 * table (missing values, NaN, lists, case), and the errors of bad input
 * (each names the term and the reason). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/query.h"

enum { F_NAME, F_BD, F_TAGS, F_STATUS, F_ANY, F_FPS };

static const char *const STATUSES[] = {"queued", "running", "done", "failed", NULL};

static const TuiQueryField FIELDS[] = {
    {"name", TUI_QUERY_TEXT, F_NAME, 0, NULL},
    {"recipe", TUI_QUERY_TEXT, F_NAME, 0, NULL},
    {"bd", TUI_QUERY_NUMBER, F_BD, 0, NULL},
    {"tags", TUI_QUERY_TEXT, F_TAGS, 1, NULL},
    {"status", TUI_QUERY_TEXT, F_STATUS, 0, STATUSES},
    {"settings.fps-x", TUI_QUERY_NUMBER, F_FPS, 0, NULL},
};
static const TuiQuerySchema SCHEMA = {FIELDS, sizeof FIELDS / sizeof FIELDS[0], F_ANY,
                                      "name recipe bd tags status"};

typedef struct Row {
    const char *name, *tags, *status, *any;
    double bd, fps;
} Row;

static const Row ROWS[] = {
    {"x264-medium", "anchor", "done", "x264-medium demo", 0.0, 120},
    {"Fast", "best,keep", "done", "Fast demo", -5.5, 300},
    {"default", NULL, "running", "default demo", NAN, 20},
    {"klt \"big\"", "a b", "failed", "klt \"big\" other oops", 12.26, NAN},
};
#define NROWS (sizeof ROWS / sizeof ROWS[0])

static const char *row_text(const void *ctx, size_t row, int id)
{
    const Row *r = &((const Row *)ctx)[row];
    switch (id) {
    case F_NAME: return r->name;
    case F_TAGS: return r->tags;
    case F_STATUS: return r->status;
    case F_ANY: return r->any;
    default: return NULL;
    }
}

static double row_number(const void *ctx, size_t row, int id)
{
    const Row *r = &((const Row *)ctx)[row];
    return id == F_BD ? r->bd : id == F_FPS ? r->fps : NAN;
}

static const TuiQueryAccess ACCESS = {row_text, row_number, ROWS};

/* The rows q matches as a bit set (row i is bit i). */
static unsigned matches(const char *text)
{
    TuiQuery *q = NULL;
    CbError err;
    if (tui_query_parse(text, &SCHEMA, &q, &err) != 0)
        fail_msg("parse '%s': %s", text, err.text);
    unsigned bits = 0;
    for (size_t i = 0; i < NROWS; i++)
        if (tui_query_match(q, &ACCESS, i))
            bits |= 1u << i;
    tui_query_free(&q);
    assert_null(q);
    return bits;
}

/* The error text of a query that must not parse. */
static void expect_error(const char *text, int code, const char *want)
{
    TuiQuery *q = (TuiQuery *)1;
    CbError err;
    cb_error_clear(&err);
    int rc = tui_query_parse(text, &SCHEMA, &q, &err);
    if (rc != code)
        fail_msg("'%s': got %d (%s), want %d", text, rc, err.text, code);
    assert_null(q);
    if (!strstr(err.text, want))
        fail_msg("'%s': error '%s' does not say '%s'", text, err.text, want);
}

static void test_empty_matches_all(void **state)
{
    (void)state;
    assert_int_equal(matches(""), 0xF);
    assert_int_equal(matches("   "), 0xF);
    assert_int_equal(matches(NULL), 0xF);
    TuiQuery *q = NULL;
    CbError err;
    assert_int_equal(tui_query_parse("  bd<0  ", &SCHEMA, &q, &err), 0);
    assert_string_equal(tui_query_text(q), "bd<0");
    assert_false(tui_query_is_empty(q));
    assert_true(tui_query_uses(q, F_BD));
    assert_false(tui_query_uses(q, F_NAME));
    tui_query_free(&q);
    assert_true(tui_query_is_empty(NULL));
    assert_true(tui_query_match(NULL, &ACCESS, 0));
    tui_query_free(NULL);
}

static void test_text_fields(void **state)
{
    (void)state;
    assert_int_equal(matches("name:fast"), 0x2);            /* case-insensitive substring */
    assert_int_equal(matches("NAME:FAS"), 0x2);             /* field names too */
    assert_int_equal(matches("recipe:x264"), 0x1);          /* an alias of the same field */
    assert_int_equal(matches("name:=fast"), 0x2);           /* exact, case-insensitive */
    assert_int_equal(matches("name:=fas"), 0x0);            /* exact is not a prefix */
    assert_int_equal(matches("name=default"), 0x4);         /* '=' on text is exact */
    assert_int_equal(matches("name!=default"), 0xB);        /* '!=' on text: not exactly */
    assert_int_equal(matches("name:\"klt \\\"big\""), 0x8); /* quotes, escaped quote */
    assert_int_equal(matches("\"name:x\""), 0x0);           /* quoted whole: a bare word */
    assert_int_equal(matches("status:done"), 0x3);
    assert_int_equal(matches("status:run"), 0x4); /* part of a status name */
    assert_int_equal(matches("status:=done"), 0x3);
}

static void test_lists_and_missing(void **state)
{
    (void)state;
    assert_int_equal(matches("tags:kee"), 0x2);   /* substring of the list */
    assert_int_equal(matches("tags:=keep"), 0x2); /* one element equals */
    assert_int_equal(matches("tags:=kee"), 0x0);
    assert_int_equal(matches("tags:=\"a b\""), 0x8); /* an element with a space */
    assert_int_equal(matches("tags:=best"), 0x2);
    assert_int_equal(matches("-tags:keep"), 0xD); /* a missing list does not contain */
    assert_int_equal(matches("!tags:anchor"), 0xE);
}

static void test_numbers(void **state)
{
    (void)state;
    assert_int_equal(matches("bd<0"), 0x2);
    assert_int_equal(matches("bd<=0"), 0x3);
    assert_int_equal(matches("bd>0"), 0x8);
    assert_int_equal(matches("bd>=-5.5"), 0xB);
    assert_int_equal(matches("bd=12.26"), 0x8);
    assert_int_equal(matches("bd==12.3"), 0x8); /* equal at the digits typed */
    assert_int_equal(matches("bd=12.2"), 0x0);
    assert_int_equal(matches("bd:0"), 0x1);   /* ':' on a number is '=' */
    assert_int_equal(matches("bd!=0"), 0xA);  /* NaN satisfies no comparison */
    assert_int_equal(matches("-bd!=0"), 0x5); /* ... so its negation holds */
    assert_int_equal(matches("bd<-5%"), 0x2); /* a trailing % */
    assert_int_equal(matches("bd<1e1"), 0x3);
    assert_int_equal(matches("settings.fps-x>100"), 0x3); /* dotted names with '-' */
}

static void test_bare_words_and_logic(void **state)
{
    (void)state;
    assert_int_equal(matches("demo"), 0x7);
    assert_int_equal(matches("DEMO fast"), 0x2); /* AND */
    assert_int_equal(matches("oops"), 0x8);      /* a reason, through the any field */
    assert_int_equal(matches("-demo"), 0x8);
    assert_int_equal(matches("fast or default"), 0x6);
    assert_int_equal(matches("fast | default"), 0x6);
    assert_int_equal(matches("demo fast or status:running bd<0 or bd>100"), 0x2);
    assert_int_equal(matches("status:done or status:failed -bd>0"), 0x3);
    assert_int_equal(matches("x264-medium"), 0x1); /* '-' inside a word, no operator */
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("bd<x", CB_EINVAL, "bd<x: 'x' is not a number");
    expect_error("bd>1.5.2", CB_EINVAL, "'1.5.2' is not a number");
    expect_error("bd<nan", CB_EINVAL, "'nan' is not a number");
    expect_error("bd<inf", CB_EINVAL, "is not a number");
    expect_error("foo:1", CB_EINVAL, "unknown field 'foo' (fields: name recipe bd tags status)");
    expect_error("bd<", CB_EINVAL, "a number is needed after '<'");
    expect_error("name:", CB_EINVAL, "a value is needed after ':'");
    expect_error("name<3", CB_EINVAL, "name is text and '<' compares numbers");
    expect_error("status:fine", CB_EINVAL,
                 "unknown status 'fine' (one of: queued running done failed)");
    expect_error("status:=don", CB_EINVAL, "unknown status 'don'");
    expect_error("or fast", CB_EINVAL, "'or' needs a term on each side");
    expect_error("fast or", CB_EINVAL, "'or' needs a term on each side");
    expect_error("fast or or slow", CB_EINVAL, "needs a term on each side");
    expect_error("-", CB_EINVAL, "a term is needed after '-'");
    expect_error("name:\"open", CB_EINVAL, "the quote is not closed");
    char *big = malloc(TUI_QUERY_MAX_BYTES + 2);
    assert_non_null(big);
    memset(big, 'a', TUI_QUERY_MAX_BYTES + 1);
    big[TUI_QUERY_MAX_BYTES + 1] = '\0';
    expect_error(big, CB_ELIMIT, "longer than");
    /* Many terms at the limit still parse. */
    for (size_t i = 0; i + 1 < TUI_QUERY_MAX_BYTES; i += 2) {
        big[i] = 'a';
        big[i + 1] = ' ';
    }
    big[TUI_QUERY_MAX_BYTES] = '\0';
    TuiQuery *q = NULL;
    CbError err;
    assert_int_equal(tui_query_parse(big, &SCHEMA, &q, &err), 0);
    assert_false(tui_query_match(q, &ACCESS, 0)); /* "x264-medium demo" has no 'a' */
    assert_true(tui_query_match(q, &ACCESS, 1));  /* "Fast demo" has */
    tui_query_free(&q);
    free(big);
}

static void test_hostile_text(void **state)
{
    (void)state;
    /* Control bytes and invalid UTF-8 are just bytes to match. */
    assert_int_equal(matches("\x1b[31m"), 0x0);
    assert_int_equal(matches("name:\xff\xfe"), 0x0);
    assert_true(tui_query_contains("abc\x1b[2Jdef", "\x1B[2j"));
    assert_true(tui_query_contains("anything", ""));
    assert_false(tui_query_contains("", "a"));
    assert_true(tui_query_contains("aaab", "aab"));
}

/* Seeded random text made of the language's own characters (and bytes from
 * outside ASCII): every parse either succeeds and evaluates, or fails with
 * CB_EINVAL and a reason; none crashes (the sanitizer build checks the
 * memory). */
static void test_random_input(void **state)
{
    (void)state;
    static const char ALPHA[] = "bdnametgsu:=<>!-|\"\\ .%0123456789eoOR\xff\x1b";
    uint32_t seed = 12345;
    char text[64];
    int ok = 0, refused = 0;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 1664525u + 1013904223u;
        size_t len = (seed >> 24) % (sizeof text - 1);
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1664525u + 1013904223u;
            text[k] = ALPHA[(seed >> 16) % (sizeof ALPHA - 1)];
        }
        text[len] = '\0';
        TuiQuery *q = NULL;
        CbError err;
        cb_error_clear(&err);
        int rc = tui_query_parse(text, &SCHEMA, &q, &err);
        if (rc == 0) {
            assert_non_null(q);
            for (size_t r = 0; r < NROWS; r++)
                (void)tui_query_match(q, &ACCESS, r);
            tui_query_free(&q);
            ok++;
        } else {
            assert_int_equal(rc, CB_EINVAL);
            assert_null(q);
            assert_true(err.text[0] != '\0');
            refused++;
        }
    }
    /* Both outcomes occur: the generator reaches the parser's paths. */
    assert_true(ok > 1000);
    assert_true(refused > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_matches_all),    cmocka_unit_test(test_text_fields),
        cmocka_unit_test(test_lists_and_missing),    cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_bare_words_and_logic), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hostile_text),         cmocka_unit_test(test_random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

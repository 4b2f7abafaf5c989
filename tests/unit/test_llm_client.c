/* Unit tests of src/llm/client.c against tests/llm/server.py.
 *
 * The group's setup starts the server (python3, port 0, the port on its
 * first stdout line, every request logged as a JSON line); each test runs
 * one of its faults through the client with short timeouts and backoffs and
 * checks the behaviour llm.h documents, and what was sent (from the log).
 * Every error text and every restart reason is checked not to hold the key.
 * Without python3 every case is skipped.  Timing bounds are generous: only
 * Retry-After's one second is checked from below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/llm.h"
#include "codecbench/recipe.h"
#include "codecbench/sanitize.h"

#define KEY "sk-test-SECRET-123"
#define KEY_NAME "CB_TEST_LLM_KEY"
#define GUARD_MS 25000

static const char SCHEMA[] =
    "{\"type\":\"object\",\"properties\":{\"proposals\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
    "\"properties\":{\"rationale\":{\"type\":\"string\"},\"recipe\":{\"type\":\"object\"}},"
    "\"required\":[\"rationale\",\"recipe\"],\"additionalProperties\":false}}},"
    "\"required\":[\"proposals\"],\"additionalProperties\":false}";

static const CbLlmMessage MESSAGES[] = {
    {"system", "You propose codec experiments as JSON."},
    {"user", "The anchor is default.json; propose two recipes."},
};

/* The server, shared by the group. */
static pid_t server_pid = -1;
static int server_port;
static char tmpdir[64];
static char log_path[128];
static char base_url[64];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start_server(void **state)
{
    (void)state;
    const char *py = getenv("PYTHON3");
    if (!py || !*py)
        py = "python3";
    if (snprintf(tmpdir, sizeof tmpdir, "/tmp/cbllm-XXXXXX") >= (int)sizeof tmpdir || !mkdtemp(tmpdir)) {
        tmpdir[0] = 0;
        return 0;
    }
    if (snprintf(log_path, sizeof log_path, "%s/requests.jsonl", tmpdir) >= (int)sizeof log_path)
        return -1;
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp(py, py, CB_LLM_SERVER, "--log", log_path, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* the first line is the port; nothing within 10 s means no server */
    char line[32] = {0};
    size_t n = 0;
    int64_t t0 = now_ms();
    while (n < sizeof line - 1 && !memchr(line, '\n', n) && now_ms() - t0 < 10000) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        if (poll(&p, 1, 500) <= 0)
            continue;
        ssize_t r = read(fds[0], line + n, sizeof line - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fds[0]);
    char *end = NULL;
    long port = strtol(line, &end, 10);
    if (port <= 0 || port > 65535 || !end || *end != '\n') {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return 0; /* the cases skip */
    }
    server_pid = pid;
    server_port = (int)port;
    if (snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d/v1", server_port) >= (int)sizeof base_url)
        return -1;
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    if (tmpdir[0]) {
        unlink(log_path);
        rmdir(tmpdir);
    }
    return 0;
}

/* What a call did. */
typedef struct Run {
    int rc;
    CbError err;
    char *content;
    size_t len;
    int structured;
    CbLlmUsage usage;
    CbBuf deltas;   /* deltas since the last restart */
    int n_deltas;
    int restarts;
    int last_delay_ms;
    char why[512];
    int64_t restart_at_ms, end_ms;
} Run;

static void on_delta(void *ud, const char *text, size_t len)
{
    Run *r = ud;
    assert_int_equal(cb_buf_append(&r->deltas, text, len), 0);
    r->n_deltas++;
}

static void on_restart(void *ud, int attempt, int delay_ms, const char *why)
{
    Run *r = ud;
    r->restarts++;
    assert_int_equal(attempt, r->restarts + 1);
    assert_true(delay_ms >= 0);
    r->last_delay_ms = delay_ms;
    assert_null(strstr(why, "SECRET"));
    snprintf(r->why, sizeof r->why, "%s", why);
    r->restart_at_ms = now_ms();
    cb_buf_reset(&r->deltas);
}

static const CbLlmCallbacks CALLBACKS = {on_delta, on_restart};

static CbLlmEndpoint endpoint(const char *model, int stream)
{
    CbLlmEndpoint ep = {
        .base_url = base_url,
        .model = model,
        .api_key = KEY,
        .key_name = KEY_NAME,
        .temperature = 0.7,
        .connect_timeout_ms = 3000,
        .idle_timeout_ms = 5000,
        .total_timeout_ms = 15000,
        .retries = 2,
        .backoff_ms = 10,
        .max_reply = 0,
        .stream = stream,
    };
    return ep;
}

static CbLlmRequest request(int with_schema)
{
    CbLlmRequest rq = {MESSAGES, 2, with_schema ? SCHEMA : NULL, with_schema ? "proposals" : NULL, 500};
    return rq;
}

static void drive(CbLlm *c, CbLlmCall *k)
{
    CbError err = {0};
    int64_t t0 = now_ms();
    while (cb_llm_state(k) == CB_LLM_PENDING) {
        assert_int_equal(cb_llm_wait(c, 200, &err), 0);
        assert_true(now_ms() - t0 < GUARD_MS);
    }
}

/* Runs one call to completion in client c (NULL: a client of its own). */
static void run_in(CbLlm *c, const CbLlmEndpoint *ep, const CbLlmRequest *rq, Run *r)
{
    CbLlm *own = NULL;
    CbError err = {0};
    memset(r, 0, sizeof *r);
    cb_buf_init(&r->deltas, 4 << 20);
    if (!c) {
        assert_int_equal(cb_llm_new(&own, &err), 0);
        c = own;
    }
    CbLlmCall *k = NULL;
    assert_int_equal(cb_llm_start(c, ep, rq, &CALLBACKS, r, &k, &err), 0);
    drive(c, k);
    r->end_ms = now_ms();
    const char *content = NULL;
    r->rc = cb_llm_result(k, &content, &r->len, &r->structured, &r->usage, &r->err);
    if (getenv("CB_TEST_VERBOSE"))
        print_message("# %s: rc %d, %d attempts, %lld+%lld tokens%s: %s\n", ep->model, r->rc, r->usage.attempts,
                      r->usage.prompt_tokens, r->usage.completion_tokens, r->usage.estimated ? " (estimated)" : "",
                      r->rc ? r->err.text : "ok");
    if (r->rc == 0) {
        assert_int_equal(cb_llm_state(k), CB_LLM_DONE);
        r->content = malloc(r->len + 1);
        assert_non_null(r->content);
        memcpy(r->content, content, r->len + 1);
    } else {
        assert_int_equal(cb_llm_state(k), CB_LLM_FAILED);
        assert_int_equal(r->err.code, r->rc);
        assert_null(strstr(r->err.text, "SECRET"));
        assert_null(strstr(r->err.text, "sk-test"));
    }
    cb_llm_call_free(&k);
    assert_null(k);
    cb_llm_free(&own);
}

static void run(const CbLlmEndpoint *ep, const CbLlmRequest *rq, Run *r)
{
    run_in(NULL, ep, rq, r);
}

static void run_free(Run *r)
{
    free(r->content);
    cb_buf_free(&r->deltas);
}

/* The last request the server logged (n = 0), or the one before (n = 1). */
static json_t *logged(int n)
{
    CbBuf b;
    cb_buf_init(&b, 64 << 20);
    CbError err = {0};
    assert_int_equal(cb_buf_read_file(&b, log_path, &err), 0);
    assert_true(b.len > 0);
    size_t end = b.len;
    if (b.data[end - 1] == '\n')
        end--;
    for (int i = 0;; i++) {
        size_t start = end;
        while (start > 0 && b.data[start - 1] != '\n')
            start--;
        if (i == n) {
            json_t *j = json_loadb(b.data + start, end - start, 0, NULL);
            assert_non_null(j);
            cb_buf_free(&b);
            return j;
        }
        assert_true(start > 0);
        end = start - 1;
    }
}

#define SKIP_WITHOUT_SERVER()   \
    do {                        \
        if (server_pid <= 0)    \
            skip();             \
    } while (0)

/* The proposals in text: two, the first "qp-down". */
static void check_proposals(const char *text, size_t len)
{
    json_t *j = NULL;
    CbError err = {0};
    assert_int_equal(cb_llm_extract_json(text, len, 0, &j, NULL, NULL, &err), 0);
    json_t *p = json_object_get(j, "proposals");
    assert_int_equal(json_array_size(p), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(p, 0), "recipe"), "name")),
                        "qp-down");
    json_decref(j);
}

static void test_ok_stream(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("ok", 1);
    CbLlmRequest rq = request(1);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    assert_true(r.n_deltas > 10); /* it really streamed */
    assert_int_equal(r.deltas.len, r.len);
    assert_memory_equal(r.deltas.data, r.content, r.len);
    check_proposals(r.content, r.len);
    assert_int_equal(r.structured, 1);
    assert_int_equal(r.restarts, 0);
    assert_int_equal(r.usage.attempts, 1);
    assert_int_equal(r.usage.prompt_tokens, 42);
    assert_int_equal(r.usage.completion_tokens, 17);
    assert_int_equal(r.usage.estimated, 0);

    json_t *q = logged(0);
    json_t *h = json_object_get(q, "headers"), *b = json_object_get(q, "body");
    assert_string_equal(json_string_value(json_object_get(q, "path")), "/v1/chat/completions");
    assert_string_equal(json_string_value(json_object_get(h, "authorization")), "Bearer " KEY);
    assert_string_equal(json_string_value(json_object_get(h, "content-type")), "application/json");
    assert_string_equal(json_string_value(json_object_get(b, "model")), "ok");
    assert_true(json_is_true(json_object_get(b, "stream")));
    assert_true(json_is_true(json_object_get(json_object_get(b, "stream_options"), "include_usage")));
    assert_true(json_real_value(json_object_get(b, "temperature")) == 0.7);
    assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 500);
    json_t *m = json_object_get(b, "messages");
    assert_int_equal(json_array_size(m), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "content")), MESSAGES[1].content);
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")), "system");
    json_t *rf = json_object_get(b, "response_format");
    assert_string_equal(json_string_value(json_object_get(rf, "type")), "json_schema");
    json_t *js = json_object_get(rf, "json_schema");
    assert_string_equal(json_string_value(json_object_get(js, "name")), "proposals");
    assert_true(json_is_true(json_object_get(js, "strict")));
    json_t *want = json_loads(SCHEMA, 0, NULL);
    assert_true(json_equal(json_object_get(js, "schema"), want));
    json_decref(want);
    json_decref(q);
    run_free(&r);
}

static void test_ok_whole(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("ok", 0);
    ep.api_key = NULL;
    ep.temperature = -1;
    CbLlmRequest rq = request(0);
    rq.max_tokens = 0;
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    check_proposals(r.content, r.len);
    assert_int_equal(r.n_deltas, 1); /* the whole content at once */
    assert_memory_equal(r.deltas.data, r.content, r.len);
    assert_int_equal(r.structured, 0);
    assert_int_equal(r.usage.prompt_tokens, 42);
    assert_int_equal(r.usage.completion_tokens, 17);
    assert_int_equal(r.usage.estimated, 0);

    /* the same content as streamed */
    Run s;
    CbLlmEndpoint eps = endpoint("ok", 1);
    run(&eps, &rq, &s);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.len, r.len);
    assert_memory_equal(s.content, r.content, r.len);
    run_free(&s);

    json_t *q = logged(1);
    json_t *h = json_object_get(q, "headers"), *b = json_object_get(q, "body");
    assert_null(json_object_get(h, "authorization"));
    assert_null(json_object_get(b, "stream"));
    assert_null(json_object_get(b, "temperature"));
    assert_null(json_object_get(b, "max_tokens"));
    assert_null(json_object_get(b, "response_format"));
    json_decref(q);
    run_free(&r);
}

static void test_retry_after(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("retry-after", 1);
    CbLlmRequest rq = request(1);
    Run r;
    int64_t t0 = now_ms();
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    check_proposals(r.content, r.len);
    assert_int_equal(r.restarts, 1);
    assert_int_equal(r.last_delay_ms, 1000); /* Retry-After: 1, not the 10 ms backoff */
    assert_non_null(strstr(r.why, "HTTP 429"));
    assert_non_null(strstr(r.why, "Rate limit reached"));
    assert_true(r.end_ms - t0 >= 950);
    assert_int_equal(r.usage.attempts, 2);
    /* both attempts count: the 429 (estimated from the prompt) and the reply */
    long long prompt_est = (long long)((strlen(MESSAGES[0].content) + strlen(MESSAGES[1].content) + 3) / 4);
    assert_int_equal(r.usage.prompt_tokens, 42 + prompt_est);
    assert_int_equal(r.usage.completion_tokens, 17);
    assert_int_equal(r.usage.estimated, 1);
    run_free(&r);
}

static void test_retry_after_date(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("retry-date", 0);
    CbLlmRequest rq = request(0);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.restarts, 1);
    assert_non_null(strstr(r.why, "HTTP 503"));
    /* the date is 2 s ahead at a one-second resolution: 1 to 2 s, far from
     * the 10 ms backoff */
    assert_true(r.last_delay_ms >= 1000 && r.last_delay_ms <= 3000);
    assert_int_equal(r.usage.attempts, 2);
    run_free(&r);
}

static void test_500_once(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("500-once", 0);
    ep.retries = 1;
    CbLlmRequest rq = request(1);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    check_proposals(r.content, r.len);
    assert_int_equal(r.restarts, 1);
    assert_true(r.last_delay_ms <= 10); /* full jitter below backoff_ms */
    assert_non_null(strstr(r.why, "HTTP 500"));
    assert_int_equal(r.usage.attempts, 2);
    run_free(&r);

    /* without retries the 500 is the answer */
    ep = endpoint("500-once/b", 0);
    ep.retries = 0;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EEXTERNAL);
    assert_non_null(strstr(r.err.text, "HTTP 500"));
    assert_non_null(strstr(r.err.text, base_url));
    assert_int_equal(r.usage.attempts, 1);
    run_free(&r);
}

static void test_cut_once(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("cut-once", 1);
    CbLlmRequest rq = request(1);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.restarts, 1);
    assert_non_null(strstr(r.why, "cut"));
    /* the deltas after the restart are the whole content */
    assert_int_equal(r.deltas.len, r.len);
    assert_memory_equal(r.deltas.data, r.content, r.len);
    check_proposals(r.content, r.len);
    /* the cut stream is paid too: estimated, 3 chunks of 12 bytes = 36 bytes */
    long long prompt_est = (long long)((strlen(MESSAGES[0].content) + strlen(MESSAGES[1].content) + 3) / 4);
    assert_int_equal(r.usage.attempts, 2);
    assert_int_equal(r.usage.prompt_tokens, 42 + prompt_est);
    assert_int_equal(r.usage.completion_tokens, 17 + 9);
    assert_int_equal(r.usage.estimated, 1);
    run_free(&r);
}

static void test_cut(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    for (int stream = 0; stream <= 1; stream++) {
        CbLlmEndpoint ep = endpoint("cut", stream);
        CbLlmRequest rq = request(1);
        Run r;
        run(&ep, &rq, &r);
        assert_int_equal(r.rc, CB_EIO);
        assert_non_null(strstr(r.err.text, "cut"));
        assert_non_null(strstr(r.err.text, "3 attempts"));
        assert_non_null(strstr(r.err.text, base_url));
        assert_int_equal(r.restarts, 2);
        assert_int_equal(r.usage.attempts, 3);
        run_free(&r);
    }
}

static void test_stall(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    for (int stream = 0; stream <= 1; stream++) {
        CbLlmEndpoint ep = endpoint("stall", stream);
        ep.idle_timeout_ms = 300;
        ep.retries = 1;
        CbLlmRequest rq = request(1);
        Run r;
        int64_t t0 = now_ms();
        run(&ep, &rq, &r);
        assert_int_equal(r.rc, CB_ETIMEOUT);
        assert_non_null(strstr(r.err.text, "idle timeout"));
        assert_non_null(strstr(r.err.text, "300 ms"));
        assert_int_equal(r.usage.attempts, 2);
        assert_true(r.end_ms - t0 >= 600);   /* two idle periods */
        assert_true(r.end_ms - t0 < 10000);  /* not the server's 20 s stall */
        run_free(&r);
    }
}

static void test_total_timeout(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("stall", 1);
    ep.idle_timeout_ms = 10000;
    ep.total_timeout_ms = 400;
    ep.retries = 0;
    CbLlmRequest rq = request(0);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_ETIMEOUT);
    assert_non_null(strstr(r.err.text, "total timeout"));
    run_free(&r);
}

static void test_malformed(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("malformed", 1);
    CbLlmRequest rq = request(1);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EFORMAT);
    /* chunks 1 to 3: the role and two pieces of content; the 4th is broken */
    assert_non_null(strstr(r.err.text, "chunk 4 is not a JSON object"));
    assert_int_equal(r.usage.attempts, 1); /* not retried */
    assert_non_null(strstr(r.err.text, "oops"));
    run_free(&r);

    ep = endpoint("malformed", 0);
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EFORMAT);
    assert_non_null(strstr(r.err.text, "not a JSON object"));
    run_free(&r);

    ep = endpoint("error-chunk", 1);
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EEXTERNAL);
    assert_non_null(strstr(r.err.text, "The server had an error while processing your request."));
    run_free(&r);
}

static void test_nojson(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("nojson", 1);
    CbLlmRequest rq = request(0);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.content, "widen the search range"));
    json_t *j = NULL;
    CbError err = {0};
    assert_int_equal(cb_llm_extract_json(r.content, r.len, 0, &j, NULL, NULL, &err), CB_EFORMAT);
    assert_null(j);
    run_free(&r);
}

static void test_oversize(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    for (int stream = 0; stream <= 1; stream++) {
        CbLlmEndpoint ep = endpoint("oversize", stream);
        ep.max_reply = 4096;
        CbLlmRequest rq = request(0);
        Run r;
        run(&ep, &rq, &r);
        assert_int_equal(r.rc, CB_ELIMIT);
        assert_non_null(strstr(r.err.text, "4096 bytes"));
        assert_int_equal(r.usage.attempts, 1);
        assert_true(r.deltas.len <= 4096);
        run_free(&r);
    }
    /* with the default cap (1 MiB) the 256 KiB reply is fine */
    CbLlmEndpoint ep = endpoint("oversize", 1);
    CbLlmRequest rq = request(0);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.len, 256 * 1024);
    run_free(&r);
}

static void test_invalid_recipe(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("invalid-recipe", 1);
    CbLlmRequest rq = request(1);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    json_t *j = NULL;
    CbError err = {0};
    assert_int_equal(cb_llm_extract_json(r.content, r.len, 0, &j, NULL, NULL, &err), 0);
    json_t *recipe = json_object_get(json_array_get(json_object_get(j, "proposals"), 0), "recipe");
    char *text = json_dumps(recipe, JSON_COMPACT);
    assert_non_null(text);
    CbRecipe rec;
    assert_int_equal(cb_recipe_parse(text, strlen(text), "proposal", &rec, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "block_size"));
    free(text);
    json_decref(j);
    run_free(&r);
}

static void test_escapes(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("escapes", 1);
    CbLlmRequest rq = request(0);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    /* raw: the client passes the bytes on; showing them is the caller's job */
    assert_non_null(strstr(r.content, "\x1b[2J"));
    assert_non_null(strstr(r.content, "\x1b]52;c;SGVsbG8=\x07"));
    assert_non_null(strstr(r.content, "\xc2\x9b" "31m"));
    assert_non_null(strstr(r.deltas.data, "\x1b[2J"));
    char *shown = cb_sanitize_dup(r.content, CB_SANITIZE_NEWLINES);
    assert_non_null(shown);
    assert_null(strchr(shown, 0x1b));
    assert_null(strchr(shown, 0x07));
    assert_null(strstr(shown, "\xc2\x9b"));
    assert_null(strstr(shown, "\xc2\x85"));
    assert_non_null(strstr(shown, "^[[2J"));
    assert_non_null(strstr(shown, "<U+009B>"));
    free(shown);
    check_proposals(r.content, r.len); /* the JSON after the noise */
    run_free(&r);
}

static void test_no_schema(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlm *c = NULL;
    CbError err = {0};
    assert_int_equal(cb_llm_new(&c, &err), 0);
    CbLlmEndpoint ep = endpoint("no-schema", 1);
    CbLlmRequest rq = request(1);
    assert_int_equal(cb_llm_schema_refused(c, base_url, "no-schema"), 0);
    Run r;
    run_in(c, &ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    check_proposals(r.content, r.len);
    assert_int_equal(r.structured, 0);
    assert_int_equal(r.usage.attempts, 2);
    assert_int_equal(r.restarts, 1);
    assert_int_equal(r.last_delay_ms, 0);
    assert_int_equal(cb_llm_schema_refused(c, base_url, "no-schema"), 1);
    assert_int_equal(cb_llm_schema_refused(c, base_url, "ok"), 0);
    json_t *first = logged(1), *second = logged(0);
    assert_non_null(json_object_get(json_object_get(first, "body"), "response_format"));
    assert_null(json_object_get(json_object_get(second, "body"), "response_format"));
    json_decref(first);
    json_decref(second);
    run_free(&r);

    /* the next call there goes without the schema from the start */
    run_in(c, &ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.usage.attempts, 1);
    assert_int_equal(r.structured, 0);
    json_t *third = logged(0);
    assert_null(json_object_get(json_object_get(third, "body"), "response_format"));
    json_decref(third);
    run_free(&r);

    /* knowledge restored from elsewhere */
    assert_int_equal(cb_llm_note_schema_refused(c, base_url, "ok"), 0);
    assert_int_equal(cb_llm_schema_refused(c, base_url, "ok"), 1);
    cb_llm_free(&c);
    assert_null(c);
}

static void check_names(const Run *r, const char *model)
{
    assert_non_null(strstr(r->err.text, base_url));
    char m[128];
    snprintf(m, sizeof m, "model %s", model);
    assert_non_null(strstr(r->err.text, m));
}

static void test_http_errors(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmRequest rq = request(1);
    Run r;
    CbLlmEndpoint ep = endpoint("401", 1);
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EEXTERNAL);
    check_names(&r, "401");
    assert_non_null(strstr(r.err.text, "HTTP 401"));
    assert_non_null(strstr(r.err.text, KEY_NAME));
    assert_non_null(strstr(r.err.text, "Incorrect API key provided: [key]")); /* the echo, redacted */
    assert_int_equal(r.usage.attempts, 1);
    run_free(&r);

    ep = endpoint("401", 0);
    ep.api_key = "";
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EEXTERNAL);
    assert_non_null(strstr(r.err.text, "none was sent"));
    assert_non_null(strstr(r.err.text, KEY_NAME));
    run_free(&r);

    ep = endpoint("403", 1);
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EEXTERNAL);
    check_names(&r, "403");
    assert_non_null(strstr(r.err.text, "HTTP 403"));
    run_free(&r);

    ep = endpoint("404", 1);
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_ENOENT);
    check_names(&r, "404");
    assert_non_null(strstr(r.err.text, "HTTP 404"));
    assert_non_null(strstr(r.err.text, "does not exist"));
    run_free(&r);

    /* a 400 not about the schema: not sent again; its long message
     * sanitised and cut to 300 bytes */
    ep = endpoint("400-long", 1);
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EEXTERNAL);
    assert_int_equal(r.usage.attempts, 1);
    assert_non_null(strstr(r.err.text, "HTTP 400"));
    assert_null(strchr(r.err.text, 0x1b));
    const char *q = strstr(r.err.text, "Invalid value for 'messages': ^[[31mxxx");
    assert_non_null(q);
    assert_string_equal(q + 300, "...\"");
    run_free(&r);

    /* a wrong path; the URL's password is not shown */
    char url[128];
    snprintf(url, sizeof url, "http://user:hunter2@127.0.0.1:%d/v2/", server_port);
    ep = endpoint("ok", 1);
    ep.base_url = url;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_ENOENT);
    assert_null(strstr(r.err.text, "hunter2"));
    char shown[128];
    snprintf(shown, sizeof shown, "http://127.0.0.1:%d/v2/ (model ok)", server_port);
    assert_non_null(strstr(r.err.text, shown));
    run_free(&r);
}

static void test_refused(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    /* a port that was just free: bound, then closed */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    close(s);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", ntohs(a.sin_port));
    CbLlmEndpoint ep = endpoint("ok", 1);
    ep.base_url = url;
    CbLlmRequest rq = request(0);
    Run r;
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, CB_EIO);
    assert_non_null(strstr(r.err.text, "could not connect"));
    assert_non_null(strstr(r.err.text, url));
    assert_int_equal(r.restarts, 2);
    assert_int_equal(r.usage.attempts, 3);
    assert_int_equal(r.usage.prompt_tokens, 0); /* nothing reached a server */
    run_free(&r);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    CbLlm *c = NULL;
    CbError err = {0};
    CbLlmCall *k = NULL;
    assert_int_equal(cb_llm_new(&c, &err), 0);
    /* nothing is sent: no server is needed */
    const char *url = "http://127.0.0.1:9/v1";
    CbLlmEndpoint ep = endpoint("ok", 1);
    CbLlmRequest rq = request(1);
    ep.base_url = "file:///etc/passwd";
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    assert_null(k);
    ep.base_url = "";
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    ep = endpoint(NULL, 1);
    ep.base_url = url;
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    ep = endpoint("bad\xff", 1);
    ep.base_url = url;
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "UTF-8"));
    ep = endpoint("ok", 1);
    ep.base_url = url;
    rq.schema_name = "has space";
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    rq = request(1);
    rq.schema = "{not json";
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "schema"));
    rq = request(1);
    rq.n_messages = 0;
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    rq = request(1);
    ep.api_key = "sk-test-SECRET-123\r\nX-Injected: 1";
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    assert_null(strstr(err.text, "SECRET"));
    assert_non_null(strstr(err.text, KEY_NAME));
    ep.api_key = KEY;
    ep.retries = 11;
    assert_int_equal(cb_llm_start(c, &ep, &rq, NULL, NULL, &k, &err), CB_EINVAL);
    assert_int_equal(cb_llm_busy(c), 0);
    assert_int_equal(cb_llm_timeout_ms(c), -1);
    assert_int_equal(cb_llm_wait(c, -1, &err), 0); /* nothing to wait for: returns */
    cb_llm_free(&c);
}

/* The dashboard's way: its own poll loop over the descriptors the watch
 * callback names, and the timer. */
typedef struct Loop {
    struct pollfd fds[16];
    int n;
} Loop;

static void watch(void *ud, int fd, short events)
{
    Loop *l = ud;
    int i = 0;
    while (i < l->n && l->fds[i].fd != fd)
        i++;
    if (events == 0) {
        assert_true(i < l->n);
        l->fds[i] = l->fds[--l->n];
        return;
    }
    if (i == l->n) {
        assert_true(l->n < 16);
        l->n++;
    }
    l->fds[i].fd = fd;
    l->fds[i].events = events;
}

static void test_concurrent(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlm *c = NULL;
    CbError err = {0};
    Loop loop = {.n = 0};
    assert_int_equal(cb_llm_new(&c, &err), 0);
    cb_llm_set_watch(c, watch, &loop);
    /* a stalls after three chunks and stays pending; b completes meanwhile */
    CbLlmEndpoint epa = endpoint("stall", 1), epb = endpoint("ok", 1);
    epa.idle_timeout_ms = 15000;
    CbLlmRequest rq = request(1);
    Run ra, rb;
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    cb_buf_init(&ra.deltas, 1 << 20);
    cb_buf_init(&rb.deltas, 1 << 20);
    CbLlmCall *a = NULL, *b = NULL;
    assert_int_equal(cb_llm_start(c, &epa, &rq, &CALLBACKS, &ra, &a, &err), 0);
    assert_int_equal(cb_llm_start(c, &epb, &rq, &CALLBACKS, &rb, &b, &err), 0);
    assert_int_equal(cb_llm_busy(c), 2);
    assert_int_equal(cb_llm_result(a, NULL, NULL, NULL, NULL, &err), CB_EBUSY);
    int64_t t0 = now_ms();
    int max_fds = 0;
    while (cb_llm_state(b) == CB_LLM_PENDING || ra.n_deltas < 3) {
        struct pollfd p[16];
        int n = loop.n;
        memcpy(p, loop.fds, sizeof p[0] * (size_t)n);
        if (n > max_fds)
            max_fds = n;
        int t = cb_llm_timeout_ms(c);
        int r = poll(p, (nfds_t)n, t < 0 || t > 100 ? 100 : t);
        assert_true(r >= 0);
        for (int i = 0; i < n; i++)
            if (p[i].revents)
                cb_llm_on_socket(c, p[i].fd, p[i].revents);
        if (cb_llm_timeout_ms(c) == 0)
            cb_llm_on_timer(c);
        assert_true(now_ms() - t0 < GUARD_MS);
    }
    assert_true(max_fds >= 2); /* two connections at once */
    assert_int_equal(cb_llm_state(b), CB_LLM_DONE);
    assert_int_equal(cb_llm_state(a), CB_LLM_PENDING);
    assert_int_equal(cb_llm_busy(c), 1);
    const char *content = NULL;
    size_t len = 0;
    assert_int_equal(cb_llm_result(b, &content, &len, NULL, NULL, &err), 0);
    check_proposals(content, len);
    assert_memory_equal(rb.deltas.data, content, len);
    /* a's first chunks arrived, and it is cancelled by freeing it */
    assert_true(ra.deltas.len > 0);
    cb_llm_call_free(&a);
    assert_int_equal(cb_llm_busy(c), 0);
    cb_llm_call_free(&b);
    /* the client closed with a pending call: that call fails, and is freed after */
    CbLlmEndpoint epc = endpoint("stall/c", 1);
    CbLlmCall *cc = NULL;
    assert_int_equal(cb_llm_start(c, &epc, &rq, NULL, NULL, &cc, &err), 0);
    assert_int_equal(cb_llm_wait(c, 50, &err), 0);
    cb_llm_free(&c);
    assert_int_equal(cb_llm_state(cc), CB_LLM_FAILED);
    assert_int_equal(cb_llm_result(cc, NULL, NULL, NULL, NULL, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "cancelled"));
    cb_llm_call_free(&cc);
    assert_int_equal(loop.n, 0); /* every watch was removed */
    cb_buf_free(&ra.deltas);
    cb_buf_free(&rb.deltas);
}

static void test_other_replies(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmRequest rq = request(0);
    Run r;
    /* no usage: estimated from bytes / 4 and marked */
    CbLlmEndpoint ep = endpoint("no-usage", 1);
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.usage.estimated, 1);
    long long prompt_est = (long long)((strlen(MESSAGES[0].content) + strlen(MESSAGES[1].content) + 3) / 4);
    assert_int_equal(r.usage.prompt_tokens, prompt_est);
    assert_int_equal(r.usage.completion_tokens, (long long)((r.len + 3) / 4));
    run_free(&r);
    /* a server that answers a streamed request with one JSON body */
    ep = endpoint("ignore-stream", 1);
    run(&ep, &rq, &r);
    assert_int_equal(r.rc, 0);
    check_proposals(r.content, r.len);
    assert_int_equal(r.usage.prompt_tokens, 42);
    run_free(&r);
}


/* ---- read coalescing (cb_llm_set_coalesce) ---- */

/* Runs one call in a client that coalesces reads for ms (0: off). */
static void run_coalesced(int ms, const CbLlmEndpoint *ep, const CbLlmRequest *rq, Run *r)
{
    CbLlm *c = NULL;
    CbError err = {0};
    assert_int_equal(cb_llm_new(&c, &err), 0);
    cb_llm_set_coalesce(c, ms);
    run_in(c, ep, rq, r);
    cb_llm_free(&c);
}

/* "bench-2400-1": a reply of 2400 bytes in 12-byte pieces, one TCP write
 * each, 1 ms apart (the server's sleep; a slow machine only spaces them
 * more).  Coalescing at 20 ms must hand the same content over in far fewer
 * deltas than pieces: each wakeup takes every piece waiting in the socket
 * buffer.  The margin: fewer than half the pieces even if the server's
 * pieces came 2.5x slower than asked. */
static void test_coalesce_stream(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("bench-2400-1", 1);
    CbLlmRequest rq = request(0);
    Run plain, co;
    run_coalesced(0, &ep, &rq, &plain);
    assert_int_equal(plain.rc, 0);
    size_t pieces = (plain.len + 11) / 12;
    assert_true(pieces >= 190);
    assert_int_equal((size_t)plain.n_deltas, pieces); /* uncoalesced: one delta a piece */
    run_coalesced(20, &ep, &rq, &co);
    assert_int_equal(co.rc, 0);
    assert_int_equal(co.len, plain.len);
    assert_memory_equal(co.content, plain.content, plain.len);
    assert_int_equal(co.deltas.len, co.len);
    assert_memory_equal(co.deltas.data, co.content, co.len);
    assert_true(co.n_deltas >= 1);
    print_message("# coalesced: %d deltas for %zu pieces\n", co.n_deltas, pieces);
    assert_true((size_t)co.n_deltas * 2 < pieces);
    assert_int_equal(co.usage.attempts, 1);
    run_free(&plain);
    run_free(&co);
    /* the structured reply and its usage come through unchanged */
    ep = endpoint("ok", 1);
    rq = request(1);
    run_coalesced(CB_LLM_COALESCE_UI_MS, &ep, &rq, &co);
    assert_int_equal(co.rc, 0);
    check_proposals(co.content, co.len);
    assert_memory_equal(co.deltas.data, co.content, co.len);
    assert_int_equal(co.usage.prompt_tokens, 42);
    assert_int_equal(co.structured, 1);
    run_free(&co);
}

/* A stalled stream still fails on its idle timeout with coalescing at its
 * maximum: the rest never outlasts half the idle timeout. */
static void test_coalesce_stall(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlmEndpoint ep = endpoint("stall", 1);
    ep.idle_timeout_ms = 150;
    ep.retries = 0;
    CbLlmRequest rq = request(1);
    Run r;
    int64_t t0 = now_ms();
    run_coalesced(CB_LLM_COALESCE_MAX_MS, &ep, &rq, &r);
    assert_int_equal(r.rc, CB_ETIMEOUT);
    assert_non_null(strstr(r.err.text, "idle timeout"));
    assert_true(r.deltas.len > 0); /* the pieces before the stall arrived */
    assert_true(r.end_ms - t0 >= 150);
    assert_true(r.end_ms - t0 < 10000); /* not the server's 20 s stall */
    run_free(&r);
}

/* The dashboard's way: the caller's own poll loop fed by the watch
 * function, the timer from cb_llm_timeout_ms.  While a socket rests its
 * POLLIN is withdrawn from the watch set, and given back when the rest ends. */
static void test_coalesce_loop(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlm *c = NULL;
    CbError err = {0};
    Loop loop = {.n = 0};
    assert_int_equal(cb_llm_new(&c, &err), 0);
    cb_llm_set_watch(c, watch, &loop);
    cb_llm_set_coalesce(c, 20);
    CbLlmEndpoint ep = endpoint("bench-2400-1", 1);
    CbLlmRequest rq = request(0);
    Run r;
    memset(&r, 0, sizeof r);
    cb_buf_init(&r.deltas, 1 << 20);
    CbLlmCall *k = NULL;
    assert_int_equal(cb_llm_start(c, &ep, &rq, &CALLBACKS, &r, &k, &err), 0);
    int64_t t0 = now_ms();
    int rested = 0, wakeups = 0;
    while (cb_llm_state(k) == CB_LLM_PENDING) {
        struct pollfd p[16];
        int n = loop.n;
        memcpy(p, loop.fds, sizeof p[0] * (size_t)n);
        if (n == 0)
            rested++; /* nothing to read from: the socket rests */
        int t = cb_llm_timeout_ms(c);
        assert_true(n > 0 || t >= 0); /* a rest always has its timer */
        int pr = poll(p, (nfds_t)n, t < 0 || t > 100 ? 100 : t);
        assert_true(pr >= 0);
        for (int i = 0; i < n; i++)
            if (p[i].revents) {
                wakeups++;
                cb_llm_on_socket(c, p[i].fd, p[i].revents);
            }
        if (cb_llm_timeout_ms(c) == 0)
            cb_llm_on_timer(c);
        assert_true(now_ms() - t0 < GUARD_MS);
    }
    const char *content = NULL;
    size_t len = 0;
    assert_int_equal(cb_llm_result(k, &content, &len, NULL, NULL, &err), 0);
    size_t pieces = (len + 11) / 12;
    assert_true(rested > 0);
    assert_true((size_t)r.n_deltas * 2 < pieces);
    assert_true((size_t)wakeups * 2 < pieces);
    assert_int_equal(r.deltas.len, len);
    assert_memory_equal(r.deltas.data, content, len);
    cb_llm_call_free(&k);
    cb_llm_free(&c);
    assert_int_equal(loop.n, 0); /* every watch was removed */
    cb_buf_free(&r.deltas);
}

/* The bound is 5 ms of CPU per request; measured here over ten
 * streamed calls of ~70 chunks each in one client, and asserted with a 5x
 * margin (sanitiser builds, slow machines): CPU time, not wall time. */
static void test_cpu_per_request(void **state)
{
    (void)state;
    SKIP_WITHOUT_SERVER();
    CbLlm *c = NULL;
    CbError err = {0};
    assert_int_equal(cb_llm_new(&c, &err), 0);
    CbLlmEndpoint ep = endpoint("ok", 1);
    CbLlmRequest rq = request(1);
    struct rusage a, b;
    assert_int_equal(getrusage(RUSAGE_SELF, &a), 0);
    for (int i = 0; i < 10; i++) {
        Run r;
        run_in(c, &ep, &rq, &r);
        assert_int_equal(r.rc, 0);
        run_free(&r);
    }
    assert_int_equal(getrusage(RUSAGE_SELF, &b), 0);
    double us = (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec) * 1e6 + (double)(b.ru_utime.tv_usec - a.ru_utime.tv_usec) +
                (double)(b.ru_stime.tv_sec - a.ru_stime.tv_sec) * 1e6 + (double)(b.ru_stime.tv_usec - a.ru_stime.tv_usec);
    print_message("# CPU per streamed request: %.2f ms\n", us / 10 / 1000);
    assert_true(us / 10 < 25000);
    cb_llm_free(&c);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_ok_stream),
        cmocka_unit_test(test_ok_whole),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_retry_after_date),
        cmocka_unit_test(test_500_once),
        cmocka_unit_test(test_cut_once),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_stall),
        cmocka_unit_test(test_total_timeout),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nojson),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_invalid_recipe),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_no_schema),
        cmocka_unit_test(test_http_errors),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_other_replies),
        cmocka_unit_test(test_cpu_per_request),
        cmocka_unit_test(test_coalesce_stream),
        cmocka_unit_test(test_coalesce_stall),
        cmocka_unit_test(test_coalesce_loop),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}

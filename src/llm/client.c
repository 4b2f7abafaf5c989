/* codecbench: the chat-completions client over libcurl's multi interface
 * (see llm.h, "the chat-completions client").
 *
 * The caller's poll() loop drives everything: libcurl tells us which
 * sockets it wants (socket callback) and when it wants to be called on time
 * (timer callback); we pass both on (the watch function, our own fd set for
 * cb_llm_wait, cb_llm_timeout_ms).  Our own deadlines join libcurl's in
 * cb_llm_timeout_ms: each attempt's idle deadline (the last byte received
 * plus idle_timeout_ms) and each retry's start.  libcurl's callbacks never
 * remove handles: finished transfers are collected after
 * curl_multi_socket_action returns.  The key is only ever put in the
 * Authorization header; it is never logged (no CURLOPT_VERBOSE) and is
 * redacted from any server text quoted in an error.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/llm.h"
#include "codecbench/sanitize.h"

/* Defaults and bounds stated in llm.h. */
#define CONNECT_DEFAULT_MS 10000
#define IDLE_DEFAULT_MS 60000
#define TOTAL_DEFAULT_MS 300000
#define BACKOFF_DEFAULT_MS 1000
#define BACKOFF_MAX_MS 60000
#define RETRY_AFTER_MAX_MS 300000
#define RETRIES_MAX 10
#define REPLY_DEFAULT ((size_t)1 << 20)
/* A non-streamed body holds the content plus its JSON envelope (choices,
 * usage, ids): room for that beyond max_reply. */
#define ENVELOPE_BYTES ((size_t)64 << 10)
/* An error body is only read for its message. */
#define ERROR_BODY_MAX ((size_t)64 << 10)
/* Server text quoted in an error is cut to this many bytes (llm.h). */
#define QUOTE_MAX 300

enum { MODE_NONE = 0, MODE_SSE, MODE_BODY, MODE_ERROR };

/* A socket libcurl wants watched.  want is libcurl's interest; while the
 * socket rests (coalescing, rest_until_ms > 0) the caller is told want
 * without POLLIN, so the bytes of a streamed reply gather in the kernel's
 * socket buffer and one wakeup reads many pieces.  libcurl may re-register
 * at any time: what is passed on is always filtered through the rest. */
typedef struct Fd {
    int fd;
    short want;
    int64_t rest_until_ms; /* 0: not resting */
} Fd;

struct CbLlm {
    CURLM *multi;
    CbLlmWatchFn watch;
    void *watch_ud;
    Fd *fds;          /* the sockets libcurl wants watched (always kept) */
    size_t n_fds, cap_fds;
    struct pollfd *scratch; /* cb_llm_wait's poll array */
    size_t cap_scratch;
    int64_t curl_due_ms; /* libcurl's timer, -1 when none */
    CbLlmCall *calls;    /* every call not yet freed */
    char **refused;      /* "base_url\nmodel" that refused schemas */
    size_t n_refused;
    uint64_t rng;        /* xorshift64* state for the backoff's jitter */
    int coalesce_ms;     /* 0: off; 1..100 (cb_llm_set_coalesce) */
    CbLlmCall *reader;   /* the streaming call that got bytes in this action */
    int batching;        /* deltas wait for flush_deltas (coalescing) */
};

struct CbLlmCall {
    CbLlm *c; /* NULL once the client is freed */
    CbLlmCall *next;
    /* the endpoint, copied */
    char *base_url, *model, *api_key, *key_name, *url, *shown_url;
    double temperature;
    int connect_ms, idle_ms, total_ms, retries, backoff_ms, stream;
    size_t max_reply;
    /* the request */
    json_t *messages;
    json_t *schema; /* NULL: none asked */
    char *schema_name;
    int max_tokens;
    size_t prompt_bytes;
    int use_schema;
    CbLlmCallbacks cb;
    void *ud;
    /* the transfer */
    CURL *easy;
    struct curl_slist *headers;
    char curl_err[CURL_ERROR_SIZE];
    int in_multi;
    int waiting;       /* a retry is due at retry_due_ms */
    int64_t retry_due_ms;
    int64_t last_byte_ms;
    int retries_used;
    /* the attempt in flight */
    int mode;
    long status;
    CbSse sse;
    CbBuf content;
    CbBuf body;
    int got_done, got_finish, got_usage, got_bytes;
    long long att_prompt, att_completion;
    int abort_code; /* set by the write callback to stop the transfer */
    CbError abort_err;
    unsigned long chunks;
    size_t shown; /* content bytes passed to the delta callback */
    /* the outcome */
    CbLlmState state;
    int code;
    CbError err;
    CbLlmUsage usage;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng_next(CbLlm *c)
{
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Zeroes a secret before freeing it. */
static void free_secret(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}

/* ---- the client's fd set and libcurl's callbacks ------------------------- */

/* What the caller polls for: libcurl's interest minus reading while the
 * socket rests. */
static short shown_events(const Fd *f)
{
    return f->rest_until_ms > 0 ? (short)(f->want & ~POLLIN) : f->want;
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    CbLlm *c = userp;
    (void)easy;
    (void)socketp;
    short ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= POLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= POLLOUT;
    size_t i = 0;
    while (i < c->n_fds && c->fds[i].fd != (int)s)
        i++;
    short pass = ev;
    if (what == CURL_POLL_REMOVE || ev == 0) {
        if (i < c->n_fds)
            c->fds[i] = c->fds[--c->n_fds];
    } else if (i < c->n_fds) {
        c->fds[i].want = ev;
        pass = shown_events(&c->fds[i]);
    } else {
        if (c->n_fds == c->cap_fds) {
            size_t cap = c->cap_fds ? c->cap_fds * 2 : 8;
            Fd *f = realloc(c->fds, cap * sizeof *f);
            if (!f)
                return -1; /* libcurl fails the transfer */
            c->fds = f;
            c->cap_fds = cap;
        }
        c->fds[c->n_fds].fd = (int)s;
        c->fds[c->n_fds].want = ev;
        c->fds[c->n_fds].rest_until_ms = 0;
        c->n_fds++;
    }
    if (c->watch)
        c->watch(c->watch_ud, (int)s, what == CURL_POLL_REMOVE ? 0 : pass);
    return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    CbLlm *c = userp;
    (void)multi;
    c->curl_due_ms = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    return 0;
}

int cb_llm_new(CbLlm **out, CbError *err)
{
    *out = NULL;
    CbLlm *c = calloc(1, sizeof *c);
    if (!c)
        return cb_error_set(err, CB_ENOMEM, "llm client: out of memory");
    /* curl_global_init counts its callers (thread-safe since 7.84); each
     * client's cleanup undoes its own init. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(c);
        return cb_error_set(err, CB_EEXTERNAL, "llm client: libcurl could not be initialised");
    }
    c->multi = curl_multi_init();
    if (!c->multi) {
        curl_global_cleanup();
        free(c);
        return cb_error_set(err, CB_EEXTERNAL, "llm client: curl_multi_init failed");
    }
    c->curl_due_ms = -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->rng = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
             ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
    if (!c->rng)
        c->rng = 0x9E3779B97F4A7C15ULL;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    *out = c;
    return 0;
}

/* Frees the header list after zeroing it: it holds the key. */
static void free_headers(struct curl_slist **h)
{
    for (struct curl_slist *p = *h; p; p = p->next)
        if (p->data) {
            volatile char *d = p->data;
            while (*d)
                *d++ = 0;
        }
    curl_slist_free_all(*h);
    *h = NULL;
}

static void detach(CbLlmCall *k)
{
    if (k->c && k->in_multi)
        curl_multi_remove_handle(k->c->multi, k->easy);
    k->in_multi = 0;
    k->waiting = 0;
}

void cb_llm_free(CbLlm **cp)
{
    if (!cp || !*cp)
        return;
    CbLlm *c = *cp;
    for (CbLlmCall *k = c->calls; k; k = k->next) {
        detach(k);
        if (k->state == CB_LLM_PENDING) {
            k->state = CB_LLM_FAILED;
            k->code = cb_error_set(&k->err, CB_EINVAL, "%s (model %s): cancelled: the client was closed",
                                   k->shown_url, k->model);
        }
        k->c = NULL;
        /* libcurl goes away with the client (curl_global_cleanup): the
         * call keeps only its outcome */
        curl_easy_cleanup(k->easy);
        k->easy = NULL;
    }
    curl_multi_cleanup(c->multi);
    curl_global_cleanup();
    for (size_t i = 0; i < c->n_refused; i++)
        free(c->refused[i]);
    free(c->refused);
    free(c->fds);
    free(c->scratch);
    free(c);
    *cp = NULL;
}

void cb_llm_set_watch(CbLlm *c, CbLlmWatchFn fn, void *ud)
{
    c->watch = fn;
    c->watch_ud = ud;
}

void cb_llm_set_coalesce(CbLlm *c, int ms)
{
    c->coalesce_ms = ms < 0 ? 0 : ms > CB_LLM_COALESCE_MAX_MS ? CB_LLM_COALESCE_MAX_MS : ms;
}

int cb_llm_busy(const CbLlm *c)
{
    int n = 0;
    for (const CbLlmCall *k = c->calls; k; k = k->next)
        n += k->state == CB_LLM_PENDING;
    return n;
}

int cb_llm_timeout_ms(const CbLlm *c)
{
    int64_t due = c->curl_due_ms;
    for (const CbLlmCall *k = c->calls; k; k = k->next) {
        int64_t d = -1;
        if (k->state != CB_LLM_PENDING)
            continue;
        if (k->waiting)
            d = k->retry_due_ms;
        else if (k->in_multi)
            d = k->last_byte_ms + k->idle_ms;
        if (d >= 0 && (due < 0 || d < due))
            due = d;
    }
    for (size_t i = 0; i < c->n_fds; i++) {
        int64_t d = c->fds[i].rest_until_ms;
        if (d > 0 && (due < 0 || d < due))
            due = d;
    }
    if (due < 0)
        return -1;
    int64_t left = due - now_ms();
    if (left <= 0)
        return 0;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* ---- the schema refusals ------------------------------------------------- */

static char *refusal_key(const char *base_url, const char *model)
{
    CbBuf b;
    cb_buf_init(&b, 64 << 10);
    if (cb_buf_printf(&b, "%s\n%s", base_url, model) < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    return cb_buf_steal(&b);
}

int cb_llm_schema_refused(const CbLlm *c, const char *base_url, const char *model)
{
    if (!base_url || !model)
        return 0;
    size_t bl = strlen(base_url);
    for (size_t i = 0; i < c->n_refused; i++) {
        const char *r = c->refused[i];
        if (strncmp(r, base_url, bl) == 0 && r[bl] == '\n' && strcmp(r + bl + 1, model) == 0)
            return 1;
    }
    return 0;
}

int cb_llm_note_schema_refused(CbLlm *c, const char *base_url, const char *model)
{
    if (!base_url || !model)
        return CB_EINVAL;
    if (cb_llm_schema_refused(c, base_url, model))
        return 0;
    char **r = realloc(c->refused, (c->n_refused + 1) * sizeof *r);
    if (!r)
        return CB_ENOMEM;
    c->refused = r;
    r[c->n_refused] = refusal_key(base_url, model);
    if (!r[c->n_refused])
        return CB_ENOMEM;
    c->n_refused++;
    return 0;
}

/* ---- text for errors ----------------------------------------------------- */

/* The URL as shown in messages: without userinfo, query or fragment. */
static char *shown_url(const char *url)
{
    const char *p = strstr(url, "://");
    const char *auth = p ? p + 3 : url;
    size_t alen = strcspn(auth, "/?#");
    const char *host = auth;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@')
            host = auth + i + 1;
    size_t plen = strcspn(host, "?#");
    CbBuf b;
    cb_buf_init(&b, 64 << 10);
    if (cb_buf_append(&b, url, (size_t)(auth - url)) < 0 || cb_buf_append(&b, host, plen) < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    return cb_buf_steal(&b);
}

/* Appends server text to out: the key (if any) redacted, sanitised, cut to
 * QUOTE_MAX bytes on a character boundary. */
static void quote(CbBuf *out, const CbLlmCall *k, const char *s, size_t n)
{
    CbBuf red, san;
    cb_buf_init(&red, 2 * n + 16); /* "[key]" may be longer than a 4-byte key */
    cb_buf_init(&san, 4 * n + 16);
    size_t kl = k->api_key ? strlen(k->api_key) : 0;
    size_t i = 0;
    while (i < n) {
        if (kl >= 4 && n - i >= kl && memcmp(s + i, k->api_key, kl) == 0) {
            if (cb_buf_puts(&red, "[key]") < 0)
                goto done;
            i += kl;
        } else {
            /* line breaks and tabs of HTML or pretty JSON become one space */
            char ch = s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i];
            if (!(ch == ' ' && red.len > 0 && red.data[red.len - 1] == ' ') && cb_buf_append(&red, &ch, 1) < 0)
                goto done;
            i++;
        }
    }
    if (cb_sanitize_append(&san, red.data ? red.data : "", red.len, 0) < 0)
        goto done;
    size_t len = san.len;
    int cut = 0;
    if (len > QUOTE_MAX) {
        len = QUOTE_MAX;
        while (len > 0 && ((unsigned char)san.data[len] & 0xC0) == 0x80)
            len--;
        cut = 1;
    }
    while (len > 0 && san.data[len - 1] == ' ')
        len--;
    if (cb_buf_append(out, san.data ? san.data : "", len) < 0)
        goto done;
    if (cut)
        cb_buf_puts(out, "...");
done:
    cb_buf_free(&red);
    cb_buf_free(&san);
}

/* The message in an error body: {"error": {"message"}}, {"error": "..."},
 * {"message"}, {"detail"}; else the body itself. */
static void quote_error_body(CbBuf *out, const CbLlmCall *k, const char *s, size_t n)
{
    json_t *j = json_loadb(s, n, 0, NULL);
    const char *msg = NULL;
    if (json_is_object(j)) {
        json_t *e = json_object_get(j, "error");
        if (json_is_object(e))
            msg = json_string_value(json_object_get(e, "message"));
        else if (json_is_string(e))
            msg = json_string_value(e);
        if (!msg)
            msg = json_string_value(json_object_get(j, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(j, "detail"));
    }
    if (msg)
        quote(out, k, msg, strlen(msg));
    else
        quote(out, k, s, n);
    json_decref(j);
}

/* Sets err to "BASE (model M): " then printf text then the quoted server
 * text (when given).  Returns code. */
static int call_error(const CbLlmCall *k, CbError *err, int code, const char *srv, size_t srv_n,
                      int srv_json, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int call_error(const CbLlmCall *k, CbError *err, int code, const char *srv, size_t srv_n,
                      int srv_json, const char *fmt, ...)
{
    CbBuf b;
    cb_buf_init(&b, CB_ERROR_TEXT_MAX - 1);
    cb_buf_printf(&b, "%s (model %s): ", k->shown_url, k->model);
    va_list ap;
    va_start(ap, fmt);
    cb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (srv && srv_n > 0) {
        cb_buf_puts(&b, ": \"");
        if (srv_json)
            quote_error_body(&b, k, srv, srv_n);
        else
            quote(&b, k, srv, srv_n);
        cb_buf_puts(&b, "\"");
    }
    cb_error_set(err, code, "%s", b.data ? b.data : "llm call failed");
    cb_buf_free(&b);
    return code;
}

/* ---- the reply ----------------------------------------------------------- */

static void take_usage(CbLlmCall *k, json_t *u)
{
    if (!json_is_object(u))
        return;
    json_t *p = json_object_get(u, "prompt_tokens"), *q = json_object_get(u, "completion_tokens");
    if (!json_is_integer(p) && !json_is_integer(q))
        return;
    k->att_prompt = json_is_integer(p) && json_integer_value(p) > 0 ? json_integer_value(p) : 0;
    k->att_completion = json_is_integer(q) && json_integer_value(q) > 0 ? json_integer_value(q) : 0;
    k->got_usage = 1;
}

static int abort_with(CbLlmCall *k, int code)
{
    k->abort_code = code;
    return code;
}

static int add_content(CbLlmCall *k, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (k->content.len + n > k->max_reply) {
        call_error(k, &k->abort_err, CB_ELIMIT, NULL, 0, 0,
                   "the reply is longer than the limit of %zu bytes", k->max_reply);
        return abort_with(k, CB_ELIMIT);
    }
    if (cb_buf_append(&k->content, s, n) < 0) {
        call_error(k, &k->abort_err, CB_ENOMEM, NULL, 0, 0, "out of memory for the reply");
        return abort_with(k, CB_ENOMEM);
    }
    /* while coalescing, the pieces one read brought are passed on at once
     * after it (flush_deltas) */
    if (k->cb.delta && !(k->c && k->c->batching)) {
        k->cb.delta(k->ud, s, n);
        k->shown = k->content.len;
    }
    return 0;
}

/* One streamed event: a chunk of the reply, or [DONE]. */
static int on_event(void *ud, const CbSseEvent *ev)
{
    CbLlmCall *k = ud;
    if (k->got_done)
        return 0; /* nothing counts after [DONE] */
    size_t n = ev->len;
    const char *d = ev->data;
    while (n > 0 && (d[n - 1] == ' ' || d[n - 1] == '\n'))
        n--;
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0) {
        k->got_done = 1;
        return 0;
    }
    k->chunks++;
    json_error_t je;
    json_t *j = json_loadb(d, n, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        call_error(k, &k->abort_err, CB_EFORMAT, d, n, 0,
                   "streamed chunk %lu is not a JSON object (%s)", k->chunks,
                   j ? "another JSON value" : je.text);
        return abort_with(k, CB_EFORMAT);
    }
    int rc = 0;
    json_t *e = json_object_get(j, "error");
    if (e && !json_is_null(e)) {
        char *txt = json_dumps(j, JSON_COMPACT);
        call_error(k, &k->abort_err, CB_EEXTERNAL, txt ? txt : "", txt ? strlen(txt) : 0, 1,
                   "the server sent an error in the stream");
        free(txt);
        rc = abort_with(k, CB_EEXTERNAL);
        goto done;
    }
    take_usage(k, json_object_get(j, "usage"));
    json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
    if (json_is_object(ch)) {
        json_t *c = json_object_get(json_object_get(ch, "delta"), "content");
        if (json_is_string(c))
            rc = add_content(k, json_string_value(c), json_string_length(c));
        json_t *f = json_object_get(ch, "finish_reason");
        if (json_is_string(f))
            k->got_finish = 1;
    }
done:
    json_decref(j);
    return rc;
}

/* The whole body of a non-streamed reply. */
static int parse_body(CbLlmCall *k)
{
    json_error_t je;
    json_t *j = json_loadb(k->body.data ? k->body.data : "", k->body.len, 0, &je);
    int rc = 0;
    if (!json_is_object(j)) {
        rc = call_error(k, &k->err, CB_EFORMAT, k->body.data, k->body.len, 0,
                        "the reply is not a JSON object (%s)", j ? "another JSON value" : je.text);
        goto done;
    }
    json_t *e = json_object_get(j, "error");
    if (e && !json_is_null(e)) {
        rc = call_error(k, &k->err, CB_EEXTERNAL, k->body.data, k->body.len, 1,
                        "the server answered with an error");
        goto done;
    }
    take_usage(k, json_object_get(j, "usage"));
    json_t *msg = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message");
    json_t *c = json_object_get(msg, "content");
    if (!json_is_string(c)) {
        const char *refusal = json_string_value(json_object_get(msg, "refusal"));
        rc = call_error(k, &k->err, CB_EFORMAT, refusal, refusal ? strlen(refusal) : 0, 0,
                        refusal ? "the model refused" : "the reply has no choices[0].message.content");
        goto done;
    }
    cb_buf_reset(&k->content);
    k->shown = 0;
    rc = add_content(k, json_string_value(c), json_string_length(c));
    if (rc < 0)
        cb_error_set(&k->err, k->abort_err.code, "%s", k->abort_err.text);
    k->abort_code = 0;
done:
    json_decref(j);
    return rc;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    CbLlmCall *k = ud;
    size_t n = size * nmemb;
    k->last_byte_ms = now_ms();
    k->got_bytes = 1;
    if (k->stream && k->c)
        k->c->reader = k;
    if (k->abort_code)
        return 0;
    if (k->mode == MODE_NONE) {
        char *ct = NULL;
        curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &k->status);
        curl_easy_getinfo(k->easy, CURLINFO_CONTENT_TYPE, &ct);
        if (k->status < 200 || k->status > 299)
            k->mode = MODE_ERROR;
        else if (k->stream && ct && strncasecmp(ct, "text/event-stream", 17) == 0)
            k->mode = MODE_SSE;
        else
            k->mode = MODE_BODY; /* also a server that ignores "stream" */
    }
    switch (k->mode) {
    case MODE_SSE: {
        int rc = cb_sse_feed(&k->sse, ptr, n, on_event, k, &k->abort_err);
        if (rc < 0 && !k->abort_code) {
            call_error(k, &k->abort_err, rc, NULL, 0, 0, "the stream: %s", k->abort_err.text);
            abort_with(k, rc);
        }
        break;
    }
    case MODE_BODY: {
        int rc = cb_buf_append(&k->body, ptr, n);
        if (rc == CB_ELIMIT)
            call_error(k, &k->abort_err, CB_ELIMIT, NULL, 0, 0, "the reply is longer than the limit of %zu bytes",
                       k->max_reply);
        else if (rc < 0)
            call_error(k, &k->abort_err, rc, NULL, 0, 0, "out of memory for the reply");
        if (rc < 0)
            abort_with(k, rc);
        break;
    }
    default: { /* an error body: its start is enough */
        size_t room = k->body.len < ERROR_BODY_MAX ? ERROR_BODY_MAX - k->body.len : 0;
        if (room > 0)
            cb_buf_append(&k->body, ptr, n < room ? n : room);
        break;
    }
    }
    return k->abort_code ? 0 : n;
}

/* ---- attempts ------------------------------------------------------------ */

static char *request_body(const CbLlmCall *k)
{
    json_t *o = json_object();
    char *s = NULL;
    if (!o)
        return NULL;
    if (json_object_set_new(o, "model", json_string(k->model)) < 0 ||
        json_object_set(o, "messages", k->messages) < 0)
        goto done;
    if (k->temperature >= 0 && json_object_set_new(o, "temperature", json_real(k->temperature)) < 0)
        goto done;
    if (k->max_tokens > 0 && json_object_set_new(o, "max_tokens", json_integer(k->max_tokens)) < 0)
        goto done;
    if (k->stream) {
        json_t *so = json_pack("{s:b}", "include_usage", 1);
        if (json_object_set_new(o, "stream", json_true()) < 0 || json_object_set_new(o, "stream_options", so) < 0)
            goto done;
    }
    if (k->use_schema) {
        json_t *rf = json_pack("{s:s, s:{s:s, s:b, s:O}}", "type", "json_schema", "json_schema", "name",
                               k->schema_name, "strict", 1, "schema", k->schema);
        if (json_object_set_new(o, "response_format", rf) < 0)
            goto done;
    }
    /* 15 digits: 0.7 goes out as 0.7, not 0.69999999999999996 */
    s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
done:
    json_decref(o);
    return s;
}

static int attempt_start(CbLlmCall *k)
{
    CbLlm *c = k->c;
    k->mode = MODE_NONE;
    k->status = 0;
    k->got_done = k->got_finish = k->got_usage = k->got_bytes = 0;
    k->att_prompt = k->att_completion = 0;
    k->abort_code = 0;
    k->chunks = 0;
    cb_error_clear(&k->abort_err);
    cb_buf_reset(&k->content);
    k->shown = 0;
    cb_buf_reset(&k->body);
    cb_sse_free(&k->sse);
    cb_sse_init(&k->sse, k->max_reply + ENVELOPE_BYTES);
    k->curl_err[0] = 0;
    char *body = request_body(k);
    if (!body)
        return call_error(k, &k->err, CB_ENOMEM, NULL, 0, 0, "out of memory for the request");
    curl_easy_setopt(k->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    CURLcode cr = curl_easy_setopt(k->easy, CURLOPT_COPYPOSTFIELDS, body);
    free(body);
    if (cr != CURLE_OK)
        return call_error(k, &k->err, CB_ENOMEM, NULL, 0, 0, "out of memory for the request");
    k->usage.attempts++;
    k->waiting = 0;
    k->last_byte_ms = now_ms();
    if (curl_multi_add_handle(c->multi, k->easy) != CURLM_OK)
        return call_error(k, &k->err, CB_EEXTERNAL, NULL, 0, 0, "curl_multi_add_handle failed");
    k->in_multi = 1;
    return 0;
}

static void fail(CbLlmCall *k, int code)
{
    k->state = CB_LLM_FAILED;
    k->code = code;
    k->waiting = 0;
}

/* Adds the attempt's tokens: the server's count, or estimated when an
 * answer came without one.  A request that never reached a server costs
 * nothing. */
static void count_attempt(CbLlmCall *k)
{
    if (k->got_usage) {
        k->usage.prompt_tokens += k->att_prompt;
        k->usage.completion_tokens += k->att_completion;
    } else if (k->status > 0 || k->got_bytes) {
        k->usage.prompt_tokens += (long long)((k->prompt_bytes + 3) / 4);
        k->usage.completion_tokens += (long long)((k->content.len + 3) / 4);
        k->usage.estimated = 1;
    }
}

/* Retries after a delay, or fails with code and why. */
static void retry_or_fail(CbLlmCall *k, int code, const char *why, long retry_after_s)
{
    CbLlm *c = k->c;
    if (k->retries_used >= k->retries) {
        if (k->usage.attempts > 1)
            call_error(k, &k->err, code, NULL, 0, 0, "%s (gave up after %d attempts)", why, k->usage.attempts);
        else
            call_error(k, &k->err, code, NULL, 0, 0, "%s", why);
        fail(k, code);
        return;
    }
    int64_t delay;
    if (retry_after_s > 0) {
        delay = retry_after_s > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : (int64_t)retry_after_s * 1000;
    } else {
        int64_t base = k->backoff_ms;
        for (int i = 0; i < k->retries_used && base < BACKOFF_MAX_MS; i++)
            base *= 2;
        if (base > BACKOFF_MAX_MS)
            base = BACKOFF_MAX_MS;
        delay = (int64_t)(rng_next(c) % (uint64_t)(base + 1)); /* full jitter */
    }
    k->retries_used++;
    k->waiting = 1;
    k->retry_due_ms = now_ms() + delay;
    if (k->cb.restart)
        k->cb.restart(k->ud, k->usage.attempts + 1, (int)delay, why);
}

static int mentions_schema(const CbBuf *b)
{
    static const char *const words[] = {"response_format", "json_schema", "schema"};
    if (!b->data)
        return 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t wl = strlen(words[i]);
        for (size_t j = 0; j + wl <= b->len; j++)
            if (strncasecmp(b->data + j, words[i], wl) == 0)
                return 1;
    }
    return 0;
}

/* An HTTP error status: retried, sent again without the schema, or failed. */
static void http_error(CbLlmCall *k)
{
    long st = k->status;
    const char *b = k->body.data;
    size_t n = k->body.len;
    if (st == 429 || (st >= 500 && st <= 599)) {
        curl_off_t ra = -1;
        if (curl_easy_getinfo(k->easy, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK)
            ra = -1;
        CbBuf why;
        cb_buf_init(&why, 600);
        cb_buf_printf(&why, "HTTP %ld%s", st, st == 429 ? " (rate limited)" : " (server error)");
        if (n > 0) {
            cb_buf_puts(&why, ": \"");
            quote_error_body(&why, k, b, n);
            cb_buf_puts(&why, "\"");
        }
        retry_or_fail(k, CB_EEXTERNAL, why.data ? why.data : "HTTP error",
                      ra > 0 ? (long)ra : 0);
        cb_buf_free(&why);
        return;
    }
    if (st == 400 && k->use_schema && mentions_schema(&k->body)) {
        k->use_schema = 0;
        if (k->c)
            cb_llm_note_schema_refused(k->c, k->base_url, k->model);
        if (k->cb.restart)
            k->cb.restart(k->ud, k->usage.attempts + 1, 0, "HTTP 400: the server refused response_format; sending again without it");
        if (attempt_start(k) < 0)
            fail(k, k->err.code);
        return;
    }
    int code = st == 404 ? CB_ENOENT : CB_EEXTERNAL;
    const char *kn = k->key_name && *k->key_name ? k->key_name : "the configured variable";
    if (st == 400)
        call_error(k, &k->err, code, b, n, 1, "HTTP 400: the server refused the request");
    else if (st == 401 && k->api_key)
        call_error(k, &k->err, code, b, n, 1, "HTTP 401: the key in %s was refused", kn);
    else if (st == 401)
        call_error(k, &k->err, code, b, n, 1, "HTTP 401: the server wants a key and none was sent (set %s)", kn);
    else if (st == 403)
        call_error(k, &k->err, code, b, n, 1, "HTTP 403: the key in %s may not use this model or endpoint",
                   kn);
    else if (st == 404)
        call_error(k, &k->err, code, b, n, 1, "HTTP 404: no model \"%s\" there, or no chat/completions at this base URL",
                   k->model);
    else
        call_error(k, &k->err, code, b, n, 1, "HTTP %ld", st);
    fail(k, code);
}

/* A transport failure: the words for it, and whether it is retried. */
static void transport_error(CbLlmCall *k, CURLcode res)
{
    CbBuf why;
    cb_buf_init(&why, 600);
    int code = CB_EIO, retry = 1;
    const char *detail = k->curl_err[0] ? k->curl_err : curl_easy_strerror(res);
    char *d = cb_sanitize_dup(detail, 0);
    switch (res) {
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t conn = 0;
        curl_easy_getinfo(k->easy, CURLINFO_CONNECT_TIME_T, &conn);
        code = CB_ETIMEOUT;
        if (conn == 0)
            cb_buf_printf(&why, "connect timeout: no connection within %d ms", k->connect_ms);
        else
            cb_buf_printf(&why, "total timeout: the reply took longer than %d ms", k->total_ms);
        break;
    }
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        cb_buf_printf(&why, "could not connect (%s)", d ? d : "");
        break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        if (k->got_bytes)
            cb_buf_printf(&why, "connection cut mid-reply (%s)", d ? d : "");
        else
            cb_buf_printf(&why, "connection reset (%s)", d ? d : "");
        break;
    default:
        retry = 0;
        code = CB_EEXTERNAL;
        cb_buf_printf(&why, "the request failed (%s)", d ? d : "");
        break;
    }
    free(d);
    if (retry) {
        retry_or_fail(k, code, why.data ? why.data : "connection error", 0);
    } else {
        call_error(k, &k->err, code, NULL, 0, 0, "%s", why.data ? why.data : "the request failed");
        fail(k, code);
    }
    cb_buf_free(&why);
}

static void succeed(CbLlmCall *k)
{
    k->state = CB_LLM_DONE;
    k->code = 0;
}

/* An attempt ended (libcurl's result res); the handle is out of the multi. */
static void attempt_done(CbLlmCall *k, CURLcode res)
{
    if (k->status == 0)
        curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &k->status);
    int body_rc = 0;
    if (k->mode == MODE_NONE && k->status >= 200 && k->status <= 299)
        k->mode = MODE_BODY; /* an empty reply: parse_body says so */
    if (!k->abort_code && res == CURLE_OK && k->mode == MODE_BODY && k->status >= 200 && k->status <= 299)
        body_rc = parse_body(k); /* before counting: it holds the usage */
    count_attempt(k);
    if (k->abort_code) {
        cb_error_set(&k->err, k->abort_code, "%s", k->abort_err.text);
        fail(k, k->abort_code);
        return;
    }
    if (k->mode == MODE_SSE && k->got_done) {
        succeed(k); /* whatever happened after [DONE] does not matter */
        return;
    }
    if (res != CURLE_OK) {
        if (k->mode == MODE_SSE && res == CURLE_PARTIAL_FILE && k->got_finish) {
            succeed(k);
            return;
        }
        transport_error(k, res);
        return;
    }
    if (k->status < 200 || k->status > 299) {
        http_error(k);
        return;
    }
    if (k->mode == MODE_SSE) {
        if (k->got_finish) {
            succeed(k);
            return;
        }
        CbBuf why;
        cb_buf_init(&why, 200);
        cb_buf_printf(&why, "connection cut mid-stream (%lu chunks, no [DONE] nor finish_reason)", k->chunks);
        retry_or_fail(k, CB_EIO, why.data ? why.data : "connection cut mid-stream", 0);
        cb_buf_free(&why);
        return;
    }
    if (body_rc < 0) {
        fail(k, k->err.code);
        return;
    }
    succeed(k);
}

/* Passes on, in one delta per call, the content that arrived during a
 * batched socket action. */
static void flush_deltas(CbLlm *c)
{
    c->batching = 0;
    for (CbLlmCall *k = c->calls; k; k = k->next)
        if (k->cb.delta && k->content.len > k->shown) {
            size_t from = k->shown;
            k->shown = k->content.len;
            k->cb.delta(k->ud, k->content.data + from, k->content.len - from);
        }
}

static void collect(CbLlm *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        CURLcode res = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        CbLlmCall *k = (CbLlmCall *)(void *)priv;
        curl_multi_remove_handle(c->multi, m->easy_handle);
        if (!k)
            continue;
        k->in_multi = 0;
        attempt_done(k, res);
    }
}

void cb_llm_on_socket(CbLlm *c, int fd, short revents)
{
    int mask = 0, running = 0;
    if (revents & (POLLIN | POLLHUP))
        mask |= CURL_CSELECT_IN;
    if (revents & POLLOUT)
        mask |= CURL_CSELECT_OUT;
    if (revents & (POLLERR | POLLNVAL))
        mask |= CURL_CSELECT_ERR;
    size_t i = 0;
    while (i < c->n_fds && c->fds[i].fd != fd)
        i++;
    if (i < c->n_fds && c->fds[i].rest_until_ms > 0 && !(revents & (POLLOUT | POLLERR | POLLNVAL)))
        return; /* resting: a poll loop that still had POLLIN armed */
    c->reader = NULL;
    c->batching = c->coalesce_ms > 0;
    curl_multi_socket_action(c->multi, (curl_socket_t)fd, mask, &running);
    flush_deltas(c);
    CbLlmCall *k = c->reader;
    c->reader = NULL;
    /* A streaming call read bytes from fd: let the next ones gather for
     * coalesce_ms (never more than half the call's idle timeout, so a stall
     * is still seen on time).  fd is looked up again: libcurl may have
     * removed or re-registered it. */
    if (c->coalesce_ms > 0 && k && k->state == CB_LLM_PENDING && k->in_multi) {
        i = 0;
        while (i < c->n_fds && c->fds[i].fd != fd)
            i++;
        if (i < c->n_fds && (c->fds[i].want & POLLIN)) {
            int ms = c->coalesce_ms < k->idle_ms / 2 ? c->coalesce_ms : k->idle_ms / 2;
            if (ms > 0) {
                c->fds[i].rest_until_ms = now_ms() + ms;
                if (c->watch)
                    c->watch(c->watch_ud, fd, shown_events(&c->fds[i]));
            }
        }
    }
    collect(c);
}

/* Ends the rests that are due: the caller polls for reading again (the
 * bytes that arrived meanwhile wake it at once). */
static void wake_rested(CbLlm *c, int64_t now)
{
    for (size_t i = 0; i < c->n_fds; i++) {
        Fd *f = &c->fds[i];
        if (f->rest_until_ms > 0 && now >= f->rest_until_ms) {
            f->rest_until_ms = 0;
            if (c->watch)
                c->watch(c->watch_ud, f->fd, f->want);
        }
    }
}

void cb_llm_on_timer(CbLlm *c)
{
    int running = 0;
    int64_t now = now_ms();
    wake_rested(c, now);
    if (c->curl_due_ms >= 0 && now >= c->curl_due_ms) {
        c->curl_due_ms = -1;
        c->batching = c->coalesce_ms > 0;
        curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        flush_deltas(c);
        collect(c);
    }
    now = now_ms();
    for (CbLlmCall *k = c->calls; k; k = k->next) {
        if (k->state != CB_LLM_PENDING)
            continue;
        if (k->in_multi && now - k->last_byte_ms >= k->idle_ms) {
            curl_multi_remove_handle(c->multi, k->easy);
            k->in_multi = 0;
            if (k->status == 0)
                curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &k->status);
            count_attempt(k);
            CbBuf why;
            cb_buf_init(&why, 200);
            cb_buf_printf(&why, "idle timeout: no byte of the reply for %d ms", k->idle_ms);
            retry_or_fail(k, CB_ETIMEOUT, why.data ? why.data : "idle timeout", 0);
            cb_buf_free(&why);
        } else if (k->waiting && now >= k->retry_due_ms) {
            if (attempt_start(k) < 0)
                fail(k, k->err.code);
        }
    }
}

int cb_llm_wait(CbLlm *c, int timeout_ms, CbError *err)
{
    int t = cb_llm_timeout_ms(c);
    int wait = timeout_ms;
    if (t >= 0 && (wait < 0 || t < wait))
        wait = t;
    if (c->n_fds == 0 && wait < 0)
        return 0; /* nothing to wait for */
    if (c->cap_scratch < c->n_fds) {
        struct pollfd *p = realloc(c->scratch, c->n_fds * sizeof *p);
        if (!p)
            return cb_error_set(err, CB_ENOMEM, "llm client: out of memory");
        c->scratch = p;
        c->cap_scratch = c->n_fds;
    }
    size_t n = c->n_fds;
    for (size_t i = 0; i < n; i++) {
        short ev = shown_events(&c->fds[i]);
        /* a resting socket with nothing else to watch is left out (a
         * negative fd is ignored by poll): its hangup must not spin us */
        c->scratch[i].fd = ev ? c->fds[i].fd : -1;
        c->scratch[i].events = ev;
        c->scratch[i].revents = 0;
    }
    int r = poll(c->scratch, (nfds_t)n, wait);
    if (r < 0) {
        if (errno == EINTR)
            return 0;
        return cb_error_set(err, CB_EIO, "llm client: poll: %s", strerror(errno));
    }
    for (size_t i = 0; i < n && r > 0; i++)
        if (c->scratch[i].revents)
            cb_llm_on_socket(c, c->scratch[i].fd, c->scratch[i].revents);
    if (cb_llm_timeout_ms(c) == 0)
        cb_llm_on_timer(c);
    return 0;
}

/* ---- calls --------------------------------------------------------------- */

static int valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-'))
            return 0;
    }
    return 1;
}

static int set_curl(CbLlmCall *k)
{
    CURL *e = k->easy;
    CURLcode r = CURLE_OK;
#define SET(opt, val)                                  \
    do {                                               \
        if (r == CURLE_OK)                             \
            r = curl_easy_setopt(e, opt, val);         \
    } while (0)
    SET(CURLOPT_URL, k->url);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_HTTPHEADER, k->headers);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)k->connect_ms);
    SET(CURLOPT_TIMEOUT_MS, (long)k->total_ms);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, k);
    SET(CURLOPT_PRIVATE, k);
    SET(CURLOPT_ERRORBUFFER, k->curl_err);
    SET(CURLOPT_USERAGENT, "codecbench/" PACKAGE_VERSION);
    SET(CURLOPT_VERBOSE, 0L);
#undef SET
    return r == CURLE_OK ? 0 : -1;
}

static int build_headers(CbLlmCall *k)
{
    static const char *const fixed[] = {"Content-Type: application/json", "Expect:"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct curl_slist *h = curl_slist_append(k->headers, fixed[i]);
        if (!h)
            return CB_ENOMEM;
        k->headers = h;
    }
    struct curl_slist *h =
        curl_slist_append(k->headers, k->stream ? "Accept: text/event-stream" : "Accept: application/json");
    if (!h)
        return CB_ENOMEM;
    k->headers = h;
    if (k->api_key) {
        CbBuf b;
        cb_buf_init(&b, strlen(k->api_key) + 32);
        int rc = cb_buf_printf(&b, "Authorization: Bearer %s", k->api_key);
        if (rc == 0)
            h = curl_slist_append(k->headers, b.data);
        if (b.data)
            memset(b.data, 0, b.len);
        cb_buf_free(&b);
        if (rc < 0 || !h)
            return CB_ENOMEM;
        k->headers = h;
    }
    return 0;
}

void cb_llm_call_free(CbLlmCall **cp)
{
    if (!cp || !*cp)
        return;
    CbLlmCall *k = *cp;
    detach(k);
    if (k->c) {
        if (k->c->reader == k)
            k->c->reader = NULL;
        CbLlmCall **pp = &k->c->calls;
        while (*pp && *pp != k)
            pp = &(*pp)->next;
        if (*pp)
            *pp = k->next;
    }
    if (k->easy)
        curl_easy_cleanup(k->easy);
    free_headers(&k->headers);
    free(k->base_url);
    free(k->model);
    free_secret(k->api_key);
    free(k->key_name);
    free(k->url);
    free(k->shown_url);
    free(k->schema_name);
    json_decref(k->messages);
    json_decref(k->schema);
    cb_sse_free(&k->sse);
    cb_buf_free(&k->content);
    cb_buf_free(&k->body);
    free(k);
    *cp = NULL;
}

int cb_llm_start(CbLlm *c, const CbLlmEndpoint *ep, const CbLlmRequest *rq, const CbLlmCallbacks *cb,
                 void *ud, CbLlmCall **out, CbError *err)
{
    *out = NULL;
    if (!ep || !rq)
        return cb_error_set(err, CB_EINVAL, "llm call: no endpoint or request");
    if (!ep->base_url || !*ep->base_url)
        return cb_error_set(err, CB_EINVAL, "llm call: no base URL is set");
    if (!ep->model || !*ep->model)
        return cb_error_set(err, CB_EINVAL, "llm call: no model is set");
    if (strncasecmp(ep->base_url, "http://", 7) != 0 && strncasecmp(ep->base_url, "https://", 8) != 0)
        return cb_error_set(err, CB_EINVAL, "llm call: the base URL must start with http:// or https://");
    if (!rq->messages || rq->n_messages == 0)
        return cb_error_set(err, CB_EINVAL, "llm call: no messages");
    if (rq->schema && !valid_name(rq->schema_name))
        return cb_error_set(err, CB_EINVAL, "llm call: the schema name must be 1 to 64 of [A-Za-z0-9_-]");
    if (ep->retries < 0 || ep->retries > RETRIES_MAX)
        return cb_error_set(err, CB_EINVAL, "llm call: retries must be 0 to %d", RETRIES_MAX);
    if (ep->connect_timeout_ms < 0 || ep->idle_timeout_ms < 0 || ep->total_timeout_ms < 0 || ep->backoff_ms < 0)
        return cb_error_set(err, CB_EINVAL, "llm call: timeouts and the backoff must not be negative");
    json_t *probe = json_string(ep->model);
    if (!probe)
        return cb_error_set(err, CB_EINVAL, "llm call: the model name is not valid UTF-8");
    json_decref(probe);
    for (const char *p = ep->api_key; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return cb_error_set(err, CB_EINVAL, "llm call: the key in %s holds control characters",
                                ep->key_name && *ep->key_name ? ep->key_name : "the configured variable");
    int rc = CB_ENOMEM;
    CbLlmCall *k = calloc(1, sizeof *k);
    if (!k)
        return cb_error_set(err, CB_ENOMEM, "llm call: out of memory");
    cb_sse_init(&k->sse, 0);
    k->c = c;
    k->temperature = ep->temperature;
    k->connect_ms = ep->connect_timeout_ms ? ep->connect_timeout_ms : CONNECT_DEFAULT_MS;
    k->idle_ms = ep->idle_timeout_ms ? ep->idle_timeout_ms : IDLE_DEFAULT_MS;
    k->total_ms = ep->total_timeout_ms ? ep->total_timeout_ms : TOTAL_DEFAULT_MS;
    k->retries = ep->retries;
    k->backoff_ms = ep->backoff_ms ? ep->backoff_ms : BACKOFF_DEFAULT_MS;
    k->max_reply = ep->max_reply ? ep->max_reply : REPLY_DEFAULT;
    k->stream = ep->stream ? 1 : 0;
    k->max_tokens = rq->max_tokens;
    if (cb)
        k->cb = *cb;
    k->ud = ud;
    cb_buf_init(&k->content, k->max_reply);
    cb_buf_init(&k->body, k->max_reply + ENVELOPE_BYTES);
    k->base_url = strdup(ep->base_url);
    k->model = strdup(ep->model);
    k->api_key = ep->api_key && *ep->api_key ? strdup(ep->api_key) : NULL;
    k->key_name = dup_or_null(ep->key_name);
    if (!k->base_url || !k->model || (ep->api_key && *ep->api_key && !k->api_key) ||
        (ep->key_name && !k->key_name))
        goto fail;
    {
        size_t bl = strlen(k->base_url);
        while (bl > 0 && k->base_url[bl - 1] == '/')
            bl--;
        CbBuf u;
        cb_buf_init(&u, bl + 32);
        if (cb_buf_append(&u, k->base_url, bl) < 0 || cb_buf_puts(&u, "/chat/completions") < 0) {
            cb_buf_free(&u);
            goto fail;
        }
        k->url = cb_buf_steal(&u);
        if (!k->url)
            goto fail;
    }
    k->shown_url = shown_url(k->base_url);
    if (!k->shown_url)
        goto fail;
    k->messages = json_array();
    if (!k->messages)
        goto fail;
    for (size_t i = 0; i < rq->n_messages; i++) {
        const CbLlmMessage *m = &rq->messages[i];
        if (!m->role || !m->content) {
            rc = cb_error_set(err, CB_EINVAL, "llm call: message %zu has no role or content", i + 1);
            goto fail_set;
        }
        json_t *o = json_pack("{s:s, s:s}", "role", m->role, "content", m->content);
        if (!o) {
            rc = cb_error_set(err, CB_EINVAL, "llm call: message %zu is not valid UTF-8", i + 1);
            goto fail_set;
        }
        if (json_array_append_new(k->messages, o) < 0)
            goto fail;
        k->prompt_bytes += strlen(m->content);
    }
    if (rq->schema) {
        json_error_t je;
        k->schema = json_loads(rq->schema, 0, &je);
        if (!json_is_object(k->schema)) {
            rc = cb_error_set(err, CB_EINVAL, "llm call: the schema is not a JSON object (%s, line %d)",
                              k->schema ? "another JSON value" : je.text, je.line);
            goto fail_set;
        }
        k->schema_name = strdup(rq->schema_name);
        if (!k->schema_name)
            goto fail;
        k->use_schema = !cb_llm_schema_refused(c, k->base_url, k->model);
    }
    if (build_headers(k) < 0)
        goto fail;
    k->easy = curl_easy_init();
    if (!k->easy || set_curl(k) < 0) {
        rc = cb_error_set(err, CB_EEXTERNAL, "llm call: libcurl could not set up the request");
        goto fail_set;
    }
    k->state = CB_LLM_PENDING;
    k->next = c->calls;
    c->calls = k;
    if (attempt_start(k) < 0) {
        rc = cb_error_set(err, k->err.code, "%s", k->err.text);
        goto fail_set;
    }
    *out = k;
    return 0;
fail:
    rc = cb_error_set(err, CB_ENOMEM, "llm call: out of memory");
fail_set:
    cb_llm_call_free(&k);
    return rc;
}

CbLlmState cb_llm_state(const CbLlmCall *call)
{
    return call->state;
}

int cb_llm_result(const CbLlmCall *call, const char **content, size_t *len, int *structured, CbLlmUsage *usage,
                  CbError *err)
{
    if (usage)
        *usage = call->usage;
    if (call->state == CB_LLM_PENDING)
        return cb_error_set(err, CB_EBUSY, "%s (model %s): the call is still running", call->shown_url,
                            call->model);
    if (call->state == CB_LLM_FAILED) {
        if (err)
            *err = call->err;
        return call->code;
    }
    if (content)
        *content = call->content.data ? call->content.data : "";
    if (len)
        *len = call->content.len;
    if (structured)
        *structured = call->schema && call->use_schema;
    return 0;
}

long cb_llm_http_status(const CbLlmCall *call)
{
    return call->status;
}

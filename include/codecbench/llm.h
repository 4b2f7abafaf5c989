/* codecbench: the LLM client and the proposers (src/llm/).
 *
 * Pieces, each in its own file: the server-sent events parser (sse.c), the
 * JSON found in a model's free text (extract.c), the chat-completions client
 * over libcurl's multi interface, and the proposers.  Library code: it never
 * prints; everything a server sends is hostile and bounded.
 */
#ifndef CODECBENCH_LLM_H
#define CODECBENCH_LLM_H

#include <stddef.h>

#include "codecbench/buf.h"
#include "codecbench/error.h"

/* ---- server-sent events (src/llm/sse.c) ------------------------------------
 *
 * The event-stream format as the WHATWG HTML standard defines it: lines end
 * in CRLF, LF or CR (a CRLF split across two reads is one line end); a line
 * starting with ':' is a comment; "field: value" (one space after the colon
 * is dropped, a line with no colon is a field with an empty value); "data"
 * lines accumulate, joined by LF; an empty line dispatches the event (none
 * when it has no data); "event" names it; "id" and "retry" are kept; other
 * fields are ignored; a UTF-8 byte order mark at the very start is skipped.
 * An event still open when the stream ends is dropped, as the standard says
 * (a stream cut mid-event must not look complete). */

/** Longest line and longest event data the parser holds by default. */
#define CB_SSE_MAX_DEFAULT ((size_t)1 << 20)

/** An event: its type ("message" when none was named), its data (len
 * bytes, which may include NUL, with a NUL after them) and the last id. */
typedef struct CbSseEvent {
    const char *type;
    const char *data;
    size_t len;
    const char *id;
} CbSseEvent;

/** Called once per event; a nonzero return stops the feed and is returned
 * by cb_sse_feed(). */
typedef int (*CbSseHandler)(void *ud, const CbSseEvent *ev);

typedef struct CbSse {
    CbBuf line;      /**< the line being read */
    CbBuf data;      /**< the data of the event being built */
    CbBuf type;      /**< its type */
    CbBuf id;        /**< the last event id */
    long retry_ms;   /**< the last "retry" field, -1 when none */
    int after_cr;    /**< the previous byte ended a line with CR */
    int started;     /**< a byte was seen (the BOM check is done) */
    size_t bom;      /**< bytes of a possible BOM matched so far */
    unsigned long events;   /**< events dispatched */
    unsigned long comments; /**< comment lines seen (keep-alives) */
} CbSse;

/** Prepares a parser whose lines and event data are at most max bytes
 * each (0: CB_SSE_MAX_DEFAULT). */
void cb_sse_init(CbSse *p, size_t max);
/** Frees the parser's buffers (it may be initialised again). */
void cb_sse_free(CbSse *p);
/** Parses n more bytes of the stream, calling h for each event completed.
 * Returns 0; the handler's nonzero return; CB_ELIMIT when a line or an
 * event's data passes the cap (err says which; the parser is then unusable
 * until initialised again); CB_ENOMEM. */
int cb_sse_feed(CbSse *p, const char *bytes, size_t n, CbSseHandler h, void *ud, CbError *err);
/** 1 when the stream stopped inside an event (data was read but not
 * dispatched: the connection was cut mid-event), else 0. */
int cb_sse_pending(const CbSse *p);

/* ---- JSON in a model's text (src/llm/extract.c) ---------------------------- */

/** Finds the first complete JSON object in text (a model's free reply, with
 * prose around it or a Markdown code fence): scans for '{', matches braces
 * outside strings (escapes honoured) and accepts the first candidate that
 * jansson parses as an object; a candidate that does not parse is skipped
 * and the scan goes on from its next '{'.  At most max_candidates are tried
 * (0: 64), so hostile text costs linear time.  Returns 0 and the object
 * (owned by the caller, json_decref) in *out, with its offset and length in
 * *off and *len when not NULL; CB_EFORMAT when there is none (err says
 * whether no '{' was found, braces never closed, or nothing parsed, with
 * the first parse error's text and position); CB_ENOMEM. */
struct json_t;
int cb_llm_extract_json(const char *text, size_t n, size_t max_candidates, struct json_t **out,
                        size_t *off, size_t *len, CbError *err);

/* ---- the chat-completions client (src/llm/client.c) -------------------------
 *
 * One CbLlm per process: a libcurl multi handle with its sockets and timer,
 * driven by the caller's own poll() loop (the dashboard's; the CLI's
 * cb_llm_wait) through libcurl's socket and timer callbacks (Debian 12's
 * libcurl 7.88 predates curl_multi_waitfds).  Nothing blocks: a call is
 * started, progresses as its sockets become ready, and ends DONE or FAILED.
 *
 * A call POSTs {base_url}/chat/completions with the model, the messages,
 * the temperature (when >= 0), max_tokens (when > 0), "stream": true and
 * "stream_options": {"include_usage": true} when streaming, and, with a
 * schema, "response_format": {"type": "json_schema", "json_schema":
 * {"name", "strict": true, "schema"}}.  When the server answers 400 and its
 * error mentions response_format, json_schema or schema, the call is sent
 * once more without response_format, and the client remembers that this
 * base URL and model refuse schemas (cb_llm_schema_refused), so later calls
 * there go without; the caller then finds the JSON in the text itself
 * (cb_llm_extract_json).
 *
 * Streaming: the reply's server-sent events are parsed with CbSse; each
 * "data" is a chunk whose choices[0].delta.content is passed to the delta
 * callback as it arrives; "data: [DONE]" ends the reply; a chunk with
 * "usage" gives the token counts; a chunk with "error" fails the call with
 * its message.  A stream that ends without [DONE] and without a
 * finish_reason was cut: a connection error (retried).  Without streaming
 * the body is one JSON document (choices[0].message.content, usage).
 *
 * Failures, in words that name the base URL and the model and never the
 * key: 400 (with the server's message), 401 (the key named by its
 * environment variable, not its value, was refused), 403, 404 (no such
 * model or no chat/completions at that URL), other 4xx; 429, 5xx and
 * connection errors (refused, reset, cut mid-stream, timed out) are retried
 * up to `retries` times after a delay: exponential backoff from backoff_ms
 * (doubling, full jitter, at most 60 s), or the server's Retry-After
 * (seconds or an HTTP date, at most 300 s) when it sends one; the restart
 * callback says so, and the text streamed so far must be dropped.  Every
 * attempt's tokens count (a retried stream is paid twice).  Timeouts:
 * connect, idle (no byte of the reply for that long) and total (per
 * attempt), each named in the error.  A reply larger than max_reply bytes
 * fails with CB_ELIMIT, not retried.  Server text in errors is sanitised and
 * cut to 300 bytes. */

/** The endpoint and the limits of a call. */
typedef struct CbLlmEndpoint {
    const char *base_url;   /**< "https://api.openai.com/v1", "http://127.0.0.1:11434/v1" */
    const char *model;
    const char *api_key;    /**< sent as "Authorization: Bearer KEY"; NULL or "": none sent */
    const char *key_name;   /**< where the key came from ("OPENAI_API_KEY"), for messages */
    double temperature;     /**< < 0: not sent */
    int connect_timeout_ms; /**< 0: 10 000 */
    int idle_timeout_ms;    /**< 0: 60 000 */
    int total_timeout_ms;   /**< per attempt; 0: 300 000 */
    int retries;            /**< attempts after the first on 429/5xx/connection errors, 0..10 */
    int backoff_ms;         /**< the first delay; 0: 1000 */
    size_t max_reply;       /**< bytes of the reply's content (and of a whole body); 0: 1 MiB */
    int stream;             /**< 1: ask for a streamed reply */
} CbLlmEndpoint;

typedef struct CbLlmMessage {
    const char *role;       /**< "system", "user", "assistant" */
    const char *content;
} CbLlmMessage;

typedef struct CbLlmRequest {
    const CbLlmMessage *messages;
    size_t n_messages;
    const char *schema;      /**< JSON Schema text for response_format (strict), or NULL */
    const char *schema_name; /**< its name, [A-Za-z0-9_-]{1,64} ("proposals") */
    int max_tokens;          /**< 0: not sent */
} CbLlmRequest;

/** Tokens a call cost. */
typedef struct CbLlmUsage {
    long long prompt_tokens;
    long long completion_tokens;
    int estimated; /**< 1 when some attempt's server sent no usage: its counts are
                        estimated as bytes / 4 of the request's messages and of the reply */
    int attempts;  /**< HTTP requests made */
} CbLlmUsage;

/** Called as a call progresses; any may be NULL.  Text is raw server bytes:
 * sanitise before showing it. */
typedef struct CbLlmCallbacks {
    void (*delta)(void *ud, const char *text, size_t len);
    /** A retry is coming after delay_ms (why: "HTTP 429", "connection reset ..."):
     * drop the text streamed so far. */
    void (*restart)(void *ud, int attempt, int delay_ms, const char *why);
} CbLlmCallbacks;

typedef enum CbLlmState {
    CB_LLM_PENDING = 0,
    CB_LLM_DONE = 1,
    CB_LLM_FAILED = 2,
} CbLlmState;

typedef struct CbLlm CbLlm;
typedef struct CbLlmCall CbLlmCall;

/** Tells the caller's loop which descriptors to poll: events is POLLIN,
 * POLLOUT or both, 0 to stop watching fd. */
typedef void (*CbLlmWatchFn)(void *ud, int fd, short events);

/** A client (curl_global_init is done once, on first use).  Returns 0,
 * CB_ENOMEM, CB_EEXTERNAL. */
int cb_llm_new(CbLlm **out, CbError *err);
/** Cancels every call (their handles become FAILED and must still be freed
 * with cb_llm_call_free before or after) and frees the client. */
void cb_llm_free(CbLlm **c);
/** Routes socket interest to fn (the dashboard: tui_watch_fd); set before the
 * first call.  Without it the client keeps its own set for cb_llm_wait. */
void cb_llm_set_watch(CbLlm *c, CbLlmWatchFn fn, void *ud);
/** The longest read coalescing cb_llm_set_coalesce accepts. */
#define CB_LLM_COALESCE_MAX_MS 100
/** The coalescing of the front ends (the CLI's commands, the dashboard's
 * proposal pane): half a 60 Hz frame, so a piece is shown within a frame. */
#define CB_LLM_COALESCE_UI_MS 8
/** Coalesces the reads of streamed replies: after the client has processed
 * bytes of a streaming call, it stops asking to be woken for that socket's
 * readability for ms milliseconds (the watch function is told the events
 * without POLLIN, 0 when nothing else is wanted; cb_llm_wait leaves the
 * socket out), and cb_llm_timeout_ms includes the resume time, so the
 * caller's loop must call cb_llm_on_timer when it is due.  The pieces that
 * arrive meanwhile wait in the kernel's socket buffer and one wakeup reads
 * them all: a reply of hundreds of pieces costs a few dozen wakeups.
 * Connecting, sending and a call's first bytes are not delayed; a rest
 * never exceeds half the call's idle timeout, so a stalled stream still
 * fails on time; libcurl's own timeouts are unaffected.  ms: 0 (off, the
 * default) to CB_LLM_COALESCE_MAX_MS (clamped).  The CLI's commands and the
 * dashboard's proposal pane use 8 ms (half a 60 Hz frame): a piece reaches
 * the delta callback at most 8 ms (about 4 ms on average) after it
 * arrived. */
void cb_llm_set_coalesce(CbLlm *c, int ms);
/** Milliseconds until cb_llm_on_timer must run (0: now), or -1 when nothing
 * waits on time. */
int cb_llm_timeout_ms(const CbLlm *c);
/** A watched descriptor became ready (revents from poll). */
void cb_llm_on_socket(CbLlm *c, int fd, short revents);
/** The timer fired (or the caller's loop passed by late: it is harmless). */
void cb_llm_on_timer(CbLlm *c);
/** For the CLI: polls the client's own descriptors and timer for up to
 * timeout_ms (-1: until something happens) and processes what happened.
 * Returns 0, CB_EIO (poll failed). */
int cb_llm_wait(CbLlm *c, int timeout_ms, CbError *err);
/** Calls that are still PENDING. */
int cb_llm_busy(const CbLlm *c);

/** Starts a call (nothing is sent until the loop runs).  The endpoint and
 * request are copied.  Returns 0 and *out, CB_EINVAL (no base URL or model,
 * a URL that is not http(s), no messages, a bad schema name or schema text
 * that is not JSON), CB_ENOMEM, CB_EEXTERNAL. */
int cb_llm_start(CbLlm *c, const CbLlmEndpoint *ep, const CbLlmRequest *rq,
                 const CbLlmCallbacks *cb, void *ud, CbLlmCall **out, CbError *err);
CbLlmState cb_llm_state(const CbLlmCall *call);
/** A finished call's reply: 0 with its content (len bytes, NUL after; owned
 * by the call), whether it was asked for with the schema (*structured), and
 * the usage of every attempt; or the call's error code and err when it
 * FAILED; CB_EBUSY while PENDING.  usage and structured may be NULL. */
int cb_llm_result(const CbLlmCall *call, const char **content, size_t *len, int *structured,
                  CbLlmUsage *usage, CbError *err);
/** The HTTP status of the call's last attempt (200, 401, ...), or 0 when
 * no answer came (not connected yet, refused, timed out before the
 * headers).  Added after the contract, for `codecbench llm check`. */
long cb_llm_http_status(const CbLlmCall *call);
/** Aborts a pending call and frees it (NULL and *call == NULL allowed). */
void cb_llm_call_free(CbLlmCall **call);

/** 1 when base_url/model refused response_format's schema in this client. */
int cb_llm_schema_refused(const CbLlm *c, const char *base_url, const char *model);
/** Marks base_url/model as refusing schemas (a caller that keeps this
 * knowledge between processes restores it so). */
int cb_llm_note_schema_refused(CbLlm *c, const char *base_url, const char *model);

/* ---- the endpoint from the configuration (src/llm/endpoint.c) ---- */

struct CbConfig;
/** Fills ep from the configuration's llm.* settings (llm.endpoint, llm.model,
 * llm.temperature, llm.connect_timeout, llm.idle_timeout, llm.timeout,
 * llm.retries) and the key from the environment variable llm.api_key_env
 * names (ep->api_key points into the environment, key_name into cfg).
 * max_reply and stream are left 0 for the caller.  Returns 0, or CB_EINVAL
 * when llm.model or llm.endpoint is empty (err says how to set it). */
int cb_llm_endpoint_from_config(const struct CbConfig *cfg, CbLlmEndpoint *ep, CbError *err);

#endif

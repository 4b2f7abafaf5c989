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

#endif

#!/usr/bin/env python3
"""An OpenAI-compatible chat-completions server for codecbench's tests.

Standard library only.  Listens on 127.0.0.1, port chosen by the OS, and
prints the port as the first line of stdout.  POST /v1/chat/completions
answers as OpenAI does: streamed server-sent events (CRLF line ends,
keep-alive comments, each event cut across several TCP writes with small
sleeps, chunked transfer encoding, a usage chunk, "data: [DONE]") when the
request says "stream": true, else one JSON document.

The model name chooses a fault: "FAULT" or "FAULT/TAG" (the tag only keeps
the per-model counters of "once" faults apart between tests):
  ok              the fixed proposals object (PROPOSALS below); to the
                  request of `codecbench llm check` {"ok": true, "model"}
  retry-after     429 with Retry-After: 1 on odd requests, then ok
  500-once        500 on odd requests, then ok
  retry-date      503 with Retry-After as an HTTP date 2 s ahead, then ok
  cut-once        stream cut after 3 chunks on odd requests, then ok
  cut             the connection cut mid-stream after some chunks, always
  stall           stops sending mid-stream (sleeps STALL_S seconds)
  malformed       a streamed chunk (or body) that is not JSON
  error-chunk     a streamed chunk holding {"error": ...}
  nojson          prose with no JSON object
  oversize        a reply of OVERSIZE bytes
  invalid-recipe  a proposals object whose recipe fails validation
  escapes         content with ESC[2J, OSC 52, BEL and C1 bytes
  no-schema       400 "response_format json_schema is not supported" when
                  the request has response_format, else ok
  400-long        400 with a 2 KB message holding ESC (not about the schema)
  ignore-stream   a plain JSON body even when streaming was asked for
  401, 403, 404   those statuses with OpenAI's error bodies (401 echoes
                  the key it was given, as a careless server would)
  no-usage        ok without any usage
  stage-code      a stage reply (`propose --stage`): one whole intra stage file
                  (STAGE_CODE, a DC predictor for every mode)
  stage-edit      a stage reply with one edit that applies: the first indented
                  statement of the parent's source (read from the prompt's ```c
                  block) that occurs once, searched for with its whitespace changed
                  (indentation dropped, inner spaces doubled, a CRLF), the line
                  kept and a line of code added after it
  stage-edit-fail an edit whose search text is nowhere in the source
  stage-edit-ambiguous  an edit searching for "}", which the source has
                  several times
  stage-mixed     four proposals: the edit of stage-edit, the failing one, the
                  ambiguous one, and STAGE_CODE: 3 edits tried, 2 failed
  stage-escapes   STAGE_CODE with ESC[2J, OSC 52, BEL and C1 bytes in its
                  rationale
  stage-code-escapes  STAGE_CODE with a comment after its #include holding
                  ESC[2J (clear the screen), OSC 0 (set the terminal's title
                  to "owned") ending in BEL: STAGE_CODE_ESCAPES
  bench-SIZE-GAP  (bench/llm) a proposals object of about SIZE bytes, 8..65536
                  (default 4096), streamed in 12-byte pieces, one event per
                  TCP write, GAP ms apart (default 0, at most 1000); with
                  --stamps PATH each streamed reply appends, before its
                  [DONE], one line "stamps N END_1 NS_1 END_2 NS_2 ...": the
                  reply's content offset after each piece and the
                  CLOCK_REALTIME nanoseconds just after that piece was sent
Every request is appended to the log (--log PATH) as one JSON line:
{"path", "headers": {lower-case name: value}, "body": parsed JSON or text}.
"""
import argparse
import email.utils
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROPOSALS = {
    "proposals": [
        {
            "rationale": "Lower QPs by one step: the anchor is far from the knee of its curve.",
            "recipe": {
                "name": "qp-down",
                "codec": "engine",
                "settings": {"block_size": 16, "search_range": 48, "qps": [21, 26, 31, 36]},
            },
        },
        {
            "rationale": "Try the DCT instead of the KLT to measure what the KLT gains.",
            "recipe": {"name": "dct", "codec": "engine", "settings": {"transform": "dct"}},
        },
    ]
}
INVALID = {
    "proposals": [
        {
            "rationale": "A block size the engine does not have.",
            "recipe": {"name": "bad", "codec": "engine", "settings": {"block_size": 12}},
        }
    ]
}
NOJSON = ("I would lower the QP a little and widen the search range, "
          "but I cannot give you that as an object today.")
ESCAPES = ("clear\x1b[2Jclip\x1b]52;c;SGVsbG8=\x07bell\x07c1\u009b31mred\u0085end "
           + json.dumps(PROPOSALS))
OVERSIZE = 256 * 1024
STALL_S = 20
BENCH_MAX = 65536


def bench_content(size):
    """A proposals object of about size bytes: PROPOSALS' kind of entries,
    repeated with varied rationales, as a model writes it (indented)."""
    props, i = [], 0
    while True:
        props.append({"rationale": "Step %d: lower the QPs of the best run by %d and widen the search "
                                   "range to %d; its rate-distortion curve is still steep there." %
                      (i, 1 + i % 3, 32 + 16 * (i % 4)),
                      "recipe": {"name": "bench-%d" % i, "codec": "engine",
                                 "settings": {"block_size": 8 << (i % 3), "search_range": 32 + 16 * (i % 4),
                                              "qps": [22 + i % 5, 27 + i % 5, 32 + i % 5, 37 + i % 5]}}})
        text = json.dumps({"proposals": props}, indent=1)
        if len(text) >= size or i > 4096:
            return text
        i += 1


def bench_params(fault):
    """SIZE and GAP of a "bench-SIZE-GAP" model name (bad parts: defaults)."""
    parts = fault.split("-")[1:]
    nums = [int(p) if p.isdigit() and len(p) < 8 else -1 for p in parts] + [-1, -1]
    size = nums[0] if 8 <= nums[0] <= BENCH_MAX else 4096
    gap = nums[1] if 0 <= nums[1] <= 1000 else 0
    return size, gap
STAGE_CODE = """#include "codecbench/stage.h"

/* Every mode predicts the rounded mean of the n samples above and the n to
 * the left (DC): a different, correct intra predictor. */
int cb_stage_intra(const CbStageIntra *a)
{
    int sum = 0;
    for (int i = 0; i < a->n; i++)
        sum += a->top[i] + a->left[i];
    int dc = (sum + a->n) / (2 * a->n);
    for (int y = 0; y < a->n; y++)
        for (int x = 0; x < a->n; x++)
            a->dst[y * a->stride + x] = (uint8_t)dc;
    return 0;
}
"""
# STAGE_CODE with escape sequences in a comment: hostile text in the code itself.
STAGE_CODE_ESCAPES = STAGE_CODE.replace('#include "codecbench/stage.h"\n',
                                        '#include "codecbench/stage.h"\n'
                                        '/* tuned: \x1b[2J\x1b]0;owned\x07 done */\n', 1)
STAGE_ESCAPES = "smoother\x1b[2J prediction\x1b]52;c;SGVsbG8=\x07 bell\x07 c1\u009b31m end"


def parent_source(body):
    """The parent's stage source, from the ```c block of the user prompt."""
    for m in body.get("messages") or []:
        text = m.get("content") if isinstance(m, dict) else None
        if isinstance(text, str) and "```c\n" in text:
            start = text.index("```c\n") + 5
            end = text.find("```", start)
            return text[start:end if end >= 0 else len(text)]
    return ""


def unique_edit(source):
    """An edit that applies once: the first line that occurs once in source
    (and is not a preprocessor line or a comment), searched for with its
    whitespace changed, kept, and followed by a harmless line of code."""
    lines = source.split("\n")
    for line in lines:
        t = line.strip()
        # a statement inside a function body: indented, so what is added is
        # a statement there too and the stage still compiles
        if len(t) < 12 or not line.startswith("    ") or t.startswith(("#", "/*", "*", "//")) \
                or not t.endswith(";"):
            continue
        if source.count(t) != 1:
            continue
        search = "\r\n" + "  ".join(t.split(" ")) + "  "
        return {"search": search, "replace": t + "\n    (void)0;"}
    return {"search": "int", "replace": "int"}


def stage_content(fault, body):
    src = parent_source(body)
    ok = {"rationale": "Add a statement after an assignment (whitespace of the search changed).",
          "code": "", "edits": [unique_edit(src)]}
    fail = {"rationale": "Change a line that is not there.", "code": "",
            "edits": [{"search": "this text is not in the source", "replace": "x"}]}
    amb = {"rationale": "Close a block.", "code": "", "edits": [{"search": "}", "replace": "}\n"}]}
    code = {"rationale": "Predict DC for every mode.", "code": STAGE_CODE, "edits": []}
    props = {"stage-code": [code], "stage-edit": [ok], "stage-edit-fail": [fail],
             "stage-edit-ambiguous": [amb], "stage-mixed": [ok, fail, amb, code],
             "stage-escapes": [dict(code, rationale=STAGE_ESCAPES)],
             "stage-code-escapes": [dict(code, code=STAGE_CODE_ESCAPES)]}.get(fault, [code])
    return json.dumps({"proposals": props}, indent=1)


PROMPT_TOKENS = 42
COMPLETION_TOKENS = 17
ERRORS = {
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "model_not_allowed"),
    404: ("invalid_request_error", "model_not_found"),
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, log, stamps=None):
        super().__init__(addr, Handler)
        self.log_path = log
        self.stamps_path = stamps
        self.lock = threading.Lock()
        self.counts = {}

    def handle_error(self, request, client_address):
        # a client that hangs up (the tests cut, time out and cancel) is normal
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def count(self, model):
        with self.lock:
            self.counts[model] = self.counts.get(model, 0) + 1
            return self.counts[model]

    def log(self, entry):
        if not self.log_path:
            return
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


class Cut(Exception):
    """The fault asked for the connection to be cut."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cbtest-llm/1"

    def setup(self):
        super().setup()
        # each write its own TCP segment, so events really arrive split
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet: stdout carries the port only
        pass

    # ---- writing ----
    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def error(self, status, message, typ="invalid_request_error", code=None, extra=None):
        self.send_json(status, {"error": {"message": message, "type": typ, "param": None, "code": code}},
                       extra)

    def raw_chunk(self, data):
        """One HTTP chunk (chunked transfer encoding), flushed on its own."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
        time.sleep(0.001)

    def write_split(self, data):
        """Event bytes cut in three uneven pieces, each its own TCP write."""
        a, b = len(data) // 3, (2 * len(data)) // 3 + 1
        for piece in (data[:a], data[a:b], data[b:]):
            if piece:
                self.raw_chunk(piece)

    def event(self, obj):
        text = obj if isinstance(obj, str) else json.dumps(obj)
        self.write_split(b"data: " + text.encode() + b"\r\n\r\n")

    def bench_stream(self, model, content, gap_ms, piece=12):
        """The bench model's stream: each event one HTTP chunk (one TCP
        write), its send time stamped after the write."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        stamps = []

        def send(obj):
            data = b"data: " + json.dumps(obj).encode() + b"\r\n\r\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        send(self.chunk_obj(model, {"role": "assistant", "content": ""}))
        end = 0
        for i in range(0, len(content), piece):
            if gap_ms:
                time.sleep(gap_ms / 1000.0)
            p = content[i:i + piece]
            send(self.chunk_obj(model, {"content": p}))
            end += len(p.encode())
            stamps.append((end, time.time_ns()))
        send(self.chunk_obj(model, {}, "stop"))
        send({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
              "choices": [], "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": len(content) // 4,
                                       "total_tokens": PROMPT_TOKENS + len(content) // 4}})
        if self.server.stamps_path:
            line = "stamps %d %s\n" % (len(stamps), " ".join("%d %d" % s for s in stamps))
            with self.server.lock, open(self.server.stamps_path, "a", encoding="ascii") as f:
                f.write(line)
        self.wfile.write(b"%x\r\n%s\r\n" % (len(b"data: [DONE]\r\n\r\n"), b"data: [DONE]\r\n\r\n"))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ---- replies ----
    def chunk_obj(self, model, delta, finish=None):
        return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def stream(self, model, content, usage=True, cut_after=None, stall_after=None, malformed_at=None,
               error_at=None, piece=12):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        if cut_after is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        self.raw_chunk(b": keep-alive\r\n\r\n")
        self.event(self.chunk_obj(model, {"role": "assistant", "content": ""}))
        pieces = [content[i:i + piece] for i in range(0, len(content), piece)]
        if cut_after is not None:  # a short reply is cut before its last piece
            cut_after = min(cut_after, len(pieces) - 1)
        if stall_after is not None:
            stall_after = min(stall_after, len(pieces) - 1)
        for i, p in enumerate(pieces):
            if cut_after is not None and i == cut_after:
                raise Cut()
            if stall_after is not None and i == stall_after:
                time.sleep(STALL_S)
                raise Cut()
            if malformed_at is not None and i == malformed_at:
                self.write_split(b'data: {"choices": [{"delta": {"content": "oops"\r\n\r\n')
            if error_at is not None and i == error_at:
                self.event({"error": {"message": "The server had an error while processing your request.",
                                      "type": "server_error"}})
            if i == len(pieces) // 2:
                self.raw_chunk(b": keep-alive\r\n\r\n")
            self.event(self.chunk_obj(model, {"content": p}))
        self.event(self.chunk_obj(model, {}, "stop"))
        if usage:
            self.event({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
                        "choices": [], "usage": {"prompt_tokens": PROMPT_TOKENS,
                                                 "completion_tokens": COMPLETION_TOKENS,
                                                 "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS}})
        self.event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def whole(self, model, content, usage=True):
        obj = {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
               "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop"}]}
        if usage:
            obj["usage"] = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS}
        self.send_json(200, obj)

    def cut_body(self):
        """Headers promising more than is sent, then the connection cut."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "4096")
        self.end_headers()
        self.wfile.write(b'{"id": "chatcmpl-test", "choices": [')
        self.wfile.flush()
        raise Cut()

    # ---- requests ----
    def do_GET(self):
        self.error(404, "Unknown request URL: GET %s." % self.path, code="unknown_url")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if 0 < length <= (16 << 20) else b""
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.server.log({"path": self.path,
                         "headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": body})
        try:
            self.answer(body)
        except Cut:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def answer(self, body):
        if self.path != "/v1/chat/completions":
            self.error(404, "Unknown request URL: POST %s." % self.path, code="unknown_url")
            return
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            self.error(400, "We could not parse the JSON body of your request.")
            return
        model = body["model"]
        fault = model.split("/", 1)[0]
        streaming = body.get("stream") is True
        n = self.server.count(model)
        odd = n % 2 == 1
        content = json.dumps(PROPOSALS, indent=1)
        if any('"ok": true' in str(m.get("content")) for m in body.get("messages") or [] if isinstance(m, dict)):
            # `codecbench llm check`: its tiny object, in prose when no schema bound the reply
            content = json.dumps({"ok": True, "model": model})
            if "response_format" not in body:
                content = "Here is the object you asked for: " + content
        usage = True
        if fault == "retry-after" and odd:
            self.error(429, "Rate limit reached for requests.", "requests", "rate_limit_exceeded",
                       {"Retry-After": "1"})
            return
        if fault == "retry-date" and odd:
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            self.error(503, "The engine is currently overloaded, please try again later.", "server_error",
                       extra={"Retry-After": when})
            return
        if fault == "500-once" and odd:
            self.error(500, "The server had an error while processing your request.", "server_error")
            return
        if fault in ("401", "403", "404"):
            status = int(fault)
            typ, code = ERRORS[status]
            key = (self.headers.get("Authorization") or "").replace("Bearer ", "")
            msg = {401: "Incorrect API key provided: %s." % key,
                   403: "You are not allowed to sample from this model.",
                   404: "The model `%s` does not exist or you do not have access to it." % model}[status]
            self.error(status, msg, typ, code)
            return
        if fault == "400-long":
            self.error(400, "Invalid value for 'messages': \x1b[31m" + "x" * 2000 + "\x1b[0m")
            return
        if fault == "no-schema" and "response_format" in body:
            self.error(400, "response_format json_schema is not supported by this server", code=None)
            return
        if fault == "bench" or fault.startswith("bench-"):
            size, gap = bench_params(fault)
            if streaming:
                self.bench_stream(model, bench_content(size), gap)
            else:
                self.whole(model, bench_content(size))
            return
        if fault == "nojson":
            content = NOJSON
        elif fault == "oversize":
            content = ("All work and no play makes a dull codec. " * (OVERSIZE // 40 + 1))[:OVERSIZE]
        elif fault == "invalid-recipe":
            content = json.dumps(INVALID)
        elif fault == "escapes":
            content = ESCAPES
        elif fault == "no-usage":
            usage = False
        elif fault.startswith("stage-"):
            content = stage_content(fault, body)
        if fault == "ignore-stream" or not streaming:
            if fault == "cut" or (fault == "cut-once" and odd):
                self.cut_body()
            if fault == "stall":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "4096")
                self.end_headers()
                self.wfile.write(b'{"choices": [')
                self.wfile.flush()
                time.sleep(STALL_S)
                raise Cut()
            if fault == "malformed":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "15")
                self.end_headers()
                self.wfile.write(b'{"choices": [{"')
                return
            self.whole(model, content, usage)
            return
        self.stream(model, content, usage,
                    cut_after=3 if fault == "cut" or (fault == "cut-once" and odd) else None,
                    stall_after=3 if fault == "stall" else None,
                    malformed_at=2 if fault == "malformed" else None,
                    error_at=2 if fault == "error-chunk" else None,
                    piece=4096 if fault == "oversize" else 12)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", help="append each request as a JSON line here")
    ap.add_argument("--stamps", help="the bench model's send times (bench/llm)")
    args = ap.parse_args()
    srv = Server(("127.0.0.1", 0), args.log, args.stamps)
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()

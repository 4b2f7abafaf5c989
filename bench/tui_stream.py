#!/usr/bin/env python3
"""codecbench: the dashboard's keys while an LLM reply streams (a benchmark).

    bench/tui_stream.py CODECBENCH STORE [--keys N] [--chunk-ms MS] [--seconds S]

Serves an OpenAI-compatible chat-completions stream of its own on 127.0.0.1
(standard library only): one SSE chunk every --chunk-ms (default 10: about
100 tokens a second, a fast model), for --seconds (default 40), each chunk
some prose with an ESC[2J and a non-ASCII character in it (sanitised on the
way to the screen), a line break every fifth.  Starts the dashboard on STORE
(a copy: the pane records token usage) through bench/tui.py's pseudo-terminal
and screen model (no tmux in the timing path), 120x40, the LLM proposer
configured by environment, opens the proposal pane (L) on the experiment of
the first run, waits for the reply to stream, then presses + and - in turn N
times (default 100) and times each from the write to the byte that shows the
new K in the pane's header.  Prints "name value unit" lines:

  stream_bytes_seen   bytes the pane said it had received at the end
  key_median_ms / key_p95_ms / key_max_ms / key_answered

Target (issue 7): under 16 ms per key while the reply streams.
"""
import argparse
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tui as T  # noqa: E402  (bench/tui.py: Dashboard, Screen, pct)


def make_handler(chunk_ms, seconds):
    class Stream(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0) or 0)
            self.rfile.read(n)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            text = "The anchor is far from the knee of its curve, so lower the QP. \u00e9\x1b[2J "
            end = time.time() + seconds
            i = 0
            try:
                while time.time() < end:
                    piece = text + (str(i) + "\n" if i % 5 == 4 else "")
                    ev = "data: " + json.dumps({"choices": [{"delta": {"content": piece}}]}) + "\r\n\r\n"
                    b = ev.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
                    self.wfile.flush()
                    i += 1
                    time.sleep(chunk_ms / 1000.0)
            except OSError:
                pass

    return Stream


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cb")
    ap.add_argument("store")
    ap.add_argument("--keys", type=int, default=100)
    ap.add_argument("--chunk-ms", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=40.0)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="cb-tui-stream-")
    try:
        store = os.path.join(work, "store")
        shutil.copytree(a.store, store, symlinks=True)
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(a.chunk_ms, a.seconds))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8",
                   XDG_CONFIG_HOME=os.path.join(work, "config"),
                   CODECBENCH_LLM_BASE_URL="http://127.0.0.1:%d/v1" % srv.server_address[1],
                   CODECBENCH_LLM_MODEL="bench", CODECBENCH_PROPOSER="llm",
                   CODECBENCH_LLM_RETRIES="0")
        db = T.Dashboard([os.path.abspath(a.cb), "--store", store], 40, 120, env)
        if db.until_text(lambda s: " runs " in s, 15000) is None:
            print("bench/tui_stream: the dashboard did not show its runs", file=sys.stderr)
            return 1
        db.until_quiet(80, 5000)
        db.send(b"L")
        if db.until_text(lambda s: "reply (streaming" in s, 30000) is None:
            print("bench/tui_stream: no streaming reply on the screen", file=sys.stderr)
            return 1
        lat, k = [], 4
        for i in range(a.keys):
            time.sleep(0.03)
            key, k = (b"+", k + 1) if i % 2 == 0 else (b"-", k - 1)
            t0 = db.send(key)
            t = db.until_text(lambda s, k=k: ("K %d " % k) in s, 2000)
            if t is not None:
                lat.append(t - t0)
        seen = 0
        for line in db.screen.text().splitlines():
            if "reply (streaming, " in line:
                seen = int(line.split("reply (streaming, ")[1].split(" ")[0])
        db.stop()
        srv.shutdown()
        print("stream_bytes_seen %d bytes" % seen)
        print("key_median_ms %.2f ms" % (statistics.median(lat) if lat else float("nan")))
        print("key_p95_ms %.2f ms" % T.pct(lat, 0.95))
        print("key_max_ms %.2f ms" % (max(lat) if lat else float("nan")))
        print("key_answered %d of %d" % (len(lat), a.keys))
        return 0 if lat else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

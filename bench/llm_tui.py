#!/usr/bin/env python3
"""codecbench: bench/llm's dashboard half (bench/llm runs it).

    llm_tui.py --cb CODECBENCH --store DIR --url BASE_URL --stamps PATH
               --model NAME --config-home DIR [--rounds N]

Starts the dashboard (`codecbench --store DIR`) on a pseudo-terminal with
bench/tui.py's Dashboard and screen model (no tmux in the timing path), the
LLM endpoint set by the environment (CODECBENCH_LLM_BASE_URL,
CODECBENCH_LLM_MODEL; the proposer set to llm in a config file under
--config-home), opens the proposal pane (`L`) and, while the test server's
slow "bench-SIZE-GAP" reply streams into it, measures:
  key_*     `P` (show / hide the request) sent every 50 ms: from the write
            to the byte that makes the screen show the toggled state
            ("(P hides)" / "(P shows)")
  screen_*  each streamed piece, from its send time (stamped by the server
            in --stamps, CLOCK_REALTIME) to the first byte after which the
            pane's "reply (streaming, N bytes)" counts it (N >= the piece's
            end offset)
Each round asks again (`L`) and waits for the reply to end.  Prints one
line per figure ("name value").
"""
import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tui  # noqa: E402  (bench/tui.py: Screen, Dashboard, pct)

STREAMING = re.compile(r"reply \(streaming, (\d+) bytes\)")
ENDED = re.compile(r"reply \(\d+ bytes, ")


class Watched(tui.Dashboard):
    """The dashboard whose every read notes (CLOCK_REALTIME ns, N) when the
    pane's streamed byte count changed."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.counts = []
        self.last_n = -1

    def read(self, timeout_ms):
        data, t = super().read(timeout_ms)
        if data:
            ns = time.time_ns()
            m = STREAMING.search(self.screen.text())
            if m:
                n = int(m.group(1))
                if n != self.last_n:
                    self.last_n = n
                    self.counts.append((ns, n))
        return data, t


def last_stamps(path):
    with open(path) as f:
        lines = [ln for ln in f if ln.startswith("stamps ")]
    if not lines:
        return []
    v = lines[-1].split()[1:]
    n = int(v[0])
    nums = [int(x) for x in v[1:]]
    if len(nums) != 2 * n:
        return []
    return list(zip(nums[0::2], nums[1::2]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cb", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--stamps", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--config-home", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--cols", type=int, default=120)
    a = ap.parse_args()

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LC_", "NO_COLOR", "TMUX", "CODECBENCH_", "OPENAI_"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", ESCDELAY="25",
               XDG_CONFIG_HOME=a.config_home, CODECBENCH_LLM_BASE_URL=a.url,
               CODECBENCH_LLM_MODEL=a.model)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    out = {}
    keys, screen, noreply = [], [], 0
    db = Watched([a.cb, "--store", a.store], a.rows, a.cols, env)
    try:
        # the runs view drawn (keys sent before curses starts are dropped)
        if db.until_text(lambda s: re.search(r"\d+ of \d+ runs|no runs", s) is not None, 30000) is None:
            print("error no runs view after 30 s; the screen:", file=sys.stderr)
            print(db.screen.text(), file=sys.stderr)
            return 1
        db.until_quiet(tui.QUIET_MS * 2.5, 10000)
        for r in range(a.rounds):
            db.counts = []
            db.last_n = -1
            db.send(b"L")
            if db.until_text(lambda s: STREAMING.search(s) is not None, 30000) is None:
                print("error the reply never streamed into the pane; the screen:", file=sys.stderr)
                print(db.screen.text(), file=sys.stderr)
                return 1
            # P every 50 ms while the reply streams
            while STREAMING.search(db.screen.text()):
                want = "(P shows)" if "(P hides)" in db.screen.text() else "(P hides)"
                t0 = db.send(b"P")
                t = db.until_text(lambda s, w=want: w in s or ENDED.search(s) is not None, 2000)
                if t is None:
                    noreply += 1
                elif want in db.screen.text():
                    keys.append(t - t0)
                end = tui.now_ms() + 50
                while tui.now_ms() < end:
                    db.read(end - tui.now_ms())
            if db.until_text(lambda s: ENDED.search(s) is not None, 30000) is None:
                print("error the reply did not end; the screen:", file=sys.stderr)
                print(db.screen.text(), file=sys.stderr)
                return 1
            stamps = last_stamps(a.stamps)
            if not stamps:
                print("error no stamps from the server in %s" % a.stamps, file=sys.stderr)
                return 1
            k = 0
            for end_off, ns in stamps:
                while k < len(db.counts) and db.counts[k][1] < end_off:
                    k += 1
                if k == len(db.counts):
                    break  # the last pieces were counted in the final screen, after the stream
                screen.append((db.counts[k][0] - ns) / 1e6)
            out["pieces_%d" % r] = len(stamps)
            out["screen_updates_%d" % r] = len(db.counts)
            db.until_quiet(tui.QUIET_MS, 3000)
    except EOFError as e:
        print("error %s; the screen:" % e, file=sys.stderr)
        print(db.screen.text(), file=sys.stderr)
        return 1
    finally:
        db.stop()
    if not keys or not screen:
        print("error no measurement (keys %d, pieces %d)" % (len(keys), len(screen)), file=sys.stderr)
        return 1
    out["key_presses"] = len(keys) + noreply
    out["key_noreply"] = noreply
    out["key_median_ms"] = statistics.median(keys)
    out["key_p95_ms"] = tui.pct(keys, 0.95)
    out["key_max_ms"] = max(keys)
    out["screen_pieces"] = len(screen)
    out["screen_median_ms"] = statistics.median(screen)
    out["screen_p95_ms"] = tui.pct(screen, 0.95)
    out["screen_max_ms"] = max(screen)
    for k, v in out.items():
        print("%s %s" % (k, ("%.2f" % v) if isinstance(v, float) else v))
    return 0


if __name__ == "__main__":
    sys.exit(main())

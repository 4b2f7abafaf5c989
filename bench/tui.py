#!/usr/bin/env python3
"""codecbench: the dashboard benchmark's driver (bench/tui runs it).

    tui.py --cb CODECBENCH --store DIR --flood-run ID:RUN_DIR [--keys N]
           [--cols 120] [--rows 40]

Starts the dashboard (`codecbench --store DIR`) on a pseudo-terminal of its
own (pty.fork, TERM=xterm-256color, LANG=C.UTF-8) and reads what it writes
with select() + os.read(): no terminal multiplexer in the timing path.  A
small VT100/xterm screen model (the subset curses uses) follows the output
so that "the table is shown" and "the help is shown" are decided on the
screen's text, not on raw bytes.  Terminal queries (DA1, DA2, cursor
position) are answered as a terminal without sixel would.

Measures, and prints one line per figure ("name value unit"):
  first_byte_ms      start (fork) to the first byte of output
  first_screen_ms    start to the last byte of the first full screen: the
                     first moment the screen shows the table (a synthetic
                     recipe name) and stays unchanged for QUIET_MS
  key_median_ms / key_p95_ms / key_max_ms
                     `j` sent N times on the runs list: time from the write
                     to the last byte of the response (the response ends
                     when QUIET_MS pass without output); key_noreply counts
                     presses that drew nothing
  rss_hwm_mib        VmHWM of the dashboard process at the end
  flood_*            the logs view following the fake running run ID while
                     a writer process appends 10,000 lines per second to its
                     log.txt and as many "log" events to its events.jsonl;
                     the latency of `?` (until the help's text is on the
                     screen) and `h` (until it is gone again) during the flood
  flood_lines        lines the writer appended during the measurement
"""
import argparse
import codecs
import fcntl
import json
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import termios
import time

QUIET_MS = 40.0


def now_ms():
    return time.monotonic() * 1000.0


# ---- a small screen model ---------------------------------------------------------


class Screen:
    """The cells of a VT100/xterm screen, fed with the bytes a curses
    program writes: printable text (UTF-8), CR/LF/BS/TAB, CSI cursor
    movement, erase, insert/delete, scroll region, REP, ESC 7/8, ESC D/E/M,
    OSC/DCS strings (skipped), SGR and modes (ignored except the alternate
    screen, which is cleared)."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.dec = codecs.getincrementaldecoder("utf-8")("replace")
        self.reset()
        self.state = "text"
        self.seq = ""
        self.replies = []

    def reset(self):
        self.cells = [[" "] * self.cols for _ in range(self.rows)]
        self.y = self.x = 0
        self.top, self.bottom = 0, self.rows - 1
        self.saved = (0, 0)
        self.last = " "
        self.wrap_pending = False

    def text(self):
        return "\n".join("".join(r).rstrip() for r in self.cells)

    def _scroll_up(self, n=1):
        for _ in range(n):
            del self.cells[self.top]
            self.cells.insert(self.bottom, [" "] * self.cols)

    def _scroll_down(self, n=1):
        for _ in range(n):
            del self.cells[self.bottom]
            self.cells.insert(self.top, [" "] * self.cols)

    def _linefeed(self):
        if self.y == self.bottom:
            self._scroll_up()
        elif self.y < self.rows - 1:
            self.y += 1

    def _put(self, ch):
        if self.wrap_pending:
            self.wrap_pending = False
            self.x = 0
            self._linefeed()
        self.cells[self.y][self.x] = ch
        self.last = ch
        if self.x == self.cols - 1:
            self.wrap_pending = True
        else:
            self.x += 1

    def _clamp(self):
        self.y = max(0, min(self.rows - 1, self.y))
        self.x = max(0, min(self.cols - 1, self.x))
        self.wrap_pending = False

    def feed(self, data):
        for ch in self.dec.decode(data):
            st = self.state
            if st == "text":
                o = ord(ch)
                if ch == "\x1b":
                    self.state, self.seq = "esc", ""
                elif o >= 0x20 and o != 0x7F:
                    self._put(ch)
                elif ch == "\r":
                    self.x, self.wrap_pending = 0, False
                elif ch in "\n\x0b\x0c":
                    self.wrap_pending = False
                    self._linefeed()
                elif ch == "\b":
                    self.x, self.wrap_pending = max(0, self.x - 1), False
                elif ch == "\t":
                    self.x, self.wrap_pending = min(self.cols - 1, (self.x // 8 + 1) * 8), False
            elif st == "esc":
                if ch == "[":
                    self.state, self.seq = "csi", ""
                elif ch in "]PX^_":
                    self.state = "string"
                elif ch in "()*+#%":
                    self.state = "charset"
                else:
                    self.state = "text"
                    if ch == "7":
                        self.saved = (self.y, self.x)
                    elif ch == "8":
                        self.y, self.x = self.saved
                        self._clamp()
                    elif ch == "D":
                        self._linefeed()
                    elif ch == "E":
                        self.x = 0
                        self._linefeed()
                    elif ch == "M":
                        if self.y == self.top:
                            self._scroll_down()
                        elif self.y > 0:
                            self.y -= 1
                    elif ch == "c":
                        self.reset()
            elif st == "charset":
                self.state = "text"
            elif st == "string":
                if ch == "\x07":
                    self.state = "text"
                elif ch == "\x1b":
                    self.state = "string-esc"
            elif st == "string-esc":
                self.state = "text" if ch == "\\" else "string"
            elif st == "csi":
                if "\x40" <= ch <= "\x7e":
                    self.state = "text"
                    self._csi(self.seq, ch)
                else:
                    self.seq += ch

    def _csi(self, seq, final):
        priv = seq[:1] if seq[:1] in "?>=<" else ""
        body = seq[len(priv):]
        try:
            ps = [int(p) if p else 0 for p in body.split(";")] if body else []
        except ValueError:
            ps = []

        def p(i, d=1):
            return ps[i] if len(ps) > i and ps[i] else d

        if final == "m":
            return
        if final in "hl":
            if priv == "?" and any(v in (47, 1047, 1049) for v in ps):
                self.reset()
            return
        if final == "c":
            self.replies.append(b"\x1b[>0;0;0c" if priv == ">" else b"\x1b[?62;22c")
            return
        if final == "n":
            if p(0, 0) == 6:
                self.replies.append(b"\x1b[%d;%dR" % (self.y + 1, self.x + 1))
            elif p(0, 0) == 5:
                self.replies.append(b"\x1b[0n")
            return
        if priv:
            return
        if final == "A":
            self.y -= p(0)
        elif final == "B" or final == "e":
            self.y += p(0)
        elif final == "C" or final == "a":
            self.x += p(0)
        elif final == "D":
            self.x -= p(0)
        elif final == "E":
            self.y, self.x = self.y + p(0), 0
        elif final == "F":
            self.y, self.x = self.y - p(0), 0
        elif final == "G" or final == "`":
            self.x = p(0) - 1
        elif final == "d":
            self.y = p(0) - 1
        elif final in "Hf":
            self.y, self.x = p(0) - 1, p(1) - 1
        elif final == "J":
            m = p(0, 0)
            if m == 0:
                self.cells[self.y][self.x:] = [" "] * (self.cols - self.x)
                for r in range(self.y + 1, self.rows):
                    self.cells[r] = [" "] * self.cols
            elif m == 1:
                self.cells[self.y][: self.x + 1] = [" "] * (self.x + 1)
                for r in range(0, self.y):
                    self.cells[r] = [" "] * self.cols
            else:
                self.cells = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "K":
            m = p(0, 0)
            row = self.cells[self.y]
            if m == 0:
                row[self.x:] = [" "] * (self.cols - self.x)
            elif m == 1:
                row[: self.x + 1] = [" "] * (self.x + 1)
            else:
                self.cells[self.y] = [" "] * self.cols
        elif final == "X":
            n = min(p(0), self.cols - self.x)
            self.cells[self.y][self.x:self.x + n] = [" "] * n
        elif final == "P":
            row = self.cells[self.y]
            n = min(p(0), self.cols - self.x)
            del row[self.x:self.x + n]
            row.extend([" "] * n)
        elif final == "@":
            row = self.cells[self.y]
            n = min(p(0), self.cols - self.x)
            for _ in range(n):
                row.insert(self.x, " ")
            del row[self.cols:]
        elif final == "L" or final == "M":
            if self.top <= self.y <= self.bottom:
                saved_top = self.top
                self.top = self.y
                (self._scroll_down if final == "L" else self._scroll_up)(p(0))
                self.top = saved_top
        elif final == "S":
            self._scroll_up(p(0))
        elif final == "T":
            self._scroll_down(p(0))
        elif final == "r":
            self.top = p(0) - 1
            self.bottom = (p(1, self.rows)) - 1
            if not 0 <= self.top < self.bottom < self.rows:
                self.top, self.bottom = 0, self.rows - 1
            self.y = self.x = 0
        elif final == "b":
            for _ in range(p(0)):
                self._put(self.last)
            return
        elif final == "s":
            self.saved = (self.y, self.x)
            return
        elif final == "u":
            self.y, self.x = self.saved
        self._clamp()


# ---- the dashboard on a pseudo-terminal --------------------------------------------


class Dashboard:
    def __init__(self, argv, rows, cols, env):
        self.screen = Screen(rows, cols)
        self.t_start = now_ms()
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        self.first_byte = None
        self.bytes = 0

    def read(self, timeout_ms):
        """Reads what is there within timeout_ms; returns (bytes, time of the last byte)."""
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout_ms) / 1000.0)
        if not r:
            return b"", None
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            raise EOFError("the dashboard closed its terminal")
        if not data:
            raise EOFError("the dashboard closed its terminal")
        t = now_ms()
        if self.first_byte is None:
            self.first_byte = t
        self.bytes += len(data)
        self.screen.feed(data)
        for reply in self.screen.replies:
            os.write(self.fd, reply)
        self.screen.replies.clear()
        return data, t

    def until_quiet(self, quiet_ms, limit_ms):
        """Reads until quiet_ms pass without output; returns the time of the last byte
        (None when nothing came) and whether the limit was hit first."""
        last = None
        t_end = now_ms() + limit_ms
        while True:
            left = t_end - now_ms()
            if left <= 0:
                return last, True
            data, t = self.read(min(quiet_ms, left))
            if not data:
                if now_ms() >= t_end:
                    return last, True
                return last, False
            last = t

    def until_text(self, pred, limit_ms):
        """Reads until pred(screen text) holds; returns the time of the byte that made
        it hold, or None on the limit."""
        t_end = now_ms() + limit_ms
        if pred(self.screen.text()):
            return now_ms()
        while now_ms() < t_end:
            data, t = self.read(t_end - now_ms())
            if data and pred(self.screen.text()):
                return t
        return None

    def send(self, keys):
        t = now_ms()
        os.write(self.fd, keys)
        return t

    def hwm_kib(self):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        t_end = now_ms() + 3000
        while now_ms() < t_end:
            try:
                self.read(50)
            except EOFError:
                break
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


# ---- the log flood ------------------------------------------------------------------


def start_writer(run_dir, lines_per_s, counter_path):
    """Forks a process appending lines_per_s lines per second to run_dir/log.txt and
    as many "log" events to run_dir/events.jsonl, in batches every 10 ms, until
    killed; it writes its count to counter_path on SIGTERM."""
    pid = os.fork()
    if pid:
        return pid
    done = [False]

    def stop(_sig, _frm):
        done[0] = True

    signal.signal(signal.SIGTERM, stop)
    log = open(os.path.join(run_dir, "log.txt"), "ab", buffering=0)
    ev = open(os.path.join(run_dir, "events.jsonl"), "ab", buffering=0)
    batch = max(1, lines_per_s // 100)
    n = 0
    t0 = time.monotonic()
    while not done[0]:
        text, events = [], []
        for _ in range(batch):
            n += 1
            line = "flood %08d: encoding frame %d of point %d, %d bits, qp %d" % (
                n, n % 300, n % 4, (n * 7919) % 100000, 22 + n % 16)
            text.append(line)
            events.append(json.dumps({"t": time.time(), "event": "log", "level": "info",
                                      "text": line}))
        log.write(("\n".join(text) + "\n").encode())
        ev.write(("\n".join(events) + "\n").encode())
        # Keep the rate: the batch is due at n / lines_per_s seconds.
        delay = t0 + n / lines_per_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    with open(counter_path, "w") as f:
        f.write("%d %.3f\n" % (n, time.monotonic() - t0))
    os._exit(0)


def pct(values, q):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cb", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--flood-run", required=True, help="ID:RUN_DIR of the fake running run")
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--flood-keys", type=int, default=40)
    ap.add_argument("--rate", type=int, default=10000, help="flood lines per second")
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--work", default="/tmp")
    a = ap.parse_args()
    flood_id, flood_dir = a.flood_run.split(":", 1)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "NO_COLOR", "TMUX"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", ESCDELAY="25")
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    out = {}
    db = Dashboard([a.cb, "--store", a.store], a.rows, a.cols, env)
    try:
        # First screen: the table (synthetic recipe names) shown and quiet.
        table = re.compile(r"synthetic-\d")
        t_table = db.until_text(lambda s: table.search(s) is not None, 30000)
        if t_table is None:
            print("error no table on the screen after 30 s; the screen:", file=sys.stderr)
            print(db.screen.text(), file=sys.stderr)
            return 1
        last, _ = db.until_quiet(QUIET_MS * 2.5, 5000)
        out["first_byte_ms"] = db.first_byte - db.t_start
        out["first_table_ms"] = t_table - db.t_start
        out["first_screen_ms"] = (last or t_table) - db.t_start

        # Key latency: j on the runs list.
        lat, noreply = [], 0
        for _ in range(a.keys):
            db.until_quiet(QUIET_MS, 2000)
            t0 = db.send(b"j")
            last, _ = db.until_quiet(QUIET_MS, 2000)
            if last is None:
                noreply += 1
            else:
                lat.append(last - t0)
        out["key_median_ms"] = statistics.median(lat) if lat else float("nan")
        out["key_p95_ms"] = pct(lat, 0.95)
        out["key_max_ms"] = max(lat) if lat else float("nan")
        out["key_noreply"] = noreply
        out["key_presses"] = a.keys

        # The flood: filter the list down to the fake run (the only running
        # one), open its log.
        db.until_quiet(QUIET_MS, 2000)
        db.send(b"/")
        db.until_quiet(QUIET_MS * 2, 2000)
        db.send(b"\x7f" * 40 + b"status:running\r")
        db.until_quiet(QUIET_MS * 2, 3000)
        db.send(b"l")
        db.until_quiet(QUIET_MS * 2, 3000)
        counter = os.path.join(a.work, "tui-flood.count")
        wpid = start_writer(flood_dir, a.rate, counter)
        try:
            flood_seen = db.until_text(lambda s: "flood 0" in s, 10000)
            out["flood_shown"] = 1 if flood_seen is not None else 0
            help_marks = ("Quit codecbench", "Show the keys of this view")

            def has_help(s):
                return any(m in s for m in help_marks)

            opened, closed, misses = [], [], 0
            for _ in range(a.flood_keys):
                time.sleep(0.05)
                t0 = db.send(b"?")
                t = db.until_text(has_help, 2000)
                if t is None:
                    misses += 1
                    db.send(b"h")
                    db.until_text(lambda s: not has_help(s), 2000)
                    continue
                opened.append(t - t0)
                time.sleep(0.05)
                t0 = db.send(b"h")
                t = db.until_text(lambda s: not has_help(s), 2000)
                if t is None:
                    misses += 1
                else:
                    closed.append(t - t0)
            both = opened + closed
            out["flood_median_ms"] = statistics.median(both) if both else float("nan")
            out["flood_p95_ms"] = pct(both, 0.95)
            out["flood_max_ms"] = max(both) if both else float("nan")
            out["flood_misses"] = misses
            out["flood_presses"] = 2 * a.flood_keys
        finally:
            os.kill(wpid, signal.SIGTERM)
            os.waitpid(wpid, 0)
        try:
            with open(counter) as f:
                n, secs = f.read().split()
            out["flood_lines"] = int(n)
            out["flood_rate"] = int(n) / float(secs)
            os.unlink(counter)
        except (OSError, ValueError):
            out["flood_lines"] = 0
            out["flood_rate"] = 0
        db.until_quiet(QUIET_MS, 3000)
        hwm = db.hwm_kib()
        out["rss_hwm_mib"] = hwm / 1024.0 if hwm else float("nan")
        out["output_bytes"] = db.bytes
    except EOFError as e:
        print("error %s; the screen:" % e, file=sys.stderr)
        print(db.screen.text(), file=sys.stderr)
        return 1
    finally:
        db.stop()
    for k, v in out.items():
        print("%s %s" % (k, ("%.2f" % v) if isinstance(v, float) else v))
    return 0


if __name__ == "__main__":
    sys.exit(main())

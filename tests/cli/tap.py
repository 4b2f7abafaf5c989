"""A small TAP producer for Python tests (imported by tests/cli/*.py)."""
import os
import shutil
import sys
import tempfile

_n = 0
_failed = 0
CB_BIN = os.environ.get("CB_BIN", "codecbench")
CB_CLIPS = os.environ.get("CB_CLIPS", "")
FFMPEG = os.environ.get("FFMPEG", "") or shutil.which("ffmpeg") or ""


def ok(cond, name, diag=""):
    global _n, _failed
    _n += 1
    if cond:
        print(f"ok {_n} - {name}")
    else:
        _failed += 1
        print(f"not ok {_n} - {name}")
        for line in str(diag).splitlines():
            print(f"# {line}")
    sys.stdout.flush()
    return cond


def skip(name, reason):
    global _n
    _n += 1
    print(f"ok {_n} - {name} # SKIP {reason}")


def skip_all(reason):
    print(f"1..0 # SKIP {reason}")
    sys.exit(0)


def done():
    print(f"1..{_n}")
    sys.exit(0)


def tmpdir():
    d = tempfile.mkdtemp(prefix="cbtest.")
    import atexit
    atexit.register(shutil.rmtree, d, True)
    return d

# A fake frame server for tests/unit/test_preview_frames.c: speaks (or
# breaks) the protocol of include/codecbench/worker.h on stdin/stdout.
#   fake_frames_server.py MODE frames RUN_DIR --rate R
# RUN_DIR is a scratch folder: requests are logged to RUN_DIR/requests.log,
# the largest number of requests seen waiting at once to RUN_DIR/pending.log,
# what the process inherited to RUN_DIR/fds.log.
# Frames are 21x11 (chroma 11x6), 50 of them; frame i has source Y = i,
# U = 100, V = 200, reconstruction Y = i + 1, and 3x2 blocks with kind
# i % 3, size 8, mvx = i, mvy = -i.  Frame 13 fails with a reason.
import os, select, struct, sys, time

mode = sys.argv[1]
run_dir = sys.argv[3]
W, H, N = 21, 11, 50
CW, CH = 11, 6
MAGIC = 0x52464243
out = sys.stdout.buffer

def hello(status=0, w=W, h=H, n=N, engine=1, msg=b'', magic=MAGIC, version=1, rate=None):
    rate = int(sys.argv[5]) if rate is None else rate
    out.write(struct.pack('=IIiiiiiiI', magic, version, status, w, h, n, rate, engine, len(msg)) + msg)
    out.flush()

def reply(index, status=0, msg=b'', bc=3, br=2, kind=None, index_out=None):
    if status < 0:
        out.write(struct.pack('=IiiiIiiII', MAGIC, status, index, 0, 0, 0, 0, 5, len(msg)) + msg)
        out.flush()
        return
    head = struct.pack('=IiiiIiiII', MAGIC, 0, index if index_out is None else index_out,
                       ord('P') if index else ord('I'), 1000 + index, bc, br, 1234, len(msg))
    src = bytes([index % 256]) * (W * H) + bytes([100]) * (CW * CH) + bytes([200]) * (CW * CH)
    rec = bytes([(index + 1) % 256]) * (W * H) + bytes([100]) * (CW * CH) + bytes([200]) * (CW * CH)
    blk = b''.join(struct.pack('=BBBBii', index % 3 if kind is None else kind, 8, 0, 1, index, -index)
                   for _ in range(bc * br))
    out.write(head + src + rec + blk + msg)
    out.flush()

def log(name, text):
    with open(os.path.join(run_dir, name), 'a') as f:
        f.write(text + '\n')

if mode == 'junk':
    out.write(b'this is not a frame server, only some text printed by mistake....\n')
    out.flush()
    time.sleep(30)
    sys.exit(0)
if mode == 'sleep':
    time.sleep(30)
    sys.exit(0)
if mode == 'exit3':
    sys.exit(3)
if mode == 'hugedim':
    hello(w=100000)
    time.sleep(30)
    sys.exit(0)
if mode == 'wrongrate':
    hello(rate=99)
    time.sleep(30)
    sys.exit(0)
if mode == 'version2':
    hello(version=2)
    time.sleep(30)
    sys.exit(0)
if mode == 'failhello':
    hello(status=-10, w=0, h=0, n=0, engine=0, msg=b'/nowhere/run.json: No such file or directory')
    sys.exit(1)
if mode == 'hellothenexit':
    hello()
    sys.exit(0)
if mode == 'fds':
    leak = int(os.environ.get('CB_TEST_LEAK_FD', '-1'))
    try:
        os.fstat(leak)
        log('fds.log', 'leaked')
    except OSError:
        log('fds.log', 'closed')
    log('fds.log', 'stderr ' + os.readlink('/proc/self/fd/2'))

hello()
buf = b''
pending = []
maxpend = 0
stdin = sys.stdin.buffer.raw
while True:
    # Collect every request already waiting, then answer the oldest.
    while True:
        r, _, _ = select.select([stdin], [], [], 0 if pending else None)
        if not r:
            break
        data = os.read(stdin.fileno(), 4096)
        if not data:
            if not pending:
                sys.exit(0)
            break
        buf += data
        while b'\n' in buf:
            line, buf = buf.split(b'\n', 1)
            pending.append(int(line))
            log('requests.log', line.decode())
    if not pending:
        continue
    maxpend = max(maxpend, len(pending))
    with open(os.path.join(run_dir, 'pending.log'), 'w') as f:
        f.write('%d\n' % maxpend)
    i = pending.pop(0)
    if mode == 'slow':
        time.sleep(0.05)
    if mode == 'badindex':
        reply(i, index_out=i + 1)
    elif mode == 'hugemsg':
        out.write(struct.pack('=IiiiIiiII', MAGIC, -4, i, 0, 0, 0, 0, 5, 5000))
        out.flush()
    elif mode == 'badblocks':
        reply(i, kind=9)
    elif mode == 'badgrid':
        reply(i, bc=4, br=2)
    elif i == 13:
        reply(i, status=-4, msg=b'frame 13: corrupt packet')
    elif i < 0 or i >= N:
        reply(i, status=-8, msg=b'out of range')
    else:
        reply(i)

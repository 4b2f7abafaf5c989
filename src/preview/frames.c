/* codecbench: the frame client (see codecbench/preview.h): a frame server
 * child (`codecbench frames`, codecbench/worker.h) on one end of a socket
 * pair, a cache of the frames it sent, and prefetch of the next ones.
 *
 * The child's bytes are hostile: every size in the hello and the replies is
 * checked against the hello's frame size and CB_FRAMES_MSG_MAX before
 * anything is allocated or copied, and replies must answer the requests in
 * the order they were sent.  Nothing here blocks except cb_frames_wait()
 * (up to its timeout) and cb_frames_close() (up to 1 s before SIGKILL). */
#define _GNU_SOURCE /* pipe2, syscall (close_range) */
#include "config.h"

#include "codecbench/preview.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/worker.h"

/* Requests sent and not yet answered: the wanted frame may go beyond
 * PREFETCH_INFLIGHT, prefetch only below it. */
#define MAX_INFLIGHT 3
#define PREFETCH_INFLIGHT 2
#define CACHE_DEFAULT 12
#define CACHE_MIN 2
#define CACHE_MAX 256
#define PREFETCH_DEFAULT 4
/* Largest frame count a hello may state (that of result.json's rows). */
#define FRAMES_MAX 1000000
/* How long cb_frames_close() lets the server end by itself. */
#define CLOSE_GRACE_MS 1000

typedef enum { ST_HELLO, ST_HELLO_MSG, ST_REPLY, ST_PAYLOAD } RxState;

typedef struct Entry {
    int used;            /* holds a frame (or, with failed, a reason) */
    int failed;
    uint64_t stamp;      /* last use, for LRU */
    CbFramePair pair;    /* !failed */
    CbError reason;      /* failed */
} Entry;

struct CbFrames {
    pid_t pid;           /* > 0 until reaped */
    int fd;              /* our end of the socket pair, -1 once closed */
    char *what;          /* "frame server EXE RUN_DIR --rate R", for errors */
    int dead;            /* 1: rc and dead_err are final */
    int dead_rc;
    CbError dead_err;
    /* The hello. */
    int have_hello;
    int width, height, frames, engine;
    size_t frame_bytes;
    int bcols, brows;
    /* Receiving. */
    RxState st;
    uint8_t hdr[sizeof(CbFramesHello) > sizeof(CbFramesReply) ? sizeof(CbFramesHello)
                                                               : sizeof(CbFramesReply)];
    size_t hdr_len;
    CbFramesHello hello;
    CbFramesReply reply;
    uint8_t *rx;         /* payload of the reply (or the hello's reason) */
    size_t rx_cap, rx_len, rx_need;
    /* Requests. */
    int inflight[MAX_INFLIGHT];
    int n_inflight;
    int want;            /* most recently wanted index, -1 before */
    int rate;            /* the rate point asked for (the hello must say it) */
    int prefetch;
    /* Cache. */
    Entry *cache;
    int cache_n;
    uint64_t clock;
};

/* ---- the child --------------------------------------------------------------- */

static int set_cloexec_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void child_exec(int sock, int devnull, int errpipe, const char *exe, char *const argv[],
                       long max_fd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* Move the three out of the way of 0..3 first (the caller's standard
     * descriptors may have been closed, so they may sit there). */
    if ((sock = fcntl(sock, F_DUPFD_CLOEXEC, 10)) < 0 ||
        (devnull = fcntl(devnull, F_DUPFD_CLOEXEC, 10)) < 0 ||
        (errpipe = fcntl(errpipe, F_DUPFD_CLOEXEC, 10)) < 0)
        goto fail;
    if (dup2(sock, STDIN_FILENO) < 0 || dup2(sock, STDOUT_FILENO) < 0 ||
        dup2(devnull, STDERR_FILENO) < 0 || dup2(errpipe, 3) < 0 ||
        fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
        goto fail;
    errpipe = 3;
    /* Everything else the parent has open stays behind (the dashboard's
     * store, sockets, terminal), whether it was close-on-exec or not. */
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 4u, ~0u, 0u) != 0)
#endif
        for (long fd = 4; fd < max_fd; fd++)
            close((int)fd);
    execv(exe, argv);
fail:;
    int e = errno;
    ssize_t w = write(errpipe, &e, sizeof e);
    (void)w;
    _exit(127);
}

/* Reaps the child if it has ended; 1 when reaped (status in *status). */
static int try_reap(CbFrames *f, int *status)
{
    if (f->pid <= 0)
        return 0;
    pid_t r;
    do
        r = waitpid(f->pid, status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == f->pid || (r < 0 && errno == ECHILD)) {
        if (r < 0)
            *status = -1;
        f->pid = -1;
        return 1;
    }
    return 0;
}

/* The client is dead from here on: the server is ended at once (it broke
 * the protocol, refused to start or ended already) and reaped when it has
 * gone; cb_frames_close() reaps it otherwise. */
static int die(CbFrames *f, int rc, CbError *err)
{
    f->dead = 1;
    f->dead_rc = rc;
    f->dead_err.code = rc;
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    if (f->pid > 0) {
        int status;
        kill(f->pid, SIGKILL);
        try_reap(f, &status);
    }
    if (err)
        *err = f->dead_err;
    return rc;
}

/* The server ended or sent bytes outside the protocol: the client is dead. */
static int fail(CbFrames *f, int rc, CbError *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(CbFrames *f, int rc, CbError *err, const char *fmt, ...)
{
    char text[CB_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cb_error_set(&f->dead_err, rc, "%s: %s", f->what, text);
    return die(f, rc, err);
}

static void status_text(int status, char *buf, size_t size)
{
    if (status == -1)
        snprintf(buf, size, "ended");
    else if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, size, "ended");
}

/* ---- the cache ---------------------------------------------------------------- */

static void entry_clear(Entry *e)
{
    cb_frame_free(&e->pair.source);
    cb_frame_free(&e->pair.recon);
    free(e->pair.blocks);
    memset(e, 0, sizeof *e);
}

static Entry *find(const CbFrames *f, int index)
{
    for (int i = 0; i < f->cache_n; i++) {
        Entry *e = &f->cache[i];
        if (e->used && e->pair.index == index)
            return e;
    }
    return NULL;
}

/* Whether index is in the window the client wants now: the wanted frame and
 * the prefetch after it. */
static int in_window(const CbFrames *f, int index)
{
    return f->want >= 0 && index >= f->want && index <= f->want + f->prefetch;
}

/* A slot for a new entry of index: a free one, else the least recently used
 * one outside the window, else (for a frame in the window) the least
 * recently used one in it other than the wanted frame; NULL: drop it. */
static Entry *slot_for(CbFrames *f, int index)
{
    Entry *best = NULL;
    for (int pass = 0; pass < 2 && !best; pass++) {
        if (pass == 1 && !in_window(f, index))
            break;
        for (int i = 0; i < f->cache_n; i++) {
            Entry *e = &f->cache[i];
            if (!e->used)
                return e;
            int idx = e->pair.index;
            if (idx == f->want || (pass == 0 && in_window(f, idx)))
                continue;
            if (!best || e->stamp < best->stamp)
                best = e;
        }
    }
    if (best)
        entry_clear(best);
    return best;
}

static int in_flight(const CbFrames *f, int index)
{
    for (int i = 0; i < f->n_inflight; i++)
        if (f->inflight[i] == index)
            return 1;
    return 0;
}

/* ---- requests ------------------------------------------------------------------ */

static int send_request(CbFrames *f, int index, CbError *err)
{
    char line[16];
    int n = snprintf(line, sizeof line, "%d\n", index);
    if (n < 0 || (size_t)n >= sizeof line)
        return cb_error_set(err, CB_EINVAL, "frame %d", index);
    /* A few bytes with at most MAX_INFLIGHT requests outstanding: the
     * socket's buffer always has room, so a short write means the server is
     * not reading at all.  MSG_NOSIGNAL: a dead server gives EPIPE, never
     * SIGPIPE in the caller. */
    ssize_t w;
    do
        w = send(f->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (w < 0 && errno == EINTR);
    if (w < 0 && errno == EPIPE) {
        int status;
        char how[64] = "closed its input";
        if (try_reap(f, &status))
            status_text(status, how, sizeof how);
        return fail(f, CB_EIO, err, "%s", how);
    }
    if (w != n)
        return fail(f, CB_EIO, err, "cannot send a request: %s",
                    w < 0 ? strerror(errno) : "the server does not read them");
    f->inflight[f->n_inflight++] = index;
    return CB_OK;
}

/* Sends what the window lacks: the wanted frame first (even with prefetch
 * requests outstanding), then prefetch while fewer than PREFETCH_INFLIGHT
 * requests are. */
static int schedule(CbFrames *f, CbError *err)
{
    if (!f->have_hello || f->dead || f->want < 0)
        return CB_OK;
    for (int k = 0; k <= f->prefetch; k++) {
        int idx = f->want + k;
        if (idx >= f->frames)
            break;
        if (find(f, idx) || in_flight(f, idx))
            continue;
        int limit = k == 0 ? MAX_INFLIGHT : PREFETCH_INFLIGHT;
        if (f->n_inflight >= limit)
            break;
        int rc = send_request(f, idx, err);
        if (rc < 0)
            return rc;
    }
    return CB_OK;
}

/* ---- receiving ------------------------------------------------------------------ */

static int rx_reserve(CbFrames *f, size_t need, CbError *err)
{
    if (need > f->rx_cap) {
        uint8_t *p = realloc(f->rx, need);
        if (!p)
            return fail(f, CB_ENOMEM, err, "out of memory for a reply of %zu bytes", need);
        f->rx = p;
        f->rx_cap = need;
    }
    f->rx_len = 0;
    f->rx_need = need;
    return CB_OK;
}

static int hello_done(CbFrames *f, CbError *err)
{
    const CbFramesHello *h = &f->hello;
    if (h->magic != CB_FRAMES_MAGIC)
        return fail(f, CB_EFORMAT, err, "not a frame server (bad magic 0x%08x)", h->magic);
    if (h->version != CB_FRAMES_VERSION)
        return fail(f, CB_EFORMAT, err, "protocol version %u, this client speaks %d", h->version,
                    CB_FRAMES_VERSION);
    if (h->msg_len > CB_FRAMES_MSG_MAX)
        return fail(f, CB_EFORMAT, err, "hello announces a %u-byte reason (at most %d)",
                    h->msg_len, CB_FRAMES_MSG_MAX);
    if (h->status < 0) {
        if (h->status < -100)
            return fail(f, CB_EFORMAT, err, "hello with status %d", h->status);
        f->st = ST_HELLO_MSG;
        return rx_reserve(f, h->msg_len, err);
    }
    if (h->status != 0 || h->msg_len != 0)
        return fail(f, CB_EFORMAT, err, "hello with status %d and %u bytes of reason",
                    h->status, h->msg_len);
    if (h->width < 1 || h->width > CB_FRAME_MAX_DIM || h->height < 1 ||
        h->height > CB_FRAME_MAX_DIM || h->frames < 1 || h->frames > FRAMES_MAX ||
        (h->engine != 0 && h->engine != 1) || h->rate != f->rate)
        return fail(f, CB_EFORMAT, err, "hello states %dx%d, %d frames, engine %d, rate %d",
                    h->width, h->height, h->frames, h->engine, h->rate);
    f->width = h->width;
    f->height = h->height;
    f->frames = h->frames;
    f->engine = h->engine;
    f->frame_bytes = (size_t)h->width * (size_t)h->height +
                     2 * (size_t)cb_plane_width(h->width, 1) * (size_t)cb_plane_height(h->height, 1);
    f->bcols = (h->width + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID;
    f->brows = (h->height + CB_BLOCK_GRID - 1) / CB_BLOCK_GRID;
    f->have_hello = 1;
    f->st = ST_REPLY;
    return schedule(f, err);
}

static int hello_msg_done(CbFrames *f, CbError *err)
{
    int n = (int)f->rx_len;
    for (int i = 0; i < n; i++)
        if (f->rx[i] < 0x20 || f->rx[i] == 0x7f)
            f->rx[i] = '?';
    if (n > 0)
        cb_error_set(&f->dead_err, f->hello.status, "%.*s", n, (const char *)f->rx);
    else
        cb_error_set(&f->dead_err, f->hello.status, "%s: cannot serve: %s", f->what,
                     cb_strerror(f->hello.status));
    return die(f, f->hello.status, err);
}

static int reply_done(CbFrames *f, CbError *err)
{
    const CbFramesReply *r = &f->reply;
    if (r->magic != CB_FRAMES_MAGIC)
        return fail(f, CB_EFORMAT, err, "reply with a bad magic (0x%08x)", r->magic);
    if (f->n_inflight == 0)
        return fail(f, CB_EFORMAT, err, "a reply to no request (frame %d)", r->index);
    if (r->index != f->inflight[0])
        return fail(f, CB_EFORMAT, err, "reply for frame %d, frame %d was asked for", r->index,
                    f->inflight[0]);
    if (r->msg_len > CB_FRAMES_MSG_MAX)
        return fail(f, CB_EFORMAT, err, "frame %d: a %u-byte reason (at most %d)", r->index,
                    r->msg_len, CB_FRAMES_MSG_MAX);
    if (r->status < 0) {
        if (r->status < -100)
            return fail(f, CB_EFORMAT, err, "frame %d: status %d", r->index, r->status);
        f->st = ST_PAYLOAD;
        return rx_reserve(f, r->msg_len, err);
    }
    if (r->status != 0)
        return fail(f, CB_EFORMAT, err, "frame %d: status %d", r->index, r->status);
    if (r->type != 0 && r->type != 'I' && r->type != 'P' && r->type != 'B')
        return fail(f, CB_EFORMAT, err, "frame %d: type %d", r->index, r->type);
    int bc = f->engine ? f->bcols : 0, br = f->engine ? f->brows : 0;
    if (r->block_cols != bc || r->block_rows != br)
        return fail(f, CB_EFORMAT, err, "frame %d: %dx%d blocks, the %dx%d clip has %dx%d",
                    r->index, r->block_cols, r->block_rows, f->width, f->height, bc, br);
    size_t need = 2 * f->frame_bytes + (size_t)bc * (size_t)br * sizeof(CbBlockInfo) +
                  r->msg_len;
    f->st = ST_PAYLOAD;
    return rx_reserve(f, need, err);
}

static void unpack_frame(CbFrame *dst, const uint8_t *src)
{
    size_t k = 0;
    for (int p = 0; p < 3; p++) {
        int pw = cb_plane_width(dst->width, p), ph = cb_plane_height(dst->height, p);
        for (int y = 0; y < ph; y++) {
            memcpy(dst->data[p] + (ptrdiff_t)y * dst->stride[p], src + k, (size_t)pw);
            k += (size_t)pw;
        }
    }
}

static void drop_inflight(CbFrames *f)
{
    memmove(f->inflight, f->inflight + 1, sizeof f->inflight[0] * (size_t)(f->n_inflight - 1));
    f->n_inflight--;
}

static int payload_done(CbFrames *f, CbError *err)
{
    const CbFramesReply *r = &f->reply;
    int index = r->index;
    drop_inflight(f);
    f->st = ST_REPLY;
    Entry *e = slot_for(f, index);
    if (!e) /* a stale prefetch with no room left: dropped */
        return schedule(f, err);
    e->used = 1;
    e->stamp = ++f->clock;
    e->pair.index = index;
    if (r->status < 0) {
        int n = (int)f->rx_len;
        for (int i = 0; i < n; i++)
            if (f->rx[i] < 0x20 || f->rx[i] == 0x7f)
                f->rx[i] = '?';
        e->failed = 1;
        cb_error_set(&e->reason, r->status, "%.*s", n, (const char *)f->rx);
        if (e->reason.code == 0)
            e->reason.code = r->status;
        return schedule(f, err);
    }
    size_t nb = (size_t)r->block_cols * (size_t)r->block_rows;
    const uint8_t *b = f->rx + 2 * f->frame_bytes;
    for (size_t i = 0; i < nb; i++) {
        CbBlockInfo bi;
        memcpy(&bi, b + i * sizeof bi, sizeof bi);
        if (bi.kind > CB_BLOCK_SKIP || (bi.size != 8 && bi.size != 16) || bi.mode > 5 ||
            bi.cbf > 1) {
            entry_clear(e);
            return fail(f, CB_EFORMAT, err, "frame %d: block %zu: kind %u, size %u, mode %u, "
                                            "cbf %u",
                        index, i, bi.kind, bi.size, bi.mode, bi.cbf);
        }
    }
    if (cb_frame_alloc(&e->pair.source, f->width, f->height) < 0 ||
        cb_frame_alloc(&e->pair.recon, f->width, f->height) < 0 ||
        (nb && !(e->pair.blocks = malloc(nb * sizeof *e->pair.blocks)))) {
        entry_clear(e);
        return fail(f, CB_ENOMEM, err, "out of memory for frame %d", index);
    }
    unpack_frame(&e->pair.source, f->rx);
    unpack_frame(&e->pair.recon, f->rx + f->frame_bytes);
    if (nb)
        memcpy(e->pair.blocks, b, nb * sizeof *e->pair.blocks);
    e->pair.source.index = e->pair.recon.index = index;
    e->pair.recon.type = (char)r->type;
    e->pair.type = r->type;
    e->pair.packet_bytes = r->packet_bytes;
    e->pair.block_cols = r->block_cols;
    e->pair.block_rows = r->block_rows;
    e->pair.decode_ms = r->decode_us / 1000.0;
    return schedule(f, err);
}

/* Feeds n bytes from the socket through the state machine; 1 when a hello
 * or reply completed, 0 otherwise, or the failure. */
static int feed(CbFrames *f, const uint8_t *p, size_t n, CbError *err)
{
    int got = 0;
    while (n > 0 && !f->dead) {
        if (f->st == ST_HELLO || f->st == ST_REPLY) {
            size_t want = f->st == ST_HELLO ? sizeof(CbFramesHello) : sizeof(CbFramesReply);
            size_t k = want - f->hdr_len < n ? want - f->hdr_len : n;
            memcpy(f->hdr + f->hdr_len, p, k);
            f->hdr_len += k;
            p += k;
            n -= k;
            if (f->hdr_len < want)
                break;
            f->hdr_len = 0;
            int rc;
            if (f->st == ST_HELLO) {
                memcpy(&f->hello, f->hdr, sizeof f->hello);
                rc = hello_done(f, err);
                if (rc == CB_OK && f->have_hello)
                    got = 1;
            } else {
                memcpy(&f->reply, f->hdr, sizeof f->reply);
                rc = reply_done(f, err);
            }
            if (rc < 0)
                return rc;
        } else {
            size_t k = f->rx_need - f->rx_len < n ? f->rx_need - f->rx_len : n;
            if (k)
                memcpy(f->rx + f->rx_len, p, k);
            f->rx_len += k;
            p += k;
            n -= k;
        }
        /* A payload may be empty: complete it without waiting for bytes. */
        if ((f->st == ST_HELLO_MSG || f->st == ST_PAYLOAD) && f->rx_len == f->rx_need) {
            int rc = f->st == ST_HELLO_MSG ? hello_msg_done(f, err) : payload_done(f, err);
            if (rc < 0)
                return rc;
            got = 1;
        }
    }
    return got;
}

/* ---- the API ---------------------------------------------------------------------- */

int cb_frames_open(CbFrames **out, const CbFramesOptions *o, CbError *err)
{
    *out = NULL;
    if (!o || !o->run_dir || !o->run_dir[0] || o->rate < 0 || o->rate > 255 ||
        (o->cache != 0 && (o->cache < CACHE_MIN || o->cache > CACHE_MAX)) || o->prefetch < -1)
        return cb_error_set(err, CB_EINVAL, "frames: needs a run directory, a rate 0..255, a "
                                            "cache of %d..%d frames and a prefetch >= -1",
                            CACHE_MIN, CACHE_MAX);
    const char *exe = o->exe ? o->exe : "/proc/self/exe";
    CbFrames *f = calloc(1, sizeof *f);
    int sv[2] = {-1, -1}, ep[2] = {-1, -1}, devnull = -1, rc;
    char rate[16];
    if (!f)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    f->fd = -1;
    f->pid = -1;
    f->want = -1;
    f->rate = o->rate;
    f->cache_n = o->cache ? o->cache : CACHE_DEFAULT;
    f->prefetch = o->prefetch < 0 ? 0 : o->prefetch ? o->prefetch : PREFETCH_DEFAULT;
    /* The window (wanted frame and prefetch) must fit the cache with room
     * for one more, or prefetch would evict its own frames. */
    if (f->prefetch > f->cache_n - 2)
        f->prefetch = f->cache_n - 2;
    snprintf(rate, sizeof rate, "%d", o->rate);
    size_t wl = strlen(exe) + strlen(o->run_dir) + 64;
    if (!(f->what = malloc(wl)) || !(f->cache = calloc((size_t)f->cache_n, sizeof *f->cache))) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(f->what, wl, "frame server (%s frames %s --rate %d)", exe, o->run_dir, o->rate);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
        pipe2(ep, O_CLOEXEC) != 0 || (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: cannot make its pipes: %s", f->what, strerror(errno));
        goto fail;
    }
    char *argv[] = {(char *)exe, "frames", (char *)o->run_dir, "--rate", rate, NULL};
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536)
        max_fd = 65536;
    pid_t pid = fork();
    if (pid < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: fork: %s", f->what, strerror(errno));
        goto fail;
    }
    if (pid == 0)
        child_exec(sv[1], devnull, ep[1], exe, argv, max_fd);
    f->pid = pid;
    close(sv[1]);
    sv[1] = -1;
    close(ep[1]);
    ep[1] = -1;
    close(devnull);
    devnull = -1;
    /* The error pipe closes on exec: a read of 0 bytes means the server
     * runs; an errno means it could not be executed.  This waits for the
     * exec only, not for the server. */
    int e = 0;
    ssize_t n;
    do
        n = read(ep[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close(ep[0]);
    ep[0] = -1;
    if (n > 0) {
        int status;
        while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
            ;
        f->pid = -1;
        rc = cb_error_set(err, CB_EIO, "%s: cannot run it: %s", f->what,
                          n == (ssize_t)sizeof e ? strerror(e) : "exec failed");
        goto fail;
    }
    f->fd = sv[0];
    sv[0] = -1;
    if (set_cloexec_nonblock(f->fd) < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: fcntl: %s", f->what, strerror(errno));
        goto fail;
    }
    f->st = ST_HELLO;
    *out = f;
    return CB_OK;
fail:
    for (int i = 0; i < 2; i++) {
        if (sv[i] >= 0)
            close(sv[i]);
        if (ep[i] >= 0)
            close(ep[i]);
    }
    if (devnull >= 0)
        close(devnull);
    cb_frames_close(&f);
    return rc;
}

int cb_frames_fd(const CbFrames *f)
{
    if (!f || f->dead || f->fd < 0)
        return -1;
    return !f->have_hello || f->n_inflight > 0 ? f->fd : -1;
}

int cb_frames_info(const CbFrames *f, int *width, int *height, int *frames, int *engine,
                   CbError *err)
{
    if (!f)
        return cb_error_set(err, CB_EINVAL, "frames: no client");
    if (f->have_hello) {
        if (width)
            *width = f->width;
        if (height)
            *height = f->height;
        if (frames)
            *frames = f->frames;
        if (engine)
            *engine = f->engine;
        return 1;
    }
    if (f->dead) {
        if (err)
            *err = f->dead_err;
        return f->dead_rc;
    }
    return 0;
}

int cb_frames_want(CbFrames *f, int index, CbError *err)
{
    if (!f)
        return cb_error_set(err, CB_EINVAL, "frames: no client");
    if (f->have_hello && (index < 0 || index >= f->frames))
        return cb_error_set(err, CB_ERANGE, "frame %d: the run has frames 0..%d", index,
                            f->frames - 1);
    if (index < 0)
        return cb_error_set(err, CB_ERANGE, "frame %d", index);
    f->want = index;
    Entry *e = find(f, index);
    if (e) {
        e->stamp = ++f->clock;
        /* Cached: prefetch the frames after it while the caller shows it. */
        if (!f->dead) {
            int rc = schedule(f, err);
            if (rc < 0)
                return rc;
        }
        return 1;
    }
    if (f->dead) {
        if (err)
            *err = f->dead_err;
        return f->dead_rc;
    }
    int rc = schedule(f, err);
    return rc < 0 ? rc : 0;
}

int cb_frames_pump(CbFrames *f, CbError *err)
{
    if (!f)
        return cb_error_set(err, CB_EINVAL, "frames: no client");
    if (f->dead) {
        int status;
        try_reap(f, &status); /* killed by die(): reap it as soon as it has gone */
        if (err)
            *err = f->dead_err;
        return f->dead_rc;
    }
    uint8_t buf[65536];
    int got = 0;
    for (;;) {
        ssize_t n = read(f->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0)
            return fail(f, CB_EIO, err, "read: %s", strerror(errno));
        if (n == 0) {
            int status;
            char how[64] = "closed its output";
            if (try_reap(f, &status))
                status_text(status, how, sizeof how);
            return fail(f, CB_EIO, err, "%s%s", how,
                        f->have_hello ? "" : " before its hello");
        }
        int rc = feed(f, buf, (size_t)n, err);
        if (rc < 0)
            return rc;
        got |= rc;
    }
    return got;
}

const CbFramePair *cb_frames_get(const CbFrames *f, int index)
{
    Entry *e = f ? find(f, index) : NULL;
    return e && !e->failed ? &e->pair : NULL;
}

int cb_frames_error(const CbFrames *f, int index, CbError *err)
{
    Entry *e = f ? find(f, index) : NULL;
    if (!e || !e->failed)
        return 0;
    if (err)
        *err = e->reason;
    return 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cb_frames_wait(CbFrames *f, int index, int timeout_ms, const CbFramePair **out,
                   CbError *err)
{
    if (out)
        *out = NULL;
    if (!f)
        return cb_error_set(err, CB_EINVAL, "frames: no client");
    int64_t end = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int rc = cb_frames_want(f, index, err);
    if (rc < 0)
        return rc;
    for (;;) {
        const CbFramePair *p = cb_frames_get(f, index);
        if (p) {
            if (out)
                *out = p;
            return CB_OK;
        }
        CbError reason;
        if (cb_frames_error(f, index, &reason)) {
            if (err)
                *err = reason;
            return reason.code < 0 ? reason.code : CB_EFORMAT;
        }
        if (f->have_hello && index >= f->frames)
            return cb_error_set(err, CB_ERANGE, "frame %d: the run has frames 0..%d", index,
                                f->frames - 1);
        /* A frame evicted or a reply dropped meanwhile: ask again. */
        if (f->want != index || (f->have_hello && !in_flight(f, index)))
            if ((rc = cb_frames_want(f, index, err)) < 0)
                return rc;
        int64_t left = end - now_ms();
        if (left <= 0)
            return cb_error_set(err, CB_ETIMEOUT, "%s: no %s after %d ms", f->what,
                                f->have_hello ? "frame" : "hello", timeout_ms);
        struct pollfd pfd = {.fd = f->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, (int)(left > INT_MAX ? INT_MAX : left));
        if (pr < 0 && errno != EINTR)
            return cb_error_set(err, CB_EIO, "%s: poll: %s", f->what, strerror(errno));
        if ((rc = cb_frames_pump(f, err)) < 0)
            return rc;
    }
}

void cb_frames_close(CbFrames **fp)
{
    if (!fp || !*fp)
        return;
    CbFrames *f = *fp;
    if (f->fd >= 0) {
        close(f->fd); /* the server's end of input: it exits */
        f->fd = -1;
    }
    if (f->pid > 0) {
        int status;
        int64_t end = now_ms() + CLOSE_GRACE_MS;
        while (!try_reap(f, &status) && now_ms() < end) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (f->pid > 0) {
            kill(f->pid, SIGKILL);
            while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
                ;
            f->pid = -1;
        }
    }
    for (int i = 0; i < f->cache_n && f->cache; i++)
        entry_clear(&f->cache[i]);
    free(f->cache);
    free(f->rx);
    free(f->what);
    free(f);
    *fp = NULL;
}

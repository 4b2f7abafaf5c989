/* codecbench stage: the stage host, `codecbench stage-host` (internal): the
 * only process that loads stage code.  It loads the object, warms the
 * engine up, enters the sandbox (sandbox.c) and serves the protocol of
 * host_proto.h on stdin and standard output.  It talks only through write(2) on
 * fds 1 and 2: no stdio, which could buffer or need calls the filter
 * denies. */
#define _GNU_SOURCE /* RTLD_* */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecbench/engine.h"
#include "codecbench/media.h"
#include "codecbench/sandbox.h"
#include "stage/host_proto.h"

/* ---- the ENCODER payload ------------------------------------------------------ */

#define ENC_HEAD_INTS 5

size_t hp_encoder_payload_bytes(void)
{
    size_t n = 0, ints = ENC_HEAD_INTS;
    const CbField *f = cb_engine_fields(&n);
    for (size_t i = 0; i < n; i++)
        ints += f[i].type == CB_FIELD_INT_LIST ? 1 + (size_t)f[i].max_items : 1;
    return ints * 4;
}

void hp_encoder_encode(uint8_t *p, const CbEngineSettings *s, int qp, int width, int height,
                       int fps_num, int fps_den)
{
    const int head[ENC_HEAD_INTS] = {qp, width, height, fps_num, fps_den};
    for (int i = 0; i < ENC_HEAD_INTS; i++, p += 4)
        hp_put_i32(p, head[i]);
    size_t n = 0;
    const CbField *f = cb_engine_fields(&n);
    for (size_t i = 0; i < n; i++) {
        const char *base = (const char *)s;
        if (f[i].type == CB_FIELD_INT_LIST) {
            int count;
            memcpy(&count, base + f[i].count_offset, sizeof count);
            hp_put_i32(p, count);
            p += 4;
            for (int k = 0; k < f[i].max_items; k++, p += 4) {
                int v = 0;
                if (k < count)
                    memcpy(&v, base + f[i].offset + (size_t)k * sizeof(int), sizeof v);
                hp_put_i32(p, v);
            }
        } else {
            int v;
            memcpy(&v, base + f[i].offset, sizeof v);
            hp_put_i32(p, v);
            p += 4;
        }
    }
}

void hp_encoder_decode(const uint8_t *p, CbEngineSettings *s, int *qp, int *width, int *height,
                       int *fps_num, int *fps_den)
{
    int *head[ENC_HEAD_INTS] = {qp, width, height, fps_num, fps_den};
    for (int i = 0; i < ENC_HEAD_INTS; i++, p += 4)
        *head[i] = hp_get_i32(p);
    cb_engine_settings_default(s);
    size_t n = 0;
    const CbField *f = cb_engine_fields(&n);
    for (size_t i = 0; i < n; i++) {
        char *base = (char *)s;
        int v = hp_get_i32(p);
        p += 4;
        if (f[i].type == CB_FIELD_INT_LIST) {
            memcpy(base + f[i].count_offset, &v, sizeof v);
            for (int k = 0; k < f[i].max_items; k++, p += 4) {
                int e = hp_get_i32(p);
                memcpy(base + f[i].offset + (size_t)k * sizeof(int), &e, sizeof e);
            }
        } else {
            memcpy(base + f[i].offset, &v, sizeof v);
        }
    }
}

/* ---- output ---------------------------------------------------------------------- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[CB_ERROR_TEXT_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 2;
    line[len++] = '\n';
    for (size_t at = 0; at < len;) {
        ssize_t w = write(STDERR_FILENO, line + at, len - at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        at += (size_t)w;
    }
}

static int write_all(const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A message in one buffer: head, then the payload the caller fills. */
typedef struct Msg {
    uint8_t *buf;
    size_t len;
} Msg;

static uint8_t *msg_new(Msg *m, uint32_t type, size_t payload)
{
    m->len = HP_HEAD_BYTES + payload;
    m->buf = malloc(m->len);
    if (!m->buf)
        return NULL;
    hp_put_u32(m->buf, type);
    hp_put_u32(m->buf + 4, (uint32_t)payload);
    return m->buf + HP_HEAD_BYTES;
}

/* Sends and frees m; -1 when the client is gone (the host then ends). */
static int msg_send(Msg *m)
{
    int rc = write_all(m->buf, m->len);
    free(m->buf);
    m->buf = NULL;
    return rc;
}

static int send_empty(uint32_t type)
{
    uint8_t head[HP_HEAD_BYTES];
    hp_put_u32(head, type);
    hp_put_u32(head + 4, 0);
    return write_all(head, sizeof head);
}

static int send_error(const CbError *err)
{
    size_t tlen = strnlen(err->text, sizeof err->text);
    if (tlen > HP_TEXT_MAX)
        tlen = HP_TEXT_MAX;
    Msg m;
    uint8_t *p = msg_new(&m, HP_REP_ERROR, 4 + tlen);
    if (!p)
        return -1;
    hp_put_i32(p, err->code < 0 ? err->code : CB_EIO);
    memcpy(p + 4, err->text, tlen);
    return msg_send(&m);
}

/* ---- input ------------------------------------------------------------------------ */

/* 1: n bytes read; 0: the end of input before the first byte; -1: an error
 * or the end in the middle. */
static int read_full(uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(STDIN_FILENO, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return got == 0 && r == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

/* ---- serving ----------------------------------------------------------------------- */

typedef struct Host {
    int decode;
    CbStageOps ops;
    CbEncoder *enc;
    CbDecoder *dec;
    int width, height; /* of the open encoder or decoder */
} Host;

static int request_cap(const Host *h, uint32_t type, size_t *cap)
{
    switch (type) {
    case HP_REQ_ENCODER: *cap = hp_encoder_payload_bytes(); return !h->decode;
    case HP_REQ_FRAME:
        *cap = HP_FRAME_REQ_HEAD_BYTES + hp_frame_bytes(CB_FRAME_MAX_DIM, CB_FRAME_MAX_DIM);
        return !h->decode;
    case HP_REQ_FLUSH: *cap = 0; return !h->decode;
    case HP_REQ_DECODER: *cap = CB_ENGINE_HEADER_BYTES; return h->decode;
    case HP_REQ_PACKET: *cap = CB_ENGINE_PACKET_MAX; return h->decode;
    default: return 0;
    }
}

static int send_packets(Host *h)
{
    CbEncodedFrame f;
    while (cb_encoder_receive(h->enc, &f) == 1) {
        char hex[CB_CLIP_ID_HEX];
        CbError err;
        cb_error_clear(&err);
        if (cb_frame_digest(&f.recon, hex) < 0) {
            cb_error_set(&err, CB_ENOMEM, "the host cannot hash frame %lld", (long long)f.index);
            return send_error(&err) < 0 ? -1 : 1;
        }
        Msg m;
        uint8_t *p = msg_new(&m, HP_REP_PACKET, HP_PACKET_HEAD_BYTES + f.size);
        if (!p) {
            cb_error_set(&err, CB_ENOMEM, "the host is out of memory for a %zu-byte packet",
                         f.size);
            return send_error(&err) < 0 ? -1 : 1;
        }
        hp_put_i32(p, f.type);
        hp_put_i32(p + 4, f.qp);
        hp_put_u64(p + 8, (uint64_t)f.index);
        memcpy(p + 16, hex, 64);
        memcpy(p + HP_PACKET_HEAD_BYTES, f.data, f.size);
        if (msg_send(&m) < 0)
            return -1;
    }
    return 0;
}

static int on_encoder(Host *h, const uint8_t *p)
{
    CbEngineSettings s;
    int qp, w, hgt, fn, fd;
    CbError err;
    cb_error_clear(&err);
    hp_encoder_decode(p, &s, &qp, &w, &hgt, &fn, &fd);
    s.threads = 1; /* one thread: the filter denies clone */
    cb_encoder_free(&h->enc);
    int rc = cb_engine_settings_check(&s, &err);
    if (rc == 0)
        rc = cb_encoder_new(&h->enc, &s, qp, w, hgt, fn, fd, &err);
    if (rc == 0 && (rc = cb_encoder_set_stage(h->enc, &h->ops, &err)) < 0)
        cb_encoder_free(&h->enc);
    if (rc < 0)
        return send_error(&err);
    h->width = w;
    h->height = hgt;
    Msg m;
    uint8_t *out = msg_new(&m, HP_REP_HEADER, CB_ENGINE_HEADER_BYTES);
    if (!out) {
        cb_error_set(&err, CB_ENOMEM, "the host is out of memory");
        return send_error(&err);
    }
    memcpy(out, cb_encoder_header(h->enc), CB_ENGINE_HEADER_BYTES);
    return msg_send(&m);
}

static int on_frame(Host *h, const uint8_t *p, size_t len)
{
    CbError err;
    cb_error_clear(&err);
    if (!h->enc) {
        cb_error_set(&err, CB_EINVAL, "a frame before the encoder was opened");
        return send_error(&err);
    }
    int fw = hp_get_i32(p), fh = hp_get_i32(p + 4);
    if (fw != h->width || fh != h->height ||
        len != HP_FRAME_REQ_HEAD_BYTES + hp_frame_bytes(h->width, h->height)) {
        cb_error_set(&err, CB_EINVAL, "a %dx%d frame of %zu bytes for a %dx%d encoder", fw, fh, len,
                     h->width, h->height);
        return send_error(&err);
    }
    CbFrame f;
    memset(&f, 0, sizeof f);
    f.width = fw;
    f.height = fh;
    uint8_t *at = (uint8_t *)p + HP_FRAME_REQ_HEAD_BYTES;
    for (int k = 0; k < 3; k++) {
        f.data[k] = at;
        f.stride[k] = cb_plane_width(fw, k);
        at += (size_t)cb_plane_width(fw, k) * (size_t)cb_plane_height(fh, k);
    }
    f.index = -1;
    if (cb_encoder_send(h->enc, &f, &err) < 0) {
        cb_encoder_free(&h->enc);
        return send_error(&err);
    }
    int rc = send_packets(h);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    return send_empty(HP_REP_READY);
}

static int on_flush(Host *h)
{
    CbError err;
    cb_error_clear(&err);
    if (!h->enc) {
        cb_error_set(&err, CB_EINVAL, "the end of the frames before the encoder was opened");
        return send_error(&err);
    }
    if (cb_encoder_send(h->enc, NULL, &err) < 0) {
        cb_encoder_free(&h->enc);
        return send_error(&err);
    }
    int rc = send_packets(h);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    return send_empty(HP_REP_READY);
}

static int on_decoder(Host *h, const uint8_t *p, size_t len)
{
    CbError err;
    cb_error_clear(&err);
    cb_decoder_free(&h->dec);
    int rc = cb_decoder_new(&h->dec, p, len, &err);
    if (rc == 0 && (rc = cb_decoder_set_stage(h->dec, &h->ops, &err)) < 0)
        cb_decoder_free(&h->dec);
    if (rc < 0)
        return send_error(&err);
    h->width = cb_decoder_info(h->dec)->width;
    h->height = cb_decoder_info(h->dec)->height;
    return send_empty(HP_REP_READY);
}

static int on_packet(Host *h, const uint8_t *p, size_t len)
{
    CbError err;
    cb_error_clear(&err);
    if (!h->dec) {
        cb_error_set(&err, CB_EINVAL, "a packet before the decoder was opened");
        return send_error(&err);
    }
    CbFrame f;
    if (cb_decoder_decode(h->dec, p, len, &f, &err) < 0)
        return send_error(&err);
    if (f.width != h->width || f.height != h->height) {
        cb_error_set(&err, CB_EFORMAT, "a decoded frame of %dx%d in a %dx%d stream", f.width,
                     f.height, h->width, h->height);
        return send_error(&err);
    }
    Msg m;
    uint8_t *out =
        msg_new(&m, HP_REP_FRAME, HP_FRAME_REP_HEAD_BYTES + hp_frame_bytes(f.width, f.height));
    if (!out) {
        cb_error_set(&err, CB_ENOMEM, "the host is out of memory for a frame");
        return send_error(&err);
    }
    /* A packet that decoded starts with its frame type (0 I, 1 P). */
    hp_put_i32(out, p[0]);
    hp_put_i32(out + 4, f.width);
    hp_put_i32(out + 8, f.height);
    out += HP_FRAME_REP_HEAD_BYTES;
    for (int k = 0; k < 3; k++) {
        int pw = cb_plane_width(f.width, k), ph = cb_plane_height(f.height, k);
        for (int y = 0; y < ph; y++, out += pw)
            memcpy(out, f.data[k] + (ptrdiff_t)y * f.stride[k], (size_t)pw);
    }
    return msg_send(&m);
}

/* Serves until the end of input: 0, or 1 after a broken request. */
static int serve(Host *h)
{
    uint8_t *buf = NULL;
    int status = 0;
    for (;;) {
        uint8_t head[HP_HEAD_BYTES];
        int r = read_full(head, sizeof head);
        if (r == 0)
            break;
        if (r < 0) {
            say("stage-host: the request stream ended in the middle of a message");
            status = 1;
            break;
        }
        uint32_t type = hp_get_u32(head), len = hp_get_u32(head + 4);
        size_t cap = 0;
        if (!request_cap(h, type, &cap)) {
            say("stage-host: request type %u is not one a%s host serves", type,
                h->decode ? " decoding" : "n encoding");
            status = 1;
            break;
        }
        if (len > cap || (type == HP_REQ_ENCODER && len != cap) ||
            (type == HP_REQ_FRAME && len < HP_FRAME_REQ_HEAD_BYTES)) {
            say("stage-host: request type %u with %u bytes (allowed: %zu)", type, len, cap);
            status = 1;
            break;
        }
        free(buf);
        buf = malloc(len ? len : 1);
        if (!buf) {
            CbError err;
            cb_error_set(&err, CB_ENOMEM, "the host is out of memory for a %u-byte request", len);
            if (send_error(&err) < 0)
                status = 1;
            break;
        }
        if (len && read_full(buf, len) != 1) {
            say("stage-host: the request stream ended in the middle of a message");
            status = 1;
            break;
        }
        switch (type) {
        case HP_REQ_ENCODER: r = on_encoder(h, buf); break;
        case HP_REQ_FRAME: r = on_frame(h, buf, len); break;
        case HP_REQ_FLUSH: r = on_flush(h); break;
        case HP_REQ_DECODER: r = on_decoder(h, buf, len); break;
        default: r = on_packet(h, buf, len); break;
        }
        if (r < 0) {
            status = 1; /* the client is gone */
            break;
        }
    }
    free(buf);
    cb_encoder_free(&h->enc);
    cb_decoder_free(&h->dec);
    return status;
}

/* ---- start ------------------------------------------------------------------------- */

/* Runs the engine's encoder and decoder once on a small clip (built-in
 * stages), so that what they initialise on first use (CPU detection,
 * tables, OpenBLAS and LAPACK buffers for the KLT and the restoration
 * filter) is done while system calls are still allowed. */
static int warm_up(CbError *err)
{
    CbEngineSettings s;
    cb_engine_settings_default(&s);
    s.threads = 1;
    s.gop = 2;
    s.transform = CB_TRANSFORM_KLT;
    s.restoration = 1;
    s.deblock = 1;
    CbEncoder *e = NULL;
    CbDecoder *d = NULL;
    CbFrame f = {0};
    int rc;
    if ((rc = cb_encoder_new(&e, &s, 30, 64, 64, 25, 1, err)) < 0 ||
        (rc = cb_decoder_new(&d, cb_encoder_header(e), CB_ENGINE_HEADER_BYTES, err)) < 0 ||
        (rc = cb_frame_alloc(&f, 64, 64)) < 0)
        goto out;
    for (int i = 0; i <= 3; i++) {
        for (int k = 0; k < 3 && i < 3; k++)
            for (int y = 0; y < cb_plane_height(64, k); y++)
                for (int x = 0; x < cb_plane_width(64, k); x++)
                    f.data[k][y * f.stride[k] + x] = (uint8_t)(x * 7 + y * 3 + i * 11 + k * 50);
        if ((rc = cb_encoder_send(e, i < 3 ? &f : NULL, err)) < 0)
            goto out;
        CbEncodedFrame o;
        while (cb_encoder_receive(e, &o) == 1) {
            CbFrame df;
            char hex[CB_CLIP_ID_HEX];
            if ((rc = cb_decoder_decode(d, o.data, o.size, &df, err)) < 0 ||
                (rc = cb_frame_digest(&df, hex)) < 0)
                goto out;
        }
    }
out:
    if (rc < 0 && err && !err->code)
        cb_error_set(err, rc, "%s", cb_strerror(rc));
    cb_frame_free(&f);
    cb_encoder_free(&e);
    cb_decoder_free(&d);
    return rc;
}

static int parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_hash(const char *s, uint8_t hash[32])
{
    if (strlen(s) != 64)
        return -1;
    int any = 0;
    for (int i = 0; i < 64; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            hash[i / 2] = (uint8_t)(v << 4);
        else
            hash[i / 2] |= (uint8_t)v;
        any |= v;
    }
    return any ? 0 : -1;
}

static void *lookup(void *lib, const char *object, const char *name)
{
    dlerror();
    void *sym = dlsym(lib, name);
    if (!sym)
        say("stage-host: %s does not define %s", object, name);
    return sym;
}

int cb_stage_host_main(int argc, char **argv)
{
    if (argc != 8) {
        say("stage-host: usage: stage-host encode|decode OBJECT KIND HASH_HEX CPU_S DATA_MIB "
            "STACK_MIB");
        return 1;
    }
    Host h;
    memset(&h, 0, sizeof h);
    long cpu_s, data_mib, stack_mib;
    CbError err;
    cb_error_clear(&err);
    if (!strcmp(argv[1], "encode"))
        h.decode = 0;
    else if (!strcmp(argv[1], "decode"))
        h.decode = 1;
    else {
        say("stage-host: '%s' is neither encode nor decode", argv[1]);
        return 1;
    }
    const char *object = argv[2];
    if (cb_stage_kind_parse(argv[3], &h.ops.kind, &err) < 0) {
        say("stage-host: %s", err.text);
        return 1;
    }
    if (parse_hash(argv[4], h.ops.hash) < 0) {
        say("stage-host: the hash must be 64 lower-case hex digits, not all zero");
        return 1;
    }
    if (parse_int(argv[5], 1, 86400, &cpu_s) < 0 || parse_int(argv[6], 1, 1 << 20, &data_mib) < 0 ||
        parse_int(argv[7], 1, 1024, &stack_mib) < 0) {
        say("stage-host: limits must be whole numbers: CPU_S 1..86400, DATA_MIB 1..1048576, "
            "STACK_MIB 1..1024");
        return 1;
    }
    /* RTLD_NOW: every symbol is bound here, before the sandbox, so nothing
     * is looked up (or opened) later; RTLD_LOCAL: its symbols serve nothing
     * else. */
    void *lib = dlopen(object, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        say("stage-host: cannot load %s: %s", object, why ? why : "dlopen failed");
        return 1;
    }
    int ok = 1;
    switch (h.ops.kind) {
    case CB_STAGE_INTRA:
        ok = (*(void **)&h.ops.intra = lookup(lib, object, "cb_stage_intra")) != NULL;
        break;
    case CB_STAGE_LOOP_FILTER:
        ok = (*(void **)&h.ops.loop_filter = lookup(lib, object, "cb_stage_loop_filter")) != NULL;
        break;
    case CB_STAGE_TRANSFORM:
        ok = (*(void **)&h.ops.transform_fwd = lookup(lib, object, "cb_stage_transform_fwd")) &&
             (*(void **)&h.ops.transform_inv = lookup(lib, object, "cb_stage_transform_inv"));
        break;
    default:
        ok = 0;
        say("stage-host: stage kind %d has no functions", (int)h.ops.kind);
        break;
    }
    if (!ok)
        return 1;
    if (warm_up(&err) < 0) {
        say("stage-host: the engine's warm-up failed: %s", err.text);
        return 1;
    }
    HpSandboxState st;
    memset(&st, 0, sizeof st);
    if (hp_sandbox_enter((int)cpu_s, data_mib, stack_mib, &st, &err) < 0) {
        say("stage-host: %s", err.text);
        return 1;
    }
    uint8_t hello[HP_HEAD_BYTES + HP_HELLO_BYTES];
    hp_put_u32(hello, HP_REP_HELLO);
    hp_put_u32(hello + 4, HP_HELLO_BYTES);
    uint8_t *p = hello + HP_HEAD_BYTES;
    hp_put_u32(p, CB_STAGE_ABI_VERSION);
    hp_put_i32(p + 4, st.uid);
    hp_put_i32(p + 8, st.gid);
    hp_put_i32(p + 12, st.no_new_privs);
    hp_put_u64(p + 16, st.cap_effective);
    hp_put_u64(p + 24, st.cap_permitted);
    hp_put_u64(p + 32, st.cap_bounding);
    if (write_all(hello, sizeof hello) < 0)
        return 1;
    /* The object stays loaded: the process ends with the stage in it. */
    return serve(&h);
}

/* codecbench: .cbv files. */
#include "worker/cbvfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/engine.h"

int cbv_writer_open(CbvWriter *w, const char *path, const uint8_t *header, size_t len,
                    CbError *err)
{
    w->path = path;
    w->bytes = 0;
    w->f = fopen(path, "wb");
    if (!w->f)
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    if (fwrite(header, 1, len, w->f) != len) {
        int e = errno;
        fclose(w->f);
        w->f = NULL;
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(e));
    }
    w->bytes = len;
    return CB_OK;
}

int cbv_writer_packet(CbvWriter *w, const uint8_t *data, size_t len, CbError *err)
{
    uint8_t l[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                    (uint8_t)len};
    if (fwrite(l, 1, 4, w->f) != 4 || fwrite(data, 1, len, w->f) != len)
        return cb_error_set(err, CB_EIO, "%s: %s", w->path, strerror(errno));
    w->bytes += 4 + len;
    return CB_OK;
}

int cbv_writer_close(CbvWriter *w, CbError *err)
{
    if (!w->f)
        return CB_OK;
    int rc = CB_OK;
    if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)
        rc = cb_error_set(err, CB_EIO, "%s: %s", w->path, strerror(errno));
    if (fclose(w->f) != 0 && rc == CB_OK)
        rc = cb_error_set(err, CB_EIO, "%s: %s", w->path, strerror(errno));
    w->f = NULL;
    return rc;
}

int cbv_reader_open(CbvReader *r, const char *path, CbError *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->f = fopen(path, "rb");
    if (!r->f)
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    size_t n = fread(r->header, 1, sizeof r->header, r->f);
    if (n != sizeof r->header) {
        cbv_reader_close(r);
        return cb_error_set(err, CB_EFORMAT, "%s: %zu bytes; a codecbench stream starts with a "
                                             "%zu-byte header",
                            path, n, sizeof r->header);
    }
    r->bytes = n;
    struct stat st;
    r->size = fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    return CB_OK;
}

int cbv_reader_packet(CbvReader *r, size_t *len, CbError *err)
{
    uint8_t l[4];
    size_t n = fread(l, 1, 4, r->f);
    if (n == 0 && feof(r->f))
        return 0;
    if (n != 4)
        return cb_error_set(err, CB_EFORMAT, "%s: packet %lld: truncated length field", r->path,
                            (long long)r->packets);
    uint32_t v = (uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 | (uint32_t)l[2] << 8 | l[3];
    if (v > CB_ENGINE_PACKET_MAX)
        return cb_error_set(err, CB_ELIMIT, "%s: packet %lld claims %u bytes (limit %u)", r->path,
                            (long long)r->packets, v, CB_ENGINE_PACKET_MAX);
    /* A lying length allocates nothing: it was checked against the file. */
    if (v > r->pkt_cap) {
        uint8_t *p = realloc(r->pkt, v ? v : 1);
        if (!p)
            return cb_error_set(err, CB_ENOMEM, "%s: out of memory", r->path);
        r->pkt = p;
        r->pkt_cap = v;
    }
    if (r->size >= 0 && (uint64_t)v > (uint64_t)r->size - r->bytes - 4)
        return cb_error_set(err, CB_EFORMAT,
                            "%s: packet %lld: truncated (%u bytes announced, %llu left)", r->path,
                            (long long)r->packets, v,
                            (unsigned long long)((uint64_t)r->size - r->bytes - 4));
    if (fread(r->pkt, 1, v, r->f) != v)
        return cb_error_set(err, CB_EFORMAT, "%s: packet %lld: truncated (%u bytes announced)",
                            r->path, (long long)r->packets, v);
    r->packets++;
    r->bytes += 4 + (uint64_t)v;
    *len = v;
    return 1;
}

void cbv_reader_close(CbvReader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->pkt);
    r->f = NULL;
    r->pkt = NULL;
}

int cbv_reader_index(CbvReader *r, int64_t max, CbvPacketPos **out, int64_t *n,
                     CbError *tail_err, CbError *err)
{
    CbvPacketPos *pos = NULL;
    int64_t k = 0, cap = 0;
    int rc = CB_OK;
    *out = NULL;
    *n = 0;
    cb_error_clear(tail_err);
    while (k < max) {
        uint8_t l[5];
        size_t got = fread(l, 1, 4, r->f);
        if (got == 0 && feof(r->f))
            break;
        if (got != 4) {
            cb_error_set(tail_err, CB_EFORMAT, "%s: packet %lld: truncated length field",
                         r->path, (long long)k);
            break;
        }
        uint32_t v = (uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 | (uint32_t)l[2] << 8 | l[3];
        uint64_t left = r->size >= 0 ? (uint64_t)r->size - r->bytes - 4 : UINT64_MAX;
        if (v > CB_ENGINE_PACKET_MAX || (uint64_t)v > left) {
            cb_error_set(tail_err, CB_EFORMAT, "%s: packet %lld: truncated (%u bytes announced, "
                                               "%llu left)",
                         r->path, (long long)k, v, (unsigned long long)left);
            break;
        }
        l[4] = 0;
        if (v > 0 && fread(&l[4], 1, 1, r->f) != 1) {
            cb_error_set(tail_err, CB_EFORMAT, "%s: packet %lld: truncated", r->path,
                         (long long)k);
            break;
        }
        if (k == cap) {
            int64_t ncap = cap ? 2 * cap : 64;
            CbvPacketPos *p = realloc(pos, (size_t)ncap * sizeof *p);
            if (!p) {
                rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", r->path);
                goto fail;
            }
            pos = p;
            cap = ncap;
        }
        pos[k] = (CbvPacketPos){.offset = r->bytes + 4, .len = v, .first = l[4]};
        r->bytes += 4 + (uint64_t)v;
        r->packets++;
        k++;
        if (v > 1 && fseeko(r->f, (off_t)r->bytes, SEEK_SET) != 0) {
            rc = cb_error_set(err, CB_EIO, "%s: seek: %s", r->path, strerror(errno));
            goto fail;
        }
    }
    *out = pos;
    *n = k;
    return CB_OK;
fail:
    free(pos);
    return rc;
}

int cbv_reader_packet_at(CbvReader *r, const CbvPacketPos *p, CbError *err)
{
    if (p->len > CB_ENGINE_PACKET_MAX)
        return cb_error_set(err, CB_ELIMIT, "%s: packet of %u bytes", r->path, p->len);
    if (p->len > r->pkt_cap) {
        uint8_t *b = realloc(r->pkt, p->len);
        if (!b)
            return cb_error_set(err, CB_ENOMEM, "%s: out of memory", r->path);
        r->pkt = b;
        r->pkt_cap = p->len;
    }
    if (fseeko(r->f, (off_t)p->offset, SEEK_SET) != 0)
        return cb_error_set(err, CB_EIO, "%s: seek: %s", r->path, strerror(errno));
    if (p->len && fread(r->pkt, 1, p->len, r->f) != p->len)
        return cb_error_set(err, ferror(r->f) ? CB_EIO : CB_EFORMAT,
                            "%s: packet at byte %llu: %s", r->path,
                            (unsigned long long)p->offset,
                            ferror(r->f) ? strerror(errno) : "the file is shorter now");
    return CB_OK;
}

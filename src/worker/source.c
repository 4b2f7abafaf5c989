/* codecbench: the source frames of a run (see source.h). */
#include "worker/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Bytes of the visible 4:2:0 samples of a frame. */
static int64_t frame_bytes(int w, int h)
{
    return (int64_t)w * h + 2 * (int64_t)cb_plane_width(w, 1) * cb_plane_height(h, 1);
}

static int open_at(WkSource *s, CbMediaReader **r, CbError *err)
{
    struct stat st;
    if (stat(s->path, &st) != 0)
        return cb_error_set(err, errno == ENOENT ? CB_ENOENT : CB_EIO, "input %s: %s", s->path,
                            strerror(errno));
    CbMediaOptions mo = {.logger = s->logger};
    int rc = cb_media_open(r, s->path, &mo, err);
    if (rc < 0)
        return rc;
    if (s->first > 0 && (rc = cb_media_seek(*r, s->first, err)) < 0) {
        if (rc == CB_ERANGE)
            cb_error_set(err, rc, "input %s has no frame %lld (the run starts there)", s->path,
                         (long long)s->first);
        cb_media_close(r);
    }
    return rc;
}

static void free_mem(WkSource *s, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        cb_frame_free(&s->mem[i]);
    free(s->mem);
    s->mem = NULL;
}

int wk_source_open(WkSource *s, const char *path, int64_t first, int64_t frames,
                   int64_t mem_max, const CbLogger *logger, CbError *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->first = first;
    s->logger = logger;
    CbMediaReader *r = NULL;
    CbClipHasher *h = NULL;
    int64_t n = 0, cap = 0;
    int keep = 1;
    int rc = open_at(s, &r, err);
    if (rc < 0)
        goto fail;
    const CbMediaInfo *info = cb_media_info(r);
    s->width = info->width;
    s->height = info->height;
    s->fps_stated = info->fps_num > 0 && info->fps_den > 0;
    s->fps_num = s->fps_stated ? info->fps_num : 25;
    s->fps_den = s->fps_stated ? info->fps_den : 1;
    int64_t fb = frame_bytes(s->width, s->height);
    if (frames > 0 && fb * frames > mem_max)
        keep = 0;
    if ((rc = cb_clip_hasher_new(&h)) < 0) {
        cb_error_set(err, rc, "out of memory");
        goto fail;
    }
    while (frames < 0 || n < frames) {
        rc = cb_media_read(r, &s->cur, err);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            break;
        if ((rc = cb_clip_hasher_add(h, &s->cur)) < 0) {
            cb_error_set(err, rc, "input %s: frame %lld: cannot hash it (%s)", path,
                         (long long)(first + n), cb_strerror(rc));
            goto fail;
        }
        if (keep && fb * (n + 1) > mem_max) {
            free_mem(s, n);
            cap = 0;
            keep = 0;
        }
        if (keep) {
            if (n == cap) {
                int64_t ncap = cap ? 2 * cap : 32;
                CbFrame *p = realloc(s->mem, (size_t)ncap * sizeof *p);
                if (!p) {
                    rc = cb_error_set(err, CB_ENOMEM, "input %s: out of memory", path);
                    goto fail;
                }
                s->mem = p;
                cap = ncap;
            }
            s->mem[n] = s->cur; /* the frame moves into the array */
            memset(&s->cur, 0, sizeof s->cur);
        }
        n++;
    }
    if (n == 0 || (frames > 0 && n < frames)) {
        rc = cb_error_set(err, CB_ERANGE, "input %s has %lld frames from frame %lld; the run asks "
                                          "for %lld",
                          path, (long long)n, (long long)first, (long long)frames);
        goto fail;
    }
    if ((rc = cb_clip_hasher_final(h, s->clip_id)) < 0) {
        cb_error_set(err, rc, "input %s: clip identity: %s", path, cb_strerror(rc));
        goto fail;
    }
    s->frames = n;
    s->in_memory = keep;
    cb_clip_hasher_free(&h);
    cb_media_close(&r);
    cb_frame_free(&s->cur);
    return CB_OK;
fail:
    if (keep)
        free_mem(s, n);
    s->mem = NULL;
    cb_clip_hasher_free(&h);
    cb_media_close(&r);
    cb_frame_free(&s->cur);
    return rc;
}

int wk_source_rewind(WkSource *s, CbError *err)
{
    s->pos = 0;
    if (s->in_memory)
        return CB_OK;
    cb_media_close(&s->reader);
    cb_clip_hasher_free(&s->hasher);
    int rc = cb_clip_hasher_new(&s->hasher);
    if (rc < 0)
        return cb_error_set(err, rc, "out of memory");
    return open_at(s, &s->reader, err);
}

int wk_source_next(WkSource *s, const CbFrame **f, CbError *err)
{
    if (s->pos == s->frames) {
        if (s->in_memory || !s->hasher)
            return 0;
        char hex[CB_CLIP_ID_HEX];
        int rc = cb_clip_hasher_final(s->hasher, hex);
        cb_clip_hasher_free(&s->hasher);
        cb_media_close(&s->reader);
        if (rc < 0)
            return cb_error_set(err, rc, "input %s: clip identity: %s", s->path, cb_strerror(rc));
        if (strcmp(hex, s->clip_id) != 0)
            return cb_error_set(err, CB_EMISMATCH, "input %s changed while the run read it (clip "
                                                   "identity %.16s..., then %.16s...)",
                                s->path, s->clip_id, hex);
        return 0;
    }
    if (s->in_memory) {
        *f = &s->mem[s->pos++];
        return 1;
    }
    if (!s->reader)
        return cb_error_set(err, CB_EINVAL, "input %s: no pass started", s->path);
    int rc = cb_media_read(s->reader, &s->cur, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return cb_error_set(err, CB_EMISMATCH, "input %s ended at frame %lld while read again "
                                               "(it had %lld frames from %lld)",
                            s->path, (long long)(s->first + s->pos), (long long)s->frames,
                            (long long)s->first);
    if ((rc = cb_clip_hasher_add(s->hasher, &s->cur)) < 0)
        return cb_error_set(err, CB_EMISMATCH, "input %s: frame %lld changed size", s->path,
                            (long long)(s->first + s->pos));
    s->pos++;
    *f = &s->cur;
    return 1;
}

void wk_source_close(WkSource *s)
{
    if (!s)
        return;
    if (s->in_memory)
        free_mem(s, s->frames);
    cb_media_close(&s->reader);
    cb_clip_hasher_free(&s->hasher);
    cb_frame_free(&s->cur);
    memset(s, 0, sizeof *s);
}

/* codecbench: clip identity, a SHA-256 over decoded frames.
 *
 * Hashed bytes: the luma width and height as 4-byte little-endian values
 * (once, from the first frame), then for each frame the visible bytes of
 * every row of Y, U and V in that order; stride padding is never hashed.
 * A clip with no frames hashes no bytes at all.
 */
#include "codecbench/media.h"

#include <stdlib.h>

#include <nettle/sha2.h>

/* nettle's SHA-256 (the same digest as any other) uses the CPU's SHA
 * instructions where it has them: 5x libavutil's on this project's
 * machines, and clips are hashed again by every run and verification. */
struct CbClipHasher {
    struct sha256_ctx ctx;
    int width, height;   /* 0 before the first frame */
    int finished;
};

int cb_clip_hasher_new(CbClipHasher **out)
{
    if (!out)
        return CB_EINVAL;
    *out = NULL;
    CbClipHasher *h = calloc(1, sizeof *h);
    if (!h)
        return CB_ENOMEM;
    sha256_init(&h->ctx);
    *out = h;
    return CB_OK;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int cb_clip_hasher_add(CbClipHasher *h, const CbFrame *f)
{
    if (!h || !f || h->finished || !f->data[0] || f->width < 1 || f->height < 1 ||
        f->width > CB_FRAME_MAX_DIM || f->height > CB_FRAME_MAX_DIM)
        return CB_EINVAL;
    if (!h->width) {
        uint8_t size[8];
        put_le32(size, (uint32_t)f->width);
        put_le32(size + 4, (uint32_t)f->height);
        sha256_update(&h->ctx, sizeof size, size);
        h->width = f->width;
        h->height = f->height;
    } else if (f->width != h->width || f->height != h->height) {
        return CB_EMISMATCH;
    }
    for (int p = 0; p < 3; p++) {
        size_t pw = (size_t)cb_plane_width(f->width, p);
        int ph = cb_plane_height(f->height, p);
        for (int y = 0; y < ph; y++)
            sha256_update(&h->ctx, pw, f->data[p] + (ptrdiff_t)y * f->stride[p]);
    }
    return CB_OK;
}

int cb_clip_hasher_final(CbClipHasher *h, char hex[CB_CLIP_ID_HEX])
{
    if (!h || !hex || h->finished)
        return CB_EINVAL;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&h->ctx, sizeof digest, digest);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * SHA256_DIGEST_SIZE] = '\0';
    h->finished = 1;
    return CB_OK;
}

void cb_clip_hasher_free(CbClipHasher **h)
{
    if (!h || !*h)
        return;
    free(*h);
    *h = NULL;
}

int cb_frame_digest(const CbFrame *f, char hex[CB_CLIP_ID_HEX])
{
    CbClipHasher *h = NULL;
    int rc = cb_clip_hasher_new(&h);
    if (rc == CB_OK && (rc = cb_clip_hasher_add(h, f)) == CB_OK)
        rc = cb_clip_hasher_final(h, hex);
    cb_clip_hasher_free(&h);
    return rc;
}

int cb_clip_identity(const char *path, int64_t first, int64_t count, char hex[CB_CLIP_ID_HEX],
                     int64_t *frames_out, CbError *err)
{
    if (frames_out)
        *frames_out = 0;
    if (!path || !hex)
        return cb_error_set(err, CB_EINVAL, "cb_clip_identity: no %s", path ? "output" : "path");
    if (first < 0)
        return cb_error_set(err, CB_EINVAL, "%s: first frame %lld is negative", path, (long long)first);
    CbMediaReader *r = NULL;
    CbClipHasher *h = NULL;
    CbFrame frame = {0};
    int64_t done = 0;
    int ret = cb_media_open(&r, path, NULL, err);
    if (ret < 0)
        goto fail;
    if ((ret = cb_clip_hasher_new(&h)) < 0) {
        cb_error_set(err, ret, "%s: cannot start a SHA-256 hash", path);
        goto fail;
    }
    if (first > 0 && (ret = cb_media_seek(r, first, err)) < 0)
        goto fail;
    while (count < 0 || done < count) {
        ret = cb_media_read(r, &frame, err);
        if (ret < 0)
            goto fail;
        if (ret == 0)
            break;
        if ((ret = cb_clip_hasher_add(h, &frame)) < 0) {
            cb_error_set(err, ret, "%s: frame %lld cannot be hashed", path, (long long)frame.index);
            goto fail;
        }
        done++;
    }
    if (count >= 0 && done < count) {
        ret = cb_error_set(err, CB_ERANGE, "%s: frames %lld..%lld asked, the file ends after %lld frames",
                           path, (long long)first, (long long)(first + count - 1), (long long)(first + done));
        goto fail;
    }
    ret = cb_clip_hasher_final(h, hex);
    if (frames_out)
        *frames_out = done;
fail:
    cb_frame_free(&frame);
    cb_clip_hasher_free(&h);
    cb_media_close(&r);
    return ret;
}

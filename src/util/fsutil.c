/* codecbench: files and paths (see codecbench/fsutil.h). */
#include "codecbench/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *cb_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

int cb_file_read(const char *path, size_t max, char **out, size_t *len, CbError *err)
{
    *out = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO planted under a file's name must not hang the
     * reader; it changes nothing for a regular file. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return cb_error_set(err, e == ENOENT ? CB_ENOENT : CB_EIO, "%s: %s", path, strerror(e));
    }
    int rc = CB_OK;
    char *buf = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cb_error_set(err, CB_EIO, "%s: not a regular file", path);
        goto fail;
    }
    if (max > SIZE_MAX / 2)
        max = SIZE_MAX / 2;
    if ((uint64_t)st.st_size > max) {
        rc = cb_error_set(err, CB_ELIMIT, "%s: %lld bytes, more than the %zu accepted", path,
                          (long long)st.st_size, max);
        goto fail;
    }
    /* Up to max + 1 bytes are read whatever fstat said: the file may grow. */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    buf = malloc(cap + 1);
    if (!buf) {
        rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                rc = cb_error_set(err, CB_ELIMIT, "%s: more than the %zu bytes accepted", path,
                                  max);
                goto fail;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *p = realloc(buf, ncap + 1);
            if (!p) {
                rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            buf = p;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        rc = cb_error_set(err, CB_ELIMIT, "%s: more than the %zu bytes accepted", path, max);
        goto fail;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
fail:
    free(buf);
    close(fd);
    return rc;
}

/* fsync of dir: 0, or the errno of what failed. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int e = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return e;
}

int cb_dir_sync(const char *dir, CbError *err)
{
    int e = sync_dir(dir);
    return e ? cb_error_set(err, CB_EIO, "%s: fsync: %s", dir, strerror(e)) : CB_OK;
}

/* fsync of the directory holding path ("/" for "/x", "." for "x"). */
static int sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return ENOMEM;
    int e = sync_dir(dir);
    free(dir);
    return e;
}

/* Writes all n bytes of p to fd (tmp names it in errors). */
static int write_all(int fd, const char *tmp, const char *p, size_t n, CbError *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return cb_error_set(err, CB_EIO, "%s: %s", tmp, w < 0 ? strerror(errno) : "short write");
        p += w;
        n -= (size_t)w;
    }
    return CB_OK;
}

/* The atomic write of a then b (b may be empty). */
static int write_atomic(const char *path, const void *a, size_t na, const void *b, size_t nb,
                        CbError *err)
{
    int rc = CB_OK, fd = -1;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    unlink(tmp); /* a stale one from a crash */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        /* Not removed: on EEXIST it would be another writer's. */
        rc = cb_error_set(err, CB_EIO, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    if ((rc = write_all(fd, tmp, a, na, err)) < 0 || (rc = write_all(fd, tmp, b, nb, err)) < 0)
        goto fail;
    if (fsync(fd) != 0) {
        rc = cb_error_set(err, CB_EIO, "%s: fsync: %s", tmp, strerror(errno));
        goto fail;
    }
    int c = close(fd);
    fd = -1;
    if (c != 0) {
        rc = cb_error_set(err, CB_EIO, "%s: close: %s", tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        rc = cb_error_set(err, CB_EIO, "%s: rename: %s", path, strerror(errno));
        goto fail;
    }
    free(tmp);
    int e = sync_parent(path);
    /* The file is in place; only its durability across a crash is in doubt. */
    if (e)
        return cb_error_set(err, CB_EIO, "%s: fsync of its directory: %s", path, strerror(e));
    return CB_OK;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return rc;
}

int cb_file_write_atomic(const char *path, const void *data, size_t len, CbError *err)
{
    return write_atomic(path, data, len, NULL, 0, err);
}

int cb_file_write_text(const char *path, const char *text, CbError *err)
{
    return write_atomic(path, text, strlen(text), "\n", 1, err);
}

/* codecbench: run directory files: JSON writes (over
 * codecbench/jsonfile.h), names, and removal of trees. */
#include "store/store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/jsonfile.h"

int cb_store_write_json(const char *path, const json_t *j, CbError *err)
{
    return cb_json_write_file(path, j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII,
                              err);
}

/* Removes the entries of the open directory dfd (named path for errors). */
static int remove_entries(int dfd, const char *path, int64_t *bytes, int depth, CbError *err)
{
    /* Run directories are two levels deep; a deeper tree is not ours to walk. */
    if (depth > 32)
        return cb_error_set(err, CB_ELIMIT, "%s: nested too deep", path);
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    }
    int rc = CB_OK;
    struct dirent *e;
    while (rc == CB_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = cb_error_set(err, CB_EIO, "%s/%s: %s", path, e->d_name, strerror(errno));
            break;
        }
        if (S_ISDIR(sb.st_mode)) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            char *subpath = cb_path_join(path, e->d_name);
            if (sub < 0 || !subpath) {
                rc = subpath ? cb_error_set(err, CB_EIO, "%s: %s", subpath, strerror(errno))
                             : cb_error_set(err, CB_ENOMEM, "out of memory");
                if (sub >= 0)
                    close(sub);
                free(subpath);
                break;
            }
            rc = remove_entries(sub, subpath, bytes, depth + 1, err);
            free(subpath);
            if (rc == CB_OK && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0)
                rc = cb_error_set(err, CB_EIO, "%s/%s: %s", path, e->d_name, strerror(errno));
        } else {
            if (unlinkat(dirfd(d), e->d_name, 0) != 0)
                rc = cb_error_set(err, CB_EIO, "%s/%s: %s", path, e->d_name, strerror(errno));
            else if (S_ISREG(sb.st_mode) && bytes)
                *bytes += (int64_t)sb.st_size;
        }
    }
    closedir(d);
    return rc;
}

int cb_store_remove_tree(const char *path, int64_t *bytes, CbError *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return CB_OK;
        return cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    }
    int rc = remove_entries(fd, path, bytes, 0, err);
    if (rc == CB_OK && rmdir(path) != 0)
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
    return rc;
}

int cb_store_mkdirs(const char *dir, CbError *err)
{
    char *p = strdup(dir);
    if (!p)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int rc = CB_OK;
    for (char *q = p + 1;; q++) {
        if (*q != '/' && *q != '\0')
            continue;
        char c = *q;
        *q = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = cb_error_set(err, CB_EIO, "%s: %s", p, strerror(errno));
            break;
        }
        *q = c;
        if (c == '\0')
            break;
    }
    if (rc == CB_OK) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            rc = cb_error_set(err, CB_EIO, "%s: not a directory", dir);
    }
    free(p);
    return rc;
}

int cb_store_parse_run_name(const char *name, int64_t *id)
{
    size_t n = strlen(name);
    /* %06d: at least six digits; longer names only for ids past 999999. */
    if (n < 6 || n > 18)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        v = v * 10 + (name[i] - '0');
    }
    if (v <= 0 || (n > 6 && name[0] == '0'))
        return 0;
    *id = v;
    return 1;
}

static int name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

int cb_store_check_experiment_name(const char *name, CbError *err)
{
    if (!name)
        return cb_error_set(err, CB_EINVAL, "experiment name missing");
    size_t n = strlen(name);
    if (n < 1 || n > 64)
        return cb_error_set(err, CB_EINVAL, "experiment name \"%.64s\": must be 1 to 64 bytes", name);
    if (name[0] == '.')
        return cb_error_set(err, CB_EINVAL, "experiment name \"%s\": must not start with '.'", name);
    for (size_t i = 0; i < n; i++)
        if (!name_char(name[i]))
            return cb_error_set(err, CB_EINVAL,
                                "experiment name \"%s\": only letters, digits, '_', '.' and '-' "
                                "are allowed",
                                name);
    return CB_OK;
}

int cb_store_check_tag(const char *tag, CbError *err)
{
    if (!tag)
        return cb_error_set(err, CB_EINVAL, "tag missing");
    size_t n = strlen(tag);
    if (n < 1 || n > 32)
        return cb_error_set(err, CB_EINVAL, "tag \"%.32s\": must be 1 to 32 bytes", tag);
    for (size_t i = 0; i < n; i++)
        if (!name_char(tag[i]))
            return cb_error_set(err, CB_EINVAL,
                                "tag \"%s\": only letters, digits, '_', '.' and '-' are allowed",
                                tag);
    return CB_OK;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len;
    uint32_t cp, min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, cp = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, cp = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, cp = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int cb_store_check_note(const char *text, CbError *err)
{
    if (!text)
        return cb_error_set(err, CB_EINVAL, "note missing");
    size_t n = strlen(text);
    if (n < 1 || n > 4096)
        return cb_error_set(err, CB_EINVAL, "note: must be 1 to 4096 bytes (it has %zu)", n);
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(s + i, n - i);
        if (!l)
            return cb_error_set(err, CB_EINVAL, "note: not valid UTF-8 at byte %zu", i);
        i += l;
    }
    return CB_OK;
}

json_t *cb_store_json_text(const char *text)
{
    size_t n = strlen(text);
    const unsigned char *s = (const unsigned char *)text;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(s + i, n - i);
        bad += !l;
        i += l ? l : 1;
    }
    if (!bad)
        return json_string(text);
    /* Each invalid byte becomes U+FFFD (3 bytes). */
    char *copy = malloc(n + 2 * bad + 1), *o = copy;
    if (!copy)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(s + i, n - i);
        if (l) {
            memcpy(o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    json_t *j = json_string(copy);
    free(copy);
    return j;
}

double cb_store_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

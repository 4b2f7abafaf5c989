/* Following a run's events.jsonl: inotify on the directory (the file may
 * not exist yet) plus the caller's timer, reading appended lines. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "codecbench/runner.h"

struct CbFollow {
    char *path;
    int fd;          /* the file, -1 until it exists */
    int ino;         /* inotify descriptor, -1 without */
    char *line;      /* the partial line so far */
    size_t len;
    int skipping;    /* in a line longer than CB_EVENT_LINE_MAX */
};

int cb_follow_open(CbFollow **out, const char *path, CbError *err)
{
    CbFollow *f = calloc(1, sizeof(*f));
    if (!f)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    f->fd = -1;
    f->path = strdup(path);
    f->line = malloc(CB_EVENT_LINE_MAX + 1);
    if (!f->path || !f->line) {
        cb_follow_close(&f);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    f->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (f->ino >= 0) {
        /* Watch the directory: the file may appear later, and a watch on
         * the directory sees writes to the files in it. */
        char *dir = strdup(path);
        if (!dir) {
            cb_follow_close(&f);
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        }
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir)
            *slash = '\0';
        else if (slash)
            slash[1] = '\0';
        else {
            free(dir);
            dir = strdup(".");
        }
        if (!dir || inotify_add_watch(f->ino, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
            close(f->ino);
            f->ino = -1;
        }
        free(dir);
    }
    *out = f;
    return 0;
}

int cb_follow_fd(const CbFollow *f)
{
    return f ? f->ino : -1;
}

static void drain_inotify(CbFollow *f)
{
    if (f->ino < 0)
        return;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(f->ino, buf, sizeof(buf)) > 0)
        ;
}

int cb_follow_read(CbFollow *f, void (*fn)(void *opaque, const char *line, size_t len),
                   void *opaque, CbError *err)
{
    drain_inotify(f);
    if (f->fd < 0) {
        f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0) {
            if (errno == ENOENT)
                return 0;
            return cb_error_set(err, CB_EIO, "%s: %s", f->path, strerror(errno));
        }
    }
    char buf[16384];
    for (;;) {
        ssize_t got = read(f->fd, buf, sizeof(buf));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return cb_error_set(err, CB_EIO, "%s: %s", f->path, strerror(errno));
        }
        if (got == 0)
            return 0;
        for (ssize_t i = 0; i < got; i++) {
            char c = buf[i];
            if (c == '\n') {
                if (f->skipping) {
                    static const char note[] =
                        "{\"event\":\"log\",\"level\":\"warn\",\"text\":\"(an events line longer "
                        "than 64 KiB was skipped)\"}";
                    fn(opaque, note, sizeof(note) - 1);
                } else {
                    f->line[f->len] = '\0';
                    fn(opaque, f->line, f->len);
                }
                f->len = 0;
                f->skipping = 0;
            } else if (!f->skipping) {
                if (f->len == CB_EVENT_LINE_MAX)
                    f->skipping = 1;
                else
                    f->line[f->len++] = c;
            }
        }
    }
}

void cb_follow_close(CbFollow **f)
{
    if (!f || !*f)
        return;
    if ((*f)->fd >= 0)
        close((*f)->fd);
    if ((*f)->ino >= 0)
        close((*f)->ino);
    free((*f)->line);
    free((*f)->path);
    free(*f);
    *f = NULL;
}

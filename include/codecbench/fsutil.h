/* codecbench: files and paths: joining names, bounded reads, atomic writes.
 *
 * The one implementation of what the store, the worker and the runner do
 * with the files of a store and its run directories.  Errors name the file
 * and the reason (strerror for system calls).
 */
#ifndef CODECBENCH_FSUTIL_H
#define CODECBENCH_FSUTIL_H

#include <stddef.h>

#include "codecbench/error.h"

/** dir + "/" + name as a new string (the caller frees it), or NULL when out
 * of memory. */
char *cb_path_join(const char *dir, const char *name);

/** Reads the regular file path whole into a new NUL-terminated buffer
 * (*out, the caller frees it; *len bytes, the NUL not counted).  At most max
 * bytes are accepted, however the file grows while it is read; a FIFO or a
 * device is refused without blocking.  Returns 0, CB_ENOENT (no such file),
 * CB_EIO (a system call failed, or not a regular file), CB_ELIMIT (more than
 * max bytes) or CB_ENOMEM; on failure *out is NULL and *len 0. */
int cb_file_read(const char *path, size_t max, char **out, size_t *len, CbError *err);

/** Writes len bytes of data to path atomically: a temporary file path.tmp
 * (a stale one from a crash is removed first, then it is created
 * exclusively, mode 0644), every byte, fsync, rename over path, fsync of the
 * directory holding path.  On failure before the rename the temporary file
 * is removed and path is untouched.  CB_EIO names the file and the reason;
 * when only the fsync of the directory fails the file is in place (its
 * durability across a crash is in doubt) and CB_EIO is still returned. */
int cb_file_write_atomic(const char *path, const void *data, size_t len, CbError *err);

/** cb_file_write_atomic of the NUL-terminated text and a newline (JSON
 * documents end in one, as text files do). */
int cb_file_write_text(const char *path, const char *text, CbError *err);

/** fsync of the directory dir, so that renames and new names in it are
 * durable.  CB_EIO names dir and the reason. */
int cb_dir_sync(const char *dir, CbError *err);

#endif

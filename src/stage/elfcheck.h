/* codecbench stage: the object checks of layer 1d (include/codecbench/
 * sandbox.h) on bytes in memory, shared by cb_stage_build (which checks the
 * very bytes it then writes out) and cb_stage_check_object. */
#ifndef CB_STAGE_ELFCHECK_H
#define CB_STAGE_ELFCHECK_H

#include <stddef.h>

#include "codecbench/error.h"
#include "codecbench/stage.h"

/** Largest object checked, bytes (a stage's object is a few KiB; a const
 * table of the whole source's worth of numbers stays far below). */
#define CB_STAGE_OBJECT_MAX ((size_t)16 << 20)

/** Checks n bytes of an object of kind (data is not modified).  0;
 * CB_ESTAGE with the reason the object is refused; CB_EFORMAT for bytes
 * that are not a well-formed ELF file; CB_ENOTSUP on a machine whose
 * objects it does not know; CB_ENOMEM. */
int cb_stage_check_elf(const void *data, size_t n, CbStageKind kind, CbError *err);

/** Reads the regular file path whole (at most max bytes, however it grows;
 * a FIFO or device refused without blocking; with nofollow a symbolic link
 * is refused).  *out is malloc'd (the caller frees it).  0, CB_ENOENT,
 * CB_EIO, CB_ELIMIT, CB_ENOMEM. */
int cb_stage_read_file(const char *path, size_t max, int nofollow, unsigned char **out, size_t *len,
                       CbError *err);

#endif

/* codecbench: JSON files over jansson: bounded reads of one object, atomic
 * writes (codecbench/fsutil.h underneath). */
#ifndef CODECBENCH_JSONFILE_H
#define CODECBENCH_JSONFILE_H

#include <jansson.h>
#include <stddef.h>

#include "codecbench/error.h"

/** Reads path (at most max bytes, as cb_file_read) as one JSON object;
 * duplicate keys are refused.  *out is a new reference (NULL on failure).
 * CB_EFORMAT "PATH: not valid JSON: line L column C: why" or "PATH: not a
 * JSON object"; otherwise cb_file_read's codes (CB_ENOENT, CB_EIO,
 * CB_ELIMIT, CB_ENOMEM). */
int cb_json_read_object(const char *path, size_t max, json_t **out, CbError *err);

/** Writes json_dumps(j, flags) (jansson's flags) and a newline to path
 * with cb_file_write_text (atomically).  CB_ENOMEM naming path when the
 * text cannot be built, else cb_file_write_text's codes. */
int cb_json_write_file(const char *path, const json_t *j, size_t flags, CbError *err);

#endif

/* codecbench: JSON files (see codecbench/jsonfile.h). */
#include "codecbench/jsonfile.h"

#include <stdlib.h>

#include "codecbench/fsutil.h"

int cb_json_read_object(const char *path, size_t max, json_t **out, CbError *err)
{
    *out = NULL;
    char *text;
    size_t len;
    int rc = cb_file_read(path, max, &text, &len, err);
    if (rc < 0)
        return rc;
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!j)
        return cb_error_set(err, CB_EFORMAT, "%s: not valid JSON: line %d column %d: %s", path,
                            je.line, je.column, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return cb_error_set(err, CB_EFORMAT, "%s: not a JSON object", path);
    }
    *out = j;
    return CB_OK;
}

int cb_json_write_file(const char *path, const json_t *j, size_t flags, CbError *err)
{
    char *text = json_dumps(j, flags);
    if (!text)
        return cb_error_set(err, CB_ENOMEM, "%s: cannot build the JSON text (out of memory)",
                            path);
    int rc = cb_file_write_text(path, text, err);
    free(text);
    return rc;
}

/* codecbench: search/replace edits of stage source, applied tolerantly
 * (include/codecbench/propose.h, "Stages").
 *
 * A model copies the text it wants to change from the prompt, and its
 * copy rarely keeps the spacing: tabs become spaces, lines are re-wrapped,
 * CRLF appears.  So a search text matches whitespace-insensitively: every
 * run of whitespace (space, tab, CR, LF, VT, FF) in it matches any run of
 * whitespace in the source, its own leading and trailing whitespace is
 * ignored, and every other byte must be equal.
 *
 * Both texts are folded (each whitespace run to one space, with a map from
 * a folded byte back to its source offset) and the folded search is found
 * in the folded source with Knuth-Morris-Pratt, which finds every
 * occurrence, overlapping ones too, in time linear in the two lengths:
 * hostile texts of the largest size cost milliseconds, never quadratic
 * time.
 */
#include <stdlib.h>
#include <string.h>

#include "codecbench/buf.h"
#include "codecbench/propose.h"

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Folds s (n bytes): whitespace runs to one ' ', trimmed when trim.  *out
 * gets the folded bytes (malloc'd, NUL-terminated), *map (when map is not
 * NULL) the source offset of each folded byte.  0 or CB_ENOMEM. */
static int fold(const char *s, size_t n, int trim, char **out, size_t **map, size_t *out_len)
{
    char *f = malloc(n + 1);
    size_t *m = map ? malloc((n + 1) * sizeof *m) : NULL;
    if (!f || (map && !m)) {
        free(f);
        free(m);
        return CB_ENOMEM;
    }
    size_t w = 0, i = 0;
    if (trim)
        while (i < n && is_ws((unsigned char)s[i]))
            i++;
    while (i < n) {
        if (is_ws((unsigned char)s[i])) {
            if (m)
                m[w] = i;
            f[w++] = ' ';
            while (i < n && is_ws((unsigned char)s[i]))
                i++;
        } else {
            if (m)
                m[w] = i;
            f[w++] = s[i++];
        }
    }
    if (trim && w && f[w - 1] == ' ')
        w--;
    f[w] = '\0';
    if (m)
        m[w] = n; /* one past the end maps to the end */
    *out = f;
    if (map)
        *map = m;
    *out_len = w;
    return CB_OK;
}

int cb_stage_edit_find(const char *src, size_t len, const char *search, size_t *start, size_t *end)
{
    char *fs = NULL, *fn = NULL;
    size_t *map = NULL, *fail = NULL;
    size_t ls = 0, ln = 0;
    int count = CB_ENOMEM;
    if (fold(search, strlen(search), 1, &fn, NULL, &ln) < 0)
        goto done;
    if (ln == 0) {
        count = CB_EINVAL;
        goto done;
    }
    if (fold(src, len, 0, &fs, &map, &ls) < 0)
        goto done;
    fail = malloc(ln * sizeof *fail);
    if (!fail)
        goto done;
    /* The KMP failure function: fail[i] is the length of the longest proper
     * prefix of fn[0..i] that is also its suffix. */
    fail[0] = 0;
    for (size_t i = 1, k = 0; i < ln; i++) {
        while (k && fn[i] != fn[k])
            k = fail[k - 1];
        if (fn[i] == fn[k])
            k++;
        fail[i] = k;
    }
    count = 0;
    for (size_t i = 0, k = 0; i < ls; i++) {
        while (k && fs[i] != fn[k])
            k = fail[k - 1];
        if (fs[i] == fn[k])
            k++;
        if (k == ln) {
            /* fs[i - ln + 1 .. i] matches: both ends are bytes other than
             * whitespace (the search is trimmed), so map gives the source
             * span exactly. */
            if (count == 0) {
                if (start)
                    *start = map[i + 1 - ln];
                if (end)
                    *end = map[i] + 1;
            }
            if (count < CB_STAGE_EDIT_COUNT_MAX)
                count++;
            k = fail[k - 1]; /* overlapping occurrences count too */
        }
    }
done:
    free(fs);
    free(fn);
    free(map);
    free(fail);
    return count;
}

int cb_stage_edit_apply(const char *src, size_t len, const CbStageEdit *edits, size_t n,
                        size_t max_bytes, char **out, size_t *out_len, CbError *err)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    if (n == 0)
        return cb_error_set(err, CB_EINVAL, "no edits");
    char *cur = malloc(len + 1);
    size_t cur_len = len;
    int rc = CB_OK;
    if (!cur)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    memcpy(cur, src, len);
    cur[len] = '\0';
    for (size_t e = 0; e < n; e++) {
        const char *search = edits[e].search ? edits[e].search : "";
        const char *repl = edits[e].replace ? edits[e].replace : "";
        size_t a = 0, b = 0;
        int found = cb_stage_edit_find(cur, cur_len, search, &a, &b);
        if (found == CB_ENOMEM) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto fail;
        }
        if (found == CB_EINVAL) {
            rc = cb_error_set(err, CB_EINVAL, "edit %zu: the search text is empty", e + 1);
            goto fail;
        }
        if (found == 0) {
            rc = cb_error_set(err, CB_EINVAL, "edit %zu: the search text was not found", e + 1);
            goto fail;
        }
        if (found > 1) {
            rc = cb_error_set(err, CB_EINVAL, "edit %zu: the search text matches %s%d places",
                              e + 1, found >= CB_STAGE_EDIT_COUNT_MAX ? "at least " : "", found);
            goto fail;
        }
        size_t rl = strlen(repl);
        /* intermediate texts are bounded too: the final check alone would
         * let a hostile list grow one without limit */
        if (cur_len - (b - a) > (size_t)-1 / 2 - rl ||
            cur_len - (b - a) + rl > max_bytes * 4 + 65536) {
            rc = cb_error_set(err, CB_ELIMIT, "edit %zu: the source grows beyond %zu bytes", e + 1,
                              max_bytes);
            goto fail;
        }
        size_t nl = cur_len - (b - a) + rl;
        char *next = malloc(nl + 1);
        if (!next) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto fail;
        }
        memcpy(next, cur, a);
        memcpy(next + a, repl, rl);
        memcpy(next + a + rl, cur + b, cur_len - b);
        next[nl] = '\0';
        free(cur);
        cur = next;
        cur_len = nl;
    }
    if (cur_len > max_bytes) {
        rc = cb_error_set(err, CB_ELIMIT,
                          "the edited source is %zu bytes, more than the %zu a stage may have",
                          cur_len, max_bytes);
        goto fail;
    }
    *out = cur;
    if (out_len)
        *out_len = cur_len;
    return CB_OK;
fail:
    free(cur);
    return rc;
}

/* codecbench: the first JSON object in a model's free text (see llm.h). */
#include <jansson.h>
#include <string.h>

#include "codecbench/llm.h"

/* The end (one past the closing brace) of the object starting at text[i],
 * matching braces outside strings, or 0 when it never closes. */
static size_t object_end(const char *text, size_t n, size_t i)
{
    int depth = 0, in_str = 0, esc = 0;
    for (; i < n; i++) {
        char c = text[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '{')
            depth++;
        else if (c == '}' && --depth == 0)
            return i + 1;
    }
    return 0;
}

int cb_llm_extract_json(const char *text, size_t n, size_t max_candidates, json_t **out,
                        size_t *off, size_t *len, CbError *err)
{
    *out = NULL;
    if (!max_candidates)
        max_candidates = 64;
    size_t tried = 0;
    json_error_t first;
    int have_first = 0;
    const char *p = text;
    while (tried < max_candidates && (p = memchr(p, '{', n - (size_t)(p - text)))) {
        size_t start = (size_t)(p - text);
        size_t end = object_end(text, n, start);
        if (!end) {
            /* Nothing closes this brace; an inner one may still close
             * (a stray '{' in prose before the object). */
            p++;
            tried++;
            continue;
        }
        tried++;
        json_error_t je;
        json_t *j = json_loadb(text + start, end - start, JSON_REJECT_DUPLICATES, &je);
        if (j && json_is_object(j)) {
            *out = j;
            if (off)
                *off = start;
            if (len)
                *len = end - start;
            return 0;
        }
        json_decref(j);
        if (!have_first) {
            first = je;
            first.position += (int)start;
            have_first = 1;
        }
        p++;
    }
    if (!memchr(text, '{', n))
        return cb_error_set(err, CB_EFORMAT, "the reply holds no JSON object (no '{' in %zu bytes)", n);
    if (!have_first)
        return cb_error_set(err, CB_EFORMAT,
                            "the reply's JSON object is cut short (a '{' never closed)");
    return cb_error_set(err, CB_EFORMAT,
                        "the reply holds no valid JSON object (the first candidate, at byte "
                        "%d: %s)",
                        first.position, first.text);
}

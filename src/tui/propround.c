/* codecbench dashboard: a proposer round as JSON, both ways. */
#include "tui/propround.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put_str(json_t *o, const char *k, const char *v)
{
    return json_object_set_new(o, k, json_string(v ? v : ""));
}

json_t *tui_round_to_json(const CbProposeRound *r)
{
    json_t *o = json_object(), *items = json_array(), *rej = json_array();
    if (!o || !items || !rej) {
        json_decref(o);
        json_decref(items);
        json_decref(rej);
        return NULL;
    }
    if (json_object_set_new(o, "items", items) < 0 || json_object_set_new(o, "rejects", rej) < 0)
        goto fail;
    for (size_t i = 0; i < r->n_items; i++) {
        const CbProposeItem *it = &r->items[i];
        json_t *e = json_object();
        if (!e || json_array_append_new(items, e) < 0 || put_str(e, "name", it->name) < 0 ||
            put_str(e, "rationale", it->rationale) < 0 ||
            put_str(e, "recipe", it->recipe_json) < 0 || put_str(e, "diff", it->diff) < 0 ||
            put_str(e, "key", it->key) < 0 ||
            json_object_set_new(e, "parent", json_integer(it->parent)) < 0)
            goto fail;
    }
    for (size_t i = 0; i < r->n_rejects; i++) {
        const CbProposeReject *j = &r->rejects[i];
        json_t *e = json_object();
        if (!e || json_array_append_new(rej, e) < 0 || put_str(e, "name", j->name) < 0 ||
            put_str(e, "rationale", j->rationale) < 0 || put_str(e, "reason", j->reason) < 0)
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

static char *dup_str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return strdup(v ? v : "");
}

int tui_round_from_json(json_t *doc, CbProposeRound *r)
{
    json_t *items = json_object_get(doc, "items"), *rej = json_object_get(doc, "rejects");
    if (!json_is_array(items) || !json_is_array(rej) ||
        json_array_size(items) > TUI_ROUND_MAX_ENTRIES ||
        json_array_size(rej) > TUI_ROUND_MAX_ENTRIES)
        return CB_EFORMAT;
    size_t ni = json_array_size(items), nr = json_array_size(rej);
    r->items = calloc(ni ? ni : 1, sizeof *r->items);
    r->rejects = calloc(nr ? nr : 1, sizeof *r->rejects);
    if (!r->items || !r->rejects)
        return CB_ENOMEM;
    for (size_t i = 0; i < ni; i++) {
        json_t *e = json_array_get(items, i);
        CbProposeItem *it = &r->items[r->n_items++];
        it->name = dup_str(e, "name");
        it->rationale = dup_str(e, "rationale");
        it->recipe_json = dup_str(e, "recipe");
        it->diff = dup_str(e, "diff");
        json_t *par = json_object_get(e, "parent");
        it->parent = json_is_integer(par) && json_integer_value(par) > 0
                         ? (int64_t)json_integer_value(par)
                         : 0;
        const char *key = json_string_value(json_object_get(e, "key"));
        snprintf(it->key, sizeof it->key, "%s", key ? key : "");
        if (!it->name || !it->rationale || !it->recipe_json || !it->diff)
            return CB_ENOMEM;
    }
    for (size_t i = 0; i < nr; i++) {
        json_t *e = json_array_get(rej, i);
        CbProposeReject *j = &r->rejects[r->n_rejects++];
        j->name = dup_str(e, "name");
        j->rationale = dup_str(e, "rationale");
        j->reason = dup_str(e, "reason");
        if (!j->name || !j->rationale || !j->reason)
            return CB_ENOMEM;
    }
    return CB_OK;
}

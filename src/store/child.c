/* codecbench store: child runs, a run made from another one (rerun, edit):
 * the one place that says what a child inherits from its parent, used by
 * `codecbench rerun` and the dashboard's rerun and edit keys. */
#include <stdlib.h>
#include <string.h>

#include "codecbench/recipe.h"
#include "codecbench/store.h"

int cb_store_child_request(CbStore *s, int64_t parent, const char *origin, CbChildRun *out,
                           CbError *err)
{
    memset(out, 0, sizeof *out);
    int rc = cb_store_get_run(s, parent, &out->parent, err);
    if (rc < 0)
        return rc;
    rc = cb_store_get_recipe(s, parent, &out->parent_recipe, err);
    if (rc < 0) {
        cb_child_run_free(out);
        return rc;
    }
    /* A child runs where its parent ran: the same input and frame range
     * (so that the two compare), in the same experiment. */
    out->req = (CbRunRequest){
        .experiment = out->parent.experiment,
        .recipe_json = out->parent_recipe,
        .recipe_source = "recipe.json",
        .input = out->parent.input,
        .first_frame = out->parent.first_frame,
        .frames = out->parent.frames,
        .parent = parent,
        .origin = origin ? origin : "rerun",
    };
    return CB_OK;
}

void cb_child_run_free(CbChildRun *c)
{
    if (!c)
        return;
    cb_run_info_free(&c->parent);
    free(c->parent_recipe);
    memset(c, 0, sizeof *c);
}

int cb_store_child_check(const CbChildRun *c, const char *text, size_t len, const char *source,
                         CbError *err)
{
    if (c->parent_recipe && strlen(c->parent_recipe) == len &&
        memcmp(c->parent_recipe, text, len) == 0)
        return CB_CHILD_SAME;
    CbRecipe r = {0};
    char hash[CB_RECIPE_HASH_HEX];
    int rc = cb_recipe_parse(text, len, source, &r, err);
    if (rc < 0)
        return rc;
    rc = cb_recipe_hash(&r, hash);
    cb_recipe_free(&r);
    if (rc < 0)
        return cb_error_set(err, rc, "%s: cannot hash the recipe", source ? source : "recipe");
    if (c->parent.recipe_hash && strcmp(hash, c->parent.recipe_hash) == 0)
        return CB_CHILD_SAME_SETTINGS;
    return CB_CHILD_CHANGED;
}

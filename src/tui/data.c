/* codecbench dashboard: the data views share: the runs, their rate points
 * and recipes as last read from the store, the marks, and the progress of
 * running runs (from their events.jsonl lines). */
#include "tui/app_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/runner.h"

void tui_data_free(TuiApp *app)
{
    cb_run_infos_free(&app->runs, app->n_runs);
    app->n_runs = 0;
    free(app->points);
    app->points = NULL;
    app->n_points = 0;
    cb_recipe_texts_free(&app->recipes, app->n_recipes);
    app->n_recipes = 0;
    cb_experiment_infos_free(&app->experiments, app->n_experiments);
    app->n_experiments = 0;
}

/* Drops marks of runs that no longer exist. */
static void prune_marks(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    size_t k = 0;
    for (size_t i = 0; i < p->n_marks; i++)
        if (tui_run(app, p->marks[i]))
            p->marks[k++] = p->marks[i];
    p->n_marks = k;
}

int tui_data_load(TuiApp *app, CbError *err)
{
    CbRunFilter f = {.status = -1, .experiment = app->priv->experiment, .sort = "id"};
    CbRunInfo *runs = NULL;
    CbPointSummary *points = NULL;
    CbRecipeText *recipes = NULL;
    CbExperimentInfo *exps = NULL;
    size_t nr = 0, np = 0, nt = 0, ne = 0;
    int rc = cb_store_list(app->store, &f, &runs, &nr, err);
    if (rc == CB_OK)
        rc = cb_store_all_points(app->store, &points, &np, err);
    if (rc == CB_OK)
        rc = cb_store_recipe_texts(app->store, &recipes, &nt, err);
    if (rc == CB_OK)
        rc = cb_store_experiments(app->store, &exps, &ne, err);
    if (rc < 0) {
        cb_run_infos_free(&runs, nr);
        free(points);
        cb_recipe_texts_free(&recipes, nt);
        cb_experiment_infos_free(&exps, ne);
        return rc;
    }
    tui_data_free(app);
    app->runs = runs;
    app->n_runs = nr;
    app->points = points;
    app->n_points = np;
    app->recipes = recipes;
    app->n_recipes = nt;
    app->experiments = exps;
    app->n_experiments = ne;
    prune_marks(app);
    /* forget progress of runs that are no longer running */
    struct TuiAppPrivate *p = app->priv;
    size_t k = 0;
    for (size_t i = 0; i < p->n_progress; i++) {
        const CbRunInfo *r = tui_run(app, p->progress[i].run_id);
        if (r && (r->status == CB_RUN_RUNNING || r->status == CB_RUN_VERIFYING))
            p->progress[k++] = p->progress[i];
    }
    p->n_progress = k;
    return CB_OK;
}

const CbRunInfo *tui_run(const TuiApp *app, int64_t id)
{
    size_t lo = 0, hi = app->n_runs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (app->runs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < app->n_runs && app->runs[lo].id == id ? &app->runs[lo] : NULL;
}

const CbPointSummary *tui_run_points(const TuiApp *app, int64_t id, size_t *n)
{
    size_t lo = 0, hi = app->n_points;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (app->points[mid].run_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < app->n_points && app->points[end].run_id == id)
        end++;
    *n = end - lo;
    return *n ? &app->points[lo] : NULL;
}

const char *tui_recipe_json(const TuiApp *app, const char *hash)
{
    if (!hash)
        return NULL;
    size_t lo = 0, hi = app->n_recipes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(app->recipes[mid].hash, hash);
        if (c == 0)
            return app->recipes[mid].json;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *tui_rate_word(const TuiApp *app, const CbRunInfo *run)
{
    const char *json = run ? tui_recipe_json(app, run->recipe_hash) : NULL, *word = "QP";
    if (!json)
        return word;
    json_t *o = json_loads(json, 0, NULL);
    const json_t *st = json_object_get(o, "settings");
    const char *rc = json_string_value(json_object_get(st, "rate_control"));
    const char *enc = json_string_value(json_object_get(st, "encoder"));
    if (rc && strcmp(rc, "crf") == 0)
        word = "CRF";
    else if (enc && strcmp(enc, "mpeg4") == 0)
        word = "q";
    json_decref(o);
    return word;
}

/* ---- marks ------------------------------------------------------------------ */

static size_t mark_pos(const struct TuiAppPrivate *p, int64_t id)
{
    size_t lo = 0, hi = p->n_marks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->marks[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int tui_is_marked(const TuiApp *app, int64_t id)
{
    const struct TuiAppPrivate *p = app->priv;
    size_t i = mark_pos(p, id);
    return i < p->n_marks && p->marks[i] == id;
}

void tui_mark(TuiApp *app, int64_t id, int on)
{
    struct TuiAppPrivate *p = app->priv;
    size_t i = mark_pos(p, id);
    int has = i < p->n_marks && p->marks[i] == id;
    if (on && !has) {
        if (p->n_marks == p->cap_marks) {
            size_t cap = p->cap_marks ? p->cap_marks * 2 : 16;
            int64_t *g = realloc(p->marks, cap * sizeof *g);
            if (!g) {
                tui_message(app, 1, "out of memory: the run was not marked");
                return;
            }
            p->marks = g;
            p->cap_marks = cap;
        }
        memmove(p->marks + i + 1, p->marks + i, (p->n_marks - i) * sizeof *p->marks);
        p->marks[i] = id;
        p->n_marks++;
    } else if (!on && has) {
        memmove(p->marks + i, p->marks + i + 1, (p->n_marks - i - 1) * sizeof *p->marks);
        p->n_marks--;
    }
    tui_dirty(app);
}

void tui_clear_marks(TuiApp *app)
{
    app->priv->n_marks = 0;
    tui_dirty(app);
}

const int64_t *tui_marked(const TuiApp *app, size_t *n)
{
    *n = app->priv->n_marks;
    return app->priv->marks;
}

/* ---- progress ----------------------------------------------------------------- */

const TuiProgress *tui_progress(const TuiApp *app, int64_t id)
{
    const struct TuiAppPrivate *p = app->priv;
    for (size_t i = 0; i < p->n_progress; i++)
        if (p->progress[i].run_id == id)
            return &p->progress[i];
    return NULL;
}

static TuiProgress *progress_slot(TuiApp *app, int64_t id)
{
    struct TuiAppPrivate *p = app->priv;
    for (size_t i = 0; i < p->n_progress; i++)
        if (p->progress[i].run_id == id)
            return &p->progress[i];
    if (p->n_progress == p->cap_progress) {
        size_t cap = p->cap_progress ? p->cap_progress * 2 : 8;
        TuiProgress *g = realloc(p->progress, cap * sizeof *g);
        if (!g)
            return NULL;
        p->progress = g;
        p->cap_progress = cap;
    }
    TuiProgress *t = &p->progress[p->n_progress++];
    memset(t, 0, sizeof *t);
    t->run_id = id;
    t->fraction = NAN;
    return t;
}

void tui_progress_forget(TuiApp *app, int64_t run_id)
{
    struct TuiAppPrivate *p = app->priv;
    for (size_t i = 0; i < p->n_progress; i++)
        if (p->progress[i].run_id == run_id) {
            p->progress[i] = p->progress[--p->n_progress];
            return;
        }
}

static int64_t json_int(const json_t *o, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

void tui_progress_update(TuiApp *app, int64_t run_id, const char *line, size_t len)
{
    TuiProgress *t = progress_slot(app, run_id);
    if (!t)
        return;
    cb_event_text(line, len, t->text, sizeof t->text);
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return;
    }
    const char *ev = json_string_value(json_object_get(o, "event"));
    if (ev && strcmp(ev, "start") == 0) {
        const json_t *pts = json_object_get(o, "points");
        int64_t n = json_is_array(pts) ? (int64_t)json_array_size(pts) : json_int(o, "points", 0);
        if (n > 0 && n <= 1000)
            t->points = (int)n;
    } else if (ev && (strcmp(ev, "progress") == 0 || strcmp(ev, "point") == 0)) {
        int64_t pt = json_int(o, "point", -1);
        if (pt >= 0 && pt < 1000)
            t->point = (int)pt;
        int64_t fr = json_int(o, "frame", -1), frs = json_int(o, "frames", -1);
        if (strcmp(ev, "point") == 0) {
            if (pt < 0 || pt >= 1000) {
                json_decref(o);
                return;
            }
            t->frame = t->frames;
            t->point = (int)pt + 1;
        } else if (fr >= 0 && frs > 0 && fr <= frs) {
            t->frame = fr;
            t->frames = frs;
        }
        if (t->points > 0) {
            double within = t->frames > 0 ? (double)t->frame / (double)t->frames : 0.0;
            if (strcmp(ev, "point") == 0)
                within = 0.0;
            double f = ((double)t->point + within) / (double)t->points;
            t->fraction = f < 0 ? 0 : f > 1 ? 1 : f;
        }
    } else if (ev && strcmp(ev, "verify") == 0) {
        t->fraction = 1.0;
    }
    json_decref(o);
}

/* ---- small shared helpers ------------------------------------------------------ */

CbColorArea tui_status_area(CbRunStatus st)
{
    switch (st) {
    case CB_RUN_QUEUED: return CB_AREA_QUEUED;
    case CB_RUN_RUNNING:
    case CB_RUN_VERIFYING: return CB_AREA_RUNNING;
    case CB_RUN_DONE: return CB_AREA_DONE;
    default: return CB_AREA_FAILED;
    }
}

const char *tui_basename(const char *path)
{
    if (!path)
        return "?";
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* codecbench dashboard: the compare view's model: recipe fields side by
 * side and the BD matrix (see compare.h).  No curses here. */
#include "tui/compare.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/metrics.h"
#include "codecbench/recipe.h"

void tui_compare_free(TuiCompare *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_fields; i++) {
        for (size_t j = 0; j < c->n_runs; j++)
            free(c->fields[i].values[j]);
        free(c->fields[i].values);
        free(c->fields[i].path);
    }
    free(c->fields);
    free(c->bd);
    memset(c, 0, sizeof *c);
}

const TuiCmpBd *tui_compare_bd(const TuiCompare *c, size_t anchor, size_t test)
{
    if (!c || !c->bd || anchor >= c->n_runs || test >= c->n_runs)
        return NULL;
    return &c->bd[anchor * c->n_runs + test];
}

int tui_compare_better(double v, double ref, int lower_is_better)
{
    if (!isfinite(v) || !isfinite(ref) || v == ref)
        return 0;
    int lower = v < ref;
    return lower == !!lower_is_better ? 1 : -1;
}

const CbPointSummary *tui_compare_point_at(const CbPointSummary *points, size_t n, int rate)
{
    for (size_t i = 0; points && i < n; i++)
        if (points[i].rate_value == rate)
            return &points[i];
    return NULL;
}

/* ---- recipe fields ---------------------------------------------------------- */

typedef struct Fields {
    TuiCompare *c;
    size_t cap;
    int *known;   /* per run: its recipe parsed */
} Fields;

static TuiCmpField *field_get(Fields *f, const char *path, CbError *err)
{
    TuiCompare *c = f->c;
    for (size_t i = 0; i < c->n_fields; i++)
        if (strcmp(c->fields[i].path, path) == 0)
            return &c->fields[i];
    if (c->n_fields == TUI_CMP_MAX_FIELDS) {
        cb_error_set(err, CB_ELIMIT, "compare: more than %d recipe fields", TUI_CMP_MAX_FIELDS);
        return NULL;
    }
    if (c->n_fields == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 32;
        TuiCmpField *g = realloc(c->fields, cap * sizeof *g);
        if (!g)
            goto oom;
        c->fields = g;
        f->cap = cap;
    }
    TuiCmpField *fl = &c->fields[c->n_fields];
    fl->path = strdup(path);
    fl->values = calloc(c->n_runs, sizeof *fl->values);
    fl->differs = 0;
    if (!fl->path || !fl->values) {
        free(fl->path);
        free(fl->values);
        goto oom;
    }
    c->n_fields++;
    return fl;
oom:
    cb_error_set(err, CB_ENOMEM, "compare: out of memory");
    return NULL;
}

static char *value_text(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Adds the leaves of object o under prefix for run j. */
static int flatten(Fields *f, size_t j, const json_t *o, const char *prefix, int depth,
                   CbError *err)
{
    const char *key;
    json_t *v;
    if (depth > 8)
        return CB_OK;
    json_object_foreach((json_t *)o, key, v) {
        size_t len = strlen(prefix) + strlen(key) + 2;
        char *path = malloc(len);
        if (!path)
            return cb_error_set(err, CB_ENOMEM, "compare: out of memory");
        int n = snprintf(path, len, "%s%s%s", prefix, *prefix ? "." : "", key);
        int rc = CB_OK;
        if (n < 0 || (size_t)n >= len) {
            rc = cb_error_set(err, CB_EINVAL, "compare: a recipe key cannot be named");
        } else if (json_is_object(v) && json_object_size(v) > 0) {
            rc = flatten(f, j, v, path, depth + 1, err);
        } else {
            TuiCmpField *fl = field_get(f, path, err);
            if (!fl)
                rc = err ? err->code : CB_ENOMEM;
            else if (!fl->values[j] && !(fl->values[j] = value_text(v)))
                rc = cb_error_set(err, CB_ENOMEM, "compare: out of memory");
        }
        free(path);
        if (rc < 0)
            return rc;
    }
    return CB_OK;
}

static int build_fields(TuiCompare *c, const TuiCmpInput *runs, CbError *err)
{
    int *known = calloc(c->n_runs ? c->n_runs : 1, sizeof *known);
    if (!known)
        return cb_error_set(err, CB_ENOMEM, "compare: out of memory");
    Fields f = {.c = c, .known = known};
    int rc = CB_OK;
    for (size_t j = 0; j < c->n_runs && rc == CB_OK; j++) {
        if (!runs[j].recipe_json)
            continue;
        /* the canonical form: every field, defaults included, so that a field
         * left out and the same field written at its default compare equal */
        CbRecipe r = {0};
        char *canon = NULL;
        const char *text = runs[j].recipe_json;
        if (cb_recipe_parse(text, strlen(text), NULL, &r, NULL) == 0) {
            canon = cb_recipe_canonical(&r);
            cb_recipe_free(&r);
        }
        json_error_t je;
        json_t *doc = json_loads(canon ? canon : text, JSON_REJECT_DUPLICATES, &je);
        free(canon);
        if (json_is_object(doc)) {
            known[j] = 1;
            rc = flatten(&f, j, doc, "", 0, err);
        }
        json_decref(doc);
    }
    for (size_t i = 0; rc == CB_OK && i < c->n_fields; i++) {
        TuiCmpField *fl = &c->fields[i];
        const char *first = NULL;
        int seen = 0;
        for (size_t j = 0; j < c->n_runs && !fl->differs; j++) {
            if (!known[j])
                continue;
            const char *v = fl->values[j];
            if (!seen) {
                first = v;
                seen = 1;
            } else if ((first == NULL) != (v == NULL) || (first && strcmp(first, v) != 0)) {
                fl->differs = 1;
            }
        }
        c->n_differ += (size_t)fl->differs;
    }
    free(known);
    return rc;
}

/* ---- the BD matrix ------------------------------------------------------------ */

/* The (kbps, PSNR-Y) curve of a run; n points into out (cap CB_BD_MAX_POINTS). */
static size_t curve(const TuiCmpInput *r, CbRdPoint *out)
{
    size_t n = 0;
    for (size_t i = 0; r->points && i < r->n_points && n < CB_BD_MAX_POINTS; i++)
        out[n++] = (CbRdPoint){.kbps = r->points[i].kbps, .psnr = r->points[i].psnr_y};
    return n;
}

static void bd_cell(const TuiCmpInput *a, const TuiCmpInput *t, int self, TuiCmpBd *cell)
{
    memset(cell, 0, sizeof *cell);
    cell->bd_rate_pct = NAN;
    cell->bd_psnr_db = NAN;
    if (self) {
        cell->state = TUI_BD_SELF;
        return;
    }
    if (!a->clip_id || !t->clip_id || !a->n_points || !t->n_points) {
        cell->state = TUI_BD_NO_DATA;
        return;
    }
    if (strcmp(a->clip_id, t->clip_id) != 0) {
        cell->state = TUI_BD_OTHER_CLIP;
        return;
    }
    CbRdPoint ca[CB_BD_MAX_POINTS], ct[CB_BD_MAX_POINTS];
    size_t na = curve(a, ca), nt = curve(t, ct);
    CbBdResult bd;
    CbError e;
    cb_error_clear(&e);
    if (cb_bd_compute(ca, na, ct, nt, &bd, &e) < 0) {
        cell->state = TUI_BD_FAILED;
        /* cut to the cell's size; a cut UTF-8 sequence is the sanitiser's to show */
        const char *why = e.text[0] ? e.text : "not computable";
        size_t len = strnlen(why, sizeof cell->why - 1);
        memcpy(cell->why, why, len);
        cell->why[len] = '\0';
        return;
    }
    cell->state = TUI_BD_OK;
    cell->bd_rate_pct = bd.bd_rate_pct;
    cell->bd_psnr_db = bd.bd_psnr_db;
    cell->small_overlap = bd.small_overlap;
}

int tui_compare_build(TuiCompare *c, const TuiCmpInput *runs, size_t n, CbError *err)
{
    memset(c, 0, sizeof *c);
    if (n > TUI_CMP_MAX_RUNS)
        return cb_error_set(err, CB_ELIMIT, "compare: %zu runs; at most %d at once", n,
                            TUI_CMP_MAX_RUNS);
    c->n_runs = n;
    int rc = build_fields(c, runs, err);
    if (rc == CB_OK && n > 0) {
        c->bd = malloc(n * n * sizeof *c->bd);
        if (!c->bd)
            rc = cb_error_set(err, CB_ENOMEM, "compare: out of memory");
    }
    for (size_t a = 0; rc == CB_OK && a < n; a++)
        for (size_t t = 0; t < n; t++)
            bd_cell(&runs[a], &runs[t], a == t, &c->bd[a * n + t]);
    if (rc < 0)
        tui_compare_free(c);
    return rc;
}

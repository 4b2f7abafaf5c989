/* codecbench dashboard: the lineage view's model: runs as a tree by parent,
 * BD-rate against the parent, fields changed.  No curses. */
#include "tui/lineage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/buf.h"
#include "codecbench/linediff.h"
#include "codecbench/metrics.h"
#include "codecbench/propose.h"
#include "codecbench/recipe.h"
#include "codecbench/sandbox.h"

#define NONE SIZE_MAX

void tui_lineage_free(TuiLineage *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_rows; i++)
        free(t->rows[i].diff);
    for (size_t i = 0; i < t->n_rows; i++)
        free(t->rows[i].code);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

/* The position of id in sel (run indexes whose ids ascend), or NONE. */
static size_t find_sel(const CbRunInfo *runs, const size_t *sel, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (runs[sel[mid]].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && runs[sel[lo]].id == id ? lo : NONE;
}

/* The rate points of run id as an RD curve (kbps, PSNR-Y); the count, 0 when
 * it has too few or too many to compare. */
static size_t curve_of(const CbPointSummary *points, size_t n_points, int64_t id,
                       CbRdPoint out[CB_BD_MAX_POINTS])
{
    size_t lo = 0, hi = n_points;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (points[mid].run_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < n_points && points[i].run_id == id; i++) {
        if (n == CB_BD_MAX_POINTS)
            return 0;
        out[n++] = (CbRdPoint){points[i].kbps, points[i].psnr_y};
    }
    return n >= CB_BD_MIN_POINTS ? n : 0;
}

static void bd_of(TuiLinRow *row, const CbRunInfo *c, const CbRunInfo *p,
                  const CbPointSummary *points, size_t n_points)
{
    row->bd_kind = TUI_LIN_BD_NONE;
    row->bd_gain = NAN;
    if (!c->clip_id || !p->clip_id || strcmp(c->clip_id, p->clip_id) || c->status != CB_RUN_DONE ||
        p->status != CB_RUN_DONE)
        return;
    CbRdPoint a[CB_BD_MAX_POINTS], b[CB_BD_MAX_POINTS];
    size_t na = curve_of(points, n_points, p->id, a), nb = curve_of(points, n_points, c->id, b);
    CbBdResult res;
    CbError e;
    cb_error_clear(&e);
    if (na && nb && cb_bd_compute(a, na, b, nb, &res, &e) == 0 && isfinite(res.bd_rate_pct)) {
        row->bd_kind = TUI_LIN_BD_DIRECT;
        row->bd_gain = res.bd_rate_pct;
    } else if (isfinite(c->bd_rate) && isfinite(p->bd_rate)) {
        row->bd_kind = TUI_LIN_BD_ANCHOR;
        row->bd_gain = c->bd_rate - p->bd_rate;
    }
}

/* Lays out the runs of sel (n run indexes, ids ascending) into t. */
static int layout(TuiLineage *t, const CbRunInfo *runs, const size_t *sel, size_t n,
                  const CbPointSummary *points, size_t n_points)
{
    int rc = CB_ENOMEM;
    size_t *par = malloc((n ? n : 1) * sizeof *par);
    size_t *first = calloc(n + 1, sizeof *first);
    size_t *kids = malloc((n ? n : 1) * sizeof *kids);
    size_t *stack = malloc((n ? n : 1) * sizeof *stack);
    size_t *row_of = malloc((n ? n : 1) * sizeof *row_of);
    t->rows = calloc(n ? n : 1, sizeof *t->rows);
    if (!par || !first || !kids || !stack || !row_of || !t->rows)
        goto done;
    /* parents within sel; children grouped by parent (counting sort, stable: by id) */
    for (size_t i = 0; i < n; i++) {
        const CbRunInfo *r = &runs[sel[i]];
        par[i] = r->parent > 0 && r->parent != r->id ? find_sel(runs, sel, n, r->parent) : NONE;
        row_of[i] = NONE;
        if (par[i] != NONE)
            first[par[i] + 1]++;
    }
    for (size_t i = 0; i < n; i++)
        first[i + 1] += first[i];
    {
        size_t *fill = stack; /* borrowed as the fill cursor of each parent */
        for (size_t i = 0; i < n; i++)
            fill[i] = first[i];
        for (size_t i = 0; i < n; i++)
            if (par[i] != NONE)
                kids[fill[par[i]]++] = i;
    }
    /* Depth first from each root in id order; a run left unvisited sits on a
     * cycle of parents (a broken store) and starts a tree of its own. */
    size_t nr = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t s = 0; s < n; s++) {
            if (row_of[s] != NONE || (pass == 0 && par[s] != NONE))
                continue;
            size_t sp = 0;
            stack[sp++] = s;
            while (sp) {
                size_t i = stack[--sp];
                if (row_of[i] != NONE)
                    continue;
                TuiLinRow *row = &t->rows[nr];
                row_of[i] = nr;
                row->run = sel[i];
                row->run_id = runs[sel[i]].id;
                row->n_children = first[i + 1] - first[i];
                row->bd_gain = NAN;
                size_t pr = par[i] != NONE ? row_of[par[i]] : NONE;
                if (i == s || pr == NONE) {
                    row->up = NONE;
                    row->depth = 0;
                } else {
                    row->up = pr;
                    row->depth = t->rows[pr].depth + 1;
                    row->last = kids[first[par[i] + 1] - 1] == i;
                    bd_of(row, &runs[sel[i]], &runs[t->rows[pr].run], points, n_points);
                }
                if (row->depth > t->max_depth)
                    t->max_depth = row->depth;
                nr++;
                /* children pushed last first, so that they come out by id */
                for (size_t k = first[i + 1]; k > first[i]; k--)
                    if (row_of[kids[k - 1]] == NONE)
                        stack[sp++] = kids[k - 1];
            }
        }
    }
    t->n_rows = nr;
    for (size_t i = nr; i > 0; i--)
        if (t->rows[i - 1].depth == 0) {
            t->rows[i - 1].last = 1;
            break;
        }
    rc = CB_OK;
done:
    free(par);
    free(first);
    free(kids);
    free(stack);
    free(row_of);
    return rc;
}

int tui_lineage_build(TuiLineage *t, const CbRunInfo *runs, size_t n, const CbPointSummary *points,
                      size_t n_points, const char *experiment, int64_t family, CbError *err)
{
    memset(t, 0, sizeof *t);
    size_t *sel = malloc((n ? n : 1) * sizeof *sel), ns = 0;
    int rc = CB_ENOMEM;
    if (!sel)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (!experiment || (runs[i].experiment && !strcmp(runs[i].experiment, experiment)))
            sel[ns++] = i;
    if (family > 0) {
        /* the whole tree first, then the family's rows kept: its ancestors
         * (the rows up from it) and its subtree (the rows after it, deeper) */
        TuiLineage all;
        memset(&all, 0, sizeof all);
        if ((rc = layout(&all, runs, sel, ns, points, n_points)) < 0) {
            tui_lineage_free(&all);
            goto done;
        }
        size_t at = tui_lineage_find(&all, family);
        ns = 0;
        if (at != NONE) {
            size_t chain = 0;
            for (size_t r = all.rows[at].up; r != NONE; r = all.rows[r].up)
                chain++;
            ns = chain;
            for (size_t r = all.rows[at].up, k = chain; r != NONE; r = all.rows[r].up)
                sel[--k] = all.rows[r].run;
            sel[ns++] = all.rows[at].run;
            for (size_t r = at + 1; r < all.n_rows && all.rows[r].depth > all.rows[at].depth; r++)
                sel[ns++] = all.rows[r].run;
            /* back in id order for the layout */
            for (size_t i = 1; i < ns; i++) {
                size_t v = sel[i], j = i;
                for (; j > 0 && runs[sel[j - 1]].id > runs[v].id; j--)
                    sel[j] = sel[j - 1];
                sel[j] = v;
            }
        }
        tui_lineage_free(&all);
    }
    rc = layout(t, runs, sel, ns, points, n_points);
done:
    free(sel);
    if (rc < 0) {
        tui_lineage_free(t);
        cb_error_set(err, rc, "the lineage of %zu runs: out of memory", n);
    }
    return rc;
}

size_t tui_lineage_find(const TuiLineage *t, int64_t id)
{
    for (size_t i = 0; i < t->n_rows; i++)
        if (t->rows[i].run_id == id)
            return i;
    return NONE;
}

int tui_lineage_prefix(const TuiLineage *t, size_t row, unsigned char *kinds, int max)
{
    if (row >= t->n_rows || max <= 0)
        return 0;
    const TuiLinRow *r = &t->rows[row];
    int d = r->depth, w = d < max ? d : max, base = d - w;
    if (w == 0)
        return 0;
    kinds[w - 1] = r->last ? TUI_LIN_CORNER : TUI_LIN_TEE;
    /* level l (0-based, l < d - 1) shows whether the ancestor at depth l + 1
     * has siblings below it */
    size_t a = r->up;
    for (int l = d - 2; l >= base && a != NONE; l--, a = t->rows[a].up)
        kinds[l - base] = t->rows[a].last ? TUI_LIN_SPACE : TUI_LIN_VERT;
    return w;
}

char *tui_lineage_diff(const char *parent_json, const char *child_json)
{
    if (!parent_json || !child_json)
        return strdup("");
    CbRecipe a, b;
    CbError e;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    cb_error_clear(&e);
    char *out;
    if (cb_recipe_parse(parent_json, strlen(parent_json), "parent", &a, &e) < 0)
        out = strdup("(recipe not readable)");
    else if (cb_recipe_parse(child_json, strlen(child_json), "run", &b, &e) < 0)
        out = strdup("(recipe not readable)");
    else
        out = cb_propose_diff(&a, &b);
    cb_recipe_free(&a);
    cb_recipe_free(&b);
    return out;
}

char *tui_lineage_code_change(const char *parent_json, const char *child_json)
{
    CbRecipe a, b;
    CbError e;
    CbBuf out;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    cb_error_clear(&e);
    cb_buf_init(&out, 256);
    int rc = CB_OK;
    if ((parent_json && cb_recipe_parse(parent_json, strlen(parent_json), "parent", &a, &e) < 0) ||
        (child_json && cb_recipe_parse(child_json, strlen(child_json), "run", &b, &e) < 0)) {
        rc = cb_buf_puts(&out, "(recipe not readable)");
        goto done;
    }
    if (a.stage_kind != CB_STAGE_NONE && a.stage_kind != b.stage_kind)
        rc = cb_buf_printf(&out, "%s removed", cb_stage_kind_name((int)a.stage_kind));
    if (rc < 0 || b.stage_kind == CB_STAGE_NONE || !b.stage_code)
        goto done;
    int same_kind = a.stage_kind == b.stage_kind && a.stage_code;
    const char *base = same_kind ? a.stage_code : cb_stage_builtin_source(b.stage_kind);
    const char *kind = cb_stage_kind_name((int)b.stage_kind);
    const char *sep = out.len ? "; " : "";
    if (!base) {
        rc = cb_buf_printf(&out, "%s%s new", sep, kind);
        goto done;
    }
    CbLineDiffStat st;
    int drc = cb_line_diff(base, strlen(base), b.stage_code, strlen(b.stage_code), 0, NULL, &st,
                           &e);
    if (drc == CB_ENOMEM)
        rc = drc;
    else if (drc < 0)
        rc = cb_buf_printf(&out, "%s%s changed (too many lines to count)", sep, kind);
    else if (st.added || st.removed || !same_kind)
        rc = cb_buf_printf(&out, "%s%s +%d -%d%s", sep, kind, st.added, st.removed,
                           same_kind ? "" : " vs built-in");
done:
    cb_recipe_free(&a);
    cb_recipe_free(&b);
    if (rc < 0 && rc != CB_ELIMIT) {
        cb_buf_free(&out);
        return NULL;
    }
    char *s = cb_buf_steal(&out);
    cb_buf_free(&out);
    return s;
}

int tui_diff_next(const char **s, TuiDiffPart *part)
{
    const char *p = *s;
    while (*p == ';' || *p == ' ')
        p++;
    if (!*p) {
        *s = p;
        return 0;
    }
    const char *end = strstr(p, "; ");
    if (!end)
        end = p + strlen(p);
    memset(part, 0, sizeof *part);
    part->field = p;
    const char *colon = NULL, *arrow = NULL;
    for (const char *q = p; q + 1 < end && !colon; q++)
        if (q[0] == ':' && q[1] == ' ')
            colon = q;
    if (colon)
        for (const char *q = colon + 2; q + 4 <= end && !arrow; q++)
            if (!memcmp(q, " -> ", 4))
                arrow = q;
    if (colon && arrow) {
        part->field_len = (size_t)(colon - p);
        part->old = colon + 2;
        part->old_len = (size_t)(arrow - part->old);
        part->new_ = arrow + 4;
        part->new_len = (size_t)(end - part->new_);
    } else {
        part->field_len = (size_t)(end - p);
    }
    *s = end;
    return 1;
}

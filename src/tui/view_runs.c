/* codecbench dashboard: the runs view, the bottom of the view stack.
 *
 * Left, the experiments pane ("all" first; the cursor there chooses whose
 * runs the table shows; next-pane moves between the panes); right, the
 * table of runs (runtable.h: the model, formatted once per reload) with a
 * header showing the sort column and direction and a footer summing up the
 * filter, the sort, the rate point, the recipe-field mode and the marks.
 * The id and status columns stay put when the other columns scroll
 * sideways.  Keys arrive as requests (the configuration's bindings);
 * actions on runs go through actions.h on the marked runs, else the one
 * under the cursor. */
#include "tui/actions.h"
#include "tui/runtable.h"
#include "tui/tui.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Widest the experiments pane grows, and the narrowest table beside it. */
#define PANE_MAX  30
#define PANE_MIN  16
#define TABLE_MIN 56
/* Columns between cells, and the mark column at the left. */
#define GAP    2
#define MARK_W 2
/* Rows the wheel moves. */
#define WHEEL_ROWS 3
/* Longest hint. */
#define HINT_MAX 200
/* Header cells a click can hit. */
#define MAX_HIT 64

typedef struct Hit {
    int x0, x1, col;
} Hit;

typedef struct RunsView {
    TuiRunTable *rt;
    int loaded;
    int pane;          /* 1: the experiments pane has the keys */
    size_t exp_cursor; /* 0: all; i: app->experiments[i - 1] */
    size_t exp_top;
    char *exp_name;   /* the chosen experiment, kept by name across reloads */
    size_t top;       /* first table row shown */
    size_t hscroll;   /* first scrolling column shown (index among the scrolling ones) */
    int hscroll_more; /* the last draw cut columns on the right */
    int page;         /* table rows shown at the last draw */
    int active;       /* queued, running or verifying runs at the last reload */
    /* geometry of the last draw, for clicks */
    TuiRect pane_rect, table_rect;
    int pane_shown;
    int pane_lines; /* list lines of the pane at the last draw */
    Hit hits[MAX_HIT];
    int n_hits;
    char hint[HINT_MAX];
    /* key names for messages, from the bindings in force */
    char key_mark[CB_KEY_NAME_MAX], key_new[CB_KEY_NAME_MAX], key_filter[CB_KEY_NAME_MAX],
        key_reverse[CB_KEY_NAME_MAX];
} RunsView;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keeps app->cursor_run on the run under the table's cursor. */
static void sync_cursor(RunsView *v, TuiApp *app)
{
    app->cursor_run = tui_runtable_cursor_id(v->rt);
}

/* Whether a key does req in the runs view; name gets the first such key's name. */
static int key_for(const CbConfig *cfg, CbRequest req, char name[CB_KEY_NAME_MAX])
{
    size_t n = cb_config_binding_count(cfg);
    for (int pass = 0; pass < 2; pass++) {
        CbView want = pass == 0 ? CB_VIEW_RUNS : CB_VIEW_GLOBAL;
        for (size_t i = 0; i < n; i++) {
            const CbBinding *b = cb_config_binding(cfg, i);
            if (b->view != want || b->req != req)
                continue;
            /* the key must really do req here (a runs binding may hide a global one) */
            if (cb_config_key_request(cfg, CB_VIEW_RUNS, b->key) != req)
                continue;
            if (cb_config_key_name(b->key, name) == 0)
                return 1;
        }
    }
    return 0;
}

/* The status-line hint from the bindings in force ("r rerun  e edit  ..."). */
static void make_hint(RunsView *v, const CbConfig *cfg)
{
    static const struct {
        CbRequest req;
        const char *word;
    } H[] = {
        {CB_REQ_RERUN, "rerun"},     {CB_REQ_EDIT, "edit"},        {CB_REQ_FILTER, "filter"},
        {CB_REQ_SORT, "sort"},       {CB_REQ_TOGGLE_MARK, "mark"}, {CB_REQ_COMPARE, "compare"},
        {CB_REQ_CHART, "chart"},     {CB_REQ_LOGS, "logs"},        {CB_REQ_COLUMNS, "columns"},
        {CB_REQ_NEXT_PANE, "panes"},
    };
    size_t used = 0;
    v->hint[0] = '\0';
    for (size_t i = 0; i < sizeof H / sizeof H[0]; i++) {
        char key[CB_KEY_NAME_MAX];
        if (!cfg || !key_for(cfg, H[i].req, key))
            continue;
        int w = snprintf(v->hint + used, sizeof v->hint - used, "%s%s %s", used ? "  " : "", key,
                         H[i].word);
        if (w < 0 || (size_t)w >= sizeof v->hint - used) {
            v->hint[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
}

static int create(TuiApp *app, void **self)
{
    RunsView *v = calloc(1, sizeof *v);
    if (!v)
        return CB_ENOMEM;
    CbError err;
    int rc = tui_runtable_new(&v->rt, &err);
    if (rc < 0) {
        free(v);
        return rc;
    }
    v->page = 1;
    make_hint(v, app->cfg);
    struct {
        CbRequest req;
        char *out;
        const char *none;
    } keys[] = {{CB_REQ_TOGGLE_MARK, v->key_mark, "toggle-mark"},
                {CB_REQ_NEW_RUN, v->key_new, "new-run"},
                {CB_REQ_FILTER, v->key_filter, "filter"},
                {CB_REQ_SORT_REVERSE, v->key_reverse, "sort-reverse"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((!app->cfg || !key_for(app->cfg, keys[i].req, keys[i].out)) &&
            snprintf(keys[i].out, CB_KEY_NAME_MAX, "%s", keys[i].none) < 0)
            keys[i].out[0] = '\0';
    *self = v;
    return CB_OK;
}

static void destroy(void *self)
{
    RunsView *v = self;
    if (!v)
        return;
    tui_runtable_free(&v->rt);
    free(v->exp_name);
    free(v);
}

/* Applies the experiment under the pane's cursor to the table. */
static void apply_experiment(RunsView *v, TuiApp *app)
{
    const char *name = v->exp_cursor > 0 && v->exp_cursor <= app->n_experiments
                           ? app->experiments[v->exp_cursor - 1].name
                           : NULL;
    char *copy = name ? strdup(name) : NULL;
    if (name && !copy) {
        tui_message(app, 1, "out of memory");
        return;
    }
    free(v->exp_name);
    v->exp_name = copy;
    if (tui_runtable_set_experiment(v->rt, name) < 0)
        tui_message(app, 1, "out of memory: the runs could not be listed");
    sync_cursor(v, app);
    tui_dirty(app);
}

static void reload(RunsView *v, TuiApp *app)
{
    TuiRtInput in = {app->runs,    app->n_runs,    app->points, app->n_points,
                     app->recipes, app->n_recipes, now_s()};
    CbError err;
    if (tui_runtable_load(v->rt, &in, &err) < 0)
        tui_error(app, &err);
    v->loaded = 1;
    const char *note = tui_runtable_notice(v->rt);
    if (note)
        tui_message(app, 1, "%s", note);
    /* The chosen experiment by name; gone: all. */
    size_t pick = 0;
    for (size_t i = 0; v->exp_name && i < app->n_experiments; i++)
        if (app->experiments[i].name && strcmp(app->experiments[i].name, v->exp_name) == 0)
            pick = i + 1;
    v->exp_cursor = pick;
    if (!pick && v->exp_name) {
        free(v->exp_name);
        v->exp_name = NULL;
        tui_runtable_set_experiment(v->rt, NULL);
    }
    v->active = 0;
    for (size_t i = 0; i < app->n_runs; i++)
        if (app->runs[i].status == CB_RUN_QUEUED || app->runs[i].status == CB_RUN_RUNNING ||
            app->runs[i].status == CB_RUN_VERIFYING)
            v->active++;
    sync_cursor(v, app);
    tui_dirty(app);
}

/* ---- drawing ---------------------------------------------------------------------------- */

/* The text of a cell as drawn now: live progress and running time are
 * computed here (a few rows per frame); everything else was formatted at
 * the reload. */
static const char *cell_now(RunsView *v, TuiApp *app, size_t row, int col, double now, char *buf,
                            size_t size)
{
    const TuiRtRun *r = tui_runtable_row(v->rt, row);
    int live = r && (r->status == CB_RUN_RUNNING || r->status == CB_RUN_VERIFYING);
    if (live && col == TUI_RT_COL_STATUS) {
        const TuiProgress *p = tui_progress(app, r->id);
        const char *name = r->cancel_requested ? "cancelling" : cb_run_status_name(r->status);
        if (p && isfinite(p->fraction)) {
            if (snprintf(buf, size, "%s %3d%%", name, (int)lround(p->fraction * 100)) > 0)
                return buf;
        }
        return name;
    }
    if (live && col == TUI_RT_COL_DURATION && isfinite(r->started)) {
        tui_runtable_format_duration(now - r->started, buf, size);
        return buf;
    }
    return tui_runtable_cell(v->rt, row, col);
}

/* The attributes of a cell that is not on the cursor row. */
static attr_t cell_attr(RunsView *v, TuiApp *app, size_t row, int col, attr_t base)
{
    if (col == TUI_RT_COL_STATUS) {
        const TuiRtRun *r = tui_runtable_row(v->rt, row);
        return r ? tui_attr(app, tui_status_area(r->status)) : base;
    }
    if (col == TUI_RT_COL_BD || col == TUI_RT_COL_BDPSNR) {
        double x = tui_runtable_number(v->rt, row, col);
        if (isnan(x) || x == 0)
            return base;
        int good = col == TUI_RT_COL_BD ? x < 0 : x > 0;
        return tui_attr(app, good ? CB_AREA_GOOD : CB_AREA_BAD);
    }
    return base;
}

static int col_width(const RunsView *v, const TuiRtColumn *c, int id)
{
    int w = c->width;
    if (id == TUI_RT_COL_STATUS && v->active && w < 14)
        w = 14; /* room for "verifying 100%" while runs are live */
    if (id == TUI_RT_COL_DURATION && w < 6)
        w = 6;
    return w < 1 ? 1 : w;
}

/* The columns in drawing order: the fixed ones (id, status), then the
 * scrolling ones from v->hscroll.  Returns how many were put in out;
 * *n_fixed gets how many of them are fixed, *n_scroll how many scroll. */
static size_t layout(RunsView *v, int *out, size_t cap, size_t *n_fixed, size_t *n_scroll)
{
    const int *vis;
    size_t n = tui_runtable_visible(v->rt, &vis), k = 0, s = 0;
    for (size_t i = 0; i < n && k < cap; i++)
        if (vis[i] == TUI_RT_COL_ID || vis[i] == TUI_RT_COL_STATUS)
            out[k++] = vis[i];
    *n_fixed = k;
    for (size_t i = 0; i < n; i++)
        if (vis[i] != TUI_RT_COL_ID && vis[i] != TUI_RT_COL_STATUS)
            s++;
    *n_scroll = s;
    if (v->hscroll >= s)
        v->hscroll = s ? s - 1 : 0;
    size_t skip = v->hscroll;
    for (size_t i = 0; i < n && k < cap; i++) {
        if (vis[i] == TUI_RT_COL_ID || vis[i] == TUI_RT_COL_STATUS)
            continue;
        if (skip) {
            skip--;
            continue;
        }
        out[k++] = vis[i];
    }
    return k;
}

static void draw_pane(RunsView *v, TuiApp *app, TuiRect r)
{
    attr_t norm = tui_attr(app, CB_AREA_DEFAULT);
    attr_t head = tui_attr(app, CB_AREA_HEADER);
    attr_t cur = tui_attr(app, v->pane ? CB_AREA_CURSOR : CB_AREA_SELECTED);
    int w = r.w - 1; /* the border */
    tui_fill(app, r.y, r.x, w, head);
    tui_text(app, r.y, r.x + 1, w - 1, head, "EXPERIMENTS");
    if (w >= 24)
        tui_text_right(app, r.y, r.x + w - 10, 9, head, "done/runs");
    int lines = r.h - 1;
    /* The anchor of the chosen experiment on the last two lines, when there is room. */
    const CbExperimentInfo *chosen = v->exp_cursor > 0 && v->exp_cursor <= app->n_experiments
                                         ? &app->experiments[v->exp_cursor - 1]
                                         : NULL;
    if (!chosen) {
        /* "all": the anchor of the cursor run's experiment */
        const CbRunInfo *run = tui_run(app, tui_runtable_cursor_id(v->rt));
        for (size_t i = 0; run && run->experiment && i < app->n_experiments; i++)
            if (app->experiments[i].name && strcmp(app->experiments[i].name, run->experiment) == 0)
                chosen = &app->experiments[i];
    }
    int foot = lines >= 8 ? 2 : 0;
    lines -= foot;
    v->pane_lines = lines;
    size_t n = app->n_experiments + 1;
    if (v->exp_cursor >= n)
        v->exp_cursor = n - 1;
    if (lines > 0) {
        if (v->exp_cursor < v->exp_top)
            v->exp_top = v->exp_cursor;
        if (v->exp_cursor >= v->exp_top + (size_t)lines)
            v->exp_top = v->exp_cursor - (size_t)lines + 1;
    }
    for (int i = 0; i < lines; i++) {
        size_t e = v->exp_top + (size_t)i;
        int y = r.y + 1 + i;
        if (e >= n) {
            tui_fill(app, y, r.x, w, norm);
            continue;
        }
        attr_t a = e == v->exp_cursor ? cur : norm;
        tui_fill(app, y, r.x, w, a);
        char counts[48];
        const char *name;
        if (e == 0) {
            name = "all";
            if (snprintf(counts, sizeof counts, "%zu", app->n_runs) < 0)
                counts[0] = '\0';
        } else {
            const CbExperimentInfo *x = &app->experiments[e - 1];
            name = x->name ? x->name : "?";
            if (snprintf(counts, sizeof counts, "%lld/%lld", (long long)x->done,
                         (long long)x->runs) < 0)
                counts[0] = '\0';
        }
        int cw = (int)strlen(counts);
        int nw = w - 2 - cw - 1;
        if (nw < 1) {
            tui_text(app, y, r.x + 1, w - 1, a, name);
            continue;
        }
        tui_text(app, y, r.x + 1, nw, a, name);
        tui_text_right(app, y, r.x + 1 + nw + 1, cw, a, counts);
    }
    if (foot) {
        int y = r.y + 1 + lines;
        tui_fill(app, y, r.x, w, head);
        tui_text(app, y, r.x + 1, w - 1, head, "anchor");
        tui_fill(app, y + 1, r.x, w, norm);
        const char *an = chosen ? (chosen->anchor_name ? chosen->anchor_name : "none") : "-";
        tui_text(app, y + 1, r.x + 1, w - 1, norm, an);
    }
    attr_t border = tui_attr(app, CB_AREA_BORDER);
    for (int y = r.y; y < r.y + r.h; y++)
        tui_glyph(app, y, r.x + w, border, "\u2502", '|');
}

/* Keeps the cursor row on screen. */
static void scroll_to_cursor(RunsView *v, int rows)
{
    size_t cur = tui_runtable_cursor(v->rt), n = tui_runtable_n_rows(v->rt);
    if (rows < 1)
        rows = 1;
    if (cur < v->top)
        v->top = cur;
    if (cur >= v->top + (size_t)rows)
        v->top = cur - (size_t)rows + 1;
    /* no empty space below the last row when rows could fill it */
    if (n > (size_t)rows && v->top > n - (size_t)rows)
        v->top = n - (size_t)rows;
    if (n <= (size_t)rows)
        v->top = 0;
}

static void draw_footer(RunsView *v, TuiApp *app, int y, int x, int w)
{
    attr_t a = tui_attr(app, CB_AREA_HEADER);
    tui_fill(app, y, x, w, a);
    int sdesc = 0;
    int scol = tui_runtable_sort(v->rt, &sdesc);
    const TuiRtColumn *sc = tui_runtable_column(v->rt, scol);
    size_t marked;
    tui_marked(app, &marked);
    int maxp = tui_runtable_max_points(v->rt), point = tui_runtable_point(v->rt) + 1;
    int diff = tui_runtable_diff(v->rt);
    const char *sname = sc ? sc->name : "?";
    /* The long form, else a short one when the table is narrow. */
    char right[2][160];
    char pt[2][32] = {"", ""}, mk[2][32] = {"", ""};
    if (maxp > 1 && (snprintf(pt[0], sizeof pt[0], "  point %d/%d", point, maxp) < 0 ||
                     snprintf(pt[1], sizeof pt[1], " p%d/%d", point, maxp) < 0))
        pt[0][0] = pt[1][0] = '\0';
    if (marked && (snprintf(mk[0], sizeof mk[0], "  %zu marked", marked) < 0 ||
                   snprintf(mk[1], sizeof mk[1], " %zu marked", marked) < 0))
        mk[0][0] = mk[1][0] = '\0';
    if (snprintf(right[0], sizeof right[0], "sort %s %s%s  fields: %s%s", sname,
                 sdesc ? "desc" : "asc", pt[0], diff ? "differing" : "all", mk[0]) < 0)
        right[0][0] = '\0';
    if (snprintf(right[1], sizeof right[1], "%s %s%s%s", sname, sdesc ? "desc" : "asc", pt[1],
                 mk[1]) < 0)
        right[1][0] = '\0';
    const char *q = tui_runtable_query(v->rt);
    const char *exp = tui_runtable_experiment(v->rt);
    char left[96];
    if (snprintf(left, sizeof left, "%zu of %zu runs%s", tui_runtable_n_rows(v->rt),
                 tui_runtable_total(v->rt), exp ? " in " : "") < 0)
        left[0] = '\0';
    int lmin = tui_width(left) + (exp ? 6 : 0) + 2;
    const char *rt = right[0];
    if (tui_width(rt) + lmin + 3 > w)
        rt = right[1];
    int rw = tui_width(rt);
    int lx = x + 1, lw = w - 1;
    if (rw + 4 < w) {
        tui_text(app, y, x + w - rw - 1, rw, a, rt);
        lw = w - rw - 4;
    }
    int used = tui_text(app, y, lx, lw, a, left);
    if (exp && used < lw)
        used += tui_text(app, y, lx + used, lw - used, a, exp);
    if (*q && used + 2 < lw) {
        used += tui_text(app, y, lx + used, lw - used, a, "  filter: ");
        if (used < lw)
            tui_text(app, y, lx + used, lw - used, a | A_BOLD, q);
    }
}

static void draw_table(RunsView *v, TuiApp *app, TuiRect r)
{
    attr_t norm = tui_attr(app, CB_AREA_DEFAULT);
    attr_t head = tui_attr(app, CB_AREA_HEADER);
    attr_t curs = tui_attr(app, CB_AREA_CURSOR);
    attr_t mark = tui_attr(app, CB_AREA_MARKED);
    int cols[MAX_HIT];
    size_t n_fixed, n_scroll;
    size_t nc = layout(v, cols, MAX_HIT, &n_fixed, &n_scroll);
    int rows = r.h - 2; /* header, footer */
    if (r.h < 3)
        rows = r.h - 1;
    if (rows < 0)
        rows = 0;
    v->page = rows > 0 ? rows : 1;
    scroll_to_cursor(v, v->page);
    int right = r.x + r.w;
    int desc = 0;
    int scol = tui_runtable_sort(v->rt, &desc);

    /* header, and where each column landed (for clicks) */
    tui_fill(app, r.y, r.x, r.w, head);
    int x = r.x + MARK_W;
    v->n_hits = 0;
    v->hscroll_more = 0;
    int xs[MAX_HIT], ws[MAX_HIT];
    size_t drawn = 0;
    for (size_t i = 0; i < nc; i++) {
        if (i == n_fixed && v->hscroll > 0 && x < right)
            tui_glyph(app, r.y, x - 1, head, "\u00ab", '<');
        const TuiRtColumn *c = tui_runtable_column(v->rt, cols[i]);
        int w = col_width(v, c, cols[i]);
        if (x >= right) {
            v->hscroll_more = 1;
            break;
        }
        int avail = right - x < w ? right - x : w;
        if (avail < w) {
            v->hscroll_more = 1;
            /* a column cut short is left for scrolling, unless nothing else would show */
            if (i > n_fixed || (i == n_fixed && avail < 4))
                break;
        }
        if (c->numeric)
            tui_text_right(app, r.y, x, avail, head, c->title);
        else
            tui_text(app, r.y, x, avail, head, c->title);
        if (cols[i] == scol && x + w < right)
            tui_glyph(app, r.y, x + w, head, desc ? "\u25bc" : "\u25b2", desc ? 'v' : '^');
        xs[drawn] = x;
        ws[drawn] = avail;
        v->hits[v->n_hits++] = (Hit){x, x + w + GAP, cols[i]};
        drawn++;
        x += w + GAP;
    }
    if (v->hscroll_more)
        tui_glyph(app, r.y, right - 1, head, "\u00bb", '>');

    /* rows */
    double now = now_s();
    size_t n = tui_runtable_n_rows(v->rt);
    size_t cur = tui_runtable_cursor(v->rt);
    for (int i = 0; i < rows; i++) {
        int y = r.y + 1 + i;
        size_t row = v->top + (size_t)i;
        if (row >= n) {
            tui_fill(app, y, r.x, r.w, norm);
            if (n == 0 && i == rows / 2) {
                char why[128];
                if (snprintf(why, sizeof why,
                             tui_runtable_total(v->rt) == 0
                                 ? "No runs in this store yet: %s queues one ('codecbench demo' makes a demo)."
                                 : "No run matches: %s changes the filter.",
                             tui_runtable_total(v->rt) == 0 ? v->key_new : v->key_filter) < 0)
                    why[0] = '\0';
                int tw = tui_width(why);
                int tx = r.x + (r.w > tw ? (r.w - tw) / 2 : 0);
                tui_text(app, y, tx, right - tx, norm, why);
            }
            continue;
        }
        const TuiRtRun *run = tui_runtable_row(v->rt, row);
        int marked = run && tui_is_marked(app, run->id);
        attr_t base = marked ? mark : norm;
        if (row == cur)
            base = v->pane ? tui_attr(app, CB_AREA_SELECTED) : curs;
        tui_fill(app, y, r.x, r.w, base);
        if (marked)
            tui_glyph(app, y, r.x, base == norm ? mark : base, "\u25cf", '*');
        for (size_t k = 0; k < drawn; k++) {
            char buf[64];
            const char *t = cell_now(v, app, row, cols[k], now, buf, sizeof buf);
            attr_t a = base == curs ? curs : cell_attr(v, app, row, cols[k], base);
            const TuiRtColumn *c = tui_runtable_column(v->rt, cols[k]);
            if (c->numeric)
                tui_text_right(app, y, xs[k], ws[k], a, t);
            else
                tui_text(app, y, xs[k], ws[k], a, t);
        }
    }
    if (r.h >= 3)
        draw_footer(v, app, r.y + r.h - 1, r.x, r.w);
}

static void draw(void *self, TuiApp *app, TuiRect area)
{
    RunsView *v = self;
    if (!v->loaded)
        reload(v, app);
    tui_clear_rect(app, area);
    if (area.w < 4 || area.h < 2)
        return;
    /* The pane shows when the table keeps TABLE_MIN columns beside it, or when it has the keys. */
    int pw = 0;
    for (size_t i = 0; i < app->n_experiments; i++) {
        const CbExperimentInfo *e = &app->experiments[i];
        char counts[48];
        int cw =
            snprintf(counts, sizeof counts, "%lld/%lld", (long long)e->done, (long long)e->runs);
        int w = (e->name ? tui_width(e->name) : 1) + (cw > 0 ? cw : 0) + 4;
        if (w > pw)
            pw = w;
    }
    if (pw < PANE_MIN)
        pw = PANE_MIN;
    if (pw > PANE_MAX)
        pw = PANE_MAX;
    if (area.w - pw < TABLE_MIN && !v->pane)
        pw = 0;
    if (pw > area.w / 2)
        pw = area.w / 2 >= 8 ? area.w / 2 : 0;
    v->pane_shown = pw > 0;
    if (!v->pane_shown)
        v->pane = 0;
    v->pane_rect = (TuiRect){area.y, area.x, area.h, pw};
    v->table_rect = (TuiRect){area.y, area.x + pw, area.h, area.w - pw};
    if (pw)
        draw_pane(v, app, v->pane_rect);
    draw_table(v, app, v->table_rect);
}

/* ---- keys ------------------------------------------------------------------------------ */

static void move_table(RunsView *v, TuiApp *app, long delta, int absolute)
{
    long n = (long)tui_runtable_n_rows(v->rt);
    long at = absolute ? delta : (long)tui_runtable_cursor(v->rt) + delta;
    if (n > 0)
        tui_runtable_set_cursor(v->rt, at < 0 ? 0 : at >= n ? n - 1 : at);
    sync_cursor(v, app);
    tui_dirty(app);
}

static void move_pane(RunsView *v, TuiApp *app, long delta, int absolute)
{
    long n = (long)app->n_experiments + 1;
    long at = absolute ? delta : (long)v->exp_cursor + delta;
    at = at < 0 ? 0 : at >= n ? n - 1 : at;
    if ((size_t)at != v->exp_cursor) {
        v->exp_cursor = (size_t)at;
        apply_experiment(v, app);
    }
    tui_dirty(app);
}

/* Takes the "sort:NAME" / "sort:-NAME" terms out of a filter text (they
 * choose the sort, as in GitHub's search); the rest is the query.  *col is
 * -1 when there is none.  Returns the rest (new; NULL when out of memory),
 * or NULL with *bad set to the unknown name's term. */
static char *split_sort(RunsView *v, const char *text, int *col, int *desc, char *bad,
                        size_t bad_size)
{
    size_t n = strlen(text);
    char *rest = malloc(n + 1);
    if (!rest)
        return NULL;
    size_t o = 0;
    *col = -1;
    *desc = 0;
    bad[0] = '\0';
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            rest[o++] = *p++;
        const char *start = p;
        int quoted = 0;
        while (*p && (quoted || *p != ' ')) {
            if (*p == '"')
                quoted = !quoted;
            else if (quoted && *p == '\\' && p[1])
                p++;
            p++;
        }
        size_t len = (size_t)(p - start);
        if (len > 5 && strncmp(start, "sort:", 5) == 0 && !memchr(start, '"', len)) {
            char name[128];
            const char *nm = start + 5;
            size_t nl = len - 5;
            int d = 0;
            if (*nm == '-') {
                d = 1;
                nm++;
                nl--;
            }
            int c = -1;
            if (nl > 0 && nl < sizeof name) {
                memcpy(name, nm, nl);
                name[nl] = '\0';
                c = tui_runtable_find_column(v->rt, name);
            }
            if (c < 0) {
                if (snprintf(bad, bad_size, "%.*s", (int)len, start) < 0)
                    bad[0] = '?';
                free(rest);
                return NULL;
            }
            *col = c;
            *desc = d;
            while (*p == ' ')
                p++; /* the term's own separator goes with it */
            continue;
        }
        memcpy(rest + o, start, len);
        o += len;
    }
    rest[o] = '\0';
    return rest;
}

static void filter_done(void *ctx, TuiApp *app, const char *text)
{
    RunsView *v = ctx;
    if (!text)
        return;
    int col, desc;
    char bad[160] = "";
    char *query = split_sort(v, text, &col, &desc, bad, sizeof bad);
    if (!query) {
        if (bad[0])
            tui_message(app, 1, "%s: unknown column (columns: %s fields)", bad,
                        tui_runtable_column_names(v->rt));
        else
            tui_message(app, 1, "out of memory");
        return;
    }
    CbError err;
    int rc = tui_runtable_set_query(v->rt, query, &err);
    free(query);
    if (rc < 0) {
        tui_error(app, &err);
        return;
    }
    if (col >= 0 && tui_runtable_set_sort(v->rt, col, desc) < 0)
        tui_message(app, 1, "out of memory: not sorted");
    sync_cursor(v, app);
    v->top = 0;
    if (*tui_runtable_query(v->rt))
        tui_message(app, 0, "%zu of %zu runs match", tui_runtable_n_rows(v->rt),
                    tui_runtable_total(v->rt));
    tui_dirty(app);
}

static void columns_done(void *ctx, TuiApp *app, const char *text)
{
    RunsView *v = ctx;
    if (!text)
        return;
    CbError err;
    if (tui_runtable_set_columns(v->rt, text, &err) < 0) {
        tui_error(app, &err);
        return;
    }
    v->hscroll = 0;
    tui_dirty(app);
}

/* Writes one CSV field (RFC 4180: quoted when it holds a comma, a quote or
 * a line break; quotes doubled). */
static int csv_field(FILE *fp, const char *t)
{
    if (!strpbrk(t, ",\"\r\n"))
        return fputs(t, fp) < 0 ? -1 : 0;
    if (fputc('"', fp) == EOF)
        return -1;
    for (; *t; t++)
        if ((*t == '"' && fputc('"', fp) == EOF) || fputc(*t, fp) == EOF)
            return -1;
    return fputc('"', fp) == EOF ? -1 : 0;
}

/* Writes the rows shown, in order, with the columns shown (numbers in full,
 * missing values empty) to path ("~/" is $HOME). */
static void export_done(void *ctx, TuiApp *app, const char *text)
{
    RunsView *v = ctx;
    if (!text || !*text)
        return;
    char path[4096];
    const char *home = getenv("HOME");
    int w = strncmp(text, "~/", 2) == 0 && home
                ? snprintf(path, sizeof path, "%s/%s", home, text + 2)
                : snprintf(path, sizeof path, "%s", text);
    if (w < 0 || (size_t)w >= sizeof path) {
        tui_message(app, 1, "export: the path is too long");
        return;
    }
    FILE *fp = fopen(path, "w");
    if (!fp) {
        tui_message(app, 1, "export: cannot write %s: %s", path, strerror(errno));
        return;
    }
    const int *cols;
    size_t nc = tui_runtable_visible(v->rt, &cols), nr = tui_runtable_n_rows(v->rt);
    int bad = 0;
    for (size_t c = 0; c < nc && !bad; c++)
        bad = (c && fputc(',', fp) == EOF) ||
              csv_field(fp, tui_runtable_column(v->rt, cols[c])->name) < 0;
    bad = bad || fputc('\n', fp) == EOF;
    for (size_t r = 0; r < nr && !bad; r++) {
        for (size_t c = 0; c < nc && !bad; c++) {
            const TuiRtColumn *col = tui_runtable_column(v->rt, cols[c]);
            double x = tui_runtable_number(v->rt, r, cols[c]);
            char num[40];
            const char *t = tui_runtable_cell(v->rt, r, cols[c]);
            if (col->numeric)
                t = isfinite(x) && snprintf(num, sizeof num, "%.10g", x) > 0 ? num : "";
            else if (strcmp(t, "-") == 0 && isnan(x))
                t = "";
            bad = (c && fputc(',', fp) == EOF) || csv_field(fp, t) < 0;
        }
        bad = bad || fputc('\n', fp) == EOF;
    }
    if (fclose(fp) != 0)
        bad = 1;
    if (bad)
        tui_message(app, 1, "export: writing %s failed: %s", path, strerror(errno));
    else
        tui_message(app, 0, "%zu runs written to %s", nr, path);
}

/* Sorts by the next shown column (s), from the one sorted by now. */
static void sort_next(RunsView *v, TuiApp *app)
{
    const int *vis;
    size_t n = tui_runtable_visible(v->rt, &vis);
    if (n == 0)
        return;
    int desc = 0;
    int cur = tui_runtable_sort(v->rt, &desc);
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        if (vis[i] == cur)
            at = (i + 1) % n;
    const TuiRtColumn *c = tui_runtable_column(v->rt, vis[at]);
    if (tui_runtable_set_sort(v->rt, vis[at], 0) < 0)
        tui_message(app, 1, "out of memory: not sorted");
    else
        tui_message(app, 0,
                    "sorted by %s (%s reverses; a click on a header or sort:NAME in the "
                    "filter sorts by any column)",
                    c ? c->name : "?", v->key_reverse);
    sync_cursor(v, app);
    tui_dirty(app);
}

/* The targets of an action (marked runs, else the cursor's); NULL and a
 * message when there are none.  The array is new (free()). */
static int64_t *targets(RunsView *v, TuiApp *app, size_t *n)
{
    size_t marked;
    tui_marked(app, &marked);
    size_t cap = marked ? marked : 1;
    int64_t *ids = malloc(cap * sizeof *ids);
    if (!ids) {
        tui_message(app, 1, "out of memory");
        *n = 0;
        return NULL;
    }
    *n = tui_action_targets(app, tui_runtable_cursor_id(v->rt), ids, cap);
    if (*n == 0) {
        free(ids);
        tui_message(app, 1, "no run under the cursor");
        return NULL;
    }
    return ids;
}

static int cursor_run(RunsView *v, TuiApp *app, int64_t *id)
{
    *id = tui_runtable_cursor_id(v->rt);
    if (!*id)
        tui_message(app, 1, "no run under the cursor");
    return *id != 0;
}

static int key(void *self, TuiApp *app, CbRequest req, int k)
{
    RunsView *v = self;
    (void)k;
    if (!v->loaded)
        reload(v, app);
    int64_t id;
    size_t n;
    int64_t *ids;
    long page = v->page > 1 ? v->page - 1 : 1;
    switch (req) {
    case CB_REQ_MOVE_UP:
    case CB_REQ_MOVE_DOWN:
    case CB_REQ_MOVE_PAGE_UP:
    case CB_REQ_MOVE_PAGE_DOWN:
    case CB_REQ_MOVE_HOME:
    case CB_REQ_MOVE_END: {
        long d = req == CB_REQ_MOVE_UP        ? -1
                 : req == CB_REQ_MOVE_DOWN    ? 1
                 : req == CB_REQ_MOVE_PAGE_UP ? -page
                                              : page;
        int abs_ = req == CB_REQ_MOVE_HOME || req == CB_REQ_MOVE_END;
        if (abs_)
            d = req == CB_REQ_MOVE_HOME ? 0 : 1L << 30;
        if (v->pane)
            move_pane(v, app, d, abs_);
        else
            move_table(v, app, d, abs_);
        return 1;
    }
    case CB_REQ_NEXT_PANE:
        v->pane = !v->pane;
        tui_dirty(app);
        return 1;
    case CB_REQ_VIEW_EXPERIMENTS:
        v->pane = 1;
        tui_dirty(app);
        return 1;
    case CB_REQ_BACK:
        /* from the experiments pane back to the table; else the app's meaning */
        if (!v->pane)
            return 0;
        v->pane = 0;
        tui_dirty(app);
        return 1;
    case CB_REQ_SELECT:
        if (v->pane) {
            v->pane = 0;
            tui_dirty(app);
        } else if (cursor_run(v, app, &id)) {
            tui_open_view(app, &tui_view_detail, id);
        }
        return 1;
    case CB_REQ_TOGGLE_MARK:
        if (cursor_run(v, app, &id)) {
            tui_mark(app, id, !tui_is_marked(app, id));
            move_table(v, app, 1, 0);
        }
        return 1;
    case CB_REQ_CLEAR_MARKS:
        tui_clear_marks(app);
        tui_message(app, 0, "no run is marked");
        return 1;
    case CB_REQ_FILTER:
        if (tui_prompt(app, "filter (e.g. status:done bd<-5)", tui_runtable_query(v->rt),
                       filter_done, v) < 0)
            tui_message(app, 1, "a question is open already");
        return 1;
    case CB_REQ_SORT: sort_next(v, app); return 1;
    case CB_REQ_SORT_REVERSE: {
        int desc = 0;
        int col = tui_runtable_sort(v->rt, &desc);
        if (tui_runtable_set_sort(v->rt, col, !desc) < 0)
            tui_message(app, 1, "out of memory: not sorted");
        sync_cursor(v, app);
        tui_dirty(app);
        return 1;
    }
    case CB_REQ_COLUMNS:
        if (tui_prompt(app, "columns (names, +name, -name, default, all)",
                       tui_runtable_columns_spec(v->rt), columns_done, v) < 0)
            tui_message(app, 1, "a question is open already");
        return 1;
    case CB_REQ_EXPORT:
        if (tui_prompt(app, "export the rows shown as CSV to", "runs.csv", export_done, v) < 0)
            tui_message(app, 1, "a question is open already");
        return 1;
    case CB_REQ_DIFF_FIELDS:
        tui_runtable_set_diff(v->rt, !tui_runtable_diff(v->rt));
        v->hscroll = 0;
        tui_message(app, 0, "%s",
                    tui_runtable_diff(v->rt)
                        ? "recipe fields: only those that differ among the runs shown"
                        : "recipe fields: all of them");
        tui_dirty(app);
        return 1;
    case CB_REQ_NEXT_POINT:
    case CB_REQ_PREV_POINT: {
        int maxp = tui_runtable_max_points(v->rt);
        if (maxp < 2) {
            tui_message(app, 0, "the runs shown have %s rate point", maxp ? "one" : "no");
            return 1;
        }
        int p = tui_runtable_point(v->rt) + (req == CB_REQ_NEXT_POINT ? 1 : -1);
        p = (p + maxp) % maxp;
        tui_runtable_set_point(v->rt, p);
        sync_cursor(v, app);
        tui_message(app, 0, "kbps, PSNR-Y and SSIM at rate point %d of %d", p + 1, maxp);
        tui_dirty(app);
        return 1;
    }
    case CB_REQ_SCROLL_LEFT:
        if (v->hscroll > 0)
            v->hscroll--;
        tui_dirty(app);
        return 1;
    case CB_REQ_SCROLL_RIGHT:
        if (v->hscroll_more)
            v->hscroll++;
        tui_dirty(app);
        return 1;
    case CB_REQ_COMPARE:
        tui_marked(app, &n);
        if (n < 2)
            tui_message(app, 1, "mark two runs or more to compare them (%s marks)", v->key_mark);
        else
            tui_open_view(app, &tui_view_compare, 0);
        return 1;
    case CB_REQ_CHART: tui_open_view(app, &tui_view_chart, tui_runtable_cursor_id(v->rt)); return 1;
    case CB_REQ_PREVIEW:
        if (cursor_run(v, app, &id))
            tui_open_preview(app, id, 0, tui_runtable_point(v->rt), 0);
        return 1;
    case CB_REQ_LOGS:
        if (cursor_run(v, app, &id))
            tui_open_view(app, &tui_view_logs, id);
        return 1;
    case CB_REQ_RERUN:
    case CB_REQ_CANCEL:
    case CB_REQ_DELETE:
    case CB_REQ_TAG:
        ids = targets(v, app, &n);
        if (!ids)
            return 1;
        if (req == CB_REQ_RERUN)
            tui_action_rerun(app, ids, n);
        else if (req == CB_REQ_CANCEL)
            tui_action_cancel(app, ids, n);
        else if (req == CB_REQ_DELETE)
            tui_action_delete(app, ids, n);
        else
            tui_action_tag(app, ids, n);
        free(ids);
        return 1;
    case CB_REQ_EDIT:
        if (cursor_run(v, app, &id))
            tui_action_edit(app, id);
        return 1;
    case CB_REQ_NEW_RUN: tui_action_new_run(app, tui_runtable_cursor_id(v->rt)); return 1;
    case CB_REQ_ANCHOR:
        if (cursor_run(v, app, &id))
            tui_action_anchor(app, id);
        return 1;
    case CB_REQ_NOTE:
        if (cursor_run(v, app, &id))
            tui_action_note(app, id);
        return 1;
    default: return 0;
    }
}

/* ---- events ---------------------------------------------------------------------------- */

static void mouse(RunsView *v, TuiApp *app, const TuiEvent *ev)
{
    if (ev->button == 4 || ev->button == 5) {
        long d = ev->button == 4 ? -WHEEL_ROWS : WHEEL_ROWS;
        int in_pane = v->pane_shown && ev->x < v->pane_rect.x + v->pane_rect.w;
        if (in_pane)
            move_pane(v, app, d, 0);
        else
            move_table(v, app, d, 0);
        return;
    }
    if (ev->button != 1)
        return;
    if (v->pane_shown && ev->x >= v->pane_rect.x && ev->x < v->pane_rect.x + v->pane_rect.w) {
        int line = ev->y - v->pane_rect.y - 1;
        v->pane = 1;
        if (line >= 0 && line < v->pane_lines && v->exp_top + (size_t)line <= app->n_experiments)
            move_pane(v, app, (long)v->exp_top + line, 1);
        tui_dirty(app);
        return;
    }
    TuiRect t = v->table_rect;
    if (ev->x < t.x || ev->x >= t.x + t.w || ev->y < t.y || ev->y >= t.y + t.h)
        return;
    v->pane = 0;
    if (ev->y == t.y) {
        for (int i = 0; i < v->n_hits; i++) {
            if (ev->x < v->hits[i].x0 || ev->x >= v->hits[i].x1)
                continue;
            int desc = 0;
            int cur = tui_runtable_sort(v->rt, &desc);
            int col = v->hits[i].col;
            if (tui_runtable_set_sort(v->rt, col, col == cur ? !desc : 0) < 0)
                tui_message(app, 1, "out of memory: not sorted");
            sync_cursor(v, app);
            break;
        }
        tui_dirty(app);
        return;
    }
    long row = (long)v->top + (ev->y - t.y - 1);
    if (ev->y - t.y - 1 < v->page && row < (long)tui_runtable_n_rows(v->rt))
        move_table(v, app, row, 1);
}

static void event(void *self, TuiApp *app, const TuiEvent *ev)
{
    RunsView *v = self;
    switch (ev->type) {
    case TUI_EV_RELOAD: reload(v, app); break;
    case TUI_EV_SHOW:
        if (!v->loaded)
            reload(v, app);
        if (ev->run_id && tui_runtable_set_cursor_id(v->rt, ev->run_id) == 0)
            sync_cursor(v, app);
        tui_dirty(app);
        break;
    case TUI_EV_TICK:
        /* running times and progress move */
        if (v->active)
            tui_dirty(app);
        break;
    case TUI_EV_RUN_EVENT: tui_dirty(app); break;
    case TUI_EV_MOUSE: mouse(v, app, ev); break;
    }
}

static const char *hint(void *self, TuiApp *app)
{
    RunsView *v = self;
    (void)app;
    return v->hint[0] ? v->hint : NULL;
}

const TuiViewOps tui_view_runs = {
    .id = CB_VIEW_RUNS,
    .title = "runs",
    .create = create,
    .destroy = destroy,
    .draw = draw,
    .key = key,
    .event = event,
    .hint = hint,
};

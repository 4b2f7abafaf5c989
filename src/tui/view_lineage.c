/* codecbench dashboard: the lineage view: the runs of an experiment as a
 * tree by parent (the proposer's and the user's derived runs under the run
 * they came from), each with the BD-rate it gained against its parent and
 * the recipe fields it changed.  The tree (lineage.c) is built once per
 * reload; a draw costs the rows shown.  The lineage request (T) switches
 * between the whole experiment and the family of the run under the cursor
 * (its ancestors and descendants). */
#include "tui/app_int.h"
#include "tui/lineage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Tree levels drawn at most; deeper rows show their depth instead of more
 * lines (an evolve chain may be hundreds of generations deep). */
#define MAX_LEVELS 24

typedef struct Lineage {
    TuiLineage tree;
    char *experiment;  /* the experiment shown (NULL: every run) */
    int64_t family;    /* > 0: only this run's family */
    int64_t cursor_id; /* the run under the cursor, kept across rebuilds */
    size_t cursor, top;
    int height;
    int built;
} Lineage;

static int lin_create(TuiApp *app, void **self)
{
    (void)app;
    Lineage *l = calloc(1, sizeof *l);
    if (!l)
        return CB_ENOMEM;
    *self = l;
    return CB_OK;
}

static void lin_destroy(void *self)
{
    Lineage *l = self;
    if (!l)
        return;
    tui_lineage_free(&l->tree);
    free(l->experiment);
    free(l);
}

static void rebuild(Lineage *l, TuiApp *app)
{
    CbError err;
    cb_error_clear(&err);
    tui_lineage_free(&l->tree);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (tui_lineage_build(&l->tree, app->runs, app->n_runs, app->points, app->n_points,
                          l->experiment, l->family, &err) < 0)
        tui_error(app, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    tui_log(app, "lineage: %zu rows of %zu runs in %.2f ms", l->tree.n_rows, app->n_runs,
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    size_t at = tui_lineage_find(&l->tree, l->cursor_id);
    if (at != SIZE_MAX)
        l->cursor = at;
    else if (l->cursor >= l->tree.n_rows)
        l->cursor = l->tree.n_rows ? l->tree.n_rows - 1 : 0;
    if (l->tree.n_rows)
        l->cursor_id = l->tree.rows[l->cursor].run_id;
    l->built = 1;
    tui_dirty(app);
}

static void set_experiment(Lineage *l, const char *name)
{
    free(l->experiment);
    l->experiment = name ? strdup(name) : NULL; /* NULL on no memory: every run, still right */
}

/* Draws a diff text ("field: old -> new; ...") with the fields in the header
 * colour, the old values dim and the new ones in the "good" colour; returns
 * the columns used. */
static int draw_diff(TuiApp *app, int y, int x, int w, const char *diff)
{
    attr_t fa = tui_attr(app, CB_AREA_HEADER), na = tui_attr(app, CB_AREA_GOOD);
    const char *s = diff;
    TuiDiffPart p;
    int used = 0;
    char buf[512];
    while (used < w && tui_diff_next(&s, &p)) {
        /* the stage part is drawn apart (draw_code), from the code itself */
        if (p.field_len > 6 && !memcmp(p.field, "stage ", 6))
            continue;
        if (used) {
            used += tui_text(app, y, x + used, w - used, A_NORMAL, "; ");
            if (used >= w)
                break;
        }
        snprintf(buf, sizeof buf, "%.*s", (int)(p.field_len < 400 ? p.field_len : 400), p.field);
        used += tui_text(app, y, x + used, w - used, p.old ? fa : A_NORMAL, buf);
        if (!p.old || used >= w)
            continue;
        used += tui_text(app, y, x + used, w - used, A_NORMAL, ": ");
        snprintf(buf, sizeof buf, "%.*s", (int)(p.old_len < 400 ? p.old_len : 400), p.old);
        used += tui_text(app, y, x + used, w - used, A_DIM, buf);
        used += tui_text(app, y, x + used, w - used, A_NORMAL, " -> ");
        snprintf(buf, sizeof buf, "%.*s", (int)(p.new_len < 400 ? p.new_len : 400), p.new_);
        used += tui_text(app, y, x + used, w - used, na, buf);
    }
    return used;
}

/* Draws a code change ("intra +12 -3; loop_filter removed") with the kind
 * in the header colour, added lines in the "good" colour and removed ones
 * in the "bad" colour; returns the columns used. */
static int draw_code(TuiApp *app, int y, int x, int w, attr_t base, const char *code)
{
    attr_t ka = base | tui_attr(app, CB_AREA_HEADER), ga = base | tui_attr(app, CB_AREA_GOOD),
           ba = base | tui_attr(app, CB_AREA_BAD);
    int used = 0, part_start = 1;
    char word[96];
    for (const char *p = code; *p && used < w;) {
        size_t n = strcspn(p, " ;");
        snprintf(word, sizeof word, "%.*s", (int)(n < 90 ? n : 90), p);
        attr_t at = word[0] == '+' ? ga : word[0] == '-' ? ba : part_start ? ka : base;
        used += tui_text(app, y, x + used, w - used, at, word);
        p += n;
        size_t sp = strspn(p, " ;");
        part_start = memchr(p, ';', sp) != NULL;
        if (sp && used < w) {
            snprintf(word, sizeof word, "%.*s", (int)(sp < 8 ? sp : 8), p);
            used += tui_text(app, y, x + used, w - used, base, word);
        }
        p += sp;
    }
    return used;
}

static const char *glyph_of(int kind, char *ascii2)
{
    switch (kind) {
    case TUI_LIN_VERT: ascii2[0] = '|', ascii2[1] = ' '; return "│";
    case TUI_LIN_TEE: ascii2[0] = '|', ascii2[1] = '-'; return "├";
    case TUI_LIN_CORNER: ascii2[0] = '`', ascii2[1] = '-'; return "└";
    default: ascii2[0] = ' ', ascii2[1] = ' '; return " ";
    }
}

static void draw_row(Lineage *l, TuiApp *app, TuiRect r, int y, size_t i)
{
    TuiLinRow *row = &l->tree.rows[i];
    const CbRunInfo *run = &app->runs[row->run];
    int is_cursor = i == l->cursor;
    attr_t base = is_cursor ? tui_attr(app, CB_AREA_CURSOR) : A_NORMAL;
    if (is_cursor)
        tui_fill(app, y, r.x, r.w, base);
    int name_w = r.w / 2 < 56 ? r.w / 2 : 56;
    int x = r.x + 1;
    unsigned char kinds[MAX_LEVELS];
    int levels = tui_lineage_prefix(&l->tree, i, kinds, MAX_LEVELS);
    if (row->depth > MAX_LEVELS) {
        x += tui_textf(app, y, x, 6, base | A_DIM, "%d", row->depth);
    }
    attr_t ta = base | tui_attr(app, CB_AREA_BORDER);
    for (int k = 0; k < levels && x + 2 < r.x + name_w; k++) {
        char a[2];
        const char *g = glyph_of(kinds[k], a);
        tui_glyph(app, y, x, ta, g, a[0]);
        tui_glyph(app, y, x + 1, ta,
                  kinds[k] == TUI_LIN_TEE || kinds[k] == TUI_LIN_CORNER ? "─" : " ", a[1]);
        x += 2;
    }
    if (levels > 0)
        x++;
    int left = r.x + name_w - x;
    if (left > 0) {
        int n = tui_textf(app, y, x, left, base | A_BOLD, "#%lld ", (long long)run->id);
        tui_text(app, y, x + n, left - n, base, run->recipe_name ? run->recipe_name : "?");
    }
    int cx = r.x + name_w + 1;
    tui_text(app, y, cx, 11, base | tui_attr(app, tui_status_area(run->status)),
             cb_run_status_name(run->status)); /* "interrupted" is the longest */
    cx += 12;
    if (row->bd_kind != TUI_LIN_BD_NONE) {
        char t[32];
        snprintf(t, sizeof t, "%+.2f%%%s", row->bd_gain,
                 row->bd_kind == TUI_LIN_BD_ANCHOR ? "~" : "");
        attr_t a = row->bd_gain < 0   ? tui_attr(app, CB_AREA_GOOD)
                   : row->bd_gain > 0 ? tui_attr(app, CB_AREA_BAD)
                                      : A_NORMAL;
        tui_text_right(app, y, cx, 10, base | a, t);
    } else {
        tui_text_right(app, y, cx, 10, base | A_DIM, row->up == SIZE_MAX ? "root" : "-");
    }
    cx += 11;
    int dw = r.x + r.w - cx - 1;
    if (dw <= 0 || row->up == SIZE_MAX)
        return;
    if (!row->diff) {
        const CbRunInfo *par = &app->runs[l->tree.rows[row->up].run];
        if (par->recipe_hash && run->recipe_hash && !strcmp(par->recipe_hash, run->recipe_hash))
            row->diff = strdup("");
        else
            row->diff = tui_lineage_diff(tui_recipe_json(app, par->recipe_hash),
                                         tui_recipe_json(app, run->recipe_hash));
    }
    if (!row->code) {
        const CbRunInfo *par = &app->runs[l->tree.rows[row->up].run];
        if (par->recipe_hash && run->recipe_hash && !strcmp(par->recipe_hash, run->recipe_hash))
            row->code = strdup("");
        else
            row->code = tui_lineage_code_change(tui_recipe_json(app, par->recipe_hash),
                                                tui_recipe_json(app, run->recipe_hash));
    }
    if (row->code && *row->code) {
        int n = draw_code(app, y, cx, dw, base, row->code);
        cx += n;
        dw -= n;
        /* the fields after the code, unless only the stage changed */
        const char *s = row->diff ? row->diff : "";
        TuiDiffPart p;
        int fields = 0;
        while (tui_diff_next(&s, &p))
            fields += !(p.field_len > 6 && !memcmp(p.field, "stage ", 6));
        if (fields && dw > 2) {
            n = tui_text(app, y, cx, dw, base, "; ");
            draw_diff(app, y, cx + n, dw - n, row->diff);
        }
    } else if (row->diff && !*row->diff) {
        tui_text(app, y, cx, dw, base | A_DIM, "same recipe");
    } else if (row->diff) {
        draw_diff(app, y, cx, dw, row->diff);
    }
}

static void lin_draw(void *self, TuiApp *app, TuiRect r)
{
    Lineage *l = self;
    tui_clear_rect(app, r);
    if (!l->built)
        rebuild(l, app);
    attr_t ha = tui_attr(app, CB_AREA_HEADER);
    int roots = 0;
    for (size_t i = 0; i < l->tree.n_rows; i++)
        roots += l->tree.rows[i].depth == 0;
    char head[256];
    int x = r.x + 1, w = r.w - 2;
    if (l->family > 0) {
        snprintf(head, sizeof head, "family of run #%lld: %zu runs, %d generations",
                 (long long)l->family, l->tree.n_rows, l->tree.max_depth + 1);
    } else {
        if (l->experiment) {
            /* the name is data: drawn through tui_text, sanitised */
            int n = tui_text(app, r.y, x, w, ha, "experiment ");
            n += tui_text(app, r.y, x + n, w - n > 40 ? 40 : w - n, ha | A_BOLD, l->experiment);
            x += n, w -= n;
        }
        snprintf(head, sizeof head, "%s%zu runs, %d roots, %d generations",
                 l->experiment ? ": " : "every experiment: ", l->tree.n_rows, roots,
                 l->tree.max_depth + 1);
    }
    if (w > 0)
        tui_text(app, r.y, x, w, ha, head);
    int name_w = r.w / 2 < 56 ? r.w / 2 : 56;
    if (r.h < 3)
        return;
    tui_text(app, r.y + 1, r.x + 1, name_w - 1, ha, "run");
    tui_text(app, r.y + 1, r.x + name_w + 1, 11, ha, "status");
    tui_text_right(app, r.y + 1, r.x + name_w + 13, 10, ha, "vs parent");
    tui_text(app, r.y + 1, r.x + name_w + 24, r.w - name_w - 25, ha,
             "code and fields changed");
    int body = r.h - 2;
    l->height = body;
    if (!l->tree.n_rows) {
        tui_text(app, r.y + 2, r.x + 1, r.w - 2, A_DIM, "no runs");
        return;
    }
    if (l->cursor < l->top)
        l->top = l->cursor;
    if (l->cursor >= l->top + (size_t)body)
        l->top = l->cursor - (size_t)body + 1;
    for (int k = 0; k < body && l->top + (size_t)k < l->tree.n_rows; k++)
        draw_row(l, app, r, r.y + 2 + k, l->top + (size_t)k);
}

static void move_to(Lineage *l, TuiApp *app, long long to)
{
    if (!l->tree.n_rows)
        return;
    if (to < 0)
        to = 0;
    if (to >= (long long)l->tree.n_rows)
        to = (long long)l->tree.n_rows - 1;
    l->cursor = (size_t)to;
    l->cursor_id = l->tree.rows[l->cursor].run_id;
    tui_dirty(app);
}

static int lin_key(void *self, TuiApp *app, CbRequest req, int key)
{
    Lineage *l = self;
    (void)key;
    long long c = (long long)l->cursor, page = l->height > 1 ? l->height - 1 : 1;
    switch (req) {
    case CB_REQ_MOVE_UP: move_to(l, app, c - 1); return 1;
    case CB_REQ_MOVE_DOWN: move_to(l, app, c + 1); return 1;
    case CB_REQ_MOVE_PAGE_UP: move_to(l, app, c - page); return 1;
    case CB_REQ_MOVE_PAGE_DOWN: move_to(l, app, c + page); return 1;
    case CB_REQ_MOVE_HOME: move_to(l, app, 0); return 1;
    case CB_REQ_MOVE_END: move_to(l, app, (long long)l->tree.n_rows); return 1;
    case CB_REQ_PARENT:
        if (l->tree.n_rows && l->tree.rows[l->cursor].up != SIZE_MAX)
            move_to(l, app, (long long)l->tree.rows[l->cursor].up);
        return 1;
    case CB_REQ_SELECT:
        if (l->tree.n_rows)
            tui_open_view(app, &tui_view_detail, l->tree.rows[l->cursor].run_id);
        return 1;
    case CB_REQ_STAGE:
        if (l->tree.n_rows)
            tui_open_view(app, &tui_view_stage, l->tree.rows[l->cursor].run_id);
        return 1;
    case CB_REQ_LINEAGE:
        l->family = l->family > 0 ? 0 : l->cursor_id;
        rebuild(l, app);
        if (l->family > 0)
            tui_message(app, 0, "the family of run %lld", (long long)l->family);
        else
            tui_message(app, 0, "every run of the experiment");
        return 1;
    default: return 0;
    }
}

static void lin_event(void *self, TuiApp *app, const TuiEvent *ev)
{
    Lineage *l = self;
    switch (ev->type) {
    case TUI_EV_SHOW: {
        int64_t id = ev->run_id > 0 ? ev->run_id : app->cursor_run;
        const CbRunInfo *run = tui_run(app, id);
        if (run) {
            set_experiment(l, run->experiment);
            l->cursor_id = id;
        } else if (!l->cursor_id) {
            set_experiment(l, app->priv->experiment);
        }
        if (l->family > 0 && run)
            l->family = id;
        rebuild(l, app);
        break;
    }
    case TUI_EV_RELOAD:
        /* rebuilt at the next draw, only when shown (the rows index the old runs) */
        l->built = 0;
        tui_dirty(app);
        break;
    case TUI_EV_MOUSE:
        if (ev->button == 4 || ev->button == 5) {
            move_to(l, app, (long long)l->cursor + (ev->button == 4 ? -3 : 3));
        } else if (ev->button == 1 && ev->y >= 3) {
            /* the body starts two lines under the title bar */
            size_t at = l->top + (size_t)(ev->y - 3);
            if (at < l->tree.n_rows) {
                if (at == l->cursor)
                    tui_open_view(app, &tui_view_detail, l->tree.rows[at].run_id);
                else
                    move_to(l, app, (long long)at);
            }
        }
        break;
    default: break;
    }
}

static const char *lin_hint(void *self, TuiApp *app)
{
    (void)self;
    (void)app;
    return "Enter open run  y parent  T family/experiment  S stage  Esc back";
}

const TuiViewOps tui_view_lineage = {
    .id = CB_VIEW_LINEAGE,
    .title = "Lineage",
    .create = lin_create,
    .destroy = lin_destroy,
    .draw = lin_draw,
    .key = lin_key,
    .event = lin_event,
    .hint = lin_hint,
};

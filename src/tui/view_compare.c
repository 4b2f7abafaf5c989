/* codecbench dashboard: the marked runs side by side (CB_VIEW_COMPARE), one
 * column per run: the recipe fields (the differing ones highlighted;
 * diff-fields shows only those), per rate point kbps / PSNR-Y / SSIM /
 * encode fps with the delta against the reference column coloured better /
 * worse, then the BD-rate and BD-PSNR of every run (column, the test)
 * against every other (row, the anchor).  The reference column is changed
 * with `anchor` to the column under the cursor (scroll-left / scroll-right
 * move it).
 *
 * The model (compare.c: recipe fields and the BD matrix) is built when the
 * marks or the store change, never per draw; a draw reads the rate points
 * through the app's indexes. */
#include "tui/actions.h"
#include "tui/compare.h"
#include "tui/keyhint.h"
#include "tui/tui.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns of a run's column and of the label column (which shrinks on
 * narrow screens so that one run column always fits). */
#define COL_W 17
#define LABEL_W 22
#define LABEL_MIN 10
/* Header rows above the scrolled body: run, recipe, status, input, rule. */
#define HEAD_ROWS 5
/* Reasons listed under the matrix. */
#define NOTES_MAX 12

typedef enum RowKind {
    ROW_BLANK,
    ROW_SECTION,  /* a = section index */
    ROW_FIELD,    /* a = field index */
    ROW_RATE,     /* a = point index */
    ROW_METRIC,   /* a = point index, b = metric */
    ROW_BD_RATE,  /* a = anchor run index */
    ROW_BD_PSNR,  /* a = anchor run index */
    ROW_NOTE,     /* a = note index */
} RowKind;

typedef struct CRow {
    RowKind kind;
    size_t a;
    int b;
} CRow;

enum { SEC_FIELDS, SEC_POINTS, SEC_BD_RATE, SEC_BD_PSNR, SEC_NOTES };

/* The per-point metrics: label, decimals, relative delta (%), lower is better. */
static const struct {
    const char *label;
    int decimals, relative, lower_better;
} METRICS[] = {
    {"  kbps", 1, 1, 1},
    {"  PSNR-Y dB", 3, 0, 0},
    {"  SSIM", 5, 0, 0},
    {"  encode fps", 2, 1, 0},
};
#define N_METRICS (sizeof METRICS / sizeof METRICS[0])

typedef struct Cmp {
    int64_t *ids;        /* the runs compared, in mark (id) order */
    size_t n;
    size_t n_marked;     /* marks when built (more than TUI_CMP_MAX_RUNS are cut) */
    TuiCompare model;
    int built, failed;
    char fail_text[CB_ERROR_TEXT_MAX];

    CRow *rows;
    size_t n_rows, cap_rows;
    char **notes;
    size_t n_notes;
    size_t max_points;

    int64_t ref_id;      /* the reference run (kept across rebuilds) */
    size_t ref, cur, first;
    size_t top;
    int page;
    TuiRect area;        /* of the last draw, for mouse clicks */
    int diff_only;
    char hint[200];
} Cmp;

static double metric_value(const CbPointSummary *p, int m)
{
    switch (m) {
    case 0: return p->kbps;
    case 1: return p->psnr_y;
    case 2: return p->ssim;
    default: return p->encode_fps;
    }
}

/* ---- building ------------------------------------------------------------------ */

static void clear_notes(Cmp *c)
{
    for (size_t i = 0; i < c->n_notes; i++)
        free(c->notes[i]);
    free(c->notes);
    c->notes = NULL;
    c->n_notes = 0;
}

static void cmp_reset(Cmp *c)
{
    tui_compare_free(&c->model);
    free(c->ids);
    c->ids = NULL;
    c->n = 0;
    c->n_rows = 0;
    clear_notes(c);
    c->built = 0;
    c->failed = 0;
}

static void push_row(Cmp *c, RowKind kind, size_t a, int b)
{
    if (c->n_rows == c->cap_rows) {
        size_t cap = c->cap_rows ? c->cap_rows * 2 : 64;
        CRow *g = realloc(c->rows, cap * sizeof *g);
        if (!g)
            return; /* the view shows the rows it could make */
        c->rows = g;
        c->cap_rows = cap;
    }
    c->rows[c->n_rows++] = (CRow){.kind = kind, .a = a, .b = b};
}

static void note(Cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(Cmp *c, const char *fmt, ...)
{
    if (c->n_notes >= NOTES_MAX)
        return;
    if (!c->notes && !(c->notes = calloc(NOTES_MAX, sizeof *c->notes)))
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    char *s = strdup(buf);
    if (s)
        c->notes[c->n_notes++] = s;
}

/* The notes under the matrix: why cells against the reference are empty. */
static void make_notes(Cmp *c)
{
    clear_notes(c);
    size_t other = 0, missing = 0, small = 0;
    for (size_t t = 0; t < c->n; t++) {
        const TuiCmpBd *b = tui_compare_bd(&c->model, c->ref, t);
        if (!b)
            continue;
        if (b->state == TUI_BD_OTHER_CLIP)
            other++;
        else if (b->state == TUI_BD_NO_DATA)
            missing++;
        else if (b->state == TUI_BD_OK && b->small_overlap)
            small++;
    }
    int64_t ref = c->ids[c->ref];
    if (other)
        note(c, "%zu run(s) are on another clip than run %lld: runs of different clips do not "
             "compare (\"other clip\")", other, (long long)ref);
    if (missing)
        note(c, "%zu run(s) are not done (or run %lld is not): no rate points to compare",
             missing, (long long)ref);
    if (small)
        note(c, "%zu BD figure(s) against run %lld rest on a small PSNR overlap (marked ~)", small,
             (long long)ref);
    for (size_t t = 0; t < c->n; t++) {
        const TuiCmpBd *b = tui_compare_bd(&c->model, c->ref, t);
        if (b && b->state == TUI_BD_FAILED)
            note(c, "run %lld against run %lld: %s", (long long)c->ids[t], (long long)ref, b->why);
    }
}

static void make_rows(Cmp *c)
{
    c->n_rows = 0;
    push_row(c, ROW_SECTION, SEC_FIELDS, 0);
    for (size_t i = 0; i < c->model.n_fields; i++)
        if (!c->diff_only || c->model.fields[i].differs)
            push_row(c, ROW_FIELD, i, 0);
    push_row(c, ROW_BLANK, 0, 0);
    push_row(c, ROW_SECTION, SEC_POINTS, 0);
    for (size_t p = 0; p < c->max_points; p++) {
        push_row(c, ROW_RATE, p, 0);
        for (int m = 0; m < (int)N_METRICS; m++)
            push_row(c, ROW_METRIC, p, m);
    }
    push_row(c, ROW_BLANK, 0, 0);
    push_row(c, ROW_SECTION, SEC_BD_RATE, 0);
    for (size_t a = 0; a < c->n; a++)
        push_row(c, ROW_BD_RATE, a, 0);
    push_row(c, ROW_BLANK, 0, 0);
    push_row(c, ROW_SECTION, SEC_BD_PSNR, 0);
    for (size_t a = 0; a < c->n; a++)
        push_row(c, ROW_BD_PSNR, a, 0);
    make_notes(c);
    if (c->n_notes) {
        push_row(c, ROW_BLANK, 0, 0);
        push_row(c, ROW_SECTION, SEC_NOTES, 0);
        for (size_t i = 0; i < c->n_notes; i++)
            push_row(c, ROW_NOTE, i, 0);
    }
}

/* The reference when none was chosen: the run of an experiment's anchor recipe, else
 * the first. */
static size_t default_ref(const Cmp *c, const TuiApp *app)
{
    for (size_t j = 0; j < c->n; j++) {
        const CbRunInfo *r = tui_run(app, c->ids[j]);
        if (r && r->anchor_run == r->id)
            return j;
    }
    return 0;
}

static void build(Cmp *c, TuiApp *app)
{
    int64_t keep_cur = c->ids && c->cur < c->n ? c->ids[c->cur] : 0;
    cmp_reset(c);
    c->built = 1;
    size_t nm = 0;
    const int64_t *marked = tui_marked(app, &nm);
    c->n_marked = nm;
    if (nm < 2)
        return;
    size_t n = nm < TUI_CMP_MAX_RUNS ? nm : TUI_CMP_MAX_RUNS;
    TuiCmpInput *in = calloc(n, sizeof *in);
    c->ids = malloc(n * sizeof *c->ids);
    if (!in || !c->ids) {
        free(in);
        free(c->ids);
        c->ids = NULL;
        c->failed = 1;
        snprintf(c->fail_text, sizeof c->fail_text, "compare: out of memory");
        return;
    }
    memcpy(c->ids, marked, n * sizeof *c->ids);
    c->n = n;
    c->max_points = 0;
    for (size_t j = 0; j < n; j++) {
        const CbRunInfo *r = tui_run(app, c->ids[j]);
        in[j].id = c->ids[j];
        if (!r)
            continue;
        in[j].clip_id = r->status == CB_RUN_DONE ? r->clip_id : NULL;
        in[j].recipe_json = tui_recipe_json(app, r->recipe_hash);
        in[j].points = tui_run_points(app, r->id, &in[j].n_points);
        if (in[j].n_points > c->max_points)
            c->max_points = in[j].n_points;
    }
    CbError err;
    cb_error_clear(&err);
    if (tui_compare_build(&c->model, in, n, &err) < 0) {
        c->failed = 1;
        snprintf(c->fail_text, sizeof c->fail_text, "%s", err.text);
    }
    free(in);
    /* the reference and the cursor stay on their runs when they still are compared */
    c->ref = SIZE_MAX;
    c->cur = 0;
    for (size_t j = 0; j < n; j++) {
        if (c->ids[j] == c->ref_id)
            c->ref = j;
        if (c->ids[j] == keep_cur)
            c->cur = j;
    }
    if (c->ref == SIZE_MAX)
        c->ref = default_ref(c, app);
    c->ref_id = c->ids[c->ref];
    if (!c->failed)
        make_rows(c);
}

static int marks_changed(const Cmp *c, const TuiApp *app)
{
    size_t nm = 0;
    const int64_t *m = tui_marked(app, &nm);
    if (nm != c->n_marked)
        return 1;
    for (size_t j = 0; j < c->n; j++)
        if (m[j] != c->ids[j])
            return 1;
    return 0;
}

/* ---- drawing ---------------------------------------------------------------------- */

typedef struct Layout {
    int label_w, cols; /* label column width; run columns shown */
} Layout;

static Layout layout(const Cmp *c, TuiRect area)
{
    Layout l;
    l.label_w = LABEL_W;
    if (area.w < LABEL_W + COL_W)
        l.label_w = area.w - COL_W > LABEL_MIN ? area.w - COL_W : LABEL_MIN;
    l.cols = (area.w - l.label_w) / COL_W;
    if (l.cols < 1)
        l.cols = 1;
    if ((size_t)l.cols > c->n)
        l.cols = (int)c->n;
    return l;
}

/* Keeps the cursor column in view. */
static void fit_columns(Cmp *c, int cols)
{
    if (c->cur < c->first)
        c->first = c->cur;
    if (c->cur >= c->first + (size_t)cols)
        c->first = c->cur - (size_t)cols + 1;
    if (c->first + (size_t)cols > c->n)
        c->first = c->n > (size_t)cols ? c->n - (size_t)cols : 0;
}

static int col_x(const TuiRect *area, const Layout *l, size_t j, size_t first)
{
    return area->x + l->label_w + (int)(j - first) * COL_W;
}

/* A number, "-" when not finite, short when huge. */
static void fmt_num(char *buf, size_t cap, double v, int decimals)
{
    if (!isfinite(v))
        snprintf(buf, cap, "-");
    else if (fabs(v) >= 1e7)
        snprintf(buf, cap, "%.3g", v);
    else
        snprintf(buf, cap, "%.*f", decimals, v);
}

/* "value delta" right-aligned in the cell, the delta coloured better / worse. */
static void metric_cell(TuiApp *app, int y, int x, int w, double v, double ref, int m,
                        int is_ref)
{
    char val[32], dl[32] = "";
    fmt_num(val, sizeof val, v, METRICS[m].decimals);
    int better = 0;
    if (!is_ref && isfinite(v) && isfinite(ref)) {
        if (METRICS[m].relative && ref != 0) {
            double pct = 100.0 * (v - ref) / ref;
            if (fabs(pct) < 1e4)
                snprintf(dl, sizeof dl, "%+.1f%%", pct);
        } else if (!METRICS[m].relative) {
            snprintf(dl, sizeof dl, "%+.*f", METRICS[m].decimals, v - ref);
        }
        better = tui_compare_better(v, ref, METRICS[m].lower_better);
    }
    int lv = (int)strlen(val), ld = (int)strlen(dl);
    if (ld && lv + 1 + ld > w)
        ld = 0;
    if (!ld) {
        tui_text_right(app, y, x, w, tui_attr(app, CB_AREA_DEFAULT), val);
        return;
    }
    int x0 = x + w - (lv + 1 + ld);
    tui_text(app, y, x0, lv, tui_attr(app, CB_AREA_DEFAULT), val);
    CbColorArea area = better > 0 ? CB_AREA_GOOD : better < 0 ? CB_AREA_BAD : CB_AREA_DEFAULT;
    tui_text(app, y, x0 + lv + 1, ld, tui_attr(app, area), dl);
}

static void bd_cell(TuiApp *app, int y, int x, int w, const TuiCmpBd *b, int psnr)
{
    char buf[32];
    CbColorArea area = CB_AREA_DEFAULT;
    switch (b ? b->state : TUI_BD_NO_DATA) {
    case TUI_BD_OK: {
        double v = psnr ? b->bd_psnr_db : b->bd_rate_pct;
        if (!isfinite(v))
            snprintf(buf, sizeof buf, "-");
        else if (fabs(v) >= 1e5)
            snprintf(buf, sizeof buf, "%s%+.2g%s", b->small_overlap ? "~" : "", v,
                     psnr ? " dB" : "%");
        else
            snprintf(buf, sizeof buf, psnr ? "%s%+.3f dB" : "%s%+.2f%%",
                     b->small_overlap ? "~" : "", v);
        int better = tui_compare_better(v, 0.0, !psnr);
        area = better > 0 ? CB_AREA_GOOD : better < 0 ? CB_AREA_BAD : CB_AREA_DEFAULT;
        break;
    }
    case TUI_BD_SELF: snprintf(buf, sizeof buf, "."); break;
    case TUI_BD_OTHER_CLIP: snprintf(buf, sizeof buf, "other clip"); area = CB_AREA_WARN; break;
    case TUI_BD_FAILED: snprintf(buf, sizeof buf, "n/a"); area = CB_AREA_WARN; break;
    default: snprintf(buf, sizeof buf, "-"); break;
    }
    tui_text_right(app, y, x, w, tui_attr(app, area), buf);
}

static void draw_header(Cmp *c, TuiApp *app, TuiRect area, const Layout *l)
{
    attr_t hd = tui_attr(app, CB_AREA_HEADER);
    static const char *const labels[] = {"run", "recipe", "status", "input"};
    for (int y = 0; y < 4 && y < area.h; y++)
        tui_text(app, area.y + y, area.x, l->label_w - 1, hd, labels[y]);
    for (size_t j = c->first; j < c->n && j < c->first + (size_t)l->cols; j++) {
        int x = col_x(&area, l, j, c->first), w = COL_W - 1;
        const CbRunInfo *r = tui_run(app, c->ids[j]);
        attr_t at = j == c->cur ? tui_attr(app, CB_AREA_CURSOR) : hd;
        char title[48];
        snprintf(title, sizeof title, "run %lld%s", (long long)c->ids[j],
                 j == c->ref ? " (ref)" : "");
        tui_fill(app, area.y, x, w, at);
        tui_text_right(app, area.y, x, w, at, title);
        if (area.h < 2)
            continue;
        tui_text_right(app, area.y + 1, x, w, tui_attr(app, CB_AREA_DEFAULT),
                       r && r->recipe_name ? r->recipe_name : "?");
        if (area.h < 3)
            continue;
        CbColorArea sa = !r ? CB_AREA_WARN
                         : r->status == CB_RUN_DONE ? CB_AREA_DONE
                         : r->status == CB_RUN_QUEUED ? CB_AREA_QUEUED
                         : r->status <= CB_RUN_VERIFYING ? CB_AREA_RUNNING
                                                         : CB_AREA_FAILED;
        tui_text_right(app, area.y + 2, x, w, tui_attr(app, sa),
                       r ? cb_run_status_name(r->status) : "deleted");
        if (area.h < 4)
            continue;
        const char *in = r && r->input ? r->input : "?";
        const char *slash = strrchr(in, '/');
        tui_text_right(app, area.y + 3, x, w, tui_attr(app, CB_AREA_DEFAULT),
                       slash && slash[1] ? slash + 1 : in);
    }
    if (area.h >= HEAD_ROWS) {
        attr_t b = tui_attr(app, CB_AREA_BORDER);
        for (int x = 0; x < area.w; x++)
            tui_glyph(app, area.y + 4, area.x + x, b, "─", '-');
        if (c->first > 0)
            tui_glyph(app, area.y + 4, area.x + l->label_w, b, "◀", '<');
        if (c->first + (size_t)l->cols < c->n)
            tui_glyph(app, area.y + 4, area.x + area.w - 1, b, "▶", '>');
    }
}

static void draw_row(Cmp *c, TuiApp *app, TuiRect area, const Layout *l, int y, const CRow *row)
{
    attr_t def = tui_attr(app, CB_AREA_DEFAULT), hd = tui_attr(app, CB_AREA_HEADER);
    int lw = l->label_w - 1;
    char label[64];
    switch (row->kind) {
    case ROW_BLANK: return;
    case ROW_SECTION: {
        char s[160];
        if (row->a == SEC_FIELDS)
            snprintf(s, sizeof s, "Recipe fields: %zu of %zu differ%s", c->model.n_differ,
                     c->model.n_fields, c->diff_only ? " (only those shown)" : "");
        else if (row->a == SEC_POINTS)
            snprintf(s, sizeof s, "Rate points: deltas against run %lld at the same QP/CRF on "
                     "the same clip (kbps and fps in %%, PSNR dB, SSIM absolute)",
                     (long long)c->ids[c->ref]);
        else if (row->a == SEC_BD_RATE)
            snprintf(s, sizeof s, "BD-rate of each column against the row's run (PSNR-Y, "
                     "PCHIP; negative: fewer bits)");
        else if (row->a == SEC_BD_PSNR)
            snprintf(s, sizeof s, "BD-PSNR of each column against the row's run (dB; "
                     "positive: better)");
        else
            snprintf(s, sizeof s, "Notes");
        tui_text(app, area.y + y, area.x, area.w, hd | A_BOLD, s);
        return;
    }
    case ROW_NOTE:
        tui_text(app, area.y + y, area.x + 2, area.w - 2, tui_attr(app, CB_AREA_WARN),
                 c->notes[row->a]);
        return;
    default: break;
    }

    /* the label */
    attr_t la = def;
    if (row->kind == ROW_FIELD) {
        const TuiCmpField *f = &c->model.fields[row->a];
        la = f->differs ? tui_attr(app, CB_AREA_WARN) | A_BOLD : def;
        tui_text(app, area.y + y, area.x, lw, la, f->path);
    } else if (row->kind == ROW_RATE) {
        snprintf(label, sizeof label, "point %zu: QP/CRF", row->a + 1);
        tui_text(app, area.y + y, area.x, lw, def, label);
    } else if (row->kind == ROW_METRIC) {
        tui_text(app, area.y + y, area.x, lw, def, METRICS[row->b].label);
    } else {
        snprintf(label, sizeof label, "vs run %lld%s", (long long)c->ids[row->a],
                 row->a == c->ref ? " (ref)" : "");
        la = row->a == c->ref ? tui_attr(app, CB_AREA_SELECTED) : def;
        tui_fill(app, area.y + y, area.x, area.w, row->a == c->ref ? la : def);
        tui_text(app, area.y + y, area.x, lw, la, label);
    }

    /* the cells */
    const CbPointSummary *rp = NULL;
    size_t nrp = 0;
    if (row->kind == ROW_METRIC)
        rp = tui_run_points(app, c->ids[c->ref], &nrp);
    for (size_t j = c->first; j < c->n && j < c->first + (size_t)l->cols; j++) {
        int x = col_x(&area, l, j, c->first), w = COL_W - 1;
        if (row->kind == ROW_FIELD) {
            const TuiCmpField *f = &c->model.fields[row->a];
            const char *v = f->values[j];
            const char *rv = f->values[c->ref];
            int differs = f->differs && j != c->ref &&
                          ((v == NULL) != (rv == NULL) || (v && strcmp(v, rv) != 0));
            tui_text_right(app, area.y + y, x, w,
                           differs ? tui_attr(app, CB_AREA_WARN) | A_BOLD : def, v ? v : "-");
            continue;
        }
        if (row->kind == ROW_BD_RATE || row->kind == ROW_BD_PSNR) {
            bd_cell(app, area.y + y, x, w, tui_compare_bd(&c->model, row->a, j),
                    row->kind == ROW_BD_PSNR);
            continue;
        }
        size_t np = 0;
        const CbPointSummary *pts = tui_run_points(app, c->ids[j], &np);
        if (row->a >= np)
            continue;
        const CbPointSummary *p = &pts[row->a];
        if (row->kind == ROW_RATE) {
            char b[16];
            snprintf(b, sizeof b, "%d", p->rate_value);
            tui_text_right(app, area.y + y, x, w, def, b);
            continue;
        }
        /* no delta across clips: their numbers do not compare */
        const CbRunInfo *rj = tui_run(app, c->ids[j]), *rr = tui_run(app, c->ids[c->ref]);
        int same_clip = rj && rr && rj->clip_id && rr->clip_id &&
                        strcmp(rj->clip_id, rr->clip_id) == 0;
        const CbPointSummary *q = same_clip ? tui_compare_point_at(rp, nrp, p->rate_value) : NULL;
        metric_cell(app, area.y + y, x, w, metric_value(p, row->b),
                    q ? metric_value(q, row->b) : NAN, row->b, j == c->ref);
    }
}

static void draw(void *self, TuiApp *app, TuiRect area)
{
    Cmp *c = self;
    tui_clear_rect(app, area);
    c->area = area;
    if (area.w <= 0 || area.h <= 0)
        return;
    if (!c->built || marks_changed(c, app))
        build(c, app);
    attr_t def = tui_attr(app, CB_AREA_DEFAULT);
    if (c->n < 2) {
        char s[120];
        snprintf(s, sizeof s, "Compare needs two or more marked runs (%zu marked).",
                 c->n_marked);
        tui_text(app, area.y, area.x, area.w, def, s);
        if (area.h > 1)
            tui_text(app, area.y + 1, area.x, area.w, def,
                     "Mark runs in the list (toggle-mark, space), then compare.");
        return;
    }
    if (c->failed) {
        tui_text(app, area.y, area.x, area.w, tui_attr(app, CB_AREA_STATUS_ERROR), c->fail_text);
        return;
    }
    Layout l = layout(c, area);
    fit_columns(c, l.cols);
    draw_header(c, app, area, &l);
    int body = area.h - HEAD_ROWS;
    if (c->n_marked > c->n && body > 0) {
        char s[120];
        snprintf(s, sizeof s, "(the first %zu of %zu marked runs)", c->n, c->n_marked);
        tui_text(app, area.y + area.h - 1, area.x, area.w, tui_attr(app, CB_AREA_WARN), s);
        body--;
    }
    c->page = body > 0 ? body : 1;
    if (body <= 0)
        return;
    size_t max_top = c->n_rows > (size_t)body ? c->n_rows - (size_t)body : 0;
    if (c->top > max_top)
        c->top = max_top;
    for (int y = 0; y < body && c->top + (size_t)y < c->n_rows; y++)
        draw_row(c, app, area, &l, HEAD_ROWS + y, &c->rows[c->top + (size_t)y]);
    if (c->n_rows > (size_t)body) {
        attr_t b = tui_attr(app, CB_AREA_BORDER);
        if (c->top > 0)
            tui_glyph(app, area.y + HEAD_ROWS, area.x + area.w - 1, b, "▲", '^');
        if (c->top < max_top)
            tui_glyph(app, area.y + HEAD_ROWS + body - 1, area.x + area.w - 1, b, "▼", 'v');
    }
}

/* ---- keys and events ------------------------------------------------------------------ */

static void scroll_by(Cmp *c, TuiApp *app, long delta)
{
    size_t old = c->top;
    if (delta < 0)
        c->top = (size_t)-delta > c->top ? 0 : c->top - (size_t)-delta;
    else
        c->top += (size_t)delta; /* clamped at the draw */
    if (c->top != old)
        tui_dirty(app);
}

static int key(void *self, TuiApp *app, CbRequest req, int k)
{
    Cmp *c = self;
    (void)k;
    long page = c->page > 1 ? c->page - 1 : 1;
    switch (req) {
    case CB_REQ_MOVE_UP: scroll_by(c, app, -1); return 1;
    case CB_REQ_MOVE_DOWN: scroll_by(c, app, 1); return 1;
    case CB_REQ_MOVE_PAGE_UP: scroll_by(c, app, -page); return 1;
    case CB_REQ_MOVE_PAGE_DOWN: scroll_by(c, app, page); return 1;
    case CB_REQ_MOVE_HOME: scroll_by(c, app, -(long)c->n_rows); return 1;
    case CB_REQ_MOVE_END: scroll_by(c, app, (long)c->n_rows); return 1;
    default: break;
    }
    if (c->n < 2)
        return 0;
    switch (req) {
    case CB_REQ_SCROLL_LEFT:
        if (c->cur > 0) {
            c->cur--;
            tui_dirty(app);
        }
        return 1;
    case CB_REQ_SCROLL_RIGHT:
        if (c->cur + 1 < c->n) {
            c->cur++;
            tui_dirty(app);
        }
        return 1;
    case CB_REQ_ANCHOR:
        if (c->cur != c->ref) {
            c->ref = c->cur;
            c->ref_id = c->ids[c->ref];
            make_rows(c);
            tui_dirty(app);
        }
        tui_message(app, 0, "reference: run %lld (deltas and BD figures against it)",
                    (long long)c->ref_id);
        return 1;
    case CB_REQ_DIFF_FIELDS:
        c->diff_only = !c->diff_only;
        make_rows(c);
        c->top = 0;
        tui_dirty(app);
        tui_message(app, 0, c->diff_only ? "only the recipe fields that differ"
                                         : "every recipe field");
        return 1;
    case CB_REQ_SELECT: tui_open_view(app, &tui_view_detail, c->ids[c->cur]); return 1;
    case CB_REQ_LOGS: tui_open_view(app, &tui_view_logs, c->ids[c->cur]); return 1;
    case CB_REQ_CHART: tui_open_view(app, &tui_view_chart, c->ids[c->cur]); return 1;
    case CB_REQ_PREVIEW: {
        /* the same frame of the reference run and the run under the cursor (or the
         * next one when the cursor is on the reference) */
        if (c->n < 2) {
            tui_message(app, 1, "compare two runs or more to preview their frames");
            return 1;
        }
        size_t other = c->cur != c->ref ? c->cur : (c->ref + 1) % c->n;
        tui_open_preview(app, c->ids[c->ref], c->ids[other], 0, 0);
        return 1;
    }
    default: return 0;
    }
}

static void event(void *self, TuiApp *app, const TuiEvent *ev)
{
    Cmp *c = self;
    switch (ev->type) {
    case TUI_EV_SHOW:
    case TUI_EV_RELOAD:
        /* the marks or the app's runs, points and recipes changed: rebuilt at the next
         * draw (the view may be hidden) */
        c->built = 0;
        tui_dirty(app);
        break;
    case TUI_EV_MOUSE:
        if (ev->button == 4) {
            scroll_by(c, app, -3);
        } else if (ev->button == 5) {
            scroll_by(c, app, 3);
        } else if (ev->button == 1 && c->n >= 2) {
            /* a click on a column moves the cursor there; the label column is left alone */
            TuiRect area = c->area;
            Layout l = layout(c, area);
            int dx = ev->x - area.x - l.label_w;
            if (dx >= 0) {
                size_t j = c->first + (size_t)(dx / COL_W);
                if (j < c->n && j < c->first + (size_t)l.cols) {
                    c->cur = j;
                    tui_dirty(app);
                }
            }
        }
        break;
    default: break;
    }
}

static int create(TuiApp *app, void **self)
{
    Cmp *c = calloc(1, sizeof *c);
    if (!c)
        return CB_ENOMEM;
    static const CbRequest reqs[] = {CB_REQ_SCROLL_LEFT, CB_REQ_SCROLL_RIGHT, CB_REQ_ANCHOR,
                                     CB_REQ_DIFF_FIELDS, CB_REQ_SELECT, CB_REQ_CHART};
    static const char *const words[] = {"column", "column", "reference", "differing fields",
                                        "open run", "chart"};
    tui_key_hint(app->cfg, CB_VIEW_COMPARE, reqs, words, sizeof reqs / sizeof reqs[0], c->hint,
                 sizeof c->hint);
    *self = c;
    return CB_OK;
}

static void destroy(void *self)
{
    Cmp *c = self;
    if (!c)
        return;
    cmp_reset(c);
    free(c->rows);
    free(c);
}

static const char *hint(void *self, TuiApp *app)
{
    (void)app;
    Cmp *c = self;
    return c->hint[0] ? c->hint : NULL;
}

const TuiViewOps tui_view_compare = {
    .id = CB_VIEW_COMPARE,
    .title = "Compare",
    .create = create,
    .destroy = destroy,
    .draw = draw,
    .key = key,
    .event = event,
    .hint = hint,
};

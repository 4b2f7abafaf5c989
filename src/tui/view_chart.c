/* codecbench dashboard: the charts view, drawn in cells (braille, or ASCII
 * on non-UTF-8 locales) over the chart model of canvas.c.
 *
 * Three modes, switched by chart-mode (m or Tab here):
 *   - Rate-distortion: PSNR-Y (dB) against bitrate (kbps, log scale), one
 *     curve per run: the marked runs, else the run the view was opened for
 *     with its experiment's anchor run on the same clip; a legend with the
 *     recipe names and BD-rate against the anchor; next-point / prev-point
 *     pick a rate point whose figures the legend shows.
 *   - Per frame: PSNR-Y and bits of every frame of one run at one rate point
 *     (next-point / prev-point), two plots sharing the frame axis, I frames
 *     marked, B frames in their own colour, a strip of frame types, the means
 *     as dashed lines.
 *   - Pareto: BD-rate (%) against encode speed (fps, log scale) of every done
 *     run of the experiment, the Pareto front (lower BD-rate, higher speed)
 *     as a line and listed; move-up / move-down walk the list, select opens
 *     the run.
 *
 * Cost: everything scaled (canvases, axes, legends) is built once per data
 * reload, size, mode, run, rate point or mark change, and kept; a draw only
 * copies cells to the screen.  The per-frame rows are read from the store
 * (cb_store_get_result) when the per-frame mode is shown for a run, never
 * while drawing.  Nothing is kept that points into app->runs across a
 * reload: names are copied.
 */
#include "tui/canvas.h"
#include "tui/tui.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/metrics.h"
#include "codecbench/result.h"

typedef enum ChartMode { MODE_RD, MODE_FRAMES, MODE_PARETO, MODE_COUNT } ChartMode;

static const char *const mode_names[MODE_COUNT] = {"Rate-distortion", "Per frame", "Pareto"};

/* Series numbers of the canvas and the colour area each is drawn in. */
enum {
    S_ANCHOR = 0, /* 1..6: graph-test1..6 */
    S_TESTS = 6,
    S_AXIS = 7,
    S_GOOD = 8,
    S_CURSOR = 9,
};

/* Most curves drawn at once (each a run; more marked runs are listed as not shown). */
#define MAX_CURVES 24
/* Rate points per curve we draw (the store holds at most CB_RESULT_MAX_POINTS). */
#define MAX_CURVE_POINTS 64

typedef struct Curve {
    int64_t run_id;
    int series;
    int is_anchor;
    char *name;         /* recipe name, raw (sanitised when drawn) */
    double bd;          /* BD-rate % against the anchor curve, NAN unknown */
    const char *bd_why; /* why bd is unknown (static), or NULL */
    size_t n;
    double kbps[MAX_CURVE_POINTS], psnr[MAX_CURVE_POINTS];
    int rate[MAX_CURVE_POINTS];
    const char *rate_word; /* "QP", "CRF" or "q" (static) */
    int has_sel;           /* the chosen rate point exists: sel_* are its figures */
    int sel_rate;
    double sel_kbps, sel_psnr;
    int64_t bd_against; /* the run bd was taken against when it is not a drawn curve, 0 */
} Curve;

typedef struct ParetoRow {
    int64_t run_id;
    char *name;
    double fps, bd;
    int is_anchor;
} ParetoRow;

typedef struct Chart {
    ChartMode mode;
    int64_t run;  /* the run the view shows (TUI_EV_SHOW's, else the cursor's) */
    int point;    /* the chosen rate point (index) */
    unsigned gen; /* bumped on every reload */

    /* what the built geometry was made from */
    int built;
    unsigned b_gen;
    ChartMode b_mode;
    int b_w, b_h, b_point;
    int64_t b_run;
    uint64_t b_marks;
    TuiRect area; /* where the view was last drawn (for mouse clicks) */

    char note[512];   /* shown instead of (or under) the chart */
    char header[256]; /* one line of context above the plot(s) */

    /* rate-distortion */
    Curve *curves;
    size_t n_curves;
    size_t n_hidden; /* marked runs beyond MAX_CURVES */
    TuiPlot plot;
    TuiRect plot_r, legend_r; /* relative to the area */
    int legend_side;

    /* per frame */
    CbRunResult res;
    int64_t res_run; /* 0: none loaded */
    int res_status;  /* the run's status when it was loaded */
    char res_error[CB_ERROR_TEXT_MAX];
    TuiPlot fpsnr, fbits;
    TuiRect fpsnr_r, fbits_r;
    char fpsnr_title[160], fbits_title[200];
    char *strip; /* per canvas column of fbits: 'I', 'P', 'B', '?' or ' ' */
    int strip_w;
    int fcur; /* the frame cursor (next-frame / prev-frame), 0-based */

    /* Pareto */
    ParetoRow *prow; /* the front, best BD-rate first */
    size_t n_prow;
    int64_t anchor_id;
    int sel, top; /* list cursor and first row shown */
    size_t p_points, p_missing;
    TuiRect list_r;
    double *p_fps, *p_bd; /* every usable run, for the plot */
    int64_t *p_ids;
} Chart;

/* ---- small helpers ----------------------------------------------------------- */

static CbColorArea series_area(int s)
{
    if (s == S_ANCHOR)
        return CB_AREA_GRAPH_ANCHOR;
    if (s >= 1 && s <= S_TESTS)
        return (CbColorArea)(CB_AREA_GRAPH_TEST1 + (s - 1));
    if (s == S_GOOD)
        return CB_AREA_GOOD;
    if (s == S_CURSOR)
        return CB_AREA_CURSOR;
    return CB_AREA_GRAPH_AXIS;
}

static void set_note(Chart *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_note(Chart *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->note, sizeof c->note, fmt, ap);
    va_end(ap);
    if (n < 0)
        c->note[0] = '\0';
}

/* Appends to the note ("; " between parts); cut when full. */
static void add_note(Chart *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(Chart *c, const char *fmt, ...)
{
    size_t len = strlen(c->note);
    if (len + 3 >= sizeof c->note)
        return;
    if (len) {
        memcpy(c->note + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->note + len, sizeof c->note - len, fmt, ap);
    va_end(ap);
    if (n < 0)
        c->note[len] = '\0';
}

static char *dup_or_empty(const char *s)
{
    const char *src = s ? s : "";
    size_t n = strlen(src);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, src, n + 1);
    return d;
}

/* Why a run has no chart, in words ("is running", "failed: reason"). */
static void run_state_words(const CbRunInfo *r, char *out, size_t size)
{
    int n;
    switch (r->status) {
    case CB_RUN_QUEUED:
        n = snprintf(out, size, "is queued: its figures appear when it is done");
        break;
    case CB_RUN_RUNNING:
    case CB_RUN_VERIFYING:
        n = snprintf(out, size, "is %s: its figures appear when it is done",
                     cb_run_status_name(r->status));
        break;
    case CB_RUN_DONE: n = snprintf(out, size, "has no rate points"); break;
    default:
        n = snprintf(out, size, "%s%s%s", cb_run_status_name(r->status), r->reason ? ": " : "",
                     r->reason ? r->reason : "");
        break;
    }
    if (n < 0 && size)
        out[0] = '\0';
}

static uint64_t marks_signature(const TuiApp *app)
{
    size_t n;
    const int64_t *ids = tui_marked(app, &n);
    uint64_t h = 1469598103934665603ull ^ (uint64_t)n;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint64_t)ids[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- rate-distortion ------------------------------------------------------------ */

static void curves_free(Chart *c)
{
    for (size_t i = 0; i < c->n_curves; i++)
        free(c->curves[i].name);
    free(c->curves);
    c->curves = NULL;
    c->n_curves = 0;
    c->n_hidden = 0;
}

static int has_id(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* Sorts a curve's points by rate (insertion sort: at most MAX_CURVE_POINTS). */
static void curve_sort(Curve *cv)
{
    for (size_t i = 1; i < cv->n; i++)
        for (size_t j = i; j > 0 && cv->kbps[j] < cv->kbps[j - 1]; j--) {
            double k = cv->kbps[j], p = cv->psnr[j];
            int r = cv->rate[j];
            cv->kbps[j] = cv->kbps[j - 1];
            cv->psnr[j] = cv->psnr[j - 1];
            cv->rate[j] = cv->rate[j - 1];
            cv->kbps[j - 1] = k;
            cv->psnr[j - 1] = p;
            cv->rate[j - 1] = r;
        }
}

/* BD-rate of curve t against curve a: the store's figure when it was taken
 * against a's run, else computed here on the same clip. */
static void curve_bd(const TuiApp *app, const Curve *a, Curve *t)
{
    const CbRunInfo *ti = tui_run(app, t->run_id), *ai = tui_run(app, a->run_id);
    t->bd = NAN;
    t->bd_why = NULL;
    if (!ti || !ai)
        return;
    if (ti->anchor_run == a->run_id) {
        t->bd = ti->bd_rate;
        if (isnan(t->bd))
            t->bd_why = "curves do not overlap";
        return;
    }
    if (!ti->clip_id || !ai->clip_id || strcmp(ti->clip_id, ai->clip_id) != 0) {
        t->bd_why = "other clip";
        return;
    }
    CbRdPoint ap[MAX_CURVE_POINTS], tp[MAX_CURVE_POINTS];
    for (size_t i = 0; i < a->n; i++)
        ap[i] = (CbRdPoint){a->kbps[i], a->psnr[i]};
    for (size_t i = 0; i < t->n; i++)
        tp[i] = (CbRdPoint){t->kbps[i], t->psnr[i]};
    CbBdResult bd;
    if (cb_bd_compute(ap, a->n, tp, t->n, &bd, NULL) == CB_OK)
        t->bd = bd.bd_rate_pct;
    else
        t->bd_why = a->n < CB_BD_MIN_POINTS || t->n < CB_BD_MIN_POINTS ? "too few points"
                                                                       : "curves do not overlap";
}

/* The runs to draw: the marked ones, else the shown run with its anchor run. */
static size_t rd_pick(Chart *c, const TuiApp *app, int64_t *ids, size_t cap, int64_t *anchor)
{
    size_t n_marks, n = 0;
    const int64_t *marks = tui_marked(app, &n_marks);
    *anchor = 0;
    if (n_marks) {
        for (size_t i = 0; i < n_marks; i++) {
            if (n < cap)
                ids[n++] = marks[i];
            else
                c->n_hidden++;
        }
        /* the anchor: a drawn run that another drawn run's BD was taken against,
         * else a drawn run that is its own anchor */
        for (size_t i = 0; i < n && !*anchor; i++) {
            const CbRunInfo *r = tui_run(app, ids[i]);
            if (r && r->anchor_run && r->anchor_run != r->id && has_id(ids, n, r->anchor_run))
                *anchor = r->anchor_run;
        }
        for (size_t i = 0; i < n && !*anchor; i++) {
            const CbRunInfo *r = tui_run(app, ids[i]);
            if (r && r->anchor_run == r->id)
                *anchor = r->id;
        }
        return n;
    }
    if (!c->run)
        return 0;
    const CbRunInfo *r = tui_run(app, c->run);
    if (r && r->anchor_run && r->anchor_run != r->id && tui_run(app, r->anchor_run)) {
        ids[n++] = r->anchor_run;
        *anchor = r->anchor_run;
    } else if (r && r->anchor_run == r->id) {
        *anchor = r->id;
    }
    ids[n++] = c->run;
    return n;
}

static int rd_build(Chart *c, TuiApp *app, int w, int h, CbError *err)
{
    int64_t ids[MAX_CURVES], anchor = 0;
    size_t n = rd_pick(c, app, ids, MAX_CURVES, &anchor);
    if (!n) {
        set_note(c, "No run chosen: pick one in the runs list (or mark several with Space) and "
                    "open the chart again.");
        return CB_OK;
    }
    c->curves = calloc(n, sizeof *c->curves);
    if (!c->curves)
        return cb_error_set(err, CB_ENOMEM, "rate-distortion chart: out of memory");
    int next_test = 0;
    for (size_t i = 0; i < n; i++) {
        const CbRunInfo *r = tui_run(app, ids[i]);
        char why[300];
        size_t np = 0;
        const CbPointSummary *pts = r ? tui_run_points(app, r->id, &np) : NULL;
        if (!r) {
            add_note(c, "run %lld no longer exists", (long long)ids[i]);
            continue;
        }
        if (r->status != CB_RUN_DONE || !np) {
            run_state_words(r, why, sizeof why);
            add_note(c, "#%lld %s", (long long)r->id, why);
            continue;
        }
        Curve *cv = &c->curves[c->n_curves];
        cv->run_id = r->id;
        cv->is_anchor = r->id == anchor;
        cv->series = cv->is_anchor ? S_ANCHOR : 1 + (next_test++ % S_TESTS);
        cv->name = dup_or_empty(r->recipe_name);
        if (!cv->name)
            return cb_error_set(err, CB_ENOMEM, "rate-distortion chart: out of memory");
        for (size_t k = 0; k < np && cv->n < MAX_CURVE_POINTS; k++) {
            if (!isfinite(pts[k].kbps) || pts[k].kbps <= 0 || !isfinite(pts[k].psnr_y))
                continue;
            cv->kbps[cv->n] = pts[k].kbps;
            cv->psnr[cv->n] = pts[k].psnr_y;
            cv->rate[cv->n] = pts[k].rate_value;
            cv->n++;
        }
        curve_sort(cv);
        cv->rate_word = tui_rate_word(app, r);
        if (c->point >= 0 && (size_t)c->point < np && isfinite(pts[c->point].kbps) &&
            isfinite(pts[c->point].psnr_y)) {
            cv->has_sel = 1;
            cv->sel_rate = pts[c->point].rate_value;
            cv->sel_kbps = pts[c->point].kbps;
            cv->sel_psnr = pts[c->point].psnr_y;
        }
        /* without an anchor curve, the store's figure against the experiment's anchor */
        cv->bd = cv->is_anchor ? NAN : r->bd_rate;
        if (!cv->is_anchor && r->anchor_run && r->anchor_run != r->id)
            cv->bd_against = r->anchor_run;
        c->n_curves++;
    }
    if (c->n_hidden)
        add_note(c, "%zu more marked runs not drawn (at most %d curves)", c->n_hidden, MAX_CURVES);
    const Curve *acv = NULL;
    for (size_t i = 0; i < c->n_curves; i++)
        if (c->curves[i].is_anchor)
            acv = &c->curves[i];
    if (acv)
        for (size_t i = 0; i < c->n_curves; i++)
            if (!c->curves[i].is_anchor) {
                curve_bd(app, acv, &c->curves[i]);
                c->curves[i].bd_against = 0;
            }
    if (!c->n_curves)
        return CB_OK;

    /* the layout: a legend beside the plot when wide, else under it */
    size_t legend_lines = c->n_curves + (c->note[0] ? 1 : 0);
    c->legend_side = w >= 110;
    int top = 2; /* the mode line and the axis titles */
    if (c->legend_side) {
        int lw = w / 3 > 48 ? 48 : w / 3;
        c->plot_r = (TuiRect){top, 0, h - top, w - lw - 1};
        c->legend_r = (TuiRect){top, w - lw, h - top, lw};
    } else {
        int lh = (int)legend_lines;
        int max_lh = h / 4 < 2 ? 2 : h / 4;
        if (lh > max_lh)
            lh = max_lh;
        c->plot_r = (TuiRect){top, 0, h - top - lh, w};
        c->legend_r = (TuiRect){h - lh, 0, lh, w};
    }
    double xs[MAX_CURVES * MAX_CURVE_POINTS], ys[MAX_CURVES * MAX_CURVE_POINTS];
    size_t k = 0;
    for (size_t i = 0; i < c->n_curves; i++)
        for (size_t j = 0; j < c->curves[i].n; j++) {
            xs[k] = c->curves[i].kbps[j];
            ys[k] = c->curves[i].psnr[j];
            k++;
        }
    double x0 = NAN, x1 = NAN, y0 = NAN, y1 = NAN;
    tui_axis_data_range(xs, k, 1, &x0, &x1);
    tui_axis_data_range(ys, k, 0, &y0, &y1);
    int rc = tui_plot_layout(&c->plot, c->plot_r.w, c->plot_r.h, x0, x1, 1, y0, y1, 0, 0, 1, err);
    if (rc < 0)
        return rc;
    /* the anchor first, so the curves compared with it are drawn over it */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < c->n_curves; i++) {
            const Curve *cv = &c->curves[i];
            if (cv->is_anchor != (pass == 0))
                continue;
            tui_plot_series(&c->plot, cv->kbps, cv->psnr, cv->n, cv->series, 1, 1);
        }
    return CB_OK;
}

/* ---- per frame ----------------------------------------------------------------- */

static void result_drop(Chart *c)
{
    cb_result_free(&c->res);
    c->res_run = 0;
    c->res_error[0] = '\0';
}

/* Reads the run's per-frame rows from the store when they are not loaded
 * (on show, on a change of run, after a reload that changed the run). */
static void result_ensure(Chart *c, TuiApp *app)
{
    const CbRunInfo *r = c->run ? tui_run(app, c->run) : NULL;
    if (c->res_run && (c->res_run != c->run || !r || (int)r->status != c->res_status))
        result_drop(c);
    if (c->res_run || !r || r->status != CB_RUN_DONE)
        return;
    CbError err = {0};
    int rc = cb_store_get_result(app->store, r->id, 1, &c->res, &err);
    c->res_run = r->id;
    c->res_status = (int)r->status;
    if (rc < 0) {
        cb_result_free(&c->res);
        int n = snprintf(c->res_error, sizeof c->res_error, "%s",
                         err.text[0] ? err.text : cb_strerror(rc));
        if (n < 0)
            c->res_error[0] = '\0';
        if (!c->res_error[0])
            snprintf(c->res_error, sizeof c->res_error, "the per-frame figures could not be read");
    }
}

static void short_num(double v, char *out, size_t size)
{
    tui_format_short(v, out, size);
}

static int frames_build(Chart *c, TuiApp *app, int w, int h, CbError *err)
{
    const CbRunInfo *r = c->run ? tui_run(app, c->run) : NULL;
    if (!r) {
        if (c->run)
            set_note(c, "Run %lld no longer exists.", (long long)c->run);
        else
            set_note(c, "No run chosen: pick one in the runs list and open the chart again.");
        return CB_OK;
    }
    if (r->status != CB_RUN_DONE) {
        char why[300];
        run_state_words(r, why, sizeof why);
        set_note(c, "Run #%lld %s.", (long long)r->id, why);
        return CB_OK;
    }
    if (c->res_run != r->id) {
        set_note(c, "Run #%lld: the per-frame figures are being read.", (long long)r->id);
        return CB_OK;
    }
    if (c->res_error[0]) {
        set_note(c, "Run #%lld: %s", (long long)r->id, c->res_error);
        return CB_OK;
    }
    if (!c->res.n_points) {
        set_note(c, "Run #%lld has no rate points.", (long long)r->id);
        return CB_OK;
    }
    if (c->point >= (int)c->res.n_points)
        c->point = (int)c->res.n_points - 1;
    if (c->point < 0)
        c->point = 0;
    const CbPointResult *pt = &c->res.points[c->point];
    size_t nf = pt->rows ? (size_t)pt->frames : 0;
    if (!nf) {
        set_note(c, "Run #%lld, point %d has no per-frame rows.", (long long)r->id, c->point + 1);
        return CB_OK;
    }
    double *fx = malloc(nf * sizeof *fx), *fy = malloc(nf * sizeof *fy),
           *fb = malloc(nf * sizeof *fb);
    int rc = CB_OK;
    if (!fx || !fy || !fb) {
        rc = cb_error_set(err, CB_ENOMEM, "per-frame chart of %zu frames: out of memory", nf);
        goto done;
    }
    double sum_psnr = 0, sum_bits = 0, min_psnr = INFINITY;
    size_t min_at = 0, n_type[4] = {0};
    double bits_type[4] = {0};
    for (size_t i = 0; i < nf; i++) {
        const CbFrameRow *row = &pt->rows[i];
        fx[i] = (double)i;
        fy[i] = row->psnr[0];
        fb[i] = (double)row->bits;
        if (isfinite(fy[i])) {
            sum_psnr += fy[i];
            if (fy[i] < min_psnr) {
                min_psnr = fy[i];
                min_at = i;
            }
        }
        sum_bits += fb[i];
        int t = row->type == 'I' ? 0 : row->type == 'P' ? 1 : row->type == 'B' ? 2 : 3;
        n_type[t]++;
        bits_type[t] += fb[i];
    }
    double mean_psnr = sum_psnr / (double)nf, mean_bits = sum_bits / (double)nf;
    char mb[16], kb[16], tb[3][16];
    short_num(mean_bits, mb, sizeof mb);
    short_num(pt->kbps, kb, sizeof kb);
    int n = snprintf(c->header, sizeof c->header,
                     "#%lld %s  |  %s %d (rate point %d of %zu)  |  %zu frames  |  %s kbps",
                     (long long)r->id, r->recipe_name ? r->recipe_name : "", tui_rate_word(app, r),
                     pt->rate_value, c->point + 1, c->res.n_points, nf, kb);
    if (n < 0)
        c->header[0] = '\0';
    n = snprintf(c->fpsnr_title, sizeof c->fpsnr_title,
                 "PSNR-Y per frame (dB)   mean %.2f   min %.2f at frame %zu", mean_psnr,
                 isfinite(min_psnr) ? min_psnr : NAN, min_at);
    if (n < 0)
        c->fpsnr_title[0] = '\0';
    for (int t = 0; t < 3; t++) {
        if (n_type[t])
            short_num(bits_type[t] / (double)n_type[t], tb[t], sizeof tb[t]);
        else
            snprintf(tb[t], sizeof tb[t], "-");
    }
    n = snprintf(c->fbits_title, sizeof c->fbits_title,
                 "bits per frame   mean %s   I %s (%zu)   P %s (%zu)   B %s (%zu)", mb, tb[0],
                 n_type[0], tb[1], n_type[1], tb[2], n_type[2]);
    if (n < 0)
        c->fbits_title[0] = '\0';

    /* rows: mode line, header, psnr title, psnr plot, bits title, bits plot
     * (with x labels), type strip, legend */
    int avail = h - 6;
    int h1 = avail / 2, h2 = avail - h1;
    c->fpsnr_r = (TuiRect){3, 0, h1, w};
    c->fbits_r = (TuiRect){3 + h1 + 1, 0, h2, w};
    double ymin = NAN, ymax = NAN, bmax = NAN, bmin = NAN;
    tui_axis_data_range(fy, nf, 0, &ymin, &ymax);
    tui_axis_data_range(fb, nf, 0, &bmin, &bmax);
    double x1 = nf > 1 ? (double)(nf - 1) : 1.0;
    rc = tui_plot_layout(&c->fpsnr, w, h1, 0, x1, 0, ymin, ymax, 0, 4, 0, err); /* 4: "type" */
    if (rc == CB_OK)
        rc = tui_plot_layout(&c->fbits, w, h2, 0, x1, 0, 0, bmax, 0, c->fpsnr.label_w, 1, err);
    if (rc == CB_OK && c->fbits.label_w != c->fpsnr.label_w)
        rc = tui_plot_layout(&c->fpsnr, w, h1, 0, x1, 0, ymin, ymax, 0, c->fbits.label_w, 0, err);
    if (rc < 0)
        goto done;
    /* the frame axis is the same on both: the top one keeps the bottom one's ticks */
    c->fpsnr.x = c->fbits.x;
    TuiPlot *plots[2] = {&c->fpsnr, &c->fbits};
    const double *vals[2] = {fy, fb};
    for (int k = 0; k < 2; k++) {
        TuiPlot *p = plots[k];
        tui_plot_hline(p, k == 0 ? mean_psnr : mean_bits, S_AXIS);
        tui_plot_series(p, fx, vals[k], nf, 1, 1, 0);
        for (size_t i = 0; i < nf; i++) {
            char t = pt->rows[i].type;
            if (t == 'B')
                tui_plot_point(p, fx[i], vals[k][i], 2, 0);
            else if (t == 'I')
                tui_plot_point(p, fx[i], vals[k][i], S_ANCHOR, 1);
        }
    }
    /* the strip of frame types under the bits plot: I wins a column, else the
     * most frequent type of its frames */
    int sw = c->fbits.canvas.w;
    char *strip = realloc(c->strip, sw > 0 ? (size_t)sw : 1);
    if (!strip) {
        rc = cb_error_set(err, CB_ENOMEM, "per-frame chart: out of memory");
        goto done;
    }
    c->strip = strip;
    c->strip_w = sw;
    if (sw > 0) {
        int *cnt = calloc((size_t)sw * 3, sizeof *cnt);
        if (!cnt) {
            rc = cb_error_set(err, CB_ENOMEM, "per-frame chart: out of memory");
            goto done;
        }
        for (size_t i = 0; i < nf; i++) {
            int col = tui_plot_col(&c->fbits, fx[i]);
            char t = pt->rows[i].type;
            if (col < 0)
                continue;
            cnt[col * 3 + (t == 'I' ? 0 : t == 'P' ? 1 : 2)] += 1;
        }
        for (int col = 0; col < sw; col++) {
            const int *k3 = &cnt[col * 3];
            strip[col] = k3[0] ? 'I' : !k3[1] && !k3[2] ? ' ' : k3[1] >= k3[2] ? 'P' : 'B';
        }
        free(cnt);
    }
done:
    free(fx);
    free(fy);
    free(fb);
    return rc;
}

/* ---- Pareto ------------------------------------------------------------------------ */

static void pareto_free(Chart *c)
{
    for (size_t i = 0; i < c->n_prow; i++)
        free(c->prow[i].name);
    free(c->prow);
    c->prow = NULL;
    c->n_prow = 0;
    free(c->p_fps);
    free(c->p_bd);
    free(c->p_ids);
    c->p_fps = c->p_bd = NULL;
    c->p_ids = NULL;
    c->p_points = c->p_missing = 0;
    c->anchor_id = 0;
}

static int pareto_build(Chart *c, TuiApp *app, int w, int h, CbError *err)
{
    const CbRunInfo *r = c->run ? tui_run(app, c->run) : NULL;
    if (!r || !r->experiment) {
        set_note(c, "No run chosen: pick a run of the experiment in the runs list and open the "
                    "chart again.");
        return CB_OK;
    }
    const char *exp = r->experiment;
    size_t cap = 0;
    for (size_t i = 0; i < app->n_runs; i++)
        if (app->runs[i].status == CB_RUN_DONE && app->runs[i].experiment &&
            strcmp(app->runs[i].experiment, exp) == 0)
            cap++;
    int rc = CB_OK;
    size_t *front = NULL;
    if (!cap) {
        set_note(c,
                 "Experiment %s has no done runs yet: the Pareto chart needs BD-rate and speed "
                 "of done runs.",
                 exp);
        return CB_OK;
    }
    c->p_fps = malloc(cap * sizeof *c->p_fps);
    c->p_bd = malloc(cap * sizeof *c->p_bd);
    c->p_ids = malloc(cap * sizeof *c->p_ids);
    front = malloc(cap * sizeof *front);
    if (!c->p_fps || !c->p_bd || !c->p_ids || !front) {
        rc = cb_error_set(err, CB_ENOMEM, "Pareto chart of %zu runs: out of memory", cap);
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < app->n_runs; i++) {
        const CbRunInfo *q = &app->runs[i];
        if (q->status != CB_RUN_DONE || !q->experiment || strcmp(q->experiment, exp) != 0)
            continue;
        double bd = q->bd_rate;
        if (q->anchor_run == q->id && !isfinite(bd))
            bd = 0.0; /* the anchor against itself */
        if (!isfinite(bd) || !isfinite(q->encode_fps) || q->encode_fps <= 0) {
            c->p_missing++;
            continue;
        }
        if (q->anchor_run == q->id)
            c->anchor_id = q->id;
        c->p_fps[k] = q->encode_fps;
        c->p_bd[k] = bd;
        c->p_ids[k] = q->id;
        k++;
    }
    c->p_points = k;
    if (!k) {
        set_note(c,
                 "None of the %zu done runs of experiment %s has a BD-rate: set an anchor "
                 "(a on a run) and run it on the same clips.",
                 cap, exp);
        goto done;
    }
    size_t nfront = 0;
    rc = tui_pareto_front(c->p_fps, c->p_bd, k, front, &nfront);
    if (rc < 0) {
        rc = cb_error_set(err, rc, "Pareto front of %zu runs: out of memory", k);
        goto done;
    }
    c->prow = calloc(nfront ? nfront : 1, sizeof *c->prow);
    if (!c->prow) {
        rc = cb_error_set(err, CB_ENOMEM, "Pareto chart: out of memory");
        goto done;
    }
    /* listed best BD-rate first: the front reversed (it comes by ascending speed) */
    for (size_t i = 0; i < nfront; i++) {
        size_t j = front[nfront - 1 - i];
        const CbRunInfo *q = tui_run(app, c->p_ids[j]);
        ParetoRow *row = &c->prow[c->n_prow];
        row->run_id = c->p_ids[j];
        row->fps = c->p_fps[j];
        row->bd = c->p_bd[j];
        row->is_anchor = q && q->anchor_run == q->id;
        row->name = dup_or_empty(q ? q->recipe_name : NULL);
        if (!row->name) {
            rc = cb_error_set(err, CB_ENOMEM, "Pareto chart: out of memory");
            goto done;
        }
        c->n_prow++;
    }
    if (c->sel >= (int)c->n_prow)
        c->sel = (int)c->n_prow - 1;
    if (c->sel < 0)
        c->sel = 0;
    if (c->p_missing)
        set_note(c, "%zu of %zu done runs have no BD-rate or speed and are not shown", c->p_missing,
                 cap);
    int n =
        snprintf(c->header, sizeof c->header,
                 "experiment %s  |  %zu runs  |  %zu on the Pareto front (best BD-rate first)  |  "
                 "Enter opens a run",
                 exp, k, nfront);
    if (n < 0)
        c->header[0] = '\0';

    /* layout: the list beside the plot when wide, else under it */
    int top = 3;
    if (w >= 110) {
        int lw = w * 2 / 5 > 56 ? 56 : w * 2 / 5;
        c->plot_r = (TuiRect){top, 0, h - top - (c->note[0] ? 1 : 0), w - lw - 1};
        c->list_r = (TuiRect){top, w - lw, h - top, lw};
    } else {
        int lh = (int)nfront + 1;
        int max_lh = h / 3 < 3 ? 3 : h / 3;
        if (lh > max_lh)
            lh = max_lh;
        int nh = c->note[0] ? 1 : 0;
        c->plot_r = (TuiRect){top, 0, h - top - lh - nh, w};
        c->list_r = (TuiRect){h - lh - nh, 0, lh, w};
    }
    double x0 = NAN, x1 = NAN, y0 = 0, y1 = 0;
    tui_axis_data_range(c->p_fps, k, 1, &x0, &x1);
    tui_axis_data_range(c->p_bd, k, 0, &y0, &y1);
    if (y0 > 0)
        y0 = 0; /* the anchor's level stays in view */
    if (y1 < 0)
        y1 = 0;
    rc = tui_plot_layout(&c->plot, c->plot_r.w, c->plot_r.h, x0, x1, 1, y0, y1, 0, 0, 1, err);
    if (rc < 0)
        goto done;
    tui_plot_hline(&c->plot, 0.0, S_AXIS);
    for (size_t i = 0; i < k; i++)
        tui_plot_point(&c->plot, c->p_fps[i], c->p_bd[i], 1, 1);
    double fx[2], fy[2];
    for (size_t i = 0; i + 1 < nfront; i++) {
        fx[0] = c->p_fps[front[i]];
        fy[0] = c->p_bd[front[i]];
        fx[1] = c->p_fps[front[i + 1]];
        fy[1] = c->p_bd[front[i + 1]];
        tui_plot_series(&c->plot, fx, fy, 2, S_GOOD, 1, 0);
    }
    for (size_t i = 0; i < nfront; i++)
        tui_plot_point(&c->plot, c->p_fps[front[i]], c->p_bd[front[i]], S_GOOD, 1);
    for (size_t i = 0; i < k; i++)
        if (c->p_ids[i] == c->anchor_id)
            tui_plot_point(&c->plot, c->p_fps[i], c->p_bd[i], S_ANCHOR, 1);
done:
    free(front);
    return rc;
}

/* ---- building -------------------------------------------------------------------- */

static void geometry_free(Chart *c)
{
    curves_free(c);
    pareto_free(c);
    tui_plot_free(&c->plot);
    tui_plot_free(&c->fpsnr);
    tui_plot_free(&c->fbits);
    c->note[0] = '\0';
    c->header[0] = '\0';
    c->built = 0;
}

/* Rebuilds the geometry when anything it was made from changed. */
static void ensure_built(Chart *c, TuiApp *app, TuiRect area)
{
    uint64_t marks = marks_signature(app);
    if (c->built && c->b_gen == c->gen && c->b_mode == c->mode && c->b_w == area.w &&
        c->b_h == area.h && c->b_run == c->run && c->b_point == c->point && c->b_marks == marks)
        return;
    geometry_free(c);
    CbError err = {0};
    int rc;
    if (c->mode == MODE_RD)
        rc = rd_build(c, app, area.w, area.h, &err);
    else if (c->mode == MODE_FRAMES)
        rc = frames_build(c, app, area.w, area.h, &err);
    else
        rc = pareto_build(c, app, area.w, area.h, &err);
    if (rc < 0) {
        geometry_free(c);
        set_note(c, "%s", err.text[0] ? err.text : cb_strerror(rc));
    }
    c->built = 1;
    c->b_gen = c->gen;
    c->b_mode = c->mode;
    c->b_w = area.w;
    c->b_h = area.h;
    c->b_run = c->run;
    c->b_point = c->point;
    c->b_marks = marks;
}

/* ---- drawing ---------------------------------------------------------------------- */

static void draw_canvas(TuiApp *app, int y0, int x0, const TuiCanvas *cv)
{
    for (int cy = 0; cy < cv->h; cy++)
        for (int cx = 0; cx < cv->w; cx++) {
            int m = tui_canvas_cell_marker(cv, cx, cy);
            if (m >= 0) {
                tui_glyph(app, y0 + cy, x0 + cx, tui_attr(app, series_area(m)) | A_BOLD,
                          tui_canvas_marker_glyph(m), tui_canvas_ascii_marker(m));
                continue;
            }
            unsigned bits = tui_canvas_bits(cv, cx, cy);
            if (!bits)
                continue;
            int s = tui_canvas_cell_series(cv, cx, cy);
            char g[4];
            tui_braille_utf8(bits, g);
            tui_glyph(app, y0 + cy, x0 + cx, tui_attr(app, series_area(s)), g, tui_canvas_ascii(s));
        }
}

/* A plot at (y0, x0) of the area: y labels, axis lines with ticks, canvas,
 * x labels (when the plot has them). */
static void draw_plot(TuiApp *app, int y0, int x0, const TuiPlot *p)
{
    const TuiCanvas *cv = &p->canvas;
    if (cv->w <= 0 || cv->h <= 0)
        return;
    attr_t ax = tui_attr(app, CB_AREA_GRAPH_AXIS);
    int axis_x = x0 + p->label_w, base_y = y0 + cv->h;
    char lab[64];
    for (int r = 0; r < cv->h; r++)
        tui_glyph(app, y0 + r, axis_x, ax, "│", '|');
    for (int i = 0; i < p->y.n_ticks; i++) {
        int row = tui_plot_row(p, p->y.ticks[i]);
        if (row < 0)
            continue;
        tui_axis_label(&p->y, p->y.ticks[i], lab, sizeof lab);
        tui_text_right(app, y0 + row, x0, p->label_w, ax, lab);
        tui_glyph(app, y0 + row, axis_x, ax, "┤", '+');
    }
    tui_glyph(app, base_y, axis_x, ax, "└", '+');
    for (int col = 0; col < cv->w; col++)
        tui_glyph(app, base_y, x0 + p->cx + col, ax, "─", '-');
    int next_free = -p->cx; /* first column a label may start in, relative to the canvas */
    for (int i = 0; i < p->x.n_ticks; i++) {
        int col = tui_plot_col(p, p->x.ticks[i]);
        if (col < 0)
            continue;
        tui_glyph(app, base_y, x0 + p->cx + col, ax, "┬", '+');
        if (!p->x_labels)
            continue;
        int n = tui_axis_label(&p->x, p->x.ticks[i], lab, sizeof lab);
        int start = col - n / 2;
        if (start < -p->cx)
            start = -p->cx;
        if (start + n > cv->w)
            start = cv->w - n;
        if (start < next_free)
            continue; /* it would touch the previous label */
        tui_text(app, base_y + 1, x0 + p->cx + start, n, ax, lab);
        next_free = start + n + 1;
    }
    draw_canvas(app, y0 + p->cy, x0 + p->cx, cv);
}

/* The first line: the modes, the current one highlighted. */
static void draw_modes(Chart *c, TuiApp *app, TuiRect a)
{
    int x = a.x;
    attr_t hd = tui_attr(app, CB_AREA_HEADER);
    tui_fill(app, a.y, a.x, a.w, hd);
    for (int m = 0; m < MODE_COUNT && x < a.x + a.w; m++) {
        attr_t at = m == (int)c->mode ? tui_attr(app, CB_AREA_SELECTED) | A_BOLD : hd;
        char lab[40];
        int n = snprintf(lab, sizeof lab, " %s ", mode_names[m]);
        if (n < 0)
            continue;
        x += tui_text(app, a.y, x, a.x + a.w - x, at, lab);
        if (x < a.x + a.w)
            x += tui_text(app, a.y, x, a.x + a.w - x, hd, " ");
    }
    const char *what = c->mode == MODE_RD       ? "PSNR-Y against bitrate"
                       : c->mode == MODE_FRAMES ? "one run, one rate point"
                                                : "BD-rate against encode speed";
    if (x + 4 < a.x + a.w)
        tui_text(app, a.y, x + 2, a.x + a.w - x - 2, hd, what);
}

/* A note centred in the rectangle (wrapped at spaces over up to 4 lines). */
static void draw_note_box(TuiApp *app, TuiRect r, const char *text)
{
    if (r.h <= 0 || r.w <= 4)
        return;
    attr_t at = tui_attr(app, CB_AREA_WARN);
    size_t len = strlen(text);
    int width = r.w - 4;
    int lines = (int)((len + (size_t)width - 1) / (size_t)width);
    if (lines > 4)
        lines = 4;
    int y = r.y + (r.h - lines) / 2;
    const char *p = text;
    for (int i = 0; i < lines && *p; i++) {
        size_t rest = strlen(p), take = rest;
        if (rest > (size_t)width) {
            take = (size_t)width;
            while (take > (size_t)width / 2 && p[take] != ' ')
                take--;
            if (p[take] != ' ')
                take = (size_t)width;
            while (take > 1 && ((unsigned char)p[take] & 0xc0) == 0x80)
                take--; /* not inside a UTF-8 sequence */
        }
        char line[1024];
        if (take >= sizeof line)
            take = sizeof line - 1;
        memcpy(line, p, take);
        line[take] = '\0';
        if (i == lines - 1 && take < rest)
            tui_text(app, y + i, r.x + 2, width, at, p); /* the rest, cut with an ellipsis */
        else
            tui_text(app, y + i, r.x + 2, width, at, line);
        p += take;
        while (*p == ' ')
            p++;
    }
}

static void draw_rd(Chart *c, TuiApp *app, TuiRect a)
{
    if (!c->n_curves) {
        draw_note_box(app, (TuiRect){a.y + 1, a.x, a.h - 1, a.w}, c->note);
        return;
    }
    attr_t ax = tui_attr(app, CB_AREA_GRAPH_AXIS);
    tui_text(app, a.y + 1, a.x, a.w, ax,
             "y: PSNR-Y (dB, mean of frames)   x: bitrate (kbps, log scale)   ]/[ rate point");
    draw_plot(app, a.y + c->plot_r.y, a.x + c->plot_r.x, &c->plot);
    /* the chosen rate point of each curve: its marker in the cursor's colours */
    for (size_t i = 0; i < c->n_curves; i++) {
        const Curve *cv = &c->curves[i];
        int col = cv->has_sel ? tui_plot_col(&c->plot, cv->sel_kbps) : -1;
        int row = cv->has_sel ? tui_plot_row(&c->plot, cv->sel_psnr) : -1;
        if (col >= 0 && row >= 0)
            tui_glyph(app, a.y + c->plot_r.y + c->plot.cy + row,
                      a.x + c->plot_r.x + c->plot.cx + col, tui_attr(app, CB_AREA_CURSOR) | A_BOLD,
                      tui_canvas_marker_glyph(cv->series), tui_canvas_ascii_marker(cv->series));
    }

    /* legend */
    TuiRect L = {a.y + c->legend_r.y, a.x + c->legend_r.x, c->legend_r.h, c->legend_r.w};
    int per = c->legend_side ? 2 : 1;
    int rows_for_curves = L.h - (c->note[0] ? per : 0);
    size_t shown = (size_t)(rows_for_curves > 0 ? rows_for_curves / per : 0);
    if (shown > c->n_curves)
        shown = c->n_curves;
    if (shown < c->n_curves && shown > 0)
        shown--; /* room for "+N more" */
    int y = L.y;
    for (size_t i = 0; i < shown; i++) {
        const Curve *cv = &c->curves[i];
        attr_t at = tui_attr(app, series_area(cv->series));
        tui_glyph(app, y, L.x, at | A_BOLD, tui_canvas_marker_glyph(cv->series),
                  tui_canvas_ascii_marker(cv->series));
        char id[32], bd[48], pt[96];
        int n = snprintf(id, sizeof id, "#%lld", (long long)cv->run_id);
        if (n < 0)
            id[0] = '\0';
        attr_t bd_at = ax;
        if (cv->is_anchor)
            n = snprintf(bd, sizeof bd, "anchor");
        else if (isfinite(cv->bd)) {
            n = cv->bd_against ? snprintf(bd, sizeof bd, "BD-rate %+.2f%% vs #%lld", cv->bd,
                                          (long long)cv->bd_against)
                               : snprintf(bd, sizeof bd, "BD-rate %+.2f%%", cv->bd);
            bd_at = tui_attr(app, cv->bd < 0   ? CB_AREA_GOOD
                                  : cv->bd > 0 ? CB_AREA_BAD
                                               : CB_AREA_DEFAULT);
        } else
            n = snprintf(bd, sizeof bd, "%s%s", cv->bd_why ? "BD-rate n/a: " : "",
                         cv->bd_why ? cv->bd_why : "");
        if (n < 0)
            bd[0] = '\0';
        pt[0] = '\0';
        if (cv->has_sel) {
            char kb[16];
            tui_format_short(cv->sel_kbps, kb, sizeof kb);
            n = snprintf(pt, sizeof pt, "%s%d: %s kbps %.2f dB", cv->rate_word, cv->sel_rate, kb,
                         cv->sel_psnr);
            if (n < 0)
                pt[0] = '\0';
        }
        int x = L.x + 2, right = L.x + L.w;
        x += tui_text(app, y, x, right - x, at | A_BOLD, id);
        x++;
        if (per == 2) {
            tui_text(app, y, x, right - x, tui_attr(app, CB_AREA_DEFAULT), cv->name);
            int x2 = L.x + 2 + tui_text(app, y + 1, L.x + 2, L.w - 2, bd_at, bd);
            if (pt[0] && x2 + 2 < right)
                tui_text(app, y + 1, x2 + 2, right - x2 - 2, ax, pt);
        } else {
            int bw = tui_width(bd), pw = pt[0] ? tui_width(pt) : 0;
            int name_w = right - x - bw - 2 - (pw ? pw + 2 : 0);
            if (name_w < 8) {
                pw = 0;
                name_w = right - x - bw - 2;
            }
            if (name_w < 4)
                name_w = 4;
            x += tui_text(app, y, x, name_w, tui_attr(app, CB_AREA_DEFAULT), cv->name) + 2;
            if (x < right)
                x += tui_text(app, y, x, right - x, bd_at, bd) + 2;
            if (pw && x < right)
                tui_text(app, y, x, right - x, ax, pt);
        }
        y += per;
    }
    if (shown < c->n_curves && y < L.y + L.h)
        tui_textf(app, y++, L.x + 2, L.w - 2, ax,
                  "+%zu more curves (the area is too small to list them)", c->n_curves - shown);
    if (c->note[0] && y < L.y + L.h)
        tui_text(app, y, L.x, L.w, tui_attr(app, CB_AREA_WARN), c->note);
}

/* The frame cursor: a mark on both plots at its frame, and the frame's
 * figures at the right of the PSNR title line. */
static void draw_frame_cursor(Chart *c, TuiApp *app, TuiRect a)
{
    if (!c->res_run || c->point < 0 || (size_t)c->point >= c->res.n_points)
        return;
    const CbPointResult *pt = &c->res.points[c->point];
    if (!pt->rows || c->fcur < 0 || c->fcur >= pt->frames)
        return;
    const CbFrameRow *row = &pt->rows[c->fcur];
    attr_t cur = tui_attr(app, CB_AREA_CURSOR) | A_BOLD;
    const TuiPlot *plots[2] = {&c->fpsnr, &c->fbits};
    const TuiRect rects[2] = {c->fpsnr_r, c->fbits_r};
    double vals[2] = {row->psnr[0], (double)row->bits};
    for (int k = 0; k < 2; k++) {
        const TuiPlot *p = plots[k];
        int col = tui_plot_col(p, (double)c->fcur), r = tui_plot_row(p, vals[k]);
        if (col >= 0 && r >= 0 && isfinite(vals[k]))
            tui_glyph(app, a.y + rects[k].y + p->cy + r, a.x + p->cx + col, cur, "◆", '#');
    }
    char bits[16], t[160];
    short_num((double)row->bits, bits, sizeof bits);
    int n = snprintf(t, sizeof t, " frame %d: %c  PSNR-Y %.2f dB  %s bits ", c->fcur,
                     row->type ? row->type : '?', row->psnr[0], bits);
    if (n < 0)
        return;
    int w = tui_width(t);
    if (w < a.w)
        tui_text(app, a.y + 2, a.x + a.w - w, w, cur, t);
}

static void draw_frames(Chart *c, TuiApp *app, TuiRect a)
{
    if (!c->fbits.canvas.w) {
        if (c->header[0])
            tui_text(app, a.y + 1, a.x, a.w, tui_attr(app, CB_AREA_DEFAULT), c->header);
        draw_note_box(app, (TuiRect){a.y + 2, a.x, a.h - 2, a.w},
                      c->note[0] ? c->note : "The area is too small for the per-frame charts.");
        return;
    }
    attr_t ax = tui_attr(app, CB_AREA_GRAPH_AXIS);
    tui_text(app, a.y + 1, a.x, a.w, tui_attr(app, CB_AREA_DEFAULT), c->header);
    tui_text(app, a.y + 2, a.x, a.w, ax, c->fpsnr_title);
    draw_plot(app, a.y + c->fpsnr_r.y, a.x, &c->fpsnr);
    tui_text(app, a.y + c->fbits_r.y - 1, a.x, a.w, ax, c->fbits_title);
    draw_plot(app, a.y + c->fbits_r.y, a.x, &c->fbits);
    draw_frame_cursor(c, app, a);
    /* the frame-type strip, then the key */
    int sy = a.y + c->fbits_r.y + c->fbits_r.h;
    if (sy < a.y + a.h) {
        tui_text_right(app, sy, a.x, c->fbits.label_w, ax, "type");
        for (int col = 0; col < c->strip_w; col++) {
            char t = c->strip[col];
            if (t == 'I')
                tui_glyph(app, sy, a.x + c->fbits.cx + col,
                          tui_attr(app, CB_AREA_GRAPH_ANCHOR) | A_BOLD, "I", 'I');
            else if (t == 'B')
                tui_glyph(app, sy, a.x + c->fbits.cx + col, tui_attr(app, CB_AREA_GRAPH_TEST2), "b",
                          'b');
            else if (t == 'P')
                tui_glyph(app, sy, a.x + c->fbits.cx + col, tui_attr(app, CB_AREA_GRAPH_TEST1), "·",
                          '.');
        }
    }
    int ky = sy + 1;
    if (ky < a.y + a.h) {
        int x = a.x + c->fbits.cx;
        int right = a.x + a.w;
        tui_glyph(app, ky, x, tui_attr(app, CB_AREA_GRAPH_ANCHOR) | A_BOLD,
                  tui_canvas_marker_glyph(S_ANCHOR), tui_canvas_ascii_marker(S_ANCHOR));
        x += 2;
        x += tui_text(app, ky, x, right - x, ax, "I frame") + 2;
        if (x < right) {
            tui_glyph(app, ky, x, tui_attr(app, CB_AREA_GRAPH_TEST1), "⠒", tui_canvas_ascii(1));
            x += 2;
            x += tui_text(app, ky, x, right - x, ax, "P frames") + 2;
        }
        if (x < right) {
            tui_glyph(app, ky, x, tui_attr(app, CB_AREA_GRAPH_TEST2), "⠒", tui_canvas_ascii(2));
            x += 2;
            x += tui_text(app, ky, x, right - x, ax, "B frames") + 2;
        }
        if (x < right) {
            tui_glyph(app, ky, x, ax, "┄", tui_canvas_ascii(S_AXIS));
            x += 2;
            x += tui_text(app, ky, x, right - x, ax, "mean") + 2;
        }
        if (x < right)
            tui_text(app, ky, x, right - x, ax, "x: frame (display order)");
    }
}

static void draw_pareto(Chart *c, TuiApp *app, TuiRect a)
{
    if (!c->p_points) {
        draw_note_box(app, (TuiRect){a.y + 1, a.x, a.h - 1, a.w}, c->note);
        return;
    }
    attr_t ax = tui_attr(app, CB_AREA_GRAPH_AXIS);
    tui_text(app, a.y + 1, a.x, a.w, tui_attr(app, CB_AREA_DEFAULT), c->header);
    tui_text(
        app, a.y + 2, a.x, a.w, ax,
        "y: BD-rate (%, lower is better)   x: encode speed (fps, log scale, higher is better)");
    draw_plot(app, a.y + c->plot_r.y, a.x + c->plot_r.x, &c->plot);
    if (c->n_prow && c->sel >= 0 && c->sel < (int)c->n_prow) {
        /* the selected run of the list, drawn over its point */
        const ParetoRow *sr = &c->prow[c->sel];
        int col = tui_plot_col(&c->plot, sr->fps), row = tui_plot_row(&c->plot, sr->bd);
        if (col >= 0 && row >= 0)
            tui_glyph(app, a.y + c->plot_r.y + c->plot.cy + row,
                      a.x + c->plot_r.x + c->plot.cx + col, tui_attr(app, CB_AREA_CURSOR) | A_BOLD,
                      "◉", '#');
    }
    if (c->note[0] && c->list_r.x > 0)
        tui_text(app, a.y + c->plot_r.y + c->plot_r.h, a.x, c->plot_r.w,
                 tui_attr(app, CB_AREA_WARN), c->note);
    else if (c->note[0])
        tui_text(app, a.y + c->list_r.y + c->list_r.h, a.x, a.w, tui_attr(app, CB_AREA_WARN),
                 c->note);

    TuiRect L = {a.y + c->list_r.y, a.x + c->list_r.x, c->list_r.h, c->list_r.w};
    if (L.h <= 0)
        return;
    attr_t hd = tui_attr(app, CB_AREA_HEADER);
    tui_fill(app, L.y, L.x, L.w, hd);
    int name_w = L.w - 2 - 8 - 10 - 10;
    if (name_w < 6)
        name_w = 6;
    int x = L.x + 1;
    tui_text(app, L.y, x, 7, hd, "run");
    tui_text(app, L.y, x + 8, name_w, hd, "recipe");
    tui_text_right(app, L.y, x + 8 + name_w, 9, hd, "BD-rate");
    tui_text_right(app, L.y, x + 8 + name_w + 9, 9, hd, "fps");
    int rows = L.h - 1;
    if (rows <= 0)
        return;
    if (c->sel < c->top)
        c->top = c->sel;
    if (c->sel >= c->top + rows)
        c->top = c->sel - rows + 1;
    if (c->top < 0)
        c->top = 0;
    for (int i = 0; i < rows && c->top + i < (int)c->n_prow; i++) {
        const ParetoRow *row = &c->prow[c->top + i];
        int y = L.y + 1 + i;
        int is_sel = c->top + i == c->sel;
        attr_t base = is_sel ? tui_attr(app, CB_AREA_CURSOR) : tui_attr(app, CB_AREA_DEFAULT);
        if (is_sel)
            tui_fill(app, y, L.x, L.w, base);
        char id[32], bd[24], fps[16];
        if (snprintf(id, sizeof id, "#%lld", (long long)row->run_id) < 0)
            id[0] = '\0';
        if (snprintf(bd, sizeof bd, "%+.2f%%", row->bd) < 0)
            bd[0] = '\0';
        tui_format_short(row->fps, fps, sizeof fps);
        tui_text(app, y, x, 7, base | (row->is_anchor ? 0 : A_BOLD), id);
        tui_text(app, y, x + 8, name_w, base, row->name);
        attr_t bd_at = is_sel ? base
                              : tui_attr(app, row->bd < 0   ? CB_AREA_GOOD
                                              : row->bd > 0 ? CB_AREA_BAD
                                                            : CB_AREA_DEFAULT);
        tui_text_right(app, y, x + 8 + name_w, 9, bd_at, row->is_anchor ? "anchor" : bd);
        tui_text_right(app, y, x + 8 + name_w + 9, 9, base, fps);
    }
}

/* ---- the view's operations --------------------------------------------------------------- */

static int chart_create(TuiApp *app, void **self)
{
    (void)app;
    Chart *c = calloc(1, sizeof *c);
    if (!c)
        return CB_ENOMEM;
    c->mode = MODE_RD;
    *self = c;
    return CB_OK;
}

static void chart_destroy(void *self)
{
    Chart *c = self;
    if (!c)
        return;
    geometry_free(c);
    result_drop(c);
    free(c->strip);
    free(c);
}

static void chart_draw(void *self, TuiApp *app, TuiRect area)
{
    Chart *c = self;
    tui_clear_rect(app, area);
    if (area.h <= 0 || area.w <= 0)
        return;
    c->area = area;
    ensure_built(c, app, area);
    draw_modes(c, app, area);
    if (area.h < 8 || area.w < 30) {
        tui_text(app, area.y + 1, area.x, area.w, tui_attr(app, CB_AREA_WARN),
                 "The area is too small for a chart.");
        return;
    }
    if (c->mode == MODE_RD)
        draw_rd(c, app, area);
    else if (c->mode == MODE_FRAMES)
        draw_frames(c, app, area);
    else
        draw_pareto(c, app, area);
}

static int chart_key(void *self, TuiApp *app, CbRequest req, int key)
{
    Chart *c = self;
    switch (req) {
    case CB_REQ_CHART_MODE:
        c->mode = (ChartMode)((c->mode + 1) % MODE_COUNT);
        if (c->mode == MODE_FRAMES)
            result_ensure(c, app);
        tui_dirty(app);
        return 1;
    case CB_REQ_NEXT_POINT:
    case CB_REQ_PREV_POINT: {
        int n = 0;
        if (c->mode == MODE_FRAMES && c->res_run)
            n = (int)c->res.n_points;
        else {
            size_t np = 0;
            if (c->run)
                tui_run_points(app, c->run, &np);
            for (size_t i = 0; i < c->n_curves; i++) {
                size_t k = 0;
                tui_run_points(app, c->curves[i].run_id, &k);
                if (k > np)
                    np = k;
            }
            n = (int)np;
        }
        if (n <= 0) {
            tui_message(app, 0, "no rate points to choose from");
            return 1;
        }
        int p = c->point + (req == CB_REQ_NEXT_POINT ? 1 : -1);
        if (p < 0 || p >= n) {
            tui_message(app, 0, "%s rate point", p < 0 ? "already the first" : "already the last");
            return 1;
        }
        c->point = p;
        tui_dirty(app);
        return 1;
    }
    case CB_REQ_MOVE_UP:
    case CB_REQ_MOVE_DOWN:
    case CB_REQ_MOVE_HOME:
    case CB_REQ_MOVE_END:
    case CB_REQ_MOVE_PAGE_UP:
    case CB_REQ_MOVE_PAGE_DOWN: {
        if (c->mode != MODE_PARETO || !c->n_prow)
            return 0;
        int page = c->list_r.h > 2 ? c->list_r.h - 1 : 1;
        int s = c->sel;
        if (req == CB_REQ_MOVE_UP)
            s--;
        else if (req == CB_REQ_MOVE_DOWN)
            s++;
        else if (req == CB_REQ_MOVE_HOME)
            s = 0;
        else if (req == CB_REQ_MOVE_END)
            s = (int)c->n_prow - 1;
        else if (req == CB_REQ_MOVE_PAGE_UP)
            s -= page;
        else
            s += page;
        if (s >= (int)c->n_prow)
            s = (int)c->n_prow - 1;
        if (s < 0)
            s = 0;
        c->sel = s;
        tui_dirty(app);
        return 1;
    }
    case CB_REQ_SELECT:
        if (c->mode == MODE_PARETO && c->n_prow) {
            tui_open_view(app, &tui_view_detail, c->prow[c->sel].run_id);
            return 1;
        }
        return 0;
    case CB_REQ_NEXT_FRAME:
    case CB_REQ_PREV_FRAME: {
        if (c->mode != MODE_FRAMES) {
            /* the arrows keep their global meaning where there is no frame cursor */
            if (key == CB_KEY_LEFT) {
                tui_close_view(app);
                return 1;
            }
            if (key == CB_KEY_RIGHT)
                return chart_key(self, app, CB_REQ_SELECT, key);
            tui_message(app, 0, "the frame cursor is in the per-frame chart (chart-mode)");
            return 1;
        }
        int nf = c->res_run && c->point >= 0 && (size_t)c->point < c->res.n_points
                     ? (int)c->res.points[c->point].frames
                     : 0;
        int f = c->fcur + (req == CB_REQ_NEXT_FRAME ? 1 : -1);
        if (f < 0 || f >= nf) {
            tui_message(app, 0, "%s frame", f < 0 ? "already the first" : "already the last");
            return 1;
        }
        c->fcur = f;
        tui_dirty(app);
        return 1;
    }
    case CB_REQ_PREVIEW: {
        int64_t run = c->run;
        if (c->mode == MODE_PARETO && c->n_prow)
            run = c->prow[c->sel].run_id;
        tui_open_preview(app, run, 0, c->point, c->mode == MODE_FRAMES ? c->fcur : 0);
        return 1;
    }
    default: return 0;
    }
}

static void chart_event(void *self, TuiApp *app, const TuiEvent *ev)
{
    Chart *c = self;
    switch (ev->type) {
    case TUI_EV_SHOW: {
        int64_t run = ev->run_id ? ev->run_id : app->cursor_run;
        if (run != c->run) {
            c->run = run;
            c->sel = 0;
            c->top = 0;
            c->fcur = 0;
        }
        if (c->mode == MODE_FRAMES)
            result_ensure(c, app);
        tui_dirty(app);
        break;
    }
    case TUI_EV_RELOAD:
        c->gen++;
        if (c->mode == MODE_FRAMES)
            result_ensure(c, app); /* drops and rereads only when the run changed */
        tui_dirty(app);
        break;
    case TUI_EV_MOUSE:
        if (c->mode == MODE_FRAMES && ev->button == 1 && c->res_run && c->point >= 0 &&
            (size_t)c->point < c->res.n_points && c->fbits.canvas.w > 0) {
            /* a click on either plot puts the frame cursor on the nearest frame */
            int col = ev->x - c->area.x - c->fbits.cx;
            int64_t nf = c->res.points[c->point].frames;
            int best = -1, best_d = 0;
            for (int64_t i = 0; i < nf; i++) {
                int fc = tui_plot_col(&c->fbits, (double)i);
                int d = fc < col ? col - fc : fc - col;
                if (fc >= 0 && (best < 0 || d < best_d)) {
                    best = (int)i;
                    best_d = d;
                }
            }
            if (best >= 0 && col >= 0 && col < c->fbits.canvas.w) {
                c->fcur = best;
                tui_dirty(app);
            }
        }
        if (c->mode == MODE_PARETO && c->n_prow) {
            if (ev->button == 4 || ev->button == 5) {
                c->sel += ev->button == 4 ? -1 : 1;
                if (c->sel < 0)
                    c->sel = 0;
                if (c->sel >= (int)c->n_prow)
                    c->sel = (int)c->n_prow - 1;
                tui_dirty(app);
            } else if (ev->button == 1) {
                /* a click on a row of the front's list selects it */
                int ly = c->area.y + c->list_r.y + 1, lx = c->area.x + c->list_r.x;
                int i = c->top + (ev->y - ly);
                if (ev->y >= ly && ev->y < ly + c->list_r.h - 1 && ev->x >= lx &&
                    ev->x < lx + c->list_r.w && i >= 0 && i < (int)c->n_prow) {
                    c->sel = i;
                    tui_dirty(app);
                }
            }
        }
        break;
    default: break;
    }
}

static const char *chart_hint(void *self, TuiApp *app)
{
    const Chart *c = self;
    (void)app;
    switch (c->mode) {
    case MODE_RD: return "m mode  ] [ rate point  Space marks in the runs list  Esc back";
    case MODE_FRAMES: return "m mode  ] [ rate point  <- -> frame  v preview frame  Esc back";
    default: return "m mode  j k walk the front  Enter open run  Esc back";
    }
}

const TuiViewOps tui_view_chart = {
    .id = CB_VIEW_CHART,
    .title = "Charts",
    .create = chart_create,
    .destroy = chart_destroy,
    .draw = chart_draw,
    .key = chart_key,
    .event = chart_event,
    .hint = chart_hint,
};

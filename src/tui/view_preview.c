/* codecbench dashboard: the preview view (issue 6): a decoded frame of a
 * run's rate point beside its source, or the error as a heat map, or one
 * of the two alone (flip), zoomed to a region at 1:1, 2:1 or 4:1, with the
 * engine's blocks and vectors over it; or the same frame of two runs.
 *
 * Frames come from the frame client (preview.h: a `codecbench frames`
 * child per run, its descriptor in the app's poll loop, a cache with
 * prefetch), so nothing here decodes or blocks.  What is shown is composed
 * (cb_preview_compose) into the pane's pixel box (the terminal's cell size
 * for sixel, two pixels a cell for half blocks), encoded once per change
 * (sixel through libsixel, or half blocks) and handed to the app, which
 * writes it after curses' update (tui_image); on terminals that show no
 * images, or in a non-UTF-8 locale, a text summary is drawn instead.
 *
 * Layout of the area: two header lines (the run and the frame), the image
 * pane, a caption line (what is shown, the heat map's legend, notes).
 */
#include "tui/termimg.h"
#include "tui/keyhint.h"
#include "tui/tui.h"

#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecbench/result.h"

/* The image's encoded bytes are capped (a fidelity sixel of a 4K pane
 * stays far below). */
#define PAYLOAD_MAX (12u << 20)
/* A text summary's bytes. */
#define SUMMARY_MAX (64u << 10)

typedef struct Preview Preview;

/* One run's frames: its frame server and what it said. */
typedef struct Side {
    Preview *pv;
    int64_t run;
    CbFrames *fr;
    int fd;   /* watched descriptor, -1 */
    int dead; /* the client failed: err says why */
    char err[CB_ERROR_TEXT_MAX];
} Side;

struct Preview {
    TuiApp *app;
    Side a, b; /* b.run == 0: one run */
    int point; /* rate point index of run a (b: the same rate value) */
    int rate;  /* its rate value */
    const char *rate_word;
    int frame;
    CbPreviewMode mode; /* SIDE or DIFF, or SOURCE / RECON while flipped */
    int zoom;           /* 0 (fit), 1, 2, 4 */
    int cx, cy;         /* centre of the zoomed region, luma pixels */
    int overlay;

    /* the per-frame rows of run a (PSNR-Y, type, bits) */
    CbRunResult res;
    int64_t res_run;
    char res_err[CB_ERROR_TEXT_MAX];
    CbRunResult res_b; /* run b's, when two runs are shown */
    int64_t res_b_run;

    /* the encoded image of the last draw, and what it was made of */
    CbBuf bytes;
    TuiImageKind kind;
    int c_valid, c_frame, c_mode, c_zoom, c_cx, c_cy, c_overlay, c_w, c_h;
    CbGraphics c_graphics;
    const void *c_pa, *c_pb;
    int img_cols, img_rows;
    double c_ms; /* compose + encode time */
    CbBuf text;  /* the text summary */
    char c_err[CB_ERROR_TEXT_MAX];

    char hint[256];
    char status[320];
};

/* A failure's reason (its error text, else the code's words) into dst. */
static void set_reason(char *dst, size_t size, const CbError *err, int rc)
{
    if (snprintf(dst, size, "%s", err->text[0] ? err->text : cb_strerror(rc)) < 0)
        dst[0] = '\0';
}

/* ---- composition ----------------------------------------------------------------------- */

/* What the layout shows, composed into dst, and the text summary: the
 * view's only calls of the composition library. */
static int compose(CbPreviewImage *dst, const CbFramePair *a, const CbFramePair *b,
                   const CbPreviewLayout *l, CbError *err)
{
    return cb_preview_compose(dst, a, b, l, err);
}

static int summary(CbBuf *out, const CbFramePair *a, const CbFramePair *b, int cols, CbError *err)
{
    return cb_preview_summary(out, a, b, cols, err);
}

/* ---- frames ---------------------------------------------------------------------------- */

static void side_watch(Side *s);

static void on_frames(void *ctx, TuiApp *app, int fd, short revents)
{
    Side *s = ctx;
    (void)fd;
    (void)revents;
    if (!s->fr)
        return;
    CbError err = {0};
    int rc = 0, n = 0;
    /* everything waiting, in a bounded number of turns: the loop stays responsive */
    while (n < 64 && (rc = cb_frames_pump(s->fr, &err)) > 0)
        n++;
    if (rc < 0 && !s->dead) {
        s->dead = 1;
        set_reason(s->err, sizeof s->err, &err, rc);
        tui_message(app, 1, "frames of run %lld: %s", (long long)s->run, s->err);
    }
    side_watch(s);
    tui_dirty(app);
}

/* Keeps the app's poll set on the client's descriptor while it waits. */
static void side_watch(Side *s)
{
    int fd = s->fr && !s->dead ? cb_frames_fd(s->fr) : -1;
    if (fd == s->fd)
        return;
    if (s->fd >= 0)
        tui_unwatch_fd(s->pv->app, s->fd);
    s->fd = -1;
    if (fd >= 0 && tui_watch_fd(s->pv->app, fd, POLLIN, on_frames, s) == CB_OK)
        s->fd = fd;
}

static void side_close(Side *s)
{
    if (s->fd >= 0 && s->pv)
        tui_unwatch_fd(s->pv->app, s->fd);
    s->fd = -1;
    cb_frames_close(&s->fr);
    s->dead = 0;
    s->err[0] = '\0';
}

static void side_open(Preview *pv, Side *s, int64_t run, int rate)
{
    side_close(s);
    s->pv = pv;
    s->run = run;
    if (!run)
        return;
    char *dir = cb_store_run_dir(pv->app->store, run);
    CbError err = {0};
    int rc = CB_ENOMEM;
    if (dir) {
        CbFramesOptions o = {.exe = pv->app->exe, .run_dir = dir, .rate = rate};
        rc = cb_frames_open(&s->fr, &o, &err);
    }
    free(dir);
    if (rc < 0) {
        s->dead = 1;
        set_reason(s->err, sizeof s->err, &err, rc);
        tui_message(pv->app, 1, "run %lld: %s", (long long)run, s->err);
    }
}

/* Asks both sides for the current frame (and so for its neighbours). */
static void want(Preview *pv)
{
    Side *sides[2] = {&pv->a, &pv->b};
    for (int i = 0; i < 2; i++) {
        Side *s = sides[i];
        if (!s->fr || s->dead)
            continue;
        CbError err = {0};
        int rc = cb_frames_want(s->fr, pv->frame, &err);
        if (rc < 0 && rc != CB_ERANGE) {
            s->dead = 1;
            set_reason(s->err, sizeof s->err, &err, rc);
        }
        side_watch(s);
    }
    tui_dirty(pv->app);
}

/* The clip's frames: the frame server's count, else the store's. */
static int frame_count(const Preview *pv)
{
    int w, h, n = 0, eng;
    if (pv->a.fr && cb_frames_info(pv->a.fr, &w, &h, &n, &eng, NULL) == 1 && n > 0)
        return n;
    if (pv->res_run && pv->point >= 0 && (size_t)pv->point < pv->res.n_points)
        return (int)pv->res.points[pv->point].frames;
    const CbRunInfo *r = tui_run(pv->app, pv->a.run);
    return r && r->frames > 0 ? (int)r->frames : 0;
}

static void clip_size(const Preview *pv, int *w, int *h)
{
    int n, eng;
    *w = *h = 0;
    if (pv->a.fr && cb_frames_info(pv->a.fr, w, h, &n, &eng, NULL) == 1)
        return;
    const CbRunInfo *r = tui_run(pv->app, pv->a.run);
    if (r) {
        *w = r->width;
        *h = r->height;
    }
}

static const CbFrameRow *frame_row(const Preview *pv, int frame)
{
    if (!pv->res_run || pv->point < 0 || (size_t)pv->point >= pv->res.n_points)
        return NULL;
    const CbPointResult *pt = &pv->res.points[pv->point];
    if (!pt->rows || frame < 0 || frame >= pt->frames)
        return NULL;
    return &pt->rows[frame];
}

/* Run b's PSNR-Y of frame at the rate value shown, NAN when unknown. */
static double psnr_b(Preview *pv, int frame)
{
    if (!pv->b.run)
        return NAN;
    if (pv->res_b_run != pv->b.run) {
        cb_result_free(&pv->res_b);
        memset(&pv->res_b, 0, sizeof pv->res_b);
        pv->res_b_run = pv->b.run;
        if (cb_store_get_result(pv->app->store, pv->b.run, 1, &pv->res_b, NULL) < 0) {
            cb_result_free(&pv->res_b);
            memset(&pv->res_b, 0, sizeof pv->res_b);
        }
    }
    for (size_t i = 0; i < pv->res_b.n_points; i++) {
        const CbPointResult *pt = &pv->res_b.points[i];
        if (pt->rate_value == pv->rate && pt->rows && frame >= 0 && frame < pt->frames)
            return pt->rows[frame].psnr[0];
    }
    return NAN;
}

/* The store's per-frame rows of run a (read once per run). */
static void rows_load(Preview *pv)
{
    if (pv->res_run == pv->a.run)
        return;
    cb_result_free(&pv->res);
    memset(&pv->res, 0, sizeof pv->res);
    pv->res_err[0] = '\0';
    pv->res_run = 0;
    CbError err = {0};
    int rc = cb_store_get_result(pv->app->store, pv->a.run, 1, &pv->res, &err);
    if (rc < 0) {
        cb_result_free(&pv->res);
        memset(&pv->res, 0, sizeof pv->res);
        set_reason(pv->res_err, sizeof pv->res_err, &err, rc);
        return;
    }
    pv->res_run = pv->a.run;
}

/* (Re)starts the frame servers for the current rate point. */
static void start(Preview *pv)
{
    pv->c_valid = 0;
    size_t np = 0;
    const CbPointSummary *pts = tui_run_points(pv->app, pv->a.run, &np);
    if (pv->point >= (int)np)
        pv->point = np ? (int)np - 1 : 0;
    if (pv->point < 0)
        pv->point = 0;
    pv->rate = np ? pts[pv->point].rate_value : 0;
    pv->rate_word = tui_rate_word(pv->app, tui_run(pv->app, pv->a.run));
    int64_t other = pv->b.run;
    side_open(pv, &pv->a, pv->a.run, pv->rate);
    side_open(pv, &pv->b, other, pv->rate);
    rows_load(pv);
    want(pv);
}

static void stop_all(Preview *pv)
{
    side_close(&pv->a);
    side_close(&pv->b);
}

/* ---- the view ---------------------------------------------------------------------------- */

static int pv_create(TuiApp *app, void **self)
{
    Preview *pv = calloc(1, sizeof *pv);
    if (!pv)
        return CB_ENOMEM;
    pv->app = app;
    pv->a.pv = pv->b.pv = pv;
    pv->a.fd = pv->b.fd = -1;
    cb_buf_init(&pv->bytes, PAYLOAD_MAX);
    cb_buf_init(&pv->text, SUMMARY_MAX);
    static const CbRequest reqs[] = {
        CB_REQ_NEXT_FRAME, CB_REQ_PREV_FRAME, CB_REQ_WORST_FRAME, CB_REQ_PREVIEW_MODE, CB_REQ_FLIP,
        CB_REQ_ZOOM,       CB_REQ_OVERLAY,    CB_REQ_NEXT_POINT,  CB_REQ_GRAPHICS,     CB_REQ_BACK};
    static const char *const words[] = {"frame", "frame",   "worst", "mode",     "flip",
                                        "zoom",  "overlay", "rate",  "graphics", "back"};
    tui_key_hint(app->cfg, CB_VIEW_PREVIEW, reqs, words, sizeof reqs / sizeof reqs[0], pv->hint,
                 sizeof pv->hint);
    *self = pv;
    return CB_OK;
}

static void pv_destroy(void *self)
{
    Preview *pv = self;
    if (!pv)
        return;
    stop_all(pv);
    cb_result_free(&pv->res);
    cb_result_free(&pv->res_b);
    cb_buf_free(&pv->bytes);
    cb_buf_free(&pv->text);
    free(pv);
}

static const char *mode_word(CbPreviewMode m, int two)
{
    switch (m) {
    case CB_PREVIEW_SIDE: return two ? "side by side" : "source | reconstruction";
    case CB_PREVIEW_DIFF: return two ? "difference" : "error";
    case CB_PREVIEW_SOURCE: return two ? "first run" : "source";
    default: return two ? "second run" : "reconstruction";
    }
}

static void layout_of(const Preview *pv, int box_w, int box_h, CbPreviewLayout *l)
{
    memset(l, 0, sizeof *l);
    l->mode = pv->mode;
    l->zoom = pv->zoom;
    l->cx = pv->cx;
    l->cy = pv->cy;
    l->overlay = pv->overlay;
    l->box_width = box_w;
    l->box_height = box_h;
}

/* The region a zoom shows, in words, for the header. */
static void zoom_words(const Preview *pv, int box_w, int box_h, char *out, size_t size)
{
    int n;
    if (!pv->zoom) {
        n = snprintf(out, size, "fit");
    } else {
        int w, h, x, y, rw, rh;
        clip_size(pv, &w, &h);
        CbPreviewLayout l;
        layout_of(pv, box_w, box_h, &l);
        if (box_w <= 0 || box_h <= 0) {
            /* the text summary is of the whole frame */
            n = snprintf(out, size, "%d:1 (for images)", pv->zoom);
        } else if (w > 0 && h > 0) {
            cb_preview_region(&l, w, h, &x, &y, &rw, &rh);
            n = snprintf(out, size, "%d:1 x %d-%d y %d-%d", pv->zoom, x, x + rw - 1, y, y + rh - 1);
        } else {
            n = snprintf(out, size, "%d:1", pv->zoom);
        }
    }
    if (n < 0 && size)
        out[0] = '\0';
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Composes and encodes the image when anything it is made of changed. */
static void render(Preview *pv, const CbFramePair *pa, const CbFramePair *pb, CbGraphics g,
                   int box_w, int box_h)
{
    if (pv->c_valid && pv->c_frame == pv->frame && pv->c_mode == (int)pv->mode &&
        pv->c_zoom == pv->zoom && pv->c_cx == pv->cx && pv->c_cy == pv->cy &&
        pv->c_overlay == pv->overlay && pv->c_w == box_w && pv->c_h == box_h &&
        pv->c_graphics == g && pv->c_pa == pa && pv->c_pb == pb)
        return;
    double t0 = now_ms();
    pv->c_valid = 1;
    pv->c_frame = pv->frame;
    pv->c_mode = (int)pv->mode;
    pv->c_zoom = pv->zoom;
    pv->c_cx = pv->cx;
    pv->c_cy = pv->cy;
    pv->c_overlay = pv->overlay;
    pv->c_w = box_w;
    pv->c_h = box_h;
    pv->c_graphics = g;
    pv->c_pa = pa;
    pv->c_pb = pb;
    pv->c_err[0] = '\0';
    pv->img_cols = pv->img_rows = 0;
    cb_buf_reset(&pv->bytes);
    cb_buf_reset(&pv->text);
    CbError err = {0};
    int rc;
    if (g == CB_GRAPHICS_TEXT) {
        rc = summary(&pv->text, pa, pb, box_w, &err);
    } else {
        CbPreviewImage img = {0};
        CbPreviewLayout l;
        layout_of(pv, box_w, box_h, &l);
        rc = compose(&img, pa, pb, &l, &err);
        if (rc == CB_OK && g == CB_GRAPHICS_SIXEL) {
            size_t bytes = 0;
            rc = cb_preview_sixel(&pv->bytes, &img,
                                  pv->zoom ? CB_PREVIEW_SIXEL_FIDELITY : CB_PREVIEW_SIXEL_FAST,
                                  &bytes, &err);
            pv->kind = TUI_IMAGE_SIXEL;
        } else if (rc == CB_OK) {
            const CbTermCaps *caps = tui_term_caps(pv->app);
            /* truecolor where $COLORTERM or the terminfo (direct colour) says so */
            int direct = caps->truecolor || pv->app->colors >= (1 << 24);
            rc = cb_preview_blocks(&pv->bytes, &img, direct ? CB_PREVIEW_TRUECOLOR : CB_PREVIEW_256,
                                   &err);
            pv->kind = TUI_IMAGE_LINES;
        }
        if (rc == CB_OK) {
            const CbTermCaps *caps = tui_term_caps(pv->app);
            tui_image_cells(g, img.width, img.height, caps->cell_width_px, caps->cell_height_px,
                            &pv->img_cols, &pv->img_rows);
        }
        cb_preview_image_free(&img);
    }
    pv->c_ms = now_ms() - t0;
    if (rc < 0) {
        cb_buf_reset(&pv->bytes);
        set_reason(pv->c_err, sizeof pv->c_err, &err, rc);
    }
    tui_log(pv->app,
            "preview: run %lld frame %d %s zoom %d box %dx%d px: %s %zu bytes in %.1f ms%s%s",
            (long long)pv->a.run, pv->frame, mode_word(pv->mode, pv->b.run != 0), pv->zoom, box_w,
            box_h, cb_term_graphics_name(g), g == CB_GRAPHICS_TEXT ? pv->text.len : pv->bytes.len,
            pv->c_ms, rc < 0 ? ": " : "", rc < 0 ? pv->c_err : "");
}

static void draw_header(Preview *pv, TuiApp *app, TuiRect a, const CbFramePair *pa, int box_w,
                        int box_h)
{
    const CbRunInfo *r = tui_run(app, pv->a.run);
    const CbRunInfo *rb = pv->b.run ? tui_run(app, pv->b.run) : NULL;
    attr_t hd = tui_attr(app, CB_AREA_HEADER);
    tui_fill(app, a.y, a.x, a.w, hd);
    char l1[1024];
    int n;
    if (rb)
        n = snprintf(l1, sizeof l1, " #%lld %s  vs  #%lld %s  |  %s  |  %s %d",
                     (long long)pv->a.run, r && r->recipe_name ? r->recipe_name : "?",
                     (long long)pv->b.run, rb->recipe_name ? rb->recipe_name : "?",
                     tui_basename(r ? r->input : NULL), pv->rate_word, pv->rate);
    else
        n = snprintf(l1, sizeof l1, " #%lld %s  |  %s  |  %s  |  %s %d (rate point %d)",
                     (long long)pv->a.run, r && r->recipe_name ? r->recipe_name : "?",
                     r && r->codec ? r->codec : "?", tui_basename(r ? r->input : NULL),
                     pv->rate_word, pv->rate, pv->point + 1);
    if (n < 0)
        l1[0] = '\0';
    tui_text(app, a.y, a.x, a.w, hd, l1);

    const CbFrameRow *row = frame_row(pv, pv->frame);
    int nf = frame_count(pv);
    char type = pa && pa->type ? (char)pa->type : row ? row->type : '?';
    long long bytes = pa && pa->packet_bytes ? (long long)pa->packet_bytes
                      : row                  ? (long long)(row->bits / 8)
                                             : -1;
    char psnr[48], zw[64], by[32];
    double pb = psnr_b(pv, pv->frame);
    if (row && isfinite(row->psnr[0]) && isfinite(pb))
        n = snprintf(psnr, sizeof psnr, "%.2f | %.2f dB", row->psnr[0], pb);
    else if (row && isfinite(row->psnr[0]))
        n = snprintf(psnr, sizeof psnr, "%.2f dB", row->psnr[0]);
    else
        n = snprintf(psnr, sizeof psnr, "-");
    if (n < 0)
        psnr[0] = '\0';
    if (bytes >= 0)
        n = snprintf(by, sizeof by, "%lld bytes", bytes);
    else
        n = snprintf(by, sizeof by, "- bytes");
    if (n < 0)
        by[0] = '\0';
    zoom_words(pv, box_w, box_h, zw, sizeof zw);
    char l2[512];
    n = snprintf(l2, sizeof l2, " frame %d/%d  %c  %s  PSNR-Y %s  |  %s  |  zoom %s%s  |  %s",
                 pv->frame, nf, type, by, psnr, mode_word(pv->mode, rb != NULL), zw,
                 pv->overlay ? "  |  overlay" : "", cb_term_graphics_name(tui_graphics(app)));
    if (n < 0)
        l2[0] = '\0';
    tui_text(app, a.y + 1, a.x, a.w, tui_attr(app, CB_AREA_DEFAULT), l2);
}

/* A note in the middle of the pane (waiting, errors). */
static void pane_note(TuiApp *app, TuiRect p, CbColorArea area, const char *text)
{
    if (p.h <= 0)
        return;
    int w = tui_width(text);
    int x = p.x + (w < p.w ? (p.w - w) / 2 : 0);
    tui_text(app, p.y + p.h / 2, x, p.w - (x - p.x), tui_attr(app, area), text);
}

static void pv_draw(void *self, TuiApp *app, TuiRect area)
{
    Preview *pv = self;
    tui_clear_rect(app, area);
    if (area.h < 6 || area.w < 20)
        return;
    TuiRect pane = {area.y + 2, area.x, area.h - 3, area.w};
    int cap_y = area.y + area.h - 1;
    CbGraphics g = tui_graphics(app);
    const CbTermCaps *caps = tui_term_caps(app);
    int box_w = 0, box_h = 0;
    if (g != CB_GRAPHICS_TEXT)
        tui_image_box(g, pane.w, pane.h, caps->cell_width_px, caps->cell_height_px, &box_w, &box_h);
    const CbFramePair *pa = pv->a.fr ? cb_frames_get(pv->a.fr, pv->frame) : NULL;
    const CbFramePair *pb = pv->b.fr ? cb_frames_get(pv->b.fr, pv->frame) : NULL;
    draw_header(pv, app, area, pa, box_w, box_h);

    attr_t ax = tui_attr(app, CB_AREA_GRAPH_AXIS);
    CbError ferr = {0};
    const Side *failed = pv->a.dead ? &pv->a : pv->b.dead ? &pv->b : NULL;
    int frame_failed = 0;
    if (!failed) {
        if (pv->a.fr && !pa && cb_frames_error(pv->a.fr, pv->frame, &ferr) == 1)
            frame_failed = 1;
        else if (pv->b.fr && !pb && cb_frames_error(pv->b.fr, pv->frame, &ferr) == 1)
            frame_failed = 1;
    }
    if (!pv->a.run) {
        pane_note(app, pane, CB_AREA_WARN, "No run to preview: choose a done run and press v.");
        return;
    }
    if (failed || frame_failed) {
        char t[CB_ERROR_TEXT_MAX + 64];
        if (snprintf(t, sizeof t, "Frame %d: %s", pv->frame, failed ? failed->err : ferr.text) < 0)
            t[0] = '\0';
        pane_note(app, pane, CB_AREA_STATUS_ERROR, t);
        return;
    }
    if (!pa || (pv->b.run && !pb)) {
        char t[64];
        if (snprintf(t, sizeof t, "Decoding frame %d...", pv->frame) < 0)
            t[0] = '\0';
        pane_note(app, pane, CB_AREA_DEFAULT, t);
        return;
    }
    /* the text summary's lines take the pane less its one-column margin (20 at least,
     * as cb_preview_summary needs) */
    int text_cols = pane.w - 1 < 20 ? 20 : pane.w - 1;
    render(pv, pa, pb, g, g == CB_GRAPHICS_TEXT ? text_cols : box_w, box_h);
    if (pv->c_err[0]) {
        pane_note(app, pane, CB_AREA_STATUS_ERROR, pv->c_err);
        return;
    }
    char cap[512];
    int n;
    if (g == CB_GRAPHICS_TEXT) {
        /* the summary's lines, as many as fit */
        const char *s = pv->text.data ? pv->text.data : "";
        for (int y = 0; y < pane.h && *s; y++) {
            const char *nl = strchr(s, '\n');
            size_t len = nl ? (size_t)(nl - s) : strlen(s);
            char line[1024];
            if (len >= sizeof line)
                len = sizeof line - 1;
            memcpy(line, s, len);
            line[len] = '\0';
            tui_text(app, pane.y + y, pane.x + 1, pane.w - 1, tui_attr(app, CB_AREA_DEFAULT), line);
            s = nl ? nl + 1 : s + strlen(s);
        }
        if (!app->utf8)
            n = snprintf(cap, sizeof cap, " text summary: half blocks need a UTF-8 locale");
        else if (tui_graphics_usable(app, CB_GRAPHICS_BLOCKS))
            n = snprintf(cap, sizeof cap, " text summary (the graphics key switches to images)");
        else
            n = snprintf(cap, sizeof cap, " text summary: this terminal shows no images");
    } else {
        int cols = pv->img_cols < pane.w ? pv->img_cols : pane.w;
        int rows = pv->img_rows < pane.h ? pv->img_rows : pane.h;
        TuiRect ir = {pane.y, pane.x + (pane.w - cols) / 2, rows, cols};
        if (cols > 0 && rows > 0 && pv->bytes.len) {
            int rc = tui_image(app, ir, pv->kind, pv->bytes.data, pv->bytes.len);
            if (rc < 0)
                pane_note(app, pane, CB_AREA_STATUS_ERROR, "The image is too large to show.");
        }
        /* the heat map's ramp stops (cb_preview_heat_rgb) in code values of |error| */
        int hs = CB_PREVIEW_HEAT_SCALE;
        if (pv->mode == CB_PREVIEW_DIFF && pv->b.run)
            n = snprintf(cap, sizeof cap,
                         " |#%lld - #%lld| of luma: black 0  blue %d  red %d  yellow %d  white %d+",
                         (long long)pv->a.run, (long long)pv->b.run, hs / 4, hs / 2, hs * 3 / 4,
                         hs);
        else if (pv->mode == CB_PREVIEW_DIFF)
            n = snprintf(cap, sizeof cap,
                         " |error| of luma: black 0  blue %d  red %d  yellow %d  white %d+", hs / 4,
                         hs / 2, hs * 3 / 4, hs);
        else if (pv->b.run && pv->mode == CB_PREVIEW_SIDE)
            n = snprintf(cap, sizeof cap, " left: #%lld's reconstruction  right: #%lld's",
                         (long long)pv->a.run, (long long)pv->b.run);
        else if (pv->b.run)
            n = snprintf(cap, sizeof cap, " #%lld's reconstruction",
                         (long long)(pv->mode == CB_PREVIEW_SOURCE ? pv->a.run : pv->b.run));
        else
            n = snprintf(cap, sizeof cap, " %s", mode_word(pv->mode, 0));
        if (n >= 0 && pv->overlay && !pa->blocks) {
            size_t k = strlen(cap);
            n = snprintf(cap + k, sizeof cap - k, "   (no blocks: not an engine stream)");
        } else if (n >= 0 && pv->overlay) {
            /* the colours cb_preview_compose draws the blocks and vectors in */
            size_t k = strlen(cap);
            n = snprintf(cap + k, sizeof cap - k,
                         "   blocks: intra red, inter blue, skip green; vectors yellow");
        }
        if (n >= 0 && g == CB_GRAPHICS_BLOCKS && caps->in_tmux) {
            size_t k = strlen(cap);
            n = snprintf(cap + k, sizeof cap - k,
                         "   (half blocks: tmux shows no sixel; CODECBENCH_GRAPHICS=sixel sends "
                         "it through tmux's passthrough, allow-passthrough on)");
        }
    }
    if (n < 0)
        cap[0] = '\0';
    tui_text(app, cap_y, area.x, area.w, ax, cap);
}

/* Moves to frame f (clamped to the clip); a message at either end. */
static void go_frame(Preview *pv, TuiApp *app, int f)
{
    int nf = frame_count(pv);
    if (nf > 0 && f >= nf) {
        tui_message(app, 0, "already the last frame (%d)", nf - 1);
        f = nf - 1;
    }
    if (f < 0) {
        tui_message(app, 0, "already the first frame");
        f = 0;
    }
    if (f == pv->frame)
        return;
    pv->frame = f;
    want(pv);
}

static void pan(Preview *pv, int dx, int dy)
{
    int w, h;
    clip_size(pv, &w, &h);
    /* a quarter of what the region shows at this zoom, at least 8 pixels */
    int step = pv->c_w > 0 ? pv->c_w / (pv->zoom ? pv->zoom : 1) / 4 : 32;
    int vstep = pv->c_h > 0 ? pv->c_h / (pv->zoom ? pv->zoom : 1) / 4 : 32;
    if (pv->mode == CB_PREVIEW_SIDE)
        step /= 2;
    step = step < 8 ? 8 : step;
    vstep = vstep < 8 ? 8 : vstep;
    pv->cx += dx * step;
    pv->cy += dy * vstep;
    /* the centre of the region as shown (cb_preview_region clamps it into the frame) */
    if (w > 0 && h > 0) {
        CbPreviewLayout l;
        layout_of(pv, pv->c_w > 0 ? pv->c_w : 1, pv->c_h > 0 ? pv->c_h : 1, &l);
        int x, y, rw, rh;
        cb_preview_region(&l, w, h, &x, &y, &rw, &rh);
        pv->cx = x + rw / 2;
        pv->cy = y + rh / 2;
    }
}

static int pv_key(void *self, TuiApp *app, CbRequest req, int key)
{
    Preview *pv = self;
    (void)key;
    switch (req) {
    case CB_REQ_NEXT_FRAME:
    case CB_REQ_PREV_FRAME:
        /* the arrows pan a zoomed region; . and , always step */
        if (pv->zoom && (key == CB_KEY_LEFT || key == CB_KEY_RIGHT)) {
            pan(pv, key == CB_KEY_RIGHT ? 1 : -1, 0);
            tui_dirty(app);
            return 1;
        }
        go_frame(pv, app, pv->frame + (req == CB_REQ_NEXT_FRAME ? 1 : -1));
        return 1;
    case CB_REQ_MOVE_UP:
    case CB_REQ_MOVE_DOWN:
        if (pv->zoom) {
            pan(pv, 0, req == CB_REQ_MOVE_DOWN ? 1 : -1);
            tui_dirty(app);
        }
        return 1;
    case CB_REQ_MOVE_HOME: go_frame(pv, app, 0); return 1;
    case CB_REQ_MOVE_END: {
        int nf = frame_count(pv);
        go_frame(pv, app, nf > 0 ? nf - 1 : pv->frame);
        return 1;
    }
    case CB_REQ_WORST_FRAME: {
        if (!pv->res_run || pv->point >= (int)pv->res.n_points) {
            tui_message(app, 1, "no per-frame PSNR: %s",
                        pv->res_err[0] ? pv->res_err : "the run has no per-frame rows");
            return 1;
        }
        const CbPointResult *pt = &pv->res.points[pv->point];
        int worst = -1;
        for (int64_t i = 0; pt->rows && i < pt->frames; i++)
            if (isfinite(pt->rows[i].psnr[0]) &&
                (worst < 0 || pt->rows[i].psnr[0] < pt->rows[worst].psnr[0]))
                worst = (int)i;
        if (worst < 0) {
            tui_message(app, 1, "no per-frame PSNR for this rate point");
            return 1;
        }
        tui_message(app, 0, "worst frame by PSNR-Y: %d (%.2f dB)", worst, pt->rows[worst].psnr[0]);
        pv->frame = worst;
        want(pv);
        return 1;
    }
    case CB_REQ_PREVIEW_MODE:
        pv->mode = pv->mode == CB_PREVIEW_SIDE ? CB_PREVIEW_DIFF : CB_PREVIEW_SIDE;
        tui_dirty(app);
        return 1;
    case CB_REQ_FLIP:
        pv->mode = pv->mode == CB_PREVIEW_SOURCE ? CB_PREVIEW_RECON : CB_PREVIEW_SOURCE;
        tui_dirty(app);
        return 1;
    case CB_REQ_ZOOM: {
        pv->zoom = pv->zoom == 0 ? 1 : pv->zoom == 1 ? 2 : pv->zoom == 2 ? 4 : 0;
        if (pv->zoom == 1) {
            int w, h;
            clip_size(pv, &w, &h);
            pv->cx = w / 2;
            pv->cy = h / 2;
        }
        tui_dirty(app);
        return 1;
    }
    case CB_REQ_OVERLAY: {
        /* blocks come with engine streams (the run's codec says so before the frame
         * server's hello does) */
        const CbRunInfo *r = tui_run(app, pv->a.run);
        if (!r || !r->codec || strcmp(r->codec, "engine") != 0) {
            tui_message(app, 0, "no overlay: blocks and vectors come from engine streams");
            pv->overlay = 0;
        } else {
            pv->overlay = !pv->overlay;
        }
        tui_dirty(app);
        return 1;
    }
    case CB_REQ_NEXT_POINT:
    case CB_REQ_PREV_POINT: {
        size_t np = 0;
        tui_run_points(app, pv->a.run, &np);
        int p = pv->point + (req == CB_REQ_NEXT_POINT ? 1 : -1);
        if (p < 0 || p >= (int)np) {
            tui_message(app, 0, "%s rate point", p < 0 ? "already the first" : "already the last");
            return 1;
        }
        pv->point = p;
        start(pv);
        return 1;
    }
    case CB_REQ_GRAPHICS: {
        static const CbGraphics order[3] = {CB_GRAPHICS_SIXEL, CB_GRAPHICS_BLOCKS,
                                            CB_GRAPHICS_TEXT};
        CbGraphics cur = tui_graphics(app);
        int at = cur == CB_GRAPHICS_SIXEL ? 0 : cur == CB_GRAPHICS_BLOCKS ? 1 : 2;
        for (int i = 1; i <= 3; i++) {
            CbGraphics g = order[(at + i) % 3];
            if (tui_graphics_usable(app, g)) {
                if (g == cur)
                    tui_message(app, 0, "graphics: %s is the only mode this terminal shows",
                                cb_term_graphics_name(g));
                else
                    tui_message(app, 0, "graphics: %s", cb_term_graphics_name(g));
                tui_set_graphics(app, g);
                break;
            }
        }
        return 1;
    }
    default: return 0;
    }
}

static void pv_event(void *self, TuiApp *app, const TuiEvent *ev)
{
    Preview *pv = self;
    switch (ev->type) {
    case TUI_EV_SHOW: {
        if (!ev->run_id)
            break; /* raised again: as it was */
        int64_t other = ev->other_run;
        if (ev->run_id == pv->a.run && other == pv->b.run && ev->point == pv->point &&
            (pv->a.fr || pv->a.dead)) {
            if (ev->frame != pv->frame)
                go_frame(pv, app, ev->frame);
            break;
        }
        stop_all(pv);
        pv->a.run = ev->run_id;
        pv->b.run = other;
        pv->point = ev->point;
        pv->frame = ev->frame > 0 ? ev->frame : 0;
        pv->zoom = 0;
        pv->overlay = 0;
        pv->mode = other                         ? CB_PREVIEW_SIDE
                   : pv->mode == CB_PREVIEW_DIFF ? CB_PREVIEW_DIFF
                                                 : CB_PREVIEW_SIDE;
        int w, h;
        clip_size(pv, &w, &h);
        pv->cx = w / 2;
        pv->cy = h / 2;
        start(pv);
        break;
    }
    case TUI_EV_RELOAD: {
        const CbRunInfo *r = pv->a.run ? tui_run(app, pv->a.run) : NULL;
        if (pv->a.run && (!r || r->status != CB_RUN_DONE)) {
            stop_all(pv);
            pv->c_valid = 0;
            tui_message(app, 0, "run %lld is no longer done: its preview is closed",
                        (long long)pv->a.run);
            pv->a.run = pv->b.run = 0;
        }
        tui_dirty(app);
        break;
    }
    default: break;
    }
}

static const char *pv_hint(void *self, TuiApp *app)
{
    Preview *pv = self;
    /* the graphics mode in force first: what to know when an image looks wrong */
    if (snprintf(pv->status, sizeof pv->status, "[%s%s]  %s",
                 cb_term_graphics_name(tui_graphics(app)),
                 tui_graphics_passthrough(app) ? " via tmux" : "", pv->hint) < 0)
        pv->status[0] = '\0';
    return pv->status;
}

const TuiViewOps tui_view_preview = {
    .id = CB_VIEW_PREVIEW,
    .title = "Preview",
    .create = pv_create,
    .destroy = pv_destroy,
    .draw = pv_draw,
    .key = pv_key,
    .event = pv_event,
    .hint = pv_hint,
};

/* ---- opening ----------------------------------------------------------------------------- */

void tui_open_preview(TuiApp *app, int64_t run, int64_t other, int point, int frame)
{
    const CbRunInfo *r = run ? tui_run(app, run) : NULL;
    if (!r) {
        tui_message(app, 0, "no run to preview");
        return;
    }
    if (r->status != CB_RUN_DONE || r->n_points <= 0) {
        tui_message(app, 0, "run %lld is %s: frames can be previewed when it is done",
                    (long long)run, cb_run_status_name(r->status));
        return;
    }
    if (other) {
        const CbRunInfo *o = tui_run(app, other);
        if (!o || o->status != CB_RUN_DONE) {
            tui_message(app, 0, "run %lld is not done: its frames cannot be compared",
                        (long long)other);
            return;
        }
        if (!r->clip_id || !o->clip_id || strcmp(r->clip_id, o->clip_id) != 0) {
            tui_message(app, 1,
                        "runs %lld and %lld are of different clips: their frames cannot "
                        "be compared",
                        (long long)run, (long long)other);
            return;
        }
    }
    TuiEvent ev = {
        .type = TUI_EV_SHOW, .run_id = run, .other_run = other, .point = point, .frame = frame};
    tui_open_view_with(app, &tui_view_preview, &ev);
}

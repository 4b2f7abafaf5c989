/* codecbench dashboard: a run's stage (CB_VIEW_STAGE): its C source with
 * line numbers, or (toggle-diff) its unified diff against the parent run's
 * stage of the same kind, else against the built-in source of the kind.
 * tui_open_stage_text() shows a stage that is no run's the same way (a
 * proposal's, before it is queued): its code is copied into the view, its
 * parent run gives the diff's base and the parent request's target, and
 * coming back to the view (a view above it closed) keeps it.
 * Added, removed and hunk lines take the theme's good, bad and header
 * colours; the '+', '-' and '@' columns keep a monochrome screen readable.
 *
 * The source is hostile text: the model (stagedoc.c) sanitises every line
 * once, when the view is built (an escape in a comment shows as "^["). The
 * recipe comes from the app's recipe cache (canonical JSON, which carries
 * the stage), so a draw reads nothing. */
#include "tui/keyhint.h"
#include "tui/stagedoc.h"
#include "tui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/recipe.h"
#include "codecbench/sandbox.h"
#include "codecbench/sanitize.h"

/* Columns moved by one horizontal scroll step. */
#define HSTEP 8

/* What tui_open_stage_text() hands the view in its TUI_EV_SHOW event. */
struct TuiStageText {
    const char *label; /* "proposal 2 (not queued)" */
    CbStageKind kind;
    const char *code;
    int64_t parent;
};

typedef struct StageView {
    int64_t id; /* the run shown; 0: none */
    /* a stage that is no run's (tui_open_stage_text), shown instead of run id */
    int text;    /* 1: showing it */
    char *tcode; /* owned, raw (hostile) */
    CbStageKind tkind;
    int64_t tparent;  /* 0: none */
    char tlabel[128]; /* raw: drawn and written to messages only through sanitising calls */
    int diff;         /* showing the diff (else the source) */
    int built;        /* doc is for id and diff */
    TuiStageDoc doc;
    char *message;     /* shown instead of the doc (no stage, unreadable recipe) */
    char title[320];   /* the first row */
    size_t top;        /* first doc line shown */
    int hscroll;       /* columns skipped at the left */
    int page;          /* rows of the last draw */
    long match;        /* the line of the last search match, -1 */
    char pattern[128]; /* sanitised */
    unsigned sanitize;
    char hint[200];
} StageView;

/* The stage of run id as its recipe says: *kind and a new copy of the code
 * (NULL, with a reason in why, when it has none or it cannot be read). */
static char *run_stage(TuiApp *app, int64_t id, CbStageKind *kind, char *why, size_t cap)
{
    const CbRunInfo *r = tui_run(app, id);
    *kind = CB_STAGE_NONE;
    if (!r) {
        snprintf(why, cap, "run %lld is not in the store", (long long)id);
        return NULL;
    }
    const char *json = tui_recipe_json(app, r->recipe_hash);
    char *stored = NULL;
    CbError err;
    cb_error_clear(&err);
    if (!json) {
        if (cb_store_get_recipe(app->store, id, &stored, &err) < 0) {
            snprintf(why, cap, "%s", err.text);
            return NULL;
        }
        json = stored;
    }
    CbRecipe rec;
    memset(&rec, 0, sizeof rec);
    char *code = NULL;
    if (cb_recipe_parse(json, strlen(json), "recipe", &rec, &err) < 0) {
        snprintf(why, cap, "run %lld's recipe cannot be read: %s", (long long)id, err.text);
    } else if (rec.stage_kind == CB_STAGE_NONE || !rec.stage_code) {
        snprintf(why, cap, "run %lld has no stage: its recipe carries none", (long long)id);
    } else if (!(code = strdup(rec.stage_code))) {
        snprintf(why, cap, "out of memory");
    } else {
        *kind = rec.stage_kind;
    }
    cb_recipe_free(&rec);
    free(stored);
    return code;
}

static void set_message(StageView *v, const char *text)
{
    free(v->message);
    v->message = cb_sanitize_dup(text, v->sanitize);
}

static void build(StageView *v, TuiApp *app)
{
    char why[CB_ERROR_TEXT_MAX + 64];
    CbError err;
    CbStageKind kind, pkind = CB_STAGE_NONE;
    char *owned = NULL, *pcode = NULL; /* owned: a run's code, read from its recipe */
    const char *code = NULL;
    cb_error_clear(&err);
    tui_stagedoc_free(&v->doc);
    free(v->message);
    v->message = NULL;
    v->built = 1;
    v->match = -1;
    v->title[0] = '\0';
    /* the stage shown: label (the diff's "+++" line, the title's start),
     * kind, code and the run it derives from */
    char label[sizeof v->tlabel];
    int64_t parent = 0;
    if (v->text) {
        snprintf(label, sizeof label, "%s", v->tlabel);
        kind = v->tkind;
        parent = v->tparent;
        code = v->tcode;
    } else {
        if (v->id <= 0) {
            set_message(v, "No run selected: open a run, then S on it.");
            return;
        }
        if (!(code = owned = run_stage(app, v->id, &kind, why, sizeof why))) {
            set_message(v, why);
            return;
        }
        snprintf(label, sizeof label, "run %lld", (long long)v->id);
        const CbRunInfo *r = tui_run(app, v->id);
        parent = r ? r->parent : 0;
    }
    const char *name = cb_stage_kind_name((int)kind);
    char hex[65];
    cb_stage_hash_hex(code, strlen(code), hex);
    if (!v->diff) {
        if (tui_stagedoc_source(&v->doc, code, v->sanitize, &err) < 0)
            set_message(v, err.text);
        snprintf(v->title, sizeof v->title, "%s: %s stage, %zu lines, %zu bytes, sha256 %.16s",
                 label, name, v->doc.n, strlen(code), hex);
        goto out;
    }
    /* The base: the parent's stage of the same kind, else the built-in one. */
    char from[160];
    const char *base = NULL;
    if (parent > 0 && tui_run(app, parent) &&
        (pcode = run_stage(app, parent, &pkind, why, sizeof why)) && pkind == kind) {
        base = pcode;
        snprintf(from, sizeof from, "parent run %lld (%s)", (long long)parent, name);
    } else {
        base = cb_stage_builtin_source(kind);
        if (parent > 0)
            snprintf(from, sizeof from, "built-in %s (parent run %lld has no %s stage)", name,
                     (long long)parent, name);
        else
            snprintf(from, sizeof from, "built-in %s (no parent run)", name);
    }
    if (!base) {
        snprintf(why, sizeof why, "this build has no built-in %s stage to compare with", name);
        set_message(v, why);
        goto out;
    }
    if (tui_stagedoc_diff(&v->doc, base, code, from, label, v->sanitize, &err) < 0) {
        set_message(v, err.text);
        goto out;
    }
    if (v->doc.stat.hunks == 0)
        snprintf(v->title, sizeof v->title, "%s: %s stage, the same as the %s", label, name, from);
    else
        snprintf(v->title, sizeof v->title, "%s: %s %+d -%d in %d hunk%s against the %s", label,
                 name, v->doc.stat.added, v->doc.stat.removed, v->doc.stat.hunks,
                 v->doc.stat.hunks == 1 ? "" : "s", from);
out:
    free(owned);
    free(pcode);
}

/* ---- the view ------------------------------------------------------------------- */

static int create(TuiApp *app, void **self)
{
    StageView *v = calloc(1, sizeof *v);
    if (!v)
        return CB_ENOMEM;
    v->sanitize = app->utf8 ? 0 : CB_SANITIZE_ASCII;
    v->match = -1;
    static const CbRequest reqs[] = {CB_REQ_TOGGLE_DIFF, CB_REQ_SEARCH, CB_REQ_PARENT,
                                     CB_REQ_SCROLL_LEFT, CB_REQ_SCROLL_RIGHT};
    static const char *const words[] = {"diff", "search", "parent", "scroll", "scroll"};
    tui_key_hint(app->cfg, CB_VIEW_STAGE, reqs, words, sizeof reqs / sizeof reqs[0], v->hint,
                 sizeof v->hint);
    *self = v;
    return CB_OK;
}

static void destroy(void *self)
{
    StageView *v = self;
    if (!v)
        return;
    tui_stagedoc_free(&v->doc);
    free(v->message);
    free(v->tcode);
    free(v);
}

/* Leaves the stage that is no run's (its copy is freed). */
static void drop_text(StageView *v)
{
    v->text = 0;
    free(v->tcode);
    v->tcode = NULL;
    v->tparent = 0;
    v->tkind = CB_STAGE_NONE;
    v->tlabel[0] = '\0';
}

static void show_run(StageView *v, TuiApp *app, int64_t id)
{
    if (v->text || id != v->id) {
        v->top = 0;
        v->hscroll = 0;
        v->diff = 0;
    }
    drop_text(v);
    v->id = id;
    build(v, app);
    tui_dirty(app);
}

/* Shows a stage that is no run's: its source first, from the top. */
static void show_text(StageView *v, TuiApp *app, const struct TuiStageText *t)
{
    drop_text(v);
    v->id = 0;
    v->top = 0;
    v->hscroll = 0;
    v->diff = 0;
    v->text = 1;
    v->tkind = t->kind;
    v->tparent = t->parent;
    snprintf(v->tlabel, sizeof v->tlabel, "%s", t->label);
    v->tcode = strdup(t->code);
    if (!v->tcode) {
        drop_text(v);
        tui_stagedoc_free(&v->doc);
        v->built = 1;
        set_message(v, "out of memory");
    } else {
        build(v, app);
    }
    tui_dirty(app);
}

static size_t max_top(const StageView *v)
{
    size_t h = v->page > 1 ? (size_t)v->page : 1;
    return v->doc.n > h ? v->doc.n - h : 0;
}

/* The text of a line from column skip on (sanitised text: columns are code
 * points). */
static const char *skip_columns(const char *s, int skip)
{
    while (*s && skip > 0) {
        s++;
        while (((unsigned char)*s & 0xC0) == 0x80)
            s++;
        skip--;
    }
    return s;
}

static attr_t line_attr(TuiApp *app, TuiStageLineKind kind)
{
    switch (kind) {
    case TUI_SL_HEADER: return A_BOLD;
    case TUI_SL_HUNK: return tui_attr(app, CB_AREA_HEADER);
    case TUI_SL_ADD: return tui_attr(app, CB_AREA_GOOD);
    case TUI_SL_DEL: return tui_attr(app, CB_AREA_BAD);
    case TUI_SL_NOTE: return A_DIM;
    default: return A_NORMAL;
    }
}

static void draw(void *self, TuiApp *app, TuiRect area)
{
    StageView *v = self;
    tui_clear_rect(app, area);
    if (area.w <= 0 || area.h <= 0)
        return;
    if (!v->built)
        build(v, app);
    if (v->message) {
        tui_text(app, area.y, area.x + 1, area.w - 2, tui_attr(app, CB_AREA_WARN), v->message);
        return;
    }
    tui_text(app, area.y, area.x + 1, area.w - 2, tui_attr(app, CB_AREA_HEADER) | A_BOLD, v->title);
    int body = area.h - 1;
    v->page = body > 0 ? body : 1;
    if (v->top > max_top(v))
        v->top = max_top(v);
    /* the gutter of line numbers (source only) */
    int gutter = 0;
    if (!v->diff) {
        for (size_t n = v->doc.n; n > 0; n /= 10)
            gutter++;
        gutter = gutter < 3 ? 4 : gutter + 1;
    }
    int tw = area.w - gutter - 1; /* the last column is kept for the scroll marks */
    for (int y = 0; y < body && v->top + (size_t)y < v->doc.n; y++) {
        size_t i = v->top + (size_t)y;
        const TuiStageLine *l = &v->doc.lines[i];
        int row = area.y + 1 + y;
        attr_t at = line_attr(app, l->kind);
        if ((long)i == v->match) {
            at = tui_attr(app, CB_AREA_SEARCH_MATCH);
            tui_fill(app, row, area.x, area.w - 1, at);
        }
        if (gutter)
            tui_textf(app, row, area.x, gutter, tui_attr(app, CB_AREA_BORDER), "%*d", gutter - 1,
                      l->number);
        if (tw > 0)
            tui_text(app, row, area.x + gutter, tw, at, skip_columns(l->text, v->hscroll));
    }
    if (v->doc.n > (size_t)body) {
        attr_t at = tui_attr(app, CB_AREA_BORDER);
        if (v->top > 0)
            tui_glyph(app, area.y + 1, area.x + area.w - 1, at, "▲", '^');
        if (v->top + (size_t)body < v->doc.n)
            tui_glyph(app, area.y + area.h - 1, area.x + area.w - 1, at, "▼", 'v');
    }
}

static void scroll_to(StageView *v, TuiApp *app, long long to)
{
    long long max = (long long)max_top(v);
    if (to > max)
        to = max;
    if (to < 0)
        to = 0;
    if ((size_t)to != v->top) {
        v->top = (size_t)to;
        tui_dirty(app);
    }
}

static void search(StageView *v, TuiApp *app, int backward, int fresh)
{
    if (!v->pattern[0]) {
        tui_message(app, 0, "no search yet: / to search");
        return;
    }
    size_t from = v->match >= 0 ? (size_t)v->match : v->top;
    if (fresh)
        from = v->top == 0 ? v->doc.n - 1 : v->top - 1; /* the first line shown counts */
    int wrapped = 0;
    long n = tui_stagedoc_find(&v->doc, from, backward, v->pattern, &wrapped);
    if (n < 0) {
        tui_message(app, 1, "not found: %s", v->pattern);
        return;
    }
    v->match = n;
    if ((size_t)n < v->top || (size_t)n >= v->top + (size_t)v->page)
        scroll_to(v, app, (long long)n - v->page / 3);
    if (wrapped && !fresh)
        tui_message(app, 0, backward ? "search wrapped to the end" : "search wrapped to the top");
    tui_dirty(app);
}

static void search_done(void *ctx, TuiApp *app, const char *text)
{
    StageView *v = ctx;
    if (!text)
        return;
    /* lines are kept sanitised: the pattern is compared in the same form */
    char *clean = cb_sanitize_dup(text, v->sanitize);
    if (!clean) {
        tui_message(app, 1, "search: out of memory");
        return;
    }
    snprintf(v->pattern, sizeof v->pattern, "%s", clean);
    free(clean);
    if (v->pattern[0])
        search(v, app, 0, 1);
    else
        tui_dirty(app);
}

static int key(void *self, TuiApp *app, CbRequest req, int k)
{
    StageView *v = self;
    (void)k;
    long long page = v->page > 1 ? v->page - 1 : 1;
    switch (req) {
    case CB_REQ_MOVE_UP: scroll_to(v, app, (long long)v->top - 1); return 1;
    case CB_REQ_MOVE_DOWN: scroll_to(v, app, (long long)v->top + 1); return 1;
    case CB_REQ_MOVE_PAGE_UP: scroll_to(v, app, (long long)v->top - page); return 1;
    case CB_REQ_MOVE_PAGE_DOWN: scroll_to(v, app, (long long)v->top + page); return 1;
    case CB_REQ_MOVE_HOME: scroll_to(v, app, 0); return 1;
    case CB_REQ_MOVE_END: scroll_to(v, app, (long long)v->doc.n); return 1;
    case CB_REQ_SCROLL_LEFT:
        if (v->hscroll > 0) {
            v->hscroll = v->hscroll > HSTEP ? v->hscroll - HSTEP : 0;
            tui_dirty(app);
        }
        return 1;
    case CB_REQ_SCROLL_RIGHT:
        v->hscroll += HSTEP;
        tui_dirty(app);
        return 1;
    case CB_REQ_TOGGLE_DIFF:
        v->diff = !v->diff;
        v->top = 0;
        v->hscroll = 0;
        build(v, app);
        tui_dirty(app);
        return 1;
    case CB_REQ_SEARCH:
        if (tui_prompt(app, "search: ", v->pattern, search_done, v) < 0)
            tui_message(app, 1, "another prompt is open");
        return 1;
    case CB_REQ_SEARCH_NEXT:
    case CB_REQ_SEARCH_PREV: search(v, app, req == CB_REQ_SEARCH_PREV, 0); return 1;
    case CB_REQ_PARENT: {
        if (v->text) {
            /* to the parent run's stage (the diff's base); closing the view
             * returns to where the stage came from */
            int64_t parent = v->tparent;
            char label[sizeof v->tlabel];
            snprintf(label, sizeof label, "%s", v->tlabel);
            if (parent <= 0 || !tui_run(app, parent)) {
                tui_message(app, 0, "%s has no parent run in the store", label);
                return 1;
            }
            int diff = v->diff;
            show_run(v, app, parent);
            if (diff != v->diff) {
                v->diff = diff;
                build(v, app);
            }
            tui_message(app, 0, "run %lld: the parent of %s", (long long)parent, label);
            return 1;
        }
        const CbRunInfo *r = v->id > 0 ? tui_run(app, v->id) : NULL;
        if (!r || r->parent <= 0 || !tui_run(app, r->parent)) {
            tui_message(app, 0, "run %lld has no parent in the store", (long long)v->id);
            return 1;
        }
        int64_t child = v->id;
        int diff = v->diff;
        show_run(v, app, r->parent);
        if (diff != v->diff) {
            v->diff = diff;
            build(v, app);
        }
        tui_message(app, 0, "run %lld: the parent of run %lld", (long long)r->parent,
                    (long long)child);
        return 1;
    }
    default: return 0;
    }
}

static void event(void *self, TuiApp *app, const TuiEvent *ev)
{
    StageView *v = self;
    switch (ev->type) {
    case TUI_EV_SHOW:
        if (ev->stage_text)
            show_text(v, app, ev->stage_text);
        else if (ev->run_id > 0 || !v->text)
            show_run(v, app, ev->run_id > 0 ? ev->run_id : app->cursor_run);
        /* else back on a stage that is no run's (a view above closed): it stays */
        break;
    case TUI_EV_RELOAD:
        /* runs and recipes were re-read: rebuilt at the next draw (a deleted run says so) */
        v->built = 0;
        tui_dirty(app);
        break;
    case TUI_EV_MOUSE:
        if (ev->button == 4)
            scroll_to(v, app, (long long)v->top - 3);
        else if (ev->button == 5)
            scroll_to(v, app, (long long)v->top + 3);
        break;
    default: break;
    }
}

static const char *hint(void *self, TuiApp *app)
{
    (void)app;
    StageView *v = self;
    return v->hint[0] ? v->hint : NULL;
}

const TuiViewOps tui_view_stage = {
    .id = CB_VIEW_STAGE,
    .title = "Stage",
    .create = create,
    .destroy = destroy,
    .draw = draw,
    .key = key,
    .event = event,
    .hint = hint,
};

void tui_open_stage_text(TuiApp *app, const char *title, CbStageKind kind, const char *code,
                         int64_t parent)
{
    const char *label = title && *title ? title : "a stage";
    if (!cb_stage_kind_name((int)kind) || kind == CB_STAGE_NONE) {
        tui_message(app, 0, "%s has no stage kind", label);
        return;
    }
    if (!code || !*code) {
        tui_message(app, 0, "%s has no stage code", label);
        return;
    }
    struct TuiStageText t = {label, kind, code, parent};
    TuiEvent ev = {.type = TUI_EV_SHOW, .stage_text = &t};
    tui_open_view_with(app, &tui_view_stage, &ev);
}

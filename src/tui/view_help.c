/* codecbench dashboard: the help screen: every key of the view it was
 * opened from, then the keys of every view, each with what it does, from
 * the configuration (so rebinding a key changes the help too). */
#include "tui/app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct HelpLine {
    int heading;            /* 1: a view's title line */
    char key[CB_KEY_NAME_MAX];
    const char *request;    /* static */
    const char *help;       /* static */
    const char *title;      /* headings */
} HelpLine;

typedef struct Help {
    HelpLine *lines;
    size_t n, cap;
    int top;
    int height;
    CbView for_view;
} Help;

static int push(Help *h, HelpLine l)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 128;
        HelpLine *g = realloc(h->lines, cap * sizeof *g);
        if (!g)
            return CB_ENOMEM;
        h->lines = g;
        h->cap = cap;
    }
    h->lines[h->n++] = l;
    return CB_OK;
}

/* The bindings of view (its own, then the global ones it does not hide). */
static void add_view(Help *h, const CbConfig *cfg, CbView view)
{
    size_t count = cb_config_binding_count(cfg);
    HelpLine head = {.heading = 1, .title = cb_config_view_name(view)};
    size_t mark = h->n;
    push(h, head);
    for (size_t i = 0; i < count; i++) {
        const CbBinding *b = cb_config_binding(cfg, i);
        if (b->view != view || b->req == CB_REQ_NONE)
            continue;
        HelpLine l = {0};
        cb_config_key_name(b->key, l.key);
        l.request = cb_config_request_name(b->req);
        l.help = cb_config_request_help(b->req);
        push(h, l);
    }
    if (h->n == mark + 1)
        h->n = mark; /* a view without bindings of its own */
}

/* The views this build has. */
static int view_exists(CbView v)
{
    static const TuiViewOps *const views[] = {&tui_view_runs, &tui_view_detail, &tui_view_compare,
                                              &tui_view_logs, &tui_view_chart,
                                              &tui_view_preview, &tui_view_proposals,
                                              &tui_view_lineage,
                                              &tui_view_stage};
    if (v == CB_VIEW_GLOBAL)
        return 1;
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
        if (views[i]->id == v)
            return 1;
    return 0;
}

static void build(Help *h, const TuiApp *app)
{
    h->n = 0;
    const TuiViewOps *below = tui_app_view_below(app);
    h->for_view = below ? below->id : CB_VIEW_RUNS;
    add_view(h, app->cfg, h->for_view);
    add_view(h, app->cfg, CB_VIEW_GLOBAL);
    for (int v = 0; v < CB_VIEW_COUNT; v++)
        if (v != (int)h->for_view && v != CB_VIEW_GLOBAL && view_exists((CbView)v))
            add_view(h, app->cfg, (CbView)v);
}

static int help_create(TuiApp *app, void **self)
{
    (void)app;
    Help *h = calloc(1, sizeof *h);
    if (!h)
        return CB_ENOMEM;
    *self = h;
    return CB_OK;
}

static void help_destroy(void *self)
{
    Help *h = self;
    if (!h)
        return;
    free(h->lines);
    free(h);
}

static void help_draw(void *self, TuiApp *app, TuiRect r)
{
    Help *h = self;
    h->height = r.h;
    if (h->top > (int)h->n - r.h)
        h->top = (int)h->n - r.h;
    if (h->top < 0)
        h->top = 0;
    attr_t key_a = tui_attr(app, CB_AREA_HELP_KEY), head_a = tui_attr(app, CB_AREA_HEADER);
    for (int i = 0; i < r.h && h->top + i < (int)h->n; i++) {
        const HelpLine *l = &h->lines[h->top + i];
        int y = r.y + i;
        if (l->heading) {
            char t[96];
            const char *what = "";
            for (int v = 0; v < CB_VIEW_COUNT; v++)
                if (!strcmp(cb_config_view_name((CbView)v), l->title))
                    what = cb_config_view_help((CbView)v);
            snprintf(t, sizeof t, "Keys of %s (%s)", what, l->title);
            tui_text(app, y, r.x + 1, r.w - 2, head_a, t);
            continue;
        }
        tui_text(app, y, r.x + 3, 12, key_a, l->key);
        tui_text(app, y, r.x + 16, 16, A_NORMAL, l->request);
        tui_text(app, y, r.x + 33, r.w - 34, A_NORMAL, l->help);
    }
}

static int help_key(void *self, TuiApp *app, CbRequest req, int key)
{
    Help *h = self;
    (void)key;
    int page = h->height > 1 ? h->height - 1 : 1;
    switch (req) {
    case CB_REQ_MOVE_UP: h->top--; break;
    case CB_REQ_MOVE_DOWN: h->top++; break;
    case CB_REQ_MOVE_PAGE_UP: h->top -= page; break;
    case CB_REQ_MOVE_PAGE_DOWN: h->top += page; break;
    case CB_REQ_MOVE_HOME: h->top = 0; break;
    case CB_REQ_MOVE_END: h->top = (int)h->n; break;
    case CB_REQ_SELECT:
    case CB_REQ_HELP:
        tui_close_view(app);
        return 1;
    default:
        return 0;
    }
    tui_dirty(app);
    return 1;
}

static void help_event(void *self, TuiApp *app, const TuiEvent *ev)
{
    Help *h = self;
    if (ev->type == TUI_EV_SHOW) {
        build(h, app);
        h->top = 0;
    } else if (ev->type == TUI_EV_MOUSE && (ev->button == 4 || ev->button == 5)) {
        h->top += ev->button == 4 ? -3 : 3;
        tui_dirty(app);
    }
}

static const char *help_hint(void *self, TuiApp *app)
{
    (void)self;
    (void)app;
    return "j/k scroll  Esc back  (keys are set in ~/.config/codecbench/config: bind VIEW KEY REQUEST)";
}

const TuiViewOps tui_view_help = {
    .id = CB_VIEW_HELP,
    .title = "Help",
    .create = help_create,
    .destroy = help_destroy,
    .draw = help_draw,
    .key = help_key,
    .event = help_event,
    .hint = help_hint,
};

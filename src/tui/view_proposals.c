/* codecbench dashboard: the proposal pane: one round of proposals for the
 * experiment of the run it was opened on, from the local proposer or the
 * LLM, listed with their rationale and the recipe fields they change against
 * their parent; Enter queues one (cb_propose_queue: parent and origin
 * recorded, the runner started), x rejects one (recorded as a proposal that
 * was not queued, so that the proposers do not offer it again).
 *
 * The LLM call runs in the dashboard's own loop: the client's sockets are
 * watched with tui_watch_fd and its timer is a tui_timer, so keys are
 * handled while a reply streams.  The request (the prompt, shown on demand)
 * and the reply appear as they come; everything from the server is raw
 * bytes, sanitised before it is drawn (cb_sanitize_append, then tui_text).
 *
 * The local proposer runs inline: on the demo store it takes well under a
 * millisecond (the history is read from the store once per round, the
 * search is a few hundred recipe evaluations); the time is logged
 * ($CODECBENCH_LOG). */
#include "tui/app_int.h"
#include "tui/lineage.h"
#include "tui/textwrap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecbench/propose.h"
#include "codecbench/sanitize.h"

/* Proposals asked for when the pane opens (as `codecbench propose`). */
#define DEFAULT_K 4
/* Bytes of a reply accepted (as `codecbench propose`: 32 recipes fit in 32 KiB). */
#define MAX_REPLY ((size_t)128 << 10)
/* Bytes of the sanitised reply kept for the screen. */
#define MAX_SHOWN ((size_t)256 << 10)

typedef enum Phase { IDLE = 0, ASKING, DONE, FAILED } Phase;

typedef struct Pane {
    TuiApp *app;
    char *experiment;
    int k;
    int llm_on;               /* 1: the LLM proposer, 0: the local one */
    Phase phase;
    char error[CB_ERROR_TEXT_MAX + 64];
    char note[300];           /* "retry 2 in 1000 ms: HTTP 429" */

    CbProposeHistory hist;
    int have_hist;
    CbProposeRound round;
    int have_round;
    int *gone;                /* per item: 1 rejected (dropped from the list) */
    int used_llm;             /* the round came from the LLM */

    /* the LLM call */
    CbLlm *llm;
    CbLlmCall *call;
    char *system, *user, *schema, *model;
    CbBuf pend;               /* streamed bytes not shown yet (an incomplete character) */
    CbBuf shown;              /* the reply so far, sanitised (line breaks kept) */
    size_t streamed;          /* bytes of reply received in this attempt */
    int show_prompt;
    long long used, requests, budget;

    size_t cursor;            /* index into round.items (a visible one) */
    int scroll;               /* first line of the list part drawn */
    int list_h;
} Pane;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static long long cfg_int(const CbConfig *cfg, const char *name)
{
    long long v = 0;
    return cb_config_get_int(cfg, name, &v) == 0 ? v : 0;
}

static void call_end(Pane *p)
{
    cb_llm_call_free(&p->call);
    if (p->app)
        tui_timer(p->app, -1, NULL, p);
}

static void round_clear(Pane *p)
{
    if (p->have_round)
        cb_propose_round_free(&p->round);
    p->have_round = 0;
    free(p->gone);
    p->gone = NULL;
    p->cursor = 0;
    p->scroll = 0;
}

static int pane_create(TuiApp *app, void **self)
{
    Pane *p = calloc(1, sizeof *p);
    if (!p)
        return CB_ENOMEM;
    p->app = app;
    p->k = DEFAULT_K;
    const char *prop = cb_config_get_string(app->cfg, "proposer");
    p->llm_on = prop && !strcmp(prop, "llm");
    cb_buf_init(&p->pend, MAX_REPLY);
    cb_buf_init(&p->shown, MAX_SHOWN);
    *self = p;
    return CB_OK;
}

static void pane_destroy(void *self)
{
    Pane *p = self;
    if (!p)
        return;
    call_end(p);
    cb_llm_free(&p->llm);
    round_clear(p);
    if (p->have_hist)
        cb_propose_history_free(&p->hist);
    free(p->experiment);
    free(p->system);
    free(p->user);
    free(p->schema);
    free(p->model);
    cb_buf_free(&p->pend);
    cb_buf_free(&p->shown);
    free(p);
}

static void set_error(Pane *p, const char *what, const CbError *err)
{
    snprintf(p->error, sizeof p->error, "%s: %s", what, err && err->text[0] ? err->text : "failed");
    p->phase = FAILED;
    tui_dirty(p->app);
}

/* ---- the streamed reply ------------------------------------------------------------------------ */

/* The length of s[0..n) that ends on a whole UTF-8 character (invalid bytes
 * count as whole: the sanitiser replaces them). */
static size_t whole_utf8(const unsigned char *s, size_t n)
{
    size_t i = n;
    for (size_t back = 0; i > 0 && back < 4; back++) {
        i--;
        unsigned char c = s[i];
        if ((c & 0xC0) == 0x80)
            continue;
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return i + need > n ? i : n;
    }
    return n;
}

static void on_delta(void *ud, const char *text, size_t len)
{
    Pane *p = ud;
    p->streamed += len;
    if (cb_buf_append(&p->pend, text, len) < 0)
        return; /* past the cap: the client fails the call itself */
    size_t n = whole_utf8((const unsigned char *)p->pend.data, p->pend.len);
    if (n == 0)
        return;
    /* past MAX_SHOWN the screen keeps what it has (the reply is parsed whole) */
    cb_sanitize_append(&p->shown, p->pend.data, n, CB_SANITIZE_NEWLINES);
    memmove(p->pend.data, p->pend.data + n, p->pend.len - n);
    p->pend.len -= n;
    p->pend.data[p->pend.len] = '\0';
    tui_dirty(p->app);
}

static void on_restart(void *ud, int attempt, int delay_ms, const char *why)
{
    Pane *p = ud;
    cb_buf_reset(&p->pend);
    cb_buf_reset(&p->shown);
    p->streamed = 0;
    CbBuf b;
    cb_buf_init(&b, sizeof p->note - 1);
    cb_sanitize_append(&b, why ? why : "", why ? strlen(why) : 0, 0);
    snprintf(p->note, sizeof p->note, "retry %d in %d ms (%s): the reply so far was dropped",
             attempt, delay_ms, b.data ? b.data : "");
    cb_buf_free(&b);
    tui_dirty(p->app);
}

/* ---- the client in the dashboard's loop ----------------------------------------------------------- */

static void finish_llm(Pane *p);
static void on_timer(void *ctx, TuiApp *app);

static void schedule(Pane *p)
{
    if (!p->llm)
        return;
    int ms = cb_llm_timeout_ms(p->llm);
    if (tui_timer(p->app, ms, on_timer, p) < 0 && ms >= 0)
        tui_log(p->app, "proposals: no timer left for the LLM client");
    if (p->call && cb_llm_state(p->call) != CB_LLM_PENDING)
        finish_llm(p);
}

static void on_timer(void *ctx, TuiApp *app)
{
    (void)app;
    Pane *p = ctx;
    cb_llm_on_timer(p->llm);
    schedule(p);
}

static void on_socket(void *ctx, TuiApp *app, int fd, short revents)
{
    (void)app;
    Pane *p = ctx;
    cb_llm_on_socket(p->llm, fd, revents);
    schedule(p);
}

static void on_watch(void *ud, int fd, short events)
{
    Pane *p = ud;
    if (events)
        tui_watch_fd(p->app, fd, events, on_socket, p);
    else
        tui_unwatch_fd(p->app, fd);
}

static void finish_llm(Pane *p)
{
    CbError err;
    cb_error_clear(&err);
    const char *content = NULL;
    size_t len = 0;
    CbLlmUsage usage;
    memset(&usage, 0, sizeof usage);
    int rc = cb_llm_result(p->call, &content, &len, NULL, &usage, &err);
    p->round.usage = usage;
    if (usage.attempts > 0) {
        CbError ue;
        cb_error_clear(&ue);
        if (cb_store_add_llm_usage(p->app->store, p->hist.experiment, p->model,
                                   usage.prompt_tokens, usage.completion_tokens, usage.estimated,
                                   usage.attempts, &ue) < 0)
            tui_error(p->app, &ue);
        else
            p->used += usage.prompt_tokens + usage.completion_tokens, p->requests++;
    }
    if (rc < 0) {
        set_error(p, "the LLM", &err);
    } else {
        /* the whole reply, also what was held back as an incomplete character */
        if (p->pend.len) {
            cb_sanitize_append(&p->shown, p->pend.data, p->pend.len, CB_SANITIZE_NEWLINES);
            cb_buf_reset(&p->pend);
        }
        rc = cb_propose_parse_reply(&p->hist, content, len, &p->round, &err);
        if (rc < 0) {
            set_error(p, "the LLM's reply", &err);
        } else {
            p->phase = DONE;
            p->gone = calloc(p->round.n_items ? p->round.n_items : 1, sizeof *p->gone);
            if (!p->gone) {
                cb_error_set(&err, CB_ENOMEM, "out of memory");
                set_error(p, "proposals", &err);
            }
        }
    }
    call_end(p);
    tui_dirty(p->app);
}

/* ---- a round ------------------------------------------------------------------------------------- */

static int ask_llm(Pane *p, CbError *err)
{
    const CbConfig *cfg = p->app->cfg;
    const char *base = cb_config_get_string(cfg, "llm.endpoint");
    const char *model = cb_config_get_string(cfg, "llm.model");
    const char *key_name = cb_config_get_string(cfg, "llm.api_key_env");
    const char *key = key_name && *key_name ? getenv(key_name) : NULL;
    double temperature = -1;
    cb_config_get_real(cfg, "llm.temperature", &temperature);
    p->budget = cfg_int(cfg, "llm.budget");
    if (!model || !*model)
        return cb_error_set(err, CB_EINVAL,
                            "llm.model is empty: set it in the config file or CODECBENCH_LLM_MODEL");
    int rc = cb_store_llm_usage(p->app->store, p->hist.experiment, &p->used, &p->requests, err);
    if (rc < 0)
        return rc;
    if (p->budget > 0 && p->used >= p->budget)
        return cb_error_set(err, CB_ELIMIT,
                            "llm.budget reached: experiment '%s' has used %lld tokens in %lld "
                            "requests, the budget is %lld (raise llm.budget or set it to 0)",
                            p->hist.experiment, p->used, p->requests, p->budget);
    free(p->system), free(p->user), free(p->schema), free(p->model);
    p->system = p->user = p->schema = NULL;
    p->model = strdup(model);
    if (!p->model)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if ((rc = cb_propose_prompt(&p->hist, p->k, 0, &p->system, &p->user, err)) < 0)
        return rc;
    p->schema = cb_propose_schema();
    if (!p->schema)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (!p->llm) {
        if ((rc = cb_llm_new(&p->llm, err)) < 0)
            return rc;
        cb_llm_set_watch(p->llm, on_watch, p);
    }
    CbLlmEndpoint ep = {
        .base_url = base,
        .model = model,
        .api_key = key,
        .key_name = key_name,
        .temperature = temperature,
        .connect_timeout_ms = (int)cfg_int(cfg, "llm.connect_timeout") * 1000,
        .idle_timeout_ms = (int)cfg_int(cfg, "llm.idle_timeout") * 1000,
        .total_timeout_ms = (int)cfg_int(cfg, "llm.timeout") * 1000,
        .retries = (int)cfg_int(cfg, "llm.retries"),
        .max_reply = MAX_REPLY,
        .stream = 1,
    };
    CbLlmMessage msgs[2] = {{"system", p->system}, {"user", p->user}};
    CbLlmRequest rq = {msgs, 2, p->schema, "proposals", 0};
    static const CbLlmCallbacks cbs = {on_delta, on_restart};
    if ((rc = cb_llm_start(p->llm, &ep, &rq, &cbs, p, &p->call, err)) < 0)
        return rc;
    p->phase = ASKING;
    schedule(p);
    return CB_OK;
}

static void ask(Pane *p)
{
    TuiApp *app = p->app;
    CbError err;
    cb_error_clear(&err);
    call_end(p);
    round_clear(p);
    if (p->have_hist)
        cb_propose_history_free(&p->hist);
    p->have_hist = 0;
    p->error[0] = p->note[0] = '\0';
    cb_buf_reset(&p->pend);
    cb_buf_reset(&p->shown);
    p->streamed = 0;
    p->phase = IDLE;
    tui_dirty(app);
    double t0 = now_ms();
    if (cb_propose_history(app->store, p->experiment, &p->hist, &err) < 0) {
        set_error(p, "the history", &err);
        return;
    }
    p->have_hist = 1;
    cb_propose_round_init(&p->round, p->k);
    p->have_round = 1;
    p->used_llm = p->llm_on;
    if (p->llm_on) {
        if (ask_llm(p, &err) < 0)
            set_error(p, "the LLM proposer", &err);
        return;
    }
    uint64_t seed = (uint64_t)(p->hist.runs + p->hist.proposals);
    CbProposeParams pp = {.k = p->k, .seed = seed};
    int rc = cb_proposer_local.propose(&p->hist, &pp, &p->round, &err);
    tui_log(app, "proposals: local proposer, %zu recipes of history, k %d: %.2f ms",
            p->hist.n_recipes, p->k, now_ms() - t0);
    if (rc < 0) {
        set_error(p, "the local proposer", &err);
        return;
    }
    p->gone = calloc(p->round.n_items ? p->round.n_items : 1, sizeof *p->gone);
    if (!p->gone) {
        cb_error_set(&err, CB_ENOMEM, "out of memory");
        set_error(p, "proposals", &err);
        return;
    }
    p->phase = DONE;
}

/* ---- the list ---------------------------------------------------------------------------------- */

static int visible(const Pane *p, size_t i)
{
    return p->phase == DONE && p->have_round && i < p->round.n_items && p->gone && !p->gone[i];
}

static void move_cursor(Pane *p, int dir)
{
    if (p->phase != DONE || !p->round.n_items)
        return;
    size_t i = p->cursor;
    for (;;) {
        if (dir < 0 ? i == 0 : i + 1 >= p->round.n_items)
            break;
        i = dir < 0 ? i - 1 : i + 1;
        if (visible(p, i)) {
            p->cursor = i;
            break;
        }
    }
    if (!visible(p, p->cursor)) /* the cursor's item went: the nearest one */
        for (size_t j = 0; j < p->round.n_items; j++)
            if (visible(p, j)) {
                p->cursor = j;
                break;
            }
    tui_dirty(p->app);
}

static void accept_item(Pane *p)
{
    TuiApp *app = p->app;
    if (!visible(p, p->cursor)) {
        tui_message(app, 0, "no proposal to accept");
        return;
    }
    CbProposeItem *it = &p->round.items[p->cursor];
    if (it->n_runs) {
        tui_message(app, 0, "proposal %zu is already queued", p->cursor + 1);
        return;
    }
    CbProposeRound one = p->round;
    one.items = it;
    one.n_items = 1;
    one.rejects = NULL;
    one.n_rejects = 0;
    CbError err;
    cb_error_clear(&err);
    int rc = cb_propose_queue(app->store, &p->hist, &one, p->used_llm ? "llm" : "local", &err);
    tui_reload(app);
    if (rc < 0) {
        tui_error(app, &err);
        return;
    }
    if (tui_ensure_runner(app, &err) < 0)
        tui_error(app, &err);
    else
        tui_message(app, 0, "queued %s as run %lld%s (parent run %lld)", it->name,
                    (long long)(it->n_runs ? it->run_ids[0] : 0), it->n_runs > 1 ? " and more" : "",
                    (long long)it->parent);
    tui_dirty(app);
}

static void reject_item(Pane *p)
{
    TuiApp *app = p->app;
    if (!visible(p, p->cursor)) {
        tui_message(app, 0, "no proposal to reject");
        return;
    }
    CbProposeItem *it = &p->round.items[p->cursor];
    if (it->n_runs) {
        tui_message(app, 0, "proposal %zu is queued already: cancel its runs instead", p->cursor + 1);
        return;
    }
    /* Recorded as a proposal that queued no run: the history counts it as
     * proposed, so neither proposer offers these settings again. */
    char why[CB_PROPOSE_RATIONALE_MAX + 64];
    snprintf(why, sizeof why, "[rejected in the dashboard] %s", it->rationale);
    CbError err;
    cb_error_clear(&err);
    int64_t id = 0;
    if (cb_store_add_proposal(app->store, p->hist.experiment, p->used_llm ? "llm" : "local", why,
                              it->recipe_json, 0, &id, &err) < 0) {
        tui_error(app, &err);
        return;
    }
    p->gone[p->cursor] = 1;
    tui_message(app, 0, "rejected %s (recorded as proposal %lld, not queued)", it->name,
                (long long)id);
    move_cursor(p, 1);
}

/* ---- drawing ------------------------------------------------------------------------------------ */

typedef struct Lines {
    const char *text;
    size_t *off, *len;
    size_t n, cap; /* a ring of the last cap rows */
    size_t total;
} Lines;

static int keep_row(void *ctx, size_t off, size_t n, int indent)
{
    (void)indent;
    Lines *l = ctx;
    size_t at = l->total % l->cap;
    l->off[at] = off;
    l->len[at] = n;
    l->total++;
    return 0;
}

/* Draws the last rows (at most h) of text wrapped to w columns at (y, x);
 * returns the rows drawn.  Paragraphs (line breaks) wrap one by one. */
static int draw_tail(TuiApp *app, int y, int x, int w, int h, attr_t a, const char *text, size_t len)
{
    if (h <= 0 || w <= 0)
        return 0;
    size_t off[64], ln[64];
    Lines l = {text, off, ln, 0, (size_t)(h < 64 ? h : 64), 0};
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        size_t before = l.total;
        tui_wrap(text + start, i - start, w, 0, keep_row, &l);
        for (size_t k = before; k < l.total; k++)
            l.off[k % l.cap] += start;
        start = i + 1;
    }
    size_t rows = l.total < l.cap ? l.total : l.cap;
    char buf[1024];
    for (size_t k = 0; k < rows; k++) {
        size_t at = (l.total - rows + k) % l.cap;
        size_t n = l.len[at] < sizeof buf - 1 ? l.len[at] : sizeof buf - 1;
        memcpy(buf, text + l.off[at], n);
        buf[n] = '\0';
        tui_text(app, y + (int)k, x, w, a, buf);
    }
    return (int)rows;
}

typedef struct Para {
    TuiApp *app;
    const char *text;
    int y, x, w, max, drawn;
    attr_t a;
} Para;

static int para_row(void *ctx, size_t off, size_t n, int indent)
{
    Para *p = ctx;
    if (p->drawn >= p->max)
        return -1;
    char buf[1024];
    size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;
    memcpy(buf, p->text + off, k);
    buf[k] = '\0';
    tui_text(p->app, p->y + p->drawn, p->x + indent, p->w - indent, p->a, buf);
    p->drawn++;
    return 0;
}

/* Draws text wrapped at (y, x) in at most max rows; returns the rows used. */
static int draw_para(TuiApp *app, int y, int x, int w, int max, attr_t a, const char *text)
{
    if (max <= 0 || w <= 0)
        return 0;
    Para p = {app, text, y, x, w, max, 0, a};
    tui_wrap(text, strlen(text), w, 0, para_row, &p);
    return p.drawn;
}

/* The diff "field: old -> new; ..." with fields in the header colour, old values
 * dim and new ones in the "good" colour, wrapped by parts; returns the rows used. */
static int draw_diff(TuiApp *app, int y, int x, int w, int max, const char *diff)
{
    attr_t fa = tui_attr(app, CB_AREA_HEADER), na = tui_attr(app, CB_AREA_GOOD);
    const char *s = diff;
    TuiDiffPart part;
    int row = 0, col = 0;
    char f[256], o[256], n[256];
    while (row < max && tui_diff_next(&s, &part)) {
        snprintf(f, sizeof f, "%.*s", (int)(part.field_len < 250 ? part.field_len : 250), part.field);
        snprintf(o, sizeof o, "%.*s", (int)(part.old_len < 250 ? part.old_len : 250),
                 part.old ? part.old : "");
        snprintf(n, sizeof n, "%.*s", (int)(part.new_len < 250 ? part.new_len : 250),
                 part.new_ ? part.new_ : "");
        int need = tui_width(f) + (part.old ? tui_width(o) + tui_width(n) + 6 : 0) + 2;
        if (col > 0 && col + need > w) {
            row++;
            col = 0;
            if (row >= max)
                break;
        }
        int yy = y + row;
        col += tui_text(app, yy, x + col, w - col, part.old ? fa : A_NORMAL, f);
        if (part.old) {
            col += tui_text(app, yy, x + col, w - col, A_NORMAL, ": ");
            col += tui_text(app, yy, x + col, w - col, A_DIM, o);
            col += tui_text(app, yy, x + col, w - col, A_NORMAL, " -> ");
            col += tui_text(app, yy, x + col, w - col, na, n);
        }
        col += tui_text(app, yy, x + col, w - col, A_NORMAL, "  ");
    }
    return row + (col > 0 ? 1 : 0);
}

static void pane_draw(void *self, TuiApp *app, TuiRect r)
{
    Pane *p = self;
    tui_clear_rect(app, r);
    attr_t ha = tui_attr(app, CB_AREA_HEADER), ea = tui_attr(app, CB_AREA_STATUS_ERROR);
    int y = r.y, bottom = r.y + r.h, x = r.x + 1, w = r.w - 2;
    /* header: the experiment, the proposer, K, tokens */
    {
        int n = tui_text(app, y, x, w, ha, "experiment ");
        n += tui_text(app, y, x + n, w - n > 32 ? 32 : w - n, ha | A_BOLD,
                      p->experiment ? p->experiment : "default");
        char t[256];
        if (p->llm_on || p->used_llm)
            snprintf(t, sizeof t, "  proposer %s  K %d  tokens used %lld in %lld requests",
                     p->llm_on ? "llm" : "local", p->k, p->used, p->requests);
        else
            snprintf(t, sizeof t, "  proposer %s  K %d", p->llm_on ? "llm" : "local", p->k);
        n += tui_text(app, y, x + n, w - n, ha, t);
        if (p->budget > 0 && (p->llm_on || p->used_llm))
            tui_textf(app, y, x + n, w - n, ha, ", budget %lld", p->budget);
        y++;
    }
    if (p->used_llm && y < bottom) {
        /* the request: collapsed to its size unless asked for */
        size_t ub = p->user ? strlen(p->user) : 0, sb = p->system ? strlen(p->system) : 0;
        tui_textf(app, y++, x, w, A_DIM, "%s request to %s: system %zu bytes, user %zu bytes (P %s)",
                  p->show_prompt ? "-" : "+", p->model ? "the model" : "the LLM", sb, ub,
                  p->show_prompt ? "hides" : "shows");
        if (p->show_prompt && p->user) {
            int room = (bottom - y) / 3;
            y += draw_para(app, y, x + 2, w - 2, room, A_DIM, p->user);
        }
        /* the reply as it streams (its last lines), or its size once done */
        if (p->note[0] && y < bottom)
            tui_text(app, y++, x, w, tui_attr(app, CB_AREA_WARN), p->note);
        if (y < bottom) {
            if (p->phase == ASKING)
                tui_textf(app, y++, x, w, ha, "reply (streaming, %zu bytes):", p->streamed);
            else
                tui_textf(app, y++, x, w, ha, "reply (%zu bytes, %lld + %lld tokens%s):",
                          p->shown.len, p->round.usage.prompt_tokens,
                          p->round.usage.completion_tokens,
                          p->round.usage.estimated ? ", estimated" : "");
        }
        int room = p->phase == ASKING ? bottom - y - 1 : (bottom - y) / 4;
        if (room > 12 && p->phase != ASKING)
            room = 12;
        if (p->shown.len)
            y += draw_tail(app, y, x + 2, w - 2, room, A_NORMAL, p->shown.data, p->shown.len);
        else if (p->phase == ASKING && y < bottom)
            tui_text(app, y++, x + 2, w - 2, A_DIM, "(waiting for the first bytes; keys work)");
    }
    if (p->phase == FAILED && y < bottom) {
        y += draw_para(app, y, x, w, 4, ea, p->error);
        if (y < bottom)
            tui_text(app, y++, x, w, A_DIM, "L asks again; p switches the proposer");
    }
    if (p->phase != DONE || y >= bottom)
        return;
    /* the proposals */
    size_t shown = 0;
    for (size_t i = 0; i < p->round.n_items; i++)
        shown += visible(p, i);
    tui_textf(app, y++, x, w, ha, "%zu proposal%s (Enter accepts, x rejects), %zu refused", shown,
              shown == 1 ? "" : "s", p->round.n_rejects);
    for (size_t i = 0; i < p->round.n_items && y < bottom; i++) {
        if (!visible(p, i))
            continue;
        const CbProposeItem *it = &p->round.items[i];
        int cur = i == p->cursor;
        attr_t base = cur ? tui_attr(app, CB_AREA_CURSOR) : A_NORMAL;
        if (cur)
            tui_fill(app, y, r.x, r.w, base);
        int n = tui_textf(app, y, x, w, base | A_BOLD, "%zu. ", i + 1);
        n += tui_text(app, y, x + n, w - n, base | A_BOLD, it->name);
        if (it->parent)
            n += tui_textf(app, y, x + n, w - n, base, "  parent run %lld", (long long)it->parent);
        if (it->n_runs)
            tui_textf(app, y, x + n, w - n, base | tui_attr(app, CB_AREA_QUEUED),
                      "  queued as run %lld", (long long)it->run_ids[0]);
        y++;
        if (y < bottom)
            y += draw_para(app, y, x + 3, w - 3, cur ? 4 : 2, A_NORMAL, it->rationale);
        if (y < bottom) {
            if (it->diff && *it->diff)
                y += draw_diff(app, y, x + 3, w - 3, cur ? 3 : 1, it->diff);
            else
                tui_text(app, y++, x + 3, w - 3, A_DIM, "(no parent to compare with)");
        }
    }
    if (p->round.n_rejects && y < bottom)
        tui_text(app, y++, x, w, ha, "refused:");
    for (size_t i = 0; i < p->round.n_rejects && y < bottom; i++) {
        const CbProposeReject *j = &p->round.rejects[i];
        int n = tui_text(app, y, x + 1, w - 1, tui_attr(app, CB_AREA_BAD), "- ");
        if (*j->name) {
            n += tui_text(app, y, x + 1 + n, w - 1 - n, A_BOLD, j->name);
            n += tui_text(app, y, x + 1 + n, w - 1 - n, A_NORMAL, ": ");
        }
        tui_text(app, y++, x + 1 + n, w - 1 - n, A_NORMAL, j->reason);
    }
}

/* ---- keys and events ------------------------------------------------------------------------------ */

static int pane_key(void *self, TuiApp *app, CbRequest req, int key)
{
    Pane *p = self;
    (void)key;
    switch (req) {
    case CB_REQ_MOVE_UP: move_cursor(p, -1); return 1;
    case CB_REQ_MOVE_DOWN: move_cursor(p, 1); return 1;
    case CB_REQ_SELECT:
    case CB_REQ_ACCEPT: accept_item(p); return 1;
    case CB_REQ_REJECT: reject_item(p); return 1;
    case CB_REQ_PROPOSE:
    case CB_REQ_RERUN: ask(p); return 1;
    case CB_REQ_PROPOSER:
        p->llm_on = !p->llm_on;
        tui_message(app, 0, "proposer: %s (L asks)", p->llm_on ? "llm" : "local");
        tui_dirty(app);
        return 1;
    case CB_REQ_MORE:
    case CB_REQ_FEWER:
        p->k += req == CB_REQ_MORE ? 1 : -1;
        p->k = p->k < 1 ? 1 : p->k > CB_PROPOSE_MAX_K ? CB_PROPOSE_MAX_K : p->k;
        tui_message(app, 0, "%d proposal%s per round (L asks)", p->k, p->k == 1 ? "" : "s");
        tui_dirty(app);
        return 1;
    case CB_REQ_SHOW_PROMPT:
        p->show_prompt = !p->show_prompt;
        tui_dirty(app);
        return 1;
    default: return 0;
    }
}

static void pane_event(void *self, TuiApp *app, const TuiEvent *ev)
{
    Pane *p = self;
    if (ev->type != TUI_EV_SHOW)
        return;
    const CbRunInfo *run = tui_run(app, ev->run_id > 0 ? ev->run_id : app->cursor_run);
    const char *exp = run && run->experiment ? run->experiment
                      : app->priv->experiment ? app->priv->experiment : "default";
    int same = p->experiment && !strcmp(p->experiment, exp);
    if (same && p->phase != IDLE)
        return; /* back to the pane: the round stays */
    char *e = strdup(exp);
    if (!e) {
        tui_message(app, 1, "out of memory");
        return;
    }
    free(p->experiment);
    p->experiment = e;
    ask(p);
}

static const char *pane_hint(void *self, TuiApp *app)
{
    (void)self;
    (void)app;
    return "Enter accept  x reject  L ask again  p proposer  +/- K  P request  Esc back";
}

const TuiViewOps tui_view_proposals = {
    .id = CB_VIEW_PROPOSALS,
    .title = "Proposals",
    .create = pane_create,
    .destroy = pane_destroy,
    .draw = pane_draw,
    .key = pane_key,
    .event = pane_event,
    .hint = pane_hint,
};

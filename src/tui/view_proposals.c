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
 * Everything that needs the experiment's history runs in a child process
 * (forked, with its own store connection), its answer read as JSON through
 * tui_watch_fd: reading the history of an experiment of 1,000 runs takes
 * about 0.4 s (the search itself 0.5 ms), far over a frame.  Jobs: the
 * local round, the LLM's prompt, the LLM's reply checked against the
 * history, and queueing an accepted proposal.  The dashboard's own store
 * connection is never used in the child (SQLite forbids it), and the child
 * leaves with _exit (no atexit handler, no curses teardown).
 *
 * Stage mode (c, issue 8): the LLM is asked for stage code of one kind
 * (cb_propose_stage_prompt / _schema / _parse_reply) instead of recipes;
 * the child that checks the reply also records its edits for the model,
 * and the header says the model's share of edits that failed to apply.
 * S (the stage request) opens the stage view on the selected proposal's
 * code before it is queued (tui_open_stage_text: source, diff against the
 * parent's stage or the built-in one, all sanitised there); closing it
 * comes back to the pane with the round and the cursor as they were. */
#include "tui/app_int.h"
#include "tui/keyhint.h"
#include "tui/lineage.h"
#include "tui/propround.h"
#include "tui/textwrap.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/evolve.h"
#include "codecbench/propose.h"
#include "codecbench/recipe.h"
#include "codecbench/sanitize.h"

/* Proposals asked for when the pane opens (as `codecbench propose`). */
#define DEFAULT_K 4
/* Bytes of a reply accepted (as `codecbench propose`: 32 recipes fit in 32 KiB). */
#define MAX_REPLY ((size_t)128 << 10)
/* Bytes of the sanitised reply kept for the screen. */
#define MAX_SHOWN ((size_t)256 << 10)

/* Bytes of a child's answer (a round of 32 proposals is under 64 KiB; a
 * prompt at most CB_PROPOSE_PROMPT_MAX plus the system text). */
#define MAX_JOB_OUT ((size_t)4 << 20)

typedef enum Phase { IDLE = 0, WORKING, ASKING, DONE, FAILED } Phase;

typedef enum JobKind { JOB_NONE = 0, JOB_LOCAL, JOB_PROMPT, JOB_PARSE, JOB_QUEUE } JobKind;

typedef struct Job {
    JobKind kind;
    pid_t pid;
    int fd;
    CbBuf out;
    size_t item; /* JOB_QUEUE: the proposal queued */
    double t0;
} Job;

typedef struct Pane {
    TuiApp *app;
    char *experiment;
    int k;
    int llm_on; /* 1: the LLM proposer, 0: the local one */
    CbStageKind stage; /* what the LLM writes: CB_STAGE_NONE recipes, else stage code */
    CbStageKind used_stage; /* the stage kind of the round shown */
    char edits_line[160]; /* "edits failed to apply: 3 of 20 (15 %) for model-x", or "" */
    Phase phase;
    char error[CB_ERROR_TEXT_MAX + 64];
    char note[300]; /* "retry 2 in 1000 ms: HTTP 429" */

    Job job;
    CbBuf raw; /* the LLM's reply as received (for the JOB_PARSE child) */
    CbProposeRound round;
    int have_round;
    int *gone;    /* per item: 1 rejected (dropped from the list) */
    int used_llm; /* the round came from the LLM */

    /* the LLM call */
    CbLlm *llm;
    CbLlmCall *call;
    char *system, *user, *schema, *model;
    CbBuf pend;      /* streamed bytes not shown yet (an incomplete character) */
    CbBuf shown;     /* the reply so far, sanitised (line breaks kept) */
    size_t streamed; /* bytes of reply received in this attempt */
    int show_prompt;
    long long used, requests, budget;

    /* the evolve loop of the experiment (A) */
    char evo_line[400];
    int evo_running;
    double evo_read_at;
    pid_t cmd_pid; /* `codecbench evolve` answering, 0: none */
    int cmd_fd;
    CbBuf cmd_out;

    size_t cursor; /* index into round.items (a visible one) */
    size_t first;  /* the first proposal drawn (the list scrolls to the cursor) */
    int item_y0[CB_PROPOSE_MAX_K], item_y1[CB_PROPOSE_MAX_K]; /* screen lines of each item
                                                                 drawn, [y0, y1); -1: not shown */
    int list_h;
    char hint[256]; /* the status line's keys, from the bindings */
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

static void record_usage(Pane *p, const CbLlmUsage *usage);
static void job_stop(Pane *p);

static void call_end(Pane *p)
{
    if (p->call && cb_llm_state(p->call) == CB_LLM_PENDING) {
        /* abandoned (asked again, or the dashboard quits): its attempts may
         * have been paid for all the same */
        CbLlmUsage usage;
        memset(&usage, 0, sizeof usage);
        cb_llm_result(p->call, NULL, NULL, NULL, &usage, NULL);
        record_usage(p, &usage);
    }
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
    p->first = 0;
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
    cb_buf_init(&p->raw, MAX_REPLY + 1);
    cb_buf_init(&p->job.out, MAX_JOB_OUT);
    p->job.fd = -1;
    p->cmd_fd = -1;
    cb_buf_init(&p->cmd_out, (size_t)8 << 10);
    static const CbRequest reqs[] = {CB_REQ_ACCEPT,      CB_REQ_REJECT,     CB_REQ_STAGE,
                                     CB_REQ_PROPOSE,     CB_REQ_PROPOSER,   CB_REQ_MORE,
                                     CB_REQ_FEWER,       CB_REQ_STAGE_MODE, CB_REQ_AUTO_EVOLVE,
                                     CB_REQ_SHOW_PROMPT, CB_REQ_BACK};
    static const char *const words[] = {"accept", "reject", "stage",  "ask again", "proposer", "K",
                                        "K",      "stages", "evolve", "request",   "back"};
    tui_key_hint(app->cfg, CB_VIEW_PROPOSALS, reqs, words, sizeof reqs / sizeof reqs[0], p->hint,
                 sizeof p->hint);
    *self = p;
    return CB_OK;
}

static void pane_destroy(void *self)
{
    Pane *p = self;
    if (!p)
        return;
    call_end(p);
    job_stop(p);
    cb_llm_free(&p->llm);
    round_clear(p);
    cb_buf_free(&p->job.out);
    if (p->cmd_fd >= 0)
        close(p->cmd_fd);
    if (p->cmd_pid > 0) /* it only records or stops the evolve: let it finish */
        while (waitpid(p->cmd_pid, NULL, 0) < 0 && errno == EINTR)
            ;
    cb_buf_free(&p->cmd_out);
    free(p->experiment);
    free(p->system);
    free(p->user);
    free(p->schema);
    free(p->model);
    cb_buf_free(&p->pend);
    cb_buf_free(&p->shown);
    cb_buf_free(&p->raw);
    free(p);
}

static void set_error(Pane *p, const char *what, const CbError *err)
{
    snprintf(p->error, sizeof p->error, "%s: %s", what, err && err->text[0] ? err->text : "failed");
    p->phase = FAILED;
    tui_dirty(p->app);
}

/* ---- the streamed reply ------------------------------------------------------------------------
 */

static void on_delta(void *ud, const char *text, size_t len)
{
    Pane *p = ud;
    p->streamed += len;
    if (cb_buf_append(&p->pend, text, len) < 0)
        return; /* past the cap: the client fails the call itself */
    size_t n = cb_utf8_whole_prefix(p->pend.data, p->pend.len);
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

/* ---- the client in the dashboard's loop
 * ----------------------------------------------------------- */

static void finish_llm(Pane *p);
static void on_timer(void *ctx, TuiApp *app);
static void job_start(Pane *p, JobKind kind, size_t item);

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

/* The tokens of a call, recorded for the experiment (the budget counts them). */
static void record_usage(Pane *p, const CbLlmUsage *usage)
{
    if (usage->attempts <= 0 || !p->experiment || !p->model)
        return;
    CbError ue;
    cb_error_clear(&ue);
    if (cb_store_add_llm_usage(p->app->store, p->experiment, p->model, usage->prompt_tokens,
                               usage->completion_tokens, usage->estimated, usage->attempts,
                               &ue) < 0) {
        tui_error(p->app, &ue);
        return;
    }
    p->used += usage->prompt_tokens + usage->completion_tokens;
    p->requests++;
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
    record_usage(p, &usage);
    if (rc < 0) {
        set_error(p, "the LLM", &err);
    } else {
        /* the whole reply, also what was held back as an incomplete character */
        if (p->pend.len) {
            cb_sanitize_append(&p->shown, p->pend.data, p->pend.len, CB_SANITIZE_NEWLINES);
            cb_buf_reset(&p->pend);
        }
        /* checked against the history in a child (JOB_PARSE reads p->raw) */
        cb_buf_reset(&p->raw);
        if (cb_buf_append(&p->raw, content, len) < 0) {
            cb_error_set(&err, CB_ELIMIT, "the reply is larger than %zu bytes", MAX_REPLY);
            set_error(p, "the LLM's reply", &err);
        } else {
            call_end(p);
            job_start(p, JOB_PARSE, 0);
        }
    }
    call_end(p);
    tui_dirty(p->app);
}

/* ---- jobs in a child process
 * ----------------------------------------------------------------------- */

static int put_str(json_t *o, const char *k, const char *v)
{
    return json_object_set_new(o, k, json_string(v ? v : ""));
}

static char *dup_str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return strdup(v ? v : "");
}

static int write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return CB_EIO;
        b += w;
        n -= (size_t)w;
    }
    return CB_OK;
}

/* The child: its own store connection, the history, the job; the answer as
 * one JSON object on fd ({"error", "code"} when it failed).  Returns the exit
 * status. */
static int child_main(Pane *p, JobKind kind, size_t item, int fd)
{
    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    CbProposeHistory h;
    memset(&h, 0, sizeof h);
    CbProposeRound r;
    cb_propose_round_init(&r, p->k);
    json_t *out = NULL;
    char *sys = NULL, *user = NULL;
    int rc = cb_store_open(&s, p->app->store_dir, 0, &err);
    if (rc == CB_OK)
        rc = cb_propose_history(s, p->experiment, &h, &err);
    if (rc == CB_OK) {
        switch (kind) {
        case JOB_LOCAL: {
            CbProposeParams pp = {.k = p->k, .seed = (uint64_t)(h.runs + h.proposals)};
            rc = cb_proposer_local.propose(&h, &pp, &r, &err);
            out = rc == CB_OK ? tui_round_to_json(&r) : NULL;
            break;
        }
        case JOB_PARSE:
            rc = p->used_stage
                     ? cb_propose_stage_parse_reply(&h, p->used_stage,
                                                    p->raw.data ? p->raw.data : "", p->raw.len,
                                                    &r, &err)
                     : cb_propose_parse_reply(&h, p->raw.data ? p->raw.data : "", p->raw.len, &r,
                                              &err);
            /* the edits count for the model whatever came of them */
            if (rc == CB_OK && r.edits_tried > 0)
                rc = cb_store_add_llm_edits(s, p->experiment, p->model ? p->model : "",
                                            r.edits_tried, r.edits_failed, &err);
            out = rc == CB_OK ? tui_round_to_json(&r) : NULL;
            break;
        case JOB_PROMPT:
            rc = p->used_stage ? cb_propose_stage_prompt(&h, p->used_stage, p->k, 0, &sys, &user,
                                                         &err)
                               : cb_propose_prompt(&h, p->k, 0, &sys, &user, &err);
            if (rc == CB_OK && (out = json_object()) != NULL) {
                put_str(out, "system", sys);
                put_str(out, "user", user);
            }
            break;
        case JOB_QUEUE: {
            CbProposeRound one = p->round;
            one.items = &p->round.items[item];
            one.n_items = 1;
            one.rejects = NULL;
            one.n_rejects = 0;
            rc = cb_propose_queue(s, &h, &one, p->used_llm ? "llm" : "local", &err);
            if (rc == CB_OK && (out = json_object()) != NULL) {
                json_t *runs = json_array();
                for (size_t i = 0; runs && i < one.items->n_runs; i++)
                    json_array_append_new(runs, json_integer(one.items->run_ids[i]));
                json_object_set_new(out, "runs", runs ? runs : json_array());
                json_object_set_new(out, "proposal", json_integer(one.items->proposal_id));
            }
            break;
        }
        default: rc = cb_error_set(&err, CB_EINVAL, "no such job"); break;
        }
    }
    if (rc == CB_OK && !out)
        rc = cb_error_set(&err, CB_ENOMEM, "out of memory");
    if (rc < 0) {
        json_decref(out);
        out =
            json_pack("{s:s, s:i}", "error", err.text[0] ? err.text : cb_strerror(rc), "code", rc);
    }
    char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
    int st = text && write_all(fd, text, strlen(text)) == CB_OK ? 0 : 1;
    free(text);
    json_decref(out);
    free(sys);
    free(user);
    cb_propose_round_free(&r);
    cb_propose_history_free(&h);
    cb_store_close(&s);
    return st;
}

static void job_answer(Pane *p, JobKind kind, json_t *doc, const char *why);

static void job_stop(Pane *p)
{
    Job *j = &p->job;
    if (j->fd >= 0) {
        tui_unwatch_fd(p->app, j->fd);
        close(j->fd);
        j->fd = -1;
    }
    if (j->pid > 0) {
        kill(j->pid, SIGTERM);
        while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        j->pid = 0;
    }
    j->kind = JOB_NONE;
    cb_buf_reset(&j->out);
}

static void on_job_fd(void *ctx, TuiApp *app, int fd, short revents)
{
    (void)revents;
    Pane *p = ctx;
    Job *j = &p->job;
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* more to come */
        if (n > 0) {
            if (cb_buf_append(&j->out, buf, (size_t)n) < 0)
                break; /* past the cap: a broken child */
            continue;
        }
        break; /* end of file, or an error */
    }
    /* the child closed its end: it has exited or is exiting */
    tui_unwatch_fd(app, fd);
    close(fd);
    j->fd = -1;
    int status = 0;
    while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
        ;
    j->pid = 0;
    JobKind kind = j->kind;
    j->kind = JOB_NONE;
    tui_log(app, "proposals: job %d answered %zu bytes in %.1f ms", (int)kind, j->out.len,
            now_ms() - j->t0);
    json_error_t je;
    json_t *doc = j->out.data ? json_loadb(j->out.data, j->out.len, 0, &je) : NULL;
    char why[96] = "";
    if (!doc)
        snprintf(why, sizeof why, "the proposer's process ended without an answer (status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    cb_buf_reset(&j->out);
    job_answer(p, kind, doc, why);
    json_decref(doc);
    tui_dirty(app);
}

/* Starts a job; its answer comes to job_answer.  Failures are shown. */
static void job_start(Pane *p, JobKind kind, size_t item)
{
    Job *j = &p->job;
    CbError err;
    cb_error_clear(&err);
    job_stop(p);
    int fds[2];
    if (pipe(fds) < 0) {
        cb_error_set(&err, CB_EIO, "pipe: %s", strerror(errno));
        set_error(p, "the proposer", &err);
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        cb_error_set(&err, CB_EIO, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        set_error(p, "the proposer", &err);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);
        _exit(child_main(p, kind, item, fds[1]));
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    j->kind = kind;
    j->pid = pid;
    j->fd = fds[0];
    j->item = item;
    j->t0 = now_ms();
    if (tui_watch_fd(p->app, fds[0], POLLIN, on_job_fd, p) < 0) {
        job_stop(p);
        cb_error_set(&err, CB_ELIMIT, "too many descriptors watched");
        set_error(p, "the proposer", &err);
        return;
    }
    if (kind != JOB_QUEUE)
        p->phase = WORKING;
    tui_dirty(p->app);
}

/* ---- a round
 * ------------------------------------------------------------------------------------- */

/* The model's share of stage edits that failed to apply in the experiment
 * (a small sum over the store's llm_edits rows, as quick as the token sum
 * read before each request), for the header. */
static void edits_refresh(Pane *p)
{
    p->edits_line[0] = '\0';
    const char *model = p->model ? p->model : cb_config_get_string(p->app->cfg, "llm.model");
    if (!p->experiment || !model || !*model)
        return;
    CbLlmEditStat *rows = NULL;
    size_t n = 0;
    CbError err;
    cb_error_clear(&err);
    if (cb_store_llm_edits(p->app->store, p->experiment, &rows, &n, &err) < 0)
        return; /* the header goes without it; the store's error shows elsewhere */
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].model, model)) {
            snprintf(p->edits_line, sizeof p->edits_line,
                     "edits failed to apply: %lld of %lld (%.0f %%) for %s", rows[i].failed,
                     rows[i].tried,
                     rows[i].tried ? 100.0 * (double)rows[i].failed / (double)rows[i].tried : 0.0,
                     model);
            break;
        }
    cb_llm_edit_stats_free(&rows, n);
}

static int round_done(Pane *p, json_t *doc, CbError *err)
{
    int rc = tui_round_from_json(doc, &p->round);
    if (rc < 0)
        return cb_error_set(err, rc, "the proposer's answer: %s", cb_strerror(rc));
    p->gone = calloc(p->round.n_items ? p->round.n_items : 1, sizeof *p->gone);
    if (!p->gone)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    p->phase = DONE;
    if (p->used_llm)
        edits_refresh(p);
    return CB_OK;
}

/* Starts the LLM call once the child has made the prompt. */
static int ask_llm(Pane *p, json_t *doc, CbError *err)
{
    CbLlmEndpoint ep;
    int rc = cb_llm_endpoint_from_config(p->app->cfg, &ep, err);
    if (rc < 0)
        return rc;
    ep.max_reply = MAX_REPLY;
    ep.stream = 1;
    free(p->system), free(p->user), free(p->schema);
    p->system = dup_str(doc, "system");
    p->user = dup_str(doc, "user");
    p->schema = p->used_stage ? cb_propose_stage_schema() : cb_propose_schema();
    if (!p->system || !p->user || !p->schema)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (!p->llm) {
        if ((rc = cb_llm_new(&p->llm, err)) < 0)
            return rc;
        cb_llm_set_watch(p->llm, on_watch, p);
        cb_llm_set_coalesce(p->llm, CB_LLM_COALESCE_UI_MS);
    }
    CbLlmMessage msgs[2] = {{"system", p->system}, {"user", p->user}};
    CbLlmRequest rq = {msgs, 2, p->schema, p->used_stage ? "stage_proposals" : "proposals", 0};
    static const CbLlmCallbacks cbs = {on_delta, on_restart};
    if ((rc = cb_llm_start(p->llm, &ep, &rq, &cbs, p, &p->call, err)) < 0)
        return rc;
    p->phase = ASKING;
    schedule(p);
    return CB_OK;
}

static void job_answer(Pane *p, JobKind kind, json_t *doc, const char *why)
{
    TuiApp *app = p->app;
    CbError err;
    cb_error_clear(&err);
    const char *what = kind == JOB_QUEUE    ? "queueing"
                       : kind == JOB_PARSE  ? "the LLM's reply"
                       : kind == JOB_PROMPT ? "the LLM proposer"
                                            : "the local proposer";
    const char *etext = json_string_value(json_object_get(doc, "error"));
    if (!doc || etext) {
        if (etext)
            cb_error_set(&err, CB_EINVAL, "%s", etext);
        else
            cb_error_set(&err, CB_EIO, "%s", why);
        if (kind == JOB_QUEUE) {
            CbError e2;
            cb_error_clear(&e2);
            cb_error_set(&e2, err.code, "queueing the proposal: %s", err.text);
            tui_error(app, &e2);
            tui_reload(app);
        } else {
            set_error(p, what, &err);
        }
        return;
    }
    int rc = CB_OK;
    switch (kind) {
    case JOB_LOCAL:
    case JOB_PARSE: rc = round_done(p, doc, &err); break;
    case JOB_PROMPT: rc = ask_llm(p, doc, &err); break;
    case JOB_QUEUE: {
        if (p->job.item >= p->round.n_items)
            break;
        CbProposeItem *it = &p->round.items[p->job.item];
        json_t *runs = json_object_get(doc, "runs");
        size_t n = json_array_size(runs);
        free(it->run_ids);
        it->run_ids = calloc(n ? n : 1, sizeof *it->run_ids);
        it->n_runs = 0;
        for (size_t i = 0; it->run_ids && i < n; i++)
            it->run_ids[it->n_runs++] = (int64_t)json_integer_value(json_array_get(runs, i));
        it->proposal_id = (int64_t)json_integer_value(json_object_get(doc, "proposal"));
        tui_reload(app);
        if (tui_ensure_runner(app, &err) < 0)
            tui_error(app, &err);
        else
            tui_message(app, 0, "queued %s as run %lld%s (parent run %lld)", it->name,
                        (long long)(it->n_runs ? it->run_ids[0] : 0),
                        it->n_runs > 1 ? " and more" : "", (long long)it->parent);
        return;
    }
    default: break;
    }
    if (rc < 0)
        set_error(p, what, &err);
}

static void ask(Pane *p)
{
    TuiApp *app = p->app;
    CbError err;
    cb_error_clear(&err);
    call_end(p);
    job_stop(p);
    round_clear(p);
    cb_propose_round_init(&p->round, p->k);
    p->have_round = 1;
    p->error[0] = p->note[0] = '\0';
    cb_buf_reset(&p->pend);
    cb_buf_reset(&p->shown);
    p->streamed = 0;
    p->phase = IDLE;
    p->used_llm = p->llm_on;
    p->used_stage = p->llm_on ? p->stage : CB_STAGE_NONE;
    tui_dirty(app);
    if (!p->llm_on && p->stage) {
        cb_error_set(&err, CB_ENOTSUP,
                     "the local proposer searches settings and writes no code: p switches to "
                     "the LLM, c back to recipes");
        set_error(p, "the local proposer", &err);
        return;
    }
    if (!p->llm_on) {
        job_start(p, JOB_LOCAL, 0);
        return;
    }
    /* the LLM: the model and the budget first (the store's sums are quick) */
    const char *model = cb_config_get_string(app->cfg, "llm.model");
    p->budget = cfg_int(app->cfg, "llm.budget");
    free(p->model);
    p->model = model && *model ? strdup(model) : NULL;
    if (!model || !*model) {
        cb_error_set(&err, CB_EINVAL,
                     "llm.model is empty: set it in the config file or CODECBENCH_LLM_MODEL");
    } else if (!p->model) {
        cb_error_set(&err, CB_ENOMEM, "out of memory");
    } else if (cb_store_llm_usage(app->store, p->experiment, &p->used, &p->requests, &err) == 0 &&
               p->budget > 0 && p->used >= p->budget) {
        cb_error_set(&err, CB_ELIMIT,
                     "llm.budget reached: experiment '%s' has used %lld tokens in %lld "
                     "requests, the budget is %lld (raise llm.budget or set it to 0)",
                     p->experiment, p->used, p->requests, p->budget);
    }
    if (err.code) {
        set_error(p, "the LLM proposer", &err);
        return;
    }
    job_start(p, JOB_PROMPT, 0);
}

/* ---- the list ----------------------------------------------------------------------------------
 */

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
    if (p->job.kind != JOB_NONE) {
        tui_message(app, 0, "a proposal is being queued: a moment");
        return;
    }
    tui_message(app, 0, "queueing %s ...", it->name);
    job_start(p, JOB_QUEUE, p->cursor);
}

static void reject_item(Pane *p)
{
    TuiApp *app = p->app;
    if (!visible(p, p->cursor)) {
        tui_message(app, 0, "no proposal to reject");
        return;
    }
    CbProposeItem *it = &p->round.items[p->cursor];
    if (it->n_runs || (p->job.kind == JOB_QUEUE && p->job.item == p->cursor)) {
        tui_message(app, 0, "proposal %zu is queued already: cancel its runs instead",
                    p->cursor + 1);
        return;
    }
    /* Recorded as a proposal that queued no run: the history counts it as
     * proposed, so neither proposer offers these settings again. */
    char why[CB_PROPOSE_RATIONALE_MAX + 64];
    snprintf(why, sizeof why, "[rejected in the dashboard] %s", it->rationale);
    CbError err;
    cb_error_clear(&err);
    int64_t id = 0;
    if (cb_store_add_proposal(app->store, p->experiment, p->used_llm ? "llm" : "local", why,
                              it->recipe_json, 0, &id, &err) < 0) {
        tui_error(app, &err);
        return;
    }
    p->gone[p->cursor] = 1;
    tui_message(app, 0, "rejected %s (recorded as proposal %lld, not queued)", it->name,
                (long long)id);
    move_cursor(p, 1);
}

/* S: the stage view on the code of the proposal under the cursor, before it
 * is queued (its diff against the parent's stage); a proposal of settings
 * only says so. */
static void show_stage(Pane *p)
{
    TuiApp *app = p->app;
    if (!visible(p, p->cursor)) {
        tui_message(app, 0, "no proposal to show the stage of");
        return;
    }
    const CbProposeItem *it = &p->round.items[p->cursor];
    const char *json = it->recipe_json ? it->recipe_json : "";
    CbRecipe rec;
    memset(&rec, 0, sizeof rec);
    CbError err;
    cb_error_clear(&err);
    if (cb_recipe_parse(json, strlen(json), "proposal", &rec, &err) < 0) {
        tui_message(app, 1, "proposal %zu's recipe cannot be read: %s", p->cursor + 1, err.text);
    } else if (rec.stage_kind == CB_STAGE_NONE || !rec.stage_code || !*rec.stage_code) {
        tui_message(app, 0, "proposal %zu (%s) has no stage: it changes settings only",
                    p->cursor + 1, it->name ? it->name : "");
    } else {
        char title[96];
        if (it->n_runs)
            snprintf(title, sizeof title, "proposal %zu (queued as run %lld)", p->cursor + 1,
                     (long long)it->run_ids[0]);
        else if (p->job.kind == JOB_QUEUE && p->job.item == p->cursor)
            snprintf(title, sizeof title, "proposal %zu (being queued)", p->cursor + 1);
        else
            snprintf(title, sizeof title, "proposal %zu (not queued)", p->cursor + 1);
        tui_open_stage_text(app, title, rec.stage_kind, rec.stage_code, it->parent);
    }
    cb_recipe_free(&rec);
}

/* ---- drawing ------------------------------------------------------------------------------------
 */

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
static int draw_tail(TuiApp *app, int y, int x, int w, int h, attr_t a, const char *text,
                     size_t len)
{
    if (h <= 0 || w <= 0)
        return 0;
    size_t off[64], ln[64];
    Lines l = {text, off, ln, 0, (size_t)(h < 64 ? h : 64), 0};
    /* Only the tail can show: h rows of w columns are at most h * w * 4
     * bytes (UTF-8), so the text before that is not wrapped at all (a long
     * reply costs the rows shown, not its length).  The scan starts after a
     * line break where there is one, else at a character. */
    size_t window = (size_t)h * (size_t)w * 4 + 1, start = len > window ? len - window : 0;
    if (start > 0) {
        const char *nl = memchr(text + start, '\n', len - start);
        if (nl && nl + 1 < text + len)
            start = (size_t)(nl + 1 - text);
        else
            while (start < len && ((unsigned char)text[start] & 0xC0) == 0x80)
                start++;
    }
    for (size_t i = start; i <= len; i++) {
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
        snprintf(f, sizeof f, "%.*s", (int)(part.field_len < 250 ? part.field_len : 250),
                 part.field);
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

/* Draws proposal i from line y (not past bottom); returns the next line. */
static int draw_item(Pane *p, TuiApp *app, TuiRect r, int y, int bottom, size_t i)
{
    const CbProposeItem *it = &p->round.items[i];
    int x = r.x + 1, w = r.w - 2;
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
    int room = bottom - y, want = cur ? 4 : 2;
    if (room > 0)
        y += draw_para(app, y, x + 3, w - 3, want < room ? want : room, A_NORMAL, it->rationale);
    room = bottom - y;
    want = cur ? 3 : 1;
    if (room > 0) {
        if (it->diff && *it->diff)
            y += draw_diff(app, y, x + 3, w - 3, want < room ? want : room, it->diff);
        else
            tui_text(app, y++, x + 3, w - 3, A_DIM, "(no parent to compare with)");
    }
    return y;
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
            n += tui_textf(app, y, x + n, w - n, ha, ", budget %lld", p->budget);
        if (p->stage)
            tui_textf(app, y, x + n, w - n, ha | A_BOLD, "  %s stages",
                      cb_stage_kind_name((int)p->stage));
        y++;
    }
    /* the model's stage edits that failed to apply (issue 8) */
    if (p->edits_line[0] && (p->llm_on || p->used_llm) && y < bottom)
        tui_text(app, y++, x, w, ha, p->edits_line);
    if (p->evo_line[0] && y < bottom)
        tui_text(app, y++, x, w, p->evo_running ? tui_attr(app, CB_AREA_RUNNING) : A_DIM,
                 p->evo_line);
    if (p->phase == WORKING && y < bottom) {
        const char *what = p->job.kind == JOB_PROMPT
                               ? "writing the request from the experiment's history"
                           : p->job.kind == JOB_PARSE ? "checking the proposals against the history"
                                                      : "the local proposer is searching";
        tui_textf(app, y++, x, w, A_DIM, "%s ... (keys work meanwhile)", what);
    }
    if (p->used_llm && y < bottom && (p->phase != WORKING || p->job.kind == JOB_PARSE)) {
        /* the request: collapsed to its size unless asked for */
        size_t ub = p->user ? strlen(p->user) : 0, sb = p->system ? strlen(p->system) : 0;
        tui_textf(app, y++, x, w, A_DIM,
                  "%s request to %s: system %zu bytes, user %zu bytes (P %s)",
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
                tui_textf(app, y++, x, w, ha,
                          "reply (%zu bytes, %lld + %lld tokens%s):", p->shown.len,
                          p->round.usage.prompt_tokens, p->round.usage.completion_tokens,
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
    /* The list from p->first on; when the cursor's proposal does not fit
     * whole, the list starts one proposal later (at most n redraws). */
    if (p->first > p->cursor)
        p->first = p->cursor;
    int top = y;
    for (;;) {
        int cursor_fits = 0;
        y = top;
        for (size_t i = 0; i < CB_PROPOSE_MAX_K; i++)
            p->item_y0[i] = p->item_y1[i] = -1;
        for (size_t i = p->first; i < p->round.n_items && y < bottom; i++) {
            if (!visible(p, i))
                continue;
            int y0 = y;
            y = draw_item(p, app, r, y, bottom, i);
            if (i < CB_PROPOSE_MAX_K)
                p->item_y0[i] = y0, p->item_y1[i] = y;
            if (i == p->cursor && y <= bottom)
                cursor_fits = y < bottom || i + 1 == p->round.n_items;
        }
        if (cursor_fits || p->first >= p->cursor)
            break;
        p->first++;
        tui_clear_rect(app, (TuiRect){top, r.x, bottom - top, r.w});
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

/* ---- the evolve loop (A): codecbench evolve, driven by the runner
 * ------------------------------------ */

/* The evolve's state in one line ("auto-evolve: running, generation 3 of 10,
 * ..."), read from STORE/evolve/NAME.json (a small file: cheap each tick). */
static void evolve_refresh(Pane *p)
{
    CbEvolveState st;
    memset(&st, 0, sizeof st);
    CbError err;
    cb_error_clear(&err);
    char line[sizeof p->evo_line];
    p->evo_running = 0;
    int rc =
        p->experiment ? cb_evolve_read(p->app->store_dir, p->experiment, &st, &err) : CB_ENOENT;
    if (rc == CB_ENOENT) {
        snprintf(line, sizeof line, "auto-evolve: off (A starts one)");
    } else if (rc < 0) {
        snprintf(line, sizeof line, "auto-evolve: %.300s", err.text);
    } else {
        p->evo_running = st.status == CB_EVOLVE_RUNNING;
        char front[160] = "";
        if (st.n_front)
            snprintf(front, sizeof front, "; front of %zu (best %+.2f%% at %.1f fps)", st.n_front,
                     st.front[0].bd_rate, st.front[0].fps);
        snprintf(line, sizeof line,
                 "auto-evolve: %s, generation %zu of %d, %d per generation, %s%s%s%s%s",
                 cb_evolve_status_name(st.status), st.n_gens, st.generations, st.per_generation,
                 st.proposer ? st.proposer : "?", front, st.reason ? ": " : "",
                 st.reason ? st.reason : "",
                 p->evo_running ? " (A stops it)" : " (A starts another)");
    }
    cb_evolve_state_free(&st);
    if (strcmp(line, p->evo_line)) {
        memcpy(p->evo_line, line, sizeof line);
        tui_dirty(p->app);
    }
    p->evo_read_at = now_ms();
}

static void cmd_done(Pane *p, int status)
{
    TuiApp *app = p->app;
    /* the command's last line of output says what it did */
    char last[300] = "";
    const char *s = p->cmd_out.data ? p->cmd_out.data : "";
    size_t n = p->cmd_out.len;
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        n--;
    size_t b = n;
    while (b > 0 && s[b - 1] != '\n')
        b--;
    snprintf(last, sizeof last, "%.*s", (int)(n - b < 290 ? n - b : 290), s + b);
    if (status != 0)
        tui_message(app, 1, "codecbench evolve failed: %s", last[0] ? last : "(no output)");
    else
        tui_message(app, 0, "%s", last[0] ? last : "codecbench evolve: done");
    cb_buf_reset(&p->cmd_out);
    tui_reload(app);
    evolve_refresh(p);
}

/* The codecbench binary: the app's, or this process's own. */
static const char *exe_path(const TuiApp *app)
{
    return app->exe ? app->exe : "/proc/self/exe";
}

/* The command's output goes to an unlinked temporary file, not a pipe: the
 * runner it starts inherits its standard output, and a pipe would neither
 * end (no end of file while the runner lives) nor be safe to close (the
 * runner's next write would die of SIGPIPE).  Its end is seen on the tick
 * (waitpid WNOHANG). */
static void cmd_poll(Pane *p)
{
    if (p->cmd_pid <= 0)
        return;
    int status = 0;
    pid_t w = waitpid(p->cmd_pid, &status, WNOHANG);
    if (w == 0 || (w < 0 && errno == EINTR))
        return;
    p->cmd_pid = 0;
    cb_buf_reset(&p->cmd_out);
    if (p->cmd_fd >= 0) {
        off_t size = lseek(p->cmd_fd, 0, SEEK_END);
        off_t from = size > 4096 ? size - 4096 : 0;
        char buf[4097];
        ssize_t n = size > 0 ? pread(p->cmd_fd, buf, sizeof buf - 1, from) : 0;
        if (n > 0)
            cb_buf_append(&p->cmd_out, buf, (size_t)n);
        close(p->cmd_fd);
        p->cmd_fd = -1;
    }
    cmd_done(p, w < 0 ? 128 : WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}

/* Runs `codecbench ARGS...` in a child; cmd_poll sees it end. */
static void cmd_start(Pane *p, char *const argv[])
{
    TuiApp *app = p->app;
    const char *dir = getenv("TMPDIR");
    char path[512];
    if (snprintf(path, sizeof path, "%s/codecbench-evolve-XXXXXX", dir && *dir ? dir : "/tmp") >=
        (int)sizeof path) {
        tui_message(app, 1, "TMPDIR is too long");
        return;
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        tui_message(app, 1, "a temporary file in %s: %s", dir && *dir ? dir : "/tmp",
                    strerror(errno));
        return;
    }
    unlink(path);
    pid_t pid = fork();
    if (pid < 0) {
        tui_message(app, 1, "fork: %s", strerror(errno));
        close(fd);
        return;
    }
    if (pid == 0) {
        int dn = open("/dev/null", O_RDONLY);
        if (dn >= 0)
            dup2(dn, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv);
        _exit(127);
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    p->cmd_pid = pid;
    p->cmd_fd = fd;
}

static void on_generations(void *ctx, TuiApp *app, const char *text)
{
    Pane *p = ctx;
    if (!text)
        return;
    char *end = NULL;
    errno = 0;
    long g = strtol(text, &end, 10);
    while (end && *end == ' ')
        end++;
    if (errno || !end || *end || end == text || g < 1 || g > CB_EVOLVE_MAX_GENERATIONS) {
        tui_message(app, 1, "generations: a number from 1 to %d, not '%s'",
                    CB_EVOLVE_MAX_GENERATIONS, text);
        return;
    }
    char gens[24], k[24];
    snprintf(gens, sizeof gens, "%ld", g);
    snprintf(k, sizeof k, "%d", p->k);
    char *argv[] = {(char *)exe_path(app),
                    "evolve",
                    "--generations",
                    gens,
                    "--per-generation",
                    k,
                    "--proposer",
                    p->llm_on ? "llm" : "local",
                    "--experiment",
                    p->experiment,
                    "--detach",
                    "--store",
                    (char *)app->store_dir,
                    NULL,
                    NULL,
                    NULL};
    if (p->llm_on && p->stage) {
        /* the LLM's rounds write stages of the pane's kind */
        argv[13] = "--stage";
        argv[14] = (char *)cb_stage_kind_name((int)p->stage);
    }
    tui_message(app, 0, "starting an evolve of %ld generations ...", g);
    cmd_start(p, argv);
}

static void auto_evolve(Pane *p)
{
    TuiApp *app = p->app;
    if (!p->experiment)
        return;
    if (p->cmd_pid > 0) {
        tui_message(app, 0, "codecbench evolve is still answering: a moment");
        return;
    }
    evolve_refresh(p);
    if (p->evo_running) {
        char *argv[] = {(char *)exe_path(app),  "evolve",      "--stop",
                        "--experiment",         p->experiment, "--store",
                        (char *)app->store_dir, NULL};
        tui_message(app, 0, "stopping the evolve ...");
        cmd_start(p, argv);
        return;
    }
    if (tui_prompt(app, "evolve: generations of K proposals (Enter starts, Esc cancels): ", "10",
                   on_generations, p) < 0)
        tui_message(app, 0, "another question is open");
}

/* ---- keys and events
 * ------------------------------------------------------------------------------ */

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
    case CB_REQ_STAGE: show_stage(p); return 1;
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
    case CB_REQ_AUTO_EVOLVE: auto_evolve(p); return 1;
    case CB_REQ_STAGE_MODE:
        /* recipes, then each stage kind, then recipes again */
        p->stage = p->stage == CB_STAGE_NONE          ? CB_STAGE_INTRA
                   : p->stage == CB_STAGE_INTRA       ? CB_STAGE_LOOP_FILTER
                   : p->stage == CB_STAGE_LOOP_FILTER ? CB_STAGE_TRANSFORM
                                                      : CB_STAGE_NONE;
        if (!p->stage)
            tui_message(app, 0, "the LLM proposes recipes (L asks)");
        else
            tui_message(app, 0, "the LLM writes %s stages (L asks%s)",
                        cb_stage_kind_name((int)p->stage),
                        p->llm_on ? "" : "; the local proposer writes no code: p switches");
        edits_refresh(p);
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
    if (ev->type == TUI_EV_TICK || ev->type == TUI_EV_RELOAD) {
        cmd_poll(p);
        /* the evolve's state, every 2 s at most (a small file) */
        if (p->experiment && (ev->type == TUI_EV_RELOAD || now_ms() - p->evo_read_at > 2000))
            evolve_refresh(p);
        return;
    }
    if (ev->type == TUI_EV_MOUSE) {
        if (ev->button == 4 || ev->button == 5) {
            move_cursor(p, ev->button == 4 ? -1 : 1);
            return;
        }
        for (size_t i = 0; ev->button == 1 && i < p->round.n_items && i < CB_PROPOSE_MAX_K; i++)
            if (visible(p, i) && ev->y >= p->item_y0[i] && ev->y < p->item_y1[i]) {
                p->cursor = i; /* selects only: queueing runs takes Enter */
                tui_dirty(app);
            }
        return;
    }
    if (ev->type != TUI_EV_SHOW)
        return;
    const CbRunInfo *run = tui_run(app, ev->run_id > 0 ? ev->run_id : app->cursor_run);
    const char *exp = run && run->experiment  ? run->experiment
                      : app->priv->experiment ? app->priv->experiment
                                              : "default";
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
    p->evo_line[0] = '\0';
    evolve_refresh(p);
    edits_refresh(p);
    ask(p);
}

static const char *pane_hint(void *self, TuiApp *app)
{
    (void)app;
    Pane *p = self;
    return p->hint[0] ? p->hint : NULL;
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

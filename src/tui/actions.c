/* codecbench dashboard: what keys do to runs (see actions.h).  Each action
 * goes through the same core calls as the CLI's subcommands: child runs
 * (cb_store_child_request, as `rerun`), cb_store_request_cancel (`cancel`),
 * cb_store_delete_run (`rm`), cb_store_set_anchor (`anchor`), cb_store_tag
 * (`tag`), cb_store_note (`note`) and cb_store_queue_run (`run`).
 *
 * Modal questions: tui_prompt always calls back (with NULL on Esc), so its
 * context may be allocated and freed there; tui_confirm calls back only on
 * 'y', so a confirm's context is never allocated (a run id, or the marks,
 * which cannot change while the question is open). */
#define _GNU_SOURCE /* mkstemps */
#include "tui/actions.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/fsutil.h"
#include "codecbench/recipe.h"

/* Runs named in one question or message; more are counted ("and 12 more"). */
#define NAMED_MAX 6
/* Bytes of a recipe name or file name quoted in a question. */
#define QUOTE_MAX 40

/* "12, 14, 15 and 3 more" into buf. */
static void id_list(char *buf, size_t cap, const int64_t *ids, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < NAMED_MAX; i++) {
        int k = snprintf(buf + used, cap - used, "%s%lld", i ? ", " : "", (long long)ids[i]);
        if (k < 0 || (size_t)k >= cap - used)
            return;
        used += (size_t)k;
    }
    if (n > NAMED_MAX)
        snprintf(buf + used, cap - used, " and %zu more", n - NAMED_MAX);
}

size_t tui_action_targets(const TuiApp *app, int64_t cursor, int64_t *ids, size_t cap)
{
    size_t n = 0;
    const int64_t *marked = tui_marked(app, &n);
    if (n > 0) {
        size_t k = n < cap ? n : cap;
        memcpy(ids, marked, k * sizeof *ids);
        return k;
    }
    if (cursor > 0 && cap > 0) {
        ids[0] = cursor;
        return 1;
    }
    return 0;
}

static int no_targets(TuiApp *app, size_t n, const char *what)
{
    if (n > 0)
        return 0;
    tui_message(app, 1, "%s: no run under the cursor and none marked", what);
    return 1;
}

static void after_queue(TuiApp *app)
{
    CbError err;
    cb_error_clear(&err);
    tui_reload(app);
    if (tui_ensure_runner(app, &err) < 0)
        tui_error(app, &err);
}

/* ---- rerun ------------------------------------------------------------------ */

/* Queues a child of run id with recipe text (NULL: the parent's); *new_id. */
static int queue_child(TuiApp *app, int64_t id, const char *origin, const char *text,
                       int64_t *new_id, CbError *err)
{
    CbChildRun child;
    int rc = cb_store_child_request(app->store, id, origin, &child, err);
    if (rc < 0)
        return rc;
    if (text) {
        child.req.recipe_json = text;
        child.req.recipe_source = "the edited recipe";
    }
    rc = cb_store_queue_run(app->store, &child.req, new_id, err);
    cb_child_run_free(&child);
    return rc;
}

void tui_action_rerun(TuiApp *app, const int64_t *ids, size_t n)
{
    if (no_targets(app, n, "rerun"))
        return;
    size_t queued = 0;
    int64_t first = 0, last = 0;
    CbError err;
    cb_error_clear(&err);
    for (size_t i = 0; i < n; i++) {
        int64_t new_id = 0;
        if (queue_child(app, ids[i], "rerun", NULL, &new_id, &err) < 0) {
            cb_error_prefix(&err, "rerun of run %lld", (long long)ids[i]);
            break;
        }
        if (!queued++)
            first = new_id;
        last = new_id;
    }
    if (queued)
        after_queue(app);
    if (err.code)
        tui_error(app, &err);
    else if (n == 1)
        tui_message(app, 0, "run %lld queued again as run %lld (its child)", (long long)ids[0],
                    (long long)first);
    else
        tui_message(app, 0, "%zu runs queued again as runs %lld..%lld", queued,
                    (long long)first, (long long)last);
}

/* ---- edit ------------------------------------------------------------------- */

typedef struct EditCtx {
    int64_t id;
    char *text; /* the text as last edited (the next edit starts from it), or NULL */
} EditCtx;

static void edit_run(TuiApp *app, EditCtx *ctx);

static void edit_again(void *opaque, TuiApp *app, const char *answer)
{
    EditCtx *ctx = opaque;
    if (answer && (answer[0] == '\0' || answer[0] == 'y' || answer[0] == 'Y')) {
        edit_run(app, ctx);
        return;
    }
    tui_message(app, 0, "edit of run %lld dropped: nothing queued", (long long)ctx->id);
    free(ctx->text);
    free(ctx);
}

/* Writes text to a new private file under $TMPDIR; *path (free()). */
static int write_temp(int64_t id, const char *text, char **path, CbError *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || dir[0] != '/')
        dir = "/tmp";
    size_t cap = strlen(dir) + 64;
    char *p = malloc(cap);
    if (!p)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int k = snprintf(p, cap, "%s/codecbench-run%lld-XXXXXX.json", dir, (long long)id);
    if (k < 0 || (size_t)k >= cap) {
        free(p);
        return cb_error_set(err, CB_EINVAL, "edit: the temporary file's name does not fit");
    }
    int fd = mkstemps(p, 5);
    if (fd < 0) {
        int e = errno;
        free(p);
        return cb_error_set(err, CB_EIO, "edit: cannot make a temporary file in %s: %s", dir,
                            strerror(e));
    }
    int rc = CB_OK;
    size_t len = strlen(text), off = 0;
    if (fchmod(fd, 0600) < 0)
        rc = cb_error_set(err, CB_EIO, "%s: %s", p, strerror(errno));
    while (rc == CB_OK && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            rc = cb_error_set(err, CB_EIO, "%s: %s", p, strerror(errno));
        else
            off += (size_t)w;
    }
    if (close(fd) < 0 && rc == CB_OK)
        rc = cb_error_set(err, CB_EIO, "%s: %s", p, strerror(errno));
    if (rc < 0) {
        unlink(p);
        free(p);
        return rc;
    }
    *path = p;
    return CB_OK;
}

/* Runs the user's editor on path: $VISUAL, else $EDITOR, else vi.  The
 * editor string may hold arguments ("code --wait"), so the shell reads it;
 * the path reaches the editor as "$1", never pasted into the command. */
static int run_editor(TuiApp *app, const char *path, CbError *err)
{
    const char *ed = getenv("VISUAL");
    if (!ed || !*ed)
        ed = getenv("EDITOR");
    if (!ed || !*ed)
        ed = "vi";
    size_t cap = strlen(ed) + 8;
    char *cmd = malloc(cap);
    if (!cmd)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int k = snprintf(cmd, cap, "%s \"$1\"", ed);
    if (k < 0 || (size_t)k >= cap) {
        free(cmd);
        return cb_error_set(err, CB_EINVAL, "edit: the editor's command does not fit");
    }
    char *argv[] = {"/bin/sh", "-c", cmd, "codecbench-editor", (char *)path, NULL};
    int st = tui_run_foreground(app, argv, err);
    free(cmd);
    if (st > 0)
        return cb_error_set(err, CB_EEXTERNAL,
                            "the editor (%s) exited with status %d: nothing queued", ed, st);
    return st;
}

static void edit_run(TuiApp *app, EditCtx *ctx)
{
    CbError err;
    cb_error_clear(&err);
    CbChildRun child;
    char *path = NULL, *text = NULL;
    size_t len = 0;
    int keep_ctx = 0;
    int rc = cb_store_child_request(app->store, ctx->id, "edit", &child, &err);
    if (rc < 0) {
        tui_error(app, &err);
        goto done_ctx;
    }
    rc = write_temp(ctx->id, ctx->text ? ctx->text : child.parent_recipe, &path, &err);
    if (rc == CB_OK)
        rc = run_editor(app, path, &err);
    if (rc == CB_OK)
        rc = cb_file_read(path, CB_RECIPE_MAX_BYTES, &text, &len, &err);
    if (path)
        unlink(path);
    if (rc < 0) {
        tui_error(app, &err);
        goto done;
    }
    rc = cb_store_child_check(&child, text, len, "edited", &err);
    if (rc == CB_CHILD_SAME) {
        tui_message(app, 0, "run %lld's recipe is unchanged: nothing queued", (long long)ctx->id);
    } else if (rc == CB_CHILD_SAME_SETTINGS) {
        tui_message(app, 0,
                    "the edited recipe runs what run %lld ran (only the note or layout "
                    "changed): nothing queued; rerun it to run it again",
                    (long long)ctx->id);
    } else if (rc < 0) {
        /* Keep what was typed: the next edit starts from it. */
        free(ctx->text);
        ctx->text = text;
        text = NULL;
        /* the question first: a long reason is cut at the end of the line */
        char q[CB_ERROR_TEXT_MAX + 64];
        snprintf(q, sizeof q, "Edit again? [Y/n] %s:", err.text);
        if (tui_prompt(app, q, "", edit_again, ctx) == 0)
            keep_ctx = 1;
        else
            tui_error(app, &err);
    } else {
        int64_t new_id = 0;
        child.req.recipe_json = text;
        child.req.recipe_source = "the edited recipe";
        if (cb_store_queue_run(app->store, &child.req, &new_id, &err) < 0) {
            tui_error(app, &err);
        } else {
            after_queue(app);
            tui_message(app, 0, "run %lld queued: run %lld's recipe as edited (its child)",
                        (long long)new_id, (long long)ctx->id);
        }
    }
done:
    free(text);
    free(path);
    cb_child_run_free(&child);
done_ctx:
    if (!keep_ctx) {
        free(ctx->text);
        free(ctx);
    }
}

void tui_action_edit(TuiApp *app, int64_t id)
{
    if (no_targets(app, id > 0, "edit"))
        return;
    EditCtx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        tui_message(app, 1, "edit: out of memory");
        return;
    }
    ctx->id = id;
    edit_run(app, ctx);
}

/* ---- new run ----------------------------------------------------------------- */

typedef struct NewRunCtx {
    char *recipe_path;   /* as typed, ~ expanded */
    char *recipe_text;   /* read and validated */
    char *experiment;    /* the cursor run's, or NULL ("default") */
    char *input;         /* the cursor run's input, the default clip */
    int64_t first_frame, frames; /* the cursor run's range, used on its input */
} NewRunCtx;

static void new_run_free(NewRunCtx *c)
{
    if (!c)
        return;
    free(c->recipe_path);
    free(c->recipe_text);
    free(c->experiment);
    free(c->input);
    free(c);
}

/* text with a leading "~/" made $HOME's; a new string or NULL. */
static char *expand_home(const char *text)
{
    const char *home = getenv("HOME");
    if (text[0] == '~' && (text[1] == '/' || text[1] == '\0') && home && *home) {
        size_t cap = strlen(home) + strlen(text) + 1;
        char *p = malloc(cap);
        if (p && snprintf(p, cap, "%s%s", home, text + 1) < 0)
            p[0] = '\0';
        return p;
    }
    return strdup(text);
}

/* Trims spaces at both ends in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static void new_run_clip(void *opaque, TuiApp *app, const char *answer)
{
    NewRunCtx *c = opaque;
    CbError err;
    cb_error_clear(&err);
    char *typed = NULL, *input = NULL;
    struct stat st;
    if (!answer) {
        tui_message(app, 0, "new run: cancelled");
        goto out;
    }
    typed = strdup(answer);
    if (!typed || !(input = expand_home(trim(typed)))) {
        tui_message(app, 1, "new run: out of memory");
        goto out;
    }
    if (!*input) {
        tui_message(app, 1, "new run: no clip given: nothing queued");
        goto out;
    }
    if (stat(input, &st) < 0 || access(input, R_OK) < 0) {
        tui_message(app, 1, "new run: %s: %s: nothing queued", input, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        tui_message(app, 1, "new run: %s is not a regular file: nothing queued", input);
        goto out;
    }
    /* On the cursor run's own input, the same frame range, so the two
     * compare; another clip is encoded whole. */
    int same = c->input && strcmp(input, c->input) == 0;
    CbRunRequest req = {
        .experiment = c->experiment,
        .recipe_json = c->recipe_text,
        .recipe_source = c->recipe_path,
        .input = input,
        .first_frame = same ? c->first_frame : 0,
        .frames = same ? c->frames : -1,
        .parent = 0,
        .origin = "user",
    };
    int64_t id = 0;
    if (cb_store_queue_run(app->store, &req, &id, &err) < 0) {
        tui_error(app, &err);
        goto out;
    }
    after_queue(app);
    tui_message(app, 0, "run %lld queued: %s on %s (%s) in experiment %s", (long long)id,
                tui_basename(c->recipe_path), tui_basename(input),
                same && c->frames > 0 ? "the cursor run's frames" : "all frames",
                c->experiment ? c->experiment : "default");
out:
    free(typed);
    free(input);
    new_run_free(c);
}

static void new_run_recipe(void *opaque, TuiApp *app, const char *answer)
{
    NewRunCtx *c = opaque;
    CbError err;
    cb_error_clear(&err);
    char *typed = NULL;
    size_t len = 0;
    CbRecipe r = {0};
    if (!answer) {
        tui_message(app, 0, "new run: cancelled");
        goto fail;
    }
    typed = strdup(answer);
    if (!typed || !(c->recipe_path = expand_home(trim(typed)))) {
        tui_message(app, 1, "new run: out of memory");
        goto fail;
    }
    if (!*c->recipe_path) {
        tui_message(app, 1, "new run: no recipe file given: nothing queued");
        goto fail;
    }
    if (cb_file_read(c->recipe_path, CB_RECIPE_MAX_BYTES, &c->recipe_text, &len, &err) < 0 ||
        cb_recipe_parse(c->recipe_text, len, c->recipe_path, &r, &err) < 0) {
        cb_error_prefix(&err, "new run");
        tui_error(app, &err);
        goto fail;
    }
    cb_recipe_free(&r);
    free(typed);
    if (tui_prompt(app, "Clip (a video file):", c->input ? c->input : "", new_run_clip, c) < 0) {
        tui_message(app, 1, "new run: another question is open");
        new_run_free(c);
    }
    return;
fail:
    free(typed);
    new_run_free(c);
}

/* The recipe file offered first: the cursor run's own recipe.json (a real
 * file that queues that recipe again elsewhere), else the installed or
 * source tree's samples/recipes/default.json. */
static char *default_recipe(const TuiApp *app, int64_t cursor)
{
    if (cursor > 0 && tui_run(app, cursor)) {
        char *dir = cb_store_run_dir(app->store, cursor);
        char *p = dir ? cb_path_join(dir, "recipe.json") : NULL;
        free(dir);
        if (p && access(p, R_OK) == 0)
            return p;
        free(p);
    }
    /* $CODECBENCH_RECIPES (as `codecbench demo`), the installed recipes
     * beside the installed themes (PKGDATADIR), the source tree's */
    const char *env = getenv("CODECBENCH_RECIPES");
    char *p = env && *env ? cb_path_join(env, "default.json") : NULL;
    if (p && access(p, R_OK) == 0)
        return p;
    free(p);
    const char *themes = cb_config_themes_dir();
    const char *slash = themes ? strrchr(themes, '/') : NULL;
    if (slash) {
        size_t cap = (size_t)(slash - themes) + sizeof "/recipes/default.json";
        p = malloc(cap);
        if (p && snprintf(p, cap, "%.*s/recipes/default.json", (int)(slash - themes), themes) > 0 &&
            access(p, R_OK) == 0)
            return p;
        free(p);
    }
    if (access("samples/recipes/default.json", R_OK) == 0)
        return strdup("samples/recipes/default.json");
    return strdup("");
}

void tui_action_new_run(TuiApp *app, int64_t cursor)
{
    NewRunCtx *c = calloc(1, sizeof *c);
    char *dflt = NULL;
    if (!c)
        goto oom;
    const CbRunInfo *r = cursor > 0 ? tui_run(app, cursor) : NULL;
    if (r) {
        if ((r->experiment && !(c->experiment = strdup(r->experiment))) ||
            (r->input && !(c->input = strdup(r->input))))
            goto oom;
        c->first_frame = r->first_frame;
        c->frames = r->frames;
    }
    if (!(dflt = default_recipe(app, cursor)))
        goto oom;
    if (tui_prompt(app, "Recipe file:", dflt, new_run_recipe, c) < 0) {
        tui_message(app, 1, "new run: another question is open");
        new_run_free(c);
    }
    free(dflt);
    return;
oom:
    free(dflt);
    new_run_free(c);
    tui_message(app, 1, "new run: out of memory");
}

/* ---- cancel ------------------------------------------------------------------- */

void tui_action_cancel(TuiApp *app, const int64_t *ids, size_t n)
{
    if (no_targets(app, n, "cancel"))
        return;
    size_t cancelled = 0, flagged = 0, skipped = 0;
    int64_t one = 0;
    CbError err;
    cb_error_clear(&err);
    for (size_t i = 0; i < n; i++) {
        const CbRunInfo *r = tui_run(app, ids[i]);
        if (!r) {
            skipped++;
            continue;
        }
        CbRunStatus st = r->status;
        if (st != CB_RUN_QUEUED && st != CB_RUN_RUNNING && st != CB_RUN_VERIFYING) {
            skipped++;
            continue;
        }
        if (cb_store_request_cancel(app->store, ids[i], &err) < 0) {
            /* It may have finished since the last reload: counted as skipped. */
            if (err.code == CB_EINVAL) {
                skipped++;
                cb_error_clear(&err);
                continue;
            }
            break;
        }
        one = ids[i];
        if (st == CB_RUN_QUEUED)
            cancelled++;
        else
            flagged++;
    }
    if (cancelled || flagged)
        tui_reload(app);
    /* a flagged run is stopped by the runner: make sure one is up */
    if (flagged) {
        CbError e2;
        cb_error_clear(&e2);
        if (tui_ensure_runner(app, &e2) < 0 && !err.code)
            err = e2;
    }
    if (err.code) {
        tui_error(app, &err);
        return;
    }
    if (n == 1 && skipped)
        tui_message(app, 0, "run %lld has finished: nothing to cancel", (long long)ids[0]);
    else if (n == 1 && cancelled)
        tui_message(app, 0, "run %lld cancelled", (long long)one);
    else if (n == 1)
        tui_message(app, 0, "run %lld: cancel requested (its worker gets SIGTERM)",
                    (long long)one);
    else
        tui_message(app, 0, "%zu queued runs cancelled, %zu running asked to stop; %zu finished "
                    "skipped", cancelled, flagged, skipped);
}

/* ---- delete ------------------------------------------------------------------- */

/* The confirm's context: the run id (run ids are > 0), or NULL for the
 * marked runs (which cannot change while the question is open). */
#define DELETE_MARKED NULL

static void delete_ids(TuiApp *app, const int64_t *ids, size_t n)
{
    size_t done = 0, busy = 0;
    CbError err;
    cb_error_clear(&err);
    for (size_t i = 0; i < n; i++) {
        if (cb_store_delete_run(app->store, ids[i], &err) < 0) {
            if (err.code == CB_EBUSY) {
                busy++;
                cb_error_clear(&err);
                continue;
            }
            break;
        }
        done++;
    }
    if (done)
        tui_reload(app);
    if (err.code)
        tui_error(app, &err);
    else if (busy)
        tui_message(app, 1, "%zu run(s) deleted; %zu started running meanwhile and were kept "
                    "(cancel first)", done, busy);
    else if (n == 1)
        tui_message(app, 0, "run %lld deleted ('codecbench gc' frees its space)",
                    (long long)ids[0]);
    else
        tui_message(app, 0, "%zu runs deleted ('codecbench gc' frees their space)", done);
}

static void delete_yes(void *opaque, TuiApp *app)
{
    if (opaque == DELETE_MARKED) {
        size_t n = 0;
        const int64_t *m = tui_marked(app, &n);
        int64_t *copy = n ? malloc(n * sizeof *copy) : NULL;
        if (n && !copy) {
            tui_message(app, 1, "delete: out of memory: nothing deleted");
            return;
        }
        if (n)
            memcpy(copy, m, n * sizeof *copy);
        /* deleted runs leave the marks at the reload */
        delete_ids(app, copy, n);
        free(copy);
        return;
    }
    int64_t id = (int64_t)(uintptr_t)opaque;
    delete_ids(app, &id, 1);
}

static int same_as_marks(const TuiApp *app, const int64_t *ids, size_t n)
{
    size_t nm = 0;
    const int64_t *m = tui_marked(app, &nm);
    if (nm != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (m[i] != ids[i])
            return 0;
    return 1;
}

void tui_action_delete(TuiApp *app, const int64_t *ids, size_t n)
{
    if (no_targets(app, n, "delete"))
        return;
    for (size_t i = 0; i < n; i++) {
        const CbRunInfo *r = tui_run(app, ids[i]);
        if (r && (r->status == CB_RUN_RUNNING || r->status == CB_RUN_VERIFYING)) {
            tui_message(app, 1, "run %lld is %s: cancel it first (nothing deleted)",
                        (long long)ids[i], cb_run_status_name(r->status));
            return;
        }
    }
    char q[512];
    void *ctx;
    if (n == 1) {
        const CbRunInfo *r = tui_run(app, ids[0]);
        if (!r || (uint64_t)ids[0] > (uint64_t)UINTPTR_MAX) {
            tui_message(app, 1, "delete: no run %lld", (long long)ids[0]);
            return;
        }
        snprintf(q, sizeof q, "Delete run %lld (%.*s on %.*s) and its files?",
                 (long long)ids[0], QUOTE_MAX, r->recipe_name ? r->recipe_name : "?", QUOTE_MAX,
                 tui_basename(r->input));
        ctx = (void *)(uintptr_t)ids[0];
    } else {
        if (!same_as_marks(app, ids, n)) {
            tui_message(app, 1, "delete: mark the runs to delete (nothing deleted)");
            return;
        }
        char list[128];
        id_list(list, sizeof list, ids, n);
        snprintf(q, sizeof q, "Delete %zu marked runs (%s) and their files?", n, list);
        ctx = DELETE_MARKED;
    }
    if (tui_confirm(app, q, delete_yes, ctx) < 0)
        tui_message(app, 1, "delete: another question is open");
}

/* ---- anchor ------------------------------------------------------------------- */

void tui_action_anchor(TuiApp *app, int64_t id)
{
    if (no_targets(app, id > 0, "anchor"))
        return;
    const CbRunInfo *r = tui_run(app, id);
    if (!r) {
        tui_message(app, 1, "anchor: no run %lld", (long long)id);
        return;
    }
    const char *exp = r->experiment ? r->experiment : "default";
    for (size_t i = 0; i < app->n_experiments; i++) {
        const CbExperimentInfo *e = &app->experiments[i];
        if (e->name && strcmp(e->name, exp) == 0 && e->anchor_hash && r->recipe_hash &&
            strcmp(e->anchor_hash, r->recipe_hash) == 0) {
            tui_message(app, 0, "%s is already the anchor of experiment %s",
                        r->recipe_name ? r->recipe_name : "this recipe", exp);
            return;
        }
    }
    CbError err;
    cb_error_clear(&err);
    char *text = NULL;
    char source[64];
    snprintf(source, sizeof source, "run %lld's recipe", (long long)id);
    /* copies: the reload frees r */
    char *name = strdup(r->recipe_name ? r->recipe_name : "?"), *ename = strdup(exp);
    if (!name || !ename) {
        tui_message(app, 1, "anchor: out of memory");
    } else if (cb_store_get_recipe(app->store, id, &text, &err) < 0 ||
               cb_store_set_anchor(app->store, ename, text, source, &err) < 0) {
        tui_error(app, &err);
    } else {
        tui_reload(app);
        tui_message(app, 0, "experiment %s: anchor is now %s (run %lld's recipe); BD figures "
                    "recomputed", ename, name, (long long)id);
    }
    free(text);
    free(name);
    free(ename);
}

/* ---- tags and notes --------------------------------------------------------------- */

typedef struct IdsCtx {
    size_t n;
    int64_t ids[];
} IdsCtx;

static IdsCtx *ids_ctx(const int64_t *ids, size_t n)
{
    IdsCtx *c = malloc(sizeof *c + n * sizeof *ids);
    if (c) {
        c->n = n;
        memcpy(c->ids, ids, n * sizeof *ids);
    }
    return c;
}

static void tag_done(void *opaque, TuiApp *app, const char *answer)
{
    IdsCtx *c = opaque;
    char *copy = answer ? strdup(answer) : NULL;
    CbError err;
    cb_error_clear(&err);
    size_t added = 0, removed = 0;
    if (!answer)
        goto out;
    if (!copy) {
        tui_message(app, 1, "tag: out of memory");
        goto out;
    }
    /* one or more tags, separated by spaces or commas; "-name" removes */
    char *save = NULL;
    for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
        int add = t[0] != '-';
        const char *tag = add ? t : t + 1;
        for (size_t i = 0; i < c->n; i++)
            if (cb_store_tag(app->store, c->ids[i], tag, add, &err) < 0)
                goto report;
        if (add)
            added++;
        else
            removed++;
    }
report:
    if (added || removed)
        tui_reload(app);
    if (err.code)
        tui_error(app, &err);
    else if (!added && !removed)
        tui_message(app, 0, "tag: no tag given");
    else
        tui_message(app, 0, "%zu tag(s) added, %zu removed on %zu run(s)", added, removed, c->n);
out:
    free(copy);
    free(c);
}

void tui_action_tag(TuiApp *app, const int64_t *ids, size_t n)
{
    if (no_targets(app, n, "tag"))
        return;
    IdsCtx *c = ids_ctx(ids, n);
    if (!c) {
        tui_message(app, 1, "tag: out of memory");
        return;
    }
    char label[192], list[128];
    id_list(list, sizeof list, ids, n);
    snprintf(label, sizeof label, "Tag run%s %s (-name removes):", n > 1 ? "s" : "", list);
    if (tui_prompt(app, label, "", tag_done, c) < 0) {
        tui_message(app, 1, "tag: another question is open");
        free(c);
    }
}

static void note_done(void *opaque, TuiApp *app, const char *answer)
{
    IdsCtx *c = opaque;
    CbError err;
    cb_error_clear(&err);
    if (answer && *answer) {
        if (cb_store_note(app->store, c->ids[0], answer, &err) < 0) {
            tui_error(app, &err);
        } else {
            tui_reload(app);
            tui_message(app, 0, "note added to run %lld", (long long)c->ids[0]);
        }
    } else if (answer) {
        tui_message(app, 0, "note: empty, nothing added");
    }
    free(c);
}

void tui_action_note(TuiApp *app, int64_t id)
{
    if (no_targets(app, id > 0, "note"))
        return;
    IdsCtx *c = ids_ctx(&id, 1);
    if (!c) {
        tui_message(app, 1, "note: out of memory");
        return;
    }
    char label[64];
    snprintf(label, sizeof label, "Note on run %lld:", (long long)id);
    if (tui_prompt(app, label, "", note_done, c) < 0) {
        tui_message(app, 1, "note: another question is open");
        free(c);
    }
}

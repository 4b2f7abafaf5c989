/* codecbench: what both proposers share (include/codecbench/propose.h):
 * the experiment's history read from the store, the validation of every
 * candidate, the recipe diff, and queueing what was accepted. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecbench/buf.h"
#include "codecbench/fsutil.h"
#include "codecbench/linediff.h"
#include "codecbench/propose.h"
#include "codecbench/sandbox.h"
#include "codecbench/sanitize.h"

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int cmp_key(const void *a, const void *b)
{
    return memcmp(a, b, CB_RECIPE_HASH_HEX);
}

int cb_propose_settings_key(const CbRecipe *r, char hex[CB_RECIPE_HASH_HEX])
{
    /* The canonical form under a fixed name, without the note: a new name
     * does not make a new encode. */
    CbRecipe tmp = *r;
    char name[] = "-";
    tmp.name = name;
    tmp.note = NULL;
    char *canon = cb_recipe_canonical(&tmp);
    if (!canon)
        return CB_ENOMEM;
    cb_recipe_sha256_hex(canon, strlen(canon), hex);
    free(canon);
    return CB_OK;
}

static int key_of_text(const char *text, char hex[CB_RECIPE_HASH_HEX], int *engine,
                       CbStageKind *stage)
{
    CbRecipe r;
    CbError e;
    if (!text || cb_recipe_parse(text, strlen(text), NULL, &r, &e) < 0)
        return CB_EINVAL;
    int rc = cb_propose_settings_key(&r, hex);
    if (engine)
        *engine = r.codec == CB_CODEC_ENGINE;
    if (stage)
        *stage = r.stage_kind;
    cb_recipe_free(&r);
    return rc;
}

void cb_propose_history_free(CbProposeHistory *h)
{
    if (!h)
        return;
    free(h->experiment);
    free(h->anchor_name);
    free(h->anchor_hash);
    for (size_t i = 0; i < h->n_recipes; i++) {
        free(h->recipes[i].hash);
        free(h->recipes[i].name);
        free(h->recipes[i].json);
    }
    free(h->recipes);
    for (size_t i = 0; i < h->n_failures; i++) {
        free(h->failures[i].recipe_name);
        free(h->failures[i].recipe_json);
        free(h->failures[i].reason);
        free(h->failures[i].stage_diag);
    }
    free(h->failures);
    for (size_t i = 0; i < h->n_clips; i++) {
        free(h->clips[i].clip_id);
        free(h->clips[i].input);
    }
    free(h->clips);
    free(h->tried);
    memset(h, 0, sizeof *h);
}

static CbProposeRecipe *recipe_by_hash(CbProposeHistory *h, const char *hash)
{
    for (size_t i = 0; i < h->n_recipes; i++)
        if (!strcmp(h->recipes[i].hash, hash))
            return &h->recipes[i];
    return NULL;
}

static int add_tried(CbProposeHistory *h, size_t *cap, const char key[CB_RECIPE_HASH_HEX])
{
    if (h->n_tried == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void *p = realloc(h->tried, nc * sizeof *h->tried);
        if (!p)
            return CB_ENOMEM;
        h->tried = p;
        *cap = nc;
    }
    memcpy(h->tried[h->n_tried++], key, CB_RECIPE_HASH_HEX);
    return CB_OK;
}

static int cmp_recipe(const void *a, const void *b)
{
    return strcmp(((const CbProposeRecipe *)a)->hash, ((const CbProposeRecipe *)b)->hash);
}

static int cmp_clip(const void *a, const void *b)
{
    return strcmp(((const CbProposeClip *)a)->clip_id, ((const CbProposeClip *)b)->clip_id);
}

/* The recipes, failures and clips of the experiment's runs (rows by id). */
static int gather_runs(CbStore *s, CbProposeHistory *h, CbRunInfo *rows, size_t n, CbError *err)
{
    int rc = CB_OK;
    h->recipes = calloc(n ? n : 1, sizeof *h->recipes);
    h->clips = calloc(n ? n : 1, sizeof *h->clips);
    if (!h->recipes || !h->clips)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    size_t n_fail = 0;
    for (size_t i = 0; i < n; i++)
        n_fail += rows[i].status == CB_RUN_FAILED;
    h->failures = calloc(n_fail ? n_fail : 1, sizeof *h->failures);
    if (!h->failures)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const CbRunInfo *ri = &rows[i];
        CbProposeRecipe *pr = recipe_by_hash(h, ri->recipe_hash);
        if (!pr) {
            pr = &h->recipes[h->n_recipes++];
            pr->hash = xstrdup(ri->recipe_hash);
            pr->name = xstrdup(ri->recipe_name);
            pr->bd_rate = pr->kbps_min = pr->kbps_max = NAN;
            pr->psnr_y_min = pr->psnr_y_max = pr->encode_fps = NAN;
            if (!pr->hash || !pr->name)
                return cb_error_set(err, CB_ENOMEM, "out of memory");
            rc = cb_store_get_recipe(s, ri->id, &pr->json, err);
            if (rc < 0)
                return rc;
            if (key_of_text(pr->json, pr->key, &pr->codec_engine, &pr->stage_kind) < 0)
                pr->key[0] = '\0'; /* a recipe this build no longer accepts */
            pr->is_anchor = h->anchor_hash && !strcmp(h->anchor_hash, pr->hash);
        }
        pr->runs++;
        pr->last_run = ri->id;
        if (ri->status == CB_RUN_FAILED) {
            pr->failed++;
            CbProposeFailure *f = &h->failures[h->n_failures++];
            f->run_id = ri->id;
            f->recipe_name = xstrdup(ri->recipe_name);
            f->recipe_json = xstrdup(pr->json);
            f->reason = xstrdup(ri->reason);
            f->stage_kind = pr->stage_kind;
            if (!f->recipe_name || !f->recipe_json || (ri->reason && !f->reason))
                return cb_error_set(err, CB_ENOMEM, "out of memory");
        }
        if (ri->status != CB_RUN_DONE)
            continue;
        if (!pr->done) {
            pr->best_run = ri->id;
            pr->kbps_min = ri->kbps_min;
            pr->kbps_max = ri->kbps_max;
            pr->psnr_y_min = ri->psnr_y_min;
            pr->psnr_y_max = ri->psnr_y_max;
            pr->encode_fps = 0;
        }
        pr->encode_fps += isfinite(ri->encode_fps) ? ri->encode_fps : 0;
        pr->done++;
        if (!ri->clip_id)
            continue;
        int seen = 0;
        for (size_t c = 0; c < h->n_clips && !seen; c++)
            seen = !strcmp(h->clips[c].clip_id, ri->clip_id);
        if (!seen) {
            CbProposeClip *c = &h->clips[h->n_clips++];
            c->clip_id = xstrdup(ri->clip_id);
            c->input = xstrdup(ri->input);
            c->first_frame = ri->first_frame;
            c->frames = ri->frames;
            c->width = ri->width;
            c->height = ri->height;
            if (!c->clip_id || !c->input)
                return cb_error_set(err, CB_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < h->n_recipes; i++)
        if (h->recipes[i].done)
            h->recipes[i].encode_fps /= h->recipes[i].done;
    /* newest failures first */
    for (size_t a = 0, b = h->n_failures; a + 1 < b; a++, b--) {
        CbProposeFailure t = h->failures[a];
        h->failures[a] = h->failures[b - 1];
        h->failures[b - 1] = t;
    }
    return CB_OK;
}

/* Failed stage runs of each kind whose build diagnostics are read for a
 * prompt, newest first: a prompt shows a few (PROMPT_STAGE_FAIL_MAX in
 * propose_llm.c). */
#define STAGE_DIAGS_READ 8

/* The first CB_PROPOSE_STAGE_DIAG_MAX bytes of RUN_DIR/stage-build.txt of
 * run id (written by the worker from cb_stage_build's kept diagnostics:
 * bytes from a compiler fed hostile source), sanitised with line breaks
 * kept, cut at a character ("[...]" said); *out NULL when there is none. */
static int read_stage_diag(CbStore *s, int64_t id, char **out)
{
    *out = NULL;
    char *dir = cb_store_run_dir(s, id);
    char *path = dir ? cb_path_join(dir, "stage-build.txt") : NULL;
    char raw[CB_PROPOSE_STAGE_DIAG_MAX + 1];
    size_t got = 0;
    int rc = CB_ENOMEM, fd = -1;
    if (!path)
        goto done;
    rc = CB_OK;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        goto done; /* no diagnostics: the run failed elsewhere */
    while (got < sizeof raw) {
        ssize_t r = read(fd, raw + got, sizeof raw - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    int cut = got > CB_PROPOSE_STAGE_DIAG_MAX;
    if (cut)
        got = CB_PROPOSE_STAGE_DIAG_MAX;
    got = cb_utf8_whole_prefix(raw, got);
    while (got && (raw[got - 1] == '\n' || raw[got - 1] == ' '))
        got--;
    if (got == 0)
        goto done;
    CbBuf b;
    cb_buf_init(&b, (size_t)CB_PROPOSE_STAGE_DIAG_MAX * 8 + 16);
    if (cb_sanitize_append(&b, raw, got, CB_SANITIZE_NEWLINES) < 0 ||
        (cut && cb_buf_puts(&b, " [...]") < 0) || !(*out = cb_buf_steal(&b)))
        rc = CB_ENOMEM;
    cb_buf_free(&b);
done:
    if (fd >= 0)
        close(fd);
    free(path);
    free(dir);
    return rc;
}

static int read_stage_diags(CbStore *s, CbProposeHistory *h, CbError *err)
{
    size_t seen[CB_STAGE_KINDS] = {0};
    for (size_t i = 0; i < h->n_failures; i++) {
        CbProposeFailure *f = &h->failures[i];
        if (f->stage_kind <= CB_STAGE_NONE || f->stage_kind >= CB_STAGE_KINDS ||
            seen[f->stage_kind] >= STAGE_DIAGS_READ)
            continue;
        seen[f->stage_kind]++;
        if (read_stage_diag(s, f->run_id, &f->stage_diag) < 0)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    return CB_OK;
}

static int list_names(CbExperimentInfo *ex, size_t n, CbBuf *b)
{
    for (size_t i = 0; i < n && i < 20; i++)
        if (cb_buf_printf(b, "%s%s", i ? ", " : "", ex[i].name) < 0)
            return CB_ENOMEM;
    if (n > 20 && cb_buf_printf(b, ", ... (%zu in all)", n) < 0)
        return CB_ENOMEM;
    return CB_OK;
}

int cb_propose_pick_experiment(CbStore *s, const char *given, char **name, CbError *err)
{
    *name = NULL;
    if (given) {
        *name = xstrdup(given);
        return *name ? CB_OK : cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    CbExperimentInfo *ex = NULL;
    size_t n = 0;
    CbBuf names;
    cb_buf_init(&names, 4096);
    int rc = cb_store_experiments(s, &ex, &n, err);
    if (rc < 0)
        return rc;
    const char *pick = NULL;
    for (size_t i = 0; i < n && !pick; i++)
        if (!strcmp(ex[i].name, "default"))
            pick = ex[i].name;
    if (!pick && n == 1)
        pick = ex[0].name;
    if (pick) {
        *name = xstrdup(pick);
        rc = *name ? CB_OK : cb_error_set(err, CB_ENOMEM, "out of memory");
    } else if (list_names(ex, n, &names) < 0) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    } else if (n == 0) {
        rc = cb_error_set(err, CB_ENOENT, "%s has no experiments yet (run a recipe first)",
                          cb_store_dir(s));
    } else {
        rc = cb_error_set(err, CB_ENOENT,
                          "%s has several experiments and none is 'default': name one with "
                          "--experiment NAME (experiments: %s)",
                          cb_store_dir(s), names.data ? names.data : "");
    }
    cb_buf_free(&names);
    cb_experiment_infos_free(&ex, n);
    return rc;
}

int cb_propose_history(CbStore *s, const char *experiment, CbProposeHistory *out, CbError *err)
{
    memset(out, 0, sizeof *out);
    char *picked = NULL;
    int prc = cb_propose_pick_experiment(s, experiment, &picked, err);
    if (prc < 0)
        return prc;
    const char *name = picked;
    CbExperimentInfo *ex = NULL;
    size_t n_ex = 0, n_rows = 0, n_bd = 0, n_prop = 0, tried_cap = 0;
    CbRunInfo *rows = NULL;
    CbRecipeBd *bd = NULL;
    CbProposal *props = NULL;
    CbBuf names;
    cb_buf_init(&names, 4096);
    int rc = cb_store_experiments(s, &ex, &n_ex, err);
    if (rc < 0)
        goto fail;
    const CbExperimentInfo *e = NULL;
    for (size_t i = 0; i < n_ex && !e; i++)
        if (!strcmp(ex[i].name, name))
            e = &ex[i];
    if (!e) {
        if (list_names(ex, n_ex, &names) < 0) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto fail;
        }
        rc = cb_error_set(err, CB_ENOENT, "no experiment '%s' in %s (%s%s)", name, cb_store_dir(s),
                          n_ex ? "experiments: " : "it has none",
                          names.data ? names.data : "");
        goto fail;
    }
    if (e->done == 0) {
        rc = cb_error_set(err, CB_EINVAL,
                          "experiment '%s' has no done runs yet: a proposer starts from measured "
                          "runs (run a recipe first, e.g. codecbench run RECIPE CLIP)",
                          name);
        goto fail;
    }
    if (!e->anchor_hash) {
        rc = cb_error_set(err, CB_EINVAL,
                          "experiment '%s' has no anchor: BD-rates need one (codecbench anchor "
                          "RECIPE --experiment %s)",
                          name, name);
        goto fail;
    }
    out->experiment = xstrdup(name);
    out->anchor_name = xstrdup(e->anchor_name);
    out->anchor_hash = xstrdup(e->anchor_hash);
    if (!out->experiment || !out->anchor_hash || (e->anchor_name && !out->anchor_name)) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    CbRunFilter f = {.experiment = name, .status = -1, .sort = "id"};
    rc = cb_store_list(s, &f, &rows, &n_rows, err);
    if (rc < 0)
        goto fail;
    out->runs = (int64_t)n_rows;
    rc = gather_runs(s, out, rows, n_rows, err);
    if (rc < 0)
        goto fail;
    rc = read_stage_diags(s, out, err);
    if (rc < 0)
        goto fail;
    rc = cb_store_experiment_bd(s, name, &bd, &n_bd, err);
    if (rc < 0)
        goto fail;
    for (size_t i = 0; i < n_bd; i++) {
        CbProposeRecipe *pr = recipe_by_hash(out, bd[i].recipe_hash);
        if (pr && bd[i].clips > 0) {
            pr->clips = bd[i].clips;
            pr->bd_rate = bd[i].bd_rate;
        }
    }
    /* Tried: every recipe of the experiment, every proposal recorded, and
     * the done runs of other experiments on the same clips. */
    for (size_t i = 0; i < out->n_recipes; i++)
        if (out->recipes[i].key[0] && (rc = add_tried(out, &tried_cap, out->recipes[i].key)) < 0)
            goto nomem;
    rc = cb_store_proposals(s, name, &props, &n_prop, err);
    if (rc < 0)
        goto fail;
    out->proposals = (int64_t)n_prop;
    for (size_t i = 0; i < n_prop; i++) {
        char key[CB_RECIPE_HASH_HEX];
        if (key_of_text(props[i].recipe_json, key, NULL, NULL) == CB_OK &&
            (rc = add_tried(out, &tried_cap, key)) < 0)
            goto nomem;
    }
    for (size_t c = 0; c < out->n_clips; c++) {
        CbRunInfo *other = NULL;
        size_t n_other = 0;
        CbRunFilter cf = {.status = -1, .clip_id = out->clips[c].clip_id};
        rc = cb_store_list(s, &cf, &other, &n_other, err);
        if (rc < 0)
            goto fail;
        for (size_t i = 0; i < n_other && rc >= 0; i++) {
            if (!strcmp(other[i].experiment, name))
                continue;
            char *text = NULL;
            char key[CB_RECIPE_HASH_HEX];
            if (cb_store_get_recipe(s, other[i].id, &text, NULL) == CB_OK &&
                key_of_text(text, key, NULL, NULL) == CB_OK)
                rc = add_tried(out, &tried_cap, key);
            free(text);
        }
        cb_run_infos_free(&other, n_other);
        if (rc < 0)
            goto nomem;
    }
    if (out->n_tried)
        qsort(out->tried, out->n_tried, sizeof *out->tried, cmp_key);
    qsort(out->recipes, out->n_recipes, sizeof *out->recipes, cmp_recipe);
    qsort(out->clips, out->n_clips, sizeof *out->clips, cmp_clip);
    rc = CB_OK;
    goto done;
nomem:
    rc = cb_error_set(err, CB_ENOMEM, "out of memory");
fail:
    cb_propose_history_free(out);
done:
    cb_buf_free(&names);
    cb_proposals_free(&props, n_prop);
    cb_recipe_bds_free(&bd, n_bd);
    cb_run_infos_free(&rows, n_rows);
    cb_experiment_infos_free(&ex, n_ex);
    free(picked);
    return rc;
}

const CbProposeRecipe *cb_propose_best(const CbProposeHistory *h)
{
    const CbProposeRecipe *best = NULL, *anchor = NULL;
    for (size_t i = 0; i < h->n_recipes; i++) {
        const CbProposeRecipe *r = &h->recipes[i];
        if (r->is_anchor && r->done)
            anchor = r;
        if (!r->done || !isfinite(r->bd_rate))
            continue;
        if (!best || r->bd_rate < best->bd_rate ||
            (r->bd_rate == best->bd_rate && r->best_run < best->best_run))
            best = r;
    }
    return best ? best : anchor;
}

const CbProposeRecipe *cb_propose_recipe_of_run(const CbProposeHistory *h, int64_t run_id)
{
    if (run_id <= 0)
        return NULL;
    for (size_t i = 0; i < h->n_recipes; i++)
        if (h->recipes[i].best_run == run_id || h->recipes[i].last_run == run_id)
            return &h->recipes[i];
    return NULL;
}

/* ---- rounds ------------------------------------------------------------- */

void cb_propose_round_init(CbProposeRound *r, int k)
{
    memset(r, 0, sizeof *r);
    r->k = k;
}

void cb_propose_round_free(CbProposeRound *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_items; i++) {
        free(r->items[i].rationale);
        free(r->items[i].recipe_json);
        free(r->items[i].name);
        free(r->items[i].diff);
        free(r->items[i].run_ids);
    }
    free(r->items);
    for (size_t i = 0; i < r->n_rejects; i++) {
        free(r->rejects[i].rationale);
        free(r->rejects[i].name);
        free(r->rejects[i].reason);
    }
    free(r->rejects);
    free(r->reply);
    int k = r->k;
    memset(r, 0, sizeof *r);
    r->k = k;
}

/* The rationale as kept: sanitised on one line, cut at a UTF-8 character
 * boundary to CB_PROPOSE_RATIONALE_MAX bytes ("..." said when cut). */
static char *clean_rationale(const char *s)
{
    CbBuf b;
    cb_buf_init(&b, (size_t)CB_PROPOSE_RATIONALE_MAX * 8 + 64);
    size_t n = s ? strlen(s) : 0;
    if (n > (size_t)CB_PROPOSE_RATIONALE_MAX * 4)
        n = (size_t)CB_PROPOSE_RATIONALE_MAX * 4;
    if (n && cb_sanitize_append(&b, s, n, 0) < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    char *t = cb_buf_steal(&b);
    if (!t)
        return NULL;
    /* collapse runs of spaces, trim */
    size_t w = 0;
    for (size_t i = 0; t[i]; i++) {
        if (t[i] == ' ' && (w == 0 || t[w - 1] == ' '))
            continue;
        t[w++] = t[i];
    }
    while (w && t[w - 1] == ' ')
        w--;
    t[w] = '\0';
    if (w > CB_PROPOSE_RATIONALE_MAX) {
        size_t cut = CB_PROPOSE_RATIONALE_MAX - 3;
        while (cut && ((unsigned char)t[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(t + cut, "...", 4);
    }
    return t;
}

int cb_propose_refuse(CbProposeRound *r, const char *rationale, const char *name,
                      const char *fmt, ...)
{
    void *p = realloc(r->rejects, (r->n_rejects + 1) * sizeof *r->rejects);
    if (!p)
        return CB_ENOMEM;
    r->rejects = p;
    CbProposeReject *j = &r->rejects[r->n_rejects];
    memset(j, 0, sizeof *j);
    CbBuf b;
    cb_buf_init(&b, 1024);
    va_list ap;
    va_start(ap, fmt);
    int rc = cb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc == CB_ELIMIT)
        rc = CB_OK; /* a long reason is cut */
    char *reason = rc < 0 ? NULL : cb_sanitize_dup(b.data ? b.data : "", 0);
    cb_buf_free(&b);
    j->rationale = clean_rationale(rationale ? rationale : "");
    j->name = cb_sanitize_dup(name ? name : "", 0);
    j->reason = reason;
    r->n_rejects++;
    if (!j->rationale || !j->name || !j->reason)
        return CB_ENOMEM;
    return 0;
}

static int tried(const CbProposeHistory *h, const char key[CB_RECIPE_HASH_HEX])
{
    return h->n_tried && bsearch(key, h->tried, h->n_tried, sizeof *h->tried, cmp_key) != NULL;
}

static const char *field_value(const CbField *f, const CbEngineSettings *s, char *buf, size_t size)
{
    const int *v = (const int *)(const void *)((const char *)s + f->offset);
    switch (f->type) {
    case CB_FIELD_BOOL: return *v ? "true" : "false";
    case CB_FIELD_ENUM: {
        int i = 0;
        while (f->names[i] && i < *v)
            i++;
        return f->names[i] ? f->names[i] : "?";
    }
    case CB_FIELD_INT_LIST: {
        int cnt = *(const int *)(const void *)((const char *)s + f->count_offset);
        size_t len = 0;
        buf[0] = '\0';
        for (int i = 0; i < cnt && len < size; i++) {
            int n = snprintf(buf + len, size - len, "%s%d", i ? "," : "", v[i]);
            if (n < 0)
                break;
            len += (size_t)n;
        }
        return buf;
    }
    default: {
        int n = snprintf(buf, size, "%d", *v);
        return n < 0 ? "?" : buf;
    }
    }
}

/* The stage part of a diff, last: "stage intra: +12 -3 lines" against a's
 * stage of the same kind, else against the built-in one; "stage intra:
 * removed" when b has none. */
static int stage_diff(CbBuf *d, const CbRecipe *a, const CbRecipe *b)
{
    const char *sep = d->len ? "; " : "";
    int rc = CB_OK;
    if (a->stage_kind != CB_STAGE_NONE && a->stage_kind != b->stage_kind)
        rc = cb_buf_printf(d, "%sstage %s: removed", sep, cb_stage_kind_name((int)a->stage_kind));
    if (rc < 0 || b->stage_kind == CB_STAGE_NONE || !b->stage_code)
        return rc;
    sep = d->len ? "; " : "";
    const char *base = a->stage_kind == b->stage_kind && a->stage_code
                           ? a->stage_code
                           : cb_stage_builtin_source(b->stage_kind);
    if (!base)
        base = "";
    if (!strcmp(base, b->stage_code)) {
        /* The parent's own stage unchanged says nothing; a first stage that
         * is the built-in source says so (it codes as the parent did). */
        if (a->stage_kind == b->stage_kind && a->stage_code)
            return CB_OK;
        return cb_buf_printf(d, "%sstage %s: the built-in source", sep,
                             cb_stage_kind_name((int)b->stage_kind));
    }
    CbLineDiffStat st;
    CbError e;
    cb_error_clear(&e);
    int drc = cb_line_diff(base, strlen(base), b->stage_code, strlen(b->stage_code), 0, NULL, &st,
                           &e);
    const char *kind = cb_stage_kind_name((int)b->stage_kind);
    if (drc == CB_ENOMEM)
        return drc;
    if (drc < 0)
        return cb_buf_printf(d, "%sstage %s: changed (too many lines to count)", sep, kind);
    return cb_buf_printf(d, "%sstage %s: +%d -%d lines", sep, kind, st.added, st.removed);
}

char *cb_propose_diff(const CbRecipe *a, const CbRecipe *b)
{
    CbBuf d;
    cb_buf_init(&d, 4096);
    int rc = 0;
    if (!a) {
        rc = cb_buf_puts(&d, "");
    } else if (a->codec != b->codec) {
        rc = cb_buf_printf(&d, "codec: %s -> %s", a->codec == CB_CODEC_ENGINE ? "engine" : "ffmpeg",
                           b->codec == CB_CODEC_ENGINE ? "engine" : "ffmpeg");
    } else if (a->codec == CB_CODEC_FFMPEG) {
        char *ca = cb_recipe_canonical(a), *cbn = cb_recipe_canonical(b);
        const CbBaselineSettings *x = &a->baseline, *y = &b->baseline;
        if (!ca || !cbn)
            rc = CB_ENOMEM;
        else if (strcmp(x->encoder, y->encoder))
            rc = cb_buf_printf(&d, "encoder: %s -> %s", x->encoder, y->encoder);
        else {
            if (strcmp(x->preset, y->preset))
                rc = cb_buf_printf(&d, "preset: %s -> %s; ", x->preset, y->preset);
            if (rc >= 0 && strcmp(x->tune, y->tune))
                rc = cb_buf_printf(&d, "tune: %s -> %s; ", x->tune, y->tune);
            if (rc >= 0 && x->gop != y->gop)
                rc = cb_buf_printf(&d, "gop: %d -> %d; ", x->gop, y->gop);
            if (rc >= 0 && x->bframes != y->bframes)
                rc = cb_buf_printf(&d, "bframes: %d -> %d; ", x->bframes, y->bframes);
            if (rc >= 0 && x->rate_control != y->rate_control)
                rc = cb_buf_puts(&d, "rate_control changed; ");
            if (rc >= 0 && (x->n_points != y->n_points ||
                            memcmp(x->points, y->points, sizeof x->points[0] * (size_t)x->n_points)))
                rc = cb_buf_puts(&d, "points changed; ");
            if (rc >= 0 && (x->n_options != y->n_options ||
                            memcmp(x->option_key, y->option_key, sizeof x->option_key) ||
                            memcmp(x->option_value, y->option_value, sizeof x->option_value)))
                rc = cb_buf_puts(&d, "options changed; ");
            if (rc >= 0 && d.len >= 2)
                d.data[d.len -= 2] = '\0';
        }
        free(ca);
        free(cbn);
    } else {
        size_t n;
        const CbField *f = cb_engine_fields(&n);
        for (size_t i = 0; i < n && rc >= 0; i++) {
            char va[128], vb[128];
            const char *sa = field_value(&f[i], &a->engine, va, sizeof va);
            const char *sb = field_value(&f[i], &b->engine, vb, sizeof vb);
            if (strcmp(sa, sb))
                rc = cb_buf_printf(&d, "%s%s: %s -> %s", d.len ? "; " : "", f[i].name, sa, sb);
        }
        if (rc >= 0)
            rc = stage_diff(&d, a, b);
    }
    if (rc == CB_ELIMIT)
        rc = 0;
    if (rc < 0) {
        cb_buf_free(&d);
        return NULL;
    }
    return cb_buf_steal(&d);
}

int cb_propose_offer(const CbProposeHistory *h, CbProposeRound *r, const char *rationale,
                     const char *text, size_t len, int64_t parent, CbError *err)
{
    CbRecipe rec, prec;
    memset(&prec, 0, sizeof prec);
    CbError pe;
    cb_error_clear(&pe);
    char key[CB_RECIPE_HASH_HEX];
    int rc;
    int have_prec = 0;
    CbProposeItem it;
    memset(&it, 0, sizeof it);
    if ((size_t)r->n_items >= (size_t)r->k) {
        rc = cb_propose_refuse(r, rationale, "", "more proposals than the %d asked for", r->k);
        goto out;
    }
    rc = cb_recipe_parse(text, len, "recipe", &rec, &pe);
    if (rc == CB_ENOMEM)
        goto out;
    if (rc < 0) {
        rc = cb_propose_refuse(r, rationale, "", "%s", pe.text);
        goto out;
    }
    rc = cb_propose_settings_key(&rec, key);
    if (rc < 0)
        goto out_rec;
    if (tried(h, key)) {
        rc = cb_propose_refuse(r, rationale, rec.name, "a duplicate: these settings already ran or were "
                                            "proposed in experiment '%s'", h->experiment);
        goto out_rec;
    }
    for (size_t i = 0; i < r->n_items; i++)
        if (!memcmp(r->items[i].key, key, CB_RECIPE_HASH_HEX)) {
            rc = cb_propose_refuse(r, rationale, rec.name,
                        "a duplicate: the same settings as proposal %zu of this round", i + 1);
            goto out_rec;
        }
    const CbProposeRecipe *pr = cb_propose_recipe_of_run(h, parent);
    if (!pr || !pr->best_run) {
        pr = cb_propose_best(h);
        parent = pr ? pr->best_run : 0;
    } else {
        parent = pr->best_run;
    }
    if (pr && pr->json && cb_recipe_parse(pr->json, strlen(pr->json), NULL, &prec, NULL) == 0)
        have_prec = 1;
    /* The text queued: the recipe as given, re-serialised by jansson (the
     * model's spacing gone, its keys in their order). */
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    it.recipe_json = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    it.rationale = clean_rationale(rationale ? rationale : "");
    it.name = strdup(rec.name);
    it.diff = cb_propose_diff(have_prec ? &prec : NULL, &rec);
    memcpy(it.key, key, sizeof key);
    it.parent = parent;
    void *p = realloc(r->items, (r->n_items + 1) * sizeof *r->items);
    if (!it.recipe_json || !it.rationale || !it.name || !it.diff || !p) {
        if (p)
            r->items = p;
        free(it.recipe_json);
        free(it.rationale);
        free(it.name);
        free(it.diff);
        rc = CB_ENOMEM;
        goto out_rec;
    }
    r->items = p;
    r->items[r->n_items++] = it;
    rc = 1;
out_rec:
    if (have_prec)
        cb_recipe_free(&prec);
    cb_recipe_free(&rec);
out:
    if (rc == CB_ENOMEM)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    return rc;
}

/* The run of the parent's recipe on clip c, else fallback. */
static int64_t parent_on_clip(CbStore *s, const CbProposeHistory *h, int64_t parent,
                              const CbProposeClip *c)
{
    const CbProposeRecipe *pr = cb_propose_recipe_of_run(h, parent);
    if (!pr)
        return parent;
    CbRunInfo *rows = NULL;
    size_t n = 0;
    CbRunFilter f = {.experiment = h->experiment, .status = CB_RUN_DONE, .clip_id = c->clip_id,
                     .recipe_hash = pr->hash, .sort = "id"};
    int64_t id = parent;
    if (cb_store_list(s, &f, &rows, &n, NULL) == CB_OK && n > 0)
        id = rows[0].id;
    cb_run_infos_free(&rows, n);
    return id;
}

int cb_propose_queue(CbStore *s, const CbProposeHistory *h, CbProposeRound *r,
                     const char *proposer, CbError *err)
{
    if (h->n_clips == 0)
        return cb_error_set(err, CB_EINVAL, "experiment '%s' has no clips with done runs",
                            h->experiment);
    for (size_t i = 0; i < r->n_items; i++) {
        CbProposeItem *it = &r->items[i];
        it->run_ids = calloc(h->n_clips, sizeof *it->run_ids);
        if (!it->run_ids)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        for (size_t c = 0; c < h->n_clips; c++) {
            const CbProposeClip *cl = &h->clips[c];
            CbRunRequest rq = {
                .experiment = h->experiment,
                .recipe_json = it->recipe_json,
                .recipe_source = "proposal",
                .input = cl->input,
                .first_frame = cl->first_frame,
                .frames = cl->frames,
                .parent = parent_on_clip(s, h, it->parent, cl),
                .origin = "proposer",
            };
            int rc = cb_store_queue_run(s, &rq, &it->run_ids[c], err);
            if (rc < 0)
                return rc;
            it->n_runs++;
        }
        int rc = cb_store_add_proposal(s, h->experiment, proposer, it->rationale, it->recipe_json,
                                       it->run_ids[0], &it->proposal_id, err);
        if (rc < 0)
            return rc;
    }
    return CB_OK;
}

const CbProposer *cb_proposer_find(const char *name)
{
    if (!name)
        return NULL;
    if (!strcmp(name, cb_proposer_local.name))
        return &cb_proposer_local;
    if (!strcmp(name, cb_proposer_llm.name))
        return &cb_proposer_llm;
    return NULL;
}

/* codecbench: the local proposer, a seeded search around the best engine
 * recipes of an experiment, with no network.
 *
 * The population is the experiment's done engine recipes with their mean
 * BD-rate against the anchor and their mean encode speed; its Pareto front
 * (lower BD-rate, higher fps) is where moves start.  Half the candidates are
 * coordinate steps from the best recipe (one field of the engine's table,
 * to a neighbouring value), the rest are chosen at random among a
 * coordinate step from a front member (a binary tournament by BD-rate
 * picks it), a mutation of two or three fields, and a uniform crossover of
 * two front members.  Rate points (qps) and threads are kept from the
 * parent: the first would change what BD-rate compares, the second does not
 * change the output.  A move that changes a field with no effect (partition
 * with 8x8 blocks, the restoration region with restoration off, motion
 * settings with every frame intra) is not made.
 *
 * Randomness comes from splitmix64 seeded with the caller's seed only, and
 * the history is read in a fixed order, so a seed and a history give the
 * same proposals.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/buf.h"
#include "codecbench/propose.h"

/* Attempts per proposal before the search gives up (the space is finite:
 * near a well-explored front most moves are duplicates). */
#define ATTEMPTS_PER_K 400

typedef struct Rng {
    uint64_t s;
} Rng;

/* splitmix64 (Steele, Lea, Flood 2014): a full-period 64-bit generator. */
static uint64_t rng_next(Rng *g)
{
    uint64_t z = (g->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (n >= 1); the modulo bias is below 2^-50 for our n. */
static int rng_below(Rng *g, int n)
{
    return (int)(rng_next(g) % (uint64_t)n);
}

typedef struct Member {
    const CbProposeRecipe *rec;
    CbRecipe r;
    double bd, fps;
} Member;

static int cmp_key(const void *a, const void *b)
{
    return memcmp(a, b, CB_RECIPE_HASH_HEX);
}

static int *field_ptr(CbEngineSettings *s, const CbField *f)
{
    return (int *)(void *)((char *)s + f->offset);
}

static int movable(const CbField *f)
{
    return f->type != CB_FIELD_INT_LIST && strcmp(f->name, "threads") != 0;
}

/* A field whose value changes nothing under the other settings of s. */
static int inert(const CbEngineSettings *s, const CbField *f)
{
    if (!strcmp(f->name, "partition"))
        return s->block_size != 16;
    if (!strcmp(f->name, "restoration_region"))
        return !s->restoration;
    if (!strcmp(f->name, "search_range") || !strcmp(f->name, "search") ||
        !strcmp(f->name, "subpel") || !strcmp(f->name, "p_qp_offset"))
        return s->gop == 1;
    return 0;
}

/* s with the fields that have no effect set to fixed values, and the GOP
 * cut to the clips' length (frames > 0): two settings with the same
 * effective form encode the same streams. */
static CbEngineSettings effective(const CbEngineSettings *s, int64_t frames)
{
    CbEngineSettings e = *s;
    if (e.block_size != 16)
        e.partition = 0;
    if (!e.restoration)
        e.restoration_region = 0;
    if (frames > 0 && e.gop > frames)
        e.gop = (int)frames;
    if (e.gop == 1) {
        e.search_range = 0;
        e.search = CB_SEARCH_FULL;
        e.subpel = CB_SUBPEL_FULL;
        e.p_qp_offset = 0;
    }
    e.threads = 1;
    return e;
}

/* Moves field f of s to a neighbouring value.  Returns 1 when it changed. */
static int step_field(Rng *g, CbEngineSettings *s, const CbField *f)
{
    int *v = field_ptr(s, f);
    int old = *v, nv = old;
    int up = rng_below(g, 2);
    switch (f->type) {
    case CB_FIELD_BOOL: nv = !old; break;
    case CB_FIELD_ENUM: {
        int n = 0;
        while (f->names[n])
            n++;
        if (n < 2)
            return 0;
        nv = old + (up ? 1 : -1);
        if (nv < 0 || nv >= n)
            nv = old + (up ? -1 : 1);
        break;
    }
    case CB_FIELD_CHOICE: {
        int idx = 0;
        while (idx < f->n_choices && f->choices[idx] != old)
            idx++;
        if (f->n_choices < 2 || idx == f->n_choices)
            return 0;
        int ni = idx + (up ? 1 : -1);
        if (ni < 0 || ni >= f->n_choices)
            ni = idx + (up ? -1 : 1);
        nv = f->choices[ni];
        break;
    }
    case CB_FIELD_INT:
        /* Wide ranges (search range, GOP) move by factors of two, narrow
         * ones (P QP offset, slices) by one. */
        if (f->max - f->min > 32)
            nv = up ? (old > 0 ? old * 2 : 8) : old / 2;
        else
            nv = old + (up ? 1 : -1);
        if (nv > f->max)
            nv = old > f->min ? (f->max - f->min > 32 ? old / 2 : old - 1) : old;
        if (nv < f->min)
            nv = old < f->max ? (f->max - f->min > 32 ? old * 2 : old + 1) : old;
        if (nv > f->max)
            nv = f->max;
        break;
    case CB_FIELD_INT_LIST: return 0;
    }
    if (nv == old)
        return 0;
    *v = nv;
    return 1;
}

/* A random movable field that has an effect in s, or NULL. */
static const CbField *pick_field(Rng *g, const CbEngineSettings *s)
{
    size_t n;
    const CbField *f = cb_engine_fields(&n);
    const CbField *ok[64];
    int m = 0;
    for (size_t i = 0; i < n && m < 64; i++)
        if (movable(&f[i]) && !inert(s, &f[i]))
            ok[m++] = &f[i];
    return m ? ok[rng_below(g, m)] : NULL;
}

static int cmp_member(const void *a, const void *b)
{
    const Member *x = a, *y = b;
    if (x->bd != y->bd)
        return x->bd < y->bd ? -1 : 1;
    return x->rec->best_run < y->rec->best_run ? -1 : x->rec->best_run > y->rec->best_run;
}

/* Keeps the non-dominated members (BD-rate lower is better, fps higher is
 * better), sorted by BD-rate; returns how many. */
static size_t pareto(Member *m, size_t n)
{
    qsort(m, n, sizeof *m, cmp_member);
    size_t w = 0;
    double best_fps = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        /* sorted by bd: i is dominated iff an earlier one is at least as fast */
        if (m[i].fps > best_fps || w == 0) {
            best_fps = m[i].fps > best_fps ? m[i].fps : best_fps;
            Member t = m[w];
            m[w] = m[i];
            m[i] = t;
            w++;
        }
    }
    qsort(m, w, sizeof *m, cmp_member);
    return w;
}

static json_t *settings_json(const CbEngineSettings *s)
{
    size_t n;
    const CbField *f = cb_engine_fields(&n);
    json_t *o = json_object();
    int bad = !o;
    for (size_t i = 0; i < n && !bad; i++) {
        const int *v = (const int *)(const void *)((const char *)s + f[i].offset);
        json_t *val = NULL;
        switch (f[i].type) {
        case CB_FIELD_BOOL: val = json_boolean(*v); break;
        case CB_FIELD_ENUM: val = json_string(f[i].names[*v]); break;
        case CB_FIELD_INT:
        case CB_FIELD_CHOICE: val = json_integer(*v); break;
        case CB_FIELD_INT_LIST: {
            int cnt = *(const int *)(const void *)((const char *)s + f[i].count_offset);
            val = json_array();
            for (int j = 0; val && j < cnt; j++)
                if (json_array_append_new(val, json_integer(v[j])) < 0)
                    bad = 1;
            break;
        }
        }
        if (!val || json_object_set_new(o, f[i].name, val) < 0)
            bad = 1;
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The name of a proposal: the parent's name with "+field=value" for each
 * change ("default+transform=dct+gop=60"); when that passes 80 bytes, the
 * root of the parent's name (before any '+', at most 40 bytes, cut at a
 * character), its first change and "#" with 8 hex digits of the settings
 * key, so that names stay short and distinct. */
static int make_name(CbBuf *b, const char *base, const char *diff, const char *key)
{
    CbBuf full;
    cb_buf_init(&full, 4096);
    int rc = cb_buf_puts(&full, base);
    size_t first_at = 0, first_len = 0; /* the first change's place in full */
    /* diff: "f: a -> b; g: c -> d" */
    const char *p = diff;
    while (rc >= 0 && *p) {
        const char *colon = strstr(p, ": ");
        const char *arrow = colon ? strstr(colon, " -> ") : NULL;
        if (!arrow)
            break;
        const char *end = strstr(arrow, "; ");
        size_t vlen = end ? (size_t)(end - arrow - 4) : strlen(arrow + 4);
        size_t at = full.len;
        rc = cb_buf_printf(&full, "+%.*s=%.*s", (int)(colon - p), p, (int)vlen, arrow + 4);
        if (!first_len && rc >= 0) {
            first_at = at;
            first_len = full.len - at;
        }
        p = end ? end + 2 : arrow + 4 + vlen;
    }
    if (rc < 0 && rc != CB_ELIMIT)
        goto done;
    if (rc == 0 && full.len <= 80) {
        rc = cb_buf_append(b, full.data, full.len);
        goto done;
    }
    size_t root = strcspn(base, "+");
    if (root > 40) {
        root = 40;
        while (root && ((unsigned char)base[root] & 0xC0) == 0x80)
            root--;
    }
    rc = cb_buf_append(b, root ? base : "local", root ? root : 5);
    if (rc >= 0 && first_len && first_len <= 40)
        rc = cb_buf_append(b, full.data + first_at, first_len);
    if (rc >= 0)
        rc = cb_buf_printf(b, "#%.8s", key);
done:
    cb_buf_free(&full);
    return rc;
}

static void describe(CbBuf *b, const Member *m)
{
    cb_buf_printf(b, "run %lld (%s", (long long)m->rec->best_run, m->rec->name);
    if (isfinite(m->rec->bd_rate))
        cb_buf_printf(b, ", BD-rate %+.2f %%", m->rec->bd_rate);
    if (isfinite(m->rec->encode_fps))
        cb_buf_printf(b, ", %.1f fps", m->rec->encode_fps);
    cb_buf_puts(b, ")");
}

/* Offers the candidate s derived from a (and b for a crossover). */
static int offer(const CbProposeHistory *h, CbProposeRound *r, const Member *a, const Member *b,
                 const char *how, const CbEngineSettings *s, CbError *err)
{
    /* the longest clip of the experiment (0: a clip of unknown length) */
    int64_t frames = 0;
    for (size_t i = 0; i < h->n_clips; i++) {
        if (h->clips[i].frames <= 0) {
            frames = 0;
            break;
        }
        if (h->clips[i].frames > frames)
            frames = h->clips[i].frames;
    }
    CbEngineSettings es = effective(s, frames), ea = effective(&a->r.engine, frames);
    if (!memcmp(&es, &ea, sizeof es))
        return 0; /* the parent's streams again */
    if (b) {
        CbEngineSettings eb = effective(&b->r.engine, frames);
        if (!memcmp(&es, &eb, sizeof es))
            return 0;
    }
    CbRecipe cand = a->r;
    cand.engine = *s;
    cand.codec = CB_CODEC_ENGINE;
    cand.note = NULL;
    char key[CB_RECIPE_HASH_HEX];
    if (cb_engine_settings_check(s, NULL) < 0)
        return 0;
    if (cb_propose_settings_key(&cand, key) < 0)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (h->n_tried && bsearch(key, h->tried, h->n_tried, sizeof *h->tried, cmp_key) != NULL)
        return 0;
    for (size_t i = 0; i < r->n_items; i++)
        if (!memcmp(r->items[i].key, key, CB_RECIPE_HASH_HEX))
            return 0;
    int rc;
    char *diff = cb_propose_diff(&a->r, &cand), *text = NULL;
    CbBuf name, why;
    cb_buf_init(&name, CB_RECIPE_NAME_MAX);
    cb_buf_init(&why, 2048);
    json_t *doc = NULL;
    if (!diff) {
        rc = CB_ENOMEM;
        goto done;
    }
    make_name(&name, a->r.name, diff, key);
    cb_buf_puts(&why, how);
    cb_buf_puts(&why, " ");
    describe(&why, a);
    if (b) {
        cb_buf_puts(&why, " and ");
        describe(&why, b);
    }
    cb_buf_printf(&why, ": %s", diff);
    doc = json_pack("{s:s, s:s, s:o?}", "name", name.data ? name.data : "local", "codec",
                    "engine", "settings", settings_json(s));
    text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (!text || !why.data) {
        rc = CB_ENOMEM;
        goto done;
    }
    rc = cb_propose_offer(h, r, why.data, text, strlen(text), a->rec->best_run, err);
done:
    if (rc == CB_ENOMEM)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    json_decref(doc);
    free(text);
    free(diff);
    cb_buf_free(&name);
    cb_buf_free(&why);
    return rc;
}

/* A binary tournament on the front (sorted by BD-rate): the better of two. */
static const Member *tournament(Rng *g, const Member *front, size_t n)
{
    int i = rng_below(g, (int)n), j = rng_below(g, (int)n);
    return &front[i < j ? i : j];
}

static int local_propose(const CbProposeHistory *h, const CbProposeParams *p, CbProposeRound *r,
                         CbError *err)
{
    if (p->stage != CB_STAGE_NONE)
        return cb_error_set(err, CB_ENOTSUP,
                            "the local proposer searches settings and writes no code: stages come "
                            "from the llm proposer (--proposer llm)");
    Rng g = {p->seed};
    Member *m = calloc(h->n_recipes ? h->n_recipes : 1, sizeof *m);
    size_t n = 0;
    int rc = CB_OK;
    CbRecipe dflt;
    memset(&dflt, 0, sizeof dflt);
    CbProposeRecipe dflt_rec;
    memset(&dflt_rec, 0, sizeof dflt_rec);
    if (!m)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (size_t i = 0; i < h->n_recipes; i++) {
        const CbProposeRecipe *pr = &h->recipes[i];
        if (!pr->codec_engine || !pr->done || !pr->json)
            continue;
        if (cb_recipe_parse(pr->json, strlen(pr->json), NULL, &m[n].r, NULL) < 0)
            continue;
        m[n].rec = pr;
        m[n].bd = isfinite(pr->bd_rate) ? pr->bd_rate : pr->is_anchor ? 0.0 : INFINITY;
        m[n].fps = isfinite(pr->encode_fps) ? pr->encode_fps : 0.0;
        n++;
    }
    if (n == 0) {
        /* No engine recipe has run: start from the engine's defaults, derived
         * from the experiment's best run. */
        const CbProposeRecipe *best = cb_propose_best(h);
        dflt_rec.best_run = best ? best->best_run : 0;
        dflt_rec.name = best && best->name ? best->name : (char *)"none";
        dflt_rec.bd_rate = dflt_rec.encode_fps = NAN;
        dflt.name = strdup("engine-defaults");
        if (!dflt.name) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto done;
        }
        dflt.codec = CB_CODEC_ENGINE;
        cb_engine_settings_default(&dflt.engine);
        m[0].rec = &dflt_rec;
        m[0].r = dflt;
        m[0].bd = INFINITY;
        n = 1;
        rc = offer(h, r, &m[0], NULL, "the engine's defaults (no engine recipe ran yet), from",
                   &dflt.engine, err);
        if (rc < 0)
            goto done;
        rc = CB_OK;
    }
    size_t nf = pareto(m, n);
    size_t fields_n;
    const CbField *fields = cb_engine_fields(&fields_n);
    /* the coordinate sweep from the best: fields in a seeded order */
    int order[64];
    int n_order = 0;
    for (size_t i = 0; i < fields_n && n_order < 64; i++)
        if (movable(&fields[i]))
            order[n_order++] = (int)i;
    for (int i = n_order - 1; i > 0; i--) {
        int j = rng_below(&g, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int sweep = 0;
    long attempts = (long)ATTEMPTS_PER_K * p->k;
    while ((int)r->n_items < p->k && attempts-- > 0) {
        CbEngineSettings s;
        const Member *a = &m[0], *b = NULL;
        const char *how = "a step from";
        int kind = rng_below(&g, 100);
        if (kind < 50 && sweep < 2 * n_order) {
            /* the sweep: each field once upwards and once downwards */
            s = a->r.engine;
            const CbField *f = &fields[order[sweep % n_order]];
            sweep++;
            if (inert(&s, f) || !step_field(&g, &s, f))
                continue;
        } else if (kind < 75 || nf < 2) {
            a = tournament(&g, m, nf);
            s = a->r.engine;
            int moves = kind < 75 ? 1 : 2 + rng_below(&g, 2), changed = 0;
            how = moves == 1 ? "a step from" : "a mutation of";
            for (int i = 0; i < moves; i++) {
                const CbField *f = pick_field(&g, &s);
                changed += f && step_field(&g, &s, f);
            }
            if (!changed)
                continue;
        } else {
            int i = rng_below(&g, (int)nf), j = rng_below(&g, (int)nf - 1);
            if (j >= i)
                j++;
            a = &m[i < j ? i : j];
            b = &m[i < j ? j : i];
            s = a->r.engine;
            how = "a crossover of";
            for (size_t fi = 0; fi < fields_n; fi++) {
                if (!movable(&fields[fi]) || !rng_below(&g, 2))
                    continue;
                *field_ptr(&s, &fields[fi]) =
                    *field_ptr((CbEngineSettings *)&b->r.engine, &fields[fi]);
            }
            if (!memcmp(&s, &b->r.engine, sizeof s)) {
                const CbField *f = pick_field(&g, &s);
                if (f)
                    step_field(&g, &s, f);
            }
        }
        rc = offer(h, r, a, b, how, &s, err);
        if (rc < 0)
            goto done;
        rc = CB_OK;
    }
done:
    for (size_t i = 0; i < n; i++)
        cb_recipe_free(&m[i].r);
    free(m);
    return rc;
}

const CbProposer cb_proposer_local = {"local", local_propose};

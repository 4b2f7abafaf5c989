/* codecbench dashboard: the table model of the runs view (see runtable.h).
 *
 * Memory: cell texts live in arenas (one per load, one for the rate-point
 * columns, refilled when the point changes), so a reload is a handful of
 * allocations however many runs there are.  Flattened recipes are kept by
 * hash across loads (a hash names its content); recipe fields, once seen,
 * keep their column id for the session. */
#include "tui/runtable.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecbench/buf.h"
#include "codecbench/recipe.h"
#include "tui/query.h"

/* Query ids of what is not a column. */
enum {
    Q_ANY = -2,
    Q_INPUT = -3,
    Q_REASON = -4,
    Q_ORIGIN = -5,
    Q_PARENT = -6,
    Q_POINTS = -7,
};

/* Recipe fields beyond this many are not given columns (a recipe is
 * validated, so real ones have a few dozen; the cap bounds hostile stores). */
#define MAX_FIELDS 512
/* Widest a column grows to (cells are cut with an ellipsis when drawn). */
#define FIELD_WIDTH_CAP 16
#define FIELDS_MARK     (-1)
#define ARENA_BLOCK     65536

typedef struct Builtin {
    const char *name, *title;
    int numeric;  /* right-aligned, sorted and queried as a number */
    int sort_num; /* sorted by the number even though shown as text */
    int cap;      /* widest the column grows */
} Builtin;

static const Builtin BUILTIN[TUI_RT_COL_FIELDS] = {
    [TUI_RT_COL_ID] = {"id", "ID", 1, 1, 8},
    [TUI_RT_COL_STATUS] = {"status", "STATUS", 0, 1, 14},
    [TUI_RT_COL_EXPERIMENT] = {"experiment", "EXPERIMENT", 0, 0, 20},
    [TUI_RT_COL_RECIPE] = {"recipe", "RECIPE", 0, 0, 24},
    [TUI_RT_COL_CODEC] = {"codec", "CODEC", 0, 0, 12},
    [TUI_RT_COL_CLIP] = {"clip", "CLIP", 0, 0, 20},
    [TUI_RT_COL_FRAMES] = {"frames", "FRAMES", 1, 1, 7},
    [TUI_RT_COL_KBPS] = {"kbps", "KBPS", 1, 1, 10},
    [TUI_RT_COL_PSNR] = {"psnr", "PSNR-Y", 1, 1, 8},
    [TUI_RT_COL_SSIM] = {"ssim", "SSIM", 1, 1, 8},
    [TUI_RT_COL_BD] = {"bd", "BD-RATE", 1, 1, 10},
    [TUI_RT_COL_BDPSNR] = {"bdpsnr", "BD-PSNR", 1, 1, 8},
    [TUI_RT_COL_FPS] = {"fps", "ENC-FPS", 1, 1, 8},
    [TUI_RT_COL_DURATION] = {"duration", "TIME", 1, 1, 7},
    [TUI_RT_COL_TAGS] = {"tags", "TAGS", 0, 0, 20},
    [TUI_RT_COL_CREATED] = {"created", "CREATED", 0, 1, 16},
};

static const char *const DEFAULT_SPEC =
    "id status recipe experiment codec clip kbps psnr ssim bd bdpsnr fps duration fields frames "
    "tags created";

static const char *const STATUS_NAMES[] = {"queued", "running",   "verifying",   "done",
                                           "failed", "cancelled", "interrupted", NULL};

/* Query names beyond the columns' own. */
static const TuiQueryField QUERY_ALIASES[] = {
    {"exp", TUI_QUERY_TEXT, TUI_RT_COL_EXPERIMENT, 0, NULL},
    {"name", TUI_QUERY_TEXT, TUI_RT_COL_RECIPE, 0, NULL},
    {"tag", TUI_QUERY_TEXT, TUI_RT_COL_TAGS, 1, NULL},
    {"psnr_y", TUI_QUERY_NUMBER, TUI_RT_COL_PSNR, 0, NULL},
    {"bd_rate", TUI_QUERY_NUMBER, TUI_RT_COL_BD, 0, NULL},
    {"bdrate", TUI_QUERY_NUMBER, TUI_RT_COL_BD, 0, NULL},
    {"bd_psnr", TUI_QUERY_NUMBER, TUI_RT_COL_BDPSNR, 0, NULL},
    {"encode_fps", TUI_QUERY_NUMBER, TUI_RT_COL_FPS, 0, NULL},
    {"time", TUI_QUERY_NUMBER, TUI_RT_COL_DURATION, 0, NULL},
    {"input", TUI_QUERY_TEXT, Q_INPUT, 0, NULL},
    {"reason", TUI_QUERY_TEXT, Q_REASON, 0, NULL},
    {"origin", TUI_QUERY_TEXT, Q_ORIGIN, 0, NULL},
    {"parent", TUI_QUERY_NUMBER, Q_PARENT, 0, NULL},
    {"points", TUI_QUERY_NUMBER, Q_POINTS, 0, NULL},
};
#define N_ALIASES (sizeof QUERY_ALIASES / sizeof QUERY_ALIASES[0])

/* ---- arenas --------------------------------------------------------------- */

typedef struct Arena {
    char **blocks;
    size_t n, cap;
    size_t used, size; /* of the last block */
} Arena;

static void arena_reset(Arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

/* A copy of n bytes of s, NUL-terminated, in the arena; NULL when out of memory. */
static const char *arena_dup(Arena *a, const char *s, size_t n)
{
    if (!a->n || a->used + n + 1 > a->size) {
        size_t size = n + 1 > ARENA_BLOCK ? n + 1 : ARENA_BLOCK;
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 16;
            char **g = realloc(a->blocks, cap * sizeof *g);
            if (!g)
                return NULL;
            a->blocks = g;
            a->cap = cap;
        }
        char *b = malloc(size);
        if (!b)
            return NULL;
        a->blocks[a->n++] = b;
        a->used = 0;
        a->size = size;
    }
    char *p = a->blocks[a->n - 1] + a->used;
    memcpy(p, s, n);
    p[n] = '\0';
    a->used += n + 1;
    return p;
}

/* ---- recipes, fields ------------------------------------------------------- */

typedef struct FlatVal {
    int field; /* index into the field registry */
    char *text;
    double num; /* NAN unless a JSON number */
} FlatVal;

typedef struct Recipe {
    char *hash;
    FlatVal *vals; /* by field ascending */
    size_t n;
    int seen;  /* used by a run shown (diff computation scratch) */
    int taken; /* moved to the next load's cache */
} Recipe;

typedef struct Field {
    char *path;  /* "settings.transform" */
    char *name;  /* "transform" (or the path when that would clash) */
    int numeric; /* every present value is a number (this load) */
    int present;
    int width;
} Field;

typedef struct Row {
    TuiRtRun run;
    int recipe; /* index into rt->recipes, -1: none */
    size_t pt_first;
    const char *text[TUI_RT_COL_FIELDS];
    double num[TUI_RT_COL_FIELDS];
    const char *experiment, *input, *reason, *origin, *any;
    double parent;
} Row;

typedef struct SortKey {
    size_t run;
    double num;
    const char *text;
} SortKey;

struct TuiRunTable {
    Arena arena, point_arena;
    Row *runs;
    size_t n_runs;
    CbPointSummary *points;
    size_t n_points;
    int max_points, point;

    Recipe *recipes; /* by hash */
    size_t n_recipes;
    Field *fields;
    size_t n_fields;

    TuiRtColumn *cols; /* TUI_RT_COL_FIELDS + n_fields */
    size_t n_cols;
    char point_titles[3][24];

    TuiQuery *query;
    char *experiment;
    int sort_col, sort_desc;
    int diff;

    int *spec; /* chosen columns (ids, FIELDS_MARK) */
    size_t n_spec;
    int *vis; /* shown columns */
    size_t n_vis;

    size_t *rows; /* run indexes shown, in order */
    size_t n_rows;
    size_t cursor;
    int64_t cursor_id; /* the run under the cursor, 0 when no rows */
    int64_t keep_id;   /* the run the cursor returns to (survives an empty filter) */

    TuiQueryField *qfields;
    size_t n_qfields;
    char *names; /* "id status ..." for errors */
    char *spec_text;
    char notice[CB_ERROR_TEXT_MAX];
    int has_notice;
    int64_t created_minute; /* load scratch: the last created minute formatted */
    const char *created_text;
};

static int is_builtin_name(const char *name)
{
    for (size_t i = 0; i < TUI_RT_COL_FIELDS; i++)
        if (strcmp(BUILTIN[i].name, name) == 0)
            return 1;
    for (size_t i = 0; i < N_ALIASES; i++)
        if (strcmp(QUERY_ALIASES[i].name, name) == 0)
            return 1;
    return strcmp(name, "fields") == 0 || strcmp(name, "default") == 0 || strcmp(name, "all") == 0;
}

/* The registry index of path (registered when new); -1 past MAX_FIELDS or out of memory. */
static int field_index(TuiRunTable *rt, const char *path)
{
    for (size_t i = 0; i < rt->n_fields; i++)
        if (strcmp(rt->fields[i].path, path) == 0)
            return (int)i;
    if (rt->n_fields >= MAX_FIELDS)
        return -1;
    Field *g = realloc(rt->fields, (rt->n_fields + 1) * sizeof *g);
    if (!g)
        return -1;
    rt->fields = g;
    Field *f = &rt->fields[rt->n_fields];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    const char *shortn = strncmp(path, "settings.", 9) == 0 ? path + 9 : path;
    int clash = is_builtin_name(shortn);
    for (size_t i = 0; i < rt->n_fields && !clash; i++)
        clash = strcmp(rt->fields[i].name, shortn) == 0;
    f->name = strdup(clash ? path : shortn);
    if (!f->path || !f->name) {
        free(f->path);
        free(f->name);
        return -1;
    }
    return (int)rt->n_fields++;
}

typedef struct FlatCtx {
    TuiRunTable *rt;
    FlatVal *vals;
    size_t n, cap;
    int oom;
} FlatCtx;

static void flat_add(FlatCtx *c, const char *path, const char *text, double num)
{
    int fi = field_index(c->rt, path);
    if (fi < 0)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (c->vals[i].field == fi)
            return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        FlatVal *g = realloc(c->vals, cap * sizeof *g);
        if (!g) {
            c->oom = 1;
            return;
        }
        c->vals = g;
        c->cap = cap;
    }
    size_t tn = strlen(text);
    if (tn > TUI_RT_CELL_MAX)
        tn = TUI_RT_CELL_MAX;
    char *t = strndup(text, tn);
    if (!t) {
        c->oom = 1;
        return;
    }
    c->vals[c->n].field = fi;
    c->vals[c->n].text = t;
    c->vals[c->n].num = num;
    c->n++;
}

/* A scalar's text; out has room for 64 bytes at least. */
static const char *scalar_text(const json_t *v, char *out, size_t size, double *num)
{
    *num = NAN;
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_value(v);
    case JSON_INTEGER:
        *num = (double)json_integer_value(v);
        if (snprintf(out, size, "%lld", (long long)json_integer_value(v)) < 0)
            return "?";
        return out;
    case JSON_REAL:
        *num = json_real_value(v);
        if (snprintf(out, size, "%.6g", json_real_value(v)) < 0)
            return "?";
        return out;
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    default: return NULL;
    }
}

static void flatten(FlatCtx *c, const json_t *v, char *path, size_t plen, size_t pcap, int depth)
{
    if (c->oom || depth > 8)
        return;
    char buf[64];
    double num;
    if (json_is_object(v)) {
        const char *key;
        json_t *sub;
        json_object_foreach((json_t *)v, key, sub)
        {
            if (depth == 0 &&
                (strcmp(key, "name") == 0 || strcmp(key, "note") == 0 || strcmp(key, "codec") == 0))
                continue;
            int w = snprintf(path + plen, pcap - plen, "%s%s", plen ? "." : "", key);
            if (w < 0 || (size_t)w >= pcap - plen)
                continue; /* a path this long is no column anyone reads */
            flatten(c, sub, path, plen + (size_t)w, pcap, depth + 1);
            path[plen] = '\0';
        }
        return;
    }
    if (depth == 0)
        return;
    if (json_is_array(v)) {
        CbBuf b;
        cb_buf_init(&b, TUI_RT_CELL_MAX);
        size_t i;
        json_t *e;
        int scalars = 1;
        json_array_foreach(v, i, e)
        {
            const char *t = scalar_text(e, buf, sizeof buf, &num);
            if (!t) {
                scalars = 0;
                break;
            }
            if ((i && cb_buf_puts(&b, ",") < 0) || cb_buf_puts(&b, t) < 0)
                break; /* cut at the cap */
        }
        if (!scalars) {
            cb_buf_reset(&b);
            char *d = json_dumps(v, JSON_COMPACT);
            if (d) {
                cb_buf_append(&b, d, strlen(d) > TUI_RT_CELL_MAX ? TUI_RT_CELL_MAX : strlen(d));
                free(d);
            }
        }
        flat_add(c, path, b.data ? b.data : "", NAN);
        cb_buf_free(&b);
        return;
    }
    const char *t = scalar_text(v, buf, sizeof buf, &num);
    if (t)
        flat_add(c, path, t, num);
}

static int cmp_flatval(const void *a, const void *b)
{
    const FlatVal *x = a, *y = b;
    return (x->field > y->field) - (x->field < y->field);
}

static void recipe_clear(Recipe *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->vals[i].text);
    free(r->vals);
    free(r->hash);
    memset(r, 0, sizeof *r);
}

/* Flattens one recipe into r.  The store keeps recipes as they were
 * written (a setting left out means its default), so a valid recipe is
 * flattened from its canonical form, which spells out every setting: a
 * field then differs only where what runs differs.  A text that does not
 * validate (a newer build's field) is flattened as written; one that is
 * not JSON has no fields, and its runs are still shown. */
static int recipe_make(TuiRunTable *rt, const CbRecipeText *in, Recipe *r)
{
    memset(r, 0, sizeof *r);
    r->hash = strdup(in->hash ? in->hash : "");
    if (!r->hash)
        return CB_ENOMEM;
    char *canon = NULL;
    if (in->json) {
        CbRecipe rec;
        if (cb_recipe_parse(in->json, strlen(in->json), "recipe", &rec, NULL) == CB_OK) {
            canon = cb_recipe_canonical(&rec);
            cb_recipe_free(&rec);
        }
    }
    const char *text = canon ? canon : in->json;
    json_t *j = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(canon);
    if (!json_is_object(j)) {
        json_decref(j);
        return CB_OK;
    }
    FlatCtx c = {.rt = rt};
    char path[256];
    path[0] = '\0';
    flatten(&c, j, path, 0, sizeof path, 0);
    json_decref(j);
    if (c.oom) {
        for (size_t i = 0; i < c.n; i++)
            free(c.vals[i].text);
        free(c.vals);
        free(r->hash);
        r->hash = NULL;
        return CB_ENOMEM;
    }
    qsort(c.vals, c.n, sizeof *c.vals, cmp_flatval);
    r->vals = c.vals;
    r->n = c.n;
    return CB_OK;
}

static const FlatVal *recipe_value(const TuiRunTable *rt, int recipe, int field)
{
    if (recipe < 0)
        return NULL;
    const Recipe *r = &rt->recipes[recipe];
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->vals[mid].field < field)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->vals[lo].field == field ? &r->vals[lo] : NULL;
}

/* ---- cells ------------------------------------------------------------------ */

/* Display columns of UTF-8 text (code points; wide characters are rare in
 * these cells, and the drawing cuts what does not fit). */
static int text_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static const char *cell_text(const TuiRunTable *rt, size_t run, int col)
{
    if (col < TUI_RT_COL_FIELDS)
        return rt->runs[run].text[col];
    const FlatVal *v = recipe_value(rt, rt->runs[run].recipe, col - TUI_RT_COL_FIELDS);
    return v ? v->text : NULL;
}

static double cell_num(const TuiRunTable *rt, size_t run, int col)
{
    if (col < TUI_RT_COL_FIELDS)
        return rt->runs[run].num[col];
    const FlatVal *v = recipe_value(rt, rt->runs[run].recipe, col - TUI_RT_COL_FIELDS);
    return v ? v->num : NAN;
}

static const char *q_text(const void *ctx, size_t run, int id)
{
    const TuiRunTable *rt = ctx;
    const Row *r = &rt->runs[run];
    switch (id) {
    case Q_ANY: return r->any;
    case Q_INPUT: return r->input;
    case Q_REASON: return r->reason;
    case Q_ORIGIN: return r->origin;
    default: return id >= 0 && (size_t)id < rt->n_cols ? cell_text(rt, run, id) : NULL;
    }
}

static double q_number(const void *ctx, size_t run, int id)
{
    const TuiRunTable *rt = ctx;
    const Row *r = &rt->runs[run];
    switch (id) {
    case Q_PARENT: return r->parent;
    case Q_POINTS: return (double)r->run.n_points;
    default: return id >= 0 && (size_t)id < rt->n_cols ? cell_num(rt, run, id) : NAN;
    }
}

void tui_runtable_format_duration(double s, char *out, size_t size)
{
    int w;
    if (!isfinite(s) || s < 0)
        w = snprintf(out, size, "-");
    else if (s < 60)
        w = snprintf(out, size, "%.1fs", s);
    else if (s < 3600)
        w = snprintf(out, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else if (s < 86400)
        w = snprintf(out, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else if (s < 1e9)
        w = snprintf(out, size, "%dd%02dh", (int)(s / 86400), (int)fmod(s / 3600, 24));
    else
        w = snprintf(out, size, ">30y");
    if (w < 0 && size)
        out[0] = '\0';
}

static int set_cell(TuiRunTable *rt, Arena *a, Row *r, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Formats a finite v with decimals digits after the point (and a sign when
 * plus) into out, as printf's "%+.Nf" would for values of ordinary size,
 * without printf's slow exact path: rounding is llround's (half away from
 * zero) on v * 10^decimals.  Returns the length, or -1 for values beyond
 * 1e15 (printf then does it). */
static int fixed(char *out, size_t size, double v, int decimals, int plus)
{
    static const double POW10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (decimals < 0 || decimals > 6 || !(fabs(v) < 1e15 / POW10[decimals]) || size < 40)
        return -1;
    long long q = llround(fabs(v) * POW10[decimals]);
    char digits[32];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + q % 10);
        q /= 10;
    } while (q > 0 || nd <= decimals);
    int neg = v < 0 && nd > 0;
    /* "-0.00" is printed as "+0.00" / "0.00": a zero after rounding has no sign */
    int allzero = 1;
    for (int i = 0; i < nd; i++)
        if (digits[i] != '0')
            allzero = 0;
    size_t o = 0;
    if (neg && !allzero)
        out[o++] = '-';
    else if (plus)
        out[o++] = '+';
    for (int i = nd - 1; i >= 0; i--) {
        out[o++] = digits[i];
        if (i == decimals && decimals > 0)
            out[o++] = '.';
    }
    out[o] = '\0';
    return (int)o;
}

/* A number cell: fixed-point text with decimals (plus: a sign, pct: a '%'). */
static int set_num(TuiRunTable *rt, Arena *a, Row *r, int col, double v, int decimals, int plus,
                   int pct)
{
    char buf[64];
    int n = fixed(buf, sizeof buf, v, decimals, plus);
    if (n < 0)
        return set_cell(rt, a, r, col, plus ? "%+.*f%s" : "%.*f%s", decimals, v, pct ? "%" : "");
    if (pct) {
        buf[n++] = '%';
        buf[n] = '\0';
    }
    const char *t = arena_dup(a, buf, (size_t)n);
    if (!t)
        return CB_ENOMEM;
    r->text[col] = t;
    TuiRtColumn *c = &rt->cols[col];
    if (n > c->width)
        c->width = n < BUILTIN[col].cap ? n : BUILTIN[col].cap;
    return CB_OK;
}

/* Sets a built-in cell from printf-style text; 0 or CB_ENOMEM. */
static int set_cell(TuiRunTable *rt, Arena *a, Row *r, int col, const char *fmt, ...)
{
    char buf[TUI_RT_CELL_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (w < 0)
        return CB_ENOMEM;
    size_t n = (size_t)w < sizeof buf ? (size_t)w : sizeof buf - 1;
    const char *t = arena_dup(a, buf, n);
    if (!t)
        return CB_ENOMEM;
    r->text[col] = t;
    int tw = text_width(t);
    TuiRtColumn *c = &rt->cols[col];
    if (tw > c->width)
        c->width = tw < BUILTIN[col].cap ? tw : BUILTIN[col].cap;
    return CB_OK;
}

/* A string from the run as a cell (NULL and "" are missing). */
static int set_text(TuiRunTable *rt, Row *r, int col, const char *s)
{
    if (!s || !*s)
        return CB_OK;
    size_t n = strlen(s);
    if (n > TUI_RT_CELL_MAX)
        n = TUI_RT_CELL_MAX;
    const char *t = arena_dup(&rt->arena, s, n);
    if (!t)
        return CB_ENOMEM;
    r->text[col] = t;
    int tw = text_width(t);
    TuiRtColumn *c = &rt->cols[col];
    if (tw > c->width)
        c->width = tw < BUILTIN[col].cap ? tw : BUILTIN[col].cap;
    return CB_OK;
}

/* Formats the rate-point columns of every run for rt->point. */
static int format_points(TuiRunTable *rt)
{
    arena_reset(&rt->point_arena);
    static const int pcols[3] = {TUI_RT_COL_KBPS, TUI_RT_COL_PSNR, TUI_RT_COL_SSIM};
    for (int k = 0; k < 3; k++) {
        int c = pcols[k];
        if (snprintf(rt->point_titles[k], sizeof rt->point_titles[k], "%s@%d", BUILTIN[c].title,
                     rt->point + 1) < 0)
            return CB_ENOMEM;
        rt->cols[c].title = rt->max_points > 1 ? rt->point_titles[k] : BUILTIN[c].title;
        rt->cols[c].width = text_width(rt->cols[c].title);
    }
    for (size_t i = 0; i < rt->n_runs; i++) {
        Row *r = &rt->runs[i];
        for (int k = 0; k < 3; k++) {
            r->text[pcols[k]] = NULL;
            r->num[pcols[k]] = NAN;
        }
        if (r->run.n_points <= rt->point)
            continue;
        const CbPointSummary *p = &rt->points[r->pt_first + (size_t)rt->point];
        int rc = CB_OK;
        if (isfinite(p->kbps)) {
            r->num[TUI_RT_COL_KBPS] = p->kbps;
            rc = set_num(rt, &rt->point_arena, r, TUI_RT_COL_KBPS, p->kbps, 1, 0, 0);
        }
        if (rc == CB_OK && isfinite(p->psnr_y)) {
            r->num[TUI_RT_COL_PSNR] = p->psnr_y;
            rc = set_num(rt, &rt->point_arena, r, TUI_RT_COL_PSNR, p->psnr_y, 3, 0, 0);
        }
        if (rc == CB_OK && isfinite(p->ssim)) {
            r->num[TUI_RT_COL_SSIM] = p->ssim;
            rc = set_num(rt, &rt->point_arena, r, TUI_RT_COL_SSIM, p->ssim, 4, 0, 0);
        }
        if (rc < 0)
            return rc;
    }
    return CB_OK;
}

/* Fills the built-in cells of row r from run. */
static int format_row(TuiRunTable *rt, Row *r, const CbRunInfo *ri, double now)
{
    Arena *a = &rt->arena;
    int rc = set_num(rt, a, r, TUI_RT_COL_ID, (double)ri->id, 0, 0, 0);
    r->num[TUI_RT_COL_ID] = (double)ri->id;
    const char *st = cb_run_status_name(ri->status);
    if (rc == CB_OK)
        rc = set_text(rt, r, TUI_RT_COL_STATUS, st ? st : "?");
    r->num[TUI_RT_COL_STATUS] = (double)ri->status;
    if (rc == CB_OK)
        rc = set_text(rt, r, TUI_RT_COL_EXPERIMENT, ri->experiment);
    if (rc == CB_OK)
        rc = set_text(rt, r, TUI_RT_COL_RECIPE, ri->recipe_name);
    if (rc == CB_OK)
        rc = set_text(rt, r, TUI_RT_COL_CODEC, ri->codec);
    if (rc == CB_OK && ri->input) {
        const char *slash = strrchr(ri->input, '/');
        rc = set_text(rt, r, TUI_RT_COL_CLIP, slash && slash[1] ? slash + 1 : ri->input);
    }
    if (rc == CB_OK && ri->frames > 0) {
        r->num[TUI_RT_COL_FRAMES] = (double)ri->frames;
        rc = set_num(rt, a, r, TUI_RT_COL_FRAMES, (double)ri->frames, 0, 0, 0);
    } else if (rc == CB_OK) {
        rc = set_text(rt, r, TUI_RT_COL_FRAMES, "all");
    }
    if (rc == CB_OK && isfinite(ri->bd_rate)) {
        r->num[TUI_RT_COL_BD] = ri->bd_rate;
        rc = set_num(rt, a, r, TUI_RT_COL_BD, ri->bd_rate, 2, 1, 1);
    }
    if (rc == CB_OK && isfinite(ri->bd_psnr)) {
        r->num[TUI_RT_COL_BDPSNR] = ri->bd_psnr;
        rc = set_num(rt, a, r, TUI_RT_COL_BDPSNR, ri->bd_psnr, 3, 1, 0);
    }
    if (rc == CB_OK && isfinite(ri->encode_fps)) {
        r->num[TUI_RT_COL_FPS] = ri->encode_fps;
        rc = set_num(rt, a, r, TUI_RT_COL_FPS, ri->encode_fps, 1, 0, 0);
    }
    if (rc == CB_OK && isfinite(ri->started)) {
        double end = isfinite(ri->finished) ? ri->finished : now;
        double d = end - ri->started;
        if (d >= 0 && isfinite(d)) {
            char buf[32];
            tui_runtable_format_duration(d, buf, sizeof buf);
            r->num[TUI_RT_COL_DURATION] = d;
            rc = set_text(rt, r, TUI_RT_COL_DURATION, buf);
        }
    }
    if (rc == CB_OK)
        rc = set_text(rt, r, TUI_RT_COL_TAGS, ri->tags);
    if (rc == CB_OK && isfinite(ri->created) && fabs(ri->created) < 1e12) {
        /* Runs queued together share a minute: format each minute once. */
        time_t t = (time_t)ri->created;
        struct tm tm;
        if (rt->created_minute != (int64_t)t / 60 || !rt->created_text) {
            char buf[32];
            rt->created_text = NULL;
            if (localtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm) > 0) {
                rt->created_text = arena_dup(a, buf, strlen(buf));
                if (!rt->created_text)
                    return CB_ENOMEM;
                rt->created_minute = (int64_t)t / 60;
            }
        }
        if (rt->created_text) {
            r->num[TUI_RT_COL_CREATED] = ri->created;
            r->text[TUI_RT_COL_CREATED] = rt->created_text;
            int w = text_width(rt->created_text);
            if (w > rt->cols[TUI_RT_COL_CREATED].width)
                rt->cols[TUI_RT_COL_CREATED].width = w;
        }
    }
    if (rc < 0)
        return rc;
    /* What a bare word searches: name, experiment, codec, tags, reason. */
    char any[5 * (TUI_RT_CELL_MAX + 1)];
    const char *parts[5] = {ri->recipe_name, ri->experiment, ri->codec, ri->tags, ri->reason};
    size_t w = 0;
    for (int k = 0; k < 5; k++) {
        size_t pn = parts[k] ? strnlen(parts[k], TUI_RT_CELL_MAX) : 0;
        if (k)
            any[w++] = '\x1f';
        memcpy(any + w, parts[k] ? parts[k] : "", pn);
        w += pn;
    }
    r->any = arena_dup(a, any, w);
    r->experiment = ri->experiment ? arena_dup(a, ri->experiment, strlen(ri->experiment)) : NULL;
    r->input = ri->input ? arena_dup(a, ri->input, strnlen(ri->input, 4096)) : NULL;
    r->reason = ri->reason ? arena_dup(a, ri->reason, strnlen(ri->reason, 4096)) : NULL;
    r->origin = ri->origin ? arena_dup(a, ri->origin, strnlen(ri->origin, 64)) : NULL;
    if (!r->any || (ri->experiment && !r->experiment) || (ri->input && !r->input) ||
        (ri->reason && !r->reason) || (ri->origin && !r->origin))
        return CB_ENOMEM;
    r->parent = ri->parent > 0 ? (double)ri->parent : NAN;
    return CB_OK;
}

/* ---- columns, query schema ------------------------------------------------------ */

static int build_columns(TuiRunTable *rt)
{
    size_t n = TUI_RT_COL_FIELDS + rt->n_fields;
    TuiRtColumn *c = calloc(n, sizeof *c);
    if (!c)
        return CB_ENOMEM;
    for (size_t i = 0; i < TUI_RT_COL_FIELDS; i++) {
        c[i].name = c[i].path = BUILTIN[i].name;
        c[i].title = BUILTIN[i].title;
        c[i].numeric = BUILTIN[i].numeric;
        c[i].width = text_width(BUILTIN[i].title);
        c[i].present = 1;
    }
    for (size_t i = 0; i < rt->n_fields; i++) {
        TuiRtColumn *col = &c[TUI_RT_COL_FIELDS + i];
        col->name = col->title = rt->fields[i].name;
        col->path = rt->fields[i].path;
        col->numeric = rt->fields[i].numeric;
        col->present = rt->fields[i].present;
        int tw = text_width(col->title);
        col->width = rt->fields[i].width > tw ? rt->fields[i].width : tw;
    }
    free(rt->cols);
    rt->cols = c;
    rt->n_cols = n;
    return CB_OK;
}

/* The query fields: the columns by name (and recipe fields by path too), the aliases. */
static int build_schema(TuiRunTable *rt)
{
    size_t n = rt->n_cols * 2 + N_ALIASES;
    TuiQueryField *f = calloc(n, sizeof *f);
    CbBuf names;
    cb_buf_init(&names, 1 << 20);
    if (!f)
        goto fail;
    size_t k = 0;
    for (size_t i = 0; i < rt->n_cols; i++) {
        const TuiRtColumn *c = &rt->cols[i];
        int numeric = i < TUI_RT_COL_FIELDS ? BUILTIN[i].numeric : c->numeric;
        TuiQueryField q = {c->name, numeric ? TUI_QUERY_NUMBER : TUI_QUERY_TEXT, (int)i,
                           i == TUI_RT_COL_TAGS, i == TUI_RT_COL_STATUS ? STATUS_NAMES : NULL};
        f[k++] = q;
        if (strcmp(c->path, c->name) != 0) {
            q.name = c->path;
            f[k++] = q;
        }
    }
    for (size_t i = 0; i < N_ALIASES; i++)
        f[k++] = QUERY_ALIASES[i];
    for (size_t i = 0; i < TUI_RT_COL_FIELDS; i++)
        if (cb_buf_printf(&names, "%s%s", i ? " " : "", BUILTIN[i].name) < 0)
            goto fail;
    if (cb_buf_puts(&names, " input reason origin parent points") < 0)
        goto fail;
    size_t shown = 0;
    for (size_t i = 0; i < rt->n_fields; i++) {
        if (!rt->fields[i].present)
            continue;
        if (shown == 0 && cb_buf_puts(&names, ", or a recipe field:") < 0)
            goto fail;
        if (shown == 8) {
            if (cb_buf_puts(&names, " ...") < 0)
                goto fail;
            break;
        }
        if (cb_buf_printf(&names, " %s", rt->fields[i].name) < 0)
            goto fail;
        shown++;
    }
    free(rt->qfields);
    free(rt->names);
    rt->qfields = f;
    rt->n_qfields = k;
    rt->names = cb_buf_steal(&names);
    return rt->names ? CB_OK : CB_ENOMEM;
fail:
    free(f);
    cb_buf_free(&names);
    return CB_ENOMEM;
}

static TuiQuerySchema schema_of(const TuiRunTable *rt)
{
    TuiQuerySchema s = {rt->qfields, rt->n_qfields, Q_ANY, rt->names};
    return s;
}

/* ---- filtering and sorting ------------------------------------------------------ */

typedef struct SortCtx {
    int numeric, desc;
} SortCtx;

static int ci_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y || !x)
            return (x > y) - (x < y);
    }
}

static int key_cmp(const SortKey *a, const SortKey *b, const SortCtx *c)
{
    int r;
    if (c->numeric) {
        int ma = isnan(a->num), mb = isnan(b->num);
        if (ma || mb)
            return ma - mb; /* missing last, whatever the direction */
        r = (a->num > b->num) - (a->num < b->num);
    } else {
        int ma = !a->text, mb = !b->text;
        if (ma || mb)
            return ma - mb;
        r = ci_cmp(a->text, b->text);
        if (r == 0)
            r = strcmp(a->text, b->text);
    }
    return c->desc ? -r : r;
}

/* Stable merge sort (rows arrive by id, so equal keys stay by id). */
static void merge_sort(SortKey *k, SortKey *tmp, size_t n, const SortCtx *c)
{
    if (n < 2)
        return;
    if (n <= 8) {
        for (size_t i = 1; i < n; i++) {
            SortKey x = k[i];
            size_t j = i;
            while (j > 0 && key_cmp(&k[j - 1], &x, c) > 0) {
                k[j] = k[j - 1];
                j--;
            }
            k[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort(k, tmp, h, c);
    merge_sort(k + h, tmp, n - h, c);
    if (key_cmp(&k[h - 1], &k[h], c) <= 0)
        return;
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n)
        tmp[o++] = key_cmp(&k[j], &k[i], c) < 0 ? k[j++] : k[i++];
    while (i < h)
        tmp[o++] = k[i++];
    while (j < n)
        tmp[o++] = k[j++];
    memcpy(k, tmp, n * sizeof *k);
}

static int col_sorts_numeric(const TuiRunTable *rt, int col)
{
    if (col < TUI_RT_COL_FIELDS)
        return BUILTIN[col].sort_num;
    return rt->cols[col].numeric;
}

/* Which recipe fields differ among the shown rows; then the shown columns. */
static int build_visible(TuiRunTable *rt)
{
    for (size_t i = 0; i < rt->n_recipes; i++)
        rt->recipes[i].seen = 0;
    int none_seen = 0;
    for (size_t i = 0; i < rt->n_rows; i++) {
        int rc = rt->runs[rt->rows[i]].recipe;
        if (rc >= 0)
            rt->recipes[rc].seen = 1;
        else
            none_seen = 1;
    }
    size_t cap = rt->n_spec + rt->n_fields;
    int *vis = malloc((cap ? cap : 1) * sizeof *vis);
    if (!vis)
        return CB_ENOMEM;
    size_t n = 0;
    for (size_t s = 0; s < rt->n_spec; s++) {
        if (rt->spec[s] != FIELDS_MARK) {
            if ((size_t)rt->spec[s] < rt->n_cols)
                vis[n++] = rt->spec[s];
            continue;
        }
        for (size_t f = 0; f < rt->n_fields; f++) {
            if (!rt->fields[f].present)
                continue;
            int col = TUI_RT_COL_FIELDS + (int)f;
            int named = 0;
            for (size_t t = 0; t < rt->n_spec && !named; t++)
                named = rt->spec[t] == col;
            if (named)
                continue;
            if (rt->diff) {
                /* differs: two seen recipes (or a run without one) disagree */
                const char *first = NULL;
                int have = 0, differs = 0;
                if (none_seen) {
                    have = 1;
                    first = NULL;
                }
                for (size_t r = 0; r < rt->n_recipes && !differs; r++) {
                    if (!rt->recipes[r].seen)
                        continue;
                    const FlatVal *v = recipe_value(rt, (int)r, (int)f);
                    const char *t = v ? v->text : NULL;
                    if (!have) {
                        first = t;
                        have = 1;
                    } else if ((first == NULL) != (t == NULL) || (t && strcmp(first, t) != 0)) {
                        differs = 1;
                    }
                }
                if (!differs)
                    continue;
            }
            vis[n++] = col;
        }
    }
    free(rt->vis);
    rt->vis = vis;
    rt->n_vis = n;
    return CB_OK;
}

/* Filters, sorts and rebuilds the shown columns, keeping the cursor's run. */
static int refilter(TuiRunTable *rt)
{
    int64_t keep = rt->keep_id;
    size_t keep_at = rt->cursor;
    SortKey *keys = malloc((rt->n_runs ? rt->n_runs : 1) * sizeof *keys);
    SortKey *tmp = malloc((rt->n_runs ? rt->n_runs : 1) * sizeof *tmp);
    size_t *rows = malloc((rt->n_runs ? rt->n_runs : 1) * sizeof *rows);
    if (!keys || !tmp || !rows) {
        free(keys);
        free(tmp);
        free(rows);
        return CB_ENOMEM;
    }
    TuiQueryAccess acc = {q_text, q_number, rt};
    int col = rt->sort_col;
    SortCtx sc = {col_sorts_numeric(rt, col), rt->sort_desc};
    size_t n = 0;
    for (size_t i = 0; i < rt->n_runs; i++) {
        const Row *r = &rt->runs[i];
        if (rt->experiment && (!r->experiment || strcmp(r->experiment, rt->experiment) != 0))
            continue;
        if (!tui_query_match(rt->query, &acc, i))
            continue;
        keys[n].run = i;
        keys[n].num = cell_num(rt, i, col);
        keys[n].text = cell_text(rt, i, col);
        n++;
    }
    merge_sort(keys, tmp, n, &sc);
    for (size_t i = 0; i < n; i++)
        rows[i] = keys[i].run;
    free(keys);
    free(tmp);
    free(rt->rows);
    rt->rows = rows;
    rt->n_rows = n;
    rt->cursor = 0;
    rt->cursor_id = 0;
    if (n) {
        long at = keep ? tui_runtable_find(rt, keep) : -1;
        tui_runtable_set_cursor(rt, at >= 0 ? at : (long)keep_at);
        if (at < 0 && keep && n)
            rt->keep_id = keep; /* the run may come back when the filter changes */
    }
    return build_visible(rt);
}

/* ---- public ------------------------------------------------------------------------ */

int tui_runtable_new(TuiRunTable **out, CbError *err)
{
    *out = NULL;
    TuiRunTable *rt = calloc(1, sizeof *rt);
    if (!rt)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    rt->diff = 1;
    rt->sort_col = TUI_RT_COL_ID;
    int rc = build_columns(rt);
    if (rc == CB_OK)
        rc = build_schema(rt);
    if (rc == CB_OK)
        rc = tui_runtable_set_columns(rt, "default", err);
    if (rc == CB_OK)
        rc = tui_query_parse("", &(TuiQuerySchema){rt->qfields, rt->n_qfields, Q_ANY, rt->names},
                             &rt->query, err);
    if (rc < 0) {
        tui_runtable_free(&rt);
        return cb_error_set(err, rc, "out of memory");
    }
    *out = rt;
    return CB_OK;
}

void tui_runtable_free(TuiRunTable **p)
{
    if (!p || !*p)
        return;
    TuiRunTable *rt = *p;
    arena_reset(&rt->arena);
    arena_reset(&rt->point_arena);
    free(rt->runs);
    free(rt->points);
    for (size_t i = 0; i < rt->n_recipes; i++)
        recipe_clear(&rt->recipes[i]);
    free(rt->recipes);
    for (size_t i = 0; i < rt->n_fields; i++) {
        free(rt->fields[i].path);
        free(rt->fields[i].name);
    }
    free(rt->fields);
    free(rt->cols);
    tui_query_free(&rt->query);
    free(rt->experiment);
    free(rt->spec);
    free(rt->vis);
    free(rt->rows);
    free(rt->qfields);
    free(rt->names);
    free(rt->spec_text);
    free(rt);
    *p = NULL;
}

static int find_recipe(const Recipe *rs, size_t n, const char *hash)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(rs[mid].hash, hash);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int cmp_recipe(const void *a, const void *b)
{
    return strcmp(((const Recipe *)a)->hash, ((const Recipe *)b)->hash);
}

/* The new recipe cache: kept flattenings for hashes still in use, new ones made. */
static int load_recipes(TuiRunTable *rt, const TuiRtInput *in)
{
    Recipe *nr = calloc(in->n_recipes ? in->n_recipes : 1, sizeof *nr);
    if (!nr)
        return CB_ENOMEM;
    size_t n = 0;
    int rc = CB_OK;
    for (size_t i = 0; i < in->n_recipes && rc == CB_OK; i++) {
        const char *h = in->recipes[i].hash ? in->recipes[i].hash : "";
        int old = find_recipe(rt->recipes, rt->n_recipes, h);
        if (old >= 0 && !rt->recipes[old].taken) {
            /* the flattening moves; the old entry keeps its hash (still sorted) */
            Recipe *o = &rt->recipes[old];
            nr[n].hash = strdup(o->hash);
            if (!nr[n].hash) {
                rc = CB_ENOMEM;
                break;
            }
            nr[n].vals = o->vals;
            nr[n].n = o->n;
            o->vals = NULL;
            o->n = 0;
            o->taken = 1;
            n++;
        } else {
            rc = recipe_make(rt, &in->recipes[i], &nr[n]);
            if (rc == CB_OK)
                n++;
        }
    }
    for (size_t i = 0; i < rt->n_recipes; i++)
        recipe_clear(&rt->recipes[i]);
    free(rt->recipes);
    rt->recipes = nr;
    rt->n_recipes = n;
    /* The input is by hash already; sort anyway so that lookups never depend on it. */
    qsort(rt->recipes, rt->n_recipes, sizeof *rt->recipes, cmp_recipe);
    return rc;
}

static void clear_data(TuiRunTable *rt)
{
    arena_reset(&rt->arena);
    arena_reset(&rt->point_arena);
    free(rt->runs);
    rt->runs = NULL;
    rt->n_runs = 0;
    free(rt->points);
    rt->points = NULL;
    rt->n_points = 0;
    rt->n_rows = 0;
    rt->max_points = 0;
}

int tui_runtable_load(TuiRunTable *rt, const TuiRtInput *in, CbError *err)
{
    int rc = CB_OK;
    clear_data(rt);
    rt->created_text = NULL;
    rc = load_recipes(rt, in);
    if (rc < 0)
        goto fail;
    for (size_t i = 0; i < rt->n_fields; i++) {
        rt->fields[i].present = 0;
        rt->fields[i].numeric = 1;
        rt->fields[i].width = 0;
    }
    for (size_t r = 0; r < rt->n_recipes; r++)
        for (size_t v = 0; v < rt->recipes[r].n; v++) {
            const FlatVal *fv = &rt->recipes[r].vals[v];
            Field *f = &rt->fields[fv->field];
            f->present = 1;
            if (isnan(fv->num))
                f->numeric = 0;
            int w = text_width(fv->text);
            if (w > FIELD_WIDTH_CAP)
                w = FIELD_WIDTH_CAP;
            if (w > f->width)
                f->width = w;
        }
    for (size_t i = 0; i < rt->n_fields; i++)
        if (!rt->fields[i].present)
            rt->fields[i].numeric = 0;
    rc = build_columns(rt);
    if (rc < 0)
        goto fail;
    rt->runs = calloc(in->n_runs ? in->n_runs : 1, sizeof *rt->runs);
    rt->points = malloc((in->n_points ? in->n_points : 1) * sizeof *rt->points);
    if (!rt->runs || !rt->points) {
        rc = CB_ENOMEM;
        goto fail;
    }
    if (in->n_points)
        memcpy(rt->points, in->points, in->n_points * sizeof *rt->points);
    rt->n_points = in->n_points;
    size_t pi = 0;
    for (size_t i = 0; i < in->n_runs; i++) {
        const CbRunInfo *ri = &in->runs[i];
        Row *r = &rt->runs[i];
        for (int c = 0; c < TUI_RT_COL_FIELDS; c++)
            r->num[c] = NAN;
        r->run.id = ri->id;
        r->run.status = ri->status;
        r->run.started = ri->started;
        r->run.finished = ri->finished;
        r->run.cancel_requested = ri->cancel_requested;
        r->recipe = ri->recipe_hash ? find_recipe(rt->recipes, rt->n_recipes, ri->recipe_hash) : -1;
        /* points and runs are both by id: walk them together */
        while (pi < rt->n_points && rt->points[pi].run_id < ri->id)
            pi++;
        r->pt_first = pi;
        int np = 0;
        while (pi < rt->n_points && rt->points[pi].run_id == ri->id) {
            pi++;
            np++;
        }
        r->run.n_points = np;
        if (np > rt->max_points)
            rt->max_points = np;
        rc = format_row(rt, r, ri, in->now);
        if (rc < 0)
            goto fail;
        rt->n_runs = i + 1;
    }
    if (rt->point >= rt->max_points)
        rt->point = rt->max_points > 0 ? rt->max_points - 1 : 0;
    rc = format_points(rt);
    if (rc < 0)
        goto fail;
    rc = build_schema(rt);
    if (rc < 0)
        goto fail;
    /* The query again against the new columns (a field's kind may have changed). */
    TuiQuery *q = NULL;
    TuiQuerySchema sch = schema_of(rt);
    CbError qerr;
    if (tui_query_parse(tui_query_text(rt->query), &sch, &q, &qerr) < 0) {
        if (snprintf(rt->notice, sizeof rt->notice, "the filter was cleared: %s", qerr.text) < 0)
            rt->notice[0] = '\0';
        rt->has_notice = 1;
        rc = tui_query_parse("", &sch, &q, err);
        if (rc < 0)
            goto fail;
    }
    tui_query_free(&rt->query);
    rt->query = q;
    rc = refilter(rt);
    if (rc < 0)
        goto fail;
    return CB_OK;
fail:
    clear_data(rt);
    free(rt->rows);
    rt->rows = NULL;
    rt->n_rows = 0;
    return cb_error_set(err, rc, "building the table of runs: %s", cb_strerror(rc));
}

const char *tui_runtable_notice(TuiRunTable *rt)
{
    if (!rt->has_notice)
        return NULL;
    rt->has_notice = 0;
    return rt->notice;
}

int tui_runtable_set_query(TuiRunTable *rt, const char *text, CbError *err)
{
    TuiQuery *q = NULL;
    TuiQuerySchema sch = schema_of(rt);
    int rc = tui_query_parse(text, &sch, &q, err);
    if (rc < 0)
        return rc;
    TuiQuery *old = rt->query;
    rt->query = q;
    rc = refilter(rt);
    if (rc < 0) {
        rt->query = old;
        tui_query_free(&q);
        return cb_error_set(err, rc, "out of memory");
    }
    tui_query_free(&old);
    return CB_OK;
}

const char *tui_runtable_query(const TuiRunTable *rt)
{
    return tui_query_text(rt->query);
}

int tui_runtable_set_experiment(TuiRunTable *rt, const char *name)
{
    char *c = NULL;
    if (name && !(c = strdup(name)))
        return CB_ENOMEM;
    free(rt->experiment);
    rt->experiment = c;
    return refilter(rt);
}

const char *tui_runtable_experiment(const TuiRunTable *rt)
{
    return rt->experiment;
}

int tui_runtable_set_sort(TuiRunTable *rt, int col, int desc)
{
    if (col < 0 || (size_t)col >= rt->n_cols)
        return CB_EINVAL;
    rt->sort_col = col;
    rt->sort_desc = desc != 0;
    return refilter(rt);
}

int tui_runtable_sort(const TuiRunTable *rt, int *desc)
{
    if (desc)
        *desc = rt->sort_desc;
    return rt->sort_col;
}

void tui_runtable_set_point(TuiRunTable *rt, int idx)
{
    if (idx >= rt->max_points)
        idx = rt->max_points - 1;
    if (idx < 0)
        idx = 0;
    if (idx == rt->point)
        return;
    rt->point = idx;
    if (format_points(rt) < 0 || refilter(rt) < 0) {
        /* Out of memory: the cells stay missing; nothing points at freed memory. */
        rt->n_rows = 0;
    }
}

int tui_runtable_point(const TuiRunTable *rt)
{
    return rt->point;
}

int tui_runtable_max_points(const TuiRunTable *rt)
{
    return rt->max_points;
}

void tui_runtable_set_diff(TuiRunTable *rt, int on)
{
    rt->diff = on != 0;
    if (build_visible(rt) < 0)
        rt->n_vis = 0;
}

int tui_runtable_diff(const TuiRunTable *rt)
{
    return rt->diff;
}

int tui_runtable_find_column(const TuiRunTable *rt, const char *name)
{
    for (size_t i = 0; i < rt->n_cols; i++)
        if (ci_cmp(rt->cols[i].name, name) == 0 || ci_cmp(rt->cols[i].path, name) == 0)
            return (int)i;
    for (size_t i = 0; i < N_ALIASES; i++)
        if (QUERY_ALIASES[i].id >= 0 && ci_cmp(QUERY_ALIASES[i].name, name) == 0)
            return QUERY_ALIASES[i].id;
    return -1;
}

/* Appends the columns a spec word names to ids (FIELDS_MARK for "fields",
 * the default list for "default", every column for "all"). */
static int spec_word(const TuiRunTable *rt, const char *w, int *ids, size_t *n, size_t cap,
                     CbError *err)
{
    if (strcmp(w, "all") == 0) {
        for (int c = 0; c < TUI_RT_COL_FIELDS; c++) {
            int rc = spec_word(rt, BUILTIN[c].name, ids, n, cap, err);
            if (rc < 0)
                return rc;
        }
        return spec_word(rt, "fields", ids, n, cap, err);
    }
    if (strcmp(w, "default") == 0) {
        const char *d = DEFAULT_SPEC;
        while (*d) {
            char word[32];
            size_t k = 0;
            while (*d && *d != ' ' && k < sizeof word - 1)
                word[k++] = *d++;
            word[k] = '\0';
            while (*d == ' ')
                d++;
            int rc = spec_word(rt, word, ids, n, cap, err);
            if (rc < 0)
                return rc;
        }
        return CB_OK;
    }
    int id = strcmp(w, "fields") == 0 ? FIELDS_MARK : tui_runtable_find_column(rt, w);
    if (id == -1 && strcmp(w, "fields") != 0)
        return cb_error_set(err, CB_EINVAL, "unknown column '%s' (columns: %s fields)", w,
                            rt->names);
    for (size_t i = 0; i < *n; i++)
        if (ids[i] == id)
            return CB_OK; /* once each */
    if (*n == cap)
        return cb_error_set(err, CB_ELIMIT, "too many columns");
    ids[(*n)++] = id;
    return CB_OK;
}

int tui_runtable_set_columns(TuiRunTable *rt, const char *spec, CbError *err)
{
    size_t cap = rt->n_cols + 2;
    int *ids = malloc(cap * sizeof *ids);
    char *copy = strdup(spec ? spec : "");
    int rc = CB_OK;
    if (!ids || !copy) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    /* All words +x / -x: edit the current choice. */
    int edit = 1, words = 0;
    for (char *s = copy; *s; s++)
        if (*s == ',')
            *s = ' ';
    for (char *t = copy; *t;) {
        while (*t == ' ')
            t++;
        if (!*t)
            break;
        words++;
        if (*t != '+' && *t != '-')
            edit = 0;
        while (*t && *t != ' ')
            t++;
    }
    if (words == 0) {
        rc = cb_error_set(err, CB_EINVAL, "no columns named (columns: %s fields)", rt->names);
        goto done;
    }
    size_t n = 0;
    if (edit) {
        for (size_t i = 0; i < rt->n_spec && n < cap; i++)
            ids[n++] = rt->spec[i];
    }
    char *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (!edit) {
            rc = spec_word(rt, w, ids, &n, cap, err);
        } else if (w[0] == '+') {
            rc = spec_word(rt, w + 1, ids, &n, cap, err);
        } else {
            int one[64];
            size_t m = 0;
            rc = spec_word(rt, w + 1, one, &m, 64, err);
            for (size_t k = 0; rc == CB_OK && k < m; k++) {
                size_t o = 0;
                for (size_t i = 0; i < n; i++)
                    if (ids[i] != one[k])
                        ids[o++] = ids[i];
                n = o;
            }
        }
        if (rc < 0)
            goto done;
    }
    if (n == 0) {
        rc = cb_error_set(err, CB_EINVAL, "at least one column must stay");
        goto done;
    }
    free(rt->spec);
    rt->spec = ids;
    rt->n_spec = n;
    ids = NULL;
    rc = build_visible(rt);
    if (rc < 0)
        cb_error_set(err, rc, "out of memory");
done:
    free(ids);
    free(copy);
    return rc;
}

const char *tui_runtable_columns_spec(TuiRunTable *rt)
{
    CbBuf b;
    cb_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < rt->n_spec; i++) {
        const char *name = rt->spec[i] == FIELDS_MARK ? "fields" : rt->cols[rt->spec[i]].name;
        if (cb_buf_printf(&b, "%s%s", i ? " " : "", name) < 0) {
            cb_buf_free(&b);
            return "";
        }
    }
    char *s = cb_buf_steal(&b);
    if (!s)
        return "";
    free(rt->spec_text);
    rt->spec_text = s;
    return s;
}

const char *tui_runtable_column_names(TuiRunTable *rt)
{
    return rt->names ? rt->names : "";
}

size_t tui_runtable_n_columns(const TuiRunTable *rt)
{
    return rt->n_cols;
}

const TuiRtColumn *tui_runtable_column(const TuiRunTable *rt, int col)
{
    return col >= 0 && (size_t)col < rt->n_cols ? &rt->cols[col] : NULL;
}

size_t tui_runtable_visible(const TuiRunTable *rt, const int **cols)
{
    *cols = rt->vis;
    return rt->n_vis;
}

size_t tui_runtable_total(const TuiRunTable *rt)
{
    return rt->n_runs;
}

size_t tui_runtable_n_rows(const TuiRunTable *rt)
{
    return rt->n_rows;
}

const TuiRtRun *tui_runtable_row(const TuiRunTable *rt, size_t row)
{
    return row < rt->n_rows ? &rt->runs[rt->rows[row]].run : NULL;
}

const char *tui_runtable_cell(const TuiRunTable *rt, size_t row, int col)
{
    if (row >= rt->n_rows || col < 0 || (size_t)col >= rt->n_cols)
        return "-";
    const char *t = cell_text(rt, rt->rows[row], col);
    return t ? t : "-";
}

double tui_runtable_number(const TuiRunTable *rt, size_t row, int col)
{
    if (row >= rt->n_rows || col < 0 || (size_t)col >= rt->n_cols)
        return NAN;
    return cell_num(rt, rt->rows[row], col);
}

long tui_runtable_find(const TuiRunTable *rt, int64_t id)
{
    for (size_t i = 0; i < rt->n_rows; i++)
        if (rt->runs[rt->rows[i]].run.id == id)
            return (long)i;
    return -1;
}

size_t tui_runtable_cursor(const TuiRunTable *rt)
{
    return rt->cursor;
}

int64_t tui_runtable_cursor_id(const TuiRunTable *rt)
{
    return rt->cursor_id;
}

void tui_runtable_set_cursor(TuiRunTable *rt, long row)
{
    if (rt->n_rows == 0) {
        rt->cursor = 0;
        rt->cursor_id = 0;
        return;
    }
    if (row < 0)
        row = 0;
    if ((size_t)row >= rt->n_rows)
        row = (long)rt->n_rows - 1;
    rt->cursor = (size_t)row;
    rt->cursor_id = rt->keep_id = rt->runs[rt->rows[row]].run.id;
}

int tui_runtable_set_cursor_id(TuiRunTable *rt, int64_t id)
{
    long at = tui_runtable_find(rt, id);
    if (at < 0)
        return -1;
    tui_runtable_set_cursor(rt, at);
    return 0;
}

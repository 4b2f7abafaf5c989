/* The evolve loop's state file and its Pareto front (codecbench/evolve.h). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codecbench/engine.h"
#include "codecbench/evolve.h"
#include "codecbench/fsutil.h"
#include "codecbench/store.h"
#include "store/store_internal.h"

/* Bytes of one string field kept from a state file (a rationale is at most
 * 600 bytes, a reason a few hundred). */
#define FIELD_MAX CB_EVOLVE_TEXT_MAX
/* Most proposals per generation (CB_PROPOSE_MAX_K in propose.h). */
#define PROPS_MAX 32
/* Most points on a front read back. */
#define FRONT_MAX 4096

const char *cb_evolve_status_name(CbEvolveStatus st)
{
    switch (st) {
    case CB_EVOLVE_RUNNING: return "running";
    case CB_EVOLVE_DONE: return "done";
    case CB_EVOLVE_STOPPED: return "stopped";
    }
    return "unknown";
}

char *cb_evolve_text_dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (n >= CB_EVOLVE_TEXT_MAX) {
        n = CB_EVOLVE_TEXT_MAX - 1;
        /* back to the first byte of a character */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void free_prop(CbEvolveProposal *p)
{
    free(p->name);
    free(p->rationale);
    free(p->changes);
    free(p->runs);
}

void cb_evolve_state_free(CbEvolveState *st)
{
    if (!st)
        return;
    free(st->experiment);
    free(st->proposer);
    free(st->reason);
    for (size_t i = 0; i < st->n_gens; i++) {
        CbEvolveGen *g = &st->gens[i];
        free(g->runs);
        for (size_t j = 0; j < g->n_props; j++)
            free_prop(&g->props[j]);
        free(g->props);
    }
    free(st->gens);
    for (size_t i = 0; i < st->n_front; i++) {
        free(st->front[i].recipe);
        free(st->front[i].name);
    }
    free(st->front);
    memset(st, 0, sizeof(*st));
}

/* ---- Parsing ------------------------------------------------------------ */

typedef struct Parse {
    const char *what;
    CbError *err;
} Parse;

static int bad(const Parse *p, const char *field, const char *why)
{
    return cb_error_set(p->err, CB_EFORMAT, "%s: %s: %s", p->what, field, why);
}

/* A string field (optional when opt): a new copy in *out, at most
 * FIELD_MAX bytes, no NUL inside. */
static int get_str(const Parse *p, json_t *o, const char *key, int opt, char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return opt ? 0 : bad(p, key, "missing");
    if (!json_is_string(v))
        return bad(p, key, "not a string");
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n > FIELD_MAX)
        return bad(p, key, "longer than 4096 bytes");
    if (memchr(s, '\0', n))
        return bad(p, key, "holds a NUL byte");
    *out = strdup(s);
    return *out ? 0 : cb_error_set(p->err, CB_ENOMEM, "out of memory");
}

static int get_int(const Parse *p, json_t *o, const char *key, int opt, long long min,
                   long long max, long long *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return opt ? 0 : bad(p, key, "missing");
    if (!json_is_integer(v))
        return bad(p, key, "not an integer");
    long long x = json_integer_value(v);
    if (x < min || x > max)
        return bad(p, key, "out of range");
    *out = x;
    return 0;
}

/* A finite number (null: NAN when nan_ok). */
static int get_real(const Parse *p, json_t *o, const char *key, int nan_ok, double *out)
{
    json_t *v = json_object_get(o, key);
    if ((!v || json_is_null(v)) && nan_ok) {
        *out = NAN;
        return 0;
    }
    if (!v || !json_is_number(v))
        return bad(p, key, "not a number");
    double x = json_number_value(v);
    if (!isfinite(x))
        return bad(p, key, "not finite");
    *out = x;
    return 0;
}

static int get_ids(const Parse *p, json_t *o, const char *key, int64_t **ids, size_t *n)
{
    json_t *a = json_object_get(o, key);
    *ids = NULL;
    *n = 0;
    if (!a)
        return 0;
    if (!json_is_array(a))
        return bad(p, key, "not an array");
    size_t m = json_array_size(a);
    if (m > CB_EVOLVE_MAX_RUNS)
        return bad(p, key, "too many runs");
    if (m == 0)
        return 0;
    *ids = calloc(m, sizeof(**ids));
    if (!*ids)
        return cb_error_set(p->err, CB_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return bad(p, key, "a run id is not a positive integer");
        (*ids)[i] = (int64_t)json_integer_value(v);
        *n = i + 1;
    }
    return 0;
}

static int parse_gen(const Parse *p, json_t *o, CbEvolveGen *g)
{
    if (!json_is_object(o))
        return bad(p, "gens", "an entry is not an object");
    int rc = get_ids(p, o, "runs", &g->runs, &g->n_runs);
    long long tokens = 0;
    if (rc == 0)
        rc = get_int(p, o, "tokens", 1, 0, (long long)1 << 50, &tokens);
    g->tokens = tokens;
    json_t *a = json_object_get(o, "proposals");
    if (rc < 0 || !a)
        return rc;
    if (!json_is_array(a) || json_array_size(a) > PROPS_MAX)
        return bad(p, "proposals", "not an array of at most 32");
    size_t m = json_array_size(a);
    if (m == 0)
        return 0;
    g->props = calloc(m, sizeof(*g->props));
    if (!g->props)
        return cb_error_set(p->err, CB_ENOMEM, "out of memory");
    for (size_t i = 0; i < m && rc == 0; i++) {
        json_t *e = json_array_get(a, i);
        CbEvolveProposal *q = &g->props[i];
        g->n_props = i + 1;
        if (!json_is_object(e))
            return bad(p, "proposals", "an entry is not an object");
        long long parent = 0;
        rc = get_str(p, e, "name", 0, &q->name);
        if (rc == 0)
            rc = get_str(p, e, "rationale", 1, &q->rationale);
        if (rc == 0)
            rc = get_str(p, e, "changes", 1, &q->changes);
        if (rc == 0)
            rc = get_int(p, e, "parent", 1, 0, INT64_MAX, &parent);
        if (rc == 0)
            rc = get_ids(p, e, "runs", &q->runs, &q->n_runs);
        q->parent = parent;
    }
    return rc;
}

static int parse_point(const Parse *p, json_t *o, CbEvolvePoint *pt)
{
    if (!json_is_object(o))
        return bad(p, "front", "an entry is not an object");
    long long run = 0;
    int rc = get_str(p, o, "recipe", 0, &pt->recipe);
    if (rc == 0)
        rc = get_str(p, o, "name", 1, &pt->name);
    if (rc == 0)
        rc = get_int(p, o, "run", 0, 1, INT64_MAX, &run);
    if (rc == 0)
        rc = get_real(p, o, "bd_rate", 0, &pt->bd_rate);
    if (rc == 0)
        rc = get_real(p, o, "fps", 0, &pt->fps);
    pt->run = run;
    return rc;
}

static int parse_doc(const Parse *p, json_t *doc, CbEvolveState *st)
{
    long long v = 0;
    char *status = NULL;
    int rc = get_int(p, doc, "format", 0, 1, 1, &v);
    if (rc == 0)
        rc = get_str(p, doc, "experiment", 0, &st->experiment);
    if (rc == 0) {
        CbError e;
        if (cb_store_check_experiment_name(st->experiment, &e) < 0)
            rc = bad(p, "experiment", e.text);
    }
    if (rc == 0)
        rc = get_str(p, doc, "proposer", 0, &st->proposer);
    if (rc == 0 && strcmp(st->proposer, "local") && strcmp(st->proposer, "llm"))
        rc = bad(p, "proposer", "neither local nor llm");
    if (rc == 0 && (rc = get_int(p, doc, "generations", 0, 1, CB_EVOLVE_MAX_GENERATIONS, &v)) == 0)
        st->generations = (int)v;
    if (rc == 0 && (rc = get_int(p, doc, "per_generation", 0, 1, PROPS_MAX, &v)) == 0)
        st->per_generation = (int)v;
    if (rc == 0)
        rc = get_int(p, doc, "budget", 1, 0, (long long)1 << 50, &st->budget);
    if (rc == 0 && (rc = get_int(p, doc, "seed", 1, 0, INT64_MAX, &v)) == 0)
        st->seed = (uint64_t)v;
    json_t *stage = json_object_get(doc, "stage");
    if (rc == 0 && stage && !json_is_null(stage)) {
        CbStageKind k = CB_STAGE_NONE;
        CbError se;
        if (!json_is_string(stage) || cb_stage_kind_parse(json_string_value(stage), &k, &se) < 0)
            rc = bad(p, "stage", "not intra, loop_filter or transform");
        else if (k != CB_STAGE_NONE && strcmp(st->proposer, "llm"))
            rc = bad(p, "stage", "stages come from the llm proposer only");
        else
            st->stage = (int)k;
    }
    if (rc == 0 && (rc = get_int(p, doc, "rounds_failed", 1, 0, 1 << 20, &v)) == 0)
        st->rounds_failed = (int)v;
    if (rc == 0 && (rc = get_int(p, doc, "front_after", 1, 0, CB_EVOLVE_MAX_GENERATIONS, &v)) == 0)
        st->front_after = (int)v;
    if (rc == 0)
        rc = get_str(p, doc, "status", 0, &status);
    if (rc == 0) {
        if (!strcmp(status, "running"))
            st->status = CB_EVOLVE_RUNNING;
        else if (!strcmp(status, "done"))
            st->status = CB_EVOLVE_DONE;
        else if (!strcmp(status, "stopped"))
            st->status = CB_EVOLVE_STOPPED;
        else
            rc = bad(p, "status", "not running, done or stopped");
    }
    free(status);
    if (rc == 0)
        rc = get_str(p, doc, "reason", 1, &st->reason);
    if (rc == 0)
        rc = get_real(p, doc, "created", 1, &st->created);
    if (rc == 0)
        rc = get_real(p, doc, "updated", 1, &st->updated);
    json_t *gens = json_object_get(doc, "gens");
    if (rc == 0 && gens) {
        if (!json_is_array(gens) || json_array_size(gens) > CB_EVOLVE_MAX_GENERATIONS)
            rc = bad(p, "gens", "not an array of at most 1000 generations");
        size_t m = rc == 0 ? json_array_size(gens) : 0;
        if (m && !(st->gens = calloc(m, sizeof(*st->gens))))
            rc = cb_error_set(p->err, CB_ENOMEM, "out of memory");
        for (size_t i = 0; i < m && rc == 0; i++) {
            st->n_gens = i + 1;
            rc = parse_gen(p, json_array_get(gens, i), &st->gens[i]);
        }
        if (rc == 0 && st->n_gens > (size_t)st->generations)
            rc = bad(p, "gens", "more generations than asked for");
    }
    json_t *front = json_object_get(doc, "front");
    if (rc == 0 && front) {
        if (!json_is_array(front) || json_array_size(front) > FRONT_MAX)
            rc = bad(p, "front", "not an array of at most 4096 points");
        size_t m = rc == 0 ? json_array_size(front) : 0;
        if (m && !(st->front = calloc(m, sizeof(*st->front))))
            rc = cb_error_set(p->err, CB_ENOMEM, "out of memory");
        for (size_t i = 0; i < m && rc == 0; i++) {
            st->n_front = i + 1;
            rc = parse_point(p, json_array_get(front, i), &st->front[i]);
        }
    }
    return rc;
}

int cb_evolve_state_parse(const char *text, size_t len, const char *what, CbEvolveState *out,
                          CbError *err)
{
    memset(out, 0, sizeof(*out));
    Parse p = {what ? what : "evolve state", err};
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    int rc;
    if (!doc)
        rc = cb_error_set(err, CB_EFORMAT, "%s: not valid JSON: line %d column %d: %s", p.what,
                          je.line, je.column, je.text);
    else if (!json_is_object(doc))
        rc = cb_error_set(err, CB_EFORMAT, "%s: not a JSON object", p.what);
    else
        rc = parse_doc(&p, doc, out);
    json_decref(doc);
    if (rc < 0)
        cb_evolve_state_free(out);
    return rc;
}

/* ---- Writing ------------------------------------------------------------ */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *ids_json(const int64_t *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer((json_int_t)ids[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *real_json(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

char *cb_evolve_state_dump(const CbEvolveState *st)
{
    char *text = NULL;
    json_t *gens = json_array(), *front = json_array();
    json_t *doc = json_pack(
        "{s:i, s:s?, s:s?, s:i, s:i, s:I, s:I, s:s, s:o, s:o, s:o, s:i}", "format", 1, "experiment",
        st->experiment, "proposer", st->proposer, "generations", st->generations, "per_generation",
        st->per_generation, "budget", (json_int_t)st->budget, "seed",
        (json_int_t)(st->seed & INT64_MAX), "status", cb_evolve_status_name(st->status), "reason",
        str_or_null(st->reason), "created", real_json(st->created), "updated",
        real_json(st->updated), "rounds_failed", st->rounds_failed);
    if (!doc || !gens || !front)
        goto done;
    if (st->stage != CB_STAGE_NONE && cb_stage_kind_name(st->stage) &&
        json_object_set_new(doc, "stage", json_string(cb_stage_kind_name(st->stage))) < 0)
        goto done;
    for (size_t i = 0; i < st->n_gens; i++) {
        const CbEvolveGen *g = &st->gens[i];
        json_t *props = json_array();
        for (size_t j = 0; props && j < g->n_props; j++) {
            const CbEvolveProposal *q = &g->props[j];
            json_t *o =
                json_pack("{s:s?, s:o, s:o, s:I, s:o?}", "name", q->name, "rationale",
                          str_or_null(q->rationale), "changes", str_or_null(q->changes), "parent",
                          (json_int_t)q->parent, "runs", ids_json(q->runs, q->n_runs));
            if (!o || json_array_append_new(props, o) < 0) {
                json_decref(props);
                goto done;
            }
        }
        json_t *o = json_pack("{s:o?, s:I, s:o?}", "runs", ids_json(g->runs, g->n_runs), "tokens",
                              (json_int_t)g->tokens, "proposals", props);
        if (!o || json_array_append_new(gens, o) < 0)
            goto done;
    }
    for (size_t i = 0; i < st->n_front; i++) {
        const CbEvolvePoint *pt = &st->front[i];
        json_t *o = json_pack("{s:s?, s:s?, s:I, s:o, s:o}", "recipe", pt->recipe, "name", pt->name,
                              "run", (json_int_t)pt->run, "bd_rate", real_json(pt->bd_rate), "fps",
                              real_json(pt->fps));
        if (!o || json_array_append_new(front, o) < 0)
            goto done;
    }
    if (json_object_set(doc, "gens", gens) < 0 || json_object_set(doc, "front", front) < 0 ||
        json_object_set_new(doc, "front_after", json_integer(st->front_after)) < 0)
        goto done;
    text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10));
done:
    json_decref(gens);
    json_decref(front);
    json_decref(doc);
    return text;
}

/* ---- Files -------------------------------------------------------------- */

static char *evolve_file(const char *store_dir, const char *experiment, const char *suffix)
{
    char *dir = cb_path_join(store_dir, "evolve");
    size_t n = strlen(experiment) + strlen(suffix) + 1;
    char *name = malloc(n), *path = NULL;
    if (dir && name && snprintf(name, n, "%s%s", experiment, suffix) == (int)(n - 1))
        path = cb_path_join(dir, name);
    free(dir);
    free(name);
    return path;
}

char *cb_evolve_path(const char *store_dir, const char *experiment)
{
    return evolve_file(store_dir, experiment, ".json");
}

int cb_evolve_lock(const char *store_dir, const char *experiment, int *fd, CbError *err)
{
    *fd = -1;
    int rc = cb_store_check_experiment_name(experiment, err);
    if (rc < 0)
        return rc;
    char *dir = cb_path_join(store_dir, "evolve");
    char *path = evolve_file(store_dir, experiment, ".lock");
    if (!dir || !path) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", dir, strerror(errno));
        goto done;
    }
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) {
        rc = cb_error_set(err, CB_EIO, "%s: %s", path, strerror(errno));
        goto done;
    }
    while (flock(f, LOCK_EX) < 0) {
        if (errno != EINTR) {
            rc = cb_error_set(err, CB_EIO, "%s: flock: %s", path, strerror(errno));
            close(f);
            goto done;
        }
    }
    *fd = f;
done:
    free(dir);
    free(path);
    return rc;
}

void cb_evolve_unlock(int *fd)
{
    if (*fd >= 0) {
        flock(*fd, LOCK_UN);
        close(*fd);
    }
    *fd = -1;
}

int cb_evolve_read(const char *store_dir, const char *experiment, CbEvolveState *out, CbError *err)
{
    memset(out, 0, sizeof(*out));
    int rc = cb_store_check_experiment_name(experiment, err);
    if (rc < 0)
        return rc;
    char *path = cb_evolve_path(store_dir, experiment), *text = NULL;
    size_t len = 0;
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    rc = cb_file_read(path, CB_EVOLVE_FILE_MAX, &text, &len, err);
    if (rc == CB_ENOENT)
        rc = cb_error_set(err, CB_ENOENT, "no evolve for experiment '%s' in %s", experiment,
                          store_dir);
    if (rc == 0)
        rc = cb_evolve_state_parse(text, len, path, out, err);
    if (rc == 0 && strcmp(out->experiment, experiment)) {
        rc = cb_error_set(err, CB_EFORMAT, "%s: experiment: '%s', not '%s'", path, out->experiment,
                          experiment);
        cb_evolve_state_free(out);
    }
    free(text);
    free(path);
    return rc;
}

int cb_evolve_write(const char *store_dir, CbEvolveState *st, CbError *err)
{
    int rc = cb_store_check_experiment_name(st->experiment, err);
    if (rc < 0)
        return rc;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    st->updated = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    char *dir = cb_path_join(store_dir, "evolve");
    char *path = cb_evolve_path(store_dir, st->experiment);
    char *text = cb_evolve_state_dump(st);
    if (!dir || !path || !text)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    else if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        rc = cb_error_set(err, CB_EIO, "%s: %s", dir, strerror(errno));
    else
        rc = cb_file_write_text(path, text, err);
    free(dir);
    free(path);
    free(text);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cb_evolve_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

int cb_evolve_names(const char *store_dir, char ***names, size_t *n, CbError *err)
{
    *names = NULL;
    *n = 0;
    char *dir = cb_path_join(store_dir, "evolve");
    if (!dir)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    int rc = 0;
    if (!d) {
        if (errno != ENOENT)
            rc = cb_error_set(err, CB_EIO, "%s: %s", dir, strerror(errno));
        free(dir);
        return rc;
    }
    size_t cap = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || len > 69 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
            continue;
        char name[70];
        memcpy(name, e->d_name, len - 5);
        name[len - 5] = '\0';
        CbError ignore;
        if (cb_store_check_experiment_name(name, &ignore) < 0)
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char **g = realloc(*names, ncap * sizeof(*g));
            if (!g) {
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                break;
            }
            *names = g;
            cap = ncap;
        }
        if (!((*names)[*n] = strdup(name)))
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        else
            (*n)++;
    }
    closedir(d);
    free(dir);
    if (rc < 0) {
        cb_evolve_names_free(*names, *n);
        *names = NULL;
        *n = 0;
    } else if (*n > 1) {
        qsort(*names, *n, sizeof(**names), cmp_names);
    }
    return rc;
}

/* ---- The front ---------------------------------------------------------- */

static int usable(const CbEvolvePoint *p)
{
    return isfinite(p->bd_rate) && isfinite(p->fps);
}

size_t cb_evolve_pareto(const CbEvolvePoint *pts, size_t n, unsigned char *keep)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        keep[i] = (unsigned char)usable(&pts[i]);
        for (size_t j = 0; j < n && keep[i]; j++) {
            if (j == i || !usable(&pts[j]))
                continue;
            const CbEvolvePoint *a = &pts[j], *b = &pts[i];
            if (a->bd_rate <= b->bd_rate && a->fps >= b->fps &&
                (a->bd_rate < b->bd_rate || a->fps > b->fps))
                keep[i] = 0;
        }
        kept += keep[i];
    }
    return kept;
}

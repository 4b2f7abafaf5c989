/* codecbench: the engine's settings, their defaults and their field table.
 *
 * The table is the single source of names, types, ranges and documentation:
 * recipe/ validates JSON against it and generates the JSON Schema from it;
 * the defaults come from cb_engine_settings_default(), read through the
 * table's offsets.  No JSON here: the engine links only libm and OpenBLAS.
 */
#include "codecbench/engine.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The table reads and writes every scalar field, enums included, as an int
 * through its offset (memcpy, no type punning). */
_Static_assert(sizeof(CbTransformKind) == sizeof(int), "enum settings are stored as int");
_Static_assert(sizeof(CbIntraSet) == sizeof(int), "enum settings are stored as int");
_Static_assert(sizeof(CbSearchMethod) == sizeof(int), "enum settings are stored as int");
_Static_assert(sizeof(CbSubpel) == sizeof(int), "enum settings are stored as int");
_Static_assert(sizeof(CbAdapt) == sizeof(int), "enum settings are stored as int");
_Static_assert(sizeof(CbPreset) == sizeof(int), "enum settings are stored as int");

void cb_engine_settings_default(CbEngineSettings *s)
{
    /* The JVET common test conditions' QPs 22, 27, 32, 37 on H.264's QP
     * scale (ours: the step size doubles every 6); samples/recipes/default.json
     * states the same values. */
    static const int default_qps[] = {22, 27, 32, 37};
    memset(s, 0, sizeof *s);
    s->block_size = 16;
    s->partition = 1;
    s->transform = CB_TRANSFORM_KLT;
    s->intra_modes = CB_INTRA_ALL;
    s->search_range = 32;
    s->search = CB_SEARCH_HEX;
    s->subpel = CB_SUBPEL_QUARTER;
    s->gop = 30;
    /* x264's default I/P step: ipratio 1.4, i.e. 6 log2(1.4) = 2.9 QP. */
    s->p_qp_offset = 3;
    s->deblock = 1;
    s->restoration = 1;
    s->restoration_region = 64;
    s->adaptation = CB_ADAPT_DUAL;
    s->preset = CB_PRESET_MEDIUM;
    s->slices = 1;
    s->threads = 1;
    s->n_qps = (int)(sizeof default_qps / sizeof default_qps[0]);
    memcpy(s->qps, default_qps, sizeof default_qps);
}

/* Enum names, in the order of the C enums' values. */
static const char *const transform_names[] = {"dct", "klt", NULL};
static const char *const intra_names[] = {"dc", "basic", "all", NULL};
static const char *const search_names[] = {"full", "diamond", "hex", NULL};
static const char *const subpel_names[] = {"full", "half", "quarter", NULL};
static const char *const adapt_names[] = {"fast", "slow", "dual", NULL};
static const char *const preset_names[] = {"fast", "medium", "slow", NULL};

static const int block_sizes[] = {8, 16};
static const int region_sizes[] = {32, 64, 128};

#define OFF(m)  offsetof(CbEngineSettings, m)
#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define INT_ROW(n, lo, hi, d)                                                                      \
    {                                                                                              \
        .name = #n, .type = CB_FIELD_INT, .offset = OFF(n), .min = (lo), .max = (hi), .doc = (d)   \
    }
#define BOOL_ROW(n, d)                                                                             \
    {                                                                                              \
        .name = #n, .type = CB_FIELD_BOOL, .offset = OFF(n), .min = 0, .max = 1, .doc = (d)        \
    }
#define ENUM_ROW(n, names_, d)                                                                     \
    {                                                                                              \
        .name = #n, .type = CB_FIELD_ENUM, .offset = OFF(n), .names = (names_), .doc = (d)         \
    }
#define CHOICE_ROW(n, c, d)                                                                        \
    {                                                                                              \
        .name = #n, .type = CB_FIELD_CHOICE, .offset = OFF(n), .choices = (c),                     \
        .n_choices = N_OF(c), .doc = (d)                                                           \
    }

static const CbField fields[] = {
    CHOICE_ROW(block_size, block_sizes, "coding block size in luma pixels"),
    BOOL_ROW(partition, "let a 16x16 block split into four 8x8 blocks"),
    ENUM_ROW(transform, transform_names,
             "residual transform: integer DCT, or a KLT learned from the clip per GOP"),
    ENUM_ROW(intra_modes, intra_names,
             "intra prediction modes: dc; basic (dc, vertical, horizontal, planar); all (basic and "
             "two diagonals)"),
    INT_ROW(search_range, 0, 256, "motion search range in full luma pixels"),
    ENUM_ROW(search, search_names,
             "motion search: exhaustive, diamond, or hexagon with predictors"),
    ENUM_ROW(subpel, subpel_names, "motion vector precision"),
    INT_ROW(gop, 1, 600, "frames from one I frame to the next (1: all intra)"),
    INT_ROW(p_qp_offset, 0, 12, "QP of P frames minus QP of I frames"),
    BOOL_ROW(deblock, "in-loop deblocking filter"),
    BOOL_ROW(restoration, "learned in-loop restoration filter"),
    CHOICE_ROW(restoration_region, region_sizes,
               "luma size of the square regions the restoration filter is switched over"),
    ENUM_ROW(adaptation, adapt_names,
             "probability adaptation of the arithmetic coder: fast, slow, or a mix of both"),
    ENUM_ROW(preset, preset_names, "speed and effort of mode decisions"),
    INT_ROW(slices, 1, 64,
            "horizontal bands of CTU rows coded independently (more: faster with threads, a "
            "little less compression)"),
    INT_ROW(threads, 1, 64, "encoder threads, one slice each at a time (the output does not "
                            "depend on them)"),
    {.name = "qps",
     .type = CB_FIELD_INT_LIST,
     .offset = OFF(qps),
     .min = CB_QP_MIN,
     .max = CB_QP_MAX,
     .count_offset = OFF(n_qps),
     .max_items = CB_MAX_QPS,
     .doc = "rate points: the QPs of I frames (H.264's scale: the step size doubles every 6), one "
            "encode each"},
};

const CbField *cb_engine_fields(size_t *n)
{
    if (n)
        *n = sizeof fields / sizeof fields[0];
    return fields;
}

const CbField *cb_engine_field_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strcmp(fields[i].name, name))
            return &fields[i];
    return NULL;
}

static int n_names(const CbField *f)
{
    int n = 0;
    while (f->names[n])
        n++;
    return n;
}

/* Appends printf-style text at *len, counting what does not fit. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n;
}

size_t cb_engine_field_allowed(const CbField *f, char *buf, size_t size)
{
    size_t len = 0;
    if (size > 0)
        buf[0] = '\0';
    switch (f->type) {
    case CB_FIELD_INT: append(buf, size, &len, "%d..%d", f->min, f->max); break;
    case CB_FIELD_BOOL: append(buf, size, &len, "true or false"); break;
    case CB_FIELD_ENUM:
        for (int i = 0; f->names[i]; i++)
            append(buf, size, &len, "%s%s", i ? ", " : "", f->names[i]);
        break;
    case CB_FIELD_CHOICE:
        for (int i = 0; i < f->n_choices; i++)
            append(buf, size, &len, "%s%d", i ? ", " : "", f->choices[i]);
        break;
    case CB_FIELD_INT_LIST:
        append(buf, size, &len, "1 to %d distinct integers %d..%d", f->max_items, f->min, f->max);
        break;
    }
    return len;
}

int cb_engine_field_check_value(const CbField *f, long long v, CbError *err)
{
    /* Long enough for every row of the table; longer text would be cut. */
    char allowed[160];
    switch (f->type) {
    case CB_FIELD_INT:
    case CB_FIELD_INT_LIST:
        if (v < f->min || v > f->max)
            return cb_error_set(err, CB_EINVAL, "%lld is out of range %d..%d", v, f->min, f->max);
        return CB_OK;
    case CB_FIELD_BOOL:
        if (v != 0 && v != 1)
            return cb_error_set(err, CB_EINVAL, "%lld is not a boolean (0 or 1)", v);
        return CB_OK;
    case CB_FIELD_ENUM:
        if (v < 0 || v >= n_names(f)) {
            cb_engine_field_allowed(f, allowed, sizeof allowed);
            return cb_error_set(err, CB_EINVAL, "value %lld is not one of %s", v, allowed);
        }
        return CB_OK;
    case CB_FIELD_CHOICE:
        for (int i = 0; i < f->n_choices; i++)
            if (v == f->choices[i])
                return CB_OK;
        cb_engine_field_allowed(f, allowed, sizeof allowed);
        return cb_error_set(err, CB_EINVAL, "%lld is not one of %s", v, allowed);
    }
    return cb_error_set(err, CB_EINVAL, "unknown field type %d", (int)f->type);
}

static int check_list(const CbField *f, const CbEngineSettings *s, CbError *err)
{
    const int *v = (const int *)(const void *)((const char *)s + f->offset);
    int n;
    memcpy(&n, (const char *)s + f->count_offset, sizeof n);
    if (n < 1 || n > f->max_items)
        return cb_error_set(err, CB_EINVAL, "%s: %d values; allowed: 1 to %d", f->name, n,
                            f->max_items);
    for (int i = 0; i < n; i++) {
        if (cb_engine_field_check_value(f, v[i], err) < 0) {
            /* err may be NULL: cb_error_prefix then returns CB_OK. */
            cb_error_prefix(err, "%s[%d]", f->name, i);
            return CB_EINVAL;
        }
        for (int j = 0; j < i; j++)
            if (v[j] == v[i])
                return cb_error_set(err, CB_EINVAL,
                                    "%s[%d]: %d is listed twice (also at [%d]); values must differ",
                                    f->name, i, v[i], j);
    }
    return CB_OK;
}

int cb_engine_settings_check(const CbEngineSettings *s, CbError *err)
{
    if (!s)
        return cb_error_set(err, CB_EINVAL, "no settings");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const CbField *f = &fields[i];
        if (f->type == CB_FIELD_INT_LIST) {
            if (check_list(f, s, err) < 0)
                return CB_EINVAL;
            continue;
        }
        int v;
        memcpy(&v, (const char *)s + f->offset, sizeof v);
        if (cb_engine_field_check_value(f, v, err) < 0) {
            cb_error_prefix(err, "%s", f->name);
            return CB_EINVAL;
        }
    }
    return CB_OK;
}

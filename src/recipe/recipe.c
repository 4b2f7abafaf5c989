/* codecbench: recipes: JSON <-> engine settings, canonical form, hash,
 * JSON Schema.  Everything about the engine's fields comes from its table
 * (cb_engine_fields); nothing here names a setting. */
#include "codecbench/recipe.h"

#include <jansson.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The codecs a recipe may name; baselines ("ffmpeg") come in a later issue. */
static const char *const codec_names[] = {"engine", NULL};
static const char *const top_keys[] = {"name", "codec", "settings", "note", NULL};

/* Bytes of data (keys, strings) quoted in an error message; the rest is cut. */
#define QUOTE_MAX 64

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value of unknown type";
}

/* "a, b, c" from a NULL-terminated list, into buf (cut when too long). */
static const char *join(const char *const *names, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] && len < size; i++) {
        int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    return buf;
}

static int in_list(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

/* Fails on nesting deeper than CB_RECIPE_MAX_DEPTH before jansson sees the
 * text, so that a bracket bomb costs a linear scan and no allocation.
 * Brackets inside strings do not count; malformed text is left to jansson. */
static int check_depth(const char *text, size_t len, CbError *err)
{
    int depth = 0, in_string = 0, escaped = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > CB_RECIPE_MAX_DEPTH)
                return cb_error_set(err, CB_ELIMIT,
                                    "byte %zu: nesting deeper than %d levels (a recipe needs 3)", i,
                                    CB_RECIPE_MAX_DEPTH);
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return CB_OK;
}

static void store_int(CbEngineSettings *s, size_t offset, int v)
{
    memcpy((char *)s + offset, &v, sizeof v);
}

static int load_int(const CbEngineSettings *s, size_t offset)
{
    int v;
    memcpy(&v, (const char *)s + offset, sizeof v);
    return v;
}

/* One integer of row f (INT, CHOICE, or an INT_LIST element); err's text
 * does not name the field. */
static int read_int(const CbField *f, const json_t *v, int *out, CbError *err)
{
    if (!json_is_integer(v)) {
        if (f->type == CB_FIELD_CHOICE) {
            char allowed[160];
            cb_engine_field_allowed(f, allowed, sizeof allowed);
            return cb_error_set(err, CB_EINVAL, "expected one of %s (an integer), got %s", allowed,
                                type_name(v));
        }
        return cb_error_set(err, CB_EINVAL, "expected an integer %d..%d, got %s", f->min, f->max,
                            type_name(v));
    }
    json_int_t x = json_integer_value(v);
    int rc = cb_engine_field_check_value(f, (long long)x, err);
    if (rc < 0)
        return rc;
    /* Every allowed value of the table is an int. */
    *out = (int)x;
    return CB_OK;
}

/* An INT_LIST; err's text starts with the whole path ("settings.qps[2]"). */
static int read_list(const CbField *f, const json_t *v, CbEngineSettings *s, CbError *err)
{
    char allowed[160];
    cb_engine_field_allowed(f, allowed, sizeof allowed);
    if (!json_is_array(v))
        return cb_error_set(err, CB_EINVAL, "settings.%s: expected an array of %s, got %s", f->name,
                            allowed, type_name(v));
    size_t n = json_array_size(v);
    if (n < 1 || n > (size_t)f->max_items)
        return cb_error_set(err, CB_EINVAL, "settings.%s: %zu values; allowed: %s", f->name, n,
                            allowed);
    int *dst = (int *)(void *)((char *)s + f->offset);
    for (size_t i = 0; i < n; i++) {
        int x;
        if (read_int(f, json_array_get(v, i), &x, err) < 0) {
            /* err may be NULL: cb_error_prefix then returns CB_OK. */
            cb_error_prefix(err, "settings.%s[%zu]", f->name, i);
            return CB_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (dst[j] == x)
                return cb_error_set(
                    err, CB_EINVAL,
                    "settings.%s[%zu]: %d is listed twice (also at [%zu]); allowed: %s", f->name, i,
                    x, j, allowed);
        dst[i] = x;
    }
    store_int(s, f->count_offset, (int)n);
    return CB_OK;
}

/* A scalar field; err's text does not name the field. */
static int read_field(const CbField *f, const json_t *v, CbEngineSettings *s, CbError *err)
{
    char allowed[160];
    int x;
    switch (f->type) {
    case CB_FIELD_INT:
    case CB_FIELD_CHOICE:
        if (read_int(f, v, &x, err) < 0)
            return CB_EINVAL;
        store_int(s, f->offset, x);
        return CB_OK;
    case CB_FIELD_BOOL:
        if (!json_is_boolean(v))
            return cb_error_set(err, CB_EINVAL, "expected true or false, got %s", type_name(v));
        store_int(s, f->offset, json_is_true(v));
        return CB_OK;
    case CB_FIELD_ENUM:
        cb_engine_field_allowed(f, allowed, sizeof allowed);
        if (!json_is_string(v))
            return cb_error_set(err, CB_EINVAL, "expected one of %s (a string), got %s", allowed,
                                type_name(v));
        if ((x = in_list(f->names, json_string_value(v))) < 0)
            return cb_error_set(err, CB_EINVAL, "\"%.*s\" is not one of %s", QUOTE_MAX,
                                json_string_value(v), allowed);
        store_int(s, f->offset, x);
        return CB_OK;
    case CB_FIELD_INT_LIST: break; /* read_list, which names the elements */
    }
    return cb_error_set(err, CB_EINVAL, "unknown field type %d", (int)f->type);
}

static int read_settings(const json_t *obj, CbEngineSettings *s, CbError *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return cb_error_set(err, CB_EINVAL, "settings: expected an object, got %s", type_name(obj));
    json_object_foreach((json_t *)obj, key, v)
    {
        const CbField *f = cb_engine_field_find(key);
        if (!f) {
            size_t n_fields;
            const CbField *fields = cb_engine_fields(&n_fields);
            char names[512];
            size_t len = 0;
            names[0] = '\0';
            for (size_t i = 0; i < n_fields && len < sizeof names; i++) {
                int n = snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                 fields[i].name);
                if (n < 0)
                    break;
                len += (size_t)n;
            }
            return cb_error_set(err, CB_EINVAL, "settings.%.*s: unknown key; allowed: %s",
                                QUOTE_MAX, key, names);
        }
        if (f->type == CB_FIELD_INT_LIST) {
            if (read_list(f, v, s, err) < 0)
                return CB_EINVAL;
        } else if (read_field(f, v, s, err) < 0) {
            cb_error_prefix(err, "settings.%s", f->name);
            return CB_EINVAL;
        }
    }
    /* A safety net: what the reader accepted, the engine must accept. */
    if (cb_engine_settings_check(s, err) < 0) {
        cb_error_prefix(err, "settings");
        return CB_EINVAL;
    }
    return CB_OK;
}

/* A string member: required or not, with a byte limit; *out gets a copy. */
static int read_string(const json_t *root, const char *key, int required, size_t min_bytes,
                       size_t max_bytes, int no_controls, char **out, CbError *err)
{
    const json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v) {
        if (required)
            return cb_error_set(err, CB_EINVAL, "%s: missing (a string is required)", key);
        return CB_OK;
    }
    if (!json_is_string(v))
        return cb_error_set(err, CB_EINVAL, "%s: expected a string, got %s", key, type_name(v));
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n < min_bytes || n > max_bytes)
        return cb_error_set(err, CB_EINVAL, "%s: %zu bytes; allowed: %zu..%zu", key, n, min_bytes,
                            max_bytes);
    if (no_controls)
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return cb_error_set(err, CB_EINVAL,
                                    "%s: control character at byte %zu; allowed: printable text",
                                    key, i);
    if (!(*out = strdup(s)))
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", key);
    return CB_OK;
}

static int read_recipe(const json_t *root, CbRecipe *r, CbError *err)
{
    char allowed[64];
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        return cb_error_set(err, CB_EINVAL, "expected a JSON object at the top level, got %s",
                            type_name(root));
    json_object_foreach((json_t *)root, key, v)
    {
        if (in_list(top_keys, key) < 0)
            return cb_error_set(err, CB_EINVAL, "%.*s: unknown key; allowed: %s", QUOTE_MAX, key,
                                join(top_keys, allowed, sizeof allowed));
    }
    const json_t *codec = json_object_get(root, "codec");
    join(codec_names, allowed, sizeof allowed);
    if (!codec)
        return cb_error_set(err, CB_EINVAL, "codec: missing; allowed: %s", allowed);
    if (!json_is_string(codec))
        return cb_error_set(err, CB_EINVAL, "codec: expected a string (%s), got %s", allowed,
                            type_name(codec));
    if (in_list(codec_names, json_string_value(codec)) < 0)
        return cb_error_set(err, CB_EINVAL, "codec: \"%.*s\" is not one of %s", QUOTE_MAX,
                            json_string_value(codec), allowed);
    int rc = read_string(root, "name", 1, 1, CB_RECIPE_NAME_MAX, 1, &r->name, err);
    if (rc < 0)
        return rc;
    if ((rc = read_string(root, "note", 0, 0, CB_RECIPE_NOTE_MAX, 0, &r->note, err)) < 0)
        return rc;
    cb_engine_settings_default(&r->engine);
    const json_t *settings = json_object_get(root, "settings");
    if (settings && (rc = read_settings(settings, &r->engine, err)) < 0)
        return rc;
    return CB_OK;
}

int cb_recipe_parse(const char *text, size_t len, const char *source_name, CbRecipe *out,
                    CbError *err)
{
    json_t *root = NULL;
    const char *src = source_name ? source_name : "recipe";
    int rc;
    if (!out)
        return cb_error_set(err, CB_EINVAL, "%s: no recipe to fill", src);
    memset(out, 0, sizeof *out);
    if (!text) {
        rc = cb_error_set(err, CB_EINVAL, "no text");
        goto fail;
    }
    if (len > CB_RECIPE_MAX_BYTES) {
        rc = cb_error_set(err, CB_ELIMIT, "%zu bytes; a recipe may have at most %d", len,
                          CB_RECIPE_MAX_BYTES);
        goto fail;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        rc = cb_error_set(err, CB_EFORMAT, "byte %zu: a NUL byte (not JSON text)",
                          (size_t)(nul - text));
        goto fail;
    }
    if ((rc = check_depth(text, len, err)) < 0)
        goto fail;
    json_error_t jerr;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = cb_error_set(
            err, json_error_code(&jerr) == json_error_out_of_memory ? CB_ENOMEM : CB_EFORMAT,
            "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if ((rc = read_recipe(root, out, err)) < 0)
        goto fail;
    json_decref(root);
    return CB_OK;
fail:
    json_decref(root);
    cb_recipe_free(out);
    cb_error_prefix(err, "%s", src);
    return rc;
}

void cb_recipe_free(CbRecipe *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->note);
    memset(r, 0, sizeof *r);
}

/* The JSON value of field f in s (new reference), or NULL without memory. */
static json_t *field_value(const CbField *f, const CbEngineSettings *s)
{
    int v = load_int(s, f->offset);
    switch (f->type) {
    case CB_FIELD_INT:
    case CB_FIELD_CHOICE: return json_integer(v);
    case CB_FIELD_BOOL: return json_boolean(v);
    case CB_FIELD_ENUM: return json_string(f->names[v]);
    case CB_FIELD_INT_LIST: {
        const int *a = (const int *)(const void *)((const char *)s + f->offset);
        int n = load_int(s, f->count_offset);
        json_t *arr = json_array();
        for (int i = 0; arr && i < n; i++)
            if (json_array_append_new(arr, json_integer(a[i])) < 0) {
                json_decref(arr);
                return NULL;
            }
        return arr;
    }
    }
    return NULL;
}

/* The settings of s as a JSON object in table order (new reference). */
static json_t *settings_json(const CbEngineSettings *s)
{
    size_t n;
    const CbField *fields = cb_engine_fields(&n);
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++) {
        if (json_object_set_new(o, fields[i].name, field_value(&fields[i], s)) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

char *cb_recipe_canonical(const CbRecipe *r)
{
    if (!r || !r->name || cb_engine_settings_check(&r->engine, NULL) < 0)
        return NULL;
    json_t *o = json_object();
    char *text = NULL;
    if (!o || json_object_set_new(o, "name", json_string(r->name)) < 0 ||
        json_object_set_new(o, "codec", json_string("engine")) < 0 ||
        json_object_set_new(o, "settings", settings_json(&r->engine)) < 0)
        goto out;
    /* Objects keep insertion order (jansson >= 2.8), so keys come out in
     * table order; JSON_COMPACT leaves no spaces; JSON_ENSURE_ASCII makes
     * the text ASCII (\uXXXX escapes), safe to show and to hash. */
    text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
out:
    json_decref(o);
    return text;
}

void cb_recipe_sha256_hex(const void *data, size_t len, char hex[CB_RECIPE_HASH_HEX])
{
    static const char digits[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * SHA256_DIGEST_SIZE] = '\0';
}

int cb_recipe_hash(const CbRecipe *r, char hex[CB_RECIPE_HASH_HEX])
{
    if (!r || !r->name || cb_engine_settings_check(&r->engine, NULL) < 0)
        return CB_EINVAL;
    char *text = cb_recipe_canonical(r);
    if (!text)
        return CB_ENOMEM;
    cb_recipe_sha256_hex(text, strlen(text), hex);
    free(text);
    return CB_OK;
}

/* ---- JSON Schema --------------------------------------------------------- */

/* Sets key to a new value in o; a NULL value (no memory) marks o as failed
 * by dropping it.  Returns o, or NULL once anything failed. */
static json_t *put(json_t *o, const char *key, json_t *value)
{
    if (!o || !value) {
        json_decref(o);
        json_decref(value);
        return NULL;
    }
    /* json_object_set_new releases value when it fails. */
    if (json_object_set_new(o, key, value) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *names_array(const char *const *names)
{
    json_t *a = json_array();
    for (int i = 0; a && names[i]; i++)
        if (json_array_append_new(a, json_string(names[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* description, plus "Default: <json>." and any extra in strict mode. */
static json_t *describe(const char *doc, const json_t *def, const char *extra, int strict)
{
    if (!strict || (!def && !extra))
        return json_string(doc);
    char *d = def ? json_dumps(def, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (def && !d)
        return NULL;
    size_t n = strlen(doc) + (d ? strlen(d) : 0) + (extra ? strlen(extra) : 0) + 32;
    char *text = malloc(n);
    json_t *s = NULL;
    if (text) {
        snprintf(text, n, "%s.%s%s%s%s%s", doc, extra ? " " : "", extra ? extra : "",
                 d ? " Default: " : "", d ? d : "", d ? "." : "");
        s = json_string(text);
    }
    free(text);
    free(d);
    return s;
}

static json_t *field_schema(const CbField *f, const CbEngineSettings *defaults, int strict)
{
    json_t *def = field_value(f, defaults);
    json_t *p = json_object();
    if (!def) {
        json_decref(p);
        return NULL;
    }
    switch (f->type) {
    case CB_FIELD_INT:
        p = put(p, "type", json_string("integer"));
        p = put(p, "minimum", json_integer(f->min));
        p = put(p, "maximum", json_integer(f->max));
        break;
    case CB_FIELD_BOOL: p = put(p, "type", json_string("boolean")); break;
    case CB_FIELD_ENUM:
        p = put(p, "type", json_string("string"));
        p = put(p, "enum", names_array(f->names));
        break;
    case CB_FIELD_CHOICE: {
        json_t *a = json_array();
        for (int i = 0; a && i < f->n_choices; i++)
            if (json_array_append_new(a, json_integer(f->choices[i])) < 0) {
                json_decref(a);
                a = NULL;
            }
        p = put(p, "type", json_string("integer"));
        p = put(p, "enum", a);
        break;
    }
    case CB_FIELD_INT_LIST: {
        json_t *items = json_object();
        items = put(items, "type", json_string("integer"));
        items = put(items, "minimum", json_integer(f->min));
        items = put(items, "maximum", json_integer(f->max));
        p = put(p, "type", json_string("array"));
        p = put(p, "items", items);
        p = put(p, "minItems", json_integer(1));
        p = put(p, "maxItems", json_integer(f->max_items));
        if (!strict)
            p = put(p, "uniqueItems", json_true());
        break;
    }
    }
    p = put(
        p, "description",
        describe(f->doc, def, f->type == CB_FIELD_INT_LIST ? "Values must differ." : NULL, strict));
    if (!strict)
        p = put(p, "default", json_incref(def));
    json_decref(def);
    return p;
}

/* A string property with byte limits (non-strict only: JSON Schema counts
 * characters, not bytes, so the limits are a loose upper bound there too). */
static json_t *string_schema(const char *doc, size_t min_len, size_t max_len, int printable,
                             int strict)
{
    json_t *p = json_object();
    p = put(p, "type", json_string("string"));
    if (!strict) {
        if (min_len > 0)
            p = put(p, "minLength", json_integer((json_int_t)min_len));
        p = put(p, "maxLength", json_integer((json_int_t)max_len));
        if (printable)
            p = put(p, "pattern", json_string("^[^\\x00-\\x1f\\x7f]*$"));
    }
    return put(p, "description", json_string(doc));
}

static json_t *all_keys(const json_t *properties)
{
    json_t *req = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)properties, key, v)
    {
        if (!req || json_array_append_new(req, json_string(key)) < 0) {
            json_decref(req);
            return NULL;
        }
    }
    return req;
}

char *cb_recipe_schema(int strict)
{
    CbEngineSettings defaults;
    size_t n;
    const CbField *fields = cb_engine_fields(&n);
    cb_engine_settings_default(&defaults);

    json_t *sprops = json_object();
    for (size_t i = 0; sprops && i < n; i++)
        sprops = put(sprops, fields[i].name, field_schema(&fields[i], &defaults, strict));
    json_t *settings = json_object();
    settings = put(settings, "type", json_string("object"));
    settings = put(
        settings, "description",
        json_string(strict ? "settings of the codecbench engine"
                           : "settings of the codecbench engine; a missing one takes its default"));
    settings = put(settings, "properties", json_incref(sprops));
    if (strict)
        settings = put(settings, "required", all_keys(sprops));
    settings = put(settings, "additionalProperties", json_false());
    json_decref(sprops);

    json_t *codec = json_object();
    codec = put(codec, "type", json_string("string"));
    codec = put(codec, "enum", names_array(codec_names));
    codec = put(codec, "description", json_string("the codec that runs: the codecbench engine"));

    json_t *props = json_object();
    props = put(props, "name",
                string_schema("a short name for the recipe, shown in tables and charts", 1,
                              CB_RECIPE_NAME_MAX, 1, strict));
    props = put(props, "codec", codec);
    props = put(props, "settings", settings);
    props = put(props, "note",
                string_schema("free text about the recipe; not part of its canonical form or hash",
                              0, CB_RECIPE_NOTE_MAX, 0, strict));

    json_t *root = json_object();
    if (!strict)
        root = put(root, "$schema", json_string("https://json-schema.org/draft/2020-12/schema"));
    root = put(root, "title", json_string("codecbench recipe"));
    root = put(root, "description",
               json_string("What a run encodes: a codec, its settings and the rate points (qps)."));
    root = put(root, "type", json_string("object"));
    root = put(root, "properties", json_incref(props));
    if (strict) {
        root = put(root, "required", all_keys(props));
    } else {
        json_t *req = json_array();
        if (req && (json_array_append_new(req, json_string("name")) < 0 ||
                    json_array_append_new(req, json_string("codec")) < 0)) {
            json_decref(req);
            req = NULL;
        }
        root = put(root, "required", req);
    }
    root = put(root, "additionalProperties", json_false());
    json_decref(props);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    return text;
}

/* codecbench config: names of requests, views, colour areas, colours,
 * attributes and keys, from the X-macro lists of config.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "codecbench/config.h"

typedef struct NameHelp {
    const char *name, *help;
} NameHelp;

static const NameHelp requests[CB_REQ_COUNT] = {
    [CB_REQ_NONE] = {"none", "Nothing (unbinds the key)"},
#define X(e, n, h) [CB_REQ_##e] = {n, h},
    CB_CONFIG_REQUESTS(X)
#undef X
};

static const NameHelp views[CB_VIEW_COUNT] = {
#define X(e, n, h) [CB_VIEW_##e] = {n, h},
    CB_CONFIG_VIEWS(X)
#undef X
};

static const NameHelp areas[CB_AREA_COUNT] = {
#define X(e, n, h) [CB_AREA_##e] = {n, h},
    CB_CONFIG_AREAS(X)
#undef X
};

static const char *const attrs[CB_ATTR_COUNT] = {
#define X(e, n) [CB_ATTR_BIT_##e] = n,
    CB_CONFIG_ATTRS(X)
#undef X
};

static int find(const NameHelp *t, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            return i;
    return -1;
}

const char *cb_config_request_name(CbRequest req)
{
    return (int)req >= 0 && req < CB_REQ_COUNT ? requests[req].name : NULL;
}

const char *cb_config_request_help(CbRequest req)
{
    return (int)req >= 0 && req < CB_REQ_COUNT ? requests[req].help : NULL;
}

const char *cb_config_view_name(CbView view)
{
    return (int)view >= 0 && view < CB_VIEW_COUNT ? views[view].name : NULL;
}

const char *cb_config_view_help(CbView view)
{
    return (int)view >= 0 && view < CB_VIEW_COUNT ? views[view].help : NULL;
}

const char *cb_config_area_name(CbColorArea area)
{
    return (int)area >= 0 && area < CB_AREA_COUNT ? areas[area].name : NULL;
}

const char *cb_config_area_help(CbColorArea area)
{
    return (int)area >= 0 && area < CB_AREA_COUNT ? areas[area].help : NULL;
}

int cb_config_request_from_name(const char *name)
{
    return find(requests, CB_REQ_COUNT, name);
}

int cb_config_view_from_name(const char *name)
{
    return find(views, CB_VIEW_COUNT, name);
}

int cb_config_area_from_name(const char *name)
{
    return find(areas, CB_AREA_COUNT, name);
}

const char *cb_config_attr_name(int bit)
{
    return bit >= 0 && bit < CB_ATTR_COUNT ? attrs[bit] : NULL;
}

/* ---- colours ------------------------------------------------------------- */

static const char *const basic_colors[8] = {"black", "red",     "green", "yellow",
                                            "blue",  "magenta", "cyan",  "white"};

int cb_config_color_parse(const char *name, int *color)
{
    if (!name || !*name)
        return CB_EINVAL;
    if (!strcmp(name, "default")) {
        *color = CB_COLOR_DEFAULT;
        return CB_OK;
    }
    for (int i = 0; i < 8; i++)
        if (!strcmp(name, basic_colors[i])) {
            *color = i;
            return CB_OK;
        }
    /* 0..255 in decimal, no sign, no leading zeros beyond "0". */
    size_t n = strlen(name);
    if (n > 3 || (n > 1 && name[0] == '0'))
        return CB_EINVAL;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (name[i] < '0' || name[i] > '9')
            return CB_EINVAL;
        v = v * 10 + (name[i] - '0');
    }
    if (v > 255)
        return CB_EINVAL;
    *color = v;
    return CB_OK;
}

const char *cb_config_color_name(int color, char buf[8])
{
    if (color == CB_COLOR_DEFAULT)
        return "default";
    if (color >= 0 && color < 8)
        return basic_colors[color];
    if (color < 0 || color > 255)
        return NULL;
    int n = snprintf(buf, 8, "%d", color);
    return n > 0 && n < 8 ? buf : NULL;
}

/* ---- keys ---------------------------------------------------------------- */

/* Keys with a name in <>: the first name of a key is its canonical one. */
static const struct {
    const char *name;
    int key;
} key_names[] = {
    {"Enter", 13},
    {"Return", 13},
    {"CR", 13},
    {"Tab", 9},
    {"BackTab", CB_KEY_BACK_TAB},
    {"S-Tab", CB_KEY_BACK_TAB},
    {"Esc", 27},
    {"Escape", 27},
    {"Space", ' '},
    {"Backspace", 127},
    {"BS", 127},
    {"Hash", '#'},
    {"Up", CB_KEY_UP},
    {"Down", CB_KEY_DOWN},
    {"Left", CB_KEY_LEFT},
    {"Right", CB_KEY_RIGHT},
    {"Home", CB_KEY_HOME},
    {"End", CB_KEY_END},
    {"PageUp", CB_KEY_PAGE_UP},
    {"PgUp", CB_KEY_PAGE_UP},
    {"PageDown", CB_KEY_PAGE_DOWN},
    {"PgDown", CB_KEY_PAGE_DOWN},
    {"PgDn", CB_KEY_PAGE_DOWN},
    {"Insert", CB_KEY_INSERT},
    {"Ins", CB_KEY_INSERT},
    {"Delete", CB_KEY_DELETE},
    {"Del", CB_KEY_DELETE},
};
#define N_KEY_NAMES (sizeof key_names / sizeof key_names[0])

/* Decodes one UTF-8 code point spanning all of s; -1 if s is not exactly one
 * valid, shortest-form, non-surrogate code point. */
static long utf8_one(const unsigned char *s, size_t n)
{
    if (n < 2 || n > 4)
        return -1;
    long cp;
    size_t need;
    if ((s[0] & 0xE0) == 0xC0) {
        cp = s[0] & 0x1F;
        need = 2;
    } else if ((s[0] & 0xF0) == 0xE0) {
        cp = s[0] & 0x0F;
        need = 3;
    } else if ((s[0] & 0xF8) == 0xF0) {
        cp = s[0] & 0x07;
        need = 4;
    } else {
        return -1;
    }
    if (n != need)
        return -1;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const long min_for[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    return cp;
}

/* F1..F24 from the digits after "F"; 0 if not one. */
static int function_key(const char *digits)
{
    size_t n = strlen(digits);
    if (n < 1 || n > 2 || digits[0] < '1' || digits[0] > '9' ||
        (n == 2 && (digits[1] < '0' || digits[1] > '9')))
        return 0;
    int f = digits[0] - '0';
    if (n == 2)
        f = f * 10 + (digits[1] - '0');
    return f >= 1 && f <= 24 ? CB_KEY_F(f) : 0;
}

int cb_config_key_parse(const char *name, int *key, CbError *err)
{
    size_t n = name ? strlen(name) : 0;
    const unsigned char *u = (const unsigned char *)name;
    if (n == 0)
        return cb_error_set(err, CB_EINVAL, "a key name is empty");
    if (n == 1) {
        if (u[0] > ' ' && u[0] < 127 && u[0] != '#') {
            *key = u[0];
            return CB_OK;
        }
        goto bad;
    }
    if (n == 2 && name[0] == '^') {
        unsigned char c = u[1];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (c >= '@' && c <= '_') {
            *key = c - '@';
            return CB_OK;
        }
        if (c == '?') {
            *key = 127;
            return CB_OK;
        }
        goto bad;
    }
    if (name[0] == 'F' && function_key(name + 1)) {
        *key = function_key(name + 1);
        return CB_OK;
    }
    if (name[0] == '<' && name[n - 1] == '>' && n <= 12) {
        char inner[12];
        memcpy(inner, name + 1, n - 2);
        inner[n - 2] = 0;
        for (size_t i = 0; i < N_KEY_NAMES; i++)
            if (!strcasecmp(inner, key_names[i].name)) {
                *key = key_names[i].key;
                return CB_OK;
            }
        if ((inner[0] == 'F' || inner[0] == 'f') && function_key(inner + 1)) {
            *key = function_key(inner + 1);
            return CB_OK;
        }
        goto bad;
    }
    {
        long cp = utf8_one(u, n);
        if (cp >= 0xA0) {
            *key = (int)cp;
            return CB_OK;
        }
    }
bad:
    return cb_error_set(err, CB_EINVAL,
                        "'%s' is not a key (a character, ^X, F1..F24 or <Name>: <Enter>, "
                        "<Tab>, <Esc>, <Space>, <Backspace>, <Hash>, <Up>, <Down>, <Left>, "
                        "<Right>, <Home>, <End>, <PageUp>, <PageDown>, <Insert>, <Delete>, "
                        "<BackTab>)",
                        name);
}

int cb_config_key_name(int key, char out[CB_KEY_NAME_MAX])
{
    out[0] = 0;
    for (size_t i = 0; i < N_KEY_NAMES; i++)
        if (key_names[i].key == key) {
            int w = snprintf(out, CB_KEY_NAME_MAX, "<%s>", key_names[i].name);
            return w > 0 && w < CB_KEY_NAME_MAX ? CB_OK : CB_EINVAL;
        }
    if (key >= CB_KEY_F1 && key <= CB_KEY_LAST) {
        int w = snprintf(out, CB_KEY_NAME_MAX, "F%d", key - CB_KEY_F1 + 1);
        return w > 0 && w < CB_KEY_NAME_MAX ? CB_OK : CB_EINVAL;
    }
    if (key >= 0 && key < 32) {
        out[0] = '^';
        out[1] = (char)('@' + key);
        out[2] = 0;
        return CB_OK;
    }
    if (key > ' ' && key < 127) {
        out[0] = (char)key;
        out[1] = 0;
        return CB_OK;
    }
    if (key >= 0xA0 && key <= 0x10FFFF && !(key >= 0xD800 && key <= 0xDFFF)) {
        unsigned char *o = (unsigned char *)out;
        if (key < 0x800) {
            o[0] = (unsigned char)(0xC0 | (key >> 6));
            o[1] = (unsigned char)(0x80 | (key & 0x3F));
            o[2] = 0;
        } else if (key < 0x10000) {
            o[0] = (unsigned char)(0xE0 | (key >> 12));
            o[1] = (unsigned char)(0x80 | ((key >> 6) & 0x3F));
            o[2] = (unsigned char)(0x80 | (key & 0x3F));
            o[3] = 0;
        } else {
            o[0] = (unsigned char)(0xF0 | (key >> 18));
            o[1] = (unsigned char)(0x80 | ((key >> 12) & 0x3F));
            o[2] = (unsigned char)(0x80 | ((key >> 6) & 0x3F));
            o[3] = (unsigned char)(0x80 | (key & 0x3F));
            o[4] = 0;
        }
        return CB_OK;
    }
    return CB_EINVAL;
}

/* codecbench: the one terminal-text sanitiser. */
#include "codecbench/sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s (n bytes available).  Returns its length
 * and the code point in *cp, or 0 when the bytes are not valid UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Code points that reorder or control the display. */
static int is_display_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

int cb_sanitize_append(CbBuf *out, const char *s, size_t n, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int rc = CB_OK;
    while (i < n && rc == CB_OK) {
        unsigned char c = p[i];
        if (c < 0x20 || c == 0x7f) {
            if (c == '\n' && (flags & CB_SANITIZE_NEWLINES))
                rc = cb_buf_append(out, "\n", 1);
            else if (c == '\t')
                rc = cb_buf_append(out, " ", 1);
            else {
                char caret[2] = {'^', (char)(c == 0x7f ? '?' : c + 0x40)};
                rc = cb_buf_append(out, caret, 2);
            }
            i++;
            continue;
        }
        if (c < 0x80) {
            /* A run of plain printable ASCII goes in one append. */
            size_t j = i + 1;
            while (j < n && p[j] >= 0x20 && p[j] < 0x7f)
                j++;
            rc = cb_buf_append(out, p + i, j - i);
            i = j;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len == 0) {
            rc = cb_buf_printf(out, "<%02X>", c);
            i++;
        } else if (is_display_control(cp)) {
            rc = cb_buf_printf(out, "<U+%04X>", (unsigned)cp);
            i += len;
        } else if (flags & CB_SANITIZE_ASCII) {
            rc = cb_buf_append(out, "?", 1);
            i += len;
        } else {
            rc = cb_buf_append(out, p + i, len);
            i += len;
        }
    }
    return rc;
}

char *cb_sanitize_dup(const char *s, unsigned flags)
{
    CbBuf b;
    size_t n = strlen(s);
    /* The worst case is "<U+XXXX>" (8 bytes) for a 2-byte C1 control, or
     * "<XX>" (4 bytes) for each invalid byte: at most 4 bytes out per byte in. */
    cb_buf_init(&b, n > SIZE_MAX / 4 - 1 ? SIZE_MAX - 1 : 4 * n + 1);
    if (cb_sanitize_append(&b, s, n, flags) < 0 || cb_buf_append(&b, "", 0) < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    return cb_buf_steal(&b);
}

size_t cb_utf8_whole_prefix(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
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

/* codecbench: the one terminal-text sanitiser.
 *
 * Everything shown that came from outside (log lines, file names, recipe
 * names, library error strings, LLM text) passes through here, so that no
 * byte from data can drive the terminal.  Printable text in valid UTF-8 is
 * kept; everything else becomes visible, inert ASCII:
 *   - C0 controls and DEL as caret notation: ESC -> "^[", BEL -> "^G", DEL -> "^?"
 *     (tab becomes a space; newline is kept only with CB_SANITIZE_NEWLINES);
 *   - C1 controls (U+0080..U+009F, e.g. the 8-bit CSI U+009B), and the
 *     bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069)
 *     as "<U+XXXX>";
 *   - bytes that are not valid UTF-8 (stray continuation bytes, overlong
 *     forms, surrogates, values past U+10FFFF, cut sequences) as "<XX>".
 */
#ifndef CODECBENCH_SANITIZE_H
#define CODECBENCH_SANITIZE_H

#include <stddef.h>

#include "codecbench/buf.h"

enum {
    CB_SANITIZE_NEWLINES = 1 << 0, /**< keep '\n' (multi-line text) */
    CB_SANITIZE_ASCII = 1 << 1,    /**< also replace every non-ASCII character by "?" (non-UTF-8 terminals) */
};

/** Appends the sanitised form of n bytes of s to out. */
int cb_sanitize_append(CbBuf *out, const char *s, size_t n, unsigned flags);

/** Returns a newly allocated sanitised copy of the NUL-terminated s (the
 * caller frees it), or NULL when memory runs out.  The result is at most
 * 4 x strlen(s) + 1 bytes. */
char *cb_sanitize_dup(const char *s, unsigned flags);

/** The length of s[0..n) that ends on a whole UTF-8 character, for text
 * that arrives in pieces (a streamed reply): the bytes after it may be the
 * start of a character the next piece completes.  Invalid bytes count as
 * whole (the sanitiser replaces them). */
size_t cb_utf8_whole_prefix(const char *s, size_t n);

#endif

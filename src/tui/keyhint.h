/* codecbench dashboard: the status line's key hints ("r rerun  e edit")
 * built from the configured bindings, so that a rebound key shows as bound.
 * No curses here. */
#ifndef CODECBENCH_TUI_KEYHINT_H
#define CODECBENCH_TUI_KEYHINT_H

#include <stddef.h>

#include "codecbench/config.h"

/** Writes "KEY word  KEY word ..." into out (cap bytes, NUL-terminated) for the n requests
 * in reqs, naming each with words[i]: the first key bound to it in view (else globally);
 * requests in a row with the same word share it ("<Left>/<Right> column"); requests bound
 * to no key are left out.  Stops before an entry that does not fit.  Returns the bytes
 * written. */
size_t tui_key_hint(const CbConfig *cfg, CbView view, const CbRequest *reqs,
                    const char *const *words, size_t n, char *out, size_t cap);

#endif

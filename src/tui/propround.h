/* codecbench dashboard: a proposer round as JSON (propround.c), no curses:
 * how the proposal pane's child process (which reads the history and runs
 * the proposer) hands its round to the dashboard.  The reader treats the
 * document as untrusted: wrong types read as empty, sizes are bounded. */
#ifndef CODECBENCH_TUI_PROPROUND_H
#define CODECBENCH_TUI_PROPROUND_H

#include <jansson.h>

#include "codecbench/propose.h"

/** Most items and rejects read from one document (a round holds at most
 * CB_PROPOSE_MAX_K items; the LLM's rejects are bounded by its reply). */
#define TUI_ROUND_MAX_ENTRIES 1024

/** r as {"items": [{"name", "rationale", "recipe", "diff", "key", "parent"}],
 * "rejects": [{"name", "rationale", "reason"}]}: a new reference, NULL when
 * out of memory. */
json_t *tui_round_to_json(const CbProposeRound *r);

/** Reads such a document into r (initialised, empty: cb_propose_round_init),
 * every string copied (a missing or non-string field reads as "", a
 * non-integer parent as 0, a key cut to its size).  0; CB_EFORMAT when items
 * or rejects is not an array or holds more than TUI_ROUND_MAX_ENTRIES
 * entries; CB_ENOMEM.  On failure r holds what was read (free it with
 * cb_propose_round_free). */
int tui_round_from_json(json_t *doc, CbProposeRound *r);

#endif

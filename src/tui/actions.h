/* codecbench dashboard: what keys do to runs (actions.c), shared by the
 * views so that `r` in the runs list and `r` in a run's detail are the same
 * code, and the same core calls as the CLI's subcommands (rerun, cancel,
 * rm, anchor, tag, note).
 *
 * An action applies to the marked runs when there are any, else to the run
 * under the cursor (tui_action_targets).  Each reports what it did, or why
 * not, on the status line (tui_message / tui_error), asks first where it
 * destroys something (tui_confirm), calls tui_reload() after writing to
 * the store and tui_ensure_runner() after queueing.  None blocks the loop:
 * the only foreground wait is the user's editor (tui_run_foreground).
 */
#ifndef CODECBENCH_TUI_ACTIONS_H
#define CODECBENCH_TUI_ACTIONS_H

#include "tui/tui.h"

/** The runs an action applies to: the marked ones (in id order), else cursor (when not 0).
 * Writes at most cap ids; returns how many. */
size_t tui_action_targets(const TuiApp *app, int64_t cursor, int64_t *ids, size_t cap);

/** Queues each run again as a new run of the same recipe and input, its parent the run
 * (origin "rerun"), as `codecbench rerun` does. */
void tui_action_rerun(TuiApp *app, const int64_t *ids, size_t n);
/** Opens the run's recipe in $VISUAL / $EDITOR (else vi); when the edited text is a valid
 * recipe that differs, queues it on the same input, parent the run (origin "edit"); an
 * invalid recipe is reported with the reason and the editor can be reopened. */
void tui_action_edit(TuiApp *app, int64_t id);
/** Asks for a recipe file and a clip (prompts, with the cursor run's as defaults) and
 * queues a new run in the cursor run's experiment (or "default"). */
void tui_action_new_run(TuiApp *app, int64_t cursor);
/** Cancels queued or running runs (finished ones are skipped, saying so). */
void tui_action_cancel(TuiApp *app, const int64_t *ids, size_t n);
/** Deletes the runs and their directories, after a yes/no question naming them. */
void tui_action_delete(TuiApp *app, const int64_t *ids, size_t n);
/** Makes the run's recipe its experiment's anchor. */
void tui_action_anchor(TuiApp *app, int64_t id);
/** Prompts for a tag ("-name" removes it) and applies it to the runs. */
void tui_action_tag(TuiApp *app, const int64_t *ids, size_t n);
/** Prompts for a note and adds it to the run. */
void tui_action_note(TuiApp *app, int64_t id);

#endif

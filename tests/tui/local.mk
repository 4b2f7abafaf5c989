# The dashboard end to end: the real binary driven in tmux (send-keys,
# capture-pane) on real stores (tests/tui/lib.sh is the harness).  Each
# script skips when tmux is missing (scripts/packages.txt installs it).
cb_tui_tests = \
	tests/tui/browse.sh \
	tests/tui/actions.sh \
	tests/tui/terminal.sh
# The frame preview (issue 6): fallbacks, stepping, zoom, wipe on close.
cb_tui_tests += tests/tui/preview.sh
# The proposal pane and the lineage view (issue 7).
cb_tui_tests += tests/tui/proposals.sh
# A run's stage (issue 8): the stage section, the source and diff view,
# escapes in a stage's comments, the lineage's code change.
cb_tui_tests += tests/tui/stage.sh
TESTS += $(cb_tui_tests)
EXTRA_DIST += $(cb_tui_tests) tests/tui/lib.sh
# The proposal pane's stage mode (issue 8): c, the stage round, the failed edits.
TESTS += tests/tui/proposals_stage.sh
EXTRA_DIST += tests/tui/proposals_stage.sh

# The dashboard end to end, terminal hygiene in tmux: escape sequences in
# a log line and a note shown harmlessly (screen not cleared, title
# unchanged), NO_COLOR, 256 and 8 colours, the shipped themes (and
# --theme), and a non-UTF-8 locale drawing ASCII only.
. "$CB_SRCDIR/tests/tui/lib.sh"
need_tmux
need_ffmpeg
need_clips

names="alpha bravo charlie"
if ! make_store "$TUI_STORE"; then
    fail "a store of three real runs"
    done_testing
fi
pass "a store of three real runs (alpha, bravo, charlie) done"

ESC=$(printf '\033')
# SGR colour codes as tmux writes them in capture-pane -e: 30-37/40-47 (8
# colours), 90-97/100-107 (bright), 38;5;N / 48;5;N (256), 38;2;R;G;B
# (direct).  39 and 49 (the terminal's own colours) are not colours.
colour_sgr="$ESC\\[(3[0-7]|4[0-7]|9[0-7]|10[0-7]|38;|48;)"
non_ascii() { LC_ALL=C grep -q "$(printf '[\200-\377]')"; }

# ---- hostile bytes in a log line and a note --------------------------------------
# ESC [ 2 J (clear the screen) and OSC 0 (set the window title), in the
# worker's log and events of alpha, and in a note on it.
evil="evil-line $ESC[2J$ESC]0;pwned$(printf '\007') end-of-evil"
d1="$TUI_STORE/runs/000001"
printf '%s\n' "$evil" >> "$d1/log.txt"
"$PYTHON3" -c '
import json, sys
print(json.dumps({"t": 1.0, "event": "log", "level": "info", "text": sys.argv[1]}))' "$evil" >> "$d1/events.jsonl"
"$CB_BIN" note 1 "note-$evil" --store "$TUI_STORE" >/dev/null 2>&1

tui_start --size 120x40
expect charlie "the dashboard lists the runs" 15
title0=$(pane_var pane_title)
cursor_to alpha >/dev/null
keys l
expect evil-line "l shows alpha's log with the hostile line" 10
ok 'screen | grep -F evil-line | grep -qF "^["' "the ESC of the log line is shown as ^["
ok 'screen | grep -F evil-line | grep -qF end-of-evil' "the rest of the line is shown after it"
ok '[ "$(pane_var pane_title)" = "$title0" ] && [ "$(pane_var pane_title)" != pwned ]' \
   "the OSC sequence did not change the title ($(pane_var pane_title))"
ok '[ "$(screen | grep -c .)" -gt 3 ] && [ -n "$(screen | head -1 | tr -d " ")" ]' \
   "the screen was not cleared (title bar and other lines still there)"
keys Escape
expect charlie "back to the runs list"
cursor_to alpha >/dev/null
keys Enter
wait_for "Rate points" 5 >/dev/null
scroll_until note-evil >/dev/null
ok 'screen | grep -F note-evil | grep -qF "^["' "the note with ESC is shown as ^[ in the detail"
ok '[ "$(pane_var pane_title)" = "$title0" ]' "the title is still unchanged"
keys Escape
wait_for charlie 5 >/dev/null
keys q
wait_for "dashboard exited" 10 >/dev/null

# ---- colours -------------------------------------------------------------------------
tui_start --size 120x40
wait_for charlie 15 >/dev/null
wait_quiet
ok 'screen -e | grep -Eq "$colour_sgr"' "TERM=xterm-256color: the default theme draws in colour"
tui_start --size 120x40 --env NO_COLOR=1
expect charlie "NO_COLOR=1: the dashboard starts" 15
wait_quiet
ok '! screen -e | grep -Eq "$colour_sgr"' "NO_COLOR=1: no colour at all (capture-pane -e has no colour SGR)"
ok 'screen -e | grep -q "$ESC\\[\\(1\\|4\\|7\\)m"' "NO_COLOR=1: the layout still uses attributes (bold, underline or reverse)"

# The shipped themes (built in: no installation needed).
tui_config_raw "set theme = dark"
tui_start --size 120x40
wait_for charlie 15 >/dev/null
wait_quiet
ok 'screen -e | grep -Eq "$ESC\\[(38|48);5;(1[6-9]|[2-9][0-9]|1[0-9][0-9]|2[0-5][0-9])m"' \
   "theme dark on 256 colours: colours of the 256-colour palette"
tui_start --size 120x40 --term xterm
wait_for charlie 15 >/dev/null
wait_quiet
ok 'screen -e | grep -Eq "$ESC\\[(3[0-7]|4[0-7])m" && ! screen -e | grep -Eq "$ESC\\[(38|48);"' \
   "theme dark on TERM=xterm (8 colours): only the 8 basic colours"
# A direct-colour terminal (TERM=xterm-direct, from ncurses-term): the theme's
# 0..255 colours are sent as RGB.  dark's background is 235 on the grey ramp,
# 8 + 10 * (235 - 232) = 38 in each channel: 48;2;38;38;38.
if infocmp xterm-direct >/dev/null 2>&1; then
    tui_start --size 120x40 --term xterm-direct
    wait_for charlie 15 >/dev/null
    wait_quiet
    ok 'screen -e | grep -q "$ESC\\[48;2;38;38;38m" && ! screen -e | grep -Eq "$ESC\\[(38|48);5;"' \
       "theme dark on TERM=xterm-direct: colours as RGB, none from the 256-colour palette"
    keys q
    wait_for "dashboard exited" 10 >/dev/null
else
    skip "theme dark on TERM=xterm-direct: colours as RGB" "no xterm-direct terminfo (Debian's ncurses-term)"
fi
tui_config_raw "set theme = light"
tui_start --size 120x40
wait_for charlie 15 >/dev/null
wait_quiet
ok 'screen -e | sed -n "3,38p" | grep -q "$ESC\\[\\(48;5;[0-9]*\\|4[0-7]\\|10[0-7]\\)m"' \
   "theme light paints its own background under the table"
tui_config_raw "set theme = high-contrast"
tui_start --size 120x40
wait_for charlie 15 >/dev/null
wait_quiet
ok 'screen -e | sed -n "3,38p" | grep -q "$ESC\\[7m" && screen -e | grep -q "$ESC\\[1m"' \
   "theme high-contrast: a reverse cursor line and bold text"
tui_config_raw "# no colour lines: the theme's own"
tui_start --size 120x40 -- --theme high-contrast
expect charlie "--theme high-contrast starts the dashboard" 15
ok 'screen -e | sed -n "3,38p" | grep -q "$ESC\\[7m"' "--theme high-contrast applies the theme (reverse cursor line)"
keys q
wait_for "dashboard exited" 10 >/dev/null

# ---- a non-UTF-8 locale: ASCII only ---------------------------------------------------------
tui_start --size 120x40 --lang C
expect charlie "LANG=C: the dashboard starts" 15
wait_quiet
ok '! screen | non_ascii' "LANG=C: the runs list is ASCII only"
cursor_to alpha >/dev/null
keys g
wait_for kbps 5 >/dev/null
wait_quiet
ok 'screen | grep -qF kbps && ! screen | non_ascii' "LANG=C: the chart is ASCII only (no braille)"
keys Escape
wait_for charlie 5 >/dev/null
keys '?'
wait_for rerun 5 >/dev/null
ok 'screen | grep -qF rerun && ! screen | non_ascii' "LANG=C: the help is ASCII only"
keys Escape
keys q
expect "dashboard exited with status 0" "LANG=C: q quits with status 0"

done_testing

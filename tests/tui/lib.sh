# codecbench: the dashboard's end-to-end harness (sourced by tests/tui/*.sh,
# after nothing else: it sources tests/tap.sh itself).
#
# The real binary ($CB_BIN, no subcommand, only --store DIR and the flags
# a test adds) runs in a detached tmux session on a private server
# (tmux -L cbtest-PID -f /dev/null: no user configuration, no other
# session), in a pane of a given size, through a small wrapper shell that
# marks the normal screen before the dashboard starts and prints the exit
# status after it ends, so a test can see what the terminal is left with.
#
#   need_tmux                       skip the whole script when tmux is missing
#   tui_start [OPTS] [-- ARGS...]   start the dashboard (ARGS: more flags); OPTS:
#       --size WxH     pane size (default 120x40)
#       --term T       TERM (default xterm-256color; xterm for 8 colours)
#       --lang L       LANG and LC_ALL (default C.UTF-8; C for ASCII)
#       --env K=V      one more variable (repeatable); NO_COLOR, VISUAL,
#                      EDITOR and TMUX are unset unless given here
#       --store DIR    the store (default $TUI_STORE)
#   tui_stop                        kill the session (the server stays)
#   tui_pid                         the dashboard's process id
#   tui_exited                      the dashboard has exited (its status is shown)
#   tui_config [LINE...]            the dashboard's config file: the tests' cursor
#                                   colour, then LINEs; tui_config_raw: LINEs only
#   keys KEY...                     tmux send-keys (C-f, Enter, Escape, Space, BSpace...)
#   type_text TEXT                  send TEXT literally (send-keys -l)
#   screen [-e]                     the pane as text (-e: with SGR colours)
#   wait_for TEXT [TIMEOUT]         poll until TEXT (fixed string) is on the
#                                   screen; 0, or 1 with the screen as TAP
#                                   diagnostics (default timeout 10 s; at once
#                                   when the dashboard has exited)
#   wait_gone TEXT [TIMEOUT]        poll until TEXT is no longer on the screen
#   wait_quiet [MS]                 until the screen has not changed for MS (300; 3 s at most)
#   expect TEXT NAME [TIMEOUT]      pass NAME when wait_for TEXT succeeds, else fail
#   scroll_until TEXT [KEY [N]]     press KEY (C-f) until TEXT shows, N (10) times at most
#   resize W H                      tmux resize-window
#   pane_var NAME                   tmux display -p '#{NAME}' of the pane
#   line_of TEXT                    the first screen line (0-based) holding TEXT, or -1
#   cursor_line                     the visible text of the body lines drawn in the
#                                   cursor colour area (the tests' config makes it
#                                   the only area with a magenta background)
#   cursor_name NAME...             which NAME is on the cursor line
#   cursor_to NAME                  move the runs view's cursor to NAME's row (j, k)
#   name_order NAME...              the NAMEs in their order on the screen
#   make_store DIR                  a small real store: runs alpha, bravo (engine) and
#                                   charlie (x264) of 5 frames on a CIF clip, all done
#   run_field ID NAME               a field of `codecbench show ID --json`
#   wait_status ID STATUS [SECS]    until run ID has STATUS in the store
#
# Every test script sources this file, calls need_tmux (and need_ffmpeg /
# need_clips when it makes runs), then tui_start.  The server is killed on
# exit, also when the script dies (trap), and so is any runner it started.
. "$CB_SRCDIR/tests/tap.sh"

TUI_SOCK=cbtest-$$
TUI_SESSION=cb0
TUI_N=0
TUI_STORE=${TUI_STORE:-$tap_tmp/store}
# The dashboard and the CLI calls of the tests see only the test's own
# configuration and data folders.
export XDG_CONFIG_HOME="$tap_tmp/config"
export XDG_DATA_HOME="$tap_tmp/data"
export CODECBENCH_STORE="$TUI_STORE"
# Runners started by the dashboard or the tests exit one second after their
# last run, so none outlives the test.
export CODECBENCH_RUNNER_IDLE_EXIT=1
mkdir -p "$XDG_CONFIG_HOME/codecbench" "$XDG_DATA_HOME"

tm() { tmux -u -L "$TUI_SOCK" -f /dev/null "$@"; }

tui_cleanup() {
    tmux -L "$TUI_SOCK" -f /dev/null kill-server 2>/dev/null
    # The server leaves its socket behind.
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TUI_SOCK"
    if [ -n "${CB_BIN:-}" ] && [ -d "$TUI_STORE" ]; then
        p=$("$CB_BIN" runner --status --store "$TUI_STORE" 2>/dev/null)
        case $p in ''|none|*[!0-9]*) ;; *) kill "$p" 2>/dev/null ;; esac
    fi
    rm -rf "$tap_tmp"
}
trap tui_cleanup EXIT
# A signal ends the script through the EXIT trap (and make check's TAP driver
# sees the missing cases as a failure).
trap 'exit 1' INT TERM HUP

need_tmux() {
    command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed (scripts/install-deps installs it)"
}

# Single-quotes a word for the wrapper script.
tui_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

tui_start() {
    size=120x40 term=xterm-256color lang=C.UTF-8 store=$TUI_STORE envs=
    while [ $# -gt 0 ]; do
        case $1 in
            --size) size=$2; shift ;;
            --term) term=$2; shift ;;
            --lang) lang=$2; shift ;;
            --env) envs="$envs $(tui_quote "$2")"; shift ;;
            --store) store=$2; shift ;;
            --) shift; break ;;
            *) break ;;
        esac
        shift
    done
    w=${size%x*} h=${size#*x}
    args=
    for a in "$@"; do args="$args $(tui_quote "$a")"; done
    # The wrapper: a marker on the normal screen, the dashboard in the
    # foreground with job control (set -m: its own process group, as from
    # an interactive shell, so that Ctrl-Z can stop it: a process group
    # without job control would be orphaned and the kernel discards stop
    # signals to those), resumed (fg) when it stops and a line is typed,
    # then its exit status and a wait (so the pane and what the dashboard
    # left on it stay for the test to look at).
    TUI_N=$((TUI_N + 1))
    cat > "$tap_tmp/tui-run-$TUI_N.sh" <<EOF
set -m
printf 'cbtest: shell before the dashboard\n'
env -u TMUX -u NO_COLOR -u VISUAL -u EDITOR TERM=$term LANG=$lang LC_ALL=$lang $envs $(tui_quote "$CB_BIN") --store $(tui_quote "$store")$args
st=\$?
while [ "\$st" = 148 ]; do
    printf 'cbtest: dashboard stopped\n'
    read _ || break
    fg >/dev/null
    st=\$?
done
printf 'cbtest: dashboard exited with status %s\n' "\$st"
exec sleep 3600
EOF
    # A new session first, then the old one killed: killing the last
    # session first would make the server exit while the new one connects.
    old=$TUI_SESSION
    TUI_SESSION=cb$TUI_N
    tm new-session -d -s "$TUI_SESSION" -x "$w" -y "$h" "sh $tap_tmp/tui-run-$TUI_N.sh" || return 1
    tm kill-session -t "$old" 2>/dev/null
    # The window keeps the size given, whatever clients attach (none here).
    tm set-option -t "$TUI_SESSION" window-size manual 2>/dev/null
    return 0
}

tui_stop() { tm kill-session -t "$TUI_SESSION" 2>/dev/null; return 0; }

keys() { tm send-keys -t "$TUI_SESSION" "$@"; }
type_text() { tm send-keys -t "$TUI_SESSION" -l "$1"; }

screen() {
    if [ "${1:-}" = -e ]; then tm capture-pane -p -e -t "$TUI_SESSION"
    else tm capture-pane -p -t "$TUI_SESSION"; fi
}

# Sleeps a tenth of a second (POSIX sleep takes whole seconds; Debian's
# takes fractions).
tick() { sleep 0.1; }

# The screen as TAP diagnostics (trailing blank lines left out).
tui_dump() {
    diag "screen ($(pane_var pane_width)x$(pane_var pane_height)):"
    screen | sed 's/[[:space:]]*$//' | awk '{ l[NR] = $0; if ($0 != "") n = NR }
        END { for (i = 1; i <= n; i++) print "|" l[i] }' |
        while IFS= read -r l; do diag "$l"; done
}
# The dashboard has exited (the wrapper printed its status): waiting for
# anything else is pointless.
tui_exited() { screen | grep -qF "cbtest: dashboard exited with status"; }
# The dashboard has stopped (Ctrl-Z); a line (keys Enter) resumes it.
tui_stopped() { screen | grep -qF "cbtest: dashboard stopped"; }

wait_for() {
    lim=$(( ${2:-10} * 10 )) i=0
    while [ $i -lt "$lim" ]; do
        screen | grep -qF -- "$1" && return 0
        if tui_exited; then
            screen | grep -qF -- "$1" && return 0
            diag "the dashboard has exited; wanted: $1"; tui_dump; return 1
        fi
        tick; i=$((i + 1))
    done
    diag "timed out after ${2:-10} s waiting for: $1"
    tui_dump
    return 1
}

wait_gone() {
    lim=$(( ${2:-10} * 10 )) i=0
    while [ $i -lt "$lim" ]; do
        screen | grep -qF -- "$1" || return 0
        if tui_exited; then
            screen | grep -qF -- "$1" || return 0
            diag "the dashboard has exited; wanted gone: $1"; tui_dump; return 1
        fi
        tick; i=$((i + 1))
    done
    diag "timed out after ${2:-10} s waiting for this to go: $1"
    tui_dump
    return 1
}

wait_quiet() {
    ms=${1:-300} prev= same=0 i=0
    # At most 3 s: a screen that keeps changing (a clock, a running run)
    # is as quiet as it gets.
    while [ $i -lt 30 ]; do
        tui_exited && return 0
        cur=$(screen -e | cksum)
        if [ "$cur" = "$prev" ]; then
            same=$((same + 100))
            [ $same -ge "$ms" ] && return 0
        else
            same=0
        fi
        prev=$cur
        tick; i=$((i + 1))
    done
    return 0
}

expect() {
    if wait_for "$1" "${3:-10}"; then pass "$2"; else fail "$2" "expected on screen: $1"; fi
}

# Presses KEY (default C-f, a page down) until TEXT is on the screen, at
# most N times (default 10): 0, or 1 with the screen as diagnostics.
scroll_until() {
    n=0
    while [ $n -lt "${3:-10}" ]; do
        wait_quiet 150
        screen | grep -qF -- "$1" && return 0
        keys "${2:-C-f}"; n=$((n + 1))
    done
    wait_for "$1" 2
}

resize() { tm resize-window -t "$TUI_SESSION" -x "$1" -y "$2"; }

# The dashboard's process id: the codecbench process under the pane's shell.
tui_pid() {
    ps -e -o pid=,ppid=,comm= | awk -v root="$(pane_var pane_pid)" '
        { ppid[$1] = $2; comm[$1] = $3 }
        END {
            for (p in ppid) {
                if (comm[p] != "codecbench") continue
                for (q = ppid[p]; q > 1; q = ppid[q]) if (q == root) { print p; exit }
            }
        }'
}

pane_var() { tm display -p -t "$TUI_SESSION" "#{$1}"; }

line_of() {
    screen | awk -v t="$1" 'index($0, t) { print NR - 1; found = 1; exit } END { if (!found) print -1 }'
}

# The visible text of the lines drawn with a magenta background (SGR 45,
# the tests' cursor colour), title and status lines excluded.
cursor_line() {
    screen -e | awk -v last="$(pane_var pane_height)" '
        NR > 1 && NR < last + 0 && index($0, "\033[45m") {
            gsub(/\033\[[0-9;:]*[A-Za-z]/, ""); print }'
}
# Which of the NAMES is on a cursor line (the first one found), or nothing.
cursor_name() {
    cl=$(cursor_line)
    for n in "$@"; do
        case $cl in *"$n"*) echo "$n"; return 0 ;; esac
    done
    return 1
}
# Moves the runs view's cursor to the row showing NAME, down with j and
# then up with k (not Home: tmux sends the Home key as ESC [ 1 ~, which
# xterm-256color's terminfo does not know): 0, or 1 with the screen as
# diagnostics.
cursor_to() {
    wait_quiet 150
    for dir in j k; do
        i=0
        while [ $i -lt 40 ]; do
            cl=$(cursor_line)
            case $cl in *"$1"*) return 0 ;; esac
            keys $dir
            k=0
            while [ $k -lt 10 ] && [ "$(cursor_line)" = "$cl" ]; do tick; k=$((k + 1)); done
            [ "$(cursor_line)" = "$cl" ] && break
            i=$((i + 1))
        done
    done
    diag "the cursor never reached a row showing $1"
    tui_dump
    return 1
}
# The order in which NAMES appear on the screen, top to bottom, one line.
name_order() {
    s=$(screen)
    for n in "$@"; do
        l=$(printf '%s\n' "$s" | awk -v t="$n" 'index($0, t) { print NR; exit }')
        [ -n "$l" ] && echo "$l $n"
    done | sort -n | awk '{ printf "%s%s", sep, $2; sep = " " } END { print "" }'
}
# Writes the dashboard's config file: the cursor colour the tests look for
# (a colour pair no other area uses, so that cursor_line finds it in
# `capture-pane -e`: SGR 45, magenta background), then the given lines
# (tui_config_raw: only the given lines).
tui_config() { { echo 'color cursor black magenta'; printf '%s\n' "$@"; } > "$XDG_CONFIG_HOME/codecbench/config"; }
tui_config_raw() { printf '%s\n' "$@" > "$XDG_CONFIG_HOME/codecbench/config"; }

# A screen's lines without their trailing blanks, for comparisons.
plain_lines() { screen | sed 's/[[:space:]]*$//'; }

run_field() {
    "$CB_BIN" show "$1" --json --store "$TUI_STORE" 2>/dev/null | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
r = d.get("run", d)
v = r.get(sys.argv[1])
print("" if v is None else v)' "$2"
}

wait_status() {
    i=0 lim=$(( ${3:-120} * 5 ))
    while [ $i -lt "$lim" ]; do
        [ "$(run_field "$1" status)" = "$2" ] && return 0
        sleep 0.2; i=$((i + 1))
    done
    diag "run $1: status '$(run_field "$1" status)', wanted $2; reason: $(run_field "$1" reason)"
    return 1
}

# The CIF clip the runs use.
tui_clip() {
    if [ -f "$CB_CLIPS/natural.y4m" ]; then echo "$CB_CLIPS/natural.y4m"
    else echo "$CB_CLIPS/motion.y4m"; fi
}

# Writes a recipe: tui_recipe FILE NAME SEARCH (an engine "fast" recipe
# with a name and motion search of its own) or tui_recipe FILE NAME x264.
tui_recipe() {
    if [ "$3" = x264 ]; then
        sed "s/\"name\": *\"[^\"]*\"/\"name\": \"$2\"/" \
            "$CB_SRCDIR/samples/recipes/x264-veryfast.json" > "$1"
    else
        sed -e "s/\"name\": *\"[^\"]*\"/\"name\": \"$2\"/" \
            -e "s/\"search\": *\"[^\"]*\"/\"search\": \"$3\"/" \
            "$CB_SRCDIR/samples/recipes/fast.json" > "$1"
    fi
}

# A small real store: alpha (engine, diamond search), bravo (engine,
# hex search) and charlie (x264 veryfast), 5 frames each of one CIF
# clip, queued in that order (ids 1, 2, 3) and all done.  0, or 1 with the
# reason as diagnostics.
make_store() {
    d=$1 clip=$(tui_clip)
    mkdir -p "$tap_tmp/recipes"
    tui_recipe "$tap_tmp/recipes/alpha.json" alpha diamond
    tui_recipe "$tap_tmp/recipes/bravo.json" bravo hex
    tui_recipe "$tap_tmp/recipes/charlie.json" charlie x264
    for r in alpha bravo charlie; do
        "$CB_BIN" run --store "$d" "$tap_tmp/recipes/$r.json" "$clip" --frames 5 --detach \
            >"$tap_tmp/queue-$r.out" 2>"$tap_tmp/queue-$r.err" || {
            diag "queueing $r failed: $(cat "$tap_tmp/queue-$r.err")"; return 1; }
    done
    for id in 1 2 3; do
        TUI_STORE=$d wait_status "$id" done 300 || return 1
    done
    return 0
}

tui_config

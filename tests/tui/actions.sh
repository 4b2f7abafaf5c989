# The dashboard end to end, acting on runs in tmux: mark two runs and
# compare them (BD-rate matrix), rerun and watch the new run complete,
# edit-and-rerun through a scripted $EDITOR (recipe and parent checked in
# the store), cancel a long run, delete (n keeps, y deletes), and quit
# while a run is still running (it goes on).
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

# The scripted editor: the edited recipe codes 2 slices instead of 4.
cat > "$tap_tmp/editor.sh" <<'EOF'
#!/bin/sh
sed -i 's/"slices": *[0-9]*/"slices": 2/' "$1"
echo edited >> "${0%/*}/editor.calls"
EOF
chmod +x "$tap_tmp/editor.sh"

# A long run to cancel and to leave running: the slow preset on 200 CIF
# frames (minutes), reporting progress every few seconds.
cat > "$tap_tmp/recipes/slowpoke.json" <<'EOF'
{ "name": "slowpoke", "codec": "engine",
  "settings": { "preset": "slow", "search": "hex", "qps": [22, 27, 32, 37, 42] } }
EOF
"$FFMPEG" -v error -f lavfi -i testsrc2=size=352x288:rate=25 -frames:v 200 -pix_fmt yuv420p \
    "$tap_tmp/long.y4m"

tui_start --size 140x40 --env "EDITOR=$tap_tmp/editor.sh"
expect charlie "the dashboard lists the runs" 15

# ---- mark two runs and compare them ------------------------------------------
cursor_to alpha
keys Space
wait_quiet
cursor_to bravo
keys Space
wait_quiet
# Marked rows are drawn in the "marked" area (yellow in the default theme);
# charlie, neither marked nor under the cursor, is not.
yellow=$(printf '\033[33m')
ok 'screen -e | grep -F alpha | grep -qF "$yellow" && ! screen -e | grep -F charlie | grep -qF "$yellow"' \
   "Space marks alpha (drawn in the marked colour, charlie not)"
keys c
wait_for "run 2" 5 >/dev/null
wait_quiet
# The BD-rates of bravo against alpha and back as `codecbench compare`
# computes them, signed, to two decimals or one ("+6.40%", "-6.0%").
"$CB_BIN" compare 1 2 --json --store "$TUI_STORE" | "$PYTHON3" -c '
import json, sys
for m in json.load(sys.stdin)["bd_matrix"]:
    if m["bd_rate_pct"] is not None:
        v = m["bd_rate_pct"]
        print("%+.2f%% %+.1f%%" % (v, v))' > "$tap_tmp/bd"
bd_shown() {
    s=$(screen)
    n=0
    while read -r one two; do
        case $s in *"$one"*|*"$two"*) n=$((n + 1)) ;; *) diag "BD-rate $one not shown" ;; esac
    done < "$tap_tmp/bd"
    [ "$n" = 2 ]
}
ok 'screen | grep -qF alpha && screen | grep -qF bravo && ! screen | grep -qF charlie' \
   "c compares the two marked runs (alpha, bravo; not charlie)"
ok 'screen | grep -q "run 1\>" && screen | grep -q "run 2\>"' "the compare view names both runs (run 1, run 2)"
# The BD-rate matrix is at the end of the view.
keys G
wait_for BD-rate 5 >/dev/null
wait_quiet
ok 'screen | grep -q "BD-rate" && [ -s "$tap_tmp/bd" ] && bd_shown' \
   "the compare view shows the BD-rate matrix with the values codecbench compare gives ($(cut -d" " -f1 "$tap_tmp/bd" | tr "\n" " "))"
keys Escape
expect charlie "back to the runs list"
keys M
wait_quiet

# ---- rerun: the new run appears and completes ----------------------------------
cursor_to charlie
keys r
i=0
while [ $i -lt 100 ] && [ "$(screen | grep -cF charlie)" -lt 2 ]; do tick; i=$((i + 1)); done
ok '[ "$(screen | grep -cF charlie)" = 2 ]' "r queues a rerun of charlie: a second charlie row appears"
ok 'wait_status 4 done 120' "the rerun (run 4) is done in the store"
ok '[ "$(run_field 4 parent)" = 3 ] && [ "$(run_field 4 origin)" = rerun ]' "run 4's parent is run 3, origin rerun"
i=0
while [ $i -lt 100 ] && [ "$(screen | grep -F charlie | grep -cF done)" -lt 2 ]; do tick; i=$((i + 1)); done
ok '[ "$(screen | grep -F charlie | grep -cF done)" = 2 ]' "the rerun reaches done on screen"
[ "$(screen | grep -F charlie | grep -cF done)" = 2 ] || tui_dump

# ---- edit and rerun with $EDITOR ---------------------------------------------
cursor_to bravo
keys e
i=0
while [ $i -lt 100 ] && [ "$(screen | grep -cF bravo)" -lt 2 ]; do tick; i=$((i + 1)); done
ok '[ -s "$tap_tmp/editor.calls" ]' "e runs \$EDITOR on the recipe"
ok '[ "$(screen | grep -cF bravo)" = 2 ]' "the edited recipe is queued: a second bravo row appears"
ok 'wait_status 5 done 120' "the edited run (run 5) is done in the store"
ok '[ "$(run_field 5 parent)" = 2 ] && [ "$(run_field 5 origin)" = edit ]' "run 5's parent is run 2 (bravo), origin edit"
ok '"$CB_BIN" show 5 --json --store "$TUI_STORE" | "$PYTHON3" -c "
import json, sys
r = json.load(sys.stdin)[\"recipe_json\"]
assert r[\"name\"] == \"bravo\" and r[\"settings\"][\"slices\"] == 2 and r[\"settings\"][\"search\"] == \"hex\", r
"' "run 5's recipe is bravo's as edited (slices 2, search hex)"

# ---- cancel a long run ----------------------------------------------------------
long=$("$CB_BIN" run --store "$TUI_STORE" "$tap_tmp/recipes/slowpoke.json" "$tap_tmp/long.y4m" --detach 2>"$tap_tmp/slow.err")
ok '[ -n "$long" ] && wait_status "$long" running 60' "a long run ($long) is running"
expect slowpoke "the dashboard shows the run queued by another process" 10
# Its worker reports progress every few frames: the row shows it live.
i=0
while [ $i -lt 300 ] && ! screen | grep -F slowpoke | grep -q "[0-9]%"; do tick; i=$((i + 1)); done
ok 'screen | grep -F slowpoke | grep -q "running.*[0-9]%"' "the running run shows its live progress ($(screen | grep -F slowpoke | grep -o "[0-9]*%" | head -1))"
cursor_to slowpoke
keys x
wait_quiet
# A confirmation, if the dashboard asks for one.
screen | tail -2 | grep -qi "y/n" && keys y
ok 'wait_status "$long" cancelled 30' "x cancels it (the store says cancelled)"
i=0
while [ $i -lt 100 ] && ! screen | grep -F slowpoke | grep -qF cancel; do tick; i=$((i + 1)); done
ok 'screen | grep -F slowpoke | grep -qF cancel' "the runs list shows it cancelled"

# ---- delete: n keeps, y deletes ---------------------------------------------------
cursor_to slowpoke
keys d
wait_quiet
ok 'screen | tail -2 | grep -qi "delete"' "d asks before deleting"
keys n
wait_quiet
ok 'screen | grep -qF slowpoke && [ "$(run_field "$long" status)" = cancelled ]' "n keeps the run"
cursor_to slowpoke
keys d
wait_quiet
keys y
ok 'wait_gone slowpoke 10' "y deletes it: gone from the list"
ok '! "$CB_BIN" show "$long" --store "$TUI_STORE" >/dev/null 2>&1 && [ ! -d "$TUI_STORE/runs/$(printf %06d "$long")" ]' \
   "and from the store, with its run directory"

# ---- quit while a run is running: it goes on ----------------------------------------
long2=$("$CB_BIN" run --store "$TUI_STORE" "$tap_tmp/recipes/slowpoke.json" "$tap_tmp/long.y4m" --detach 2>/dev/null)
wait_status "$long2" running 60 >/dev/null
expect slowpoke "a second long run shows up" 10
keys q
expect "dashboard exited with status 0" "q quits while a run is running"
ok 'screen | grep -qi "running"' "on quitting the dashboard says a run is still running"
ok '[ "$(run_field "$long2" status)" = running ]' "the run goes on after the dashboard quits"
"$CB_BIN" cancel "$long2" --store "$TUI_STORE" >/dev/null 2>&1

done_testing

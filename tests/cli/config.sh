# codecbench config: the effective configuration with sources, the user's
# file under $XDG_CONFIG_HOME, the environment, errors with file:line,
# JSON, round trip of the printed text, and the docs listing every setting.
. "$CB_SRCDIR/tests/tap.sh"
cb=$CB_BIN
t=$tap_tmp
export XDG_CONFIG_HOME="$t/xdg"
export XDG_DATA_HOME="$t/data"
for v in $(env | sed -n 's/^\(CODECBENCH_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
mkdir -p "$XDG_CONFIG_HOME/codecbench/themes"
cfg="$XDG_CONFIG_HOME/codecbench/config"

run() { "$cb" "$@" >"$t/out" 2>"$t/err"; echo $?; }

ok '[ "$(run config --help)" = 0 ] && grep -q "^Usage: codecbench config" "$t/out"' "config --help"
ok 'grep -q "^  workers  *1\.\.256, or auto" "$t/out" && grep -q "CODECBENCH_LLM_API_KEY_ENV" "$t/out"' \
   "--help lists settings with ranges and variables"
ok 'grep -q "^  toggle-mark  " "$t/out" && grep -q "^  graph-anchor  " "$t/out" && grep -q "^  proposals  " "$t/out"' \
   "--help lists requests, colour areas and views"

# No config file: the defaults, each saying so.
ok '[ "$(run config)" = 0 ] && grep -q "^# config file (not found: defaults apply): $cfg" "$t/out"' \
   "without a config file: defaults (exit 0)"
ok 'grep -q "^set workers = auto  *# default; auto = [0-9]" "$t/out" && grep -q "^set store = $XDG_DATA_HOME/codecbench  *# default$" "$t/out"' \
   "defaults: workers auto (the cores), store in XDG_DATA_HOME"
ok 'grep -q "^bind global  *q  *quit  *# default$" "$t/out" && grep -q "^color title  *white  *blue  *bold  *# theme default, built-in:" "$t/out"' \
   "defaults: bindings and the default theme's colours"

# A config file and the environment, with their sources.
cat > "$cfg" <<'CONF'
# my settings
set workers = 3
set wall_limit = 120   # two minutes
set theme = mono
bind runs R rerun
color title red default bold
CONF
run config >/dev/null
ok 'grep -q "^set workers = 3  *# file $cfg:2$" "$t/out"' "file value with file:line"
ok 'grep -q "^bind runs  *R  *rerun  *# file $cfg:5$" "$t/out" && grep -q "^color title  *red  *default  *bold  *# file $cfg:6$" "$t/out"' \
   "file bindings and colours with file:line"
ok 'grep -q "^# ---- colours (theme mono) ----" "$t/out" && grep -q "^color cursor  *default  *default  *reverse  *# theme mono" "$t/out"' \
   "set theme = mono loads the mono theme"
CODECBENCH_WORKERS=5 CODECBENCH_LLM_MODEL=local-model run config >/dev/null
ok 'grep -q "^set workers = 5  *# env CODECBENCH_WORKERS$" "$t/out" && grep -q "^set llm.model = local-model  *# env CODECBENCH_LLM_MODEL$" "$t/out"' \
   "environment beats the file, with its source"
ok 'grep -q "^set wall_limit = 120  *# file $cfg:3$" "$t/out"' "the file beats the defaults"

# The printed text is a config file giving the same values.
CODECBENCH_WORKERS=5 run config --json >/dev/null
cp "$t/out" "$t/a.json"
CODECBENCH_WORKERS=5 run config >/dev/null
cp "$t/out" "$t/printed.conf"
run config --file "$t/printed.conf" --json >/dev/null
cp "$t/out" "$t/b.json"
ok '"$PYTHON3" - "$t/a.json" "$t/b.json" <<PY
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
val = lambda d: {s["name"]: s["value"] for s in d["settings"]}
assert val(a) == val(b), (val(a), val(b))
bind = lambda d: {(x["view"], x["key"]): x["request"] for x in d["bindings"]}
assert bind(a) == bind(b)
col = lambda d: [(c["area"], c["fg"], c["bg"], c["attrs"]) for c in d["colors"]]
assert col(a) == col(b)
assert val(b)["workers"] == 5
PY' "config output read back with --file gives the same configuration"

# JSON.
run config --json >/dev/null
ok '"$PYTHON3" - "$t/out" "$cfg" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert d["config_file"] == sys.argv[2] and d["config_file_read"] is True
s = {x["name"]: x for x in d["settings"]}
assert s["workers"]["value"] == 3 and s["workers"]["source"] == "file %s:2" % sys.argv[2]
assert s["workers"]["auto"] is False and s["workers"]["min"] == 1 and s["workers"]["max"] == 256
assert s["memory_limit"]["value"] == 4096 and s["memory_limit"]["unit"] == "MiB"
assert s["proposer"]["choices"] == ["local", "llm"] and s["proposer"]["value"] == "local"
assert s["llm.api_key_env"]["env"] == "CODECBENCH_LLM_API_KEY_ENV"
assert all(x["source"] for x in d["settings"])
b = {(x["view"], x["key"]): x["request"] for x in d["bindings"]}
assert b[("global", "q")] == "quit" and b[("runs", "R")] == "rerun" and b[("global", "<Enter>")] == "select"
c = {x["area"]: x for x in d["colors"]}
assert c["title"]["fg"] == 1 and c["title"]["bg"] == "default" and c["title"]["attrs"] == ["bold"]
assert d["theme"] == "mono"
PY' "--json: values, sources, ranges, bindings, colours"

# Errors name file:line and the reason, exit 1.
printf 'set workers = 2\nset workers = 0\n' > "$cfg"
ok '[ "$(run config)" = 1 ] && grep -q "^codecbench: $cfg:2: workers: 0 is outside 1\.\.256$" "$t/err"' \
   "an out-of-range value: exit 1 naming file:line"
printf 'set colour = red\n' > "$cfg"
ok '[ "$(run config)" = 1 ] && grep -q "$cfg:1: .colour. is not a setting" "$t/err"' "an unknown setting: exit 1"
printf 'bind runs r explode\n' > "$cfg"
ok '[ "$(run config)" = 1 ] && grep -q "$cfg:1: .explode. is not a request" "$t/err"' "an unknown request: exit 1"
printf 'set llm.api_key_env = sk-secret-123\n' > "$cfg"
ok '[ "$(run config)" = 1 ] && grep -q "never the key itself" "$t/err" && ! grep -q "sk-secret" "$t/err"' \
   "an API key instead of a variable name: refused without echoing it"
printf 'set theme = nosuch\n' > "$cfg"
ok '[ "$(run config)" = 1 ] && grep -q "$cfg:1: theme: no theme .nosuch." "$t/err"' "an unknown theme: exit 1"
printf '\033[31mset workers = 2\n' > "$cfg"
ok '[ "$(run config)" = 1 ] && grep -q "$cfg:1: a control character (0x1b)" "$t/err"' "an escape byte in the file: refused"
head -c 3000 /dev/urandom > "$cfg"
ok '[ "$(run config)" = 1 ] && grep -q "$cfg:[0-9]*: " "$t/err"' "binary garbage: exit 1 naming the line"
rm -f "$cfg"; mkdir "$cfg"
ok '[ "$(run config)" = 1 ] && grep -q "$cfg: is a folder" "$t/err"' "a folder as config file: exit 1"
rmdir "$cfg"
ok '[ "$(CODECBENCH_WORKERS=0 run config)" = 1 ] && grep -q "environment CODECBENCH_WORKERS: workers: 0 is outside 1..256" "$t/err"' \
   "a bad environment value names the variable"
ok '[ "$(CODECBENCH_PREVIEW="$(printf "x\033]0;t\007")" run config)" = 1 ] && ! grep -q "$(printf "\033")" "$t/err"' \
   "an escape sequence in the environment never reaches the terminal"

# --file, --defaults and usage.
ok '[ "$(run config --file "$t/nothere")" = 1 ] && grep -q "nothere: No such file" "$t/err"' "--file of a missing file: exit 1"
printf 'set workers = 7\n' > "$t/other.conf"
ok '[ "$(CODECBENCH_WORKERS=4 run config --file "$t/other.conf")" = 0 ] && grep -q "^set workers = 4  *# env" "$t/out"' \
   "--file still applies the environment on top"
ok '[ "$(CODECBENCH_WORKERS=4 run config --defaults)" = 0 ] && grep -q "^set workers = auto  *# default" "$t/out"' \
   "--defaults ignores file and environment"
for th in default mono dark light high-contrast; do
    ok '[ "$(run config --file "$CB_SRCDIR/themes/'$th'.theme")" = 0 ]' "themes/$th.theme is valid config text"
done
ok '[ "$(run config --bogus)" = 2 ]' "unknown option: exit 2"
ok '[ "$(run config extra)" = 2 ]' "an argument: exit 2"
ok '[ "$(run config --defaults --file x)" = 2 ]' "--defaults with --file: exit 2"

# A user theme in $XDG_CONFIG_HOME/codecbench/themes.
printf 'color default green black\n' > "$XDG_CONFIG_HOME/codecbench/themes/night.theme"
printf 'set theme = night\n' > "$cfg"
run config >/dev/null
ok 'grep -q "^color default  *green  *black  *# theme night, $XDG_CONFIG_HOME/codecbench/themes/night.theme:1$" "$t/out"' \
   "a user theme from the themes folder"

# A folder name with an escape sequence is shown sanitised.
esc=$(printf 'e\033[2Jx')
mkdir -p "$t/$esc/codecbench"
printf 'set workers = 2\n' > "$t/$esc/codecbench/config"
XDG_CONFIG_HOME="$t/$esc" run config >/dev/null
ok '! grep -q "$(printf "\033")" "$t/out" && grep -q "^set workers = 2 " "$t/out"' "control bytes of a path never reach the terminal"

# Docs: the man page documents the command and every setting.
"$cb" config --defaults --json > "$t/d.json"
for name in $("$PYTHON3" -c 'import json,sys; print(" ".join(s["name"] for s in json.load(open(sys.argv[1]))["settings"]))' "$t/d.json"); do
    ok 'grep -q "^\.B '"$name"'$" "$CB_SRCDIR/man/codecbench.1"' "man page documents setting $name"
done
# ... and every view, request and colour area that --help lists.
"$cb" config --help > "$t/help.txt"
missing=
for w in $(awk '/^(Views|Requests|Colour areas)/ {on = 1; next} /^$/ {on = 0} on {print $1}' "$t/help.txt"); do
    grep -q -- "$w" "$CB_SRCDIR/man/codecbench.1" || missing="$missing $w"
done
ok '[ -z "$missing" ] && [ "$(awk "/^(Views|Requests|Colour areas)/ {on=1; next} /^\$/ {on=0} on" "$t/help.txt" | wc -l)" -gt 60 ]' \
   "man page names every view, request and colour area${missing:+ (missing:$missing)}"
ok 'grep -q "^\.SS config" "$CB_SRCDIR/man/codecbench.1" && grep -q "codecbench config" "$CB_SRCDIR/README.md"' \
   "man page and README document the command"
done_testing

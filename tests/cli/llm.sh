# codecbench llm check against tests/llm/server.py (127.0.0.1, a port the OS
# chooses): a usable endpoint, the schema fallback, no usage, a refused key,
# no such model, no server, --json, usage errors; the key never printed.
. "$CB_SRCDIR/tests/tap.sh"
cb=$CB_BIN
t=$tap_tmp
export XDG_CONFIG_HOME="$t/xdg"
export XDG_DATA_HOME="$t/data"
for v in $(env | sed -n 's/^\(CODECBENCH_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed for the test server"

"$PYTHON3" "$CB_SRCDIR/tests/llm/server.py" --log "$t/requests.jsonl" >"$t/port" 2>"$t/server.err" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$tap_tmp"' EXIT
for i in $(seq 1 100); do [ -s "$t/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$t/port")
case $port in ''|*[!0-9]*) skip_all "the test server did not start" ;; esac

base="http://127.0.0.1:$port/v1"
secret=sk-test-SECRET-123
export CODECBENCH_LLM_BASE_URL="$base" CODECBENCH_LLM_KEY_ENV=CB_TEST_LLM_KEY CB_TEST_LLM_KEY=$secret
export CODECBENCH_LLM_RETRIES=1 CODECBENCH_LLM_CONNECT_TIMEOUT=5
run() { "$cb" "$@" >"$t/out" 2>"$t/err"; echo $?; }
nokey() { ! grep -q SECRET "$t/out" "$t/err"; }
last() { tail -n 1 "$t/requests.jsonl" | "$PYTHON3" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

ok '[ "$(run llm check --help)" = 0 ] && grep -q "^Usage: codecbench llm check" "$t/out"' "llm check --help"
ok '[ "$(run llm)" = 2 ] && grep -q "llm check" "$t/err"' "llm without check: exit 2"
ok '[ "$(run llm frob)" = 2 ] && grep -q "not an llm command" "$t/err"' "llm frob: exit 2"
ok '[ "$(run llm check --bogus)" = 2 ] && grep -q "unknown option" "$t/err"' "unknown option: exit 2"
ok '[ "$(run llm check --endpoint ftp://x)" = 2 ] && grep -q "llm.endpoint" "$t/err"' "--endpoint ftp://x: exit 2"

# A usable endpoint: every finding ok, the key sent but not shown.
ok '[ "$(run llm check --model ok)" = 0 ]' "ok: exit 0"
ok 'grep -q "^codecbench llm check: $base (model ok)" "$t/out"' "ok: names the endpoint and model"
for f in reachable authentication model streaming "structured output" reply usage; do
    ok 'grep -q "^  $f  *ok " "$t/out"' "ok: $f ok"
done
ok 'grep -q "first token after [0-9]* ms, [0-9]* ms in all, 1 attempt$" "$t/out"' "ok: time to first token and in all"
ok 'grep -q "^usable" "$t/out" && grep -q "CB_TEST_LLM_KEY is set" "$t/out" && nokey' "ok: usable, key named, not shown"
ok '[ "$(last "d[\"headers\"][\"authorization\"]")" = "Bearer $secret" ]' "ok: the key was sent as a bearer token"
ok '[ "$(last "d[\"body\"][\"response_format\"][\"json_schema\"][\"name\"]")" = check ] && [ "$(last "d[\"body\"][\"stream\"]")" = True ]' \
   "ok: streamed, with the check schema"
ok '[ "$(last "d[\"body\"][\"temperature\"]")" = 0.7 ]' "ok: llm.temperature sent"

# --no-stream, --json, temperature auto (none sent).
ok '[ "$(CODECBENCH_LLM_TEMPERATURE=auto run llm check --model ok --no-stream --json)" = 0 ]' "--no-stream --json: exit 0"
ok '"$PYTHON3" -c "import json; d=json.load(open(\"$t/out\")); assert d[\"usable\"] and d[\"http_status\"] == 200 and d[\"prompt_tokens\"] == 42 and d[\"completion_tokens\"] == 17 and not d[\"usage_estimated\"] and d[\"stream\"] is False and d[\"structured\"][\"ok\"] and d[\"attempts\"] == 1"' \
   "--json: the findings as numbers"
ok '[ "$(last "\"stream\" in d[\"body\"] or \"temperature\" in d[\"body\"]")" = False ]' "--no-stream, temperature auto: neither sent"

# The schema refused: the fallback, still usable.
ok '[ "$(run llm check --model no-schema)" = 0 ] && grep -q "^  structured output  -- response_format refused" "$t/out" && grep -q "2 attempts" "$t/out"' \
   "no-schema: the fallback to JSON in text, usable"
ok '[ "$(run llm check --model no-usage)" = 0 ] && grep -q "^  usage  *-- .*estimated" "$t/out"' "no-usage: usage estimated"
ok '[ "$(run llm check --model retry-after)" = 0 ] && grep -q "HTTP 429" "$t/out"' "retry-after: retried, usable"

# Not usable: exit 1 with the reason.
ok '[ "$(run llm check --model 401)" = 1 ] && grep -q "^  authentication  *-- .*HTTP 401: the key in CB_TEST_LLM_KEY was refused" "$t/out" && nokey' \
   "401: the key's variable named, its value not"
ok '[ "$(run llm check --model 404)" = 1 ] && grep -q "^  model  *-- .*HTTP 404" "$t/out" && grep -q "$base" "$t/out"' "404: model not found"
ok '[ "$(run llm check --model nojson)" = 1 ] && grep -q "^  reply  *-- no JSON object" "$t/out"' "nojson: not usable"
ok '[ "$(CODECBENCH_LLM_RETRIES=0 run llm check --model malformed)" = 1 ] && grep -q "not a JSON object" "$t/out"' "malformed: the error"
ok '[ "$(CODECBENCH_LLM_IDLE_TIMEOUT=1 CODECBENCH_LLM_RETRIES=0 run llm check --model stall)" = 1 ] && grep -q "idle timeout" "$t/out"' \
   "stall: the idle timeout named"
# no server: a port that was free a moment ago
free=$("$PYTHON3" -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1]); s.close()")
ok '[ "$(CODECBENCH_LLM_RETRIES=0 run llm check --endpoint http://127.0.0.1:$free/v1 --model ok)" = 1 ] && grep -q "^  reachable  *-- .*could not connect" "$t/out"' \
   "no server: not reachable"
ok 'nokey' "no output ever held the key"
ok 'grep -q "^\.SS llm check" "$CB_SRCDIR/man/codecbench.1"' "man page documents llm check"
done_testing

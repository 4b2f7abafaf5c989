/* codecbench llm check: one small schema-constrained call to the configured
 * endpoint, and what it showed: reachable, the key accepted, the model
 * found, streaming, structured output (or the fallback to JSON in text),
 * usage reported, the time to the first token and in all. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/jsonout.h"
#include "codecbench/config.h"
#include "codecbench/llm.h"

/* The smallest useful structured reply (strict mode: every property
 * required, no others). */
static const char CHECK_SCHEMA[] =
    "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"},\"model\":{\"type\":\"string\"}},"
    "\"required\":[\"ok\",\"model\"],\"additionalProperties\":false}";

static const CbLlmMessage CHECK_MESSAGES[] = {
    {"system", "You are a connectivity check. Answer with one JSON object and nothing else."},
    {"user", "Reply with {\"ok\": true, \"model\": \"<your model name>\"}."},
};

static void help(FILE *out)
{
    fprintf(out,
            "Usage: codecbench llm check [--json] [--no-stream] [--endpoint URL] [--model NAME]\n"
            "\n"
            "Calls the configured OpenAI-compatible endpoint once, with a tiny request\n"
            "whose reply is constrained by a JSON Schema, and says what works: the\n"
            "endpoint reachable, the key accepted, the model found, streaming,\n"
            "structured output (or the fallback to JSON found in plain text), token\n"
            "usage reported, the time to the first token and in all.\n"
            "\n"
            "The endpoint, model, key variable, temperature, timeouts and retries come\n"
            "from the settings llm.* (see 'codecbench config'); the key is read from the\n"
            "variable llm.api_key_env names (OPENAI_API_KEY by default) and is never\n"
            "printed.  CODECBENCH_LLM_BASE_URL, CODECBENCH_LLM_MODEL and\n"
            "CODECBENCH_LLM_KEY_ENV override them.\n"
            "\n"
            "Options:\n"
            "  --json          print the findings as one JSON object\n"
            "  --no-stream     ask for one JSON body instead of a streamed reply\n"
            "  --endpoint URL  use this base URL (as llm.endpoint)\n"
            "  --model NAME    use this model (as llm.model)\n"
            "\n"
            "Exit status: 0 when a usable reply came (a JSON object), 1 when not, 2 on a\n"
            "usage error.\n");
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct Probe {
    int64_t start_ms, first_ms;
    int deltas;
    int restarts;
    CbBuf why; /* the reason of the last restart */
} Probe;

static void on_delta(void *ud, const char *text, size_t len)
{
    Probe *p = ud;
    (void)text;
    if (len == 0)
        return;
    if (p->first_ms < 0)
        p->first_ms = now_ms();
    p->deltas++;
}

static void on_restart(void *ud, int attempt, int delay_ms, const char *why)
{
    Probe *p = ud;
    (void)attempt;
    (void)delay_ms;
    p->first_ms = -1;
    p->deltas = 0;
    p->restarts++;
    cb_buf_reset(&p->why); /* the last reason is enough */
    cb_buf_puts(&p->why, why);
}

/* One finding: printed as "  WHAT  text" and kept in the JSON document. */
static void finding(json_t *doc, int json, const char *key, const char *label, int good, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void finding(json_t *doc, int json, const char *key, const char *label, int good, const char *fmt, ...)
{
    CbBuf b;
    cb_buf_init(&b, 2048);
    va_list ap;
    va_start(ap, fmt);
    cb_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    const char *text = b.data ? b.data : "";
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "ok", good < 0 ? json_null() : json_boolean(good));
        json_object_set_new(o, "text", cli_json_str(text));
        json_object_set_new(doc, key, o);
    } else {
        printf("  %-18s %s ", label, good < 0 ? "  " : good ? "ok" : "--");
        cli_puts_sanitized(stdout, text);
        fputc('\n', stdout);
    }
    cb_buf_free(&b);
}

static int check(int json, int stream)
{
    CbLlmEndpoint ep;
    CbError cerr;
    cb_error_clear(&cerr);
    if (cb_llm_endpoint_from_config(cli_config(), &ep, &cerr) < 0) {
        cli_error("%s", cerr.text);
        return CB_EXIT_FAIL;
    }
    ep.max_reply = 64 << 10;
    ep.stream = stream;
    const char *base = ep.base_url, *model = ep.model, *key_name = ep.key_name, *key = ep.api_key;
    CbLlmRequest rq = {CHECK_MESSAGES, 2, CHECK_SCHEMA, "check", 0};
    CbLlmCallbacks cbs = {on_delta, on_restart};
    Probe probe = {.first_ms = -1};
    cb_buf_init(&probe.why, 4096);
    CbLlm *c = NULL;
    CbLlmCall *call = NULL;
    CbError err;
    cb_error_clear(&err);
    json_t *doc = json ? json_object() : NULL;
    json_t *reply = NULL;
    int usable = 0, rc = CB_EXIT_FAIL;
    if (json && !doc) {
        cli_error("out of memory");
        goto done;
    }
    if (cb_llm_new(&c, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    cb_llm_set_coalesce(c, CB_LLM_COALESCE_UI_MS);
    probe.start_ms = now_ms();
    if (cb_llm_start(c, &ep, &rq, &cbs, &probe, &call, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (!json) {
        printf("codecbench llm check: ");
        cli_puts_sanitized(stdout, base);
        printf(" (model ");
        cli_puts_sanitized(stdout, model);
        printf(")\n");
    } else {
        json_object_set_new(doc, "endpoint", cli_json_str(base));
        json_object_set_new(doc, "model", cli_json_str(model));
        json_object_set_new(doc, "key_env", cli_json_str(key_name));
        json_object_set_new(doc, "key_set", json_boolean(key && *key));
        json_object_set_new(doc, "stream", json_boolean(stream));
    }
    if (key && *key)
        finding(doc, json, "key", "key", -1, "$%s is set (sent as a bearer token, not shown)", key_name);
    else
        finding(doc, json, "key", "key", -1, "$%s is not set: no key sent",
                key_name && *key_name ? key_name : "(no variable)");
    while (cb_llm_state(call) == CB_LLM_PENDING)
        if (cb_llm_wait(c, 1000, &err) < 0) {
            rc = cli_fail(&err);
            goto done;
        }
    int64_t end_ms = now_ms();
    const char *content = NULL;
    size_t len = 0;
    int structured = 0;
    CbLlmUsage usage;
    int res = cb_llm_result(call, &content, &len, &structured, &usage, &err);
    long status = cb_llm_http_status(call);
    int refused = cb_llm_schema_refused(c, base, model);

    if (status > 0)
        finding(doc, json, "reachable", "reachable", 1, "an HTTP answer (status %ld)", status);
    else
        finding(doc, json, "reachable", "reachable", 0, "%s", err.text);
    if (status > 0) {
        if (status == 401 || status == 403)
            finding(doc, json, "auth", "authentication", 0, "%s", err.text);
        else
            finding(doc, json, "auth", "authentication", 1, "%s",
                    key && *key ? "the key was accepted" : "no key needed");
        if (status == 404)
            finding(doc, json, "model_found", "model", 0, "%s", err.text);
        else if (status >= 200 && status <= 299)
            finding(doc, json, "model_found", "model", 1, "answered");
        else if (status != 401 && status != 403)
            finding(doc, json, "model_found", "model", 0, "%s", err.text);
    }
    if (res == 0) {
        if (stream && probe.deltas > 1)
            finding(doc, json, "streaming", "streaming", 1, "%d chunks of text", probe.deltas);
        else if (stream)
            finding(doc, json, "streaming", "streaming", 0, "asked for, but the reply came in one piece");
        else
            finding(doc, json, "streaming", "streaming", -1, "not asked (--no-stream)");
        if (structured)
            finding(doc, json, "structured", "structured output", 1, "response_format json_schema accepted");
        else
            finding(doc, json, "structured", "structured output", 0, "%s",
                    refused ? "response_format refused: the JSON is taken from the text (fallback)"
                            : "not used");
        CbError xe;
        cb_error_clear(&xe);
        if (cb_llm_extract_json(content, len, 0, &reply, NULL, NULL, &xe) == 0) {
            json_t *ok = json_object_get(reply, "ok");
            usable = 1;
            finding(doc, json, "reply", "reply", json_is_true(ok), "%s",
                    json_is_true(ok) ? "a JSON object with \"ok\": true" : "a JSON object, but without \"ok\": true");
        } else {
            finding(doc, json, "reply", "reply", 0, "no JSON object in the reply: %s", xe.text);
        }
        finding(doc, json, "usage", "usage", !usage.estimated, "%lld prompt + %lld completion tokens%s", usage.prompt_tokens,
                usage.completion_tokens, usage.estimated ? " (estimated: the server reported none)" : " (reported)");
    } else if ((status >= 200 && status <= 299) || status == 429 || status >= 500) {
        finding(doc, json, "error", "error", 0, "%s", err.text);
    }
    if (probe.restarts)
        finding(doc, json, "retries", "retries", -1, "%d, the last after: %s", probe.restarts, probe.why.data ? probe.why.data : "");
    if (probe.first_ms >= 0)
        finding(doc, json, "time", "time", -1, "first token after %lld ms, %lld ms in all, %d attempt%s",
                (long long)(probe.first_ms - probe.start_ms), (long long)(end_ms - probe.start_ms), usage.attempts,
                usage.attempts == 1 ? "" : "s");
    else
        finding(doc, json, "time", "time", -1, "%lld ms in all, %d attempt%s", (long long)(end_ms - probe.start_ms),
                usage.attempts, usage.attempts == 1 ? "" : "s");
    if (json) {
        json_object_set_new(doc, "usable", json_boolean(usable));
        json_object_set_new(doc, "first_token_ms",
                            probe.first_ms >= 0 ? json_integer(probe.first_ms - probe.start_ms) : json_null());
        json_object_set_new(doc, "total_ms", json_integer(end_ms - probe.start_ms));
        json_object_set_new(doc, "attempts", json_integer(usage.attempts));
        json_object_set_new(doc, "http_status", json_integer(status));
        if (res == 0) {
            json_object_set_new(doc, "prompt_tokens", json_integer(usage.prompt_tokens));
            json_object_set_new(doc, "completion_tokens", json_integer(usage.completion_tokens));
            json_object_set_new(doc, "usage_estimated", json_boolean(usage.estimated));
        }
        cli_json_print(doc);
    } else {
        printf("%s\n", usable ? "usable: the proposals can use this endpoint"
                              : "not usable: see the lines marked --");
    }
    rc = usable ? CB_EXIT_OK : CB_EXIT_FAIL;
done:
    json_decref(reply);
    json_decref(doc);
    cb_llm_call_free(&call);
    cb_llm_free(&c);
    cb_buf_free(&probe.why);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"no-stream", no_argument, NULL, 's'},
        {"endpoint", required_argument, NULL, 'e'},
        {"model", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, stream = 1, c;
    if (argc < 2)
        return cli_usage(&cb_cmd_llm, "which? llm check");
    if (strcmp(argv[1], "check") != 0)
        return cli_usage(&cb_cmd_llm, "'%s' is not an llm command (llm check)", argv[1]);
    argc--;
    argv++;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 's')
            stream = 0;
        else if (c == 'e') {
            if (cli_config_flag("llm.endpoint", optarg, "--endpoint") != CB_EXIT_OK)
                return CB_EXIT_USAGE;
        } else if (c == 'm') {
            if (cli_config_flag("llm.model", optarg, "--model") != CB_EXIT_OK)
                return CB_EXIT_USAGE;
        } else if (optopt == 'e' || optopt == 'm')
            return cli_usage(&cb_cmd_llm, "%s needs a value", argv[optind - 1]);
        else
            return cli_usage(&cb_cmd_llm, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc)
        return cli_usage(&cb_cmd_llm, "unexpected argument '%s'", argv[optind]);
    return check(json, stream);
}

const CbCommand cb_cmd_llm = {
    "llm", "check [--json] [--no-stream] [--endpoint URL] [--model NAME]",
    "check the LLM endpoint: reachable, key, model, streaming, structured output", run, help,
};

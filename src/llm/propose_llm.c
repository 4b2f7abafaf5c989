/* codecbench: the LLM proposer: the prompt built from an experiment's
 * history (bounded in size), the proposals schema sent as response_format,
 * one call through the chat client, and the reply read and validated. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/buf.h"
#include "codecbench/propose.h"
#include "codecbench/sandbox.h"

/* How many best recipes and failures the prompt lists at most, and the
 * bytes of a failure's reason kept (a full stack of FFmpeg messages helps
 * no model). */
#define PROMPT_BEST_MAX 12
#define PROMPT_FAIL_MAX 8
#define PROMPT_REASON_MAX 300

static const char SYSTEM_TEXT[] =
    "You are the research assistant of codecbench, a workbench for video-codec research. "
    "It encodes clips with an experimental block-based hybrid codec (the \"engine\": intra and "
    "P frames, motion compensation, integer DCT or a KLT learned from the clip, adaptive "
    "arithmetic coding, deblocking and a learned restoration filter) or with FFmpeg encoders "
    "as baselines, decodes every stream, and measures it on the real decoded frames.\n"
    "A recipe is a JSON document naming the codec, its settings and its rate points. Every "
    "run is compared with the experiment's anchor recipe by BD-rate (percent bitrate change at "
    "equal PSNR-Y, piecewise cubic interpolation; negative is better), averaged over the "
    "experiment's clips; encoding speed (frames per second) is the second objective.\n"
    "Rules:\n"
    "- Propose recipes likely to lower the BD-rate, or to encode faster at a similar BD-rate.\n"
    "- Every recipe must be valid against the schema below; invalid ones are rejected.\n"
    "- Never propose settings that were already tried: only the settings count, not the name.\n"
    "- Keep the rate points (qps) of the recipe you start from unless you have a reason.\n"
    "- Give each proposal a short rationale (one or two sentences) and the id of the run it "
    "starts from as \"parent\" (0 if none).\n"
    "- Answer with one JSON object and nothing else: "
    "{\"proposals\": [{\"rationale\": \"...\", \"parent\": 12, \"recipe\": {...}}]}.\n"
    "The recipe JSON Schema:\n";

/* "field=value ..." of an engine recipe's settings that differ from the
 * engine's defaults (qps always), or the canonical JSON of a baseline. */
static int compact(CbBuf *b, const char *json)
{
    CbRecipe r;
    if (!json || cb_recipe_parse(json, strlen(json), NULL, &r, NULL) < 0)
        return cb_buf_puts(b, "(a recipe this build does not accept)");
    int rc = 0;
    if (r.codec == CB_CODEC_ENGINE) {
        CbRecipe d = r;
        cb_engine_settings_default(&d.engine);
        char *diff = cb_propose_diff(&d, &r);
        if (!diff) {
            rc = CB_ENOMEM;
        } else {
            /* "f: a -> b; g: c -> d" to "f=b g=d"; the stage part ("stage
             * intra: +12 -3 lines", last) is said below */
            rc = cb_buf_puts(b, "engine");
            const char *p = diff;
            while (rc >= 0 && *p) {
                const char *end = strstr(p, "; ");
                size_t slen = end ? (size_t)(end - p) : strlen(p);
                const char *colon = strstr(p, ": ");
                const char *arrow = colon ? strstr(colon, " -> ") : NULL;
                if (colon && arrow && arrow < p + slen)
                    rc = cb_buf_printf(b, " %.*s=%.*s", (int)(colon - p), p,
                                       (int)(p + slen - arrow - 4), arrow + 4);
                p = end ? end + 2 : p + slen;
            }
            if (rc >= 0 && r.stage_kind != CB_STAGE_NONE && r.stage_code) {
                char hex[CB_RECIPE_HASH_HEX];
                cb_recipe_sha256_hex(r.stage_code, strlen(r.stage_code), hex);
                rc = cb_buf_printf(b, " stage=%s (source %.8s, %zu bytes)",
                                   cb_stage_kind_name((int)r.stage_kind), hex,
                                   strlen(r.stage_code));
            }
            if (rc >= 0 && !strstr(diff, "qps: ")) {
                rc = cb_buf_puts(b, " qps=");
                for (int i = 0; rc >= 0 && i < r.engine.n_qps; i++)
                    rc = cb_buf_printf(b, "%s%d", i ? "," : "", r.engine.qps[i]);
            }
            if (rc >= 0 && !strchr(diff, ':') && r.stage_kind == CB_STAGE_NONE)
                rc = cb_buf_puts(b, " (the defaults)");
            free(diff);
        }
    } else {
        char *c = cb_recipe_canonical(&r);
        rc = c ? cb_buf_puts(b, c) : CB_ENOMEM;
        free(c);
    }
    cb_recipe_free(&r);
    return rc;
}

static int canonical(CbBuf *b, const char *json)
{
    CbRecipe r;
    if (!json || cb_recipe_parse(json, strlen(json), NULL, &r, NULL) < 0)
        return cb_buf_puts(b, "(a recipe this build does not accept)");
    char *c = cb_recipe_canonical(&r);
    int rc = c ? cb_buf_puts(b, c) : CB_ENOMEM;
    free(c);
    cb_recipe_free(&r);
    return rc;
}

/* pre, v with prec decimals (a sign too with sign), post; "?" for a
 * number not known. */
static void number(CbBuf *b, const char *pre, double v, int prec, int sign, const char *post)
{
    if (!isfinite(v))
        cb_buf_printf(b, "%s?%s", pre, post);
    else if (sign)
        cb_buf_printf(b, "%s%+.*f%s", pre, prec, v, post);
    else
        cb_buf_printf(b, "%s%.*f%s", pre, prec, v, post);
}

/* One entry appended to section s when it fits in cap bytes; else 0. */
static int fits(CbBuf *s, const CbBuf *entry, size_t cap)
{
    if (s->len + entry->len > cap)
        return 0;
    return cb_buf_append(s, entry->data ? entry->data : "", entry->len) == 0;
}

static int cmp_bd(const void *a, const void *b)
{
    const CbProposeRecipe *x = *(const CbProposeRecipe *const *)a;
    const CbProposeRecipe *y = *(const CbProposeRecipe *const *)b;
    double bx = isfinite(x->bd_rate) ? x->bd_rate : INFINITY;
    double by = isfinite(y->bd_rate) ? y->bd_rate : INFINITY;
    if (bx != by)
        return bx < by ? -1 : 1;
    return x->best_run < y->best_run ? -1 : x->best_run > y->best_run;
}

/* The head both prompts open with: the experiment, its clips and the
 * anchor's name; returns the anchor's entry (NULL when it has no run), whose
 * details each prompt adds in its own form. */
static const CbProposeRecipe *experiment_head(CbBuf *head, const CbProposeHistory *h)
{
    const CbProposeRecipe *anchor = NULL;
    for (size_t i = 0; i < h->n_recipes; i++)
        if (h->recipes[i].is_anchor)
            anchor = &h->recipes[i];
    cb_buf_printf(head, "Experiment \"%s\": %lld runs, %zu clip%s", h->experiment,
                  (long long)h->runs, h->n_clips, h->n_clips == 1 ? "" : "s");
    for (size_t c = 0; c < h->n_clips && c < 8; c++)
        cb_buf_printf(head, "%s%dx%d, %lld frames", c ? "; " : " (", h->clips[c].width,
                      h->clips[c].height, (long long)h->clips[c].frames);
    cb_buf_puts(head, h->n_clips ? ").\n" : ".\n");
    cb_buf_printf(head, "Anchor: \"%s\"", h->anchor_name ? h->anchor_name : "?");
    return anchor;
}

int cb_propose_prompt(const CbProposeHistory *h, int k, size_t max_bytes, char **system,
                      char **user, CbError *err)
{
    *system = *user = NULL;
    if (!max_bytes)
        max_bytes = CB_PROPOSE_PROMPT_MAX;
    CbBuf sys, head, best, fail, tried, ask, entry;
    cb_buf_init(&sys, (size_t)1 << 20);
    /* The fixed parts may pass max_bytes (then the prompt is refused): their
     * own cap is above any recipe's canonical form. */
    cb_buf_init(&head, max_bytes + ((size_t)1 << 20));
    cb_buf_init(&best, max_bytes);
    cb_buf_init(&fail, max_bytes);
    cb_buf_init(&tried, max_bytes);
    cb_buf_init(&ask, (size_t)1 << 20);
    cb_buf_init(&entry, (size_t)1 << 20);
    const CbProposeRecipe **sorted = calloc(h->n_recipes ? h->n_recipes : 1, sizeof *sorted);
    char *schema = cb_recipe_schema(0);
    json_t *sdoc = NULL;
    char *scompact = NULL;
    int rc = CB_ENOMEM;
    if (!sorted || !schema)
        goto fail;
    json_error_t je;
    sdoc = json_loads(schema, 0, &je);
    scompact = sdoc ? json_dumps(sdoc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!scompact || cb_buf_puts(&sys, SYSTEM_TEXT) < 0 || cb_buf_puts(&sys, scompact) < 0)
        goto fail;

    /* The head: the experiment, the anchor, the metric. */
    const CbProposeRecipe *anchor = experiment_head(&head, h);
    if (anchor) {
        cb_buf_printf(&head, " (run %lld", (long long)anchor->best_run);
        number(&head, ", ", anchor->encode_fps, 1, 0, " fps");
        cb_buf_puts(&head, "): ");
        canonical(&head, anchor->json);
    }
    cb_buf_puts(&head, "\nBD-rate: percent bitrate change against the anchor at equal PSNR-Y, "
                       "mean over the clips; negative is better.\n\n");
    cb_buf_printf(&ask,
                  "\nPropose %d new recipe%s that differ in their settings from every recipe "
                  "above, as one JSON object {\"proposals\": [{\"rationale\": \"...\", "
                  "\"parent\": RUN_ID, \"recipe\": {...}}]}.\n",
                  k, k == 1 ? "" : "s");
    if (!head.data || !ask.data || head.len + ask.len > max_bytes) {
        rc = cb_error_set(err, CB_ELIMIT,
                          "the prompt's fixed part (the experiment and its anchor) is larger than "
                          "%zu bytes",
                          max_bytes);
        goto fail_set;
    }
    size_t room = max_bytes - head.len - ask.len;
    /* Runs get half of what is left, failures a fifth, tried the rest. */
    size_t cap_best = room / 2, cap_fail = room / 5;

    size_t n_sorted = 0;
    for (size_t i = 0; i < h->n_recipes; i++)
        if (h->recipes[i].done)
            sorted[n_sorted++] = &h->recipes[i];
    qsort(sorted, n_sorted, sizeof *sorted, cmp_bd);
    cb_buf_puts(&best, "Best recipes (lowest BD-rate first):\n");
    size_t shown = 0;
    for (size_t i = 0; i < n_sorted && shown < PROMPT_BEST_MAX; i++) {
        const CbProposeRecipe *r = sorted[i];
        cb_buf_reset(&entry);
        cb_buf_printf(&entry, "- run %lld \"%s\"%s: BD-rate ", (long long)r->best_run, r->name,
                      r->is_anchor ? " (the anchor)" : "");
        number(&entry, "", r->bd_rate, 2, 1, " %");
        cb_buf_printf(&entry, " over %d clip%s, ", r->clips, r->clips == 1 ? "" : "s");
        number(&entry, "", r->kbps_min, 0, 0, "");
        number(&entry, "-", r->kbps_max, 0, 0, " kbps, PSNR-Y ");
        number(&entry, "", r->psnr_y_min, 2, 0, "");
        number(&entry, "-", r->psnr_y_max, 2, 0, " dB, ");
        number(&entry, "", r->encode_fps, 1, 0, " fps\n  recipe: ");
        canonical(&entry, r->json);
        cb_buf_puts(&entry, "\n");
        if (!fits(&best, &entry, cap_best))
            break;
        shown++;
    }
    if (shown < n_sorted)
        cb_buf_printf(&best, "(%zu more done recipes not shown)\n", n_sorted - shown);

    if (h->n_failures) {
        cb_buf_puts(&fail, "\nRecent failures (newest first):\n");
        shown = 0;
        for (size_t i = 0; i < h->n_failures && shown < PROMPT_FAIL_MAX; i++) {
            const CbProposeFailure *f = &h->failures[i];
            cb_buf_reset(&entry);
            const char *why = f->reason ? f->reason : "no reason recorded";
            size_t wl = strlen(why);
            cb_buf_printf(&entry, "- run %lld \"%s\": %.*s%s\n  recipe: ", (long long)f->run_id,
                          f->recipe_name, (int)(wl > PROMPT_REASON_MAX ? PROMPT_REASON_MAX : wl),
                          why, wl > PROMPT_REASON_MAX ? "..." : "");
            compact(&entry, f->recipe_json);
            cb_buf_puts(&entry, "\n");
            if (!fits(&fail, &entry, cap_fail))
                break;
            shown++;
        }
        if (shown < h->n_failures)
            cb_buf_printf(&fail, "(%zu older failures not shown)\n", h->n_failures - shown);
    }

    /* Tried: the experiment's recipes, newest first (their last run), in
     * the room left. */
    size_t used = head.len + ask.len + best.len + fail.len;
    size_t cap_tried = used < max_bytes ? max_bytes - used : 0;
    for (size_t i = 0; i < h->n_recipes; i++)
        sorted[i] = &h->recipes[i];
    for (size_t i = 1; i < h->n_recipes; i++) /* insertion sort by last_run, descending */
        for (size_t j = i; j > 0 && sorted[j]->last_run > sorted[j - 1]->last_run; j--) {
            const CbProposeRecipe *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    cb_buf_printf(&tried, "\nAlready tried (%zu recipes and %lld proposals; do not repeat these "
                          "settings):\n",
                  h->n_recipes, (long long)h->proposals);
    shown = 0;
    for (size_t i = 0; i < h->n_recipes; i++) {
        cb_buf_reset(&entry);
        cb_buf_printf(&entry, "- \"%s\": ", sorted[i]->name);
        compact(&entry, sorted[i]->json);
        cb_buf_puts(&entry, "\n");
        /* keep room for the "not shown" line */
        if (!fits(&tried, &entry, cap_tried > 64 ? cap_tried - 64 : 0))
            break;
        shown++;
    }
    if (shown < h->n_recipes)
        cb_buf_printf(&tried, "(%zu older recipes not shown)\n", h->n_recipes - shown);

    CbBuf all;
    cb_buf_init(&all, max_bytes);
    if (cb_buf_append(&all, head.data, head.len) < 0 ||
        cb_buf_append(&all, best.data ? best.data : "", best.len) < 0 ||
        cb_buf_append(&all, fail.data ? fail.data : "", fail.len) < 0 ||
        cb_buf_append(&all, tried.data ? tried.data : "", tried.len) < 0 ||
        cb_buf_append(&all, ask.data, ask.len) < 0) {
        cb_buf_free(&all);
        rc = cb_error_set(err, CB_ELIMIT, "the prompt does not fit in %zu bytes", max_bytes);
        goto fail_set;
    }
    *user = cb_buf_steal(&all);
    *system = cb_buf_steal(&sys);
    if (!*user || !*system) {
        free(*user);
        free(*system);
        *user = *system = NULL;
        goto fail;
    }
    rc = CB_OK;
    goto done;
fail:
    rc = cb_error_set(err, CB_ENOMEM, "out of memory building the prompt");
fail_set:
done:
    free(scompact);
    json_decref(sdoc);
    free(schema);
    free(sorted);
    cb_buf_free(&sys);
    cb_buf_free(&head);
    cb_buf_free(&best);
    cb_buf_free(&fail);
    cb_buf_free(&tried);
    cb_buf_free(&ask);
    cb_buf_free(&entry);
    return rc;
}

char *cb_propose_schema(void)
{
    char *text = cb_recipe_schema(1), *out = NULL;
    json_error_t je;
    json_t *recipe = text ? json_loads(text, 0, &je) : NULL;
    free(text);
    if (!recipe)
        return NULL;
    /* $defs move to the root, where the recipe's "#/$defs/..." refs now point. */
    json_t *defs = json_object_get(recipe, "$defs");
    json_incref(defs);
    json_object_del(recipe, "$defs");
    json_object_del(recipe, "title");
    json_t *doc = json_pack(
        "{s:s, s:{s:{s:s, s:{s:s, s:{s:{s:s}, s:{s:s, s:s}, s:O}, s:[s,s,s], s:b}}}, "
        "s:[s], s:b}",
        "type", "object", "properties", "proposals", "type", "array", "items", "type", "object",
        "properties", "rationale", "type", "string", "parent", "type", "integer", "description",
        "the id of the run this proposal starts from, 0 for none", "recipe", recipe, "required",
        "rationale", "parent", "recipe", "additionalProperties", 0, "required", "proposals",
        "additionalProperties", 0);
    if (doc && defs && json_object_set(doc, "$defs", defs) < 0) {
        json_decref(doc);
        doc = NULL;
    }
    if (doc)
        out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    json_decref(defs);
    json_decref(recipe);
    return out;
}

int cb_propose_parse_reply(const CbProposeHistory *h, const char *text, size_t len,
                           CbProposeRound *r, CbError *err)
{
    json_t *doc = NULL;
    CbError xe;
    cb_error_clear(&xe);
    int rc = cb_llm_extract_json(text, len, 0, &doc, NULL, NULL, &xe);
    if (rc == CB_ENOMEM)
        return cb_error_set(err, rc, "out of memory");
    if (rc < 0)
        return cb_error_set(err, CB_EFORMAT, "the model's reply: %s",
                            xe.text);
    json_t *list = json_object_get(doc, "proposals");
    if (!json_is_array(list)) {
        rc = cb_error_set(err, CB_EFORMAT,
                          "the model's reply is a JSON object without a \"proposals\" array");
        goto done;
    }
    size_t i;
    json_t *p;
    rc = CB_OK;
    json_array_foreach(list, i, p)
    {
        if (i >= (size_t)CB_PROPOSE_MAX_K * 4)
            break; /* a hostile list: the rest would only be refused */
        const char *why = json_string_value(json_object_get(p, "rationale"));
        json_t *rec = json_object_get(p, "recipe");
        json_t *par = json_object_get(p, "parent");
        int64_t parent = json_is_integer(par) ? (int64_t)json_integer_value(par) : 0;
        char *rtext = NULL;
        if (!json_is_object(p)) {
            rc = cb_propose_refuse(r, "", "", "proposal %zu is not a JSON object", i + 1);
        } else if (json_is_string(rec)) {
            /* some models send the recipe as a string of JSON */
            rc = cb_propose_offer(h, r, why, json_string_value(rec), json_string_length(rec),
                                  parent, err);
        } else if (!json_is_object(rec)) {
            rc = cb_propose_refuse(r, why, "", "proposal %zu has no \"recipe\" object", i + 1);
        } else {
            rtext = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
            rc = rtext ? cb_propose_offer(h, r, why, rtext, strlen(rtext), parent, err)
                       : CB_ENOMEM;
        }
        if (rc == CB_ENOMEM)
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        free(rtext);
        if (rc < 0)
            goto done;
    }
    rc = CB_OK;
done:
    json_decref(doc);
    return rc;
}

/* ---- stages (issue 8) ------------------------------------------------------ */

/* Failed stage attempts a prompt lists at most. */
#define PROMPT_STAGE_FAIL_MAX 6

static const char STAGE_SYSTEM_TEXT[] =
    "You are the research assistant of codecbench, a workbench for video-codec research. "
    "It encodes clips with an experimental block-based hybrid codec (the \"engine\"), decodes "
    "every stream in a separate process and measures it on the real decoded frames. You write "
    "C source for one stage of the engine's decoder path; it replaces the engine's built-in "
    "stage of that kind in both the encoder and the decoder.\n"
    "Runs are compared with the experiment's anchor by BD-rate (percent bitrate change at equal "
    "PSNR-Y; negative is better); encoding speed is the second objective. A stage whose decoded "
    "frames equal its parent's frame for frame is rejected as a no-op.\n"
    "How a stage is built: one file, compiled with -std=c11 -O2 -nostdinc -nostdlib "
    "-ffreestanding -fwrapv -mgeneral-regs-only. The whole world is the header below "
    "(#include \"codecbench/stage.h\") and the freestanding <stdint.h>, <stddef.h>, <stdbool.h> "
    "and <limits.h>.\n"
    "Rules (a stage that breaks one fails its run, with the reason shown to you next time):\n"
    "- Define the functions of the stage's kind with the header's prototypes; other functions "
    "and const tables are yours (make them static).\n"
    "- Integers only: float and double do not compile.\n"
    "- Deterministic: the encoder and the decoder call it in different processes, so no static "
    "variables that change, nothing read from outside the arguments.\n"
    "- Allocate nothing, call nothing but memcpy, memmove, memset and memcmp; no asm, no "
    "attributes such as section or constructor, no #pragma, no other #include.\n"
    "- Read and write only the arrays given (and the scratch buffer); return 0.\n"
    "Answer with one JSON object and nothing else: {\"proposals\": [{\"rationale\": \"...\", "
    "\"code\": \"...\", \"edits\": [{\"search\": \"...\", \"replace\": \"...\"}]}]}. Each "
    "proposal gives exactly one of the two forms, the other left empty:\n"
    "- \"code\": the whole new stage file (then \"edits\": []), or\n"
    "- \"edits\": search/replace pairs applied in order to the parent's source (then \"code\": "
    "\"\"). A search text must match exactly one place of the source as the edits before it left "
    "it; runs of whitespace match any whitespace, so copy the text, not its indentation. Keep "
    "search texts short but unique.\n"
    "Give each proposal a short rationale (one or two sentences).\n"
    "The header, codecbench/stage.h:\n";

/* The functions a stage of kind defines, for the prompt. */
static const char *stage_functions(CbStageKind kind)
{
    switch (kind) {
    case CB_STAGE_INTRA: return "cb_stage_intra";
    case CB_STAGE_LOOP_FILTER: return "cb_stage_loop_filter";
    case CB_STAGE_TRANSFORM: return "cb_stage_transform_fwd and cb_stage_transform_inv";
    default: return "?";
    }
}

static int stage_kind_ok(CbStageKind kind)
{
    return kind == CB_STAGE_INTRA || kind == CB_STAGE_LOOP_FILTER || kind == CB_STAGE_TRANSFORM;
}

/* The stage source of a recipe's text (a new string), NULL when it has none
 * of kind (or out of memory: *oom). */
static char *stage_of_json(const char *json, CbStageKind kind, int *oom)
{
    CbRecipe r;
    if (!json || cb_recipe_parse(json, strlen(json), NULL, &r, NULL) < 0)
        return NULL;
    char *out = NULL;
    if (r.stage_kind == kind && r.stage_code) {
        out = strdup(r.stage_code);
        if (!out)
            *oom = 1;
    }
    cb_recipe_free(&r);
    return out;
}

/* a is a better parent than b: the lower BD-rate (NAN last), then the lower run. */
static int better(const CbProposeRecipe *a, const CbProposeRecipe *b)
{
    if (!b)
        return 1;
    double x = isfinite(a->bd_rate) ? a->bd_rate : INFINITY;
    double y = isfinite(b->bd_rate) ? b->bd_rate : INFINITY;
    if (x != y)
        return x < y;
    return a->best_run < b->best_run;
}

int cb_propose_stage_parent(const CbProposeHistory *h, CbStageKind kind, CbProposeStageParent *out,
                            CbError *err)
{
    memset(out, 0, sizeof *out);
    if (!stage_kind_ok(kind))
        return cb_error_set(err, CB_EINVAL, "%d is not a stage kind (intra, loop_filter, "
                                            "transform)", (int)kind);
    const CbProposeRecipe *with = NULL, *without = NULL, *anchor = NULL;
    for (size_t i = 0; i < h->n_recipes; i++) {
        const CbProposeRecipe *r = &h->recipes[i];
        if (!r->done || !r->codec_engine || !r->best_run)
            continue;
        if (r->stage_kind == kind && better(r, with))
            with = r;
        if (r->stage_kind == CB_STAGE_NONE) {
            if (r->is_anchor)
                anchor = r;
            if (isfinite(r->bd_rate) && better(r, without))
                without = r;
        }
    }
    if (!without)
        without = anchor;
    int oom = 0;
    if (with) {
        out->recipe = with;
        out->source = stage_of_json(with->json, kind, &oom);
    }
    if (!out->source && !oom && without) {
        out->recipe = without;
        out->source = strdup(cb_stage_builtin_source(kind) ? cb_stage_builtin_source(kind) : "");
        out->builtin = 1;
        oom = !out->source;
    }
    if (oom) {
        cb_propose_stage_parent_free(out);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    if (!out->source) {
        out->recipe = NULL;
        return cb_error_set(err, CB_EINVAL,
                            "experiment '%s' has no done engine run: a stage needs an engine "
                            "recipe to start from",
                            h->experiment);
    }
    return CB_OK;
}

void cb_propose_stage_parent_free(CbProposeStageParent *p)
{
    if (!p)
        return;
    free(p->source);
    memset(p, 0, sizeof *p);
}

int cb_propose_stage_prompt(const CbProposeHistory *h, CbStageKind kind, int k, size_t max_bytes,
                            char **system, char **user, CbError *err)
{
    *system = *user = NULL;
    if (!max_bytes)
        max_bytes = CB_PROPOSE_PROMPT_MAX;
    CbProposeStageParent par;
    int rc = cb_propose_stage_parent(h, kind, &par, err);
    if (rc < 0)
        return rc;
    const char *kname = cb_stage_kind_name((int)kind);
    const CbProposeRecipe *pr = par.recipe;
    CbBuf sys, head, fail, ask, entry, all;
    cb_buf_init(&sys, (size_t)1 << 20);
    cb_buf_init(&head, max_bytes + ((size_t)1 << 20));
    cb_buf_init(&fail, max_bytes);
    cb_buf_init(&ask, (size_t)1 << 16);
    cb_buf_init(&entry, (size_t)1 << 16);
    cb_buf_init(&all, max_bytes);
    const char *header = cb_stage_header_text();
    if (cb_buf_puts(&sys, STAGE_SYSTEM_TEXT) < 0 || cb_buf_puts(&sys, header ? header : "") < 0)
        goto nomem;

    /* The head: the experiment, the anchor, the parent, its source. */
    const CbProposeRecipe *anchor = experiment_head(&head, h);
    if (anchor) {
        cb_buf_printf(&head, " (run %lld): ", (long long)anchor->best_run);
        compact(&head, anchor->json);
    }
    cb_buf_printf(&head, "\n\nThe stage to write: %s (the functions %s of the header).\n", kname,
                  stage_functions(kind));
    cb_buf_printf(&head, "Its parent: run %lld \"%s\"%s: BD-rate ", (long long)pr->best_run,
                  pr->name, pr->is_anchor ? " (the anchor)" : "");
    number(&head, "", pr->bd_rate, 2, 1, " %");
    cb_buf_printf(&head, " over %d clip%s, ", pr->clips, pr->clips == 1 ? "" : "s");
    number(&head, "", pr->kbps_min, 0, 0, "");
    number(&head, "-", pr->kbps_max, 0, 0, " kbps, PSNR-Y ");
    number(&head, "", pr->psnr_y_min, 2, 0, "");
    number(&head, "-", pr->psnr_y_max, 2, 0, " dB, ");
    number(&head, "", pr->encode_fps, 1, 0, " fps encoding\n  settings: ");
    compact(&head, pr->json);
    cb_buf_printf(&head, "\nThe parent's %s stage (%s, %zu bytes); edits apply to this text:\n"
                         "```c\n%s%s```\n",
                  kname, par.builtin ? "the engine's built-in one" : "its own source",
                  strlen(par.source), par.source,
                  *par.source && par.source[strlen(par.source) - 1] == '\n' ? "" : "\n");
    cb_buf_printf(&ask,
                  "\nPropose %d new %s stage%s, each different from the parent and from each "
                  "other, as one JSON object {\"proposals\": [{\"rationale\": \"...\", \"code\": "
                  "\"...\", \"edits\": [...]}]} (one of code and edits used, the other empty).\n",
                  k, kname, k == 1 ? "" : "s");
    if (!head.data || !ask.data || head.len + ask.len > max_bytes) {
        rc = cb_error_set(err, CB_ELIMIT,
                          "the stage prompt's fixed part (the experiment, the parent and its "
                          "source) is larger than %zu bytes",
                          max_bytes);
        goto done;
    }
    size_t room = max_bytes - head.len - ask.len;

    /* Failed stage attempts of this kind, newest first, in the room left. */
    size_t n_kind = 0, shown = 0;
    for (size_t i = 0; i < h->n_failures; i++)
        n_kind += h->failures[i].stage_kind == kind;
    if (n_kind)
        cb_buf_printf(&fail, "\nRecent failed %s stages (newest first), so you do not repeat "
                             "their mistakes:\n", kname);
    for (size_t i = 0; i < h->n_failures && shown < PROMPT_STAGE_FAIL_MAX; i++) {
        const CbProposeFailure *f = &h->failures[i];
        if (f->stage_kind != kind)
            continue;
        cb_buf_reset(&entry);
        const char *why = f->reason ? f->reason : "no reason recorded";
        size_t wl = strlen(why);
        cb_buf_printf(&entry, "- run %lld \"%s\": %.*s%s\n", (long long)f->run_id,
                      f->recipe_name, (int)(wl > PROMPT_REASON_MAX ? PROMPT_REASON_MAX : wl), why,
                      wl > PROMPT_REASON_MAX ? "..." : "");
        if (f->stage_diag && *f->stage_diag)
            cb_buf_printf(&entry, "  build diagnostics:\n%s\n", f->stage_diag);
        /* keep room for the "not shown" line */
        if (!fits(&fail, &entry, room > 64 ? room - 64 : 0))
            break;
        shown++;
    }
    if (shown < n_kind)
        cb_buf_printf(&fail, "(%zu older failed %s stages not shown)\n", n_kind - shown, kname);

    if (cb_buf_append(&all, head.data, head.len) < 0 ||
        cb_buf_append(&all, fail.data ? fail.data : "", fail.len) < 0 ||
        cb_buf_append(&all, ask.data, ask.len) < 0) {
        rc = cb_error_set(err, CB_ELIMIT, "the stage prompt does not fit in %zu bytes", max_bytes);
        goto done;
    }
    *user = cb_buf_steal(&all);
    *system = cb_buf_steal(&sys);
    if (!*user || !*system) {
        free(*user);
        free(*system);
        *user = *system = NULL;
        goto nomem;
    }
    rc = CB_OK;
    goto done;
nomem:
    rc = cb_error_set(err, CB_ENOMEM, "out of memory building the prompt");
done:
    cb_propose_stage_parent_free(&par);
    cb_buf_free(&sys);
    cb_buf_free(&head);
    cb_buf_free(&fail);
    cb_buf_free(&ask);
    cb_buf_free(&entry);
    cb_buf_free(&all);
    return rc;
}

char *cb_propose_stage_schema(void)
{
    json_t *doc = json_pack(
        "{s:s, s:{s:{s:s, s:{s:s, s:{s:{s:s}, s:{s:s, s:s}, s:{s:s, s:s, s:{s:s, "
        "s:{s:{s:s}, s:{s:s}}, s:[s,s], s:b}}}, s:[s,s,s], s:b}}}, s:[s], s:b}",
        "type", "object", "properties", "proposals", "type", "array", "items", "type", "object",
        "properties", "rationale", "type", "string", "code", "type", "string", "description",
        "the whole new stage file, or \"\" when edits are given", "edits", "type", "array",
        "description",
        "search/replace edits applied in order to the parent's source, or [] when code is given",
        "items", "type", "object", "properties", "search", "type", "string", "replace", "type",
        "string", "required", "search", "replace", "additionalProperties", 0, "required",
        "rationale", "code", "edits", "additionalProperties", 0, "required", "proposals",
        "additionalProperties", 0);
    char *out = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    return out;
}

int cb_propose_offer_stage(const CbProposeHistory *h, CbProposeRound *r,
                           const CbProposeStageParent *parent, CbStageKind kind,
                           const char *rationale, const char *code, size_t len, CbError *err)
{
    if (!parent->recipe || !parent->recipe->json || !stage_kind_ok(kind))
        return cb_propose_refuse(r, rationale, "", "no parent recipe to put the stage in") < 0
                   ? cb_error_set(err, CB_ENOMEM, "out of memory")
                   : 0;
    json_error_t je;
    json_t *doc = json_loads(parent->recipe->json, JSON_REJECT_DUPLICATES, &je);
    json_t *code_j = json_stringn(code, len);
    char hex[CB_RECIPE_HASH_HEX], name[64];
    char *text = NULL;
    int rc = CB_ENOMEM;
    if (!code_j && doc) {
        rc = cb_propose_refuse(r, rationale, "", "the stage source is not UTF-8 text");
        goto done;
    }
    if (!doc || !json_is_object(doc))
        goto done;
    /* a name from the source's hash: the stage is what is new, and the
     * hash (what sha256sum of the code prints) finds it again */
    cb_recipe_sha256_hex(code, len, hex);
    int n = snprintf(name, sizeof name, "stage-%s-%.8s", cb_stage_kind_name((int)kind), hex);
    if (n < 0 || (size_t)n >= sizeof name)
        goto done;
    json_object_del(doc, "note");
    json_t *settings = json_object_get(doc, "settings");
    if (kind == CB_STAGE_TRANSFORM && json_is_object(settings) &&
        json_object_set_new(settings, "transform", json_string("dct")) < 0)
        goto done;
    if (json_object_set_new(doc, "name", json_string(name)) < 0 ||
        json_object_set_new(doc, "stage",
                            json_pack("{s:s, s:O}", "kind", cb_stage_kind_name((int)kind), "code",
                                      code_j)) < 0)
        goto done;
    text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        goto done;
    rc = cb_propose_offer(h, r, rationale, text, strlen(text), parent->recipe->best_run, err);
done:
    free(text);
    json_decref(code_j);
    json_decref(doc);
    if (rc == CB_ENOMEM)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    return rc;
}

/* One entry of a stage reply: refused with the reason, or offered. */
static int stage_entry(const CbProposeHistory *h, const CbProposeStageParent *par,
                       CbStageKind kind, size_t i, json_t *p, CbProposeRound *r, CbError *err)
{
    const char *why = json_string_value(json_object_get(p, "rationale"));
    json_t *code = json_object_get(p, "code"), *edits = json_object_get(p, "edits");
    if (!json_is_object(p))
        return cb_propose_refuse(r, "", "", "proposal %zu is not a JSON object", i + 1);
    int has_code = json_is_string(code) && json_string_length(code) > 0;
    int has_edits = json_is_array(edits) && json_array_size(edits) > 0;
    if ((code && !json_is_string(code)) || (edits && !json_is_array(edits)))
        return cb_propose_refuse(r, why, "", "proposal %zu: \"code\" must be a string and "
                                             "\"edits\" an array", i + 1);
    if (has_code && has_edits)
        return cb_propose_refuse(r, why, "", "proposal %zu gives both code and edits (one of them "
                                             "must be empty)", i + 1);
    if (!has_code && !has_edits)
        return cb_propose_refuse(r, why, "", "proposal %zu gives neither code nor edits", i + 1);
    if (has_code) {
        size_t len = json_string_length(code);
        if (len > CB_RECIPE_STAGE_MAX)
            return cb_propose_refuse(r, why, "", "proposal %zu: the stage source is %zu bytes, "
                                                 "more than the %d a stage may have",
                                     i + 1, len, CB_RECIPE_STAGE_MAX);
        if (len == strlen(par->source) && !memcmp(json_string_value(code), par->source, len))
            return cb_propose_refuse(r, why, "", "proposal %zu: the code is the parent's, "
                                                 "unchanged", i + 1);
        return cb_propose_offer_stage(h, r, par, kind, why, json_string_value(code), len, err);
    }
    /* Edits: tried, and failed unless every one applies. */
    r->edits_tried++;
    size_t n = json_array_size(edits);
    if (n > CB_PROPOSE_STAGE_EDITS_MAX) {
        r->edits_failed++;
        return cb_propose_refuse(r, why, "", "proposal %zu: %zu edits, more than the %d allowed",
                                 i + 1, n, CB_PROPOSE_STAGE_EDITS_MAX);
    }
    CbStageEdit list[CB_PROPOSE_STAGE_EDITS_MAX];
    for (size_t e = 0; e < n; e++) {
        json_t *ed = json_array_get(edits, e);
        json_t *se = json_object_get(ed, "search"), *re = json_object_get(ed, "replace");
        if (!json_is_string(se) || !json_is_string(re)) {
            r->edits_failed++;
            return cb_propose_refuse(r, why, "", "proposal %zu: edit %zu is not an object with "
                                                 "\"search\" and \"replace\" strings", i + 1, e + 1);
        }
        list[e].search = json_string_value(se);
        list[e].replace = json_string_value(re);
    }
    char *out = NULL;
    size_t out_len = 0;
    CbError ee;
    cb_error_clear(&ee);
    int rc = cb_stage_edit_apply(par->source, strlen(par->source), list, n, CB_RECIPE_STAGE_MAX,
                                 &out, &out_len, &ee);
    if (rc == CB_ENOMEM)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (rc < 0) {
        r->edits_failed++;
        return cb_propose_refuse(r, why, "", "proposal %zu: %s", i + 1, ee.text);
    }
    if (!strcmp(out, par->source))
        rc = cb_propose_refuse(r, why, "", "proposal %zu: its edits leave the parent's source "
                                           "unchanged", i + 1);
    else
        rc = cb_propose_offer_stage(h, r, par, kind, why, out, out_len, err);
    free(out);
    return rc;
}

int cb_propose_stage_parse_reply(const CbProposeHistory *h, CbStageKind kind, const char *text,
                                 size_t len, CbProposeRound *r, CbError *err)
{
    CbProposeStageParent par;
    int rc = cb_propose_stage_parent(h, kind, &par, err);
    if (rc < 0)
        return rc;
    json_t *doc = NULL;
    CbError xe;
    cb_error_clear(&xe);
    rc = cb_llm_extract_json(text, len, 0, &doc, NULL, NULL, &xe);
    if (rc == CB_ENOMEM) {
        rc = cb_error_set(err, rc, "out of memory");
        goto done;
    }
    if (rc < 0) {
        rc = cb_error_set(err, CB_EFORMAT, "the model's reply: %s", xe.text);
        goto done;
    }
    json_t *list = json_object_get(doc, "proposals");
    if (!json_is_array(list)) {
        rc = cb_error_set(err, CB_EFORMAT,
                          "the model's reply is a JSON object without a \"proposals\" array");
        goto done;
    }
    size_t i;
    json_t *p;
    rc = CB_OK;
    json_array_foreach(list, i, p)
    {
        if (i >= (size_t)CB_PROPOSE_MAX_K * 4)
            break; /* a hostile list: the rest would only be refused */
        rc = stage_entry(h, &par, kind, i, p, r, err);
        if (rc == CB_ENOMEM)
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        if (rc < 0)
            goto done;
    }
    rc = CB_OK;
done:
    json_decref(doc);
    cb_propose_stage_parent_free(&par);
    return rc;
}

static int llm_propose(const CbProposeHistory *h, const CbProposeParams *p, CbProposeRound *r,
                       CbError *err)
{
    if (!p->llm || !p->endpoint)
        return cb_error_set(err, CB_EINVAL, "the LLM proposer needs a client and an endpoint");
    char *system = NULL, *user = NULL, *schema = NULL;
    CbLlmCall *call = NULL;
    int rc = p->stage ? cb_propose_stage_prompt(h, p->stage, p->k, p->prompt_max, &system, &user,
                                                err)
                      : cb_propose_prompt(h, p->k, p->prompt_max, &system, &user, err);
    if (rc < 0)
        goto done;
    schema = p->stage ? cb_propose_stage_schema() : cb_propose_schema();
    if (!schema) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    CbLlmMessage msgs[2] = {{"system", system}, {"user", user}};
    CbLlmRequest rq = {msgs, 2, schema, p->stage ? "stage_proposals" : "proposals", 0};
    rc = cb_llm_start(p->llm, p->endpoint, &rq, p->callbacks, p->ud, &call, err);
    if (rc < 0)
        goto done;
    while (cb_llm_state(call) == CB_LLM_PENDING)
        if ((rc = cb_llm_wait(p->llm, 1000, err)) < 0)
            goto done;
    const char *content = NULL;
    size_t len = 0;
    rc = cb_llm_result(call, &content, &len, NULL, &r->usage, err);
    if (rc < 0)
        goto done;
    r->reply = malloc(len + 1);
    if (!r->reply) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(r->reply, content, len);
    r->reply[len] = '\0';
    rc = p->stage ? cb_propose_stage_parse_reply(h, p->stage, content, len, r, err)
                  : cb_propose_parse_reply(h, content, len, r, err);
done:
    cb_llm_call_free(&call);
    free(schema);
    free(system);
    free(user);
    return rc;
}

const CbProposer cb_proposer_llm = {"llm", llm_propose};

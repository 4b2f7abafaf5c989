/* codecbench: the proposers (src/llm/propose*.c, local.c).
 *
 * A proposer reads an experiment's history from the store and returns up to
 * K new recipes, each with a rationale and the run it derives from.  Two
 * proposers share one interface (CbProposer) and one path for everything
 * around them:
 *
 *   cb_propose_history()  the experiment's history, read once (runs with
 *                         their recipes and metrics, the anchor, failures
 *                         with their reasons, the recipes already tried
 *                         and proposed, the clips)
 *   proposer->propose()   candidates, each handed to cb_propose_offer()
 *   cb_propose_offer()    validation shared by both: cb_recipe_parse, the
 *                         duplicate checks, the rationale sanitised and cut;
 *                         a refused candidate is kept with its reason
 *   cb_propose_queue()    accepted proposals recorded (cb_store_add_proposal)
 *                         and queued on each of the experiment's clips,
 *                         parent and origin "proposer" recorded
 *
 * A round is one call of propose: the evolve loop (driven by the runner)
 * calls one round at a time; everything a round needs is in the store, so
 * an interrupted loop resumes by reading the history again.
 *
 * Duplicates: two recipes are the same experiment when their settings are
 * (cb_propose_settings_key: the canonical recipe with its name and note
 * left out, since a new name does not make a new encode).  A candidate is
 * refused when its settings already ran (any status, queued too) in the
 * experiment or on one of its clips, were proposed before in the
 * experiment, or come twice in the round.
 *
 * Library code: it never prints.  Everything from a model is hostile.
 */
#ifndef CODECBENCH_PROPOSE_H
#define CODECBENCH_PROPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/llm.h"
#include "codecbench/recipe.h"
#include "codecbench/store.h"

/** Most proposals in one round. */
#define CB_PROPOSE_MAX_K 32
/** Bytes of a rationale kept (after sanitising; cut at a character). */
#define CB_PROPOSE_RATIONALE_MAX 600
/** Bytes of the user prompt the LLM proposer builds by default. */
#define CB_PROPOSE_PROMPT_MAX ((size_t)48 << 10)

/** One recipe of the experiment's history: its runs summed up over the
 * experiment's clips.  Strings owned by the history. */
typedef struct CbProposeRecipe {
    char *hash;          /**< the recipe hash the store keeps */
    char key[CB_RECIPE_HASH_HEX]; /**< cb_propose_settings_key of it */
    char *name;
    char *json;          /**< the recipe text of its first run */
    int codec_engine;    /**< 1: an engine recipe (the local proposer's space) */
    int64_t best_run;    /**< a done run of it (the lowest id), 0: none done */
    int64_t last_run;    /**< its newest run of any status */
    int runs, done, failed;
    int clips;           /**< clips where BD-rate against the anchor is known */
    double bd_rate;      /**< mean BD-rate (%) over those clips, NAN when none */
    double kbps_min, kbps_max, psnr_y_min, psnr_y_max; /**< of best_run, NAN when none */
    double encode_fps;   /**< mean over its done runs, NAN when none */
    int is_anchor;
    CbStageKind stage_kind; /**< the stage it carries (CB_STAGE_NONE: none) */
} CbProposeRecipe;

/** A failed run, for the LLM's prompt. */
typedef struct CbProposeFailure {
    int64_t run_id;
    char *recipe_name;
    char *recipe_json;
    char *reason;        /**< the store's reason (may be NULL) */
    CbStageKind stage_kind; /**< the stage its recipe carried (CB_STAGE_NONE: none) */
    char *stage_diag;       /**< a stage run's build diagnostics (RUN_DIR/stage-build.txt, at
                                 most CB_PROPOSE_STAGE_DIAG_MAX bytes, sanitised), or NULL */
} CbProposeFailure;

/** Where the experiment's runs are queued: one entry per clip. */
typedef struct CbProposeClip {
    char *clip_id;
    char *input;         /**< the input of a done run on the clip */
    int64_t first_frame, frames;
    int width, height;
} CbProposeClip;

/** An experiment's history.  Filled by cb_propose_history, released by
 * cb_propose_history_free.  Arrays sorted as stated, so that a proposer
 * sees the same history in the same order. */
typedef struct CbProposeHistory {
    char *experiment;
    char *anchor_name, *anchor_hash; /**< NULL: no anchor set */
    CbProposeRecipe *recipes;        /**< by hash */
    size_t n_recipes;
    CbProposeFailure *failures;      /**< newest first */
    size_t n_failures;
    CbProposeClip *clips;            /**< by clip id */
    size_t n_clips;
    char (*tried)[CB_RECIPE_HASH_HEX]; /**< settings keys already run or proposed, sorted */
    size_t n_tried;
    int64_t proposals;               /**< proposals recorded before */
    int64_t runs;                    /**< runs of the experiment */
} CbProposeHistory;

/** The experiment a proposer works on: given when not NULL, else "default"
 * when the store has it, else the store's only experiment.  0 and *name (a
 * copy, free()); CB_ENOENT naming the store's experiments when none fits
 * (several and none named: "--experiment NAME"), CB_ENOMEM. */
int cb_propose_pick_experiment(CbStore *s, const char *given, char **name, CbError *err);

/** Reads experiment's history (NULL: "default").  Errors: CB_ENOENT "no
 * experiment NAME in STORE (experiments: a, b)", CB_EINVAL "experiment NAME
 * has no done runs yet" or "... has no anchor", the store's errors. */
int cb_propose_history(CbStore *s, const char *experiment, CbProposeHistory *out, CbError *err);
void cb_propose_history_free(CbProposeHistory *h);
/** The recipe of h with the lowest mean BD-rate (the anchor when nothing
 * has one), or NULL. */
const CbProposeRecipe *cb_propose_best(const CbProposeHistory *h);
/** The recipe of h whose done run is run_id, or NULL. */
const CbProposeRecipe *cb_propose_recipe_of_run(const CbProposeHistory *h, int64_t run_id);

/** hex gets the SHA-256 of r's canonical form with the name and note left
 * out: what identifies the encode.  0, CB_EINVAL, CB_ENOMEM. */
int cb_propose_settings_key(const CbRecipe *r, char hex[CB_RECIPE_HASH_HEX]);

/** An accepted proposal. */
typedef struct CbProposeItem {
    char *rationale;     /**< sanitised, at most CB_PROPOSE_RATIONALE_MAX bytes */
    char *recipe_json;   /**< the recipe as it will be queued (pretty JSON) */
    char *name;          /**< its name */
    char key[CB_RECIPE_HASH_HEX]; /**< its settings key */
    int64_t parent;      /**< the run it derives from, 0: none */
    char *diff;          /**< "transform: klt -> dct; deblock: true -> false" against the
                              parent's recipe ("" when it has none) */
    int64_t *run_ids;    /**< after cb_propose_queue: the runs queued (one per clip) */
    size_t n_runs;
    int64_t proposal_id; /**< after cb_propose_queue */
} CbProposeItem;

/** A refused candidate. */
typedef struct CbProposeReject {
    char *rationale;     /**< sanitised and cut, may be "" */
    char *name;          /**< the recipe's name when it had one ("" otherwise) */
    char *reason;        /**< why, e.g. "recipe: settings.block_size: 12 is not one of 8, 16" */
} CbProposeReject;

/** One round's outcome. */
typedef struct CbProposeRound {
    CbProposeItem *items;
    size_t n_items;
    CbProposeReject *rejects;
    size_t n_rejects;
    int k;                    /**< proposals asked for */
    CbLlmUsage usage;         /**< the LLM proposer's tokens (zero for local) */
    char *reply;              /**< the LLM's reply text (raw), NULL for local */
    /** Stage rounds: proposals that came as search/replace edits, and how
     * many of them failed to apply (cb_store_add_llm_edits records them). */
    int edits_tried, edits_failed;
} CbProposeRound;

void cb_propose_round_init(CbProposeRound *r, int k);
void cb_propose_round_free(CbProposeRound *r);

/** The validation both proposers share: text (len bytes, untrusted) is
 * parsed with cb_recipe_parse; the rationale is sanitised (no control
 * characters, line breaks folded) and cut to CB_PROPOSE_RATIONALE_MAX
 * bytes; parent is kept when it is a done run of h (else 0 for the best).
 * Refused, with the reason in r->rejects: an invalid recipe (the parser's
 * message), settings already tried in h, settings twice in the round, a
 * round already holding k items.  Returns 1 accepted, 0 refused, or
 * CB_ENOMEM. */
int cb_propose_offer(const CbProposeHistory *h, CbProposeRound *r, const char *rationale,
                     const char *text, size_t len, int64_t parent, CbError *err);

/** Adds a refused candidate to r with a printf-style reason (sanitised,
 * cut to 1 KiB); rationale and name may be "".  0 or CB_ENOMEM. */
int cb_propose_refuse(CbProposeRound *r, const char *rationale, const char *name,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** Records each accepted item (proposer "local" / "llm") and queues it on
 * every clip of h with parent (on a clip where the parent's recipe ran, its
 * run there; else the item's parent) and origin "proposer".  Items queued
 * get run_ids and proposal_id.  Stops at the first store error (items
 * before it stay queued and recorded). */
int cb_propose_queue(CbStore *s, const CbProposeHistory *h, CbProposeRound *r,
                     const char *proposer, CbError *err);

/** What a proposer gets. */
typedef struct CbProposeParams {
    int k;                    /**< 1..CB_PROPOSE_MAX_K */
    uint64_t seed;
    /* the LLM proposer only: */
    CbLlm *llm;               /**< the client (the caller owns it) */
    const CbLlmEndpoint *endpoint;
    const CbLlmCallbacks *callbacks; /**< streamed text (may be NULL) */
    void *ud;
    size_t prompt_max;        /**< 0: CB_PROPOSE_PROMPT_MAX */
    /** What to propose: CB_STAGE_NONE recipes (as before), else stage code of
     * that kind (the LLM proposer only: the local proposer refuses it with
     * CB_ENOTSUP, it writes no code). */
    CbStageKind stage;
} CbProposeParams;

/** A proposer: one round from a history.  propose fills r through
 * cb_propose_offer; it returns 0 (r may hold fewer than k items, with the
 * rejects saying why), or an error when nothing could be proposed (the
 * endpoint failed, the reply held no JSON, no recipe to start from). */
typedef struct CbProposer {
    const char *name;         /**< "local", "llm" */
    int (*propose)(const CbProposeHistory *h, const CbProposeParams *p, CbProposeRound *r,
                   CbError *err);
} CbProposer;

/** The proposer named name ("local", "llm"), or NULL. */
const CbProposer *cb_proposer_find(const char *name);

/** The local proposer (src/llm/local.c): a seeded search around the Pareto
 * front of the experiment's engine recipes (BD-rate against encode fps):
 * coordinate steps over the engine's field table (cb_engine_fields), and
 * mutation and crossover of the front; rate points (qps) and threads are
 * kept from the parent.  Deterministic for a seed and a history. */
extern const CbProposer cb_proposer_local;

/** The LLM proposer (src/llm/propose_llm.c): cb_propose_prompt, one call
 * through p->llm with cb_propose_schema as response_format (the client
 * falls back to plain text when refused), waiting in cb_llm_wait, then
 * cb_propose_parse_reply.  r->usage gets the call's tokens. */
extern const CbProposer cb_proposer_llm;

/** The prompt: *system (what the workbench is, the rules, the recipe
 * schema) and *user (the anchor, the best runs with recipes and metrics,
 * recent failures with their errors, the settings already tried, the ask
 * for k proposals), the user prompt at most max_bytes (0:
 * CB_PROPOSE_PROMPT_MAX; cut by dropping the oldest tried entries, then
 * failures, then runs, each cut said in the text).  New strings. */
int cb_propose_prompt(const CbProposeHistory *h, int k, size_t max_bytes, char **system,
                      char **user, CbError *err);
/** The JSON Schema of a reply, {"proposals": [{"rationale", "parent",
 * "recipe"}]} in strict form, with the recipe schema's $defs at its root.
 * New string, NULL when out of memory. */
char *cb_propose_schema(void);
/** Reads a model's reply (len bytes, untrusted): the first JSON object
 * (cb_llm_extract_json), its "proposals" array, each entry offered with
 * cb_propose_offer (entries past k, not objects or without a recipe object
 * are refused with the reason).  CB_EFORMAT with the reason when there is no
 * JSON object or no "proposals" array (nothing accepted). */
int cb_propose_parse_reply(const CbProposeHistory *h, const char *text, size_t len,
                           CbProposeRound *r, CbError *err);

/** The settings of recipe b that differ from a ("transform: klt -> dct;
 * deblock: true -> false"; the codec or encoder changed is said as such).
 * a may be NULL (then ""). New string, NULL when out of memory. */
char *cb_propose_diff(const CbRecipe *a, const CbRecipe *b);

/* ---- stages (issue 8) -------------------------------------------------------
 *
 * The LLM proposer asked for a stage (CbProposeParams.stage) writes C for
 * one engine stage (stage.h).  Its prompt holds the stage header, the rules,
 * the parent stage's source and measurements and the errors of recent stage
 * attempts; its reply is
 *   {"proposals": [{"rationale": "...", "code": "<a whole stage file>",
 *                   "edits": [{"search": "...", "replace": "..."}]}]}
 * with exactly one of code (non-empty) and edits (non-empty) used.  Edits
 * apply in order to the parent's source (cb_stage_edit_apply).  The result
 * becomes the parent's recipe with "stage": {"kind", "code"} (a transform
 * stage with "transform": "dct"), named "stage-KIND-HASH8" after the
 * source's hash, and is offered like any proposal (cb_propose_offer).
 */

/** Bytes of a failed stage run's build diagnostics put in a prompt. */
#define CB_PROPOSE_STAGE_DIAG_MAX 1500
/** Search/replace edits one proposal may carry (more: refused). */
#define CB_PROPOSE_STAGE_EDITS_MAX 64
/** Matches of a search text counted at most ("matches at least N places"). */
#define CB_STAGE_EDIT_COUNT_MAX 1000

/** One search/replace edit (NUL-terminated texts, borrowed). */
typedef struct CbStageEdit {
    const char *search;
    const char *replace;
} CbStageEdit;

/** Where search (NUL-terminated) matches src (len bytes) tolerantly: every
 * run of whitespace (space, tab, CR, LF, VT, FF) in search matches any
 * non-empty run of whitespace in src, search's leading and trailing
 * whitespace is ignored, every other byte must be equal.  Overlapping
 * matches count.  Returns the number of matches (capped at
 * CB_STAGE_EDIT_COUNT_MAX), with [*start, *end) the source bytes of the
 * first (start and end may be NULL); CB_EINVAL when search is empty or
 * only whitespace; CB_ENOMEM.  Linear time in len + strlen(search). */
int cb_stage_edit_find(const char *src, size_t len, const char *search, size_t *start, size_t *end);

/** Applies n edits in order to src (len bytes): each search must match the
 * text as the edits before it left it exactly once, and its match is
 * replaced by the replace text as given.  *out (malloc'd, NUL-terminated,
 * *out_len bytes; out_len may be NULL) gets the result.  Errors (nothing
 * returned): CB_EINVAL "edit 2: the search text was not found", "edit 2:
 * the search text matches 3 places", "edit 1: the search text is empty",
 * "no edits"; CB_ELIMIT when the result passes max_bytes; CB_ENOMEM. */
int cb_stage_edit_apply(const char *src, size_t len, const CbStageEdit *edits, size_t n,
                        size_t max_bytes, char **out, size_t *out_len, CbError *err);

/** The parent a stage of kind starts from in h. */
typedef struct CbProposeStageParent {
    const CbProposeRecipe *recipe; /**< borrowed from the history; NULL when none */
    char *source;                  /**< owned: its stage source, or the built-in one */
    int builtin;                   /**< 1: source is cb_stage_builtin_source(kind) */
} CbProposeStageParent;

/** Picks the parent of a stage of kind: the done engine recipe of h with a
 * stage of kind and the lowest BD-rate (ties: the lower run id; NAN last),
 * else the best done engine recipe without a stage (the anchor when none
 * has a BD-rate) with the built-in source.  CB_EINVAL when kind is not a
 * stage or h has no done engine recipe ("a stage needs an engine recipe to
 * start from"), CB_ENOMEM.  Free with cb_propose_stage_parent_free. */
int cb_propose_stage_parent(const CbProposeHistory *h, CbStageKind kind, CbProposeStageParent *out,
                            CbError *err);
void cb_propose_stage_parent_free(CbProposeStageParent *p);

/** The stage prompt: *system (the workbench, the rules of stage.h restated,
 * the reply's form, the header text of cb_stage_header_text) and *user
 * (the experiment, the parent's recipe, measurements and source, the
 * recent failed stage runs of kind with their reasons and build
 * diagnostics, the ask for k), the user prompt at most max_bytes (0:
 * CB_PROPOSE_PROMPT_MAX; failures dropped oldest first, each cut said; a
 * parent source that does not fit is CB_ELIMIT).  New strings. */
int cb_propose_stage_prompt(const CbProposeHistory *h, CbStageKind kind, int k, size_t max_bytes,
                            char **system, char **user, CbError *err);
/** The JSON Schema of a stage reply (strict form, every property required).
 * New string, NULL when out of memory. */
char *cb_propose_stage_schema(void);
/** Reads a model's stage reply (len bytes, untrusted) as
 * cb_propose_parse_reply does: each entry's code, or its edits applied to
 * the parent's source, offered with cb_propose_offer_stage; an entry with
 * both or neither, edits that fail (counted in r->edits_failed), or code
 * beyond CB_RECIPE_STAGE_MAX is refused with the reason. */
int cb_propose_stage_parse_reply(const CbProposeHistory *h, CbStageKind kind, const char *text,
                                 size_t len, CbProposeRound *r, CbError *err);
/** Offers the parent's recipe with "stage": {"kind", "code": code (len
 * bytes)} as a proposal of r (cb_propose_offer), its parent run the
 * parent's.  Returns 1 accepted, 0 refused, or CB_ENOMEM. */
int cb_propose_offer_stage(const CbProposeHistory *h, CbProposeRound *r,
                           const CbProposeStageParent *parent, CbStageKind kind,
                           const char *rationale, const char *code, size_t len, CbError *err);

#endif

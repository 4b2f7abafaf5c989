/* codecbench dashboard: the filter language of lists (no curses).
 *
 * A query is parsed once into a tree and evaluated per row:
 *
 *   codec:engine status:done bd<-5 -tag:bad transform:=klt kbps>=200 or psnr>40
 *
 * - Terms are separated by spaces; every term must hold (AND).
 * - `a or b` (also `|`) holds when either holds; it binds tighter than the
 *   spaces: `x a or b y` is x AND (a OR b) AND y.
 * - `field:value`: a text field contains value (ASCII case-insensitive);
 *   `field:=value`: equals it (for list fields such as tags: one element
 *   equals it).  On a numeric field `:` and `:=` mean `=`.
 * - `field<N`, `<=`, `>`, `>=`, `=` (also `==`), `!=`: numeric comparisons,
 *   only on numeric fields; a trailing `%` of N is allowed.  A missing value
 *   (a run without the figure, NaN) satisfies no comparison.
 * - A bare word holds when the row's "any text" field contains it.
 * - `-term` or `!term` negates a term.
 * - Values may be double-quoted ("a b", with \" and \\).
 *
 * Errors name the term and the reason, e.g. "bd<x: 'x' is not a number",
 * "unknown field 'foo' (fields: id status ...)".
 *
 * The fields come from a schema the caller gives (the table model's columns
 * and aliases); a row is read back through a TuiQueryAccess.
 */
#ifndef CODECBENCH_TUI_QUERY_H
#define CODECBENCH_TUI_QUERY_H

#include <stddef.h>

#include "codecbench/error.h"

/** Longest query text accepted, in bytes. */
#define TUI_QUERY_MAX_BYTES 4096

typedef enum TuiQueryKind {
    TUI_QUERY_TEXT,   /**< compared as text (substring / equality) */
    TUI_QUERY_NUMBER, /**< compared as a number */
} TuiQueryKind;

typedef struct TuiQueryField {
    const char *name; /**< matched ASCII case-insensitively */
    TuiQueryKind kind;
    int id;   /**< handed back to the accessor */
    int list; /**< text is a comma-separated list (tags): `:=` matches an element */
    const char *const *choices; /**< NULL-terminated allowed values (a value must be part of one),
                                     or NULL: any */
} TuiQueryField;

typedef struct TuiQuerySchema {
    const TuiQueryField *fields; /**< borrowed during tui_query_parse only */
    size_t n_fields;
    int any_id;        /**< the text field a bare word searches */
    const char *names; /**< the field names listed in an "unknown field" error */
} TuiQuerySchema;

/** How a row's values are read during tui_query_match. */
typedef struct TuiQueryAccess {
    /** The text of field id for row, or NULL when missing. */
    const char *(*text)(const void *ctx, size_t row, int id);
    /** The number of field id for row, NAN when missing. */
    double (*number)(const void *ctx, size_t row, int id);
    const void *ctx;
} TuiQueryAccess;

typedef struct TuiQuery TuiQuery;

/** Parses text (NULL or only spaces: a query that every row matches) against
 * schema.  *out is a new query (tui_query_free) or NULL on failure;
 * CB_EINVAL (err names the term and the reason), CB_ELIMIT, CB_ENOMEM. */
int tui_query_parse(const char *text, const TuiQuerySchema *schema, TuiQuery **out, CbError *err);
void tui_query_free(TuiQuery **q);
/** Whether row matches q (a NULL query matches every row). */
int tui_query_match(const TuiQuery *q, const TuiQueryAccess *a, size_t row);
/** The text q was parsed from, trimmed ("" for the empty query); borrowed. */
const char *tui_query_text(const TuiQuery *q);
/** Whether q has no terms (matches everything). */
int tui_query_is_empty(const TuiQuery *q);
/** Whether q reads field id (to know when a change of that field needs a refilter). */
int tui_query_uses(const TuiQuery *q, int id);

/** ASCII case-insensitive: whether hay contains needle (needle "" is in every text). */
int tui_query_contains(const char *hay, const char *needle);

#endif

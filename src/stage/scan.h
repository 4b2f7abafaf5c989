/* codecbench stage: the checks of a stage's text before it is compiled
 * (steps 1a and 1b of include/codecbench/sandbox.h), apart from the
 * processes that produce what they read, so that they can be tested and
 * fuzzed on their own.  Each returns 0, or CB_ESTAGE with the reason
 * ("stage.c:12: asm is not allowed in a stage"). */
#ifndef CB_STAGE_SCAN_H
#define CB_STAGE_SCAN_H

#include <stddef.h>

#include "codecbench/error.h"

/** The make-style dependency list text[0..n) (from -M or -MD, run in the
 * directory holding stage.c with the world at ../world): every file but
 * the target is stage.c or a world header.  src is the stage's source, to
 * find the line of an #include it refuses. */
int cb_stage_check_deps(const char *text, size_t n, const char *src, size_t srclen, CbError *err);

/** The preprocessed text t[0..n) (-E, with line markers): no asm, no
 * attribute of sandbox.h's list, no directive but line markers. */
int cb_stage_scan_tokens(const char *t, size_t n, CbError *err);

/** The source src[0..len) as the preprocessor's first phases read it
 * (trigraphs, digraphs, line splices, comments): only #include, #define,
 * #undef, #if, #ifdef, #ifndef, #elif, #else, #endif, #error, #warning;
 * no _Pragma, no __has_include. */
int cb_stage_scan_directives(const char *src, size_t len, CbError *err);

#endif

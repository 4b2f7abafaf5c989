/* codecbench stage world: <limits.h> for stage code (C11 5.2.4.2.1).
 *
 * Part of the closed world a stage is compiled in (see stdint.h here and
 * include/codecbench/sandbox.h); every value comes from the compiler's
 * predefined macros (__CHAR_BIT__, __SCHAR_MAX__, __SHRT_MAX__,
 * __INT_MAX__, __LONG_MAX__, __LONG_LONG_MAX__, __CHAR_UNSIGNED__), so it
 * describes the target the compiler builds for.  Two's complement: each
 * signed MIN is -MAX - 1. */
#ifndef CB_STAGE_WORLD_LIMITS_H
#define CB_STAGE_WORLD_LIMITS_H

#define CHAR_BIT __CHAR_BIT__
/* Stages have no multibyte conversion functions; 1 as in GCC's own. */
#define MB_LEN_MAX 1

#define SCHAR_MAX __SCHAR_MAX__
#define SCHAR_MIN (-SCHAR_MAX - 1)
/* unsigned char and unsigned short promote to int, so their maxima are
 * ints, as the standard requires of these macros' types. */
#define UCHAR_MAX (SCHAR_MAX * 2 + 1)
#ifdef __CHAR_UNSIGNED__
#define CHAR_MIN 0
#define CHAR_MAX UCHAR_MAX
#else
#define CHAR_MIN SCHAR_MIN
#define CHAR_MAX SCHAR_MAX
#endif

#define SHRT_MAX __SHRT_MAX__
#define SHRT_MIN (-SHRT_MAX - 1)
#define USHRT_MAX (SHRT_MAX * 2 + 1)

#define INT_MAX __INT_MAX__
#define INT_MIN (-INT_MAX - 1)
#define UINT_MAX (INT_MAX * 2U + 1U)

#define LONG_MAX __LONG_MAX__
#define LONG_MIN (-LONG_MAX - 1L)
#define ULONG_MAX (LONG_MAX * 2UL + 1UL)

#define LLONG_MAX __LONG_LONG_MAX__
#define LLONG_MIN (-LLONG_MAX - 1LL)
#define ULLONG_MAX (LLONG_MAX * 2ULL + 1ULL)

#endif

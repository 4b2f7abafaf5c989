/* codecbench stage world: <stddef.h> for stage code (C11 7.19).
 *
 * Part of the closed world a stage is compiled in (see stdint.h here and
 * include/codecbench/sandbox.h); the types come from the compiler's
 * predefined macros (__SIZE_TYPE__, __PTRDIFF_TYPE__, __WCHAR_TYPE__) and
 * offsetof from its builtin, as GCC's and Clang's own stddef.h do. */
#ifndef CB_STAGE_WORLD_STDDEF_H
#define CB_STAGE_WORLD_STDDEF_H

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef __WCHAR_TYPE__ wchar_t;

/* The type of greatest fundamental alignment (C11 7.19 p2), spelled as
 * GCC's stddef.h does; a stage has no use for long double, so only its
 * alignment is kept. */
typedef struct {
    long long cb_ll __attribute__((__aligned__(__alignof__(long long))));
    long double cb_ld __attribute__((__aligned__(__alignof__(long double))));
} max_align_t;

#define NULL ((void *)0)
#define offsetof(type, member) __builtin_offsetof(type, member)

#endif

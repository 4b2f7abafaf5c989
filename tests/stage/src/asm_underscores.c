/* Hostile: inline assembly spelled __asm__ (line 7), a system call. */
#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(39) : "rcx", "r11", "memory");
    return (int)(r - r) + a->n - a->n;
}

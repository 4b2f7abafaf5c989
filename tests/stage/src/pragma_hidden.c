/* Hostile: pragmas the preprocessor consumes (nothing of them is left in
 * its output), one spelled with a trigraph, one with a digraph and one
 * split by a backslash-newline.  The first is on line 6. */
#include "codecbench/stage.h"

  ??=pragma GCC poison printf
%: pragma once
#pra\
gma GCC system_header

int cb_stage_intra(const CbStageIntra *a)
{
    return a->n - a->n;
}

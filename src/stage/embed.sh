#!/bin/sh
# Writes src/stage/builtin.inc to stdout: the stage world's headers
# (src/stage/world/*.h and include/codecbench/stage.h) and the engine's
# built-in stages (samples/stages/*.c) as C strings, through
# src/config/embed.awk, with two tables: stage_world_files[] (the path each
# header gets in the world directory) and stage_builtin_sources[] (by
# CbStageKind).  One generator, so the binary never carries a copy that
# differs from the tree's files.  Used by the build (src/stage/local.mk).
#   sh src/stage/embed.sh AWK TOP_SRCDIR
set -eu
awk=$1 top=$2
emb() { LC_ALL=C $awk -v name="$1" -f "$top/src/config/embed.awk" "$top/$2"; }
emb stage_world_stdint_text src/stage/world/stdint.h
emb stage_world_stddef_text src/stage/world/stddef.h
emb stage_world_stdbool_text src/stage/world/stdbool.h
emb stage_world_limits_text src/stage/world/limits.h
emb stage_header_text_c include/codecbench/stage.h
emb stage_builtin_intra_text samples/stages/intra.c
emb stage_builtin_loop_filter_text samples/stages/loop_filter.c
emb stage_builtin_transform_text samples/stages/transform.c
cat <<'TABLES'
/* The world directory's files: path under the world, text. */
static const struct {
    const char *path;
    const char *text;
} stage_world_files[] = {
    {"stdint.h", stage_world_stdint_text},
    {"stddef.h", stage_world_stddef_text},
    {"stdbool.h", stage_world_stdbool_text},
    {"limits.h", stage_world_limits_text},
    {"codecbench/stage.h", stage_header_text_c},
};
TABLES

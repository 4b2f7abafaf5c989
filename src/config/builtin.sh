#!/bin/sh
# Writes src/config/builtin.inc to stdout: the built-in defaults and every
# shipped theme as C strings (embed.awk), and cfg_builtin_themes[], the
# themes by name.  Used by the build and by tests/fuzz/run.
#   sh src/config/builtin.sh AWK TOP_SRCDIR THEME_FILE...   (paths relative to TOP_SRCDIR)
set -eu
awk=$1 top=$2
shift 2
LC_ALL=C $awk -v name=cfg_defaults_text -f "$top/src/config/embed.awk" "$top/src/config/defaults.conf"
n=0
for t in "$@"; do
    LC_ALL=C $awk -v name="cfg_theme_${n}_text" -f "$top/src/config/embed.awk" "$top/$t"
    n=$((n + 1))
done
echo 'static const struct { const char *name; const char *text; } cfg_builtin_themes[] = {'
n=0
for t in "$@"; do
    b=${t##*/}
    echo "    {\"${b%.theme}\", cfg_theme_${n}_text},"
    n=$((n + 1))
done
echo '};'

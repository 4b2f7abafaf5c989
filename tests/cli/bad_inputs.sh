# Bad inputs give a clear error naming the file and the reason, exit code 1,
# and nothing else: no crash, no sanitizer report, no raw escape on stderr.
. "$CB_SRCDIR/tests/tap.sh"
need_clips
cb=$CB_BIN
c=$CB_CLIPS

check_bad() {  # check_bad NAME CMD...: exit 1, names the file, a reason, clean
    name=$1; shift
    "$@" >"$tap_tmp/out" 2>"$tap_tmp/err"
    rc=$?
    if [ $rc -ne 1 ]; then fail "$name: exit 1" "exit $rc; stderr: $(head -c 600 "$tap_tmp/err")"; return; fi
    if grep -qE 'Sanitizer|runtime error|Segmentation' "$tap_tmp/err"; then fail "$name: no sanitizer report" "$(head -c 2000 "$tap_tmp/err")"; return; fi
    if ! grep -q "^codecbench: .*$(basename "$bad_file" | sed 's/[.[\*^$]/\\&/g')" "$tap_tmp/err"; then
        fail "$name: the error names the file" "$(cat "$tap_tmp/err")"; return
    fi
    if [ "$(wc -l < "$tap_tmp/err")" -gt 3 ]; then fail "$name: a short error" "$(cat "$tap_tmp/err")"; return; fi
    pass "$name: exit 1, names the file: $(head -1 "$tap_tmp/err" | cut -c1-150)"
}

for f in bad_empty.mp4 bad_text.mp4 bad_truncated.mp4 bad_truncated_data.mp4 bad_lying.y4m \
         bad_huge.y4m bad_garbage.mkv; do
    bad_file=$c/$f
    check_bad "probe --decode $f" "$cb" probe --decode "$bad_file"
    check_bad "metrics against $f" "$cb" metrics --summary "$c/motion.y4m" "$bad_file"
done
bad_file=$c/bad_huge.y4m
"$cb" probe "$bad_file" 2>"$tap_tmp/err"
ok 'grep -q "8192" "$tap_tmp/err"' "an absurd picture size names the limit"
bad_file=$tap_tmp/no-such-file.mp4
check_bad "a missing file" "$cb" probe "$bad_file"
ok 'grep -q "No such file" "$tap_tmp/err"' "a missing file says so"
bad_file=$tap_tmp
check_bad "a directory" "$cb" probe "$bad_file"

# Files that must agree: sizes, frame counts.
bad_file=$c/odd_175x143.y4m
check_bad "metrics of two sizes" "$cb" metrics "$c/motion.y4m" "$bad_file"
ok 'grep -q "352x288" "$tap_tmp/err" && grep -q "175x143" "$tap_tmp/err"' "size mismatch names both sizes"
bad_file=$c/motion.y4m
"$FFMPEG" -nostdin -loglevel error -i "$c/motion.y4m" -frames:v 12 "$tap_tmp/short.y4m" 2>/dev/null
check_bad "metrics of 30 vs 12 frames" "$cb" metrics --summary "$c/motion.y4m" "$tap_tmp/short.y4m"
"$cb" metrics --summary --shortest "$c/motion.y4m" "$tap_tmp/short.y4m" >"$tap_tmp/out" 2>"$tap_tmp/err"
ok '[ $? = 0 ] && grep -q "sequence: 12 frames" "$tap_tmp/out" && grep -q "warning: .*more frames" "$tap_tmp/err"' "--shortest measures the 12 common frames, with a warning"

# A hostile file name: the escape sequence is shown, inert.
evil=$(printf '%s/evil\033[2J\033]0;pwned\007.mp4' "$tap_tmp")
cp "$c/bad_text.mp4" "$evil"
"$cb" probe "$evil" >"$tap_tmp/out" 2>"$tap_tmp/err"
ok '! grep -q "$(printf "\033")" "$tap_tmp/err" && ! grep -q "$(printf "\007")" "$tap_tmp/err"' "no raw ESC or BEL reaches the terminal"
ok 'grep -qF "evil^[[2J^[]0;pwned^G.mp4" "$tap_tmp/err"' "the name is shown in caret notation"
done_testing

# codecbench bdrate on curves whose BD figures are worked out by hand.
. "$CB_SRCDIR/tests/tap.sh"
cb=$CB_BIN
t=$tap_tmp
num() { "$PYTHON3" -c "import json,sys; print(json.load(open('$t/bd.json'))['$1'])"; }
near() { "$PYTHON3" -c "import sys; sys.exit(0 if abs($1 - ($2)) <= $3 else 1)"; }

# Anchor: PSNR = 30 + 3 log2(kbps / 1000), a straight line in (PSNR, log10 rate).
printf '1000,30\n2000,33\n4000,36\n8000,39\n' > "$t/anchor.csv"
# Test: the same PSNRs at 0.9 times the rates.  At equal PSNR the rate ratio
# is 0.9 everywhere, so BD-rate = 0.9 - 1 = -10 %, whatever the interpolation.
# At equal rate the test curve is the anchor moved left by log10(0.9) decades:
# PSNR_test(r) = PSNR_anchor(r / 0.9), so BD-PSNR = 3 log2(1/0.9) = 0.455999 dB.
# Given unsorted, with a header, a comment, CRLF line ends and spaces.
printf 'kbps,psnr\r\n# test curve\r\n3600, 36\r\n900,30\r\n7200 ,39\r\n1800,33\r\n' > "$t/test.csv"
"$cb" bdrate --json "$t/anchor.csv" "$t/test.csv" > "$t/bd.json" 2>"$t/err"
ok '[ $? = 0 ]' "bdrate on valid curves exits 0"
ok 'near "$(num bd_rate_pct)" -10 1e-6' "BD-rate of rates x0.9 is -10 % (got $(num bd_rate_pct))"
ok 'near "$(num bd_psnr_db)" "3*__import__(\"math\").log2(1/0.9)" 1e-6' "BD-PSNR is 3 log2(1/0.9) dB (got $(num bd_psnr_db))"

# Swapping the curves: at equal PSNR the anchor needs 1/0.9 of the test's
# rate: +11.111 %; BD-PSNR changes sign.
"$cb" bdrate --json "$t/test.csv" "$t/anchor.csv" > "$t/bd.json"
ok 'near "$(num bd_rate_pct)" "100/0.9-100" 1e-6' "swapped: BD-rate +11.111 %"
ok 'near "$(num bd_psnr_db)" "-3*__import__(\"math\").log2(1/0.9)" 1e-6' "swapped: BD-PSNR negative"

# Crossing lines.  Test: PSNR = 31 + 4 log2(kbps/1000) at kbps 1000..8000,
# i.e. log2(r/1000) = (P - 31)/4, against the anchor's (P - 30)/3.
# Overlap in PSNR: [31, 39] (test 31..43, anchor 30..39).
# Mean over P in [31,39] of log10(r_t/r_a) = log10(2) * mean((P-31)/4 - (P-30)/3)
#   = log10(2) * mean(-P/12 - 31/4 + 10) ; mean P = 35 -> -35/12 + 2.25 = -2/3
# BD-rate = 2^(-2/3) - 1 = -37.004 %.  Both curves are straight in
# (PSNR, log rate), where PCHIP is exact.
printf '1000,31\n2000,35\n4000,39\n8000,43\n' > "$t/cross.csv"
"$cb" bdrate --json "$t/anchor.csv" "$t/cross.csv" > "$t/bd.json"
ok 'near "$(num bd_rate_pct)" "(2**(-2/3)-1)*100" 1e-6' "crossing curves: BD-rate = 2^(-2/3) - 1 (got $(num bd_rate_pct))"
# BD-PSNR: overlap in rate is the whole [1000, 8000]; with x = log2(r/1000)
# in [0, 3]: mean of (31 + 4x) - (30 + 3x) = 1 + mean(x) = 2.5 dB.
ok 'near "$(num bd_psnr_db)" 2.5 1e-6' "crossing curves: BD-PSNR = 2.5 dB (got $(num bd_psnr_db))"
ok '"$PYTHON3" -c "import json; d=json.load(open(\"$t/bd.json\")); assert d[\"psnr_overlap_db\"]==dict(lo=31,hi=39)"' "crossing curves: PSNR overlap 31..39"

"$cb" bdrate "$t/anchor.csv" "$t/cross.csv" > "$t/out"
ok 'grep -q "^BD-rate: *-37.004 %" "$t/out"' "text output"

# Small overlap: anchor 30..39 dB, test 38..42 dB -> overlap 1 dB of the
# shorter range 4 dB = 25 % < 50 %: a warning, still a number.
printf '1000,38\n1500,39.5\n2200,41\n3000,42\n' > "$t/small.csv"
"$cb" bdrate "$t/anchor.csv" "$t/small.csv" > "$t/out" 2> "$t/err"
ok '[ $? = 0 ] && grep -q "warning: the curves overlap over 1.00 dB only (25%" "$t/err"' "small overlap: a warning"

# Errors: each names the file and the reason, exit 1.  (The JSON carries
# 10 significant digits, hence the 1e-6 tolerances above.)
bad() {  # bad NAME FILE-CONTENT PATTERN
    printf "$2" > "$t/bad.csv"
    "$cb" bdrate "$t/anchor.csv" "$t/bad.csv" > "$t/out" 2> "$t/err"
    rc=$?
    ok '[ $rc = 1 ] && grep -q "bad.csv" "$t/err" && grep -qi "$3" "$t/err"' "$1 (stderr: $(head -1 "$t/err"))"
}
bad "three points" '1000,30\n2000,33\n4000,36\n' "4"
bad "not monotonic" '1000,30\n2000,33\n4000,32\n8000,39\n' "monotonic"
bad "equal rates" '1000,30\n1000,31\n4000,36\n8000,39\n' "rate"
bad "negative rate" '-1000,30\n2000,33\n4000,36\n8000,39\n' "rate"
bad "not a number" '1000,30\n2000,abc\n4000,36\n8000,39\n' "line 2"
bad "nan" '1000,30\n2000,nan\n4000,36\n8000,39\n' "line 2"
bad "three columns" '1000,30,1\n2000,33\n4000,36\n8000,39\n' "line 1"
bad "no overlap" '1000,50\n2000,53\n4000,56\n8000,59\n' "overlap"
bad "empty file" '' "4"
"$cb" bdrate "$t/anchor.csv" "$t/missing.csv" 2> "$t/err"
ok '[ $? = 1 ] && grep -q "missing.csv: No such file" "$t/err"' "a missing file"
head -c 2000000 /dev/zero > "$t/huge.csv"
"$cb" bdrate "$t/anchor.csv" "$t/huge.csv" 2> "$t/err"
ok '[ $? = 1 ] && grep -q "huge.csv: larger than" "$t/err"' "a 2 MB file is refused by size"
done_testing

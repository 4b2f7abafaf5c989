# Turns a text file into a C string constant:
#   LC_ALL=C awk -v name=IDENT -f embed.awk FILE > FILE.inc
# Used for the built-in defaults and themes, which the binary parses with the
# same code as the user's files.  Only printable ASCII and tabs are allowed.
BEGIN { printf "/* Generated from %s by src/config/embed.awk: do not edit. */\n", ARGV[1]
        printf "static const char %s[] =\n", name }
{
    if ($0 ~ /[^\t -~]/) {
        printf "%s:%d: only printable ASCII may be embedded\n", FILENAME, FNR > "/dev/stderr"
        bad = 1
        exit 1
    }
    # Character by character: gsub's treatment of backslashes in the
    # replacement differs between awks.
    line = ""
    for (i = 1; i <= length($0); i++) {
        c = substr($0, i, 1)
        if (c == "\\" || c == "\"")
            line = line "\\" c
        else if (c == "\t")
            line = line "\\t"
        else
            line = line c
    }
    printf "    \"%s\\n\"\n", line
}
END { if (!bad) printf "    \"\";\n" }

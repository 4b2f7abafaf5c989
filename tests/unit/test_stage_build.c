/* Unit tests of src/stage/build.c and elfcheck.c: building stage source in
 * the closed world with the real compiler, hostile sources
 * (tests/stage/src/ and inline ones), and the object checks on objects
 * built here with plain cc.  Independent readers: nm -D (binutils) lists
 * an object's dynamic symbols, /etc/passwd is read to prove none of it
 * leaks, a compiler wrapper records the user it ran as; the world's
 * headers are checked against hand-worked values of x86-64 (LP64). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/buf.h"
#include "codecbench/fsutil.h"
#include "codecbench/sandbox.h"
#include "stage/elfcheck.h"
#include "stage/scan.h"

static char tmpdir[64];
static char objpath[128];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cbtest-sbuild.XXXXXX");
    if (!mkdtemp(tmpdir) || chmod(tmpdir, 0755) != 0)
        return -1;
    snprintf(objpath, sizeof(objpath), "%s/stage.so", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *srcdir(void)
{
    const char *s = getenv("CB_SRCDIR");
    return s ? s : "..";
}

static char *slurp(const char *path, size_t *len)
{
    char *out = NULL;
    size_t n = 0;
    CbError err;
    if (cb_file_read(path, 1 << 20, &out, &n, &err) != 0)
        return NULL;
    if (len)
        *len = n;
    return out;
}

static char *slurp_src(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
    char *s = slurp(path, NULL);
    if (!s)
        fail_msg("cannot read %s", path);
    return s;
}

/* Generous limits: the CI machine is slow and shared; a stage of the tests
 * builds in well under a second on an idle one. */
static CbStageBuildOptions opts(void)
{
    CbStageBuildOptions o = {NULL, 120, 120, 0};
    return o;
}

static int build(CbStageKind kind, const char *src, char **diag, CbError *err)
{
    CbStageBuildOptions o = opts();
    unlink(objpath);
    cb_error_clear(err);
    return cb_stage_build(kind, src, strlen(src), objpath, &o, diag, err);
}

/* Every line of diag that is not a source excerpt (those start with a
 * space) is located in stage.c, or is the summary of what was left out. */
static void assert_only_stage_c(const char *diag)
{
    const char *p = diag;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 0 && p[0] != ' ' && strncmp(p, "stage.c:", 8) != 0 &&
            !strstr(p, "not located in stage.c") && strncmp(p, "(diagnostics cut", 16) != 0)
            fail_msg("a diagnostic line not located in stage.c: %.*s", (int)len, p);
        p += len + (nl ? 1 : 0);
    }
}

/* Runs cmd and returns its output (the caller frees). */
static char *run(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        pclose(f);
        return NULL;
    }
    size_t r;
    while ((r = fread(buf + n, 1, cap - 1 - n, f)) > 0)
        n += r;
    buf[n] = '\0';
    pclose(f);
    return buf;
}

static const char *kind_file(CbStageKind k)
{
    return k == CB_STAGE_INTRA ? "intra" : k == CB_STAGE_LOOP_FILTER ? "loop_filter" : "transform";
}

/* nm -D of the object: the kind's functions defined ("T"), and every
 * undefined symbol one of the four a stage may call. */
static void assert_nm(CbStageKind kind)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "nm -D '%s' 2>&1", objpath);
    char *out = run(cmd);
    assert_non_null(out);
    const char *want[2] = {NULL, NULL};
    if (kind == CB_STAGE_INTRA)
        want[0] = "cb_stage_intra";
    else if (kind == CB_STAGE_LOOP_FILTER)
        want[0] = "cb_stage_loop_filter";
    else {
        want[0] = "cb_stage_transform_fwd";
        want[1] = "cb_stage_transform_inv";
    }
    for (int k = 0; k < 2 && want[k]; k++) {
        char line[80];
        snprintf(line, sizeof(line), " T %s\n", want[k]);
        if (!strstr(out, line))
            fail_msg("nm -D lists no defined %s:\n%s", want[k], out);
    }
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        const char *u = strstr(l, " U ");
        if (!u)
            continue;
        const char *name = u + 3;
        if (strcmp(name, "memcpy") && strcmp(name, "memmove") && strcmp(name, "memset") &&
            strcmp(name, "memcmp"))
            fail_msg("nm -D lists the undefined symbol %s", name);
    }
    free(out);
}

static void test_builtin_texts(void **state)
{
    (void)state;
    char *h = slurp_src("include/codecbench/stage.h");
    assert_string_equal(cb_stage_header_text(), h);
    free(h);
    for (CbStageKind k = CB_STAGE_INTRA; k <= CB_STAGE_TRANSFORM; k++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "samples/stages/%s.c", kind_file(k));
        char *s = slurp_src(rel);
        assert_non_null(cb_stage_builtin_source(k));
        assert_string_equal(cb_stage_builtin_source(k), s);
        free(s);
    }
    assert_null(cb_stage_builtin_source(CB_STAGE_NONE));
    assert_null(cb_stage_builtin_source((CbStageKind)9));
}

/* The engine's built-in stages and the tests' own correct ones build,
 * pass the object check, and nm agrees. */
static void test_good_stages(void **state)
{
    (void)state;
    for (int own = 0; own < 3; own++)
        for (CbStageKind k = CB_STAGE_INTRA; k <= CB_STAGE_TRANSFORM; k++) {
            char rel[80];
            if (own == 2 && k != CB_STAGE_INTRA)
                continue;
            /* samples/stages/intra_smooth.c: another correct intra stage. */
            snprintf(rel, sizeof(rel),
                     own == 2 ? "samples/stages/%s_smooth.c"
                     : own    ? "tests/stage/src/%s_ok.c"
                              : "samples/stages/%s.c",
                     kind_file(k));
            char *src = slurp_src(rel);
            char *diag = NULL;
            CbError err;
            int rc = build(k, src, &diag, &err);
            if (rc != 0)
                fail_msg("%s: %s\n%s", rel, err.text, diag ? diag : "");
            assert_non_null(diag);
            assert_only_stage_c(diag);
            struct stat st;
            assert_int_equal(stat(objpath, &st), 0);
            assert_int_equal(st.st_mode & 0777, 0644);
            assert_int_equal(cb_stage_check_object(objpath, k, &err), 0);
            assert_nm(k);
            /* The wrong kind's functions are missing. */
            CbStageKind other = k == CB_STAGE_INTRA ? CB_STAGE_TRANSFORM : CB_STAGE_INTRA;
            assert_int_equal(cb_stage_check_object(objpath, other, &err), CB_ESTAGE);
            assert_non_null(strstr(err.text, "does not define cb_stage_"));
            free(diag);
            free(src);
        }
}

/* The world's headers against hand-worked values of x86-64 Linux (LP64,
 * signed char): the build fails on any _Static_assert that does not hold. */
/* Hand-worked values of x86-64 Linux (LP64, signed char). */
static const char world_values_src[] =
    "#include <limits.h>\n#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n"
    "#include \"codecbench/stage.h\"\n"
    "_Static_assert(INT8_MIN == -128 && INT8_MAX == 127 && UINT8_MAX == 255, \"8\");\n"
    "_Static_assert(INT16_MIN == -32768 && UINT16_MAX == 65535, \"16\");\n"
    "_Static_assert(INT32_MIN == -2147483647 - 1 && UINT32_MAX == 4294967295u, \"32\");\n"
    "_Static_assert(INT64_MAX == 9223372036854775807 && UINT64_MAX == 18446744073709551615u, "
    "\"64\");\n"
    "_Static_assert(SIZE_MAX == 18446744073709551615u && sizeof(size_t) == 8, \"size\");\n"
    "_Static_assert(PTRDIFF_MIN == -9223372036854775807 - 1 && sizeof(intptr_t) == 8, "
    "\"ptr\");\n"
    "_Static_assert(CHAR_BIT == 8 && CHAR_MIN == -128 && UCHAR_MAX == 255, \"char\");\n"
    "_Static_assert(SHRT_MAX == 32767 && USHRT_MAX == 65535, \"short\");\n"
    "_Static_assert(INT_MIN == -2147483647 - 1 && UINT_MAX == 4294967295u, \"int\");\n"
    "_Static_assert(LONG_MAX == 9223372036854775807 && ULLONG_MAX == 18446744073709551615u, "
    "\"long\");\n"
    "_Static_assert(_Generic(INT64_C(1), long: 1, default: 0), \"INT64_C\");\n"
    "_Static_assert(_Generic(UINT32_C(1), unsigned: 1, default: 0) && UINT64_C(1) << 63 != 0, "
    "\"UINT_C\");\n"
    "_Static_assert(_Generic(INT8_C(1), int: 1, default: 0), \"INT8_C\");\n"
    "_Static_assert(_Generic((uint8_t)0, unsigned char: 1, default: 0), \"uint8_t\");\n"
    "_Static_assert(_Generic((int16_t)0, short: 1, default: 0), \"int16_t\");\n"
    "_Static_assert(_Generic((size_t)0, unsigned long: 1, default: 0), \"size_t\");\n"
    "#ifndef __clang__ /* GCC's choice (glibc's too); Clang's is unsigned short */\n"
    "_Static_assert(_Generic((uint_fast16_t)0, unsigned long: 1, default: 0), \"fast16\");\n"
    "#else\n"
    "_Static_assert(_Generic((uint_fast16_t)0, unsigned short: 1, default: 0), \"fast16\");\n"
    "#endif\n"
    "_Static_assert(true == 1 && false == 0 && sizeof(bool) == 1, \"bool\");\n"
    "struct s { char c; int32_t i; };\n"
    "_Static_assert(offsetof(struct s, i) == 4 && _Alignof(max_align_t) == 16, \"offsetof\");\n"
    "int cb_stage_intra(const CbStageIntra *a) { return a == NULL; }\n";

static void test_world_values(void **state)
{
    (void)state;
#if !defined(__x86_64__)
    skip();
#else
    char *diag = NULL;
    CbError err;
    int rc = build(CB_STAGE_INTRA, world_values_src, &diag, &err);
    if (rc != 0)
        fail_msg("%s\n%s", err.text, diag ? diag : "");
    free(diag);
#endif
}

/* The scanners alone, on hand-made text (no compiler): the reason each
 * gives, with the line worked out by hand. */
static void scan_is(int rc, const CbError *err, const char *want)
{
    if (!want) {
        if (rc != 0)
            fail_msg("refused: %s", err->text);
        return;
    }
    if (rc != CB_ESTAGE || !strstr(err->text, want))
        fail_msg("rc %d: \"%s\", not \"%s\"", rc, err->text, want);
}

#define DEPS(t, src, want)                                                                         \
    do {                                                                                           \
        cb_error_clear(&err);                                                                      \
        scan_is(cb_stage_check_deps(t, strlen(t), src, strlen(src), &err), &err, want);            \
    } while (0)
#define TOKENS(t, want)                                                                            \
    do {                                                                                           \
        cb_error_clear(&err);                                                                      \
        scan_is(cb_stage_scan_tokens(t, strlen(t), &err), &err, want);                             \
    } while (0)
#define DIRECTIVES(t, want)                                                                        \
    do {                                                                                           \
        cb_error_clear(&err);                                                                      \
        scan_is(cb_stage_scan_directives(t, strlen(t), &err), &err, want);                         \
    } while (0)

static void test_scanners(void **state)
{
    (void)state;
    CbError err;
    DEPS("stage.o: stage.c ../world/stdint.h \\\n ../world/codecbench/stage.h\n", "", NULL);
    DEPS("stage.o: stage.c ../world/stdint.h.x\n", "", "includes ../world/stdint.h.x");
    DEPS("stage.o: stage.c /etc/pass\\ wd\n", "int x;\n#include \"/etc/pass wd\"\n",
         "stage.c:2: stage.c includes /etc/pass wd, which is outside");
    DEPS("stage.o: stage.c ./stage.c\n", "", "includes ./stage.c");
    DEPS("stage.o stage.c\n", "", "no dependency list");
    DEPS("x: stage.c a\x01"
         "b\n",
         "", "includes a\\x01b");

    TOKENS("# 0 \"stage.c\"\n# 1 \"stage.c\"\nint x;\n__attribute__((__used__)) int y;\n",
           "stage.c:2: the attribute used");
    TOKENS("# 1 \"stage.c\"\nint a = 1asm, b = sizeof L\"asm\" + 'a';\nint assembly;\n", NULL);
    TOKENS("# 1 \"stage.c\"\nint __attribute__ ((aligned(8),\n section(\".x\"))) z;\n",
           "stage.c:2: the attribute section");
    TOKENS("# 5 \"stage.c\"\n\n asm\n", "stage.c:6: asm is not allowed");
    TOKENS("# 1 \"stage.c\"\nint a;\n# 1 \"../world/stdint.h\" 1\nint b;\n# 3 \"stage.c\" 2\n"
           "__asm\n",
           "stage.c:3: __asm is not allowed");
    TOKENS("# 1 \"stage.c\"\n#pragma GCC target(\"sse2\")\n", "stage.c:1: #pragma");
    TOKENS("# 1 \"stage.c\"\nint x;\n  #ident \"x\"\n", "stage.c:2: a directive left");
    /* The attribute's words are refused only inside it. */
    TOKENS("# 1 \"stage.c\"\nint used, target, section, weak;\n", NULL);

    DIRECTIVES("?\?=pragma once\n", "stage.c:1: #pragma");
    DIRECTIVES("int x;\n  %: pragma once\n", "stage.c:2: #pragma");
    DIRECTIVES("\n#pra\\\ngma once\n", "stage.c:2: #pragma");
    DIRECTIVES("#if 0\n#pragma x\n#endif\n", "stage.c:2: #pragma");
    DIRECTIVES("#include_next <x.h>\n", "stage.c:1: #include_next");
    DIRECTIVES("x\n#line 4\n", "stage.c:2: #line");
    DIRECTIVES("#5 \"x\"\n", "stage.c:1: #5 is not allowed");
    DIRECTIVES("\n# \"x\"\n", "stage.c:2: #(a directive without a name)");
    DIRECTIVES("int x = 1;\nint y = _Pragma;\n", "stage.c:2: _Pragma");
    DIRECTIVES("/* #pragma */ int x; // #pragma\n\"#pragma\" '#';\n# /* c */ define X 1\n#\n",
               NULL);
    /* ??/ is a backslash: the line goes on, so this # starts no directive. */
    DIRECTIVES("int x; ?\?/\n#pragma once\n", NULL);
    /* A comment that hides a newline keeps the directive on its line. */
    DIRECTIVES("int x; /* a\nb */ #pragma\n", NULL);
    DIRECTIVES("#if __has_include(<x.h>)\n#endif\n", "stage.c:1: __has_include is not allowed");
    DIRECTIVES("int __has_include_next_x;\n", NULL);
}

/* The world is the compilers', not GCC's: Clang builds the same stages and
 * sees the same values (skipped where there is no clang). */
static void test_clang(void **state)
{
    (void)state;
    char *where = run("command -v clang 2>/dev/null");
    int have = where && where[0] == '/';
    free(where);
    if (!have)
        skip();
    CbStageBuildOptions o = opts();
    o.cc = "clang";
    CbError err;
    char *diag = NULL;
    for (CbStageKind k = CB_STAGE_INTRA; k <= CB_STAGE_TRANSFORM; k++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "samples/stages/%s.c", kind_file(k));
        char *src = slurp_src(rel);
        unlink(objpath);
        int rc = cb_stage_build(k, src, strlen(src), objpath, &o, &diag, &err);
        free(src);
        if (rc != 0)
            fail_msg("clang, %s: %s\n%s", rel, err.text, diag ? diag : "");
        free(diag);
        diag = NULL;
        assert_nm(k);
    }
#if defined(__x86_64__)
    int rc = cb_stage_build(CB_STAGE_INTRA, world_values_src, strlen(world_values_src), objpath, &o,
                            &diag, &err);
    if (rc != 0)
        fail_msg("clang: %s\n%s", err.text, diag ? diag : "");
    free(diag);
    diag = NULL;
#endif
    /* Clang turns float into calls of its runtime: the object check
     * refuses them. */
    char *src = slurp_src("tests/stage/src/float.c");
    rc = cb_stage_build(CB_STAGE_INTRA, src, strlen(src), objpath, &o, &diag, &err);
    free(src);
    free(diag);
    assert_int_equal(rc, CB_ESTAGE);
    assert_true(strstr(err.text, "which a stage may not call") ||
                strstr(err.text, "does not compile"));
}

/* A refusal: the code and that the reason holds each of the words. */
static void refused(CbStageKind kind, const char *src, int code, const char *w1, const char *w2,
                    char **diag_out)
{
    char *diag = NULL;
    CbError err;
    int rc = build(kind, src, &diag, &err);
    if (rc != code)
        fail_msg("rc %d, not %d: %s\n%s", rc, code, err.text, diag ? diag : "");
    if (w1 && !strstr(err.text, w1))
        fail_msg("the reason does not say \"%s\": %s", w1, err.text);
    if (w2 && !strstr(err.text, w2))
        fail_msg("the reason does not say \"%s\": %s", w2, err.text);
    struct stat st;
    assert_int_not_equal(stat(objpath, &st), 0);
    if (diag)
        assert_only_stage_c(diag);
    if (diag_out)
        *diag_out = diag;
    else
        free(diag);
}

static void refused_file(CbStageKind kind, const char *rel, int code, const char *w1,
                         const char *w2)
{
    char *src = slurp_src(rel);
    refused(kind, src, code, w1, w2, NULL);
    free(src);
}

static void test_syntax_error(void **state)
{
    (void)state;
    char *diag = NULL;
    refused(CB_STAGE_INTRA,
            "#include \"codecbench/stage.h\"\nint cb_stage_intra(const CbStageIntra *a)\n{\n    "
            "return a->n +;\n}\n",
            CB_ESTAGE, "does not compile", "stage.c:4:", &diag);
    assert_non_null(diag);
    assert_non_null(strstr(diag, "stage.c:4:"));
    assert_non_null(strstr(diag, "error"));
    free(diag);
}

static void test_etc_passwd(void **state)
{
    (void)state;
    char *diag = NULL;
    CbError err;
    static const char src[] = "#include \"codecbench/stage.h\"\n#include \"/etc/passwd\"\n"
                              "int cb_stage_intra(const CbStageIntra *a) { return 0; }\n";
    refused(CB_STAGE_INTRA, src, CB_ESTAGE, "/etc/passwd", "stage.c:2", &diag);
    /* Again to have err: no line of the file in the reason or the diagnostics. */
    int rc = build(CB_STAGE_INTRA, src, NULL, &err);
    assert_int_equal(rc, CB_ESTAGE);
    assert_non_null(strstr(err.text, "outside the stage world"));
    char *pw = slurp("/etc/passwd", NULL);
    assert_non_null(pw);
    char *save = NULL;
    for (char *l = strtok_r(pw, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strlen(l) < 4)
            continue;
        assert_null(strstr(err.text, l));
        if (diag)
            assert_null(strstr(diag, l));
    }
    free(pw);
    free(diag);
    /* A source that fails to preprocess after reading the file still says
     * only that it reached outside. */
    refused(CB_STAGE_INTRA,
            "#include \"/etc/passwd\"\n#if 1\n#error x\n#endif\n#include <nothere.h>\n", CB_ESTAGE,
            "/etc/passwd", "outside the stage world", &diag);
    assert_true(diag == NULL || strstr(diag, "#error") == NULL);
    free(diag);
}

/* Files the compiler cannot read or that never end: refused, with the
 * line, and nothing of what the compiler said (it may quote a macro some
 * other file defined). */
static void test_special_includes(void **state)
{
    (void)state;
    struct stat st;
    /* /etc/shadow is 0640 root:shadow on Debian: nobody cannot read it. */
    if (stat("/etc/shadow", &st) == 0 && !(st.st_mode & S_IROTH) &&
        (geteuid() == 0 || access("/etc/shadow", R_OK) != 0))
        refused(CB_STAGE_INTRA, "#include <stdint.h>\n#include \"/etc/shadow\"\n", CB_ESTAGE,
                "stage.c:2: the stage does not preprocess: a file it includes there cannot be read",
                NULL, NULL);
    /* The compiler has no controlling terminal (its own session). */
    refused(CB_STAGE_INTRA, "\n#include \"/dev/tty\"\n", CB_ESTAGE, "stage.c:2:", NULL, NULL);
    /* /dev/zero never ends: the memory limit (256 MiB here) stops it. */
    CbStageBuildOptions o = opts();
    o.memory_mib = 256;
    CbError err;
    char *diag = NULL;
    static const char zero[] = "#include \"/dev/zero\"\n";
    int rc = cb_stage_build(CB_STAGE_INTRA, zero, strlen(zero), objpath, &o, &diag, &err);
    assert_int_equal(rc, CB_ESTAGE);
    if (!strstr(err.text, "memory (256 MiB)"))
        fail_msg("%s", err.text);
    free(diag);
}

static void test_stdio(void **state)
{
    (void)state;
    refused(CB_STAGE_INTRA, "#include <stdint.h>\n#include <stdio.h>\nint x;\n", CB_ESTAGE,
            "stage.c:2", "stdio.h", NULL);
}

static void test_asm(void **state)
{
    (void)state;
    refused_file(CB_STAGE_INTRA, "tests/stage/src/asm.c", CB_ESTAGE, "stage.c:9: asm", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/asm_underscores.c", CB_ESTAGE,
                 "stage.c:7: __asm__ is not allowed", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/asm_pasted.c", CB_ESTAGE,
                 "stage.c:10: asm is not allowed", NULL);
    /* Words that only contain it are fine. */
    char *diag = NULL;
    CbError err;
    int rc = build(CB_STAGE_LOOP_FILTER,
                   "#include \"codecbench/stage.h\"\nstatic int assembly = 1, basm = 2;\n"
                   "int cb_stage_loop_filter(const CbStageFilter *a)\n"
                   "{ (void)a; return assembly + basm - 3 + 1asm_is_a_number; }\n",
                   &diag, &err);
    /* 1asm_is_a_number is one pp-number: the compiler rejects it, not the scan. */
    assert_int_equal(rc, CB_ESTAGE);
    assert_non_null(strstr(err.text, "does not compile"));
    free(diag);
    rc = build(CB_STAGE_LOOP_FILTER,
               "#include \"codecbench/stage.h\"\nstatic const char *s = \"asm\";\n"
               "static int assembly = 1;\n"
               "int cb_stage_loop_filter(const CbStageFilter *a)\n"
               "{ (void)a; return (s[0] != 'a') + assembly - 1; }\n",
               &diag, &err);
    if (rc != 0)
        fail_msg("%s\n%s", err.text, diag ? diag : "");
    free(diag);
}

static void test_attributes(void **state)
{
    (void)state;
    refused_file(CB_STAGE_INTRA, "tests/stage/src/constructor.c", CB_ESTAGE,
                 "stage.c:6: the attribute constructor", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/constructor_underscores.c", CB_ESTAGE,
                 "stage.c:5: the attribute constructor", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/destructor.c", CB_ESTAGE,
                 "the attribute destructor", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/section.c", CB_ESTAGE,
                 "stage.c:5: the attribute section", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/section_underscores.c", CB_ESTAGE,
                 "the attribute section", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/target.c", CB_ESTAGE, "the attribute target",
                 NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/optimize.c", CB_ESTAGE, "the attribute optimize",
                 NULL);
    /* A harmless attribute is fine. */
    char *diag = NULL;
    CbError err;
    int rc =
        build(CB_STAGE_LOOP_FILTER,
              "#include \"codecbench/stage.h\"\n"
              "static __attribute__((noinline, aligned(16))) int used_rows(int h) { return h; }\n"
              "int cb_stage_loop_filter(const CbStageFilter *a)\n"
              "{ return used_rows(a->height) - a->height; }\n",
              &diag, &err);
    if (rc != 0)
        fail_msg("%s\n%s", err.text, diag ? diag : "");
    free(diag);
}

static void test_pragmas(void **state)
{
    (void)state;
    refused_file(CB_STAGE_INTRA, "tests/stage/src/pragma.c", CB_ESTAGE,
                 "stage.c:4: #pragma is not allowed", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/pragma_operator.c", CB_ESTAGE,
                 "stage.c:5: _Pragma is not allowed", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/pragma_pasted.c", CB_ESTAGE,
                 "stage.c:7: #pragma is not allowed", NULL);
    refused_file(CB_STAGE_INTRA, "tests/stage/src/pragma_hidden.c", CB_ESTAGE,
                 "stage.c:6: #pragma is not allowed", NULL);
    refused(CB_STAGE_INTRA, "#include \"codecbench/stage.h\"\n\n%:pragma once\n", CB_ESTAGE,
            "stage.c:3: #pragma", NULL, NULL);
    refused(CB_STAGE_INTRA, "/* x */\n#pra\\\ngma once\n", CB_ESTAGE, "stage.c:2: #pragma", NULL,
            NULL);
    refused(CB_STAGE_INTRA, "int x;\n# /* c */ line 7 \"x.c\"\n", CB_ESTAGE,
            "stage.c:2: #line is not allowed", NULL, NULL);
    refused(CB_STAGE_INTRA, "int x;\n#ident \"x\"\n", CB_ESTAGE, "stage.c:2: #ident", NULL, NULL);
    refused(CB_STAGE_INTRA, "int x;\n\n#if __has_include(\"/etc/passwd\")\n#endif\n", CB_ESTAGE,
            "stage.c:3: __has_include is not allowed", NULL, NULL);
    /* Not directives: # inside a macro body, a string, a comment. */
    char *diag = NULL;
    CbError err;
    int rc =
        build(CB_STAGE_LOOP_FILTER,
              "#include \"codecbench/stage.h\"\n#define S(x) #x\n"
              "static const char *p = \"#pragma\" S(pragma); /* #pragma */\n"
              "// #pragma\n#\n"
              "int cb_stage_loop_filter(const CbStageFilter *a) { (void)a; return p[0] != '#'; }\n",
              &diag, &err);
    if (rc != 0)
        fail_msg("%s\n%s", err.text, diag ? diag : "");
    free(diag);
}

static void test_float(void **state)
{
    (void)state;
    refused_file(CB_STAGE_INTRA, "tests/stage/src/float.c", CB_ESTAGE, "does not compile", "SSE");
    /* long double is x87: off too. */
    refused(CB_STAGE_INTRA,
            "#include \"codecbench/stage.h\"\nint cb_stage_intra(const CbStageIntra *a)\n"
            "{\n    long double g = (long double)a->corner / 3;\n    a->dst[0] = (uint8_t)(int)g;\n"
            "    return 0;\n}\n",
            CB_ESTAGE, "does not compile: stage.c:", "x87", NULL);
}

static void test_missing_function(void **state)
{
    (void)state;
    refused(CB_STAGE_TRANSFORM,
            "#include \"codecbench/stage.h\"\n"
            "int cb_stage_transform_fwd(const CbStageXform *a) { (void)a; return 0; }\n",
            CB_ESTAGE, "does not define cb_stage_transform_inv", NULL, NULL);
    /* Static: not a global function. */
    refused(CB_STAGE_LOOP_FILTER,
            "#include \"codecbench/stage.h\"\n"
            "static int cb_stage_loop_filter_(const CbStageFilter *a) { (void)a; return 0; }\n"
            "int (*keep)(const CbStageFilter *) = cb_stage_loop_filter_;\n",
            CB_ESTAGE, "does not define cb_stage_loop_filter", NULL, NULL);
}

static void test_undeclared_call(void **state)
{
    (void)state;
    refused_file(CB_STAGE_INTRA, "tests/stage/src/system.c", CB_ESTAGE, "needs system",
                 "may not call");
}

/* A test-only compiler: records its user and environment, then runs cc. */
static void make_wrapper(char *path, size_t sz, char *log, size_t logsz)
{
    snprintf(path, sz, "%s/cc-wrapper", tmpdir);
    snprintf(log, logsz, "%s/cc-log", tmpdir);
    const char *cc = getenv("CC");
    if (!cc || !*cc || strchr(cc, ' '))
        cc = "cc";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "#!/bin/sh\necho \"uid=$(id -u) gid=$(id -g) home=${HOME-unset} "
            "lc=${LC_ALL-unset} tmp=${TMPDIR-unset}\" >> '%s'\nexec %s \"$@\"\n",
            log, cc);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
    f = fopen(log, "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    /* Writable by nobody, whom the compiler runs as under root. */
    assert_int_equal(chmod(log, 0666), 0);
}

static void test_too_big_or_nul(void **state)
{
    (void)state;
    char wrapper[128], log[128];
    make_wrapper(wrapper, sizeof(wrapper), log, sizeof(log));
    CbStageBuildOptions o = opts();
    o.cc = wrapper;
    size_t n = CB_STAGE_SOURCE_MAX + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    CbError err;
    char *diag = NULL;
    assert_int_equal(cb_stage_build(CB_STAGE_INTRA, big, n, objpath, &o, &diag, &err), CB_ESTAGE);
    assert_non_null(strstr(err.text, "32769 bytes"));
    assert_null(diag);
    memcpy(big, "int x;\0int y;", 13);
    assert_int_equal(cb_stage_build(CB_STAGE_INTRA, big, 13, objpath, &o, &diag, &err), CB_ESTAGE);
    assert_non_null(strstr(err.text, "NUL byte (at offset 6)"));
    free(big);
    size_t len = 99;
    char *l = slurp(log, &len);
    assert_non_null(l);
    assert_int_equal(len, 0); /* no compiler ran */
    free(l);
}

static void test_runs_as_nobody(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char wrapper[128], log[128];
    make_wrapper(wrapper, sizeof(wrapper), log, sizeof(log));
    CbStageBuildOptions o = opts();
    o.cc = wrapper;
    char *src = slurp_src("tests/stage/src/intra_ok.c");
    CbError err;
    char *diag = NULL;
    int rc = cb_stage_build(CB_STAGE_INTRA, src, strlen(src), objpath, &o, &diag, &err);
    if (rc != 0)
        fail_msg("%s\n%s", err.text, diag ? diag : "");
    free(diag);
    free(src);
    char *l = slurp(log, NULL);
    assert_non_null(l);
    /* Three compiler runs: the dependency list, -E, the compile. */
    int lines = 0;
    char *save = NULL;
    for (char *t = strtok_r(l, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
        lines++;
        if (strncmp(t, "uid=65534 gid=65534 home=unset lc=C tmp=/", 41) != 0)
            fail_msg("the compiler ran as or with: %s", t);
        assert_non_null(strstr(t, "/out"));
    }
    assert_int_equal(lines, 3);
    free(l);
}

static void test_compiler_missing(void **state)
{
    (void)state;
    CbStageBuildOptions o = opts();
    o.cc = "/nonexistent/cc";
    CbError err;
    assert_int_equal(cb_stage_build(CB_STAGE_INTRA, "int x;", 6, objpath, &o, NULL, &err),
                     CB_ENOTSUP);
    assert_non_null(strstr(err.text, "/nonexistent/cc"));
    o.cc = "cb-no-such-compiler";
    assert_int_equal(cb_stage_build(CB_STAGE_INTRA, "int x;", 6, objpath, &o, NULL, &err),
                     CB_ENOTSUP);
    assert_non_null(strstr(err.text, "cb-no-such-compiler"));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 2^40 tokens from a few lines of macros: the compiler must be stopped by
 * a limit.  CPU 5 s and wall 60 s: either ends it (a slow machine may
 * reach the wall first); the bound checked is the wall limit plus 30 s for
 * killing and reaping on a loaded machine, not a speed. */
static void test_exponential(void **state)
{
    (void)state;
    CbStageBuildOptions o = opts();
    o.cpu_s = 5;
    o.timeout_s = 60;
    char *src = slurp_src("tests/stage/src/exponential.c");
    CbError err;
    char *diag = NULL;
    double t0 = now_s();
    int rc = cb_stage_build(CB_STAGE_INTRA, src, strlen(src), objpath, &o, &diag, &err);
    double dt = now_s() - t0;
    free(src);
    free(diag);
    if (rc == CB_ETIMEOUT)
        assert_non_null(strstr(err.text, "did not finish within 60 s"));
    else if (rc == CB_ESTAGE)
        assert_true(strstr(err.text, "CPU time") || strstr(err.text, "passed its limit") ||
                    strstr(err.text, "memory"));
    else
        fail_msg("rc %d: %s", rc, err.text);
    assert_true(dt < 60 + 30);
}

static void test_huge_object(void **state)
{
    (void)state;
    char *src = slurp_src("tests/stage/src/huge_table.c");
    char *diag = NULL;
    refused(CB_STAGE_INTRA, src, CB_ESTAGE, "does not compile", "passed its limit of 32 MiB",
            &diag);
    /* The assembler's and the driver's words are left out, and counted. */
    assert_non_null(diag);
    assert_non_null(strstr(diag, "not located in stage.c were left out\n"));
    free(diag);
    free(src);
}

/* Is the process gone (or a zombie, its kill done)? */
static int gone(long pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* A compiler that hangs, with a child of its own: at the wall-clock limit
 * the build ends with CB_ETIMEOUT and the whole group is killed.  The limit
 * is 10 s so that even a loaded machine has started the script and written
 * its pids before it; the processes are given 30 s to be seen gone: a kill
 * is not instant there either. */
static void test_timeout_kills_group(void **state)
{
    (void)state;
    char wrapper[128], pids[128];
    snprintf(wrapper, sizeof(wrapper), "%s/cc-hang", tmpdir);
    snprintf(pids, sizeof(pids), "%s/cc-pids", tmpdir);
    FILE *f = fopen(wrapper, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\nsleep 1000 &\necho \"$$ $!\" > '%s'\nsleep 1000\n", pids);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(wrapper, 0755), 0);
    f = fopen(pids, "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(pids, 0666), 0);
    CbStageBuildOptions o = opts();
    o.cc = wrapper;
    o.timeout_s = 10;
    CbError err;
    int rc = cb_stage_build(CB_STAGE_INTRA, "int x;\n", 7, objpath, &o, NULL, &err);
    assert_int_equal(rc, CB_ETIMEOUT);
    assert_non_null(strstr(err.text, "did not finish within 10 s"));
    long a = 0, b = 0;
    f = fopen(pids, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &a, &b), 2);
    fclose(f);
    assert_true(a > 1 && b > 1);
    for (int i = 0; i < 300 && !(gone(a) && gone(b)); i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(gone(a));
    assert_true(gone(b));
}

static void test_diagnostics_capped(void **state)
{
    (void)state;
    CbBuf s;
    cb_buf_init(&s, 1 << 20);
    assert_int_equal(cb_buf_puts(&s, "#include \"codecbench/stage.h\"\n"), 0);
    for (int i = 0; i < 200; i++)
        assert_int_equal(cb_buf_printf(&s, "int f%d(int x) { int unused%d; return x; }\n", i, i),
                         0);
    assert_int_equal(
        cb_buf_puts(&s,
                    "int cb_stage_intra(const CbStageIntra *a) { return f0(0) + a->n - a->n; }\n"),
        0);
    char *diag = NULL;
    CbError err;
    int rc = build(CB_STAGE_INTRA, s.data, &diag, &err);
    if (rc != 0)
        fail_msg("%s", err.text);
    assert_non_null(diag);
    size_t n = strlen(diag);
    assert_true(n <= CB_STAGE_DIAG_MAX);
    assert_true(n > CB_STAGE_DIAG_MAX / 2);
    assert_int_equal(diag[n - 1], '\n');
    assert_non_null(strstr(diag, "stage.c:2:"));
    assert_non_null(strstr(diag, "unused0"));
    assert_non_null(strstr(diag, "(diagnostics cut here)"));
    assert_null(strstr(diag, "unused199"));
    assert_only_stage_c(diag);
    free(diag);
    cb_buf_free(&s);
}

/* ---- cb_stage_check_object on objects built with plain cc -------------- */

static const char *plain_cc(void)
{
    const char *cc = getenv("CC");
    return cc && *cc && !strchr(cc, ' ') ? cc : "cc";
}

static void cc_object(const char *src, const char *flags, const char *out)
{
    char cpath[160], cmd[640];
    snprintf(cpath, sizeof(cpath), "%s/plain.c", tmpdir);
    FILE *f = fopen(cpath, "w");
    assert_non_null(f);
    fputs(src, f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd), "%s -shared -fPIC -O2 %s -o '%s' '%s' 2>&1", plain_cc(), flags, out,
             cpath);
    char *o = run(cmd);
    struct stat st;
    if (stat(out, &st) != 0)
        fail_msg("%s: %s", cmd, o ? o : "");
    free(o);
}

static void check_refused(const char *path, int code, const char *w)
{
    CbError err;
    cb_error_clear(&err);
    int rc = cb_stage_check_object(path, CB_STAGE_INTRA, &err);
    if (rc != code || !strstr(err.text, w))
        fail_msg("%s: rc %d (want %d): %s (want \"%s\")", path, rc, code, err.text, w);
}

#define PLAIN_INTRA "int cb_stage_intra(const void *a) { return a == 0; }\n"

static void test_check_object(void **state)
{
    (void)state;
    char p[160];
    CbError err;
    /* The control: the same kind of object, clean. */
    snprintf(p, sizeof(p), "%s/clean.so", tmpdir);
    cc_object(PLAIN_INTRA, "-nostdlib", p);
    if (cb_stage_check_object(p, CB_STAGE_INTRA, &err) != 0)
        fail_msg("%s", err.text);

    snprintf(p, sizeof(p), "%s/ctor.so", tmpdir);
    cc_object(PLAIN_INTRA "int z; __attribute__((constructor)) static void f(void) { z = 1; }\n",
              "-nostdlib", p);
    check_refused(p, CB_ESTAGE, "constructor (DT_INIT_ARRAY)");

    /* Linked as any library is, and calling into libc (ld's --as-needed
     * drops an unused one). */
    snprintf(p, sizeof(p), "%s/libc.so", tmpdir);
    cc_object(
        "int getpid(void);\nint cb_stage_intra(const void *a) { return getpid() + (a == 0); }\n",
        "", p);
    check_refused(p, CB_ESTAGE, "needs the library libc.so.6 (DT_NEEDED)");

    snprintf(p, sizeof(p), "%s/execstack.so", tmpdir);
    cc_object(PLAIN_INTRA, "-nostdlib -Wl,-z,execstack", p);
    check_refused(p, CB_ESTAGE, "executable stack");

    snprintf(p, sizeof(p), "%s/undef.so", tmpdir);
    cc_object(
        "int getpid(void);\nint cb_stage_intra(const void *a) { return getpid() + (a == 0); }\n",
        "-nostdlib", p);
    check_refused(p, CB_ESTAGE, "needs getpid, which a stage may not call");

    snprintf(p, sizeof(p), "%s/ifunc.so", tmpdir);
    cc_object(PLAIN_INTRA "static int g(void) { return 1; }\n"
                          "static void *r(void) { return (void *)g; }\n"
                          "int h(void) __attribute__((ifunc(\"r\")));\n",
              "-nostdlib", p);
    check_refused(p, CB_ESTAGE, "indirect function h");

    /* Not ELF, truncated, empty. */
    snprintf(p, sizeof(p), "%s/text.so", tmpdir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\necho not an object\n", f);
    assert_int_equal(fclose(f), 0);
    check_refused(p, CB_EFORMAT, "not an ELF file");

    snprintf(p, sizeof(p), "%s/clean.so", tmpdir);
    size_t n = 0;
    char *good = slurp(p, &n);
    assert_non_null(good);
    assert_true(n > 512);
    char q[160];
    snprintf(q, sizeof(q), "%s/trunc.so", tmpdir);
    static const size_t cuts[] = {10, 63, 64, 200, 700};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        f = fopen(q, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(good, 1, cuts[i], f), cuts[i]);
        assert_int_equal(fclose(f), 0);
        int rc = cb_stage_check_object(q, CB_STAGE_INTRA, &err);
        if (rc != CB_EFORMAT)
            fail_msg("cut at %zu: rc %d: %s", cuts[i], rc, err.text);
    }
    /* Every byte of the header flipped in turn: refused or accepted, never
     * a crash (the sanitizer build checks the reads). */
    for (size_t i = 0; i < 64; i++) {
        good[i] ^= 0x5a;
        f = fopen(q, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(good, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
        good[i] ^= 0x5a;
        (void)cb_stage_check_object(q, CB_STAGE_INTRA, &err);
    }
    free(good);

    snprintf(p, sizeof(p), "%s/empty.so", tmpdir);
    f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    check_refused(p, CB_EFORMAT, "empty");

    snprintf(p, sizeof(p), "%s/missing.so", tmpdir);
    assert_int_equal(cb_stage_check_object(p, CB_STAGE_INTRA, &err), CB_ENOENT);
    assert_int_equal(cb_stage_check_object("/dev/zero", CB_STAGE_INTRA, &err), CB_EIO);
}

/* Hostile bytes: a built stage's object with bytes changed at random
 * (seeded) anywhere, and cut at random lengths: each is accepted or
 * refused with CB_ESTAGE or CB_EFORMAT, never a crash or another code (the
 * sanitizer build checks every read). */
static void test_check_mutations(void **state)
{
    (void)state;
    char *src = slurp_src("tests/stage/src/transform_ok.c");
    CbError err;
    int rc = build(CB_STAGE_TRANSFORM, src, NULL, &err);
    free(src);
    if (rc != 0)
        fail_msg("%s", err.text);
    size_t n = 0;
    char *good = slurp(objpath, &n);
    assert_non_null(good);
    assert_int_equal(cb_stage_check_elf(good, n, CB_STAGE_TRANSFORM, &err), 0);
    char *m = malloc(n);
    assert_non_null(m);
    uint32_t x = 12345;
    int accepted = 0, refused_n = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(m, good, n);
        int flips = 1 + it % 8;
        for (int f = 0; f < flips; f++) {
            x = x * 1664525u + 1013904223u;
            size_t at = (x >> 8) % n;
            x = x * 1664525u + 1013904223u;
            m[at] = (char)(x >> 24);
        }
        x = x * 1664525u + 1013904223u;
        size_t len = it % 5 == 4 ? (x >> 8) % n : n;
        rc = cb_stage_check_elf(m, len, CB_STAGE_TRANSFORM, &err);
        if (rc != 0 && rc != CB_ESTAGE && rc != CB_EFORMAT)
            fail_msg("mutation %d: rc %d: %s", it, rc, err.text);
        if (rc == 0)
            accepted++;
        else
            refused_n++;
    }
    /* Both outcomes happen: the mutations reach past the checks' surface. */
    assert_true(accepted > 0);
    assert_true(refused_n > 0);
    free(m);
    free(good);
}

int main(void)
{
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_texts),
        cmocka_unit_test(test_good_stages),
        cmocka_unit_test(test_world_values),
        cmocka_unit_test(test_clang),
        cmocka_unit_test(test_scanners),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_etc_passwd),
        cmocka_unit_test(test_special_includes),
        cmocka_unit_test(test_stdio),
        cmocka_unit_test(test_asm),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_pragmas),
        cmocka_unit_test(test_float),
        cmocka_unit_test(test_missing_function),
        cmocka_unit_test(test_undeclared_call),
        cmocka_unit_test(test_too_big_or_nul),
        cmocka_unit_test(test_runs_as_nobody),
        cmocka_unit_test(test_compiler_missing),
        cmocka_unit_test(test_exponential),
        cmocka_unit_test(test_huge_object),
        cmocka_unit_test(test_timeout_kills_group),
        cmocka_unit_test(test_diagnostics_capped),
        cmocka_unit_test(test_check_object),
        cmocka_unit_test(test_check_mutations),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, setup, teardown);
}

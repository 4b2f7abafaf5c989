/* Unit tests of the worker's stage judging helpers (src/worker/stagerun.c)
 * that need no stage host: the hosts' limits from the environment the
 * runner passes (defaults, ranges, junk), a run's stage identity (hash of
 * the recipe's code, the object's path), the object hash against a
 * hand-checked SHA-256 vector, and refusals before any host starts.  The
 * ladder itself runs end to end in tests/cli/stage_runs.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/recipe.h"
#include "codecbench/sandbox.h"
#include "worker/stagerun.h"

static void clear_env(void)
{
    unsetenv("CODECBENCH_STAGE_TIMEOUT");
    unsetenv("CODECBENCH_STAGE_CPU_LIMIT");
    unsetenv("CODECBENCH_STAGE_MEMORY_LIMIT");
}

static void test_limits(void **state)
{
    (void)state;
    CbStageLimits lim;
    clear_env();
    wk_stage_limits(&lim, NULL);
    /* The config's defaults (src/config/defaults.conf). */
    assert_true(lim.wall_s == 120.0);
    assert_int_equal(lim.cpu_s, 600);
    assert_int_equal(lim.data_mib, 4096);
    assert_int_equal(lim.stack_mib, 0);

    setenv("CODECBENCH_STAGE_TIMEOUT", "3", 1);
    setenv("CODECBENCH_STAGE_CPU_LIMIT", "86400", 1);
    setenv("CODECBENCH_STAGE_MEMORY_LIMIT", "64", 1);
    wk_stage_limits(&lim, NULL);
    assert_true(lim.wall_s == 3.0);
    assert_int_equal(lim.cpu_s, 86400);
    assert_int_equal(lim.data_mib, 64);

    /* Out of range, junk, empty: the default, never a zero (which would
     * mean the host's own default) or a wrapped value. */
    const char *bad[] = {"0", "-5", "1048577", "12abc", "", " 7", "1e3", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("CODECBENCH_STAGE_TIMEOUT", bad[i], 1);
        setenv("CODECBENCH_STAGE_CPU_LIMIT", bad[i], 1);
        setenv("CODECBENCH_STAGE_MEMORY_LIMIT", bad[i], 1);
        wk_stage_limits(&lim, NULL);
        if (lim.wall_s != 120.0 || lim.cpu_s != 600 || lim.data_mib != 4096)
            fail_msg("'%s' gave %g s, %d s, %lld MiB", bad[i], lim.wall_s, lim.cpu_s,
                     (long long)lim.data_mib);
    }
    /* Each its own range: a day of seconds, 64 MiB .. 1 TiB. */
    setenv("CODECBENCH_STAGE_TIMEOUT", "86401", 1);
    setenv("CODECBENCH_STAGE_CPU_LIMIT", "86401", 1);
    setenv("CODECBENCH_STAGE_MEMORY_LIMIT", "63", 1);
    wk_stage_limits(&lim, NULL);
    assert_true(lim.wall_s == 120.0);
    assert_int_equal(lim.cpu_s, 600);
    assert_int_equal(lim.data_mib, 4096);
    setenv("CODECBENCH_STAGE_MEMORY_LIMIT", "1048576", 1);
    wk_stage_limits(&lim, NULL);
    assert_int_equal(lim.data_mib, 1048576);
    clear_env();
}

static void test_init(void **state)
{
    (void)state;
    const char *code = "int x;\n";
    const char *fmt = "{\"name\":\"t\",\"codec\":\"engine\",\"stage\":{\"kind\":\"loop_filter\","
                      "\"code\":\"int x;\\n\"}}";
    CbRecipe r;
    CbError err;
    assert_int_equal(cb_recipe_parse(fmt, strlen(fmt), NULL, &r, &err), 0);
    WkStage st;
    assert_int_equal(wk_stage_init(&st, "/runs/000042", &r, NULL, &err), 0);
    assert_int_equal(st.kind, CB_STAGE_LOOP_FILTER);
    assert_string_equal(st.object, "/runs/000042/stage.so");
    /* The stage hash is the SHA-256 of the code bytes: "int x;\n",
     * the value `printf 'int x;\n' | sha256sum` prints. */
    assert_string_equal(st.hash_hex,
                        "7c725f30854a46033dd94f728ac6b08caf10845993cd3ed48e40079cdb0a76a6");
    char hex[65];
    cb_stage_hash_hex(code, strlen(code), hex);
    assert_string_equal(st.hash_hex, hex);
    wk_stage_free(&st);
    assert_null(st.object);
    wk_stage_free(&st);
    wk_stage_free(NULL);
    cb_recipe_free(&r);

    /* A recipe without a stage has nothing to judge. */
    const char *plain = "{\"name\":\"t\",\"codec\":\"engine\"}";
    assert_int_equal(cb_recipe_parse(plain, strlen(plain), NULL, &r, &err), 0);
    assert_int_equal(wk_stage_init(&st, "/runs/1", &r, NULL, &err), CB_EINVAL);
    cb_recipe_free(&r);
}

static void test_file_sha256(void **state)
{
    (void)state;
    char path[] = "/tmp/cbstagerun.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    char hex[65];
    CbError err;
    assert_int_equal(wk_file_sha256(path, hex, &err), 0);
    /* FIPS 180-2, appendix B.1. */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unlink(path);
    assert_true(wk_file_sha256(path, hex, &err) < 0);
}

static void test_check_clip_refusals(void **state)
{
    (void)state;
    WkStage st = {.kind = CB_STAGE_INTRA, .object = (char *)"/nonexistent/stage.so"};
    WkSource src = {.frames = 4, .width = 16, .height = 16, .fps_num = 25, .fps_den = 1};
    CbEngineSettings s;
    cb_engine_settings_default(&s);
    CbError err;
    /* Asked for more frames than the clip, or none: refused before any
     * host starts (the object does not even exist). */
    assert_int_equal(wk_stage_check_clip(&st, &s, &src, 30, 5, &err), CB_EINVAL);
    assert_non_null(strstr(err.text, "5 frames to check, the clip has 4"));
    assert_int_equal(wk_stage_check_clip(&st, &s, &src, 30, 0, &err), CB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_file_sha256),
        cmocka_unit_test(test_check_clip_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

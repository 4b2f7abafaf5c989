/* Unit tests of runner/ below the supervisor loop (which tests/cli/runner.sh
 * drives with real processes): event lines in words, following a growing
 * events file, the worker environment's allow-list, log tails and exit
 * descriptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "codecbench/runner.h"
#include "runner/spawn.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cbtest-runner.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *event(const char *line, int *rc)
{
    static char text[512];
    *rc = cb_event_text(line, strlen(line), text, sizeof(text));
    /* Timestamps are local time: drop "HH:MM:SS " when there is one. */
    if (strlen(text) > 9 && text[2] == ':' && text[5] == ':' && text[8] == ' ')
        return text + 9;
    return text;
}

static void test_event_words(void **state)
{
    (void)state;
    int rc;
    assert_string_equal(event("{\"t\":1,\"event\":\"start\",\"points\":4,\"frames\":30}", &rc),
                        "worker started: 4 rate points, 30 frames");
    assert_int_equal(rc, 0);
    assert_string_equal(event("{\"event\":\"start\",\"points\":1,\"frames\":-1}", &rc),
                        "worker started: 1 rate point, every frame");
    assert_string_equal(
        event("{\"event\":\"clip\",\"clip_id\":\"00d4b87ed04c6e275a\",\"width\":352,\"height\":288,"
              "\"fps\":25.0,\"frames\":30}",
              &rc),
        "clip 352x288 at 25 fps, 30 frames, identity 00d4b87ed04c");
    assert_string_equal(event("{\"event\":\"point\",\"point\":1,\"rate\":32,\"bytes\":10411,"
                              "\"kbps\":412.34,\"encode_fps\":24.06}",
                              &rc),
                        "point 2 (32) encoded: 10411 bytes, 412.3 kbps, 24.1 fps");
    assert_string_equal(event("{\"event\":\"progress\",\"point\":0,\"rate\":27,\"frame\":10,"
                              "\"frames\":30}",
                              &rc),
                        "encoding point 1 (27): frame 10 of 30");
    assert_int_equal(rc, 1); /* a status line, not a log line */
    assert_string_equal(event("{\"event\":\"error\",\"stage\":\"verify\",\"text\":\"bad\"}", &rc),
                        "error in verify: bad");
    assert_string_equal(event("{\"event\":\"log\",\"level\":\"warning\",\"text\":\"w\"}", &rc),
                        "warning: w");
    assert_string_equal(event("{\"event\":\"custom\",\"k\":[1,2]}", &rc), "custom k=[1,2]");
}

static void test_event_hostile(void **state)
{
    (void)state;
    int rc;
    /* ESC and CSI from the data become visible, never raw. */
    const char *t = event("{\"event\":\"log\",\"level\":\"info\",\"text\":\"a\\u001b[31mb\\u009b\"}", &rc);
    assert_null(strchr(t, 0x1b));
    assert_non_null(strstr(t, "a^[[31mb"));
    assert_non_null(strstr(t, "<U+009B>"));
    assert_string_equal(event("not json", &rc), "(not an event) not json");
    assert_string_equal(event("{\"event\":7}", &rc), "(an event without a name) event=7");
    /* Fields of the wrong type are left out, not trusted. */
    assert_string_equal(event("{\"event\":\"point\",\"point\":\"x\",\"bytes\":1e300}", &rc),
                        "point encoded:");
    /* The output is cut to its size, NUL-terminated. */
    char small[8];
    cb_event_text("{\"event\":\"done\"}", 16, small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
    /* Bytes after len are not read: the line need not be NUL-terminated. */
    char line[] = "{\"event\":\"done\"}XXXX";
    char text[64];
    cb_event_text(line, 16, text, sizeof(text));
    assert_non_null(strstr(text, "worker done"));
}

typedef struct Lines {
    int n;
    char last[256];
} Lines;

static void count_line(void *opaque, const char *line, size_t len)
{
    Lines *l = opaque;
    l->n++;
    snprintf(l->last, sizeof(l->last), "%.*s", (int)(len < 200 ? len : 200), line);
}

static void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_follow(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/events.jsonl", tmpdir);
    CbFollow *f = NULL;
    CbError err = { 0 };
    assert_int_equal(cb_follow_open(&f, path, &err), 0);
    assert_true(cb_follow_fd(f) >= 0);
    Lines l = { 0 };
    /* The file need not exist yet. */
    assert_int_equal(cb_follow_read(f, count_line, &l, &err), 0);
    assert_int_equal(l.n, 0);
    append(path, "{\"event\":\"start\"}\n{\"event\":\"cl");
    assert_int_equal(cb_follow_read(f, count_line, &l, &err), 0);
    assert_int_equal(l.n, 1); /* the partial line waits for its newline */
    assert_string_equal(l.last, "{\"event\":\"start\"}");
    append(path, "ip\"}\n");
    assert_int_equal(cb_follow_read(f, count_line, &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.last, "{\"event\":\"clip\"}");
    /* A line over the limit is skipped whole, and said to be. */
    char *big = malloc(CB_EVENT_LINE_MAX + 100);
    assert_non_null(big);
    memset(big, 'a', CB_EVENT_LINE_MAX + 98);
    big[CB_EVENT_LINE_MAX + 98] = '\n';
    big[CB_EVENT_LINE_MAX + 99] = '\0';
    append(path, big);
    free(big);
    append(path, "{\"event\":\"done\"}\n");
    assert_int_equal(cb_follow_read(f, count_line, &l, &err), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.last, "{\"event\":\"done\"}");
    cb_follow_close(&f);
    assert_null(f);
    cb_follow_close(&f); /* NULL is fine */
}

static void test_env_allow_list(void **state)
{
    (void)state;
    assert_true(spawn_env_allowed("PATH=/usr/bin"));
    assert_true(spawn_env_allowed("LANG=C.UTF-8"));
    assert_false(spawn_env_allowed("OPENAI_API_KEY=sk-secret"));
    assert_false(spawn_env_allowed("CODECBENCH_LLM_KEY=x"));
    assert_false(spawn_env_allowed("PATHX=/bin"));
    assert_false(spawn_env_allowed("PAT=/bin"));
    assert_false(spawn_env_allowed("PATH"));
}

static void test_log_tail(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/log.txt", tmpdir);
    assert_null(spawn_log_tail(path, 3, 100)); /* no file */
    append(path, "one\ntwo\n\nthree\nfour\n\n");
    char *t = spawn_log_tail(path, 3, 100);
    assert_non_null(t);
    assert_string_equal(t, "two | three | four");
    free(t);
    t = spawn_log_tail(path, 3, 8); /* bounded: whole lines from the oldest kept that fit */
    assert_non_null(t);
    assert_true(strlen(t) <= 8);
    free(t);
}

static void test_describe_status(void **state)
{
    (void)state;
    char buf[160];
    pid_t p = fork();
    if (p == 0)
        _exit(3);
    int st;
    waitpid(p, &st, 0);
    spawn_describe_status(st, buf, sizeof(buf));
    assert_string_equal(buf, "exited with status 3");
    p = fork();
    if (p == 0) {
        pause();
        _exit(0);
    }
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    spawn_describe_status(st, buf, sizeof(buf));
    assert_string_equal(buf, "killed by SIGKILL (Killed)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_words),
        cmocka_unit_test(test_event_hostile),
        cmocka_unit_test(test_follow),
        cmocka_unit_test(test_env_allow_list),
        cmocka_unit_test(test_log_tail),
        cmocka_unit_test(test_describe_status),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

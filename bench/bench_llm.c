/* codecbench: bench/llm's program: the LLM client's CPU per request and its
 * chunk latency, against tests/llm/server.py's "bench-SIZE-GAP" model, with
 * the curl CLI making the same requests as the reference.
 *
 *   bench_llm BASE_URL DIR REPS SIZE GAP_MS [COALESCE_MS]
 *
 *   BASE_URL  the test server ("http://127.0.0.1:PORT/v1")
 *   DIR       a scratch directory: the server's --stamps file is DIR/stamps,
 *             the request bodies for curl are written there
 *   REPS      requests of each kind (streamed and whole, ours and curl's),
 *             taken in turns so that a change in load falls on all alike
 *   SIZE      bytes of the proposals reply; GAP_MS the server's pause
 *             between streamed pieces
 *   COALESCE_MS the client's read coalescing (cb_llm_set_coalesce; default
 *             0, off; the CLI and the dashboard use CB_LLM_COALESCE_UI_MS)
 *
 * Ours: cb_llm_start + cb_llm_wait until DONE, the process's CPU time
 * (CLOCK_PROCESS_CPUTIME_ID) around it, the delta callback recording the
 * arrival (CLOCK_REALTIME) and content offset of every delta.  The server
 * stamps each piece's send time (CLOCK_REALTIME, same machine) and the
 * offset of its end; a piece's latency is the first delta holding its end
 * minus its send time.  curl's: `curl -sN` (streamed) or `curl -s` (whole)
 * posting the same body, its CPU the child's rusage from wait4 (process
 * start included: what a tool that shells out to curl pays).
 *
 * Prints a table, the ratios and the targets (issue 7: under 5 ms of CPU
 * per request; chunks within a 16.7 ms frame).  Exit status 0 when every
 * measurement was made, 1 when one failed, 2 on a usage error. */
#define _DEFAULT_SOURCE /* wait4, getloadavg */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "codecbench/llm.h"

#define MAX_DELTAS 200000
#define MAX_STAMPS 200000

/* What the delta callback records: the arrival of each delta and the
 * content's length after it. */
typedef struct Deltas {
    long long *ns;
    size_t *end;
    size_t n, total;
    int overflow;
} Deltas;

static long long realtime_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double cpu_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double wall_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double user_ms(const struct rusage *ru)
{
    return ru->ru_utime.tv_sec * 1e3 + ru->ru_utime.tv_usec / 1e3;
}

static double self_user_ms(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return user_ms(&ru);
}

static void on_delta(void *ud, const char *text, size_t len)
{
    (void)text;
    Deltas *d = ud;
    d->total += len;
    if (d->n >= MAX_DELTAS) {
        d->overflow = 1;
        return;
    }
    d->ns[d->n] = realtime_ns();
    d->end[d->n] = d->total;
    d->n++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The value at fraction q of the samples (nearest rank; sorts v). */
static double quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    long k = (long)(q * (double)n + 0.999999) - 1;
    return v[k < 0 ? 0 : (size_t)k >= n ? n - 1 : (size_t)k];
}

/* The prompt: a system message and a user message of the size the LLM
 * proposer sends (the history of a few runs and the schema, some KB). */
static char *make_prompt(void)
{
    size_t cap = 8192, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; len + 200 < cap && i < 40; i++) {
        int w =
            snprintf(s + len, cap - len,
                     "Run %d: recipe {\"codec\": \"engine\", \"settings\": {\"block_size\": %d, "
                     "\"qps\": [22, 27, 32, 37]}}, BD-rate %+.2f%%, %.1f fps.\n",
                     i, 8 << (i % 3), -1.5 * (i % 7), 30.0 + i);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
    return s;
}

/* Reads the last "stamps N END NS ..." line of path into end/ns; returns N
 * or -1. */
static long read_stamps(const char *path, size_t *end, long long *ns, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench_llm: %s: %s\n", path, strerror(errno));
        return -1;
    }
    long n = -1;
    size_t cap = 0;
    char *line = NULL, *last = NULL;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        free(last);
        last = strdup(line);
        if (!last)
            break;
    }
    if (last && strncmp(last, "stamps ", 7) == 0) {
        char *p = last + 7, *q;
        errno = 0;
        long count = strtol(p, &q, 10);
        if (errno == 0 && q != p && count >= 0 && (size_t)count <= max) {
            long i;
            for (i = 0; i < count; i++) {
                p = q;
                unsigned long long e = strtoull(p, &q, 10);
                if (q == p)
                    break;
                p = q;
                long long t = strtoll(p, &q, 10);
                if (q == p)
                    break;
                end[i] = (size_t)e;
                ns[i] = t;
            }
            if (i == count)
                n = count;
        }
    }
    if (n < 0)
        fprintf(stderr, "bench_llm: %s: no complete stamps line\n", path);
    free(line);
    free(last);
    fclose(f);
    return n;
}

/* One request through the client: its CPU and wall milliseconds. */
static int ours(CbLlm *c, const CbLlmEndpoint *ep, const CbLlmRequest *rq, Deltas *d, size_t want,
                double *cpu, double *user, double *wall)
{
    CbError err;
    cb_error_clear(&err);
    CbLlmCall *call = NULL;
    CbLlmCallbacks cb = {.delta = on_delta};
    d->n = 0;
    d->total = 0;
    d->overflow = 0;
    int rc = -1;
    double w0 = wall_ms(), c0 = cpu_ms(), u0 = self_user_ms();
    if (cb_llm_start(c, ep, rq, &cb, d, &call, &err) < 0) {
        fprintf(stderr, "bench_llm: %s\n", err.text);
        goto out;
    }
    while (cb_llm_state(call) == CB_LLM_PENDING) {
        if (cb_llm_wait(c, 1000, &err) < 0) {
            fprintf(stderr, "bench_llm: %s\n", err.text);
            goto out;
        }
    }
    const char *content = NULL;
    size_t len = 0;
    if (cb_llm_result(call, &content, &len, NULL, NULL, &err) < 0) {
        fprintf(stderr, "bench_llm: %s\n", err.text);
        goto out;
    }
    *cpu = cpu_ms() - c0;
    *user = self_user_ms() - u0;
    *wall = wall_ms() - w0;
    if (len < want) {
        fprintf(stderr, "bench_llm: a reply of %zu bytes, not the %zu asked for\n", len, want);
        goto out;
    }
    rc = 0;
out:
    cb_llm_call_free(&call);
    return rc;
}

/* One request by the curl CLI: the child's CPU (user + system) and wall
 * milliseconds. */
static int by_curl(const char *url, const char *body_path, int stream, double *cpu, double *user,
                   double *wall)
{
    char data[4200];
    int w = snprintf(data, sizeof data, "@%s", body_path);
    if (w < 0 || (size_t)w >= sizeof data) {
        fprintf(stderr, "bench_llm: body path too long\n");
        return -1;
    }
    double w0 = wall_ms();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_llm: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(126);
        execlp("curl", "curl", stream ? "-sN" : "-s", "--fail", "-H",
               "Content-Type: application/json", "--data-binary", data, url, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    pid_t got;
    do
        got = wait4(pid, &status, 0, &ru);
    while (got < 0 && errno == EINTR);
    *wall = wall_ms() - w0;
    if (got != pid) {
        fprintf(stderr, "bench_llm: wait4: %s\n", strerror(errno));
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_llm: curl failed (status %d)\n", status);
        return -1;
    }
    *user = user_ms(&ru);
    *cpu = *user + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
    return 0;
}

/* The body the client sends, for curl. */
static int write_body(const char *path, const char *model, const CbLlmMessage *m, size_t nm,
                      int stream)
{
    json_t *msgs = json_array(), *o = NULL;
    int rc = -1;
    if (!msgs)
        goto out;
    for (size_t i = 0; i < nm; i++)
        if (json_array_append_new(
                msgs, json_pack("{s:s, s:s}", "role", m[i].role, "content", m[i].content)) < 0)
            goto out;
    o = stream ? json_pack("{s:s, s:O, s:b, s:{s:b}}", "model", model, "messages", msgs, "stream",
                           1, "stream_options", "include_usage", 1)
               : json_pack("{s:s, s:O}", "model", model, "messages", msgs);
    if (!o || json_dump_file(o, path, JSON_COMPACT) < 0) {
        fprintf(stderr, "bench_llm: cannot write %s\n", path);
        goto out;
    }
    rc = 0;
out:
    json_decref(o);
    json_decref(msgs);
    return rc;
}

static int path_in(char *out, size_t cap, const char *dir, const char *name)
{
    int w = snprintf(out, cap, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= cap) {
        fprintf(stderr, "bench_llm: %s: path too long\n", dir);
        return -1;
    }
    return 0;
}

static long parse_long(const char *s, long lo, long hi)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno || e == s || *e || v < lo || v > hi)
        return -1;
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: bench_llm BASE_URL DIR REPS SIZE GAP_MS [COALESCE_MS]\n");
        return 2;
    }
    const char *base = argv[1], *dir = argv[2];
    long reps = parse_long(argv[3], 1, 10000), size = parse_long(argv[4], 8, 65536);
    long gap = parse_long(argv[5], 0, 1000);
    long co = argc == 7 ? parse_long(argv[6], 0, CB_LLM_COALESCE_MAX_MS) : 0;
    if (reps < 0 || size < 0 || gap < 0 || co < 0) {
        fprintf(stderr, "bench_llm: REPS 1..10000, SIZE 8..65536, GAP_MS 0..1000, COALESCE_MS 0..%d\n",
                CB_LLM_COALESCE_MAX_MS);
        return 2;
    }
    int code = 1;
    CbError err;
    cb_error_clear(&err);
    CbLlm *c = NULL;
    char *prompt = make_prompt();
    Deltas d = {.ns = malloc(MAX_DELTAS * sizeof(long long)),
                .end = malloc(MAX_DELTAS * sizeof(size_t))};
    long long *st_ns = malloc(MAX_STAMPS * sizeof(long long));
    size_t *st_end = malloc(MAX_STAMPS * sizeof(size_t));
    size_t nr = (size_t)reps;
    double *o_s = calloc(nr, sizeof(double)), *o_w = calloc(nr, sizeof(double));
    double *c_s = calloc(nr, sizeof(double)), *c_w = calloc(nr, sizeof(double));
    double *ow_s = calloc(nr, sizeof(double)), *cw_s = calloc(nr, sizeof(double));
    double *u_os = calloc(nr, sizeof(double)), *u_cs = calloc(nr, sizeof(double));
    double *u_ow = calloc(nr, sizeof(double)), *u_cw = calloc(nr, sizeof(double));
    double *lat = malloc(MAX_STAMPS * sizeof(double) * 4);
    size_t nlat = 0, lat_cap = MAX_STAMPS * 4, pieces = 0;
    char model[64], url[1024], stamps[4096], body_s[4096], body_w[4096];
    if (!prompt || !d.ns || !d.end || !st_ns || !st_end || !o_s || !o_w || !c_s || !c_w || !ow_s ||
        !cw_s || !u_os || !u_cs || !u_ow || !u_cw || !lat) {
        fprintf(stderr, "bench_llm: out of memory\n");
        goto out;
    }
    int w1 = snprintf(model, sizeof model, "bench-%ld-%ld", size, gap);
    int w2 = snprintf(url, sizeof url, "%s/chat/completions", base);
    if (w1 < 0 || (size_t)w1 >= sizeof model || w2 < 0 || (size_t)w2 >= sizeof url) {
        fprintf(stderr, "bench_llm: base URL too long\n");
        goto out;
    }
    if (path_in(stamps, sizeof stamps, dir, "stamps") < 0 ||
        path_in(body_s, sizeof body_s, dir, "body-stream.json") < 0 ||
        path_in(body_w, sizeof body_w, dir, "body-whole.json") < 0)
        goto out;
    CbLlmMessage msgs[2] = {
        {"system", "You propose the next experiments of a video-codec study as one JSON object."},
        {"user", prompt},
    };
    CbLlmRequest rq = {.messages = msgs, .n_messages = 2};
    CbLlmEndpoint es = {.base_url = base, .model = model, .temperature = -1, .stream = 1};
    CbLlmEndpoint ew = es;
    ew.stream = 0;
    if (write_body(body_s, model, msgs, 2, 1) < 0 || write_body(body_w, model, msgs, 2, 0) < 0)
        goto out;
    if (cb_llm_new(&c, &err) < 0) {
        fprintf(stderr, "bench_llm: %s\n", err.text);
        goto out;
    }
    cb_llm_set_coalesce(c, (int)co);
    /* The first request of each kind pays curl_global_init, the resolver and
     * the first connection: warm up, as a dashboard that has run before. */
    double cpu, user, wall;
    size_t stream_deltas = 0;
    if (ours(c, &es, &rq, &d, (size_t)size, &cpu, &user, &wall) < 0 ||
        ours(c, &ew, &rq, &d, (size_t)size, &cpu, &user, &wall) < 0)
        goto out;
    for (size_t i = 0; i < nr; i++) {
        if (ours(c, &es, &rq, &d, (size_t)size, &o_s[i], &u_os[i], &o_w[i]) < 0)
            goto out;
        if (d.overflow) {
            fprintf(stderr, "bench_llm: more than %d deltas\n", MAX_DELTAS);
            goto out;
        }
        stream_deltas += d.n;
        long ns = read_stamps(stamps, st_end, st_ns, MAX_STAMPS);
        if (ns < 0)
            goto out;
        pieces = (size_t)ns;
        /* Each piece's end is in the first delta reaching it. */
        size_t k = 0;
        for (long j = 0; j < ns; j++) {
            while (k < d.n && d.end[k] < st_end[j])
                k++;
            if (k == d.n) {
                fprintf(stderr, "bench_llm: piece %ld (offset %zu) never reached the callback\n", j,
                        st_end[j]);
                goto out;
            }
            if (nlat < lat_cap)
                lat[nlat++] = (double)(d.ns[k] - st_ns[j]) / 1e6;
        }
        if (by_curl(url, body_s, 1, &c_s[i], &u_cs[i], &wall) < 0)
            goto out;
        if (ours(c, &ew, &rq, &d, (size_t)size, &ow_s[i], &u_ow[i], &wall) < 0)
            goto out;
        if (by_curl(url, body_w, 0, &cw_s[i], &u_cw[i], &wall) < 0)
            goto out;
    }
    double wall_med = quantile(o_w, nr, 0.5);
    double os_m = quantile(o_s, nr, 0.5), os_p = quantile(o_s, nr, 0.95);
    double cs_m = quantile(c_s, nr, 0.5), cs_p = quantile(c_s, nr, 0.95);
    double ow_m = quantile(ow_s, nr, 0.5), ow_p = quantile(ow_s, nr, 0.95);
    double cw_m = quantile(cw_s, nr, 0.5), cw_p = quantile(cw_s, nr, 0.95);
    double l_m = quantile(lat, nlat, 0.5), l_p = quantile(lat, nlat, 0.95);
    double l_max = nlat ? lat[nlat - 1] : 0;
    double load[1] = {0};
    if (getloadavg(load, 1) < 1)
        load[0] = -1;
    printf("bench/llm: the client's reads coalesced %s%ld ms; a proposals reply of %zu bytes, %zu pieces "
           "%ld ms apart (streamed, %.0f ms wall), prompt %zu bytes; %ld requests of each kind, in turns; "
           "load average %.2f\n",
           co ? "" : "(off) ", co, d.total, pieces, gap, wall_med, strlen(prompt), reps, load[0]);
    printf("\n");
    printf("CPU per request             median ms   p95 ms   user median ms\n");
    printf(
        "codecbench client, streamed %9.3f %8.3f %9.3f   in process (libcurl multi + SSE + JSON)\n",
        os_m, os_p, quantile(u_os, nr, 0.5));
    printf("curl -sN, streamed          %9.3f %8.3f %9.3f   the child's rusage, process start "
           "included\n",
           cs_m, cs_p, quantile(u_cs, nr, 0.5));
    printf("codecbench client, whole    %9.3f %8.3f %9.3f\n", ow_m, ow_p, quantile(u_ow, nr, 0.5));
    printf("curl -s, whole              %9.3f %8.3f %9.3f\n", cw_m, cw_p, quantile(u_cw, nr, 0.5));
    printf("\n");
    printf("ratios (ours / curl's, medians): streamed %.2f, whole %.2f\n",
           cs_m > 0 ? os_m / cs_m : 0, cw_m > 0 ? ow_m / cw_m : 0);
    if (pieces)
        printf("CPU per streamed piece (streamed - whole median, / %zu): ours %.1f us, curl's %.1f "
               "us\n",
               pieces, (os_m - ow_m) * 1e3 / (double)pieces, (cs_m - cw_m) * 1e3 / (double)pieces);
    printf("chunk sent -> delta callback: median %.3f ms, p95 %.3f ms, max %.3f ms (%zu pieces, %.1f deltas "
           "per reply)\n",
           l_m, l_p, l_max, nlat, (double)stream_deltas / (double)nr);
    printf("targets: CPU p95 < 5 ms per request: streamed %s, whole %s; chunk p95 < 16.7 ms: %s\n",
           os_p < 5 ? "PASS" : "FAIL", ow_p < 5 ? "PASS" : "FAIL", l_p < 16.7 ? "PASS" : "FAIL");
    code = 0;
out:
    cb_llm_free(&c);
    free(prompt);
    free(d.ns);
    free(d.end);
    free(st_ns);
    free(st_end);
    free(o_s);
    free(o_w);
    free(c_s);
    free(c_w);
    free(ow_s);
    free(cw_s);
    free(u_os);
    free(u_cs);
    free(u_ow);
    free(u_cw);
    free(lat);
    return code;
}

/* codecbench: CPU time of our PSNR and SSIM over the frames of two Y4M files
 * (benchmark only, driven by bench/metrics).
 *
 *   bench_metrics [--cpu auto|c|sse2|avx2] REF.y4m DIST.y4m
 *
 * Reads both files frame by frame (a minimal 8-bit 4:2:0 Y4M reader, enough
 * for files FFmpeg writes), measures each frame pair with cb_metrics_frame()
 * and, separately, PSNR alone and SSIM alone, timing only the metric calls
 * with CLOCK_PROCESS_CPUTIME_ID.  Prints key=value lines.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecbench/frame.h"
#include "codecbench/metrics.h"

#define Y4M_LINE_MAX 1024

typedef struct Y4m {
    FILE *f;
    const char *path;
    int width, height;
} Y4m;

/* Reads one '\n'-terminated line (without it) into buf; -1 at EOF or when
 * the line is too long. */
static int read_line(FILE *f, char *buf, size_t size)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 >= size)
            return -1;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return (c == EOF && n == 0) ? -1 : 0;
}

static int y4m_open(Y4m *y, const char *path)
{
    char line[Y4M_LINE_MAX];
    memset(y, 0, sizeof *y);
    y->path = path;
    y->f = fopen(path, "rb");
    if (!y->f) {
        fprintf(stderr, "bench_metrics: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (read_line(y->f, line, sizeof line) < 0 || strncmp(line, "YUV4MPEG2 ", 10) != 0) {
        fprintf(stderr, "bench_metrics: %s: not a Y4M file\n", path);
        return -1;
    }
    for (char *tok = strtok(line + 10, " "); tok; tok = strtok(NULL, " ")) {
        if (tok[0] == 'W')
            y->width = (int)strtol(tok + 1, NULL, 10);
        else if (tok[0] == 'H')
            y->height = (int)strtol(tok + 1, NULL, 10);
        else if (tok[0] == 'C' && strncmp(tok, "C420", 4) != 0) {
            fprintf(stderr, "bench_metrics: %s: colour space %s is not 4:2:0\n", path, tok);
            return -1;
        }
    }
    if (y->width < 1 || y->height < 1 || y->width > CB_FRAME_MAX_DIM ||
        y->height > CB_FRAME_MAX_DIM) {
        fprintf(stderr, "bench_metrics: %s: bad size\n", path);
        return -1;
    }
    return 0;
}

/* 1: a frame was read; 0: end of file; -1: error. */
static int y4m_read(Y4m *y, CbFrame *f)
{
    char line[Y4M_LINE_MAX];
    if (read_line(y->f, line, sizeof line) < 0)
        return 0;
    if (strncmp(line, "FRAME", 5) != 0) {
        fprintf(stderr, "bench_metrics: %s: bad frame header\n", y->path);
        return -1;
    }
    for (int p = 0; p < 3; p++) {
        int w = cb_plane_width(y->width, p), h = cb_plane_height(y->height, p);
        for (int r = 0; r < h; r++) {
            if (fread(f->data[p] + r * f->stride[p], 1, (size_t)w, y->f) != (size_t)w) {
                fprintf(stderr, "bench_metrics: %s: truncated frame\n", y->path);
                return -1;
            }
        }
    }
    return 1;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int parse_cpu(const char *s, unsigned *flags)
{
    unsigned have = cb_metrics_cpu_flags();
    if (!strcmp(s, "auto"))
        *flags = have;
    else if (!strcmp(s, "c"))
        *flags = 0;
    else if (!strcmp(s, "sse2"))
        *flags = CB_CPU_SSE2;
    else if (!strcmp(s, "avx2"))
        *flags = CB_CPU_SSE2 | CB_CPU_AVX2;
    else
        return -1;
    if ((*flags & have) != *flags) {
        fprintf(stderr, "bench_metrics: this CPU lacks %s\n", s);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *cpu = "auto";
    int argi = 1;
    if (argc >= 3 && !strcmp(argv[1], "--cpu")) {
        cpu = argv[2];
        argi = 3;
    }
    unsigned flags;
    if (argc - argi != 2 || parse_cpu(cpu, &flags) < 0) {
        fprintf(stderr, "usage: bench_metrics [--cpu auto|c|sse2|avx2] REF.y4m DIST.y4m\n");
        return 2;
    }
    int status = 1;
    Y4m ra, da;
    CbFrame ref = {0}, dist = {0};
    CbMetricsCtx *ctx = NULL;
    void *scratch = NULL;
    if (y4m_open(&ra, argv[argi]) < 0 || y4m_open(&da, argv[argi + 1]) < 0)
        goto done;
    if (ra.width != da.width || ra.height != da.height) {
        fprintf(stderr, "bench_metrics: the files differ in size\n");
        goto done;
    }
    if (cb_frame_alloc(&ref, ra.width, ra.height) < 0 ||
        cb_frame_alloc(&dist, ra.width, ra.height) < 0 ||
        cb_metrics_ctx_new(&ctx, ra.width, ra.height, flags) < 0 ||
        !(scratch = malloc(cb_ssim_scratch_size(ra.width)))) {
        fprintf(stderr, "bench_metrics: out of memory\n");
        goto done;
    }
    CbMetricsDsp dsp;
    cb_metrics_dsp_init(&dsp, flags);
    CbSeqAccum acc;
    cb_seq_accum_init(&acc);
    double t_all = 0, t_psnr = 0, t_ssim = 0;
    volatile double sink = 0; /* keeps the separate passes from being dropped */
    for (;;) {
        int r1 = y4m_read(&ra, &ref), r2 = y4m_read(&da, &dist);
        if (r1 < 0 || r2 < 0)
            goto done;
        if (r1 == 0 || r2 == 0)
            break;
        CbFrameMetrics fm;
        double t0 = cpu_seconds();
        if (cb_metrics_frame(ctx, &ref, &dist, &fm) < 0)
            goto done;
        double t1 = cpu_seconds();
        uint64_t sse = 0;
        for (int p = 0; p < 3; p++)
            sse += cb_plane_sse(&dsp, ref.data[p], ref.stride[p], dist.data[p], dist.stride[p],
                                cb_plane_width(ref.width, p), cb_plane_height(ref.height, p));
        double t2 = cpu_seconds();
        double ssim = 0;
        for (int p = 0; p < 3; p++)
            ssim += cb_plane_ssim(&dsp, ref.data[p], ref.stride[p], dist.data[p],
                                  dist.stride[p], cb_plane_width(ref.width, p),
                                  cb_plane_height(ref.height, p), scratch);
        double t3 = cpu_seconds();
        sink += (double)sse + ssim;
        t_all += t1 - t0;
        t_psnr += t2 - t1;
        t_ssim += t3 - t2;
        cb_seq_accum_add(&acc, &fm);
    }
    (void)sink;
    CbSeqMetrics sm;
    cb_seq_accum_result(&acc, &sm);
    if (sm.frames == 0) {
        fprintf(stderr, "bench_metrics: no frames\n");
        goto done;
    }
    double n = (double)sm.frames;
    printf("frames=%lld width=%d height=%d cpu=%s\n", (long long)sm.frames, ra.width, ra.height,
           cpu);
    printf("ours_psnr_ssim_us_per_frame=%.1f\n", t_all / n * 1e6);
    printf("ours_psnr_us_per_frame=%.1f\n", t_psnr / n * 1e6);
    printf("ours_ssim_us_per_frame=%.1f\n", t_ssim / n * 1e6);
    /* FFmpeg's psnr filter summary gives per plane the PSNR of the mean MSE
     * (our "global"), and its ssim filter the mean of per-frame SSIM. */
    printf("psnr_mean_y=%.6f psnr_mean_u=%.6f psnr_mean_v=%.6f\n", sm.psnr_mean[0],
           sm.psnr_mean[1], sm.psnr_mean[2]);
    printf("psnr_global_y=%.6f psnr_global_u=%.6f psnr_global_v=%.6f\n", sm.psnr_global[0],
           sm.psnr_global[1], sm.psnr_global[2]);
    printf("ssim_mean_y=%.6f ssim_mean_u=%.6f ssim_mean_v=%.6f ssim_mean_all=%.6f\n",
           sm.ssim_mean[0], sm.ssim_mean[1], sm.ssim_mean[2], sm.ssim_all_mean);
    status = 0;
done:
    free(scratch);
    cb_metrics_ctx_free(&ctx);
    cb_frame_free(&ref);
    cb_frame_free(&dist);
    if (ra.f)
        fclose(ra.f);
    if (da.f)
        fclose(da.f);
    return status;
}

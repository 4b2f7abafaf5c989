/* codecbench: bench/preview's in-process half: the frame server's cold
 * decode of one frame, then compose + sixel of that pair side by side at
 * 640x360 each, timed over repetitions (frames already decoded: the path
 * from a key press to the image written).  Writes the composed picture as
 * PNG so that chafa and img2sixel get the same picture.
 *
 *   bench_preview CODECBENCH RUN_DIR RATE FRAME REPS OUT.png
 *
 * Prints "key value" lines for bench/preview. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecbench/media.h"
#include "codecbench/preview.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The value at fraction q of the sorted samples (nearest rank). */
static double quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int k = (int)(q * n + 0.999999) - 1;
    return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: bench_preview CODECBENCH RUN_DIR RATE FRAME REPS OUT.png\n");
        return 2;
    }
    int rate = (int)strtol(argv[3], NULL, 10), frame = (int)strtol(argv[4], NULL, 10);
    int reps = (int)strtol(argv[5], NULL, 10);
    if (reps < 1 || reps > 10000 || frame < 0) {
        fprintf(stderr, "bench_preview: bad FRAME or REPS\n");
        return 2;
    }
    CbError err;
    cb_error_clear(&err);
    CbFrames *f = NULL;
    CbPreviewImage img = {0};
    CbBuf out;
    cb_buf_init(&out, (size_t)64 << 20);
    double *total = calloc((size_t)reps, sizeof *total);
    double *comp = calloc((size_t)reps, sizeof *comp);
    double *enc = calloc((size_t)reps, sizeof *enc);
    int code = 1;
    if (!total || !comp || !enc) {
        fprintf(stderr, "bench_preview: out of memory\n");
        goto out;
    }
    CbFramesOptions fo = {.exe = argv[1], .run_dir = argv[2], .rate = rate, .prefetch = -1};
    const CbFramePair *p = NULL;
    double t0 = now_ms();
    if (cb_frames_open(&f, &fo, &err) < 0 || cb_frames_wait(f, frame, 600000, &p, &err) < 0) {
        fprintf(stderr, "bench_preview: %s\n", err.text);
        goto out;
    }
    printf("frame_size %dx%d\n", p->source.width, p->source.height);
    printf("frame_type %c\n", p->type ? p->type : '?');
    printf("decode_cold_ms %.2f\n", p->decode_ms);
    printf("first_frame_wall_ms %.2f\n", now_ms() - t0);
    /* The case: the pair side by side, 640x360 each (with the
     * 4-pixel gap: a 1284x360 picture). */
    CbPreviewLayout l = {.mode = CB_PREVIEW_SIDE, .box_width = 2 * 640 + 4, .box_height = 360};
    size_t bytes = 0;
    for (int i = 0; i < reps; i++) {
        cb_buf_reset(&out);
        double a = now_ms();
        if (cb_preview_compose(&img, p, NULL, &l, &err) < 0) {
            fprintf(stderr, "bench_preview: %s\n", err.text);
            goto out;
        }
        double b = now_ms();
        if (cb_preview_sixel(&out, &img, CB_PREVIEW_SIXEL_FAST, &bytes, &err) < 0) {
            fprintf(stderr, "bench_preview: %s\n", err.text);
            goto out;
        }
        double c = now_ms();
        comp[i] = b - a;
        enc[i] = c - b;
        total[i] = c - a;
        if (i < reps - 1)
            cb_preview_image_free(&img);
    }
    printf("image %dx%d\n", img.width, img.height);
    printf("reps %d\n", reps);
    printf("compose_median_ms %.2f\n", quantile(comp, reps, 0.5));
    printf("sixel_median_ms %.2f\n", quantile(enc, reps, 0.5));
    printf("total_median_ms %.2f\n", quantile(total, reps, 0.5));
    printf("total_p95_ms %.2f\n", quantile(total, reps, 0.95));
    printf("payload_bytes %zu\n", bytes);
    /* Every repetition, for a caller that pools several invocations. */
    printf("samples_ms");
    for (int i = 0; i < reps; i++)
        printf(" %.3f", total[i]);
    printf("\n");
    if (cb_media_write_png(argv[6], img.rgb, img.width, img.height, &err) < 0) {
        fprintf(stderr, "bench_preview: %s\n", err.text);
        goto out;
    }
    code = 0;
out:
    cb_preview_image_free(&img);
    cb_buf_free(&out);
    cb_frames_close(&f);
    free(total);
    free(comp);
    free(enc);
    return code;
}

/* codecbench metrics REF DIST: per-frame and sequence PSNR / SSIM. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/jsonout.h"
#include "cli/measure.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench metrics REF DIST [OPTIONS]\n"
          "\n"
          "Measures every frame of DIST against REF (any videos FFmpeg can read, of\n"
          "one size) and prints per-frame and sequence PSNR and SSIM.\n"
          "\n"
          "Options:\n"
          "  --json          one JSON document on stdout\n"
          "  --summary       sequence figures only, no per-frame rows\n"
          "  --start N       begin at frame N of both (from 0)\n"
          "  --frames N      measure at most N frames\n"
          "  --shortest      measure the common frames when the frame counts differ\n"
          "                  (otherwise that is an error)\n"
          "  -h, --help      this text\n"
          "\n"
          CLI_METRICS_CONVENTIONS,
          out);
}

typedef struct Printer {
    int json;
    int per_frame;
    json_t *frames;  /* JSON rows, when json */
} Printer;

static void print_frame(void *opaque, int64_t n, const CbFrameMetrics *fm)
{
    Printer *p = opaque;
    if (p->json) {
        json_array_append_new(p->frames, cli_json_frame_metrics(n, fm));
        return;
    }
    if (!p->per_frame)
        return;
    printf("%6lld %7.3f %7.3f %7.3f %8.3f  %7.5f %7.5f %7.5f %8.5f\n", (long long)n,
           fm->psnr[0], fm->psnr[1], fm->psnr[2], fm->psnr_yuv, fm->ssim[0], fm->ssim[1],
           fm->ssim[2], fm->ssim_all);
}

static void print_text_summary(const char *ref, const char *dist, const MeasureResult *r)
{
    const CbSeqMetrics *s = &r->seq;
    printf("\nsequence: %lld frames of %dx%d\n", (long long)s->frames, r->width, r->height);
    printf("%-22s %8s %8s %8s %8s\n", "", "Y", "U", "V", "YUV");
    printf("%-22s %8.3f %8.3f %8.3f %8.3f\n", "PSNR, mean of frames", s->psnr_mean[0],
           s->psnr_mean[1], s->psnr_mean[2], s->psnr_yuv_mean);
    printf("%-22s %8.3f %8.3f %8.3f %8.3f\n", "PSNR of mean MSE", s->psnr_global[0],
           s->psnr_global[1], s->psnr_global[2], s->psnr_yuv_global);
    printf("%-22s %8.5f %8.5f %8.5f %8.5f (All)\n", "SSIM, mean of frames", s->ssim_mean[0],
           s->ssim_mean[1], s->ssim_mean[2], s->ssim_all_mean);
    if (s->frames > 0)
        printf("worst frame: %lld (PSNR-Y %.3f dB)\n", (long long)s->psnr_y_min_frame,
               s->psnr_y_min);
    fputs("DIST stream: ", stdout);
    printf("%lld bytes of packets", (long long)r->dist_stream_bytes);
    if (r->dist_file_bytes >= 0)
        printf(" (file %lld bytes)", (long long)r->dist_file_bytes);
    if (r->dist_kbps >= 0)
        printf(", %.2f kbps at %d/%d fps", r->dist_kbps, r->fps_num, r->fps_den);
    fputc('\n', stdout);
    if (r->ref_conversion[0]) {
        fputs("REF converted: ", stdout);
        cli_puts_sanitized(stdout, r->ref_conversion);
        fputc('\n', stdout);
    }
    if (r->dist_conversion[0]) {
        fputs("DIST converted: ", stdout);
        cli_puts_sanitized(stdout, r->dist_conversion);
        fputc('\n', stdout);
    }
    (void)ref;
    (void)dist;
    fputs(CLI_METRICS_CONVENTIONS, stdout);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},      {"summary", no_argument, NULL, 's'},
        {"start", required_argument, NULL, 'S'}, {"frames", required_argument, NULL, 'n'},
        {"shortest", no_argument, NULL, 'x'},  {NULL, 0, NULL, 0},
    };
    MeasureOptions mo = {.start = 0, .max_frames = -1};
    Printer pr = {.json = 0, .per_frame = 1};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': pr.json = 1; break;
        case 's': pr.per_frame = 0; break;
        case 'x': mo.shortest = 1; break;
        case 'S':
        case 'n': {
            long long v = cli_parse_count(optarg);
            if (v < 0)
                return cli_usage(&cb_cmd_metrics, "--%s needs a whole number >= 0, not '%s'",
                                 c == 'S' ? "start" : "frames", optarg);
            if (c == 'S')
                mo.start = v;
            else
                mo.max_frames = v;
            break;
        }
        default:
            return cli_usage(&cb_cmd_metrics, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage(&cb_cmd_metrics, "needs two files, REF and DIST");
    const char *ref = argv[optind], *dist = argv[optind + 1];

    mo.on_frame = print_frame;
    mo.opaque = &pr;
    if (pr.json)
        pr.frames = json_array();
    else if (pr.per_frame)
        printf("%6s %7s %7s %7s %8s  %7s %7s %7s %8s\n", "frame", "PSNR-Y", "PSNR-U", "PSNR-V",
               "PSNR-YUV", "SSIM-Y", "SSIM-U", "SSIM-V", "SSIM-All");

    MeasureResult res;
    CbError err;
    cb_error_clear(&err);
    int rc = measure_videos(ref, dist, &mo, &res, &err);
    if (rc < 0) {
        fflush(stdout);
        json_decref(pr.frames);
        return cli_fail(&err);
    }
    if (res.ref_frames_left || res.dist_frames_left)
        cli_warn("%s has more frames than %s: measured the first %lld",
                 res.ref_frames_left ? ref : dist, res.ref_frames_left ? dist : ref,
                 (long long)res.seq.frames);
    if (pr.json) {
        json_t *doc = cli_json_measurement(ref, dist, &res, pr.frames);
        rc = cli_json_print(doc);
        json_decref(doc);
        return rc;
    }
    print_text_summary(ref, dist, &res);
    return CB_EXIT_OK;
}

const CbCommand cb_cmd_metrics = {
    .name = "metrics",
    .args = "REF DIST [--json] [--summary] [--start N] [--frames N] [--shortest]",
    .summary = "per-frame and sequence PSNR and SSIM of DIST against REF",
    .run = run,
    .help = help,
};

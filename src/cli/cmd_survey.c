/* codecbench survey [DIR]: measures the sample clips and their encodes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/jsonout.h"
#include "cli/measure.h"
#include "codecbench/metrics.h"

/* Survey folders hold a few dozen files; more is not such a folder. */
#define MAX_ENTRIES 4096
#define ANCHOR_CODEC "x264"

static void help(FILE *out)
{
    fputs("Usage: codecbench survey [DIR]\n"
          "\n"
          "Measures the sample clips in DIR (default: samples) and prints, for each\n"
          "source SRC.y4m, a table of its encodes SRC.CODEC.PARAM.EXT (kbps, PSNR,\n"
          "SSIM, all measured on decoded frames), then the BD-rate of each codec\n"
          "against x264 on PSNR-Y, per clip and averaged over the clips.\n"
          "'samples/make-clips --demo DIR' makes such a folder with FFmpeg.\n"
          "\n"
          "Options:\n"
          "  -h, --help  this text\n",
          out);
}

typedef struct Encode {
    char *file;    /* path */
    char *codec;   /* CODEC part of the name */
    char *param;   /* PARAM part of the name */
    MeasureResult res;
} Encode;

typedef struct Names {
    char **v;
    size_t n;
} Names;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(Names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
    ns->v = NULL;
    ns->n = 0;
}

/* The regular names in dir, sorted. */
static int list_dir(const char *dir, Names *out, CbError *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return cb_error_set(err, CB_EIO, "%s: %s", dir, strerror(errno));
    out->v = calloc(MAX_ENTRIES, sizeof *out->v);
    out->n = 0;
    int rc = out->v ? CB_OK : CB_ENOMEM;
    struct dirent *e;
    while (rc == CB_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (out->n == MAX_ENTRIES) {
            rc = cb_error_set(err, CB_ELIMIT, "%s: more than %d files", dir, MAX_ENTRIES);
            break;
        }
        if (!(out->v[out->n++] = strdup(e->d_name)))
            rc = CB_ENOMEM;
    }
    closedir(d);
    if (rc == CB_OK)
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    else if (rc == CB_ENOMEM)
        cb_error_set(err, rc, "%s: out of memory", dir);
    return rc;
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Splits "SRC.CODEC.PARAM.EXT" when SRC is src; fills codec and param. */
static int parse_encode_name(const char *name, const char *src, char **codec, char **param)
{
    size_t ls = strlen(src);
    if (strncmp(name, src, ls) || name[ls] != '.')
        return 0;
    const char *c = name + ls + 1;
    const char *d1 = strchr(c, '.');
    if (!d1)
        return 0;
    const char *d2 = strchr(d1 + 1, '.');
    if (!d2 || strchr(d2 + 1, '.') || d2 == d1 + 1 || d1 == c)
        return 0;
    *codec = strndup(c, (size_t)(d1 - c));
    *param = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
    return *codec && *param ? 1 : -1;
}

static int cmp_encode(const void *a, const void *b)
{
    const Encode *x = a, *y = b;
    int c = strcmp(x->codec, y->codec);
    if (c)
        return c;
    return (x->res.dist_kbps > y->res.dist_kbps) - (x->res.dist_kbps < y->res.dist_kbps);
}

typedef struct CodecBd {
    char *codec; /* owned */
    double sum;
    int clips;
} CodecBd;

/* BD-rate of each codec against the anchor on one clip; adds to totals. */
static void clip_bdrates(const Encode *enc, size_t n, CodecBd *tot, size_t *ntot)
{
    CbRdPoint anchor[CB_BD_MAX_POINTS], test[CB_BD_MAX_POINTS];
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(enc[i].codec, ANCHOR_CODEC) && na < CB_BD_MAX_POINTS)
            anchor[na++] = (CbRdPoint){enc[i].res.dist_kbps, enc[i].res.seq.psnr_mean[0]};
    if (na == 0) {
        printf("  (no %s encodes: no BD-rate)\n", ANCHOR_CODEC);
        return;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i, nt = 0;
        while (j < n && !strcmp(enc[j].codec, enc[i].codec)) {
            if (nt < CB_BD_MAX_POINTS)
                test[nt++] = (CbRdPoint){enc[j].res.dist_kbps, enc[j].res.seq.psnr_mean[0]};
            j++;
        }
        if (strcmp(enc[i].codec, ANCHOR_CODEC)) {
            CbBdResult r;
            CbError err;
            cb_error_clear(&err);
            printf("  BD-rate of %-8s vs %s (PSNR-Y): ", enc[i].codec, ANCHOR_CODEC);
            if (cb_bd_compute(anchor, na, test, nt, &r, &err) < 0) {
                fputs("not computed: ", stdout);
                cli_puts_sanitized(stdout, err.text);
                fputc('\n', stdout);
            } else {
                printf("%+7.2f %%  BD-PSNR %+6.3f dB  (overlap %.2f..%.2f dB%s)\n",
                       r.bd_rate_pct, r.bd_psnr_db, r.psnr_lo, r.psnr_hi,
                       r.small_overlap ? ", small" : "");
                size_t k = 0;
                while (k < *ntot && strcmp(tot[k].codec, enc[i].codec))
                    k++;
                if (k == *ntot && k < MAX_ENTRIES && (tot[k].codec = strdup(enc[i].codec))) {
                    tot[k].sum = 0;
                    tot[k].clips = 0;
                    (*ntot)++;
                }
                if (k < *ntot) {
                    tot[k].sum += r.bd_rate_pct;
                    tot[k].clips++;
                }
            }
        }
        i = j;
    }
}

static int run(int argc, char **argv)
{
    if (argc > 2)
        return cli_usage(&cb_cmd_survey, "takes at most one DIR");
    if (argc == 2 && argv[1][0] == '-')
        return cli_usage(&cb_cmd_survey, "unknown option '%s'", argv[1]);
    const char *dir = argc == 2 ? argv[1] : "samples";
    CbError err;
    cb_error_clear(&err);
    Names names = {0};
    if (list_dir(dir, &names, &err) < 0)
        return cli_fail(&err);

    int code = CB_EXIT_OK, sources = 0;
    /* A progress line only where someone watches it. */
    int progress = isatty(STDERR_FILENO);
    Encode *enc = calloc(names.n ? names.n : 1, sizeof *enc);
    CodecBd *tot = calloc(MAX_ENTRIES, sizeof *tot);
    size_t ntot = 0;
    if (!enc || !tot) {
        cli_error("out of memory");
        code = CB_EXIT_FAIL;
        goto out;
    }
    printf("codecbench survey: %s\n", dir);
    fputs("Every number below is measured on frames decoded from the files.\n", stdout);
    for (size_t s = 0; s < names.n; s++) {
        const char *name = names.v[s];
        size_t len = strlen(name);
        if (len < 5 || strcmp(name + len - 4, ".y4m") || memchr(name, '.', len - 4))
            continue;
        char *src = strndup(name, len - 4);
        char *src_path = path_join(dir, name);
        size_t n = 0;
        if (!src || !src_path) {
            free(src);
            free(src_path);
            code = CB_EXIT_FAIL;
            break;
        }
        sources++;
        for (size_t i = 0; i < names.n; i++) {
            char *codec = NULL, *param = NULL;
            int m = parse_encode_name(names.v[i], src, &codec, &param);
            if (m <= 0) {
                free(codec);
                free(param);
                continue;
            }
            Encode *e = &enc[n];
            e->codec = codec;
            e->param = param;
            e->file = path_join(dir, names.v[i]);
            if (progress)
                fprintf(stderr, "\rmeasuring %-50.50s", names.v[i]);
            MeasureOptions mo = {.start = 0, .max_frames = -1};
            if (!e->file || measure_videos(src_path, e->file, &mo, &e->res, &err) < 0) {
                if (progress)
                    fputc('\n', stderr);
                cli_fail(&err);
                free(e->file);
                free(codec);
                free(param);
                code = CB_EXIT_FAIL;
                continue;
            }
            n++;
        }
        if (progress)
            fprintf(stderr, "\r%-60s\r", "");
        qsort(enc, n, sizeof *enc, cmp_encode);
        printf("\n%s.y4m", src);
        if (n)
            printf(": %dx%d, %lld frames at %d/%d fps", enc[0].res.width, enc[0].res.height,
                   (long long)enc[0].res.seq.frames, enc[0].res.fps_num, enc[0].res.fps_den);
        printf("\n  %-8s %-6s %10s %9s %9s %9s\n", "codec", "param", "kbps", "PSNR-Y",
               "PSNR-YUV", "SSIM-All");
        for (size_t i = 0; i < n; i++)
            printf("  %-8s %-6s %10.2f %9.3f %9.3f %9.5f\n", enc[i].codec, enc[i].param,
                   enc[i].res.dist_kbps, enc[i].res.seq.psnr_mean[0],
                   enc[i].res.seq.psnr_yuv_mean, enc[i].res.seq.ssim_all_mean);
        if (n == 0)
            printf("  (no encodes named %s.CODEC.PARAM.EXT)\n", src);
        else
            clip_bdrates(enc, n, tot, &ntot);
        for (size_t i = 0; i < n; i++) {
            free(enc[i].file);
            free(enc[i].codec);
            free(enc[i].param);
        }
        memset(enc, 0, n * sizeof *enc);
        free(src);
        free(src_path);
    }
    if (sources == 0) {
        cli_error("%s has no sources (SRC.y4m); make them with: samples/make-clips --demo %s",
                  dir, dir);
        code = CB_EXIT_FAIL;
        goto out;
    }
    if (ntot) {
        printf("\nMean BD-rate over clips, against %s on PSNR-Y:\n", ANCHOR_CODEC);
        for (size_t k = 0; k < ntot; k++)
            printf("  %-8s %+7.2f %%  (%d clips)\n", tot[k].codec, tot[k].sum / tot[k].clips,
                   tot[k].clips);
    }
    printf("\nkbps: video packet bytes x 8 / duration at the source's frame rate.\n"
           "PSNR-Y and PSNR-YUV: mean of per-frame values; PSNR-YUV = (6Y+U+V)/8.\n"
           "SSIM-All: as FFmpeg's ssim filter. BD-rate: PCHIP in log10(rate) over the\n"
           "overlapping PSNR range (JVET/AOM CTC); negative saves bits against %s.\n",
           ANCHOR_CODEC);
out:
    if (tot)
        for (size_t k = 0; k < ntot; k++)
            free(tot[k].codec);
    free(tot);
    free(enc);
    names_free(&names);
    return code;
}

const CbCommand cb_cmd_survey = {
    .name = "survey",
    .args = "[DIR]",
    .summary = "measure a folder of sources and their encodes (BD-rate per clip)",
    .run = run,
    .help = help,
};

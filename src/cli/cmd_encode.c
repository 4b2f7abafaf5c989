/* codecbench encode: one rate point of the engine on a video file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "worker/cbvfile.h"
#include "cli/cli.h"
#include "codecbench/buf.h"
#include "codecbench/engine.h"
#include "codecbench/media.h"
#include "codecbench/metrics.h"
#include "codecbench/recipe.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench encode [--recipe R.json] [--qp N] [--frames N] IN OUT.cbv\n"
          "\n"
          "Encodes IN (any video FFmpeg can read) with the codecbench engine at one\n"
          "rate point: --qp, or the middle QP of the recipe's list.  OUT.cbv is the\n"
          "engine's elementary stream.  When the encode ends, OUT.cbv is decoded by\n"
          "the engine's decoder in a separate pass, every frame is checked to equal\n"
          "the encoder's reconstruction, and the summary (bytes, kbps, PSNR, SSIM)\n"
          "is measured on those decoded frames against IN.  Speed: the encoder's\n"
          "own time (reading IN, writing and checking OUT not counted) and the\n"
          "decoder's time in the checking pass.\n"
          "\n"
          "Options:\n"
          "  --recipe FILE  the recipe (JSON; see 'codecbench recipe schema'); without\n"
          "                 it, the built-in defaults (samples/recipes/default.json)\n"
          "  --qp N         the rate point's QP (0..51)\n"
          "  --frames N     encode at most N frames\n"
          "  -h, --help     this text\n",
          out);
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct EncodeStats {
    int64_t frames;
    uint64_t klt_bytes;
    double wall, cpu;
    char (*digest)[CB_CLIP_ID_HEX]; /* of each reconstruction, for the check */
    size_t digest_cap;
} EncodeStats;

/* The encoder's own time: it codes in cb_encoder_send() (a GOP at a time);
 * reading the input, writing and checking the stream are not counted. */
static int timed_send(CbEncoder *enc, const CbFrame *f, EncodeStats *st, CbError *err)
{
    double t0 = wall_seconds(), c0 = cpu_seconds();
    int rc = cb_encoder_send(enc, f, err);
    st->wall += wall_seconds() - t0;
    st->cpu += cpu_seconds() - c0;
    return rc;
}

static int write_ready(CbEncoder *enc, CbvWriter *w, EncodeStats *st, int progress,
                       int64_t total, CbError *err)
{
    CbEncodedFrame f;
    while (cb_encoder_receive(enc, &f) == 1) {
        int rc = cbv_writer_packet(w, f.data, f.size, err);
        if (rc < 0)
            return rc;
        if ((size_t)st->frames == st->digest_cap) {
            size_t cap = st->digest_cap ? 2 * st->digest_cap : 64;
            void *p = realloc(st->digest, cap * sizeof *st->digest);
            if (!p)
                return cb_error_set(err, CB_ENOMEM, "out of memory");
            st->digest = p;
            st->digest_cap = cap;
        }
        if ((rc = cb_frame_digest(&f.recon, st->digest[st->frames])) < 0)
            return cb_error_set(err, rc, "frame digest: %s", cb_strerror(rc));
        st->frames++;
        st->klt_bytes += f.klt_bytes;
        if (progress) {
            if (total > 0)
                fprintf(stderr, "\rencoded %lld/%lld frames", (long long)st->frames,
                        (long long)total);
            else
                fprintf(stderr, "\rencoded %lld frames", (long long)st->frames);
        }
    }
    return CB_OK;
}

static int encode(const char *in, const char *out, const CbEngineSettings *s, int qp,
                  int64_t max_frames, EncodeStats *st, CbError *err)
{
    CbMediaReader *r = NULL;
    CbEncoder *enc = NULL;
    CbvWriter w = {0};
    CbFrame f = {0};
    CbMediaOptions mo = {.logger = cli_logger()};
    int progress = isatty(STDERR_FILENO);
    int rc = cb_media_open(&r, in, &mo, err);
    if (rc < 0)
        return rc;
    const CbMediaInfo *info = cb_media_info(r);
    int fn = info->fps_num > 0 ? info->fps_num : 25, fd = info->fps_den > 0 ? info->fps_den : 1;
    if ((rc = cb_encoder_new(&enc, s, qp, info->width, info->height, fn, fd, err)) < 0)
        goto out;
    if ((rc = cbv_writer_open(&w, out, cb_encoder_header(enc), CB_ENGINE_HEADER_BYTES, err)) < 0)
        goto out;
    int64_t total = max_frames >= 0 ? max_frames : info->frame_count;
    for (int64_t n = 0; max_frames < 0 || n < max_frames; n++) {
        rc = cb_media_read(r, &f, err);
        if (rc < 0)
            goto out;
        if (rc == 0)
            break;
        if ((rc = timed_send(enc, &f, st, err)) < 0 ||
            (rc = write_ready(enc, &w, st, progress, total, err)) < 0)
            goto out;
    }
    if ((rc = timed_send(enc, NULL, st, err)) < 0 ||
        (rc = write_ready(enc, &w, st, progress, total, err)) < 0)
        goto out;
    rc = cbv_writer_close(&w, err);
out:
    if (progress)
        fputc('\n', stderr);
    if (w.f)
        cbv_writer_close(&w, NULL);
    if (rc < 0 && w.path)
        unlink(out); /* no half-written stream left behind */
    cb_frame_free(&f);
    cb_encoder_free(&enc);
    cb_media_close(&r);
    return rc;
}

/* Decodes OUT.cbv in its own pass and measures it against IN. */
typedef struct Verified {
    CbSeqMetrics seq;
    uint64_t stream_bytes;
    int fps_num, fps_den;
    double decode_wall;
} Verified;

static int verify(const char *in, const char *cbv, const EncodeStats *st, Verified *v,
                  CbError *err)
{
    CbvReader cr;
    CbDecoder *dec = NULL;
    CbMediaReader *r = NULL;
    CbMetricsCtx *mctx = NULL;
    CbFrame src = {0};
    CbSeqAccum acc;
    cb_seq_accum_init(&acc);
    int rc = cbv_reader_open(&cr, cbv, err);
    if (rc < 0)
        return rc;
    CbMediaOptions mo = {.logger = NULL};
    if ((rc = cb_decoder_new(&dec, cr.header, sizeof cr.header, err)) < 0) {
        cb_error_prefix(err, "%s", cbv);
        goto out;
    }
    const CbStreamInfo *si = cb_decoder_info(dec);
    v->fps_num = si->fps_num;
    v->fps_den = si->fps_den;
    if ((rc = cb_media_open(&r, in, &mo, err)) < 0 ||
        (rc = cb_metrics_ctx_new(&mctx, si->width, si->height, cb_metrics_cpu_flags())) < 0)
        goto out;
    double t = 0;
    for (int64_t n = 0;; n++) {
        size_t len;
        rc = cbv_reader_packet(&cr, &len, err);
        if (rc < 0)
            goto out;
        if (rc == 0) {
            if (n != st->frames)
                rc = cb_error_set(err, CB_EFORMAT, "%s: %lld frames, %lld were encoded", cbv,
                                  (long long)n, (long long)st->frames);
            break;
        }
        CbFrame dframe;
        double t0 = wall_seconds();
        if ((rc = cb_decoder_decode(dec, cr.pkt, len, &dframe, err)) < 0) {
            cb_error_prefix(err, "%s: frame %lld", cbv, (long long)n);
            goto out;
        }
        t += wall_seconds() - t0;
        char hex[CB_CLIP_ID_HEX];
        if (n >= st->frames || (rc = cb_frame_digest(&dframe, hex)) < 0 ||
            strcmp(hex, st->digest[n]) != 0) {
            rc = cb_error_set(err, CB_EMISMATCH,
                              "%s: frame %lld decodes differently from the encoder's "
                              "reconstruction (an engine bug: please report it)",
                              cbv, (long long)n);
            goto out;
        }
        if ((rc = cb_media_read(r, &src, err)) <= 0) {
            if (rc == 0)
                rc = cb_error_set(err, CB_EFORMAT, "%s ended before frame %lld", in, (long long)n);
            goto out;
        }
        CbFrameMetrics fm;
        if ((rc = cb_metrics_frame(mctx, &src, &dframe, &fm)) < 0)
            goto out;
        cb_seq_accum_add(&acc, &fm);
    }
    cb_seq_accum_result(&acc, &v->seq);
    v->stream_bytes = cr.bytes;
    v->decode_wall = t;
    rc = CB_OK;
out:
    cb_frame_free(&src);
    cb_metrics_ctx_free(&mctx);
    cb_media_close(&r);
    cb_decoder_free(&dec);
    cbv_reader_close(&cr);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"recipe", required_argument, NULL, 'r'},
        {"qp", required_argument, NULL, 'q'},
        {"frames", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    const char *recipe = NULL;
    long long qp = -1, frames = -1;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': recipe = optarg; break;
        case 'q':
            qp = cli_parse_count(optarg);
            if (qp < CB_QP_MIN || qp > CB_QP_MAX)
                return cli_usage(&cb_cmd_encode, "--qp needs a whole number 0..51, not '%s'",
                                 optarg);
            break;
        case 'n':
            if (cli_count_arg(&cb_cmd_encode, "--frames", optarg, 1, &frames) != CB_EXIT_OK)
                return CB_EXIT_USAGE;
            break;
        default: return cli_usage(&cb_cmd_encode, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage(&cb_cmd_encode, "needs IN and OUT.cbv");
    const char *in = argv[optind], *out = argv[optind + 1];

    CbError err;
    cb_error_clear(&err);
    CbRecipe r = {0};
    if (recipe) {
        if (cli_load_recipe(recipe, &r, &err) < 0)
            return cli_fail(&err);
        if (r.codec != CB_CODEC_ENGINE) {
            cb_error_set(&err, CB_EINVAL,
                         "%s: a baseline recipe (\"codec\": \"ffmpeg\"); encode runs the engine only",
                         recipe);
            cb_recipe_free(&r);
            return cli_fail(&err);
        }
    } else {
        /* No recipe: the engine's built-in defaults (samples/recipes/default.json). */
        r.name = strdup("default");
        if (!r.name) {
            cli_error("out of memory");
            return CB_EXIT_FAIL;
        }
        cb_engine_settings_default(&r.engine);
    }
    if (qp < 0)
        qp = r.engine.qps[r.engine.n_qps / 2];
    EncodeStats st = {0};
    Verified v = {0};
    int code = CB_EXIT_FAIL;
    if (encode(in, out, &r.engine, (int)qp, frames, &st, &err) < 0 ||
        verify(in, out, &st, &v, &err) < 0) {
        cli_fail(&err);
        goto done;
    }
    double seconds = (double)st.frames * v.fps_den / v.fps_num;
    printf("encoded %lld frames with recipe '", (long long)st.frames);
    cli_puts_sanitized(stdout, r.name);
    printf("' at QP %lld\n", qp);
    printf("stream:   %llu bytes (%.2f kbps; KLT parameter sets about %llu bytes)\n",
           (unsigned long long)v.stream_bytes, (double)v.stream_bytes * 8.0 / seconds / 1000.0,
           (unsigned long long)st.klt_bytes);
    printf("PSNR:     Y %.3f  U %.3f  V %.3f  YUV %.3f dB (mean of frames)\n",
           v.seq.psnr_mean[0], v.seq.psnr_mean[1], v.seq.psnr_mean[2], v.seq.psnr_yuv_mean);
    printf("SSIM:     All %.5f\n", v.seq.ssim_all_mean);
    printf("speed:    encode %.2f fps (%.2f s wall, %.2f s CPU), decode %.1f fps\n",
           st.wall > 0 ? st.frames / st.wall : 0.0, st.wall, st.cpu,
           v.decode_wall > 0 ? st.frames / v.decode_wall : 0.0);
    printf("Measured on frames decoded from the written stream by the engine's decoder.\n");
    code = CB_EXIT_OK;
done:
    free(st.digest);
    cb_recipe_free(&r);
    return code;
}

const CbCommand cb_cmd_encode = {
    .name = "encode",
    .args = "[--recipe R.json] [--qp N] [--frames N] IN OUT.cbv",
    .summary = "encode a video with the codecbench engine at one rate point",
    .run = run,
    .help = help,
};

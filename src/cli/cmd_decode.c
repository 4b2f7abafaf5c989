/* codecbench decode: the engine's decoder on a .cbv stream. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "worker/cbvfile.h"
#include "worker/stagerun.h"
#include "codecbench/fsutil.h"
#include "codecbench/sandbox.h"
#include "codecbench/worker.h"
#include "cli/cli.h"
#include "cli/jsonout.h"
#include "codecbench/engine.h"
#include "codecbench/media.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench decode IN.cbv [OUT.y4m] [--stats] [--json]\n"
          "       codecbench decode IN.cbv [OUT.y4m] --stage RUN_DIR | --stage STAGE.so\n"
          "                         [--stage-source STAGE.c]\n"
          "\n"
          "Decodes a codecbench engine stream, writing the frames to OUT.y4m when it\n"
          "is given.  Any damage to the stream is an error naming the frame.\n"
          "\n"
          "A stream coded with a stage (a run's C code for one engine stage) names the\n"
          "stage's hash in its header and decodes only with that stage: --stage gives\n"
          "it, and the stage then runs in a sandboxed stage host (this process never\n"
          "loads it).  The stage's hash is that of its source, so the source must come\n"
          "with the object: --stage RUN_DIR takes the run directory's stage.so and\n"
          "stage.c together (the way to use it); --stage STAGE.so takes stage.c from\n"
          "the object's directory, or the file --stage-source names.  A source whose\n"
          "SHA-256 is not the stream's stage hash is refused; when the run directory's\n"
          "worker.json records the object's SHA-256, an object that differs is refused\n"
          "too.  Limits of the host: CODECBENCH_STAGE_TIMEOUT, _CPU_LIMIT,\n"
          "_MEMORY_LIMIT (the config's stage.* settings).\n"
          "\n"
          "Options:\n"
          "  --stage RUN_DIR|STAGE.so  decode a stage stream with this stage (above)\n"
          "  --stage-source STAGE.c    the object's source, when it is not beside it\n"
          "  --stats     what a codec engineer looks at first: bits per syntax element\n"
          "              and per frame type, block sizes and modes, intra modes, motion\n"
          "              vector statistics and the most frequent vectors\n"
          "  --json      the statistics as one JSON document (implies --stats)\n"
          "  -h, --help  this text\n",
          out);
}

static const char *const mode_names[6] = {"dc", "vertical", "horizontal", "planar", "diag-down-left", "diag-down-right"};

static void print_stats(const CbDecodeStats *s, const CbStreamInfo *in)
{
    int64_t frames = s->frames[0] + s->frames[1];
    printf("stream: %dx%d, %lld frames (%lld I, %lld P), block size %d%s, %s, %s\n",
           in->width, in->height, (long long)frames, (long long)s->frames[0],
           (long long)s->frames[1], in->block_size, in->partition ? " (split to 8)" : "",
           in->transform == CB_TRANSFORM_KLT ? "KLT" : "DCT",
           in->restoration ? "restoration filter" : "no restoration");
    printf("\nbytes by frame type:\n");
    const char *tn[2] = {"I", "P"};
    for (int t = 0; t < 2; t++)
        if (s->frames[t])
            printf("  %s  %10llu bytes  %9.1f bytes/frame\n", tn[t],
                   (unsigned long long)s->frame_bytes[t],
                   (double)s->frame_bytes[t] / (double)s->frames[t]);
    double total = 0;
    for (int i = 0; i < CB_STATS_CATEGORIES; i++)
        total += s->category_bits[i];
    printf("\nbits by syntax element (information content of the decoded bins):\n");
    for (int i = 0; i < CB_STATS_CATEGORIES; i++)
        printf("  %-12s %12.0f  %5.1f %%\n", cb_decode_stats_category(i), s->category_bits[i],
               total > 0 ? 100.0 * s->category_bits[i] / total : 0.0);
    int64_t blocks = s->blocks[0] + s->blocks[1] + s->blocks[2];
    printf("\ncoding blocks: %lld (16x16: %lld, 8x8: %lld)\n", (long long)blocks,
           (long long)s->blocks16, (long long)s->blocks8);
    const char *bn[3] = {"intra", "inter", "skip"};
    for (int i = 0; i < 3; i++)
        printf("  %-6s %10lld  %5.1f %%\n", bn[i], (long long)s->blocks[i],
               blocks ? 100.0 * (double)s->blocks[i] / (double)blocks : 0.0);
    printf("intra modes:");
    for (int i = 0; i < 6; i++)
        printf(" %s %lld%s", mode_names[i], (long long)s->intra_modes[i], i < 5 ? "," : "\n");
    int64_t moving = s->blocks[1] + s->blocks[2];
    printf("motion: mean |mvx|+|mvy| %.2f pixels over %lld inter and skip blocks\n",
           moving ? s->mv_abs_sum / 4.0 / (double)moving : 0.0, (long long)moving);
    printf("most frequent vectors (quarter-pel):");
    for (int i = 0; i < s->n_mvs && i < 8; i++)
        printf(" (%d,%d) x%lld", s->mvs[i].x, s->mvs[i].y, (long long)s->mvs[i].count);
    printf("\nKLT bases sent: %lld; restoration on in %lld frames (luma), %lld (chroma)\n",
           (long long)s->klt_sets_sent, (long long)s->restoration_on[0],
           (long long)s->restoration_on[1]);
}

static json_t *stats_json(const CbDecodeStats *s, const CbStreamInfo *in)
{
    json_t *cats = json_object();
    for (int i = 0; i < CB_STATS_CATEGORIES; i++)
        json_object_set_new(cats, cb_decode_stats_category(i), json_real(s->category_bits[i]));
    json_t *modes = json_object();
    for (int i = 0; i < 6; i++)
        json_object_set_new(modes, mode_names[i], json_integer(s->intra_modes[i]));
    json_t *mvs = json_array();
    for (int i = 0; i < s->n_mvs; i++)
        json_array_append_new(mvs, json_pack("{s:i, s:i, s:I}", "x", s->mvs[i].x, "y",
                                             s->mvs[i].y, "count", (json_int_t)s->mvs[i].count));
    return json_pack(
        "{s:i, s:i, s:{s:I, s:I}, s:{s:I, s:I}, s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:o, "
        "s:{s:f, s:o, s:I}, s:I, s:[I, I]}",
        "width", in->width, "height", in->height, "frames", "I", (json_int_t)s->frames[0], "P",
        (json_int_t)s->frames[1], "bytes", "I", (json_int_t)s->frame_bytes[0], "P",
        (json_int_t)s->frame_bytes[1], "bits", cats, "blocks", "intra",
        (json_int_t)s->blocks[0], "inter", (json_int_t)s->blocks[1], "skip",
        (json_int_t)s->blocks[2], "size16", (json_int_t)s->blocks16, "size8",
        (json_int_t)s->blocks8, "intra_modes", modes, "motion", "abs_sum_qpel", s->mv_abs_sum,
        "vectors", mvs, "other", (json_int_t)s->mv_other, "klt_bases_sent",
        (json_int_t)s->klt_sets_sent, "restoration_frames", (json_int_t)s->restoration_on[0],
        (json_int_t)s->restoration_on[1]);
}

/* The stage given by --stage (a run directory, or an object with its
 * source beside it or named by --stage-source), checked against the
 * stream's header: the source's SHA-256 must be the header's stage hash,
 * and an object a worker.json beside it describes must be that object. */
static int stage_paths(const char *arg, const char *source_arg, const CbStreamInfo *si,
                       char **object, CbError *err)
{
    struct stat st;
    char *dir = NULL, *src = NULL, *text = NULL, *wpath = NULL;
    json_t *wj = NULL;
    size_t len = 0;
    int rc;
    *object = NULL;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!(dir = strdup(arg)) || !(*object = cb_path_join(arg, "stage.so"))) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto out;
        }
    } else {
        /* The object's directory: "." for a bare name, "/" for one at the root. */
        const char *slash = strrchr(arg, '/');
        size_t dir_len = !slash ? 0 : slash == arg ? 1 : (size_t)(slash - arg);
        if (!(*object = strdup(arg)) || !(dir = dir_len ? strndup(arg, dir_len) : strdup("."))) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto out;
        }
    }
    src = source_arg ? strdup(source_arg) : cb_path_join(dir, "stage.c");
    if (!src) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto out;
    }
    if (si->stage_kind == CB_STAGE_NONE) {
        rc = cb_error_set(err, CB_EINVAL, "--stage: the stream has no stage (it decodes without "
                                          "one)");
        goto out;
    }
    if ((rc = cb_file_read(src, CB_STAGE_SOURCE_MAX, &text, &len, err)) < 0) {
        cb_error_prefix(err, "--stage: the stage's source (%s)",
                        source_arg ? "--stage-source" : "stage.c beside the object");
        goto out;
    }
    uint8_t hash[32];
    char have[65], want[65];
    cb_stage_hash(text, len, hash);
    cb_stage_hash_hex(text, len, have);
    for (int i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", si->stage_hash[i]);
    if (memcmp(hash, si->stage_hash, sizeof hash) != 0) {
        rc = cb_error_set(err, CB_EMISMATCH, "--stage: %s has hash %.16s..., the stream's %s "
                                             "stage is %.16s...: not the stream's stage",
                          src, have, cb_stage_kind_name((int)si->stage_kind), want);
        goto out;
    }
    /* A run directory's worker.json records its object's SHA-256. */
    if (!(wpath = cb_path_join(dir, "worker.json"))) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto out;
    }
    CbError ignore;
    if (cb_json_read_object(wpath, CB_WORKER_JSON_MAX, &wj, &ignore) == 0) {
        const json_t *stj = json_object_get(wj, "stage");
        const char *obj_sha = json_string_value(json_object_get(stj, "object_sha256"));
        const char *hash_hex = json_string_value(json_object_get(stj, "hash"));
        char obj_have[65];
        if (obj_sha && hash_hex && !strcmp(hash_hex, have)) {
            if ((rc = wk_file_sha256(*object, obj_have, err)) < 0)
                goto out;
            if (strcmp(obj_have, obj_sha) != 0) {
                rc = cb_error_set(err, CB_EMISMATCH, "--stage: %s is not the object built from "
                                                     "the stage (%s says SHA-256 %.16s..., it is "
                                                     "%.16s...)",
                                  *object, wpath, obj_sha, obj_have);
                goto out;
            }
        }
    }
    rc = CB_OK;
out:
    if (rc < 0) {
        free(*object);
        *object = NULL;
    }
    json_decref(wj);
    free(wpath);
    free(text);
    free(src);
    free(dir);
    return rc;
}

/* Decodes in through a decoding stage host into w (may be NULL). */
static int decode_with_stage(const char *in, CbvReader *r, const CbStreamInfo *si,
                             const char *object, CbY4mWriter *w, CbError *err)
{
    CbStageHost *h = NULL;
    CbStageLimits lim;
    CbStreamInfo info;
    wk_stage_limits(&lim, NULL);
    int rc = cb_stage_host_start(&h, 1, object, si->stage_kind, si->stage_hash, &lim, err);
    if (rc == CB_OK)
        rc = cb_stage_host_decoder(h, r->header, sizeof r->header, &info, err);
    if (rc < 0) {
        cb_error_prefix(err, "%s: decoding host", in);
        goto out;
    }
    for (int64_t n = 0;; n++) {
        size_t len;
        if ((rc = cbv_reader_packet(r, &len, err)) < 0)
            goto out;
        if (rc == 0)
            break;
        CbFrame f;
        int type;
        if ((rc = cb_stage_host_decode(h, r->pkt, len, &f, &type, err)) < 0) {
            cb_error_prefix(err, "%s: frame %lld", in, (long long)n);
            goto out;
        }
        if (w && (rc = cb_y4m_write(w, &f, err)) < 0)
            goto out;
    }
    rc = CB_OK;
out:
    cb_stage_host_free(&h);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"stats", no_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"stage", required_argument, NULL, 'S'},
        {"stage-source", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    int stats = 0, json = 0, c;
    const char *stage = NULL, *stage_source = NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's')
            stats = 1;
        else if (c == 'j')
            stats = json = 1;
        else if (c == 'S')
            stage = optarg;
        else if (c == 'C')
            stage_source = optarg;
        else
            return cli_usage(&cb_cmd_decode, "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind < 1 || argc - optind > 2)
        return cli_usage(&cb_cmd_decode, "needs IN.cbv and optionally OUT.y4m");
    if (stage_source && !stage)
        return cli_usage(&cb_cmd_decode, "--stage-source goes with --stage STAGE.so");
    if (stage && stats)
        return cli_usage(&cb_cmd_decode, "--stats and --json count the in-process decoder's "
                                         "syntax; a stage stream decodes in a stage host");
    const char *in = argv[optind], *out = argc - optind == 2 ? argv[optind + 1] : NULL;
    char *object = NULL;
    CbError err;
    cb_error_clear(&err);
    CbvReader r;
    CbDecoder *dec = NULL;
    CbY4mWriter *w = NULL;
    int code = CB_EXIT_FAIL;
    if (cbv_reader_open(&r, in, &err) < 0)
        return cli_fail(&err);
    if (cb_decoder_new(&dec, r.header, sizeof r.header, &err) < 0) {
        cb_error_prefix(&err, "%s", in);
        cli_fail(&err);
        goto out;
    }
    const CbStreamInfo *si = cb_decoder_info(dec);
    if (stage && stage_paths(stage, stage_source, si, &object, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (out && cb_y4m_open(&w, out, si->width, si->height, si->fps_num, si->fps_den, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (object) {
        if (decode_with_stage(in, &r, si, object, w, &err) < 0 ||
            (w && cb_y4m_close(&w, &err) < 0)) {
            cli_fail(&err);
            goto out;
        }
        code = CB_EXIT_OK;
        goto out;
    }
    for (int64_t n = 0;; n++) {
        size_t len;
        int rc = cbv_reader_packet(&r, &len, &err);
        if (rc < 0) {
            cli_fail(&err);
            goto out;
        }
        if (rc == 0)
            break;
        CbFrame f;
        if (cb_decoder_decode(dec, r.pkt, len, &f, &err) < 0) {
            cb_error_prefix(&err, "%s: frame %lld", in, (long long)n);
            cli_fail(&err);
            if (si->stage_kind != CB_STAGE_NONE)
                cli_error("a stage stream decodes with --stage RUN_DIR (its stage.so and "
                          "stage.c)");
            goto out;
        }
        if (w && cb_y4m_write(w, &f, &err) < 0) {
            cli_fail(&err);
            goto out;
        }
    }
    if (w && cb_y4m_close(&w, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    code = CB_EXIT_OK;
    if (json) {
        json_t *doc = stats_json(cb_decoder_stats(dec), si);
        code = cli_json_print(doc);
        json_decref(doc);
    } else if (stats) {
        print_stats(cb_decoder_stats(dec), si);
    }
out:
    if (w)
        cb_y4m_close(&w, NULL);
    free(object);
    cb_decoder_free(&dec);
    cbv_reader_close(&r);
    return code;
}

const CbCommand cb_cmd_decode = {
    .name = "decode",
    .args = "IN.cbv [OUT.y4m] [--stats] [--json] [--stage RUN_DIR|STAGE.so [--stage-source STAGE.c]]",
    .summary = "decode a codecbench engine stream (statistics with --stats)",
    .run = run,
    .help = help,
};

/* codecbench decode: the engine's decoder on a .cbv stream. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "worker/cbvfile.h"
#include "cli/cli.h"
#include "cli/jsonout.h"
#include "codecbench/engine.h"
#include "codecbench/media.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench decode IN.cbv [OUT.y4m] [--stats] [--json]\n"
          "\n"
          "Decodes a codecbench engine stream, writing the frames to OUT.y4m when it\n"
          "is given.  Any damage to the stream is an error naming the frame.\n"
          "\n"
          "Options:\n"
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

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"stats", no_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int stats = 0, json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's')
            stats = 1;
        else if (c == 'j')
            stats = json = 1;
        else
            return cli_usage(&cb_cmd_decode, "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind < 1 || argc - optind > 2)
        return cli_usage(&cb_cmd_decode, "needs IN.cbv and optionally OUT.y4m");
    const char *in = argv[optind], *out = argc - optind == 2 ? argv[optind + 1] : NULL;
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
    if (out && cb_y4m_open(&w, out, si->width, si->height, si->fps_num, si->fps_den, &err) < 0) {
        cli_fail(&err);
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
    cb_decoder_free(&dec);
    cbv_reader_close(&r);
    return code;
}

const CbCommand cb_cmd_decode = {
    .name = "decode",
    .args = "IN.cbv [OUT.y4m] [--stats] [--json]",
    .summary = "decode a codecbench engine stream (statistics with --stats)",
    .run = run,
    .help = help,
};

/* codecbench bdrate ANCHOR TEST: Bjontegaard deltas of two RD curves. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/jsonout.h"
#include "codecbench/buf.h"
#include "codecbench/metrics.h"

/* An RD curve file is a few lines of numbers; 1 MiB is far beyond any. */
#define CURVE_FILE_MAX (1u << 20)

static void help(FILE *out)
{
    fputs("Usage: codecbench bdrate ANCHOR TEST [--json]\n"
          "\n"
          "Bjontegaard delta rate and PSNR of TEST against ANCHOR.  Each is a CSV\n"
          "file of 'kbps,psnr' lines in any order (4 to 64 points; blank lines and\n"
          "lines starting with '#' are skipped; a first line that is not numbers is a\n"
          "header).  Each curve's PSNR must rise strictly with its rate.\n"
          "\n"
          "BD-rate: the mean rate difference at equal PSNR, in percent (negative:\n"
          "TEST needs fewer bits).  BD-PSNR: the mean PSNR difference at equal rate,\n"
          "in dB (positive: TEST is better).  Both by piecewise cubic Hermite\n"
          "interpolation (PCHIP) in the log10-rate domain over the range where the\n"
          "curves overlap, integrated exactly (JVET / AOM common test conditions).\n"
          "A warning is printed when the PSNR overlap is under half the shorter\n"
          "curve's range.\n"
          "\n"
          "Options:\n"
          "  --json      one JSON document on stdout\n"
          "  -h, --help  this text\n",
          out);
}

static int load_curve(const char *path, CbRdPoint **pts, size_t *n, CbError *err)
{
    CbBuf b;
    cb_buf_init(&b, CURVE_FILE_MAX);
    int rc = cb_buf_read_file(&b, path, err);
    if (rc == CB_OK)
        rc = cb_rd_parse_csv(b.data, b.len, path, pts, n, err);
    cb_buf_free(&b);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else
            return cli_usage(&cb_cmd_bdrate, "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind != 2)
        return cli_usage(&cb_cmd_bdrate, "needs two files, ANCHOR and TEST");
    const char *anchor_path = argv[optind], *test_path = argv[optind + 1];

    CbError err;
    cb_error_clear(&err);
    CbRdPoint *a = NULL, *t = NULL;
    size_t na = 0, nt = 0;
    int code = CB_EXIT_FAIL;
    CbBdResult r;
    if (load_curve(anchor_path, &a, &na, &err) < 0 || load_curve(test_path, &t, &nt, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (cb_bd_compute(a, na, t, nt, &r, &err) < 0) {
        cb_error_prefix(&err, "ANCHOR %s, TEST %s", anchor_path, test_path);
        cli_fail(&err);
        goto out;
    }
    if (r.small_overlap)
        cli_warn("the curves overlap over %.2f dB only (%.0f%% of the shorter curve's range); "
                 "BD figures extrapolate little but rest on few points",
                 r.psnr_hi - r.psnr_lo, 100.0 * r.overlap_fraction);
    if (json) {
        json_t *doc = json_pack(
            "{s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o}, s:o, s:b, s:s}", "anchor",
            cli_json_str(anchor_path), "test", cli_json_str(test_path), "bd_rate_pct",
            cli_json_num(r.bd_rate_pct), "bd_psnr_db", cli_json_num(r.bd_psnr_db),
            "psnr_overlap_db", "lo", cli_json_num(r.psnr_lo), "hi", cli_json_num(r.psnr_hi),
            "rate_overlap_kbps", "lo", cli_json_num(r.kbps_lo), "hi", cli_json_num(r.kbps_hi),
            "overlap_fraction", cli_json_num(r.overlap_fraction), "small_overlap",
            r.small_overlap, "method",
            "PCHIP (Fritsch-Carlson) in log10(rate), exact integration over the overlap "
            "(JVET/AOM CTC)");
        code = cli_json_print(doc);
        json_decref(doc);
        goto out;
    }
    printf("BD-rate: %+8.3f %%   (TEST vs ANCHOR at equal PSNR, over %.3f..%.3f dB)\n",
           r.bd_rate_pct, r.psnr_lo, r.psnr_hi);
    printf("BD-PSNR: %+8.4f dB  (at equal rate, over %.2f..%.2f kbps)\n", r.bd_psnr_db,
           r.kbps_lo, r.kbps_hi);
    printf("overlap: %.0f%% of the shorter curve's PSNR range\n", 100.0 * r.overlap_fraction);
    printf("method:  PCHIP in log10(rate), integrated exactly over the overlap (JVET/AOM CTC);\n"
           "         PSNR as given in the files (%zu anchor points, %zu test points)\n",
           na, nt);
    code = CB_EXIT_OK;
out:
    free(a);
    free(t);
    return code;
}

const CbCommand cb_cmd_bdrate = {
    .name = "bdrate",
    .args = "ANCHOR TEST [--json]",
    .summary = "BD-rate and BD-PSNR of two rate-distortion curves (CSV: kbps,psnr)",
    .run = run,
    .help = help,
};

/* codecbench stage check|show|embed: a stage (include/codecbench/stage.h)
 * checked locally as a run would judge its first steps, a run's stage
 * source and its diff against the parent's, and a stage put into a recipe.
 *
 * check never loads the stage in this process: the object is built in a
 * private temporary directory (cb_stage_build) and only the sandboxed
 * stage hosts (sandbox.h) call it.  The frame's metrics are measured here,
 * on the picture the decoding host returned. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "codecbench/buf.h"
#include "codecbench/config.h"
#include "codecbench/engine.h"
#include "codecbench/fsutil.h"
#include "codecbench/linediff.h"
#include "codecbench/media.h"
#include "codecbench/metrics.h"
#include "codecbench/recipe.h"
#include "codecbench/sandbox.h"
#include "codecbench/sanitize.h"
#include "codecbench/store.h"

/* The test picture's size (CIF, the size of the sample clips). */
#define TEST_W 352
#define TEST_H 288
/* QP of the checked frame when --qp is not given (the middle of the
 * default recipe's rate points 22..37). */
#define DEFAULT_QP 32
/* Lines of context of `stage show --diff` (diff -u's default). */
#define DIFF_CONTEXT 3
/* Largest diff printed (a stage is at most 32 KiB; its diff against
 * another is at most about twice both). */
#define DIFF_MAX_BYTES (1u << 20)

static void help(FILE *out)
{
    fputs("Usage: codecbench stage check FILE.c [--kind KIND] [--input CLIP [--frame N]]\n"
          "                              [--qp QP] [--dump DIR] [--json]\n"
          "       codecbench stage show RUN [--diff] [--store DIR]\n"
          "       codecbench stage embed RECIPE.json FILE.c [--kind KIND] [-o OUT]\n"
          "\n"
          "A stage is C source for one stage of the engine's decoder path, written\n"
          "against stage.h (ABI 1): an intra predictor (cb_stage_intra), an in-loop\n"
          "filter (cb_stage_loop_filter) or a residual transform pair\n"
          "(cb_stage_transform_fwd and cb_stage_transform_inv).  It is compiled in a\n"
          "closed world and runs only in a sandboxed stage host; see codecbench(1),\n"
          "STAGES.  KIND is intra, loop_filter or transform; without --kind it is the\n"
          "kind whose functions FILE.c defines (exactly one kind, else a usage error).\n"
          "\n"
          "  check   build FILE.c as a run would, then code one frame with it: an\n"
          "          encoding host codes the frame, a fresh decoding host decodes the\n"
          "          packet, and the picture it returns must equal the encoder's\n"
          "          reconstruction (their SHA-256 digests).  Prints the build's\n"
          "          diagnostics, then the frame's bytes and PSNR-Y/U/V (dB, measured\n"
          "          here on the decoding host's picture) with the stage and with the\n"
          "          built-in stages.  Exit 0 when every step passed; 1 when the stage\n"
          "          failed one (the step and the reason: refused, does not compile,\n"
          "          crashed, denied system call, decoder mismatch, ...); 2 usage.\n"
          "    --kind KIND   the stage's kind (see above)\n"
          "    --input CLIP  code frame N of CLIP (any video FFmpeg reads); default: a\n"
          "                  352x288 test picture made in code (luma: a horizontal ramp,\n"
          "                  a vertical ramp, a checkerboard of 8, 4 and 2 pixel cells\n"
          "                  and seeded noise in its four quadrants, with a diagonal\n"
          "                  edge and a disc across them; chroma: ramps)\n"
          "    --frame N     the frame of CLIP, from 0 (default 0)\n"
          "    --qp QP       the frame's QP, 0..51 (default 32)\n"
          "    --dump DIR    also write DIR/source.y4m (the frame coded),\n"
          "                  DIR/stage.y4m (the decoding host's picture) and\n"
          "                  DIR/builtin.y4m (the same frame with the built-in stages)\n"
          "    --json        one JSON document\n"
          "          The hosts' limits are a run's: the settings stage.timeout,\n"
          "          stage.cpu_limit and stage.memory_limit (CODECBENCH_STAGE_TIMEOUT, ...).\n"
          "  show    print run RUN's stage source; exit 1 when the run has none\n"
          "    --diff        its unified diff (diff -u) against the parent run's stage,\n"
          "                  or against the built-in source of its kind when the parent\n"
          "                  has no stage of that kind or the run has no parent\n" CLI_HELP_STORE
          "  embed   print RECIPE.json with the \"stage\" member {\"kind\", \"code\"} set\n"
          "          from FILE.c (replacing any), validated as a recipe\n"
          "    -o OUT        write OUT (atomically) instead of standard output\n"
          "\n"
          "Sources are hostile text: on a terminal, show sanitises control characters\n"
          "(an escape is shown as ^[); into a pipe or file it writes the exact bytes.\n"
          "  -h, --help      this text\n",
          out);
}

/* ---- kinds --------------------------------------------------------------------- */

/* The functions each kind defines (stage.h). */
static const char *const kind_funcs[CB_STAGE_KINDS][2] = {
    [CB_STAGE_INTRA] = {"cb_stage_intra", NULL},
    [CB_STAGE_LOOP_FILTER] = {"cb_stage_loop_filter", NULL},
    [CB_STAGE_TRANSFORM] = {"cb_stage_transform_fwd", "cb_stage_transform_inv"},
};

typedef struct Lex {
    const char *s, *end;
    int bol; /* only white space since the start of the line */
} Lex;

enum { TOK_END = 0, TOK_IDENT, TOK_PUNCT, TOK_OTHER };

/* The next token of C source, skipping comments, literals and preprocessor
 * lines; *tok / *len its text (identifiers and punctuators). */
static int lex_next(Lex *x, const char **tok, size_t *len)
{
    const char *p = x->s, *end = x->end;
    for (;;) {
        while (p < end &&
               (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v' || *p == '\n')) {
            if (*p == '\n')
                x->bol = 1;
            p++;
        }
        if (p >= end) {
            x->s = p;
            return TOK_END;
        }
        if (p + 1 < end && p[0] == '/' && p[1] == '/') {
            while (p < end && *p != '\n')
                p += (*p == '\\' && p + 1 < end) ? 2 : 1;
            continue;
        }
        if (p + 1 < end && p[0] == '/' && p[1] == '*') {
            p += 2;
            while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
                p++;
            p = p + 1 < end ? p + 2 : end;
            continue;
        }
        if (*p == '#' && x->bol) {
            while (p < end && *p != '\n')
                p += (*p == '\\' && p + 1 < end) ? 2 : 1;
            continue;
        }
        break;
    }
    x->bol = 0;
    *tok = p;
    if (*p == '"' || *p == '\'') {
        char q = *p++;
        while (p < end && *p != q && *p != '\n')
            p += (*p == '\\' && p + 1 < end) ? 2 : 1;
        if (p < end && *p == q)
            p++;
        *len = (size_t)(p - *tok);
        x->s = p;
        return TOK_OTHER;
    }
    if (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
        while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= '0' && *p <= '9')))
            p++;
        *len = (size_t)(p - *tok);
        x->s = p;
        return TOK_IDENT;
    }
    *len = 1;
    x->s = p + 1;
    return TOK_PUNCT;
}

/* A bit (1 << kind) for each kind with a function defined in src: the name,
 * a parenthesised parameter list, then a body "{". */
static unsigned defined_kinds(const char *src, size_t n)
{
    Lex x = {src, src + n, 1};
    const char *tok;
    size_t len;
    unsigned found = 0;
    int t;
    while ((t = lex_next(&x, &tok, &len)) != TOK_END) {
        if (t != TOK_IDENT)
            continue;
        int kind = -1;
        for (int k = 1; k < CB_STAGE_KINDS && kind < 0; k++)
            for (int f = 0; f < 2; f++)
                if (kind_funcs[k][f] && strlen(kind_funcs[k][f]) == len &&
                    !memcmp(kind_funcs[k][f], tok, len))
                    kind = k;
        if (kind < 0)
            continue;
        Lex y = x;
        if (lex_next(&y, &tok, &len) != TOK_PUNCT || *tok != '(')
            continue;
        int depth = 1;
        while (depth > 0 && (t = lex_next(&y, &tok, &len)) != TOK_END)
            if (t == TOK_PUNCT)
                depth += *tok == '(' ? 1 : *tok == ')' ? -1 : 0;
        if (depth == 0 && lex_next(&y, &tok, &len) == TOK_PUNCT && *tok == '{')
            found |= 1u << kind;
    }
    return found;
}

/* The kind of a stage file: --kind when given, else the one kind it
 * defines.  CB_EXIT_OK, or CB_EXIT_USAGE after saying why. */
static int stage_kind_of(const char *kind_arg, const char *path, const char *src, size_t n,
                         CbStageKind *kind)
{
    if (kind_arg) {
        CbError err;
        cb_error_clear(&err);
        if (cb_stage_kind_parse(kind_arg, kind, &err) < 0)
            return cli_usage(&cb_cmd_stage, "--kind: %s", err.text);
        return CB_EXIT_OK;
    }
    unsigned found = defined_kinds(src, n);
    if (!found)
        return cli_usage(&cb_cmd_stage,
                         "%s defines none of cb_stage_intra, cb_stage_loop_filter, "
                         "cb_stage_transform_fwd / _inv: say its kind with --kind",
                         path);
    if (found & (found - 1)) {
        char names[160] = "";
        size_t used = 0;
        for (int k = 1; k < CB_STAGE_KINDS; k++) {
            if (!(found & (1u << k)))
                continue;
            int w = snprintf(names + used, sizeof names - used, "%s%s", used ? " and " : "",
                             cb_stage_kind_name(k));
            if (w < 0 || (size_t)w >= sizeof names - used)
                break;
            used += (size_t)w;
        }
        return cli_usage(&cb_cmd_stage,
                         "%s defines the functions of more than one kind (%s): say which with "
                         "--kind",
                         path, names);
    }
    for (int k = 1; k < CB_STAGE_KINDS; k++)
        if (found == 1u << k)
            *kind = (CbStageKind)k;
    return CB_EXIT_OK;
}

/* Reads a stage file: at most CB_STAGE_SOURCE_MAX bytes.  CB_EXIT_OK or
 * CB_EXIT_FAIL after the error. */
static int read_stage_file(const char *path, char **src, size_t *len)
{
    CbError err;
    cb_error_clear(&err);
    int rc = cb_file_read(path, CB_STAGE_SOURCE_MAX, src, len, &err);
    if (rc == CB_ELIMIT) {
        cli_error("%s: larger than the %d bytes a stage may have", path, CB_STAGE_SOURCE_MAX);
        return CB_EXIT_FAIL;
    }
    if (rc < 0)
        return cli_fail(&err);
    return CB_EXIT_OK;
}

/* ---- check: the picture -------------------------------------------------------- */

/* The test picture, deterministic (no randomness from outside): luma
 * quadrants of a horizontal ramp, a vertical ramp, a checkerboard whose
 * cells shrink from 8 to 4 to 2 pixels left to right, and noise from a
 * seeded LCG (texture no predictor guesses); a diagonal edge crosses the
 * top half and a disc of radius 60 sits at the centre (curved edges in
 * every direction); chroma carries two crossing ramps. */
static int make_test_picture(CbFrame *f, CbError *err)
{
    int rc = cb_frame_alloc(f, TEST_W, TEST_H);
    if (rc < 0)
        return cb_error_set(err, rc, "test picture: %s", cb_strerror(rc));
    uint32_t lcg = 12345u;
    const int hw = TEST_W / 2, hh = TEST_H / 2;
    for (int y = 0; y < TEST_H; y++) {
        uint8_t *row = f->data[0] + (ptrdiff_t)y * f->stride[0];
        for (int x = 0; x < TEST_W; x++) {
            int v;
            lcg = lcg * 1664525u + 1013904223u; /* Numerical Recipes' LCG */
            if (y < hh && x < hw)
                v = 16 + x * 219 / (hw - 1);
            else if (y < hh)
                v = 16 + y * 219 / (hh - 1);
            else if (x < hw) {
                int cell = x < hw / 3 ? 8 : x < 2 * hw / 3 ? 4 : 2;
                v = ((x / cell + y / cell) & 1) ? 200 : 48;
            } else
                v = 64 + (int)(lcg >> 25); /* 64..191 */
            if (y < hh && x - y > 40 && x - y < 48)
                v = 235 - v / 4; /* a diagonal edge */
            int dx = x - TEST_W / 2, dy = y - TEST_H / 2;
            if (dx * dx + dy * dy < 60 * 60)
                v = (v + 2 * 180) / 3; /* a disc */
            row[x] = (uint8_t)v;
        }
    }
    for (int p = 1; p < 3; p++) {
        int cw = cb_plane_width(TEST_W, p), ch = cb_plane_height(TEST_H, p);
        for (int y = 0; y < ch; y++) {
            uint8_t *row = f->data[p] + (ptrdiff_t)y * f->stride[p];
            for (int x = 0; x < cw; x++)
                row[x] = (uint8_t)(p == 1 ? 64 + x * 128 / (cw - 1) : 192 - y * 128 / (ch - 1));
        }
    }
    f->index = 0;
    return CB_OK;
}

static int read_clip_frame(const char *path, long long n, CbFrame *f, int *fps_num, int *fps_den,
                           CbError *err)
{
    CbMediaReader *r = NULL;
    int rc = cb_media_open(&r, path, NULL, err);
    if (rc < 0)
        return rc;
    const CbMediaInfo *info = cb_media_info(r);
    if (info->fps_num > 0 && info->fps_den > 0) {
        *fps_num = info->fps_num;
        *fps_den = info->fps_den;
    }
    if (n > 0 && (rc = cb_media_seek(r, n, err)) < 0)
        goto out;
    rc = cb_media_read(r, f, err);
    if (rc == 0)
        rc = cb_error_set(err, CB_ERANGE, "%s has no frame %lld", path, n);
    else if (rc > 0)
        rc = CB_OK;
out:
    cb_media_close(&r);
    return rc;
}

/* ---- check: coding one frame ------------------------------------------------------ */

/* What one way of coding the frame gave. */
typedef struct Coded {
    CbBuf packet;     /* the frame's packet */
    int packets;      /* packets returned (1 expected) */
    char digest[65];  /* the encoder's reconstruction (the host's claim) */
    CbFrame decoded;  /* owned copy of the decoded picture */
    CbFrameMetrics m; /* decoded against the source */
    int have_metrics;
} Coded;

static void coded_init(Coded *c)
{
    memset(c, 0, sizeof *c);
    cb_buf_init(&c->packet, CB_ENGINE_PACKET_MAX);
}

static void coded_free(Coded *c)
{
    cb_buf_free(&c->packet);
    cb_frame_free(&c->decoded);
}

static int keep_packet(void *ud, const CbStagePacket *p, CbError *err)
{
    Coded *c = ud;
    c->packets++;
    if (c->packets > 1)
        return cb_error_set(err, CB_EFORMAT,
                            "the encoding host returned more than one packet for one frame");
    int rc = cb_buf_append(&c->packet, p->data, p->size);
    if (rc < 0)
        return cb_error_set(err, rc, "the frame's packet: %s", cb_strerror(rc));
    memcpy(c->digest, p->digest, sizeof c->digest);
    c->digest[64] = '\0';
    return CB_OK;
}

static int keep_decoded(Coded *c, const CbFrame *pic, CbError *err)
{
    int rc = cb_frame_alloc(&c->decoded, pic->width, pic->height);
    if (rc < 0)
        return cb_error_set(err, rc, "decoded picture: %s", cb_strerror(rc));
    cb_frame_copy(&c->decoded, pic);
    return CB_OK;
}

static int measure(Coded *c, const CbFrame *src, CbError *err)
{
    CbMetricsCtx *ctx = NULL;
    int rc = cb_metrics_ctx_new(&ctx, src->width, src->height, cb_metrics_cpu_flags());
    if (rc == 0)
        rc = cb_metrics_frame(ctx, src, &c->decoded, &c->m);
    cb_metrics_ctx_free(&ctx);
    if (rc < 0)
        return cb_error_set(err, rc, "measuring the decoded frame: %s", cb_strerror(rc));
    c->have_metrics = 1;
    return CB_OK;
}

/* The steps of a check, in order; a failure names its step. */
enum { STEP_BUILD, STEP_ENCODE, STEP_DECODE, STEP_COMPARE, STEP_DONE };
static const char *const step_names[] = {"build", "encode", "decode", "compare", "done"};

/* Encodes frame through an encoding host and decodes its packet through a
 * fresh decoding host; *step is where it stopped. */
static int stage_round_trip(const char *object, CbStageKind kind, const uint8_t hash[32],
                            const CbStageLimits *lim, const CbEngineSettings *settings, int qp,
                            const CbFrame *frame, int fps_num, int fps_den, Coded *c, int *step,
                            CbError *err)
{
    CbStageHost *enc = NULL, *dec = NULL;
    uint8_t header[CB_ENGINE_HEADER_BYTES];
    CbStreamInfo info;
    CbFrame pic;
    int type = -1, rc;

    *step = STEP_ENCODE;
    if ((rc = cb_stage_host_start(&enc, 0, object, kind, hash, lim, err)) < 0 ||
        (rc = cb_stage_host_encoder(enc, settings, qp, frame->width, frame->height, fps_num,
                                    fps_den, header, err)) < 0 ||
        (rc = cb_stage_host_encode(enc, frame, keep_packet, c, err)) < 0 ||
        (rc = cb_stage_host_encode(enc, NULL, keep_packet, c, err)) < 0)
        goto out;
    cb_stage_host_free(&enc);
    if (c->packets != 1) {
        rc = cb_error_set(err, CB_EFORMAT, "the encoding host returned no packet for the frame");
        goto out;
    }
    *step = STEP_DECODE;
    memset(&pic, 0, sizeof pic);
    if ((rc = cb_stage_host_start(&dec, 1, object, kind, hash, lim, err)) < 0 ||
        (rc = cb_stage_host_decoder(dec, header, sizeof header, &info, err)) < 0 ||
        (rc = cb_stage_host_decode(dec, (const uint8_t *)c->packet.data, c->packet.len, &pic, &type,
                                   err)) < 0)
        goto out;
    if (pic.width != frame->width || pic.height != frame->height) {
        rc = cb_error_set(err, CB_EMISMATCH,
                          "the decoding host returned a %dx%d picture for a "
                          "%dx%d frame",
                          pic.width, pic.height, frame->width, frame->height);
        goto out;
    }
    if ((rc = keep_decoded(c, &pic, err)) < 0)
        goto out;
    cb_stage_host_free(&dec);
    *step = STEP_COMPARE;
    char hex[CB_CLIP_ID_HEX];
    if ((rc = cb_frame_digest(&c->decoded, hex)) < 0) {
        cb_error_set(err, rc, "digest of the decoded picture: %s", cb_strerror(rc));
        goto out;
    }
    if (strcmp(hex, c->digest) != 0) {
        rc = cb_error_set(err, CB_EMISMATCH,
                          "decoder mismatch: the decoding host's picture (sha256 %.16s) differs "
                          "from the encoder's reconstruction (sha256 %.16s)",
                          hex, c->digest);
        goto out;
    }
    *step = STEP_DONE;
    rc = CB_OK;
out:
    cb_stage_host_free(&enc);
    cb_stage_host_free(&dec);
    return rc;
}

/* The same frame with the built-in stages, in this process (no stage code). */
static int builtin_round_trip(const CbEngineSettings *settings, int qp, const CbFrame *frame,
                              int fps_num, int fps_den, Coded *c, CbError *err)
{
    CbEncoder *e = NULL;
    CbDecoder *d = NULL;
    CbEncodedFrame ef;
    CbFrame pic;
    int rc = cb_encoder_new(&e, settings, qp, frame->width, frame->height, fps_num, fps_den, err);
    if (rc < 0 || (rc = cb_encoder_send(e, frame, err)) < 0 ||
        (rc = cb_encoder_send(e, NULL, err)) < 0)
        goto out;
    while (cb_encoder_receive(e, &ef) == 1) {
        c->packets++;
        if ((rc = cb_buf_append(&c->packet, ef.data, ef.size)) < 0) {
            cb_error_set(err, rc, "the frame's packet: %s", cb_strerror(rc));
            goto out;
        }
    }
    if (c->packets != 1) {
        rc = cb_error_set(err, CB_EFORMAT, "the engine returned %d packets for one frame",
                          c->packets);
        goto out;
    }
    memset(&pic, 0, sizeof pic);
    if ((rc = cb_decoder_new(&d, cb_encoder_header(e), CB_ENGINE_HEADER_BYTES, err)) < 0 ||
        (rc = cb_decoder_decode(d, (const uint8_t *)c->packet.data, c->packet.len, &pic, err)) <
            0 ||
        (rc = keep_decoded(c, &pic, err)) < 0)
        goto out;
out:
    cb_encoder_free(&e);
    cb_decoder_free(&d);
    return rc;
}

static int dump_frame(const char *dir, const char *name, const CbFrame *f, int fps_num, int fps_den,
                      CbError *err)
{
    char *path = cb_path_join(dir, name);
    CbY4mWriter *w = NULL;
    if (!path)
        return cb_error_set(err, CB_ENOMEM, "--dump: %s", cb_strerror(CB_ENOMEM));
    int rc = cb_y4m_open(&w, path, f->width, f->height, fps_num, fps_den, err);
    if (rc == 0)
        rc = cb_y4m_write(w, f, err);
    if (w) {
        CbError e2;
        int rc2 = cb_y4m_close(&w, &e2);
        if (rc == 0 && rc2 < 0) {
            rc = rc2;
            *err = e2;
        }
    }
    free(path);
    return rc;
}

/* ---- check: reporting ------------------------------------------------------------- */

typedef struct Check {
    const char *path;
    CbStageKind kind;
    size_t src_len;
    char hash_hex[65];
    char *diagnostics;
    const char *picture; /* "test picture" or the clip's path */
    long long frame_no;
    int width, height, qp;
    int step;        /* where it stopped; STEP_DONE: passed */
    int stage_fault; /* the failure is the stage's (not the machine's) */
    CbError err;
    Coded stage, builtin;
    int have_builtin;
} Check;

static json_t *json_coded(const Coded *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "bytes", json_integer((json_int_t)c->packet.len));
    if (c->have_metrics) {
        json_object_set_new(o, "psnr_y", cli_json_num(c->m.psnr[0]));
        json_object_set_new(o, "psnr_u", cli_json_num(c->m.psnr[1]));
        json_object_set_new(o, "psnr_v", cli_json_num(c->m.psnr[2]));
    }
    if (c->digest[0])
        json_object_set_new(o, "digest", json_string(c->digest));
    return o;
}

static int report_json(const Check *k)
{
    json_t *doc = json_object();
    if (!doc) {
        cli_error("%s", cb_strerror(CB_ENOMEM));
        return CB_EXIT_FAIL;
    }
    int passed = k->step == STEP_DONE;
    json_object_set_new(doc, "file", cli_json_str(k->path));
    json_object_set_new(doc, "kind", json_string(cb_stage_kind_name((int)k->kind)));
    json_object_set_new(doc, "bytes", json_integer((json_int_t)k->src_len));
    json_object_set_new(doc, "hash", json_string(k->hash_hex));
    json_object_set_new(doc, "passed", json_boolean(passed));
    json_object_set_new(doc, "failed_step",
                        passed ? json_null() : json_string(step_names[k->step]));
    json_object_set_new(doc, "reason", passed ? json_null() : cli_json_str(k->err.text));
    json_object_set_new(doc, "diagnostics", cli_json_str(k->diagnostics ? k->diagnostics : ""));
    json_object_set_new(doc, "picture",
                        json_pack("{s:o, s:I, s:i, s:i}", "source", cli_json_str(k->picture),
                                  "frame", (json_int_t)k->frame_no, "width", k->width, "height",
                                  k->height));
    json_object_set_new(doc, "qp", json_integer(k->qp));
    json_object_set_new(doc, "stage", k->stage.packets ? json_coded(&k->stage) : json_null());
    json_object_set_new(doc, "builtin", k->have_builtin ? json_coded(&k->builtin) : json_null());
    int code = cli_json_print(doc);
    json_decref(doc);
    if (code != CB_EXIT_OK)
        return code;
    return passed ? CB_EXIT_OK : CB_EXIT_FAIL;
}

static void print_row(const char *label, const Coded *c)
{
    printf("  %-9s %8zu %8.3f %8.3f %8.3f\n", label, c->packet.len, c->m.psnr[0], c->m.psnr[1],
           c->m.psnr[2]);
}

static int report_text(const Check *k)
{
    printf("%s: ", k->path);
    printf("%s stage, %zu bytes, sha256 %s\n", cb_stage_kind_name((int)k->kind), k->src_len,
           k->hash_hex);
    if (k->diagnostics && *k->diagnostics) {
        printf("build diagnostics (lines in stage.c):\n");
        char *clean = cb_sanitize_dup(k->diagnostics, CB_SANITIZE_NEWLINES);
        for (const char *p = clean ? clean : "(out of memory)"; *p;) {
            const char *nl = strchr(p, '\n');
            int n = nl ? (int)(nl - p) : (int)strlen(p);
            printf("  %.*s\n", n, p);
            p += n + (nl ? 1 : 0);
        }
        free(clean);
    }
    for (int s = STEP_BUILD; s < STEP_DONE && s <= k->step; s++) {
        if (s == k->step) {
            printf("%-8s FAILED: ", step_names[s]);
            cli_puts_sanitized(stdout, k->err.text);
            putchar('\n');
            break;
        }
        switch (s) {
        case STEP_BUILD:
            printf("%-8s passed: compiled in a closed world, object checked\n", step_names[s]);
            break;
        case STEP_ENCODE:
            printf("%-8s passed: frame %lld of ", step_names[s], k->frame_no);
            cli_puts_sanitized(stdout, k->picture);
            printf(" (%dx%d) at QP %d coded by a sandboxed encoding host, %zu bytes\n", k->width,
                   k->height, k->qp, k->stage.packet.len);
            break;
        case STEP_DECODE:
            printf("%-8s passed: a fresh sandboxed decoding host decoded the packet\n",
                   step_names[s]);
            break;
        case STEP_COMPARE:
            printf("%-8s passed: its picture equals the encoder's reconstruction (sha256 %.16s)\n",
                   step_names[s], k->stage.digest);
            break;
        }
    }
    if (k->step == STEP_DONE) {
        printf("\nthe frame (bytes of its packet; PSNR in dB against the frame coded):\n");
        printf("  %-9s %8s %8s %8s %8s\n", "", "BYTES", "PSNR-Y", "PSNR-U", "PSNR-V");
        print_row("stage", &k->stage);
        if (k->have_builtin)
            print_row("built-in", &k->builtin);
        printf("\npassed\n");
        return CB_EXIT_OK;
    }
    printf("\nfailed at %s\n", step_names[k->step]);
    return CB_EXIT_FAIL;
}

/* ---- check ------------------------------------------------------------------------ */

static int run_check(int argc, char **argv)
{
    const char *kind_arg = NULL, *input = NULL, *frame_arg = NULL, *qp_arg = NULL, *dump = NULL,
               *file = NULL;
    int json = 0;
    for (int a = 1; a < argc; a++) {
        const char *o = argv[a];
        const char **slot = !strcmp(o, "--kind")    ? &kind_arg
                            : !strcmp(o, "--input") ? &input
                            : !strcmp(o, "--frame") ? &frame_arg
                            : !strcmp(o, "--qp")    ? &qp_arg
                            : !strcmp(o, "--dump")  ? &dump
                                                    : NULL;
        if (slot) {
            if (a + 1 >= argc)
                return cli_usage(&cb_cmd_stage, "%s needs a value", o);
            *slot = argv[++a];
        } else if (!strcmp(o, "--json")) {
            json = 1;
        } else if (!strcmp(o, "--") && a + 1 < argc && !file) {
            file = argv[++a];
        } else if (o[0] == '-' && o[1]) {
            return cli_usage(&cb_cmd_stage, "unknown option '%s'", o);
        } else if (!file) {
            file = o;
        } else {
            return cli_usage(&cb_cmd_stage, "'stage check' takes one FILE.c, not also '%s'", o);
        }
    }
    if (!file)
        return cli_usage(&cb_cmd_stage, "'stage check' needs a FILE.c");
    long long frame_no = 0, qp = DEFAULT_QP;
    int code;
    if (frame_arg) {
        if (!input)
            return cli_usage(&cb_cmd_stage, "--frame needs --input CLIP");
        if ((code = cli_count_arg(&cb_cmd_stage, "--frame", frame_arg, 0, &frame_no)) != CB_EXIT_OK)
            return code;
    }
    if (qp_arg) {
        if ((code = cli_count_arg(&cb_cmd_stage, "--qp", qp_arg, CB_QP_MIN, &qp)) != CB_EXIT_OK)
            return code;
        if (qp > CB_QP_MAX)
            return cli_usage(&cb_cmd_stage, "--qp: %lld is outside %d..%d", qp, CB_QP_MIN,
                             CB_QP_MAX);
    }

    char *src = NULL, *tmp = NULL, *object = NULL;
    size_t len = 0;
    CbFrame frame;
    Check k;
    memset(&frame, 0, sizeof frame);
    memset(&k, 0, sizeof k);
    coded_init(&k.stage);
    coded_init(&k.builtin);
    cb_error_clear(&k.err);
    k.path = file;
    k.picture = input ? input : "test picture";
    k.frame_no = frame_no;
    k.qp = (int)qp;
    k.step = STEP_BUILD;
    if ((code = read_stage_file(file, &src, &len)) != CB_EXIT_OK)
        goto out;
    if ((code = stage_kind_of(kind_arg, file, src, len, &k.kind)) != CB_EXIT_OK)
        goto out;
    k.src_len = len;
    uint8_t hash[32];
    cb_stage_hash(src, len, hash);
    cb_stage_hash_hex(src, len, k.hash_hex);

    /* The picture first: a bad --input is the user's, not the stage's. */
    int fps_num = 25, fps_den = 1;
    CbError err;
    cb_error_clear(&err);
    int rc = input ? read_clip_frame(input, frame_no, &frame, &fps_num, &fps_den, &err)
                   : make_test_picture(&frame, &err);
    if (rc < 0) {
        code = cli_fail(&err);
        goto out;
    }
    k.width = frame.width;
    k.height = frame.height;

    /* A private directory for the object (mkdtemp: mode 0700). */
    const char *tdir = getenv("TMPDIR");
    CbBuf tb;
    cb_buf_init(&tb, 4096);
    if (cb_buf_printf(&tb, "%s/codecbench-stage-XXXXXX", tdir && *tdir ? tdir : "/tmp") < 0 ||
        !(tmp = cb_buf_steal(&tb)) || !mkdtemp(tmp) || !(object = cb_path_join(tmp, "stage.so"))) {
        cli_error("a temporary directory for the stage: %s",
                  tmp ? strerror(errno) : cb_strerror(CB_ENOMEM));
        cb_buf_free(&tb);
        if (tmp && access(tmp, F_OK) != 0) {
            free(tmp);
            tmp = NULL;
        }
        code = CB_EXIT_FAIL;
        goto out;
    }

    CbEngineSettings settings;
    cb_engine_settings_default(&settings);
    settings.threads = 1;
    settings.transform = CB_TRANSFORM_DCT; /* a transform stage needs it; the same for all */

    CbStageBuildOptions bopt;
    memset(&bopt, 0, sizeof bopt);
    rc = cb_stage_build(k.kind, src, len, object, &bopt, &k.diagnostics, &k.err);
    if (rc < 0) {
        k.stage_fault = rc == CB_ESTAGE || rc == CB_ETIMEOUT;
        goto report;
    }
    /* The hosts' limits as a run's: the stage.* settings (config file,
     * CODECBENCH_STAGE_* in the environment), else sandbox.h's defaults. */
    CbStageLimits lim;
    memset(&lim, 0, sizeof lim);
    long long v;
    if (cb_config_get_int(cli_config(), "stage.timeout", &v) == 0)
        lim.wall_s = (double)v;
    if (cb_config_get_int(cli_config(), "stage.cpu_limit", &v) == 0)
        lim.cpu_s = (int)v;
    if (cb_config_get_int(cli_config(), "stage.memory_limit", &v) == 0)
        lim.data_mib = v;
    rc = stage_round_trip(object, k.kind, hash, &lim, &settings, k.qp, &frame, fps_num, fps_den,
                          &k.stage, &k.step, &k.err);
    if (rc < 0) {
        k.stage_fault = 1;
        goto report;
    }
    if ((rc = measure(&k.stage, &frame, &k.err)) < 0)
        goto report;
    CbError berr;
    cb_error_clear(&berr);
    if (builtin_round_trip(&settings, k.qp, &frame, fps_num, fps_den, &k.builtin, &berr) == 0 &&
        measure(&k.builtin, &frame, &berr) == 0)
        k.have_builtin = 1;
    else
        cli_warn("the frame with the built-in stages: %s", berr.text);
    if (dump) {
        if (mkdir(dump, 0777) < 0 && errno != EEXIST) {
            cli_error("--dump %s: %s", dump, strerror(errno));
            code = CB_EXIT_FAIL;
            goto out;
        }
        cb_error_clear(&err);
        if (dump_frame(dump, "source.y4m", &frame, fps_num, fps_den, &err) < 0 ||
            dump_frame(dump, "stage.y4m", &k.stage.decoded, fps_num, fps_den, &err) < 0 ||
            (k.have_builtin &&
             dump_frame(dump, "builtin.y4m", &k.builtin.decoded, fps_num, fps_den, &err) < 0)) {
            code = cli_fail(&err);
            goto out;
        }
    }
report:
    if (k.step != STEP_DONE && !k.stage_fault && !json) {
        /* the machine's failure, not the stage's (no compiler, out of memory) */
        code = cli_fail(&k.err);
        goto out;
    }
    code = json ? report_json(&k) : report_text(&k);
out:
    if (object)
        unlink(object);
    if (tmp)
        rmdir(tmp);
    free(object);
    free(tmp);
    free(src);
    free(k.diagnostics);
    coded_free(&k.stage);
    coded_free(&k.builtin);
    cb_frame_free(&frame);
    return code;
}

/* ---- show ---------------------------------------------------------------------- */

/* Writes n bytes of hostile text: sanitised on a terminal (control bytes
 * in caret notation, tabs kept), exact bytes into a pipe or file. */
static int write_text(const char *s, size_t n)
{
    if (!isatty(STDOUT_FILENO))
        return fwrite(s, 1, n, stdout) == n ? CB_OK : CB_EIO;
    CbBuf b;
    cb_buf_init(&b, 8 * n + 64);
    int rc = CB_OK;
    for (size_t i = 0; i < n && rc == 0;) {
        const char *tab = memchr(s + i, '\t', n - i);
        size_t m = tab ? (size_t)(tab - (s + i)) : n - i;
        rc = cb_sanitize_append(&b, s + i, m, CB_SANITIZE_NEWLINES);
        if (rc == 0 && tab)
            rc = cb_buf_append(&b, "\t", 1);
        i += m + (tab ? 1 : 0);
    }
    if (rc == 0 && b.len && fwrite(b.data, 1, b.len, stdout) != b.len)
        rc = CB_EIO;
    cb_buf_free(&b);
    return rc;
}

/* Reads run id's recipe into r. */
static int load_run_recipe(CbStore *s, int64_t id, CbRecipe *r, CbError *err)
{
    char *text = NULL;
    int rc = cb_store_get_recipe(s, id, &text, err);
    if (rc == 0) {
        char name[48];
        snprintf(name, sizeof name, "run %lld's recipe", (long long)id);
        rc = cb_recipe_parse(text, strlen(text), name, r, err);
    }
    free(text);
    return rc;
}

static int run_show(int argc, char **argv)
{
    int64_t id = 0;
    int diff = 0;
    const CliOpt opts[] = {{.name = "diff", .flag = &diff, .value = 1}, {0}};
    CliArgs a = {
        .opts = opts, .min = 1, .max = 1, .arity = "'stage show' needs one RUN", .run_id = &id};
    int code = cli_parse_args(&cb_cmd_stage, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    CbRunInfo info;
    CbRecipe run, parent;
    CbBuf out;
    int have_info = 0;
    memset(&info, 0, sizeof info);
    memset(&run, 0, sizeof run);
    memset(&parent, 0, sizeof parent);
    cb_buf_init(&out, DIFF_MAX_BYTES);
    code = CB_EXIT_FAIL;
    if (cli_store_open(a.store, CB_STORE_READONLY, &s, &err) < 0 ||
        cb_store_get_run(s, id, &info, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    have_info = 1;
    if (load_run_recipe(s, id, &run, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (run.stage_kind == CB_STAGE_NONE || !run.stage_code) {
        cli_error("run %lld has no stage: its recipe carries none", (long long)id);
        goto out;
    }
    const char *kind = cb_stage_kind_name((int)run.stage_kind);
    const char *code_text = run.stage_code;
    if (!diff) {
        if (write_text(code_text, strlen(code_text)) < 0 || fflush(stdout) != 0) {
            cli_error("writing the source: %s", strerror(errno));
            goto out;
        }
        code = CB_EXIT_OK;
        goto out;
    }
    /* The base: the parent's stage of the same kind, else the built-in one. */
    const char *base = NULL;
    char from[160];
    if (info.parent > 0) {
        CbError perr;
        cb_error_clear(&perr);
        if (load_run_recipe(s, info.parent, &parent, &perr) < 0) {
            cli_warn("parent run %lld: %s; diffing against the built-in %s", (long long)info.parent,
                     perr.text, kind);
        } else if (parent.stage_kind == run.stage_kind && parent.stage_code) {
            base = parent.stage_code;
            snprintf(from, sizeof from, "parent run %lld (%s)", (long long)info.parent, kind);
        }
    }
    if (!base) {
        base = cb_stage_builtin_source(run.stage_kind);
        if (!base) {
            cli_error("this build has no built-in %s stage to diff against", kind);
            goto out;
        }
        if (info.parent > 0)
            snprintf(from, sizeof from, "built-in %s (parent run %lld has no %s stage)", kind,
                     (long long)info.parent, kind);
        else
            snprintf(from, sizeof from, "built-in %s (run %lld has no parent)", kind,
                     (long long)id);
    }
    CbLineDiffStat st;
    if (cb_line_diff(base, strlen(base), code_text, strlen(code_text), DIFF_CONTEXT, &out, &st,
                     &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    printf("--- %s\n+++ run %lld\n", from, (long long)id);
    if (out.len && write_text(out.data, out.len) < 0) {
        cli_error("writing the diff: %s", strerror(errno));
        goto out;
    }
    if (fflush(stdout) != 0) {
        cli_error("writing the diff: %s", strerror(errno));
        goto out;
    }
    if (!out.len)
        fprintf(stderr, "codecbench: run %lld's stage is the same as the %s\n", (long long)id,
                from);
    code = CB_EXIT_OK;
out:
    cb_buf_free(&out);
    cb_recipe_free(&run);
    cb_recipe_free(&parent);
    if (have_info)
        cb_run_info_free(&info);
    cb_store_close(&s);
    return code;
}

/* ---- embed --------------------------------------------------------------------- */

static int run_embed(int argc, char **argv)
{
    const char *kind_arg = NULL, *out_path = NULL, *ops[2] = {NULL, NULL};
    int n_ops = 0;
    for (int a = 1; a < argc; a++) {
        const char *o = argv[a];
        if (!strcmp(o, "--kind") || !strcmp(o, "-o") || !strcmp(o, "--output")) {
            if (a + 1 >= argc)
                return cli_usage(&cb_cmd_stage, "%s needs a value", o);
            *(!strcmp(o, "--kind") ? &kind_arg : &out_path) = argv[++a];
        } else if (o[0] == '-' && o[1]) {
            return cli_usage(&cb_cmd_stage, "unknown option '%s'", o);
        } else if (n_ops < 2) {
            ops[n_ops++] = o;
        } else {
            return cli_usage(&cb_cmd_stage, "'stage embed' takes RECIPE.json and FILE.c only");
        }
    }
    if (n_ops != 2)
        return cli_usage(&cb_cmd_stage, "'stage embed' needs RECIPE.json and FILE.c");
    char *text = NULL, *src = NULL, *doc_text = NULL;
    size_t len = 0;
    json_t *doc = NULL;
    CbRecipe r;
    CbError err;
    CbStageKind kind = CB_STAGE_NONE;
    memset(&r, 0, sizeof r);
    cb_error_clear(&err);
    int code = CB_EXIT_FAIL;
    if (cli_read_recipe(ops[0], &text, NULL, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if ((code = read_stage_file(ops[1], &src, &len)) != CB_EXIT_OK ||
        (code = stage_kind_of(kind_arg, ops[1], src, len, &kind)) != CB_EXIT_OK)
        goto out;
    code = CB_EXIT_FAIL;
    if (memchr(src, '\0', len)) {
        cli_error("%s: a NUL byte: a stage is text", ops[1]);
        goto out;
    }
    json_error_t je;
    doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        cli_error("%s: not a JSON object (%s)", ops[0], doc ? "another JSON value" : je.text);
        goto out;
    }
    json_t *code_j = json_stringn(src, len);
    if (!code_j) {
        cli_error("%s: not UTF-8 text", ops[1]);
        goto out;
    }
    json_t *stage = json_pack("{s:s, s:o}", "kind", cb_stage_kind_name((int)kind), "code", code_j);
    if (!stage || json_object_set_new(doc, "stage", stage) < 0 ||
        !(doc_text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
        cli_error("%s", cb_strerror(CB_ENOMEM));
        goto out;
    }
    /* What a run would read: refused here as it would be there. */
    if (cb_recipe_parse(doc_text, strlen(doc_text), ops[0], &r, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (out_path) {
        if (cb_file_write_text(out_path, doc_text, &err) < 0) {
            cli_fail(&err);
            goto out;
        }
    } else if (puts(doc_text) < 0 || fflush(stdout) != 0) {
        cli_error("writing the recipe: %s", strerror(errno));
        goto out;
    }
    code = CB_EXIT_OK;
out:
    cb_recipe_free(&r);
    json_decref(doc);
    free(doc_text);
    free(text);
    free(src);
    return code;
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(&cb_cmd_stage, "needs 'check', 'show' or 'embed'");
    if (!strcmp(argv[1], "check"))
        return run_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show"))
        return run_show(argc - 1, argv + 1);
    if (!strcmp(argv[1], "embed"))
        return run_embed(argc - 1, argv + 1);
    return cli_usage(&cb_cmd_stage, "'%s' is not one of check, show, embed", argv[1]);
}

const CbCommand cb_cmd_stage = {
    .name = "stage",
    .args = "check FILE.c [--kind K] [--input CLIP] | show RUN [--diff] | embed RECIPE FILE.c",
    .summary = "check a stage (C code for an engine stage); show a run's; put one in a recipe",
    .run = run,
    .help = help,
};

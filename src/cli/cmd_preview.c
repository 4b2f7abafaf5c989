/* codecbench preview RUN --frame N: a frame of a run's rate point as an
 * image (sixel, half blocks, PNG) or a text summary, from a plain SSH shell
 * or a script.  The frames come from the frame server (a child process, so
 * the stored stream is never decoded in this process). */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/storeout.h"
#include "codecbench/buf.h"
#include "codecbench/fsutil.h"
#include "codecbench/media.h"
#include "codecbench/preview.h"
#include "codecbench/sanitize.h"
#include "codecbench/store.h"

/* The longest the frame server may take for one frame (it may decode a
 * whole GOP of a large clip on a slow machine). */
#define FRAME_TIMEOUT_MS 120000
/* Caps of what is written: a sixel image of the largest preview is far
 * below this; the caption is one line of a few hundred bytes. */
#define OUT_MAX ((size_t)256 << 20)
#define CAPTION_MAX 4096
/* Flip on a terminal: each half shown this long. */
#define FLIP_MS 1000
/* Without a terminal size: the width of a text summary, in columns, and of
 * half blocks, in cells. */
#define DEFAULT_COLS 80
/* Rows of a terminal a picture leaves free: the caption (two lines when it
 * wraps), the row after the image and the shell's prompt. */
#define TERM_SPARE_ROWS 4

/* CSI sequences of ECMA-48 / DEC VT (xterm's ctlseqs): cursor up (CUU),
 * erase to the end of the line (EL 0), save and restore the cursor (DECSC,
 * DECRC); synchronised output (DECSET/DECRST 2026, the terminal-wg
 * "synchronized updates" mode: the terminal shows a redraw whole; others
 * ignore it). */
#define CSI_UP_FMT "\033[%dA"
#define CSI_ERASE_EOL "\033[K"
#define CSI_SYNC_BEGIN "\033[?2026h"
#define CSI_SYNC_END "\033[?2026l"
#define ESC_SAVE_CURSOR "\0337"
#define ESC_RESTORE_CURSOR "\0338"

enum { FMT_AUTO = -1, FMT_TEXT = 0, FMT_BLOCKS = 1, FMT_SIXEL = 2, FMT_PNG = 3 };
enum { MODE_SIDE, MODE_DIFF, MODE_FLIP, MODE_SOURCE, MODE_RECON };

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void help(FILE *out)
{
    fputs("Usage: codecbench preview RUN --frame N [--qp Q] [--mode MODE] [--format FMT]\n"
          "                          [--width PX] [--zoom 1|2|4 [--at X,Y]] [--overlay]\n"
          "                          [-o FILE] [--store DIR] [-v]\n"
          "\n"
          "Shows frame N (0-based) of a done run at one of its rate points: the source\n"
          "frame and the frame decoded from the stored stream, side by side, as their\n"
          "error, or in turn.  The stream is decoded by a separate process (the frame\n"
          "server).  A caption line names the run, recipe, clip, frame, its type and\n"
          "packet bytes, the rate point and the frame's PSNR-Y.\n"
          "\n"
          "Options:\n"
          "  --frame N    the frame, 0 .. frames-1 (required)\n"
          "  --qp Q       the rate point (its QP or CRF; default: the middle one)\n"
          "  --mode MODE  side: source | reconstruction (default); diff: the absolute\n"
          "               luma error as a heat map, 0 (black) .. 32 or more (white)\n"
          "               code values, with a colour bar; flip: source and\n"
          "               reconstruction in turn, each for a second, until q is\n"
          "               pressed (to a PNG: an animated PNG; to a pipe: both, one\n"
          "               after the other); source, recon: one of them\n"
          "  --format FMT sixel, blocks (Unicode half blocks), text (a summary:\n"
          "               PSNR, error, worst areas, block kinds) or png (needs -o).\n"
          "               Default: on a terminal what it supports (asked, not\n"
          "               guessed from $TERM; CODECBENCH_GRAPHICS=sixel|blocks|none\n"
          "               overrides), else text; png when -o names a .png file\n"
          "  --width PX   width of the whole image in pixels (blocks: in cells);\n"
          "               default: the terminal's width, or the frames at 1:1\n"
          "  --zoom Z     a region at Z = 1, 2 or 4 image pixels per frame pixel,\n"
          "               exactly replicated (default: the whole frame fitted)\n"
          "  --at X,Y     the region's centre in luma pixels (default: the middle)\n"
          "  --overlay    engine runs: block outlines (intra red, inter blue, skip\n"
          "               green) and motion vectors (yellow, from block centres)\n"
          "  -o FILE      write to FILE (atomically) instead of standard output\n"
          CLI_HELP_STORE
          "  -v, --verbose  debug lines on standard error: payload bytes, times\n"
          "               (also CODECBENCH_LOG=debug)\n"
          "  -h, --help   this text\n",
          out);
}

/* Debug lines to stderr, sanitised (they hold file names). */
static void log_stderr(void *opaque, CbLogLevel level, const char *msg)
{
    (void)opaque;
    fprintf(stderr, "codecbench: %s: ", cb_log_level_name(level));
    cli_puts_sanitized(stderr, msg);
    fputc('\n', stderr);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int parse_enum(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i]))
            return i;
    return -1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

/* What the command was asked and what it learned about the run. */
typedef struct Ctx {
    int mode, format, zoom, overlay, width, at_x, at_y, have_at, frame;
    const char *out_path;
    const CbLogger *log;
    CbRunInfo info;
    const CbPointResult *point;
    char rate_list[256];
    int rate_default; /* the point was not asked for: the middle one */
    const char *rate_kind; /* "QP" or "CRF" */
    CbTermCaps caps;
    int utf8;
    int in_place; /* flip on a terminal: each caption overwrites the last */
} Ctx;

static const char *half_name(int m)
{
    return m == CB_PREVIEW_SOURCE ? "the source" : "the reconstruction";
}

/* The caption: one line, data strings sanitised. */
static int caption(CbBuf *b, const Ctx *c, const CbFramePair *p, double psnr_y, int shown)
{
    int rc = cb_buf_printf(b, "run %lld ", (long long)c->info.id);
    const char *name = c->info.recipe_name ? c->info.recipe_name : "?";
    const char *clip = cli_basename(c->info.input ? c->info.input : "?");
    unsigned fl = c->format == FMT_TEXT ? CB_SANITIZE_ASCII : 0;
    if (rc == 0)
        rc = cb_sanitize_append(b, name, strlen(name), fl);
    if (rc == 0)
        rc = cb_buf_puts(b, " (");
    if (rc == 0)
        rc = cb_sanitize_append(b, c->info.codec ? c->info.codec : "?",
                                strlen(c->info.codec ? c->info.codec : "?"), fl);
    if (rc == 0)
        rc = cb_buf_puts(b, ") on ");
    if (rc == 0)
        rc = cb_sanitize_append(b, clip, strlen(clip), fl);
    const CbFrameRow *row = c->point->rows && c->frame < c->point->frames
                                ? &c->point->rows[c->frame] : NULL;
    int type = p->type ? p->type : row && row->type != '?' ? row->type : '?';
    long long bytes = p->packet_bytes ? (long long)p->packet_bytes
                                      : row ? (long long)(row->bits / 8) : -1;
    if (rc == 0)
        rc = cb_buf_printf(b, ": frame %d of %lld, %c", c->frame, (long long)c->point->frames,
                           type == 'I' || type == 'P' || type == 'B' ? type : '?');
    if (rc == 0 && bytes >= 0)
        rc = cb_buf_printf(b, ", %lld bytes", bytes);
    if (rc == 0)
        rc = cb_buf_printf(b, ", %s %d (%s %s), PSNR-Y %.3f dB; ", c->rate_kind,
                           c->point->rate_value, c->rate_default ? "the middle of" : "of",
                           c->rate_list, psnr_y);
    if (rc == 0) {
        switch (shown) {
        case CB_PREVIEW_SIDE:
            rc = cb_buf_puts(b, "left: the source, right: the reconstruction");
            break;
        case CB_PREVIEW_DIFF:
            rc = cb_buf_puts(b, "heat map of |source - reconstruction| luma: 0 (black) .. "
                                "32+ (white) code values, blue, red, yellow between");
            break;
        default:
            rc = cb_buf_printf(b, "%s", half_name(shown));
            break;
        }
    }
    return rc;
}

/* The frame's PSNR-Y as the store has it (the worker measured the same
 * frames with src/metrics; the text summary measures them again, and the
 * CLI test checks that both agree with `show --json`). */
static double frame_psnr_y(const Ctx *c)
{
    if (c->point->rows && c->frame < c->point->frames)
        return c->point->rows[c->frame].psnr[0];
    return NAN;
}

/* The box of the picture in pixels for the format and the terminal. */
static void box_for(const Ctx *c, const CbFramePair *p, int shown, int *bw, int *bh)
{
    int w = p->source.width, h = p->source.height;
    int natural_w = shown == CB_PREVIEW_SIDE ? 2 * w + 4 : w;
    int natural_h = shown == CB_PREVIEW_DIFF ? h + 12 : h;
    *bw = natural_w;
    *bh = natural_h;
    if (c->format == FMT_BLOCKS) {
        /* One cell: one pixel wide, two high. */
        *bw = c->caps.cols > 0 ? c->caps.cols : DEFAULT_COLS;
        *bh = c->caps.rows > TERM_SPARE_ROWS + 1 ? (c->caps.rows - TERM_SPARE_ROWS) * 2
                                                : CB_PREVIEW_MAX_DIM;
    } else if (c->format == FMT_SIXEL && !c->out_path && c->caps.is_tty) {
        int tw = c->caps.text_width_px;
        if (tw <= 0 && c->caps.cols > 0 && c->caps.cell_width_px > 0)
            tw = c->caps.cols * c->caps.cell_width_px;
        if (tw > 0)
            *bw = tw;
        if (c->caps.rows > TERM_SPARE_ROWS + 1 && c->caps.cell_height_px > 0)
            *bh = (c->caps.rows - TERM_SPARE_ROWS) * c->caps.cell_height_px;
        else
            *bh = CB_PREVIEW_MAX_DIM;
    }
    if (c->width > 0) {
        *bw = c->width;
        if (c->format != FMT_BLOCKS || c->caps.rows <= TERM_SPARE_ROWS + 1)
            *bh = CB_PREVIEW_MAX_DIM;
    }
    if (*bw > CB_PREVIEW_MAX_DIM)
        *bw = CB_PREVIEW_MAX_DIM;
    if (*bh > CB_PREVIEW_MAX_DIM)
        *bh = CB_PREVIEW_MAX_DIM;
}

/* The layout of what shown asks. */
static CbPreviewLayout layout_for(const Ctx *c, const CbFramePair *p, int shown)
{
    CbPreviewLayout l = {.mode = (CbPreviewMode)shown, .zoom = c->zoom, .overlay = c->overlay};
    box_for(c, p, shown, &l.box_width, &l.box_height);
    l.cx = c->have_at ? c->at_x : p->source.width / 2;
    l.cy = c->have_at ? c->at_y : p->source.height / 2;
    return l;
}

/* Composes what shown asks into img, logging the time. */
static int compose(const Ctx *c, const CbFramePair *p, int shown, CbPreviewImage *img,
                   CbError *err)
{
    CbPreviewLayout l = layout_for(c, p, shown);
    double t0 = now_ms();
    int rc = cb_preview_compose(img, p, NULL, &l, err);
    if (rc == 0)
        cb_log(c->log, CB_LOG_DEBUG, "preview: composed %dx%d in a %dx%d box in %.1f ms",
               img->width, img->height, l.box_width, l.box_height, now_ms() - t0);
    return rc;
}

/* Appends the caption line(s) and the picture (or the summary) of shown to
 * out in the chosen text format. */
static int render(const Ctx *c, const CbFramePair *p, int shown, CbBuf *out, CbError *err)
{
    CbPreviewImage img = {0};
    CbBuf cap;
    cb_buf_init(&cap, CAPTION_MAX);
    int rc = caption(&cap, c, p, frame_psnr_y(c), shown);
    if (rc == 0 && c->zoom) {
        CbPreviewLayout l = layout_for(c, p, shown);
        int x, y, w, h;
        cb_preview_region(&l, p->source.width, p->source.height, &x, &y, &w, &h);
        rc = cb_buf_printf(&cap, "; x %d-%d y %d-%d at %d:1", x, x + w - 1, y, y + h - 1,
                           c->zoom);
    }
    if (rc == 0 && c->overlay && p->blocks)
        rc = cb_buf_puts(&cap, "; blocks: intra red, inter blue, skip green; vectors yellow");
    if (rc < 0) {
        rc = cb_error_set(err, rc, "preview: the caption is too long");
        goto out;
    }
    if (c->format == FMT_TEXT) {
        /* The caption wrapped to the width, then the summary. */
        int cols = c->caps.cols >= 20 ? c->caps.cols : DEFAULT_COLS;
        const char *s = cap.data;
        while (rc == 0 && *s) {
            size_t len = strlen(s), take = len;
            if ((int)len > cols) {
                take = (size_t)cols;
                for (size_t i = (size_t)cols; i > 0; i--)
                    if (s[i] == ' ') {
                        take = i;
                        break;
                    }
            }
            rc = cb_buf_append(out, s, take);
            if (rc == 0)
                rc = cb_buf_puts(out, "\n");
            s += take;
            while (*s == ' ')
                s++;
        }
        if (rc < 0) {
            rc = cb_error_set(err, rc, "preview: output too large");
            goto out;
        }
        rc = cb_preview_summary(out, p, NULL, cols, err);
        goto out;
    }
    rc = compose(c, p, shown, &img, err);
    if (rc < 0)
        goto out;
    rc = cb_buf_append(out, cap.data, cap.len);
    if (rc == 0 && c->in_place) /* the longer caption it replaces */
        rc = cb_buf_puts(out, CSI_ERASE_EOL);
    if (rc == 0)
        rc = cb_buf_puts(out, "\n");
    if (rc < 0) {
        rc = cb_error_set(err, rc, "preview: output too large");
        goto out;
    }
    double t0 = now_ms();
    size_t bytes = 0;
    if (c->format == FMT_SIXEL) {
        int fidelity = c->zoom >= 1 ? CB_PREVIEW_SIXEL_FIDELITY : CB_PREVIEW_SIXEL_FAST;
        rc = cb_preview_sixel(out, &img, fidelity, &bytes, err);
        if (rc == 0)
            rc = cb_buf_puts(out, "\n") < 0 ? cb_error_set(err, CB_ELIMIT, "preview: output "
                                                                           "too large")
                                            : 0;
    } else {
        size_t len0 = out->len;
        int colors = c->caps.truecolor ? CB_PREVIEW_TRUECOLOR : CB_PREVIEW_256;
        rc = cb_preview_blocks(out, &img, colors, err);
        bytes = out->len - len0;
    }
    if (rc == 0)
        cb_log(c->log, CB_LOG_DEBUG, "preview: %s payload %zu bytes, encoded in %.1f ms",
               c->format == FMT_SIXEL ? "sixel" : "half-block", bytes, now_ms() - t0);
out:
    cb_preview_image_free(&img);
    cb_buf_free(&cap);
    return rc;
}

/* Rows the cursor moves down while out is written to a terminal of cols
 * columns: each line's printing characters (escape sequences and UTF-8
 * continuation bytes take no column) wrap at cols, each newline ends one,
 * and a sixel image takes ceil(height / cell height) rows (xterm leaves
 * the cursor on the row below it); plus one row to spare, as terminals
 * differ on that last row.  Overestimating costs a blank row, too few would
 * scroll the picture away from the saved cursor position. */
static int rows_of(const Ctx *c, const CbBuf *out, int img_h)
{
    int cols = c->caps.cols > 0 ? c->caps.cols : DEFAULT_COLS, n = 1, col = 0;
    const unsigned char *s = (const unsigned char *)out->data;
    for (size_t i = 0; i < out->len; i++) {
        if (s[i] == 033 && i + 1 < out->len && s[i + 1] == 'P') {
            /* A DCS (the sixel image): up to its ST (ESC \). */
            for (i += 2; i + 1 < out->len && !(s[i] == 033 && s[i + 1] == '\\'); i++)
                ;
            i++;
            if (c->caps.cell_height_px > 0)
                n += (img_h + c->caps.cell_height_px - 1) / c->caps.cell_height_px;
        } else if (s[i] == 033 && i + 1 < out->len && s[i + 1] == '[') {
            for (i += 2; i < out->len && !(s[i] >= 0x40 && s[i] <= 0x7e); i++)
                ;
        } else if (s[i] == 033) {
            i++; /* a two-byte escape (DECSC, DECRC) */
        } else if (s[i] == '\n') {
            n++;
            col = 0;
        } else if (s[i] == '\r') {
            col = 0;
        } else if ((s[i] & 0xc0) != 0x80) {
            if (col == cols) {
                n++;
                col = 0;
            }
            col++;
        }
    }
    return n;
}

/* Flip on a terminal: the two halves in place, each FLIP_MS, until q (or
 * Escape, or an interrupt).  The room is made first (newlines, then back
 * up), so the saved cursor position stays valid: nothing scrolls. */
static int flip_tty(Ctx *c, const CbFramePair *p, CbError *err)
{
    CbBuf out[2];
    struct termios saved, raw;
    int have_tty = 0, rc = 0;
    cb_buf_init(&out[0], OUT_MAX);
    cb_buf_init(&out[1], OUT_MAX);
    int halves[2] = {CB_PREVIEW_SOURCE, CB_PREVIEW_RECON};
    c->in_place = 1;
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = cb_buf_puts(&out[i], CSI_SYNC_BEGIN ESC_RESTORE_CURSOR);
        if (rc == 0)
            rc = render(c, p, halves[i], &out[i], err);
        if (rc == 0 && cb_buf_puts(&out[i], CSI_SYNC_END) < 0)
            rc = cb_error_set(err, CB_ELIMIT, "preview: output too large");
    }
    if (rc < 0)
        goto fail;
    int img_h = 0;
    {
        CbPreviewImage img = {0};
        rc = compose(c, p, CB_PREVIEW_SOURCE, &img, err);
        img_h = img.height;
        cb_preview_image_free(&img);
        if (rc < 0)
            goto fail;
    }
    int rows = rows_of(c, &out[0], img_h);
    if (tcgetattr(STDIN_FILENO, &saved) == 0) {
        raw = saved;
        raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        have_tty = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    CbBuf room;
    cb_buf_init(&room, 1 << 16);
    for (int i = 0; i < rows && rc == 0; i++)
        rc = cb_buf_puts(&room, "\n");
    if (rc == 0 && rows > 0)
        rc = cb_buf_printf(&room, CSI_UP_FMT, rows);
    if (rc == 0)
        rc = cb_buf_puts(&room, "\r" ESC_SAVE_CURSOR);
    if (rc == 0 && write_all(STDOUT_FILENO, room.data, room.len) < 0)
        rc = cb_error_set(err, CB_EIO, "standard output: %s", strerror(errno));
    cb_buf_free(&room);
    for (int k = 0; rc == 0 && !interrupted; k ^= 1) {
        if (write_all(STDOUT_FILENO, out[k].data, out[k].len) < 0) {
            rc = cb_error_set(err, CB_EIO, "standard output: %s", strerror(errno));
            break;
        }
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int n = poll(&pfd, 1, FLIP_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = cb_error_set(err, CB_EIO, "standard input: %s", strerror(errno));
            break;
        }
        if (n > 0) {
            char key[64];
            ssize_t got = read(STDIN_FILENO, key, sizeof key);
            if (got <= 0)
                break; /* end of input: nobody can press q */
            if (memchr(key, 'q', (size_t)got) || memchr(key, 'Q', (size_t)got) ||
                memchr(key, 27, (size_t)got))
                break;
        }
    }
    if (have_tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
fail:
    cb_buf_free(&out[0]);
    cb_buf_free(&out[1]);
    return rc;
}

/* A png (or, for flip, an animated png) of what c asks. */
static int write_png(const Ctx *c, const CbFramePair *p, CbError *err)
{
    CbPreviewImage img[2] = {{0}, {0}};
    int rc;
    double t0 = now_ms();
    if (c->mode == MODE_FLIP) {
        rc = compose(c, p, CB_PREVIEW_SOURCE, &img[0], err);
        if (rc == 0)
            rc = compose(c, p, CB_PREVIEW_RECON, &img[1], err);
        if (rc == 0) {
            const uint8_t *const pics[2] = {img[0].rgb, img[1].rgb};
            rc = cb_media_write_apng(c->out_path, pics, 2, img[0].width, img[0].height, FLIP_MS,
                                     err);
        }
    } else {
        int shown = c->mode == MODE_SIDE ? CB_PREVIEW_SIDE
                    : c->mode == MODE_DIFF ? CB_PREVIEW_DIFF
                    : c->mode == MODE_SOURCE ? CB_PREVIEW_SOURCE : CB_PREVIEW_RECON;
        rc = compose(c, p, shown, &img[0], err);
        if (rc == 0)
            rc = cb_media_write_png(c->out_path, img[0].rgb, img[0].width, img[0].height, err);
    }
    if (rc == 0)
        cb_log(c->log, CB_LOG_DEBUG, "preview: %dx%d written as PNG in %.1f ms", img[0].width,
               img[0].height, now_ms() - t0);
    cb_preview_image_free(&img[0]);
    cb_preview_image_free(&img[1]);
    return rc;
}

/* Everything after the frame arrived: renders c's format to stdout or -o. */
static int show(Ctx *c, const CbFramePair *p, CbError *err)
{
    if (c->format == FMT_PNG)
        return write_png(c, p, err);
    if (c->mode == MODE_FLIP && c->format != FMT_TEXT && !c->out_path && c->caps.is_tty)
        return flip_tty(c, p, err);
    CbBuf out;
    cb_buf_init(&out, OUT_MAX);
    int rc = 0;
    if (c->mode == MODE_FLIP && c->format != FMT_TEXT) {
        rc = render(c, p, CB_PREVIEW_SOURCE, &out, err);
        if (rc == 0)
            rc = render(c, p, CB_PREVIEW_RECON, &out, err);
    } else {
        int shown = c->mode == MODE_DIFF ? CB_PREVIEW_DIFF
                    : c->mode == MODE_SOURCE ? CB_PREVIEW_SOURCE
                    : c->mode == MODE_RECON ? CB_PREVIEW_RECON : CB_PREVIEW_SIDE;
        rc = render(c, p, shown, &out, err);
    }
    if (rc == 0) {
        if (c->out_path)
            rc = cb_file_write_atomic(c->out_path, out.data ? out.data : "", out.len, err);
        else if (write_all(STDOUT_FILENO, out.data ? out.data : "", out.len) < 0)
            rc = cb_error_set(err, CB_EIO, "standard output: %s", strerror(errno));
    }
    cb_buf_free(&out);
    return rc;
}

/* Picks the rate point: --qp, else the middle of the sorted rates. */
static int pick_point(Ctx *c, const CbRunResult *res, const char *qp)
{
    int rates[64], n = 0;
    for (size_t i = 0; i < res->n_points && n < 64; i++)
        rates[n++] = res->points[i].rate_value;
    for (int i = 1; i < n; i++) /* insertion sort: a handful of points */
        for (int j = i; j > 0 && rates[j - 1] > rates[j]; j--) {
            int t = rates[j];
            rates[j] = rates[j - 1];
            rates[j - 1] = t;
        }
    size_t len = 0;
    c->rate_list[0] = '\0';
    for (int i = 0; i < n; i++) {
        int k = snprintf(c->rate_list + len, sizeof c->rate_list - len, "%s%d", i ? " " : "",
                         rates[i]);
        if (k < 0 || (size_t)k >= sizeof c->rate_list - len)
            break;
        len += (size_t)k;
    }
    if (n == 0) {
        cli_error("run %lld has no rate points", (long long)c->info.id);
        return CB_EXIT_FAIL;
    }
    int want = rates[(n - 1) / 2];
    c->rate_default = !qp;
    if (qp) {
        char *end;
        errno = 0;
        long v = strtol(qp, &end, 10);
        if (errno || end == qp || *end || v < -1000 || v > 1000) {
            cli_usage(&cb_cmd_preview, "--qp needs a whole number, not '%s'", qp);
            return CB_EXIT_USAGE;
        }
        want = (int)v;
    }
    for (size_t i = 0; i < res->n_points; i++)
        if (res->points[i].rate_value == want)
            c->point = &res->points[i];
    if (!c->point) {
        cli_error("run %lld has no rate point %d (it has %s)", (long long)c->info.id, want,
                  c->rate_list);
        return CB_EXIT_FAIL;
    }
    c->rate_kind = c->point->stream_file && !strncmp(c->point->stream_file, "crf", 3) ? "CRF"
                                                                                      : "QP";
    return CB_EXIT_OK;
}

/* The options' values into c: CB_EXIT_OK or a usage error (printed). */
static int parse_values(Ctx *c, const char *frame, const char *mode, const char *format,
                        const char *width, const char *zoom, const char *at)
{
    static const char *const modes[] = {"side", "diff", "flip", "source", "recon"};
    static const char *const formats[] = {"text", "blocks", "sixel", "png"};
    const CbCommand *cmd = &cb_cmd_preview;
    long long v;
    if (!frame)
        return cli_usage(cmd, "--frame N is required (frames count from 0)");
    if (cli_count_arg(cmd, "--frame", frame, 0, &v) != CB_EXIT_OK)
        return CB_EXIT_USAGE;
    if (v > 1000000000)
        return cli_usage(cmd, "--frame %lld is too large", v);
    c->frame = (int)v;
    c->mode = MODE_SIDE;
    if (mode && (c->mode = parse_enum(mode, modes, 5)) < 0)
        return cli_usage(cmd, "--mode is side, diff, flip, source or recon, not '%s'", mode);
    c->format = FMT_AUTO;
    if (format && (c->format = parse_enum(format, formats, 4)) < 0)
        return cli_usage(cmd, "--format is sixel, blocks, text or png, not '%s'", format);
    if (c->format == FMT_AUTO && c->out_path && ends_with(c->out_path, ".png"))
        c->format = FMT_PNG;
    if (c->format == FMT_PNG && !c->out_path)
        return cli_usage(cmd, "--format png writes a file: name it with -o FILE");
    if (width) {
        if (cli_count_arg(cmd, "--width", width, 8, &v) != CB_EXIT_OK)
            return CB_EXIT_USAGE;
        if (v > CB_PREVIEW_MAX_DIM)
            return cli_usage(cmd, "--width %lld is more than %d", v, CB_PREVIEW_MAX_DIM);
        c->width = (int)v;
    }
    if (zoom) {
        if (strcmp(zoom, "1") && strcmp(zoom, "2") && strcmp(zoom, "4"))
            return cli_usage(cmd, "--zoom is 1, 2 or 4, not '%s'", zoom);
        c->zoom = zoom[0] - '0';
    }
    if (at) {
        char *end;
        errno = 0;
        long x = strtol(at, &end, 10), y = -1;
        if (!errno && end != at && *end == ',' && x >= 0 && x < CB_FRAME_MAX_DIM) {
            const char *s = end + 1;
            y = strtol(s, &end, 10);
            if (errno || end == s || *end || y < 0 || y >= CB_FRAME_MAX_DIM)
                y = -1;
        }
        if (y < 0)
            return cli_usage(cmd, "--at needs X,Y in luma pixels (e.g. 320,180), not '%s'", at);
        if (!c->zoom)
            return cli_usage(cmd, "--at places a zoomed region: give --zoom 1, 2 or 4 too");
        c->at_x = (int)x;
        c->at_y = (int)y;
        c->have_at = 1;
    }
    return CB_EXIT_OK;
}

/* The output format when none was given, and the terminal's size. */
static int detect(Ctx *c, CbError *err)
{
    int tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !c->out_path;
    const char *cs = setlocale(LC_CTYPE, "") ? nl_langinfo(CODESET) : NULL;
    c->utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
    if (!tty || c->format == FMT_PNG) {
        if (c->format == FMT_AUTO)
            c->format = FMT_TEXT;
        c->caps.truecolor = getenv("COLORTERM") && (!strcmp(getenv("COLORTERM"), "truecolor") ||
                                                    !strcmp(getenv("COLORTERM"), "24bit"));
        return 0;
    }
    int rc = cb_term_detect(STDIN_FILENO, STDOUT_FILENO, NULL, &c->caps, err);
    if (rc < 0)
        return rc;
    cb_log(c->log, CB_LOG_DEBUG, "preview: terminal: %s%s, %dx%d cells of %dx%d pixels",
           cb_term_graphics_name(c->caps.mode), c->caps.mode_forced ? " (CODECBENCH_GRAPHICS)" : "",
           c->caps.cols, c->caps.rows, c->caps.cell_width_px, c->caps.cell_height_px);
    if (c->format == FMT_AUTO) {
        c->format = c->caps.mode == CB_GRAPHICS_SIXEL ? FMT_SIXEL
                    : c->caps.mode == CB_GRAPHICS_BLOCKS && c->utf8 ? FMT_BLOCKS : FMT_TEXT;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    const char *frame = NULL, *qp = NULL, *mode = NULL, *format = NULL, *width = NULL,
               *zoom = NULL, *at = NULL, *out_path = NULL;
    int overlay = 0, verbose = 0;
    int64_t id;
    const CliOpt opts[] = {
        {.name = "frame", .text = &frame},
        {.name = "qp", .text = &qp},
        {.name = "mode", .text = &mode},
        {.name = "format", .text = &format},
        {.name = "width", .text = &width},
        {.name = "zoom", .text = &zoom},
        {.name = "at", .text = &at},
        {.name = "overlay", .flag = &overlay, .value = 1},
        {.name = "output", .letter = 'o', .text = &out_path},
        {.name = "verbose", .letter = 'v', .flag = &verbose, .value = 1},
        {0},
    };
    CliArgs a = {.opts = opts, .min = 1, .max = 1, .arity = "needs one RUN (a run id)",
                 .run_id = &id};
    int code = cli_parse_args(&cb_cmd_preview, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    Ctx c = {.out_path = out_path, .overlay = overlay};
    code = parse_values(&c, frame, mode, format, width, zoom, at);
    if (code != CB_EXIT_OK)
        return code;
    const char *env = getenv("CODECBENCH_LOG");
    CbLogger logger = {log_stderr, NULL,
                       verbose || (env && !strcmp(env, "debug")) ? CB_LOG_DEBUG : CB_LOG_WARN};
    c.log = &logger;

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    CbRunResult res = {0};
    CbFrames *frames = NULL;
    char *run_dir = NULL;
    int have_info = 0, have_res = 0;
    code = CB_EXIT_FAIL;
    if (cli_store_open(a.store, CB_STORE_READONLY, &s, &err) < 0 ||
        cb_store_get_run(s, id, &c.info, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    have_info = 1;
    if (c.info.status != CB_RUN_DONE) {
        cli_error("run %lld is %s, not done: it has no frames to preview yet", (long long)id,
                  cb_run_status_name(c.info.status));
        goto out;
    }
    if (cb_store_get_result(s, id, 1, &res, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    have_res = 1;
    code = pick_point(&c, &res, qp);
    if (code != CB_EXIT_OK)
        goto out;
    code = CB_EXIT_FAIL;
    if (c.frame >= c.point->frames) {
        cli_error("run %lld: frame %d is outside its frames 0..%lld", (long long)id, c.frame,
                  (long long)c.point->frames - 1);
        goto out;
    }
    run_dir = cb_store_run_dir(s, id);
    if (!run_dir) {
        cli_error("out of memory");
        goto out;
    }
    cb_store_close(&s);
    if (detect(&c, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    CbFramesOptions fo = {.exe = NULL, .run_dir = run_dir, .rate = c.point->rate_value,
                          .prefetch = -1};
    const CbFramePair *pair = NULL;
    double t0 = now_ms();
    if (cb_frames_open(&frames, &fo, &err) < 0 ||
        cb_frames_wait(frames, c.frame, FRAME_TIMEOUT_MS, &pair, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    cb_log(c.log, CB_LOG_DEBUG, "preview: frame %d from the frame server in %.1f ms "
           "(decoded in %.1f ms)", c.frame, now_ms() - t0, pair->decode_ms);
    if (c.overlay && !pair->blocks)
        cli_warn("run %lld is not an engine run: no block map for --overlay", (long long)id);
    if (c.have_at && (c.at_x >= pair->source.width || c.at_y >= pair->source.height)) {
        cli_error("--at %d,%d is outside the %dx%d frame", c.at_x, c.at_y, pair->source.width,
                  pair->source.height);
        goto out;
    }
    if (show(&c, pair, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    code = CB_EXIT_OK;
out:
    cb_frames_close(&frames);
    free(run_dir);
    if (have_res)
        cb_result_free(&res);
    if (have_info)
        cb_run_info_free(&c.info);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_preview = {
    .name = "preview",
    .args = "RUN --frame N [--qp Q] [--mode side|diff|flip|source|recon] "
            "[--format sixel|blocks|text|png] [--width PX] [--zoom 1|2|4 [--at X,Y]] "
            "[--overlay] [-o FILE] [--store DIR] [-v]",
    .summary = "a frame of a run: source and reconstruction as an image or text",
    .run = run,
    .help = help,
};

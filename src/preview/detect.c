/* codecbench: terminal capability detection (see codecbench/preview.h).
 *
 * One batch of queries ended by DA1 as the sentinel, as notcurses does
 * (src/lib/termdesc.c): every VT100-descended terminal answers DA1, and
 * terminals answer in order, so once DA1's reply arrives every earlier
 * query has been answered or ignored and nothing more is waited for.
 * Replies are parsed by a small ECMA-48 control-sequence state machine that
 * keeps its state across reads, so replies split across reads, mixed with
 * other bytes (typeahead) or garbage are handled; every number is clamped
 * and every buffer bounded.
 */
#define _XOPEN_SOURCE   700
#define _DEFAULT_SOURCE /* TIOCGWINSZ, struct winsize */

#include "codecbench/preview.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Queries, from the xterm control sequences (ctlseqs, "Functions using
 * CSI"; XTWINOPS for the window reports) and ECMA-48 / DEC STD 070 for DA1. */
/* CSI 16 t: report the character cell size in pixels; reply CSI 6 ; height ; width t */
#define Q_CELL_SIZE "\033[16t"
/* CSI 14 t: report the text area size in pixels; reply CSI 4 ; height ; width t */
#define Q_TEXT_AREA "\033[14t"
/* DA1, primary device attributes: reply CSI ? level ; attr ; ... c, where
 * attribute 4 means sixel graphics (VT330/VT340 and xterm's -ti vt340) */
#define Q_DA1 "\033[c"

#define ESC      0x1b
#define CSI_8BIT 0x9b /* C1 CSI, accepted from terminals in 8-bit mode */
#define CAN      0x18 /* cancels a sequence (ECMA-48 8.3.6) */
#define SUB      0x1a /* cancels a sequence too (ECMA-48 8.3.148) */

#define DA1_SIXEL_ATTR  4     /* DA1 attribute: sixel graphics */
#define T_REPLY_CELL    6     /* first parameter of the CSI 16 t reply */
#define T_REPLY_TEXT    4     /* first parameter of the CSI 14 t reply */
#define PARAM_MAX       32    /* parameters kept per sequence; more are dropped */
#define PARAM_VALUE_MAX 99999 /* parameters saturate here */
#define CELL_PX_MAX     1024  /* a cell larger than this is not believed */
#define TEXT_PX_MAX     65535 /* nor a text area larger than this */

enum { S_GROUND, S_ESC, S_CSI };

typedef struct Parser {
    int state;
    int private_marker; /* '?' '>' '=' '<' before the parameters, else 0 */
    int intermediate;   /* an intermediate byte was seen: not a reply we know */
    int nparam;         /* parameters started, up to PARAM_MAX */
    int param[PARAM_MAX];
    /* results */
    int da1_seen;
    int da1_sixel;
    int cell_w, cell_h;
    int text_w, text_h;
} Parser;

static void parser_init(Parser *p)
{
    memset(p, 0, sizeof *p);
    p->state = S_GROUND;
}

static void csi_start(Parser *p)
{
    p->state = S_CSI;
    p->private_marker = 0;
    p->intermediate = 0;
    p->nparam = 0;
    memset(p->param, 0, sizeof p->param);
}

static void csi_dispatch(Parser *p, int final)
{
    if (p->intermediate)
        return;
    if (final == 'c' && p->private_marker == '?') {
        /* DA1. The first parameter is the conformance level (62..65) or the
         * VT100-family model (1, 6, ...); the attributes follow it. */
        p->da1_seen = 1;
        for (int i = 1; i < p->nparam; i++)
            if (p->param[i] == DA1_SIXEL_ATTR)
                p->da1_sixel = 1;
        return;
    }
    if (final == 't' && p->private_marker == 0 && p->nparam >= 3) {
        int h = p->param[1], w = p->param[2];
        if (p->param[0] == T_REPLY_CELL && h > 0 && w > 0 && h <= CELL_PX_MAX && w <= CELL_PX_MAX) {
            p->cell_h = h;
            p->cell_w = w;
        } else if (p->param[0] == T_REPLY_TEXT && h > 0 && w > 0 && h <= TEXT_PX_MAX &&
                   w <= TEXT_PX_MAX) {
            p->text_h = h;
            p->text_w = w;
        }
    }
}

/* One byte from the terminal.  ECMA-48 5.4: CSI, then parameter bytes
 * 0x30-0x3F, intermediate bytes 0x20-0x2F, one final byte 0x40-0x7E. */
static void parser_byte(Parser *p, unsigned char c)
{
    if (c == CAN || c == SUB) {
        p->state = S_GROUND;
        return;
    }
    if (c == ESC) {
        p->state = S_ESC;
        return;
    }
    if (c == CSI_8BIT) {
        csi_start(p);
        return;
    }
    switch (p->state) {
    case S_GROUND: return; /* text, typeahead, noise: not ours */
    case S_ESC:
        if (c == '[')
            csi_start(p);
        else
            p->state = S_GROUND; /* another escape sequence: not a reply we know */
        return;
    case S_CSI: break;
    default: p->state = S_GROUND; return;
    }
    if (c < 0x20 || c == 0x7f)
        return; /* C0 controls inside a sequence are executed, not part of it */
    if (c > 0x7f) {
        p->state = S_GROUND; /* not a 7-bit sequence: garbage */
        return;
    }
    if (c >= '0' && c <= '9') {
        if (p->intermediate) {
            p->state = S_GROUND; /* parameter after intermediate: malformed */
            return;
        }
        if (p->nparam == 0)
            p->nparam = 1;
        if (p->nparam <= PARAM_MAX) {
            int *v = &p->param[p->nparam - 1];
            *v = *v * 10 + (c - '0');
            if (*v > PARAM_VALUE_MAX)
                *v = PARAM_VALUE_MAX;
        }
        return;
    }
    if (c == ';' || c == ':') {
        if (p->intermediate) {
            p->state = S_GROUND;
            return;
        }
        if (p->nparam == 0)
            p->nparam = 1; /* an empty first parameter */
        if (p->nparam < PARAM_MAX) {
            p->nparam++;
            p->param[p->nparam - 1] = 0;
        } else {
            p->nparam = PARAM_MAX + 1; /* stop storing; see the digit branch */
        }
        return;
    }
    if (c >= 0x3c && c <= 0x3f) { /* < = > ? */
        if (p->nparam == 0 && p->private_marker == 0 && !p->intermediate)
            p->private_marker = c;
        else
            p->state = S_GROUND; /* a marker in the middle: malformed */
        return;
    }
    if (c >= 0x20 && c <= 0x2f) {
        p->intermediate = 1;
        return;
    }
    /* a final byte, 0x40-0x7E */
    if (p->nparam > PARAM_MAX)
        p->nparam = PARAM_MAX;
    if (p->nparam == 0)
        p->param[0] = 0;
    csi_dispatch(p, c);
    p->state = S_GROUND;
}

static void parser_feed(Parser *p, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        parser_byte(p, b[i]);
}

static void copy_results(const Parser *p, CbTermCaps *caps)
{
    caps->answered = p->da1_seen;
    caps->da1_sixel = p->da1_sixel;
    if (p->cell_w > 0) {
        caps->cell_width_px = p->cell_w;
        caps->cell_height_px = p->cell_h;
        caps->cell_source = CB_CELL_CSI16T;
    }
    if (p->text_w > 0) {
        caps->text_width_px = p->text_w;
        caps->text_height_px = p->text_h;
    }
}

int cb_term_scan_replies(const unsigned char *bytes, size_t len, CbTermCaps *caps)
{
    Parser p;
    parser_init(&p);
    if (bytes)
        parser_feed(&p, bytes, len);
    if (caps)
        copy_results(&p, caps);
    return p.da1_seen;
}

const char *cb_term_graphics_name(CbGraphics mode)
{
    switch (mode) {
    case CB_GRAPHICS_SIXEL: return "sixel";
    case CB_GRAPHICS_BLOCKS: return "blocks";
    case CB_GRAPHICS_TEXT: return "text";
    }
    return "unknown";
}

int cb_term_parse_graphics(const char *value, const char *what, CbGraphics *mode, CbError *err)
{
    if (!what)
        what = "graphics mode";
    if (!value || !mode)
        return cb_error_set(err, CB_EINVAL, "%s: no value", what);
    if (strcmp(value, "sixel") == 0)
        *mode = CB_GRAPHICS_SIXEL;
    else if (strcmp(value, "blocks") == 0)
        *mode = CB_GRAPHICS_BLOCKS;
    else if (strcmp(value, "none") == 0)
        *mode = CB_GRAPHICS_TEXT;
    else
        return cb_error_set(err, CB_EINVAL, "%s: '%.64s' is not one of sixel, blocks, none", what,
                            value);
    return CB_OK;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes all of buf before the deadline (the descriptor may be non-blocking). */
static int write_all(int fd, const char *buf, size_t len, long long deadline, CbError *err)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            long long left = deadline - now_ms();
            if (left <= 0)
                return cb_error_set(err, CB_EIO, "terminal: writing the query timed out");
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
                return cb_error_set(err, CB_EIO, "terminal: poll: %s", strerror(errno));
            continue;
        }
        return cb_error_set(err, CB_EIO, "terminal: writing the query: %s",
                            w < 0 ? strerror(errno) : "nothing written");
    }
    return CB_OK;
}

/* Reads replies until DA1 is seen, the deadline passes, the terminal
 * closes, or CB_TERM_REPLY_MAX bytes came.  Never an error: a terminal
 * that fails to answer is a terminal without the features asked for. */
static void read_replies(int fd, long long deadline, Parser *p, size_t *total)
{
    unsigned char chunk[256];
    while (!p->da1_seen && *total < CB_TERM_REPLY_MAX) {
        long long left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (!(pfd.revents & POLLIN))
            break; /* POLLHUP / POLLERR with nothing to read */
        size_t want = sizeof chunk;
        if (want > CB_TERM_REPLY_MAX - *total)
            want = CB_TERM_REPLY_MAX - *total;
        ssize_t n = read(fd, chunk, want);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0)
            break;
        *total += (size_t)n;
        parser_feed(p, chunk, (size_t)n);
    }
}

/* Cell size when the terminal did not report it: TIOCGWINSZ's pixels, else
 * the CSI 14 t text area, over the cells. */
static void derive_cell_size(CbTermCaps *caps, const struct winsize *ws, int have_ws)
{
    if (caps->cell_source != CB_CELL_UNKNOWN || caps->cols <= 0 || caps->rows <= 0)
        return;
    int w = 0, h = 0;
    CbCellSource src = CB_CELL_UNKNOWN;
    if (have_ws && ws->ws_xpixel > 0 && ws->ws_ypixel > 0) {
        w = ws->ws_xpixel / caps->cols;
        h = ws->ws_ypixel / caps->rows;
        src = CB_CELL_WINSIZE;
    } else if (caps->text_width_px > 0 && caps->text_height_px > 0) {
        w = caps->text_width_px / caps->cols;
        h = caps->text_height_px / caps->rows;
        src = CB_CELL_CSI14T;
    }
    if (w > 0 && h > 0 && w <= CELL_PX_MAX && h <= CELL_PX_MAX) {
        caps->cell_width_px = w;
        caps->cell_height_px = h;
        caps->cell_source = src;
    }
}

static int is_truecolor(const char *colorterm)
{
    return colorterm && (strcmp(colorterm, "truecolor") == 0 || strcmp(colorterm, "24bit") == 0);
}

int cb_term_detect(int fd_in, int fd_out, const CbTermOptions *opt, CbTermCaps *caps, CbError *err)
{
    int rc = CB_OK;
    int saved = 0;
    struct termios old;

    if (!caps)
        return cb_error_set(err, CB_EINVAL, "terminal detection: no result struct");
    memset(caps, 0, sizeof *caps);
    int timeout_ms = opt && opt->timeout_ms ? opt->timeout_ms : CB_TERM_TIMEOUT_MS_DEFAULT;
    if (timeout_ms < 1 || timeout_ms > CB_TERM_TIMEOUT_MS_MAX)
        return cb_error_set(err, CB_EINVAL, "terminal detection: timeout %d ms outside 1..%d",
                            timeout_ms, CB_TERM_TIMEOUT_MS_MAX);

    CbGraphics forced = CB_GRAPHICS_TEXT;
    const char *env_mode = getenv("CODECBENCH_GRAPHICS");
    if (env_mode) {
        rc = cb_term_parse_graphics(env_mode, "CODECBENCH_GRAPHICS", &forced, err);
        if (rc < 0)
            return rc;
        caps->mode_forced = 1;
    }
    caps->in_tmux = getenv("TMUX") != NULL;
    caps->tmux_passthrough = caps->in_tmux;
    caps->truecolor = is_truecolor(getenv("COLORTERM"));
    const char *term = getenv("TERM");
    int dumb = !term || !*term || strcmp(term, "dumb") == 0;

    caps->is_tty = fd_in >= 0 && fd_out >= 0 && isatty(fd_in) && isatty(fd_out);

    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    int have_ws = 0;
    if (caps->is_tty) {
        if (ioctl(fd_out, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
            have_ws = 1;
            caps->cols = ws.ws_col;
            caps->rows = ws.ws_row;
        }
    }

    /* "blocks" and "none" need nothing from the terminal: no query at all
     * (a user sets them also for terminals that misbehave on queries). */
    int query = caps->is_tty && (!caps->mode_forced || forced == CB_GRAPHICS_SIXEL);
    if (query) {
        if (tcgetattr(fd_in, &old) != 0) {
            rc = cb_error_set(err, CB_EIO, "terminal: tcgetattr: %s", strerror(errno));
            goto fail;
        }
        struct termios raw = old;
        /* Non-canonical, no echo: replies must reach us byte by byte and
         * never appear on the screen.  Signals stay on (Ctrl-C still works). */
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL);
        raw.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | ISTRIP | IXON);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(fd_in, TCSANOW, &raw) != 0) {
            rc = cb_error_set(err, CB_EIO, "terminal: tcsetattr: %s", strerror(errno));
            goto fail;
        }
        saved = 1;

        long long deadline = now_ms() + timeout_ms;
        static const char q_all[] = Q_CELL_SIZE Q_TEXT_AREA Q_DA1;
        static const char q_da1[] = Q_DA1;
        int sizes = !(opt && opt->no_size_query);
        const char *q = sizes ? q_all : q_da1;
        size_t qlen = sizes ? sizeof q_all - 1 : sizeof q_da1 - 1;
        rc = write_all(fd_out, q, qlen, deadline, err);
        if (rc < 0)
            goto fail;
        caps->queried = 1;

        Parser p;
        parser_init(&p);
        read_replies(fd_in, deadline, &p, &caps->reply_bytes);
        copy_results(&p, caps);
    }
    derive_cell_size(caps, &ws, have_ws);

    caps->sixel = caps->da1_sixel && !caps->in_tmux;
    if (caps->mode_forced) {
        caps->mode = forced;
        caps->sixel = forced == CB_GRAPHICS_SIXEL;
    } else if (!caps->is_tty || dumb) {
        caps->mode = CB_GRAPHICS_TEXT;
    } else if (caps->sixel) {
        caps->mode = CB_GRAPHICS_SIXEL;
    } else {
        caps->mode = CB_GRAPHICS_BLOCKS;
    }

fail:
    if (saved && tcsetattr(fd_in, TCSANOW, &old) != 0 && rc == CB_OK)
        rc =
            cb_error_set(err, CB_EIO, "terminal: restoring the terminal mode: %s", strerror(errno));
    return rc;
}

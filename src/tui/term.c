/* codecbench dashboard: the terminal: curses start and stop, the locale's
 * character set, colours from the theme (8, 256 or direct colour, or none
 * under NO_COLOR), keys, and the drawing helpers every view uses.  Text
 * from data reaches the screen only through tui_text(), which sanitises it.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif
#include "tui/app_int.h"

#include <errno.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "codecbench/buf.h"
#include "codecbench/sanitize.h"
#include "tui/termimg.h"

/* ---- colours ------------------------------------------------------------------ */

/* The xterm 256-colour palette as RGB: 0..15 the system colours (xterm's
 * defaults), 16..231 the 6x6x6 cube, 232..255 the grey ramp. */
static void palette_rgb(int c, int rgb[3])
{
    static const unsigned char sys[16][3] = {
        {0, 0, 0},     {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
        {0, 0, 238},   {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
        {127, 127, 127}, {255, 0, 0}, {0, 255, 0},   {255, 255, 0},
        {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
    };
    if (c < 16) {
        for (int i = 0; i < 3; i++)
            rgb[i] = sys[c][i];
    } else if (c < 232) {
        static const int level[6] = {0, 95, 135, 175, 215, 255};
        c -= 16;
        rgb[0] = level[c / 36];
        rgb[1] = level[(c / 6) % 6];
        rgb[2] = level[c % 6];
    } else {
        int v = 8 + 10 * (c - 232);
        rgb[0] = rgb[1] = rgb[2] = v;
    }
}

/* The nearest of the eight basic colours to a palette entry: each channel
 * is on when it is at least half-bright, so 196 (bright red) is red and
 * 250 (light grey) is white; 8..15 are the bright forms of 0..7. */
static int to_basic(int c)
{
    if (c < 8)
        return c;
    if (c < 16)
        return c - 8;
    int rgb[3];
    palette_rgb(c, rgb);
    int max = rgb[0] > rgb[1] ? rgb[0] : rgb[1];
    max = max > rgb[2] ? max : rgb[2];
    if (max < 64)
        return COLOR_BLACK;
    int t = max / 2;
    int r = rgb[0] > t, g = rgb[1] > t, b = rgb[2] > t;
    return r | g << 1 | b << 2; /* curses: 1 red, 2 green, 4 blue */
}

/* A theme colour for this terminal: -1 (default), or a colour number. */
static int map_color(const TuiApp *app, int c)
{
    if (c < 0)
        return -1;
    if (app->colors >= (1 << 24)) {
        /* Direct colour (TERM=xterm-direct): colour numbers are RGB. */
        int rgb[3];
        palette_rgb(c, rgb);
        return rgb[0] << 16 | rgb[1] << 8 | rgb[2];
    }
    if (app->colors >= 256)
        return c;
    if (app->colors >= 16 && c < 16)
        return c;
    return to_basic(c);
}

static attr_t attrs_of(unsigned a)
{
    attr_t r = A_NORMAL;
    if (a & CB_ATTR_BOLD)
        r |= A_BOLD;
    if (a & CB_ATTR_UNDERLINE)
        r |= A_UNDERLINE;
    if (a & CB_ATTR_REVERSE)
        r |= A_REVERSE;
    if (a & CB_ATTR_DIM)
        r |= A_DIM;
    if (a & CB_ATTR_BLINK)
        r |= A_BLINK;
    if (a & CB_ATTR_STANDOUT)
        r |= A_STANDOUT;
#ifdef A_ITALIC
    if (a & CB_ATTR_ITALIC)
        r |= A_ITALIC;
#endif
    return r;
}

/* Without colours, areas told apart only by their colours (the cursor,
 * the bars) would look like text: they get attributes instead. */
static attr_t mono_attrs(CbColorArea area, unsigned theme_attrs)
{
    attr_t a = attrs_of(theme_attrs);
    switch (area) {
    case CB_AREA_TITLE:
    case CB_AREA_STATUS:
    case CB_AREA_CURSOR:
    case CB_AREA_SEARCH_MATCH:
        return a | A_REVERSE;
    case CB_AREA_STATUS_ERROR:
        return a | A_REVERSE | A_BOLD;
    case CB_AREA_MARKED:
    case CB_AREA_HELP_KEY:
    case CB_AREA_LOG_ERROR:
    case CB_AREA_RUNNING:
        return a | A_BOLD;
    case CB_AREA_BAD:
    case CB_AREA_FAILED:
        return a | A_UNDERLINE;
    default:
        return a;
    }
}

void tui_term_colors(TuiApp *app)
{
    struct TuiAppPrivate *p = app->priv;
    for (int area = 0; area < CB_AREA_COUNT; area++) {
        CbColor c = cb_config_color(app->cfg, (CbColorArea)area);
        if (!app->colors) {
            p->area_attr[area] = mono_attrs((CbColorArea)area, c.attrs);
            continue;
        }
        int fg = map_color(app, c.fg), bg = map_color(app, c.bg);
        int pair = area + 1;
        int ok;
#if NCURSES_EXT_COLORS
        ok = init_extended_pair(pair, fg, bg) == OK;
#else
        ok = init_pair((short)pair, (short)fg, (short)bg) == OK;
#endif
        p->area_attr[area] = attrs_of(c.attrs) | (ok ? COLOR_PAIR(pair) : 0);
    }
}

attr_t tui_attr(const TuiApp *app, CbColorArea area)
{
    if ((int)area < 0 || area >= CB_AREA_COUNT)
        return A_NORMAL;
    return app->priv->area_attr[area];
}

/* ---- what the terminal can show (issue 6) ------------------------------------------ */

static int locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

int tui_term_detect(TuiApp *app, CbError *err)
{
    struct TuiAppPrivate *p = app->priv;
    app->utf8 = locale_utf8();
    /* The precedence of every setting: CODECBENCH_GRAPHICS (cb_term_detect reads it),
     * then the config's preview = auto|sixel|blocks|text. */
    const char *env = getenv("CODECBENCH_GRAPHICS");
    const char *pref = cb_config_get_string(app->cfg, "preview");
    CbGraphics want = CB_GRAPHICS_TEXT;
    int from_cfg = !env && pref && strcmp(pref, "auto") != 0;
    if (from_cfg) {
        if (strcmp(pref, "sixel") == 0)
            want = CB_GRAPHICS_SIXEL;
        else if (strcmp(pref, "blocks") == 0)
            want = CB_GRAPHICS_BLOCKS;
    }
    int rc;
    if (from_cfg && want != CB_GRAPHICS_SIXEL) {
        /* blocks and text need nothing from the terminal: no query (set for terminals
         * that misbehave on queries), the environment only */
        rc = cb_term_detect(-1, -1, NULL, &p->caps, err);
        p->caps.is_tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    } else {
        rc = cb_term_detect(STDIN_FILENO, STDOUT_FILENO, NULL, &p->caps, err);
    }
    if (rc < 0)
        return rc;
    if (from_cfg) {
        p->caps.mode = want;
        p->caps.sixel = want == CB_GRAPHICS_SIXEL;
    }
    p->sixel_asked = p->caps.mode == CB_GRAPHICS_SIXEL && (from_cfg || p->caps.mode_forced);
    p->graphics = p->caps.mode;
    if (p->graphics == CB_GRAPHICS_BLOCKS && !app->utf8)
        p->graphics = CB_GRAPHICS_TEXT; /* half blocks are Unicode */
    tui_log(app,
            "terminal: tty %d, answered %d, DA1 sixel %d, tmux %d, truecolor %d, cell %dx%d px "
            "(source %d), %zu reply bytes; graphics %s%s",
            p->caps.is_tty, p->caps.answered, p->caps.da1_sixel, p->caps.in_tmux, p->caps.truecolor,
            p->caps.cell_width_px, p->caps.cell_height_px, (int)p->caps.cell_source,
            p->caps.reply_bytes, cb_term_graphics_name(p->graphics),
            p->caps.mode_forced ? " (CODECBENCH_GRAPHICS)"
            : from_cfg          ? " (config)"
                                : "");
    return CB_OK;
}

void tui_term_resized(TuiApp *app)
{
    CbTermCaps *c = &app->priv->caps;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || !ws.ws_col || !ws.ws_row)
        return;
    c->cols = ws.ws_col;
    c->rows = ws.ws_row;
    /* a font change shows in the pixel size where the cell size came from it (the
     * terminal's own answers are not asked again: no queries while curses runs) */
    if (c->cell_source == CB_CELL_WINSIZE && ws.ws_xpixel && ws.ws_ypixel) {
        c->cell_width_px = ws.ws_xpixel / ws.ws_col;
        c->cell_height_px = ws.ws_ypixel / ws.ws_row;
    }
}

const CbTermCaps *tui_term_caps(const TuiApp *app)
{
    return &app->priv->caps;
}

CbGraphics tui_graphics(const TuiApp *app)
{
    return app->priv->graphics;
}

int tui_graphics_usable(const TuiApp *app, CbGraphics mode)
{
    const struct TuiAppPrivate *p = app->priv;
    switch (mode) {
    case CB_GRAPHICS_TEXT: return 1;
    case CB_GRAPHICS_BLOCKS: return app->utf8;
    case CB_GRAPHICS_SIXEL: return p->sixel_asked || (p->caps.da1_sixel && !p->caps.in_tmux);
    default: return 0;
    }
}

int tui_set_graphics(TuiApp *app, CbGraphics mode)
{
    if (!tui_graphics_usable(app, mode))
        return CB_EINVAL;
    if (app->priv->graphics != mode)
        tui_log(app, "graphics: %s (key)", cb_term_graphics_name(mode));
    app->priv->graphics = mode;
    tui_dirty(app);
    return CB_OK;
}

int tui_graphics_passthrough(const TuiApp *app)
{
    const struct TuiAppPrivate *p = app->priv;
    return p->caps.in_tmux && p->graphics == CB_GRAPHICS_SIXEL && p->sixel_asked;
}

int tui_term_write(const void *buf, size_t len)
{
    const char *s = buf;
    while (len) {
        ssize_t k = write(STDOUT_FILENO, s, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EAGAIN) {
            /* a terminal that is behind: wait until it takes more */
            struct pollfd pfd = {.fd = STDOUT_FILENO, .events = POLLOUT};
            if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
                return CB_EIO;
            continue;
        }
        if (k <= 0)
            return CB_EIO;
        s += k;
        len -= (size_t)k;
    }
    return CB_OK;
}

/* ---- start and stop ------------------------------------------------------------- */

static SCREEN *screen;

int tui_term_start(TuiApp *app, CbError *err)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return cb_error_set(err, CB_EINVAL,
                            "the dashboard needs a terminal on standard input and output "
                            "('codecbench --help' lists the commands for scripts)");
    app->utf8 = locale_utf8();
    const char *term = getenv("TERM");
    if (!term || !*term)
        return cb_error_set(err, CB_EINVAL, "TERM is not set: the dashboard cannot know the terminal");
    /* ESC alone must come through fast: a 25 ms wait for a following byte
     * (unless the user set ESCDELAY). */
    if (!getenv("ESCDELAY"))
        set_escdelay(25);
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        char *t = cb_sanitize_dup(term, 0);
        cb_error_set(err, CB_EINVAL, "the terminal type '%s' is not known (TERM); try TERM=xterm",
                     t ? t : "?");
        free(t);
        return CB_EINVAL;
    }
    set_term(screen);
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON3_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                  | BUTTON5_PRESSED
#endif
              ,
              NULL);
    mouseinterval(0);

    const char *nc = getenv("NO_COLOR");
    if ((nc && *nc) || !has_colors()) {
        app->colors = 0;
    } else {
        start_color();
        use_default_colors();
        app->colors = COLORS >= (1 << 24) ? (1 << 24) : COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : 8;
        if (COLOR_PAIRS < CB_AREA_COUNT + 1)
            app->colors = 0;
    }
    tui_term_colors(app);
    getmaxyx(stdscr, app->rows, app->cols);
    return CB_OK;
}

void tui_term_stop(TuiApp *app)
{
    (void)app;
    if (!screen)
        return;
    curs_set(1);
    endwin();
    delscreen(screen);
    screen = NULL;
}

/* ---- keys ------------------------------------------------------------------------ */

/* Reads one key from curses (see tui_term_key). */
static int read_key(TuiApp *app, int *key, MEVENT *mouse)
{
    wint_t ch;
    int r = wget_wch(stdscr, &ch);
    if (r == ERR)
        return 0;
    if (r == OK) {
        if (ch == '\n' || ch == '\r')
            *key = 13;
        else if (ch == 8)
            *key = 127;
        else
            *key = (int)ch;
        return 1;
    }
    switch (ch) {
    case KEY_RESIZE: *key = -1; return 1;
    case KEY_MOUSE:
        if (getmouse(mouse) != OK)
            return read_key(app, key, mouse);
        *key = -2;
        return 1;
    case KEY_UP: *key = CB_KEY_UP; return 1;
    case KEY_DOWN: *key = CB_KEY_DOWN; return 1;
    case KEY_LEFT: *key = CB_KEY_LEFT; return 1;
    case KEY_RIGHT: *key = CB_KEY_RIGHT; return 1;
    case KEY_HOME: *key = CB_KEY_HOME; return 1;
    case KEY_END: *key = CB_KEY_END; return 1;
    case KEY_PPAGE: *key = CB_KEY_PAGE_UP; return 1;
    case KEY_NPAGE: *key = CB_KEY_PAGE_DOWN; return 1;
    case KEY_IC: *key = CB_KEY_INSERT; return 1;
    case KEY_DC: *key = CB_KEY_DELETE; return 1;
    case KEY_BTAB: *key = CB_KEY_BACK_TAB; return 1;
    case KEY_ENTER: *key = 13; return 1;
    case KEY_BACKSPACE: *key = 127; return 1;
    default:
        if (ch >= KEY_F(1) && ch <= KEY_F(24)) {
            *key = CB_KEY_F1 + (int)(ch - KEY_F(1));
            return 1;
        }
        return read_key(app, key, mouse); /* a key we have no name for: skip it */
    }
}

/* Reads one key: 1 with *key a CB key (or 0 for a resize / mouse event
 * with *mouse filled, see below), 0 when none is waiting.  KEY_RESIZE
 * gives *key = -1, a mouse event *key = -2.
 *
 * A terminal that answered the detection queries late (after its timeout)
 * sends its replies as input: ESC [ ? ... c, ESC [ 6 ; H ; W t.  They are
 * not keys (ESC alone goes back): after an ESC the keys already waiting are
 * read ahead, a whole reply among them is dropped, and the others are given
 * out in order. */
int tui_term_key(TuiApp *app, int *key, MEVENT *mouse)
{
    struct TuiAppPrivate *p = app->priv;
    for (;;) {
        if (p->ahead_at < p->n_ahead) {
            *key = p->ahead[p->ahead_at++];
            return 1;
        }
        p->n_ahead = p->ahead_at = 0;
        int r = read_key(app, key, mouse);
        if (r != 1 || *key != 27)
            return r;
        int buf[sizeof p->ahead / sizeof p->ahead[0]];
        size_t n = 0, cap = sizeof buf / sizeof buf[0];
        buf[n++] = 27;
        int len = tui_reply_len(buf, n);
        while (len < 0 && n < cap) {
            int k;
            MEVENT m;
            if (read_key(app, &k, &m) != 1)
                break;
            if (k == -2)
                continue; /* a click in the middle of a reply: dropped */
            buf[n++] = k;
            if (k == -1)
                break; /* a resize: handled after what came before it */
            len = tui_reply_len(buf, n);
        }
        size_t from = 1;
        if (len > 0) {
            tui_log(app, "keys: dropped a late terminal reply of %d bytes", len);
            from = (size_t)len;
        }
        for (size_t i = from; i < n; i++)
            p->ahead[p->n_ahead++] = buf[i];
        if (len <= 0) {
            *key = 27;
            return 1;
        }
    }
}

/* ---- drawing ------------------------------------------------------------------------ */

/* Text that needs no sanitising and is one column a byte: printable ASCII. */
static int plain_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            return 0;
    return 1;
}

/* Sanitised wide text of s in buf (cap wide characters), for drawing. */
static size_t widen(TuiApp *app, const char *s, wchar_t *buf, size_t cap)
{
    size_t n = 0;
    if (plain_ascii(s)) {
        while (s[n] && n < cap) {
            buf[n] = (wchar_t)(unsigned char)s[n];
            n++;
        }
        return n;
    }
    CbBuf clean;
    size_t len = strlen(s);
    /* The sanitised form is at most 4 bytes a byte (sanitize.h). */
    cb_buf_init(&clean, 4 * len + 16);
    if (cb_sanitize_append(&clean, s, len, app->utf8 ? 0 : CB_SANITIZE_ASCII) < 0 ||
        !clean.data) {
        cb_buf_free(&clean);
        return 0;
    }
    mbstate_t st;
    memset(&st, 0, sizeof st);
    const char *p = (const char *)clean.data;
    size_t left = clean.len;
    while (left && n < cap) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, p, left, &st);
        if (k == (size_t)-1 || k == (size_t)-2) {
            wc = L'?';
            k = 1;
            memset(&st, 0, sizeof st);
        } else if (k == 0) {
            break;
        }
        buf[n++] = wc;
        p += k;
        left -= k;
    }
    cb_buf_free(&clean);
    return n;
}

static int wcol(wchar_t c)
{
    int w = wcwidth(c);
    return w < 0 ? 1 : w;
}

int tui_width(const char *utf8)
{
    if (plain_ascii(utf8))
        return (int)strlen(utf8);
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int w = 0;
    size_t left = strlen(utf8);
    while (left) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, utf8, left, &st);
        if (k == (size_t)-1 || k == (size_t)-2) {
            w += 1;
            k = 1;
            memset(&st, 0, sizeof st);
        } else if (k == 0) {
            break;
        } else {
            w += wcol(wc);
        }
        utf8 += k;
        left -= k;
    }
    return w;
}

#define TUI_TEXT_MAX 4096

/* Draws the wide text w[0..n) in at most width columns, cutting with an
 * ellipsis; returns the columns used. */
static int put_wide(TuiApp *app, int y, int x, int width, attr_t attrs, const wchar_t *w, size_t n)
{
    if (width <= 0 || y < 0 || y >= app->rows || x >= app->cols)
        return 0;
    if (x + width > app->cols)
        width = app->cols - x;
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += wcol(w[i]);
    size_t keep = n;
    int cut = total > width;
    if (cut) {
        int budget = width - 1, used = 0;
        keep = 0;
        while (keep < n && used + wcol(w[keep]) <= budget)
            used += wcol(w[keep++]);
    }
    attr_t old_a;
    short old_p;
    attr_get(&old_a, &old_p, NULL);
    attrset(attrs);
    mvaddnwstr(y, x, w, (int)keep);
    int used = 0;
    for (size_t i = 0; i < keep; i++)
        used += wcol(w[i]);
    if (cut) {
        if (app->utf8)
            addnwstr(L"\u2026", 1);
        else
            addch('~');
        used++;
    }
    attrset(old_a | COLOR_PAIR(old_p));
    return used;
}

int tui_text(TuiApp *app, int y, int x, int width, attr_t attrs, const char *text)
{
    if (!text)
        return 0;
    wchar_t buf[TUI_TEXT_MAX];
    size_t n = widen(app, text, buf, TUI_TEXT_MAX);
    return put_wide(app, y, x, width, attrs, buf, n);
}

int tui_textf(TuiApp *app, int y, int x, int width, attr_t attrs, const char *fmt, ...)
{
    char s[TUI_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(s, sizeof s, fmt, ap);
    va_end(ap);
    if (k < 0)
        return 0;
    return tui_text(app, y, x, width, attrs, s);
}

int tui_text_right(TuiApp *app, int y, int x, int width, attr_t attrs, const char *text)
{
    if (!text)
        return 0;
    wchar_t buf[TUI_TEXT_MAX];
    size_t n = widen(app, text, buf, TUI_TEXT_MAX);
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += wcol(buf[i]);
    int pad = width - total;
    if (pad > 0) {
        tui_fill(app, y, x, pad, attrs);
        return pad + put_wide(app, y, x + pad, width - pad, attrs, buf, n);
    }
    return put_wide(app, y, x, width, attrs, buf, n);
}

void tui_fill(TuiApp *app, int y, int x, int width, attr_t attrs)
{
    if (y < 0 || y >= app->rows || x >= app->cols || width <= 0)
        return;
    if (x < 0) {
        width += x;
        x = 0;
    }
    if (x + width > app->cols)
        width = app->cols - x;
    attr_t old_a;
    short old_p;
    attr_get(&old_a, &old_p, NULL);
    attrset(attrs);
    mvhline(y, x, ' ', width);
    attrset(old_a | COLOR_PAIR(old_p));
}

void tui_clear_rect(TuiApp *app, TuiRect r)
{
    for (int i = 0; i < r.h; i++)
        tui_fill(app, r.y + i, r.x, r.w, A_NORMAL);
}

void tui_glyph(TuiApp *app, int y, int x, attr_t attrs, const char *utf8, char ascii)
{
    if (y < 0 || y >= app->rows || x < 0 || x >= app->cols)
        return;
    attr_t old_a;
    short old_p;
    attr_get(&old_a, &old_p, NULL);
    attrset(attrs);
    wchar_t wc = 0;
    if (app->utf8 && utf8 && mbtowc(&wc, utf8, strlen(utf8)) > 0)
        mvaddnwstr(y, x, &wc, 1);
    else
        mvaddch(y, x, (chtype)(unsigned char)ascii);
    attrset(old_a | COLOR_PAIR(old_p));
}

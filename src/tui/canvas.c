/* codecbench dashboard: charts drawn in cells, the model (see canvas.h). */
#include "tui/canvas.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- canvas ------------------------------------------------------------------ */

int tui_canvas_resize(TuiCanvas *c, int w, int h, CbError *err)
{
    w = w < 0 ? 0 : w > TUI_CANVAS_MAX_CELLS ? TUI_CANVAS_MAX_CELLS : w;
    h = h < 0 ? 0 : h > TUI_CANVAS_MAX_CELLS ? TUI_CANVAS_MAX_CELLS : h;
    size_t cells = (size_t)w * (size_t)h;
    if (cells > c->cap) {
        uint8_t *d = malloc(cells), *s = malloc(cells), *m = malloc(cells);
        if (!d || !s || !m) {
            free(d);
            free(s);
            free(m);
            tui_canvas_free(c);
            return cb_error_set(err, CB_ENOMEM, "chart canvas of %dx%d cells: out of memory", w, h);
        }
        free(c->dots);
        free(c->series);
        free(c->marker);
        c->dots = d;
        c->series = s;
        c->marker = m;
        c->cap = cells;
    }
    c->w = w;
    c->h = h;
    tui_canvas_clear(c);
    return CB_OK;
}

void tui_canvas_free(TuiCanvas *c)
{
    if (!c)
        return;
    free(c->dots);
    free(c->series);
    free(c->marker);
    memset(c, 0, sizeof *c);
}

void tui_canvas_clear(TuiCanvas *c)
{
    size_t cells = (size_t)c->w * (size_t)c->h;
    if (!cells)
        return;
    memset(c->dots, 0, cells);
    memset(c->series, 0, cells);
    memset(c->marker, 0, cells);
}

/* Braille dot numbering (Unicode, "Braille Patterns" block): dots 1-3 run
 * down the left column, 4-6 down the right, 7 and 8 are the bottom row;
 * dot k is bit k-1 of the code point's offset from U+2800. */
unsigned tui_braille_bit(int dx, int dy)
{
    static const uint8_t bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    if (dx < 0 || dx > 1 || dy < 0 || dy > 3)
        return 0;
    return bit[dy][dx];
}

int tui_braille_utf8(unsigned bits, char out[4])
{
    unsigned cp = 0x2800u + (bits & 0xffu);
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    out[3] = '\0';
    return 3;
}

static int clamp_series(int series)
{
    return series < 0 ? 0 : series >= TUI_CANVAS_MAX_SERIES ? TUI_CANVAS_MAX_SERIES - 1 : series;
}

void tui_canvas_dot(TuiCanvas *c, int x, int y, int series)
{
    if (x < 0 || y < 0 || x >= 2 * c->w || y >= 4 * c->h)
        return;
    size_t i = (size_t)(y / 4) * (size_t)c->w + (size_t)(x / 2);
    c->dots[i] |= (uint8_t)tui_braille_bit(x % 2, y % 4);
    c->series[i] = (uint8_t)(clamp_series(series) + 1);
}

void tui_canvas_marker(TuiCanvas *c, int x, int y, int series)
{
    if (x < 0 || y < 0 || x >= 2 * c->w || y >= 4 * c->h)
        return;
    size_t i = (size_t)(y / 4) * (size_t)c->w + (size_t)(x / 2);
    c->marker[i] = (uint8_t)(clamp_series(series) + 1);
}

/* Liang-Barsky: clips the segment to [xmin, xmax] x [ymin, ymax]; 0 when
 * nothing of it is inside. */
static int clip_segment(double *x0, double *y0, double *x1, double *y1, double xmin, double xmax,
                        double ymin, double ymax)
{
    double dx = *x1 - *x0, dy = *y1 - *y0, t0 = 0.0, t1 = 1.0;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {*x0 - xmin, xmax - *x0, *y0 - ymin, ymax - *y0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0)
                return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0.0) {
            if (t > t1)
                return 0;
            if (t > t0)
                t0 = t;
        } else {
            if (t < t0)
                return 0;
            if (t < t1)
                t1 = t;
        }
    }
    double ax = *x0 + t0 * dx, ay = *y0 + t0 * dy, bx = *x0 + t1 * dx, by = *y0 + t1 * dy;
    *x0 = ax;
    *y0 = ay;
    *x1 = bx;
    *y1 = by;
    return 1;
}

void tui_canvas_line(TuiCanvas *c, int x0, int y0, int x1, int y1, int series)
{
    int W = 2 * c->w, H = 4 * c->h;
    if (W <= 0 || H <= 0)
        return;
    double fx0 = x0, fy0 = y0, fx1 = x1, fy1 = y1;
    if (!clip_segment(&fx0, &fy0, &fx1, &fy1, 0.0, W - 1, 0.0, H - 1))
        return;
    int ax = (int)lround(fx0), ay = (int)lround(fy0), bx = (int)lround(fx1), by = (int)lround(fy1);
    int dx = abs(bx - ax), dy = -abs(by - ay);
    int sx = ax < bx ? 1 : -1, sy = ay < by ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        tui_canvas_dot(c, ax, ay, series);
        if (ax == bx && ay == by)
            break;
        int e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            ax += sx;
        }
        if (e2 <= dx) {
            e += dx;
            ay += sy;
        }
    }
}

void tui_canvas_hdash(TuiCanvas *c, int y, int series)
{
    for (int x = 0; x < 2 * c->w; x++)
        if (x % 4 < 2)
            tui_canvas_dot(c, x, y, series);
}

unsigned tui_canvas_bits(const TuiCanvas *c, int cx, int cy)
{
    if (cx < 0 || cy < 0 || cx >= c->w || cy >= c->h)
        return 0;
    return c->dots[(size_t)cy * (size_t)c->w + (size_t)cx];
}

int tui_canvas_cell_series(const TuiCanvas *c, int cx, int cy)
{
    if (cx < 0 || cy < 0 || cx >= c->w || cy >= c->h)
        return -1;
    size_t i = (size_t)cy * (size_t)c->w + (size_t)cx;
    if (c->marker[i])
        return c->marker[i] - 1;
    return c->dots[i] ? c->series[i] - 1 : -1;
}

int tui_canvas_cell_marker(const TuiCanvas *c, int cx, int cy)
{
    if (cx < 0 || cy < 0 || cx >= c->w || cy >= c->h)
        return -1;
    return c->marker[(size_t)cy * (size_t)c->w + (size_t)cx] - 1;
}

char tui_canvas_ascii(int series)
{
    static const char marks[] = "*+ox#%=~";
    return marks[(unsigned)clamp_series(series) % (sizeof marks - 1)];
}

char tui_canvas_ascii_marker(int series)
{
    static const char marks[] = "OX@&$HWM";
    return marks[(unsigned)clamp_series(series) % (sizeof marks - 1)];
}

const char *tui_canvas_marker_glyph(int series)
{
    /* Geometric shapes that are one column wide in every common terminal. */
    static const char *const glyphs[] = {"●", "■", "▲", "◆", "▼", "◀", "▶", "○"};
    return glyphs[(unsigned)clamp_series(series) % (sizeof glyphs / sizeof *glyphs)];
}

size_t tui_canvas_row_text(const TuiCanvas *c, int cy, int utf8, char *out, size_t size)
{
    size_t len = 0;
    if (!size)
        return 0;
    out[0] = '\0';
    if (cy < 0 || cy >= c->h)
        return 0;
    for (int cx = 0; cx < c->w; cx++) {
        char cell[8];
        int n;
        int m = tui_canvas_cell_marker(c, cx, cy);
        unsigned bits = tui_canvas_bits(c, cx, cy);
        if (m >= 0) {
            if (utf8)
                n = snprintf(cell, sizeof cell, "%s", tui_canvas_marker_glyph(m));
            else
                n = snprintf(cell, sizeof cell, "%c", tui_canvas_ascii_marker(m));
        } else if (!bits) {
            n = snprintf(cell, sizeof cell, " ");
        } else if (utf8) {
            n = tui_braille_utf8(bits, cell);
        } else {
            n = snprintf(cell, sizeof cell, "%c",
                         tui_canvas_ascii(tui_canvas_cell_series(c, cx, cy)));
        }
        if (n < 0 || (size_t)n + len + 1 > size)
            break;
        memcpy(out + len, cell, (size_t)n);
        len += (size_t)n;
        out[len] = '\0';
    }
    return len;
}

/* ---- axes ------------------------------------------------------------------ */

static double clamp_abs(double v)
{
    return v > TUI_AXIS_MAX_ABS ? TUI_AXIS_MAX_ABS : v < -TUI_AXIS_MAX_ABS ? -TUI_AXIS_MAX_ABS : v;
}

size_t tui_axis_data_range(const double *v, size_t n, int log, double *min, double *max)
{
    size_t k = 0;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x) || (log && x <= 0))
            continue;
        if (!k || x < lo)
            lo = x;
        if (!k || x > hi)
            hi = x;
        k++;
    }
    if (k) {
        *min = lo;
        *max = hi;
    }
    return k;
}

/* The smallest nice step (1, 2, 2.5, 5 x 10^k) at least raw. */
static double nice_step(double raw, int *decimals)
{
    static const double mant[] = {1.0, 2.0, 2.5, 5.0, 10.0};
    double e = floor(log10(raw));
    double p = pow(10.0, e);
    double f = raw / p;
    double m = 10.0;
    for (size_t i = 0; i < sizeof mant / sizeof *mant; i++)
        if (mant[i] >= f * (1.0 - 1e-9)) {
            m = mant[i];
            break;
        }
    if (m == 10.0) {
        m = 1.0;
        e += 1.0;
    }
    if (decimals) {
        /* m x 10^e needs -e decimals; 2.5 x 10^e one more (25 needs none) */
        int d = (int)-e + (m == 2.5 ? 1 : 0);
        if (d < 0)
            d = 0;
        *decimals = d;
    }
    return m * pow(10.0, e);
}

/* Linear ticks: the nice step giving at most max_ticks ticks over [min, max]. */
static void fit_linear(TuiAxis *a, double min, double max, int max_ticks)
{
    double range = max - min;
    int intervals = max_ticks - 1 < 1 ? 1 : max_ticks - 1;
    double raw = range / intervals;
    int decimals = 0;
    double step = 0;
    long long k0 = 0, k1 = 0;
    for (int tries = 0; tries < 8; tries++) {
        step = nice_step(raw, &decimals);
        k0 = (long long)floor(min / step + 1e-9);
        k1 = (long long)ceil(max / step - 1e-9);
        if (k1 <= k0)
            k1 = k0 + 1;
        if (k1 - k0 + 1 <= max_ticks)
            break;
        raw = step * 1.01;
    }
    a->step = step;
    a->lo = (double)k0 * step;
    a->hi = (double)k1 * step;
    a->n_ticks = 0;
    for (long long k = k0; k <= k1 && a->n_ticks < TUI_AXIS_MAX_TICKS; k++) {
        double t = (double)k * step;
        a->ticks[a->n_ticks++] = t == 0.0 ? 0.0 : t; /* no "-0" */
    }
    /* Labels: thousands get a suffix; decimals follow the step in label units. */
    double big = fmax(fabs(a->lo), fabs(a->hi));
    a->label_div = 1.0;
    a->label_suffix = "";
    if (big >= 1e9) {
        a->label_div = 1e9;
        a->label_suffix = "G";
    } else if (big >= 1e6) {
        a->label_div = 1e6;
        a->label_suffix = "M";
    } else if (big >= 1e3) {
        a->label_div = 1e3;
        a->label_suffix = "k";
    }
    double ls = step / a->label_div;
    (void)nice_step(ls, &decimals);
    a->decimals = decimals > 12 ? 12 : decimals;
}

/* Counts m x 10^k ticks (m from mants) within [lo, hi] after snapping lo down
 * and hi up to such ticks; fills a when fill. */
static int log_mantissa_ticks(TuiAxis *a, double min, double max, const double *mants, int nm,
                              int fill)
{
    int e0 = (int)floor(log10(min)) - 1, e1 = (int)ceil(log10(max)) + 1;
    double lo = 0, hi = 0;
    /* lo: the largest tick <= min; hi: the smallest tick >= max */
    for (int e = e0; e <= e1; e++)
        for (int i = 0; i < nm; i++) {
            double t = mants[i] * pow(10.0, e);
            if (t <= min * (1 + 1e-12))
                lo = t;
            if (hi == 0 && t >= max * (1 - 1e-12))
                hi = t;
        }
    if (lo <= 0 || hi <= 0)
        return 0;
    int n = 0;
    for (int e = e0; e <= e1; e++)
        for (int i = 0; i < nm; i++) {
            double t = mants[i] * pow(10.0, e);
            if (t < lo * (1 - 1e-12) || t > hi * (1 + 1e-12))
                continue;
            if (fill && n < TUI_AXIS_MAX_TICKS)
                a->ticks[n] = t;
            n++;
        }
    if (fill) {
        a->lo = lo;
        a->hi = hi;
        a->n_ticks = n < TUI_AXIS_MAX_TICKS ? n : TUI_AXIS_MAX_TICKS;
    }
    return n;
}

/* Decade ticks, every s-th decade with the smallest s that fits max_ticks. */
static void log_decade_ticks(TuiAxis *a, double min, double max, int max_ticks)
{
    static const int strides[] = {1, 2, 3, 5, 10, 20, 50, 100};
    double lmin = log10(min), lmax = log10(max);
    int s = 100, k0 = 0, k1 = 1;
    for (size_t i = 0; i < sizeof strides / sizeof *strides; i++) {
        s = strides[i];
        k0 = (int)floor(lmin / s + 1e-9);
        k1 = (int)ceil(lmax / s - 1e-9);
        if (k1 <= k0)
            k1 = k0 + 1;
        if (k1 - k0 + 1 <= max_ticks)
            break;
    }
    a->lo = pow(10.0, (double)k0 * s);
    a->hi = pow(10.0, (double)k1 * s);
    a->n_ticks = 0;
    for (int k = k0; k <= k1 && a->n_ticks < TUI_AXIS_MAX_TICKS; k++)
        a->ticks[a->n_ticks++] = pow(10.0, (double)k * s);
}

/* The fraction of the axis the data covers (log scale). */
static double log_coverage(const TuiAxis *a, double min, double max)
{
    double span = log10(a->hi) - log10(a->lo);
    return span > 0 ? (log10(max) - log10(min)) / span : 0.0;
}

/* Candidates in order of sparseness: decades, 1-2-5, 1..9 mantissas, linear
 * steps; the sparsest with enough ticks wins unless a denser one lets the
 * data fill clearly more of the axis (300..900 gets 200..1000, not 100..1000). */
static void fit_log(TuiAxis *a, double min, double max, int max_ticks)
{
    static const double m125[] = {1, 2, 5}, m19[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    int want = max_ticks < 3 ? max_ticks : 3;
    a->step = 0;
    a->decimals = 0;
    a->label_div = 1.0;
    a->label_suffix = "";
    TuiAxis best = *a, cand = *a;
    log_decade_ticks(&best, min, max, max_ticks);
    double best_cov = best.n_ticks >= want ? log_coverage(&best, min, max) : -1.0;
    const double *sets[2] = {m125, m19};
    const int sizes[2] = {3, 9};
    for (int i = 0; i < 2; i++) {
        int n = log_mantissa_ticks(&cand, min, max, sets[i], sizes[i], 0);
        if (n > max_ticks || n < 2)
            continue;
        log_mantissa_ticks(&cand, min, max, sets[i], sizes[i], 1);
        double cov = log_coverage(&cand, min, max);
        if (n < want)
            cov -= 1.0; /* too few ticks: only better than nothing */
        if (cov > best_cov + 0.15) {
            best = cand;
            best_cov = cov;
        }
    }
    if (best_cov < 0) {
        /* A narrow range: linear ticks on the log scale. */
        TuiAxis lin = *a;
        fit_linear(&lin, min, max, max_ticks);
        if (lin.lo > 0) {
            best = lin;
            best.log = 1;
        }
    }
    *a = best;
}

/* Keeps every k-th tick from the first so that at most max remain (a last
 * resort when no nice step gives few enough, e.g. 2 ticks around 0). */
static void thin_ticks(TuiAxis *a, int max)
{
    if (a->n_ticks <= max)
        return;
    int k = (a->n_ticks - 1 + max - 2) / (max - 1);
    int m = 0;
    for (int i = 0; i < a->n_ticks; i += k)
        a->ticks[m++] = a->ticks[i];
    a->n_ticks = m;
    if (a->step > 0)
        a->step *= k;
}

static void fit_any(TuiAxis *a, double min, double max, int log, int max_ticks);

void tui_axis_fit(TuiAxis *a, double min, double max, int log, int max_ticks)
{
    if (max_ticks < 2)
        max_ticks = 2;
    if (max_ticks > TUI_AXIS_MAX_TICKS)
        max_ticks = TUI_AXIS_MAX_TICKS;
    fit_any(a, min, max, log, max_ticks);
    thin_ticks(a, max_ticks);
}

static void fit_any(TuiAxis *a, double min, double max, int log, int max_ticks)
{
    size_t n_data = a->n_data;
    memset(a, 0, sizeof *a);
    a->n_data = n_data;
    a->log = log ? 1 : 0;
    int ok = isfinite(min) && isfinite(max) && min <= max && (!log || max > 0);
    if (!ok) {
        min = log ? 1.0 : 0.0;
        max = log ? 10.0 : 1.0;
    }
    if (log) {
        if (min <= 0)
            min = max / 10.0;
        min = min < TUI_AXIS_MIN_LOG   ? TUI_AXIS_MIN_LOG
              : min > TUI_AXIS_MAX_ABS ? TUI_AXIS_MAX_ABS
                                       : min;
        max = max < TUI_AXIS_MIN_LOG   ? TUI_AXIS_MIN_LOG
              : max > TUI_AXIS_MAX_ABS ? TUI_AXIS_MAX_ABS
                                       : max;
        if (max / min < 1.0 + 1e-9) {
            /* one value: a factor of two either side */
            min /= 2.0;
            max *= 2.0;
        }
        fit_log(a, min, max, max_ticks);
        return;
    }
    min = clamp_abs(min);
    max = clamp_abs(max);
    if (max - min <= fabs(max) * 1e-12 || max - min < DBL_MIN * 1e6) {
        /* all equal: 5 % either side (1 either side of 0) */
        double pad = fabs(min) * 0.05;
        if (pad < 1e-9)
            pad = min == 0.0 ? 1.0 : 1e-9;
        min -= pad;
        max += pad;
    }
    fit_linear(a, min, max, max_ticks);
}

void tui_axis_fit_values(TuiAxis *a, const double *v, size_t n, int log, int max_ticks)
{
    double lo = NAN, hi = NAN;
    size_t k = tui_axis_data_range(v, n, log, &lo, &hi);
    a->n_data = k;
    tui_axis_fit(a, lo, hi, log, max_ticks);
}

double tui_axis_frac(const TuiAxis *a, double v)
{
    if (isnan(v))
        return NAN;
    if (a->log) {
        if (v <= 0)
            return NAN;
        if (isinf(v))
            return 1e6;
        return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    }
    if (isinf(v))
        return v > 0 ? 1e6 : -1e6;
    return (v - a->lo) / (a->hi - a->lo);
}

int tui_axis_dot(const TuiAxis *a, double v, int n, int flip)
{
    double f = tui_axis_frac(a, v);
    if (isnan(f) || n <= 0)
        return INT32_MIN;
    /* Far outside: a few lengths away keeps the direction of a line and its
     * arithmetic inside int. */
    if (f < -4.0)
        f = -4.0;
    if (f > 5.0)
        f = 5.0;
    double d = f * (n - 1);
    int i = (int)lround(d);
    return flip ? n - 1 - i : i;
}

/* Removes trailing zeros after a decimal point ("2.50" -> "2.5", "3.0" -> "3"). */
static void trim_zeros(char *s)
{
    char *dot = strchr(s, '.');
    if (!dot)
        return;
    char *end = s + strlen(s);
    while (end > dot + 1 && end[-1] == '0')
        *--end = '\0';
    if (end == dot + 1)
        *dot = '\0';
}

int tui_format_short(double v, char *out, size_t size)
{
    int n;
    if (!size)
        return 0;
    if (isnan(v))
        n = snprintf(out, size, "NaN");
    else if (isinf(v))
        n = snprintf(out, size, v > 0 ? "inf" : "-inf");
    else {
        double a = fabs(v);
        const char *suffix = "";
        double m = v;
        if (a >= 1e15) {
            n = snprintf(out, size, "%.0e", v);
            return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
        }
        if (a >= 999.5e9) {
            m = v / 1e12;
            suffix = "T";
        } else if (a >= 999.5e6) {
            m = v / 1e9;
            suffix = "G";
        } else if (a >= 999.5e3) {
            m = v / 1e6;
            suffix = "M";
        } else if (a >= 999.5) {
            m = v / 1e3;
            suffix = "k";
        }
        double am = fabs(m);
        char num[32];
        if (a == 0.0)
            n = snprintf(num, sizeof num, "0");
        else if (am < 0.01 && !*suffix)
            n = snprintf(num, sizeof num, "%.1e", m);
        else {
            int d = am >= 99.95 ? 0 : am >= 9.995 ? 1 : 2;
            n = snprintf(num, sizeof num, "%.*f", d, m);
        }
        if (n < 0 || (size_t)n >= sizeof num)
            num[0] = '\0';
        trim_zeros(num);
        if (strcmp(num, "-0") == 0)
            memmove(num, num + 1, 2);
        n = snprintf(out, size, "%s%s", num, suffix);
    }
    if (n < 0) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)n >= size ? (int)size - 1 : n;
}

int tui_axis_label(const TuiAxis *a, double v, char *out, size_t size)
{
    if (!size)
        return 0;
    if (a->log && a->step == 0)
        return tui_format_short(v, out, size);
    if (!isfinite(v))
        return tui_format_short(v, out, size);
    double s = v / (a->label_div > 0 ? a->label_div : 1.0);
    char num[64];
    int n = snprintf(num, sizeof num, "%.*f", a->decimals, s);
    if (n < 0 || (size_t)n >= sizeof num)
        return tui_format_short(v, out, size);
    if (a->label_suffix && *a->label_suffix)
        trim_zeros(num);
    /* zero (and "-0.0" from a tiny negative rounding error) is "0" */
    const char *digits = num[0] == '-' ? num + 1 : num;
    if (strspn(digits, "0.") == strlen(digits))
        n = snprintf(out, size, "0");
    else
        n = snprintf(out, size, "%s%s", num, a->label_suffix ? a->label_suffix : "");
    if (n < 0) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)n >= size ? (int)size - 1 : n;
}

/* ---- plots --------------------------------------------------------------- */

static int widest_label(const TuiAxis *a)
{
    int w = 0;
    for (int i = 0; i < a->n_ticks; i++) {
        char buf[64];
        int n = tui_axis_label(a, a->ticks[i], buf, sizeof buf);
        if (n > w)
            w = n;
    }
    return w;
}

int tui_plot_layout(TuiPlot *p, int w, int h, double xmin, double xmax, int xlog, double ymin,
                    double ymax, int ylog, int label_w_min, int x_labels, CbError *err)
{
    p->w = w < 0 ? 0 : w;
    p->h = h < 0 ? 0 : h;
    p->x_labels = x_labels ? 1 : 0;
    int ch = p->h - 1 - p->x_labels;
    /* y ticks at least two rows apart */
    int ymax_ticks = ch / 2 + 1;
    if (ymax_ticks > 11)
        ymax_ticks = 11;
    tui_axis_fit(&p->y, ymin, ymax, ylog, ymax_ticks);
    int lw = widest_label(&p->y);
    if (lw < label_w_min)
        lw = label_w_min;
    p->label_w = lw;
    int cw = p->w - lw - 1;
    /* x ticks: as many as fit with their labels and two columns between */
    int xmax_ticks = cw / 6 + 1;
    if (xmax_ticks > 12)
        xmax_ticks = 12;
    for (;;) {
        tui_axis_fit(&p->x, xmin, xmax, xlog, xmax_ticks);
        int xw = widest_label(&p->x);
        if (xmax_ticks <= 2 || p->x.n_ticks * (xw + 2) <= cw)
            break;
        xmax_ticks--;
    }
    p->cx = lw + 1;
    p->cy = 0;
    if (cw < 1 || ch < 1) {
        cw = 0;
        ch = 0;
    }
    return tui_canvas_resize(&p->canvas, cw, ch, err);
}

void tui_plot_free(TuiPlot *p)
{
    if (p)
        tui_canvas_free(&p->canvas);
}

void tui_plot_point(TuiPlot *p, double x, double y, int series, int marker)
{
    int dx = tui_axis_dot(&p->x, x, 2 * p->canvas.w, 0);
    int dy = tui_axis_dot(&p->y, y, 4 * p->canvas.h, 1);
    if (dx == INT32_MIN || dy == INT32_MIN)
        return;
    if (marker)
        tui_canvas_marker(&p->canvas, dx, dy, series);
    else
        tui_canvas_dot(&p->canvas, dx, dy, series);
}

void tui_plot_series(TuiPlot *p, const double *x, const double *y, size_t n, int series, int lines,
                     int markers)
{
    int W = 2 * p->canvas.w, H = 4 * p->canvas.h;
    if (W <= 0 || H <= 0)
        return;
    int have = 0, px = 0, py = 0;
    for (size_t i = 0; i < n; i++) {
        int dx = tui_axis_dot(&p->x, x[i], W, 0);
        int dy = tui_axis_dot(&p->y, y[i], H, 1);
        if (dx == INT32_MIN || dy == INT32_MIN) {
            have = 0;
            continue;
        }
        if (lines) {
            if (have)
                tui_canvas_line(&p->canvas, px, py, dx, dy, series);
            else
                tui_canvas_dot(&p->canvas, dx, dy, series);
        }
        px = dx;
        py = dy;
        have = 1;
    }
    if (markers)
        for (size_t i = 0; i < n; i++)
            tui_plot_point(p, x[i], y[i], series, 1);
}

void tui_plot_hline(TuiPlot *p, double y, int series)
{
    int dy = tui_axis_dot(&p->y, y, 4 * p->canvas.h, 1);
    if (dy != INT32_MIN)
        tui_canvas_hdash(&p->canvas, dy, series);
}

int tui_plot_col(const TuiPlot *p, double v)
{
    int dx = tui_axis_dot(&p->x, v, 2 * p->canvas.w, 0);
    if (dx == INT32_MIN || dx < 0 || dx >= 2 * p->canvas.w)
        return -1;
    return dx / 2;
}

int tui_plot_row(const TuiPlot *p, double v)
{
    int dy = tui_axis_dot(&p->y, v, 4 * p->canvas.h, 1);
    if (dy == INT32_MIN || dy < 0 || dy >= 4 * p->canvas.h)
        return -1;
    return dy / 4;
}

/* ---- Pareto front ---------------------------------------------------------- */

typedef struct ParetoPoint {
    double speed, cost;
    size_t idx;
} ParetoPoint;

/* Faster first; of equal speed the cheaper, then the earlier. */
static int pareto_cmp(const void *pa, const void *pb)
{
    const ParetoPoint *a = pa, *b = pb;
    if (a->speed != b->speed)
        return a->speed > b->speed ? -1 : 1;
    if (a->cost != b->cost)
        return a->cost < b->cost ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx ? 1 : 0;
}

int tui_pareto_front(const double *speed, const double *cost, size_t n, size_t *front,
                     size_t *n_front)
{
    *n_front = 0;
    if (!n)
        return CB_OK;
    ParetoPoint *pts = malloc(n * sizeof *pts);
    if (!pts)
        return CB_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(speed[i]) && isfinite(cost[i]))
            pts[k++] = (ParetoPoint){speed[i], cost[i], i};
    qsort(pts, k, sizeof *pts, pareto_cmp);
    /* Walking from the fastest, a point is on the front when it is cheaper
     * than every faster one. */
    size_t m = 0;
    double best = INFINITY;
    for (size_t i = 0; i < k; i++)
        if (pts[i].cost < best) {
            best = pts[i].cost;
            front[m++] = pts[i].idx;
        }
    /* ascending speed */
    for (size_t i = 0; i < m / 2; i++) {
        size_t t = front[i];
        front[i] = front[m - 1 - i];
        front[m - 1 - i] = t;
    }
    *n_front = m;
    free(pts);
    return CB_OK;
}

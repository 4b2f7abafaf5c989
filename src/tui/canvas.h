/* codecbench dashboard: charts drawn in cells, the model (no curses).
 *
 * A TuiCanvas is W x H terminal cells, each holding 2 x 4 braille dots
 * (Unicode U+2800 + bits, 8 dots per cell), the series that last drew in the
 * cell (for its colour) and an optional point marker.  Dot coordinates run
 * x in [0, 2W), y in [0, 4H), y growing downwards; anything outside is
 * clipped.  A locale that is not UTF-8 gets one ASCII mark per cell per
 * series instead (tui_canvas_ascii).
 *
 * A TuiAxis maps data values to positions: a "nice" range and ticks (steps
 * of 1, 2, 2.5 or 5 x 10^k on a linear scale; powers of ten, or 1-2-5, or
 * 1..9 mantissas on a log10 scale), and short labels that fit ("1.2k",
 * "350", "36.5").  Degenerate data (none, one value, all equal, NaN,
 * infinities, values <= 0 on a log scale) still gives a valid axis.
 *
 * A TuiPlot is a canvas with its two axes laid out in a rectangle of cells:
 * y tick labels, the y axis line, the canvas, the x axis line and (when
 * asked) the x tick labels.  The dashboard builds plots once per data or
 * size change and draws them cell by cell (view_chart.c).
 *
 * Ownership: a TuiCanvas / TuiPlot owns its cell arrays (zero-initialise,
 * then tui_canvas_resize / tui_plot_layout; release with tui_canvas_free /
 * tui_plot_free, which accept an empty or already freed one).
 */
#ifndef CODECBENCH_TUI_CANVAS_H
#define CODECBENCH_TUI_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"

/** Most cells of a canvas per dimension (a larger area is clipped to it). */
#define TUI_CANVAS_MAX_CELLS 1024
/** Series are 0..TUI_CANVAS_MAX_SERIES-1 (the caller maps them to colours). */
#define TUI_CANVAS_MAX_SERIES 32

typedef struct TuiCanvas {
    int w, h;        /**< cells */
    uint8_t *dots;   /**< w * h braille bit sets (bit layout of U+2800) */
    uint8_t *series; /**< w * h: 1 + the series that last drew a dot there, 0: none */
    uint8_t *marker; /**< w * h: 1 + the series of a point marker there, 0: none */
    size_t cap;      /**< cells allocated */
} TuiCanvas;

/** Sizes the canvas to w x h cells (clamped to 0..TUI_CANVAS_MAX_CELLS) and
 * clears it.  0 or CB_ENOMEM (the canvas is then empty, 0 x 0). */
int tui_canvas_resize(TuiCanvas *c, int w, int h, CbError *err);
/** Releases the arrays; the canvas becomes 0 x 0. */
void tui_canvas_free(TuiCanvas *c);
/** Clears every dot and marker. */
void tui_canvas_clear(TuiCanvas *c);

/** The braille bit of dot (dx, dy) inside its cell (dx 0..1, dy 0..3). */
unsigned tui_braille_bit(int dx, int dy);
/** Writes the UTF-8 form of braille bits (U+2800 + bits) into out (4 bytes,
 * NUL-terminated); returns 3, the bytes written. */
int tui_braille_utf8(unsigned bits, char out[4]);

/** Sets dot (x, y) for series (the cell's colour becomes series); outside the
 * canvas nothing happens. */
void tui_canvas_dot(TuiCanvas *c, int x, int y, int series);
/** A straight line of dots from (x0, y0) to (x1, y1) (Bresenham), clipped to
 * the canvas (endpoints may be far outside). */
void tui_canvas_line(TuiCanvas *c, int x0, int y0, int x1, int y1, int series);
/** A dashed horizontal line at dot row y (2 dots on, 2 off). */
void tui_canvas_hdash(TuiCanvas *c, int y, int series);
/** A point marker on the cell holding dot (x, y); markers win over dots. */
void tui_canvas_marker(TuiCanvas *c, int x, int y, int series);

/** Cell (cx, cy): braille bits (0: empty or outside). */
unsigned tui_canvas_bits(const TuiCanvas *c, int cx, int cy);
/** Cell (cx, cy): the series whose colour it takes (a marker's, else the last
 * dot's), -1 when empty or outside. */
int tui_canvas_cell_series(const TuiCanvas *c, int cx, int cy);
/** Cell (cx, cy): the marker's series, -1 when none. */
int tui_canvas_cell_marker(const TuiCanvas *c, int cx, int cy);
/** The ASCII mark of a series' dots ('*', '+', 'o', 'x', ...). */
char tui_canvas_ascii(int series);
/** The ASCII mark of a series' point markers ('O', 'X', '@', ...). */
char tui_canvas_ascii_marker(int series);
/** The UTF-8 glyph of a series' point markers ("●", "■", "▲", ...); static. */
const char *tui_canvas_marker_glyph(int series);
/** Writes row cy of the canvas as text into out (size bytes, NUL-terminated):
 * braille (utf8) or ASCII marks, spaces for empty cells.  Returns the bytes
 * written (without the NUL), cut at a whole cell when out is too small. */
size_t tui_canvas_row_text(const TuiCanvas *c, int cy, int utf8, char *out, size_t size);

/* ---- axes ------------------------------------------------------------------ */

/** Most ticks an axis holds. */
#define TUI_AXIS_MAX_TICKS 32
/** Values beyond +-this are clamped before fitting (huge data stays drawable). */
#define TUI_AXIS_MAX_ABS 1e15
/** Smallest positive value a log axis fits (smaller ones are clamped to it). */
#define TUI_AXIS_MIN_LOG 1e-12

typedef struct TuiAxis {
    double lo, hi; /**< the range shown (lo < hi; lo > 0 on a log axis) */
    int log;       /**< log10 scale */
    int n_ticks;
    double ticks[TUI_AXIS_MAX_TICKS]; /**< ascending, within [lo, hi] */
    double step;              /**< linear tick step (0 on a log axis unless its ticks are linear) */
    int decimals;             /**< linear labels: digits after the point, in label units */
    double label_div;         /**< linear labels: value / label_div, then label_suffix */
    const char *label_suffix; /**< "", "k", "M" or "G" */
    size_t n_data;            /**< values the range was fitted to (finite, > 0 on log) */
} TuiAxis;

/** The range of the usable values of v (finite; > 0 when log); returns how
 * many there are (0: *min, *max untouched). */
size_t tui_axis_data_range(const double *v, size_t n, int log, double *min, double *max);
/** Fits a nice range and at most max_ticks ticks (at least 2) around
 * [min, max].  Non-finite bounds, min > max, equal bounds, bounds <= 0 on a
 * log scale are handled (padded, or a default range). */
void tui_axis_fit(TuiAxis *a, double min, double max, int log, int max_ticks);
/** tui_axis_data_range then tui_axis_fit (a->n_data is the usable count). */
void tui_axis_fit_values(TuiAxis *a, const double *v, size_t n, int log, int max_ticks);
/** Position of v on the axis: 0 at lo, 1 at hi (outside for values outside);
 * NAN for a value that cannot be placed (NaN, <= 0 on log). */
double tui_axis_frac(const TuiAxis *a, double v);
/** The dot of v on an axis n dots long (0..n-1; flip: n-1 at lo, as on a y
 * axis); values far outside are clamped to a few lengths away (so lines stay
 * within int range and are clipped); INT32_MIN when it cannot be placed. */
int tui_axis_dot(const TuiAxis *a, double v, int n, int flip);
/** The label of a tick value (or any value) into out: "0", "2.5k", "36.5",
 * "0.02".  Returns its length in bytes (ASCII). */
int tui_axis_label(const TuiAxis *a, double v, char *out, size_t size);
/** A value in at most about 5 columns: "1.23k", "350", "36.5", "0.25", "12M",
 * "-4.1", "NaN", "inf".  Returns its length. */
int tui_format_short(double v, char *out, size_t size);

/* ---- plots --------------------------------------------------------------- */

typedef struct TuiPlot {
    TuiAxis x, y;
    TuiCanvas canvas;
    int w, h;     /**< the rectangle laid out, in cells */
    int label_w;  /**< columns of y labels (the y axis line is at column label_w) */
    int x_labels; /**< a row of x labels under the x axis line */
    int cx, cy;   /**< the canvas's top-left cell inside the rectangle */
} TuiPlot;

/** Lays out a plot in w x h cells: fits the y axis to [ymin, ymax] and the
 * x axis to [xmin, xmax] (tui_axis_fit) with as many ticks as fit, y labels
 * at least label_w_min wide (to align stacked plots), an x axis line and,
 * when x_labels, a row of x labels; sizes and clears the canvas.  A
 * rectangle too small for any canvas gives a 0 x 0 canvas (not an error).
 * 0 or CB_ENOMEM. */
int tui_plot_layout(TuiPlot *p, int w, int h, double xmin, double xmax, int xlog, double ymin,
                    double ymax, int ylog, int label_w_min, int x_labels, CbError *err);
void tui_plot_free(TuiPlot *p);
/** Draws a series: lines between consecutive points whose values can be
 * placed (a point that cannot breaks the line) when lines, and a marker on
 * each point when markers. */
void tui_plot_series(TuiPlot *p, const double *x, const double *y, size_t n, int series, int lines,
                     int markers);
/** A dot (or a marker) at one data point. */
void tui_plot_point(TuiPlot *p, double x, double y, int series, int marker);
/** A dashed horizontal line at y. */
void tui_plot_hline(TuiPlot *p, double y, int series);
/** The canvas column (cells, from the canvas's left) of x value v; -1 when it
 * is not on the canvas. */
int tui_plot_col(const TuiPlot *p, double v);
/** The canvas row (cells, from the canvas's top) of y value v; -1 when not on it. */
int tui_plot_row(const TuiPlot *p, double v);

/* ---- Pareto front ---------------------------------------------------------- */

/** The points of (speed, cost) no other point dominates (higher speed and
 * lower cost are better; a point with a non-finite value takes no part):
 * writes their indexes into front (room for n) in ascending speed (so
 * descending cost), *n_front of them.  Of equal points the first is kept.
 * 0 or CB_ENOMEM. */
int tui_pareto_front(const double *speed, const double *cost, size_t n, size_t *front,
                     size_t *n_front);

#endif

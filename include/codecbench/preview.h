/* codecbench: frames to terminal images (src/preview/).
 *
 * Two halves, each in its own files: the images (an RGB picture made from
 * decoded frames, scaled, and encoded as sixel through libsixel, as Unicode
 * half blocks, or as a text summary) and the terminal (what it can show,
 * asked of the terminal itself before curses starts: DA1, the cell size).
 * Library code: it never prints; it writes into buffers the caller sends.
 */
#ifndef CODECBENCH_PREVIEW_H
#define CODECBENCH_PREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/buf.h"
#include "codecbench/error.h"
#include "codecbench/frame.h"

/* ---- images and their encodings (src/preview/image.c, sixel.c, blocks.c) ---- */

/* ---- the terminal (src/preview/detect.c) ---------------------------------- */

/** How previews are drawn on a terminal, best first: sixel images, Unicode
 * half blocks (two pixels a cell, truecolor or 256 colours), or text only. */
typedef enum CbGraphics {
    CB_GRAPHICS_TEXT = 0,   /**< a text summary: no terminal, or "none" */
    CB_GRAPHICS_BLOCKS = 1, /**< Unicode half blocks (the caller needs a UTF-8 locale) */
    CB_GRAPHICS_SIXEL = 2,  /**< sixel images */
} CbGraphics;

/** Where the cell size in pixels came from. */
typedef enum CbCellSource {
    CB_CELL_UNKNOWN = 0, /**< no source: cell_*_px are 0 */
    CB_CELL_CSI16T = 1,  /**< the terminal's reply to CSI 16 t */
    CB_CELL_WINSIZE = 2, /**< TIOCGWINSZ's ws_xpixel/ws_ypixel over columns/rows */
    CB_CELL_CSI14T = 3,  /**< the reply to CSI 14 t (text area) over columns/rows */
} CbCellSource;

/** Default time to wait for the terminal's replies (a terminal over SSH
 * answers within a round trip; one that never answers costs this once). */
#define CB_TERM_TIMEOUT_MS_DEFAULT 200
/** Longest wait accepted (a query must never stall start-up for long). */
#define CB_TERM_TIMEOUT_MS_MAX 10000
/** Bytes of replies read at most; a terminal sending more is not waited for. */
#define CB_TERM_REPLY_MAX 4096

/** What the terminal can show, filled by cb_term_detect(). */
typedef struct CbTermCaps {
    int is_tty;                        /**< both descriptors are terminals */
    int queried;                       /**< the query was written to the terminal */
    int answered;                      /**< DA1 (the sentinel) arrived before the timeout */
    int da1_sixel;                     /**< DA1's attribute list held 4 (sixel graphics) */
    int sixel;                         /**< sixel usable: da1_sixel and not inside tmux */
    int in_tmux;                       /**< $TMUX is set: tmux (3.3 here) shows no sixel */
    int tmux_passthrough;              /**< inside tmux: sixel might reach the outer terminal
                                           through tmux's DCS passthrough (allow-passthrough
                                           on); not probed, never used on its own */
    int truecolor;                     /**< $COLORTERM is truecolor or 24bit */
    int cols, rows;                    /**< cells, from TIOCGWINSZ; 0 when unknown */
    int cell_width_px, cell_height_px; /**< 0 when unknown */
    CbCellSource cell_source;
    int text_width_px, text_height_px; /**< the text area, 0 when unknown */
    size_t reply_bytes;                /**< bytes read from the terminal */
    CbGraphics mode;                   /**< the chosen mode */
    int mode_forced;                   /**< mode came from CODECBENCH_GRAPHICS */
} CbTermCaps;

/** Options of cb_term_detect(); NULL means the defaults. */
typedef struct CbTermOptions {
    int timeout_ms;    /**< 0: CB_TERM_TIMEOUT_MS_DEFAULT; 1..CB_TERM_TIMEOUT_MS_MAX */
    int no_size_query; /**< nonzero: ask DA1 only (no CSI 16 t / CSI 14 t) */
} CbTermOptions;

/** Asks the terminal what it can show, before curses starts.
 *
 * When fd_in and fd_out are terminals: saves fd_in's termios, switches it to
 * non-canonical mode without echo, writes CSI 16 t and CSI 14 t (unless
 * opt->no_size_query) and then DA1, and reads the replies with poll() until
 * DA1 arrives (every terminal answers it, so nothing is waited for after it)
 * or the timeout passes; then restores the saved termios exactly (also on
 * error).  A terminal that does not answer gives no sixel after the timeout.
 * Sixel is on only when DA1 lists attribute 4, never from $TERM, and off
 * inside tmux.  The environment is read: $TMUX, $COLORTERM, $TERM ("dumb"
 * or unset gives text), and CODECBENCH_GRAPHICS=sixel|blocks|none, which
 * overrides the choice ("blocks" and "none" skip the query; "sixel" still
 * asks for the cell size).  Descriptors that are not terminals give text
 * with no query and no error.
 *
 * @return 0; CB_EINVAL for a bad option or a bad CODECBENCH_GRAPHICS (err
 * names it; the terminal is not touched); CB_EIO when the terminal cannot be
 * set or written (err names the call).  caps is filled on success. */
int cb_term_detect(int fd_in, int fd_out, const CbTermOptions *opt, CbTermCaps *caps, CbError *err);

/** Parses a graphics mode name: "sixel", "blocks" or "none" (text), as in
 * CODECBENCH_GRAPHICS.  what names the value's origin in the error text
 * (e.g. "CODECBENCH_GRAPHICS"); NULL is allowed.
 * @return 0, or CB_EINVAL naming the value and the allowed ones. */
int cb_term_parse_graphics(const char *value, const char *what, CbGraphics *mode, CbError *err);

/** Name of a mode ("sixel", "blocks", "text"); static storage, never NULL. */
const char *cb_term_graphics_name(CbGraphics mode);

/** Scans bytes a terminal sent (replies, possibly among other bytes) the
 * way cb_term_detect() does, all at once, into caps' answered, da1_sixel,
 * cell_*_px (CSI 16 t) and text_*_px (CSI 14 t); other fields are left
 * alone.  For tests and fuzzing of the reply parser.
 * @return 1 when DA1 was seen, else 0. */
int cb_term_scan_replies(const unsigned char *bytes, size_t len, CbTermCaps *caps);

#endif

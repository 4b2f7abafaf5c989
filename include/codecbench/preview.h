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
#include "codecbench/engine.h"
#include "codecbench/error.h"
#include "codecbench/frame.h"

/* ---- images and their encodings (src/preview/image.c, sixel.c, blocks.c) ---- */

/** Largest width or height of a preview image, in pixels. */
#define CB_PREVIEW_MAX_DIM 8192

/** An RGB24 picture: rows of width*3 bytes (R, G, B), packed, top first.
 * Owned by its creator; cb_preview_image_free() releases rgb. */
typedef struct CbPreviewImage {
    int width;     /**< 1..CB_PREVIEW_MAX_DIM, or 0 when empty */
    int height;    /**< 1..CB_PREVIEW_MAX_DIM, or 0 when empty */
    uint8_t *rgb;  /**< width*height*3 bytes, owned; NULL when empty */
} CbPreviewImage;

/** Allocates a width x height black image into *img (its old content is
 * not freed).  Returns 0, CB_EINVAL for a size outside 1..CB_PREVIEW_MAX_DIM,
 * CB_ENOMEM. */
int cb_preview_image_alloc(CbPreviewImage *img, int width, int height, CbError *err);

/** Frees img's pixels and zeroes it; NULL and empty images are allowed. */
void cb_preview_image_free(CbPreviewImage *img);

/** Converts frame f into a new image *dst of width x height (0 x 0 = the
 * frame's size): BT.601 limited range with FFmpeg's default coefficients.
 * At the frame's size chroma is taken from the nearest sample, as swscale's
 * default yuv420p -> rgb24 does; at another size each plane is first scaled
 * by area averaging (see cb_preview_scale()) to width x height, then
 * converted.  *dst is overwritten, not freed first; the caller owns it.
 * Returns 0, CB_EINVAL, CB_ENOMEM. */
int cb_preview_from_frame(CbPreviewImage *dst, const CbFrame *f, int width, int height,
                          CbError *err);

/** Scales src into a new image *dst of width x height by area averaging
 * (each output pixel is the mean of the source area it covers, weighted by
 * coverage; upscaling repeats pixels).  dst must not be src; *dst is
 * overwritten, not freed first.  Returns 0, CB_EINVAL, CB_ENOMEM. */
int cb_preview_scale(CbPreviewImage *dst, const CbPreviewImage *src, int width, int height,
                     CbError *err);

/** Composes a and b side by side into a new image *dst: a on the left, gap
 * columns (0..CB_PREVIEW_MAX_DIM) of colour gap_rgb (3 bytes; NULL = black),
 * then b; both top-aligned, the shorter one padded with gap_rgb below.
 * Returns 0, CB_EINVAL (empty input, result too large), CB_ENOMEM. */
int cb_preview_side_by_side(CbPreviewImage *dst, const CbPreviewImage *a,
                            const CbPreviewImage *b, int gap, const uint8_t *gap_rgb,
                            CbError *err);

/** Default full scale of the heat map: a mean absolute luma difference of
 * 32 code values or more shows as the ramp's top (white). */
#define CB_PREVIEW_HEAT_SCALE 32

/** The error of b against a as a heat map in a new image *dst of width x
 * height (0 x 0 = the frames' size).  Each pixel is the mean absolute luma
 * difference d over the area it covers (area averaging), mapped linearly
 * with t = min(d / full_scale, 1) (full_scale 1..255, 0 = CB_PREVIEW_HEAT_SCALE)
 * onto the ramp cb_preview_heat_rgb() gives.  Returns 0, CB_EINVAL,
 * CB_EMISMATCH (frames of different sizes), CB_ENOMEM. */
int cb_preview_heatmap(CbPreviewImage *dst, const CbFrame *a, const CbFrame *b, int width,
                       int height, int full_scale, CbError *err);

/** The heat map's colour ramp at level v (0..255 = t * 255): black (0),
 * blue (64), red (128), yellow (192), white (255), linear between these
 * stops; for legends.  Writes 3 bytes to rgb. */
void cb_preview_heat_rgb(int v, uint8_t rgb[3]);

/** Sixel encoding choices. */
enum {
    /** Fast and small: a 256-colour palette from a sampled histogram, no
     * error diffusion (diffusion noise costs bytes and time). */
    CB_PREVIEW_SIXEL_FAST = 0,
    /** Fidelity (for zoom at 1:1 and above): a palette from the full
     * histogram and Floyd-Steinberg diffusion; more bytes, slower. */
    CB_PREVIEW_SIXEL_FIDELITY = 1,
};

/** Appends img as one sixel sequence (DCS ... ST, 7-bit controls, one
 * palette for the whole image) to out, through libsixel.  Images under 6
 * rows are sent 6 rows high, the last row repeated (libsixel 1.10 would
 * move them one band down).  Images of at most 256 colours are sent with
 * exactly those colours.  In the fast mode two natural 640x360 frames side
 * by side take about 35-55 ms here and 270 KB.  The appended
 * size goes to *bytes when bytes is not NULL.  Returns 0, CB_EINVAL,
 * CB_ELIMIT (out's cap reached: out keeps what it had before), CB_ENOMEM,
 * CB_EEXTERNAL (libsixel failed). */
int cb_preview_sixel(CbBuf *out, const CbPreviewImage *img, int mode, size_t *bytes,
                     CbError *err);

/** Colours of half-block output. */
enum {
    CB_PREVIEW_TRUECOLOR = 0, /**< SGR 38;2;r;g;b / 48;2;r;g;b */
    CB_PREVIEW_256 = 1,       /**< SGR 38;5;n / 48;5;n, nearest of the xterm cube and greys */
};

/** Nearest xterm 256-colour index (16..255: the 6x6x6 cube and the 24
 * greys; the 16 system colours are left out as terminals redefine them). */
int cb_preview_xterm256(uint8_t r, uint8_t g, uint8_t b);

/** Appends img as Unicode half blocks to out: ceil(height/2) lines of width
 * cells, each cell U+2580 (upper half) with foreground = the top pixel and
 * background = the bottom pixel.  An SGR is written only where a cell's
 * colours differ from the previous cell's in the line; each line ends with
 * SGR reset (CSI 0 m) and "\n".  An odd last row shows its top pixel over
 * the default background (SGR 49).  Returns 0, CB_EINVAL, CB_ELIMIT (out
 * keeps what it had before), CB_ENOMEM. */
int cb_preview_blocks(CbBuf *out, const CbPreviewImage *img, int colors, CbError *err);

/* ---- frames of a run, decoded in a child process (src/preview/frames.c) ---- */

/** A frame of a run's clip and the same frame decoded from a rate point's
 * stream, as the frame server (worker.h) sent them. */
typedef struct CbFramePair {
    int index;              /**< 0-based frame of the run's clip range */
    int type;               /**< 'I', 'P', 'B', or 0 when the decoder does not say */
    unsigned packet_bytes;  /**< bytes of the frame's packet (engine), 0 when unknown */
    CbFrame source;         /**< the clip's frame (owned) */
    CbFrame recon;          /**< the decoded frame, same size (owned) */
    CbBlockInfo *blocks;    /**< block_cols x block_rows (engine streams), else NULL */
    int block_cols, block_rows;
    double decode_ms;       /**< the server's time to produce it */
} CbFramePair;

/** Options of cb_frames_open(). */
typedef struct CbFramesOptions {
    const char *exe;     /**< the codecbench binary; NULL: /proc/self/exe */
    const char *run_dir; /**< a finished run's directory */
    int rate;            /**< its rate point (QP or CRF) */
    int cache;           /**< frames kept, 0: 12 (2..256) */
    int prefetch;        /**< frames after the wanted one fetched while idle: 0: 4, -1: none */
} CbFramesOptions;

/** A frame server child and the cache of what it sent. */
typedef struct CbFrames CbFrames;

/** Starts the frame server for o->run_dir at o->rate (fork + exec of
 * `EXE frames RUN_DIR --rate R`, stdin/stdout pipes, close-on-exec
 * everywhere else, the read end non-blocking).  Does not wait for it: the
 * hello arrives through cb_frames_pump().  Returns 0, CB_EINVAL, CB_ENOMEM,
 * CB_EIO (pipe or fork failed). */
int cb_frames_open(CbFrames **out, const CbFramesOptions *o, CbError *err);

/** The descriptor to poll for POLLIN while the client waits for the server,
 * or -1 when nothing is outstanding or the server has ended. */
int cb_frames_fd(const CbFrames *f);

/** 1 and the clip's size, frame count and whether blocks come (engine) once
 * the hello arrived; 0 before; a negative code (err) when the server failed
 * to start (its reason). */
int cb_frames_info(const CbFrames *f, int *width, int *height, int *frames, int *engine,
                   CbError *err);

/** Asks for frame index (and then up to prefetch frames after it, while
 * idle; requests for frames no longer wanted are not sent).  Never blocks.
 * Returns 1 when the frame is cached already, 0 when it was asked for,
 * CB_ERANGE for an index outside the clip (once the hello is known), or the
 * server's failure. */
int cb_frames_want(CbFrames *f, int index, CbError *err);

/** Reads what the server sent, without blocking.  Returns 1 when the hello or
 * a frame arrived (or a frame failed: see cb_frames_error), 0 when nothing
 * new, or a negative code when the server ended or sent bytes that do not
 * follow the protocol (err says which; the client is then dead: later calls
 * return the same code).  Every size the server sends is checked. */
int cb_frames_pump(CbFrames *f, CbError *err);

/** The cached frame index, or NULL.  The pointer stays valid until the next
 * cb_frames_want/pump/wait (which may evict); the most recently wanted frame
 * is never evicted. */
const CbFramePair *cb_frames_get(const CbFrames *f, int index);

/** When the server could not produce frame index: 1 and its reason in err,
 * else 0. */
int cb_frames_error(const CbFrames *f, int index, CbError *err);

/** Blocking form for the CLI and benchmarks: wants index and pumps until it
 * arrives, fails, or timeout_ms passes (CB_ETIMEOUT).  0 and *out. */
int cb_frames_wait(CbFrames *f, int index, int timeout_ms, const CbFramePair **out,
                   CbError *err);

/** Ends the server (closes its stdin, then SIGKILL after 1 s) and reaps it,
 * frees the cache; NULL and *f == NULL are allowed. */
void cb_frames_close(CbFrames **f);

/* ---- what a preview shows (src/preview/compose.c) --------------------------- */

/** What to show of a frame pair. */
typedef enum CbPreviewMode {
    CB_PREVIEW_SIDE = 0,   /**< source | reconstruction */
    CB_PREVIEW_DIFF = 1,   /**< the absolute luma error as a heat map, with its legend */
    CB_PREVIEW_SOURCE = 2, /**< the source alone (one half of "flip") */
    CB_PREVIEW_RECON = 3,  /**< the reconstruction alone (the other half of "flip") */
} CbPreviewMode;

/** How to lay a preview out. */
typedef struct CbPreviewLayout {
    CbPreviewMode mode;
    int zoom;           /**< 0: the whole frame fitted into the box; 1, 2, 4: a region of
                             the frame at that many image pixels per frame pixel */
    int cx, cy;         /**< centre of the zoomed region, luma pixels (clamped so the
                             region stays inside the frame) */
    int overlay;        /**< 1: draw block kinds and motion vectors (engine pairs) */
    int box_width, box_height; /**< pixels available, 1..CB_PREVIEW_MAX_DIM */
    int heat_scale;     /**< heat map full scale, 0: CB_PREVIEW_HEAT_SCALE */
} CbPreviewLayout;

/** The region of a w x h frame a layout shows (all of it at zoom 0), in
 * luma pixels; for captions ("x 320-639 y 0-179"). */
void cb_preview_region(const CbPreviewLayout *l, int w, int h, int *x, int *y, int *rw,
                       int *rh);

/** Composes what l asks of pair a into a new image *dst that fits l's box
 * (side by side: both halves share the box, a 4-pixel gap between them).
 * With b (another run's pair of the same frame and size) the two
 * reconstructions are compared instead: SIDE shows a's | b's, DIFF the heat
 * map of |a - b|, SOURCE/RECON a's or b's reconstruction.  Returns 0,
 * CB_EINVAL, CB_EMISMATCH (sizes differ), CB_ENOMEM. */
int cb_preview_compose(CbPreviewImage *dst, const CbFramePair *a, const CbFramePair *b,
                       const CbPreviewLayout *l, CbError *err);

/** Appends a plain-text summary of pair a (and b as in compose) to out,
 * for terminals that show no images: frame, type, packet bytes, PSNR-Y/U/V
 * of the shown reconstruction, the mean absolute error, the worst 16x16
 * areas by error with their positions, and the block kinds' shares (engine).
 * Lines of at most cols characters (>= 20), ASCII only.  Returns 0,
 * CB_EINVAL, CB_ELIMIT, CB_ENOMEM. */
int cb_preview_summary(CbBuf *out, const CbFramePair *a, const CbFramePair *b, int cols,
                       CbError *err);

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

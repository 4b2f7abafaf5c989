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

#endif

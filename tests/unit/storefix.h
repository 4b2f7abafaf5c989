/* The fixture the store's unit tests share (test_store, test_store_summary,
 * test_store_child): a store in a fresh temporary directory, runs queued in
 * it, and synthetic results imported into them.  Failures inside the helpers
 * fail the calling test through cmocka (fail_msg, assert_*), so include
 * <cmocka.h> and call them from a test or its setup; storefix_init and
 * storefix_setup return -1 instead, as a cmocka setup does. */
#ifndef CODECBENCH_TEST_STOREFIX_H
#define CODECBENCH_TEST_STOREFIX_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/recipe.h"
#include "codecbench/result.h"
#include "codecbench/store.h"

typedef struct StoreFix {
    char root[256];  /* temporary directory */
    char dir[300];   /* root/store */
    char input[300]; /* root/clip.y4m (content irrelevant: the store only records the path) */
    CbStore *s;      /* the store in dir, once opened; NULL before */
} StoreFix;

/* Fills the zeroed f: makes the directory $TMPDIR/prefix.XXXXXX (/tmp when
 * TMPDIR is unset or empty), names dir and input in it and writes input as a
 * one-line y4m header; with create, also creates and opens the store (f->s).
 * Returns 0, or -1 with nothing left behind. */
int storefix_init(StoreFix *f, const char *prefix, int create);

/* Closes f's store and removes its temporary directory with all in it. */
void storefix_fini(StoreFix *f);

/* cmocka setup and teardown for tests whose state is a StoreFix: allocates
 * one and storefix_init's it (prefix and create as there) into *state;
 * storefix_teardown finishes and frees it.  Both return 0, or -1. */
int storefix_setup(void **state, const char *prefix, int create);
int storefix_teardown(void **state);

/* f's store, created and opened on first use (fails the test if it cannot). */
CbStore *storefix_open(StoreFix *f);

/* Queues a run of recipe (source "t.json") on f's input, from frame 0, for
 * frames frames, in experiment (NULL for none); a parent makes it a rerun of
 * that run, origin "rerun", else origin "user".  Opens the store if need be.
 * Returns the new run's id (> 0); fails the test otherwise. */
int64_t storefix_queue(StoreFix *f, const char *experiment, const char *recipe, int64_t frames,
                       int64_t parent);

/* cb_store_set_status with pid 4242 for running and 0 for any other status;
 * fails the test when the store refuses. */
void storefix_set_status(StoreFix *f, int64_t id, CbRunStatus st, const char *reason);

/* strdup that fails the test when out of memory. */
char *storefix_xstrdup(const char *s);

/* The 64-hex clip identity the tests use for a short clip name: the SHA-256
 * of the name. */
void storefix_clip_hex(const char *name, char hex[CB_RECIPE_HASH_HEX]);

/* A result of n points at about the given kbps and mean PSNR-Y (kbps[i] and
 * psnr[i] for point i, whose rate value is qp 22 + 5 i; U and V 1 and 2 dB
 * above Y), 352x288 at 25 fps, frames frames of clip (see
 * storefix_clip_hex), for the recipe of hash, that cb_result_check accepts:
 * every frame has the point's MSE (so the sequence figures recompute
 * exactly), frame bits sum to the payload, kbps, bpp and fps follow from the
 * bytes, frames and seconds.  Release with cb_result_free. */
void storefix_make_result(CbRunResult *r, const char *hash, const char *clip, size_t n,
                          const double *kbps, const double *psnr, int64_t frames);

/* Takes the queued run id through running and verifying and imports a
 * result made by storefix_make_result (of its recipe, with these clip, n,
 * kbps, psnr and frames): afterwards the run is done. */
void storefix_finish(StoreFix *f, int64_t id, const char *clip, size_t n, const double *kbps,
                     const double *psnr, int64_t frames);

#endif

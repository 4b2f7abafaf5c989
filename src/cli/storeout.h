/* codecbench: what the store commands print about runs, shared by list,
 * show, compare, export, experiments and lineage: JSON objects of runs and
 * rate points, the provenance footer and object, recipe fields, and BD
 * figures between two stored runs. */
#ifndef CODECBENCH_CLI_STOREOUT_H
#define CODECBENCH_CLI_STOREOUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "codecbench/metrics.h"
#include "codecbench/result.h"
#include "codecbench/store.h"

/* The conventions behind every number the store commands show, one
 * footer line each (under 80 columns). */
#define CLI_PROV_PSNR                                                                              \
    "PSNR: mean of per-frame values, global = PSNR of the mean MSE; YUV = (6Y+U+V)/8;"
#define CLI_PROV_SSIM_KBPS                                                                         \
    "SSIM as FFmpeg's ssim filter; kbps: stream payload incl. in-band headers"
#define CLI_PROV_BD "BD: PCHIP over the overlapping PSNR-Y range (JVET CTC)"

/* Prints the provenance footer: the conventions, and which anchor the BD
 * figures were taken against (anchor_run > 0: "anchor run 12"; 0: "anchor:
 * the experiment's anchor run on the same clip"; < 0: no BD figures). */
void cli_print_provenance(FILE *out, int64_t anchor_run);
/* New reference: the "provenance" object of a JSON document (same
 * content as the footer). */
json_t *cli_json_provenance(int64_t anchor_run);
/* New reference: what a run's result records about how it was made:
 * versions, machine, verification time, the verifier's own text. */
json_t *cli_json_result_provenance(const CbRunResult *r);

/* New reference: a run as listed (every CbRunInfo field). */
json_t *cli_json_run(const CbRunInfo *r);
/* New reference: one rate point (its frames too when with_frames). */
json_t *cli_json_point(const CbPointResult *p, int with_frames);

/* The file name part of a path (borrowed from path). */
const char *cli_basename(const char *path);
/* "done", "failed: reason", ... in buf. */
void cli_status_text(const CbRunInfo *r, char *buf, size_t size);

/* The settings of a recipe's canonical form as a JSON object (new
 * reference), every field or, with non_default_only, only those that differ
 * from what the recipe's codec takes when the field is left out (a field
 * that cannot be left out counts as non-default).  *out is NULL on error. */
int cli_recipe_settings(const char *recipe_json, int non_default_only, json_t **out, CbError *err);
/* A JSON value as compact text for a table cell (new string, free()). */
char *cli_json_text(const json_t *v);

/* BD-rate / BD-PSNR of test against anchor over their (kbps, mean PSNR-Y)
 * points; cb_bd_compute's errors (fewer than 4 points, no overlap, a curve
 * that does not rise). */
int cli_result_bd(const CbRunResult *anchor, const CbRunResult *test, CbBdResult *out,
                  CbError *err);

/* Prints everything about run id as `codecbench show` does (as JSON with
 * json, the per-frame tables with frames); returns an exit code, having
 * printed any error.  For commands that end by showing a run (run, rerun). */
int cli_show_run(CbStore *s, int64_t id, int frames, int json);

#endif

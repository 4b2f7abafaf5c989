/* codecbench: judging a run's stage (issue 8) in the worker and in
 * verification, through the sandboxed stage host (codecbench/sandbox.h).
 * Nothing here loads stage code: every call of the stage happens in a host
 * process.  Private to src/worker/. */
#ifndef CODECBENCH_WORKER_STAGERUN_H
#define CODECBENCH_WORKER_STAGERUN_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/error.h"
#include "codecbench/recipe.h"
#include "codecbench/sandbox.h"
#include "worker/runfiles.h"
#include "worker/source.h"

/* Host limits (sandbox.h's CbStageLimits) from the environment the runner
 * passes to workers and verifiers (config settings stage.timeout,
 * stage.cpu_limit, stage.memory_limit):
 *   CODECBENCH_STAGE_TIMEOUT       seconds per answer of a host, 1..86400 (120)
 *   CODECBENCH_STAGE_CPU_LIMIT     RLIMIT_CPU of a host, seconds 1..86400 (600)
 *   CODECBENCH_STAGE_MEMORY_LIMIT  RLIMIT_DATA of a host, MiB 64..1048576 (4096)
 * A value that is not a whole number in range is a warning on ev (may be
 * NULL) and the default is used. */
#define WK_STAGE_TIMEOUT_DEFAULT 120
#define WK_STAGE_CPU_DEFAULT     600
#define WK_STAGE_MEMORY_DEFAULT  4096
void wk_stage_limits(CbStageLimits *lim, RfEvents *ev);

/* Frames of the cheap-first ladder's short clip. */
#define WK_STAGE_SHORT_FRAMES 8

/* A run's stage: what the worker and verification know of it. */
typedef struct WkStage {
    CbStageKind kind;
    uint8_t hash[32]; /* cb_stage_hash of the recipe's code */
    char hash_hex[65];
    char *object; /* run_dir/stage.so, owned */
    CbStageLimits lim;
} WkStage;

/* Fills st from the recipe (which has a stage) and the environment. */
int wk_stage_init(WkStage *st, const char *run_dir, const CbRecipe *r, RfEvents *ev, CbError *err);
void wk_stage_free(WkStage *st);

/* Step "build": writes run_dir/stage.c (atomically), builds it into
 * run_dir/stage.so (cb_stage_build), writes the kept diagnostics into
 * run_dir/stage-build.txt (atomically; empty when there were none).
 * Errors are cb_stage_build's (CB_ESTAGE with the reason, CB_ETIMEOUT,
 * CB_ENOTSUP) or the files' (CB_EIO). */
int wk_stage_build(const WkStage *st, const char *run_dir, const CbRecipe *r, CbError *err);

/* Hex SHA-256 of the file at path (at most 64 MiB), into hex[65]. */
int wk_file_sha256(const char *path, char hex[65], CbError *err);

/* What an encoding host gives a caller: the sequence header first, then
 * every packet in order. */
typedef struct WkStageSink {
    int (*header)(void *ud, const uint8_t *hdr, CbError *err);
    int (*packet)(void *ud, const CbStagePacket *p, CbError *err);
    void *ud;
} WkStageSink;

/* Encodes the first `frames` frames of src (all of them when frames < 0)
 * at qp through a fresh encoding host.  *cpu_s gets the host's CPU
 * seconds, *wall_s the wall time around the host's calls (both may be
 * NULL).  Errors: the host's (CB_ESTAGE with the reason, CB_ETIMEOUT) or
 * the sink's. */
int wk_stage_encode(const WkStage *st, const CbEngineSettings *settings, WkSource *src, int qp,
                    int64_t frames, const WkStageSink *sink, double *cpu_s, double *wall_s,
                    CbError *err);

/* Steps "round_trip" (frames = 1) and "short_clip": encodes the first
 * frames at qp through an encoding host, decodes its packets through a
 * fresh decoding host, and compares each decoded frame's digest with the
 * encoder's: a difference is CB_EMISMATCH "decoder mismatch: frame N
 * decodes differently from the encoder's reconstruction". */
int wk_stage_check_clip(const WkStage *st, const CbEngineSettings *settings, WkSource *src, int qp,
                        int64_t frames, CbError *err);

#endif

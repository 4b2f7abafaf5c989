/* codecbench: the worker (one run, headless) and its verification.
 *
 * A run directory (see store.h for the whole layout) holds, before the
 * worker starts:
 *
 *   run.json     {"format":1, "id":42, "experiment":"default",
 *                 "input":"/abs/clip.y4m", "first_frame":0, "frames":30 (or -1: to
 *                 the end), "parent":0, "origin":"user", "created":1764100000}
 *   recipe.json  the recipe (cb_recipe_parse)
 *
 * cb_worker_run() decodes the clip range once, computes its identity, encodes
 * every rate point and writes, each atomically (temporary name, fsync,
 * rename, fsync of the directory; a stream is written as STREAM.part and
 * renamed when its point is complete, so a worker killed mid-point leaves
 * only a .part, which the runner removes):
 *
 *   qp27.cbv       engine streams (worker/cbvfile.h: the 64-byte sequence
 *                  header, then per frame a big-endian u32 length and the packet)
 *   qp27.h264, crf23.ivf, ...  baseline elementary streams (cb_baseline_extension)
 *   digests.json   {"format":1, "digest":"<how, in words>", "points":[{"rate":27,
 *                  "stream":"qp27.cbv", "digest":"sha256-frame", "frames":["<64 hex>",
 *                  ...]}, ...]}
 *                  per point and frame, the full (64-digit) lower-case hex SHA-256
 *                  of the encoder's reconstruction, hashed as a one-frame clip
 *                  (cb_clip_hasher: luma width and height as 4-byte little-endian
 *                  values, then the visible rows of Y, U, V).  Baselines expose
 *                  no reconstruction: their point's "digest" is null and
 *                  "frames" is [].
 *   worker.json    {"format":1, "codec":"engine"|"libx264"|..., "recipe_hash",
 *                  "input", "first_frame", "frames", "clip_id", "width", "height",
 *                  "fps_num", "fps_den", "encoder_version", "codecbench_version",
 *                  "ffmpeg_versions", "machine":{"hostname","cpu","cores"},
 *                  "concurrency", "source_in_memory":true|false,
 *                  "points":[{"rate":27, "rate_control":"qp"|"crf", "stream":"qp27.cbv",
 *                  "frames", "payload_bytes", "container_bytes", "encode_cpu_s",
 *                  "encode_wall_s", "encode_fps", "peak_rss_kib", "concurrency",
 *                  "frame_bits":[...] (baselines only)}, ...]}
 *
 * A run whose recipe carries a stage (recipe.h "stage", stage.h) also has:
 *
 *   stage.c          the recipe's stage code, byte for byte (written atomically
 *                    before the build; its SHA-256 is the stage hash the
 *                    streams' headers carry: `sha256sum stage.c`)
 *   stage.so         the object cb_stage_build made of it (sandbox.h)
 *   stage-build.txt  the build's kept diagnostics (those located in stage.c,
 *                    at most CB_STAGE_DIAG_MAX bytes; empty when none)
 *   worker.json      gets "stage": {"kind":"intra", "hash":"<64 hex>",
 *                    "object_sha256":"<64 hex of stage.so as built>"}; the
 *                    encode CPU of a point is its encoding host's
 *                    (cb_stage_host_cpu_seconds), the wall time is taken
 *                    around the host's calls (its start included)
 *   digests.json     the encoding hosts' claimed digests, which verification
 *                    checks against an independent decode
 *
 * The worker never loads stage code (no dlopen in src/worker/): it judges the
 * stage cheap first, through sandboxed stage hosts (`codecbench stage-host`),
 * each step ending in a "stage" event, a failed step failing the run with
 * "stage STEP: " before the reason:
 *   build       stage.c, stage.so, stage-build.txt as above;
 *   round_trip  frame 0 at the recipe's first QP through an encoding host, its
 *               packet through a fresh decoding host, digests compared ("stage
 *               round_trip: decoder mismatch: frame 0 decodes differently from
 *               the encoder's reconstruction");
 *   short_clip  the first min(frames, 8) frames at the recipe's middle QP
 *               (qps[n / 2]), the same way;
 *   points      every rate point through an encoding host of its own.
 * Then the no-op rejection: when run.json's "parent" is an engine run on the
 * same clip range with the same points (its worker.json and digests.json, in
 * the sibling directory named by its id) and every frame digest of every
 * point equals the parent's, the run fails: "no-op: every reconstruction
 * equals parent run N's, frame for frame".  Hosts get the limits of
 * CODECBENCH_STAGE_TIMEOUT, CODECBENCH_STAGE_CPU_LIMIT and
 * CODECBENCH_STAGE_MEMORY_LIMIT (config stage.timeout, stage.cpu_limit,
 * stage.memory_limit, passed by the runner; defaults 120 s per answer,
 * 600 CPU seconds, 4096 MiB).
 *
 * Payload and container bytes: an engine stream's payload is its 64-byte
 * sequence header (the in-band header, as H.264's SPS/PPS) plus its frame
 * packets; the 4-byte length fields are container bytes (the file's size is
 * the container_bytes).  A baseline's are baseline.h's.
 *
 * Timing: encode CPU seconds are CLOCK_PROCESS_CPUTIME_ID (all threads of
 * the process) and wall seconds CLOCK_MONOTONIC, both taken around the
 * encoder's calls only (reading the source, hashing and writing the stream
 * are not counted).  Peak RSS is getrusage(RUSAGE_SELF).ru_maxrss after the
 * point, so it is the process's peak so far.  Concurrency is
 * $CODECBENCH_CONCURRENCY (1..4096, the number of workers the runner had
 * running when it started this one; default 1).
 *
 * Source frames: the clip range is decoded once and kept in memory when it
 * fits in CB_WORKER_SOURCE_MEM_MAX bytes (a CIF frame is 152 064 bytes, a
 * 720p frame 1 382 400); a longer range is read again from the file, with a
 * seek, for each rate point (worker.json's "source_in_memory" says which).
 * Either way the frames are those the clip identity was computed from: a
 * re-read whose identity differs fails the run.
 *
 * events.jsonl: one JSON object per line, each line written with a single
 * write() on an O_APPEND descriptor, so readers never see half a line from
 * a live process and concurrent writers do not interleave.  Every object
 * has "t" (Unix time in seconds, a real with millisecond precision) and
 * "event":
 *
 *   {"t":..,"event":"start","points":K,"frames":N}         N: -1 when the range runs to the end
 *   {"t":..,"event":"clip","clip_id":"<hex>","width":W,"height":H,"fps":25.0,"frames":N}
 *   {"t":..,"event":"progress","point":i,"rate":27,"frame":f,"frames":N}
 *        i from 0 in the recipe's order; f frames coded so far.  Sent every
 *        CB_WORKER_PROGRESS_FRAMES frames, at the end of the point, and when a
 *        second has passed since the last one; the engine codes a GOP at a
 *        time (its KLT is learned over the GOP), so frames arrive in steps.
 *   {"t":..,"event":"point","point":i,"rate":27,"stream":"qp27.cbv","bytes":B,"kbps":K,"encode_fps":F}
 *        B payload bytes; K = B * 8 / (frames / fps) / 1000
 *   {"t":..,"event":"log","level":"warning","text":".."}    the worker's own log lines
 *   {"t":..,"event":"stage","step":"build"|"round_trip"|"short_clip"|"points","ok":true}
 *        a step of a stage run's ladder passed; a failed one has "ok":false and
 *        "text" (the reason), and is followed by the "error" event
 *   {"t":..,"event":"done"}                                the worker finished
 *   {"t":..,"event":"verify"}                              verification started
 *   {"t":..,"event":"verified","points":K}                 result.json written
 *   {"t":..,"event":"error","stage":"worker"|"verify","text":".."}  the reason of a failure
 *
 * Texts may hold bytes from data (paths, library messages): sanitise them
 * before display.  A line longer than CB_WORKER_EVENT_MAX bytes is never
 * written (texts are cut to fit).
 */
#ifndef CODECBENCH_WORKER_H
#define CODECBENCH_WORKER_H

#include <stdint.h>

#include "codecbench/engine.h"
#include "codecbench/error.h"
#include "codecbench/log.h"

/** Largest clip range kept in memory, bytes of 4:2:0 samples (512 MiB). */
#define CB_WORKER_SOURCE_MEM_MAX ((int64_t)512 << 20)
/** A progress event at least every this many frames coded. */
#define CB_WORKER_PROGRESS_FRAMES 10
/** Longest events.jsonl line, bytes with its newline. */
#define CB_WORKER_EVENT_MAX 4096
/** Largest run.json, digests.json or worker.json read, bytes. */
#define CB_WORKER_JSON_MAX ((size_t)64 << 20)
/** Version of run.json, digests.json and worker.json this build reads and writes. */
#define CB_WORKER_FORMAT 1

/** Runs the run in run_dir as described above.  Library code: prints
 * nothing; log lines go to logger (may be NULL) and to events.jsonl.  On
 * failure appends an "error" event (when events.jsonl can be written),
 * removes the stream being written, and returns a negative code with err
 * naming the file or field and the reason: CB_ENOENT (run_dir or the input
 * missing), CB_EINVAL (an invalid recipe or run.json value, naming the
 * field), CB_EFORMAT, CB_EIO (with strerror, e.g. "No space left on
 * device", naming the file), CB_ENOTSUP (an encoder this FFmpeg lacks),
 * CB_ERANGE (the input has fewer frames than asked), CB_ENOMEM; for a stage
 * run also CB_ESTAGE (refused, failed or no-op stage), CB_ETIMEOUT (a host
 * that did not answer in time) and CB_EMISMATCH (decoder mismatch). */
int cb_worker_run(const char *run_dir, const CbLogger *logger, CbError *err);

/** Verifies a finished worker's run and writes run_dir/result.json.
 * Reads only run.json, recipe.json, worker.json, digests.json, the stored
 * bitstreams and the source clip.  For each rate point: decodes the stream
 * (the engine's decoder for .cbv; libavcodec through cb_media_open with the
 * baseline's demuxer, flushed, for baselines), checks it gives exactly the
 * run's frames, that an engine stream's frames equal the encoder's
 * reconstruction (digests.json), and that the source still has the clip's
 * identity; measures every frame against the source (PSNR Y/U/V with MSE,
 * SSIM as FFmpeg's ssim filter), takes per-frame bits (engine: packet
 * sizes, the sequence header counted in frame 0; baselines: worker.json's
 * frame_bits, which must sum to the payload measured by the reader) and
 * frame types (engine: the decoder's; baselines: libavcodec's picture
 * type), and writes result.json with cb_result_write().  Appends "verify"
 * and then "verified" or "error" events.  Errors name the point
 * ("qp27.cbv") and the frame where one is at fault: CB_EMISMATCH (a frame
 * differs from the reconstruction, frame counts or byte counts disagree),
 * CB_EFORMAT (a damaged stream or JSON file), CB_EIO, CB_ENOENT, CB_ENOMEM.
 *
 * A stage run's streams are decoded each by a fresh decoding stage host
 * (which gets only the stream's bytes, never a source frame); each frame it
 * returns is checked against digests.json ("decoder mismatch: frame N decodes
 * differently from the encoder's reconstruction") and measured here, in a
 * process that never loads stage code; the decode CPU is the host's.
 * worker.json's "stage" must name the recipe's kind and hash, and stage.so
 * must still have the SHA-256 it had after the build ("stage.so changed
 * after the build"). */
int cb_verify_run(const char *run_dir, const CbLogger *logger, CbError *err);

/** Scrubs the process environment for a worker or verifier: removes every
 * variable except PATH, HOME, LANG, LC_*, TZ, TMPDIR, CODECBENCH_CONCURRENCY
 * and the stage hosts' limits (CODECBENCH_STAGE_TIMEOUT, _CPU_LIMIT,
 * _MEMORY_LIMIT), then sets OPENBLAS_NUM_THREADS=1 (the engine's BLAS
 * products are small; see cb_engine_set_blas_threads).  So no API key or
 * token reaches a worker, even one started by hand.  Process-wide: call it
 * at start, before any thread exists.  Returns 0 or CB_ENOMEM. */
int cb_worker_scrub_env(void);

/* ---- the frame server (src/worker/frames.c) --------------------------------
 *
 * `codecbench frames RUN_DIR --rate R` (internal: src/preview's frame client
 * starts it, so that no front end runs a decoder on a stored stream in its
 * own address space) serves decoded frames of one rate point of a finished
 * run: the clip's source frame and the stream's decoded frame, plus the
 * engine's coding blocks.  It reads run.json, recipe.json and worker.json
 * (which stream belongs to rate R), never the store.
 *
 * The protocol, on the server's stdin and stdout (host byte order: both
 * ends are the same binary on the same machine):
 *
 *   server -> client, once at start: a CbFramesHello (status 0, or a
 *             negative CB_E* code and then msg_len bytes of the reason, after
 *             which the server exits);
 *   client -> server: one ASCII line per request, the frame index in decimal
 *             ("12\n", 0 .. frames-1); end of input ends the server;
 *   server -> client, one per request, in order: a CbFramesReply; with
 *             status 0 it is followed by the source frame's planes (Y then U
 *             then V, rows packed without padding: width*height +
 *             2 * ceil(width/2)*ceil(height/2) bytes), the decoded frame's
 *             planes in the same layout, block_cols * block_rows CbBlockInfo
 *             (engine streams; 0 x 0 for baselines) and msg_len bytes (0);
 *             with a negative status only msg_len bytes of the reason follow
 *             (a bad index or an undecodable frame: the server keeps serving).
 *
 * The server decodes forward from the last frame it decoded when it can and
 * otherwise from the nearest I frame at or before the index (engine streams
 * are indexed once at start; baselines go through cb_media_seek()).  It
 * treats the stream as hostile (the decoders' own bounds apply) and limits
 * itself before serving: no core dumps, no new privileges.
 *
 * A stage run's stream is decoded by a sandboxed decoding stage host (the
 * server never loads stage code), with the run's stage.so, refused when it
 * changed after the build (worker.json's object_sha256); a host gives no
 * block map, so the hello says "engine": 0 and replies carry no blocks. */

#define CB_FRAMES_MAGIC 0x52464243u /* "CBFR" */
#define CB_FRAMES_VERSION 1
/** Longest reason in a hello or reply, bytes. */
#define CB_FRAMES_MSG_MAX 1024

typedef struct CbFramesHello {
    uint32_t magic;     /**< CB_FRAMES_MAGIC */
    uint32_t version;   /**< CB_FRAMES_VERSION */
    int32_t status;     /**< 0 or a negative CB_E* code */
    int32_t width, height; /**< the clip's luma size */
    int32_t frames;     /**< frames in the run's clip range (and in the stream) */
    int32_t rate;       /**< the rate point served */
    int32_t engine;     /**< 1: an engine stream (blocks come with every frame) */
    uint32_t msg_len;   /**< bytes of reason that follow (status < 0), <= CB_FRAMES_MSG_MAX */
} CbFramesHello;

typedef struct CbFramesReply {
    uint32_t magic;        /**< CB_FRAMES_MAGIC */
    int32_t status;        /**< 0 or a negative CB_E* code */
    int32_t index;         /**< the frame asked for */
    int32_t type;          /**< 'I', 'P', 'B', or 0 when the decoder does not say */
    uint32_t packet_bytes; /**< bytes of the frame's packet (engine), 0 when unknown */
    int32_t block_cols, block_rows; /**< ceil(w/8) x ceil(h/8) for engine streams, else 0 */
    uint32_t decode_us;    /**< the server's time to produce this reply (seek, decode, read) */
    uint32_t msg_len;      /**< bytes that follow the planes (a reason when status < 0) */
} CbFramesReply;

/** Serves run_dir's rate point rate as described above, on fd_in/fd_out,
 * until fd_in ends.  Returns 0 at the end of input, or a negative CB_E*
 * code (err) when it cannot start (after sending the failed hello) or the
 * client went away mid-reply. */
int cb_frames_serve(const char *run_dir, int rate, int fd_in, int fd_out, const CbLogger *logger,
                    CbError *err);

#endif

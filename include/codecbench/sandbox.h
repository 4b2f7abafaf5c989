/* codecbench: building and running untrusted stage code (src/stage/).
 *
 * A stage (stage.h) comes from a proposer: assume it will try to read
 * files, open sockets, spawn processes or game its score.  Three layers:
 *
 * 1. Build (build.c): the source is refused or compiled in a closed world.
 *    In a private temporary directory holding stage.c and the stage world
 *    (codecbench/stage.h and the project's freestanding stdint.h, stddef.h,
 *    stdbool.h, limits.h, written from copies built into the binary):
 *     a. preprocess: CC -E -MD -nostdinc -I WORLD -ffreestanding -std=c11;
 *        a dependency (-MD) other than stage.c and the world's headers is
 *        refused ("stage.c includes /etc/passwd, which is outside the stage
 *        world"), as is a failure to preprocess;
 *     b. the preprocessed tokens are scanned: asm, __asm, __asm__, and the
 *        attributes section, constructor, destructor, init_priority, alias,
 *        weak, weakref, ifunc, target, optimize, naked, used, visibility,
 *        symver, and any #pragma are refused, naming the line of stage.c
 *        ("stage.c:12: asm is not allowed in a stage");
 *     c. compile and link the preprocessed file: -std=c11 -O2 -fPIC
 *        -shared -nostdinc -nostdlib -ffreestanding -fwrapv
 *        -mgeneral-regs-only -fno-stack-protector -Wall
 *        -Wl,-z,now -Wl,-z,noexecstack -Wl,-z,relro -Wl,--hash-style=gnu;
 *     d. the object is checked with libelf: an ELF64 shared object of this
 *        machine; no DT_NEEDED, DT_INIT, DT_FINI, DT_PREINIT_ARRAY,
 *        DT_INIT_ARRAY, DT_FINI_ARRAY (-nostdlib: the toolchain adds none,
 *        so any is the stage's), DT_TEXTREL; no executable stack
 *        (PT_GNU_STACK present and not PF_X); no writable and executable
 *        segment; undefined dynamic symbols only memcpy, memmove, memset,
 *        memcmp; the kind's functions (stage.h) defined as global
 *        functions.
 *    Every compiler process runs with resource limits (CPU, address space,
 *    file size, no core), no new privileges, as nobody when started as
 *    root, and a wall-clock timeout.  Only diagnostics located in stage.c,
 *    capped at CB_STAGE_DIAG_MAX bytes, are kept (they go back to the
 *    proposer); a diagnostic about another file is summarised without its
 *    text.
 *
 * 2. Sandbox (sandbox.c): the only process that loads a stage is the stage
 *    host (host.c, `codecbench stage-host`, internal).  It loads the object
 *    with dlopen(RTLD_NOW | RTLD_LOCAL), looks up the kind's functions, and
 *    before calling any: closes every descriptor but 0, 1 and 2; sets
 *    RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CPU, RLIMIT_NOFILE (3),
 *    RLIMIT_FSIZE (0: it writes only to pipes), RLIMIT_CORE (0),
 *    RLIMIT_NPROC (0 where it can); PR_SET_NO_NEW_PRIVS; when root, drops
 *    the capability bounding set, sets groups, gid and uid to nobody
 *    (65534) and checks that no capability is left (libcap-ng); sets
 *    PR_SET_DUMPABLE 0; installs a SIGSYS handler; and loads a
 *    default-deny seccomp filter (libseccomp, SCMP_FLTATR_CTL_TSYNC: all
 *    threads) that allows only read, write, close, brk, mmap and mprotect
 *    without PROT_EXEC, munmap, mremap, madvise, futex, clock_gettime,
 *    rt_sigreturn, rt_sigprocmask, exit, exit_group,
 *    and whatever else the engine is shown to need (each one listed in
 *    sandbox.c with the reason).  A denied call traps: the handler writes
 *    "denied system call NAME (number N)" to stderr (names resolved before
 *    the filter was loaded) and exits with CB_SANDBOX_EXIT_DENIED.
 *
 * 3. Judging (src/worker/, with the host client below): the worker never
 *    loads the stage: it drives an encoding host; verification decodes the
 *    stored stream with a decoding host, a fresh process that gets only
 *    the stream (never a source frame), and measures the frames it returns
 *    in the verifier's own process, which never loads stage code.
 */
#ifndef CODECBENCH_SANDBOX_H
#define CODECBENCH_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "codecbench/engine.h"
#include "codecbench/error.h"
#include "codecbench/stage.h"

/** Largest stage source, bytes. */
#define CB_STAGE_SOURCE_MAX 32768
/** Diagnostics kept from a build, bytes. */
#define CB_STAGE_DIAG_MAX 4096
/** Exit status of a stage host killed by the seccomp filter's trap. */
#define CB_SANDBOX_EXIT_DENIED 96

/* ---- build ----------------------------------------------------------------- */

/** The text of include/codecbench/stage.h as built into the binary (the
 * world's header; proposers put it in their prompts).  Never NULL. */
const char *cb_stage_header_text(void);
/** The engine's built-in stage of kind as stage source (samples/stages/
 * intra.c, loop_filter.c, transform.c, built into the binary): the parent
 * of a first stage, and what a diff compares a run without a parent stage
 * against.  NULL for CB_STAGE_NONE or an unknown kind. */
const char *cb_stage_builtin_source(CbStageKind kind);

typedef struct CbStageBuildOptions {
    const char *cc;      /**< the compiler (a name looked up in PATH, or a path); NULL: "cc" */
    double timeout_s;    /**< wall clock per compiler process; 0: 60 */
    int cpu_s;           /**< RLIMIT_CPU per compiler process; 0: 60 */
    int64_t memory_mib;  /**< RLIMIT_AS per compiler process; 0: 2048 */
} CbStageBuildOptions;

/** Hex SHA-256 of a stage's source bytes (the stream header's stage hash). */
void cb_stage_hash(const char *source, size_t len, uint8_t hash[32]);
/** 64 lower-case hex digits and a NUL of the same. */
void cb_stage_hash_hex(const char *source, size_t len, char hex[65]);

/** Builds the stage source (len bytes, at most CB_STAGE_SOURCE_MAX; any
 * bytes: a NUL inside is refused) of kind into a shared object written
 * atomically to object_path.  *diagnostics (if not NULL) gets the kept
 * compiler messages (malloc'd, possibly "", the caller frees; NULL when
 * there were none to keep or out of memory).  Returns 0; CB_ESTAGE with the
 * reason for a refused or non-compiling source or a refused object ("the
 * stage does not compile: stage.c:7: error: 'x' undeclared", "the object
 * has a constructor (DT_INIT_ARRAY)", "the object needs memfrob, which a
 * stage may not call"); CB_ETIMEOUT when the compiler ran out of time;
 * CB_ENOTSUP when the compiler is missing or lacks a flag; CB_EIO,
 * CB_ENOMEM. */
int cb_stage_build(CbStageKind kind, const char *source, size_t len, const char *object_path,
                   const CbStageBuildOptions *opt, char **diagnostics, CbError *err);

/** The object checks of step 1d alone, on any file (hostile bytes: a clear
 * CB_ESTAGE or CB_EFORMAT, never a crash). */
int cb_stage_check_object(const char *object_path, CbStageKind kind, CbError *err);

/* ---- the host client ------------------------------------------------------
 *
 * Starts `codecbench stage-host` (the running binary, /proc/self/exe) with
 * the object, on two pipes, with a scrubbed environment, and talks to it in
 * lock step (each request answered before the next is sent; nothing can
 * deadlock).  The host's stderr is a third pipe the client reads; its last
 * lines are the reason when the host dies. */

typedef struct CbStageLimits {
    int cpu_s;           /**< RLIMIT_CPU of the host; 0: 600 */
    int64_t data_mib;    /**< RLIMIT_DATA of the host; 0: 4096 */
    int64_t stack_mib;   /**< RLIMIT_STACK of the host; 0: 8 */
    double wall_s;       /**< longest wait for one answer; 0: 120 */
} CbStageLimits;

typedef struct CbStageHost CbStageHost;

/** Starts a host that will encode (decode = 0) or decode (decode = 1) with
 * the stage object of kind and hash (the hash the stream header gets, from
 * cb_stage_hash of the source).  The host loads the object and enters the
 * sandbox before answering; a host that cannot (a refused object, a failed
 * dlopen, a sandbox step that failed) ends with the reason as CB_ESTAGE. */
int cb_stage_host_start(CbStageHost **out, int decode, const char *object_path, CbStageKind kind,
                        const uint8_t hash[32], const CbStageLimits *lim, CbError *err);

/** Encoding host: opens its encoder (settings are copied; threads is forced
 * to 1) and gives the sequence header. */
int cb_stage_host_encoder(CbStageHost *h, const CbEngineSettings *settings, int qp, int width,
                          int height, int fps_num, int fps_den,
                          uint8_t header[CB_ENGINE_HEADER_BYTES], CbError *err);

/** One packet the encoding host sent back: data borrowed until the next
 * call; digest is the hex SHA-256 of the host's reconstruction as
 * cb_frame_digest computes it (claimed by the host: verification checks
 * it against an independent decode). */
typedef struct CbStagePacket {
    const uint8_t *data;
    size_t size;
    int type, qp;
    int64_t index;
    char digest[65];
} CbStagePacket;

/** Sends a frame (NULL: the end, flushing the GOP) and calls sink for every
 * packet the host gives back before it says it is ready for the next.  A
 * sink returning nonzero stops and is returned. */
typedef int (*CbStagePacketSink)(void *ud, const CbStagePacket *p, CbError *err);
int cb_stage_host_encode(CbStageHost *h, const CbFrame *frame, CbStagePacketSink sink, void *ud,
                         CbError *err);

/** Decoding host: opens its decoder on a stream's sequence header (checked
 * in the host; the client also checks that the header names this stage). */
int cb_stage_host_decoder(CbStageHost *h, const uint8_t *header, size_t len, CbStreamInfo *info,
                          CbError *err);
/** Decodes one packet: *frame is a view of the returned picture (owned by
 * the client, valid until the next call), *type its frame type (0 I, 1 P).
 * A damaged packet gives the host's CB_EFORMAT reason and the host goes on;
 * a stage failure, crash or timeout ends it (CB_ESTAGE, CB_ETIMEOUT). */
int cb_stage_host_decode(CbStageHost *h, const uint8_t *pkt, size_t len, CbFrame *frame, int *type,
                         CbError *err);

/** CPU seconds the host has used so far (from /proc, or at exit from
 * wait4): the encode CPU of a stage run. */
double cb_stage_host_cpu_seconds(const CbStageHost *h);

/** Ends the host (closes its input, waits briefly, kills) and reaps it.
 * *h may be NULL. */
void cb_stage_host_free(CbStageHost **h);

/* ---- the host itself (the internal subcommand) ----------------------------- */

/** `codecbench stage-host encode|decode OBJECT KIND HASH_HEX CPU_S DATA_MIB
 * STACK_MIB`: loads the object, enters the sandbox, serves the protocol on
 * stdin/stdout (host.c documents it), exits 0 at the end of its input.
 * Exit status on failure: 1 with the reason on stderr, or
 * CB_SANDBOX_EXIT_DENIED. */
int cb_stage_host_main(int argc, char **argv);

/** The sandbox steps of layer 2 on the calling process (the host calls it
 * after dlopen; the tests call it directly): descriptors 0..2 are kept,
 * every other is closed.  Returns 0, or CB_ESTAGE naming the step
 * that failed (nothing of the stage has run). */
int cb_sandbox_enter(int cpu_s, int64_t data_mib, int64_t stack_mib, CbError *err);

#endif

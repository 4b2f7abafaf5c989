/* codecbench stage: the protocol between the stage host (host.c, the
 * sandboxed `codecbench stage-host`) and its client (client.c).
 *
 * Lock step over two pipes: the client writes one request on the host's
 * stdin and reads replies from its stdout until the reply that ends the
 * request; only then does it send the next.  The host's stderr is a third
 * pipe, read by the client all along: its last lines are the reason when
 * the host dies.
 *
 * A message is
 *     u32 type, u32 length (both little-endian), then length bytes of payload.
 * Integers inside payloads are little-endian too: i32 two's complement, i64
 * likewise.  Every length is checked against the type's cap (below) before
 * a byte of the payload is read; a message outside the protocol ends the
 * conversation (the host exits 1; the client kills the host and fails with
 * CB_ESTAGE, "the stage host broke the protocol: ...": the stage may write
 * into fd 1 itself).  The host writes each message with one buffer, whole,
 * or exits: never a partial message followed by another.
 *
 * After loading the object and entering the sandbox the host sends HELLO
 * unasked.  Then:
 *
 *   request          payload                                  replies
 *   ENCODER          i32 qp, width, height, fps_num, fps_den,  HEADER | ERROR
 *                    then the CbEngineSettings fields in the
 *                    order of cb_engine_fields(): i32 each;
 *                    an INT_LIST as i32 count and max_items
 *                    i32 elements (unused ones 0)
 *   FRAME            i32 width, height, then the Y, U and V     PACKET* READY | ERROR
 *                    planes, rows packed (no stride padding)
 *   FLUSH            empty: the end of the frames               PACKET* READY | ERROR
 *   DECODER          the stream's sequence header (64 bytes)    READY | ERROR
 *   PACKET_IN        one frame packet                           FRAME | ERROR
 *
 *   reply            payload
 *   HELLO            u32 ABI version (CB_STAGE_ABI_VERSION), i32 uid, i32
 *                    gid, i32 no_new_privs, u64 effective, permitted and
 *                    bounding capability sets: the sandbox's state read just
 *                    before the seccomp filter was loaded
 *   HEADER           the CB_ENGINE_HEADER_BYTES bytes of the stream header
 *   PACKET           i32 type, i32 qp, i64 index, 64 lower-case hex digits
 *                    (cb_frame_digest of the reconstruction), then the bytes
 *   READY            empty: every packet of the request was sent
 *   FRAME            i32 type (0 I, 1 P), i32 width, i32 height, then the
 *                    planes, rows packed; the size is the stream header's
 *   ERROR            i32 code (a CB_E* value), then text (at most
 *                    HP_TEXT_MAX bytes, no NUL): the engine's error, whose
 *                    text for a failing stage (CB_ESTAGE) is the engine's
 *
 * The client ends the host by closing its stdin: the host exits 0 at the
 * end of its input (only at a message boundary).
 */
#ifndef CODECBENCH_STAGE_HOST_PROTO_H
#define CODECBENCH_STAGE_HOST_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "codecbench/engine.h"
#include "codecbench/sandbox.h"

enum {
    HP_REQ_ENCODER = 1,
    HP_REQ_FRAME = 2,
    HP_REQ_FLUSH = 3,
    HP_REQ_DECODER = 4,
    HP_REQ_PACKET = 5,

    HP_REP_HELLO = 0x101,
    HP_REP_HEADER = 0x102,
    HP_REP_PACKET = 0x103,
    HP_REP_READY = 0x104,
    HP_REP_FRAME = 0x105,
    HP_REP_ERROR = 0x1ff,
};

/** Bytes of a message's type and length. */
#define HP_HEAD_BYTES 8
/** Most text an ERROR carries. */
#define HP_TEXT_MAX 1000
/** Payload bytes of HELLO. */
#define HP_HELLO_BYTES (4 + 3 * 4 + 3 * 8)
/** Bytes before the data of a PACKET reply. */
#define HP_PACKET_HEAD_BYTES (4 + 4 + 8 + 64)
/** Bytes before the planes of FRAME (request and reply). */
#define HP_FRAME_REQ_HEAD_BYTES 8
#define HP_FRAME_REP_HEAD_BYTES 12
/** Payload bytes of ENCODER: five i32 and the settings. */
size_t hp_encoder_payload_bytes(void);

/** Bytes of a 4:2:0 frame's planes, rows packed (width, height valid). */
static inline size_t hp_frame_bytes(int width, int height)
{
    size_t cw = (size_t)cb_plane_width(width, 1), ch = (size_t)cb_plane_height(height, 1);
    return (size_t)width * (size_t)height + 2 * cw * ch;
}

/* Little-endian helpers. */
static inline void hp_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t hp_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void hp_put_i32(uint8_t *p, int32_t v)
{
    hp_put_u32(p, (uint32_t)v);
}
static inline int32_t hp_get_i32(const uint8_t *p)
{
    return (int32_t)hp_get_u32(p);
}
static inline void hp_put_u64(uint8_t *p, uint64_t v)
{
    hp_put_u32(p, (uint32_t)v);
    hp_put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t hp_get_u64(const uint8_t *p)
{
    return (uint64_t)hp_get_u32(p) | (uint64_t)hp_get_u32(p + 4) << 32;
}

/** Writes the ENCODER payload (hp_encoder_payload_bytes() bytes) into p. */
void hp_encoder_encode(uint8_t *p, const CbEngineSettings *s, int qp, int width, int height,
                       int fps_num, int fps_den);
/** Reads an ENCODER payload (hostile bytes: every value lands in an int;
 * the caller checks the settings with cb_engine_settings_check). */
void hp_encoder_decode(const uint8_t *p, CbEngineSettings *s, int *qp, int *width, int *height,
                       int *fps_num, int *fps_den);

/** What the sandbox had become just before its filter was loaded (the
 * HELLO's payload). */
typedef struct HpSandboxState {
    int uid, gid, no_new_privs;
    uint64_t cap_effective, cap_permitted, cap_bounding;
} HpSandboxState;

/** cb_sandbox_enter() that also reports the state (sandbox.c). */
int hp_sandbox_enter(int cpu_s, int64_t data_mib, int64_t stack_mib, HpSandboxState *state,
                     CbError *err);

/** cb_stage_host_start() without the object checks (cb_stage_check_object):
 * for tests of the sandbox beneath them, with objects built by plain `cc
 * -shared` (which link libc and have the toolchain's constructors). */
int hp_host_start_unchecked(CbStageHost **out, int decode, const char *object_path,
                            CbStageKind kind, const uint8_t hash[32], const CbStageLimits *lim,
                            CbError *err);

/** For tests: the host's process id (0 once reaped) and the state its HELLO
 * reported (client.c). */
pid_t hp_host_pid(const CbStageHost *h);
const HpSandboxState *hp_host_state(const CbStageHost *h);

#endif

/* frames_dump: the frame client (src/preview/frames.c) from the command
 * line, for tests/cli/frames.sh.
 *
 *   frames_dump EXE RUN_DIR RATE OUT_PREFIX INDEX...
 *
 * Starts EXE's frame server through cb_frames_open() and waits for each
 * frame in turn (cb_frames_wait, 120 s), printing one line per event:
 *   hello WIDTH HEIGHT FRAMES ENGINE
 *   frame INDEX TYPE PACKET_BYTES COLSxROWS INTRA INTER SKIP
 *   error INDEX CODE TEXT
 *   failed CODE TEXT            (the server did not start or died)
 * and writing each pair's planes, packed (Y, U, V rows without padding), to
 * OUT_PREFIX-src-INDEX.yuv and OUT_PREFIX-rec-INDEX.yuv, and its blocks as
 * text lines "col row kind size mode cbf mvx mvy" to OUT_PREFIX-blk-INDEX.txt.
 * Exit status 0 when every event could be reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecbench/preview.h"

static int number(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= -1000000 && v <= 1000000 ? (int)v : -1;
}

static int write_planes(const char *path, const CbFrame *f)
{
    FILE *o = fopen(path, "wb");
    if (!o)
        return -1;
    int bad = 0;
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < cb_plane_height(f->height, p); y++)
            bad |= fwrite(f->data[p] + (ptrdiff_t)y * f->stride[p], 1,
                          (size_t)cb_plane_width(f->width, p), o) !=
                   (size_t)cb_plane_width(f->width, p);
    bad |= fclose(o) != 0;
    return bad ? -1 : 0;
}

static int write_blocks(const char *path, const CbFramePair *p)
{
    FILE *o = fopen(path, "w");
    if (!o)
        return -1;
    for (int r = 0; r < p->block_rows; r++)
        for (int c = 0; c < p->block_cols; c++) {
            const CbBlockInfo *b = &p->blocks[r * p->block_cols + c];
            fprintf(o, "%d %d %u %u %u %u %d %d\n", c, r, b->kind, b->size, b->mode, b->cbf,
                    (int)b->mvx, (int)b->mvy);
        }
    return fclose(o) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fputs("usage: frames_dump EXE RUN_DIR RATE OUT_PREFIX INDEX...\n", stderr);
        return 2;
    }
    CbFramesOptions o = {.exe = argv[1], .run_dir = argv[2], .rate = number(argv[3])};
    CbFrames *f = NULL;
    CbError err;
    cb_error_clear(&err);
    int rc = cb_frames_open(&f, &o, &err);
    if (rc < 0) {
        printf("failed %d %s\n", rc, err.text);
        return 0;
    }
    const char *prefix = argv[4];
    int w, h, n, eng, status = 0, said_hello = 0;
    for (int i = 5; i < argc; i++) {
        int index = number(argv[i]);
        const CbFramePair *p;
        rc = cb_frames_wait(f, index, 120000, &p, &err);
        if (!said_hello && cb_frames_info(f, &w, &h, &n, &eng, NULL) == 1) {
            printf("hello %d %d %d %d\n", w, h, n, eng);
            said_hello = 1;
        }
        if (rc < 0 && cb_frames_info(f, NULL, NULL, NULL, NULL, NULL) < 0) {
            printf("failed %d %s\n", rc, err.text);
            break;
        }
        if (rc < 0) {
            printf("error %d %d %s\n", index, rc, err.text);
            continue;
        }
        int kinds[3] = {0, 0, 0};
        for (int k = 0; k < p->block_cols * p->block_rows; k++)
            kinds[p->blocks[k].kind]++;
        printf("frame %d %c %u %dx%d %d %d %d\n", p->index, p->type ? p->type : '?',
               p->packet_bytes, p->block_cols, p->block_rows, kinds[0], kinds[1], kinds[2]);
        char path[4096];
        snprintf(path, sizeof path, "%s-src-%d.yuv", prefix, index);
        status |= write_planes(path, &p->source);
        snprintf(path, sizeof path, "%s-rec-%d.yuv", prefix, index);
        status |= write_planes(path, &p->recon);
        if (p->blocks) {
            snprintf(path, sizeof path, "%s-blk-%d.txt", prefix, index);
            status |= write_blocks(path, p);
        }
    }
    fflush(stdout);
    cb_frames_close(&f);
    return status ? 1 : 0;
}

/* codecbench probe FILE: what media/ sees in a video file. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/jsonout.h"
#include "codecbench/frame.h"
#include "codecbench/media.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench probe FILE [--decode] [--json]\n"
          "\n"
          "Shows what codecbench sees in FILE: container, codec, size, pixel format\n"
          "and the conversion to 8-bit 4:2:0 (if any), frame rate (variable or not),\n"
          "frame count as the container states it, duration and file size.\n"
          "\n"
          "Options:\n"
          "  --decode    decode every frame: the exact frame count, the bytes of the\n"
          "              video packets and their bitrate, and the clip identity (a\n"
          "              SHA-256 of the decoded frames, the same for any file that\n"
          "              decodes to the same frames)\n"
          "  --json      one JSON document on stdout\n"
          "  -h, --help  this text\n",
          out);
}

typedef struct Decoded {
    int64_t frames;
    int64_t stream_bytes;
    double kbps;  /* -1 without a frame rate */
    char identity[CB_CLIP_ID_HEX];
} Decoded;

static int decode_all(CbMediaReader *r, Decoded *d, CbError *err)
{
    CbClipHasher *h = NULL;
    CbFrame f = {0};
    int rc = cb_clip_hasher_new(&h);
    if (rc < 0) {
        cb_error_set(err, rc, "clip identity: %s", cb_strerror(rc));
        return rc;
    }
    d->frames = 0;
    while ((rc = cb_media_read(r, &f, err)) > 0) {
        if ((rc = cb_clip_hasher_add(h, &f)) < 0) {
            cb_error_set(err, rc, "clip identity: %s", cb_strerror(rc));
            goto out;
        }
        d->frames++;
    }
    if (rc < 0)
        goto out;
    if ((rc = cb_clip_hasher_final(h, d->identity)) < 0) {
        cb_error_set(err, rc, "clip identity: %s", cb_strerror(rc));
        goto out;
    }
    const CbMediaInfo *info = cb_media_info(r);
    d->stream_bytes = info->stream_bytes;
    d->kbps = -1;
    if (info->fps_num > 0 && info->fps_den > 0 && d->frames > 0)
        d->kbps = (double)d->stream_bytes * 8.0 * info->fps_num /
                  ((double)d->frames * info->fps_den) / 1000.0;
out:
    cb_frame_free(&f);
    cb_clip_hasher_free(&h);
    return rc < 0 ? rc : CB_OK;
}

static void print_text(const CbMediaInfo *in, const Decoded *d)
{
    printf("file:          ");
    cli_puts_sanitized(stdout, in->path);
    printf("\ncontainer:     ");
    cli_puts_sanitized(stdout, in->container);
    printf("\ncodec:         ");
    cli_puts_sanitized(stdout, in->codec);
    printf("\nsize:          %dx%d (chroma %dx%d)\n", in->width, in->height,
           cb_plane_width(in->width, 1), cb_plane_height(in->height, 1));
    printf("pixel format:  ");
    cli_puts_sanitized(stdout, in->source_pix_fmt);
    printf(", %d bits\n", in->source_bit_depth);
    printf("frames as:     ");
    if (in->conversion)
        cli_puts_sanitized(stdout, in->conversion);
    else
        fputs("yuv420p (no conversion)", stdout);
    if (in->fps_num > 0 && in->fps_den > 0)
        printf("\nframe rate:    %d/%d (%.3f fps)%s\n", in->fps_num, in->fps_den,
               (double)in->fps_num / in->fps_den, in->variable_frame_rate ? ", variable" : "");
    else
        printf("\nframe rate:    unknown%s\n", in->variable_frame_rate ? ", variable" : "");
    if (in->frame_count >= 0)
        printf("frames:        %lld (as the container states)\n", (long long)in->frame_count);
    else
        printf("frames:        not stated by the container%s\n", d ? "" : " (--decode counts them)");
    if (in->duration_s >= 0)
        printf("duration:      %.3f s\n", in->duration_s);
    if (in->container_bytes >= 0)
        printf("file size:     %lld bytes\n", (long long)in->container_bytes);
    if (d) {
        printf("decoded:       %lld frames\n", (long long)d->frames);
        printf("video packets: %lld bytes", (long long)d->stream_bytes);
        if (d->kbps >= 0)
            printf(", %.2f kbps", d->kbps);
        printf("\nidentity:      %s\n", d->identity);
    }
}

static json_t *to_json(const CbMediaInfo *in, const Decoded *d)
{
    json_t *o = json_pack("{s:o, s:o, s:o, s:i, s:i, s:o, s:i, s:o, s:b}", "file",
                          cli_json_str(in->path), "container", cli_json_str(in->container),
                          "codec", cli_json_str(in->codec), "width", in->width, "height",
                          in->height, "pix_fmt", cli_json_str(in->source_pix_fmt), "bit_depth",
                          in->source_bit_depth, "conversion",
                          in->conversion ? cli_json_str(in->conversion) : json_null(),
                          "variable_frame_rate", in->variable_frame_rate);
    json_object_set_new(o, "fps",
                        in->fps_num > 0 && in->fps_den > 0
                            ? json_pack("[i, i]", in->fps_num, in->fps_den)
                            : json_null());
    json_object_set_new(o, "frames_stated",
                        in->frame_count >= 0 ? json_integer(in->frame_count) : json_null());
    json_object_set_new(o, "duration_s", in->duration_s >= 0 ? json_real(in->duration_s) : json_null());
    json_object_set_new(o, "file_bytes",
                        in->container_bytes >= 0 ? json_integer(in->container_bytes) : json_null());
    if (d) {
        json_object_set_new(o, "decoded",
                            json_pack("{s:I, s:I, s:o, s:s}", "frames", (json_int_t)d->frames,
                                      "stream_bytes", (json_int_t)d->stream_bytes, "kbps",
                                      d->kbps >= 0 ? json_real(d->kbps) : json_null(),
                                      "identity", d->identity));
    }
    return o;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"decode", no_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, decode = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'd': decode = 1; break;
        default: return cli_usage(&cb_cmd_probe, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage(&cb_cmd_probe, "needs one FILE");

    CbError err;
    cb_error_clear(&err);
    CbMediaReader *r = NULL;
    CbMediaOptions mo = {.logger = cli_logger()};
    if (cb_media_open(&r, argv[optind], &mo, &err) < 0)
        return cli_fail(&err);
    Decoded d;
    if (decode && decode_all(r, &d, &err) < 0) {
        cb_media_close(&r);
        return cli_fail(&err);
    }
    int rc = CB_EXIT_OK;
    if (json) {
        json_t *doc = to_json(cb_media_info(r), decode ? &d : NULL);
        rc = cli_json_print(doc);
        json_decref(doc);
    } else {
        print_text(cb_media_info(r), decode ? &d : NULL);
    }
    cb_media_close(&r);
    return rc;
}

const CbCommand cb_cmd_probe = {
    .name = "probe",
    .args = "FILE [--decode] [--json]",
    .summary = "what codecbench sees in a video file",
    .run = run,
    .help = help,
};

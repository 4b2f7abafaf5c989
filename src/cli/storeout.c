/* codecbench: what the store commands print about runs. */
#include "cli/storeout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/jsonout.h"
#include "codecbench/recipe.h"

void cli_print_provenance(FILE *out, int64_t anchor_run)
{
    fprintf(out, "%s\n%s", CLI_PROV_PSNR, CLI_PROV_SSIM_KBPS);
    if (anchor_run < 0)
        fputs(".\n", out);
    else if (anchor_run == 0)
        fprintf(out, ";\n%s, against the\nexperiment's anchor run on the same clip.\n",
                CLI_PROV_BD);
    else
        fprintf(out, ";\n%s, anchor run %lld.\n", CLI_PROV_BD, (long long)anchor_run);
}

json_t *cli_json_provenance(int64_t anchor_run)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "psnr",
                          "psnr_mean: mean of per-frame PSNR; psnr_global: PSNR of the mean MSE "
                          "over frames; identical planes capped at 100 dB",
                          "psnr_yuv", "(6*Y + U + V) / 8 of the per-plane PSNR (JVET)", "ssim",
                          "as FFmpeg's ssim filter: 8x8 windows stepped by 4 px, planes weighted "
                          "by pixel count",
                          "kbps",
                          "payload bytes of the stream incl. in-band headers x 8 / (frames / "
                          "input frame rate) / 1000; container bytes reported apart",
                          "bd",
                          "BD-rate and BD-PSNR by PCHIP (Fritsch-Carlson) in log10(rate) over the "
                          "overlapping PSNR-Y range, exact integration (JVET/AOM CTC); PSNR-Y is "
                          "the mean of per-frame values",
                          "measured_on", "frames decoded from the stored bitstreams by a separate "
                          "verification process");
    if (p && anchor_run >= 0)
        json_object_set_new(p, "anchor_run",
                            anchor_run > 0 ? json_integer(anchor_run) : json_null());
    if (p && anchor_run == 0)
        json_object_set_new(p, "anchor",
                            json_string("the experiment's anchor run on the same clip"));
    return p;
}

static json_t *str_or_null(const char *s)
{
    return s ? cli_json_str(s) : json_null();
}

json_t *cli_json_result_provenance(const CbRunResult *r)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "codecbench_version",
                     str_or_null(r->codecbench_version), "ffmpeg_versions",
                     str_or_null(r->ffmpeg_versions), "encoder_version",
                     str_or_null(r->encoder_version), "machine", str_or_null(r->machine),
                     "recipe_hash", str_or_null(r->recipe_hash), "clip_id",
                     str_or_null(r->clip_id), "verify_wall_s", cli_json_num(r->verify_wall_s),
                     "text", str_or_null(r->provenance));
}

static json_t *int_or_null(int64_t v, int64_t none)
{
    return v == none ? json_null() : json_integer(v);
}

static json_t *tags_array(const char *tags)
{
    json_t *a = json_array();
    if (!a || !tags)
        return a;
    const char *p = tags;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n)
            json_array_append_new(a, json_stringn(p, n));
        p += n + (e ? 1 : 0);
    }
    return a;
}

json_t *cli_json_run(const CbRunInfo *r)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "experiment", str_or_null(r->experiment));
    json_object_set_new(o, "recipe", json_pack("{s:o, s:o}", "name", str_or_null(r->recipe_name),
                                               "hash", str_or_null(r->recipe_hash)));
    json_object_set_new(o, "codec", str_or_null(r->codec));
    json_object_set_new(o, "status", json_string(cb_run_status_name(r->status)));
    json_object_set_new(o, "reason", str_or_null(r->reason));
    json_object_set_new(o, "input", str_or_null(r->input));
    json_object_set_new(o, "clip_id", str_or_null(r->clip_id));
    json_object_set_new(o, "first_frame", json_integer(r->first_frame));
    json_object_set_new(o, "frames", int_or_null(r->frames, -1));
    json_object_set_new(o, "width", r->width > 0 ? json_integer(r->width) : json_null());
    json_object_set_new(o, "height", r->height > 0 ? json_integer(r->height) : json_null());
    json_object_set_new(o, "parent", int_or_null(r->parent, 0));
    json_object_set_new(o, "origin", str_or_null(r->origin));
    json_object_set_new(o, "tags", tags_array(r->tags));
    json_object_set_new(o, "created", cli_json_num(r->created));
    json_object_set_new(o, "started", cli_json_num(r->started));
    json_object_set_new(o, "finished", cli_json_num(r->finished));
    json_object_set_new(o, "pid", int_or_null(r->pid, 0));
    json_object_set_new(o, "cancel_requested", json_boolean(r->cancel_requested));
    json_object_set_new(o, "points", json_integer(r->n_points));
    json_object_set_new(o, "kbps", json_pack("{s:o, s:o}", "min", cli_json_num(r->kbps_min),
                                             "max", cli_json_num(r->kbps_max)));
    json_object_set_new(o, "psnr_y", json_pack("{s:o, s:o}", "min", cli_json_num(r->psnr_y_min),
                                               "max", cli_json_num(r->psnr_y_max)));
    json_object_set_new(o, "bd_rate_pct", cli_json_num(r->bd_rate));
    json_object_set_new(o, "bd_psnr_db", cli_json_num(r->bd_psnr));
    json_object_set_new(o, "anchor_run", int_or_null(r->anchor_run, 0));
    json_object_set_new(o, "encode_fps", cli_json_num(r->encode_fps));
    return o;
}

static json_t *planes(const double v[3], double yuv)
{
    return json_pack("{s:o, s:o, s:o, s:o}", "y", cli_json_num(v[0]), "u", cli_json_num(v[1]),
                     "v", cli_json_num(v[2]), "yuv", cli_json_num(yuv));
}

json_t *cli_json_point(const CbPointResult *p, int with_frames)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "rate", json_integer(p->rate_value));
    json_object_set_new(o, "stream_file", str_or_null(p->stream_file));
    json_object_set_new(o, "payload_bytes", json_integer(p->payload_bytes));
    json_object_set_new(o, "container_bytes", json_integer(p->container_bytes));
    json_object_set_new(o, "frames", json_integer(p->frames));
    json_object_set_new(o, "kbps", cli_json_num(p->kbps));
    json_object_set_new(o, "bpp", cli_json_num(p->bpp));
    json_object_set_new(o, "psnr_mean", planes(p->psnr_mean, p->psnr_yuv_mean));
    json_object_set_new(o, "psnr_global", planes(p->psnr_global, p->psnr_yuv_global));
    json_object_set_new(o, "ssim_mean", cli_json_num(p->ssim_mean));
    json_object_set_new(o, "encode", json_pack("{s:o, s:o, s:o}", "cpu_s",
                                               cli_json_num(p->encode_cpu_s), "wall_s",
                                               cli_json_num(p->encode_wall_s), "fps",
                                               cli_json_num(p->encode_fps)));
    json_object_set_new(o, "decode", json_pack("{s:o, s:o, s:o}", "cpu_s",
                                               cli_json_num(p->decode_cpu_s), "wall_s",
                                               cli_json_num(p->decode_wall_s), "fps",
                                               cli_json_num(p->decode_fps)));
    json_object_set_new(o, "concurrency", json_integer(p->concurrency));
    json_object_set_new(o, "peak_rss_kib", json_integer(p->peak_rss_kib));
    if (with_frames && p->rows) {
        json_t *fr = json_array();
        for (int64_t i = 0; fr && i < p->frames; i++) {
            const CbFrameRow *f = &p->rows[i];
            char type[2] = {f->type ? f->type : '?', '\0'};
            json_array_append_new(
                fr, json_pack("{s:I, s:s, s:I, s:{s:o, s:o, s:o}, s:o}", "n", (json_int_t)i,
                              "type", type, "bits", (json_int_t)f->bits, "psnr", "y",
                              cli_json_num(f->psnr[0]), "u", cli_json_num(f->psnr[1]), "v",
                              cli_json_num(f->psnr[2]), "ssim", cli_json_num(f->ssim)));
        }
        json_object_set_new(o, "frame_rows", fr);
    }
    return o;
}

const char *cli_basename(const char *path)
{
    if (!path)
        return "-";
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

void cli_status_text(const CbRunInfo *r, char *buf, size_t size)
{
    int n;
    if (r->reason && *r->reason)
        n = snprintf(buf, size, "%s: %s", cb_run_status_name(r->status), r->reason);
    else
        n = snprintf(buf, size, "%s", cb_run_status_name(r->status));
    if (n < 0 && size)
        buf[0] = '\0';
}

char *cli_json_text(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
}

/* The canonical form of recipe text as a jansson object; NULL on error. */
static json_t *canonical_json(const char *text, size_t len, char **canon_out, CbError *err)
{
    CbRecipe r = {0};
    json_t *doc = NULL;
    char *canon = NULL;
    if (cb_recipe_parse(text, len, "recipe", &r, err) < 0)
        return NULL;
    canon = cb_recipe_canonical(&r);
    cb_recipe_free(&r);
    if (!canon) {
        cb_error_set(err, CB_ENOMEM, "recipe: cannot make its canonical form");
        return NULL;
    }
    json_error_t je;
    doc = json_loads(canon, 0, &je);
    if (!doc)
        cb_error_set(err, CB_EFORMAT, "recipe: canonical form does not parse: %s", je.text);
    if (canon_out)
        *canon_out = canon;
    else
        free(canon);
    return doc;
}

int cli_recipe_settings(const char *recipe_json, int non_default_only, json_t **out,
                        CbError *err)
{
    *out = NULL;
    char *canon = NULL;
    json_t *doc = canonical_json(recipe_json, strlen(recipe_json), &canon, err);
    json_t *result = NULL;
    int rc = CB_OK;
    if (!doc) {
        rc = err ? err->code : CB_EFORMAT;
        goto out;
    }
    json_t *settings = json_object_get(doc, "settings");
    result = json_object();
    if (!json_is_object(settings) || !result) {
        rc = cb_error_set(err, result ? CB_EFORMAT : CB_ENOMEM,
                          "recipe: its canonical form has no settings object");
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(settings, key, val) {
        int keep = 1;
        if (non_default_only) {
            /* A field is at its default when leaving it out gives the same
             * canonical form: this asks the recipe parser itself, so it
             * holds for every codec without a second table of defaults. */
            json_t *copy = json_deep_copy(doc);
            json_t *cs = json_object_get(copy, "settings");
            char *text = NULL;
            if (!copy || json_object_del(cs, key) < 0 ||
                !(text = json_dumps(copy, JSON_COMPACT))) {
                json_decref(copy);
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                goto out;
            }
            char *canon2 = NULL;
            CbError e2;
            json_t *doc2 = canonical_json(text, strlen(text), &canon2, &e2);
            keep = !doc2 || strcmp(canon, canon2) != 0;
            json_decref(doc2);
            free(canon2);
            free(text);
            json_decref(copy);
        }
        if (keep)
            json_object_set(result, key, val);
    }
    *out = result;
    result = NULL;
out:
    json_decref(result);
    json_decref(doc);
    free(canon);
    return rc;
}

static int curve(const CbRunResult *r, CbRdPoint **pts)
{
    *pts = calloc(r->n_points ? r->n_points : 1, sizeof **pts);
    if (!*pts)
        return CB_ENOMEM;
    for (size_t i = 0; i < r->n_points; i++) {
        (*pts)[i].kbps = r->points[i].kbps;
        (*pts)[i].psnr = r->points[i].psnr_mean[0];
    }
    return CB_OK;
}

int cli_result_bd(const CbRunResult *anchor, const CbRunResult *test, CbBdResult *out,
                  CbError *err)
{
    CbRdPoint *a = NULL, *t = NULL;
    int rc;
    if (curve(anchor, &a) < 0 || curve(test, &t) < 0)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    else
        rc = cb_bd_compute(a, anchor->n_points, t, test->n_points, out, err);
    free(a);
    free(t);
    return rc;
}

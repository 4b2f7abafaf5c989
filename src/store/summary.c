/* codecbench: what a front end showing many runs at once reads: the rate
 * points without their frames, the distinct recipes, and the cheap
 * "has anyone committed" check that tells it when to re-read. */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

static void point_row(sqlite3_stmt *st, void *elem, int *oom)
{
    CbPointSummary *p = elem;
    (void)oom;
    p->run_id = sqlite3_column_int64(st, 0);
    p->idx = sqlite3_column_int(st, 1);
    p->rate_value = sqlite3_column_int(st, 2);
    p->kbps = sqlite3_column_double(st, 3);
    p->psnr_y = sqlite3_column_double(st, 4);
    p->psnr_yuv = sqlite3_column_double(st, 5);
    p->ssim = sqlite3_column_double(st, 6);
    p->encode_fps = sqlite3_column_double(st, 7);
    p->decode_fps = sqlite3_column_double(st, 8);
}

static void points_drop(void *rows, size_t n)
{
    (void)n;
    free(rows);
}

int cb_store_all_points(CbStore *s, CbPointSummary **rows, size_t *n, CbError *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    /* Points are written only by an import, which makes the run done, and a
     * done run never leaves that state (reruns are new runs): no join. */
    int rc = cb_store_prepare(s,
                              "SELECT p.run_id, p.idx, p.rate_value, p.kbps, p.psnr_y, p.psnr_yuv, "
                              "p.ssim, p.encode_fps, p.decode_fps FROM points p "
                              "ORDER BY p.run_id, p.idx",
                              &st, err);
    if (rc < 0)
        return rc;
    void *out;
    rc = cb_store_collect_rows(s, st, sizeof(CbPointSummary), 256, point_row, points_drop,
                               "reading rate points", &out, n, err);
    *rows = out;
    return rc;
}

void cb_recipe_texts_free(CbRecipeText **rows, size_t n)
{
    if (!rows || !*rows)
        return;
    for (size_t i = 0; i < n; i++) {
        free((*rows)[i].hash);
        free((*rows)[i].name);
        free((*rows)[i].json);
    }
    free(*rows);
    *rows = NULL;
}

static void recipe_row(sqlite3_stmt *st, void *elem, int *oom)
{
    CbRecipeText *r = elem;
    const char *h = (const char *)sqlite3_column_text(st, 0);
    const char *name = (const char *)sqlite3_column_text(st, 1);
    const char *json = (const char *)sqlite3_column_text(st, 2);
    r->hash = strdup(h ? h : "");
    r->name = strdup(name ? name : "");
    r->json = strdup(json ? json : "");
    if (!r->hash || !r->name || !r->json)
        *oom = 1;
}

static void recipes_drop(void *rows, size_t n)
{
    CbRecipeText *r = rows;
    cb_recipe_texts_free(&r, n);
}

int cb_store_recipe_texts(CbStore *s, CbRecipeText **rows, size_t *n, CbError *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    /* One row per hash: the lowest run id's copy (texts of one hash may
     * differ in layout, never in meaning: the hash is the canonical text's). */
    int rc = cb_store_prepare(s,
                              "SELECT recipe_hash, recipe_name, recipe_json FROM runs WHERE id IN "
                              "(SELECT min(id) FROM runs GROUP BY recipe_hash) ORDER BY recipe_hash",
                              &st, err);
    if (rc < 0)
        return rc;
    void *out;
    rc = cb_store_collect_rows(s, st, sizeof(CbRecipeText), 16, recipe_row, recipes_drop,
                               "reading recipes", &out, n, err);
    *rows = out;
    return rc;
}

int cb_store_data_version(CbStore *s, int64_t *version, CbError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_store_prepare(s, "PRAGMA data_version", &st, err);
    if (rc < 0)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *version = sqlite3_column_int64(st, 0);
        rc = CB_OK;
    } else {
        rc = cb_store_sql_error(s, s->db, "reading the store's data version", err);
    }
    sqlite3_finalize(st);
    return rc;
}

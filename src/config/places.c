/* codecbench config: where things live (XDG base directories). */
#include <stdlib.h>
#include <string.h>

#include "codecbench/buf.h"
#include "codecbench/config.h"

#ifndef CB_PKGDATADIR
#define CB_PKGDATADIR "/usr/local/share/codecbench"
#endif

/* $VAR/sub if VAR holds an absolute path (the XDG spec ignores relative
 * ones), else $HOME/fallback/sub; NULL when neither applies. */
static char *xdg_path(const char *var, const char *fallback, const char *sub)
{
    const char *base = getenv(var);
    CbBuf b;
    cb_buf_init(&b, 8192);
    int rc;
    if (base && base[0] == '/') {
        rc = cb_buf_printf(&b, "%s/%s", base, sub);
    } else {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/')
            return NULL;
        rc = cb_buf_printf(&b, "%s/%s/%s", home, fallback, sub);
    }
    if (rc < 0) {
        cb_buf_free(&b);
        return NULL;
    }
    return cb_buf_steal(&b);
}

char *cb_config_user_path(void)
{
    return xdg_path("XDG_CONFIG_HOME", ".config", "codecbench/config");
}

char *cb_config_user_themes_dir(void)
{
    return xdg_path("XDG_CONFIG_HOME", ".config", "codecbench/themes");
}

char *cb_config_data_dir(void)
{
    return xdg_path("XDG_DATA_HOME", ".local/share", "codecbench");
}

const char *cb_config_themes_dir(void)
{
    return CB_PKGDATADIR "/themes";
}

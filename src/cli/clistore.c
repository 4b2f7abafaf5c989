/* codecbench: opening the store from the command line. */
#include "cli/clistore.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "codecbench/config.h"

char *cli_store_dir(const char *flag, CbError *err)
{
    /* The flag, else the configuration's "store" (CODECBENCH_STORE, then
     * the config file), else the XDG default. */
    const char *conf = cb_config_get_string(cli_config(), "store");
    const char *dir = flag && *flag ? flag : conf && *conf ? conf : NULL;
    char *out = dir ? strdup(dir) : cb_store_default_dir();
    if (!out)
        cb_error_set(err, dir ? CB_ENOMEM : CB_ENOENT,
                     dir ? "out of memory"
                         : "no store directory: give --store DIR, or set CODECBENCH_STORE, "
                           "XDG_DATA_HOME or HOME");
    return out;
}

int cli_store_open(const char *flag, int flags, CbStore **out, CbError *err)
{
    *out = NULL;
    char *dir = cli_store_dir(flag, err);
    if (!dir)
        return err ? err->code : CB_ENOMEM;
    int rc = cb_store_open(out, dir, flags, err);
    if (rc == CB_ENOENT && !(flags & CB_STORE_CREATE) && err) {
        /* Say where the store was looked for and how one comes to exist. */
        char text[CB_ERROR_TEXT_MAX];
        memcpy(text, err->text, sizeof text);
        cb_error_set(err, rc,
                     "%s; 'codecbench run' makes one, --store DIR or CODECBENCH_STORE choose "
                     "another",
                     text);
    }
    free(dir);
    return rc;
}

int64_t cli_parse_run_id(const char *s)
{
    if (s && *s == '#')
        s++;
    long long v = cli_parse_count(s);
    return v > 0 ? (int64_t)v : -1;
}

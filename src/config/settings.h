/* codecbench config, internal: validating a setting's value. */
#ifndef CB_CONFIG_SETTINGS_H
#define CB_CONFIG_SETTINGS_H

#include "codecbench/config.h"

/* Longest path value: a printed `set` line with it stays under
 * CB_CONFIG_MAX_LINE. */
#define CFG_PATH_MAX 3072

/* A parsed value: text is its canonical config text (owned), i its number
 * for INT settings, is_auto when an INT setting was given "auto". */
typedef struct CfgValue {
    char *text;
    long long i;
    int is_auto;
} CfgValue;

/* A REAL setting holding "auto" keeps this in CfgValue.i. */
#define CFG_REAL_AUTO (-(1LL << 62))

/* Parses text as a value of s into *v (v->text newly allocated on success,
 * NULL on failure).  from_file: relative paths are refused (they would be
 * relative to whatever folder the command runs in).  Errors: CB_EINVAL with
 * "NAME: reason", CB_ENOMEM. */
int cfg_parse_value(const CbSettingInfo *s, const char *text, int from_file, CfgValue *v,
                    CbError *err);
/* The number of online cores, clamped to 1..256 ("workers = auto"). */
long long cfg_online_cores(void);

#endif

/* codecbench dashboard: key hints from the bindings (see keyhint.h). */
#include "tui/keyhint.h"

#include <stdio.h>
#include <string.h>

/* The first key bound to req in view, else in the global view whose meaning
 * the view does not override; 0 when none. */
static int key_for(const CbConfig *cfg, CbView view, CbRequest req)
{
    size_t n = cb_config_binding_count(cfg);
    for (int pass = 0; pass < 2; pass++) {
        CbView v = pass == 0 ? view : CB_VIEW_GLOBAL;
        for (size_t i = 0; i < n; i++) {
            const CbBinding *b = cb_config_binding(cfg, i);
            if (b && b->view == v && b->req == req &&
                cb_config_key_request(cfg, view, b->key) == req)
                return b->key;
        }
    }
    return 0;
}

size_t tui_key_hint(const CbConfig *cfg, CbView view, const CbRequest *reqs,
                    const char *const *words, size_t n, char *out, size_t cap)
{
    size_t used = 0;
    if (!cap)
        return 0;
    out[0] = '\0';
    for (size_t i = 0; cfg && i < n;) {
        /* requests in a row with the same word share it: "<Left>/<Right> column" */
        char keys[4 * CB_KEY_NAME_MAX] = "";
        size_t kl = 0, j = i;
        for (; j < n && strcmp(words[j], words[i]) == 0; j++) {
            int key = key_for(cfg, view, reqs[j]);
            char name[CB_KEY_NAME_MAX];
            if (!key || cb_config_key_name(key, name) < 0)
                continue;
            int k = snprintf(keys + kl, sizeof keys - kl, "%s%s", kl ? "/" : "", name);
            if (k < 0 || (size_t)k >= sizeof keys - kl)
                break;
            kl += (size_t)k;
        }
        if (kl) {
            int k = snprintf(out + used, cap - used, "%s%s %s", used ? "  " : "", keys, words[i]);
            if (k < 0 || (size_t)k >= cap - used) {
                out[used] = '\0';
                break;
            }
            used += (size_t)k;
        }
        i = j > i ? j : i + 1;
    }
    return used;
}

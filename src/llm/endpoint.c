/* codecbench: the LLM endpoint from the configuration (see llm.h). */
#include <stdlib.h>
#include <string.h>

#include "codecbench/config.h"
#include "codecbench/llm.h"

static int seconds_ms(const CbConfig *cfg, const char *name)
{
    long long v = 0;
    if (cb_config_get_int(cfg, name, &v) < 0 || v < 0 || v > 24 * 3600)
        return 0; /* the client's default */
    return (int)v * 1000;
}

int cb_llm_endpoint_from_config(const CbConfig *cfg, CbLlmEndpoint *ep, CbError *err)
{
    memset(ep, 0, sizeof *ep);
    ep->base_url = cb_config_get_string(cfg, "llm.endpoint");
    ep->model = cb_config_get_string(cfg, "llm.model");
    ep->key_name = cb_config_get_string(cfg, "llm.api_key_env");
    ep->api_key = ep->key_name && *ep->key_name ? getenv(ep->key_name) : NULL;
    ep->temperature = -1;
    cb_config_get_real(cfg, "llm.temperature", &ep->temperature);
    ep->connect_timeout_ms = seconds_ms(cfg, "llm.connect_timeout");
    ep->idle_timeout_ms = seconds_ms(cfg, "llm.idle_timeout");
    ep->total_timeout_ms = seconds_ms(cfg, "llm.timeout");
    long long retries = 0;
    if (cb_config_get_int(cfg, "llm.retries", &retries) == 0 && retries >= 0 && retries <= 10)
        ep->retries = (int)retries;
    if (!ep->base_url || !*ep->base_url)
        return cb_error_set(err, CB_EINVAL,
                            "llm.endpoint is empty: set it in the config file or "
                            "CODECBENCH_LLM_BASE_URL");
    if (!ep->model || !*ep->model)
        return cb_error_set(err, CB_EINVAL,
                            "llm.model is empty: set it in the config file or CODECBENCH_LLM_MODEL");
    return 0;
}

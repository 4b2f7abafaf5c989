# Unit tests of the chat-completions client (src/llm/client.c) against the
# fault-injecting OpenAI-compatible server tests/llm/server.py (python3,
# 127.0.0.1, a port the OS chooses): streaming and not, retries,
# Retry-After, cuts, stalls, caps, schema fallback, error texts, the key.
check_PROGRAMS += tests/unit/test_llm_client
TESTS += tests/unit/test_llm_client
tests_unit_test_llm_client_SOURCES = tests/unit/test_llm_client.c
tests_unit_test_llm_client_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) \
	-DCB_LLM_SERVER='"$(abs_top_srcdir)/tests/llm/server.py"'
tests_unit_test_llm_client_CFLAGS = $(CB_TEST_CF)
tests_unit_test_llm_client_LDADD = src/llm/libcbllm.a $(CB_RECIPE_LIBS) src/util/libcbutil.a \
	$(LIBCURL_LIBS) $(JANSSON_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) $(LIBS)
EXTRA_DIST += tests/llm/server.py

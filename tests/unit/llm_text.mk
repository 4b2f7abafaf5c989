# Unit tests of the LLM client's text handling (src/llm/sse.c, extract.c):
# server-sent events fed whole and split at every byte, hand-written
# expectations; the first JSON object found in hostile model text.
check_PROGRAMS += tests/unit/test_llm_text
TESTS += tests/unit/test_llm_text
tests_unit_test_llm_text_SOURCES = tests/unit/test_llm_text.c
tests_unit_test_llm_text_CFLAGS = $(CB_TEST_CF) $(JANSSON_CFLAGS)
tests_unit_test_llm_text_LDADD = src/llm/libcbllm.a src/util/libcbutil.a \
	$(JANSSON_LIBS) $(CMOCKA_LIBS) $(LIBS)

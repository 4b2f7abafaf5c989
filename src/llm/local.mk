# The LLM client and the proposers (issue 7): the server-sent events parser
# and the JSON found in a model's text so far.  Not linked into the binary yet.
noinst_LIBRARIES += src/llm/libcbllm.a
src_llm_libcbllm_a_SOURCES = \
	src/llm/sse.c \
	src/llm/extract.c
# the chat-completions client over libcurl's multi interface
src_llm_libcbllm_a_SOURCES += src/llm/client.c
src_llm_libcbllm_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(LIBCURL_CFLAGS)
EXTRA_DIST += include/codecbench/llm.h
EXTRA_DIST += tests/fuzz/fuzz_sse.c tests/fuzz/seeds/sse/openai tests/fuzz/seeds/sse/fields

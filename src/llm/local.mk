# The LLM client and the proposers (issue 7): the server-sent events parser
# and the JSON found in a model's text, the client, the endpoint from the
# configuration.
noinst_LIBRARIES += src/llm/libcbllm.a
src_llm_libcbllm_a_SOURCES = \
	src/llm/sse.c \
	src/llm/extract.c
# the chat-completions client over libcurl's multi interface
src_llm_libcbllm_a_SOURCES += src/llm/client.c src/llm/endpoint.c
src_llm_libcbllm_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(LIBCURL_CFLAGS)
EXTRA_DIST += include/codecbench/llm.h
EXTRA_DIST += tests/fuzz/fuzz_sse.c tests/fuzz/seeds/sse/openai tests/fuzz/seeds/sse/fields
# The proposers (issue 7): the history, validation and queueing they share,
# the local search and the LLM's prompt and reply.  They read the store and
# the recipes: users link src/store/libcbstore.a and $(CB_RECIPE_LIBS) after.
src_llm_libcbllm_a_SOURCES += src/llm/propose.c src/llm/local.c src/llm/propose_llm.c
EXTRA_DIST += include/codecbench/propose.h
# Stage proposals (issue 8): search/replace edits applied tolerantly.
src_llm_libcbllm_a_SOURCES += src/llm/stage_edit.c

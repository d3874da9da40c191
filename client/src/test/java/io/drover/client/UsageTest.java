package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The usage blocks of OpenAI and Anthropic responses, read into one record. */
class UsageTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return MAPPER.readTree(s);
    }

    @Test
    void openAiChatCompletionsCountsCachedTokensOutOfThePrompt() throws Exception {
        Usage u = Usage.fromResponse("OpenAI", null, json("{\"id\": \"chatcmpl-1\", \"model\": \"gpt-4o-2024-08-06\","
                + "\"usage\": {\"prompt_tokens\": 1200, \"completion_tokens\": 300, \"total_tokens\": 1500,"
                + "\"prompt_tokens_details\": {\"cached_tokens\": 1024}}}"));
        assertThat(u).isEqualTo(new Usage("openai", "gpt-4o-2024-08-06", 176, 300, 1024, null));
    }

    @Test
    void openAiWithoutCacheDetails() throws Exception {
        Usage u = Usage.fromResponse("openai", "gpt-4.1", json("{\"prompt_tokens\": 10, \"completion_tokens\": 5}"));
        assertThat(u).isEqualTo(new Usage("openai", "gpt-4.1", 10, 5, 0, null));
    }

    @Test
    void openAiResponsesApi() throws Exception {
        Usage u = Usage.fromResponse("openai", null, json("{\"model\": \"gpt-5\", \"usage\": {\"input_tokens\": 900,"
                + "\"input_tokens_details\": {\"cached_tokens\": 100}, \"output_tokens\": 50,"
                + "\"output_tokens_details\": {\"reasoning_tokens\": 20}}}"));
        assertThat(u).isEqualTo(new Usage("openai", "gpt-5", 800, 50, 100, null));
    }

    @Test
    void anthropicMessagesCountsCacheReadsApartAndCacheWritesAsInput() throws Exception {
        Usage u = Usage.fromResponse("anthropic", null, json("{\"id\": \"msg_1\", \"model\": \"claude-sonnet-4-20250514\","
                + "\"usage\": {\"input_tokens\": 25, \"cache_creation_input_tokens\": 100,"
                + "\"cache_read_input_tokens\": 2000, \"output_tokens\": 400}}"));
        assertThat(u).isEqualTo(new Usage("anthropic", "claude-sonnet-4-20250514", 125, 400, 2000, null));
    }

    @Test
    void aBlockWithoutCountsOrAModelIsRefused() {
        assertThatThrownBy(() -> Usage.fromResponse("openai", "m", json("{\"usage\": {\"foo\": 1}}")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Usage.fromResponse("openai", null, json("{\"prompt_tokens\": 1}")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Objects;

/**
 * One AI call's token usage, as {@code POST /v1/runs/{id}/usage} takes it. {@code inputTokens}
 * excludes {@code cachedInputTokens} (which are billed at the cached price); {@code costMicrousd}
 * is null to let the server price the call from its catalog and the project's prices.
 *
 * @param provider the vendor, such as {@code openai} or {@code anthropic}
 * @param model the model name as the vendor reports it (dated snapshots match their family)
 * @param inputTokens input tokens read without the cache
 * @param outputTokens output tokens (reasoning tokens included)
 * @param cachedInputTokens input tokens read from the vendor's prompt cache
 * @param costMicrousd the cost in micro-USD when the caller knows it, else null
 */
public record Usage(String provider, String model, long inputTokens, long outputTokens, long cachedInputTokens,
        Long costMicrousd) {

    public Usage {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(model, "model");
    }

    /** @return usage of {@code in} input and {@code out} output tokens, priced by the server */
    public static Usage of(String provider, String model, long in, long out) {
        return new Usage(provider, model, in, out, 0, null);
    }

    /**
     * Reads the {@code usage} block of an LLM client's response: the whole response (its
     * {@code usage} and, when {@code model} is null, its {@code model}) or the block itself.
     * <ul>
     * <li>OpenAI Chat Completions: {@code prompt_tokens}, {@code completion_tokens},
     * {@code prompt_tokens_details.cached_tokens} (prompt_tokens includes the cached ones, which
     * are taken out of the input count);</li>
     * <li>OpenAI Responses: {@code input_tokens}, {@code output_tokens},
     * {@code input_tokens_details.cached_tokens} (likewise included in input_tokens);</li>
     * <li>Anthropic Messages: {@code input_tokens}, {@code output_tokens},
     * {@code cache_read_input_tokens} (not included in input_tokens), and
     * {@code cache_creation_input_tokens}, counted as input here (Anthropic bills cache writes
     * at 1.25x the input price, so such records are priced slightly low).</li>
     * </ul>
     *
     * @param provider the vendor
     * @param model the model, or null to read the response's {@code model}
     * @param response the response or its usage block
     * @return the usage
     * @throws IllegalArgumentException when no token counts are found
     */
    public static Usage fromResponse(String provider, String model, JsonNode response) {
        Objects.requireNonNull(response, "response");
        JsonNode usage = response.has("usage") && response.get("usage").isObject() ? response.get("usage") : response;
        String m = model != null ? model : response.path("model").asText(null);
        if (m == null || m.isEmpty()) {
            throw new IllegalArgumentException("no model given and none in the response");
        }
        long in;
        long out;
        long cached;
        if (usage.has("prompt_tokens") || usage.has("completion_tokens")) {
            cached = usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
            in = Math.max(0, usage.path("prompt_tokens").asLong(0) - cached);
            out = usage.path("completion_tokens").asLong(0);
        } else if (usage.has("cache_read_input_tokens") || usage.has("cache_creation_input_tokens")) {
            cached = usage.path("cache_read_input_tokens").asLong(0);
            in = usage.path("input_tokens").asLong(0) + usage.path("cache_creation_input_tokens").asLong(0);
            out = usage.path("output_tokens").asLong(0);
        } else if (usage.has("input_tokens") || usage.has("output_tokens")) {
            cached = usage.path("input_tokens_details").path("cached_tokens").asLong(0);
            in = Math.max(0, usage.path("input_tokens").asLong(0) - cached);
            out = usage.path("output_tokens").asLong(0);
        } else {
            throw new IllegalArgumentException("no token counts in the usage block: " + usage);
        }
        return new Usage(provider.toLowerCase(Locale.ROOT), m, in, out, cached, null);
    }
}

package io.drover.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Input;
import io.drover.http.Json;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before the next attempt. {@code attempt} is the 1-based attempt that just
 * ended. With jitter the delay is drawn from [delay/2, delay] ("equal jitter"), which spreads a
 * burst of failures without ever retrying much sooner than asked.
 */
public record RetryPolicy(String strategy, long initialDelayMs, long maxDelayMs, List<Long> delaysMs, boolean jitter) {
    public static final Set<String> STRATEGIES = Set.of("exponential", "linear", "fixed", "custom");
    public static final RetryPolicy DEFAULT = new RetryPolicy("exponential", 1_000, 3_600_000, List.of(), true);
    private static final long MAX_DELAY = 30L * 24 * 3600 * 1000; // 30 days

    public long delayMs(int attempt) {
        int n = Math.max(1, attempt);
        long base = switch (strategy) {
            case "fixed" -> initialDelayMs;
            case "linear" -> saturatingMultiply(initialDelayMs, n);
            case "custom" -> delaysMs.isEmpty() ? initialDelayMs : delaysMs.get(Math.min(n - 1, delaysMs.size() - 1));
            default -> n > 62 ? Long.MAX_VALUE : saturatingMultiply(initialDelayMs, 1L << (n - 1));
        };
        long capped = Math.min(base, maxDelayMs);
        if (jitter && capped > 1) {
            return capped / 2 + ThreadLocalRandom.current().nextLong(capped - capped / 2 + 1);
        }
        return capped;
    }

    private static long saturatingMultiply(long a, long b) {
        long r = a * b;
        return (a != 0 && (r / a != b || r < 0)) ? Long.MAX_VALUE : r;
    }

    public static RetryPolicy parse(Input in) {
        in.allowOnly(Set.of("strategy", "initial_delay_ms", "max_delay_ms", "delays_ms", "jitter"));
        String strategy = in.oneOf("strategy", "exponential", STRATEGIES);
        long initial = in.longValue("initial_delay_ms", 1_000L, 0, MAX_DELAY);
        List<Long> delays = List.of();
        if (in.has("delays_ms")) {
            var node = in.get("delays_ms");
            if (!node.isArray()) {
                throw ApiError.wrongType(in.name("delays_ms"), "an array of integers");
            }
            if (node.size() > 100) {
                throw ApiError.invalid(in.name("delays_ms"), "at most 100 delays");
            }
            var list = new java.util.ArrayList<Long>();
            for (var d : node) {
                if (!d.isIntegralNumber()) {
                    throw ApiError.wrongType(in.name("delays_ms"), "an array of integers");
                }
                if (!d.canConvertToLong() || d.longValue() < 0 || d.longValue() > MAX_DELAY) {
                    throw ApiError.invalid(in.name("delays_ms"), "delays must be 0.." + MAX_DELAY);
                }
                list.add(d.longValue());
            }
            delays = List.copyOf(list);
        }
        // The default cap never cuts a delay the policy asks for (initial_delay_ms or a custom delay).
        long asked = Math.max(initial, delays.stream().mapToLong(Long::longValue).max().orElse(0));
        long max = in.longValue("max_delay_ms", Math.max(asked, 3_600_000L), 0, MAX_DELAY);
        if (max < initial) {
            throw ApiError.invalid(in.name("max_delay_ms"), "must be at least initial_delay_ms");
        }
        if (strategy.equals("custom") && delays.isEmpty()) {
            throw ApiError.invalid(in.name("delays_ms"), "is required for the custom strategy");
        }
        boolean jitter = in.bool("jitter", strategy.equals("exponential") || strategy.equals("linear"));
        return new RetryPolicy(strategy, initial, max, delays, jitter);
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("strategy", strategy);
        n.put("initial_delay_ms", initialDelayMs);
        n.put("max_delay_ms", maxDelayMs);
        var arr = n.putArray("delays_ms");
        delaysMs.forEach(arr::add);
        n.put("jitter", jitter);
        return n;
    }
}

package io.drover.ratelimits;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.time.Instant;

/**
 * A named rate limit: at most {@code limit} runs of the jobs naming {@code key} start in each
 * window of {@code periodMs}; {@code usedNow} is how many started in the current window.
 */
public record RateLimit(String key, int limit, long periodMs, Instant createdAt, Instant updatedAt, int usedNow) {
    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("key", key);
        n.put("limit", limit);
        n.put("period_ms", periodMs);
        n.put("used_in_window", usedNow);
        n.put("created_at", createdAt.toString());
        n.put("updated_at", updatedAt.toString());
        return n;
    }
}

package io.drover.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Input;
import io.drover.http.Json;
import java.time.Instant;
import java.util.Set;

/** The body of a trigger: what one new run should carry. */
public record TriggerRequest(JsonNode payload, ObjectNode metadata, String idempotencyKey, Long delayMs,
        Instant scheduledAt, Integer priority, String concurrencyKey, java.util.UUID parentRunId) {

    static final Set<String> FIELDS = Set.of("payload", "metadata", "idempotency_key", "delay_ms", "scheduled_at",
            "priority", "concurrency_key", "parent_run_id");

    /** A run that is no one's child. */
    public TriggerRequest(JsonNode payload, ObjectNode metadata, String idempotencyKey, Long delayMs,
            Instant scheduledAt, Integer priority, String concurrencyKey) {
        this(payload, metadata, idempotencyKey, delayMs, scheduledAt, priority, concurrencyKey, null);
    }

    public static TriggerRequest parse(Input in) {
        in.allowOnly(FIELDS);
        Long delay = in.longValue("delay_ms", null, 0, 366L * 24 * 3600 * 1000);
        Instant at = in.instant("scheduled_at");
        if (delay != null && at != null) {
            throw ApiError.invalid("delay_ms", "give delay_ms or scheduled_at, not both");
        }
        String key = in.string("idempotency_key", null, 255);
        if (key != null && key.isEmpty()) {
            throw ApiError.invalid("idempotency_key", "must not be empty");
        }
        String ck = in.string("concurrency_key", null, 255);
        JsonNode payload = in.raw().get("payload");
        return new TriggerRequest(payload == null ? Json.MAPPER.nullNode() : payload, in.object("metadata"), key,
                delay, at, in.intValue("priority", null, -1000, 1000), ck, parentOf(in));
    }

    /** The optional parent run: a run id (422 when it is not one); whether it exists is the store's to say. */
    private static java.util.UUID parentOf(Input in) {
        String parent = in.string("parent_run_id", null, 36);
        if (parent == null) {
            return null;
        }
        try {
            if (parent.length() == 36) {
                return java.util.UUID.fromString(parent);
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw ApiError.invalid(in.name("parent_run_id"), "is not a run id");
    }

    public static TriggerRequest empty() {
        return new TriggerRequest(Json.MAPPER.nullNode(), null, null, null, null, null, null);
    }
}

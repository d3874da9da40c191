package io.drover.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Input;
import io.drover.http.Json;
import java.time.Instant;
import java.util.Set;

/**
 * The body of a trigger: what one new run should carry. {@code traceparent} is the W3C trace
 * context the run continues (the body's field, else the request's {@code traceparent} header), or null.
 */
public record TriggerRequest(JsonNode payload, ObjectNode metadata, String idempotencyKey, Long delayMs,
        Instant scheduledAt, Integer priority, String concurrencyKey, java.util.UUID parentRunId,
        String traceparent) {

    static final Set<String> FIELDS = Set.of("payload", "metadata", "idempotency_key", "delay_ms", "scheduled_at",
            "priority", "concurrency_key", "parent_run_id", "traceparent");
    /** W3C Trace Context, version 00: {@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>}. */
    private static final java.util.regex.Pattern TRACEPARENT =
            java.util.regex.Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    /** A run that is no one's child, without a trace context. */
    public TriggerRequest(JsonNode payload, ObjectNode metadata, String idempotencyKey, Long delayMs,
            Instant scheduledAt, Integer priority, String concurrencyKey) {
        this(payload, metadata, idempotencyKey, delayMs, scheduledAt, priority, concurrencyKey, null, null);
    }

    /** Whether {@code tp} is a W3C traceparent this server carries (not version ff, no all-zero ids). */
    public static boolean validTraceparent(String tp) {
        return tp != null && TRACEPARENT.matcher(tp).matches() && !tp.startsWith("ff")
                && !tp.substring(3, 35).equals("0".repeat(32)) && !tp.substring(36, 52).equals("0".repeat(16));
    }

    /** This request with {@code tp} as its trace context unless it has one. */
    TriggerRequest withDefaultTraceparent(String tp) {
        return traceparent != null || tp == null ? this : new TriggerRequest(payload, metadata, idempotencyKey,
                delayMs, scheduledAt, priority, concurrencyKey, parentRunId, tp);
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
        String tp = in.string("traceparent", null, 55);
        if (tp != null && !validTraceparent(tp)) {
            throw ApiError.invalid("traceparent", "must be a W3C traceparent: 00-<32 hex trace id>-<16 hex parent "
                    + "id>-<2 hex flags>, lowercase, ids not all zeros");
        }
        JsonNode payload = in.raw().get("payload");
        return new TriggerRequest(payload == null ? Json.MAPPER.nullNode() : payload, in.object("metadata"), key,
                delay, at, in.intValue("priority", null, -1000, 1000), ck, parentOf(in), tp);
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
        return new TriggerRequest(Json.MAPPER.nullNode(), null, null, null, null, null, null, null, null);
    }
}

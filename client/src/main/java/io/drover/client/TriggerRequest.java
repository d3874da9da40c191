package io.drover.client;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The body of a trigger: every field is optional. Start from {@link #of(Object)} and add what you
 * need, as in {@code TriggerRequest.of(Map.of("to", "a@b.c")).withIdempotencyKey("order-42")}.
 *
 * @param payload the input of the run: a JsonNode, a Map, a record or any value Jackson can write
 * @param metadata free-form metadata stored with the run
 * @param idempotencyKey a key that makes a repeated trigger return the first run
 * @param delayMs how long to wait before the run becomes due
 * @param scheduledAt when the run becomes due (instead of {@code delayMs})
 * @param priority the run priority, higher first, overriding the job's
 * @param concurrencyKey the key that the job's per-key concurrency limit counts by
 * @param parentRunId the run this one is a child of (same project), or null
 */
public record TriggerRequest(Object payload, Map<String, Object> metadata, String idempotencyKey, Long delayMs,
                             Instant scheduledAt, Integer priority, String concurrencyKey, String parentRunId) {

    /**
     * A request without a parent run.
     *
     * @param payload the input of the run
     * @param metadata free-form metadata
     * @param idempotencyKey the idempotency key, or null
     * @param delayMs the delay, or null
     * @param scheduledAt the due time, or null
     * @param priority the priority, or null
     * @param concurrencyKey the concurrency key, or null
     */
    public TriggerRequest(Object payload, Map<String, Object> metadata, String idempotencyKey, Long delayMs,
                          Instant scheduledAt, Integer priority, String concurrencyKey) {
        this(payload, metadata, idempotencyKey, delayMs, scheduledAt, priority, concurrencyKey, null);
    }

    /**
     * Creates a request with only a payload.
     *
     * @param payload the input of the run, or null for none
     * @return the request
     */
    public static TriggerRequest of(Object payload) {
        return new TriggerRequest(payload, null, null, null, null, null, null, null);
    }

    /** @return a copy with the given metadata */
    public TriggerRequest withMetadata(Map<String, Object> value) {
        return new TriggerRequest(payload, value, idempotencyKey, delayMs, scheduledAt, priority, concurrencyKey,
                parentRunId);
    }

    /** @return a copy with the given idempotency key */
    public TriggerRequest withIdempotencyKey(String value) {
        return new TriggerRequest(payload, metadata, value, delayMs, scheduledAt, priority, concurrencyKey,
                parentRunId);
    }

    /** @return a copy that becomes due after the given delay */
    public TriggerRequest withDelay(Duration value) {
        return new TriggerRequest(payload, metadata, idempotencyKey, value.toMillis(), scheduledAt, priority,
                concurrencyKey, parentRunId);
    }

    /** @return a copy that becomes due at the given time */
    public TriggerRequest withScheduledAt(Instant value) {
        return new TriggerRequest(payload, metadata, idempotencyKey, delayMs, value, priority, concurrencyKey,
                parentRunId);
    }

    /** @return a copy with the given priority */
    public TriggerRequest withPriority(int value) {
        return new TriggerRequest(payload, metadata, idempotencyKey, delayMs, scheduledAt, value, concurrencyKey,
                parentRunId);
    }

    /** @return a copy with the given concurrency key */
    public TriggerRequest withConcurrencyKey(String value) {
        return new TriggerRequest(payload, metadata, idempotencyKey, delayMs, scheduledAt, priority, value,
                parentRunId);
    }

    /** @return a copy that makes the run a child of the given run */
    public TriggerRequest withParentRunId(String value) {
        return new TriggerRequest(payload, metadata, idempotencyKey, delayMs, scheduledAt, priority, concurrencyKey,
                value);
    }
}

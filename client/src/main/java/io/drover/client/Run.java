package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One execution of a job, with its payload, its state and the outcome of its latest attempt.
 *
 * @param id the run id (a UUIDv7)
 * @param jobId the id of the job
 * @param jobSlug the slug of the job, which workers use to pick a handler
 * @param jobVersion the job version the run was created with
 * @param queue the queue the run waits in
 * @param status the current state
 * @param attempt the current attempt number, starting at 1 once claimed
 * @param maxAttempts how many attempts the run gets before it is dead-lettered
 * @param priority the priority, higher first
 * @param payload the input given at trigger time
 * @param metadata the metadata given at trigger time, merged with the job's defaults
 * @param result the value the handler returned, once completed
 * @param error why the latest attempt failed, or null
 * @param idempotencyKey the idempotency key given at trigger time, or null
 * @param concurrencyKey the concurrency key given at trigger time, or null
 * @param workerId the worker holding the run, while it executes
 * @param scheduledAt when the run becomes due
 * @param nextRetryAt when a delayed retry becomes due
 * @param leaseExpiresAt when the worker's lease ends unless it heartbeats
 * @param createdAt when the run was created
 * @param startedAt when the latest attempt started
 * @param finishedAt when the run reached a terminal state
 * @param replayOf the run this run replays, or null
 * @param workflowRunId the workflow run this run is a step of, or null
 * @param stepId the workflow step this run executes, or null
 * @param parentRunId the run that triggered this one as its child, or null
 * @param continuationOf the run this run continues, or null
 * @param lineageDepth how many continuations lead to this run (0 for none); null from older servers
 * @param children in a claim of a parent resumed after its children settled: {@code [{id, status,
 *     result, error}]} (see {@link RunContext#children()}); null otherwise
 * @param checkpoint in a claim: the latest checkpoint saved by an earlier attempt ({@code seq},
 *     {@code attempt}, {@code state}, {@code created_at}), or null when there is none
 * @param event in a claim: how the run's latest event wait ended ({@code key}, {@code payload},
 *     {@code timed_out}), or null when it never waited for an event
 * @param traceparent the W3C trace context given at trigger time, or null
 */
public record Run(
        String id,
        String jobId,
        String jobSlug,
        Integer jobVersion,
        String queue,
        RunStatus status,
        int attempt,
        int maxAttempts,
        int priority,
        JsonNode payload,
        JsonNode metadata,
        JsonNode result,
        ErrorInfo error,
        String idempotencyKey,
        String concurrencyKey,
        String workerId,
        Instant scheduledAt,
        Instant nextRetryAt,
        Instant leaseExpiresAt,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        String replayOf,
        String workflowRunId,
        String stepId,
        String parentRunId,
        String continuationOf,
        Integer lineageDepth,
        JsonNode children,
        JsonNode checkpoint,
        JsonNode event,
        String traceparent) {

    /**
     * A run without claim context (children, checkpoint, event), lineage or trace context: the
     * components before those were added.
     *
     * @param id the run id
     * @param jobId the id of the job
     * @param jobSlug the slug of the job
     * @param jobVersion the job version
     * @param queue the queue
     * @param status the current state
     * @param attempt the current attempt number
     * @param maxAttempts the attempts in all
     * @param priority the priority
     * @param payload the input
     * @param metadata the metadata
     * @param result the result
     * @param error the latest error
     * @param idempotencyKey the idempotency key
     * @param concurrencyKey the concurrency key
     * @param workerId the worker holding the run
     * @param scheduledAt when the run becomes due
     * @param nextRetryAt when a delayed retry becomes due
     * @param leaseExpiresAt when the lease ends
     * @param createdAt when the run was created
     * @param startedAt when the latest attempt started
     * @param finishedAt when the run finished
     * @param replayOf the run this run replays
     * @param workflowRunId the workflow run
     * @param stepId the workflow step
     */
    public Run(String id, String jobId, String jobSlug, Integer jobVersion, String queue, RunStatus status,
            int attempt, int maxAttempts, int priority, JsonNode payload, JsonNode metadata, JsonNode result,
            ErrorInfo error, String idempotencyKey, String concurrencyKey, String workerId, Instant scheduledAt,
            Instant nextRetryAt, Instant leaseExpiresAt, Instant createdAt, Instant startedAt, Instant finishedAt,
            String replayOf, String workflowRunId, String stepId) {
        this(id, jobId, jobSlug, jobVersion, queue, status, attempt, maxAttempts, priority, payload, metadata, result,
                error, idempotencyKey, concurrencyKey, workerId, scheduledAt, nextRetryAt, leaseExpiresAt, createdAt,
                startedAt, finishedAt, replayOf, workflowRunId, stepId, null, null, null, null, null, null, null);
    }
}

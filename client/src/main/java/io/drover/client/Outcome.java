package io.drover.client;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * The end of one attempt as a worker reports it in a batch: either a result or an error.
 *
 * @param runId the run
 * @param result the handler's return value, for a success
 * @param error what went wrong, for a failure
 * @param retryable for a failure, whether the run may be retried
 * @param attempt the attempt this outcome ends, or null; with it the server refuses a late report
 *     of an earlier attempt of a run that was re-claimed meanwhile
 */
public record Outcome(String runId, JsonNode result, ErrorInfo error, Boolean retryable, Integer attempt) {

    /**
     * The outcome without an attempt number (accepted for any attempt the worker holds).
     *
     * @param runId the run
     * @param result the result, for a success
     * @param error the error, for a failure
     * @param retryable for a failure, whether the run may be retried
     */
    public Outcome(String runId, JsonNode result, ErrorInfo error, Boolean retryable) {
        this(runId, result, error, retryable, null);
    }

    /**
     * @param n the attempt this outcome ends
     * @return this outcome tied to that attempt
     */
    public Outcome withAttempt(int n) {
        return new Outcome(runId, result, error, retryable, n);
    }

    /**
     * Creates a success outcome.
     *
     * @param runId the run
     * @param result the result, or null for none
     * @return the outcome
     */
    public static Outcome success(String runId, JsonNode result) {
        return new Outcome(runId, result == null ? NullNode.getInstance() : result, null, null);
    }

    /**
     * Creates a failure outcome.
     *
     * @param runId the run
     * @param error what went wrong
     * @param retryable whether the run may be retried
     * @return the outcome
     */
    public static Outcome failure(String runId, ErrorInfo error, boolean retryable) {
        return new Outcome(runId, null, error, retryable);
    }

    /** @return whether this outcome reports a success */
    @JsonIgnore
    public boolean isSuccess() {
        return error == null;
    }
}

package io.drover.client;

/**
 * The server's answer for one outcome of a batched completion. When {@code ok} is false the
 * outcome was not recorded, usually because the run is no longer the worker's.
 *
 * @param runId the run
 * @param ok whether the outcome was recorded
 * @param status the run's state after the call
 * @param error why the outcome was refused, or null
 */
public record OutcomeResult(String runId, boolean ok, RunStatus status, ApiError error) {
}

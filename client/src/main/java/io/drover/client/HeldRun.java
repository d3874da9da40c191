package io.drover.client;

/**
 * One run of a worker's poll for cancellations ({@code POST /v1/worker/runs}): whether the worker
 * still holds it, and what it is now.
 *
 * @param runId the run
 * @param held whether the run is still this worker's (executing or waiting under its id)
 * @param status the run's status now; null when the server knows no such run
 */
public record HeldRun(String runId, boolean held, RunStatus status) {
}

package io.drover.client;

import java.time.Instant;

/**
 * The answer for one run of a batched heartbeat. When {@code ok} is false the run is no longer
 * the worker's (canceled, reaped or reassigned): the worker must stop and not report it.
 *
 * @param runId the run
 * @param ok whether the lease was extended
 * @param leaseExpiresAt the new end of the lease, when ok
 * @param status the run's current state
 */
public record HeartbeatResult(String runId, boolean ok, Instant leaseExpiresAt, RunStatus status) {
}

package io.drover.client;

import java.time.Duration;
import java.util.List;

/**
 * The validated settings of a {@link Worker}, as collected by a {@link WorkerBuilder}.
 *
 * @param workerId the id the worker claims under
 * @param queues the queues it takes runs from
 * @param concurrency the most runs it executes at once
 * @param prefetch how many runs it may claim ahead of a free place, to wait in a local buffer
 *        (0: claim only for free places). A prefetched run is leased, and its timeout runs, from
 *        the claim, so keep it small for long handlers
 * @param maxPendingOutcomes how many finished runs may await the server's acknowledgement of
 *        their outcome before the worker stops claiming
 * @param claimWait how long one claim long-polls
 * @param lease how long each run stays the worker's without a heartbeat
 * @param heartbeatInterval how often leases are extended
 * @param completionBatchSize the most outcomes reported in one call
 * @param completionLinger how long an outcome may wait for others to join its batch
 * @param completionRetries how many times a batch that got no answer is retried
 * @param shutdownTimeout how long a graceful stop waits for handlers
 * @param claimers how many claim requests may be on the wire at once (1 to 8): more than one keeps
 *        the buffer filling while a claim's answer is on its way, for many short runs
 * @param cancelPollInterval how often the worker asks the server, in one read-only call, whether
 *        the runs whose handlers are running were canceled (or taken back), so that a cancel
 *        interrupts its handler within about this long instead of at the next heartbeat;
 *        {@link Duration#ZERO} turns the poll off (cancels are then seen at heartbeats)
 */
public record WorkerConfig(String workerId, List<String> queues, int concurrency, int prefetch,
                           int maxPendingOutcomes, Duration claimWait, Duration lease,
                           Duration heartbeatInterval, int completionBatchSize, Duration completionLinger,
                           int completionRetries, Duration shutdownTimeout, int claimers,
                           Duration cancelPollInterval) {

    /** The settings without a cancel poll interval: the default, 1 s. */
    public WorkerConfig(String workerId, List<String> queues, int concurrency, int prefetch,
                        int maxPendingOutcomes, Duration claimWait, Duration lease,
                        Duration heartbeatInterval, int completionBatchSize, Duration completionLinger,
                        int completionRetries, Duration shutdownTimeout, int claimers) {
        this(workerId, queues, concurrency, prefetch, maxPendingOutcomes, claimWait, lease, heartbeatInterval,
                completionBatchSize, completionLinger, completionRetries, shutdownTimeout, claimers,
                Duration.ofSeconds(1));
    }

    /** Checks every setting, naming the setting and the accepted range when one is off. */
    public WorkerConfig {
        require(workerId != null && !workerId.isBlank(), "workerId must not be blank");
        require(queues != null && !queues.isEmpty(), "at least one queue is required");
        queues = List.copyOf(queues);
        require(concurrency >= 1, "concurrency must be at least 1, got " + concurrency);
        require(prefetch >= 0 && prefetch <= 10_000, "prefetch must be between 0 and 10000, got " + prefetch);
        require(maxPendingOutcomes >= 1, "maxPendingOutcomes must be at least 1, got " + maxPendingOutcomes);
        require(!claimWait.isNegative() && claimWait.toMillis() <= 30_000,
                "claimWait must be between 0 and 30 s (the server's limit), got " + claimWait);
        require(lease.toMillis() >= 1000, "lease must be at least 1 s, got " + lease);
        require(heartbeatInterval.toMillis() >= 10 && heartbeatInterval.compareTo(lease) < 0,
                "heartbeatInterval must be shorter than the lease (" + lease + "), got " + heartbeatInterval);
        require(completionBatchSize >= 1 && completionBatchSize <= 500,
                "completionBatchSize must be between 1 and 500, got " + completionBatchSize);
        require(!completionLinger.isNegative(), "completionLinger must not be negative");
        require(completionRetries >= 0, "completionRetries must not be negative");
        require(!shutdownTimeout.isNegative(), "shutdownTimeout must not be negative");
        require(claimers >= 1 && claimers <= 8, "claimers must be between 1 and 8, got " + claimers);
        require(cancelPollInterval != null && (cancelPollInterval.isZero() || cancelPollInterval.toMillis() >= 100),
                "cancelPollInterval must be 0 (off) or at least 100 ms, got " + cancelPollInterval);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}

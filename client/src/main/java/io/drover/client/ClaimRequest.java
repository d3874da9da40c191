package io.drover.client;

import java.util.List;

/**
 * The body of a worker's claim: take up to {@code max} due runs from the given queues, waiting up
 * to {@code waitMs} when none is ready, and hold each for {@code leaseMs} unless heartbeated.
 *
 * @param workerId the id of the claiming worker
 * @param queues the queues to take runs from
 * @param max the most runs to take, 1 to 500
 * @param waitMs how long to long-poll when nothing is ready, 0 to 30000
 * @param leaseMs how long each claimed run stays this worker's without a heartbeat
 * @param jobs the only job slugs to take runs of (the worker's handlers), or null for any job; runs
 *        of other jobs stay queued for workers that handle them
 */
public record ClaimRequest(String workerId, List<String> queues, int max, long waitMs, long leaseMs,
                           List<String> jobs) {

    /** A claim of runs of any job. */
    public ClaimRequest(String workerId, List<String> queues, int max, long waitMs, long leaseMs) {
        this(workerId, queues, max, waitMs, leaseMs, null);
    }

    /** @return this claim, taking runs of {@code jobSlugs} only (null: any job) */
    public ClaimRequest withJobs(List<String> jobSlugs) {
        return new ClaimRequest(workerId, queues, max, waitMs, leaseMs, jobSlugs);
    }
}

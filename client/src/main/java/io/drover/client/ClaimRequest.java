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
 */
public record ClaimRequest(String workerId, List<String> queues, int max, long waitMs, long leaseMs) {
}

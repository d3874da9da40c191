package io.drover.client;

import java.util.List;

/**
 * How a job spaces its retries.
 *
 * @param strategy {@code exponential}, {@code linear}, {@code fixed} or {@code custom}
 * @param initialDelayMs the first delay
 * @param maxDelayMs the cap on any delay
 * @param delaysMs the delays of the {@code custom} strategy, one per retry
 * @param jitter whether delays are randomized
 */
public record RetryPolicy(String strategy, Long initialDelayMs, Long maxDelayMs, List<Long> delaysMs,
                          Boolean jitter) {

    /**
     * Creates an exponential policy.
     *
     * @param initialDelayMs the first delay
     * @param maxDelayMs the cap on any delay
     * @return the policy, with jitter
     */
    public static RetryPolicy exponential(long initialDelayMs, long maxDelayMs) {
        return new RetryPolicy("exponential", initialDelayMs, maxDelayMs, null, true);
    }

    /**
     * Creates a fixed-delay policy.
     *
     * @param delayMs the delay before every retry
     * @return the policy, without jitter
     */
    public static RetryPolicy fixed(long delayMs) {
        return new RetryPolicy("fixed", delayMs, delayMs, null, false);
    }
}
